// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: the payment state machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "emv.h"
#include "log.h"
#include "secure.h"
#include "txn.h"

static const char *const state_names[] = {
	[PD_ST_WAIT_CARD] = "waiting-card",
	[PD_ST_READ_CARD] = "reading-card",
	[PD_ST_WAIT_PIN] = "waiting-pin",
	[PD_ST_SUBMIT] = "submitting",
	[PD_ST_APPROVED] = "approved",
	[PD_ST_DECLINED] = "declined",
	[PD_ST_CANCELLED] = "cancelled",
	[PD_ST_FAILED] = "failed",
};

const char *pd_state_name(enum pd_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ?
		state_names[s] : "unknown";
}

static void changed(struct pd_txn *t, unsigned props)
{
	if (t->hooks->changed)
		t->hooks->changed(t, props);
}

static void set_message(struct pd_txn *t, const char *m)
{
	if (strcmp(t->message, m)) {
		snprintf(t->message, sizeof(t->message), "%s", m);
		changed(t, PD_P_MESSAGE);
	}
}

static void set_state(struct pd_txn *t, enum pd_state s, const char *m)
{
	unsigned props = 0;

	if (t->state != s) {
		struct pd_log_ids ids = { .txn = t->id, .request = t->req.id,
					  .state = pd_state_name(s),
					  .result_code = t->result_code };

		pd_log_event(pd_state_final(s) ? &PD_EV_TXN_FINAL : &PD_EV_TXN_STATE,
			     &ids, LOG_INFO, "transaction %u: %s -> %s%s%s", t->id,
			     pd_state_name(t->state), pd_state_name(s),
			     m ? ": " : "", m ? m : "");
		t->state = s;
		props |= PD_P_STATE;
	}
	if (m && strcmp(t->message, m)) {
		snprintf(t->message, sizeof(t->message), "%s", m);
		props |= PD_P_MESSAGE;
	}
	if (props)
		changed(t, props);
}

static int arm_stage(struct pd_txn *t, unsigned seconds);

static void drop_io(struct pd_txn *t, struct pd_io *io, bool release)
{
	unsigned i;

	if (io->event_source)
		sd_event_source_disable_unref(io->event_source);
	io->event_source = NULL;
	if (release && io->ops->release)
		io->ops->release(io);
	if (io == t->card_io)
		t->card_io = NULL;
	if (io == t->pin_io)
		t->pin_io = NULL;
	for (i = 0; i < t->n_io; i++)
		if (t->io[i] == io) {
			t->io[i] = t->io[--t->n_io];
			break;
		}
	io->ops->close(io);
}

/* Give back every reader: abort the PIN session, power off, release. */
static void release_all(struct pd_txn *t, bool gone_ok)
{
	if (t->pin_active && t->pin_io)
		t->pin_io->ops->pin_abort(t->pin_io);
	t->pin_active = false;
	if (t->card_powered && t->card_io)
		t->card_io->ops->power_off(t->card_io, 0);
	t->card_powered = false;
	while (t->n_io)
		drop_io(t, t->io[0], true);
	(void)gone_ok;
}

static void wipe_secrets(struct pd_txn *t)
{
	pd_seal_free(t->seal);
	t->seal = NULL;
}

/* every end of the transaction: the response MAC key goes too */
static void wipe_respmac(struct pd_txn *t)
{
	pd_respmac_free(t->respmac);
	t->respmac = NULL;
}

static void remote_end(struct pd_txn *t)
{
	if (t->remote && !t->remote_ended) {
		t->remote_ended = true;
		t->remote->end(t);
	}
}

