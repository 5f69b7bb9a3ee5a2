/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-bank core: configuration, card database (SQLite) and the
 * handling of one ISO 8583 request.  No sockets here (see main.c), so unit
 * tests drive bank_handle() directly.
 */
#ifndef PAYTERM_BANK_H
#define PAYTERM_BANK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "bankcrypto.h"

#define BANK_MAX_BDKS 16

struct bank_cfg {
	char listen[64];
	int port;
	char db[512];
	struct bank_bdk bdks[BANK_MAX_BDKS];
	size_t nbdks;
	uint8_t pvk[16];
	char dectab[17];
	uint8_t imk_ac[16];
	uint8_t pan_key[32];
	long long cvm_limit;
	int max_pin_tries;
	/* test knobs */
	int slow_ms;			/* delay answers to 0200 of slow_amount */
	long long slow_amount;		/* -1: none */
	int drop_amount_set;
	long long drop_amount;		/* never answer 0200s of this amount */
	long long bad_resp_mac_amount;	/* -1: none; else a wrong 0210 MAC */
};

/* Load the JSON config; errors go to *err (static text). */
int bank_cfg_load(struct bank_cfg *c, const char *path, const char **err);
void bank_cfg_wipe(struct bank_cfg *c);

struct bank {
	struct bank_cfg cfg;
	sqlite3 *db;
	pthread_mutex_t lock;
	volatile int down;		/* issuer unavailable: 0200 -> 91 */
	unsigned long long seq;		/* log / RRN helper */
};

int bank_open(struct bank *b, const struct bank_cfg *cfg, const char **err);
void bank_close(struct bank *b);
/* (Re)create the card database from tests/data/cards.json-style JSON;
 * only on_file cards, never the PIN.  Returns cards loaded or < 0. */
int bank_init_db(struct bank *b, const char *cards_json, const char **err);

enum bank_action {
	BANK_REPLY = 0,		/* send resp */
	BANK_CLOSE = 1,		/* close the connection, no answer */
	BANK_DROP = 2,		/* no answer, keep the connection (test knob) */
};
/*
 * Handle one request (without length prefix).  resp gets the answer when
 * BANK_REPLY.  *delay_ms receives a delay the caller applies before
 * answering (test knob).
 */
enum bank_action bank_handle(struct bank *b, const uint8_t *req, size_t len,
			     uint8_t *resp, size_t cap, size_t *resplen,
			     int *delay_ms);

/* Structured log line to stderr: {"ts":..,"level":..,"event":.., ...}.
 * fmt gives the extra JSON members (without braces), may be "". */
void bank_log(const char *level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Current YYMM (UTC), overridable for tests via PAYTERM_BANK_TODAY=YYMMDD. */
void bank_today(char yymm[5]);

#endif
