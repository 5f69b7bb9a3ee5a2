// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server unit tests: JWS ES256, webhook HMAC, order state machine,
 * idempotency decisions, base64url, masked PAN rule, SMS URL template,
 * which delivery channels are queued, query strings of the routers, field 48
 * of the 0200. */
#include "bankmsg.h"
#include "deliver.h"
#include "fsm.h"
#include "idem.h"
#include "jws.h"
#include "netguard.h"
#include "route.h"
#include "util.h"
#include "whsig.h"
#include "../check_main.h"

#include <arpa/inet.h>
#include <check.h>
#include <limits.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* Field 48 of the 0200: SHA-256 (lower-case hex) of the JWS passed in --
 * the caller passes the one it issued -- and MACed like the terminal's
 * fields. */
START_TEST(request_hash_field48)
{
	static struct iso8583_msg m;
	struct ps_card_data cd;
	json_t *in = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s}", "entry_mode", "901",
			       "dukpt", "aes128", "ksn", "FFFF987654321000000001EF",
			       "pin_block_format", 4, "pin_block",
			       "00112233445566778899AABBCCDDEEFF", "card_data",
			       "00112233445566778899AABBCCDDEEFF", "mac",
			       "0102030405060708");
	const char *field = NULL;
	char h[65], got[65];
	uint8_t md[1024];
	size_t ml;

	ps_request_hash("abc", h);
	ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
	memset(&cd, 0, sizeof(cd));
	ck_assert_int_eq(ps_card_data_parse(in, &cd, &field), 0);
	ck_assert_int_eq(ps_build_0200(&m, &cd, 1234, "978", "1204185500", 7,
				       "T1", "M1", "pay_1", h), 0);
	ck_assert_int_eq(iso8583_get_str(&m, 48, got, sizeof(got)), 0);
	ck_assert_str_eq(got, h);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 1);
	ck_assert_int_eq(iso8583_mac_data(&m, iso8583_req_mac_fields,
					  iso8583_req_mac_nfields, md,
					  sizeof(md), &ml), 0);
	ck_assert_mem_eq(md + 15 + 6, "048064", 6);
	ck_assert_mem_eq(md + 15 + 6 + 6, h, 64);
	ps_card_data_free(&cd);
	json_decref(in);
}
END_TEST

static EVP_PKEY *gen_p256(void)
{
	return EVP_EC_gen("P-256");
}

START_TEST(query_strings)
{
	struct ps_query q;
	const char *bad = NULL;
	const char *ok = "limit starting_after state created[gte] created[lt]";

	ck_assert_int_eq(ps_query_parse(&q, NULL, ok, &bad), 0);
	ck_assert_int_eq(q.n, 0);
	/* keys and values percent-decoded, '+' a space, empty pieces skipped */
	ck_assert_int_eq(ps_query_parse(&q, "limit=5&&created%5Bgte%5D=7&state=a+b%21",
					ok, &bad), 0);
	ck_assert_str_eq(ps_query_get(&q, "limit"), "5");
	ck_assert_str_eq(ps_query_get(&q, "created[gte]"), "7");
	ck_assert_str_eq(ps_query_get(&q, "state"), "a b!");
	ck_assert_ptr_null(ps_query_get(&q, "LIMIT"));
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "limit", ok, &bad), 0);
	ck_assert_str_eq(ps_query_get(&q, "limit"), "");
	ps_query_free(&q);
	/* unknown (also by case, or a prefix of a known one): -2 */
	ck_assert_int_eq(ps_query_parse(&q, "expand=x", ok, &bad), -2);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "Limit=1", ok, &bad), -2);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "lim=1", ok, &bad), -2);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "x=1", "", &bad), -2);
	ps_query_free(&q);
	/* integers: digits only, 0..max; -1 absent, -2 bad */
	ck_assert_int_eq(ps_query_parse(&q, "limit=100&created[gte]=%2B5&created[lt]=+5&state=",
					ok, &bad), 0);
	ck_assert_int_eq(ps_query_uint(&q, "limit", 100), 100);
	ck_assert_int_eq(ps_query_uint(&q, "limit", 99), -2);
	ck_assert_int_eq(ps_query_uint(&q, "created[gte]", 100), -2);
	ck_assert_int_eq(ps_query_uint(&q, "created[lt]", 100), -2);
	ck_assert_int_eq(ps_query_uint(&q, "state", 100), -2);
	ck_assert_int_eq(ps_query_uint(&q, "starting_after", 100), -1);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "limit=99999999999999999999&state=7x", ok, &bad), 0);
	ck_assert_int_eq(ps_query_uint(&q, "limit", LLONG_MAX), -2);
	ck_assert_int_eq(ps_query_uint(&q, "state", LLONG_MAX), -2);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "limit=0", ok, &bad), 0);
	ck_assert_int_eq(ps_query_uint(&q, "limit", 0), 0);
	ps_query_free(&q);
	/* repeated, NUL, empty key: -1 */
	ck_assert_int_eq(ps_query_parse(&q, "limit=1&limit=2", ok, &bad), -1);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "state=a%00b", ok, &bad), -1);
	ps_query_free(&q);
	ck_assert_int_eq(ps_query_parse(&q, "=1", ok, &bad), -1);
	ps_query_free(&q);
}
END_TEST

