// SPDX-License-Identifier: GPL-2.0-or-later
/* CMAC, ISO 9797-1 algorithm 3, KCV, data encryption: vectors and errors. */
#include "common.h"

#include <string.h>

START_TEST(cmac_vectors)
{
	json_t *root = vec_load("mac.json"), *msgs = json_object_get(root, "messages"), *v;
	uint8_t key[32], msg[64], mac[16];
	size_t i, n = 0;

	json_array_foreach(json_object_get(root, "cmac"), i, v) {
		enum pt_alg alg = strcmp(vec_str(v, "alg"), "aes") ? PT_ALG_TDES : PT_ALG_AES;
		size_t klen = vec_hex(v, "key", key, sizeof(key));
		size_t mlen = vec_hex(msgs, vec_str(v, "msg"), msg, sizeof(msg));

		ck_assert_ok(pt_cmac(alg, key, klen, msg, mlen, mac));
		ck_assert_hex(mac, pt_block_size(alg), vec_str(v, "mac"));
		n++;
	}
	ck_assert_uint_eq(n, 16);
	json_decref(root);
}
END_TEST

/* ISO 9797-1 alg 3 equals alg 1 (CBC-MAC) with TDES when K1 = K2, and the
 * padding methods behave as specified. */
START_TEST(retail_mac_properties)
{
	uint8_t key[16], kk[16], msg[40], mac[8], cbc[40], ref[8];

	trand_seed(9797);
	trand_bytes(key, 16);
	trand_bytes(msg, sizeof(msg));
	memcpy(kk, key, 8);
	memcpy(kk + 8, key, 8);
	ck_assert_ok(pt_retail_mac(kk, 16, PT_PAD_NONE, msg, 40, mac));
	ck_assert_ok(pt_cbc(PT_ALG_TDES, 1, kk, 16, NULL, msg, 40, cbc));
	ck_assert_mem_eq(mac, cbc + 32, 8);
	/* method 1 on a block multiple adds nothing; method 2 adds a block */
	ck_assert_ok(pt_retail_mac(key, 16, PT_PAD_NONE, msg, 16, ref));
	ck_assert_ok(pt_retail_mac(key, 16, PT_PAD_M1, msg, 16, mac));
	ck_assert_mem_eq(mac, ref, 8);
	ck_assert_ok(pt_retail_mac(key, 16, PT_PAD_M2, msg, 16, mac));
	ck_assert_int_ne(memcmp(mac, ref, 8), 0);
	/* method 1 zero fill == explicit zeros */
	memset(cbc, 0, 24);
	memcpy(cbc, msg, 17);
	ck_assert_ok(pt_retail_mac(key, 16, PT_PAD_M1, msg, 17, mac));
	ck_assert_ok(pt_retail_mac(key, 16, PT_PAD_NONE, cbc, 24, ref));
	ck_assert_mem_eq(mac, ref, 8);
	/* bad input */
	ck_assert_pt(pt_retail_mac(key, 8, PT_PAD_M1, msg, 17, mac), PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_retail_mac(key, 16, PT_PAD_NONE, msg, 17, mac), PT_ERR_DATA_LENGTH);
	ck_assert_pt(pt_retail_mac(key, 16, (enum pt_pad)7, msg, 17, mac), PT_ERR_INVALID_ARG);
}
END_TEST

START_TEST(kcv_values)
{
	uint8_t key[32], kcv[5];

	hexbuf("3F419E1CB7079442AA37474C2EFBF8B8", key, 16);
	ck_assert_ok(pt_kcv(PT_ALG_TDES, key, 16, kcv, 3));
	ck_assert_hex(kcv, 3, "57C409");	/* TR-31:2018 A.7.2.2 */
	ck_assert_ok(pt_kcv(PT_ALG_AES, key, 16, kcv, 5));
	ck_assert_hex(kcv, 5, "08793E25AB");	/* X9.143:2021 8.1 */
	ck_assert_pt(pt_kcv(PT_ALG_TDES, key, 8, kcv, 3), PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_kcv(PT_ALG_TDES, key, 16, kcv, 9), PT_ERR_INVALID_ARG);
}
END_TEST

