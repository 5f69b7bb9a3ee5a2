// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: order views and order events (webhooks). */
#include "server.h"
#include "store.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static json_t *copy(const json_t *row, const char *k)
{
	json_t *v = json_object_get(row, k);

	return v ? json_incref(v) : json_null();
}

json_t *ps_order_view(const json_t *row)
{
	json_t *o = json_object();
	static const char *const str[] = {
		"order_id", "merchant_id", "currency", "description", "state",
		"request_id", "terminal_id", "response_code", "auth_code",
		"masked_pan", "payment_id",
	};
	static const char *const ts[] = { "created_at", "updated_at", "expires_at" };
	size_t i;

	json_object_set_new(o, "object", json_string("order"));
	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++) {
		json_object_set_new(o, str[i], copy(row, str[i]));
		if (!i)
			json_object_set_new(o, "amount", copy(row, "amount"));
	}
	json_object_set_new(o, "payer", json_pack("{s:O,s:O}",
		"type", json_object_get(row, "payer_type"),
		"value", json_object_get(row, "payer")));
	json_object_set_new(o, "attempts", copy(row, "attempts"));
	json_object_set_new(o, "max_attempts", copy(row, "max_attempts"));
	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++)
		json_object_set_new(o, ts[i], json_integer(
			json_integer_value(json_object_get(row, ts[i])) / 1000));
	return o;
}

int ps_order_event(struct ps_db *db, const json_t *row, const char *type,
		   int64_t now)
{
	const char *url = json_string_value(json_object_get(row, "callback_url"));
	const char *mid = json_string_value(json_object_get(row, "merchant_id"));
	char id[40];
	json_t *ev;
	char *body;
	int rc;

	ps_info("order.event", "{s:s,s:s,s:O,s:O}", "type", type,
		"merchant_id", mid, "order_id", json_object_get(row, "order_id"),
		"state", json_object_get(row, "state"));
	if (!url || !*url)
		return 0;
	ps_new_id("evt", id, sizeof(id));
	ev = json_pack("{s:s,s:s,s:I,s:o}", "id", id, "type", type,
		       "created", (json_int_t)(now / 1000), "data",
		       ps_order_view(row));
	body = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(ev);
	if (!body)
		return -1;
	rc = ps_outbox_add(db, "webhook", mid, url, type, body, now);
	free(body);
	return rc;
}
