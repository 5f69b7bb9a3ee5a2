// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the D-Bus API (docs/dbus-api.md).
 *   /org/payterm/Terminal1            org.payterm.Terminal1
 *   /org/payterm/Reader/paytermN      org.payterm.Reader1
 *   /org/payterm/Transaction/N        org.payterm.Transaction1
 * and org.freedesktop.DBus.ObjectManager at /org/payterm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payterm_crypto.h"
#include "daemon.h"
#include "bus_error.h"
#include "log.h"

#define ERR_PREFIX PD_ERR_PREFIX
#define POLKIT_ACTION "org.payterm.pay"

/* The properties that change, in the bit order of pd_txn_hooks.changed,
 * with their D-Bus types (for the PropertiesChanged built here). */
static const struct {
	const char *name, *sig;
} changing[] = {
	{ "State", "s" }, { "EntryMode", "s" }, { "MaskedPan", "s" },
	{ "PinDigits", "y" }, { "ResultCode", "s" }, { "AuthCode", "s" },
	{ "Message", "s" },
};

/* Every property of a transaction, for InterfacesAdded. */
static const struct {
	const char *name, *sig;
} txn_props[] = {
	{ "State", "s" }, { "Amount", "t" }, { "Currency", "s" },
	{ "MerchantName", "s" }, { "OrderId", "s" }, { "Description", "s" },
	{ "RequestId", "s" }, { "EntryMode", "s" }, { "MaskedPan", "s" },
	{ "PinDigits", "y" }, { "ResultCode", "s" }, { "AuthCode", "s" },
	{ "Message", "s" },
};

/* ---------------- readers ---------------- */

static int reader_prop(sd_bus *bus, const char *path, const char *iface,
		       const char *prop, sd_bus_message *reply, void *user,
		       sd_bus_error *err)
{
	struct pd_reader *r = user;
	static const char *const capnames[] = { "msr", "icc", "picc", "pinpad" };
	int i, k;

	if (!strcmp(prop, "Name"))
		return sd_bus_message_append(reply, "s", r->name);
	if (!strcmp(prop, "Device"))
		return sd_bus_message_append(reply, "s", r->devnode);
	if (!strcmp(prop, "Bus"))
		return sd_bus_message_append(reply, "s", r->bus);
	if (!strcmp(prop, "Vendor"))
		return sd_bus_message_append(reply, "q", r->vendor);
	if (!strcmp(prop, "Product"))
		return sd_bus_message_append(reply, "q", r->product);
	if (!strcmp(prop, "Slots"))
		return sd_bus_message_append(reply, "y", r->slots);
	if (!strcmp(prop, "Capabilities")) {
		k = sd_bus_message_open_container(reply, 'a', "s");
		for (i = 0; k >= 0 && i < 4; i++)
			if (r->caps & (1U << i))
				k = sd_bus_message_append(reply, "s", capnames[i]);
		return k < 0 ? k : sd_bus_message_close_container(reply);
	}
	return -ENOENT;
}

static const sd_bus_vtable reader_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Name", "s", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Device", "s", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Capabilities", "as", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Bus", "s", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Vendor", "q", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Product", "q", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Slots", "y", reader_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

void pd_bus_reader_added(struct pd_daemon *d, struct pd_reader *r)
{
	if (!d->bus)
		return;
	if (sd_bus_add_object_vtable(d->bus, &r->slot, r->path,
				     "org.payterm.Reader1", reader_vtable, r) < 0)
		return;
	sd_bus_emit_object_added(d->bus, r->path);
	sd_bus_emit_properties_changed(d->bus, PD_TERMINAL_PATH,
				       "org.payterm.Terminal1", "Readers", NULL);
}

void pd_bus_reader_removed(struct pd_daemon *d, struct pd_reader *r)
{
	if (!d->bus || !r->slot)
		return;
	sd_bus_emit_object_removed(d->bus, r->path);
	r->slot = sd_bus_slot_unref(r->slot);
	sd_bus_emit_properties_changed(d->bus, PD_TERMINAL_PATH,
				       "org.payterm.Terminal1", "Readers", NULL);
	/* an open reader of the running transaction sees POLLHUP itself */
}

/* ---------------- transactions ---------------- */

/*
 * A transaction belongs to the client that started it: only that unique
 * bus name (or root, the operator) may read its properties or call its
 * methods, and its signals are sent to that name alone (unicast, below).
 */
static int sender_euid(sd_bus_message *m, uid_t *uid)
{
	sd_bus_creds *c = NULL;
	int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &c);

	if (r >= 0)
		r = sd_bus_creds_get_euid(c, uid);
	sd_bus_creds_unref(c);
	return r;
}

