// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl: readers / pay / status / cancel through paytermd's D-Bus
 * API (docs/dbus-api.md).  The bus is the system bus, or the one in
 * DBUS_SYSTEM_BUS_ADDRESS.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "dbus.h"
#include "paytermctl.h"

#define SVC "org.payterm.Terminal1"
#define TERM_PATH "/org/payterm/Terminal1"
#define IFACE_TERM "org.payterm.Terminal1"
#define IFACE_READER "org.payterm.Reader1"
#define IFACE_TXN "org.payterm.Transaction1"

static int bus_open(sd_bus **bus)
{
	int r = sd_bus_open_system(bus);

	if (r < 0)
		msg("cannot connect to the system bus: %s", strerror(-r));
	return r;
}

static int bus_fail(const char *what, sd_bus_error *e, int r)
{
	if (e && sd_bus_error_is_set(e))
		msg("%s: %s (%s)", what, e->message, e->name);
	else
		msg("%s: %s", what, strerror(-r));
	return EXIT_FAIL;
}

static char *get_str(sd_bus *bus, const char *path, const char *iface,
		     const char *prop)
{
	char *s = NULL;

	if (sd_bus_get_property_string(bus, SVC, path, iface, prop, NULL, &s) < 0)
		return strdup("");
	return s;
}

/* ---- readers ---- */

int cmd_readers(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	const char *path;
	int r, n = 0;

	if (argc > 1) {
		msg("usage: " PROG " readers");
		return EXIT_USAGE;
	}
	if (bus_open(&bus) < 0)
		return EXIT_FAIL;
	r = sd_bus_get_property(bus, SVC, TERM_PATH, IFACE_TERM, "Readers", &e,
				&m, "ao");
	if (r < 0) {
		r = bus_fail("Readers", &e, r);
		goto out;
	}
	r = sd_bus_message_enter_container(m, 'a', "o");
	while (r >= 0 && (r = sd_bus_message_read(m, "o", &path)) > 0) {
		sd_bus_message *caps = NULL;
		char *name = get_str(bus, path, IFACE_READER, "Name");
		char *dev = get_str(bus, path, IFACE_READER, "Device");
		char capbuf[64] = "";
		const char *c;

		if (sd_bus_get_property(bus, SVC, path, IFACE_READER, "Capabilities",
					NULL, &caps, "as") >= 0 &&
		    sd_bus_message_enter_container(caps, 'a', "s") >= 0)
			while (sd_bus_message_read(caps, "s", &c) > 0) {
				if (capbuf[0])
					strcat(capbuf, ",");
				strncat(capbuf, c, sizeof(capbuf) - strlen(capbuf) - 8);
			}
		printf("%-16s %-24s %-20s %s\n", dev, capbuf, name, path);
		sd_bus_message_unref(caps);
		free(name);
		free(dev);
		n++;
	}
	if (!n)
		printf("no readers\n");
	r = EXIT_OK;
out:
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return r;
}

/* ---- pay ---- */

