// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: configuration file. */
#include "config.h"
#include "listen.h"
#include "util.h"

#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/*
 * Every key the file may hold, with its type, default and meaning: the
 * loader, --config-keys and the documentation (docs/payserver.md, the man
 * page; tests/e2e/t-server-service compares them) all come from this one
 * table.  A key of an array item is written "merchants[].id".
 */
enum ktype { K_STR, K_PATH, K_DB, K_INT, K_BOOL };

#define REQ 1		/* no default: must be given */

#define CF(field) offsetof(struct ps_config, field)
#define MF(field) offsetof(struct ps_merchant, field)
#define TF(field) offsetof(struct ps_terminal, field)

struct ckey {
	const char *name;
	enum ktype type;
	size_t off;
	const char *def;	/* NULL: optional, no default (or REQ) */
	long long min, max;	/* K_INT */
	int flags;
	const char *doc;
};

static const struct ckey keys[] = {
	{ "merchant_listen", K_STR, CF(merchant_listen), "127.0.0.1:8443", 0, 0, 0,
	  "merchant API address: HOST:PORT, [IPv6]:PORT, IPv6 or HOST alone (port 8443)" },
	{ "terminal_listen", K_STR, CF(terminal_listen), "127.0.0.1:8444", 0, 0, 0,
	  "terminal API address, same syntax (port 8444)" },
	{ "listen_v6only", K_BOOL, CF(listen_v6only), "false", 0, 0, 0,
	  "an IPv6 wildcard [::] accepts IPv6 only (default: IPv4 too)" },
	{ "tls.cert", K_PATH, CF(tls_cert), NULL, 0, 0, REQ,
	  "server certificate chain (PEM), both listeners" },
	{ "tls.key", K_PATH, CF(tls_key), NULL, 0, 0, REQ,
	  "private key of tls.cert (PEM)" },
	{ "tls.client_ca", K_PATH, CF(tls_client_ca), NULL, 0, 0, REQ,
	  "CA (PEM) that issues terminal client certificates" },
	{ "jws.key", K_PATH, CF(jws_key), NULL, 0, 0, REQ,
	  "EC P-256 private key (PEM) that signs payment requests" },
	{ "jws.kid", K_STR, CF(jws_kid), "payterm-1", 0, 0, 0,
	  "key id in the JWS header" },
	{ "db", K_DB, CF(db), "sqlite:payterm-server.db", 0, 0, 0,
	  "sqlite:PATH, PATH.db, postgresql://..., postgres://... or pg:CONNINFO" },
	{ "log", K_PATH, CF(log), "-", 0, 0, 0,
	  "JSON-lines log: - for standard error, else a file (append; SIGHUP reopens it)" },
	{ "instance", K_STR, CF(instance), NULL, 0, 0, 0,
	  "name of this process in the start-up log line and the service status (default HOST:PID)" },
	{ "workers", K_INT, CF(workers), "1", 1, 64, 0,
	  "threads, each with its event loop, DB and bank connection" },
	{ "bank.host", K_STR, CF(bank_host), "127.0.0.1", 0, 0, 0,
	  "bank front-end, IPv4 address" },
	{ "bank.port", K_INT, CF(bank_port), "8583", 1, 65535, 0,
	  "bank front-end TCP port" },
	{ "bank.timeout_ms", K_INT, CF(bank_timeout_ms), "10000", 100, 600000, 0,
	  "no 0210 by then: the payment is reversed" },
	{ "bank.reversal_retry_ms", K_INT, CF(reversal_retry_ms), "2000", 100, 3600000, 0,
	  "a 0400 is resent at this interval until a 0410 with 00" },
	{ "bank.acquirer_id", K_STR, CF(acquirer_id), "123456", 0, 0, 0,
	  "acquiring institution id (ISO 8583 field 32, 1-11 digits); checked, not sent yet" },
	{ "requests.ttl_s", K_INT, CF(request_ttl_s), "300", 1, 86400, 0,
	  "lifetime of a payment request; an unpaid order then expires" },
	{ "requests.code_ttl_s", K_INT, CF(code_ttl_s), "300", 1, 86400, 0,
	  "lifetime of a one-time payment code" },
	{ "requests.code_digits", K_INT, CF(code_digits), "12", 6, 24, 0,
	  "digits of a payment code" },
	{ "requests.longpoll_max_s", K_INT, CF(longpoll_max_s), "60", 1, 600, 0,
	  "longest a pull-queue poll is held open" },
	{ "requests.max_attempts", K_INT, CF(max_attempts), "3", 1, 100, 0,
	  "payment attempts an order allows" },
	{ "smtp.url", K_STR, CF(smtp_url), NULL, 0, 0, 0,
	  "mail server for e-mail payers, e.g. smtp://127.0.0.1:25; optional" },
	{ "smtp.from", K_STR, CF(smtp_from), "payterm@localhost", 0, 0, 0,
	  "sender address of those e-mails" },
	{ "sms.url_template", K_STR, CF(sms_url_template), NULL, 0, 0, 0,
	  "SMS gateway URL with {to} and {text}; optional" },
	{ "webhooks.retry_base_ms", K_INT, CF(webhook_retry_base_ms), "1000", 1, 86400000, 0,
	  "first retry delay, doubled per attempt" },
	{ "webhooks.retry_max_ms", K_INT, CF(webhook_retry_max_ms), "3600000", 1, 86400000, 0,
	  "longest retry delay" },
	{ "webhooks.max_attempts", K_INT, CF(webhook_max_attempts), "25", 1, 1000, 0,
	  "delivery attempts before an event is dead-lettered" },
	{ "webhooks.timeout_ms", K_INT, CF(webhook_timeout_ms), "10000", 100, 600000, 0,
	  "time allowed for one delivery" },
	{ "webhooks.allow_private", K_BOOL, CF(webhook_allow_private), "false", 0, 0, 0,
	  "deliver to loopback, private, link-local, reserved addresses" },
	{ .name = NULL }
};

