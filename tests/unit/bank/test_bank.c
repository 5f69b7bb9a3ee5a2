// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of payterm-bank: IBM 3624 PIN offsets and EMV option A keys
 * against the shared card file, ARQC / ARPC known answers (computed with an
 * independent implementation), BER-TLV and card-data parsing, and the
 * response-code logic of bank_handle() on a real SQLite database.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bank.h"
#include "bankcrypto.h"
#include "iso8583.h"
#include "payterm_crypto.h"
#include "../check_main.h"

#define CARDS PT_BANK_SRCDIR "/tests/data/cards.json"
#define CONFIG PT_BANK_SRCDIR "/tests/data/bank.json"

static void hex(const char *h, uint8_t *out, size_t want)
{
	size_t l;

	ck_assert_int_eq(pt_hex_decode(h, out, want, &l), 0);
	ck_assert_uint_eq(l, want);
}

START_TEST(t_pin_offsets_of_card_file)
{
	json_error_t je;
	json_t *root = json_load_file(CARDS, 0, &je), *cards, *iss;
	uint8_t pvk[16];
	const char *dectab;
	int n = 0;

	ck_assert_ptr_nonnull(root);
	iss = json_object_get(root, "issuer");
	hex(json_string_value(json_object_get(iss, "pvk")), pvk, 16);
	dectab = json_string_value(json_object_get(iss, "decimalization_table"));
	cards = json_object_get(root, "cards");
	for (size_t i = 0; i < json_array_size(cards); i++) {
		json_t *c = json_array_get(cards, i);
		const char *pan = json_string_value(json_object_get(c, "pan"));
		const char *pin = json_string_value(json_object_get(c, "pin"));
		const char *off = json_string_value(json_object_get(c, "pin_offset"));
		char o[13], wrong[13];

		ck_assert_int_eq(bank_ibm3624_offset(pvk, dectab, pan, pin, o), 0);
		ck_assert_str_eq(o, off);
		ck_assert_int_eq(bank_ibm3624_verify(pvk, dectab, pan, pin, off), 1);
		snprintf(wrong, sizeof(wrong), "%s", pin);
		wrong[0] = (char)('0' + (wrong[0] - '0' + 1) % 10);
		ck_assert_int_eq(bank_ibm3624_verify(pvk, dectab, pan, wrong, off), 0);
		ck_assert_int_eq(bank_luhn_ok(pan), 1);
		n++;
	}
	ck_assert_int_ge(n, 6);
	/* bad inputs */
	ck_assert_int_eq(bank_ibm3624_verify(pvk, dectab, "4761739001010010",
					     "12a4", "1784"), 0);
	ck_assert_int_eq(bank_ibm3624_verify(pvk, dectab, "4761739001010010",
					     "1234", "178"), 0);
	ck_assert_int_lt(bank_ibm3624_verify(pvk, dectab, "476173", "1234",
					     "1784"), 0);
	json_decref(root);
}
END_TEST

START_TEST(t_option_a_of_card_file)
{
	json_error_t je;
	json_t *root = json_load_file(CARDS, 0, &je), *cards;
	uint8_t imk[16], mk[16], want[16];
	int n = 0;

	ck_assert_ptr_nonnull(root);
	hex(json_string_value(json_object_get(json_object_get(root, "issuer"),
					      "imk_ac")), imk, 16);
	cards = json_object_get(root, "cards");
	for (size_t i = 0; i < json_array_size(cards); i++) {
		json_t *c = json_array_get(cards, i);
		json_t *chip = json_object_get(c, "chip");

		if (!chip)
			continue;
		hex(json_string_value(json_object_get(chip, "icc_mk_ac")), want,
		    16);
		ck_assert_int_eq(bank_emv_mk_option_a(imk,
			json_string_value(json_object_get(c, "pan")),
			atoi(json_string_value(json_object_get(c, "psn"))), mk), 0);
		ck_assert_mem_eq(mk, want, 16);
		n++;
	}
	ck_assert_int_ge(n, 5);
	json_decref(root);
}
END_TEST

/* Known answer computed with an independent implementation (Python
 * "cryptography"): visa-ok MK, ATC 0005, CDOL1 data of the test profile. */
