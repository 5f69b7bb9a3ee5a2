// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: small helpers. */
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t ps_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ps_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ps_new_id(const char *prefix, char *out, size_t cap)
{
	uint8_t r[12];
	char h[25];

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));	/* unreachable in practice */
	ptc_hex_encode_lower(r, sizeof(r), h, sizeof(h));
	snprintf(out, cap, "%s_%s", prefix, h);
}

int ps_random_digits(char *out, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b;

		if (RAND_bytes(&b, 1) != 1)
			return -1;
		if (b >= 250)	/* reject to keep it uniform */
			continue;
		out[i++] = (char)('0' + b % 10);
	}
	out[n] = 0;
	return 0;
}

void ps_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	ptc_hex_encode_lower(md, 32, out, 65);
}

int ps_streq_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

int ps_masked_pan_ok(const char *s)
{
	size_t n = strlen(s), i, digits = 0, stars = 0;

	if (n < 12 || n > 19)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '*')
			stars++;
		else
			return 0;
	}
	return stars > 0 && digits <= 10;
}