static const struct ckey merchant_keys[] = {
	{ "merchants[].id", K_STR, MF(id), NULL, 0, 0, REQ,
	  "merchant id, at most 15 characters (ISO 8583 field 42)" },
	{ "merchants[].api_key_sha256", K_STR, MF(api_key_sha256), NULL, 0, 0, REQ,
	  "SHA-256 of the merchant's API key, hex" },
	{ "merchants[].webhook_secret", K_STR, MF(webhook_secret), NULL, 0, 0, REQ,
	  "HMAC key of its webhooks" },
	{ .name = NULL }
};

static const struct ckey terminal_keys[] = {
	{ "terminals[].id", K_STR, TF(id), NULL, 0, 0, REQ,
	  "terminal id, at most 8 characters (ISO 8583 field 41)" },
	{ "terminals[].cn", K_STR, TF(cn), NULL, 0, 0, REQ,
	  "subject CN of its client certificate" },
	{ "terminals[].serial", K_STR, TF(serial), NULL, 0, 0, 0,
	  "certificate serial (hex) that must match too; optional" },
	{ "terminals[].phone", K_STR, TF(phone), NULL, 0, 0, 0,
	  "payer phone number routed to this terminal; optional" },
	{ "terminals[].email", K_STR, TF(email), NULL, 0, 0, 0,
	  "payer e-mail address routed to this terminal; optional" },
	{ .name = NULL }
};

struct loader {
	const char *file;
	char dir[4096];		/* the file's directory, absolute */
	int bad;
};

static void cerr(struct loader *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cerr(struct loader *l, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "payterm-server: %s: key \"%s\": ", l->file, key);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	l->bad = -1;
}

