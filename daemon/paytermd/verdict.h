/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: what a payment view from payterm-server (the answer to the
 * submission, or to the status query) means for the terminal — the outcome
 * rules of submit.c, as a function of the view and of what the terminal
 * knows, with no I/O: submit.c carries the verdict out, the unit tests and
 * tests/fuzz/fuzz_verdict.c check it on any view.
 */
#ifndef PD_VERDICT_H
#define PD_VERDICT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "seal.h"
#include "txn.h"

struct pd_view_ctx {
	bool status;		/* the view came from the status query */
	bool suspect;		/* an answer of this submission was distrusted */
	bool closed;		/* the transaction already has its result */
	bool have_keys;		/* the transaction (and its MAC key) is here */
	bool can_refetch;	/* the stored answer may still be fetched */
	bool payment_id_known;	/* the payment id of our key is known */
	bool reversing;		/* a reversal was asked for */
	uint64_t amount;	/* what the terminal sent */
	const char *currency;
	/* the bank's response MAC over (rc, auth) of this transaction */
	enum pd_mac_check (*check_mac)(void *arg, const char *rc,
				       const char *auth, const char *mac);
	void *arg;
};

enum pd_verdict_kind {
	PD_V_FINAL,		/* state, rc, auth, msg */
	PD_V_STATUS_LATER,	/* ask the status again, after a back-off */
	PD_V_SUSPECT,		/* not trusted (why): look the payment up */
	PD_V_REVERSE,		/* reverse the payment of our key now */
	PD_V_REFETCH,		/* fetch the stored answer (it has the MAC) */
};

struct pd_verdict {
	enum pd_verdict_kind kind;
	enum pd_state state;	/* PD_V_FINAL */
	const char *rc;		/* NULL, or 2 digits (points into the verdict) */
	const char *auth;	/* NULL unless approved (points into the verdict) */
	const char *msg;
	char rc_buf[3];
	char auth_buf[8];	/* as the transaction keeps it */
	char why[160];		/* PD_V_SUSPECT */
	bool mac_verified;	/* the MAC check said PD_MAC_OK */
};

#define PD_UNTRUSTED_NOT_PAID "Bank answer not authenticated: not paid"

/* The verdict on view @v (any JSON value; NULL reads as an empty view). */
void pd_judge_view(const struct pd_view_ctx *c, json_t *v, struct pd_verdict *out);
/* Two decimal digits. */
bool pd_rc_ok(const char *rc);
/* The text shown for a decline's response code. */
const char *pd_response_text(const char *rc);

#endif
