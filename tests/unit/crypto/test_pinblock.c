// SPDX-License-Identifier: GPL-2.0-or-later
/* ISO 9564-1 PIN blocks: vectors, round trips, PIN/PAN boundaries, errors. */
#include "common.h"

#include <stdio.h>
#include <string.h>

START_TEST(shared_vectors)
{
	json_t *root = vec_load("pinblock.json"), *v;
	uint8_t blk[16], key[32], f[16], rnd[8];
	size_t i, len;
	char pin[13];

	json_array_foreach(json_object_get(root, "format0"), i, v) {
		ck_assert_ok(pt_pinblock_encode(0, vec_str(v, "pin"), vec_str(v, "pan"),
						NULL, blk, &len));
		ck_assert_uint_eq(len, 8);
		ck_assert_hex(blk, 8, vec_str(v, "clear_block"));
		ck_assert_ok(pt_pinblock_decode(0, blk, 8, vec_str(v, "pan"), pin));
		ck_assert_str_eq(pin, vec_str(v, "pin"));
	}
	json_array_foreach(json_object_get(root, "format4"), i, v) {
		const char *pan = vec_str(v, "pan");

		vec_hex(v, "pin_field", f, 16);
		memcpy(rnd, f + 8, 8);
		ck_assert_ok(pt_pin_field(4, vec_str(v, "pin"), rnd, blk));
		ck_assert_hex(blk, 16, vec_str(v, "pin_field"));
		ck_assert_ok(pt_pan_field(4, pan, blk));
		ck_assert_hex(blk, 16, vec_str(v, "pan_field"));
		len = vec_hex(v, "key", key, 32);
		ck_assert_ok(pt_pinblock_encrypt(4, key, len, vec_str(v, "pin"), pan,
						 rnd, blk, &len));
		ck_assert_hex(blk, 16, vec_str(v, "encrypted_block"));
		len = vec_hex(v, "key", key, 32);
		ck_assert_ok(pt_pinblock_decrypt(4, key, len, blk, 16, pan, pin));
		ck_assert_str_eq(pin, vec_str(v, "pin"));
	}
	json_decref(root);
}
END_TEST

/* ISO 9564-1 / X9.8 well-known format 0 and PAN field examples. */
START_TEST(format0_fields)
{
	uint8_t f[16];
	size_t len;

	ck_assert_ok(pt_pan_field(0, "4012345678909", f));
	ck_assert_hex(f, 8, "0000401234567890");
	ck_assert_ok(pt_pin_field(0, "1234", NULL, f));
	ck_assert_hex(f, 8, "041234FFFFFFFFFF");
	/* 19-digit PAN: still the 12 digits before the check digit */
	ck_assert_ok(pt_pan_field(0, "1234567890123456789", f));
	ck_assert_hex(f, 8, "0000789012345678");
	/* 8-digit PAN: 7 digits, left-padded */
	ck_assert_ok(pt_pan_field(3, "12345678", f));
	ck_assert_hex(f, 8, "0000000001234567");
	/* format 4 PAN field: M = length - 12, min 0, left pad to 12 */
	ck_assert_ok(pt_pan_field(4, "1234567890123456789", f));
	ck_assert_hex(f, 16, "71234567890123456789000000000000");
	ck_assert_ok(pt_pan_field(4, "123456789012", f));
	ck_assert_hex(f, 16, "01234567890120000000000000000000");
	ck_assert_ok(pt_pan_field(4, "12345678", f));
	ck_assert_hex(f, 16, "00000123456780000000000000000000");
	/* 12-digit PIN fills the field */
	ck_assert_ok(pt_pinblock_encode(2, "123456789012", NULL, NULL, f, &len));
	ck_assert_hex(f, 8, "2C123456789012FF");
}
END_TEST

static void random_digits(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)('0' + trand() % 10);
	s[n] = 0;
}

