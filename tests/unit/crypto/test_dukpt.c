// SPDX-License-Identifier: GPL-2.0-or-later
/* DUKPT (AES X9.24-3-2017, TDES X9.24-1-2009): published vectors, device vs
 * host agreement, 16/10-one-bit rule, exhaustion, bad input. */
#include "common.h"

#include <string.h>

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const struct { const char *member; enum pt_dukpt_usage u; enum pt_key_type t; } aes_wk[] = {
	{ "pin_key_aes128", PT_DUKPT_PIN, PT_KT_AES128 },
	{ "pin_encryption_key_aes128", PT_DUKPT_PIN, PT_KT_AES128 },
	{ "mac_gen_key_aes128", PT_DUKPT_MAC_GEN, PT_KT_AES128 },
	{ "mac_generation_key_aes128", PT_DUKPT_MAC_GEN, PT_KT_AES128 },
	{ "data_enc_key_aes128", PT_DUKPT_DATA_ENC, PT_KT_AES128 },
	{ "data_encryption_key_aes128", PT_DUKPT_DATA_ENC, PT_KT_AES128 },
	{ "pin_key_aes256", PT_DUKPT_PIN, PT_KT_AES256 },
	{ "mac_gen_key_aes256", PT_DUKPT_MAC_GEN, PT_KT_AES256 },
	{ "data_enc_key_aes256", PT_DUKPT_DATA_ENC, PT_KT_AES256 },
};

/* Checks one AES vector file (shared or supplement layout). */
static unsigned check_aes_file(const char *file)
{
	json_t *root = vec_load(file), *sets = json_object_get(root, "sets"), *set;
	size_t i, j;
	unsigned checked = 0;

	ck_assert(json_array_size(sets) >= 1);
	json_array_foreach(sets, i, set) {
		uint8_t bdk[32], ikid[8], ik[32], ksn[12], txn[32], w[32];
		uint8_t pinf[16], epb[16];
		char pin[13];
		size_t bdklen = vec_hex(set, "bdk", bdk, sizeof(bdk)), outlen;
		json_t *txs = json_object_get(set, "transactions"), *tx;
		int have_pinf = json_object_get(set, "pin_field") != NULL;

		vec_hex(set, "initial_key_id", ikid, 8);
		ck_assert_ok(pt_dukpt_aes_initial_key(bdk, bdklen, ikid, ik));
		ck_assert_hex(ik, bdklen, vec_str(set, "initial_key"));
		if (have_pinf)
			vec_hex(set, "pin_field", pinf, 16);
		json_array_foreach(txs, j, tx) {
			ck_assert_uint_eq(vec_hex(tx, "ksn", ksn, 12), 12);
			ck_assert_ok(pt_dukpt_aes_txn_key(ik, bdklen, ksn, txn));
			ck_assert_hex(txn, bdklen, vec_str(tx, "transaction_key"));
			ck_assert_ok(pt_dukpt_aes_host_txn_key(bdk, bdklen, ksn, w));
			ck_assert_hex(w, bdklen, vec_str(tx, "transaction_key"));
			checked++;
			for (size_t k = 0; k < sizeof(aes_wk) / sizeof(aes_wk[0]); k++) {
				if (!json_object_get(tx, aes_wk[k].member))
					continue;
				ck_assert_ok(pt_dukpt_aes_working_key(txn, bdklen, ksn,
						aes_wk[k].u, aes_wk[k].t, w));
				ck_assert_hex(w, pt_key_type_len(aes_wk[k].t),
					      vec_str(tx, aes_wk[k].member));
				checked++;
			}
			if (json_object_get(tx, "encrypted_pin_block_format4")) {
				ck_assert_ok(pt_dukpt_aes_working_key(txn, bdklen, ksn,
						PT_DUKPT_PIN, PT_KT_AES128, w));
				if (have_pinf) {
					ck_assert_ok(pt_pinblock_encrypt(4, w, 16, "1234",
						vec_str(set, "pan"), pinf + 8, epb, &outlen));
					ck_assert_hex(epb, 16, vec_str(tx, "encrypted_pin_block_format4"));
				}
				vec_hex(tx, "encrypted_pin_block_format4", epb, 16);
				ck_assert_ok(pt_pinblock_decrypt(4, w, 16, epb, 16,
						"4111111111111111", pin));
				ck_assert_str_eq(pin, "1234");
				checked++;
			}
		}
	}
	json_decref(root);
	return checked;
}

