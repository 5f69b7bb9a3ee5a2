// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: route matching and the checks all routes share. */
#include "route.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Does path match pattern?  1 and *arg (decoded {name} segment) if so. */
static int match(const char *pat, const char *path, char **arg)
{
	*arg = NULL;
	while (*pat == '/' && *path == '/') {
		size_t pl = strcspn(pat + 1, "/"), l = strcspn(path + 1, "/");
		char *seg = ps_uri_decode(path + 1, l, 0);

		if (!seg)
			break;
		if (pat[1] == '{') {
			if (!l) {
				free(seg);
				break;
			}
			free(*arg);
			*arg = seg;
		} else {
			int same = strlen(seg) == pl && !strncmp(seg, pat + 1, pl);

			free(seg);
			if (!same)
				break;
		}
		pat += pl + 1;
		path += l + 1;
	}
	if (!*pat && !*path)
		return 1;
	free(*arg);
	*arg = NULL;
	return 0;
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

void ps_route(struct ps_call *c, const struct ps_route *tab, size_t n)
{
	struct evhttp_request *req = c->req;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL, *bad = NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct ps_route *r = NULL;
	char allow[64] = "", *arg = NULL, msg[160];
	size_t i;
	int rc, methods = 0;

	for (i = 0; path && i < n; i++) {
		char *a;

		if (!match(tab[i].path, path, &a))
			continue;
		if (tab[i].method == cmd && !r) {
			r = &tab[i];
			arg = a;
			continue;
		}
		free(a);
		methods |= tab[i].method;
	}
	if (r)
		methods |= r->method;
	/* Allow: in a fixed order, whatever the table's */
	snprintf(allow, sizeof(allow), "%s%s%s", methods & EVHTTP_REQ_GET ? "GET" : "",
		 (methods & EVHTTP_REQ_GET) && (methods & EVHTTP_REQ_POST) ? ", " : "",
		 methods & EVHTTP_REQ_POST ? "POST" : "");
	if (!r && !*allow) {
		ps_reply_error(req, 404, "not_found", "no such endpoint");
		return;
	}
	if (!r) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  allow);
		snprintf(msg, sizeof(msg), "this path allows %s", allow);
		ps_reply_error(req, 405, "method_not_allowed", msg);
		return;
	}
	if (cmd == EVHTTP_REQ_POST &&
	    evbuffer_get_length(evhttp_request_get_input_buffer(req)) &&
	    !is_json_type(evhttp_find_header(evhttp_request_get_input_headers(req),
					     "Content-Type"))) {
		free(arg);
		ps_reply_error(req, 415, "unsupported_media_type",
			       "a request body must be Content-Type: application/json");
		return;
	}
	rc = ps_query_parse(&c->q, evhttp_uri_get_query(u), r->params, &bad);
	if (rc) {
		/* name the parameter, cut short: it is the client's text */
		snprintf(msg, sizeof(msg), "%s%s%.64s", bad, rc == -2 ? ": " : "",
			 rc == -2 ? c->q.key[c->q.n - 1] : "");
		ps_reply_error(req, 400, rc == -2 ? "unknown_parameter" :
			       "invalid_query", msg);
	} else {
		c->arg = arg;
		arg = NULL;
		r->fn(c);
	}
	free(arg);
	free(c->arg);
	c->arg = NULL;
	ps_query_free(&c->q);
}
