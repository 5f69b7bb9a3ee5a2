/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: the in-flight journal (docs/dbus-api.md "In-flight journal").
 *
 * One file per submission whose outcome is not final yet, in
 * STATE_DIR/inflight/KEY.rec (KEY = the idempotency key), written before
 * the first byte of the submission goes out and removed when the outcome
 * is final and acknowledged.  A record holds no card data: the key, the
 * stage, the payment id once the server named it, and the request's ids,
 * amount and currency.  Every write is a new file: .KEY.tmp, fsync,
 * rename, fsync of the directory, so a record on disk is always whole; a
 * torn or damaged one is still resumable from its file name (the key).
 *
 * Format (text, one "name value" per line, in this order when written):
 *
 *   paytermd-inflight 1
 *   key 5F0C9A3E0D1B4C77A2F1E5D6C3B2A190
 *   stage submitting | reversing
 *   request_id req_...      merchant_id M1      order_id A-1001
 *   amount 1234             currency EUR
 *   payment_id pay_...      (once known)
 *   created 1767225600      updated 1767225611  (Unix seconds)
 *   attempts 3              shown failed        (optional)
 *   sha256 <64 hex digits: SHA-256 of every byte before this line>
 *
 * Unknown names are ignored (a later version 1 may add some); another
 * version, a missing or wrong checksum, a missing required member or a
 * member given twice make the record unreadable.
 */
#ifndef PD_JOURNAL_H
#define PD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PD_JOURNAL_VERSION	1
#define PD_JOURNAL_DIR		"inflight"
#define PD_JOURNAL_MAX		4096	/* bytes of one record */

enum pd_jstage {
	PD_J_SUBMITTING = 1,	/* before the first byte: outcome unknown */
	PD_J_REVERSING,		/* a reversal of payment_id is owed */
};

struct pd_jrec {
	char key[40];			/* idempotency key */
	enum pd_jstage stage;
	char payment_id[64];		/* "" until the server named it */
	char request_id[80];
	char merchant_id[80];
	char order_id[80];
	uint64_t amount;		/* minor units */
	char currency[4];		/* ISO 4217 alpha */
	int64_t created, updated;	/* Unix seconds */
	unsigned attempts;		/* exchanges with the server so far */
	char shown[16];			/* what the transaction was told, "" none */
};

struct pd_journal;

/* STATE_DIR/inflight, created (0700) when missing. */
int pd_journal_open(const char *state_dir, struct pd_journal **out);
void pd_journal_free(struct pd_journal *j);
/* Write @r durably (sets r->updated); 0 or -errno. */
int pd_journal_put(struct pd_journal *j, struct pd_jrec *r);
/* Remove the record of @key durably; 0 (also when there was none) or -errno. */
int pd_journal_remove(struct pd_journal *j, const char *key);

/*
 * Every record, for the resumption at start: @fn is called with each
 * readable one.  Left-over temporary files (a write that never reached its
 * rename: nothing had been sent yet) are deleted.  A damaged record (torn,
 * bad checksum, malformed) is rewritten from its file name as stage
 * "submitting" and passed on; a record of another format version is left
 * alone and skipped (logged).  Returns the number of records passed.
 */
typedef void (*pd_journal_fn)(void *user, const struct pd_jrec *r);
int pd_journal_scan(struct pd_journal *j, pd_journal_fn fn, void *user);

/* For tests: the file format itself.  Format returns the length or
 * -ENOSPC / -EINVAL; parse returns 0, -EPROTONOSUPPORT (other version),
 * -EBADMSG (torn: no or wrong checksum) or -EINVAL (malformed). */
int pd_jrec_format(const struct pd_jrec *r, char *buf, size_t cap);
int pd_jrec_parse(const char *buf, size_t len, struct pd_jrec *r);

/* 1..39 characters of [0-9A-Za-z] (paytermd makes 32 hex digits). */
bool pd_journal_key_ok(const char *key);
/* A server's payment id that is safe in a URL path: 1..63 of [0-9A-Za-z_-]. */
bool pd_payment_id_ok(const char *id);

#endif
