// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: Idempotency-Key on the POSTs of both APIs, one
 * implementation: the decision is idem.c's, the records the store's idem
 * table.  Same key + same body: the stored answer; other body: 422; first
 * request still running: 409.
 */
#include "server.h"
#include "idem.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

int ps_idem_enter(struct ps_worker *w, struct evhttp_request *req,
		  struct ps_idem_ctx *x, int required)
{
	size_t len = 0;
	char *body, *stored = NULL;
	int status = 0, act;

	x->key = evhttp_find_header(evhttp_request_get_input_headers(req),
				    "Idempotency-Key");
	if (!x->key && !required)
		return 1;
	if (!ps_idem_key_ok(x->key)) {
		ps_reply_error(req, 400, required ? "idempotency_key_required" :
			       "invalid_idempotency_key",
			       "Idempotency-Key header: 1-255 printable characters");
		return 0;
	}
	body = ps_body(req, &len);
	if (!body) {
		ps_reply_error(req, 400, "invalid_body", "body too large or binary");
		return 0;
	}
	ps_sha256_hex(body, len, x->hash);
	ptc_wipe(body, len);	/* a submission's card data */
	free(body);
	act = ps_idem_begin(w->db, x->scope, x->key, x->hash, ps_now_ms(),
			    &status, &stored);
	switch (act) {
	case PS_IDEM_PROCEED:
		return 1;
	case PS_IDEM_REPLAY:
		ps_info("idempotency.replayed", "{s:s,s:s,s:i}", "scope", x->scope,
			"request_id", ps_request_id(req), "status", status);
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Idempotent-Replayed", "true");
		if (x->replay_headers)
			x->replay_headers(req, status, stored);
		ps_reply_raw(req, status, stored);
		break;
	case PS_IDEM_MISMATCH:
		ps_reply_error(req, 422, "idempotency_key_reused",
			       "this Idempotency-Key was used with another body");
		break;
	case PS_IDEM_IN_FLIGHT:
		ps_reply_error(req, 409, "idempotency_key_in_flight",
			       "a request with this Idempotency-Key is in progress");
		break;
	default:
		ps_reply_error(req, 503, "storage_unavailable", "try again");
		break;
	}
	free(stored);
	return 0;
}

void ps_idem_call(struct ps_worker *w, struct evhttp_request *req,
		  struct ps_idem_ctx *x, void (*fn)(void *arg), void *arg)
{
	struct ps_capture cap = { .req = req };

	if (!ps_idem_enter(w, req, x, 0))
		return;
	if (!x->key) {
		fn(arg);
		return;
	}
	ps_reply_capture(&cap);
	fn(arg);
	ps_reply_capture(NULL);
	/* a 5xx changed nothing: the retry with the same key runs again */
	if (!cap.status || cap.status >= 500 ||
	    ps_idem_finish(w->db, x->scope, x->key, cap.status, cap.body,
			   ps_now_ms()))
		ps_idem_forget(w->db, x->scope, x->key);
	free(cap.body);
}
