// SPDX-License-Identifier: LGPL-2.1-or-later
/* Unit tests for libpaytermcommon. Test card numbers only. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "payterm-common.h"
#include "../check_main.h"

#define T1 "%B4111111111111111^DOE/JOHN^2512101000000000?"
#define T2 ";4111111111111111=25121010000000000?"

static int p1(const char *s, struct ptc_card *c)
{
	return ptc_track1_parse(s, strlen(s), c);
}

static int p2(const char *s, struct ptc_card *c)
{
	return ptc_track2_parse(s, strlen(s), c);
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

START_TEST(luhn)
{
	ck_assert(ptc_luhn_valid("4111111111111111", 16));
	ck_assert(ptc_luhn_valid("5555555555554444", 16));
	ck_assert(ptc_luhn_valid("4761739001010010", 16));
	ck_assert(ptc_luhn_valid("378282246310005", 15));
	ck_assert(ptc_luhn_valid("6011111111111117", 16));
	ck_assert(!ptc_luhn_valid("4111111111111112", 16));
	ck_assert(!ptc_luhn_valid("41111111111111a1", 16));
	ck_assert(!ptc_luhn_valid("", 0));
	ck_assert(!ptc_luhn_valid(NULL, 3));
}
END_TEST

START_TEST(mask)
{
	char out[PTC_MASKED_PAN_SIZE];

	ck_assert_int_eq(ptc_pan_mask("4111111111111111", 16, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "411111******1111");
	ck_assert_int_eq(ptc_pan_mask("378282246310005", 15, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "378282*****0005");
	ck_assert_int_eq(ptc_pan_mask("123456789012", 12, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "123456**9012");
	ck_assert_int_eq(ptc_pan_mask("4111111111111111111", 19, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "411111*********1111");
	ck_assert_int_eq(ptc_pan_mask("12345678901", 11, out, sizeof(out)), -ERANGE);
	ck_assert_int_eq(ptc_pan_mask("41111111111111111111", 20, out, sizeof(out)), -ERANGE);
	ck_assert_int_eq(ptc_pan_mask("4111111111111111", 16, out, 16), -ENOSPC);
	ck_assert_int_eq(ptc_pan_mask("41111111111x1111", 16, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(ptc_pan_mask(NULL, 16, out, sizeof(out)), -EINVAL);
}
END_TEST

START_TEST(hex_encode)
{
	const unsigned char b[] = { 0x3b, 0x68, 0x00, 0xff };
	char out[16];

	ck_assert_int_eq(ptc_hex_encode(b, 4, out, sizeof(out), 0), 0);
	ck_assert_str_eq(out, "3B6800FF");
	ck_assert_int_eq(ptc_hex_encode(b, 4, out, sizeof(out), ' '), 0);
	ck_assert_str_eq(out, "3B 68 00 FF");
	ck_assert_uint_eq(ptc_hex_encoded_size(4, ' '), 12);
	ck_assert_uint_eq(ptc_hex_encoded_size(4, 0), 9);
	ck_assert_int_eq(ptc_hex_encode(b, 4, out, 11, ' '), -ENOSPC);
	ck_assert_int_eq(ptc_hex_encode(b, 4, out, 8, 0), -ENOSPC);
	ck_assert_int_eq(ptc_hex_encode(b, 0, out, 1, 0), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(hex_decode)
{
	unsigned char out[8];
	size_t n;

	ck_assert_int_eq(ptc_hex_decode("00a4 04:00", out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(out, "\x00\xa4\x04\x00", 4) == 0);
	ck_assert_int_eq(ptc_hex_decode("", out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ptc_hex_decode("  ", out, sizeof(out), &n), 0);
	ck_assert_int_eq(ptc_hex_decode("abc", out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(ptc_hex_decode("a bc", out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(ptc_hex_decode("0g", out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(ptc_hex_decode("0x00", out, sizeof(out), &n), -EINVAL);
	ck_assert_int_eq(ptc_hex_decode("000102030405060708", out, sizeof(out), &n),
			 -ENOSPC);
	ck_assert_int_eq(ptc_hex_decode("00", NULL, 0, &n), -ENOSPC);
	ck_assert_int_eq(ptc_hex_decode(NULL, out, sizeof(out), &n), -EINVAL);
}
END_TEST

START_TEST(hex_lower_strict)
{
	const unsigned char b[] = { 0x3b, 0x68, 0x00, 0xff, 0xab };
	unsigned char out[4];
	char txt[16];
	size_t n;

	ck_assert_int_eq(ptc_hex_encode_lower(b, 5, txt, sizeof(txt)), 0);
	ck_assert_str_eq(txt, "3b6800ffab");
	ck_assert_int_eq(ptc_hex_encode_lower(b, 5, txt, 10), -ENOSPC);
	ck_assert_int_eq(ptc_hex_encode_lower(b, 0, txt, 1), 0);
	ck_assert_str_eq(txt, "");
	/* round trip, either case, and only @hexlen characters are read */
	ck_assert_int_eq(ptc_hex_decode_n("3b6800FFzz", 8, out, sizeof(out), &n),
			 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_mem_eq(out, b, 4);
	/* refused, and nothing written: no separators, odd, bad, too long */
	memset(out, 0x55, sizeof(out));
	ck_assert_int_eq(ptc_hex_decode_n("3b 68", 5, out, sizeof(out), &n),
			 -EINVAL);
	ck_assert_int_eq(ptc_hex_decode_n("3b:68", 5, out, sizeof(out), &n),
			 -EINVAL);
	ck_assert_int_eq(ptc_hex_decode_n("3b6", 3, out, sizeof(out), &n),
			 -EINVAL);
	ck_assert_int_eq(ptc_hex_decode_n("3b6g", 4, out, sizeof(out), &n),
			 -EINVAL);
	/* a bad character is reported before the length */
	ck_assert_int_eq(ptc_hex_decode_n("00112233445g", 12, out, sizeof(out),
					  &n), -EINVAL);
	ck_assert_int_eq(ptc_hex_decode_n("0011223344", 10, out, sizeof(out),
					  &n), -ENOSPC);
	ck_assert_uint_eq(n, 0);
	ck_assert_mem_eq(out, "\x55\x55\x55\x55", 4);
	ck_assert_int_eq(ptc_hex_decode_n("", 0, NULL, 0, &n), 0);
	ck_assert_int_eq(ptc_hex_decode_n("00", 2, out, sizeof(out), NULL),
			 -EINVAL);
}
END_TEST

