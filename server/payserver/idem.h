/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: idempotency keys (terminal API).  A key is scoped to the
 * terminal; the record holds SHA-256 of the request body, whether the
 * request finished, and the stored response.
 */
#ifndef PS_IDEM_H
#define PS_IDEM_H

enum ps_idem_action {
	PS_IDEM_PROCEED,	/* new key: run the request */
	PS_IDEM_REPLAY,		/* same key, same body, finished: stored answer */
	PS_IDEM_MISMATCH,	/* same key, other body: 422 */
	PS_IDEM_IN_FLIGHT,	/* same key, still running: 409 */
};

struct ps_idem_rec {
	int exists;
	const char *body_hash;	/* hex SHA-256 */
	int done;
};

enum ps_idem_action ps_idem_decide(const struct ps_idem_rec *r,
				   const char *body_hash);
/* Key syntax: 1..255 printable ASCII characters without spaces. */
int ps_idem_key_ok(const char *key);

#endif
