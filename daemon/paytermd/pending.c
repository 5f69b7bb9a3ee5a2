// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: the list of payment requests received from the pull queue. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pending.h"

const struct pd_pending *pd_pending_find(const struct pd_pending_list *l,
					 const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i]->req.id, id))
			return l->v[i];
	return NULL;
}

static void remove_at(struct pd_pending_list *l, size_t i)
{
	free(l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->v[--l->n] = NULL;
}

bool pd_pending_remove(struct pd_pending_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i]->req.id, id)) {
			remove_at(l, i);
			return true;
		}
	return false;
}

size_t pd_pending_prune(struct pd_pending_list *l, int64_t now,
			struct pd_used *used)
{
	size_t gone = 0, i = 0;

	while (i < l->n) {
		if (l->v[i]->req.expires <= now ||
		    (used && pd_used_seen(used, l->v[i]->req.id))) {
			remove_at(l, i);
			gone++;
		} else {
			i++;
		}
	}
	return gone;
}

int64_t pd_pending_next_expiry(const struct pd_pending_list *l)
{
	int64_t t = 0;

	for (size_t i = 0; i < l->n; i++)
		if (!t || l->v[i]->req.expires < t)
			t = l->v[i]->req.expires;
	return t;
}

void pd_pending_clear(struct pd_pending_list *l)
{
	while (l->n)
		remove_at(l, l->n - 1);
}

int pd_pending_page(struct pd_pending_list *l, const char *body, EVP_PKEY *key,
		    const char *terminal_id, int64_t now, struct pd_used *used,
		    int64_t *after, pd_pending_added_fn added, void *user)
{
	json_t *j = json_loads(body ? body : "", JSON_REJECT_DUPLICATES, NULL);
	json_t *reqs = json_object_get(j, "requests"), *next, *it;
	int64_t cursor = *after;
	size_t i;
	int n = 0;

	if (!json_is_object(j) || !json_is_array(reqs)) {
		json_decref(j);
		return -EBADMSG;
	}
	json_array_foreach(reqs, i, it) {
		const char *jws = json_string_value(json_object_get(it, "jws"));
		const char *rid = json_string_value(json_object_get(it, "request_id"));
		json_t *seq = json_object_get(it, "seq");
		struct pd_pending *p;
		char why[128];
		enum pd_req_err e;

		if (json_is_integer(seq) && json_integer_value(seq) > cursor)
			cursor = json_integer_value(seq);
		p = calloc(1, sizeof(*p));
		if (!p)
			break;
		e = pd_request_verify(key, jws, terminal_id, now, &p->req, why,
				      sizeof(why));
		if (e == PD_REQ_OK && (!rid || strcmp(rid, p->req.id))) {
			snprintf(why, sizeof(why), "request id differs from the signed one");
			e = PD_REQ_MALFORMED;
		}
		if (e != PD_REQ_OK) {
			log_warn("pull queue: request %s refused: %s",
				 rid ? rid : "?", why);
		} else if ((used && pd_used_seen(used, p->req.id)) ||
			   pd_pending_find(l, p->req.id)) {
			log_debug("pull queue: request %s used or listed already",
				  p->req.id);
		} else if (l->n == PD_PENDING_MAX) {
			log_warn("pull queue: %d requests pending, %s not listed",
				 PD_PENDING_MAX, p->req.id);
		} else {
			p->seq = json_is_integer(seq) ? json_integer_value(seq) : 0;
			l->v[l->n++] = p;
			n++;
			log_info("pull queue: request %s from %s, order %s, %llu %s",
				 p->req.id, p->req.merchant_name, p->req.order_id,
				 (unsigned long long)p->req.amount,
				 p->req.currency_alpha);
			if (added)
				added(user, p);
			continue;
		}
		free(p);
	}
	next = json_object_get(j, "next");
	if (json_is_integer(next) && json_integer_value(next) > cursor)
		cursor = json_integer_value(next);
	*after = cursor;
	json_decref(j);
	return n;
}
