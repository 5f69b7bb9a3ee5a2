// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd's verdict on payment views (daemon/paytermd/verdict.c): what a
 * server answer may and may not make of a payment.  The MAC check is a
 * stub that says what each case needs and records what it was asked.
 */
#include <check.h>
#include <string.h>

#include "../../../daemon/paytermd/verdict.h"
#include "../check_main.h"

static enum pd_mac_check mac_says;
static int mac_calls;
static char mac_rc[8];

static enum pd_mac_check stub_mac(void *arg, const char *rc, const char *auth,
				  const char *mac)
{
	mac_calls++;
	snprintf(mac_rc, sizeof(mac_rc), "%s", rc);
	return mac ? mac_says : PD_MAC_MISSING;
}

static struct pd_view_ctx ctx(void)
{
	struct pd_view_ctx c = {
		.have_keys = true, .amount = 1234, .currency = "EUR",
		.check_mac = stub_mac,
	};

	mac_says = PD_MAC_OK;
	mac_calls = 0;
	mac_rc[0] = 0;
	return c;
}

static void judge(const struct pd_view_ctx *c, const char *json,
		  struct pd_verdict *v)
{
	json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);

	ck_assert_msg(j, "bad test JSON %s", json);
	pd_judge_view(c, j, v);
	json_decref(j);
}

#define APPROVAL "{\"state\":\"approved\",\"approved\":true,\"response_code\":\"00\"," \
	"\"auth_code\":\"A1B2C3\",\"amount\":1234,\"currency\":\"EUR\""

START_TEST(approved_on_the_banks_mac)
{
	struct pd_view_ctx c = ctx();
	struct pd_verdict v;

	judge(&c, APPROVAL ",\"response_mac\":\"00112233\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_FINAL);
	ck_assert_int_eq(v.state, PD_ST_APPROVED);
	ck_assert_str_eq(v.rc, "00");
	ck_assert_str_eq(v.auth, "A1B2C3");
	ck_assert(v.mac_verified);
	ck_assert_str_eq(mac_rc, "00");
}
END_TEST

/* A server that flips 05 to 00, drops or forges the MAC: never approved. */
START_TEST(no_approval_without_the_mac)
{
	static const enum pd_mac_check bad[] = { PD_MAC_BAD, PD_MAC_NOKEY };
	struct pd_view_ctx c = ctx();
	struct pd_verdict v;

	for (size_t i = 0; i < 2; i++) {
		c = ctx();
		mac_says = bad[i];
		judge(&c, APPROVAL ",\"response_mac\":\"00112233\"}", &v);
		ck_assert_int_eq(v.kind, PD_V_SUSPECT);
		ck_assert_int_eq(mac_calls, 1);
	}
	c = ctx();
	judge(&c, "{\"state\":\"approved\",\"approved\":true,\"response_code\":"
	      "\"00\",\"auth_code\":\"A1B2C3D4\",\"amount\":1234,\"currency\":"
	      "\"EUR\",\"response_mac\":\"00\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_SUSPECT);		/* auth code too long */
	ck_assert_int_eq(mac_calls, 0);
	c = ctx();
	judge(&c, APPROVAL "}", &v);			/* no MAC at all */
	ck_assert_int_eq(v.kind, PD_V_SUSPECT);
	ck_assert(strstr(v.why, "missing"));
}
END_TEST

START_TEST(no_approval_of_another_amount)
{
	static const char *const views[] = {
		"{\"state\":\"approved\",\"approved\":true,\"response_code\":\"00\","
		"\"amount\":1235,\"currency\":\"EUR\",\"response_mac\":\"00\"}",
		"{\"state\":\"approved\",\"approved\":true,\"response_code\":\"00\","
		"\"amount\":1234,\"currency\":\"USD\",\"response_mac\":\"00\"}",
		"{\"state\":\"approved\",\"approved\":true,\"response_code\":\"00\","
		"\"amount\":\"1234\",\"currency\":\"EUR\",\"response_mac\":\"00\"}",
		"{\"state\":\"approved\",\"approved\":true,\"response_code\":\"00\","
		"\"amount\":-1234,\"currency\":\"EUR\",\"response_mac\":\"00\"}",
	};
	struct pd_view_ctx c;
	struct pd_verdict v;

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		c = ctx();
		judge(&c, views[i], &v);
		ck_assert_int_eq(v.kind, PD_V_SUSPECT);
		ck_assert_int_eq(mac_calls, 0);
	}
}
END_TEST

/* "approved": true with a decline's code, 00 with state declined, ... */
START_TEST(contradictions_are_suspect)
{
	static const char *const views[] = {
		"{\"state\":\"declined\",\"approved\":true,\"response_code\":\"05\"}",
		"{\"state\":\"declined\",\"response_code\":\"00\"}",
		"{\"state\":\"approved\",\"response_code\":\"05\"}",
		"{\"approved\":true}",
		"{\"state\":\"approved\",\"approved\":false,\"response_code\":\"00\"}",
	};
	struct pd_view_ctx c;
	struct pd_verdict v;

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		c = ctx();
		judge(&c, views[i], &v);
		ck_assert_msg(v.kind == PD_V_SUSPECT, "view %zu: kind %d", i, v.kind);
	}
}
END_TEST

