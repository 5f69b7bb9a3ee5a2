// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: configuration file. */
#include "config.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *sdup(json_t *o, const char *key, const char *def)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return strdup(json_string_value(v));
	return def ? strdup(def) : NULL;
}

static int ival(json_t *o, const char *key, int def)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static int need(const char *what, const char *v)
{
	if (!v || !*v) {
		fprintf(stderr, "payterm-server: config: %s is required\n", what);
		return -1;
	}
	return 0;
}

struct ps_config *ps_config_load(const char *path)
{
	json_error_t e;
	json_t *root = json_load_file(path, 0, &e), *o, *a, *it;
	struct ps_config *c;
	size_t i;
	int bad = 0;

	if (!root || !json_is_object(root)) {
		fprintf(stderr, "payterm-server: %s:%d: %s\n", path, e.line, e.text);
		json_decref(root);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	c->merchant_listen = sdup(root, "merchant_listen", "127.0.0.1:8443");
	c->terminal_listen = sdup(root, "terminal_listen", "127.0.0.1:8444");
	o = json_object_get(root, "tls");
	c->tls_cert = sdup(o, "cert", NULL);
	c->tls_key = sdup(o, "key", NULL);
	c->tls_client_ca = sdup(o, "client_ca", NULL);
	o = json_object_get(root, "jws");
	c->jws_key = sdup(o, "key", NULL);
	c->jws_kid = sdup(o, "kid", "payterm-1");
	c->db = sdup(root, "db", "sqlite:payterm-server.db");
	c->log = sdup(root, "log", "-");
	c->instance = sdup(root, "instance", NULL);
	c->workers = ival(root, "workers", 1);

	o = json_object_get(root, "bank");
	c->bank_host = sdup(o, "host", "127.0.0.1");
	c->bank_port = ival(o, "port", 8583);
	c->bank_timeout_ms = ival(o, "timeout_ms", 10000);
	c->reversal_retry_ms = ival(o, "reversal_retry_ms", 2000);
	c->acquirer_id = sdup(o, "acquirer_id", "123456");

	o = json_object_get(root, "requests");
	c->request_ttl_s = ival(o, "ttl_s", 300);
	c->code_ttl_s = ival(o, "code_ttl_s", 300);
	c->code_digits = ival(o, "code_digits", 12);
	c->longpoll_max_s = ival(o, "longpoll_max_s", 60);
	c->max_attempts = ival(o, "max_attempts", 3);

	o = json_object_get(root, "smtp");
	c->smtp_url = sdup(o, "url", NULL);
	c->smtp_from = sdup(o, "from", "payterm@localhost");
	o = json_object_get(root, "sms");
	c->sms_url_template = sdup(o, "url_template", NULL);

	o = json_object_get(root, "webhooks");
	c->webhook_retry_base_ms = ival(o, "retry_base_ms", 1000);
	c->webhook_retry_max_ms = ival(o, "retry_max_ms", 3600000);
	c->webhook_max_attempts = ival(o, "max_attempts", 25);
	c->webhook_timeout_ms = ival(o, "timeout_ms", 10000);
	c->webhook_allow_private = json_is_true(json_object_get(o, "allow_private"));

	a = json_object_get(root, "merchants");
	c->n_merchants = (int)json_array_size(a);
	c->merchants = calloc((size_t)c->n_merchants + 1, sizeof(*c->merchants));
	json_array_foreach(a, i, it) {
		struct ps_merchant *m = &c->merchants[i];

		m->id = sdup(it, "id", NULL);
		m->api_key_sha256 = sdup(it, "api_key_sha256", NULL);
		m->webhook_secret = sdup(it, "webhook_secret", NULL);
		bad |= need("merchants[].id", m->id) |
		       need("merchants[].api_key_sha256", m->api_key_sha256) |
		       need("merchants[].webhook_secret", m->webhook_secret);
	}
	a = json_object_get(root, "terminals");
	c->n_terminals = (int)json_array_size(a);
	c->terminals = calloc((size_t)c->n_terminals + 1, sizeof(*c->terminals));
	json_array_foreach(a, i, it) {
		struct ps_terminal *t = &c->terminals[i];

		t->id = sdup(it, "id", NULL);
		t->cn = sdup(it, "cn", NULL);
		t->serial = sdup(it, "serial", NULL);
		t->phone = sdup(it, "phone", NULL);
		t->email = sdup(it, "email", NULL);
		bad |= need("terminals[].id", t->id) |
		       need("terminals[].cn", t->cn);
	}
	json_decref(root);
	bad |= need("tls.cert", c->tls_cert) | need("tls.key", c->tls_key) |
	       need("tls.client_ca", c->tls_client_ca) |
	       need("jws.key", c->jws_key);
	if (c->workers < 1 || c->workers > 64) {
		fprintf(stderr, "payterm-server: config: workers 1..64\n");
		bad = -1;
	}
	if (bad) {
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
	for (i = 0; i < c->n_merchants; i++) {
		free(c->merchants[i].id);
		free(c->merchants[i].api_key_sha256);
		if (c->merchants[i].webhook_secret) {
			ps_wipe(c->merchants[i].webhook_secret,
				strlen(c->merchants[i].webhook_secret));
			free(c->merchants[i].webhook_secret);
		}
	}
	for (i = 0; i < c->n_terminals; i++) {
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
