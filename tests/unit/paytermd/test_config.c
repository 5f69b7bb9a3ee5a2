// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: configuration parsing and its error messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../daemon/paytermd/config.h"
#include "../check_main.h"

static const char base[] =
	"[server]\n"
	"url = https://127.0.0.1:8444\n"
	"ca = /etc/payterm/ca.pem\n"
	"cert = /etc/payterm/terminal.pem\n"
	"key = /etc/payterm/terminal.key\n"
	"[terminal]\n"
	"id = TERM0001\n"
	"merchant = MERCHANT0001\n"
	"[keys]\n"
	"store = /var/lib/paytermd/keystore\n";

static char path[64];

static int load(const char *text, struct pd_config *c, char *err, size_t n)
{
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/pd-config-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	fd = pd_config_load(path, c, err, n);
	unlink(path);
	return fd;
}

/* load base + extra, expect an error mentioning @want and line @line */
static void expect_err(const char *extra, const char *want, int line)
{
	struct pd_config c;
	char text[2048], err[512], loc[96];

	snprintf(text, sizeof(text), "%s%s", base, extra);
	ck_assert_int_lt(load(text, &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, want), "'%s' not in '%s'", want, err);
	if (line > 0) {
		snprintf(loc, sizeof(loc), "%s:%d: ", path, line);
		ck_assert_msg(strstr(err, loc), "'%s' not in '%s'", loc, err);
	}
	pd_config_free(&c);
}

START_TEST(t_defaults)
{
	struct pd_config c;
	char err[256];

	ck_assert_int_eq(load(base, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.server_url, "https://127.0.0.1:8444");
	ck_assert_str_eq(c.terminal_id, "TERM0001");
	ck_assert_uint_eq(c.pin_min, 4);
	ck_assert_uint_eq(c.pin_max, 12);
	ck_assert_uint_eq(c.entry_modes, PD_ENTRY_ALL);
	ck_assert_int_eq(c.pin_block_format, -1);
	ck_assert_uint_ge(c.n_aids, 3);
	ck_assert_str_eq(c.state_dir, "/var/lib/paytermd");
	ck_assert_uint_eq(c.request_max_lifetime_s, 900);
	ck_assert_ptr_null(c.proxy);		/* no proxy, never the environment's */
	pd_config_free(&c);
}
END_TEST

START_TEST(t_values)
{
	struct pd_config c;
	char err[256], text[2048];

	snprintf(text, sizeof(text), "%s"
		 "[pin]\nmin_length = 5\nmax_length = 6 ; inline comment\ntimeout = 20\n"
		 "[card]\nentry_modes = swipe, tap\nchip_fallback = no\n"
		 "aids = A0000000041010 A000000003101001\n"
		 "[keys]\npin_block_format = 0\n"
		 "[server]\nrequest_max_lifetime = 120\nproxy = http://10.0.0.1:3128\n",
		 base);
	ck_assert_int_eq(load(text, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.pin_min, 5);
	ck_assert_uint_eq(c.pin_max, 6);
	ck_assert_uint_eq(c.pin_timeout_s, 20);
	ck_assert_uint_eq(c.entry_modes, PD_ENTRY_SWIPE | PD_ENTRY_TAP);
	ck_assert(!c.chip_fallback);
	ck_assert_uint_eq(c.n_aids, 2);
	ck_assert_uint_eq(c.aids[1].len, 8);
	ck_assert_int_eq(c.pin_block_format, 0);
	ck_assert_uint_eq(c.request_max_lifetime_s, 120);
	ck_assert_str_eq(c.proxy, "http://10.0.0.1:3128");
	pd_config_free(&c);
}
END_TEST

START_TEST(t_errors)
{
	/* base has 10 lines; the extra text starts on line 11 */
	expect_err("[pin]\nmax_length = 13\n", "[pin] max_length: must be 4..12, got '13'", 12);
	expect_err("[pin]\nmin_length = four\n", "[pin] min_length", 12);
	expect_err("[card]\nentry_modes = swipe magic\n", "[card] entry_modes", 12);
	expect_err("[card]\naids = A00000\n", "[card] aids: AID 1 is not 5..16 bytes of hex", 12);
	expect_err("[card]\naids = A0000000031010 XYZ\n", "AID 2", 12);
	expect_err("[server]\ntimeout = 0\n", "[server] timeout", 12);
	expect_err("[server]\nbogus = 1\n", "[server] bogus: unknown key", 12);
	expect_err("[server]\nrequest_max_lifetime = 59\n",
		   "[server] request_max_lifetime: must be 60..86400", 12);
	expect_err("[server]\nrequest_max_lifetime = 86401\n", "request_max_lifetime", 12);
	expect_err("[server]\nproxy = socks5://h:1\n", "[server] proxy: must be an http", 12);
	expect_err("[terminal]\nid = TOOLONGID\n", "[terminal] id: at most 8", 12);
	expect_err("[keys]\npin_block_format = 1\n", "pin_block_format", 12);
	expect_err("[card]\nchip_fallback = maybe\n", "yes or no", 12);
	expect_err("this is not ini\n", "syntax error", 11);
	expect_err("[pin]\nmin_length = 8\nmax_length = 6\n", "min_length 8 is above max_length 6", 0);
}
END_TEST

START_TEST(t_missing)
{
	struct pd_config c;
	char err[256];

	ck_assert_int_lt(load("[server]\nurl = https://x\n", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "missing key [server] ca"), "%s", err);
	pd_config_free(&c);
	ck_assert_int_lt(load("[server]\nurl = http://x\n", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, ":2: [server] url: must be an https:// URL"), "%s", err);
	pd_config_free(&c);
	ck_assert_int_lt(pd_config_load("/nonexistent/paytermd.conf", &c, err,
					sizeof(err)), 0);
	ck_assert_msg(strstr(err, "/nonexistent/paytermd.conf: cannot open"), "%s", err);
	pd_config_free(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, t_defaults);
	tcase_add_test(tc, t_values);
	tcase_add_test(tc, t_errors);
	tcase_add_test(tc, t_missing);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