START_TEST(declines)
{
	struct pd_view_ctx c = ctx();
	struct pd_verdict v;

	judge(&c, "{\"state\":\"declined\",\"response_code\":\"55\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_FINAL);
	ck_assert_int_eq(v.state, PD_ST_DECLINED);
	ck_assert_str_eq(v.rc, "55");
	ck_assert_str_eq(v.msg, "Declined: incorrect PIN");
	/* a decline's MAC, when there, must be the bank's */
	mac_says = PD_MAC_BAD;
	judge(&c, "{\"state\":\"declined\",\"response_code\":\"05\","
	      "\"response_mac\":\"00\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_SUSPECT);
	ck_assert_str_eq(mac_rc, "05");
	/* no usable code: failed, not declined with garbage */
	c = ctx();
	judge(&c, "{\"state\":\"failed\",\"response_code\":\"5x\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_FINAL);
	ck_assert_int_eq(v.state, PD_ST_FAILED);
	ck_assert_ptr_null(v.rc);
	/* after a distrusted answer nothing is "declined" on the server's word */
	c = ctx();
	c.suspect = true;
	judge(&c, "{\"state\":\"declined\",\"response_code\":\"05\"}", &v);
	ck_assert_int_eq(v.state, PD_ST_FAILED);
	ck_assert_str_eq(v.msg, PD_UNTRUSTED_NOT_PAID);
}
END_TEST

START_TEST(late_approvals_are_reversed)
{
	struct pd_view_ctx c = ctx();
	struct pd_verdict v;

	c.closed = true;
	judge(&c, APPROVAL ",\"response_mac\":\"00\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_SUSPECT);		/* look it up first */
	c.status = true;
	judge(&c, APPROVAL "}", &v);
	ck_assert_int_eq(v.kind, PD_V_STATUS_LATER);	/* no payment id yet */
	c.payment_id_known = true;
	judge(&c, APPROVAL "}", &v);
	ck_assert_int_eq(v.kind, PD_V_REVERSE);
	/* resumed after a restart: no MAC key, never approved */
	c = ctx();
	c.have_keys = false;
	c.status = true;
	c.payment_id_known = true;
	judge(&c, APPROVAL ",\"response_mac\":\"00\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_REVERSE);
	ck_assert_int_eq(mac_calls, 0);
}
END_TEST

START_TEST(status_views)
{
	struct pd_view_ctx c = ctx();
	struct pd_verdict v;

	/* the status query's views carry no MAC: fetch the stored answer */
	c.status = true;
	c.can_refetch = true;
	judge(&c, APPROVAL "}", &v);
	ck_assert_int_eq(v.kind, PD_V_REFETCH);
	c.can_refetch = false;
	judge(&c, APPROVAL "}", &v);
	ck_assert_int_eq(v.kind, PD_V_SUSPECT);
	judge(&c, "{\"state\":\"authorizing\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_STATUS_LATER);
	ck_assert_str_eq(v.why, "");
	judge(&c, "{\"state\":\"reversed\",\"response_code\":\"00\"}", &v);
	ck_assert_int_eq(v.kind, PD_V_FINAL);
	ck_assert_int_eq(v.state, PD_ST_DECLINED);
	ck_assert_str_eq(v.rc, "91");
	ck_assert_str_eq(v.msg, "No answer from the bank: not paid");
	c.reversing = true;
	judge(&c, "{\"state\":\"reversed\"}", &v);
	ck_assert_str_eq(v.msg, "Payment reversed");
}
END_TEST

START_TEST(not_a_view)
{
	static const char *const views[] = {
		"[]", "null", "42", "\"approved\"", "{}", "{\"state\":7}",
		"{\"state\":\"paid\",\"response_code\":\"0\"}",
	};
	struct pd_view_ctx c;
	struct pd_verdict v;

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		c = ctx();
		judge(&c, views[i], &v);
		ck_assert_msg(v.kind == PD_V_STATUS_LATER, "view %zu: kind %d", i,
			      v.kind);
		ck_assert(v.why[0]);
	}
	c = ctx();
	pd_judge_view(&c, NULL, &v);
	ck_assert_int_eq(v.kind, PD_V_STATUS_LATER);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_verdict");
	TCase *t = tcase_create("verdict");

	tcase_add_test(t, approved_on_the_banks_mac);
	tcase_add_test(t, no_approval_without_the_mac);
	tcase_add_test(t, no_approval_of_another_amount);
	tcase_add_test(t, contradictions_are_suspect);
	tcase_add_test(t, declines);
	tcase_add_test(t, late_approvals_are_reversed);
	tcase_add_test(t, status_views);
	tcase_add_test(t, not_a_view);
	suite_add_tcase(s, t);
	return pt_check_run(s);
}
