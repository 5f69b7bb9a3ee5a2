// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: bank outcomes → payment / order state, events. */
#include "payflow.h"
#include "fsm.h"
#include "log.h"
#include "server.h"
#include "store.h"

#include <stdlib.h>
#include <string.h>

static const char *js(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_int_t ji(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

json_t *ps_payment_view(const json_t *p)
{
	json_t *v = json_object();
	static const char *const keys[] = {
		"request_id", "merchant_id", "order_id", "amount", "currency",
		"entry_mode", "masked_pan", "state", "response_code", "auth_code",
		"rrn", "stan",
	};
	size_t i;

	json_object_set_new(v, "object", json_string("payment"));
	json_object_set_new(v, "payment_id", json_incref(json_object_get(p, "id")));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *x = json_object_get(p, keys[i]);

		json_object_set_new(v, keys[i], x ? json_incref(x) : json_null());
	}
	json_object_set_new(v, "approved", json_boolean(
		!strcmp(js(p, "state") ? js(p, "state") : "", "approved")));
	json_object_set_new(v, "created_at", json_integer(ji(p, "created_at") / 1000));
	json_object_set_new(v, "updated_at", json_integer(ji(p, "updated_at") / 1000));
	return v;
}

static int emit(struct ps_db *db, const char *pk, const char *type, int64_t now)
{
	json_t *o = ps_order_get_pk(db, pk);
	int rc = o ? ps_order_event(db, o, type, now) : -1;

	json_decref(o);
	return rc;
}

json_t *ps_payflow_apply(struct ps_db *db, const char *payment_id,
			 const struct ps_auth_result *r, int64_t now)
{
	json_t *pay = NULL, *ord = NULL, *view = NULL;
	const char *pk, *rid;
	int left, ok = 0, rc = 0;
	enum ps_order_state next;
	struct ps_order_upd u;
	char *body = NULL;

	if (ps_db_begin(db))
		return NULL;
	pay = ps_payment_get(db, payment_id);
	ord = pay ? ps_order_get_pk(db, js(pay, "order_pk")) : NULL;
	if (!ord)
		goto fail;
	pk = js(ord, "id");
	rid = js(pay, "request_id");
	left = (int)(ji(ord, "max_attempts") - ji(ord, "attempts"));
	memset(&u, 0, sizeof(u));
	u.payment_id = payment_id;
	switch (r->out) {
	case PS_OUT_APPROVED:
		ok = ps_payment_transition(db, payment_id, "authorizing",
					   "approved", r->rc, r->auth, r->rrn, now);
		next = ps_order_next(PS_OS_AUTHORIZING, PS_EV_APPROVED, left, 0);
		u.response_code = r->rc;
		u.auth_code = r->auth;
		u.masked_pan = js(pay, "masked_pan");
		break;
	case PS_OUT_DECLINED:
		ok = ps_payment_transition(db, payment_id, "authorizing",
					   "declined", r->rc, NULL,
					   r->rrn[0] ? r->rrn : NULL, now);
		next = ps_order_next(PS_OS_AUTHORIZING, PS_EV_DECLINED, left, 0);
		u.response_code = r->rc;
		break;
	case PS_OUT_UNAVAILABLE:
		ok = ps_payment_transition(db, payment_id, "authorizing",
					   "failed", "91", NULL, NULL, now);
		next = ps_order_next(PS_OS_AUTHORIZING, PS_EV_BANK_UNAVAILABLE,
				     left, 0);
		u.response_code = "91";
		u.attempts_inc = -1;	/* never reached the bank */
		break;
	default:
		ok = ps_payment_need_reversal(db, payment_id, "authorizing", 0,
					      now, now);
		next = ps_order_next(PS_OS_AUTHORIZING, PS_EV_TIMEOUT, left, 0);
		u.response_code = "91";
		break;
	}
	if (ok < 0)
		goto fail;
	if (ok) {
		rc = ps_order_transition(db, pk, "authorizing",
					 ps_order_state_name(next), now, &u);
		if (rc < 0)
			goto fail;
		if (rc && next == PS_OS_PENDING && ps_request_release(db, rid))
			goto fail;
		if (rc && next == PS_OS_PAID)
			rc = emit(db, pk, "order.paid", now);
		else if (rc && next == PS_OS_DECLINED)
			rc = emit(db, pk, "order.declined", now);
		else if (rc && r->out == PS_OUT_DECLINED)
			rc = emit(db, pk, "order.attempt_declined", now);
		else
			rc = 0;
		if (rc < 0)
			goto fail;
	}
	json_decref(pay);
	pay = ps_payment_get(db, payment_id);
	if (!pay)
		goto fail;
	view = ps_payment_view(pay);
	if (ok && r->out != PS_OUT_UNKNOWN && r->out != PS_OUT_UNAVAILABLE)
		json_object_set_new(view, "response_code", json_string(r->rc));
	if (!ok || r->out == PS_OUT_UNKNOWN || r->out == PS_OUT_UNAVAILABLE)
		json_object_set_new(view, "response_code", json_string(
			js(pay, "response_code") ? js(pay, "response_code") : "91"));
	if (r->mac_hex[0])
		json_object_set_new(view, "response_mac", json_string(r->mac_hex));
	if (r->icc_hex)
		json_object_set_new(view, "icc_response", json_string(r->icc_hex));
	body = json_dumps(view, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!body || ps_idem_finish(db, js(pay, "terminal_id"), js(pay, "idem_key"),
				    200, body, now))
		goto fail;
	if (ps_db_commit(db))
		goto fail_nr;
	ps_info("payment.result", "{s:s,s:s,s:s,s:s,s:s,s:s}", "payment_id",
		payment_id, "merchant_id", js(pay, "merchant_id"), "order_id",
		js(pay, "order_id"), "state", js(pay, "state"), "response_code",
		js(pay, "response_code") ? js(pay, "response_code") : "",
		"order_state", ok ? ps_order_state_name(next) : "unchanged");
	free(body);
	json_decref(pay);
	json_decref(ord);
	return view;
fail:
	ps_db_rollback(db);
fail_nr:
	ps_err("payment.apply_failed", "{s:s}", "payment_id", payment_id);
	free(body);
	json_decref(view);
	json_decref(pay);
	json_decref(ord);
	return NULL;
}

int ps_payflow_reversal_ack(struct ps_db *db, const char *payment_id,
			    int64_t now)
{
	json_t *pay = NULL, *ord = NULL;
	int ok, rc, was_paid, left;
	enum ps_order_state next;
	const char *pk;

	if (ps_db_begin(db))
		return -1;
	ok = ps_payment_transition(db, payment_id, "reversal_pending",
				   "reversed", NULL, NULL, NULL, now);
	if (ok <= 0) {
		ps_db_rollback(db);
		return ok;
	}
	pay = ps_payment_get(db, payment_id);
	ord = pay ? ps_order_get_pk(db, js(pay, "order_pk")) : NULL;
	if (!ord)
		goto fail;
	pk = js(ord, "id");
	was_paid = ji(pay, "was_approved") != 0;
	left = (int)(ji(ord, "max_attempts") - ji(ord, "attempts"));
	next = ps_order_next(PS_OS_REVERSING, PS_EV_REVERSAL_ACK, left, was_paid);
	rc = ps_order_transition(db, pk, "reversing", ps_order_state_name(next),
				 now, NULL);
	if (rc < 0)
		goto fail;
	if (rc && next == PS_OS_PENDING &&
	    ps_request_release(db, js(pay, "request_id")))
		goto fail;
	if (rc && next == PS_OS_REVERSED && emit(db, pk, "order.reversed", now))
		goto fail;
	if (rc && next == PS_OS_DECLINED && emit(db, pk, "order.declined", now))
		goto fail;
	if (ps_db_commit(db))
		goto fail_nr;
	ps_info("payment.reversed", "{s:s,s:b,s:s}", "payment_id", payment_id,
		"was_approved", was_paid, "order_state",
		rc ? ps_order_state_name(next) : "unchanged");
	json_decref(pay);
	json_decref(ord);
	return 1;
fail:
	ps_db_rollback(db);
fail_nr:
	json_decref(pay);
	json_decref(ord);
	return -1;
}

int ps_payflow_request_reversal(struct ps_db *db, const char *payment_id,
				int64_t now)
{
	json_t *pay;
	int ok;

	if (ps_db_begin(db))
		return -1;
	ok = ps_payment_need_reversal(db, payment_id, "approved", 1, now, now);
	pay = ok == 1 ? ps_payment_get(db, payment_id) : NULL;
	if (ok == 1 && (!pay || ps_order_transition(db, js(pay, "order_pk"),
						    "paid", "reversing", now,
						    NULL) < 0))
		ok = -1;
	json_decref(pay);
	if (ok != 1) {
		ps_db_rollback(db);
		return ok;
	}
	return ps_db_commit(db) ? -1 : 1;
}

int ps_payflow_expire(struct ps_db *db, int64_t now)
{
	json_t *rows = ps_orders_expired(db, now, 50), *it;
	size_t i;
	int n = 0;

	json_array_foreach(rows, i, it) {
		const char *pk = js(it, "id");

		if (ps_db_begin(db))
			break;
		if (ps_order_transition(db, pk, "pending", "expired", now, NULL) == 1 &&
		    (ps_request_expire(db, js(it, "request_id")) ||
		     emit(db, pk, "order.expired", now))) {
			ps_db_rollback(db);
			continue;
		}
		if (!ps_db_commit(db))
			n++;
	}
	json_decref(rows);
	return n;
}
