/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermctl: commands that talk to paytermd over D-Bus (dbus.c, pay.c). */
#ifndef PAYTERMCTL_DBUS_H
#define PAYTERMCTL_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#define SVC "org.payterm.Terminal1"
#define TERM_PATH "/org/payterm/Terminal1"
#define IFACE_TERM "org.payterm.Terminal1"
#define IFACE_READER "org.payterm.Reader1"
#define IFACE_TXN "org.payterm.Transaction1"

/* exit codes of the D-Bus commands beyond those of paytermctl.h */
enum {
	EXIT_DECLINED = 6,	/* the bank declined */
	EXIT_CANCELLED = 7,	/* cancelled (keypad, Ctrl-C, other) */
	EXIT_REFUSED = 8,	/* StartPayment refused (busy, forged...) */
	EXIT_NODAEMON = 9,	/* paytermd not on the bus, or no system bus */
};

/* ---- buserr.c ---- */
/*
 * What a failed call means and what to do about it, into @buf: from the
 * D-Bus error @name (and its @message where that helps), or, without a
 * name, from the negative errno @err.  Returns the exit code that fits.
 */
int bus_error_explain(const char *name, const char *message, int err,
		      char *buf, size_t size);
/* "paytermctl: [@what: ]<explanation>" on stderr; returns the exit code */
int bus_fail(const char *what, const sd_bus_error *e, int r);

/* ---- dbus.c ---- */
/* Connect to the system bus: 0, or the exit code after saying why not. */
int bus_connect(sd_bus **bus);
/* a string property, "" when it cannot be read; free() it */
char *bus_get_str(sd_bus *bus, const char *path, const char *iface,
		  const char *prop);
/* "--json" among the arguments after the command */
bool want_json(int argc, char **argv);

int cmd_readers(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_requests(int argc, char **argv);
/* ---- pay.c ---- */
int cmd_pay(int argc, char **argv);

#endif
