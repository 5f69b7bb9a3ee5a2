// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl: D-Bus errors as advice.  A user who sees "Connection refused"
 * or "org.freedesktop.DBus.Error.ServiceUnknown" still has to work out what
 * to do; the table below says it.  The error name stays in the message
 * (scripts and tests match on it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dbus.h"
#include "paytermctl.h"

/* an entry whose name ends in '.' matches every name it starts */
static const struct {
	const char *name;	/* D-Bus error name */
	const char *text;	/* what it means and what to do */
	bool detail;		/* the daemon's message adds something */
	int code;		/* exit code */
} names[] = {
	{ "org.freedesktop.DBus.Error.ServiceUnknown",
	  "paytermd is not running: systemctl start paytermd", false, EXIT_NODAEMON },
	{ "org.freedesktop.DBus.Error.NameHasNoOwner",
	  "paytermd is not running: systemctl start paytermd", false, EXIT_NODAEMON },
	/* activation through systemd failed (a prefix: .Spawn.ChildExited...) */
	{ "org.freedesktop.DBus.Error.Spawn.",
	  "paytermd is not running and could not be started: "
	  "systemctl status paytermd", false, EXIT_NODAEMON },
	{ "org.freedesktop.systemd1.",
	  "paytermd is not running and could not be started: "
	  "systemctl status paytermd", false, EXIT_NODAEMON },
	{ "org.freedesktop.DBus.Error.AccessDenied",
	  "not allowed: add the user to group payterm (D-Bus policy "
	  "org.payterm.Terminal1.conf); a transaction is only its owner's",
	  false, EXIT_FAIL },
	{ "org.freedesktop.DBus.Error.NoReply",
	  "paytermd did not answer in time: see journalctl -u paytermd",
	  false, EXIT_FAIL },
	{ "org.freedesktop.DBus.Error.Timeout",
	  "paytermd did not answer in time: see journalctl -u paytermd",
	  false, EXIT_FAIL },
	{ "org.freedesktop.DBus.Error.UnknownObject",
	  "no such object: the transaction has ended or the path is wrong",
	  false, EXIT_FAIL },
	{ "org.freedesktop.DBus.Error.UnknownInterface",
	  "no such object: the transaction has ended or the path is wrong",
	  false, EXIT_FAIL },
	{ "org.freedesktop.DBus.Error.UnknownMethod",
	  "paytermd does not know this call: is it an older version?",
	  false, EXIT_FAIL },
	{ "org.freedesktop.DBus.Error.InvalidArgs",
	  "invalid arguments", true, EXIT_FAIL },
	{ "org.payterm.Error.NotAuthorized",
	  "not authorised by polkit (action org.payterm.pay): pay from an "
	  "active local session, or allow the user with a polkit rule",
	  false, EXIT_FAIL },
	{ "org.payterm.Error.Busy",
	  "the terminal is busy: a payment is running or a reader is claimed "
	  "by another process", false, EXIT_FAIL },
	{ "org.payterm.Error.NoReader",
	  "no reader for the allowed entry modes, or no PIN pad: "
	  "check paytermctl readers", false, EXIT_FAIL },
	{ "org.payterm.Error.Forged",
	  "the payment request is not signed by the payment server's key",
	  false, EXIT_FAIL },
	{ "org.payterm.Error.Expired",
	  "the payment request has expired: ask the server for a new one",
	  false, EXIT_FAIL },
	{ "org.payterm.Error.InvalidRequest",
	  "the payment request is malformed", true, EXIT_FAIL },
	{ "org.payterm.Error.WrongTerminal",
	  "the payment request is for another terminal", false, EXIT_FAIL },
	{ "org.payterm.Error.AlreadyUsed",
	  "the payment request was already used: ask the server for a new one",
	  false, EXIT_FAIL },
	{ "org.payterm.Error.UnknownRequest",
	  "no pending request has this id: paytermctl requests lists them",
	  false, EXIT_FAIL },
	{ "org.payterm.Error.NotReady",
	  "the terminal is not ready (key store or request key missing): see "
	  "journalctl -u paytermd, fix it, then systemctl reload paytermd",
	  false, EXIT_FAIL },
	{ "org.payterm.Error.InProgress",
	  "too late to cancel: authorisation is running", false, EXIT_FAIL },
	{ "org.payterm.Error.Finished",
	  "the payment has already finished", false, EXIT_FAIL },
	{ "org.payterm.Error.Internal",
	  "paytermd failed internally: see journalctl -u paytermd", false, EXIT_FAIL },
};

int bus_error_explain(const char *name, const char *message, int err,
		      char *buf, size_t size)
{
	size_t i;

	if (name && *name) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			size_t n = strlen(names[i].name);

			if (names[i].name[n - 1] == '.' ? strncmp(name, names[i].name, n) :
			    strcmp(name, names[i].name))
				continue;
			if (names[i].detail && message && *message)
				snprintf(buf, size, "%s: %s (%s)", names[i].text,
					 message, name);
			else
				snprintf(buf, size, "%s (%s)", names[i].text, name);
			return names[i].code;
		}
		snprintf(buf, size, "%s (%s)", message && *message ? message :
			 "failed", name);
		return EXIT_FAIL;
	}
	switch (err) {
	case -ENOENT:		/* no socket */
	case -ECONNREFUSED:	/* a socket nobody listens on */
		snprintf(buf, size, "no system bus: is dbus running?");
		return EXIT_NODAEMON;
	case -EHOSTUNREACH:	/* sd-bus's errno for ServiceUnknown */
	case -ENXIO:		/* and for NameHasNoOwner */
		snprintf(buf, size, "paytermd is not running: systemctl start paytermd");
		return EXIT_NODAEMON;
	case -EACCES:
	case -EPERM:
		snprintf(buf, size, "not allowed to connect to the system bus: %s",
			 strerror(-err));
		return EXIT_FAIL;
	case -ETIMEDOUT:
		snprintf(buf, size, "paytermd did not answer in time: see "
			 "journalctl -u paytermd");
		return EXIT_FAIL;
	case -ECONNRESET:
	case -ENOTCONN:
		snprintf(buf, size, "the system bus closed the connection: "
			 "is dbus running?");
		return EXIT_FAIL;
	}
	snprintf(buf, size, "%s", strerror(err < 0 ? -err : err));
	return EXIT_FAIL;
}

int bus_fail(const char *what, const sd_bus_error *e, int r)
{
	char buf[512];
	int code;

	if (e && sd_bus_error_is_set(e))
		code = bus_error_explain(e->name, e->message, r, buf, sizeof(buf));
	else
		code = bus_error_explain(NULL, NULL, r, buf, sizeof(buf));
	if (what)
		msg("%s: %s", what, buf);
	else
		msg("%s", buf);
	return code;
}
