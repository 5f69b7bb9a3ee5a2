/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared helpers for the payterm crypto Check tests. */
#ifndef PT_TEST_COMMON_H
#define PT_TEST_COMMON_H

#include <check.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "payterm_crypto.h"

/* Parsed vector file tests/unit/crypto/vectors/<name>; aborts the test on
 * error.  Caller json_decref()s. */
json_t *vec_load(const char *name);
/* String member (must exist). */
const char *vec_str(json_t *obj, const char *key);
/* Hex member decoded into buf; returns length. */
size_t vec_hex(json_t *obj, const char *key, uint8_t *buf, size_t cap);
/* Decode a hex literal; returns length. */
size_t hexbuf(const char *hex, uint8_t *buf, size_t cap);
/* Assert buf equals hex. */
#define ck_assert_hex(buf, len, hex) do {				\
	char h_[2 * 512 + 1];						\
	ck_assert_uint_le((len), 512);					\
	pt_hex_encode((buf), (len), h_);				\
	ck_assert_str_eq(h_, (hex));					\
} while (0)
#define ck_assert_pt(expr, err) do {					\
	int r_ = (expr);						\
	ck_assert_msg(r_ == (err), "%s: got %d (%s), want %d (%s)",	\
		      #expr, r_, pt_strerror(r_), (err), pt_strerror(err)); \
} while (0)
#define ck_assert_ok(expr) ck_assert_pt(expr, PT_OK)

/* 1 when PAYTERM_TEST_SLOW is set (ASan / Valgrind runs): reduce loops. */
int test_slow(void);
/* Loop count: n normally, n / div (at least 1) when slow. */
unsigned iters(unsigned n, unsigned div);
/* Deterministic PRNG for property tests (seeded per test). */
void trand_seed(uint64_t seed);
uint32_t trand(void);
void trand_bytes(uint8_t *p, size_t n);

/* Runs the suite, returns exit status. */
int run_suite(Suite *s);

#endif