static void finish(struct pd_txn *t, enum pd_state s, const char *rc,
		   const char *m)
{
	unsigned props = 0;

	if (pd_state_final(t->state))
		return;
	remote_end(t);
	release_all(t, true);
	wipe_secrets(t);
	wipe_respmac(t);
	t->stage_timer = sd_event_source_disable_unref(t->stage_timer);
	t->deadline = sd_event_source_disable_unref(t->deadline);
	if (rc && strcmp(t->result_code, rc)) {
		snprintf(t->result_code, sizeof(t->result_code), "%s", rc);
		props |= PD_P_RESULT_CODE;
	}
	if (props)
		changed(t, props);
	set_state(t, s, m);
	if (t->hooks->finished)
		t->hooks->finished(t);
}

static void fail(struct pd_txn *t, const char *m)
{
	finish(t, PD_ST_FAILED, NULL, m);
}

static int on_stage_timer(sd_event_source *s, uint64_t usec, void *user)
{
	struct pd_txn *t = user;

	switch (t->state) {
	case PD_ST_WAIT_CARD:
		fail(t, "Timed out waiting for a card");
		break;
	case PD_ST_WAIT_PIN:
		fail(t, "Timed out waiting for the PIN");
		break;
	default:
		break;
	}
	return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *user)
{
	struct pd_txn *t = user;

	if (t->state != PD_ST_SUBMIT)	/* submission has its own timeouts */
		fail(t, "Transaction timed out");
	return 0;
}

static int arm_stage(struct pd_txn *t, unsigned seconds)
{
	t->stage_timer = sd_event_source_disable_unref(t->stage_timer);
	return sd_event_add_time_relative(t->event, &t->stage_timer,
					  CLOCK_MONOTONIC,
					  (uint64_t)seconds * 1000000ULL, 0,
					  on_stage_timer, t);
}

struct pd_txn *pd_txn_new(sd_event *e, const struct pd_config *cfg,
			  struct pt_keystore *ks, const struct pd_request *req,
			  unsigned modes, const struct pd_txn_hooks *hooks,
			  void *user)
{
	static unsigned next_id = 1;
	struct pd_txn *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = next_id++;
	t->event = sd_event_ref(e);
	t->cfg = cfg;
	t->ks = ks;
	t->req = *req;
	t->modes = modes & cfg->entry_modes;
	t->hooks = hooks;
	t->user = user;
	t->state = PD_ST_WAIT_CARD;
	return t;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *user)
{
	struct pd_io *io = user;
	struct pd_txn *t = io->priv;
	struct payterm_event ev[16];
	ssize_t n;

	for (;;) {
		n = read(fd, ev, sizeof(ev));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			pd_txn_io_gone(t, io);
			return 0;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++) {
			pd_txn_event(t, io, &ev[i]);
			/* the event may have ended the txn and closed io */
			if (pd_state_final(t->state) || io->priv != t)
				return 0;
			bool still = false;

			for (unsigned k = 0; k < t->n_io; k++)
				still |= t->io[k] == io;
			if (!still)
				return 0;
		}
	}
	if (revents & (EPOLLHUP | EPOLLERR))
		pd_txn_io_gone(t, io);
	return 0;
}

int pd_txn_add_io(struct pd_txn *t, struct pd_io *io)
{
	int r;

	if (t->n_io == sizeof(t->io) / sizeof(t->io[0])) {
		io->ops->close(io);
		return -E2BIG;
	}
	io->priv = t;
	if (io->fd >= 0) {
		sd_event_source *src;

		r = sd_event_add_io(t->event, &src, io->fd, EPOLLIN, on_io, io);
		if (r < 0) {
			io->ops->close(io);
			return r;
		}
		io->event_source = src;
	}
	t->io[t->n_io++] = io;
	return 0;
}

static bool io_can(const struct pd_io *io, unsigned modes)
{
	return ((modes & PD_ENTRY_SWIPE) && (io->caps & PAYTERM_CAP_MSR)) ||
	       ((modes & PD_ENTRY_CHIP) && (io->caps & PAYTERM_CAP_ICC)) ||
	       ((modes & PD_ENTRY_TAP) && (io->caps & PAYTERM_CAP_PICC));
}

