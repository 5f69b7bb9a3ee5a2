// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: paytermd's reading of the payment view that payterm-server
 * answers to a submission or a status query, pd_judge_view()
 * (daemon/paytermd/verdict.c): the view's JSON and what the terminal knows
 * (status query or submission, an earlier distrusted answer, the
 * transaction closed, the MAC key there or not, the stored answer still
 * fetchable, the payment id known, a reversal asked for) and the bank's
 * MAC verdict.  Input: one flags byte, a MAC-verdict byte, then the body.
 *
 * Checked on every input: approved only with the MAC check's OK, asked
 * for code 00, on a view that says approved in every way for the amount
 * and currency sent, while the transaction waits with its key; a decline
 * carries a two-digit code other than 00; a failure carries none; every
 * final verdict has a message; a distrust says why; a reversal only from
 * the status query with the payment id known; no MAC check without the key.
 */
#include "../../daemon/paytermd/verdict.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static enum pd_mac_check mac_says;
static int mac_calls, mac_ok_for_00;

static enum pd_mac_check stub_mac(void *arg, const char *rc, const char *auth,
				  const char *mac)
{
	const struct pd_view_ctx *c = arg;

	if (!c->have_keys)
		abort();		/* no key, no check */
	mac_calls++;
	if (!mac)
		return PD_MAC_MISSING;
	if (mac_says == PD_MAC_OK && !strcmp(rc, "00"))
		mac_ok_for_00 = 1;
	return mac_says;
}

static int says_approved(json_t *v, const struct pd_view_ctx *c)
{
	const char *st = json_string_value(json_object_get(v, "state"));
	const char *rc = json_string_value(json_object_get(v, "response_code"));
	const char *cur = json_string_value(json_object_get(v, "currency"));
	json_t *amt = json_object_get(v, "amount");

	return st && !strcmp(st, "approved") && rc && !strcmp(rc, "00") &&
	       json_is_true(json_object_get(v, "approved")) &&
	       json_is_integer(amt) && json_integer_value(amt) == (json_int_t)c->amount &&
	       cur && !strcmp(cur, c->currency);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_view_ctx c = { .amount = 1234, .currency = "EUR",
				 .check_mac = stub_mac };
	struct pd_verdict out;
	json_t *v;

	if (size < 2)
		return 0;
	c.status = data[0] & 1;
	c.suspect = data[0] & 2;
	c.closed = data[0] & 4;
	c.have_keys = data[0] & 8;
	c.can_refetch = data[0] & 16;
	c.payment_id_known = data[0] & 32;
	c.reversing = data[0] & 64;
	c.arg = &c;
	mac_says = (enum pd_mac_check)(data[1] % 4);
	mac_calls = mac_ok_for_00 = 0;
	v = json_loadb((const char *)data + 2, size - 2, JSON_DECODE_ANY, NULL);

	pd_judge_view(&c, v, &out);

	switch (out.kind) {
	case PD_V_FINAL:
		if (!out.msg)
			abort();
		if (out.state == PD_ST_APPROVED &&
		    (!mac_ok_for_00 || !out.mac_verified || !says_approved(v, &c) ||
		     c.suspect || c.closed || !c.have_keys || strcmp(out.rc, "00")))
			abort();
		if (out.state == PD_ST_DECLINED &&
		    (!pd_rc_ok(out.rc) || !strcmp(out.rc, "00") || out.auth))
			abort();
		if (out.state == PD_ST_FAILED && (out.rc || out.auth))
			abort();
		if (out.state != PD_ST_APPROVED && out.state != PD_ST_DECLINED &&
		    out.state != PD_ST_FAILED)
			abort();
		break;
	case PD_V_SUSPECT:
		if (!out.why[0])
			abort();
		break;
	case PD_V_REVERSE:
		if (!c.status || !c.payment_id_known)
			abort();
		break;
	case PD_V_REFETCH:
		if (!c.status || !c.can_refetch)
			abort();
		break;
	case PD_V_STATUS_LATER:
		break;
	default:
		abort();
	}
	if (out.kind != PD_V_FINAL && out.mac_verified)
		abort();
	json_decref(v);
	return 0;
}