START_TEST(round_trips)
{
	int formats[] = { 0, 1, 2, 3, 4 };
	unsigned n = iters(400, 10);

	trand_seed(9564);
	for (unsigned it = 0; it < n; it++) {
		int fmt = formats[it % 5];
		char pin[13], pan[20], out[13];
		uint8_t key[32], blk[16], clear[16];
		size_t plen = PT_PIN_MIN + trand() % (PT_PIN_MAX - PT_PIN_MIN + 1);
		size_t panlen = PT_PAN_MIN + trand() % (PT_PAN_MAX - PT_PAN_MIN + 1);
		size_t klen = fmt == 4 ? 16 + 8 * (trand() % 3) : 16 + 8 * (trand() % 2);
		size_t len;

		random_digits(pin, plen);
		random_digits(pan, panlen);
		trand_bytes(key, sizeof(key));
		ck_assert_ok(pt_pinblock_encrypt(fmt, key, klen, pin, pan, NULL, blk, &len));
		ck_assert_uint_eq(len, pt_pinblock_len(fmt));
		ck_assert_ok(pt_pinblock_decrypt(fmt, key, klen, blk, len, pan, out));
		ck_assert_str_eq(out, pin);
		ck_assert_ok(pt_pinblock_encode(fmt, pin, pan, NULL, clear, &len));
		ck_assert_ok(pt_pinblock_decode(fmt, clear, len, pan, out));
		ck_assert_str_eq(out, pin);
	}
}
END_TEST

/* Format 3 and 4 blocks are randomised: same PIN, different blocks. */
START_TEST(randomised_formats)
{
	uint8_t key[16] = { 1 }, a[16], b[16];
	size_t len;

	for (int fmt = 3; fmt <= 4; fmt++) {
		ck_assert_ok(pt_pinblock_encrypt(fmt, key, 16, "1234", "4111111111111111",
						 NULL, a, &len));
		ck_assert_ok(pt_pinblock_encrypt(fmt, key, 16, "1234", "4111111111111111",
						 NULL, b, &len));
		ck_assert_int_ne(memcmp(a, b, len), 0);
	}
	ck_assert_ok(pt_pinblock_encrypt(0, key, 16, "1234", "4111111111111111", NULL, a, &len));
	ck_assert_ok(pt_pinblock_encrypt(0, key, 16, "1234", "4111111111111111", NULL, b, &len));
	ck_assert_mem_eq(a, b, 8);
}
END_TEST

START_TEST(pin_pan_boundaries)
{
	uint8_t key[16] = { 0 }, blk[16];
	size_t len;

	ck_assert_ok(pt_pin_valid("1234"));
	ck_assert_ok(pt_pin_valid("123456789012"));
	ck_assert_pt(pt_pin_valid("123"), PT_ERR_PIN);
	ck_assert_pt(pt_pin_valid("1234567890123"), PT_ERR_PIN);
	ck_assert_pt(pt_pin_valid("12a4"), PT_ERR_PIN);
	ck_assert_pt(pt_pin_valid(""), PT_ERR_PIN);
	ck_assert_pt(pt_pin_valid(NULL), PT_ERR_PIN);
	ck_assert_ok(pt_pan_valid("12345678"));
	ck_assert_ok(pt_pan_valid("1234567890123456789"));
	ck_assert_pt(pt_pan_valid("1234567"), PT_ERR_PAN);
	ck_assert_pt(pt_pan_valid("12345678901234567890"), PT_ERR_PAN);
	ck_assert_pt(pt_pan_valid("41111111 1111111"), PT_ERR_PAN);
	for (int fmt = 0; fmt <= 4; fmt++) {
		ck_assert_pt(pt_pinblock_encode(fmt, "123", "4111111111111111", NULL, blk, &len),
			     PT_ERR_PIN);
		ck_assert_pt(pt_pinblock_encode(fmt, "1234567890123", "4111111111111111",
						NULL, blk, &len), PT_ERR_PIN);
	}
	ck_assert_pt(pt_pinblock_encode(0, "1234", "1234567", NULL, blk, &len), PT_ERR_PAN);
	ck_assert_pt(pt_pinblock_encode(4, "1234", "12345678901234567890", NULL, blk, &len),
		     PT_ERR_PAN);
	ck_assert_pt(pt_pinblock_encode(3, "1234", NULL, NULL, blk, &len), PT_ERR_PAN);
	/* formats 1 and 2 ignore the PAN */
	ck_assert_ok(pt_pinblock_encode(1, "1234", NULL, NULL, blk, &len));
	ck_assert_pt(pt_pinblock_encode(5, "1234", "4111111111111111", NULL, blk, &len),
		     PT_ERR_FORMAT);
	ck_assert_pt(pt_pinblock_encrypt(-1, key, 16, "1234", "4111111111111111", NULL,
					 blk, &len), PT_ERR_FORMAT);
}
END_TEST