START_TEST(aes_shared_vectors)
{
	ck_assert_uint_ge(check_aes_file("dukpt_aes.json"), 10);
}
END_TEST

START_TEST(aes_supplement_vectors)
{
	ck_assert_uint_ge(check_aes_file("x9_24_3_2017_aes.json"), 100);
}
END_TEST

/* Device side reproduces every supplement transaction key, reaching the
 * far counters through pt_dukpt_dev_init_aes_at(). */
START_TEST(aes_device_vectors)
{
	json_t *root = vec_load("x9_24_3_2017_aes.json"), *set;
	size_t i, j;

	json_array_foreach(json_object_get(root, "sets"), i, set) {
		uint8_t ik[32], ikid[8], ksn[12], got_ksn[12], txn[32];
		size_t iklen = vec_hex(set, "initial_key", ik, 32);
		struct pt_dukpt_dev d;
		json_t *tx;

		vec_hex(set, "initial_key_id", ikid, 8);
		ck_assert_ok(pt_dukpt_dev_init_aes(&d, ik, iklen, ikid));
		json_array_foreach(json_object_get(set, "transactions"), j, tx) {
			vec_hex(tx, "ksn", ksn, 12);
			if (be32(ksn + 8) > 8) {
				ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, ik, iklen, ikid,
								      be32(ksn + 8)));
			}
			ck_assert_ok(pt_dukpt_dev_next(&d, got_ksn, txn));
			ck_assert_hex(got_ksn, 12, vec_str(tx, "ksn"));
			ck_assert_hex(txn, iklen, vec_str(tx, "transaction_key"));
		}
		pt_dukpt_dev_wipe(&d);
	}
	json_decref(root);
}
END_TEST

/* Stepping from 0x1FFFE skips 0x1FFFF (17 one bits) and lands on 0x20000. */
START_TEST(aes_device_skips_heavy_counters)
{
	uint8_t ik[16] = { 1, 2, 3 }, ikid[8] = { 0x12, 0x34 }, ksn[12], txn[16];
	struct pt_dukpt_dev d;

	ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, ik, 16, ikid, 0x1FFFE));
	ck_assert_ok(pt_dukpt_dev_next(&d, ksn, txn));
	ck_assert_uint_eq(be32(ksn + 8), 0x1FFFE);
	ck_assert_uint_eq(d.counter, 0x20000);
	/* 0x0000FFFF has 16 one bits and is used; the next has 1 */
	ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, ik, 16, ikid, 0xFFFF));
	ck_assert_ok(pt_dukpt_dev_next(&d, ksn, txn));
	ck_assert_uint_eq(be32(ksn + 8), 0xFFFF);
	ck_assert_uint_eq(d.counter, 0x10000);
	/* 0x7FFF8000 (16 bits): next is 0x80000000 */
	ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, ik, 16, ikid, 0x7FFF8000));
	ck_assert_ok(pt_dukpt_dev_next(&d, ksn, txn));
	ck_assert_uint_eq(d.counter, 0x80000000u);
	/* counters with 17 bits cannot be started from */
	ck_assert_pt(pt_dukpt_dev_init_aes_at(&d, ik, 16, ikid, 0x1FFFF), PT_ERR_COUNTER);
	pt_dukpt_dev_wipe(&d);
}
END_TEST

START_TEST(aes_device_exhaustion)
{
	uint8_t ik[32] = { 9 }, ikid[8] = { 7 }, ksn[12], txn[32], host[32];
	struct pt_dukpt_dev d;
	uint32_t expect[] = { 0xFFFE2000u, 0xFFFE4000u, 0xFFFE8000u, 0xFFFF0000u };

	ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, ik, 32, ikid, 0xFFFE2000u));
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_ok(pt_dukpt_dev_next(&d, ksn, txn));
		ck_assert_uint_eq(be32(ksn + 8), expect[i]);
		ck_assert_ok(pt_dukpt_aes_txn_key(ik, 32, ksn, host));
		ck_assert_mem_eq(txn, host, 32);
	}
	ck_assert_uint_eq(d.counter, 0);
	ck_assert_pt(pt_dukpt_dev_ksn(&d, ksn), PT_ERR_EXHAUSTED);
	ck_assert_pt(pt_dukpt_dev_next(&d, ksn, txn), PT_ERR_EXHAUSTED);
	ck_assert_pt(pt_dukpt_dev_next(&d, ksn, txn), PT_ERR_EXHAUSTED);
	pt_dukpt_dev_wipe(&d);
}
END_TEST

