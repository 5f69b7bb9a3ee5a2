/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: process-wide state and the per-worker context.
 * A worker is one thread with its own event loop, its own HTTP servers on
 * the shared listening sockets, its own database connection and its own
 * persistent TCP connection to the bank.  The outbox thread delivers
 * webhooks, e-mail and SMS and expires orders.
 */
#ifndef PS_SERVER_H
#define PS_SERVER_H

#include "config.h"
#include "db.h"
#include "listen.h"

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <pthread.h>

struct ps_bank;

struct ps_srv {
	struct ps_config *cfg;
	EVP_PKEY *jws_key;
	SSL_CTX *merchant_ctx, *terminal_ctx;
	struct ps_listener merchant, terminal;
	volatile int stopping;
};

struct ps_waiter;

struct ps_worker {
	int id;
	struct ps_srv *srv;
	struct event_base *base;
	struct evhttp *http_merchant, *http_terminal;
	struct ps_db *db;
	struct ps_bank *bank;
	struct ps_waiter *waiters;	/* long-polling terminals */
	struct event *tick;		/* reversals, stale payments */
	struct event *beat;		/* heartbeat for the watchdog */
	int64_t beat_ms;		/* CLOCK_MONOTONIC of the last beat */
	struct event *stop;		/* activated by the main thread */
	pthread_t thread;
};

extern struct ps_srv ps_srv;

/* tls.c */
SSL_CTX *ps_tls_server_ctx(const struct ps_config *c, int client_auth);
/* Terminal behind this request's client certificate, NULL if none fits. */
const struct ps_terminal *ps_tls_terminal(struct evhttp_request *req);

/* http.c */
int ps_http_setup(struct ps_worker *w);
/* Every reply carries Request-Id (made on first use; in error bodies too)
 * and is logged as http.request with method, path and status. */
const char *ps_request_id(struct evhttp_request *req);
void ps_reply_json(struct evhttp_request *req, int status, json_t *body);
void ps_reply_raw(struct evhttp_request *req, int status, const char *body);
void ps_reply_error(struct evhttp_request *req, int status, const char *code,
		    const char *message);
/* Body as a NUL-terminated malloc'ed string (max 64 KiB), NULL if larger. */
char *ps_body(struct evhttp_request *req, size_t *len);
/* {"error": {"code", "message", "request_id"}} as text (idempotency
 * records store it). */
char *ps_error_text(struct evhttp_request *req, const char *code,
		    const char *message);
/* While set, the first reply to c->req is copied into c (status, body
 * malloc'ed): how an idempotency record learns the answer it stores. */
struct ps_capture {
	struct evhttp_request *req;
	int status;
	char *body;
};
void ps_reply_capture(struct ps_capture *c);

/* idem_http.c: Idempotency-Key on POSTs of both APIs.  A key belongs to
 * its caller's scope: the terminal id, or "merchant:" + the merchant id
 * (terminal ids have at most 8 characters, so the two never meet). */
struct ps_idem_ctx {
	const char *scope;
	const char *key;	/* NULL: none sent */
	char hash[65];		/* SHA-256 of the body */
	/* extra headers of a replayed answer (Location), or NULL */
	void (*replay_headers)(struct evhttp_request *req, int status,
			       const char *body);
};
/* Before the POST runs: 1 to run it, 0 when answered (key malformed or
 * missing though required: 400; other body: 422; in flight: 409; done:
 * the stored answer with Idempotent-Replayed: true). */
int ps_idem_enter(struct ps_worker *w, struct evhttp_request *req,
		  struct ps_idem_ctx *x, int required);
/* Run a POST whose handler answers before it returns, under its key:
 * the answer is stored, except a 5xx (the key is freed for a retry). */
void ps_idem_call(struct ps_worker *w, struct evhttp_request *req,
		  struct ps_idem_ctx *x, void (*fn)(void *arg), void *arg);

/* health.c: GET /healthz, /readyz on this server */
void ps_health_register(struct evhttp *h, struct ps_worker *w);

/* api_merchant.c */
void ps_api_merchant(struct evhttp_request *req, void *arg);
/* api_terminal.c */
void ps_api_terminal(struct evhttp_request *req, void *arg);
void ps_longpoll_kick(struct ps_worker *w);
void ps_longpoll_free_all(struct ps_worker *w);
/* api_submit.c */
void ps_api_submit(struct ps_worker *w, struct evhttp_request *req,
		   const struct ps_terminal *t);
void ps_api_reverse(struct ps_worker *w, struct evhttp_request *req,
		    const struct ps_terminal *t, const char *payment_id);

/* order.c: public JSON view of an order row */
json_t *ps_order_view(const json_t *row);
/* Queue a webhook for this order (inside the caller's transaction). */
int ps_order_event(struct ps_db *db, const json_t *order_row, const char *type,
		   int64_t now);

/* payflow.c: periodic work of a worker */
void ps_worker_tick(evutil_socket_t fd, short ev, void *arg);

/* outbox.c */
int ps_outbox_start(struct ps_srv *s, pthread_t *th);

#endif