START_TEST(track1_ok)
{
	struct ptc_card c;

	ck_assert_int_eq(p1(T1, &c), 0);
	ck_assert_int_eq(c.track, 1);
	ck_assert_str_eq(c.pan, "4111111111111111");
	ck_assert_uint_eq(c.pan_len, 16);
	ck_assert_str_eq(c.name, "DOE/JOHN");
	ck_assert_str_eq(c.expiry, "2512");
	ck_assert_str_eq(c.service_code, "101");
	ck_assert_uint_eq(c.discretionary_len, 9);
	ck_assert(!c.lrc_present);
	ptc_card_wipe(&c);
	ck_assert(all_zero(&c, sizeof(c)));

	/* with a correct LRC */
	ck_assert_int_eq(p1(T1 ";", &c), 0);
	ck_assert(c.lrc_present);
	/* other test cards, absent expiry and service code */
	ck_assert_int_eq(p1("%B5555555555554444^MASTER/TEST CARD^^^?", &c), 0);
	ck_assert_str_eq(c.pan, "5555555555554444");
	ck_assert_str_eq(c.name, "MASTER/TEST CARD");
	ck_assert_str_eq(c.expiry, "");
	ck_assert_str_eq(c.service_code, "");
	ck_assert_int_eq(p1("%B4761739001010010^VISA/TEST^2212^?", &c), 0);
	ck_assert_str_eq(c.expiry, "2212");
	ck_assert_str_eq(c.service_code, "");
	ck_assert_int_eq(p1("%B4761739001010010^VISA/TEST^^201?", &c), 0);
	ck_assert_str_eq(c.expiry, "");
	ck_assert_str_eq(c.service_code, "201");
	ck_assert(ptc_service_code_chip(c.service_code));
	ptc_card_wipe(&c);
}
END_TEST