/* Property: from random valid starting counters, the device sequence is
 * strictly increasing, has at most 16 one bits and matches the host. */
static void dev_vs_host(enum pt_dukpt_kind kind, size_t iklen, unsigned starts,
			unsigned steps)
{
	uint8_t ik[32], id[12], ksn[12], txn[32], host[32], prev[12];
	struct pt_dukpt_dev d;
	unsigned bits = kind == PT_DUKPT_AES ? 32 : 21;
	unsigned maxones = kind == PT_DUKPT_AES ? 16 : 10;

	for (unsigned s = 0; s < starts; s++) {
		uint32_t c;

		trand_bytes(ik, sizeof(ik));
		trand_bytes(id, sizeof(id));
		do {
			c = trand();
			if (bits < 32)
				c &= (1u << bits) - 1;
			if (s == 0)
				c = 1;
		} while (c == 0 || pt_popcount32(c) > maxones);
		if (kind == PT_DUKPT_AES)
			ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, ik, iklen, id, c));
		else
			ck_assert_ok(pt_dukpt_dev_init_tdes_at(&d, ik, id, c));
		for (unsigned i = 0; i < steps; i++) {
			int r = pt_dukpt_dev_next(&d, ksn, txn);
			uint32_t cur;

			if (r == PT_ERR_EXHAUSTED)
				break;
			ck_assert_ok(r);
			if (kind == PT_DUKPT_AES) {
				cur = be32(ksn + 8);
				ck_assert_ok(pt_dukpt_aes_txn_key(ik, iklen, ksn, host));
			} else {
				cur = ((uint32_t)ksn[7] << 16 | ksn[8] << 8 | ksn[9]) & 0x1FFFFF;
				ck_assert_ok(pt_dukpt_tdes_txn_key(ik, ksn, host));
			}
			ck_assert_uint_le(pt_popcount32(cur), maxones);
			ck_assert_mem_eq(txn, host, pt_dukpt_dev_key_len(&d));
			if (i)
				ck_assert_int_lt(memcmp(prev, ksn, pt_dukpt_dev_ksn_len(&d)), 0);
			memcpy(prev, ksn, sizeof(prev));
		}
	}
	pt_dukpt_dev_wipe(&d);
}

START_TEST(aes128_device_matches_host)
{
	trand_seed(128);
	dev_vs_host(PT_DUKPT_AES, 16, iters(40, 8), iters(64, 4));
}
END_TEST

START_TEST(aes256_device_matches_host)
{
	trand_seed(256);
	dev_vs_host(PT_DUKPT_AES, 32, iters(20, 4), iters(64, 4));
}
END_TEST

START_TEST(aes192_device_matches_host)
{
	trand_seed(192);
	dev_vs_host(PT_DUKPT_AES, 24, iters(10, 5), iters(64, 4));
}
END_TEST

START_TEST(tdes_device_matches_host)
{
	trand_seed(2009);
	dev_vs_host(PT_DUKPT_TDES, 16, iters(40, 8), iters(64, 4));
}
END_TEST

/* Every working key type from AES-128 and AES-256 transaction keys; TDES
 * types are 16/24 bytes and usable with TDES; a type longer than the
 * derivation key is refused. */
START_TEST(aes_working_key_types)
{
	uint8_t bdk[32] = { 0 }, ksn[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1 };
	uint8_t txn[32], w[32], w2[32];
	enum pt_key_type types[] = { PT_KT_TDES2, PT_KT_TDES3, PT_KT_AES128,
				     PT_KT_AES192, PT_KT_AES256 };

	for (size_t blen = 16; blen <= 32; blen += 16) {
		ck_assert_ok(pt_dukpt_aes_host_txn_key(bdk, blen, ksn, txn));
		for (size_t t = 0; t < 5; t++) {
			size_t wl = pt_key_type_len(types[t]);

			/* strength rule: AES-192/256 not from AES-128; 3TDEA is fine */
			if (pt_key_type_is_aes(types[t]) && wl > blen) {
				ck_assert_pt(pt_dukpt_aes_working_key(txn, blen, ksn,
					PT_DUKPT_PIN, types[t], w), PT_ERR_KEY_LENGTH);
				continue;
			}
			ck_assert_ok(pt_dukpt_aes_working_key(txn, blen, ksn,
					PT_DUKPT_PIN, types[t], w));
			ck_assert_ok(pt_dukpt_aes_working_key(txn, blen, ksn,
					PT_DUKPT_DATA_ENC, types[t], w2));
			ck_assert_int_ne(memcmp(w, w2, wl), 0);
			ck_assert_ok(pt_dukpt_aes_working_key(txn, blen, ksn,
					PT_DUKPT_DATA_DEC, types[t], w2));
			ck_assert_int_ne(memcmp(w, w2, wl), 0);
			ck_assert_ok(pt_dukpt_aes_working_key(txn, blen, ksn,
					PT_DUKPT_MAC_VER, types[t], w2));
			ck_assert_int_ne(memcmp(w, w2, wl), 0);
		}
	}
}
END_TEST

