// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: schema, row helpers, orders, requests, payment codes. */
#include "store.h"
#include "store_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY,"
	" value BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY,"
	" merchant_id TEXT NOT NULL, order_id TEXT NOT NULL,"
	" amount BIGINT NOT NULL, currency TEXT NOT NULL, description TEXT,"
	" payer_type TEXT NOT NULL, payer TEXT NOT NULL, callback_url TEXT,"
	" terminal_id TEXT NOT NULL, request_id TEXT NOT NULL,"
	" state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,"
	" max_attempts BIGINT NOT NULL, response_code TEXT, auth_code TEXT,"
	" masked_pan TEXT, payment_id TEXT, created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	" UNIQUE (merchant_id, order_id))",
	"CREATE INDEX IF NOT EXISTS orders_state ON orders (state, expires_at)",
	"CREATE INDEX IF NOT EXISTS orders_list ON orders (merchant_id, created_at, id)",
	"CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY,"
	" order_pk TEXT NOT NULL, terminal_id TEXT NOT NULL, channel TEXT NOT NULL,"
	" jws TEXT NOT NULL, seq BIGINT NOT NULL, state TEXT NOT NULL,"
	" created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS requests_term ON requests (terminal_id, state, seq)",
	"CREATE TABLE IF NOT EXISTS codes (code TEXT PRIMARY KEY,"
	" terminal_id TEXT NOT NULL, used BIGINT NOT NULL DEFAULT 0,"
	" created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL, order_pk TEXT NOT NULL,"
	" terminal_id TEXT NOT NULL, idem_key TEXT NOT NULL,"
	" amount BIGINT NOT NULL, currency TEXT NOT NULL, entry_mode TEXT,"
	" masked_pan TEXT, stan BIGINT NOT NULL, rrn TEXT,"
	" tx_time TEXT NOT NULL, state TEXT NOT NULL, response_code TEXT,"
	" auth_code TEXT, was_approved BIGINT NOT NULL DEFAULT 0,"
	" reversal_attempts BIGINT NOT NULL DEFAULT 0, reversal_next_at BIGINT,"
	" created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS payments_state ON payments (state, reversal_next_at)",
	"CREATE TABLE IF NOT EXISTS idem (terminal_id TEXT NOT NULL,"
	" key TEXT NOT NULL, body_hash TEXT NOT NULL, state TEXT NOT NULL,"
	" status BIGINT, response TEXT, payment_id TEXT,"
	" created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,"
	" PRIMARY KEY (terminal_id, key))",
	"CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
	" merchant_id TEXT, target TEXT NOT NULL, subject TEXT, body TEXT NOT NULL,"
	" state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,"
	" next_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL,"
	" delivered_at BIGINT)",
	"CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at)",
	"INSERT INTO counters (name, value) VALUES ('stan', 0), ('request_seq', 0)"
	" ON CONFLICT DO NOTHING",
};

int ps_store_init(struct ps_db *db)
{
	size_t i;
	int rc = 0;

	if (db->ops->lock_schema(db, 1))
		return -1;
	if (ps_db_begin(db)) {
		db->ops->lock_schema(db, 0);
		return -1;
	}
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]) && !rc; i++)
		rc = ps_db_exec(db, schema[i], NULL, 0, NULL);
	if (rc)
		ps_db_rollback(db);
	else
		rc = ps_db_commit(db);
	db->ops->lock_schema(db, 0);
	return rc ? -1 : 0;
}

int64_t ps_store_counter(struct ps_db *db, const char *name)
{
	struct ps_db_val p[] = { DB_S(name) };
	struct ps_db_res r;
	int64_t v = -1;

	if (ps_db_exec(db, "UPDATE counters SET value = value + 1 WHERE name = $1"
		       " RETURNING value", p, NP(p), &r))
		return -1;
	if (r.nrows == 1)
		v = ps_db_int(&r, 0, 0);
	ps_db_res_free(&r);
	return v;
}

/* ---- row helpers ---- */

json_t *ps_sel(struct ps_db *db, const char *spec, const char *rest,
	       const struct ps_db_val *p, int np)
{
	char *cols = strdup(spec), *sql, *names[48];
	int isint[48], n = 0, row, c;
	char *tok, *save = NULL;
	size_t len = strlen(spec) + strlen(rest) + 16;
	struct ps_db_res r;
	json_t *arr;

	sql = malloc(len);
	if (!cols || !sql) {
		free(cols);
		free(sql);
		return NULL;
	}
	strcpy(sql, "SELECT ");
	for (tok = strtok_r(cols, ",", &save); tok && n < 48;
	     tok = strtok_r(NULL, ",", &save)) {
		isint[n] = *tok == '#';
		names[n] = tok + isint[n];
		if (n)
			strcat(sql, ",");
		strcat(sql, names[n]);
		n++;
	}
	strcat(sql, " ");
	strcat(sql, rest);
	if (ps_db_exec(db, sql, p, np, &r)) {
		free(cols);
		free(sql);
		return NULL;
	}
	arr = json_array();
	for (row = 0; row < r.nrows; row++) {
		json_t *o = json_object();

		for (c = 0; c < n && c < r.ncols; c++) {
			const char *v = ps_db_cell(&r, row, c);

			/* Names may carry a table prefix ("o.id"). */
			const char *key = strchr(names[c], '.') ?
					  strchr(names[c], '.') + 1 : names[c];
			if (!v)
				json_object_set_new(o, key, json_null());
			else if (isint[c])
				json_object_set_new(o, key, json_integer(strtoll(v, NULL, 10)));
			else
				json_object_set_new(o, key, json_string(v));
		}
		json_array_append_new(arr, o);
	}
	ps_db_res_free(&r);
	free(cols);
	free(sql);
	return arr;
}

