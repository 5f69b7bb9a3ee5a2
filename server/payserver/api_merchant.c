// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: merchant API (HTTPS + API key): POST /v1/orders,
 * GET /v1/orders (list), GET /v1/orders/{order_id}.  Patent steps 1-3.
 */
#include "server.h"
#include "currency.h"
#include "deliver.h"
#include "jws.h"
#include "log.h"
#include "route.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ps_merchant *auth(struct evhttp_request *req)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req),
					   "Authorization");

	if (!h || strncmp(h, "Bearer ", 7) || !h[7])
		return NULL;
	return ps_config_merchant_by_key(ps_srv.cfg, h + 7);
}

static int printable(const char *s, size_t max, int allow_slash)
{
	size_t n = s ? strlen(s) : 0, i;

	if (!n || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < ' ' || s[i] > '~' || (!allow_slash && (s[i] == '/' ||
					s[i] == '?' || s[i] == '%' || s[i] == ' ')))
			return 0;
	return 1;
}

static int phone_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 4 || n > 16 || (s[0] != '+' && !isdigit((unsigned char)s[0])))
		return 0;
	for (i = 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return printable(s, 254, 0) && at && at != s && strchr(at, '.') &&
	       !strchr(at + 1, '@') && !strpbrk(s, "<>,;\"\\");
}

static int url_ok(const char *s)
{
	return printable(s, 1024, 1) && (!strncmp(s, "http://", 7) ||
					 !strncmp(s, "https://", 8));
}

/* Text of the SMS / e-mail that carries a payment request. */
static char *notice_text(const char *mid, json_int_t amount, const char *cur,
			 const char *jws)
{
	char *s = NULL;

	if (asprintf(&s, "payterm payment request from %s: %lld.%02lld %s\n"
		     "payterm-request: %s\n", mid, (long long)(amount / 100),
		     (long long)(amount % 100), cur, jws) < 0)
		return NULL;
	return s;
}

/* Location of an order just created, from its JSON (also on a replay). */
static void order_location(struct evhttp_request *req, int status,
			   const char *body)
{
	json_t *o = status == 201 ? json_loads(body, 0, NULL) : NULL;
	const char *oid = json_string_value(json_object_get(o, "order_id"));
	char *enc = oid ? evhttp_uriencode(oid, -1, 0) : NULL, *loc = NULL;

	if (enc && asprintf(&loc, "/v1/orders/%s", enc) > 0)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Location", loc);
	free(loc);
	free(enc);
	json_decref(o);
}

static void reply_created(struct evhttp_request *req, json_t *view)
{
	char *s = json_dumps(view, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s)
		order_location(req, 201, s);
	ps_reply_raw(req, 201, s ? s : "{}");
	free(s);
	json_decref(view);
}

