// SPDX-License-Identifier: GPL-2.0-or-later
#include "common.h"
#include "../check_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PT_VECTOR_DIR
#define PT_VECTOR_DIR "tests/unit/crypto/vectors"
#endif

json_t *vec_load(const char *name)
{
	char path[4096];
	json_error_t err;
	json_t *j;
	const char *dir = getenv("PT_VECTOR_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : PT_VECTOR_DIR, name);
	j = json_load_file(path, 0, &err);
	ck_assert_msg(j != NULL, "%s: %s (line %d)", path, err.text, err.line);
	return j;
}

const char *vec_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(json_is_string(v), "vector member %s missing", key);
	return json_string_value(v);
}

size_t hexbuf(const char *hex, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	int r = pt_hex_decode(hex, buf, cap, &len);

	ck_assert_msg(r == PT_OK, "bad hex in vector: %s", hex);
	return len;
}

size_t vec_hex(json_t *obj, const char *key, uint8_t *buf, size_t cap)
{
	return hexbuf(vec_str(obj, key), buf, cap);
}

int test_slow(void)
{
	const char *s = getenv("PAYTERM_TEST_SLOW");

	return s && *s && strcmp(s, "0");
}

unsigned iters(unsigned n, unsigned div)
{
	unsigned r = test_slow() ? n / div : n;

	return r ? r : 1;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

void trand_seed(uint64_t seed)
{
	rng_state = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint32_t trand(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

void trand_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)trand();
}

int run_suite(Suite *s)
{
	return pt_check_run(s);
}
