// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: GET /healthz (liveness: the answering worker's event loop
 * runs) and GET /readyz (its database answers SELECT 1 and its bank link
 * is signed on) on the merchant listener.  No API key: they say which
 * dependency is down, nothing else (no address, no error text).
 */
#include "server.h"
#include "bank.h"

#include <event2/keyvalq_struct.h>

static int method_ok(struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
		return 1;
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			  "GET, HEAD");
	ps_reply_error(req, 405, "method_not_allowed", "only GET and HEAD");
	return 0;
}

static void live(struct evhttp_request *req, void *arg)
{
	if (method_ok(req))
		ps_reply_raw(req, 200, "{\"status\":\"ok\"}");
}

static int db_ok(struct ps_db *db)
{
	struct ps_db_res r;
	int ok;

	if (!db || ps_db_exec(db, "SELECT 1", NULL, 0, &r) != PS_DB_OK)
		return 0;
	ok = r.nrows == 1 && ps_db_int(&r, 0, 0) == 1;
	ps_db_res_free(&r);
	return ok;
}

static void ready(struct evhttp_request *req, void *arg)
{
	struct ps_worker *w = arg;
	int dbu, banku;
	json_t *down;

	if (!method_ok(req))
		return;
	dbu = db_ok(w->db);
	banku = w->bank && ps_bank_up(w->bank);
	down = json_array();
	if (!dbu)
		json_array_append_new(down, json_string("database"));
	if (!banku)
		json_array_append_new(down, json_string("bank"));
	ps_reply_json(req, dbu && banku ? 200 : 503,
		      json_pack("{s:s,s:{s:s,s:s},s:o}", "status",
				dbu && banku ? "ready" : "unavailable", "checks",
				"database", dbu ? "up" : "down", "bank",
				banku ? "up" : "down", "down", down));
}

void ps_health_register(struct evhttp *h, struct ps_worker *w)
{
	/* exact paths: evhttp calls these before the general callback, so
	 * the merchant router and its API-key check are not involved */
	evhttp_set_cb(h, "/healthz", live, w);
	evhttp_set_cb(h, "/readyz", ready, w);
}
