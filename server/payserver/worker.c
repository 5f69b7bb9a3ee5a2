// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: a worker's periodic work.  Sends due 0400 reversals
 * (retried every reversal_retry_ms until a 0410 with 00 arrives) and turns
 * payments left "authorizing" by a crashed instance into reversals.
 */
#include "server.h"
#include "bank.h"
#include "bankmsg.h"
#include "log.h"
#include "payflow.h"
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define TICK_MS 200

struct rev {
	struct ps_worker *w;
	char payment_id[40];
};

static void on_0410(void *arg, const struct iso8583_msg *m)
{
	struct rev *r = arg;
	char rc[3] = "";

	if (m)
		iso8583_get_str(m, 39, rc, sizeof(rc));
	if (m && !strcmp(rc, "00"))
		ps_payflow_reversal_ack(r->w->db, r->payment_id, ps_now_ms());
	else
		ps_warn("reversal.not_acknowledged", "{s:s,s:s}", "payment_id",
			r->payment_id, "response_code", m ? rc : "timeout");
	free(r);
}

static void send_reversals(struct ps_worker *w, int64_t now)
{
	const struct ps_config *c = w->srv->cfg;
	json_t *rows, *it;
	size_t i;

	if (!ps_bank_up(w->bank))
		return;
	rows = ps_payment_claim_reversals(w->db, now, c->reversal_retry_ms, 8);
	json_array_foreach(rows, i, it) {
		struct iso8583_msg *m = malloc(sizeof(*m));
		struct rev *r = calloc(1, sizeof(*r));
		int64_t stan = ps_store_counter(w->db, "stan");
		char dt[11], tm[7], d[5];

		ps_iso_now(dt, tm, d);
		if (!m || !r || stan < 0 ||
		    ps_build_0400(m, it, (unsigned)(stan % 999999 + 1), dt)) {
			free(m);
			free(r);
			continue;
		}
		r->w = w;
		snprintf(r->payment_id, sizeof(r->payment_id), "%s",
			 json_string_value(json_object_get(it, "id")));
		ps_info("reversal.sent", "{s:s,s:I,s:I}", "payment_id", r->payment_id,
			"attempt", json_integer_value(json_object_get(it, "reversal_attempts")),
			"original_stan", json_integer_value(json_object_get(it, "stan")));
		if (ps_bank_send(w->bank, m, c->bank_timeout_ms, on_0410, r))
			free(r);
		free(m);
	}
	json_decref(rows);
}

static void recover_stale(struct ps_worker *w, int64_t now)
{
	const struct ps_config *c = w->srv->cfg;
	json_t *rows = ps_payments_stale(w->db, now - c->bank_timeout_ms - 30000, 8), *it;
	size_t i;

	json_array_foreach(rows, i, it) {
		struct ps_auth_result r;
		json_t *v;

		memset(&r, 0, sizeof(r));
		r.out = PS_OUT_UNKNOWN;
		ps_warn("payment.stale", "{s:O}", "payment_id", json_object_get(it, "id"));
		v = ps_payflow_apply(w->db, json_string_value(json_object_get(it, "id")),
				     &r, now);
		json_decref(v);
	}
	json_decref(rows);
}

void ps_worker_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct ps_worker *w = arg;
	static __thread unsigned n;
	int64_t now = ps_now_ms();

	send_reversals(w, now);
	if (++n % 50 == (unsigned)w->id % 50)
		recover_stale(w, now);
}
