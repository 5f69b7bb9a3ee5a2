/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermctl: shared declarations. */
#ifndef PAYTERMCTL_H
#define PAYTERMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <linux/payterm.h>

#include "payterm-common.h"

/* exit codes (documented in docs/paytermctl.md and --help) */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* an operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_GONE = 3,		/* the device was removed */
	EXIT_TIMEOUT = 4,	/* --timeout expired before --count events */
	EXIT_BUSY = 5,		/* the reader is claimed by another process */
};

#define PROG "paytermctl"

/* ---- util.c ---- */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "paytermctl: <what>: <strerror(err)>[ (<hint>)]" on stderr, where the
 * hint explains @err for @op ("claim", "open", "power", "transmit"...).
 * Returns the exit code that fits @err.
 */
int report_errno(const char *what, const char *op, int err);
const char *errno_hint(const char *op, int err);
int errno_exit_code(int err);

/* "/dev/payterm0" from "/dev/payterm0", "payterm0" or "0"; static buffer */
const char *device_path(const char *arg);

/* Parse an unsigned decimal (or 0x hex when @base is 0) within [min,max]. */
int parse_uint(const char *s, int base, unsigned long min, unsigned long max,
	       unsigned long *out);
/* Parse seconds ("1", "0.5") into milliseconds. */
int parse_seconds_ms(const char *s, long *ms);

uint64_t now_ms(void);

/* capabilities: "msr,icc" or "msr icc" <-> PAYTERM_CAP_* */
int caps_parse(const char *s, uint32_t *caps);
/* space-separated words into buf */
void caps_format(uint32_t caps, char *buf, size_t size);

const char *event_type_name(unsigned int type);
/* PAYTERM_EVF_* as a JSON array text ["data_ready",...] into buf */
void event_flags_format(unsigned int flags, char *buf, size_t size);
/* one JSON line for @ev on @out */
void event_print(FILE *out, const struct payterm_event *ev);

/* PIN keypad keys: "0".."9", "corr", "clear", "cancel", "enter" */
int key_parse(const char *s, uint32_t *key);
const char *key_name(uint32_t key);

/*
 * Split @line in place into at most @max words (whitespace separated,
 * "double" or 'single' quotes group).  Returns the count or -EINVAL
 * (unterminated quote) / -E2BIG (too many words).
 */
int tokenize(char *line, char **argv, int max);

/* Print @j as one compact JSON line on stdout and flush; frees @j. */
void json_print_line(json_t *j);

/* ---- swipe.c ---- */
/* Masked summary of a fetched swipe; never contains a full PAN or track. */
json_t *swipe_summary(const struct payterm_swipe *sw);
const char *track_status_name(unsigned int status);

/* ---- apdumap.c ---- */
struct apdu_rule;
struct apdu_map {
	struct apdu_rule *rules;
	size_t count;
	uint8_t def[64];		/* default response */
	size_t def_len;
};
void apdu_map_init(struct apdu_map *m);
/* Add a "CAPDU_HEX[*] RAPDU_HEX|mute" line; -EINVAL if malformed. */
int apdu_map_add_line(struct apdu_map *m, const char *line);
/* Load a file of such lines ('#' comments); prints errors with line numbers. */
int apdu_map_load(struct apdu_map *m, const char *path);
/*
 * Find the reply for a command: *@resp points into the map.  Returns 0, or
 * a negative errno to fail the transmit with (a "mute" rule: -EIO).
 */
int apdu_map_lookup(const struct apdu_map *m, const uint8_t *cmd, size_t len,
		    const uint8_t **resp, size_t *resp_len);
void apdu_map_free(struct apdu_map *m);

/* ---- subcommands ---- */
int cmd_list(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_virt(int argc, char **argv);
int cmd_apdu(int argc, char **argv);

#endif /* PAYTERMCTL_H */