START_TEST(bad_keys_and_blocks)
{
	uint8_t key[32] = { 3 }, blk[16];
	char pin[13];
	size_t len;

	/* format 0-3 need TDES keys, format 4 an AES key */
	ck_assert_pt(pt_pinblock_encrypt(0, key, 8, "1234", "4111111111111111", NULL, blk, &len),
		     PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_pinblock_encrypt(0, key, 32, "1234", "4111111111111111", NULL, blk, &len),
		     PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_pinblock_encrypt(4, key, 8, "1234", "4111111111111111", NULL, blk, &len),
		     PT_ERR_KEY_LENGTH);
	ck_assert_ok(pt_pinblock_encrypt(4, key, 32, "1234", "4111111111111111", NULL, blk, &len));
	/* wrong block length */
	ck_assert_pt(pt_pinblock_decrypt(4, key, 32, blk, 8, "4111111111111111", pin),
		     PT_ERR_DATA_LENGTH);
	/* wrong PAN / wrong key -> malformed block */
	ck_assert_pt(pt_pinblock_decrypt(4, key, 32, blk, 16, "4111111111111112", pin),
		     PT_ERR_PINBLOCK);
	key[0] ^= 1;
	ck_assert_pt(pt_pinblock_decrypt(4, key, 32, blk, 16, "4111111111111111", pin),
		     PT_ERR_PINBLOCK);
	ck_assert_str_eq(pin, "");
	ck_assert_ok(pt_pinblock_encrypt(0, key, 16, "1234", "4111111111111111", NULL, blk, &len));
	ck_assert_pt(pt_pinblock_decrypt(0, key, 16, blk, 8, "4111111111119871", pin),
		     PT_ERR_PINBLOCK);
	/* malformed clear blocks */
	hexbuf("0312FFFFFFFFFFFF", blk, 8);	/* 3-digit PIN */
	ck_assert_pt(pt_pinblock_decode(2, blk, 8, NULL, pin), PT_ERR_PINBLOCK);
	hexbuf("2D12345678901234", blk, 8);	/* 13 digits */
	ck_assert_pt(pt_pinblock_decode(2, blk, 8, NULL, pin), PT_ERR_PINBLOCK);
	hexbuf("241A34FFFFFFFFFF", blk, 8);	/* non-digit */
	ck_assert_pt(pt_pinblock_decode(2, blk, 8, NULL, pin), PT_ERR_PINBLOCK);
	hexbuf("241234FFFFFFFFFE", blk, 8);	/* bad fill */
	ck_assert_pt(pt_pinblock_decode(2, blk, 8, NULL, pin), PT_ERR_PINBLOCK);
	hexbuf("241234FFFFFFFFFF", blk, 8);
	ck_assert_ok(pt_pinblock_decode(2, blk, 8, NULL, pin));
	ck_assert_str_eq(pin, "1234");
	ck_assert_pt(pt_pinblock_decode(1, blk, 8, NULL, pin), PT_ERR_PINBLOCK);	/* format nibble */
	hexbuf("341234123456789A", blk, 8);	/* format 3 with digit fill */
	ck_assert_pt(pt_pinblock_decode(3, blk, 8, "0000000000000", pin), PT_ERR_PINBLOCK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_pinblock");
	TCase *t = tcase_create("pinblock");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, shared_vectors);
	tcase_add_test(t, format0_fields);
	tcase_add_test(t, round_trips);
	tcase_add_test(t, randomised_formats);
	tcase_add_test(t, pin_pan_boundaries);
	tcase_add_test(t, bad_keys_and_blocks);
	suite_add_tcase(s, t);
	return run_suite(s);
}
