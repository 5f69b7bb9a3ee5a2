// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: POST /v1/terminal/payments — patent step 8.  Matches the
 * submission against the signed payment request and the order, claims the
 * request (it pays once), and forwards the still-encrypted data to the bank
 * as a 0200.  Idempotency-Key (required; idem_http.c): same key + body →
 * stored answer, other body → 422, still running → 409.
 */
#include "server.h"
#include "bank.h"
#include "bankmsg.h"
#include "currency.h"
#include "idem.h"
#include "jws.h"
#include "log.h"
#include "payflow.h"
#include "store.h"
#include "util.h"

#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct submit {
	struct ps_worker *w;
	struct evhttp_request *req;	/* NULL once the client went away */
	char payment_id[40];
};

static const char *js(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void on_close(struct evhttp_connection *conn, void *arg)
{
	struct submit *s = arg;

	s->req = NULL;
}

static void finish(struct submit *s, json_t *view)
{
	if (s->req) {
		struct evhttp_connection *c = evhttp_request_get_connection(s->req);

		if (c)
			evhttp_connection_set_closecb(c, NULL, NULL);
		if (view)
			ps_reply_json(s->req, 200, json_incref(view));
		else
			ps_reply_error(s->req, 503, "storage_unavailable",
				       "result not recorded; query the payment");
	}
	json_decref(view);
	free(s);
}

static void on_bank(void *arg, const struct iso8583_msg *m)
{
	struct submit *s = arg;
	struct ps_auth_result r;
	char icc[600] = "";
	size_t n = 0;
	const uint8_t *mac;

	memset(&r, 0, sizeof(r));
	if (!m) {
		r.out = PS_OUT_UNKNOWN;
	} else {
		iso8583_get_str(m, 39, r.rc, sizeof(r.rc));
		iso8583_get_str(m, 38, r.auth, sizeof(r.auth));
		iso8583_get_str(m, 37, r.rrn, sizeof(r.rrn));
		/* anp fields arrive space padded */
		for (n = strlen(r.auth); n && r.auth[n - 1] == ' '; n--)
			r.auth[n - 1] = 0;
		for (n = strlen(r.rrn); n && r.rrn[n - 1] == ' '; n--)
			r.rrn[n - 1] = 0;
		mac = iso8583_get(m, 64, &n);
		if (mac && n == 8)
			ptc_hex_encode_lower(mac, 8, r.mac_hex,
					     sizeof(r.mac_hex));
		if (!iso8583_get_str(m, 55, icc, sizeof(icc)))
			r.icc_hex = icc;
		if (strlen(r.rc) != 2)
			r.out = PS_OUT_UNKNOWN;
		else
			r.out = strcmp(r.rc, "00") ? PS_OUT_DECLINED : PS_OUT_APPROVED;
	}
	finish(s, ps_payflow_apply(s->w->db, s->payment_id, &r, ps_now_ms()));
}

/* Reply with an error and record it under the idempotency key. */
static void refuse(struct ps_worker *w, struct evhttp_request *req,
		   const char *tid, const char *key, int status,
		   const char *code, const char *msg)
{
	char *txt = ps_error_text(req, code, msg);

	ps_warn("payment.refused", "{s:s,s:s,s:i}", "terminal_id", tid,
		"reason", code, "status", status);
	if (txt)
		ps_idem_finish(w->db, tid, key, status, txt, ps_now_ms());
	ps_reply_raw(req, status, txt ? txt : "{}");
	free(txt);
}

/* Echo fields must equal the signed request; returns the first mismatch. */
static const char *mismatch(const json_t *in, const json_t *pl, const json_t *ord)
{
	static const char *const str[] = { "merchant_id", "order_id", "currency" };
	size_t i;

	for (i = 0; i < 3; i++) {
		const char *a = js(in, str[i]);

		if (!a || !js(pl, str[i]) || strcmp(a, js(pl, str[i])) ||
		    !js(ord, str[i]) || strcmp(a, js(ord, str[i])))
			return str[i];
	}
	if (!json_is_integer(json_object_get(in, "amount")) ||
	    json_integer_value(json_object_get(in, "amount")) !=
	    json_integer_value(json_object_get(pl, "amount")) ||
	    json_integer_value(json_object_get(in, "amount")) !=
	    json_integer_value(json_object_get(ord, "amount")))
		return "amount";
	return NULL;
}

void ps_api_submit(struct ps_worker *w, struct evhttp_request *req,
		   const struct ps_terminal *t)
{
	struct ps_idem_ctx x = { 0 };
	const char *key;
	size_t len = 0;
	char *body = ps_body(req, &len), msg[160];
	json_t *in = NULL, *pl = NULL, *rq = NULL, *ord = NULL;
	struct ps_card_data cd;
	struct iso8583_msg *m = NULL;
	struct submit *s = NULL;
	const char *field, *rid, *bad, *mp;
	int rc;
	int64_t now = ps_now_ms(), stan;
	char pid[40], dt[11], tm[7], d[5], rhash[65];
	struct ps_payment_new pn;

	memset(&cd, 0, sizeof(cd));
	x.scope = t->id;
	if (!ps_idem_enter(w, req, &x, 1))
		goto out;
	key = x.key;
	if (!body) {
		ps_reply_error(req, 400, "invalid_body", "body too large or binary");
		goto out;
	}

	in = json_loads(body, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(in)) {
		refuse(w, req, t->id, key, 400, "invalid_json", "body must be a JSON object");
		goto out;
	}
	rid = js(in, "request_id");
	if (!rid || !js(in, "request")) {
		refuse(w, req, t->id, key, 422, "invalid_field",
		       "request_id and request (the JWS) are required");
		goto out;
	}
	if (ps_card_data_parse(in, &cd, &field)) {
		snprintf(msg, sizeof(msg), "field %s missing or malformed", field);
		refuse(w, req, t->id, key, 422, "invalid_field", msg);
		goto out;
	}
	mp = js(in, "masked_pan");
	if (mp && !ps_masked_pan_ok(mp)) {
		refuse(w, req, t->id, key, 422, "invalid_field",
		       "masked_pan must be masked (at most first 6 / last 4 digits)");
		goto out;
	}
	if (ps_jws_verify(w->srv->jws_key, js(in, "request"), &pl, NULL, 0)) {
		refuse(w, req, t->id, key, 403, "request_invalid",
		       "payment request signature does not verify");
		goto out;
	}
	if (!js(pl, "request_id") || strcmp(js(pl, "request_id"), rid)) {
		refuse(w, req, t->id, key, 422, "mismatch", "request_id does not match the request");
		goto out;
	}
	if (!js(pl, "terminal_id") || strcmp(js(pl, "terminal_id"), t->id)) {
		refuse(w, req, t->id, key, 403, "wrong_terminal",
		       "the payment request was sent to another terminal");
		goto out;
	}
	rq = ps_request_get(w->db, rid);
	ord = rq ? ps_order_get_pk(w->db, js(rq, "order_pk")) : NULL;
	if (!ord || strcmp(js(rq, "terminal_id"), t->id)) {
		refuse(w, req, t->id, key, 404, "unknown_request", "no such payment request");
		goto out;
	}
	bad = mismatch(in, pl, ord);
	if (bad) {
		snprintf(msg, sizeof(msg), "%s does not match the payment request", bad);
		refuse(w, req, t->id, key, 422, "mismatch", msg);
		goto out;
	}
	if (json_integer_value(json_object_get(pl, "exp")) * 1000 <= now ||
	    json_integer_value(json_object_get(rq, "expires_at")) <= now) {
		refuse(w, req, t->id, key, 410, "request_expired",
		       "the payment request has expired");
		goto out;
	}

	/* Claim the request and start the authorization: one transaction. */
	ps_new_id("pay", pid, sizeof(pid));
	ps_iso_now(dt, tm, d);
	if (ps_db_begin(w->db)) {
		ps_idem_forget(w->db, t->id, key);
		ps_reply_error(req, 503, "storage_unavailable", "try again");
		goto out;
	}
	rc = ps_request_claim(w->db, rid, t->id, now);
	if (rc == 1)
		rc = ps_order_transition(w->db, js(ord, "id"), "pending",
					 "authorizing", now,
					 &(struct ps_order_upd){ .attempts_inc = 1 });
	if (rc != 1) {
		ps_db_rollback(w->db);
		if (rc < 0) {
			ps_idem_forget(w->db, t->id, key);
			ps_reply_error(req, 503, "storage_unavailable", "try again");
		} else {
			json_t *o2 = ps_order_get_pk(w->db, js(ord, "id"));
			const char *st = o2 ? js(o2, "state") : "";

			if (!strcmp(st, "expired"))
				refuse(w, req, t->id, key, 410, "request_expired",
				       "the payment request has expired");
			else if (!strcmp(st, "authorizing") || !strcmp(st, "reversing"))
				refuse(w, req, t->id, key, 409, "payment_in_progress",
				       "another payment for this request is in progress");
			else
				refuse(w, req, t->id, key, 422, "request_used",
				       "the payment request was already used");
			json_decref(o2);
		}
		goto out;
	}
	stan = ps_store_counter(w->db, "stan");
	memset(&pn, 0, sizeof(pn));
	pn.id = pid;
	pn.request_id = rid;
	pn.order_pk = js(ord, "id");
	pn.terminal_id = t->id;
	pn.idem_key = key;
	pn.currency = js(ord, "currency");
	pn.entry_mode = cd.entry_mode;
	pn.masked_pan = mp;
	pn.tx_time = dt;
	pn.amount = json_integer_value(json_object_get(ord, "amount"));
	pn.stan = stan % 999999 + 1;
	pn.created_at = now;
	/* field 48: the request as this server issued it (its row), not as
	 * the terminal echoed it */
	ps_request_hash(js(rq, "jws") ? js(rq, "jws") : "", rhash);
	m = malloc(sizeof(*m));
	rc = m ? ps_build_0200(m, &cd, pn.amount,
			       ps_currency_numeric(pn.currency), dt,
			       (unsigned)pn.stan, t->id, js(ord, "merchant_id"), pid,
			       rhash) : -1;
	if (rc) {
		ps_db_rollback(w->db);
		snprintf(msg, sizeof(msg), "card data rejected by the ISO 8583 profile: %s",
			 iso8583_strerror(rc));
		refuse(w, req, t->id, key, 422, "invalid_field", msg);
		goto out;
	}
	if (stan < 0 || ps_payment_insert(w->db, &pn) || ps_db_commit(w->db)) {
		ps_db_rollback(w->db);
		ps_idem_forget(w->db, t->id, key);
		ps_reply_error(req, 503, "storage_unavailable", "try again");
		goto out;
	}
	ps_info("payment.submitted", "{s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:s,s:s}",
		"payment_id", pid, "terminal_id", t->id, "merchant_id",
		js(ord, "merchant_id"), "order_id", js(ord, "order_id"),
		"amount", (json_int_t)pn.amount, "currency", pn.currency,
		"stan", (json_int_t)pn.stan, "entry_mode", cd.entry_mode,
		"masked_pan", mp ? mp : "");

	s = calloc(1, sizeof(*s));
	s->w = w;
	s->req = req;
	snprintf(s->payment_id, sizeof(s->payment_id), "%s", pid);
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_close, s);
	if (ps_bank_send(w->bank, m, w->srv->cfg->bank_timeout_ms, on_bank, s)) {
		struct ps_auth_result r;

		memset(&r, 0, sizeof(r));
		r.out = PS_OUT_UNAVAILABLE;
		strcpy(r.rc, "91");
		ps_warn("bank.unavailable", "{s:s}", "payment_id", pid);
		finish(s, ps_payflow_apply(w->db, pid, &r, ps_now_ms()));
	}
out:
	if (m) {
		iso8583_wipe(m);
		free(m);
	}
	ps_card_data_free(&cd);
	if (body) {
		ptc_wipe(body, len);
		free(body);
	}
	json_decref(in);
	json_decref(pl);
	json_decref(rq);
	json_decref(ord);
}
