// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: logging to stderr with sd-daemon priority prefixes. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

int pd_log_level = LOG_INFO;
const char *pd_log_prefix = "";

void pd_log(int prio, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (prio > pd_log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>%s%s\n", prio, pd_log_prefix, line);
	fflush(stderr);
}
