// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: JSON-lines logging; one write(2) per line. */
#include "log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = 2;
static char *log_path;	/* NULL: standard error */
static enum ps_log_level log_min = PS_LOG_INFO;

int ps_log_open(const char *path, enum ps_log_level min)
{
	log_min = min;
	if (!path || !strcmp(path, "-")) {
		log_fd = 2;
		return 0;
	}
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (log_fd < 0) {
		log_fd = 2;
		return -1;
	}
	free(log_path);
	log_path = strdup(path);
	return 0;
}

int ps_log_reopen(void)
{
	int fd;

	if (!log_path)
		return 0;
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	/* dup2 swaps the file under log_fd at once: a line another thread
	 * writes meanwhile goes whole to the old file or the new one */
	if (dup2(fd, log_fd) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void ps_log_close(void)
{
	if (log_fd > 2)
		close(log_fd);
	log_fd = 2;
	free(log_path);
	log_path = NULL;
}

static const char *lvl_name(enum ps_log_level l)
{
	switch (l) {
	case PS_LOG_DEBUG: return "debug";
	case PS_LOG_INFO: return "info";
	case PS_LOG_WARN: return "warn";
	default: return "error";
	}
}

void ps_log(enum ps_log_level lvl, const char *event, const char *fmt, ...)
{
	struct timeval tv;
	struct tm tm;
	char ts[96];
	json_t *o, *f = NULL;
	char *line;
	size_t n;

	if (lvl < log_min)
		return;
	if (fmt) {
		va_list ap;
		json_error_t e;

		va_start(ap, fmt);
		f = json_vpack_ex(&e, 0, fmt, ap);
		va_end(ap);
	}
	o = json_object();
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(lvl_name(lvl)));
	json_object_set_new(o, "event", json_string(event));
	if (f)
		json_object_update(o, f);
	json_decref(f);
	line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return;
	n = strlen(line);
	line[n] = '\n';	/* replaces the NUL; we write n + 1 bytes */
	if (write(log_fd, line, n + 1) < 0) {
		/* nothing sensible to do */
	}
	free(line);
}