START_TEST(data_round_trips)
{
	uint8_t key[32], iv[16], in[100], ct[128], pt[128];
	unsigned n = iters(200, 10);

	trand_seed(38);
	for (unsigned it = 0; it < n; it++) {
		enum pt_alg alg = it % 2 ? PT_ALG_AES : PT_ALG_TDES;
		size_t bs = pt_block_size(alg), klen = alg == PT_ALG_AES ?
			16 + 8 * (trand() % 3) : 16 + 8 * (trand() % 2);
		size_t len = trand() % 100, clen, plen;

		trand_bytes(key, sizeof(key));
		trand_bytes(iv, sizeof(iv));
		trand_bytes(in, len);
		ck_assert_ok(pt_data_encrypt(alg, key, klen, it % 3 ? NULL : iv, in, len,
					     ct, sizeof(ct), &clen));
		ck_assert_uint_eq(clen, (len / bs + 1) * bs);
		ck_assert_ok(pt_data_decrypt(alg, key, klen, it % 3 ? NULL : iv, ct, clen,
					     pt, sizeof(pt), &plen));
		ck_assert_uint_eq(plen, len);
		ck_assert_mem_eq(pt, in, len);
	}
}
END_TEST

/* Mode is CBC + ISO 9797-1 padding method 2 with a zero IV: check the
 * ciphertext equals raw CBC over the explicitly padded data. */
START_TEST(data_mode_is_documented_one)
{
	uint8_t key[16] = { 1, 2, 3 }, padded[32], ct[32], ref[32];
	const char *msg = "4012345678909D987";	/* 17 bytes */
	size_t clen;

	memset(padded, 0, sizeof(padded));
	memcpy(padded, msg, 17);
	padded[17] = 0x80;
	ck_assert_ok(pt_data_encrypt(PT_ALG_AES, key, 16, NULL, (const uint8_t *)msg, 17,
				     ct, sizeof(ct), &clen));
	ck_assert_uint_eq(clen, 32);
	ck_assert_ok(pt_cbc(PT_ALG_AES, 1, key, 16, NULL, padded, 32, ref));
	ck_assert_mem_eq(ct, ref, 32);
}
END_TEST

START_TEST(data_bad_input)
{
	uint8_t key[16] = { 5 }, buf[64] = { 0 }, out[64];
	size_t n;

	ck_assert_pt(pt_data_encrypt(PT_ALG_AES, key, 16, NULL, buf, 16, out, 16, &n),
		     PT_ERR_BUFFER);
	ck_assert_pt(pt_data_decrypt(PT_ALG_AES, key, 16, NULL, buf, 15, out, 64, &n),
		     PT_ERR_DATA_LENGTH);
	ck_assert_pt(pt_data_decrypt(PT_ALG_AES, key, 16, NULL, buf, 0, out, 64, &n),
		     PT_ERR_DATA_LENGTH);
	ck_assert_pt(pt_data_encrypt(PT_ALG_TDES, key, 8, NULL, buf, 8, out, 64, &n),
		     PT_ERR_KEY_LENGTH);
	/* a block of zeros has no 0x80 marker: bad padding */
	memset(buf, 0, 16);
	ck_assert_ok(pt_cbc(PT_ALG_AES, 1, key, 16, NULL, buf, 16, out));
	ck_assert_pt(pt_data_decrypt(PT_ALG_AES, key, 16, NULL, out, 16, buf, 64, &n),
		     PT_ERR_PADDING);
	ck_assert_pt(pt_ecb(PT_ALG_AES, 1, key, 16, buf, 17, out), PT_ERR_DATA_LENGTH);
	ck_assert_pt(pt_ecb((enum pt_alg)9, 1, key, 16, buf, 16, out), PT_ERR_ALGORITHM);
}
END_TEST

START_TEST(hex_helpers)
{
	uint8_t b[4];
	size_t n;
	char h[9];

	ck_assert_ok(pt_hex_decode("0aFf", b, 4, &n));
	ck_assert_uint_eq(n, 2);
	pt_hex_encode(b, 2, h);
	ck_assert_str_eq(h, "0AFF");
	ck_assert_pt(pt_hex_decode("ABC", b, 4, &n), PT_ERR_HEX);
	ck_assert_pt(pt_hex_decode("GG", b, 4, &n), PT_ERR_HEX);
	ck_assert_pt(pt_hex_decode("0011223344", b, 4, &n), PT_ERR_BUFFER);
	ck_assert_str_ne(pt_strerror(PT_ERR_HEX), pt_strerror(PT_ERR_PIN));
	ck_assert_str_eq(pt_strerror(12345), "unknown error");
	for (int e = 0; e >= PT_ERR_NOLOCK; e--)
		ck_assert_str_ne(pt_strerror(e), "unknown error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_mac");
	TCase *t = tcase_create("mac");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, cmac_vectors);
	tcase_add_test(t, retail_mac_properties);
	tcase_add_test(t, kcv_values);
	tcase_add_test(t, data_round_trips);
	tcase_add_test(t, data_mode_is_documented_one);
	tcase_add_test(t, data_bad_input);
	tcase_add_test(t, hex_helpers);
	suite_add_tcase(s, t);
	return run_suite(s);
}
