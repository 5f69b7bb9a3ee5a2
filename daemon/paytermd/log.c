// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: logging to the journal, a terminal or stderr (log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* CODE_FILE= would always be log.c */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

int pd_log_level = LOG_INFO;
const char *pd_log_prefix = "";

enum out { OUT_STDERR, OUT_TTY, OUT_JOURNAL };
/* before pd_log_init: "<N>" lines, never the journal (card process) */
static enum out out = OUT_STDERR;

/* The MESSAGE_IDs (python3 -c 'import uuid; print(uuid.uuid4().hex)'),
 * listed in docs/security.md and daemon/systemd/paytermd.catalog. */
const struct pd_log_ev PD_EV_TXN_CREATED = { "created", "27868b172fae439d8e84dd4846993fe7" };
const struct pd_log_ev PD_EV_TXN_STATE = { "state", "80b008fefd8a45a4a6c77fcc729b3191" };
const struct pd_log_ev PD_EV_TXN_FINAL = { "final", "2655549da75a4960bafe5073ccbcca5f" };
const struct pd_log_ev PD_EV_CARD_READ = { "card", "216f6f3eca7c49beb7ba29be02b74721" };
const struct pd_log_ev PD_EV_SUBMITTED = { "submitted", "0af525beb751427dbcc456883b65ca78" };
const struct pd_log_ev PD_EV_APPROVED = { "approved", "604794bdd09c427b8cea893325b64e71" };
const struct pd_log_ev PD_EV_DECLINED = { "declined", "dfebad396d294192925c64d578cb3322" };
const struct pd_log_ev PD_EV_FAILED = { "failed", "5787f319701e48138b21a903d0a3335f" };
const struct pd_log_ev PD_EV_UNKNOWN = { "unknown", "15609e51f1e64c57acbcbc0c43da5610" };
const struct pd_log_ev PD_EV_REVERSAL = { "reversal", "053cba51162042a7a8849d0c52d152eb" };
const struct pd_log_ev PD_EV_REVERSED = { "reversed", "35af8cd5dc4645839eb7a44dd26770f8" };
const struct pd_log_ev PD_EV_RESUMED = { "resumed", "651e37d777054a5096c9752baf1bdeee" };

/* systemd.exec(5): "DEV:INODE" of the stream journald reads; a stderr
 * redirected since (to a file, a pipe) no longer matches. */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char c;

	if (!e || sscanf(e, "%llu:%llu%c", &dev, &ino, &c) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void pd_log_init(enum pd_log_mode mode)
{
	if (mode == PD_LOG_AUTO && stderr_is_journal())
		out = OUT_JOURNAL;
	else if (isatty(STDERR_FILENO))
		out = OUT_TTY;
	else
		out = OUT_STDERR;
}

const char *pd_log_output(void)
{
	return out == OUT_JOURNAL ? "journal" : out == OUT_TTY ? "tty" : "stderr";
}

static void line_out(int prio, const char *text)
{
	if (out == OUT_TTY)
		fprintf(stderr, "paytermd: %s%s%s\n", pd_log_prefix,
			prio <= LOG_ERR ? "error: " :
			prio == LOG_WARNING ? "warning: " : "", text);
	else
		fprintf(stderr, "<%d>%s%s\n", prio, pd_log_prefix, text);
	fflush(stderr);
}

#define MAX_FIELDS 12

struct fields {
	struct iovec iov[MAX_FIELDS];
	char buf[MAX_FIELDS][160];
	int n;
};

static void field(struct fields *f, const char *name, const char *val)
{
	if (!val || !val[0] || f->n == MAX_FIELDS - 1)	/* room for MESSAGE= */
		return;
	snprintf(f->buf[f->n], sizeof(f->buf[f->n]), "%s=%s", name, val);
	f->iov[f->n].iov_base = f->buf[f->n];
	f->iov[f->n].iov_len = strlen(f->buf[f->n]);
	f->n++;
}

static void emit(const struct pd_log_ev *ev, const struct pd_log_ids *ids,
		 int prio, const char *text)
{
	struct fields f = { .n = 0 };
	char msg[1100], num[48];

	if (out != OUT_JOURNAL) {
		line_out(prio, text);
		return;
	}
	snprintf(num, sizeof(num), "%d", prio);
	field(&f, "PRIORITY", num);
	field(&f, "SYSLOG_IDENTIFIER", "paytermd");
	if (ev)
		field(&f, "MESSAGE_ID", ev->id);
	if (ids) {
		if (ids->txn) {
			snprintf(num, sizeof(num), PD_LOG_TXN_PREFIX "/%u", ids->txn);
			field(&f, "PAYTERM_TRANSACTION", num);
		}
		field(&f, "PAYTERM_REQUEST", ids->request);
		field(&f, "PAYTERM_SUBMISSION", ids->key);
		field(&f, "PAYTERM_STATE", ids->state);
		field(&f, "PAYTERM_RESULT_CODE", ids->result_code);
		field(&f, "PAYTERM_MASKED_PAN", ids->masked_pan);
	}
	/* the message may be longer than a field buffer */
	snprintf(msg, sizeof(msg), "MESSAGE=%s", text);
	f.iov[f.n].iov_base = msg;
	f.iov[f.n].iov_len = strlen(msg);
	if (sd_journal_sendv(f.iov, f.n + 1) < 0)
		line_out(prio, text);	/* journald gone: its stream may live */
}

static void vlog(const struct pd_log_ev *ev, const struct pd_log_ids *ids,
		 int prio, const char *fmt, va_list ap)
{
	char line[1024];

	if (prio > pd_log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	emit(ev, ids, prio, line);
}

void pd_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(NULL, NULL, prio, fmt, ap);
	va_end(ap);
}

void pd_log_event(const struct pd_log_ev *ev, const struct pd_log_ids *ids,
		  int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(ev, ids, prio, fmt, ap);
	va_end(ap);
}
