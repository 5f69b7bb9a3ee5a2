/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: the JWS it signs and verifies (RFC 7515 compact, ES256
 * only).  The primitive is libpaytermcommon's (lib/common/payterm-jws.h);
 * here is only what the server puts in the header and how long a JWS it
 * takes.
 */
#ifndef PS_JWS_H
#define PS_JWS_H

#include "payterm-jws.h"

/* The longest JWS ps_jws_verify() takes. */
#define PS_JWS_MAX	16384

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

#endif
