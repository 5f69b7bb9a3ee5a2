// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: service manager protocol (sd_notify) and signals. */
#include "service.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

void ps_service_status(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}

void ps_service_ready(void)
{
	sd_notify(0, "READY=1");
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ps_service_beat(evutil_socket_t fd, short ev, void *arg)
{
	struct ps_worker *w = arg;

	__atomic_store_n(&w->beat_ms, mono_ms(), __ATOMIC_RELAXED);
}

/* A worker whose loop has not turned within the watchdog interval is stuck
 * (a blocking call, a deadlock): then systemd must restart us, so no ping. */
static int workers_alive(struct ps_worker *ws, int n, int64_t limit_ms)
{
	int64_t now = mono_ms();
	int i;

	for (i = 0; i < n; i++) {
		int64_t b = __atomic_load_n(&ws[i].beat_ms, __ATOMIC_RELAXED);

		if (b && now - b > limit_ms) {
			ps_err("watchdog.stalled", "{s:i,s:I}", "worker", i,
			       "ms", (json_int_t)(now - b));
			return 0;
		}
	}
	return 1;
}

static void reload(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=Reopening the log\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ULL +
		   (unsigned long long)ts.tv_nsec / 1000);
	ps_info("server.reloading", "{s:s}", "signal", "SIGHUP");
	if (ps_log_reopen())
		ps_err("log.reopen_failed", "{s:s}", "error", strerror(errno));
	else
		ps_info("log.reopened", NULL);
	sd_notify(0, "READY=1\nSTATUS=Serving");
}

int ps_service_run(struct ps_worker *ws, int n, const sigset_t *set)
{
	uint64_t wd_usec = 0;
	int wd = sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec;

	for (;;) {
		struct timespec ts = { (time_t)(wd_usec / 2000000),
				       (long)(wd_usec / 2 % 1000000) * 1000 };
		int sig = wd ? sigtimedwait(set, NULL, &ts) : sigwaitinfo(set, NULL);

		if (sig < 0 && errno == EAGAIN) {
			if (workers_alive(ws, n, (int64_t)(wd_usec / 1000)))
				sd_notify(0, "WATCHDOG=1");
			continue;
		}
		if (sig < 0)
			continue;	/* EINTR */
		if (sig == SIGHUP) {
			reload();
			continue;
		}
		sd_notifyf(0, "STOPPING=1\nSTATUS=Stopping (%s)",
			   sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return sig;
	}
}
