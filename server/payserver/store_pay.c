// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: payments (authorizations, reversals) and idempotency. */
#include "store.h"
#include "store_int.h"
#include "idem.h"

#include <stdlib.h>
#include <string.h>

#define PAY_COLS "p.id,p.request_id,p.order_pk,p.terminal_id,p.idem_key," \
	"#p.amount,p.currency,p.entry_mode,p.masked_pan,#p.stan,p.rrn," \
	"p.tx_time,p.state,#p.reversal_next_at,p.response_code,p.auth_code,#p.was_approved," \
	"#p.reversal_attempts,#p.created_at,#p.updated_at,o.merchant_id,o.order_id"

int ps_payment_insert(struct ps_db *db, const struct ps_payment_new *p)
{
	struct ps_db_val v[] = {
		DB_S(p->id), DB_S(p->request_id), DB_S(p->order_pk),
		DB_S(p->terminal_id), DB_S(p->idem_key), DB_I(p->amount),
		DB_S(p->currency), DB_S(p->entry_mode), DB_S(p->masked_pan),
		DB_I(p->stan), DB_S(p->rrn), DB_S(p->tx_time), DB_I(p->created_at),
	};
	int64_t n = ps_chg(db, "INSERT INTO payments (id, request_id, order_pk,"
			   " terminal_id, idem_key, amount, currency, entry_mode,"
			   " masked_pan, stan, rrn, tx_time, state, created_at,"
			   " updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,"
			   " $11,$12,'authorizing',$13,$13)", v, NP(v));

	return n == 1 ? 0 : -1;
}

json_t *ps_payment_get(struct ps_db *db, const char *id)
{
	struct ps_db_val p[] = { DB_S(id) };

	return ps_sel1(db, PAY_COLS, "FROM payments p JOIN orders o ON"
		       " o.id = p.order_pk WHERE p.id = $1", p, NP(p));
}

int ps_payment_transition(struct ps_db *db, const char *id, const char *old,
			  const char *new_state, const char *response_code,
			  const char *auth_code, const char *rrn, int64_t now)
{
	struct ps_db_val p[] = {
		DB_S(id), DB_S(old), DB_S(new_state), DB_S(response_code),
		DB_S(auth_code), DB_I(now), DB_S(rrn),
	};
	int64_t n = ps_chg(db, "UPDATE payments SET state = $3,"
			   " response_code = COALESCE($4, response_code),"
			   " auth_code = COALESCE($5, auth_code), updated_at = $6,"
			   " rrn = COALESCE($7, rrn),"
			   " was_approved = CASE WHEN $3 = 'approved' THEN 1"
			   " ELSE was_approved END"
			   " WHERE id = $1 AND state = $2", p, NP(p));

	return n < 0 ? -1 : n == 1;
}

int ps_payment_need_reversal(struct ps_db *db, const char *id,
			     const char *old, int was_approved,
			     int64_t now, int64_t next_at)
{
	struct ps_db_val p[] = {
		DB_S(id), DB_S(old), DB_I(was_approved), DB_I(now), DB_I(next_at),
	};
	int64_t n = ps_chg(db, "UPDATE payments SET state = 'reversal_pending',"
			   " was_approved = $3, updated_at = $4,"
			   " reversal_next_at = $5 WHERE id = $1 AND state = $2",
			   p, NP(p));

	return n < 0 ? -1 : n == 1;
}

json_t *ps_payment_claim_reversals(struct ps_db *db, int64_t now,
				   int64_t lease_ms, int limit)
{
	struct ps_db_val p[] = { DB_I(now), DB_I(limit) };
	json_t *cand = ps_sel(db, "id", "FROM payments WHERE state ="
			      " 'reversal_pending' AND reversal_next_at <= $1"
			      " ORDER BY reversal_next_at LIMIT $2", p, NP(p));
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(cand, i, it) {
		const char *id = json_string_value(json_object_get(it, "id"));
		struct ps_db_val q[] = { DB_S(id), DB_I(now), DB_I(now + lease_ms) };

		if (ps_chg(db, "UPDATE payments SET reversal_next_at = $3,"
			   " reversal_attempts = reversal_attempts + 1"
			   " WHERE id = $1 AND state = 'reversal_pending'"
			   " AND reversal_next_at <= $2", q, NP(q)) == 1) {
			json_t *row = ps_payment_get(db, id);

			if (row)
				json_array_append_new(out, row);
		}
	}
	json_decref(cand);
	return out;
}

