// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the verdict on a payment view (verdict.h).  The rules are
 * those at the top of submit.c and in docs/protocol.md "Outcome rules":
 * approved only on the bank's response MAC over what the terminal sent;
 * a decline is never turned into an approval; anything that would be an
 * approval and is not that is looked up and reversed.
 */
#include <stdio.h>
#include <string.h>

#include "verdict.h"

bool pd_rc_ok(const char *rc)
{
	return rc && strlen(rc) == 2 && rc[0] >= '0' && rc[0] <= '9' &&
	       rc[1] >= '0' && rc[1] <= '9';
}

const char *pd_response_text(const char *rc)
{
	static const struct { const char *rc, *text; } t[] = {
		{ "05", "Declined: do not honour" },
		{ "14", "Declined: invalid card number" },
		{ "51", "Declined: insufficient funds" },
		{ "54", "Declined: card expired" }, { "55", "Declined: incorrect PIN" },
		{ "75", "Declined: PIN tries exceeded" },
		{ "91", "Declined: issuer unavailable" },
		{ "94", "Declined: duplicate transmission" },
		{ "96", "Declined: system malfunction" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (rc && !strcmp(t[i].rc, rc))
			return t[i].text;
	return "Declined";
}

static bool is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

/* @rc and @auth are copied: the verdict outlives the view. */
static void final(struct pd_verdict *out, enum pd_state st, const char *rc,
		  const char *auth, const char *msg)
{
	out->kind = PD_V_FINAL;
	out->state = st;
	if (rc) {
		snprintf(out->rc_buf, sizeof(out->rc_buf), "%s", rc);
		out->rc = out->rc_buf;
	}
	if (auth) {
		snprintf(out->auth_buf, sizeof(out->auth_buf), "%s", auth);
		out->auth = out->auth_buf;
	}
	out->msg = msg;
}

static void suspect(struct pd_verdict *out, const char *why)
{
	out->kind = PD_V_SUSPECT;
	snprintf(out->why, sizeof(out->why), "%s", why);
}

/* A view that says "approved" or 00, in whatever way. */
static void judge_approval(const struct pd_view_ctx *c, json_t *v,
			   struct pd_verdict *out)
{
	const char *state = json_string_value(json_object_get(v, "state"));
	const char *rc = json_string_value(json_object_get(v, "response_code"));
	const char *auth = json_string_value(json_object_get(v, "auth_code"));
	const char *mac = json_string_value(json_object_get(v, "response_mac"));
	const char *cur = json_string_value(json_object_get(v, "currency"));
	json_t *amt = json_object_get(v, "amount");
	enum pd_mac_check m;

	if (c->suspect || c->closed || !c->have_keys) {
		/* not acceptable any more (the transaction has its result, or
		 * we are resuming without the MAC key): reverse it */
		if (!c->status)
			suspect(out, "an approval after the transaction ended");
		else
			out->kind = c->payment_id_known ? PD_V_REVERSE : PD_V_STATUS_LATER;
		return;
	}
	if (!is(state, "approved") || !is(rc, "00") ||
	    !json_is_true(json_object_get(v, "approved"))) {
		snprintf(out->why, sizeof(out->why), "an answer that contradicts "
			 "itself (state %.32s, response code %.8s)",
			 state ? state : "-", rc ? rc : "-");
		out->kind = PD_V_SUSPECT;
		return;
	}
	if (!json_is_integer(amt) || json_integer_value(amt) < 0 ||
	    (uint64_t)json_integer_value(amt) != c->amount ||
	    !cur || !c->currency || strcmp(cur, c->currency)) {
		suspect(out, "an approval of another amount or currency than the "
			"one sent");
		return;
	}
	if (auth && strlen(auth) >= sizeof(out->auth_buf)) {
		/* ISO 8583 field 38 has 6 characters: not the bank's */
		suspect(out, "an approval with a malformed auth code");
		return;
	}
	if (!mac && c->status && c->can_refetch) {
		/* status views carry no response_mac: the stored answer of
		 * the submission does; same key, same body */
		out->kind = PD_V_REFETCH;
		return;
	}
	m = c->check_mac(c->arg, "00", auth, mac);
	if (m == PD_MAC_OK) {
		out->mac_verified = true;
		final(out, PD_ST_APPROVED, "00", auth, "Approved");
		return;
	}
	snprintf(out->why, sizeof(out->why), "the bank's response MAC is %s: "
		 "approval", m == PD_MAC_MISSING ? "missing" : m == PD_MAC_NOKEY ?
		 "not checkable (key already used)" : "wrong");
	out->kind = PD_V_SUSPECT;
}

void pd_judge_view(const struct pd_view_ctx *c, json_t *v, struct pd_verdict *out)
{
	const char *state = json_string_value(json_object_get(v, "state"));
	const char *rc = json_string_value(json_object_get(v, "response_code"));
	const char *mac = json_string_value(json_object_get(v, "response_mac"));
	bool says_paid = is(state, "approved") ||
			 json_is_true(json_object_get(v, "approved"));
	bool rc00 = is(rc, "00");

	memset(out, 0, sizeof(*out));
	/* the server has it as reversed or is reversing it: not paid */
	if (is(state, "reversed") || is(state, "reversal_pending")) {
		if (c->suspect)
			final(out, PD_ST_FAILED, NULL, NULL, PD_UNTRUSTED_NOT_PAID);
		else
			final(out, PD_ST_DECLINED, pd_rc_ok(rc) && !rc00 ? rc : "91",
			      NULL, is(state, "reversed") && c->reversing ?
			      "Payment reversed" : "No answer from the bank: not paid");
		return;
	}
	if (is(state, "authorizing") && !says_paid && !rc00) {
		out->kind = PD_V_STATUS_LATER;	/* the bank has not answered yet */
		return;
	}
	if (says_paid || rc00) {
		judge_approval(c, v, out);
		return;
	}
	if (is(state, "declined") || is(state, "failed") || is(state, "expired")) {
		/* a decline needs no MAC; one that is there must be the bank's */
		if (mac && c->have_keys && !c->closed && !c->status &&
		    c->check_mac(c->arg, pd_rc_ok(rc) ? rc : "", NULL, mac) ==
		    PD_MAC_BAD) {
			suspect(out, "the bank's response MAC of a decline is wrong");
			return;
		}
		if (c->suspect)
			final(out, PD_ST_FAILED, NULL, NULL, PD_UNTRUSTED_NOT_PAID);
		else if (pd_rc_ok(rc))
			final(out, PD_ST_DECLINED, rc, NULL, pd_response_text(rc));
		else
			final(out, PD_ST_FAILED, NULL, NULL, "Declined");
		return;
	}
	/* no state we know: as good as no answer */
	out->kind = PD_V_STATUS_LATER;
	snprintf(out->why, sizeof(out->why), "an answer without a known state "
		 "(%.32s)", state ? state : "none");
}
