// SPDX-License-Identifier: GPL-2.0-or-later
/* TR-31 / X9.143 key blocks: published blocks, exact re-export, round
 * trips, malformed input, key usage enforcement. */
#include "common.h"

#include <stdio.h>
#include <string.h>

static unsigned check_file(const char *file)
{
	json_t *root = vec_load(file), *b;
	size_t i;
	unsigned n = 0;

	json_array_foreach(json_object_get(root, "blocks"), i, b) {
		struct pt_tr31_key k, k2;
		uint8_t kbpk[32], pad[64];
		size_t kbpklen = vec_hex(b, "kbpk", kbpk, sizeof(kbpk)), padlen;
		const char *blk = vec_str(b, "key_block");
		char again[512];

		ck_assert_msg(pt_tr31_unwrap(kbpk, kbpklen, blk, &k) == PT_OK,
			      "%s: %s", vec_str(b, "name"),
			      pt_strerror(pt_tr31_unwrap(kbpk, kbpklen, blk, &k2)));
		ck_assert_hex(k.key, k.keylen, vec_str(b, "clear_key"));
		if (strlen(vec_str(b, "kcv")) == 6) {
			ck_assert_hex(k.kcv, 3, vec_str(b, "kcv"));
		} else {	/* X9.143 5-byte KCV */
			uint8_t kcv[5];

			ck_assert_ok(pt_kcv(k.algorithm == 'A' ? PT_ALG_AES : PT_ALG_TDES,
					    k.key, k.keylen, kcv, 5));
			ck_assert_hex(kcv, 5, vec_str(b, "kcv"));
		}
		ck_assert_int_eq(k.version, blk[0]);
		ck_assert_int_eq(k.usage[0], blk[5]);
		ck_assert_int_eq(k.mode, blk[8]);
		if (json_object_get(b, "opt_KS"))
			ck_assert_str_eq(pt_tr31_opt_get(&k, "KS"), vec_str(b, "opt_KS"));
		/* export B/D: same fields, same padding -> the published block */
		if (k.version == 'B' || k.version == 'D') {
			ck_assert_ok(pt_tr31_payload_padding(kbpk, kbpklen, blk, pad,
							     sizeof(pad), &padlen));
			/* a PB block present in the original is regenerated */
			for (size_t j = 0; j < k.nopt; j++)
				ck_assert_str_ne(k.opt[j].id, "PB");
			ck_assert_ok(pt_tr31_wrap_pad(kbpk, kbpklen, &k, pad, padlen,
						      again, sizeof(again)));
			ck_assert_str_eq(again, blk);
		}
		pt_tr31_clear(&k);
		n++;
	}
	json_decref(root);
	return n;
}

START_TEST(shared_vectors)
{
	ck_assert_uint_eq(check_file("tr31.json"), 2);
}
END_TEST

START_TEST(published_vectors)
{
	json_t *root;
	struct pt_tr31_key k;
	uint8_t kbpk[32];
	size_t len, i;
	json_t *b;

	ck_assert_uint_eq(check_file("tr31_published.json"), 13);
	root = vec_load("tr31_published.json");
	json_array_foreach(json_object_get(root, "unsupported"), i, b) {
		len = vec_hex(b, "kbpk", kbpk, sizeof(kbpk));
		ck_assert_pt(pt_tr31_unwrap(kbpk, len, vec_str(b, "key_block"), &k),
			     PT_ERR_TR31_VERSION);
	}
	json_decref(root);
}
END_TEST

static void set_key(struct pt_tr31_key *k, const char *hdr, size_t keylen)
{
	memset(k, 0, sizeof(*k));
	ck_assert_ok(pt_tr31_set_header(k, hdr));
	k->keylen = keylen;
	trand_bytes(k->key, keylen);
}