static bool have_chip_reader(struct pd_txn *t)
{
	for (unsigned i = 0; i < t->n_io; i++)
		if (t->io[i]->caps & PAYTERM_CAP_ICC)
			return true;
	return false;
}

static struct pd_io *find_pinpad(struct pd_txn *t)
{
	for (unsigned i = 0; i < t->n_io; i++)
		if (t->io[i]->caps & PAYTERM_CAP_PINPAD)
			return t->io[i];
	return NULL;
}

static void prompt(struct pd_txn *t)
{
	char m[96];

	snprintf(m, sizeof(m), "Present card:%s%s%s",
		 t->modes & PD_ENTRY_SWIPE ? " swipe" : "",
		 t->modes & PD_ENTRY_CHIP ? " insert" : "",
		 t->modes & PD_ENTRY_TAP ? " tap" : "");
	set_message(t, m);
}

int pd_txn_start(struct pd_txn *t)
{
	bool card = false;
	unsigned i;
	int r;

	if (t->remote)
		return t->remote->start(t);
	for (i = 0; i < t->n_io; i++)
		card |= io_can(t->io[i], t->modes);
	if (!card)
		return -ENODEV;
	if (!find_pinpad(t))
		return -ENODEV;
	for (i = 0; i < t->n_io; i++) {
		r = t->io[i]->ops->claim(t->io[i]);
		if (r) {
			while (i--)
				t->io[i]->ops->release(t->io[i]);
			return r;
		}
	}
	r = arm_stage(t, t->cfg->card_timeout_s);
	if (r >= 0)
		r = sd_event_add_time_relative(t->event, &t->deadline,
				CLOCK_MONOTONIC,
				(uint64_t)t->cfg->txn_timeout_s * 1000000ULL,
				0, on_deadline, t);
	if (r < 0)
		return r;
	prompt(t);
	return 0;
}

uint64_t pd_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void submit(struct pd_txn *t)
{
	struct pd_sealed sealed;
	int r;

	r = pd_seal_finish(t->seal, t->req.amount, t->req.currency, t->f22,
			   t->req.jws_hash, t->f55, t->f55_len, &sealed,
			   &t->respmac);
	wipe_secrets(t);
	/* nothing sensitive is left: give the readers back now */
	release_all(t, true);
	t->stage_timer = sd_event_source_disable_unref(t->stage_timer);
	if (r) {
		wipe_respmac(t);
		fail(t, "Encryption failed");
		return;
	}
	set_state(t, PD_ST_SUBMIT, "Authorising");
	r = t->hooks->submit ? t->hooks->submit(t, &sealed) : -ENOSYS;
	if (r < 0 && !pd_state_final(t->state))
		fail(t, "Cannot reach the payment server");
}