START_TEST(jws_roundtrip)
{
	EVP_PKEY *k = gen_p256(), *k2 = gen_p256();
	json_t *pl = json_pack("{s:s,s:i}", "request_id", "req_1", "amount", 1234), *out;
	char *j = ps_jws_sign(k, "kid-1", "payterm-request+jws", pl), kid[32];
	const char *d2;
	unsigned char raw[64];
	size_t n;

	ck_assert_ptr_nonnull(j);
	/* three parts, signature = 64 raw bytes (R||S), not DER */
	d2 = strrchr(j, '.');
	ck_assert_int_eq(ptc_b64url_decode(d2 + 1, strlen(d2 + 1), raw, sizeof(raw), &n), 0);
	ck_assert_uint_eq(n, 64);
	ck_assert_int_eq(ps_jws_verify(k, j, &out, kid, sizeof(kid)), 0);
	ck_assert_str_eq(kid, "kid-1");
	ck_assert_int_eq(json_integer_value(json_object_get(out, "amount")), 1234);
	json_decref(out);
	/* another key */
	ck_assert_int_eq(ps_jws_verify(k2, j, &out, NULL, 0), -1);
	ck_assert_ptr_null(out);
	/* tampered payload */
	{
		char *t = strdup(j), *p = strchr(t, '.') + 1;

		p[3] = p[3] == 'A' ? 'B' : 'A';
		ck_assert_int_eq(ps_jws_verify(k, t, &out, NULL, 0), -1);
		free(t);
	}
	/* malformed */
	ck_assert_int_eq(ps_jws_verify(k, "a.b", &out, NULL, 0), -1);
	ck_assert_int_eq(ps_jws_verify(k, "a.b.c.d", &out, NULL, 0), -1);
	ck_assert_int_eq(ps_jws_verify(k, "", &out, NULL, 0), -1);
	free(j);
	json_decref(pl);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
}
END_TEST

START_TEST(jws_alg_none_refused)
{
	EVP_PKEY *k = gen_p256();
	json_t *out;
	/* {"alg":"none"} . {"a":1} . "" */
	ck_assert_int_eq(ps_jws_verify(k, "eyJhbGciOiJub25lIn0.eyJhIjoxfQ.", &out,
				       NULL, 0), -1);
	/* {"alg":"HS256"} with a 64-byte signature of zeros */
	ck_assert_int_eq(ps_jws_verify(k, "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ."
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		&out, NULL, 0), -1);
	EVP_PKEY_free(k);
}
END_TEST

/* base64url and R || S <-> DER: tests/unit/common/test_jws.c */

