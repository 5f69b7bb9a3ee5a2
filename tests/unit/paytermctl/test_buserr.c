// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for paytermctl's D-Bus error advice (buserr.c): every error
 * paytermd documents (docs/dbus-api.md "Errors") and the bus's own get a
 * message that says what to do, keeps the error name, and the right exit
 * code.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "../../../daemon/paytermctl/dbus.h"
#include "../../../daemon/paytermctl/paytermctl.h"
#include "../check_main.h"

static char buf[512];

static int explain(const char *name, const char *message, int err)
{
	return bus_error_explain(name, message, err, buf, sizeof(buf));
}

#define HAS(s) ck_assert_msg(strstr(buf, (s)), "no '%s' in '%s'", (s), buf)

START_TEST(not_running)
{
	ck_assert_int_eq(explain("org.freedesktop.DBus.Error.ServiceUnknown",
				 "The name is not activatable", -EHOSTUNREACH),
			 EXIT_NODAEMON);
	HAS("paytermd is not running: systemctl start paytermd");
	HAS("(org.freedesktop.DBus.Error.ServiceUnknown)");
	ck_assert_ptr_null(strstr(buf, "activatable"));
	ck_assert_int_eq(explain("org.freedesktop.DBus.Error.NameHasNoOwner",
				 "x", -ENXIO), EXIT_NODAEMON);
	HAS("paytermd is not running: systemctl start paytermd");
	/* activation through systemd failed: a prefix match */
	ck_assert_int_eq(explain("org.freedesktop.DBus.Error.Spawn.ChildExited",
				 "x", -EIO), EXIT_NODAEMON);
	HAS("could not be started: systemctl status paytermd");
	/* the errnos sd-bus gives without an error name */
	ck_assert_int_eq(explain(NULL, NULL, -EHOSTUNREACH), EXIT_NODAEMON);
	HAS("paytermd is not running");
	ck_assert_int_eq(explain(NULL, NULL, -ENXIO), EXIT_NODAEMON);
}
END_TEST

START_TEST(no_bus)
{
	ck_assert_int_eq(explain(NULL, NULL, -ENOENT), EXIT_NODAEMON);
	ck_assert_str_eq(buf, "no system bus: is dbus running?");
	ck_assert_int_eq(explain("", NULL, -ECONNREFUSED), EXIT_NODAEMON);
	ck_assert_str_eq(buf, "no system bus: is dbus running?");
	ck_assert_int_eq(explain(NULL, NULL, -ETIMEDOUT), EXIT_FAIL);
	HAS("did not answer in time");
	ck_assert_int_eq(explain(NULL, NULL, -EIO), EXIT_FAIL);
	ck_assert_str_eq(buf, strerror(EIO));
}
END_TEST

START_TEST(denied)
{
	ck_assert_int_eq(explain("org.freedesktop.DBus.Error.AccessDenied",
				 "Rejected send message", -EACCES), EXIT_FAIL);
	HAS("not allowed: add the user to group payterm");
	HAS("org.payterm.Terminal1.conf");
	ck_assert_int_eq(explain("org.payterm.Error.NotAuthorized", "polkit", -EACCES),
			 EXIT_FAIL);
	HAS("polkit");
	HAS("org.payterm.pay");
	ck_assert_int_eq(explain("org.freedesktop.DBus.Error.NoReply", "x", -ETIMEDOUT),
			 EXIT_FAIL);
	HAS("did not answer in time: see journalctl -u paytermd");
}
END_TEST

START_TEST(payterm_errors)
{
	static const struct {
		const char *name, *want;
	} t[] = {
		{ "Busy", "the terminal is busy" },
		{ "NoReader", "paytermctl readers" },
		{ "Forged", "not signed by the payment server's key" },
		{ "Expired", "expired: ask the server for a new one" },
		{ "WrongTerminal", "for another terminal" },
		{ "AlreadyUsed", "already used" },
		{ "UnknownRequest", "paytermctl requests" },
		{ "NotReady", "systemctl reload paytermd" },
		{ "InProgress", "too late to cancel" },
		{ "Finished", "already finished" },
		{ "InvalidRequest", "malformed: Payment request: no exp" },
		{ "Internal", "failed internally: see journalctl -u paytermd" },
	};
	char name[96];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(name, sizeof(name), "org.payterm.Error.%s", t[i].name);
		ck_assert_int_eq(explain(name, "Payment request: no exp", -EIO),
				 EXIT_FAIL);
		HAS(t[i].want);
		HAS(name);
	}
	/* an error this version does not know: the daemon's words and name */
	ck_assert_int_eq(explain("org.payterm.Error.Future", "Something new", -EIO),
			 EXIT_FAIL);
	ck_assert_str_eq(buf, "Something new (org.payterm.Error.Future)");
	/* a name that only starts like a prefix entry does not match it */
	explain("org.freedesktop.DBus.Error.Spawn", "x", -EIO);
	ck_assert_str_eq(buf, "x (org.freedesktop.DBus.Error.Spawn)");
}
END_TEST

START_TEST(truncates)
{
	char small[16];

	ck_assert_int_eq(bus_error_explain("org.payterm.Error.Busy", "x", -EBUSY,
					   small, sizeof(small)), EXIT_FAIL);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermctl_buserr");
	TCase *tc = tcase_create("buserr");

	tcase_add_test(tc, not_running);
	tcase_add_test(tc, no_bus);
	tcase_add_test(tc, denied);
	tcase_add_test(tc, payterm_errors);
	tcase_add_test(tc, truncates);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