static void create_order(void *arg)
{
	struct ps_call *call = arg;
	struct ps_worker *w = call->w;
	struct evhttp_request *req = call->req;
	const struct ps_merchant *m = call->m;
	const struct ps_config *c = w->srv->cfg;
	char *body = ps_body(req, NULL), *jws = NULL;
	json_t *in = NULL, *payer, *pl = NULL, *row = NULL;
	const char *mid, *oid, *cur, *desc, *ptype, *pval, *cb, *curn;
	json_int_t amount;
	char pk[40], rid[40], tid[64] = "";
	const struct ps_terminal *t = NULL;
	const char *channel = "terminal", *notice;
	int64_t now = ps_now_ms(), exp = now + (int64_t)c->request_ttl_s * 1000;
	int64_t seq;
	int rc;
	struct ps_order_new on;

	in = body ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(body);
	if (!json_is_object(in)) {
		ps_reply_error(req, 400, "invalid_json", "body must be a JSON object");
		goto out;
	}
	mid = json_string_value(json_object_get(in, "merchant_id"));
	oid = json_string_value(json_object_get(in, "order_id"));
	cur = json_string_value(json_object_get(in, "currency"));
	desc = json_string_value(json_object_get(in, "description"));
	cb = json_string_value(json_object_get(in, "callback_url"));
	payer = json_object_get(in, "payer");
	ptype = json_string_value(json_object_get(payer, "type"));
	pval = json_string_value(json_object_get(payer, "value"));
	amount = json_integer_value(json_object_get(in, "amount"));
	if (!mid || strcmp(mid, m->id)) {
		ps_reply_error(req, 403, "merchant_mismatch",
			       "merchant_id is not the API key's merchant");
		goto out;
	}
	if (!printable(oid, 64, 0) || strlen(mid) > 15) {
		ps_reply_error(req, 422, "invalid_order_id",
			       "order_id: 1-64 printable characters, no / ? % or space");
		goto out;
	}
	if (!json_is_integer(json_object_get(in, "amount")) || amount < 1 ||
	    amount > 999999999999LL) {
		ps_reply_error(req, 422, "invalid_amount",
			       "amount: integer minor units, 1..999999999999");
		goto out;
	}
	curn = ps_currency_numeric(cur);
	if (!curn) {
		ps_reply_error(req, 422, "invalid_currency",
			       "currency: supported ISO 4217 alphabetic code");
		goto out;
	}
	if (desc && !printable(desc, 200, 1)) {
		ps_reply_error(req, 422, "invalid_description",
			       "description: at most 200 printable ASCII characters");
		goto out;
	}
	if (cb && !url_ok(cb)) {
		ps_reply_error(req, 422, "invalid_callback_url",
			       "callback_url: http:// or https:// URL");
		goto out;
	}
	if (!ptype || !pval) {
		ps_reply_error(req, 422, "invalid_payer",
			       "payer: {\"type\": \"phone\"|\"email\"|\"code\", \"value\": ...}");
		goto out;
	}
	if (!strcmp(ptype, "phone") && phone_ok(pval)) {
		t = ps_config_terminal_by_phone(c, pval);
	} else if (!strcmp(ptype, "email") && email_ok(pval)) {
		t = ps_config_terminal_by_email(c, pval);
	} else if (strcmp(ptype, "code") || strlen(pval) != (size_t)c->code_digits ||
		   strspn(pval, "0123456789") != strlen(pval)) {
		ps_reply_error(req, 422, "invalid_payer",
			       "payer value does not fit its type");
		goto out;
	}
	/* The pull queue always; SMS / e-mail only where a gateway is
	 * configured (else "terminal": nothing is queued to fail and retry). */
	notice = ps_notice_kind(c, ptype);
	if (notice)
		channel = notice;
	if (t)
		snprintf(tid, sizeof(tid), "%s", t->id);
	else if (strcmp(ptype, "code")) {
		ps_reply_error(req, 422, "unknown_payer",
			       "no terminal is registered for this payer");
		goto out;
	}

	ps_new_id("ord", pk, sizeof(pk));
	ps_new_id("req", rid, sizeof(rid));
	if (ps_db_begin(w->db)) {
		ps_reply_error(req, 503, "storage_unavailable", "try again");
		goto out;
	}
	if (!strcmp(ptype, "code")) {
		rc = ps_code_consume(w->db, pval, now, tid, sizeof(tid));
		if (rc != 1) {
			ps_db_rollback(w->db);
			if (rc < 0)
				ps_reply_error(req, 503, "storage_unavailable", "try again");
			else
				ps_reply_error(req, 422, "unknown_payer",
					       "payment code unknown, used or expired");
			goto out;
		}
	}
	pl = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:I}",
		       "iss", "payterm-server", "request_id", rid,
		       "merchant_id", mid, "order_id", oid, "amount", amount,
		       "currency", cur, "currency_numeric", curn,
		       "description", desc ? desc : "", "terminal_id", tid,
		       "iat", (json_int_t)(now / 1000), "exp", (json_int_t)(exp / 1000));
	jws = ps_jws_sign(w->srv->jws_key, c->jws_kid, "payterm-request+jws", pl);
	memset(&on, 0, sizeof(on));
	on.id = pk;
	on.merchant_id = mid;
	on.order_id = oid;
	on.currency = cur;
	on.description = desc;
	on.payer_type = ptype;
	on.payer = pval;
	on.callback_url = cb;
	on.terminal_id = tid;
	on.request_id = rid;
	on.amount = amount;
	on.created_at = now;
	on.expires_at = exp;
	on.max_attempts = c->max_attempts;
	rc = jws ? ps_order_insert(w->db, &on) : PS_DB_ERROR;
	if (rc == PS_DB_CONFLICT) {
		json_t *old;

		ps_db_rollback(w->db);
		old = ps_order_get(w->db, mid, oid);
		if (old && json_integer_value(json_object_get(old, "amount")) == amount &&
		    !strcmp(json_string_value(json_object_get(old, "currency")), cur) &&
		    !strcmp(json_string_value(json_object_get(old, "payer")), pval)) {
			ps_reply_json(req, 200, ps_order_view(old));
		} else {
			ps_reply_error(req, 409, "order_exists",
				       "an order with this order_id and other data exists");
		}
		json_decref(old);
		goto out;
	}
	seq = rc ? -1 : ps_store_counter(w->db, "request_seq");
	if (rc || seq < 0 ||
	    ps_request_insert(w->db, rid, pk, tid, channel, jws, seq, now, exp))
		goto fail;
	if (notice) {
		char *txt = notice_text(mid, amount, cur, jws), subj[128];

		snprintf(subj, sizeof(subj), "Payment request from %s", mid);
		rc = txt ? ps_outbox_add(w->db, channel, mid, pval, subj, txt, now) : -1;
		free(txt);
		if (rc)
			goto fail;
	}
	if (ps_db_commit(w->db))
		goto fail_nr;
	row = ps_order_get_pk(w->db, pk);
	ps_info("order.created", "{s:s,s:s,s:s,s:I,s:s,s:s,s:s}", "merchant_id",
		mid, "order_id", oid, "request_id", rid, "amount", amount,
		"currency", cur, "terminal_id", tid, "channel", channel);
	ps_longpoll_kick(w);
	reply_created(req, row ? ps_order_view(row) : json_object());
	json_decref(row);
	goto out;