START_TEST(aes_bad_input)
{
	uint8_t k[33] = { 0 }, ksn[12] = { 0 }, out[32], heavy[32];

	ck_assert_pt(pt_dukpt_aes_initial_key(k, 15, ksn, out), PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_dukpt_aes_initial_key(k, 33, ksn, out), PT_ERR_KEY_LENGTH);
	ck_assert_pt(pt_dukpt_aes_initial_key(NULL, 16, ksn, out), PT_ERR_INVALID_ARG);
	/* counter 0 is refused; the host derives any other counter, even
	 * one a device never uses (0x1FFFF has 17 one bits) */
	ck_assert_pt(pt_dukpt_aes_txn_key(k, 16, ksn, out), PT_ERR_COUNTER);
	ksn[9] = 0x01; ksn[10] = 0xFF; ksn[11] = 0xFF;	/* 0x1FFFF */
	ck_assert_ok(pt_dukpt_aes_host_txn_key(k, 16, ksn, heavy));
	ksn[9] = 0x00;	/* 0xFFFF */
	ck_assert_ok(pt_dukpt_aes_host_txn_key(k, 16, ksn, out));
	ck_assert_int_ne(memcmp(out, heavy, 16), 0);
	ck_assert_pt(pt_dukpt_aes_working_key(out, 16, ksn, (enum pt_dukpt_usage)0x1234,
					      PT_KT_AES128, out), PT_ERR_INVALID_ARG);
	ck_assert_pt(pt_dukpt_aes_working_key(out, 16, ksn, PT_DUKPT_PIN,
					      (enum pt_key_type)9, out), PT_ERR_ALGORITHM);
	ck_assert(pt_dukpt_aes_counter_valid(0xFFFF0000u));
	ck_assert(!pt_dukpt_aes_counter_valid(0xFFFF8000u));
	ck_assert(!pt_dukpt_aes_counter_valid(0));
}
END_TEST

/* X9.24-1-2009 A.4: IPEK, every future key, PIN block, request/response
 * MACs and encrypted request data for the initial and rollover sequences. */
START_TEST(tdes_annex_a_vectors)
{
	json_t *root = vec_load("x9_24_1_2009_tdes.json"), *tx;
	uint8_t bdk[16], iksn[10], ipek[16], ksn[10], txn[16], w[16], mac[8];
	uint8_t pb[8], out[24], plain[24];
	const char *data = vec_str(root, "mac_data_ascii");
	size_t i, n = 0;

	vec_hex(root, "bdk", bdk, 16);
	vec_hex(root, "initial_ksn", iksn, 10);
	vec_hex(root, "clear_pin_block", pb, 8);
	vec_hex(root, "encrypted_request_plaintext", plain, 24);
	ck_assert_ok(pt_dukpt_tdes_ipek(bdk, iksn, ipek));
	ck_assert_hex(ipek, 16, vec_str(root, "ipek"));
	json_array_foreach(json_object_get(root, "transactions"), i, tx) {
		vec_hex(tx, "ksn", ksn, 10);
		ck_assert_ok(pt_dukpt_tdes_txn_key(ipek, ksn, txn));
		ck_assert_hex(txn, 16, vec_str(tx, "transaction_key"));
		ck_assert_ok(pt_dukpt_tdes_host_txn_key(bdk, ksn, w));
		ck_assert_mem_eq(w, txn, 16);
		ck_assert_ok(pt_dukpt_tdes_working_key(txn, PT_DUKPT_PIN, w));
		ck_assert_ok(pt_ecb(PT_ALG_TDES, 1, w, 16, pb, 8, out));
		ck_assert_hex(out, 8, vec_str(tx, "encrypted_pin_block"));
		ck_assert_ok(pt_dukpt_tdes_working_key(txn, PT_DUKPT_MAC_GEN, w));
		ck_assert_ok(pt_retail_mac(w, 16, PT_PAD_M1, (const uint8_t *)data,
					   strlen(data), mac));
		ck_assert_hex(mac, 4, vec_str(tx, "request_mac"));	/* X9.19: leftmost 4 bytes */
		ck_assert_ok(pt_dukpt_tdes_working_key(txn, PT_DUKPT_MAC_VER, w));
		ck_assert_ok(pt_retail_mac(w, 16, PT_PAD_M1, (const uint8_t *)data,
					   strlen(data), mac));
		ck_assert_hex(mac, 4, vec_str(tx, "response_mac"));
		ck_assert_ok(pt_dukpt_tdes_working_key(txn, PT_DUKPT_DATA_ENC, w));
		ck_assert_ok(pt_cbc(PT_ALG_TDES, 1, w, 16, NULL, plain, 24, out));
		ck_assert_hex(out, 24, vec_str(tx, "encrypted_request"));
		n++;
	}
	ck_assert_uint_eq(n, 34);
	json_decref(root);
}
END_TEST

