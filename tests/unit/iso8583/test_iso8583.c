// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the ISO 8583 codec (server/iso8583). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iso8583.h"
#include "../check_main.h"

static void build_0200(struct iso8583_msg *m)
{
	uint8_t f53[48] = { 1, 2, 4, 0, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12,
			    0x34, 0x56, 0, 0, 0, 1 };
	uint8_t mac[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t enc[32];

	memset(enc, 0xA5, sizeof(enc));
	ck_assert_int_eq(iso8583_init(m, "0200"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 3, "000000"), ISO_OK);
	ck_assert_int_eq(iso8583_set_num(m, 4, 1234), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 7, "1125182530"), ISO_OK);
	ck_assert_int_eq(iso8583_set_num(m, 11, 42), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 12, "182530"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 13, "1125"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 22, "901"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 41, "TERM0001"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 42, "MERCHANT1"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(m, 49, "978"), ISO_OK);
	ck_assert_int_eq(iso8583_set(m, 53, f53, sizeof(f53)), ISO_OK);
	ck_assert_int_eq(iso8583_set_hex(m, 62, enc, sizeof(enc)), ISO_OK);
	ck_assert_int_eq(iso8583_set(m, 64, mac, 8), ISO_OK);
}

START_TEST(t_roundtrip)
{
	static struct iso8583_msg m, u;
	uint8_t buf[ISO8583_MAX_MSG];
	size_t len, l;
	int bad;
	char s[64];
	unsigned long long v;
	uint8_t bin[64];

	build_0200(&m);
	ck_assert_int_eq(iso8583_pack(&m, buf, sizeof(buf), &len), ISO_OK);
	ck_assert_mem_eq(buf, "0200", 4);
	/* fields 3 4 7 11 12 13 22 41 42 49 53 62 64, no secondary bitmap */
	ck_assert_uint_eq(buf[4], 0x32);	/* 3,4,7 */
	ck_assert_uint_eq(buf[5], 0x38);	/* 11,12,13 */
	ck_assert_uint_eq(buf[6], 0x04);	/* 22 */
	ck_assert_uint_eq(buf[7], 0x00);
	ck_assert_uint_eq(buf[8], 0x00);	/* 33..40 */
	ck_assert_uint_eq(buf[9], 0xC0);	/* 41,42 */
	ck_assert_uint_eq(buf[10], 0x80 | 0x08);	/* 49, 53 */
	ck_assert_uint_eq(buf[11], 0x04 | 0x01);	/* 62, 64 */
	ck_assert_mem_eq(buf + 12, "000000000000001234", 18);
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad), ISO_OK);
	ck_assert_str_eq(u.mti, "0200");
	ck_assert_int_eq(iso8583_get_str(&u, 41, s, sizeof(s)), ISO_OK);
	ck_assert_str_eq(s, "TERM0001");
	ck_assert_int_eq(iso8583_get_str(&u, 42, s, sizeof(s)), ISO_OK);
	ck_assert_str_eq(s, "MERCHANT1      ");
	ck_assert_int_eq(iso8583_get_num(&u, 4, &v), ISO_OK);
	ck_assert_uint_eq(v, 1234);
	ck_assert_int_eq(iso8583_get_num(&u, 11, &v), ISO_OK);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(iso8583_get_hex(&u, 62, bin, sizeof(bin), &l), ISO_OK);
	ck_assert_uint_eq(l, 32);
	ck_assert_uint_eq(bin[31], 0xA5);
	ck_assert_int_eq(iso8583_has(&u, 2), 0);
	ck_assert_ptr_null(iso8583_get(&u, 2, NULL));
	ck_assert_int_eq(iso8583_get_str(&u, 2, s, sizeof(s)), ISO_ERR_MISSING);
	/* repack is byte-identical */
	{
		uint8_t buf2[ISO8583_MAX_MSG];
		size_t len2;

		ck_assert_int_eq(iso8583_pack(&u, buf2, sizeof(buf2), &len2),
				 ISO_OK);
		ck_assert_uint_eq(len2, len);
		ck_assert_mem_eq(buf2, buf, len);
	}
	iso8583_wipe(&u);
	ck_assert_uint_eq(u.used, 0);
}
END_TEST