START_TEST(round_trips)
{
	static const struct { const char *hdr; size_t kbpk; size_t key; } c[] = {
		{ "B0000P0TE00E0000", 16, 16 }, { "B0000D0TB00N0000", 24, 24 },
		{ "B0000K0TD00S0000", 24, 16 }, { "D0000P0AE00E0000", 16, 16 },
		{ "D0000D0AB00E0000", 32, 32 }, { "D0000M6AC00N0000", 24, 24 },
		{ "D0000B1AX00N0000", 32, 16 }, { "D0000P0TE00E0000", 32, 24 },
	};
	unsigned n = iters(64, 8);
	char blk[PT_TR31_MAX_LEN + 1], data[400];

	trand_seed(31);
	for (unsigned it = 0; it < n; it++) {
		size_t ci = it % (sizeof(c) / sizeof(c[0]));
		struct pt_tr31_key k, out;
		uint8_t kbpk[32];
		unsigned nopt = trand() % 4;

		set_key(&k, c[ci].hdr, c[ci].key);
		trand_bytes(kbpk, sizeof(kbpk));
		for (unsigned o = 0; o < nopt; o++) {
			size_t dl = o == 2 ? 260 + trand() % 100 : trand() % 30;

			for (size_t j = 0; j < dl; j++)
				data[j] = (char)(0x20 + trand() % 95);
			data[dl] = 0;
			ck_assert_ok(pt_tr31_opt_add(&k, o == 0 ? "KS" : o == 1 ? "TS" : "ZZ",
						     data));
		}
		ck_assert_ok(pt_tr31_wrap(kbpk, c[ci].kbpk, &k, blk, sizeof(blk)));
		ck_assert_ok(pt_tr31_unwrap(kbpk, c[ci].kbpk, blk, &out));
		ck_assert_uint_eq(out.keylen, k.keylen);
		ck_assert_mem_eq(out.key, k.key, k.keylen);
		ck_assert_str_eq(out.usage, k.usage);
		ck_assert_int_eq(out.mode, k.mode);
		ck_assert_uint_ge(out.nopt, k.nopt);
		for (unsigned o = 0; o < k.nopt; o++)
			ck_assert_str_eq(out.opt[o].data, k.opt[o].data);
		pt_tr31_clear(&out);
		/* any single-character change is detected */
		for (int t = 0; t < 3; t++) {
			size_t pos = PT_TR31_HEADER_LEN + trand() % (strlen(blk) - PT_TR31_HEADER_LEN);
			char saved = blk[pos];
			int r;

			blk[pos] = saved == '0' ? '1' : '0';
			r = pt_tr31_unwrap(kbpk, c[ci].kbpk, blk, &out);
			ck_assert_int_ne(r, PT_OK);
			blk[pos] = saved;
		}
		pt_tr31_clear(&k);
	}
}
END_TEST

/* KC / KP optional blocks are checked when present. */
START_TEST(kcv_blocks)
{
	struct pt_tr31_key k, out;
	uint8_t kbpk[32] = { 7 }, kcv[5];
	char blk[512], hex[11], kc[16];

	set_key(&k, "D0000P0AE00E0000", 16);
	ck_assert_ok(pt_kcv(PT_ALG_AES, k.key, 16, kcv, 5));
	pt_hex_encode(kcv, 5, hex);
	snprintf(kc, sizeof(kc), "01%s", hex);
	ck_assert_ok(pt_tr31_opt_add(&k, "KC", kc));
	ck_assert_ok(pt_kcv(PT_ALG_AES, kbpk, 32, kcv, 5));
	pt_hex_encode(kcv, 5, hex);
	snprintf(kc, sizeof(kc), "01%s", hex);
	ck_assert_ok(pt_tr31_opt_add(&k, "KP", kc));
	ck_assert_ok(pt_tr31_wrap(kbpk, 32, &k, blk, sizeof(blk)));
	ck_assert_ok(pt_tr31_unwrap(kbpk, 32, blk, &out));
	pt_tr31_clear(&out);
	/* a wrong KC is neither exported nor accepted in an authentic block */
	pt_tr31_clear(&k);
	set_key(&k, "D0000P0AE00E0000", 16);
	ck_assert_ok(pt_tr31_opt_add(&k, "KC", "01000000"));
	ck_assert_pt(pt_tr31_wrap(kbpk, 32, &k, blk, sizeof(blk)), PT_ERR_TR31_OPTBLOCK);
	memcpy(k.opt[0].id, "ZZ", 2);
	ck_assert_ok(pt_tr31_wrap(kbpk, 32, &k, blk, sizeof(blk)));
	/* relabel ZZ as KC: MAC fails first, as it should */
	blk[16] = 'K';
	blk[17] = 'C';
	ck_assert_pt(pt_tr31_unwrap(kbpk, 32, blk, &out), PT_ERR_TR31_MAC);
	pt_tr31_clear(&k);
}
END_TEST