/* The card is read: encrypt it at once, then ask for the PIN. */
static void card_ready(struct pd_txn *t, struct pd_io *io, struct pd_card *card,
		       const char *mode, const char *f22)
{
	struct payterm_pin_params pp;
	bool need_pin;
	int r;

	t->t_ready_us = pd_mono_us();
	t->card_io = io;
	snprintf(t->entry_mode, sizeof(t->entry_mode), "%s", mode);
	snprintf(t->masked_pan, sizeof(t->masked_pan), "%s", card->masked);
	snprintf(t->f22, sizeof(t->f22), "%s", f22);
	changed(t, PD_P_ENTRY_MODE | PD_P_MASKED_PAN);
	pd_log_event(&PD_EV_CARD_READ, &(struct pd_log_ids){ .txn = t->id,
		     .request = t->req.id, .masked_pan = t->masked_pan },
		     LOG_INFO, "transaction %u: card %s read by %s (%s)", t->id,
		     t->masked_pan, io->name, mode);

	r = pd_seal_begin(t->ks, t->cfg->pin_block_format, &t->seal);
	if (!r)
		r = pd_seal_card(t->seal, card);
	pd_card_wipe(card);
	if (r) {
		log_err("transaction %u: encryption: %s", t->id, strerror(-r));
		fail(t, r == -ENOSPC ? "Key store exhausted" :
			r == -ENOKEY ? "No key loaded" : "Encryption failed");
		return;
	}
	need_pin = strcmp(mode, "tap") || t->req.amount > t->cfg->cvm_limit;
	if (!need_pin) {
		pd_seal_no_pin(t->seal);
		submit(t);
		return;
	}
	t->pin_io = find_pinpad(t);
	memset(&pp, 0, sizeof(pp));
	pp.min_length = (uint8_t)t->cfg->pin_min;
	pp.max_length = (uint8_t)t->cfg->pin_max;
	pp.timeout_ms = t->cfg->pin_timeout_s * 1000;
	r = t->pin_io ? t->pin_io->ops->pin_start(t->pin_io, &pp) : -ENODEV;
	if (r) {
		log_err("transaction %u: PIN session: %s", t->id, strerror(-r));
		fail(t, "PIN pad unavailable");
		return;
	}
	t->pin_active = true;
	t->pin_digits = 0;
	/* the kernel times the session; ours is a safety net */
	arm_stage(t, t->cfg->pin_timeout_s + 5);
	set_state(t, PD_ST_WAIT_PIN, "Enter PIN");
}

static void on_swipe(struct pd_txn *t, struct pd_io *io,
		     const struct payterm_event *ev)
{
	struct payterm_swipe *sw;
	struct pd_card *card;
	enum pd_card_err ce;
	struct tm tm;
	time_t now;
	int r;

	if (!(t->modes & PD_ENTRY_SWIPE) || !(ev->flags & PAYTERM_EVF_DATA_READY))
		return;
	sw = pd_secure_alloc(sizeof(*sw));
	card = pd_secure_alloc(sizeof(*card));
	if (!sw || !card) {
		pd_secure_free(sw, sizeof(*sw));
		pd_secure_free(card, sizeof(*card));
		fail(t, "Out of memory");
		return;
	}
	r = io->ops->get_swipe(io, sw);
	ce = r ? PD_CARD_UNREADABLE : pd_card_from_swipe(sw, card);
	pd_secure_free(sw, sizeof(*sw));
	if (ce != PD_CARD_OK) {
		pd_secure_free(card, sizeof(*card));
		set_message(t, ce == PD_CARD_ENCRYPTED ?
			    "Reader-encrypted data is not supported: use another reader" :
			    ce == PD_CARD_INCOMPLETE ?
			    "Card not accepted: no expiry or service code on the stripe" :
			    "Card not readable: swipe again");
		return;
	}
	if (pd_card_has_chip(card) && (t->modes & PD_ENTRY_CHIP) &&
	    have_chip_reader(t) && !(t->cfg->chip_fallback && t->chip_failed)) {
		pd_secure_free(card, sizeof(*card));
		set_message(t, "Chip card: insert the card");
		return;
	}
	now = t->hooks->now ? (time_t)t->hooks->now() : time(NULL);
	gmtime_r(&now, &tm);
	if (pd_card_expired(card, tm.tm_year + 1900, tm.tm_mon + 1)) {
		char masked[20];

		snprintf(masked, sizeof(masked), "%s", card->masked);
		pd_secure_free(card, sizeof(*card));
		snprintf(t->masked_pan, sizeof(t->masked_pan), "%s", masked);
		snprintf(t->entry_mode, sizeof(t->entry_mode), "swipe");
		changed(t, PD_P_ENTRY_MODE | PD_P_MASKED_PAN);
		finish(t, PD_ST_DECLINED, "54", "Card expired");
		return;
	}
	card_ready(t, io, card, "swipe", "901");
	pd_secure_free(card, sizeof(*card));
}

