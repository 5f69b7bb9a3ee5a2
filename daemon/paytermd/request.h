/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: payment requests (patent step 4).  A request is a JWS compact
 * serialization (RFC 7515) signed by the payment server with ES256; the
 * daemon verifies it against the server key pinned in the configuration,
 * checks that it is addressed to this terminal, not expired and not used
 * before (single use, remembered across restarts in the state directory).
 */
#ifndef PD_REQUEST_H
#define PD_REQUEST_H

#include <openssl/evp.h>

#include "txn.h"

enum pd_req_err {
	PD_REQ_OK = 0,
	PD_REQ_MALFORMED,	/* not a JWS, bad JSON, missing claim */
	PD_REQ_FORGED,		/* alg not ES256 or signature does not verify */
	PD_REQ_EXPIRED,
	PD_REQ_NOT_YET,		/* iat in the future (beyond 5 min skew) */
	PD_REQ_WRONG_TERMINAL,
	PD_REQ_USED,		/* single use: seen before */
	PD_REQ_LIFETIME,	/* exp - iat above the maximum lifetime */
};

/* Default maximum of exp - iat, seconds ([server] request_max_lifetime). */
#define PD_REQUEST_MAX_LIFETIME	900
/* Set the maximum of exp - iat for every verification (<= 0: default). */
void pd_request_set_max_lifetime(int64_t seconds);

/* Load a P-256 public key from a PEM public key or certificate. */
EVP_PKEY *pd_request_load_key(const char *path);

/*
 * Verify @jws with @key and fill @req (currency numeric, amount...).
 * @now unix seconds.  @why gets a human-readable reason on failure.
 */
enum pd_req_err pd_request_verify(EVP_PKEY *key, const char *jws,
				  const char *terminal_id, int64_t now,
				  struct pd_request *req, char *why,
				  size_t whylen);

/* Single-use registry; a file of "id expiry" lines under @dir. */
struct pd_used;
int pd_used_open(const char *dir, struct pd_used **out);
bool pd_used_seen(struct pd_used *u, const char *id);
/* Remember @id until @expires (persisted before returning: the file is
 * written, fsync'd, renamed over the old one, and the directory fsync'd). */
int pd_used_add(struct pd_used *u, const char *id, int64_t expires, int64_t now);
void pd_used_free(struct pd_used *u);

#endif
