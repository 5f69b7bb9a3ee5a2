// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: the outbox thread.  Delivers queued webhooks, e-mails and
 * SMS with exponential back-off (retry_base_ms * 2^attempts, capped at
 * retry_max_ms, at most max_attempts) and expires unpaid orders.  A kind
 * whose gateway is not configured is dead at its first attempt.  Rows are
 * leased by pushing next_at forward, so several instances share one queue.
 */
#include "server.h"
#include "deliver.h"
#include "log.h"
#include "payflow.h"
#include "store.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *js(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int deliver_one(struct ps_srv *s, struct ps_db *db, const json_t *row)
{
	const struct ps_config *c = s->cfg;
	const char *kind = js(row, "kind"), *id = js(row, "id");
	int attempts = (int)json_integer_value(json_object_get(row, "attempts")) + 1;
	char err[200] = "";
	int rc = -1;

	if (!strcmp(kind, "webhook")) {
		const struct ps_merchant *m = ps_config_merchant(c, js(row, "merchant_id"));
		json_t *ev = json_loads(js(row, "body"), 0, NULL);

		if (m)
			rc = ps_deliver_webhook(c, js(row, "target"), m->webhook_secret,
						js(ev, "id") ? js(ev, "id") : id,
						js(row, "body"), err, sizeof(err));
		else
			snprintf(err, sizeof(err), "merchant not configured");
		json_decref(ev);
	} else if (!strcmp(kind, "email")) {
		rc = ps_deliver_email(c, js(row, "target"), js(row, "subject"),
				      js(row, "body"), err, sizeof(err));
	} else if (!strcmp(kind, "sms")) {
		rc = ps_deliver_sms(c, js(row, "target"), js(row, "body"), err,
				    sizeof(err));
	} else {
		snprintf(err, sizeof(err), "unknown kind");
	}
	if (!rc) {
		ps_outbox_done(db, id, ps_now_ms());
		ps_info("outbox.delivered", "{s:s,s:s,s:s,s:i}", "id", id,
			"kind", kind, "type", js(row, "subject") ? js(row, "subject") : "",
			"attempts", attempts);
	} else {
		int64_t d = c->webhook_retry_base_ms;
		/* An SMS / e-mail whose gateway is not configured (queued by
		 * an older version, or before a restart without it) fails
		 * for good at once: no retries that cannot succeed. */
		int i, dead = attempts >= c->webhook_max_attempts ||
			      !ps_deliver_configured(c, kind);

		for (i = 1; i < attempts && d < c->webhook_retry_max_ms; i++)
			d *= 2;
		if (d > c->webhook_retry_max_ms)
			d = c->webhook_retry_max_ms;
		ps_outbox_retry(db, id, attempts, ps_now_ms() + d, err, dead);
		ps_warn(dead ? "outbox.dead" : "outbox.retry", "{s:s,s:s,s:i,s:I,s:s}",
			"id", id, "kind", kind, "attempts", attempts,
			"retry_in_ms", (json_int_t)d, "error", err);
	}
	return rc;
}

static void *outbox_main(void *arg)
{
	struct ps_srv *s = arg;
	struct ps_db *db = ps_db_open(s->cfg->db);
	int64_t last_expire = 0;
	int64_t lease = s->cfg->webhook_timeout_ms + 10000;

	if (!db) {
		ps_err("outbox.no_database", NULL);
		return NULL;
	}
	while (!s->stopping) {
		int64_t now = ps_now_ms();
		json_t *rows = ps_outbox_claim(db, now, lease, 16), *it;
		size_t i;
		struct timespec ts = { 0, 100 * 1000000 };

		json_array_foreach(rows, i, it) {
			if (s->stopping)
				break;
			deliver_one(s, db, it);
		}
		json_decref(rows);
		if (now - last_expire >= 1000) {
			ps_payflow_expire(db, now);
			last_expire = now;
		}
		nanosleep(&ts, NULL);
	}
	ps_db_close(db);
	return NULL;
}

int ps_outbox_start(struct ps_srv *s, pthread_t *th)
{
	return pthread_create(th, NULL, outbox_main, s) ? -1 : 0;
}
