// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the privsep channel's messages (privsep_proto.c).  Every type
 * round-trips; each decoder takes only its own direction; wrong lengths,
 * unknown types, fields over their bounds and values out of range are
 * refused with a reason.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../../daemon/paytermd/config.h"
#include "../../../daemon/paytermd/privsep_proto.h"
#include "../../../daemon/paytermd/txn.h"
#include "../check_main.h"

static uint8_t buf[PP_MSG_MAX + 8];
static char err[200];

static int enc(const struct pp_msg *m)
{
	int n = pp_encode(m, buf, PP_MSG_MAX);

	ck_assert_int_gt(n, 0);
	return n;
}

static struct pp_msg start_msg(void)
{
	struct pp_msg m = { .type = PP_START, .txn = 7 };

	m.u.start.amount = 1234;
	strcpy(m.u.start.currency, "978");
	for (unsigned i = 0; i < sizeof(m.u.start.req_hash); i++)
		m.u.start.req_hash[i] = (uint8_t)(0xA0 + i);
	m.u.start.modes = PD_ENTRY_ALL;
	m.u.start.n_readers = 2;
	strcpy(m.u.start.readers[0], "/dev/payterm0");
	strcpy(m.u.start.readers[1], "/dev/payterm12");
	return m;
}

static struct pp_msg sealed_msg(void)
{
	struct pp_msg m = { .type = PP_SEALED, .txn = 9 };
	struct pd_sealed *s = &m.u.sealed;

	s->aes = true;
	s->pin_format = 4;
	memset(s->f53, 0x11, sizeof(s->f53));
	s->ksn_len = 12;
	memset(s->ksn, 0x22, 12);
	s->pinblock_len = 16;
	memset(s->pinblock, 0x33, 16);
	s->f62_len = 32;
	memset(s->f62, 0x44, 32);
	s->f55_len = 3;
	memcpy(s->f55, "\x9f\x26\x00", 3);
	strcpy(s->amount, "000000001234");
	strcpy(s->entry_mode, "051");
	strcpy(s->currency, "978");
	memset(s->mac, 0x55, 8);
	return m;
}

START_TEST(t_roundtrip_card)
{
	struct pp_msg m = start_msg(), o;
	int n = enc(&m);

	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.type, PP_START);
	ck_assert_uint_eq(o.txn, 7);
	ck_assert_uint_eq(o.u.start.amount, 1234);
	ck_assert_str_eq(o.u.start.currency, "978");
	ck_assert_mem_eq(o.u.start.req_hash, m.u.start.req_hash,
			 sizeof(o.u.start.req_hash));
	ck_assert_uint_eq(o.u.start.n_readers, 2);
	ck_assert_str_eq(o.u.start.readers[1], "/dev/payterm12");

	m = (struct pp_msg){ .type = PP_CHECK_MAC, .txn = 3 };
	m.u.check_mac.flags = PP_F_RC | PP_F_MAC;
	strcpy(m.u.check_mac.rc, "00");
	strcpy(m.u.check_mac.mac, "0123456789ABCDEF");
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.u.check_mac.mac, "0123456789ABCDEF");
	ck_assert_str_eq(o.u.check_mac.auth, "");
	ck_assert_uint_eq(o.u.check_mac.flags, PP_F_RC | PP_F_MAC);

	m = (struct pp_msg){ .type = PP_SIGN, .txn = 11 };
	m.u.sign.digest_len = 32;
	memset(m.u.sign.digest, 0xab, 32);
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.u.sign.digest_len, 32);
	ck_assert_uint_eq(o.txn, 11);

	m = (struct pp_msg){ .type = PP_END, .txn = 3 };
	n = enc(&m);
	ck_assert_int_eq(n, PP_HDR_LEN + 4);
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)), 0);
	m = (struct pp_msg){ .type = PP_RELOAD };
	n = enc(&m);
	ck_assert_int_eq(n, PP_HDR_LEN);
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)), 0);
}
END_TEST

START_TEST(t_roundtrip_front)
{
	struct pp_msg m = sealed_msg(), o;
	int n = enc(&m);

	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert(!memcmp(&o.u.sealed.f62, &m.u.sealed.f62, 32));
	ck_assert_uint_eq(o.u.sealed.f62_len, 32);
	ck_assert_uint_eq(o.u.sealed.ksn_len, 12);
	ck_assert_int_eq(o.u.sealed.pin_format, 4);
	ck_assert_str_eq(o.u.sealed.amount, "000000001234");
	ck_assert(!memcmp(o.u.sealed.mac, m.u.sealed.mac, 8));

	/* no PIN (tap under the CVM limit) */
	m.u.sealed.pin_format = -1;
	m.u.sealed.pinblock_len = 0;
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(o.u.sealed.pin_format, -1);

	m = (struct pp_msg){ .type = PP_UPDATE, .txn = 1 };
	m.u.update.state = PD_ST_WAIT_PIN;
	strcpy(m.u.update.entry_mode, "chip");
	strcpy(m.u.update.masked_pan, "476173******0119");
	m.u.update.pin_digits = 3;
	strcpy(m.u.update.message, "Enter PIN");
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.u.update.masked_pan, "476173******0119");
	ck_assert_uint_eq(o.u.update.pin_digits, 3);

	m = (struct pp_msg){ .type = PP_STARTED, .txn = 1 };
	m.u.started.err = -ENODEV;
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_int_eq(o.u.started.err, -ENODEV);

	m = (struct pp_msg){ .type = PP_KEYS };
	m.u.keys.ready = 1;
	m.u.keys.aes = 1;
	m.u.keys.dk_type = 3;
	m.u.keys.tls_key = 1;
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.u.keys.dk_type, 3);
	ck_assert_uint_eq(o.u.keys.tls_key, 1);

	m = (struct pp_msg){ .type = PP_SIGNED, .txn = 4 };
	m.u.signed_.sig_len = 71;
	memset(m.u.signed_.sig, 0x30, 71);
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.u.signed_.sig_len, 71);

	m = (struct pp_msg){ .type = PP_FINISHED, .txn = 2 };
	m.u.finished.state = PD_ST_DECLINED;
	strcpy(m.u.finished.result_code, "54");
	strcpy(m.u.finished.message, "Card expired");
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.u.finished.result_code, "54");
}
END_TEST

