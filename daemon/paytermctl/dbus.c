// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl: readers / status / cancel / requests through paytermd's
 * D-Bus API (docs/dbus-api.md), and the helpers pay.c shares.  The bus is
 * the system bus, or the one in DBUS_SYSTEM_BUS_ADDRESS.  --json output:
 * docs/paytermctl.md "D-Bus commands" (keys are stable).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbus.h"
#include "paytermctl.h"

int bus_connect(sd_bus **bus)
{
	int r = sd_bus_open_system(bus);

	if (r < 0) {
		*bus = NULL;
		return bus_fail(NULL, NULL, r);
	}
	return 0;
}

char *bus_get_str(sd_bus *bus, const char *path, const char *iface,
		  const char *prop)
{
	char *s = NULL;

	if (sd_bus_get_property_string(bus, SVC, path, iface, prop, NULL, &s) < 0)
		return strdup("");
	return s;
}

bool want_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

/*
 * Parse "[--json] [ARG]" (up to @max_args plain arguments into *@arg).
 * Returns -1 to go on, else the exit code: --help printed the usage (0),
 * or a usage error (2).
 */
static int simple_args(int argc, char **argv, const char *usage,
		       int max_args, const char **arg)
{
	int n = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: " PROG " %s\n", usage);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--json"))
			continue;
		if (argv[i][0] == '-' || n >= max_args) {
			msg("usage: " PROG " %s", usage);
			return EXIT_USAGE;
		}
		*arg = argv[i];
		n++;
	}
	return -1;
}

/* json string, never NULL */
static json_t *jstr(const char *s)
{
	return json_string(s ? s : "");
}

/* the strings of an "as" property as a JSON array */
static json_t *get_strv(sd_bus *bus, const char *path, const char *iface,
			const char *prop)
{
	sd_bus_message *m = NULL;
	json_t *a = json_array();
	const char *c;

	if (sd_bus_get_property(bus, SVC, path, iface, prop, NULL, &m, "as") >= 0 &&
	    sd_bus_message_enter_container(m, 'a', "s") >= 0)
		while (sd_bus_message_read(m, "s", &c) > 0)
			json_array_append_new(a, jstr(c));
	sd_bus_message_unref(m);
	return a;
}

/* ---- readers ---- */

static json_t *reader_json(sd_bus *bus, const char *path)
{
	uint16_t vid = 0, pid = 0;
	uint8_t slots = 0;
	char hex[8];
	char *name = bus_get_str(bus, path, IFACE_READER, "Name");
	char *dev = bus_get_str(bus, path, IFACE_READER, "Device");
	char *busname = bus_get_str(bus, path, IFACE_READER, "Bus");
	json_t *j = json_object();

	sd_bus_get_property_trivial(bus, SVC, path, IFACE_READER, "Vendor", NULL,
				    'q', &vid);
	sd_bus_get_property_trivial(bus, SVC, path, IFACE_READER, "Product", NULL,
				    'q', &pid);
	sd_bus_get_property_trivial(bus, SVC, path, IFACE_READER, "Slots", NULL,
				    'y', &slots);
	json_object_set_new(j, "path", jstr(path));
	json_object_set_new(j, "device", jstr(dev));
	json_object_set_new(j, "name", jstr(name));
	json_object_set_new(j, "capabilities",
			    get_strv(bus, path, IFACE_READER, "Capabilities"));
	json_object_set_new(j, "bus", jstr(busname));
	snprintf(hex, sizeof(hex), "%04x", vid);
	json_object_set_new(j, "vendor", jstr(hex));
	snprintf(hex, sizeof(hex), "%04x", pid);
	json_object_set_new(j, "product", jstr(hex));
	json_object_set_new(j, "slots", json_integer(slots));
	free(name);
	free(dev);
	free(busname);
	return j;
}

static void reader_line(json_t *j)
{
	char capbuf[64] = "";
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(j, "capabilities"), i, c) {
		if (capbuf[0])
			strcat(capbuf, ",");
		strncat(capbuf, json_string_value(c),
			sizeof(capbuf) - strlen(capbuf) - 8);
	}
	printf("%-16s %-24s %-20s %s\n",
	       json_string_value(json_object_get(j, "device")), capbuf,
	       json_string_value(json_object_get(j, "name")),
	       json_string_value(json_object_get(j, "path")));
}

