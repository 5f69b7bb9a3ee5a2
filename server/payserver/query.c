// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: query strings of the routers (route.h). */
#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Percent-decode s[0..n) ('+' as space when plus); NULL if it holds NUL. */
char *ps_uri_decode(const char *s, size_t n, int plus)
{
	char *raw = strndup(s, n), *d;
	size_t len = 0;

	if (!raw)
		return NULL;
	d = evhttp_uridecode(raw, plus, &len);
	free(raw);
	if (d && strlen(d) != len) {
		free(d);
		d = NULL;
	}
	return d;
}

static int allowed_key(const char *allowed, const char *k)
{
	size_t n = strlen(k);
	const char *p = allowed;

	while (p && *p) {
		size_t l = strcspn(p, " ");

		if (l == n && !strncmp(p, k, n))
			return 1;
		p += l;
		p += strspn(p, " ");
	}
	return 0;
}

int ps_query_parse(struct ps_query *q, const char *query, const char *allowed,
		   const char **bad)
{
	const char *p = query;

	memset(q, 0, sizeof(*q));
	while (p && *p) {
		size_t l = strcspn(p, "&"), kl;
		const char *eq = memchr(p, '=', l);
		char *k, *v;
		int i;

		if (!l) {
			p++;
			continue;
		}
		kl = eq ? (size_t)(eq - p) : l;
		k = ps_uri_decode(p, kl, 1);
		v = eq ? ps_uri_decode(eq + 1, l - kl - 1, 1) : strdup("");
		if (!k || !v || !*k || q->n == PS_QUERY_MAX) {
			free(k);
			free(v);
			*bad = "malformed query string";
			return -1;
		}
		for (i = 0; i < q->n; i++)
			if (!strcmp(q->key[i], k))
				break;
		q->key[q->n] = k;
		q->val[q->n++] = v;
		if (i < q->n - 1) {
			*bad = "query parameter given twice";
			return -1;
		}
		if (!allowed_key(allowed, k)) {
			*bad = "unknown query parameter";
			return -2;
		}
		p += l;
	}
	return 0;
}

void ps_query_free(struct ps_query *q)
{
	int i;

	for (i = 0; i < q->n; i++) {
		free(q->key[i]);
		free(q->val[i]);
	}
	q->n = 0;
}

long long ps_query_uint(const struct ps_query *q, const char *key, long long max)
{
	const char *v = ps_query_get(q, key);
	char *end;
	long long n;

	if (!v)
		return -1;
	if (*v < '0' || *v > '9')
		return -2;
	errno = 0;
	n = strtoll(v, &end, 10);
	return *end || errno == ERANGE || n > max ? -2 : n;
}

const char *ps_query_get(const struct ps_query *q, const char *key)
{
	int i;

	for (i = 0; i < q->n; i++)
		if (!strcmp(q->key[i], key))
			return q->val[i];
	return NULL;
}