json_t *ps_sel1(struct ps_db *db, const char *spec, const char *rest,
		const struct ps_db_val *p, int np)
{
	json_t *a = ps_sel(db, spec, rest, p, np), *o;

	o = json_incref(json_array_get(a, 0));
	json_decref(a);
	return o;
}

int64_t ps_chg(struct ps_db *db, const char *sql, const struct ps_db_val *p,
	       int np)
{
	struct ps_db_res r;
	int rc = ps_db_exec(db, sql, p, np, &r);
	int64_t n;

	if (rc)
		return rc;
	n = r.changes;
	ps_db_res_free(&r);
	return n;
}

/* ---- orders ---- */

#define ORDER_COLS "id,merchant_id,order_id,#amount,currency,description," \
	"payer_type,payer,callback_url,terminal_id,request_id,state,#attempts," \
	"#max_attempts,response_code,auth_code,masked_pan,payment_id," \
	"#created_at,#updated_at,#expires_at"

int ps_order_insert(struct ps_db *db, const struct ps_order_new *o)
{
	struct ps_db_val p[] = {
		DB_S(o->id), DB_S(o->merchant_id), DB_S(o->order_id),
		DB_I(o->amount), DB_S(o->currency), DB_S(o->description),
		DB_S(o->payer_type), DB_S(o->payer), DB_S(o->callback_url),
		DB_S(o->terminal_id), DB_S(o->request_id),
		DB_I(o->max_attempts), DB_I(o->created_at), DB_I(o->expires_at),
	};
	int64_t n = ps_chg(db, "INSERT INTO orders (id, merchant_id, order_id,"
			   " amount, currency, description, payer_type, payer,"
			   " callback_url, terminal_id, request_id, state,"
			   " max_attempts, created_at, updated_at, expires_at)"
			   " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'pending',"
			   " $12,$13,$13,$14)", p, NP(p));

	return n == 1 ? 0 : n == PS_DB_CONFLICT ? PS_DB_CONFLICT : PS_DB_ERROR;
}

json_t *ps_order_get(struct ps_db *db, const char *merchant_id,
		     const char *order_id)
{
	struct ps_db_val p[] = { DB_S(merchant_id), DB_S(order_id) };

	return ps_sel1(db, ORDER_COLS, "FROM orders WHERE merchant_id = $1"
		       " AND order_id = $2", p, NP(p));
}

json_t *ps_order_get_pk(struct ps_db *db, const char *pk)
{
	struct ps_db_val p[] = { DB_S(pk) };

	return ps_sel1(db, ORDER_COLS, "FROM orders WHERE id = $1", p, NP(p));
}

int ps_order_transition(struct ps_db *db, const char *pk, const char *old,
			const char *new_state, int64_t now,
			const struct ps_order_upd *u)
{
	static const struct ps_order_upd none;
	struct ps_db_val p[9];
	int64_t n;

	if (!u)
		u = &none;
	p[0] = DB_S(pk);
	p[1] = DB_S(old);
	p[2] = DB_S(new_state);
	p[3] = DB_I(now);
	p[4] = DB_S(u->response_code);
	p[5] = DB_S(u->auth_code);
	p[6] = DB_S(u->masked_pan);
	p[7] = DB_S(u->payment_id);
	p[8] = DB_I(u->attempts_inc);
	n = ps_chg(db, "UPDATE orders SET state = $3, updated_at = $4,"
		   " response_code = COALESCE($5, response_code),"
		   " auth_code = COALESCE($6, auth_code),"
		   " masked_pan = COALESCE($7, masked_pan),"
		   " payment_id = COALESCE($8, payment_id),"
		   " attempts = attempts + $9"
		   " WHERE id = $1 AND state = $2", p, NP(p));
	return n < 0 ? -1 : n == 1;
}

json_t *ps_orders_list(struct ps_db *db, const struct ps_order_filter *f,
		       int limit)
{
	struct ps_db_val p[] = {
		DB_S(f->merchant_id), DB_S(f->state), DB_I(f->created_gte),
		DB_I(f->created_lt), DB_S(f->after_pk), DB_I(f->after_created),
		DB_I(limit),
	};

	/* every parameter appears (PostgreSQL must type each one): an empty
	 * state or cursor switches its condition off */
	return ps_sel(db, ORDER_COLS, "FROM orders WHERE merchant_id = $1"
		      " AND ($2 = '' OR state = $2)"
		      " AND created_at >= $3 AND created_at < $4"
		      " AND ($5 = '' OR created_at < $6 OR"
		      " (created_at = $6 AND id < $5))"
		      " ORDER BY created_at DESC, id DESC LIMIT $7", p, NP(p));
}