/* each side takes only what the other may send */
START_TEST(t_direction)
{
	struct pp_msg m = start_msg(), o;
	int n = enc(&m);

	ck_assert_int_eq(pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)),
			 -EBADMSG);
	ck_assert(strstr(err, "unexpected START"));
	m = sealed_msg();
	n = enc(&m);
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)),
			 -EBADMSG);
	ck_assert(strstr(err, "unexpected SEALED"));
}
END_TEST

START_TEST(t_lengths)
{
	struct pp_msg m = start_msg(), o;
	int n = enc(&m);

	/* every truncation, and the length field lying either way */
	for (int k = 0; k < n; k++) {
		ck_assert_int_eq(pp_decode_for_card(buf, (size_t)k, &o, err,
						    sizeof(err)), -EBADMSG);
		ck_assert(err[0]);
	}
	buf[n] = 0;
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n + 1, &o, err, sizeof(err)),
			 -EBADMSG);
	ck_assert(strstr(err, "length field"));
	/* a consistent header with a trailing byte */
	buf[2]++;
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n + 1, &o, err, sizeof(err)),
			 -EBADMSG);
	ck_assert(strstr(err, "trailing"));
	/* too big for the channel */
	ck_assert_int_eq(pp_decode_for_card(buf, PP_MSG_MAX + 1, &o, err, sizeof(err)),
			 -EBADMSG);
	/* a string longer than its field */
	m = start_msg();
	n = enc(&m);
	buf[PP_HDR_LEN + 4 + 8] = 4;		/* currency length */
	ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)),
			 -EBADMSG);
	ck_assert(strstr(err, "currency"));
}
END_TEST

START_TEST(t_unknown_type)
{
	struct pp_msg o;
	uint8_t b[8] = { 0 };

	for (unsigned t = 0; t < 300; t++) {
		b[0] = (uint8_t)t;
		b[1] = (uint8_t)(t >> 8);
		b[2] = 4;		/* a txn's worth of body */
		if ((t >= 1 && t <= 3))
			continue;
		if (t == PP_SIGN) {	/* u16 0: an empty digest */
			ck_assert_int_eq(pp_decode_for_card(b, 8, &o, err, sizeof(err)), -EBADMSG);
			continue;
		}
		if (t == PP_RELOAD) {
			b[2] = 0;
			ck_assert_int_eq(pp_decode_for_card(b, 4, &o, err, sizeof(err)), 0);
			continue;
		}
		ck_assert_int_eq(pp_decode_for_card(b, 8, &o, err, sizeof(err)), -EBADMSG);
	}
	b[0] = 0x34;
	b[1] = 0x12;
	b[2] = 4;
	ck_assert_int_eq(pp_decode_for_front(b, 8, &o, err, sizeof(err)), -EBADMSG);
	ck_assert(strstr(err, "type 4660"));
}
END_TEST

