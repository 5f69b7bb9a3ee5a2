// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: HTTPS servers of a worker and reply helpers. */
#include "server.h"
#include "log.h"
#include "util.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (64 * 1024)

static struct bufferevent *bevcb(struct event_base *base, void *arg)
{
	SSL_CTX *ctx = arg;
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl,
					      BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

static struct evhttp *mk_http(struct ps_worker *w, SSL_CTX *ctx,
			      const struct ps_listener *l,
			      void (*cb)(struct evhttp_request *, void *))
{
	struct evhttp *h = evhttp_new(w->base);
	int i;

	if (!h)
		return NULL;
	evhttp_set_bevcb(h, bevcb, ctx);
	evhttp_set_gencb(h, cb, w);
	evhttp_set_max_body_size(h, MAX_BODY);
	evhttp_set_max_headers_size(h, 16 * 1024);
	/* Idle keep-alive connections close after this; long polls re-arm. */
	evhttp_set_timeout(h, w->srv->cfg->longpoll_max_s + 30);
	/* every method reaches the routers, which answer 405 in JSON (libevent
	 * would answer 501 in HTML) */
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
				   EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
				   EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
				   EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
				   EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(h, "application/json");
	for (i = 0; i < l->n; i++) {
		if (!evhttp_accept_socket_with_handle(h, l->fd[i])) {
			evhttp_free(h);
			return NULL;
		}
	}
	return h;
}

int ps_http_setup(struct ps_worker *w)
{
	w->http_merchant = mk_http(w, w->srv->merchant_ctx, &w->srv->merchant,
				   ps_api_merchant);
	w->http_terminal = mk_http(w, w->srv->terminal_ctx, &w->srv->terminal,
				   ps_api_terminal);
	if (w->http_merchant)
		ps_health_register(w->http_merchant, w);
	return w->http_merchant && w->http_terminal ? 0 : -1;
}

/* The id of this exchange, made on first use and sent as Request-Id. */
const char *ps_request_id(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *id = evhttp_find_header(h, "Request-Id");
	char buf[40];

	if (id)
		return id;
	/* "hreq_": payment requests already are "req_…" (order.request_id) */
	ps_new_id("hreq", buf, sizeof(buf));
	evhttp_add_header(h, "Request-Id", buf);
	return evhttp_find_header(h, "Request-Id");
}

static const char *method_name(struct evhttp_request *req)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	default: return "?";
	}
}

static __thread struct ps_capture *capture;

void ps_reply_capture(struct ps_capture *c)
{
	capture = c;
}

void ps_reply_raw(struct evhttp_request *req, int status, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *reason, *path = u ? evhttp_uri_get_path(u) : NULL;

	switch (status) {
	case 200: reason = "OK"; break;
	case 201: reason = "Created"; break;
	case 202: reason = "Accepted"; break;
	case 400: reason = "Bad Request"; break;
	case 401: reason = "Unauthorized"; break;
	case 403: reason = "Forbidden"; break;
	case 404: reason = "Not Found"; break;
	case 405: reason = "Method Not Allowed"; break;
	case 409: reason = "Conflict"; break;
	case 410: reason = "Gone"; break;
	case 413: reason = "Content Too Large"; break;
	case 415: reason = "Unsupported Media Type"; break;
	case 417: reason = "Expectation Failed"; break;
	case 422: reason = "Unprocessable Entity"; break;
	case 501: reason = "Not Implemented"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = status >= 500 ? "Internal Server Error" : "Error"; break;
	}
	/* the request line, status and id; never the query or the body */
	ps_info("http.request", "{s:s,s:s,s:s,s:i}", "request_id",
		ps_request_id(req), "method", method_name(req), "path",
		path ? path : "", "status", status);
	if (capture && capture->req == req && !capture->status) {
		capture->status = status;
		capture->body = strdup(body);
	}
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evbuffer_add(b, body, strlen(body));
	evbuffer_add(b, "\n", 1);
	evhttp_send_reply(req, status, reason, b);
	evbuffer_free(b);
}

void ps_reply_json(struct evhttp_request *req, int status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);

	ps_reply_raw(req, status, s ? s : "{}");
	free(s);
	json_decref(body);
}

char *ps_error_text(struct evhttp_request *req, const char *code,
		    const char *message)
{
	json_t *o = json_pack("{s:{s:s,s:s,s:s}}", "error", "code", code,
			      "message", message, "request_id",
			      ps_request_id(req));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return s;
}

void ps_reply_error(struct evhttp_request *req, int status, const char *code,
		    const char *message)
{
	char *s = ps_error_text(req, code, message);

	ps_reply_raw(req, status, s ? s : "{}");
	free(s);
}

/*
 * libevent 2.1 answers what it refuses before our callback runs — a body
 * or headers over the limits (413), a request it cannot parse (400), an
 * Expect other than 100-continue (417), a method it does not know (501) —
 * through evhttp_send_error(), with an HTML page, and has no hook for that
 * (2.2 has evhttp_set_errorcb).  It calls the function through the PLT, so
 * this definition in the program replaces it for those calls too: every
 * answer of the server is JSON with a Request-Id.
 */
void evhttp_send_error(struct evhttp_request *req, int error,
		       const char *reason)
{
	const char *code = "error", *msg = reason ? reason : "request refused";

	switch (error) {
	case 400: code = "bad_request"; msg = "the request could not be parsed"; break;
	case 404: code = "not_found"; msg = "no such endpoint"; break;
	case 413: code = "request_too_large";
		msg = "body over 64 KiB or headers over 16 KiB"; break;
	case 417: code = "expectation_failed"; msg = "only Expect: 100-continue"; break;
	case 501: code = "not_implemented"; msg = "unknown method"; break;
	}
	if (!req->major) {	/* request line unparsed: answer as HTTP/1.1 */
		req->major = 1;
		req->minor = 1;
	}
	/* the rest of the request was not read: the connection cannot go on */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
			  "close");
	ps_reply_error(req, error, code, msg);
}

char *ps_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *s;

	if (n > MAX_BODY)
		return NULL;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	evbuffer_copyout(in, s, n);
	s[n] = 0;
	if (strlen(s) != n) {	/* embedded NUL */
		free(s);
		return NULL;
	}
	if (len)
		*len = n;
	return s;
}