START_TEST(webhook_hmac)
{
	/* Expected value from an independent implementation:
	 * printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test */
	char hex[65], hdr[128];

	ck_assert_int_eq(ps_whsig_hmac("whsec_test", 1700000000, "{\"a\":1}", 7, hex), 0);
	ck_assert_str_eq(hex, "38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
	ck_assert_int_eq(ps_whsig_header("whsec_test", 1700000000, "{\"a\":1}", 7,
					 hdr, sizeof(hdr)), 0);
	ck_assert_str_eq(hdr, "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
	ck_assert_int_eq(ps_whsig_verify("whsec_test", hdr, "{\"a\":1}", 7, 1700000010, 300), 0);
	ck_assert_int_eq(ps_whsig_verify("whsec_test", hdr, "{\"a\":2}", 7, 1700000010, 300), -1);
	ck_assert_int_eq(ps_whsig_verify("whsec_other", hdr, "{\"a\":1}", 7, 1700000010, 300), -1);
	ck_assert_int_eq(ps_whsig_verify("whsec_test", hdr, "{\"a\":1}", 7, 1700009999, 300), -1);
	ck_assert_int_eq(ps_whsig_verify("whsec_test", "v1=00", "{\"a\":1}", 7, 0, -1), -1);
}
END_TEST

START_TEST(fsm_paths)
{
	ck_assert_int_eq(ps_order_next(PS_OS_PENDING, PS_EV_SUBMIT, 3, 0), PS_OS_AUTHORIZING);
	ck_assert_int_eq(ps_order_next(PS_OS_PENDING, PS_EV_EXPIRE, 3, 0), PS_OS_EXPIRED);
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_APPROVED, 2, 0), PS_OS_PAID);
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_DECLINED, 2, 0), PS_OS_PENDING);
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_DECLINED, 0, 0), PS_OS_DECLINED);
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_BANK_UNAVAILABLE, 0, 0), PS_OS_PENDING);
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_TIMEOUT, 2, 0), PS_OS_REVERSING);
	ck_assert_int_eq(ps_order_next(PS_OS_REVERSING, PS_EV_REVERSAL_ACK, 2, 0), PS_OS_PENDING);
	ck_assert_int_eq(ps_order_next(PS_OS_REVERSING, PS_EV_REVERSAL_ACK, 0, 0), PS_OS_DECLINED);
	ck_assert_int_eq(ps_order_next(PS_OS_REVERSING, PS_EV_REVERSAL_ACK, 2, 1), PS_OS_REVERSED);
	ck_assert_int_eq(ps_order_next(PS_OS_PAID, PS_EV_REVERSE, 0, 0), PS_OS_REVERSING);
}
END_TEST

START_TEST(fsm_forbidden)
{
	int s, e;

	/* a paid order can never be paid / declined / expired again */
	for (e = PS_EV_SUBMIT; e <= PS_EV_EXPIRE; e++)
		if (e != PS_EV_REVERSE)
			ck_assert_int_eq(ps_order_next(PS_OS_PAID, (enum ps_order_event)e, 3, 1),
					 PS_OS_INVALID);
	/* final states accept nothing */
	for (s = PS_OS_DECLINED; s <= PS_OS_REVERSED; s++) {
		if (s == PS_OS_REVERSING)
			continue;
		for (e = PS_EV_SUBMIT; e <= PS_EV_EXPIRE; e++)
			ck_assert_int_eq(ps_order_next((enum ps_order_state)s,
						       (enum ps_order_event)e, 3, 1),
					 PS_OS_INVALID);
		ck_assert(ps_order_state_final((enum ps_order_state)s));
	}
	/* no submit while authorizing: one payment at a time */
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_SUBMIT, 3, 0), PS_OS_INVALID);
	ck_assert_int_eq(ps_order_next(PS_OS_AUTHORIZING, PS_EV_EXPIRE, 3, 0), PS_OS_INVALID);
	for (s = PS_OS_PENDING; s <= PS_OS_REVERSED; s++)
		ck_assert_int_eq(ps_order_state_parse(ps_order_state_name(
			(enum ps_order_state)s)), s);
	ck_assert_int_eq(ps_order_state_parse("bogus"), PS_OS_INVALID);
}
END_TEST

START_TEST(idem_rules)
{
	struct ps_idem_rec none = { 0 }, inflight = { 1, "aa", 0 }, done = { 1, "aa", 1 };

	ck_assert_int_eq(ps_idem_decide(&none, "aa"), PS_IDEM_PROCEED);
	ck_assert_int_eq(ps_idem_decide(NULL, "aa"), PS_IDEM_PROCEED);
	ck_assert_int_eq(ps_idem_decide(&inflight, "aa"), PS_IDEM_IN_FLIGHT);
	ck_assert_int_eq(ps_idem_decide(&done, "aa"), PS_IDEM_REPLAY);
	ck_assert_int_eq(ps_idem_decide(&done, "bb"), PS_IDEM_MISMATCH);
	ck_assert_int_eq(ps_idem_decide(&inflight, "bb"), PS_IDEM_MISMATCH);
	ck_assert(ps_idem_key_ok("abc-123"));
	ck_assert(!ps_idem_key_ok(""));
	ck_assert(!ps_idem_key_ok(NULL));
	ck_assert(!ps_idem_key_ok("a b"));
	ck_assert(!ps_idem_key_ok("a\nb"));
}
END_TEST

