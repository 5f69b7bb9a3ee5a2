/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server as a systemd service (Type=notify): READY=1, STATUS=,
 * RELOADING=1 around SIGHUP, STOPPING=1, and WATCHDOG=1 while every worker's
 * event loop turns.  Without NOTIFY_SOCKET the notifications are no-ops.
 */
#ifndef PS_SERVICE_H
#define PS_SERVICE_H

#include "server.h"

#include <signal.h>

/* sd_notify "STATUS=..." (printf format) */
void ps_service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ps_service_ready(void);
/* Per-worker heartbeat event callback (every 250 ms). */
void ps_service_beat(evutil_socket_t fd, short ev, void *arg);
/* Until SIGTERM or SIGINT (returned): SIGHUP reopens the log; the watchdog
 * is fed when WATCHDOG_USEC asks for it.  set: the blocked signals. */
int ps_service_run(struct ps_worker *ws, int n, const sigset_t *set);

#endif