static const char *type_name(enum ktype t)
{
	switch (t) {
	case K_INT: return "integer";
	case K_BOOL: return "boolean";
	case K_PATH: return "path";
	default: return "string";
	}
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE: case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

/* Relative paths are taken from the configuration file's directory, so the
 * server finds its files whatever its working directory. */
static char *abs_path(struct loader *l, const char *p)
{
	char *s;

	if (p[0] == '/' || !strcmp(p, "-"))
		return strdup(p);
	if (asprintf(&s, "%s/%s", l->dir, p) < 0)
		return NULL;
	return s;
}

static char *db_spec(struct loader *l, const char *v)
{
	char *p, *s;

	if (!strncmp(v, "postgresql://", 13) || !strncmp(v, "postgres://", 11) ||
	    !strncmp(v, "pg:", 3))
		return strdup(v);
	if (!strncmp(v, "sqlite:", 7))
		v += 7;
	if (!*v)
		return NULL;
	p = abs_path(l, v);
	if (!p || asprintf(&s, "sqlite:%s", p) < 0)
		s = NULL;
	free(p);
	return s;
}

/* The member of obj a table key names: the part after the last '.'. */
static const char *leaf(const char *name)
{
	const char *d = strrchr(name, '.');

	return d ? d + 1 : name;
}

static void set_one(struct loader *l, const struct ckey *k, json_t *v,
		    void *base)
{
	char **sp = (char **)((char *)base + k->off);
	int *ip = (int *)((char *)base + k->off);
	bool *bp = (bool *)((char *)base + k->off);
	const char *s;
	long long n;

	switch (k->type) {
	case K_INT:
		if (v && !json_is_integer(v)) {
			cerr(l, k->name, "expected an integer, got %s", json_type_name(v));
			return;
		}
		n = v ? (long long)json_integer_value(v) : strtoll(k->def, NULL, 10);
		if (n < k->min || n > k->max) {
			cerr(l, k->name, "%lld is out of range %lld..%lld", n,
			     k->min, k->max);
			return;
		}
		*ip = (int)n;
		return;
	case K_BOOL:
		if (v && !json_is_boolean(v)) {
			cerr(l, k->name, "expected true or false, got %s",
			     json_type_name(v));
			return;
		}
		*bp = v ? json_is_true(v) : !strcmp(k->def, "true");
		return;
	default:
		if (v && !json_is_string(v)) {
			cerr(l, k->name, "expected a string, got %s", json_type_name(v));
			return;
		}
		s = v ? json_string_value(v) : k->def;
		if (!s) {
			if (k->flags & REQ)
				cerr(l, k->name, "is required");
			return;
		}
		if (v && !*s) {
			cerr(l, k->name, "must not be empty");
			return;
		}
		*sp = k->type == K_PATH ? abs_path(l, s) :
		      k->type == K_DB ? db_spec(l, s) : strdup(s);
		if (!*sp)
			cerr(l, k->name, "cannot be used");
	}
}

/* The key for member of the object at prefix ("bank", "merchants[]"; NULL
 * for the top level). */
static const struct ckey *find_key(const struct ckey *tab, const char *prefix,
				   const char *member)
{
	size_t pl = prefix ? strlen(prefix) : 0;

	for (; tab->name; tab++) {
		const char *n = tab->name;

		if (pl && (strncmp(n, prefix, pl) || n[pl] != '.'))
			continue;
		if (pl)
			n += pl + 1;
		if (!strcmp(n, member))
			return tab;
	}
	return NULL;
}

static int is_section(const char *member)
{
	const struct ckey *k;
	size_t n = strlen(member);

	for (k = keys; k->name; k++)
		if (!strncmp(k->name, member, n) && k->name[n] == '.')
			return 1;
	return 0;
}

/* Unknown members of obj are errors; "comment" (a string) is allowed in
 * every object, as JSON has no comments. */
static void check_members(struct loader *l, json_t *obj, const char *path,
			  const struct ckey *tab, const char *prefix)
{
	const char *m;
	json_t *v;
	char full[160];

	json_object_foreach(obj, m, v) {
		snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", m);
		if (!strcmp(m, "comment")) {
			if (!json_is_string(v))
				cerr(l, full, "expected a string, got %s",
				     json_type_name(v));
		} else if (!find_key(tab, prefix, m) &&
			   !(!prefix && tab == keys && (is_section(m) ||
			     !strcmp(m, "merchants") || !strcmp(m, "terminals")))) {
			cerr(l, full, "unknown key");
		}
	}
}

static void load_table(struct loader *l, json_t *root, const struct ckey *tab,
		       void *base)
{
	const struct ckey *k;

	for (k = tab; k->name; k++) {
		json_t *o = root, *v;
		const char *dot = strchr(k->name, '.');
		char sect[32];

		if (dot && tab == keys) {
			snprintf(sect, sizeof(sect), "%.*s", (int)(dot - k->name),
				 k->name);
			o = json_object_get(root, sect);
		}
		v = o ? json_object_get(o, leaf(k->name)) : NULL;
		set_one(l, k, v, base);
	}
}

static void load_sections(struct loader *l, json_t *root)
{
	const char *m;
	json_t *v;

	json_object_foreach(root, m, v) {
		if (!is_section(m))
			continue;
		if (!json_is_object(v)) {
			cerr(l, m, "expected an object, got %s", json_type_name(v));
			continue;
		}
		check_members(l, v, m, keys, m);
	}
}

/* merchants / terminals: arrays of objects with their own key tables. */
static void *load_array(struct loader *l, json_t *root, const char *name,
			const struct ckey *tab, size_t size, int *n)
{
	json_t *a = json_object_get(root, name), *it;
	char *items, path[64], where[80];
	size_t i;

	*n = 0;
	if (a && !json_is_array(a)) {
		cerr(l, name, "expected an array, got %s", json_type_name(a));
		a = NULL;
	}
	items = calloc(json_array_size(a) + 1, size);
	if (!items)
		return NULL;
	json_array_foreach(a, i, it) {
		const struct ckey *k;

		snprintf(path, sizeof(path), "%s[%zu]", name, i);
		if (!json_is_object(it)) {
			cerr(l, path, "expected an object, got %s", json_type_name(it));
			continue;
		}
		snprintf(where, sizeof(where), "%s[]", name);
		check_members(l, it, path, tab, where);
		for (k = tab; k->name; k++) {
			struct ckey named = *k;

			/* errors name the item: merchants[1].id */
			snprintf(where, sizeof(where), "%s.%s", path, leaf(k->name));
			named.name = where;
			set_one(l, &named, json_object_get(it, leaf(k->name)),
				items + *n * size);
		}
		(*n)++;
	}
	return items;
}

static int digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n >= min && n <= max;
}