static void on_card(struct pd_txn *t, struct pd_io *io,
		    const struct payterm_event *ev, bool tap)
{
	struct pd_emv_params p;
	struct pd_card *card;
	uint8_t atr[PAYTERM_ATR_MAX];
	size_t atrlen = sizeof(atr);
	char msg[96] = "";
	struct tm tm;
	time_t now;
	int r;

	if (!(t->modes & (tap ? PD_ENTRY_TAP : PD_ENTRY_CHIP)))
		return;
	set_state(t, PD_ST_READ_CARD, "Reading card, do not remove it");
	t->card_io = io;
	r = io->ops->power_on(io, ev->slot, atr, &atrlen);
	if (r) {
		msg[0] = '\0';
		snprintf(msg, sizeof(msg), "cannot power the card: %s",
			 strerror(-r));
		goto chip_error;
	}
	t->card_powered = true;
	memset(&p, 0, sizeof(p));
	p.contactless = tap;
	p.online_pin = !tap || t->req.amount > t->cfg->cvm_limit;
	p.amount = t->req.amount;
	snprintf(p.currency, sizeof(p.currency), "%s", t->req.currency);
	snprintf(p.country, sizeof(p.country), "%s", t->cfg->country);
	now = t->hooks->now ? (time_t)t->hooks->now() : time(NULL);
	gmtime_r(&now, &tm);
	p.year = tm.tm_year + 1900;
	p.month = tm.tm_mon + 1;
	p.day = tm.tm_mday;
	if (RAND_bytes(p.unpredictable, sizeof(p.unpredictable)) != 1) {
		fail(t, "Random generator failed");
		return;
	}
	card = pd_secure_alloc(sizeof(*card));
	if (!card) {
		fail(t, "Out of memory");
		return;
	}
	r = pd_emv_read(io, ev->slot, t->cfg, &p, card, t->f55,
			sizeof(t->f55), &t->f55_len, msg, sizeof(msg));
	if (pd_state_final(t->state)) {		/* unplugged meanwhile */
		pd_secure_free(card, sizeof(*card));
		return;
	}
	if (r) {
		pd_secure_free(card, sizeof(*card));
		if (r == -ENOMEDIUM) {
			fail(t, "Card removed");
			return;
		}
		if (r == -EACCES || r == -ECANCELED) {
			/* EMV: no fallback for a blocked card or a card decline */
			log_warn("transaction %u: chip: %s", t->id, msg);
			snprintf(t->entry_mode, sizeof(t->entry_mode), tap ? "tap" : "chip");
			changed(t, PD_P_ENTRY_MODE);
			finish(t, r == -EACCES ? PD_ST_FAILED : PD_ST_DECLINED, NULL,
			       r == -EACCES ? "Card blocked" : "Declined by the card");
			return;
		}
		goto chip_error;
	}
	if (pd_card_expired(card, p.year, p.month)) {
		snprintf(t->masked_pan, sizeof(t->masked_pan), "%s", card->masked);
		pd_secure_free(card, sizeof(*card));
		snprintf(t->entry_mode, sizeof(t->entry_mode), tap ? "tap" : "chip");
		changed(t, PD_P_ENTRY_MODE | PD_P_MASKED_PAN);
		finish(t, PD_ST_DECLINED, "54", "Card expired");
		return;
	}
	card_ready(t, io, card, tap ? "tap" : "chip", tap ? "071" : "051");
	pd_secure_free(card, sizeof(*card));
	return;

chip_error:
	log_warn("transaction %u: chip read failed: %s", t->id, msg);
	if (t->card_powered)
		io->ops->power_off(io, ev->slot);
	t->card_powered = false;
	t->card_io = NULL;
	t->chip_failed = true;
	t->f55_len = 0;
	{
		const char *why = r == -ENOENT ? "Card not supported" :
				  r == -ETIMEDOUT ? "Card not answering" :
				  r == -EPERM ? "Card cannot be used here" :
				  tap ? "Card error" : "Chip error";

		bool msr = false;

		for (unsigned i = 0; i < t->n_io; i++)
			msr |= !!(t->io[i]->caps & PAYTERM_CAP_MSR);
		snprintf(msg, sizeof(msg), "%s: %s", why,
			 !tap && t->cfg->chip_fallback && msr &&
			 (t->modes & PD_ENTRY_SWIPE) ? "swipe the card" :
			 "try again");
		set_state(t, PD_ST_WAIT_CARD, msg);
	}
}

