// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: terminal API (HTTPS with client certificates).
 *   POST /v1/terminal/codes                      one-time payment code
 *   GET  /v1/terminal/requests?after=N&wait=S    pull queue (long poll)
 *   POST /v1/terminal/payments                   submit (api_submit.c)
 *   GET  /v1/terminal/payments/{id}              status
 *   GET  /v1/terminal/payments?idempotency_key=K status by key
 *   POST /v1/terminal/payments/{id}/reversal     reverse an approval
 * The POSTs take an Idempotency-Key (required for the submit).
 */
#include "server.h"
#include "log.h"
#include "payflow.h"
#include "route.h"
#include "store.h"
#include "util.h"

#include <errno.h>
#include <event2/keyvalq_struct.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 200

struct ps_waiter {
	struct ps_waiter *next;
	struct ps_worker *w;
	struct evhttp_request *req;
	struct event *timer;
	char terminal_id[64];
	int64_t after, deadline;
};

static void waiter_unlink(struct ps_waiter *x)
{
	struct ps_waiter **pp;

	for (pp = &x->w->waiters; *pp; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	event_free(x->timer);
	free(x);
}

static void waiter_close(struct evhttp_connection *c, void *arg)
{
	waiter_unlink(arg);
}

/* Reply if there is something (or the time is up); 1 when replied. */
static int waiter_try(struct ps_waiter *x, int force)
{
	json_t *rows = ps_requests_for_terminal(x->w->db, x->terminal_id,
						x->after, ps_now_ms(), 20), *it;
	json_int_t next = x->after;
	size_t i;
	struct evhttp_connection *c;

	if (!rows || (!json_array_size(rows) && !force && ps_now_ms() < x->deadline)) {
		json_decref(rows);
		return 0;
	}
	json_array_foreach(rows, i, it) {
		json_int_t seq = json_integer_value(json_object_get(it, "seq"));

		if (seq > next)
			next = seq;
		json_object_set(it, "request_id", json_object_get(it, "id"));
		json_object_del(it, "id");
		json_object_set_new(it, "expires_at", json_integer(
			json_integer_value(json_object_get(it, "expires_at")) / 1000));
	}
	c = evhttp_request_get_connection(x->req);
	if (c)
		evhttp_connection_set_closecb(c, NULL, NULL);
	ps_reply_json(x->req, 200, json_pack("{s:o,s:I}", "requests", rows,
					     "next", next));
	return 1;
}

static void waiter_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ps_waiter *x = arg;
	struct timeval tv = { 0, POLL_MS * 1000 };

	if (waiter_try(x, 0))
		waiter_unlink(x);
	else
		evtimer_add(x->timer, &tv);
}

void ps_longpoll_kick(struct ps_worker *w)
{
	struct ps_waiter *x = w->waiters, *next;

	for (; x; x = next) {
		next = x->next;
		if (waiter_try(x, 0))
			waiter_unlink(x);
	}
}

void ps_longpoll_free_all(struct ps_worker *w)
{
	while (w->waiters) {
		struct ps_waiter *x = w->waiters;

		waiter_try(x, 1);
		waiter_unlink(x);
	}
}

static void get_requests(struct ps_call *c)
{
	struct ps_worker *w = c->w;
	struct evhttp_request *req = c->req;
	const struct ps_terminal *t = c->t;
	const struct ps_query *q = &c->q;
	long long after = ps_query_uint(q, "after", LLONG_MAX);
	long long wait = ps_query_uint(q, "wait", LLONG_MAX);
	struct ps_waiter *x;
	struct timeval tv = { 0, POLL_MS * 1000 };

	if (after == -2 || wait == -2) {
		ps_reply_error(req, 400, "invalid_query", "after, wait: integers >= 0");
		return;
	}
	after = after < 0 ? 0 : after;	/* absent: from the start, no wait */
	wait = wait < 0 ? 0 : wait;
	if (wait > w->srv->cfg->longpoll_max_s)
		wait = w->srv->cfg->longpoll_max_s;
	x = calloc(1, sizeof(*x));
	x->w = w;
	x->req = req;
	x->after = after;
	x->deadline = ps_now_ms() + wait * 1000;
	snprintf(x->terminal_id, sizeof(x->terminal_id), "%s", t->id);
	x->timer = evtimer_new(w->base, waiter_tick, x);
	x->next = w->waiters;
	w->waiters = x;
	if (waiter_try(x, wait == 0)) {
		waiter_unlink(x);
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
				      waiter_close, x);
	evtimer_add(x->timer, &tv);
}

static void new_code(void *arg)
{
	struct ps_call *call = arg;
	struct ps_worker *w = call->w;
	struct evhttp_request *req = call->req;
	const struct ps_terminal *t = call->t;
	const struct ps_config *c = w->srv->cfg;
	char code[32];
	int64_t now = ps_now_ms(), exp = now + (int64_t)c->code_ttl_s * 1000;
	int i, rc = -1;

	for (i = 0; i < 5 && rc; i++) {
		if (ps_random_digits(code, (size_t)c->code_digits))
			break;
		rc = ps_code_insert(w->db, code, t->id, now, exp);
		if (rc != PS_DB_CONFLICT && rc)
			break;
	}
	if (rc) {
		ps_reply_error(req, 503, "storage_unavailable", "try again");
		return;
	}
	ps_info("code.issued", "{s:s,s:I}", "terminal_id", t->id,
		"expires_at", (json_int_t)(exp / 1000));
	ps_reply_json(req, 201, json_pack("{s:s,s:s,s:I}", "object", "payment_code",
					  "code", code, "expires_at",
					  (json_int_t)(exp / 1000)));
}