START_TEST(t_secondary_bitmap)
{
	static struct iso8583_msg m, u;
	uint8_t buf[256];
	size_t len;

	ck_assert_int_eq(iso8583_init(&m, "0800"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(&m, 7, "1125182530"), ISO_OK);
	ck_assert_int_eq(iso8583_set_num(&m, 11, 1), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(&m, 70, "301"), ISO_OK);
	ck_assert_int_eq(iso8583_pack(&m, buf, sizeof(buf), &len), ISO_OK);
	ck_assert_uint_eq(len, 4 + 16 + 10 + 6 + 3);
	ck_assert_uint_eq(buf[4], 0x82);	/* 1 and 7 */
	ck_assert_uint_eq(buf[12 + 0], 0x04);	/* 70 = bit 6 of 2nd bitmap */
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, NULL), ISO_OK);
	ck_assert_int_eq(iso8583_has(&u, 70), 1);
	/* field 1 set but the message ends in the secondary bitmap */
	ck_assert_int_eq(iso8583_unpack(&u, buf, 15, NULL), ISO_ERR_TRUNCATED);
	/* without field 70 pack leaves field 1 and the secondary bitmap out */
	iso8583_unset(&m, 70);
	ck_assert_int_eq(iso8583_pack(&m, buf, sizeof(buf), &len), ISO_OK);
	ck_assert_uint_eq(len, 4 + 8 + 10 + 6);
	ck_assert_uint_eq(buf[4], 0x02);	/* 7 */
}
END_TEST

START_TEST(t_empty_secondary_bitmap)
{
	static struct iso8583_msg u;
	/* 0800 with fields 1, 7 and 11: a secondary bitmap naming no field */
	static const uint8_t msg[] = "0800"
		"\x82\x20\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x00"
		"1125182530" "000001";
	char stan[7];
	int bad = -2;

	ck_assert_int_eq(iso8583_unpack(&u, msg, sizeof(msg) - 1, &bad),
			 ISO_ERR_BITMAP);
	ck_assert_int_eq(bad, 1);
	ck_assert_str_eq(iso8583_strerror(ISO_ERR_BITMAP),
			 "empty secondary bitmap");
	/* the fields were parsed: a responder can echo the STAN */
	ck_assert_str_eq(u.mti, "0800");
	ck_assert_int_eq(iso8583_get_str(&u, 11, stan, sizeof(stan)), ISO_OK);
	ck_assert_str_eq(stan, "000001");
	/* the same message without the secondary bitmap is fine */
	{
		uint8_t b[sizeof(msg)];

		memcpy(b, msg, 12);
		b[4] = 0x02;
		memcpy(b + 12, msg + 20, 16);
		ck_assert_int_eq(iso8583_unpack(&u, b, 28, &bad), ISO_OK);
		ck_assert_int_eq(bad, 0);
	}
	iso8583_wipe(&u);
}
END_TEST

