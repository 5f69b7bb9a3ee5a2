// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: merchant API (HTTPS + API key): POST /v1/orders,
 * GET /v1/orders/{order_id}.  Patent steps 1-3.
 */
#include "server.h"
#include "currency.h"
#include "deliver.h"
#include "jws.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
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

static void create_order(struct ps_worker *w, struct evhttp_request *req,
			 const struct ps_merchant *m)
{
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
	ps_reply_json(req, 201, row ? ps_order_view(row) : json_object());
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

void ps_api_merchant(struct evhttp_request *req, void *arg)
{
	struct ps_worker *w = arg;
	const struct ps_merchant *m = auth(req);
	const char *uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!m) {
		ps_warn("merchant.unauthorized", "{s:s}", "uri", uri);
		ps_reply_error(req, 401, "unauthorized", "missing or wrong API key");
		return;
	}
	if (ps_http_precheck(req))
		return;
	if (!strcmp(uri, "/v1/orders") && cmd == EVHTTP_REQ_POST) {
		create_order(w, req, m);
	} else if (!strncmp(uri, "/v1/orders/", 11) && cmd == EVHTTP_REQ_GET) {
		char *id = evhttp_uridecode(uri + 11, 0, NULL);
		json_t *row = id ? ps_order_get(w->db, m->id, id) : NULL;

		if (row)
			ps_reply_json(req, 200, ps_order_view(row));
		else
			ps_reply_error(req, 404, "not_found", "no such order");
		json_decref(row);
		free(id);
	} else {
		ps_reply_error(req, 404, "not_found", "no such endpoint");
	}
}