struct pay {
	sd_bus *bus;
	const char *path;
	bool done;
	char state[32];
	char rc[8];
	char message[200];
	char last_msg[200];
	char last_state[32];
	unsigned pin;
	bool quiet;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

static void print_amount(uint64_t amount, const char *cur)
{
	printf("Amount: %llu.%02llu %s\n", (unsigned long long)(amount / 100),
	       (unsigned long long)(amount % 100), cur);
}

static void show_pin(struct pay *p, unsigned n)
{
	char stars[16] = "";

	if (n > 12)
		n = 12;
	memset(stars, '*', n);
	stars[n] = '\0';
	printf("PIN: %s\n", stars);
	fflush(stdout);
	p->pin = n;
}

static int on_props(sd_bus_message *m, void *user, sd_bus_error *err)
{
	struct pay *p = user;
	const char *iface, *prop;
	int r;

	if (!p->path || strcmp(sd_bus_message_get_path(m), p->path))
		return 0;
	r = sd_bus_message_read(m, "s", &iface);
	if (r < 0 || strcmp(iface, IFACE_TXN))
		return 0;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *s;
		uint8_t y;

		sd_bus_message_read(m, "s", &prop);
		if (!strcmp(prop, "PinDigits")) {
			if (sd_bus_message_read(m, "v", "y", &y) >= 0)
				show_pin(p, y);
		} else if (!strcmp(prop, "MaskedPan")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 && *s)
				printf("Card: %s\n", s);
		} else if (!strcmp(prop, "EntryMode")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 && *s)
				printf("Entry mode: %s\n", s);
		} else if (!strcmp(prop, "State")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 &&
			    strcmp(s, p->last_state)) {
				snprintf(p->last_state, sizeof(p->last_state), "%s", s);
				printf("State: %s\n", s);
			}
		} else if (!strcmp(prop, "Message")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 && *s &&
			    strcmp(s, p->last_msg)) {
				snprintf(p->last_msg, sizeof(p->last_msg), "%s", s);
				printf("> %s\n", s);
			}
		} else {
			sd_bus_message_skip(m, "v");
		}
		sd_bus_message_exit_container(m);
	}
	fflush(stdout);
	return 0;
}

static int on_finished(sd_bus_message *m, void *user, sd_bus_error *err)
{
	struct pay *p = user;
	const char *state, *rc, *text;

	if (!p->path || strcmp(sd_bus_message_get_path(m), p->path))
		return 0;
	if (sd_bus_message_read(m, "sss", &state, &rc, &text) < 0)
		return 0;
	snprintf(p->state, sizeof(p->state), "%s", state);
	snprintf(p->rc, sizeof(p->rc), "%s", rc);
	snprintf(p->message, sizeof(p->message), "%s", text);
	p->done = true;
	return 0;
}