START_TEST(t_set_errors)
{
	static struct iso8583_msg m;
	uint8_t big[600];

	memset(big, 'A', sizeof(big));
	ck_assert_int_eq(iso8583_init(&m, "0100"), ISO_ERR_MTI);
	ck_assert_int_eq(iso8583_init(&m, "02000"), ISO_ERR_MTI);
	ck_assert_int_eq(iso8583_init(&m, "0200"), ISO_OK);
	ck_assert_int_eq(iso8583_set_str(&m, 2, "4111111111111111"),
			 ISO_ERR_UNKNOWN_FIELD);
	ck_assert_int_eq(iso8583_set_str(&m, 35, "x"), ISO_ERR_UNKNOWN_FIELD);
	ck_assert_int_eq(iso8583_set_str(&m, 0, "x"), ISO_ERR_UNKNOWN_FIELD);
	ck_assert_int_eq(iso8583_set_str(&m, 129, "x"), ISO_ERR_UNKNOWN_FIELD);
	ck_assert_int_eq(iso8583_set_str(&m, 4, "12"), ISO_ERR_LENGTH);
	ck_assert_int_eq(iso8583_set_str(&m, 4, "00000000001A"),
			 ISO_ERR_CHARSET);
	ck_assert_int_eq(iso8583_set_str(&m, 41, "123456789"), ISO_ERR_LENGTH);
	ck_assert_int_eq(iso8583_set_str(&m, 41, "T\x01"), ISO_ERR_CHARSET);
	ck_assert_int_eq(iso8583_set_str(&m, 39, "0-"), ISO_ERR_CHARSET);
	ck_assert_int_eq(iso8583_set(&m, 52, big, 7), ISO_ERR_LENGTH);
	ck_assert_int_eq(iso8583_set(&m, 62, big, 513), ISO_ERR_LENGTH);
	ck_assert_int_eq(iso8583_set(&m, 62, big, 512), ISO_OK);
	ck_assert_int_eq(iso8583_set_num(&m, 11, 1000000), ISO_ERR_LENGTH);
	ck_assert_int_eq(iso8583_set_hex(&m, 61, big, 17), ISO_ERR_LENGTH);
	ck_assert_int_eq(iso8583_set_hex(&m, 61, big, 16), ISO_OK);
	ck_assert_str_ne(iso8583_strerror(ISO_ERR_TRAILING), "unknown error");
	ck_assert_str_eq(iso8583_strerror(12345), "unknown error");
}
END_TEST

START_TEST(t_malformed)
{
	static struct iso8583_msg m, u;
	uint8_t buf[ISO8583_MAX_MSG + 16];
	size_t len;
	int bad;

	build_0200(&m);
	ck_assert_int_eq(iso8583_pack(&m, buf, sizeof(buf), &len), ISO_OK);

	/* every truncation fails cleanly */
	for (size_t l = 0; l < len; l++) {
		int rc = iso8583_unpack(&u, buf, l, &bad);

		ck_assert_int_lt(rc, 0);
	}
	/* trailing byte */
	buf[len] = '0';
	ck_assert_int_eq(iso8583_unpack(&u, buf, len + 1, &bad),
			 ISO_ERR_TRAILING);
	/* bad MTI */
	buf[0] = 'X';
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad), ISO_ERR_MTI);
	ck_assert_int_eq(bad, 0);
	buf[0] = '0';
	/* letter in amount: bad field 4, but MTI and field 3 kept */
	buf[12 + 6 + 3] = 'Z';
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad), ISO_ERR_CHARSET);
	ck_assert_int_eq(bad, 4);
	ck_assert_str_eq(u.mti, "0200");
	ck_assert_int_eq(iso8583_has(&u, 3), 1);
	buf[12 + 6 + 3] = '0';
	/* unknown field 2 in the bitmap */
	buf[4] |= 0x40;
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad),
			 ISO_ERR_UNKNOWN_FIELD);
	ck_assert_int_eq(bad, 2);
	buf[4] &= (uint8_t)~0x40;
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad), ISO_OK);
	/* oversized */
	memset(buf + len, '0', sizeof(buf) - len);
	ck_assert_int_eq(iso8583_unpack(&u, buf, ISO8583_MAX_MSG + 1, &bad),
			 ISO_ERR_TOO_BIG);
}
END_TEST

START_TEST(t_var_length)
{
	static struct iso8583_msg u;
	/* 0800 with field 63 (primary bitmap bit 63) length "999" > max 64 */
	uint8_t msg[64] = "0800";
	size_t len = 4;

	memset(msg + 4, 0, 8);
	msg[4 + 7] = 0x02;	/* field 63 */
	memcpy(msg + 12, "999abc", 6);
	len = 18;
	ck_assert_int_eq(iso8583_unpack(&u, msg, len, NULL), ISO_ERR_LENGTH);
	memcpy(msg + 12, "0x5abcde", 8);
	ck_assert_int_eq(iso8583_unpack(&u, msg, 20, NULL), ISO_ERR_LENGTH);
	memcpy(msg + 12, "005abcd", 7);	/* says 5, has 4 */
	ck_assert_int_eq(iso8583_unpack(&u, msg, 19, NULL), ISO_ERR_TRUNCATED);
	memcpy(msg + 12, "004ab\ncd", 8);	/* control char */
	ck_assert_int_eq(iso8583_unpack(&u, msg, 19, NULL), ISO_ERR_CHARSET);
	memcpy(msg + 12, "004abcd", 7);
	ck_assert_int_eq(iso8583_unpack(&u, msg, 19, NULL), ISO_OK);
}
END_TEST

