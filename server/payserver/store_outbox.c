// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: the persisted outbox (webhooks, e-mail, SMS). */
#include "store.h"
#include "store_int.h"
#include "util.h"

int ps_outbox_add(struct ps_db *db, const char *kind, const char *merchant_id,
		  const char *target, const char *subject, const char *body,
		  int64_t now)
{
	char id[40];
	struct ps_db_val p[7];

	ps_new_id("evt", id, sizeof(id));
	p[0] = DB_S(id);
	p[1] = DB_S(kind);
	p[2] = DB_S(merchant_id);
	p[3] = DB_S(target);
	p[4] = DB_S(subject);
	p[5] = DB_S(body);
	p[6] = DB_I(now);
	return ps_chg(db, "INSERT INTO outbox (id, kind, merchant_id, target,"
		      " subject, body, state, next_at, created_at) VALUES"
		      " ($1,$2,$3,$4,$5,$6,'pending',$7,$7)", p, NP(p)) == 1 ? 0 : -1;
}

json_t *ps_outbox_claim(struct ps_db *db, int64_t now, int64_t lease_ms,
			int limit)
{
	struct ps_db_val p[] = { DB_I(now), DB_I(limit) };
	json_t *cand = ps_sel(db, "id,kind,merchant_id,target,subject,body,"
			      "#attempts,#created_at", "FROM outbox WHERE state ="
			      " 'pending' AND next_at <= $1 ORDER BY next_at"
			      " LIMIT $2", p, NP(p));
	json_t *out = json_array(), *it;
	size_t i;

	json_array_foreach(cand, i, it) {
		struct ps_db_val q[] = {
			DB_S(json_string_value(json_object_get(it, "id"))),
			DB_I(now), DB_I(now + lease_ms),
		};

		/* The lease is the next_at push: another instance skips it. */
		if (ps_chg(db, "UPDATE outbox SET next_at = $3 WHERE id = $1"
			   " AND state = 'pending' AND next_at <= $2", q, NP(q)) == 1)
			json_array_append(out, it);
	}
	json_decref(cand);
	return out;
}

int ps_outbox_done(struct ps_db *db, const char *id, int64_t now)
{
	struct ps_db_val p[] = { DB_S(id), DB_I(now) };

	return ps_chg(db, "UPDATE outbox SET state = 'delivered', delivered_at = $2,"
		      " attempts = attempts + 1 WHERE id = $1", p, NP(p)) < 0 ? -1 : 0;
}

int ps_outbox_retry(struct ps_db *db, const char *id, int attempts,
		    int64_t next_at, const char *error, int dead)
{
	struct ps_db_val p[] = {
		DB_S(id), DB_I(attempts), DB_I(next_at), DB_S(error),
		DB_S(dead ? "dead" : "pending"),
	};

	return ps_chg(db, "UPDATE outbox SET attempts = $2, next_at = $3,"
		      " last_error = $4, state = $5 WHERE id = $1", p, NP(p)) < 0 ? -1 : 0;
}
