// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: HTTPS servers of a worker and reply helpers. */
#include "server.h"
#include "log.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static struct evhttp *mk_http(struct ps_worker *w, SSL_CTX *ctx, int fd,
			      void (*cb)(struct evhttp_request *, void *))
{
	struct evhttp *h = evhttp_new(w->base);

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
	if (!evhttp_accept_socket_with_handle(h, fd)) {
		evhttp_free(h);
		return NULL;
	}
	return h;
}

int ps_http_setup(struct ps_worker *w)
{
	w->http_merchant = mk_http(w, w->srv->merchant_ctx, w->srv->merchant_fd,
				   ps_api_merchant);
	w->http_terminal = mk_http(w, w->srv->terminal_ctx, w->srv->terminal_fd,
				   ps_api_terminal);
	return w->http_merchant && w->http_terminal ? 0 : -1;
}

void ps_reply_raw(struct evhttp_request *req, int status, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *reason;

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
	case 415: reason = "Unsupported Media Type"; break;
	case 422: reason = "Unprocessable Entity"; break;
	case 503: reason = "Service Unavailable"; break;
	default: reason = status >= 500 ? "Internal Server Error" : "Error"; break;
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

char *ps_error_text(const char *code, const char *message)
{
	json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code,
			      "message", message);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);

	json_decref(o);
	return s;
}

void ps_reply_error(struct evhttp_request *req, int status, const char *code,
		    const char *message)
{
	char *s = ps_error_text(code, message);

	ps_reply_raw(req, status, s ? s : "{}");
	free(s);
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

/* application/json, any case, parameters (charset=utf-8) allowed */
static int is_json_type(const char *ct)
{
	static const char want[] = "application/json";
	size_t n = sizeof(want) - 1;

	if (!ct || strncasecmp(ct, want, n))
		return 0;
	return ct[n] == 0 || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

int ps_http_precheck(struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  "GET, POST");
		ps_reply_error(req, 405, "method_not_allowed",
			       "only GET and POST");
		return -1;
	}
	if (cmd == EVHTTP_REQ_POST &&
	    evbuffer_get_length(evhttp_request_get_input_buffer(req)) &&
	    !is_json_type(evhttp_find_header(in, "Content-Type"))) {
		ps_reply_error(req, 415, "unsupported_media_type",
			       "a request body must be Content-Type: application/json");
		return -1;
	}
	return 0;
}
