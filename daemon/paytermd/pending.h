/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: payment requests received from the server's pull queue
 * (GET /v1/terminal/requests, docs/protocol.md "Pull queue"), waiting for
 * an application to start them (docs/dbus-api.md "Pull queue").
 *
 * Each request of a page is verified like a request given to StartPayment
 * (JWS ES256 under the pinned key, terminal id, expiry) and must not be
 * used already; it stays listed until it is submitted (used) or expires.
 */
#ifndef PD_PENDING_H
#define PD_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

#define PD_PENDING_MAX	64

struct pd_pending {
	struct pd_request req;		/* verified, with the JWS */
	int64_t seq;			/* the server's queue sequence number */
};

struct pd_pending_list {
	struct pd_pending *v[PD_PENDING_MAX];	/* oldest first */
	size_t n;
};

/* Called for each request added by pd_pending_page. */
typedef void (*pd_pending_added_fn)(void *user, const struct pd_pending *p);

/*
 * Take one answer of the pull queue (@body: {"requests": [...], "next": N}).
 * Requests that verify, are addressed to @terminal_id, not expired at @now,
 * not in @used (may be NULL) and not listed yet are added; the others are
 * logged and skipped.  *@after becomes the cursor for the next poll (the
 * answer's "next", never smaller than before).  Returns the number added,
 * or -EBADMSG for an answer that is not such an object.
 */
int pd_pending_page(struct pd_pending_list *l, const char *body, EVP_PKEY *key,
		    const char *terminal_id, int64_t now, struct pd_used *used,
		    int64_t *after, pd_pending_added_fn added, void *user);
const struct pd_pending *pd_pending_find(const struct pd_pending_list *l,
					 const char *id);
/* Remove @id; true when it was listed. */
bool pd_pending_remove(struct pd_pending_list *l, const char *id);
/* Remove expired (at @now) and used entries; returns how many. */
size_t pd_pending_prune(struct pd_pending_list *l, int64_t now,
			struct pd_used *used);
/* Earliest expiry of the list, 0 when empty. */
int64_t pd_pending_next_expiry(const struct pd_pending_list *l);
void pd_pending_clear(struct pd_pending_list *l);

#endif
