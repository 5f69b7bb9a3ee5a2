// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: order state machine. */
#include "fsm.h"

#include <string.h>

static const char *const names[] = {
	[PS_OS_INVALID] = "invalid",
	[PS_OS_PENDING] = "pending",
	[PS_OS_AUTHORIZING] = "authorizing",
	[PS_OS_PAID] = "paid",
	[PS_OS_DECLINED] = "declined",
	[PS_OS_EXPIRED] = "expired",
	[PS_OS_REVERSING] = "reversing",
	[PS_OS_REVERSED] = "reversed",
};

static const char *const ev_names[] = {
	[PS_EV_SUBMIT] = "submit",
	[PS_EV_APPROVED] = "approved",
	[PS_EV_DECLINED] = "declined",
	[PS_EV_BANK_UNAVAILABLE] = "bank_unavailable",
	[PS_EV_TIMEOUT] = "timeout",
	[PS_EV_REVERSE] = "reverse",
	[PS_EV_REVERSAL_ACK] = "reversal_ack",
	[PS_EV_EXPIRE] = "expire",
};

const char *ps_order_state_name(enum ps_order_state s)
{
	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "invalid";
	return names[s];
}

enum ps_order_state ps_order_state_parse(const char *name)
{
	unsigned i;

	for (i = 1; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(names[i], name))
			return (enum ps_order_state)i;
	return PS_OS_INVALID;
}

const char *ps_order_event_name(enum ps_order_event e)
{
	if ((unsigned)e >= sizeof(ev_names) / sizeof(ev_names[0]))
		return "invalid";
	return ev_names[e];
}

int ps_order_state_final(enum ps_order_state s)
{
	return s == PS_OS_DECLINED || s == PS_OS_EXPIRED || s == PS_OS_REVERSED;
}

enum ps_order_state ps_order_next(enum ps_order_state s, enum ps_order_event e,
				  int attempts_left, int was_paid)
{
	switch (s) {
	case PS_OS_PENDING:
		if (e == PS_EV_SUBMIT)
			return PS_OS_AUTHORIZING;
		if (e == PS_EV_EXPIRE)
			return PS_OS_EXPIRED;
		break;
	case PS_OS_AUTHORIZING:
		switch (e) {
		case PS_EV_APPROVED:
			return PS_OS_PAID;
		case PS_EV_DECLINED:
			return attempts_left > 0 ? PS_OS_PENDING : PS_OS_DECLINED;
		case PS_EV_BANK_UNAVAILABLE:
			return PS_OS_PENDING;
		case PS_EV_TIMEOUT:
			return PS_OS_REVERSING;
		default:
			break;
		}
		break;
	case PS_OS_PAID:
		if (e == PS_EV_REVERSE)
			return PS_OS_REVERSING;
		break;
	case PS_OS_REVERSING:
		if (e == PS_EV_REVERSAL_ACK) {
			if (was_paid)
				return PS_OS_REVERSED;
			return attempts_left > 0 ? PS_OS_PENDING : PS_OS_DECLINED;
		}
		break;
	default:
		break;
	}
	return PS_OS_INVALID;
}
