/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: persistent state on the storage interface (db.h).
 * Rows come back as jansson objects keyed by column name.  Every state
 * change is a conditional UPDATE (… WHERE state = old), so several server
 * instances on one PostgreSQL never both win a transition.
 * Nothing here ever receives card data or PIN blocks.
 */
#ifndef PS_STORE_H
#define PS_STORE_H

#include "db.h"

#include <jansson.h>
#include <stdint.h>

int ps_store_init(struct ps_db *db);
/* Atomically increment and return a named counter (STAN, request seq). */
int64_t ps_store_counter(struct ps_db *db, const char *name);

/* ---- orders ---- */
struct ps_order_new {
	const char *id, *merchant_id, *order_id, *currency, *description;
	const char *payer_type, *payer, *callback_url, *terminal_id;
	const char *request_id;
	int64_t amount, created_at, expires_at;
	int max_attempts;
};
int ps_order_insert(struct ps_db *db, const struct ps_order_new *o);
json_t *ps_order_get(struct ps_db *db, const char *merchant_id,
		     const char *order_id);
json_t *ps_order_get_pk(struct ps_db *db, const char *pk);

/* Optional fields a transition records (NULL / 0: unchanged). */
struct ps_order_upd {
	const char *response_code, *auth_code, *masked_pan, *payment_id;
	int attempts_inc;
};
/* 1 when the order moved old → new_state, 0 when it was not in old. */
int ps_order_transition(struct ps_db *db, const char *pk, const char *old,
			const char *new_state, int64_t now,
			const struct ps_order_upd *u);
/* A merchant's orders, newest first by (created_at, id); state "" for
 * any; times in ms, created_gte <= created_at < created_lt; after_pk ""
 * from the start, else only orders before (after_created, after_pk). */
struct ps_order_filter {
	const char *merchant_id, *state, *after_pk;
	int64_t created_gte, created_lt, after_created;
};
json_t *ps_orders_list(struct ps_db *db, const struct ps_order_filter *f,
		       int limit);
/* Pending orders whose request expired (up to limit pks). */
json_t *ps_orders_expired(struct ps_db *db, int64_t now, int limit);

/* ---- payment requests ---- */
int ps_request_insert(struct ps_db *db, const char *id, const char *order_pk,
		      const char *terminal_id, const char *channel,
		      const char *jws, int64_t seq, int64_t now,
		      int64_t expires_at);
json_t *ps_request_get(struct ps_db *db, const char *id);
/* pending → used if it belongs to terminal_id and has not expired: 1/0. */
int ps_request_claim(struct ps_db *db, const char *id,
		     const char *terminal_id, int64_t now);
/* used → pending (after a decline that leaves attempts). */
int ps_request_release(struct ps_db *db, const char *id);
int ps_request_expire(struct ps_db *db, const char *id);
/* Pending, unexpired requests for a terminal with seq > after. */
json_t *ps_requests_for_terminal(struct ps_db *db, const char *terminal_id,
				 int64_t after, int64_t now, int limit);

/* ---- dynamic payment codes ---- */
int ps_code_insert(struct ps_db *db, const char *code, const char *terminal_id,
		   int64_t now, int64_t expires_at);
/* Consume an unused, unexpired code: 1 and terminal id copied, or 0. */
int ps_code_consume(struct ps_db *db, const char *code, int64_t now,
		    char *terminal_id, size_t cap);

/* ---- payments ---- */
struct ps_payment_new {
	const char *id, *request_id, *order_pk, *terminal_id, *idem_key;
	const char *currency, *entry_mode, *masked_pan, *rrn, *tx_time;
	int64_t amount, stan, created_at;
};
int ps_payment_insert(struct ps_db *db, const struct ps_payment_new *p);
json_t *ps_payment_get(struct ps_db *db, const char *id);
/* Conditional state change; response/auth code recorded when given. */
int ps_payment_transition(struct ps_db *db, const char *id, const char *old,
			  const char *new_state, const char *response_code,
			  const char *auth_code, const char *rrn, int64_t now);
/* Mark for reversal (old → reversal_pending, first try at next_at). */
int ps_payment_need_reversal(struct ps_db *db, const char *id,
			     const char *old, int was_approved,
			     int64_t now, int64_t next_at);
/* Claim due reversals: each claimed row's next try moves to now + lease. */
json_t *ps_payment_claim_reversals(struct ps_db *db, int64_t now,
				   int64_t lease_ms, int limit);
int ps_payment_reversal_tried(struct ps_db *db, const char *id,
			      int64_t next_at);
/* Payments still "authorizing" since before `before` (crash leftovers). */
json_t *ps_payments_stale(struct ps_db *db, int64_t before, int limit);

/* ---- idempotency ---- */
/* Returns an enum ps_idem_action; for REPLAY *status and *body are set
 * (caller frees body). */
/* scope: the caller (a terminal id, "merchant:<id>"), in the column
 * terminal_id, where records of older versions have it. */
int ps_idem_begin(struct ps_db *db, const char *scope, const char *key,
		  const char *body_hash, int64_t now, int *status, char **body);
int ps_idem_finish(struct ps_db *db, const char *scope, const char *key,
		   int status, const char *body, int64_t now);
int ps_idem_forget(struct ps_db *db, const char *scope, const char *key);
/* Finish the in-flight record of a payment (crash recovery). */
int ps_idem_finish_payment(struct ps_db *db, const char *payment_id,
			   int status, const char *body, int64_t now);

/* ---- outbox: webhooks, e-mail, SMS ---- */
int ps_outbox_add(struct ps_db *db, const char *kind, const char *merchant_id,
		  const char *target, const char *subject, const char *body,
		  int64_t now);
json_t *ps_outbox_claim(struct ps_db *db, int64_t now, int64_t lease_ms,
			int limit);
int ps_outbox_done(struct ps_db *db, const char *id, int64_t now);
int ps_outbox_retry(struct ps_db *db, const char *id, int attempts,
		    int64_t next_at, const char *error, int dead);

#endif
