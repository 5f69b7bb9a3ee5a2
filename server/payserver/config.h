/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm-server: configuration (one JSON file, see docs/payserver.md). */
#ifndef PS_CONFIG_H
#define PS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ps_merchant {
	char *id;
	char *api_key_sha256;	/* hex SHA-256 of the API key */
	char *webhook_secret;
};

struct ps_terminal {
	char *id;
	char *cn;		/* client certificate subject CN */
	char *serial;		/* optional: certificate serial, hex */
	char *phone;		/* optional: payer identifiers routed here */
	char *email;
};

struct ps_config {
	char *merchant_listen;	/* host:port, HTTPS + API key */
	char *terminal_listen;	/* host:port, HTTPS + client certificate */
	bool listen_v6only;	/* [::] without IPv4-mapped clients */
	char *tls_cert, *tls_key, *tls_client_ca;
	char *jws_key, *jws_kid;
	char *db;		/* sqlite:PATH | postgresql://... */
	char *log;		/* file or "-" */
	char *instance;		/* name in logs; default host:pid */
	int workers;

	char *bank_host;
	int bank_port;
	int bank_timeout_ms;
	int reversal_retry_ms;
	char *acquirer_id;	/* ISO 8583 field 32 */

	int request_ttl_s;
	int code_ttl_s;
	int code_digits;
	int longpoll_max_s;
	int max_attempts;

	char *smtp_url, *smtp_from;
	char *sms_url_template;

	int webhook_retry_base_ms;
	int webhook_retry_max_ms;
	int webhook_max_attempts;
	int webhook_timeout_ms;
	/* deliver to loopback, private, link-local addresses (tests, a
	 * receiver on the same host); default false: merchant callback URLs
	 * must not reach into the server's own network */
	bool webhook_allow_private;

	struct ps_merchant *merchants;
	int n_merchants;
	struct ps_terminal *terminals;
	int n_terminals;
};

/* Load and validate; on error prints the reasons to stderr (file and key
 * named), returns NULL.  Unknown keys and wrong types are errors; relative
 * paths are resolved against the file's directory. */
struct ps_config *ps_config_load(const char *path);
/* The key table: key, type, default, meaning; one line each, tab-separated. */
void ps_config_print_keys(FILE *f);
void ps_config_free(struct ps_config *c);

const struct ps_merchant *ps_config_merchant(const struct ps_config *c,
					     const char *id);
/* Merchant whose API key hashes to key_sha256 (constant-time compare). */
const struct ps_merchant *ps_config_merchant_by_key(const struct ps_config *c,
						    const char *api_key);
const struct ps_terminal *ps_config_terminal(const struct ps_config *c,
					     const char *id);
const struct ps_terminal *ps_config_terminal_by_cert(const struct ps_config *c,
						     const char *cn,
						     const char *serial_hex);
const struct ps_terminal *ps_config_terminal_by_phone(const struct ps_config *c,
						      const char *phone);
const struct ps_terminal *ps_config_terminal_by_email(const struct ps_config *c,
						      const char *email);

#endif
