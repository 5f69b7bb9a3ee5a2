/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: D-Bus error names are a documented set (docs/dbus-api.md
 * "Errors").  A method that fails with a bare errno (out of memory, a bus
 * failure) answers org.payterm.Error.Internal instead of sd-bus's
 * System.Error.E* with strerror text; the errno goes to the log only.
 */
#ifndef PD_BUS_ERROR_H
#define PD_BUS_ERROR_H

#include <systemd/sd-bus.h>

#define PD_ERR_PREFIX "org.payterm.Error."

/* r as a method handler's result: unchanged when r >= 0 or err is set
 * already, else err set to org.payterm.Error.Internal (and negative). */
int pd_bus_named_error(const char *method, int r, sd_bus_error *err);

#endif