START_TEST(malformed)
{
	static const struct { const char *blk; int err; } bad[] = {
		{ "", PT_ERR_TR31_HEADER },
		{ "B0080P0TE00E00", PT_ERR_TR31_HEADER },
		{ "X0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_VERSION },
		{ "E0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_VERSION },
		{ "B0081P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_LENGTH },
		{ "B00X0P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_HEADER },
		{ "B0080p0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_HEADER },
		{ "B0080P0QE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_HEADER },
		{ "B0080P0TZ00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_HEADER },
		{ "B0080P0TE00Q000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_HEADER },
		{ "B0080P0TE00E001094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_HEADER },
		{ "B0080P0TE00E010094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_OPTBLOCK },
		{ "B0080P0TE00E990094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_OPTBLOCK },
		{ "B0032P0TE00E0100KS0800000000", PT_ERR_TR31_LENGTH },
		{ "B0028P0TE00E0100KS0Z00000000", PT_ERR_TR31_OPTBLOCK },
		{ "B0028P0TE00E0100KS0300000000", PT_ERR_TR31_OPTBLOCK },
		{ "B0028P0TE00E0100KSFF00000000", PT_ERR_TR31_OPTBLOCK },
		{ "B0028P0TE00E0100KS0006000000", PT_ERR_TR31_OPTBLOCK },
		{ "B0030P0TE00E0100KS000109000000", PT_ERR_TR31_OPTBLOCK },
		{ "B0028P0TE00E0100KS0600000000", PT_ERR_TR31_OPTBLOCK },
		{ "B0040P0TE00E000094B420079CC80BA3461F86FE", PT_ERR_TR31_LENGTH },
		{ "B0048P0TE00E000094B420079CC80BA3461F86FE26EFC4A3", PT_ERR_TR31_MAC },
		{ "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A24GE", PT_ERR_HEX },
		{ "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248F", PT_ERR_TR31_MAC },
		{ "B0080P0TB00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_ERR_TR31_MAC },
		{ "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", PT_OK },
	};
	uint8_t kbpk[16], aes[32] = { 0 };
	struct pt_tr31_key k;
	char buf[128];

	hexbuf("DD7515F2BFC17F85CE48F3CA25CB21F6", kbpk, 16);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = pt_tr31_unwrap(kbpk, 16, bad[i].blk, &k);

		ck_assert_msg(r == bad[i].err, "case %zu (%s): got %d %s want %d %s", i,
			      bad[i].blk, r, pt_strerror(r), bad[i].err,
			      pt_strerror(bad[i].err));
		if (!r)
			pt_tr31_clear(&k);
	}
	/* wrong KBPK (bit 0 of a DES key byte is parity: flip another one) */
	kbpk[0] ^= 0x10;
	ck_assert_pt(pt_tr31_unwrap(kbpk, 16, bad[25].blk, &k), PT_ERR_TR31_MAC);
	ck_assert_pt(pt_tr31_unwrap(kbpk, 8, bad[25].blk, &k), PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_tr31_unwrap(NULL, 16, bad[25].blk, &k), PT_ERR_INVALID_ARG);
	/* export refuses versions A/C and keys that do not fit the algorithm */
	set_key(&k, "A0000P0TE00E0000", 16);
	ck_assert_pt(pt_tr31_wrap(aes, 16, &k, buf, sizeof(buf)), PT_ERR_TR31_VERSION);
	set_key(&k, "D0000P0AE00E0000", 20);
	ck_assert_pt(pt_tr31_wrap(aes, 32, &k, buf, sizeof(buf)), PT_ERR_KEY_LENGTH);
	set_key(&k, "B0000P0TE00E0000", 16);
	ck_assert_pt(pt_tr31_wrap(aes, 32, &k, buf, sizeof(buf)), PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_tr31_wrap(aes, 16, &k, buf, 20), PT_ERR_BUFFER);
	ck_assert_pt(pt_tr31_set_header(&k, "B0000P0TE00"), PT_ERR_TR31_HEADER);
	ck_assert_pt(pt_tr31_set_header(&k, "B0000P0TE00X0000"), PT_ERR_TR31_HEADER);
	ck_assert_pt(pt_tr31_opt_add(&k, "k1", "x"), PT_ERR_TR31_OPTBLOCK);
	ck_assert_pt(pt_tr31_opt_add(&k, "K1", "\n"), PT_ERR_TR31_OPTBLOCK);
}
END_TEST

/* Key usage and mode of use: a PIN key is not a data or MAC key, an
 * encrypt-only key cannot decrypt, non-exportable keys are not exported. */
START_TEST(usage_enforced)
{
	struct pt_tr31_key pin, data, mac, dec;
	uint8_t out[64], mac_out[16];
	size_t n;
	char p[13];

	set_key(&pin, "B0000P0TE00N0000", 16);
	ck_assert_ok(pt_tr31_pin_encrypt(&pin, 0, "1234", "4111111111111111", out, &n));
	ck_assert_pt(pt_tr31_pin_decrypt(&pin, 0, out, n, "4111111111111111", p),
		     PT_ERR_KEY_USAGE);
	ck_assert_pt(pt_tr31_pin_encrypt(&pin, 4, "1234", "4111111111111111", out, &n),
		     PT_ERR_ALGORITHM);
	ck_assert_pt(pt_tr31_data_encrypt(&pin, (const uint8_t *)"abc", 3, out, sizeof(out), &n),
		     PT_ERR_KEY_USAGE);
	ck_assert_pt(pt_tr31_mac_generate(&pin, (const uint8_t *)"abc", 3, mac_out, &n),
		     PT_ERR_KEY_USAGE);
	ck_assert_pt(pt_tr31_check_use(&pin, PT_OP_EXPORT), PT_ERR_KEY_USAGE);
	ck_assert_pt(pt_tr31_check_use(&pin, PT_OP_DUKPT_INITIAL), PT_ERR_KEY_USAGE);
	memcpy(&dec, &pin, sizeof(dec));
	dec.mode = 'D';
	ck_assert_ok(pt_tr31_pin_decrypt(&dec, 0, out, 8, "4111111111111111", p));
	ck_assert_str_eq(p, "1234");

	set_key(&data, "D0000D0AB00E0000", 32);
	ck_assert_ok(pt_tr31_data_encrypt(&data, (const uint8_t *)"card data", 9, out,
					  sizeof(out), &n));
	ck_assert_ok(pt_tr31_data_decrypt(&data, out, n, out, sizeof(out), &n));
	ck_assert_uint_eq(n, 9);
	ck_assert_pt(pt_tr31_pin_encrypt(&data, 4, "1234", "4111111111111111", out, &n),
		     PT_ERR_KEY_USAGE);
	ck_assert_ok(pt_tr31_check_use(&data, PT_OP_EXPORT));

	set_key(&mac, "D0000M6AG00E0000", 16);
	ck_assert_ok(pt_tr31_mac_generate(&mac, (const uint8_t *)"msg", 3, mac_out, &n));
	ck_assert_uint_eq(n, 16);
	ck_assert_pt(pt_tr31_mac_verify(&mac, (const uint8_t *)"msg", 3, mac_out, 8),
		     PT_ERR_KEY_USAGE);	/* generate-only */
	mac.mode = 'C';
	ck_assert_ok(pt_tr31_mac_verify(&mac, (const uint8_t *)"msg", 3, mac_out, 8));
	mac_out[0] ^= 1;
	ck_assert_pt(pt_tr31_mac_verify(&mac, (const uint8_t *)"msg", 3, mac_out, 8), PT_ERR_MAC);
	ck_assert_pt(pt_tr31_data_encrypt(&mac, (const uint8_t *)"x", 1, out, sizeof(out), &n),
		     PT_ERR_KEY_USAGE);
	set_key(&mac, "B0000M3TC00E0000", 16);
	ck_assert_ok(pt_tr31_mac_generate(&mac, (const uint8_t *)"msg", 3, mac_out, &n));
	ck_assert_uint_eq(n, 8);
	ck_assert_ok(pt_tr31_mac_verify(&mac, (const uint8_t *)"msg", 3, mac_out, 4));

	set_key(&data, "D0000B1AX00N0000", 16);
	ck_assert_ok(pt_tr31_check_use(&data, PT_OP_DUKPT_INITIAL));
	ck_assert_pt(pt_tr31_check_use(&data, PT_OP_DUKPT_BDK), PT_ERR_KEY_USAGE);
	ck_assert_pt(pt_tr31_check_use(&data, PT_OP_DATA_ENCRYPT), PT_ERR_KEY_USAGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_tr31");
	TCase *t = tcase_create("tr31");

	tcase_set_timeout(t, 120);
	tcase_add_test(t, shared_vectors);
	tcase_add_test(t, published_vectors);
	tcase_add_test(t, round_trips);
	tcase_add_test(t, kcv_blocks);
	tcase_add_test(t, malformed);
	tcase_add_test(t, usage_enforced);
	suite_add_tcase(s, t);
	return run_suite(s);
}
