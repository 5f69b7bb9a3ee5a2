/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: logging.  The output is chosen once, by pd_log_init():
 *  - journald (stderr is the stream $JOURNAL_STREAM names): native
 *    journal entries (sd_journal_sendv) with PRIORITY=, MESSAGE=,
 *    SYSLOG_IDENTIFIER=paytermd and, for payment events, MESSAGE_ID= and
 *    PAYTERM_* fields (docs/security.md, "Logging");
 *  - a terminal: "paytermd: text" lines;
 *  - anything else: stderr lines with sd-daemon(3) priority prefixes
 *    ("<3>text"), as before (tests parse them).
 * The card process uses PD_LOG_STDERR_ONLY: its seccomp filter refuses
 * socket(), and journald parses the "<N>" prefixes of its stream anyway.
 * Log lines and fields never contain a PAN (at most the masked one), a
 * track, a PIN or a key.
 */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <syslog.h>

extern int pd_log_level;	/* LOG_INFO by default, LOG_DEBUG with -v */
/* "card process: " in the card process, so both share one journal */
extern const char *pd_log_prefix;

enum pd_log_mode {
	PD_LOG_AUTO,		/* journald, a terminal, or "<N>" lines */
	PD_LOG_STDERR_ONLY,	/* never the native journal (card process) */
};

void pd_log_init(enum pd_log_mode mode);
/* "journal", "tty" or "stderr": what pd_log_init() chose */
const char *pd_log_output(void);

void pd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A kind of payment event: its journal MESSAGE_ID (32 hex digits). */
struct pd_log_ev {
	const char *name;
	const char *id;
};

extern const struct pd_log_ev PD_EV_TXN_CREATED, PD_EV_TXN_STATE,
	PD_EV_TXN_FINAL, PD_EV_CARD_READ, PD_EV_SUBMITTED, PD_EV_APPROVED,
	PD_EV_DECLINED, PD_EV_FAILED, PD_EV_UNKNOWN, PD_EV_REVERSAL,
	PD_EV_REVERSED, PD_EV_RESUMED;

/* What an event is about; unknown ones 0 or NULL. */
struct pd_log_ids {
	unsigned txn;			/* PAYTERM_TRANSACTION=<object path> */
	const char *request;		/* PAYTERM_REQUEST= */
	const char *key;		/* PAYTERM_SUBMISSION= (idempotency key) */
	const char *state;		/* PAYTERM_STATE= */
	const char *result_code;	/* PAYTERM_RESULT_CODE= */
	const char *masked_pan;		/* PAYTERM_MASKED_PAN=, masked only */
};

/* the D-Bus object path of a transaction (daemon.h's PD_TXN_PREFIX) */
#define PD_LOG_TXN_PREFIX	"/org/payterm/Transaction"

void pd_log_event(const struct pd_log_ev *ev, const struct pd_log_ids *ids,
		  int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_err(...)	pd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	pd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	pd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	pd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	pd_log(LOG_DEBUG, __VA_ARGS__)

#endif