START_TEST(t_random_garbage)
{
	static struct iso8583_msg u;
	uint8_t buf[512];
	unsigned seed = 12345;

	/* random bytes after a valid MTI never crash the parser */
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (len >= 4)
			memcpy(buf, "0200", 4);
		(void)iso8583_unpack(&u, buf, len, NULL);
	}
}
END_TEST

START_TEST(t_mac_data)
{
	static struct iso8583_msg m;
	uint8_t out[1024];
	size_t len;

	build_0200(&m);
	ck_assert_int_eq(iso8583_mac_data(&m, iso8583_req_mac_fields,
					  iso8583_req_mac_nfields, out,
					  sizeof(out), &len), ISO_OK);
	/* 004+12, 022+3, 049+3, 053+48, 062+3+64 */
	ck_assert_uint_eq(len, 15 + 6 + 6 + 51 + 70);
	ck_assert_mem_eq(out, "004000000001234022901049978053", 30);
	ck_assert_mem_eq(out + 30 + 48, "062064", 6);
	ck_assert_int_eq(iso8583_mac_data(&m, iso8583_req_mac_fields,
					  iso8583_req_mac_nfields, out, 20,
					  &len), ISO_ERR_TOO_BIG);
}
END_TEST

/* Field 48: the payment request hash (LLLVAR ans ..64), MACed in both
 * directions between 22 and 49. */
#define H48 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

START_TEST(t_field48)
{
	static struct iso8583_msg m, u;
	uint8_t buf[ISO8583_MAX_MSG], out[1024];
	char s[80], big[66];
	size_t len, ml;
	int bad;

	build_0200(&m);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 0);		/* absent */
	ck_assert_int_eq(iso8583_set_str(&m, 48, H48), ISO_OK);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 1);
	ck_assert_int_eq(iso8583_pack(&m, buf, sizeof(buf), &len), ISO_OK);
	ck_assert_uint_eq(buf[9], 0xC0 | 0x01);	/* 41, 42, 48 */
	ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad), ISO_OK);
	ck_assert_int_eq(iso8583_get_str(&u, 48, s, sizeof(s)), ISO_OK);
	ck_assert_str_eq(s, H48);
	ck_assert_int_eq(iso8583_req_hash_ok(&u), 1);
	/* on the wire after 42: LLL 064 then the digits */
	ck_assert_ptr_nonnull(memmem(buf, len, "MERCHANT1      064" H48, 18 + 64));

	/* MAC data: 004, 022, 048, 049, ... in both directions */
	ck_assert_int_eq(iso8583_mac_data(&u, iso8583_req_mac_fields,
					  iso8583_req_mac_nfields, out,
					  sizeof(out), &ml), ISO_OK);
	ck_assert_uint_eq(ml, 15 + 6 + 70 + 6 + 51 + 70);
	ck_assert_mem_eq(out, "004000000001234022901048064" H48 "049978",
			 27 + 64 + 6);
	ck_assert_int_eq(iso8583_set_str(&u, 39, "00"), ISO_OK);
	ck_assert_int_eq(iso8583_mac_data(&u, iso8583_resp_mac_fields,
					  iso8583_resp_mac_nfields, out,
					  sizeof(out), &ml), ISO_OK);
	ck_assert_mem_eq(out, "004000000001234" "03900" "048064" H48 "049978",
			 20 + 70 + 6);

	/* max length 64: 65 is refused on set and on unpack */
	memset(big, 'a', 65);
	big[65] = 0;
	ck_assert_int_eq(iso8583_set_str(&m, 48, big), ISO_ERR_LENGTH);
	{
		uint8_t *p = memmem(buf, len, "064" H48, 67);

		ck_assert_ptr_nonnull(p);
		memcpy(p, "065", 3);
		ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad),
				 ISO_ERR_LENGTH);
		ck_assert_int_eq(bad, 48);
		memcpy(p, "06x", 3);		/* length not digits */
		ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad),
				 ISO_ERR_LENGTH);
		ck_assert_int_eq(bad, 48);
		memcpy(p, "099", 3);		/* runs past the end */
		ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad) != ISO_OK, 1);
		memcpy(p, "064", 3);
		p[3] = 0x7f;			/* not ans */
		ck_assert_int_eq(iso8583_unpack(&u, buf, len, &bad),
				 ISO_ERR_CHARSET);
		ck_assert_int_eq(bad, 48);
	}
	/* the profile's form: exactly 64 lower-case hex digits */
	ck_assert_int_eq(iso8583_set_str(&m, 48, H48 + 1), ISO_OK);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 0);		/* 63 */
	memcpy(s, H48, 65);
	s[0] = 'F';
	ck_assert_int_eq(iso8583_set_str(&m, 48, s), ISO_OK);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 0);		/* upper case */
	s[0] = 'g';
	ck_assert_int_eq(iso8583_set_str(&m, 48, s), ISO_OK);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 0);		/* not hex */
	s[0] = ' ';
	ck_assert_int_eq(iso8583_set_str(&m, 48, s), ISO_OK);
	ck_assert_int_eq(iso8583_req_hash_ok(&m), 0);
	ck_assert_int_eq(iso8583_req_hash_ok(NULL), 0);
}
END_TEST

