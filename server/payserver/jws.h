/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: JWS (RFC 7515) compact serialization, ES256 only
 * (ECDSA P-256 + SHA-256, signature = R || S, 32 bytes each, RFC 7518 3.4).
 */
#ifndef PS_JWS_H
#define PS_JWS_H

#include <jansson.h>
#include <openssl/evp.h>

/* Load a P-256 private key (PEM, PKCS#8 or SEC1) / public key or cert. */
EVP_PKEY *ps_jws_load_private(const char *path);
EVP_PKEY *ps_jws_load_public(const char *path);

/* Sign: header {"alg":"ES256","typ":typ,"kid":kid} + payload (compact JSON).
 * Returns a malloc'ed "h.p.s" string or NULL. */
char *ps_jws_sign(EVP_PKEY *key, const char *kid, const char *typ,
		  const json_t *payload);

/* Verify a compact JWS: alg must be ES256 (never "none"), the signature
 * must verify under key.  On success *payload gets the parsed payload
 * object (caller decrefs) and, if kid_out is given, the header's kid is
 * copied there.  Returns 0, or -1 on any failure. */
int ps_jws_verify(EVP_PKEY *key, const char *jws, json_t **payload,
		  char *kid_out, size_t kid_cap);

/* Raw R||S (64 bytes) <-> DER ECDSA-Sig-Value; exposed for tests. */
int ps_ecdsa_der_to_raw(const unsigned char *der, size_t derlen,
			unsigned char raw[64]);
unsigned char *ps_ecdsa_raw_to_der(const unsigned char raw[64], size_t *derlen);

#endif
