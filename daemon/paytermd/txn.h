/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: one payment, as a state machine driven by reader events.
 *
 *   waiting-card -> reading-card -> waiting-pin -> submitting -> approved
 *        |               |              |             |      \-> declined
 *        +---------------+--------------+-------------+-> cancelled / failed
 *
 * The transaction owns the readers it claimed (struct pd_io) and their
 * event sources; the bus layer sees it through struct pd_txn_hooks.
 */
#ifndef PD_TXN_H
#define PD_TXN_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "io.h"
#include "seal.h"

enum pd_state {
	PD_ST_WAIT_CARD,
	PD_ST_READ_CARD,
	PD_ST_WAIT_PIN,
	PD_ST_SUBMIT,
	PD_ST_APPROVED,		/* final states from here on */
	PD_ST_DECLINED,
	PD_ST_CANCELLED,
	PD_ST_FAILED,
};

/* property change bits for hooks->changed */
enum {
	PD_P_STATE = 1 << 0,
	PD_P_ENTRY_MODE = 1 << 1,
	PD_P_MASKED_PAN = 1 << 2,
	PD_P_PIN_DIGITS = 1 << 3,
	PD_P_RESULT_CODE = 1 << 4,
	PD_P_AUTH_CODE = 1 << 5,
	PD_P_MESSAGE = 1 << 6,
};

/* A verified payment request (request.c). */
struct pd_request {
	char id[80];			/* single-use id */
	uint64_t amount;		/* minor units */
	char currency[4];		/* ISO 4217 numeric */
	char currency_alpha[4];		/* ISO 4217 alpha ("EUR") */
	char merchant_name[80];
	char order_id[80];
	char description[204];		/* optional, printable ASCII, "" if none */
	int64_t expires;		/* unix seconds */
	char jws[8200];			/* the request as received */
	/* SHA-256 of @jws: ISO 8583 field 48, MACed with the card data */
	uint8_t jws_hash[PD_REQ_HASH_LEN];
};

struct pd_txn;

struct pd_txn_hooks {
	void (*changed)(struct pd_txn *t, unsigned props);
	void (*finished)(struct pd_txn *t);
	/* Start the submission; report with pd_txn_submit_result/_failed. */
	int (*submit)(struct pd_txn *t, const struct pd_sealed *sealed);
	/* wall clock for the expiry check (tests override) */
	int64_t (*now)(void);
	/* remote mode: the card process answered START (0 or -errno) */
	void (*started)(struct pd_txn *t, int err);
};

/*
 * Remote mode (the front process, docs/privsep.md): the card side of the
 * transaction runs in the card process; this pd_txn mirrors what the card
 * process reports (pd_txn_remote_*) and holds no reader, key or card data.
 */
struct pd_txn_remote {
	/* send START; 0 means the answer comes as pd_txn_remote_started() */
	int (*start)(struct pd_txn *t);
	/* the transaction is over here: the card side releases and wipes */
	void (*end)(struct pd_txn *t);
	/* the response MAC is checked where its key is */
	enum pd_mac_check (*check_mac)(struct pd_txn *t, const char *rc,
				       const char *auth, const char *mac_hex);
};

struct pd_txn {
	unsigned id;
	enum pd_state state;
	const struct pd_config *cfg;
	struct pt_keystore *ks;
	sd_event *event;
	const struct pd_txn_hooks *hooks;
	void *user;
	struct pd_request req;
	unsigned modes;			/* PD_ENTRY_* allowed */

	char entry_mode[8];		/* "", "swipe", "chip", "tap" */
	char masked_pan[20];
	unsigned pin_digits;
	char result_code[4];
	char auth_code[8];
	char message[160];

	struct pd_io *io[PAYTERM_MAX_SLOTS * 2];
	unsigned n_io;
	struct pd_io *card_io, *pin_io;
	bool pin_active;
	bool chip_failed;
	bool card_powered;
	struct pd_seal *seal;
	struct pd_respmac *respmac;	/* response MAC key, from sealing to answer */
	bool mac_ok;			/* the bank's response MAC verified for: */
	char mac_rc[3], mac_auth[8];	/*   this response code and auth code */
	char f22[4];
	uint8_t f55[PD_F55_MAX];
	size_t f55_len;
	sd_event_source *stage_timer;
	sd_event_source *deadline;
	uint64_t t_ready_us;		/* CLOCK_MONOTONIC: last card/PIN input in */
	const struct pd_txn_remote *remote;	/* NULL: readers are local */
	void *remote_ctx;
	bool remote_ended;		/* END sent */
	bool mac_asked;			/* CHECK_MAC sent */
};

/* CLOCK_MONOTONIC now, in microseconds (timing logs, tests/bench). */
uint64_t pd_mono_us(void);

const char *pd_state_name(enum pd_state s);
static inline bool pd_state_final(enum pd_state s) { return s >= PD_ST_APPROVED; }

struct pd_txn *pd_txn_new(sd_event *e, const struct pd_config *cfg,
			  struct pt_keystore *ks, const struct pd_request *req,
			  unsigned modes, const struct pd_txn_hooks *hooks,
			  void *user);
/* Hand an opened reader to the transaction (it owns it from now on). */
int pd_txn_add_io(struct pd_txn *t, struct pd_io *io);
/* Claim the readers and wait for a card.  -ENODEV: no usable card reader
 * or no PIN pad; -EBUSY: claimed by someone else. */
int pd_txn_start(struct pd_txn *t);
/* A reader event (called by the io source, or by tests). */
void pd_txn_event(struct pd_txn *t, struct pd_io *io,
		  const struct payterm_event *ev);
/* The reader disappeared. */
void pd_txn_io_gone(struct pd_txn *t, struct pd_io *io);
/* 0 cancelled; -EINPROGRESS when authorisation runs; -EALREADY finished. */
int pd_txn_cancel(struct pd_txn *t, const char *why);
/* The bank's answer: @rc "00" is an approval only when the response MAC
 * of exactly that answer (code 00, @auth) was verified with
 * pd_txn_check_resp_mac(); otherwise the transaction fails ("Bank answer
 * not authenticated").  Any other code is a decline. */
void pd_txn_submit_result(struct pd_txn *t, const char *rc,
			  const char *auth, const char *msg);
void pd_txn_submit_failed(struct pd_txn *t, const char *msg);
/* Check the bank's response MAC of the answer (@rc, @auth, @mac_hex as the
 * server passed them) with the key kept since sealing; the key is wiped
 * right after, whatever the outcome (one answer per transaction). */
enum pd_mac_check pd_txn_check_resp_mac(struct pd_txn *t, const char *rc,
					const char *auth, const char *mac_hex);
void pd_txn_free(struct pd_txn *t);

/* Remote mode: what the card process reported (already decoded and
 * checked by privsep_proto.c). */
void pd_txn_remote_started(struct pd_txn *t, int err);
void pd_txn_remote_update(struct pd_txn *t, enum pd_state state,
			  const char *entry_mode, const char *masked_pan,
			  unsigned pin_digits, const char *message);
void pd_txn_remote_sealed(struct pd_txn *t, const struct pd_sealed *sealed);
void pd_txn_remote_finished(struct pd_txn *t, enum pd_state state,
			    const char *rc, const char *message);
/* The card process ended (crash, EOF): fail unless already submitting. */
void pd_txn_remote_lost(struct pd_txn *t);

#endif