static void on_pin_entered(struct pd_txn *t, struct pd_io *io)
{
	struct payterm_pin *pin;
	char *digits;
	int r;

	t->t_ready_us = pd_mono_us();
	t->pin_active = false;
	pin = pd_secure_alloc(sizeof(*pin) + PAYTERM_PIN_MAX + 1);
	if (!pin) {
		fail(t, "Out of memory");
		return;
	}
	digits = (char *)(pin + 1);
	r = io->ops->get_pin(io, pin);
	if (!r && (pin->length < PAYTERM_PIN_MIN || pin->length > PAYTERM_PIN_MAX))
		r = -EPROTO;
	if (!r) {
		memcpy(digits, pin->digits, pin->length);
		digits[pin->length] = '\0';
		r = pd_seal_pin(t->seal, digits);
	}
	pd_secure_free(pin, sizeof(*pin) + PAYTERM_PIN_MAX + 1);
	if (r) {
		log_err("transaction %u: PIN: %s", t->id, strerror(-r));
		fail(t, "PIN not usable");
		return;
	}
	submit(t);
}

void pd_txn_event(struct pd_txn *t, struct pd_io *io,
		  const struct payterm_event *ev)
{
	if (pd_state_final(t->state))
		return;
	switch (ev->type) {
	case PAYTERM_EV_SWIPE:
		if (t->state == PD_ST_WAIT_CARD && (io->caps & PAYTERM_CAP_MSR))
			on_swipe(t, io, ev);
		break;
	case PAYTERM_EV_SWIPE_ERROR:
		if (t->state == PD_ST_WAIT_CARD)
			set_message(t, "Card not readable: swipe again");
		break;
	case PAYTERM_EV_CARD_INSERTED:
	case PAYTERM_EV_CARD_TAPPED: {
		bool tap = ev->type == PAYTERM_EV_CARD_TAPPED ||
			   (ev->flags & PAYTERM_EVF_CONTACTLESS);

		if (t->state == PD_ST_WAIT_CARD &&
		    (io->caps & (tap ? PAYTERM_CAP_PICC : PAYTERM_CAP_ICC)))
			on_card(t, io, ev, tap);
		break;
	}
	case PAYTERM_EV_CARD_REMOVED:
		if (io == t->card_io && t->state < PD_ST_SUBMIT &&
		    strcmp(t->entry_mode, "tap")) {
			t->card_powered = false;
			fail(t, "Card removed");
		}
		break;
	case PAYTERM_EV_PIN_DIGITS:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN &&
		    ev->value >= 0 && (unsigned)ev->value != t->pin_digits) {
			t->pin_digits = (unsigned)ev->value;
			changed(t, PD_P_PIN_DIGITS);
		}
		break;
	case PAYTERM_EV_PIN_ENTERED:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN)
			on_pin_entered(t, io);
		break;
	case PAYTERM_EV_PIN_REJECTED:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN)
			set_message(t, ev->value == PAYTERM_PIN_REJ_TOO_SHORT ?
				    "PIN too short" : "PIN too long");
		break;
	case PAYTERM_EV_PIN_CANCELLED:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN) {
			t->pin_active = false;
			finish(t, PD_ST_CANCELLED, NULL, "Cancelled on the PIN pad");
		}
		break;
	case PAYTERM_EV_PIN_TIMEOUT:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN) {
			t->pin_active = false;
			fail(t, "Timed out waiting for the PIN");
		}
		break;
	case PAYTERM_EV_PIN_ABORTED:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN && t->pin_active) {
			struct payterm_pin probe;
			int gone;

			/* unplug aborts the session before the hang-up:
			 * the fetch then fails with ENODEV */
			t->pin_active = false;
			gone = io->ops->get_pin(io, &probe) == -ENODEV;
			pd_wipe(&probe, sizeof(probe));
			if (gone) {
				pd_txn_io_gone(t, io);
				return;
			}
			fail(t, "PIN entry aborted");
		}
		break;
	case PAYTERM_EV_PAYLOAD_EXPIRED:
		if (io == t->pin_io && t->state == PD_ST_WAIT_PIN)
			fail(t, "PIN expired before it was read");
		break;
	case PAYTERM_EV_OVERFLOW:
		log_warn("transaction %u: %s: events lost", t->id, io->name);
		break;
	default:
		break;
	}
}