static char *read_request(const char *arg)
{
	char *buf;
	size_t n = 0, cap = 16384;
	FILE *f;

	if (arg[0] != '@' && strcmp(arg, "-"))
		return strdup(arg);
	f = strcmp(arg, "-") ? fopen(arg + 1, "re") : stdin;
	if (!f)
		return NULL;
	buf = malloc(cap);
	if (buf)
		n = fread(buf, 1, cap - 1, f);
	if (f != stdin)
		fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

int cmd_pay(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *call = NULL, *reply = NULL;
	struct pay p;
	const char *modes = NULL, *path;
	char *req = NULL, *tmp, *tok, *save = NULL;
	int r, i, code = EXIT_FAIL;
	bool cancel_sent = false;

	memset(&p, 0, sizeof(p));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--modes") && i + 1 < argc)
			modes = argv[++i];
		else if (!req && argv[i][0] != '-')
			req = read_request(argv[i]);
		else if (!req && !strcmp(argv[i], "-"))
			req = read_request(argv[i]);
		else {
			msg("usage: " PROG " pay [--modes swipe,chip,tap] REQUEST|@FILE|-");
			free(req);
			return EXIT_USAGE;
		}
	}
	if (!req) {
		msg("usage: " PROG " pay [--modes swipe,chip,tap] REQUEST|@FILE|-");
		return EXIT_USAGE;
	}
	if (bus_open(&p.bus) < 0) {
		free(req);
		return EXIT_FAIL;
	}
	/* subscribe before the call: no signal can be missed */
	sd_bus_match_signal(p.bus, NULL, SVC, NULL,
			    "org.freedesktop.DBus.Properties", "PropertiesChanged",
			    on_props, &p);
	sd_bus_match_signal(p.bus, NULL, SVC, NULL, IFACE_TXN, "Finished",
			    on_finished, &p);
	r = sd_bus_message_new_method_call(p.bus, &call, SVC, TERM_PATH,
					   IFACE_TERM, "StartPayment");
	if (r >= 0)
		r = sd_bus_message_append(call, "s", req);
	if (r >= 0)
		r = sd_bus_message_open_container(call, 'a', "{sv}");
	if (r >= 0 && modes) {
		r = sd_bus_message_open_container(call, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(call, "s", "EntryModes");
		if (r >= 0)
			r = sd_bus_message_open_container(call, 'v', "as");
		if (r >= 0)
			r = sd_bus_message_open_container(call, 'a', "s");
		tmp = strdup(modes);
		for (tok = strtok_r(tmp, ", ", &save); r >= 0 && tok;
		     tok = strtok_r(NULL, ", ", &save))
			r = sd_bus_message_append(call, "s", tok);
		free(tmp);
		for (int k = 0; r >= 0 && k < 3; k++)
			r = sd_bus_message_close_container(call);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(call);
	ptc_wipe(req, strlen(req));
	free(req);
	if (r < 0) {
		code = bus_fail("StartPayment", NULL, r);
		goto out;
	}
	r = sd_bus_call(p.bus, call, 30 * 1000000ULL, &e, &reply);
	if (r < 0) {
		bus_fail("StartPayment", &e, r);
		code = EXIT_REFUSED;
		goto out;
	}
	sd_bus_message_read(reply, "o", &path);
	p.path = strdup(path);
	printf("Transaction: %s\n", p.path);
	{
		uint64_t amount = 0;
		char *cur = get_str(p.bus, p.path, IFACE_TXN, "Currency");
		char *mer = get_str(p.bus, p.path, IFACE_TXN, "MerchantName");
		char *ord = get_str(p.bus, p.path, IFACE_TXN, "OrderId");
		char *m0 = get_str(p.bus, p.path, IFACE_TXN, "Message");

		sd_bus_get_property_trivial(p.bus, SVC, p.path, IFACE_TXN,
					    "Amount", NULL, 't', &amount);
		print_amount(amount, cur);
		printf("Merchant: %s\nOrder: %s\n", mer, ord);
		if (*m0 && strcmp(m0, p.last_msg)) {
			snprintf(p.last_msg, sizeof(p.last_msg), "%s", m0);
			printf("> %s\n", m0);
		}
		fflush(stdout);
		free(cur);
		free(mer);
		free(ord);
		free(m0);
	}
	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	while (!p.done) {
		if (interrupted && !cancel_sent) {
			sd_bus_error ce = SD_BUS_ERROR_NULL;

			cancel_sent = true;
			if (sd_bus_call_method(p.bus, SVC, p.path, IFACE_TXN, "Cancel",
					       &ce, NULL, NULL) < 0)
				msg("cancel: %s", ce.message ? ce.message : "failed");
			sd_bus_error_free(&ce);
		}
		r = sd_bus_process(p.bus, NULL);
		if (r < 0) {
			code = bus_fail("bus", NULL, r);
			goto out;
		}
		if (r > 0)
			continue;
		r = sd_bus_wait(p.bus, 500000);
		if (r < 0 && r != -EINTR) {
			code = bus_fail("bus", NULL, r);
			goto out;
		}
	}
	printf("Result: %s%s%s: %s\n", p.state, p.rc[0] ? " " : "", p.rc,
	       p.message);
	if (!strcmp(p.state, "approved")) {
		char *auth = get_str(p.bus, p.path, IFACE_TXN, "AuthCode");

		if (*auth)
			printf("Auth code: %s\n", auth);
		free(auth);
		code = EXIT_OK;
	} else if (!strcmp(p.state, "declined")) {
		code = EXIT_DECLINED;
	} else if (!strcmp(p.state, "cancelled")) {
		code = EXIT_CANCELLED;
	} else {
		code = EXIT_FAIL;
	}
out:
	fflush(stdout);
	free((char *)p.path);
	sd_bus_message_unref(call);
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(p.bus);
	return code;
}

/* ---- status / cancel ---- */

static char *active_path(sd_bus *bus)
{
	sd_bus_message *m = NULL;
	const char *o = NULL;
	char *path = NULL;

	if (sd_bus_get_property(bus, SVC, TERM_PATH, IFACE_TERM,
				"ActiveTransaction", NULL, &m, "o") >= 0 &&
	    sd_bus_message_read(m, "o", &o) >= 0 && strcmp(o, "/"))
		path = strdup(o);
	sd_bus_message_unref(m);
	return path;
}

int cmd_status(int argc, char **argv)
{
	static const char *const props[] = {
		"State", "EntryMode", "MaskedPan", "ResultCode", "AuthCode",
		"Message", "OrderId", "Currency",
	};
	sd_bus *bus = NULL;
	char *s, *path;
	uint64_t amount = 0;
	uint8_t pin = 0;

	if (bus_open(&bus) < 0)
		return EXIT_FAIL;
	s = get_str(bus, TERM_PATH, IFACE_TERM, "State");
	if (!*s) {
		free(s);
		sd_bus_unref(bus);
		msg("paytermd is not running (no %s on the bus)", SVC);
		return EXIT_FAIL;
	}
	printf("Terminal: %s\n", s);
	free(s);
	s = get_str(bus, TERM_PATH, IFACE_TERM, "TerminalId");
	printf("TerminalId: %s\n", s);
	free(s);
	path = argc > 1 ? strdup(argv[1]) : active_path(bus);
	if (path) {
		printf("Transaction: %s\n", path);
		for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
			s = get_str(bus, path, IFACE_TXN, props[i]);
			printf("  %s: %s\n", props[i], s);
			free(s);
		}
		sd_bus_get_property_trivial(bus, SVC, path, IFACE_TXN, "Amount",
					    NULL, 't', &amount);
		sd_bus_get_property_trivial(bus, SVC, path, IFACE_TXN, "PinDigits",
					    NULL, 'y', &pin);
		printf("  Amount: %llu\n  PinDigits: %u\n",
		       (unsigned long long)amount, pin);
		free(path);
	}
	sd_bus_unref(bus);
	return EXIT_OK;
}

/* ---- requests (pull queue) ---- */

int cmd_requests(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	const char *id, *merchant, *order, *cur, *desc;
	uint64_t amount;
	int64_t expires;
	int r, n = 0;

	if (argc > 1) {
		msg("usage: " PROG " requests");
		return EXIT_USAGE;
	}
	if (bus_open(&bus) < 0)
		return EXIT_FAIL;
	r = sd_bus_get_property(bus, SVC, TERM_PATH, IFACE_TERM, "PendingRequests",
				&e, &m, "a(ssstssx)");
	if (r < 0) {
		r = bus_fail("PendingRequests", &e, r);
		sd_bus_error_free(&e);
		sd_bus_unref(bus);
		return r;
	}
	r = sd_bus_message_enter_container(m, 'a', "(ssstssx)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(m, "(ssstssx)", &id, &merchant, &order,
					&amount, &cur, &desc, &expires)) > 0) {
		long long left = (long long)expires - (long long)time(NULL);

		printf("%s  from %s  order %s  %llu %s  expires in %llds%s%s\n", id,
		       merchant, order, (unsigned long long)amount, cur,
		       left > 0 ? left : 0, *desc ? "  " : "", desc);
		n++;
	}
	if (!n && r >= 0)
		printf("no pending payment requests\n");
	sd_bus_message_unref(m);
	sd_bus_unref(bus);
	return r < 0 ? bus_fail("PendingRequests", NULL, r) : EXIT_OK;
}

int cmd_cancel(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	char *path;
	int r;

	if (bus_open(&bus) < 0)
		return EXIT_FAIL;
	path = argc > 1 ? strdup(argv[1]) : active_path(bus);
	if (!path) {
		msg("no payment is running");
		sd_bus_unref(bus);
		return EXIT_FAIL;
	}
	r = sd_bus_call_method(bus, SVC, path, IFACE_TXN, "Cancel", &e, NULL, NULL);
	if (r < 0)
		r = bus_fail("Cancel", &e, r);
	else
		r = EXIT_OK;
	printf("%s%s\n", r == EXIT_OK ? "cancelled " : "", r == EXIT_OK ? path : "");
	free(path);
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return r;
}
