/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the harnesses that meet payment request JWSs (fuzz_request,
 * fuzz_jws, fuzz_pending, fuzz_submit, fuzz_http): the fuzzing test key and
 * a signer, so that a fuzzed header and payload can get past the signature
 * check and reach the claim parsing behind it.
 *
 * FUZZING TEST KEY (P-256), made for tests/fuzz only and public: it signs
 * nothing but fuzz inputs.  tests/fuzz/make-seeds signs its seeds with it.
 */
#ifndef PT_FUZZ_JWS_H
#define PT_FUZZ_JWS_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FZ_JWS_TEST_KEY \
	"-----BEGIN PRIVATE KEY-----\n" \
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglGn+1Zbs7XkVU7Y6\n" \
	"+keULrjnkZACYEMZN3lxb5G2SwGhRANCAAQcpnk7dCUIr2q7ZmHuQQE7R/+7GP2Q\n" \
	"RFO5pOJaOtbBEA8c38tbcvLb7tiriro2sUwhCM2j1mTtWJy06ymVKo3J\n" \
	"-----END PRIVATE KEY-----\n"

/* "Now" of every harness that checks expiry: 2026-01-01T00:00:00Z.  The
 * seeds' requests are issued at this time and expire 300 s later. */
#define FZ_NOW 1767225600

static inline EVP_PKEY *fz_test_key(void)
{
	BIO *b = BIO_new_mem_buf(FZ_JWS_TEST_KEY, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	if (!k)
		abort();
	return k;
}

/* base64url without padding; @out holds 4 * ceil(n / 3) + 1 */
static inline void fz_b64url(const uint8_t *in, size_t n, char *out)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = t[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = t[v & 63];
	}
	out[o] = '\0';
}

/* Compact JWS of header and payload (taken as they are), ES256 under @k. */
static inline char *fz_sign(EVP_PKEY *k, const uint8_t *hdr, size_t hl,
			    const uint8_t *pl, size_t pll)
{
	size_t n = (hl + 2) / 3 * 4 + 1 + (pll + 2) / 3 * 4;
	char *out = malloc(n + 1 + 88 + 1);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80], raw[64];
	const unsigned char *p = der;
	size_t derlen = sizeof(der);
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;

	if (!out || !md)
		abort();
	fz_b64url(hdr, hl, out);
	n = strlen(out);
	out[n++] = '.';
	fz_b64url(pl, pll, out + n);
	n += strlen(out + n);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, der, &derlen, (unsigned char *)out, n) != 1 ||
	    !(sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen)))
		abort();
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
		abort();
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	out[n++] = '.';
	fz_b64url(raw, 64, out + n);
	return out;
}

/*
 * A JWS from a fuzz input (malloc'ed, NUL-terminated; NULL for an empty
 * input).  First byte even: the rest is the JWS text as it arrives (the
 * splitting, base64url, header and signature checks).  Odd: the rest is
 * "HEADER-JSON\nPAYLOAD-JSON", which is signed here with the test key (the
 * claims behind a valid signature).
 */
static inline char *fz_jws_input(EVP_PKEY *k, const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	char *s;

	if (size < 1)
		return NULL;
	if (!(data[0] & 1)) {
		s = malloc(size);
		if (!s)
			abort();
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		return s;
	}
	data++;
	size--;
	nl = memchr(data, '\n', size);
	if (!nl)
		return fz_sign(k, data, size, (const uint8_t *)"", 0);
	return fz_sign(k, data, (size_t)(nl - data), nl + 1,
		       size - (size_t)(nl - data) - 1);
}

#endif
