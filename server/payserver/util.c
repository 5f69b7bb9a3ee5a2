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
	ps_hex(r, sizeof(r), h);
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

void ps_hex(const uint8_t *in, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = 0;
}

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t ps_b64url_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

void ps_b64url_enc(const uint8_t *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
		out[o++] = b64u[(v >> 6) & 63];
		out[o++] = b64u[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | in[i + 1] << 8;

		out[o++] = b64u[v >> 18];
		out[o++] = b64u[(v >> 12) & 63];
		out[o++] = b64u[(v >> 6) & 63];
	}
	out[o] = 0;
}

static int b64val(char c)
{
	const char *p;

	if (!c)
		return -1;
	p = strchr(b64u, c);
	return p ? (int)(p - b64u) : -1;
}

int ps_b64url_dec(const char *in, size_t inlen, uint8_t *out, size_t cap,
		  size_t *outlen)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (inlen % 4 == 1)
		return -1;
	for (i = 0; i < inlen; i++) {
		int v = b64val(in[i]);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (acc & ((1u << bits) - 1))
		return -1;
	*outlen = o;
	return 0;
}

void ps_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	ps_hex(md, 32, out);
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

void ps_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