static void expect_bad(const struct pp_msg *m, const char *why, bool for_card)
{
	struct pp_msg o;
	int n = pp_encode(m, buf, PP_MSG_MAX);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(for_card ? pp_decode_for_card(buf, (size_t)n, &o, err, sizeof(err)) :
			 pp_decode_for_front(buf, (size_t)n, &o, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_msg(strstr(err, why), "'%s' lacks '%s'", err, why);
}

START_TEST(t_values)
{
	struct pp_msg m;

	m = start_msg();
	strcpy(m.u.start.readers[1], "/dev/sda");
	expect_bad(&m, "not a /dev/paytermN", true);
	m = start_msg();
	strcpy(m.u.start.readers[0], "/dev/payterm0/../sda");
	expect_bad(&m, "not a /dev/paytermN", true);
	m = start_msg();
	m.u.start.modes = 8;
	expect_bad(&m, "modes", true);
	m = start_msg();
	m.u.start.n_readers = 0;
	expect_bad(&m, "0 readers", true);
	m = start_msg();
	strcpy(m.u.start.currency, "EUR");
	expect_bad(&m, "currency", true);
	/* the request hash (field 48) is fixed 32 bytes and must be set */
	m = start_msg();
	memset(m.u.start.req_hash, 0, sizeof(m.u.start.req_hash));
	expect_bad(&m, "req_hash not set", true);
	m = start_msg();
	memset(m.u.start.req_hash, 0, sizeof(m.u.start.req_hash) - 1);
	{
		struct pp_msg o;
		int n = pp_encode(&m, buf, PP_MSG_MAX);

		ck_assert_int_eq(pp_decode_for_card(buf, (size_t)n, &o, err,
						    sizeof(err)), 0);
		ck_assert_uint_eq(o.u.start.req_hash[31], 0xA0 + 31);
	}

	m = (struct pp_msg){ .type = PP_UPDATE, .txn = 1 };
	strcpy(m.u.update.masked_pan, "4761739001010119");	/* a whole PAN */
	expect_bad(&m, "masked_pan", false);
	strcpy(m.u.update.masked_pan, "476173******01");
	expect_bad(&m, "masked_pan", false);
	m.u.update.masked_pan[0] = '\0';
	strcpy(m.u.update.entry_mode, "wire");
	expect_bad(&m, "entry_mode", false);
	m.u.update.entry_mode[0] = '\0';
	m.u.update.state = 42;
	expect_bad(&m, "state", false);
	m.u.update.state = 0;
	m.u.update.pin_digits = 13;
	expect_bad(&m, "pin_digits", false);

	m = (struct pp_msg){ .type = PP_FINISHED, .txn = 1 };
	m.u.finished.state = PD_ST_WAIT_CARD;
	expect_bad(&m, "not final", false);
	/* only the bank approves */
	m.u.finished.state = PD_ST_APPROVED;
	expect_bad(&m, "approval", false);

	m = sealed_msg();
	m.u.sealed.pin_format = 2;
	expect_bad(&m, "pin_format", false);
	m = sealed_msg();
	m.u.sealed.ksn_len = 7;
	expect_bad(&m, "ksn", false);
	m = sealed_msg();
	m.u.sealed.pin_format = -1;		/* a PIN block without a format */
	expect_bad(&m, "disagree", false);
	m = sealed_msg();
	m.u.sealed.f62_len = 0;
	expect_bad(&m, "f62", false);
	m = sealed_msg();
	strcpy(m.u.sealed.amount, "12");
	expect_bad(&m, "numeric", false);

	m = (struct pp_msg){ .type = PP_STARTED, .txn = 1 };
	m.u.started.err = 5;
	expect_bad(&m, "err", false);
	m = (struct pp_msg){ .type = PP_MAC_RESULT, .txn = 1 };
	m.u.mac_result.result = 9;
	expect_bad(&m, "result", false);
	m = (struct pp_msg){ .type = PP_KEYS };
	m.u.keys.ready = 2;
	expect_bad(&m, "0/1", false);
	m = (struct pp_msg){ .type = PP_SIGN, .txn = 1 };
	expect_bad(&m, "digest empty", true);
}
END_TEST

/* the encoder refuses what would not fit or not decode */
START_TEST(t_encode_refuses)
{
	struct pp_msg m = { .type = PP_CHECK_MAC, .txn = 1 };

	strcpy(m.u.check_mac.mac, "0123\n");
	ck_assert_int_eq(pp_encode(&m, buf, PP_MSG_MAX), -EINVAL);
	m = start_msg();
	m.u.start.n_readers = PP_READERS_MAX + 1;
	ck_assert_int_eq(pp_encode(&m, buf, PP_MSG_MAX), -EINVAL);
	m = (struct pp_msg){ .type = 99 };
	ck_assert_int_eq(pp_encode(&m, buf, PP_MSG_MAX), -EINVAL);
	m = sealed_msg();
	ck_assert_int_eq(pp_encode(&m, buf, 20), -EINVAL);
	m.u.sealed.f62_len = PD_F62_MAX + 1;
	ck_assert_int_eq(pp_encode(&m, buf, PP_MSG_MAX), -EINVAL);
}
END_TEST

START_TEST(t_devnode)
{
	ck_assert(pp_devnode_ok("/dev/payterm0"));
	ck_assert(pp_devnode_ok("/dev/payterm999"));
	ck_assert(!pp_devnode_ok("/dev/payterm"));
	ck_assert(!pp_devnode_ok("/dev/payterm1000"));
	ck_assert(!pp_devnode_ok("/dev/payterm-virt"));
	ck_assert(!pp_devnode_ok("/dev/payterm1x"));
	ck_assert(!pp_devnode_ok("/tmp/dev/payterm1"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("privsep");
	TCase *tc = tcase_create("proto");

	tcase_add_test(tc, t_roundtrip_card);
	tcase_add_test(tc, t_roundtrip_front);
	tcase_add_test(tc, t_direction);
	tcase_add_test(tc, t_lengths);
	tcase_add_test(tc, t_unknown_type);
	tcase_add_test(tc, t_values);
	tcase_add_test(tc, t_encode_refuses);
	tcase_add_test(tc, t_devnode);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pt_check_run(suite());
}