void pd_txn_io_gone(struct pd_txn *t, struct pd_io *io)
{
	bool card_left = false;
	bool used = io == t->card_io || io == t->pin_io;

	log_info("transaction %u: reader %s unplugged", t->id, io->name);
	if (pd_state_final(t->state) || t->state == PD_ST_SUBMIT)
		return;
	if (io == t->pin_io)
		t->pin_active = false;
	if (io == t->card_io)
		t->card_powered = false;
	drop_io(t, io, false);
	if (used) {
		fail(t, "Reader unplugged");
		return;
	}
	for (unsigned i = 0; i < t->n_io; i++)
		card_left |= io_can(t->io[i], t->modes);
	if (!card_left || !find_pinpad(t))
		fail(t, "Reader unplugged");
}

int pd_txn_cancel(struct pd_txn *t, const char *why)
{
	if (pd_state_final(t->state))
		return -EALREADY;
	if (t->state == PD_ST_SUBMIT)
		return -EINPROGRESS;
	finish(t, PD_ST_CANCELLED, NULL, why ? why : "Cancelled");
	return 0;
}

void pd_txn_submit_result(struct pd_txn *t, const char *rc, const char *auth,
			  const char *msg)
{
	if (t->state != PD_ST_SUBMIT)
		return;
	if (rc && !strcmp(rc, "00")) {
		/* approved only on the bank's word: the response MAC of this
		 * very answer (code 00, this auth code) verified */
		if (!t->mac_ok || strcmp(t->mac_rc, "00") ||
		    strcmp(t->mac_auth, auth ? auth : "")) {
			log_err("transaction %u: approval without the bank's verified "
				"response MAC refused", t->id);
			fail(t, "Bank answer not authenticated");
			return;
		}
		if (auth && *auth) {
			snprintf(t->auth_code, sizeof(t->auth_code), "%s", auth);
			changed(t, PD_P_AUTH_CODE);
		}
		finish(t, PD_ST_APPROVED, rc, msg);
		return;
	}
	finish(t, PD_ST_DECLINED, rc, msg);
}

void pd_txn_submit_failed(struct pd_txn *t, const char *msg)
{
	if (t->state != PD_ST_SUBMIT)
		return;
	fail(t, msg);
}

enum pd_mac_check pd_txn_check_resp_mac(struct pd_txn *t, const char *rc,
					const char *auth, const char *mac_hex)
{
	enum pd_mac_check r;

	if (t->remote) {
		/* one answer per transaction, as with a local key */
		r = t->mac_asked ? PD_MAC_NOKEY :
			t->remote->check_mac(t, rc, auth, mac_hex);
		t->mac_asked = true;
	} else {
		r = pd_respmac_verify(t->respmac, rc, auth, mac_hex);
	}
	wipe_respmac(t);
	if (r == PD_MAC_OK && rc && strlen(rc) < sizeof(t->mac_rc) &&
	    (!auth || strlen(auth) < sizeof(t->mac_auth))) {
		t->mac_ok = true;
		snprintf(t->mac_rc, sizeof(t->mac_rc), "%s", rc);
		snprintf(t->mac_auth, sizeof(t->mac_auth), "%s", auth ? auth : "");
	}
	return r;
}

