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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payterm-jws.h"

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

/* Compact JWS of header and payload (taken as they are), ES256 under @k:
 * libpaytermcommon's signer, the one the server uses. */
static inline char *fz_sign(EVP_PKEY *k, const uint8_t *hdr, size_t hl,
			    const uint8_t *pl, size_t pll)
{
	char *out = NULL;

	if (ptc_jws_sign_bytes(k, hdr, hl, pl, pll, &out))
		abort();
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
