/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpaytermcommon: JWS compact serialization (RFC 7515), ES256 only
 * (ECDSA P-256 + SHA-256, signature R || S, 32 bytes each, RFC 7518
 * section 3.4), on OpenSSL 3 EVP and jansson.  Shared by payterm-server
 * (signs payment requests, verifies terminal JWS) and paytermd (verifies
 * payment requests); what a request must claim stays with each program.
 *
 * Every int function returns 0 on success or a negative errno.
 */
#ifndef PAYTERM_JWS_H
#define PAYTERM_JWS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>

#define PTC_ES256_SIG_LEN	64

/* Load a P-256 private key (PEM, PKCS#8 or SEC1) / public key (PEM public
 * key or certificate).  NULL if unreadable or not on P-256. */
EVP_PKEY *ptc_jws_load_private(const char *path);
EVP_PKEY *ptc_jws_load_public(const char *path);

/*
 * DER ECDSA-Sig-Value -> R || S.  -EBADMSG unless @der is exactly one
 * such value with non-negative r and s; -ERANGE if one is wider than 32
 * bytes.
 */
int ptc_ecdsa_der_to_raw(const unsigned char *der, size_t derlen,
			 unsigned char raw[PTC_ES256_SIG_LEN]);
/* R || S -> DER in *@der (OPENSSL_free it), its length in *@derlen. */
int ptc_ecdsa_raw_to_der(const unsigned char raw[PTC_ES256_SIG_LEN],
			 unsigned char **der, size_t *derlen);

/* ES256 over @len bytes: sign (-EIO when OpenSSL fails) / verify
 * (-EKEYREJECTED when the signature does not verify under @key). */
int ptc_es256_sign(EVP_PKEY *key, const void *in, size_t len,
		   unsigned char raw[PTC_ES256_SIG_LEN]);
int ptc_es256_verify(EVP_PKEY *key, const void *in, size_t len,
		     const unsigned char raw[PTC_ES256_SIG_LEN]);

/*
 * "B64(@hdr).B64(@pl).B64(sig)" in *@out (malloc'ed) for header and
 * payload bytes taken as they are (the tests sign any header).
 */
int ptc_jws_sign_bytes(EVP_PKEY *key, const void *hdr, size_t hlen,
		       const void *pl, size_t pllen, char **out);
/* The same for two JSON values, dumped compact in their own order.  @hdr
 * is signed as given: the caller puts "alg":"ES256" in it. */
int ptc_jws_sign(EVP_PKEY *key, const json_t *hdr, const json_t *pl,
		 char **out);

/*
 * Verify a compact JWS of at most @max_len characters under @key.  In
 * order, failing with:
 *   -EBADMSG       not three base64url parts, longer than @max_len, or
 *                  the header is not a JSON object (duplicate names
 *                  refused, as for the payload)
 *   -ENOTSUP       "alg" is not "ES256" (so never "none"), or "crit" is
 *                  present
 *   -EKEYREJECTED  the signature is not 64 bytes or does not verify
 *   -EPROTO        signed, but the payload is not a JSON object
 *   -ENOMEM
 * On success *@payload (and *@hdr unless @hdr is NULL) get the parsed
 * objects, for the caller to json_decref(); on failure they are NULL.
 */
int ptc_jws_verify(EVP_PKEY *key, const char *jws, size_t max_len,
		   json_t **hdr, json_t **payload);

#endif /* PAYTERM_JWS_H */
