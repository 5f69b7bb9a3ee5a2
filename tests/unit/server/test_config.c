// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: the strict configuration loader and the listen syntax. */
#include "config.h"
#include "listen.h"
#include "../check_main.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], path[128];

/* The smallest valid file, with extra members spliced in. */
static struct ps_config *load(const char *extra)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"tls\": {\"cert\": \"s.crt\", \"key\": \"/k/s.key\", "
		"\"client_ca\": \"ca.crt\"}, \"jws\": {\"key\": \"j.key\"}%s%s}",
		*extra ? ", " : "", extra);
	fclose(f);
	return ps_config_load(path);
}

static void setup(void)
{
	strcpy(dir, "/tmp/ps-config-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.json", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

START_TEST(defaults_and_paths)
{
	struct ps_config *c = load("");
	char want[256];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->workers, 1);
	ck_assert_int_eq(c->bank_port, 8583);
	ck_assert_int_eq(c->code_digits, 12);
	ck_assert(!c->webhook_allow_private && !c->listen_v6only);
	ck_assert_str_eq(c->merchant_listen, "127.0.0.1:8443");
	ck_assert_str_eq(c->log, "-");
	ck_assert_ptr_nonnull(c->instance);
	/* relative paths from the file's directory, absolute ones kept */
	snprintf(want, sizeof(want), "%s/s.crt", dir);
	ck_assert_str_eq(c->tls_cert, want);
	ck_assert_str_eq(c->tls_key, "/k/s.key");
	snprintf(want, sizeof(want), "sqlite:%s/payterm-server.db", dir);
	ck_assert_str_eq(c->db, want);
	ps_config_free(c);

	c = load("\"db\": \"postgresql://u@h/db\", \"log\": \"l/x.log\", \"comment\": \"hi\"");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->db, "postgresql://u@h/db");
	snprintf(want, sizeof(want), "%s/l/x.log", dir);
	ck_assert_str_eq(c->log, want);
	ps_config_free(c);
}
END_TEST

START_TEST(strict)
{
	static const char *bad[] = {
		"\"wrokers\": 2",			/* unknown */
		"\"bank\": {\"hots\": \"x\"}",		/* unknown, nested */
		"\"workers\": \"2\"",			/* wrong type */
		"\"workers\": 2.5",
		"\"workers\": 0",			/* range */
		"\"requests\": {\"code_digits\": 40}",	/* would overflow a buffer */
		"\"webhooks\": {\"allow_private\": 1}",
		"\"bank\": 5",
		"\"merchants\": {}",
		"\"merchants\": [{\"id\": \"M1\", \"api_key_sha256\": \"00\"}]",
		"\"terminals\": [{\"id\": \"T1\", \"cn\": \"x\", \"phnoe\": \"1\"}]",
		"\"merchant_listen\": \"[127.0.0.1]:1\"",
		"\"terminal_listen\": \"host:99999\"",
		"\"bank\": {\"acquirer_id\": \"12a\"}",
		"\"db\": \"\"",
		"\"comment\": 1",
		"\"workers\": 1, \"workers\": 2",	/* duplicate */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ps_config *c = load(bad[i]);

		ck_assert_msg(!c, "accepted: %s", bad[i]);
	}
}
END_TEST

START_TEST(listen_split)
{
	static const struct { const char *in, *host, *port; } ok[] = {
		{ "127.0.0.1:8443", "127.0.0.1", "8443" },
		{ "[::1]:9", "::1", "9" },
		{ "[::]:8444", "::", "8444" },
		{ "::", "::", "1234" },
		{ "fe80::1", "fe80::1", "1234" },
		{ "[::1]", "::1", "1234" },
		{ "localhost", "localhost", "1234" },
		{ "localhost:80", "localhost", "80" },
		{ "*:80", "", "80" },
		{ ":80", "", "80" },
	};
	static const char *bad[] = { "[::1", "[127.0.0.1]:1", "[::1]x", "h:",
				     "h:0", "h:65536", "h:8a", "[]:1", "h:-1" };
	char h[64], p[8];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(!ps_listen_split(ok[i].in, "1234", h, sizeof(h), p,
					       sizeof(p)), "refused %s", ok[i].in);
		ck_assert_str_eq(h, ok[i].host);
		ck_assert_str_eq(p, ok[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ps_listen_split(bad[i], "1234", h, sizeof(h), p,
					      sizeof(p)), "accepted %s", bad[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("payserver-config");
	TCase *t = tcase_create("config");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, defaults_and_paths);
	tcase_add_test(t, strict);
	tcase_add_test(t, listen_split);
	suite_add_tcase(s, t);
	return pt_check_run(s);
}