json_t *ps_orders_expired(struct ps_db *db, int64_t now, int limit)
{
	struct ps_db_val p[] = { DB_I(now), DB_I(limit) };

	return ps_sel(db, "id,request_id", "FROM orders WHERE state = 'pending'"
		      " AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
		      p, NP(p));
}

/* ---- payment requests ---- */

int ps_request_insert(struct ps_db *db, const char *id, const char *order_pk,
		      const char *terminal_id, const char *channel,
		      const char *jws, int64_t seq, int64_t now,
		      int64_t expires_at)
{
	struct ps_db_val p[] = {
		DB_S(id), DB_S(order_pk), DB_S(terminal_id), DB_S(channel),
		DB_S(jws), DB_I(seq), DB_I(now), DB_I(expires_at),
	};

	return ps_chg(db, "INSERT INTO requests (id, order_pk, terminal_id,"
		      " channel, jws, seq, state, created_at, expires_at) VALUES"
		      " ($1,$2,$3,$4,$5,$6,'pending',$7,$8)", p, NP(p)) == 1 ? 0 : -1;
}

json_t *ps_request_get(struct ps_db *db, const char *id)
{
	struct ps_db_val p[] = { DB_S(id) };

	return ps_sel1(db, "id,order_pk,terminal_id,channel,jws,#seq,state,"
		       "#created_at,#expires_at", "FROM requests WHERE id = $1",
		       p, NP(p));
}

int ps_request_claim(struct ps_db *db, const char *id,
		     const char *terminal_id, int64_t now)
{
	struct ps_db_val p[] = { DB_S(id), DB_S(terminal_id), DB_I(now) };
	int64_t n = ps_chg(db, "UPDATE requests SET state = 'used' WHERE id = $1"
			   " AND terminal_id = $2 AND state = 'pending'"
			   " AND expires_at > $3", p, NP(p));

	return n < 0 ? -1 : n == 1;
}

int ps_request_release(struct ps_db *db, const char *id)
{
	struct ps_db_val p[] = { DB_S(id) };

	return ps_chg(db, "UPDATE requests SET state = 'pending' WHERE id = $1"
		      " AND state = 'used'", p, NP(p)) < 0 ? -1 : 0;
}

int ps_request_expire(struct ps_db *db, const char *id)
{
	struct ps_db_val p[] = { DB_S(id) };

	return ps_chg(db, "UPDATE requests SET state = 'expired' WHERE id = $1"
		      " AND state = 'pending'", p, NP(p)) < 0 ? -1 : 0;
}

json_t *ps_requests_for_terminal(struct ps_db *db, const char *terminal_id,
				 int64_t after, int64_t now, int limit)
{
	struct ps_db_val p[] = {
		DB_S(terminal_id), DB_I(after), DB_I(now), DB_I(limit),
	};

	return ps_sel(db, "id,channel,jws,#seq,#expires_at", "FROM requests"
		      " WHERE terminal_id = $1 AND state = 'pending' AND seq > $2"
		      " AND expires_at > $3 ORDER BY seq LIMIT $4", p, NP(p));
}

/* ---- dynamic payment codes ---- */

int ps_code_insert(struct ps_db *db, const char *code, const char *terminal_id,
		   int64_t now, int64_t expires_at)
{
	struct ps_db_val p[] = {
		DB_S(code), DB_S(terminal_id), DB_I(now), DB_I(expires_at),
	};
	int64_t n;

	/* A code may be reissued once its predecessor expired or was used. */
	ps_chg(db, "DELETE FROM codes WHERE code = $1 AND (used = 1 OR"
	       " expires_at <= $3)", p, NP(p));
	n = ps_chg(db, "INSERT INTO codes (code, terminal_id, created_at,"
		   " expires_at) VALUES ($1,$2,$3,$4)", p, NP(p));
	return n == 1 ? 0 : n == PS_DB_CONFLICT ? PS_DB_CONFLICT : PS_DB_ERROR;
}

int ps_code_consume(struct ps_db *db, const char *code, int64_t now,
		    char *terminal_id, size_t cap)
{
	struct ps_db_val p[] = { DB_S(code), DB_I(now) };
	struct ps_db_res r;
	int ok = 0;

	if (ps_db_exec(db, "UPDATE codes SET used = 1 WHERE code = $1 AND"
		       " used = 0 AND expires_at > $2 RETURNING terminal_id",
		       p, NP(p), &r))
		return -1;
	if (r.nrows == 1 && ps_db_cell(&r, 0, 0)) {
		snprintf(terminal_id, cap, "%s", ps_db_cell(&r, 0, 0));
		ok = 1;
	}
	ps_db_res_free(&r);
	return ok;
}