static int listen_bad(const char *spec)
{
	char h[256], p[8];

	return ps_listen_split(spec, "1", h, sizeof(h), p, sizeof(p));
}

void ps_config_print_keys(FILE *f)
{
	const struct ckey *tabs[] = { keys, merchant_keys, terminal_keys };
	const struct ckey *k;
	size_t t;

	fprintf(f, "comment\tstring\t(none)\tany text, ignored (allowed in every object)\n");
	for (t = 0; t < sizeof(tabs) / sizeof(tabs[0]); t++)
		for (k = tabs[t]; k->name; k++) {
			fprintf(f, "%s\t%s", k->name, type_name(k->type));
			if (k->type == K_INT)
				fprintf(f, " %lld..%lld", k->min, k->max);
			fprintf(f, "\t%s\t%s\n", k->def ? k->def :
				k->flags & REQ ? "(required)" : "(none)", k->doc);
		}
}

struct ps_config *ps_config_load(const char *path)
{
	struct loader l = { .file = path };
	json_error_t e;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	struct ps_config *c;
	char *tmp, *d;

	if (!root || !json_is_object(root)) {
		fprintf(stderr, "payterm-server: %s:%d: %s\n", path, root ? 1 : e.line,
			root ? "not a JSON object" : e.text);
		json_decref(root);
		return NULL;
	}
	tmp = strdup(path);
	d = tmp ? realpath(dirname(tmp), NULL) : NULL;
	free(tmp);
	if (!d || strlen(d) >= sizeof(l.dir)) {
		fprintf(stderr, "payterm-server: %s: cannot resolve its directory\n",
			path);
		free(d);
		json_decref(root);
		return NULL;
	}
	strcpy(l.dir, d);
	free(d);
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		return NULL;
	}
	check_members(&l, root, "", keys, NULL);
	load_sections(&l, root);
	load_table(&l, root, keys, c);
	c->merchants = load_array(&l, root, "merchants", merchant_keys,
				  sizeof(*c->merchants), &c->n_merchants);
	c->terminals = load_array(&l, root, "terminals", terminal_keys,
				  sizeof(*c->terminals), &c->n_terminals);
	json_decref(root);
	if (!c->merchants || !c->terminals)
		l.bad = -1;
	if (c->merchant_listen && listen_bad(c->merchant_listen))
		cerr(&l, "merchant_listen", "\"%s\": not HOST:PORT, [IPv6]:PORT, "
		     "IPv6 or HOST", c->merchant_listen);
	if (c->terminal_listen && listen_bad(c->terminal_listen))
		cerr(&l, "terminal_listen", "\"%s\": not HOST:PORT, [IPv6]:PORT, "
		     "IPv6 or HOST", c->terminal_listen);
	if (c->acquirer_id && !digits(c->acquirer_id, 1, 11))
		cerr(&l, "bank.acquirer_id", "1 to 11 digits");
	if (!c->instance) {
		char host[256] = "localhost";

		gethostname(host, sizeof(host) - 1);
		if (asprintf(&c->instance, "%s:%d", host, (int)getpid()) < 0)
			c->instance = NULL;
	}
	if (l.bad) {
		ps_config_free(c);
		return NULL;
	}
	return c;
}