START_TEST(t_frames)
{
	int sv[2];
	uint8_t buf[ISO8583_MAX_MSG];
	size_t len;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(iso8583_write_frame(sv[0], (const uint8_t *)"0800abc",
					     7), ISO_OK);
	ck_assert_int_eq(iso8583_read_frame(sv[1], buf, sizeof(buf), &len,
					    1000), ISO_OK);
	ck_assert_uint_eq(len, 7);
	ck_assert_mem_eq(buf, "0800abc", 7);
	/* nothing there: timeout */
	ck_assert_int_eq(iso8583_read_frame(sv[1], buf, sizeof(buf), &len, 50),
			 ISO_ERR_TIMEOUT);
	/* announced length too big */
	ck_assert_int_eq(write(sv[0], "\xff\xff", 2), 2);
	ck_assert_int_eq(iso8583_read_frame(sv[1], buf, sizeof(buf), &len,
					    1000), ISO_ERR_TOO_BIG);
	/* zero length */
	ck_assert_int_eq(write(sv[0], "\0\0", 2), 2);
	ck_assert_int_eq(iso8583_read_frame(sv[1], buf, sizeof(buf), &len,
					    1000), ISO_ERR_TOO_BIG);
	/* truncated frame then close */
	ck_assert_int_eq(write(sv[0], "\0\x10" "abc", 5), 5);
	close(sv[0]);
	ck_assert_int_eq(iso8583_read_frame(sv[1], buf, sizeof(buf), &len,
					    1000), ISO_ERR_TRUNCATED);
	ck_assert_int_eq(iso8583_read_frame(sv[1], buf, sizeof(buf), &len,
					    1000), ISO_ERR_EOF);
	close(sv[1]);
	ck_assert_int_eq(iso8583_write_frame(-1, buf, 0), ISO_ERR_ARG);
	ck_assert_int_eq(iso8583_write_frame(-1, buf, ISO8583_MAX_MSG + 1),
			 ISO_ERR_ARG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("iso8583");
	TCase *tc = tcase_create("codec");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_roundtrip);
	tcase_add_test(tc, t_secondary_bitmap);
	tcase_add_test(tc, t_empty_secondary_bitmap);
	tcase_add_test(tc, t_set_errors);
	tcase_add_test(tc, t_malformed);
	tcase_add_test(tc, t_var_length);
	tcase_add_test(tc, t_random_garbage);
	tcase_add_test(tc, t_mac_data);
	tcase_add_test(tc, t_field48);
	tcase_add_test(tc, t_frames);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
