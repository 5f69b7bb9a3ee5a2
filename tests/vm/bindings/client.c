// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pt-bindings-client: a payment through paytermd made only with the proxies
 * gdbus-codegen generates from the shipped introspection XML (daemon/dbus/,
 * built by tests/vm/bindings/bindings.mk into payterm-dbus.[ch]): no
 * hand-written D-Bus call.  tests/vm/t-dbus-bindings runs it.
 *
 *   pt-bindings-client REQUEST-FILE [TIMEOUT-S]
 *
 * Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS selects the test's
 * private one), prints the Terminal1 properties and each reader's Reader1
 * properties, calls StartPayment with the signed request in REQUEST-FILE,
 * then follows the Transaction1 object through the generated proxy's
 * notify:: signals (PropertiesChanged) and its ::finished signal:
 *
 *   Terminal: State=idle TerminalId=T1 ...
 *   Reader: /org/payterm/Reader/payterm0 Name=... Capabilities=msr
 *   Transaction: /org/payterm/Transaction/1
 *   Message: Present card: swipe     (each change; paytermctl pay's words)
 *   Card: 411111******1111
 *   PIN: ***
 *   Finished: approved 00 Approved   (the signal)
 *   Outcome: path=... state=approved result_code=00 auth_code=...
 *
 * The Outcome line (the proxy's cached properties once State is final and
 * Finished has come) is printed once.  Exit 0 when the final state is
 * "approved", 6 declined, 7 cancelled, 1 failed (paytermctl pay's codes);
 * 2 on a bus error, 3 on timeout (default 60 s).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payterm-dbus.h"

#define SERVICE "org.payterm.Terminal1"
#define TERMINAL_PATH "/org/payterm/Terminal1"

struct follow {
	PtTransaction1 *txn;
	GMainLoop *loop;
	const char *path;
	char *final;		/* the final State, once seen */
	gboolean finished;	/* ::finished received */
	gboolean timed_out;
};

static const char *const final_states[] = {
	"approved", "declined", "cancelled", "failed", NULL
};

static gboolean is_final(const char *state)
{
	return state && g_strv_contains(final_states, state);
}

static void print_strv(const char *name, const gchar *const *v)
{
	printf(" %s=", name);
	for (size_t i = 0; v && v[i]; i++)
		printf("%s%s", i ? "," : "", v[i]);
}

static void outcome(struct follow *f)
{
	PtTransaction1 *t = f->txn;

	printf("Outcome: path=%s state=%s result_code=%s auth_code=%s "
	       "masked_pan=%s entry_mode=%s amount=%llu currency=%s "
	       "order_id=%s message=%s\n", f->path,
	       pt_transaction1_get_state(t),
	       pt_transaction1_get_result_code(t),
	       pt_transaction1_get_auth_code(t),
	       pt_transaction1_get_masked_pan(t),
	       pt_transaction1_get_entry_mode(t),
	       (unsigned long long)pt_transaction1_get_amount(t),
	       pt_transaction1_get_currency(t),
	       pt_transaction1_get_order_id(t),
	       pt_transaction1_get_message(t));
	fflush(stdout);
}

static void check_final(struct follow *f)
{
	const char *state = pt_transaction1_get_state(f->txn);

	/* both: State final in the proxy's cache and the Finished signal,
	 * so that the properties that change with the end are all in */
	if (f->final || !f->finished || !is_final(state))
		return;
	f->final = g_strdup(state);
	g_main_loop_quit(f->loop);
}

static void on_notify(GObject *obj, GParamSpec *pspec, gpointer data)
{
	struct follow *f = data;
	PtTransaction1 *t = PT_TRANSACTION1(obj);
	const char *name = g_param_spec_get_name(pspec);

	if (!strcmp(name, "message")) {
		printf("Message: %s\n", pt_transaction1_get_message(t));
	} else if (!strcmp(name, "masked-pan")) {
		if (*pt_transaction1_get_masked_pan(t))
			printf("Card: %s\n", pt_transaction1_get_masked_pan(t));
	} else if (!strcmp(name, "pin-digits")) {
		unsigned int n = pt_transaction1_get_pin_digits(t);

		printf("PIN: ");
		for (unsigned int i = 0; i < n; i++)
			putchar('*');
		putchar('\n');
	} else if (!strcmp(name, "state")) {
		printf("State: %s\n", pt_transaction1_get_state(t));
		check_final(f);
	}
	fflush(stdout);
}

static void on_finished(PtTransaction1 *t, const gchar *state,
			const gchar *result_code, const gchar *message,
			gpointer data)
{
	struct follow *f = data;

	printf("Finished: %s %s %s\n", state, result_code, message);
	fflush(stdout);
	f->finished = TRUE;
	check_final(f);
}

static gboolean on_timeout(gpointer data)
{
	struct follow *f = data;

	f->timed_out = TRUE;
	g_main_loop_quit(f->loop);
	return G_SOURCE_REMOVE;
}

static int fail(const char *what, GError *err)
{
	fprintf(stderr, "pt-bindings-client: %s: %s\n", what,
		err ? err->message : "failed");
	g_clear_error(&err);
	return 2;
}

static void print_terminal(PtTerminal1 *term)
{
	printf("Terminal: State=%s TerminalId=%s MerchantId=%s Version=%s "
	       "ActiveTransaction=%s",
	       pt_terminal1_get_state(term), pt_terminal1_get_terminal_id(term),
	       pt_terminal1_get_merchant_id(term), pt_terminal1_get_version(term),
	       pt_terminal1_get_active_transaction(term));
	print_strv("EntryModes", pt_terminal1_get_entry_modes(term));
	print_strv("Readers", pt_terminal1_get_readers(term));
	printf("\n");
}

static int print_readers(PtTerminal1 *term)
{
	const gchar *const *readers = pt_terminal1_get_readers(term);
	GError *err = NULL;

	for (size_t i = 0; readers && readers[i]; i++) {
		PtReader1 *r = pt_reader1_proxy_new_for_bus_sync(
			G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_NONE, SERVICE,
			readers[i], NULL, &err);

		if (!r)
			return fail(readers[i], err);
		printf("Reader: %s Name=%s Device=%s Bus=%s Vendor=%04x "
		       "Product=%04x Slots=%u", readers[i],
		       pt_reader1_get_name(r), pt_reader1_get_device(r),
		       pt_reader1_get_bus(r), pt_reader1_get_vendor(r),
		       pt_reader1_get_product(r), pt_reader1_get_slots(r));
		print_strv("Capabilities", pt_reader1_get_capabilities(r));
		printf("\n");
		g_object_unref(r);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct follow f = { 0 };
	PtTerminal1 *term;
	GError *err = NULL;
	gchar *request = NULL, *path = NULL;
	unsigned int timeout = 60;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: pt-bindings-client REQUEST-FILE "
			"[TIMEOUT-S]\n");
		return 2;
	}
	if (argc == 3)
		timeout = (unsigned int)strtoul(argv[2], NULL, 10);
	if (!g_file_get_contents(argv[1], &request, NULL, &err))
		return fail(argv[1], err);
	g_strstrip(request);

	term = pt_terminal1_proxy_new_for_bus_sync(
		G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_NONE, SERVICE,
		TERMINAL_PATH, NULL, &err);
	if (!term)
		return fail("Terminal1 proxy", err);
	if (!pt_terminal1_get_state(term)) {
		fprintf(stderr, "pt-bindings-client: %s is not on the bus\n",
			SERVICE);
		return 2;
	}
	print_terminal(term);
	rc = print_readers(term);
	if (rc)
		return rc;

	if (!pt_terminal1_call_start_payment_sync(
		    term, request, g_variant_new("a{sv}", NULL), &path, NULL,
		    &err))
		return fail("StartPayment", err);
	printf("Transaction: %s\n", path);
	fflush(stdout);

	f.path = path;
	f.loop = g_main_loop_new(NULL, FALSE);
	f.txn = pt_transaction1_proxy_new_for_bus_sync(
		G_BUS_TYPE_SYSTEM, G_DBUS_PROXY_FLAGS_NONE, SERVICE, path,
		NULL, &err);
	if (!f.txn)
		return fail(path, err);
	g_signal_connect(f.txn, "notify", G_CALLBACK(on_notify), &f);
	g_signal_connect(f.txn, "finished", G_CALLBACK(on_finished), &f);
	/* the properties as loaded with the proxy, then each change */
	printf("State: %s\nMessage: %s\n", pt_transaction1_get_state(f.txn),
	       pt_transaction1_get_message(f.txn));
	fflush(stdout);
	g_timeout_add_seconds(timeout, on_timeout, &f);
	g_main_loop_run(f.loop);
	if (f.timed_out) {
		fprintf(stderr, "pt-bindings-client: no final state in %u s "
			"(State=%s)\n", timeout, pt_transaction1_get_state(f.txn));
		return 3;
	}
	outcome(&f);
	rc = !strcmp(f.final, "approved") ? 0 :
	     !strcmp(f.final, "declined") ? 6 :
	     !strcmp(f.final, "cancelled") ? 7 : 1;
	g_free(f.final);
	g_object_unref(f.txn);
	g_main_loop_unref(f.loop);
	g_free(path);
	g_object_unref(term);
	g_free(request);
	return rc;
}