START_TEST(tdes_shared_vectors)
{
	json_t *root = vec_load("dukpt_tdes.json"), *tx;
	uint8_t bdk[16], iksn[10], ipek[16], ksn[10], txn[16], w[16], pb[8], out[8];
	size_t i, len;
	char pin[13];

	vec_hex(root, "bdk", bdk, 16);
	vec_hex(root, "initial_ksn", iksn, 10);
	ck_assert_ok(pt_dukpt_tdes_ipek(bdk, iksn, ipek));
	ck_assert_hex(ipek, 16, vec_str(root, "ipek"));
	ck_assert_ok(pt_pinblock_encode(0, vec_str(root, "pin"), vec_str(root, "pan"),
					NULL, pb, &len));
	ck_assert_hex(pb, 8, vec_str(root, "clear_pin_block_format0"));
	json_array_foreach(json_object_get(root, "transactions"), i, tx) {
		vec_hex(tx, "ksn", ksn, 10);
		ck_assert_ok(pt_dukpt_tdes_host_txn_key(bdk, ksn, txn));
		ck_assert_hex(txn, 16, vec_str(tx, "future_key"));
		ck_assert_ok(pt_dukpt_tdes_working_key(txn, PT_DUKPT_PIN, w));
		ck_assert_ok(pt_pinblock_encrypt(0, w, 16, "1234", vec_str(root, "pan"),
						 NULL, out, &len));
		ck_assert_hex(out, 8, vec_str(tx, "encrypted_pin_block"));
		vec_hex(tx, "encrypted_pin_block", out, 8);
		ck_assert_ok(pt_pinblock_decrypt(0, w, 16, out, 8, vec_str(root, "pan"), pin));
		ck_assert_str_eq(pin, "1234");
	}
	json_decref(root);
}
END_TEST

/* Device side from the IPEK walks the published initial sequence (KSN
 * ...E00001 to ...E00015) and, started at ...EFF800, the rollover
 * sequence that skips counters with more than 10 one bits. */
START_TEST(tdes_device_sequences)
{
	json_t *root = vec_load("x9_24_1_2009_tdes.json"), *txs, *tx;
	uint8_t ipek[16], iksn[10], ksn[10], txn[16];
	struct pt_dukpt_dev d;
	size_t i;

	vec_hex(root, "ipek", ipek, 16);
	vec_hex(root, "initial_ksn", iksn, 10);
	txs = json_object_get(root, "transactions");
	ck_assert_ok(pt_dukpt_dev_init_tdes(&d, ipek, iksn));
	json_array_foreach(txs, i, tx) {
		if (i == 21)	/* rollover sequence starts at counter 0x0FF800 */
			ck_assert_ok(pt_dukpt_dev_init_tdes_at(&d, ipek, iksn, 0x0FF800));
		ck_assert_ok(pt_dukpt_dev_next(&d, ksn, txn));
		ck_assert_hex(ksn, 10, vec_str(tx, "ksn"));
		ck_assert_hex(txn, 16, vec_str(tx, "transaction_key"));
	}
	json_decref(root);
	/* last counter with 10 one bits, then exhausted */
	ck_assert_ok(pt_dukpt_dev_init_tdes_at(&d, ipek, iksn, 0x1FF800));
	ck_assert_ok(pt_dukpt_dev_next(&d, ksn, txn));
	ck_assert_pt(pt_dukpt_dev_next(&d, ksn, txn), PT_ERR_EXHAUSTED);
	ck_assert_pt(pt_dukpt_dev_init_tdes_at(&d, ipek, iksn, 0x200000), PT_ERR_COUNTER);
	ck_assert_pt(pt_dukpt_dev_init_tdes_at(&d, ipek, iksn, 0x0007FF), PT_ERR_COUNTER);
	pt_dukpt_dev_wipe(&d);
}
END_TEST

