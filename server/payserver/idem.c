// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: idempotency decision. */
#include "idem.h"

#include <string.h>

enum ps_idem_action ps_idem_decide(const struct ps_idem_rec *r,
				   const char *body_hash)
{
	if (!r || !r->exists)
		return PS_IDEM_PROCEED;
	/* A different body is an error even while the first one runs. */
	if (!r->body_hash || strcmp(r->body_hash, body_hash))
		return PS_IDEM_MISMATCH;
	return r->done ? PS_IDEM_REPLAY : PS_IDEM_IN_FLIGHT;
}

int ps_idem_key_ok(const char *key)
{
	size_t n, i;

	if (!key)
		return 0;
	n = strlen(key);
	if (n < 1 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (key[i] <= ' ' || key[i] > '~')
			return 0;
	return 1;
}