/* The owner's connection, another connection of the owner's unix user
 * (the same trust domain: it could ptrace the owner), or root. */
static bool txn_caller_ok(const struct pd_txnobj *o, sd_bus_message *m)
{
	const char *s = m ? sd_bus_message_get_sender(m) : NULL;
	uid_t uid;

	if (!m)
		return false;
	if (s && o->owner && !strcmp(s, o->owner))
		return true;
	if (sender_euid(m, &uid) < 0)
		return false;
	return uid == 0 || (o->owner_uid_known && uid == o->owner_uid);
}

static int txn_denied(sd_bus_error *err)
{
	return sd_bus_error_set(err, SD_BUS_ERROR_ACCESS_DENIED,
				"This transaction belongs to another client");
}

static int txn_append(struct pd_txn *t, const char *prop, sd_bus_message *reply)
{
	if (!strcmp(prop, "State"))
		return sd_bus_message_append(reply, "s", pd_state_name(t->state));
	if (!strcmp(prop, "Amount"))
		return sd_bus_message_append(reply, "t", t->req.amount);
	if (!strcmp(prop, "Currency"))
		return sd_bus_message_append(reply, "s", t->req.currency_alpha);
	if (!strcmp(prop, "MerchantName"))
		return sd_bus_message_append(reply, "s", t->req.merchant_name);
	if (!strcmp(prop, "OrderId"))
		return sd_bus_message_append(reply, "s", t->req.order_id);
	if (!strcmp(prop, "Description"))
		return sd_bus_message_append(reply, "s", t->req.description);
	if (!strcmp(prop, "RequestId"))
		return sd_bus_message_append(reply, "s", t->req.id);
	if (!strcmp(prop, "EntryMode"))
		return sd_bus_message_append(reply, "s", t->entry_mode);
	if (!strcmp(prop, "MaskedPan"))
		return sd_bus_message_append(reply, "s", t->masked_pan);
	if (!strcmp(prop, "PinDigits"))
		return sd_bus_message_append(reply, "y", (uint8_t)t->pin_digits);
	if (!strcmp(prop, "ResultCode"))
		return sd_bus_message_append(reply, "s", t->result_code);
	if (!strcmp(prop, "AuthCode"))
		return sd_bus_message_append(reply, "s", t->auth_code);
	if (!strcmp(prop, "Message"))
		return sd_bus_message_append(reply, "s", t->message);
	return -ENOENT;
}

static int txn_prop(sd_bus *bus, const char *path, const char *iface,
		    const char *prop, sd_bus_message *reply, void *user,
		    sd_bus_error *err)
{
	struct pd_txnobj *o = user;

	if (!txn_caller_ok(o, sd_bus_get_current_message(bus)))
		return txn_denied(err);
	return txn_append(o->txn, prop, reply);
}

/*
 * The object is registered as a fallback vtable on its own path so that
 * this decides, per call, whether it exists for the caller: hidden from
 * other clients' GetManagedObjects and introspection (not listed), and
 * AccessDenied for anything else they send to it.
 */
static int txn_find(sd_bus *bus, const char *path, const char *iface,
		    void *user, void **found, sd_bus_error *err)
{
	struct pd_txnobj *o = user;
	sd_bus_message *m = sd_bus_get_current_message(bus);
	const char *mi;

	if (strcmp(path, o->path))
		return 0;
	if (txn_caller_ok(o, m)) {
		*found = o;
		return 1;
	}
	mi = m ? sd_bus_message_get_interface(m) : NULL;
	if (!m || (mi && (!strcmp(mi, "org.freedesktop.DBus.ObjectManager") ||
			  !strcmp(mi, "org.freedesktop.DBus.Introspectable"))))
		return 0;
	return txn_denied(err);
}

static int cancel(sd_bus_message *m, void *user, sd_bus_error *err)
{
	struct pd_txnobj *o = user;
	int r;

	if (!txn_caller_ok(o, m))
		return txn_denied(err);
	r = pd_txn_cancel(o->txn, "Cancelled");
	if (r == -EALREADY)
		return sd_bus_error_set(err, ERR_PREFIX "Finished",
					"The transaction has already ended");
	if (r == -EINPROGRESS)
		return sd_bus_error_set(err, ERR_PREFIX "InProgress",
					"Authorisation is running; the result will follow");
	return sd_bus_reply_method_return(m, NULL);
}

