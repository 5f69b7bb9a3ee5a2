// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd's D-Bus error names (daemon/paytermd/bus_error.c): a bare errno
 * from a method handler becomes org.payterm.Error.Internal, without its
 * strerror text; a named error or a success passes through unchanged.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../../daemon/paytermd/bus_error.h"
#include "../check_main.h"

START_TEST(bare_errno_is_named)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = pd_bus_named_error("StartPayment", -ENOMEM, &e);

	ck_assert_int_lt(r, 0);
	ck_assert(sd_bus_error_is_set(&e));
	ck_assert_str_eq(e.name, "org.payterm.Error.Internal");
	ck_assert_ptr_null(strstr(e.message, strerror(ENOMEM)));
	ck_assert_ptr_null(strstr(e.name, "System.Error"));
	sd_bus_error_free(&e);
}
END_TEST

START_TEST(named_error_kept)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	int r = sd_bus_error_set(&e, "org.payterm.Error.Busy", "busy");

	r = pd_bus_named_error("StartPayment", r, &e);
	ck_assert_int_lt(r, 0);
	ck_assert_str_eq(e.name, "org.payterm.Error.Busy");
	ck_assert_str_eq(e.message, "busy");
	sd_bus_error_free(&e);
}
END_TEST

START_TEST(success_untouched)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;

	ck_assert_int_eq(pd_bus_named_error("Cancel", 0, &e), 0);
	ck_assert_int_eq(pd_bus_named_error("Cancel", 1, &e), 1);
	ck_assert(!sd_bus_error_is_set(&e));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_bus_error");
	TCase *t = tcase_create("bus_error");

	tcase_add_test(t, bare_errno_is_named);
	tcase_add_test(t, named_error_kept);
	tcase_add_test(t, success_untouched);
	suite_add_tcase(s, t);
	return pt_check_run(s);
}
