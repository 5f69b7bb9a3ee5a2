/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: configuration file (INI syntax, parsed with inih).
 * Default path /etc/payterm/paytermd.conf; see docs/dbus-api.md
 * ("Configuration") for every key.
 */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PD_CONFIG_PATH	"/etc/payterm/paytermd.conf"
#define PD_MAX_AIDS	16
#define PD_AID_MAX	16

/* allowed entry modes (bit mask) */
#define PD_ENTRY_SWIPE	(1U << 0)
#define PD_ENTRY_CHIP	(1U << 1)
#define PD_ENTRY_TAP	(1U << 2)
#define PD_ENTRY_ALL	7U

struct pd_aid {
	uint8_t aid[PD_AID_MAX];
	size_t len;
};

struct pd_config {
	/* [server] */
	char *server_url;		/* https://host:port, required */
	char *ca_file;			/* pinned CA (PEM), required */
	char *cert_file;		/* client certificate (PEM), required */
	char *key_file;			/* client key (PEM), required */
	char *request_key_file;		/* server's request-signing public key */
	unsigned server_timeout_s;	/* one HTTP exchange, default 15 */
	unsigned submit_attempts;	/* status queries before reversal, 3 */
	bool pull;			/* poll the server's pull queue */
	unsigned request_max_lifetime_s; /* exp - iat at most, default 900 */
	char *proxy;			/* HTTPS proxy URL, NULL: none (never env) */
	/* [terminal] */
	char *terminal_id;		/* required, 1..8 chars */
	char *merchant_id;		/* required, 1..15 chars */
	char country[4];		/* ISO 3166 numeric, 9F1A */
	/* [keys] */
	char *keystore;			/* required */
	char *kek_file;			/* default $CREDENTIALS_DIRECTORY/payterm-kek */
	int pin_block_format;		/* -1 auto (AES: 4, TDES: 0), 0, 3, 4 */
	/* [pin] */
	unsigned pin_min, pin_max;	/* 4..12 */
	unsigned pin_timeout_s;		/* 1..300 */
	uint64_t cvm_limit;		/* contactless no-PIN limit, minor units */
	/* [card] */
	unsigned entry_modes;		/* PD_ENTRY_* */
	unsigned card_timeout_s;	/* wait for a card */
	bool chip_fallback;		/* swipe a chip card after a chip failure */
	struct pd_aid aids[PD_MAX_AIDS];
	size_t n_aids;
	char *card_reader;		/* reader name, NULL = any */
	char *pinpad;			/* reader name, NULL = any with pinpad */
	/* [daemon] */
	unsigned txn_timeout_s;		/* whole transaction */
	unsigned result_linger_s;	/* finished objects stay this long */
	char *state_dir;		/* used request ids, default /var/lib/paytermd */
};

/*
 * Load @path into @cfg (defaults first).  On error returns a negative
 * errno and writes "PATH:LINE: [section] key: problem" (or "PATH: ..."
 * for a missing key / unreadable file) into @err.
 */
int pd_config_load(const char *path, struct pd_config *cfg, char *err,
		   size_t errlen);
void pd_config_free(struct pd_config *cfg);
const char *pd_entry_mode_names(unsigned modes, char *buf, size_t len);

#endif
