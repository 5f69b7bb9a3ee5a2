/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: route tables.  A route is a method, a path pattern whose
 * "{name}" segment matches one non-empty segment (percent-decoded for the
 * handler), and the query parameters the operation takes; any other
 * parameter is a 400, as Stripe does.  The path is the URI's path, so a
 * query string never changes which route matches.  tests/e2e/t-server-openapi
 * reads the PS_ROUTE lines of api_*.c to check docs/openapi.yaml covers
 * every route.
 */
#ifndef PS_ROUTE_H
#define PS_ROUTE_H

#include "server.h"
#include "config.h"

#include <stddef.h>

#define PS_QUERY_MAX 16

struct ps_query {
	int n;
	char *key[PS_QUERY_MAX], *val[PS_QUERY_MAX];	/* decoded */
};

struct ps_call {
	struct ps_worker *w;
	struct evhttp_request *req;
	const struct ps_merchant *m;	/* merchant listener: the API key's */
	const struct ps_terminal *t;	/* terminal listener: the certificate's */
	char *arg;			/* the {name} segment, decoded */
	struct ps_query q;
};

struct ps_route {
	enum evhttp_cmd_type method;
	const char *path;
	const char *params;	/* query parameters allowed, space separated */
	void (*fn)(struct ps_call *c);
};

#define PS_ROUTE(m, path, params, fn) { EVHTTP_REQ_##m, path, params, fn }

/* Find the route and call it; answers itself 404 (no path matches), 405
 * with Allow (path matches, method not), 415 (a POST body that is not
 * application/json) and 400 (query string malformed, unknown or repeated
 * parameter). */
void ps_route(struct ps_call *c, const struct ps_route *tab, size_t n);
/* query.c */
/* Percent-decode s[0..n) ('+' as space when plus): malloc'ed, NULL if the
 * result would hold a NUL byte. */
char *ps_uri_decode(const char *s, size_t n, int plus);
/* Decoded value of a query parameter, NULL if absent. */
const char *ps_query_get(const struct ps_query *q, const char *key);
/* Parse "k=v&…" (decoded; NUL bytes refused): 0, or -1 with *bad naming
 * the reason.  Keys must be in the space-separated allowed list. */
int ps_query_parse(struct ps_query *q, const char *query, const char *allowed,
		   const char **bad);
void ps_query_free(struct ps_query *q);
/* A query parameter as a decimal integer 0..max, digits only (no sign,
 * space or trailing bytes; saturation refused): -1 if absent, -2 if bad. */
long long ps_query_uint(const struct ps_query *q, const char *key, long long max);

#endif