int cmd_readers(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	const char *path, *unused = NULL;
	bool json = want_json(argc, argv);
	json_t *list;
	int r;

	r = simple_args(argc, argv, "readers [--json]", 0, &unused);
	if (r >= 0)
		return r;
	r = bus_connect(&bus);
	if (r)
		return r;
	r = sd_bus_get_property(bus, SVC, TERM_PATH, IFACE_TERM, "Readers", &e,
				&m, "ao");
	if (r < 0) {
		r = bus_fail("Readers", &e, r);
		goto out;
	}
	list = json_array();
	r = sd_bus_message_enter_container(m, 'a', "o");
	while (r >= 0 && (r = sd_bus_message_read(m, "o", &path)) > 0)
		json_array_append_new(list, reader_json(bus, path));
	if (json) {
		json_print_line(list);
	} else {
		size_t i;
		json_t *j;

		json_array_foreach(list, i, j)
			reader_line(j);
		if (!json_array_size(list))
			printf("no readers\n");
		json_decref(list);
	}
	r = EXIT_OK;
out:
	sd_bus_message_unref(m);
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return r;
}

/* ---- status / cancel ---- */

/* The running payment's path into *@path (NULL: none); 0 or negative errno. */
static int active_path(sd_bus *bus, sd_bus_error *e, char **path)
{
	sd_bus_message *m = NULL;
	const char *o = NULL;
	int r;

	*path = NULL;
	r = sd_bus_get_property(bus, SVC, TERM_PATH, IFACE_TERM,
				"ActiveTransaction", e, &m, "o");
	if (r >= 0)
		r = sd_bus_message_read(m, "o", &o);
	if (r >= 0 && strcmp(o, "/")) {
		*path = strdup(o);
		if (!*path)
			r = -ENOMEM;
	}
	sd_bus_message_unref(m);
	return r < 0 ? r : 0;
}

/* text property name -> --json key */
static const struct {
	const char *prop, *key;
} txn_props[] = {
	{ "State", "state" }, { "EntryMode", "entry_mode" },
	{ "MaskedPan", "masked_pan" }, { "ResultCode", "result_code" },
	{ "AuthCode", "auth_code" }, { "Message", "message" },
	{ "OrderId", "order_id" }, { "Currency", "currency" },
};

/* The transaction's properties; NULL (and @e set) when it cannot be read. */
static json_t *txn_json(sd_bus *bus, const char *path, sd_bus_error *e,
			int *rp)
{
	uint64_t amount = 0;
	uint8_t pin = 0;
	char *s = NULL;
	json_t *j;
	int r;

	/* State first: its error tells a gone or foreign transaction */
	r = sd_bus_get_property_string(bus, SVC, path, IFACE_TXN, "State", e, &s);
	if (r < 0) {
		*rp = r;
		return NULL;
	}
	j = json_object();
	json_object_set_new(j, "path", jstr(path));
	json_object_set_new(j, "state", jstr(s));
	free(s);
	for (size_t i = 1; i < sizeof(txn_props) / sizeof(txn_props[0]); i++) {
		s = bus_get_str(bus, path, IFACE_TXN, txn_props[i].prop);
		json_object_set_new(j, txn_props[i].key, jstr(s));
		free(s);
	}
	sd_bus_get_property_trivial(bus, SVC, path, IFACE_TXN, "Amount",
				    NULL, 't', &amount);
	sd_bus_get_property_trivial(bus, SVC, path, IFACE_TXN, "PinDigits",
				    NULL, 'y', &pin);
	json_object_set_new(j, "amount", json_integer((json_int_t)amount));
	json_object_set_new(j, "pin_digits", json_integer(pin));
	return j;
}

static void status_text(json_t *st)
{
	json_t *t = json_object_get(st, "transaction");

	printf("Terminal: %s\n", json_string_value(json_object_get(st, "state")));
	printf("TerminalId: %s\n",
	       json_string_value(json_object_get(st, "terminal_id")));
	if (!json_is_object(t))
		return;
	printf("Transaction: %s\n", json_string_value(json_object_get(t, "path")));
	for (size_t i = 0; i < sizeof(txn_props) / sizeof(txn_props[0]); i++)
		printf("  %s: %s\n", txn_props[i].prop,
		       json_string_value(json_object_get(t, txn_props[i].key)));
	printf("  Amount: %lld\n  PinDigits: %lld\n",
	       (long long)json_integer_value(json_object_get(t, "amount")),
	       (long long)json_integer_value(json_object_get(t, "pin_digits")));
}