START_TEST(masked_pan_rule)
{
	ck_assert(ps_masked_pan_ok("476173******0010"));
	ck_assert(ps_masked_pan_ok("411111******1111"));
	ck_assert(!ps_masked_pan_ok("4761739001010010"));
	ck_assert(!ps_masked_pan_ok("4761739*01010010"));	/* 15 digits */
	ck_assert(!ps_masked_pan_ok("47617******"));		/* too short */
	ck_assert(!ps_masked_pan_ok("476173xxxxxx0010"));
}
END_TEST

START_TEST(sms_template)
{
	char *u = ps_sms_url("http://gw/send?to={to}&text={text}", "+49 1", "a&b=c/ü");

	ck_assert_str_eq(u, "http://gw/send?to=%2B49%201&text=a%26b%3Dc%2F%C3%BC");
	free(u);
}
END_TEST

/* A payer's channel without a gateway is not queued (pull queue only). */
START_TEST(notice_channels)
{
	struct ps_config c;
	char tmpl[] = "http://gw/send?to={to}&text={text}", smtp[] = "smtp://h";

	memset(&c, 0, sizeof(c));
	ck_assert_ptr_null(ps_notice_kind(&c, "phone"));
	ck_assert_ptr_null(ps_notice_kind(&c, "email"));
	ck_assert_ptr_null(ps_notice_kind(&c, "code"));
	ck_assert(!ps_deliver_configured(&c, "sms"));
	ck_assert(!ps_deliver_configured(&c, "email"));
	ck_assert(!ps_deliver_configured(&c, "fax"));
	ck_assert(ps_deliver_configured(&c, "webhook"));
	c.sms_url_template = tmpl;
	ck_assert_str_eq(ps_notice_kind(&c, "phone"), "sms");
	ck_assert_ptr_null(ps_notice_kind(&c, "email"));
	c.smtp_url = smtp;
	ck_assert_str_eq(ps_notice_kind(&c, "email"), "email");
	ck_assert_ptr_null(ps_notice_kind(&c, "code"));
	ck_assert(ps_deliver_configured(&c, "sms") && ps_deliver_configured(&c, "email"));
}
END_TEST

/* Webhook targets: internal addresses by family, IPv4 inside IPv6 too. */
static bool internal(const char *ip)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };

	if (inet_pton(AF_INET, ip, &a4.sin_addr) == 1)
		return ps_addr_internal((struct sockaddr *)&a4, sizeof(a4));
	ck_assert_msg(inet_pton(AF_INET6, ip, &a6.sin6_addr) == 1, "bad test address %s", ip);
	return ps_addr_internal((struct sockaddr *)&a6, sizeof(a6));
}

START_TEST(webhook_targets)
{
	static const char *const inside[] = {
		"127.0.0.1", "127.255.0.9", "0.0.0.0", "10.1.2.3", "100.64.0.1",
		"169.254.169.254", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"192.0.0.8", "198.18.0.1", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
	};
	static const char *const outside[] = {
		"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.0.2.1",
		"169.253.1.1", "2001:db8::1", "2606:4700::1111", "::ffff:8.8.8.8",
		"64:ff9b::808:808",
	};
	struct sockaddr un = { .sa_family = AF_UNIX };

	for (size_t i = 0; i < sizeof(inside) / sizeof(inside[0]); i++)
		ck_assert_msg(internal(inside[i]), "%s not refused", inside[i]);
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++)
		ck_assert_msg(!internal(outside[i]), "%s refused", outside[i]);
	ck_assert(ps_addr_internal(&un, sizeof(un)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("payserver");
	TCase *t = tcase_create("logic");

	tcase_add_test(t, jws_roundtrip);
	tcase_add_test(t, jws_alg_none_refused);
	tcase_add_test(t, webhook_hmac);
	tcase_add_test(t, webhook_targets);
	tcase_add_test(t, fsm_paths);
	tcase_add_test(t, fsm_forbidden);
	tcase_add_test(t, idem_rules);
	tcase_add_test(t, masked_pan_rule);
	tcase_add_test(t, request_hash_field48);
	tcase_add_test(t, sms_template);
	tcase_add_test(t, notice_channels);
	tcase_add_test(t, query_strings);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return pt_check_run(s);
}