void pd_txn_free(struct pd_txn *t)
{
	if (!t)
		return;
	remote_end(t);
	release_all(t, true);
	wipe_secrets(t);
	wipe_respmac(t);
	sd_event_source_disable_unref(t->stage_timer);
	sd_event_source_disable_unref(t->deadline);
	sd_event_unref(t->event);
	free(t);
}

/* ---------------- remote mode (front process) ---------------- */

void pd_txn_remote_started(struct pd_txn *t, int err)
{
	if (!err)
		err = sd_event_add_time_relative(t->event, &t->deadline,
				CLOCK_MONOTONIC,
				(uint64_t)t->cfg->txn_timeout_s * 1000000ULL,
				0, on_deadline, t);
	if (err > 0)
		err = 0;
	if (err)
		t->remote_ended = true;	/* nothing to end over there */
	if (t->hooks->started)
		t->hooks->started(t, err);
}

void pd_txn_remote_update(struct pd_txn *t, enum pd_state state,
			  const char *entry_mode, const char *masked_pan,
			  unsigned pin_digits, const char *message)
{
	unsigned props = 0;

	if (pd_state_final(t->state) || t->state == PD_ST_SUBMIT)
		return;
	if (strcmp(t->entry_mode, entry_mode)) {
		snprintf(t->entry_mode, sizeof(t->entry_mode), "%s", entry_mode);
		props |= PD_P_ENTRY_MODE;
	}
	if (strcmp(t->masked_pan, masked_pan)) {
		snprintf(t->masked_pan, sizeof(t->masked_pan), "%s", masked_pan);
		props |= PD_P_MASKED_PAN;
		/* the card process cannot reach the journal: the event is here */
		if (t->masked_pan[0])
			pd_log_event(&PD_EV_CARD_READ, &(struct pd_log_ids){
				     .txn = t->id, .request = t->req.id,
				     .masked_pan = t->masked_pan }, LOG_INFO,
				     "transaction %u: card %s read (%s)", t->id,
				     t->masked_pan, t->entry_mode);
	}
	if (t->pin_digits != pin_digits) {
		t->pin_digits = pin_digits;
		props |= PD_P_PIN_DIGITS;
	}
	if (props)
		changed(t, props);
	/* SUBMIT comes with SEALED, final states with FINISHED */
	if (state < PD_ST_SUBMIT)
		set_state(t, state, message);
}

void pd_txn_remote_sealed(struct pd_txn *t, const struct pd_sealed *sealed)
{
	int r;

	if (pd_state_final(t->state) || t->state == PD_ST_SUBMIT)
		return;
	snprintf(t->f22, sizeof(t->f22), "%s", sealed->entry_mode);
	t->stage_timer = sd_event_source_disable_unref(t->stage_timer);
	set_state(t, PD_ST_SUBMIT, "Authorising");
	r = t->hooks->submit ? t->hooks->submit(t, sealed) : -ENOSYS;
	if (r < 0 && !pd_state_final(t->state))
		fail(t, "Cannot reach the payment server");
}

void pd_txn_remote_finished(struct pd_txn *t, enum pd_state state,
			    const char *rc, const char *message)
{
	if (t->state == PD_ST_SUBMIT || !pd_state_final(state) ||
	    state == PD_ST_APPROVED)
		return;
	finish(t, state, *rc ? rc : NULL, message);
}

void pd_txn_remote_lost(struct pd_txn *t)
{
	t->remote_ended = true;
	if (t->state == PD_ST_SUBMIT)	/* the MAC key is gone: no approval */
		return;
	fail(t, "Card reader process ended");
}