int cmd_status(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	const char *arg = NULL;
	char *s = NULL, *path, *active;
	static const char *const term[][2] = {
		{ "TerminalId", "terminal_id" }, { "MerchantId", "merchant_id" },
		{ "Version", "version" },
	};
	json_t *st, *t = NULL;
	int r;

	r = simple_args(argc, argv, "status [--json] [TRANSACTION]", 1, &arg);
	if (r >= 0)
		return r;
	r = bus_connect(&bus);
	if (r)
		return r;
	r = sd_bus_get_property_string(bus, SVC, TERM_PATH, IFACE_TERM, "State",
				       &e, &s);
	if (r < 0) {
		r = bus_fail("status", &e, r);
		goto out;
	}
	st = json_object();
	json_object_set_new(st, "state", jstr(s));
	free(s);
	for (size_t i = 0; i < sizeof(term) / sizeof(term[0]); i++) {
		s = bus_get_str(bus, TERM_PATH, IFACE_TERM, term[i][0]);
		json_object_set_new(st, term[i][1], jstr(s));
		free(s);
	}
	json_object_set_new(st, "entry_modes",
			    get_strv(bus, TERM_PATH, IFACE_TERM, "EntryModes"));
	active_path(bus, NULL, &active);	/* State answered: so will this */
	json_object_set_new(st, "active_transaction",
			    active ? jstr(active) : json_null());
	path = arg ? strdup(arg) : active;
	if (path) {
		t = txn_json(bus, path, &e, &r);
		if (!t) {
			r = bus_fail(path, &e, r);
			json_decref(st);
			if (path != active)
				free(path);
			free(active);
			goto out;
		}
	}
	json_object_set_new(st, "transaction", t ? t : json_null());
	if (path != active)
		free(path);
	free(active);
	if (want_json(argc, argv)) {
		json_print_line(st);
	} else {
		status_text(st);
		json_decref(st);
	}
	r = EXIT_OK;
out:
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return r;
}

int cmd_cancel(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	const char *arg = NULL;
	char *path;
	int r;

	r = simple_args(argc, argv, "cancel [TRANSACTION]", 1, &arg);
	if (r >= 0)
		return r;
	r = bus_connect(&bus);
	if (r)
		return r;
	path = NULL;
	if (arg) {
		path = strdup(arg);
	} else {
		r = active_path(bus, &e, &path);
		if (r < 0) {
			r = bus_fail("Cancel", &e, r);
			sd_bus_error_free(&e);
			sd_bus_unref(bus);
			return r;
		}
	}
	if (!path) {
		msg("no payment is running");
		sd_bus_unref(bus);
		return EXIT_FAIL;
	}
	r = sd_bus_call_method(bus, SVC, path, IFACE_TXN, "Cancel", &e, NULL, NULL);
	if (r < 0) {
		r = bus_fail("Cancel", &e, r);
	} else {
		printf("cancelled %s\n", path);
		r = EXIT_OK;
	}
	free(path);
	sd_bus_error_free(&e);
	sd_bus_unref(bus);
	return r;
}

/* ---- requests (pull queue) ---- */

int cmd_requests(int argc, char **argv)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL;
	sd_bus *bus = NULL;
	const char *id, *merchant, *order, *cur, *desc, *unused = NULL;
	bool json = want_json(argc, argv);
	json_t *list;
	uint64_t amount;
	int64_t expires;
	int r;

	r = simple_args(argc, argv, "requests [--json]", 0, &unused);
	if (r >= 0)
		return r;
	r = bus_connect(&bus);
	if (r)
		return r;
	r = sd_bus_get_property(bus, SVC, TERM_PATH, IFACE_TERM, "PendingRequests",
				&e, &m, "a(ssstssx)");
	if (r < 0) {
		r = bus_fail("PendingRequests", &e, r);
		sd_bus_error_free(&e);
		sd_bus_unref(bus);
		return r;
	}
	list = json_array();
	r = sd_bus_message_enter_container(m, 'a', "(ssstssx)");
	while (r >= 0 &&
	       (r = sd_bus_message_read(m, "(ssstssx)", &id, &merchant, &order,
					&amount, &cur, &desc, &expires)) > 0) {
		long long left = (long long)expires - (long long)time(NULL);
		json_t *j = json_object();

		if (!json)
			printf("%s  from %s  order %s  %llu %s  expires in %llds%s%s\n",
			       id, merchant, order, (unsigned long long)amount, cur,
			       left > 0 ? left : 0, *desc ? "  " : "", desc);
		json_object_set_new(j, "request_id", jstr(id));
		json_object_set_new(j, "merchant_id", jstr(merchant));
		json_object_set_new(j, "order_id", jstr(order));
		json_object_set_new(j, "amount", json_integer((json_int_t)amount));
		json_object_set_new(j, "currency", jstr(cur));
		json_object_set_new(j, "description", jstr(desc));
		json_object_set_new(j, "expires_at", json_integer(expires));
		json_array_append_new(list, j);
	}
	sd_bus_message_unref(m);
	sd_bus_unref(bus);
	if (r < 0) {
		json_decref(list);
		return bus_fail("PendingRequests", NULL, r);
	}
	if (json)
		json_print_line(list);
	else {
		if (!json_array_size(list))
			printf("no pending payment requests\n");
		json_decref(list);
	}
	return EXIT_OK;
}