START_TEST(track1_bad)
{
	struct ptc_card c;
	char longt[100];

	ck_assert_int_eq(p1("B4111111111111111^DOE/JOHN^2512101?", &c), -EBADMSG);
	ck_assert(all_zero(&c, sizeof(c)));
	ck_assert_int_eq(p1("%A4111111111111111^DOE/JOHN^2512101?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN^2512101", &c), -EBADMSG);
	ck_assert(all_zero(&c, sizeof(c)));
	ck_assert_int_eq(p1("%B4111111111111111DOE/JOHN^2512101?", &c), -EILSEQ);
	ck_assert_int_eq(p1("%B4111111111111111?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN2512101?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^D^2512101?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^ABCDEFGHIJKLMNOPQRSTUVWXYZA^2512101?", &c),
			 -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^doe/john^2512101?", &c), -EILSEQ);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN^2513101?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN^25A2101?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN^251?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN^25121?", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B41111111111^DOE/JOHN^2512101?", &c), -ERANGE);
	ck_assert_int_eq(p1("%B41111111111111111111^DOE/JOHN^2512101?", &c), -ERANGE);
	ck_assert_int_eq(p1("%B4111111111111112^DOE/JOHN^2512101?", &c), -EDOM);
	ck_assert(all_zero(&c, sizeof(c)));
	ck_assert_int_eq(p1(T1 "A", &c), -EPROTO);
	ck_assert_int_eq(p1(T1 ";;", &c), -EBADMSG);
	ck_assert_int_eq(p1("%B4111111111111111^DOE/JOHN^2512101%0?", &c), -EILSEQ);
	ck_assert_int_eq(ptc_track1_parse("%B4111\n", 7, &c), -EILSEQ);
	ck_assert_int_eq(ptc_track1_parse(T1, 1, &c), -EBADMSG);
	ck_assert_int_eq(ptc_track1_parse(T1, 0, &c), -EBADMSG);
	ck_assert_int_eq(ptc_track1_parse(NULL, 0, &c), -EINVAL);
	/* 80 characters: one too many */
	memset(longt, '0', sizeof(longt));
	memcpy(longt, T1, strlen(T1) - 1);
	longt[79] = '?';
	ck_assert_int_eq(ptc_track1_parse(longt, 80, &c), -EMSGSIZE);
	longt[78] = '?';
	ck_assert_int_eq(ptc_track1_parse(longt, 79, &c), 0);
	ck_assert_uint_eq(c.discretionary_len, 78 - 35);
	ptc_card_wipe(&c);
}
END_TEST

START_TEST(track2_ok)
{
	struct ptc_card c;

	ck_assert_int_eq(p2(T2, &c), 0);
	ck_assert_int_eq(c.track, 2);
	ck_assert_str_eq(c.pan, "4111111111111111");
	ck_assert_str_eq(c.name, "");
	ck_assert_str_eq(c.expiry, "2512");
	ck_assert_str_eq(c.service_code, "101");
	ck_assert(!ptc_service_code_chip(c.service_code));
	ck_assert_uint_eq(c.discretionary_len, 10);
	ck_assert_int_eq(p2(T2 "8", &c), 0);
	ck_assert(c.lrc_present);
	ck_assert_int_eq(p2(";5555555555554444=?", &c), -EBADMSG);
	ck_assert_int_eq(p2(";5555555555554444==?", &c), -EBADMSG);
	ck_assert_int_eq(p2(";5555555555554444===?", &c), 0);
	ck_assert_str_eq(c.expiry, "");
	ck_assert_str_eq(c.service_code, "");
	ck_assert_int_eq(p2(";4761739001010010=2212201?", &c), 0);
	ck_assert_str_eq(c.service_code, "201");
	ck_assert_int_eq(ptc_track_parse(T2, strlen(T2), &c), 0);
	ck_assert_int_eq(c.track, 2);
	ck_assert_int_eq(ptc_track_parse(T1, strlen(T1), &c), 0);
	ck_assert_int_eq(c.track, 1);
	ck_assert_int_eq(ptc_track_parse("x", 1, &c), -EBADMSG);
	ptc_card_wipe(&c);
}
END_TEST

START_TEST(track2_bad)
{
	struct ptc_card c;

	ck_assert_int_eq(p2("4111111111111111=2512101?", &c), -EBADMSG);
	ck_assert_int_eq(p2(";4111111111111111=2512101", &c), -EBADMSG);
	ck_assert_int_eq(p2(";4111111111111111^2512101?", &c), -EILSEQ);
	ck_assert_int_eq(p2(";4111111111111111=2512101A?", &c), -EILSEQ);
	ck_assert_int_eq(p2(";4111111111111111=2512101:?", &c), -EILSEQ);
	ck_assert_int_eq(p2(";4111111111111111=2512101=?", &c), -EILSEQ);
	ck_assert_int_eq(p2(";4111111111111111=2500101?", &c), -EBADMSG);
	ck_assert_int_eq(p2(";4111111111111111?", &c), -EBADMSG);
	ck_assert_int_eq(p2(";41111111111=2512101?", &c), -ERANGE);
	ck_assert_int_eq(p2(";4111111111111113=2512101?", &c), -EDOM);
	ck_assert_int_eq(p2(T2 "9", &c), -EPROTO);
	ck_assert(all_zero(&c, sizeof(c)));
	/* 41 characters */
	ck_assert_int_eq(p2(";4111111111111111=2512101000000000000000?", &c), -EMSGSIZE);
	ck_assert_int_eq(p2(";4111111111111111=251210100000000000000?", &c), 0);
	ptc_card_wipe(&c);
}
END_TEST

START_TEST(expiry)
{
	int y, m;

	ck_assert_int_eq(ptc_expiry_parse("2512", &y, &m), 0);
	ck_assert_int_eq(y, 2025);
	ck_assert_int_eq(m, 12);
	ck_assert_int_eq(ptc_expiry_parse("0001", &y, &m), 0);
	ck_assert_int_eq(ptc_expiry_parse("2500", &y, &m), -EINVAL);
	ck_assert_int_eq(ptc_expiry_parse("2513", &y, &m), -EINVAL);
	ck_assert_int_eq(ptc_expiry_parse("251", &y, &m), -EINVAL);
	ck_assert_int_eq(ptc_expiry_parse("25123", &y, &m), -EINVAL);
	ck_assert_int_eq(ptc_expiry_parse(NULL, &y, &m), -EINVAL);
}
END_TEST

START_TEST(wipe)
{
	char *p = malloc(32);

	ck_assert_ptr_nonnull(p);
	memset(p, 'A', 32);
	ptc_wipe(p, 32);
	ck_assert(all_zero(p, 32));
	ptc_wipe(NULL, 5);
	ptc_wipe_free(p, 32);
	ptc_wipe_free(NULL, 0);
	ck_assert_str_eq(ptc_strerror(-EDOM), "PAN check digit (Luhn) wrong");
	ck_assert_str_eq(ptc_strerror(-12345), "error");
}
END_TEST

/* ---- BER-TLV ---- */

static int next_all(const uint8_t *b, size_t len, unsigned int flags,
		    struct ptc_tlv *t, size_t max, size_t *n)
{
	size_t off = 0;
	int r;

	*n = 0;
	while ((r = ptc_tlv_next(b, len, &off, &t[*n], flags)) > 0)
		if (++*n == max)
			break;
	return r < 0 ? r : 0;
}

START_TEST(tlv_parse)
{
	/* 9F26 (2-byte tag), 82, padding 00 FF, DF8101 (3-byte tag) */
	static const uint8_t b[] = {
		0x9f, 0x26, 0x02, 0x11, 0x22, 0x82, 0x02, 0x18, 0x00,
		0x00, 0xff, 0xdf, 0x81, 0x01, 0x01, 0x7e,
	};
	/* 6F { 84 .., A5 { 88 01 01, 5F2D 02 "en" } } */
	static const uint8_t fci[] = {
		0x6f, 0x11, 0x84, 0x02, 'A', 'B', 0xa5, 0x0b, 0x88, 0x01,
		0x01, 0x5f, 0x2d, 0x02, 'e', 'n', 0x00, 0x00, 0x00,
	};
	struct ptc_tlv t[4];
	size_t n;

	ck_assert_int_eq(next_all(b, sizeof(b), 0, t, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(t[0].tag, 0x9f26);
	ck_assert_uint_eq(t[0].len, 2);
	ck_assert_ptr_eq(t[0].value, b + 3);
	ck_assert(!t[0].constructed);
	ck_assert_uint_eq(t[1].tag, 0x82);
	ck_assert_uint_eq(t[2].tag, 0xdf8101);
	ck_assert_uint_eq(t[2].value[0], 0x7e);
	/* strict: the same without padding parses, with padding not */
	ck_assert_int_eq(next_all(b, 9, PTC_TLV_STRICT, t, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(next_all(b, sizeof(b), PTC_TLV_STRICT, t, 4, &n),
			 -EBADMSG);
	/* nested find, validate */
	ck_assert_int_eq(ptc_tlv_find(fci, sizeof(fci), 0x5f2d, t), 1);
	ck_assert_uint_eq(t[0].len, 2);
	ck_assert_int_eq(memcmp(t[0].value, "en", 2), 0);
	ck_assert_int_eq(ptc_tlv_find(fci, sizeof(fci), 0xa5, t), 1);
	ck_assert(t[0].constructed);
	ck_assert_int_eq(ptc_tlv_find(fci, sizeof(fci), 0x9f38, t), 0);
	ck_assert_int_eq(ptc_tlv_validate(fci, sizeof(fci)), 0);
	ck_assert_int_eq(ptc_tlv_validate(fci, 10), -EBADMSG);
}
END_TEST

START_TEST(tlv_malformed)
{
	static const struct {
		const char *b;
		size_t len;
		int lenient, strict;	/* objects, or -EBADMSG */
	} c[] = {
		{ "\x9f", 1, -EBADMSG, -EBADMSG },		/* tag cut */
		{ "\x9f\xff\xff\x01\x00", 5, -EBADMSG, -EBADMSG }, /* 4-byte tag */
		{ "\x82", 1, -EBADMSG, -EBADMSG },		/* no length */
		{ "\x82\x03\x00\x00", 4, -EBADMSG, -EBADMSG },	/* value cut */
		{ "\x82\x80", 2, -EBADMSG, -EBADMSG },		/* indefinite */
		{ "\x82\x84\0\0\0\0", 6, -EBADMSG, -EBADMSG },	/* 4 length bytes */
		{ "\x82\x82\x00", 3, -EBADMSG, -EBADMSG },	/* length cut */
		{ "\x82\x81\x01\x00", 4, 1, -EBADMSG },		/* 81 for < 80 */
		{ "\x82\x82\x00\x01\x00", 5, 1, -EBADMSG },	/* leading 00 */
		{ "\x82\x83\0\0\0", 5, 1, -EBADMSG },
		{ "\x00\x82\x00", 3, 1, -EBADMSG },		/* padding */
		{ "\xff", 1, 0, -EBADMSG },
		{ "", 0, 0, 0 },
	};
	struct ptc_tlv t[4];
	size_t i, n;
	int r;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = next_all((const uint8_t *)c[i].b, c[i].len, 0, t, 4, &n);
		ck_assert_msg((r ? r : (int)n) == c[i].lenient, "case %zu lenient: %d",
			      i, r ? r : (int)n);
		r = next_all((const uint8_t *)c[i].b, c[i].len, PTC_TLV_STRICT, t, 4,
			     &n);
		ck_assert_msg((r ? r : (int)n) == c[i].strict, "case %zu strict: %d",
			      i, r ? r : (int)n);
	}
}
END_TEST

START_TEST(tlv_put_dol)
{
	static uint8_t big[300], out[320];
	size_t off = 0, n, l, i;
	struct ptc_tlv t;
	uint32_t tag;

	ck_assert_int_eq(ptc_tlv_put(out, sizeof(out), &off, 0x9f02,
				     (const uint8_t *)"\0\0\0\0\x12\x34", 6), 0);
	ck_assert_uint_eq(off, 9);
	ck_assert_int_eq(memcmp(out, "\x9f\x02\x06\0\0\0\0\x12\x34", 9), 0);
	ck_assert_int_eq(ptc_tlv_put(out, 16, &off, 0x5a, out, 8), -ENOSPC);
	ck_assert_uint_eq(off, 9);
	/* length forms: 81 xx, 82 xx xx; each reads back strictly */
	off = 0;
	ck_assert_int_eq(ptc_tlv_put(out, sizeof(out), &off, 0x91, big, 0x80), 0);
	ck_assert_int_eq(memcmp(out, "\x91\x81\x80", 3), 0);
	n = 0;
	ck_assert_int_eq(ptc_tlv_next(out, off, &n, &t, PTC_TLV_STRICT), 1);
	ck_assert_uint_eq(t.len, 0x80);
	off = 0;
	ck_assert_int_eq(ptc_tlv_put(out, sizeof(out), &off, 0xdf8101, big, 300), 0);
	ck_assert_uint_eq(off, 3 + 3 + 300);
	ck_assert_int_eq(memcmp(out, "\xdf\x81\x01\x82\x01\x2c", 6), 0);
	n = 0;
	ck_assert_int_eq(ptc_tlv_next(out, off, &n, &t, PTC_TLV_STRICT), 1);
	ck_assert_uint_eq(t.tag, 0xdf8101);
	ck_assert_uint_eq(t.len, 300);
	off = 0;
	ck_assert_int_eq(ptc_tlv_put(out, sizeof(out), &off, 0x5a, big, 0x10000),
			 -EINVAL);
	/* DOL: tag, length pairs */
	ck_assert_int_eq(ptc_hex_decode("9F02069F1A0295055F2A029A039C01", out,
					sizeof(out), &l), 0);
	off = 0;
	ck_assert_int_eq(ptc_dol_next(out, l, &off, &tag, &n), 1);
	ck_assert_uint_eq(tag, 0x9f02);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(ptc_dol_next(out, l, &off, &tag, &n), 1);
	ck_assert_uint_eq(tag, 0x9f1a);
	ck_assert_uint_eq(n, 2);
	for (i = 2; ptc_dol_next(out, l, &off, &tag, &n) == 1;)
		i++;
	ck_assert_uint_eq(i, 6);
	ck_assert_uint_eq(off, l);
	ck_assert_int_eq(ptc_dol_next((const uint8_t *)"\x9f\x02", 2, &(size_t){0},
				      &tag, &n), -EBADMSG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, luhn);
	tcase_add_test(tc, mask);
	tcase_add_test(tc, hex_encode);
	tcase_add_test(tc, hex_decode);
	tcase_add_test(tc, hex_lower_strict);
	tcase_add_test(tc, track1_ok);
	tcase_add_test(tc, track1_bad);
	tcase_add_test(tc, track2_ok);
	tcase_add_test(tc, track2_bad);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, wipe);
	tcase_add_test(tc, tlv_parse);
	tcase_add_test(tc, tlv_malformed);
	tcase_add_test(tc, tlv_put_dol);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