START_TEST(t_arqc_known_answer)
{
	uint8_t mk[16], sk[16], arqc[8], arpc[8], want[16], data[64];

	hex("73DCFEB6F80486EF454A9D6B20DABFD9", mk, 16);
	ck_assert_int_eq(bank_emv_csk(mk, 0x0005, sk), 0);
	hex("31EFD0B50F470568E38302F3D56EDABD", want, 16);
	ck_assert_mem_eq(sk, want, 16);
	hex("000000001000000000000000025000000000000978261125001122334418000005",
	    data, 33);
	ck_assert_int_eq(bank_emv_arqc(sk, data, 33, arqc), 0);
	hex("48E6A458791EB651", want, 8);
	ck_assert_mem_eq(arqc, want, 8);
	ck_assert_int_eq(bank_emv_arpc(sk, arqc, (const uint8_t *)"00", arpc), 0);
	hex("01CC894147DE5945", want, 8);
	ck_assert_mem_eq(arpc, want, 8);
}
END_TEST

START_TEST(t_tlv)
{
	struct bank_tlv it[8];
	size_t n;
	uint8_t buf[64];
	int l;

	hex("9F260811223344556677889F27018082021800", buf, 19);
	ck_assert_int_eq(bank_tlv_parse(buf, 19, it, 8, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(it[0].tag, 0x9F26);
	ck_assert_uint_eq(it[0].len, 8);
	ck_assert_uint_eq(it[1].tag, 0x9F27);
	ck_assert_uint_eq(it[2].tag, 0x82);
	ck_assert_ptr_nonnull(bank_tlv_find(it, n, 0x82));
	ck_assert_ptr_null(bank_tlv_find(it, n, 0x57));
	/* truncated value, truncated tag, bad length forms, duplicates,
	 * constructed, too many */
	ck_assert_int_ne(bank_tlv_parse(buf, 18, it, 8, &n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x9F", 1, it, 8, &n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x82\x83\0\0\0", 5, it,
					8, &n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x82\x81\x05", 3, it, 8,
					&n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x82\x01\x00\x82\x01\x00",
					6, it, 8, &n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x70\x00", 2, it, 8,
					&n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x82\x00\x95\x00", 4,
					it, 1, &n), 0);
	ck_assert_int_ne(bank_tlv_parse((const uint8_t *)"\x9F\xFF\xFF\x01\x00",
					5, it, 8, &n), 0);
	l = bank_tlv_put(buf, sizeof(buf), 0, 0x9F36, (const uint8_t *)"\0\5", 2);
	ck_assert_int_eq(l, 5);
	ck_assert_int_lt(bank_tlv_put(buf, 4, 0, 0x9F36, (const uint8_t *)"\0\5",
				      2), 0);
}
END_TEST

START_TEST(t_card_data)
{
	struct bank_card_data cd;
	uint8_t buf[64];
	char m[20];

	/* 57 + 5F34 + 5A + 5F24 */
	hex("57104761739001010010D301220100000001" "5F340101"
	    "5A084761739001010010" "5F2403301231", buf, 18 + 4 + 10 + 6);
	ck_assert_int_eq(bank_card_data_parse(buf, 38, &cd), 0);
	ck_assert_str_eq(cd.pan, "4761739001010010");
	ck_assert_str_eq(cd.expiry, "3012");
	ck_assert_str_eq(cd.service_code, "201");
	ck_assert_int_eq(cd.psn, 1);
	bank_mask_pan(cd.pan, m);
	ck_assert_str_eq(m, "476173******0010");
	/* 5A disagrees */
	buf[18 + 4 + 2 + 7] ^= 0x01;
	ck_assert_int_ne(bank_card_data_parse(buf, 38, &cd), 0);
	ck_assert_str_eq(cd.pan, "");
	/* month 13 */
	hex("57104761739001010010D301320100000001", buf, 18);
	ck_assert_int_ne(bank_card_data_parse(buf, 18, &cd), 0);
	/* no separator */
	hex("5708476173900101001F", buf, 10);
	ck_assert_int_ne(bank_card_data_parse(buf, 10, &cd), 0);
	/* foreign tag */
	hex("57104761739001010010D3012201000000015F200141", buf, 22);
	ck_assert_int_ne(bank_card_data_parse(buf, 22, &cd), 0);
	/* odd PAN, F pad */
	hex("57104111111111111111D31061010000000F", buf, 18);
	ck_assert_int_eq(bank_card_data_parse(buf, 18, &cd), 0);
	ck_assert_str_eq(cd.pan, "4111111111111111");
	ck_assert_int_eq(bank_luhn_ok("4111111111111112"), 0);
	ck_assert_int_eq(bank_luhn_ok("41111111111x1111"), 0);
}
END_TEST

/* ---- bank_handle on a real database ---- */

static struct bank bank;
static char dbpath[64];

static void setup_bank(void)
{
	struct bank_cfg cfg;
	const char *err = "";
	int fd;

	snprintf(dbpath, sizeof(dbpath), "/tmp/payterm-bank-test.XXXXXX");
	fd = mkstemp(dbpath);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(bank_cfg_load(&cfg, CONFIG, &err), 0);
	snprintf(cfg.db, sizeof(cfg.db), "%s", dbpath);
	ck_assert_int_eq(bank_open(&bank, &cfg, &err), 0);
	ck_assert_int_eq(bank_init_db(&bank, CARDS, &err), 7);
	bank_cfg_wipe(&cfg);
}

static void teardown_bank(void)
{
	char p[96];

	bank_close(&bank);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

/* two request hashes (of requests A and B) */
#define H48_A "be2f1d1a5ef0ac2a7a45b4ae4b5cbb0a00a8a3b3fbb8d45a21bbbc2c1c3b1ab1"
#define H48_B "0b6d38a54e5a8e1da6c0f1c1b0fd43d1e0f5c7aa6b3bd7fe09e5c8c1d2d3e4f5"

/* AES swipe 0200 for PAN/track, PIN; counter picks the KSN; field 48 =
 * @h48 (NULL: none), MACed with the rest. */
static void make_0200_h(struct iso8583_msg *m, const char *t57hex,
			const char *pan, const char *pin, uint32_t counter,
			const char *stan, unsigned long long amount, int bad_mac,
			const char *h48)
{
	uint8_t f53[48] = { 1, PT_KT_AES128, 4, 0, 0x12, 0x34, 0x56, 0x78,
			    0x90, 0x12, 0x34, 0x56 };
	uint8_t pt[40], ct[64], blk[16], md[1024], mac[8];
	size_t ptl, ctl, blkl, mdl;
	struct bank_keys k;

	f53[12] = (uint8_t)(counter >> 24);
	f53[13] = (uint8_t)(counter >> 16);
	f53[14] = (uint8_t)(counter >> 8);
	f53[15] = (uint8_t)counter;
	ck_assert_int_eq(bank_keys_derive(f53, bank.cfg.bdks, bank.cfg.nbdks,
					  &k), 0);
	ck_assert_int_eq(pt_hex_decode(t57hex, pt, sizeof(pt), &ptl), 0);
	ck_assert_int_eq(pt_data_encrypt(PT_ALG_AES, k.data, 16, NULL, pt, ptl,
					 ct, sizeof(ct), &ctl), 0);
	ck_assert_int_eq(pt_pinblock_encrypt(4, k.pin, 16, pin, pan, NULL, blk,
					     &blkl), 0);
	iso8583_init(m, "0200");
	iso8583_set_str(m, 3, "000000");
	iso8583_set_num(m, 4, amount);
	iso8583_set_str(m, 7, "1125120000");
	iso8583_set_str(m, 11, stan);
	iso8583_set_str(m, 12, "120000");
	iso8583_set_str(m, 13, "1125");
	iso8583_set_str(m, 22, "901");
	iso8583_set_str(m, 41, "UNITTEST");
	iso8583_set_str(m, 42, "M1");
	if (h48)
		ck_assert_int_eq(iso8583_set_str(m, 48, h48), 0);
	iso8583_set_str(m, 49, "978");
	iso8583_set(m, 53, f53, 48);
	iso8583_set_hex(m, 61, blk, blkl);
	iso8583_set_hex(m, 62, ct, ctl);
	ck_assert_int_eq(iso8583_mac_data(m, iso8583_req_mac_fields,
					  iso8583_req_mac_nfields, md,
					  sizeof(md), &mdl), 0);
	ck_assert_int_eq(bank_mac(&k, 0, md, mdl, mac), 0);
	mac[7] ^= (uint8_t)bad_mac;
	iso8583_set(m, 64, mac, 8);
	bank_keys_wipe(&k);
}

static void make_0200(struct iso8583_msg *m, const char *t57hex,
		      const char *pan, const char *pin, uint32_t counter,
		      const char *stan, unsigned long long amount, int bad_mac)
{
	make_0200_h(m, t57hex, pan, pin, counter, stan, amount, bad_mac, H48_A);
}

#define T57_OK "57104761739001010010D301220100000001"
#define PAN_OK "4761739001010010"

static enum bank_action send_msg(const struct iso8583_msg *m, char rc[3])
{
	static uint8_t req[ISO8583_MAX_MSG], resp[ISO8583_MAX_MSG];
	static struct iso8583_msg r;
	size_t len, rlen;
	int delay;
	enum bank_action a;

	ck_assert_int_eq(iso8583_pack(m, req, sizeof(req), &len), 0);
	a = bank_handle(&bank, req, len, resp, sizeof(resp), &rlen, &delay);
	rc[0] = 0;
	if (a == BANK_REPLY) {
		ck_assert_int_eq(iso8583_unpack(&r, resp, rlen, NULL), 0);
		iso8583_get_str(&r, 39, rc, 3);
	}
	return a;
}

/* Like send_msg, keeping the answer in *@out. */
static void send_get(const struct iso8583_msg *m, struct iso8583_msg *out)
{
	static uint8_t req[ISO8583_MAX_MSG], resp[ISO8583_MAX_MSG];
	size_t len, rlen;
	int delay;

	ck_assert_int_eq(iso8583_pack(m, req, sizeof(req), &len), 0);
	ck_assert_int_eq(bank_handle(&bank, req, len, resp, sizeof(resp), &rlen,
				     &delay), BANK_REPLY);
	ck_assert_int_eq(iso8583_unpack(out, resp, rlen, NULL), 0);
}

/* The request hash the bank recorded for STAN @stan, "" if none. */
static void recorded_hash(const char *stan, char out[65])
{
	sqlite3_stmt *st;

	out[0] = 0;
	sqlite3_prepare_v2(bank.db, "SELECT req_hash FROM txns WHERE stan = ?",
			   -1, &st, NULL);
	sqlite3_bind_text(st, 1, stan, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, 65, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

static long long balance(const char *id)
{
	sqlite3_stmt *st;
	long long v = -1;

	sqlite3_prepare_v2(bank.db, "SELECT balance FROM cards WHERE id = ?",
			   -1, &st, NULL);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

START_TEST(t_handle_codes)
{
	static struct iso8583_msg m;
	char rc[3];

	make_0200(&m, T57_OK, PAN_OK, "1234", 1, "000001", 2500, 0);
	ck_assert_int_eq(send_msg(&m, rc), BANK_REPLY);
	ck_assert_str_eq(rc, "00");
	ck_assert_int_eq(balance("visa-ok"), 100000 - 2500);
	/* same STAN + date-time: 94, no debit */
	make_0200(&m, T57_OK, PAN_OK, "1234", 2, "000001", 2500, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "94");
	/* same KSN: 94 */
	make_0200(&m, T57_OK, PAN_OK, "1234", 1, "000002", 2500, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "94");
	ck_assert_int_eq(balance("visa-ok"), 100000 - 2500);
	/* bad MAC */
	make_0200(&m, T57_OK, PAN_OK, "1234", 3, "000003", 1, 1);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
	/* wrong PIN x3 */
	make_0200(&m, T57_OK, PAN_OK, "4321", 4, "000004", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "55");
	make_0200(&m, T57_OK, PAN_OK, "4321", 5, "000005", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "55");
	make_0200(&m, T57_OK, PAN_OK, "4321", 6, "000006", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "75");
	make_0200(&m, T57_OK, PAN_OK, "1234", 8, "000007", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "75");
	/* expired, unknown, insufficient */
	make_0200(&m, "57104761739001010119D201220100000001",
		  "4761739001010119", "1234", 9, "000008", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "54");
	make_0200(&m, "57104000000000000002D301220100000001",
		  "4000000000000002", "1234", 10, "000009", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "14");
	make_0200(&m, "57105413330089010012D301220100000001",
		  "5413330089010012", "2580", 11, "000010", 501, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "51");
	/* expiry on the card data differs from the file: 05 */
	make_0200(&m, "57105413330089010012D301120100000001",
		  "5413330089010012", "2580", 12, "000011", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "05");
	/* issuer down */
	bank.down = 1;
	make_0200(&m, "57105413330089010012D301220100000001",
		  "5413330089010012", "2580", 13, "000012", 1, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "91");
	bank.down = 0;
}
END_TEST

START_TEST(t_handle_reversal_and_malformed)
{
	static struct iso8583_msg m;
	static uint8_t resp[ISO8583_MAX_MSG];
	size_t rlen;
	int delay;
	char rc[3];

	make_0200(&m, T57_OK, PAN_OK, "1234", 1, "000100", 7000, 0);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "00");
	ck_assert_int_eq(balance("visa-ok"), 93000);
	for (int i = 0; i < 2; i++) {
		iso8583_init(&m, "0400");
		iso8583_set_str(&m, 3, "000000");
		iso8583_set_num(&m, 4, 7000);
		iso8583_set_str(&m, 7, "1125120100");
		iso8583_set_num(&m, 11, 101 + (unsigned)i);
		iso8583_set_str(&m, 41, "UNITTEST");
		iso8583_set_str(&m, 49, "978");
		ck_assert_int_eq(iso8583_set_str(&m, 90,
			"020000010011251200000000000000000000000000"), 0);
		send_msg(&m, rc);
		ck_assert_str_eq(rc, "00");
		ck_assert_int_eq(balance("visa-ok"), 100000);
	}
	/* 0800 codes */
	iso8583_init(&m, "0800");
	iso8583_set_str(&m, 7, "1125120100");
	iso8583_set_num(&m, 11, 5);
	iso8583_set_str(&m, 70, "301");
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "00");
	iso8583_set_str(&m, 70, "999");
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
	/* garbage: close; response MTI from a client: close */
	ck_assert_int_eq(bank_handle(&bank, (const uint8_t *)"\x01\x02", 2, resp,
				     sizeof(resp), &rlen, &delay), BANK_CLOSE);
	ck_assert_int_eq(bank_handle(&bank, (const uint8_t *)"0210", 4, resp,
				     sizeof(resp), &rlen, &delay), BANK_CLOSE);
	/* 0200 missing fields: 96 */
	iso8583_init(&m, "0200");
	iso8583_set_num(&m, 11, 9);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
}
END_TEST

START_TEST(t_handle_empty_secondary_bitmap)
{
	static struct iso8583_msg m, r;
	static uint8_t req[ISO8583_MAX_MSG], bad[ISO8583_MAX_MSG + 8];
	static uint8_t resp[ISO8583_MAX_MSG];
	size_t len, rlen;
	int delay;
	char rc[3] = "", stan[7] = "";

	/* a good swipe 0200 with field 1 set and a secondary bitmap of
	 * zeros inserted: a format error (96), nothing debited */
	make_0200(&m, T57_OK, PAN_OK, "1234", 1, "000200", 2500, 0);
	ck_assert_int_eq(iso8583_pack(&m, req, sizeof(req), &len), 0);
	ck_assert_uint_eq(req[4] & 0x80, 0);
	memcpy(bad, req, 12);
	bad[4] |= 0x80;
	memset(bad + 12, 0, 8);
	memcpy(bad + 20, req + 12, len - 12);
	ck_assert_int_eq(bank_handle(&bank, bad, len + 8, resp, sizeof(resp),
				     &rlen, &delay), BANK_REPLY);
	ck_assert_int_eq(iso8583_unpack(&r, resp, rlen, NULL), 0);
	iso8583_get_str(&r, 39, rc, sizeof(rc));
	iso8583_get_str(&r, 11, stan, sizeof(stan));
	ck_assert_str_eq(rc, "96");
	ck_assert_str_eq(stan, "000200");
	ck_assert_int_eq(balance("visa-ok"), 100000);
	/* the same 0200 as packed is approved */
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "00");
	ck_assert_int_eq(balance("visa-ok"), 100000 - 2500);
}
END_TEST

/* Field 48 (the payment request hash) is MACed and required: a server that
 * books card data sealed for request A as request B gets 96. */
START_TEST(t_handle_request_hash)
{
	static struct iso8583_msg m, r;
	uint8_t md[512], mac[8];
	size_t ml, l;
	struct bank_keys k;
	char rc[3], h[65];

	/* 48 changed after MACing: MAC wrong, 96, nothing debited */
	make_0200_h(&m, T57_OK, PAN_OK, "1234", 1, "000301", 2500, 0, H48_A);
	ck_assert_int_eq(iso8583_set_str(&m, 48, H48_B), 0);
	send_get(&m, &r);
	iso8583_get_str(&r, 39, rc, sizeof(rc));
	ck_assert_str_eq(rc, "96");
	ck_assert(!iso8583_has(&r, 64));
	ck_assert_int_eq(balance("visa-ok"), 100000);
	/* no 48 (the MAC over the other fields is right): refused */
	make_0200_h(&m, T57_OK, PAN_OK, "1234", 2, "000302", 2500, 0, NULL);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
	ck_assert_int_eq(balance("visa-ok"), 100000);
	/* 48 upper case, 63 digits, not hex (MACed as sent): refused */
	make_0200_h(&m, T57_OK, PAN_OK, "1234", 3, "000303", 2500, 0,
		    "BE2F1D1A5EF0AC2A7A45B4AE4B5CBB0A00A8A3B3FBB8D45A21BBBC2C1C3B1AB1");
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
	make_0200_h(&m, T57_OK, PAN_OK, "1234", 4, "000304", 2500, 0, H48_A + 1);
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
	make_0200_h(&m, T57_OK, PAN_OK, "1234", 5, "000305", 2500, 0,
		    "xe2f1d1a5ef0ac2a7a45b4ae4b5cbb0a00a8a3b3fbb8d45a21bbbc2c1c3b1ab1");
	send_msg(&m, rc);
	ck_assert_str_eq(rc, "96");
	ck_assert_int_eq(balance("visa-ok"), 100000);

	/* as MACed: approved, recorded, echoed and bound by the response MAC */
	make_0200_h(&m, T57_OK, PAN_OK, "1234", 6, "000306", 2500, 0, H48_B);
	send_get(&m, &r);
	iso8583_get_str(&r, 39, rc, sizeof(rc));
	ck_assert_str_eq(rc, "00");
	ck_assert_int_eq(balance("visa-ok"), 100000 - 2500);
	recorded_hash("000306", h);
	ck_assert_str_eq(h, H48_B);
	iso8583_get_str(&r, 48, h, sizeof(h));
	ck_assert_str_eq(h, H48_B);
	{
		uint8_t f53[48];

		memcpy(f53, iso8583_get(&m, 53, &l), 48);
		ck_assert_int_eq(bank_keys_derive(f53, bank.cfg.bdks,
						  bank.cfg.nbdks, &k), 0);
	}
	ck_assert_int_eq(iso8583_mac_data(&r, iso8583_resp_mac_fields,
					  iso8583_resp_mac_nfields, md,
					  sizeof(md), &ml), 0);
	ck_assert_int_eq(bank_mac(&k, 1, md, ml, mac), 0);
	ck_assert_mem_eq(mac, iso8583_get(&r, 64, NULL), 8);
	/* the same answer for another request does not verify */
	ck_assert_int_eq(iso8583_set_str(&r, 48, H48_A), 0);
	ck_assert_int_eq(iso8583_mac_data(&r, iso8583_resp_mac_fields,
					  iso8583_resp_mac_nfields, md,
					  sizeof(md), &ml), 0);
	ck_assert_int_eq(bank_mac(&k, 1, md, ml, mac), 0);
	ck_assert(memcmp(mac, iso8583_get(&r, 64, NULL), 8));
	bank_keys_wipe(&k);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bank");
	TCase *tc = tcase_create("crypto");
	TCase *th = tcase_create("handle");

	setenv("PAYTERM_BANK_TODAY", "261125", 1);
	tcase_add_test(tc, t_pin_offsets_of_card_file);
	tcase_add_test(tc, t_option_a_of_card_file);
	tcase_add_test(tc, t_arqc_known_answer);
	tcase_add_test(tc, t_tlv);
	tcase_add_test(tc, t_card_data);
	tcase_set_timeout(th, 120);
	tcase_add_checked_fixture(th, setup_bank, teardown_bank);
	tcase_add_test(th, t_handle_codes);
	tcase_add_test(th, t_handle_reversal_and_malformed);
	tcase_add_test(th, t_handle_empty_secondary_bitmap);
	tcase_add_test(th, t_handle_request_hash);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, th);
	return pt_check_run(s);
}
