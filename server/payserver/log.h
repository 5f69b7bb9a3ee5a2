/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: structured logs, one JSON object per line:
 *   {"ts":"2024-01-01T00:00:00.000Z","level":"info","event":"order.created",...}
 * Fields are given as a jansson json_pack format + arguments.  Callers
 * never pass card data, PIN blocks, keys, secrets or API keys.
 */
#ifndef PS_LOG_H
#define PS_LOG_H

enum ps_log_level { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR };

/* Log to this file (append) or to stderr when path is NULL or "-". */
int ps_log_open(const char *path, enum ps_log_level min);
void ps_log_close(void);
/* Open the log file's path again (logrotate moved it away; SIGHUP); the
 * old file is closed.  Nothing to do for standard error.  -1: the old file
 * stays in use. */
int ps_log_reopen(void);
/* fmt: json_pack object format without the braces' content restriction,
 * e.g. "{s:s,s:I}"; NULL for no extra fields. */
void ps_log(enum ps_log_level lvl, const char *event, const char *fmt, ...);

#define ps_info(ev, ...) ps_log(PS_LOG_INFO, ev, __VA_ARGS__)
#define ps_warn(ev, ...) ps_log(PS_LOG_WARN, ev, __VA_ARGS__)
#define ps_err(ev, ...) ps_log(PS_LOG_ERROR, ev, __VA_ARGS__)
#define ps_debug(ev, ...) ps_log(PS_LOG_DEBUG, ev, __VA_ARGS__)

#endif