static int method_cancel(sd_bus_message *m, void *user, sd_bus_error *err)
{
	return pd_bus_named_error("Cancel", cancel(m, user, err), err);
}

static const sd_bus_vtable txn_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("State", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Amount", "t", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Currency", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MerchantName", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("OrderId", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Description", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("RequestId", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("EntryMode", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MaskedPan", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PinDigits", "y", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ResultCode", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("AuthCode", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Message", "s", txn_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD("Cancel", "", "", method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("Finished", "sss",
				 SD_BUS_PARAM(state) SD_BUS_PARAM(result_code)
				 SD_BUS_PARAM(message), 0),
	SD_BUS_VTABLE_END
};

/* A signal about @o, addressed to its owner only. */
static int txn_signal_new(struct pd_txnobj *o, const char *path,
			  const char *iface, const char *member,
			  sd_bus_message **m)
{
	int r;

	*m = NULL;
	if (!o->owner)
		return -ENOENT;
	r = sd_bus_message_new_signal(o->d->bus, m, path, iface, member);
	if (r >= 0)
		r = sd_bus_message_set_destination(*m, o->owner);
	if (r < 0)
		*m = sd_bus_message_unref(*m);
	return r;
}

static void txn_signal_send(struct pd_txnobj *o, sd_bus_message *m, int r)
{
	if (r >= 0)
		r = sd_bus_send(o->d->bus, m, NULL);
	if (r < 0)
		log_warn("transaction %u: signal to %s: %s", o->txn->id,
			 o->owner ? o->owner : "?", strerror(-r));
	sd_bus_message_unref(m);
}

static int append_prop(sd_bus_message *m, struct pd_txn *t, const char *name,
		       const char *sig)
{
	int r = sd_bus_message_open_container(m, 'e', "sv");

	if (r >= 0)
		r = sd_bus_message_append(m, "s", name);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', sig);
	if (r >= 0)
		r = txn_append(t, name, m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

/* ObjectManager InterfacesAdded / InterfacesRemoved, to the owner only. */
static void txn_send_added(struct pd_txnobj *o)
{
	sd_bus_message *m;
	size_t i;
	int r;

	r = txn_signal_new(o, PD_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
			   "InterfacesAdded", &m);
	if (r == -ENOENT)
		return;
	if (r >= 0)
		r = sd_bus_message_append(m, "o", o->path);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'e', "sa{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", "org.payterm.Transaction1");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	for (i = 0; r >= 0 && i < sizeof(txn_props) / sizeof(txn_props[0]); i++)
		r = append_prop(m, o->txn, txn_props[i].name, txn_props[i].sig);
	for (i = 0; r >= 0 && i < 3; i++)
		r = sd_bus_message_close_container(m);
	txn_signal_send(o, m, r);
}

static void txn_send_removed(struct pd_txnobj *o)
{
	sd_bus_message *m;
	int r;

	r = txn_signal_new(o, PD_ROOT_PATH, "org.freedesktop.DBus.ObjectManager",
			   "InterfacesRemoved", &m);
	if (r == -ENOENT)
		return;
	if (r >= 0)
		r = sd_bus_message_append(m, "oas", o->path, 1,
					  "org.payterm.Transaction1");
	txn_signal_send(o, m, r);
}

static void txnobj_free(struct pd_txnobj *o)
{
	struct pd_daemon *d = o->d;
	struct pd_txnobj **pp;

	for (pp = &d->txns; *pp; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	if (d->active == o)
		d->active = NULL;
	pd_submit_detach(o);
	if (o->slot && d->bus && !d->stopping)
		txn_send_removed(o);
	sd_bus_slot_unref(o->slot);
	sd_bus_track_unref(o->track);
	sd_event_source_disable_unref(o->linger);
	pd_txn_free(o->txn);
	sd_bus_message_unref(o->start_msg);
	free(o->owner);
	free(o);
}

void pd_bus_free_txns(struct pd_daemon *d)
{
	while (d->txns)
		txnobj_free(d->txns);
}

static void terminal_changed(struct pd_daemon *d)
{
	sd_bus_emit_properties_changed(d->bus, PD_TERMINAL_PATH,
				       "org.payterm.Terminal1", "State",
				       "ActiveTransaction", NULL);
}

static void hook_changed(struct pd_txn *t, unsigned props)
{
	struct pd_txnobj *o = t->user;
	sd_bus_message *m;
	unsigned i, n = 0;
	int r;

	if (!o->slot)
		return;
	for (i = 0; i < sizeof(changing) / sizeof(changing[0]); i++)
		if (props & (1U << i))
			n++;
	if (!n)
		return;
	/* PropertiesChanged (PIN digit counts, the masked PAN...) is for the
	 * owner alone: sd_bus_emit_properties_changed() would broadcast it */
	r = txn_signal_new(o, o->path, "org.freedesktop.DBus.Properties",
			   "PropertiesChanged", &m);
	if (r == -ENOENT)
		return;
	if (r >= 0)
		r = sd_bus_message_append(m, "s", "org.payterm.Transaction1");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sv}");
	for (i = 0; r >= 0 && i < sizeof(changing) / sizeof(changing[0]); i++)
		if (props & (1U << i))
			r = append_prop(m, t, changing[i].name, changing[i].sig);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "as", 0);
	txn_signal_send(o, m, r);
}

static int on_linger(sd_event_source *s, uint64_t usec, void *user)
{
	txnobj_free(user);
	return 0;
}

static void hook_finished(struct pd_txn *t)
{
	struct pd_txnobj *o = t->user;
	struct pd_daemon *d = o->d;

	log_info("transaction %u finished: %s%s%s (%s)", t->id,
		 pd_state_name(t->state), t->result_code[0] ? " " : "",
		 t->result_code, t->message);
	if (o->start_msg) {		/* ended before the card process answered */
		sd_bus_reply_method_errorf(o->start_msg, ERR_PREFIX "NotReady",
					   "%s", t->message);
		o->start_msg = sd_bus_message_unref(o->start_msg);
	}
	if (o->slot) {
		sd_bus_message *m;
		int r = txn_signal_new(o, o->path, "org.payterm.Transaction1",
				       "Finished", &m);

		if (r != -ENOENT) {
			if (r >= 0)
				r = sd_bus_message_append(m, "sss",
						pd_state_name(t->state),
						t->result_code, t->message);
			txn_signal_send(o, m, r);
		}
	}
	if (d->active == o) {
		d->active = NULL;
		terminal_changed(d);
	}
	o->track = sd_bus_track_unref(o->track);
	sd_event_add_time_relative(d->event, &o->linger, CLOCK_MONOTONIC,
				   (uint64_t)d->cfg.result_linger_s * 1000000ULL,
				   0, on_linger, o);
}

static int hook_submit(struct pd_txn *t, const struct pd_sealed *s)
{
	struct pd_txnobj *o = t->user;
	int r;

	/* the request is used from the moment card data leaves the terminal */
	r = pd_used_add(o->d->used, t->req.id, t->req.expires, time(NULL));
	if (r < 0) {
		log_err("cannot record request %s as used: %s", t->req.id,
			strerror(-r));
		return r;
	}
	/* used: no longer payable from this terminal */
	if (pd_pending_remove(&o->d->pending, t->req.id))
		pd_bus_pending_changed(o->d);
	return pd_submit_start(o, s);
}

static void hook_started(struct pd_txn *t, int err);

static const struct pd_txn_hooks hooks = {
	.changed = hook_changed,
	.finished = hook_finished,
	.submit = hook_submit,
	.started = hook_started,
};

static int on_track_gone(sd_bus_track *track, void *user)
{
	struct pd_txnobj *o = user;

	log_info("transaction %u: caller %s left the bus", o->txn->id,
		 o->owner ? o->owner : "?");
	o->track = sd_bus_track_unref(o->track);
	if (pd_txn_cancel(o->txn, "Caller disconnected") == -EINPROGRESS)
		log_info("transaction %u: authorisation continues, the result "
			 "will be logged", o->txn->id);
	return 0;
}

/* ---------------- terminal ---------------- */

bool pd_bus_reader_selected(const struct pd_config *c, const struct pd_reader *r,
			    unsigned modes)
{
	bool card = ((modes & PD_ENTRY_SWIPE) && (r->caps & PAYTERM_CAP_MSR)) ||
		    ((modes & PD_ENTRY_CHIP) && (r->caps & PAYTERM_CAP_ICC)) ||
		    ((modes & PD_ENTRY_TAP) && (r->caps & PAYTERM_CAP_PICC));
	bool pin = r->caps & PAYTERM_CAP_PINPAD;

	if (card && c->card_reader && strcmp(c->card_reader, r->name))
		card = false;
	if (pin && c->pinpad && strcmp(c->pinpad, r->name))
		pin = false;
	return card || pin;
}

static int parse_options(sd_bus_message *m, unsigned *modes, sd_bus_error *err)
{
	const char *key;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (!strcmp(key, "EntryModes")) {
			const char *s;
			unsigned want = 0;

			r = sd_bus_message_enter_container(m, 'v', "as");
			if (r < 0)
				return sd_bus_error_set(err, SD_BUS_ERROR_INVALID_ARGS,
							"EntryModes must be as");
			r = sd_bus_message_enter_container(m, 'a', "s");
			while (r >= 0 && (r = sd_bus_message_read(m, "s", &s)) > 0) {
				if (!strcmp(s, "swipe"))
					want |= PD_ENTRY_SWIPE;
				else if (!strcmp(s, "chip"))
					want |= PD_ENTRY_CHIP;
				else if (!strcmp(s, "tap"))
					want |= PD_ENTRY_TAP;
				else
					return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
							"Unknown entry mode '%s'", s);
			}
			if (r < 0 || (r = sd_bus_message_exit_container(m)) < 0 ||
			    (r = sd_bus_message_exit_container(m)) < 0)
				return r;
			*modes &= want;
		} else {
			return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
						 "Unknown option '%s'", key);
		}
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

struct pending {
	struct pd_daemon *d;
	sd_bus_message *m;
	struct pd_request req;
	unsigned modes;
	sd_bus_slot *polkit_call;
};

static void pending_free(struct pending *p)
{
	sd_bus_slot_unref(p->polkit_call);
	sd_bus_message_unref(p->m);
	free(p);
}

static int reply_start_error(sd_bus_message *m, int r)
{
	if (r == -ENODEV)
		return sd_bus_reply_method_errorf(m, ERR_PREFIX "NoReader",
				"No card reader for the allowed entry modes, or no PIN pad");
	if (r == -EBUSY)
		return sd_bus_reply_method_errorf(m, ERR_PREFIX "Busy",
				"A reader is claimed by another process");
	if (r == -ENOTCONN || r == -ENOKEY)
		return sd_bus_reply_method_errorf(m, ERR_PREFIX "NotReady",
				"The card process is not ready: see the daemon log");
	return sd_bus_reply_method_errnof(m, -r, "Cannot start: %m");
}

/* The card process claimed the readers (or could not): put the
 * transaction on the bus and answer StartPayment. */
static void hook_started(struct pd_txn *t, int err)
{
	struct pd_txnobj *o = t->user;
	struct pd_daemon *d = o->d;
	sd_bus_message *m = o->start_msg;
	const char *sender = sd_bus_message_get_sender(m);
	int r = err;

	o->start_msg = NULL;
	if (r >= 0)
		r = sd_bus_add_fallback_vtable(d->bus, &o->slot, o->path,
					       "org.payterm.Transaction1", txn_vtable,
					       txn_find, o);
	if (r >= 0 && sender) {
		r = sd_bus_track_new(d->bus, &o->track, on_track_gone, o);
		if (r >= 0)
			r = sd_bus_track_add_sender(o->track, m);
	}
	if (r < 0) {
		if (d->active == o)
			d->active = NULL;
		txnobj_free(o);
		reply_start_error(m, r);
		sd_bus_message_unref(m);
		terminal_changed(d);
		return;
	}
	txn_send_added(o);
	log_info("transaction %u started by %s: request %s, order %s, "
		 "%llu %s", t->id, sender ? sender : "?", t->req.id,
		 t->req.order_id, (unsigned long long)t->req.amount,
		 t->req.currency_alpha);
	sd_bus_reply_method_return(m, "o", o->path);
	sd_bus_message_unref(m);
}

/* Everything checked: create the transaction and ask the card process to
 * claim the readers; StartPayment is answered from hook_started(). */
static int start_txn(struct pending *p)
{
	struct pd_daemon *d = p->d;
	sd_bus_message *m = p->m;
	struct pd_txnobj *o;
	const char *sender = sd_bus_message_get_sender(m);
	int r;

	if (d->active)
		return sd_bus_reply_method_errorf(m, ERR_PREFIX "Busy",
				"A payment is already running (%s)", d->active->path);
	if (pd_used_seen(d->used, p->req.id))
		return sd_bus_reply_method_errorf(m, ERR_PREFIX "AlreadyUsed",
				"Payment request %s was used before", p->req.id);
	o = calloc(1, sizeof(*o));
	if (!o)
		return sd_bus_reply_method_errno(m, ENOMEM, NULL);
	o->d = d;
	o->owner = sender ? strdup(sender) : NULL;
	o->owner_uid_known = sender_euid(m, &o->owner_uid) >= 0;
	o->txn = pd_txn_new(d->event, &d->cfg, NULL, &p->req, p->modes, &hooks, o);
	if (!o->txn) {
		free(o->owner);
		free(o);
		return sd_bus_reply_method_errno(m, ENOMEM, NULL);
	}
	o->txn->remote = &pd_cardc_remote;
	o->txn->remote_ctx = d;
	o->next = d->txns;
	d->txns = o;
	snprintf(o->path, sizeof(o->path), PD_TXN_PREFIX "/%u", o->txn->id);
	pd_log_event(&PD_EV_TXN_CREATED, &(struct pd_log_ids){
		     .txn = o->txn->id, .request = p->req.id }, LOG_INFO,
		     "transaction %u: created for request %s (order %s, %llu %s)",
		     o->txn->id, p->req.id, p->req.order_id,
		     (unsigned long long)p->req.amount, p->req.currency_alpha);
	r = pd_txn_start(o->txn);
	if (r < 0) {
		o->txn->remote_ended = true;	/* nothing was started there */
		txnobj_free(o);
		return reply_start_error(m, r);
	}
	o->start_msg = sd_bus_message_ref(m);
	d->active = o;			/* busy from now on */
	terminal_changed(d);
	return 1;
}

static int on_polkit(sd_bus_message *reply, void *user, sd_bus_error *ret)
{
	struct pending *p = user;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int authorized = 0, challenge = 0, r;

	if (e) {
		log_warn("polkit: %s", e->message);
		r = sd_bus_reply_method_errorf(p->m, ERR_PREFIX "NotAuthorized",
					       "Authorization check failed");
		goto out;
	}
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0 || !authorized) {
		r = sd_bus_reply_method_errorf(p->m, ERR_PREFIX "NotAuthorized",
					       "Not authorized to start payments");
		goto out;
	}
	r = start_txn(p);
out:
	pending_free(p);
	return r < 0 ? r : 1;
}

static int check_polkit(struct pending *p)
{
	sd_bus_message *c = NULL;
	int r;

	r = sd_bus_message_new_method_call(p->d->bus, &c,
			"org.freedesktop.PolicyKit1",
			"/org/freedesktop/PolicyKit1/Authority",
			"org.freedesktop.PolicyKit1.Authority",
			"CheckAuthorization");
	if (r >= 0)
		r = sd_bus_message_append(c, "(sa{sv})sa{ss}us", "system-bus-name",
				1, "name", "s", sd_bus_message_get_sender(p->m),
				POLKIT_ACTION, 0, 1U, "");
	if (r >= 0)
		r = sd_bus_call_async(p->d->bus, &p->polkit_call, c, on_polkit,
				      p, 25 * 1000000ULL);
	sd_bus_message_unref(c);
	return r;
}

static int start_payment(sd_bus_message *m, void *user, sd_bus_error *err)
{
	struct pd_daemon *d = user;
	struct pending *p;
	const char *jws;
	char why[128];
	int r;

	if (d->active)
		return sd_bus_error_setf(err, ERR_PREFIX "Busy",
					 "A payment is already running (%s)",
					 d->active->path);
	if (!d->keys_ready || !d->request_key)
		return sd_bus_error_set(err, ERR_PREFIX "NotReady",
					"No key store or request key: see the daemon log");
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->d = d;
	p->modes = d->cfg.entry_modes;
	r = sd_bus_message_read(m, "s", &jws);
	if (r >= 0)
		r = parse_options(m, &p->modes, err);
	if (r < 0 || sd_bus_error_is_set(err)) {
		free(p);
		return r;
	}
	if (!strchr(jws, '.')) {
		/* not a JWS: the id of a request from the pull queue, whose
		 * JWS is verified again below (it may have expired since) */
		const struct pd_pending *pp = pd_pending_find(&d->pending, jws);

		if (!pp) {
			snprintf(why, sizeof(why), "no pending request %.80s", jws);
			r = sd_bus_error_setf(err, ERR_PREFIX "UnknownRequest",
					      "No pending payment request '%.80s'", jws);
			goto refuse;
		}
		jws = pp->req.jws;
	}
	switch (pd_request_verify(d->request_key, jws, d->cfg.terminal_id,
				  time(NULL), &p->req, why, sizeof(why))) {
	case PD_REQ_OK:
		break;
	case PD_REQ_FORGED:
		r = sd_bus_error_setf(err, ERR_PREFIX "Forged", "Payment request: %s", why);
		goto refuse;
	case PD_REQ_EXPIRED:
	case PD_REQ_NOT_YET:
		r = sd_bus_error_setf(err, ERR_PREFIX "Expired", "Payment request: %s", why);
		goto refuse;
	case PD_REQ_WRONG_TERMINAL:
		r = sd_bus_error_setf(err, ERR_PREFIX "WrongTerminal", "Payment request: %s", why);
		goto refuse;
	default:
		r = sd_bus_error_setf(err, ERR_PREFIX "InvalidRequest", "Payment request: %s", why);
		goto refuse;
	}
	if (!p->modes) {
		r = sd_bus_error_set(err, ERR_PREFIX "NoReader",
				     "No allowed entry mode left");
		goto refuse;
	}
	p->m = sd_bus_message_ref(m);
	if (d->polkit) {
		r = check_polkit(p);
		if (r < 0) {
			pending_free(p);
			return r;
		}
		return 1;	/* answered from on_polkit */
	}
	r = start_txn(p);
	pending_free(p);
	return r < 0 ? r : 1;
refuse:
	log_notice("StartPayment refused: %s", why);
	free(p);
	return r;
}

static int terminal_prop(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *reply, void *user,
			 sd_bus_error *err)
{
	struct pd_daemon *d = user;
	int r;

	if (!strcmp(prop, "Version"))
		return sd_bus_message_append(reply, "s", PD_VERSION);
	if (!strcmp(prop, "TerminalId"))
		return sd_bus_message_append(reply, "s", d->cfg.terminal_id);
	if (!strcmp(prop, "MerchantId"))
		return sd_bus_message_append(reply, "s", d->cfg.merchant_id);
	if (!strcmp(prop, "State"))
		return sd_bus_message_append(reply, "s",
				!d->keys_ready ? "not-ready" : d->active ? "busy" : "idle");
	if (!strcmp(prop, "ActiveTransaction"))
		return sd_bus_message_append(reply, "o",
					     d->active ? d->active->path : "/");
	if (!strcmp(prop, "Readers")) {
		r = sd_bus_message_open_container(reply, 'a', "o");
		for (struct pd_reader *rd = d->readers; r >= 0 && rd; rd = rd->next)
			r = sd_bus_message_append(reply, "o", rd->path);
		return r < 0 ? r : sd_bus_message_close_container(reply);
	}
	if (!strcmp(prop, "PendingRequests")) {
		r = sd_bus_message_open_container(reply, 'a', "(ssstssx)");
		for (size_t i = 0; r >= 0 && i < d->pending.n; i++) {
			const struct pd_request *q = &d->pending.v[i]->req;

			r = sd_bus_message_append(reply, "(ssstssx)", q->id,
					q->merchant_name, q->order_id, q->amount,
					q->currency_alpha, q->description,
					q->expires);
		}
		return r < 0 ? r : sd_bus_message_close_container(reply);
	}
	if (!strcmp(prop, "EntryModes")) {
		r = sd_bus_message_open_container(reply, 'a', "s");
		if (r >= 0 && (d->cfg.entry_modes & PD_ENTRY_SWIPE))
			r = sd_bus_message_append(reply, "s", "swipe");
		if (r >= 0 && (d->cfg.entry_modes & PD_ENTRY_CHIP))
			r = sd_bus_message_append(reply, "s", "chip");
		if (r >= 0 && (d->cfg.entry_modes & PD_ENTRY_TAP))
			r = sd_bus_message_append(reply, "s", "tap");
		return r < 0 ? r : sd_bus_message_close_container(reply);
	}
	return -ENOENT;
}

static int method_start(sd_bus_message *m, void *user, sd_bus_error *err)
{
	return pd_bus_named_error("StartPayment", start_payment(m, user, err), err);
}

static const sd_bus_vtable terminal_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("TerminalId", "s", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MerchantId", "s", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("EntryModes", "as", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ActiveTransaction", "o", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Readers", "ao", terminal_prop, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PendingRequests", "a(ssstssx)", terminal_prop, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_SIGNAL_WITH_NAMES("RequestReceived", "ssstssx",
				 SD_BUS_PARAM(request_id) SD_BUS_PARAM(merchant_id)
				 SD_BUS_PARAM(order_id) SD_BUS_PARAM(amount)
				 SD_BUS_PARAM(currency) SD_BUS_PARAM(description)
				 SD_BUS_PARAM(expires_at), 0),
	SD_BUS_METHOD_WITH_NAMES("StartPayment", "sa{sv}",
				 SD_BUS_PARAM(request) SD_BUS_PARAM(options),
				 "o", SD_BUS_PARAM(transaction),
				 method_start, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

static int check_polkit_present(struct pd_daemon *d)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int has = 0, r;

	r = sd_bus_call_method(d->bus, "org.freedesktop.DBus",
			       "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "NameHasOwner", &e, &reply, "s",
			       "org.freedesktop.PolicyKit1");
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &has);
	if (r >= 0 && !has) {
		sd_bus_message_unref(reply);
		reply = NULL;
		/* activatable counts too */
		r = sd_bus_call_method(d->bus, "org.freedesktop.DBus",
				       "/org/freedesktop/DBus", "org.freedesktop.DBus",
				       "ListActivatableNames", &e, &reply, NULL);
		if (r >= 0) {
			const char *n;

			r = sd_bus_message_enter_container(reply, 'a', "s");
			while (r >= 0 && (r = sd_bus_message_read(reply, "s", &n)) > 0)
				if (!strcmp(n, "org.freedesktop.PolicyKit1"))
					has = 1;
		}
	}
	sd_bus_message_unref(reply);
	sd_bus_error_free(&e);
	return has;
}

/* ---------------- pull queue ---------------- */

void pd_bus_request_received(struct pd_daemon *d, const struct pd_pending *p)
{
	const struct pd_request *q = &p->req;

	if (d->bus)
		sd_bus_emit_signal(d->bus, PD_TERMINAL_PATH, "org.payterm.Terminal1",
				   "RequestReceived", "ssstssx", q->id,
				   q->merchant_name, q->order_id, q->amount,
				   q->currency_alpha, q->description, q->expires);
}

static int on_pending_expiry(sd_event_source *s, uint64_t usec, void *user)
{
	pd_bus_pending_changed(user);
	return 0;
}

void pd_bus_pending_changed(struct pd_daemon *d)
{
	int64_t next;

	pd_pending_prune(&d->pending, time(NULL), d->used);
	if (d->bus && !d->stopping)
		sd_bus_emit_properties_changed(d->bus, PD_TERMINAL_PATH,
					       "org.payterm.Terminal1",
					       "PendingRequests", NULL);
	d->pending_timer = sd_event_source_disable_unref(d->pending_timer);
	next = pd_pending_next_expiry(&d->pending);
	if (next && d->event)
		sd_event_add_time(d->event, &d->pending_timer, CLOCK_REALTIME,
				  (uint64_t)next * 1000000ULL, 1000000ULL,
				  on_pending_expiry, d);
}

int pd_bus_setup(struct pd_daemon *d)
{
	const char *addr = getenv("PAYTERMD_BUS_ADDRESS");
	int r;

	/* DBUS_SYSTEM_BUS_ADDRESS is honoured by sd_bus_open_system();
	 * PAYTERMD_BUS_ADDRESS overrides it for this daemon only. */
	if (addr && *addr) {
		r = sd_bus_new(&d->bus);
		if (r >= 0)
			r = sd_bus_set_address(d->bus, addr);
		if (r >= 0)
			r = sd_bus_set_bus_client(d->bus, 1);
		if (r >= 0)
			r = sd_bus_start(d->bus);
	} else {
		r = sd_bus_open_system(&d->bus);
	}
	if (r < 0) {
		log_err("cannot connect to the system bus: %s", strerror(-r));
		return r;
	}
	r = sd_bus_add_object_manager(d->bus, NULL, PD_ROOT_PATH);
	if (r >= 0)
		r = sd_bus_add_object_vtable(d->bus, NULL, PD_TERMINAL_PATH,
					     "org.payterm.Terminal1",
					     terminal_vtable, d);
	if (r >= 0)
		r = sd_bus_attach_event(d->bus, d->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	/* Fail closed: every StartPayment asks polkit; when polkitd is not
	 * on the bus (absent, stopped, crashed) the check fails and the
	 * payment is refused.  Only a test build (make: build/paytermd-test,
	 * -DPAYTERMD_TEST_BUILD, never installed) can switch it off. */
	d->polkit = true;
#ifdef PAYTERMD_TEST_BUILD
	if (getenv("PAYTERMD_NO_POLKIT")) {
		d->polkit = false;
		log_warn("TEST BUILD: PAYTERMD_NO_POLKIT set: polkit is not asked, "
			 "the bus policy alone decides");
	}
#else
	if (getenv("PAYTERMD_NO_POLKIT"))
		log_warn("PAYTERMD_NO_POLKIT ignored: only test builds honour it");
#endif
	if (d->polkit)
		log_info("polkit: checking " POLKIT_ACTION " for every payment%s",
			 check_polkit_present(d) ? "" :
			 " (org.freedesktop.PolicyKit1 not on the bus now: "
			 "payments are refused until it is)");
	return 0;
}