START_TEST(tdes_variants_distinct)
{
	uint8_t txn[16] = { 0x42 }, k[5][16];
	enum pt_dukpt_usage u[5] = { PT_DUKPT_PIN, PT_DUKPT_MAC_GEN, PT_DUKPT_MAC_VER,
				     PT_DUKPT_DATA_ENC, PT_DUKPT_DATA_DEC };

	for (int i = 0; i < 5; i++)
		ck_assert_ok(pt_dukpt_tdes_working_key(txn, u[i], k[i]));
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			ck_assert_int_ne(memcmp(k[i], k[j], 16), 0);
	/* PIN variant is a plain XOR of bytes 7 and 15 */
	ck_assert_uint_eq(k[0][0], 0x42);
	ck_assert_uint_eq(k[0][7], 0xFF);
	ck_assert_uint_eq(k[0][15], 0xFF);
	ck_assert_pt(pt_dukpt_tdes_working_key(txn, PT_DUKPT_KEK, k[0]), PT_ERR_INVALID_ARG);
}
END_TEST

START_TEST(tdes_bad_input)
{
	uint8_t bdk[16] = { 0 }, ksn[10] = { 0 }, out[16];

	ck_assert_pt(pt_dukpt_tdes_host_txn_key(bdk, ksn, out), PT_ERR_COUNTER);
	ksn[7] = 0x1F; ksn[8] = 0xFF; ksn[9] = 0xFF;	/* 21 one bits: derivable */
	ck_assert_ok(pt_dukpt_tdes_host_txn_key(bdk, ksn, out));
	ksn[7] = 0xE0; ksn[8] = 0x03; ksn[9] = 0xFF;	/* 10 bits: fine */
	ck_assert_ok(pt_dukpt_tdes_host_txn_key(bdk, ksn, out));
	ck_assert_pt(pt_dukpt_tdes_ipek(NULL, ksn, out), PT_ERR_INVALID_ARG);
}
END_TEST

START_TEST(key_type_names)
{
	enum pt_key_type t;

	ck_assert_ok(pt_key_type_parse("aes256", &t));
	ck_assert_int_eq(t, PT_KT_AES256);
	ck_assert_ok(pt_key_type_parse("TDES3", &t));
	ck_assert_uint_eq(pt_key_type_len(t), 24);
	ck_assert_pt(pt_key_type_parse("aes512", &t), PT_ERR_ALGORITHM);
	ck_assert_str_eq(pt_key_type_name(PT_KT_AES192), "aes192");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_dukpt");
	TCase *v = tcase_create("vectors"), *p = tcase_create("properties"),
	      *b = tcase_create("bad_input");

	tcase_set_timeout(p, 120);
	tcase_set_timeout(v, 60);
	tcase_add_test(v, aes_shared_vectors);
	tcase_add_test(v, aes_supplement_vectors);
	tcase_add_test(v, aes_device_vectors);
	tcase_add_test(v, tdes_annex_a_vectors);
	tcase_add_test(v, tdes_shared_vectors);
	tcase_add_test(v, tdes_device_sequences);
	tcase_add_test(p, aes_device_skips_heavy_counters);
	tcase_add_test(p, aes_device_exhaustion);
	tcase_add_test(p, aes128_device_matches_host);
	tcase_add_test(p, aes256_device_matches_host);
	tcase_add_test(p, aes192_device_matches_host);
	tcase_add_test(p, tdes_device_matches_host);
	tcase_add_test(p, aes_working_key_types);
	tcase_add_test(p, tdes_variants_distinct);
	tcase_add_test(b, aes_bad_input);
	tcase_add_test(b, tdes_bad_input);
	tcase_add_test(b, key_type_names);
	suite_add_tcase(s, v);
	suite_add_tcase(s, p);
	suite_add_tcase(s, b);
	return run_suite(s);
}