fail:
	ps_db_rollback(w->db);
fail_nr:
	ps_reply_error(req, 503, "storage_unavailable", "try again");
out:
	free(jws);
	json_decref(pl);
	json_decref(in);
}

static void post_orders(struct ps_call *c)
{
	char scope[80];
	struct ps_idem_ctx x = { .scope = scope, .replay_headers = order_location };

	snprintf(scope, sizeof(scope), "merchant:%s", c->m->id);
	ps_idem_call(c->w, c->req, &x, create_order, c);
}

static void get_order(struct ps_call *c)
{
	json_t *row = ps_order_get(c->w->db, c->m->id, c->arg);

	if (row)
		ps_reply_json(c->req, 200, ps_order_view(row));
	else
		ps_reply_error(c->req, 404, "not_found", "no such order");
	json_decref(row);
}

static const char *const states[] = {
	"pending", "authorizing", "paid", "declined", "expired", "reversing",
	"reversed",
};

/* GET /v1/orders: newest first, by (created_at, id); cursor starting_after
 * is the order_id of the last order of the previous page. */
static void list_orders(struct ps_call *c)
{
	struct ps_order_filter f = { .merchant_id = c->m->id, .state = "",
				     .created_lt = INT64_MAX, .after_pk = "" };
	long long limit = ps_query_uint(&c->q, "limit", 100);
	long long gte = ps_query_uint(&c->q, "created[gte]", INT64_MAX / 1000);
	long long lt = ps_query_uint(&c->q, "created[lt]", INT64_MAX / 1000);
	const char *st = ps_query_get(&c->q, "state");
	const char *after = ps_query_get(&c->q, "starting_after");
	json_t *rows, *data, *it, *cur = NULL;
	size_t i;
	int more;

	if (limit == -1)
		limit = 10;
	if (limit < 1) {
		ps_reply_error(c->req, 400, "invalid_query", "limit: integer 1..100");
		return;
	}
	if (gte == -2 || lt == -2) {
		ps_reply_error(c->req, 400, "invalid_query",
			       "created[gte], created[lt]: Unix seconds, integers >= 0");
		return;
	}
	if (gte >= 0)
		f.created_gte = (int64_t)gte * 1000;
	if (lt >= 0)
		f.created_lt = (int64_t)lt * 1000;
	if (st) {
		for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			if (!strcmp(st, states[i]))
				break;
		if (i == sizeof(states) / sizeof(states[0])) {
			ps_reply_error(c->req, 400, "invalid_query",
				       "state: pending, authorizing, paid, declined, expired, reversing or reversed");
			return;
		}
		f.state = st;
	}
	if (after) {
		cur = ps_order_get(c->w->db, c->m->id, after);
		if (!cur) {
			ps_reply_error(c->req, 400, "invalid_query",
				       "starting_after: no such order");
			return;
		}
		f.after_pk = json_string_value(json_object_get(cur, "id"));
		f.after_created = json_integer_value(json_object_get(cur, "created_at"));
	}
	/* one more than asked for tells whether there is a next page */
	rows = ps_orders_list(c->w->db, &f, (int)limit + 1);
	json_decref(cur);
	if (!rows) {
		ps_reply_error(c->req, 503, "storage_unavailable", "try again");
		return;
	}
	more = json_array_size(rows) > (size_t)limit;
	data = json_array();
	json_array_foreach(rows, i, it)
		if (i < (size_t)limit)
			json_array_append_new(data, ps_order_view(it));
	json_decref(rows);
	ps_reply_json(c->req, 200, json_pack("{s:s,s:s,s:o,s:b}", "object", "list",
					     "url", "/v1/orders", "data", data,
					     "has_more", more));
}

static const struct ps_route routes[] = {
	PS_ROUTE(POST, "/v1/orders", "", post_orders),
	PS_ROUTE(GET, "/v1/orders", "limit starting_after state created[gte] created[lt]",
		 list_orders),
	PS_ROUTE(GET, "/v1/orders/{order_id}", "", get_order),
};

void ps_api_merchant(struct evhttp_request *req, void *arg)
{
	struct ps_call c = { .w = arg, .req = req };
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;

	ps_request_id(req);
	c.m = auth(req);
	if (!c.m) {
		ps_warn("merchant.unauthorized", "{s:s,s:s}", "path", path ? path : "",
			"request_id", ps_request_id(req));
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "WWW-Authenticate", "Bearer");
		ps_reply_error(req, 401, "unauthorized", "missing or wrong API key");
		return;
	}
	ps_route(&c, routes, sizeof(routes) / sizeof(routes[0]));
}