void ps_config_free(struct ps_config *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; c->merchants && i < c->n_merchants; i++) {
		free(c->merchants[i].id);
		free(c->merchants[i].api_key_sha256);
		if (c->merchants[i].webhook_secret) {
			ptc_wipe(c->merchants[i].webhook_secret,
				strlen(c->merchants[i].webhook_secret));
			free(c->merchants[i].webhook_secret);
		}
	}
	for (i = 0; c->terminals && i < c->n_terminals; i++) {
		free(c->terminals[i].id);
		free(c->terminals[i].cn);
		free(c->terminals[i].serial);
		free(c->terminals[i].phone);
		free(c->terminals[i].email);
	}
	free(c->merchants);
	free(c->terminals);
	free(c->merchant_listen);
	free(c->terminal_listen);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_client_ca);
	free(c->jws_key);
	free(c->jws_kid);
	free(c->db);
	free(c->log);
	free(c->instance);
	free(c->bank_host);
	free(c->acquirer_id);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->sms_url_template);
	free(c);
}

const struct ps_merchant *ps_config_merchant(const struct ps_config *c,
					     const char *id)
{
	int i;

	for (i = 0; i < c->n_merchants; i++)
		if (!strcmp(c->merchants[i].id, id))
			return &c->merchants[i];
	return NULL;
}

const struct ps_merchant *ps_config_merchant_by_key(const struct ps_config *c,
						    const char *api_key)
{
	char h[65];
	const struct ps_merchant *found = NULL;
	int i;

	ps_sha256_hex(api_key, strlen(api_key), h);
	for (i = 0; i < c->n_merchants; i++)
		if (ps_streq_ct(c->merchants[i].api_key_sha256, h))
			found = &c->merchants[i];
	return found;
}

const struct ps_terminal *ps_config_terminal(const struct ps_config *c,
					     const char *id)
{
	int i;

	for (i = 0; i < c->n_terminals; i++)
		if (!strcmp(c->terminals[i].id, id))
			return &c->terminals[i];
	return NULL;
}

const struct ps_terminal *ps_config_terminal_by_cert(const struct ps_config *c,
						     const char *cn,
						     const char *serial_hex)
{
	int i;

	for (i = 0; i < c->n_terminals; i++) {
		const struct ps_terminal *t = &c->terminals[i];

		if (strcmp(t->cn, cn))
			continue;
		if (t->serial && strcasecmp(t->serial, serial_hex))
			continue;
		return t;
	}
	return NULL;
}

const struct ps_terminal *ps_config_terminal_by_phone(const struct ps_config *c,
						      const char *phone)
{
	int i;

	for (i = 0; i < c->n_terminals; i++)
		if (c->terminals[i].phone && !strcmp(c->terminals[i].phone, phone))
			return &c->terminals[i];
	return NULL;
}

const struct ps_terminal *ps_config_terminal_by_email(const struct ps_config *c,
						      const char *email)
{
	int i;

	for (i = 0; i < c->n_terminals; i++)
		if (c->terminals[i].email &&
		    !strcasecmp(c->terminals[i].email, email))
			return &c->terminals[i];
	return NULL;
}