static json_t *own_payment(struct ps_worker *w, const char *id,
			   const struct ps_terminal *t)
{
	json_t *p = ps_payment_get(w->db, id);

	if (p && strcmp(json_string_value(json_object_get(p, "terminal_id")), t->id)) {
		json_decref(p);
		p = NULL;
	}
	return p;
}

static void get_payment_by_key(struct ps_call *c)
{
	struct ps_worker *w = c->w;
	struct evhttp_request *req = c->req;
	const struct ps_terminal *t = c->t;
	const char *key = ps_query_get(&c->q, "idempotency_key");
	struct ps_db_val p[] = { DB_S(t->id), DB_S(key) };
	struct ps_db_res r;
	char id[64] = "";
	json_t *pay;

	if (!key) {
		ps_reply_error(req, 400, "invalid_query",
			       "idempotency_key: the key of the submission");
		return;
	}
	if (!ps_db_exec(w->db, "SELECT id FROM payments WHERE terminal_id = $1"
			" AND idem_key = $2", p, 2, &r)) {
		if (r.nrows == 1 && ps_db_cell(&r, 0, 0))
			snprintf(id, sizeof(id), "%s", ps_db_cell(&r, 0, 0));
		ps_db_res_free(&r);
	}
	pay = *id ? own_payment(w, id, t) : NULL;
	if (pay)
		ps_reply_json(req, 200, ps_payment_view(pay));
	else
		ps_reply_error(req, 404, "not_found", "no payment with this key");
	json_decref(pay);
}

void ps_api_reverse(struct ps_worker *w, struct evhttp_request *req,
		    const struct ps_terminal *t, const char *payment_id)
{
	json_t *pay = own_payment(w, payment_id, t);
	const char *st;
	int rc;

	if (!pay) {
		ps_reply_error(req, 404, "not_found", "no such payment");
		return;
	}
	st = json_string_value(json_object_get(pay, "state"));
	if (!strcmp(st, "reversal_pending") || !strcmp(st, "reversed")) {
		ps_reply_json(req, 202, ps_payment_view(pay));
		json_decref(pay);
		return;
	}
	json_decref(pay);
	rc = ps_payflow_request_reversal(w->db, payment_id, ps_now_ms());
	if (rc < 0) {
		ps_reply_error(req, 503, "storage_unavailable", "try again");
		return;
	}
	if (rc == 0) {
		ps_reply_error(req, 409, "not_reversible",
			       "only an approved payment can be reversed");
		return;
	}
	ps_info("payment.reversal_requested", "{s:s,s:s}", "payment_id",
		payment_id, "terminal_id", t->id);
	pay = ps_payment_get(w->db, payment_id);
	ps_reply_json(req, 202, pay ? ps_payment_view(pay) : json_object());
	json_decref(pay);
}

static void get_payment(struct ps_call *c)
{
	json_t *pay = own_payment(c->w, c->arg, c->t);

	if (pay)
		ps_reply_json(c->req, 200, ps_payment_view(pay));
	else
		ps_reply_error(c->req, 404, "not_found", "no such payment");
	json_decref(pay);
}

static void post_codes(struct ps_call *c)
{
	struct ps_idem_ctx x = { .scope = c->t->id };

	ps_idem_call(c->w, c->req, &x, new_code, c);
}

static void reverse(void *arg)
{
	struct ps_call *c = arg;

	ps_api_reverse(c->w, c->req, c->t, c->arg);
}

static void post_reversal(struct ps_call *c)
{
	struct ps_idem_ctx x = { .scope = c->t->id };

	ps_idem_call(c->w, c->req, &x, reverse, c);
}

static void post_payment(struct ps_call *c)
{
	ps_api_submit(c->w, c->req, c->t);
}

static const struct ps_route routes[] = {
	PS_ROUTE(POST, "/v1/terminal/codes", "", post_codes),
	PS_ROUTE(GET, "/v1/terminal/requests", "after wait", get_requests),
	PS_ROUTE(POST, "/v1/terminal/payments", "", post_payment),
	PS_ROUTE(GET, "/v1/terminal/payments", "idempotency_key", get_payment_by_key),
	PS_ROUTE(GET, "/v1/terminal/payments/{payment_id}", "", get_payment),
	PS_ROUTE(POST, "/v1/terminal/payments/{payment_id}/reversal", "",
		 post_reversal),
};

void ps_api_terminal(struct evhttp_request *req, void *arg)
{
	struct ps_call c = { .w = arg, .req = req };

	ps_request_id(req);
	c.t = ps_tls_terminal(req);
	if (!c.t) {
		ps_reply_error(req, 403, "unknown_terminal",
			       "client certificate not registered");
		return;
	}
	ps_route(&c, routes, sizeof(routes) / sizeof(routes[0]));
}
