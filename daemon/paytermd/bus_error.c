// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: bare errnos of method handlers as a documented error name. */
#include <string.h>

#include "bus_error.h"
#include "log.h"

int pd_bus_named_error(const char *method, int r, sd_bus_error *err)
{
	if (r >= 0 || sd_bus_error_is_set(err))
		return r;
	log_err("%s: %s", method, strerror(-r));
	return sd_bus_error_set(err, PD_ERR_PREFIX "Internal",
				"Internal error in paytermd (its log says which)");
}
