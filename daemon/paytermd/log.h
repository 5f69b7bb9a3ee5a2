/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: logging.  Lines go to stderr with sd-daemon(3) priority
 * prefixes ("<3>"), which journald turns into priorities.  Log lines
 * never contain a PAN (at most the masked one), a track or a PIN.
 */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <syslog.h>

extern int pd_log_level;	/* LOG_INFO by default, LOG_DEBUG with -v */
/* "card process: " in the card process, so both share one journal */
extern const char *pd_log_prefix;

void pd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)	pd_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	pd_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	pd_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	pd_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	pd_log(LOG_DEBUG, __VA_ARGS__)

#endif