int ps_payment_reversal_tried(struct ps_db *db, const char *id,
			      int64_t next_at)
{
	struct ps_db_val p[] = { DB_S(id), DB_I(next_at) };

	return ps_chg(db, "UPDATE payments SET reversal_next_at = $2 WHERE"
		      " id = $1 AND state = 'reversal_pending'", p, NP(p)) < 0 ? -1 : 0;
}

json_t *ps_payments_stale(struct ps_db *db, int64_t before, int limit)
{
	struct ps_db_val p[] = { DB_I(before), DB_I(limit) };

	return ps_sel(db, PAY_COLS, "FROM payments p JOIN orders o ON"
		      " o.id = p.order_pk WHERE p.state = 'authorizing'"
		      " AND p.updated_at < $1 LIMIT $2", p, NP(p));
}

/* ---- idempotency ---- */

int ps_idem_begin(struct ps_db *db, const char *terminal_id, const char *key,
		  const char *body_hash, int64_t now, int *status, char **body)
{
	struct ps_db_val p[] = {
		DB_S(terminal_id), DB_S(key), DB_S(body_hash), DB_I(now),
	};
	struct ps_idem_rec rec = { 0 };
	json_t *row;
	int64_t n;
	int act;

	n = ps_chg(db, "INSERT INTO idem (terminal_id, key, body_hash, state,"
		   " created_at, updated_at) VALUES ($1,$2,$3,'inflight',$4,$4)"
		   " ON CONFLICT DO NOTHING", p, NP(p));
	if (n == 1)
		return PS_IDEM_PROCEED;
	if (n < 0)
		return -1;
	row = ps_sel1(db, "body_hash,state,#status,response", "FROM idem WHERE"
		      " terminal_id = $1 AND key = $2", p, 2);
	if (!row)	/* forgotten in between: treat as still running */
		return PS_IDEM_IN_FLIGHT;
	rec.exists = 1;
	rec.body_hash = json_string_value(json_object_get(row, "body_hash"));
	rec.done = !strcmp(json_string_value(json_object_get(row, "state")), "done");
	act = ps_idem_decide(&rec, body_hash);
	if (act == PS_IDEM_REPLAY) {
		const char *b = json_string_value(json_object_get(row, "response"));

		*status = (int)json_integer_value(json_object_get(row, "status"));
		*body = strdup(b ? b : "{}");
	}
	json_decref(row);
	return act;
}

int ps_idem_finish(struct ps_db *db, const char *terminal_id, const char *key,
		   int status, const char *body, int64_t now)
{
	struct ps_db_val p[] = {
		DB_S(terminal_id), DB_S(key), DB_I(status), DB_S(body), DB_I(now),
	};

	return ps_chg(db, "UPDATE idem SET state = 'done', status = $3,"
		      " response = $4, updated_at = $5 WHERE terminal_id = $1"
		      " AND key = $2", p, NP(p)) < 0 ? -1 : 0;
}

int ps_idem_forget(struct ps_db *db, const char *terminal_id, const char *key)
{
	struct ps_db_val p[] = { DB_S(terminal_id), DB_S(key) };

	return ps_chg(db, "DELETE FROM idem WHERE terminal_id = $1 AND key = $2"
		      " AND state = 'inflight'", p, NP(p)) < 0 ? -1 : 0;
}

int ps_idem_finish_payment(struct ps_db *db, const char *payment_id,
			   int status, const char *body, int64_t now)
{
	struct ps_db_val p[] = {
		DB_S(payment_id), DB_I(status), DB_S(body), DB_I(now),
	};

	return ps_chg(db, "UPDATE idem SET state = 'done', status = $2,"
		      " response = $3, updated_at = $4 WHERE state = 'inflight'"
		      " AND (terminal_id, key) IN (SELECT terminal_id, idem_key"
		      " FROM payments WHERE id = $1)", p, NP(p)) < 0 ? -1 : 0;
}
