// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl pay: StartPayment, then follow the transaction's signals to
 * its end.  Text: one line per step.  --json: nothing until the end, then
 * one object with the outcome (docs/paytermctl.md): the masked PAN only,
 * never card data.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "dbus.h"
#include "paytermctl.h"

#define PAY_USAGE "pay [--json] [--modes swipe,chip,tap] REQUEST|@FILE|-"

struct pay {
	sd_bus *bus;
	const char *path;
	bool done;
	bool json;		/* no progress lines */
	char state[32];
	char rc[8];
	char message[200];
	char last_msg[200];
	char last_state[32];
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	interrupted = 1;
}

static void show_pin(struct pay *p, unsigned n)
{
	char stars[16] = "";

	if (n > 12)
		n = 12;
	memset(stars, '*', n);
	stars[n] = '\0';
	if (!p->json)
		printf("PIN: %s\n", stars);
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
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 && *s && !p->json)
				printf("Card: %s\n", s);
		} else if (!strcmp(prop, "EntryMode")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 && *s && !p->json)
				printf("Entry mode: %s\n", s);
		} else if (!strcmp(prop, "State")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 &&
			    strcmp(s, p->last_state)) {
				snprintf(p->last_state, sizeof(p->last_state), "%s", s);
				if (!p->json)
					printf("State: %s\n", s);
			}
		} else if (!strcmp(prop, "Message")) {
			if (sd_bus_message_read(m, "v", "s", &s) >= 0 && *s &&
			    strcmp(s, p->last_msg)) {
				snprintf(p->last_msg, sizeof(p->last_msg), "%s", s);
				if (!p->json)
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

/* StartPayment(@req, {EntryModes: @modes}) */
static int start_payment(struct pay *p, const char *req, const char *modes,
			 sd_bus_error *e, sd_bus_message **reply)
{
	sd_bus_message *call = NULL;
	char *tmp, *tok, *save = NULL;
	int r;

	r = sd_bus_message_new_method_call(p->bus, &call, SVC, TERM_PATH,
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
		if (!tmp)
			r = -ENOMEM;
		for (tok = tmp ? strtok_r(tmp, ", ", &save) : NULL; r >= 0 && tok;
		     tok = strtok_r(NULL, ", ", &save))
			r = sd_bus_message_append(call, "s", tok);
		free(tmp);
		for (int k = 0; r >= 0 && k < 3; k++)
			r = sd_bus_message_close_container(call);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(call);
	if (r >= 0)
		r = sd_bus_call(p->bus, call, 30 * 1000000ULL, e, reply);
	sd_bus_message_unref(call);
	return r;
}

/* the constant properties, as text lines or into @out */
static void describe(struct pay *p, json_t *out)
{
	uint64_t amount = 0;
	char *cur = bus_get_str(p->bus, p->path, IFACE_TXN, "Currency");
	char *mer = bus_get_str(p->bus, p->path, IFACE_TXN, "MerchantName");
	char *ord = bus_get_str(p->bus, p->path, IFACE_TXN, "OrderId");
	char *rid = bus_get_str(p->bus, p->path, IFACE_TXN, "RequestId");
	char *m0 = bus_get_str(p->bus, p->path, IFACE_TXN, "Message");

	sd_bus_get_property_trivial(p->bus, SVC, p->path, IFACE_TXN,
				    "Amount", NULL, 't', &amount);
	if (out) {
		json_object_set_new(out, "amount", json_integer((json_int_t)amount));
		json_object_set_new(out, "currency", json_string(cur));
		json_object_set_new(out, "merchant", json_string(mer));
		json_object_set_new(out, "order_id", json_string(ord));
		json_object_set_new(out, "request_id", json_string(rid));
	} else {
		printf("Amount: %llu.%02llu %s\n",
		       (unsigned long long)(amount / 100),
		       (unsigned long long)(amount % 100), cur);
		printf("Merchant: %s\nOrder: %s\n", mer, ord);
		if (*m0 && strcmp(m0, p->last_msg)) {
			snprintf(p->last_msg, sizeof(p->last_msg), "%s", m0);
			printf("> %s\n", m0);
		}
		fflush(stdout);
	}
	free(cur);
	free(mer);
	free(ord);
	free(rid);
	free(m0);
}

/* Wait for Finished; Ctrl-C / SIGTERM ask for a cancel.  0 or exit code. */
static int follow(struct pay *p)
{
	bool cancel_sent = false;
	int r;

	signal(SIGINT, on_sigint);
	signal(SIGTERM, on_sigint);
	while (!p->done) {
		if (interrupted && !cancel_sent) {
			sd_bus_error ce = SD_BUS_ERROR_NULL;

			cancel_sent = true;
			r = sd_bus_call_method(p->bus, SVC, p->path, IFACE_TXN,
					       "Cancel", &ce, NULL, NULL);
			if (r < 0)
				bus_fail("cancel", &ce, r);
			sd_bus_error_free(&ce);
		}
		r = sd_bus_process(p->bus, NULL);
		if (r < 0)
			return bus_fail("bus", NULL, r);
		if (r > 0)
			continue;
		r = sd_bus_wait(p->bus, 500000);
		if (r < 0 && r != -EINTR)
			return bus_fail("bus", NULL, r);
	}
	return 0;
}

static int outcome_code(const char *state)
{
	if (!strcmp(state, "approved"))
		return EXIT_OK;
	if (!strcmp(state, "declined"))
		return EXIT_DECLINED;
	if (!strcmp(state, "cancelled"))
		return EXIT_CANCELLED;
	return EXIT_FAIL;
}

/* --json: the one object of a refused StartPayment */
static void print_refused(const sd_bus_error *e, int r)
{
	json_t *j = json_object();
	char buf[512];

	bus_error_explain(sd_bus_error_is_set(e) ? e->name : NULL, e->message, r,
			  buf, sizeof(buf));
	json_object_set_new(j, "state", json_string("refused"));
	json_object_set_new(j, "error", sd_bus_error_is_set(e) ?
			    json_string(e->name) : json_null());
	json_object_set_new(j, "message", json_string(buf));
	json_print_line(j);
}

static void print_outcome(struct pay *p)
{
	char *auth = bus_get_str(p->bus, p->path, IFACE_TXN, "AuthCode");
	char *pan = bus_get_str(p->bus, p->path, IFACE_TXN, "MaskedPan");
	char *mode = bus_get_str(p->bus, p->path, IFACE_TXN, "EntryMode");
	json_t *j;

	if (!p->json) {
		printf("Result: %s%s%s: %s\n", p->state, p->rc[0] ? " " : "", p->rc,
		       p->message);
		if (!strcmp(p->state, "approved") && *auth)
			printf("Auth code: %s\n", auth);
		goto out;
	}
	j = json_object();
	json_object_set_new(j, "transaction", json_string(p->path));
	json_object_set_new(j, "state", json_string(p->state));
	json_object_set_new(j, "result_code", json_string(p->rc));
	json_object_set_new(j, "message", json_string(p->message));
	json_object_set_new(j, "auth_code", json_string(auth));
	/* the daemon only ever has the masked form (docs/dbus-api.md) */
	json_object_set_new(j, "masked_pan", json_string(pan));
	json_object_set_new(j, "entry_mode", json_string(mode));
	describe(p, j);
	json_print_line(j);
out:
	free(auth);
	free(pan);
	free(mode);
}

int cmd_pay(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	struct pay p;
	const char *modes = NULL, *path;
	char *req = NULL;
	int r, i, code = EXIT_FAIL;

	memset(&p, 0, sizeof(p));
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: " PROG " " PAY_USAGE "\n");
			free(req);
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--json"))
			p.json = true;
		else if (!strcmp(argv[i], "--modes") && i + 1 < argc)
			modes = argv[++i];
		else if (!req && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
			req = read_request(argv[i]);
			if (!req) {
				msg("%s: %s", argv[i], strerror(errno));
				return EXIT_FAIL;
			}
		} else {
			msg("usage: " PROG " " PAY_USAGE);
			free(req);
			return EXIT_USAGE;
		}
	}
	if (!req) {
		msg("usage: " PROG " " PAY_USAGE);
		return EXIT_USAGE;
	}
	code = bus_connect(&p.bus);
	if (code) {
		ptc_wipe(req, strlen(req));
		free(req);
		return code;
	}
	/* subscribe before the call: no signal can be missed */
	sd_bus_match_signal(p.bus, NULL, SVC, NULL,
			    "org.freedesktop.DBus.Properties", "PropertiesChanged",
			    on_props, &p);
	sd_bus_match_signal(p.bus, NULL, SVC, NULL, IFACE_TXN, "Finished",
			    on_finished, &p);
	r = start_payment(&p, req, modes, &e, &reply);
	ptc_wipe(req, strlen(req));
	free(req);
	if (r < 0) {
		code = bus_fail("StartPayment", &e, r);
		/* not running stays 9; any other refusal is 8 */
		if (code != EXIT_NODAEMON) {
			code = EXIT_REFUSED;
			if (p.json)
				print_refused(&e, r);
		}
		goto out;
	}
	sd_bus_message_read(reply, "o", &path);
	p.path = strdup(path);
	if (!p.path) {
		code = bus_fail("StartPayment", NULL, -ENOMEM);
		goto out;
	}
	if (!p.json) {
		printf("Transaction: %s\n", p.path);
		describe(&p, NULL);
	}
	code = follow(&p);
	if (code)
		goto out;
	print_outcome(&p);
	code = outcome_code(p.state);
out:
	fflush(stdout);
	free((char *)p.path);
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(p.bus);
	return code;
}
