/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: order state machine (docs/protocol.md "Order states").
 *
 *   pending ──submit──▶ authorizing ──approved──▶ paid ──reverse──▶ reversing
 *      ▲ │                 │  │  └─bank unavailable─▶ pending          │
 *      │ └─expire─▶ expired│  └─declined: attempts left ▶ pending      │
 *      │                   │     declined: none left ▶ declined        │
 *      │                   └─timeout / late / lost ▶ reversing         │
 *      └─ reversal acknowledged of an unknown authorization ◀──────────┤
 *         (declined when no attempts are left)     reversed ◀─ acknowledged
 *                                                  reversal of a paid order
 * Final states: paid (until reversed), declined, expired, reversed.
 */
#ifndef PS_FSM_H
#define PS_FSM_H

enum ps_order_state {
	PS_OS_INVALID = 0,
	PS_OS_PENDING,
	PS_OS_AUTHORIZING,
	PS_OS_PAID,
	PS_OS_DECLINED,
	PS_OS_EXPIRED,
	PS_OS_REVERSING,
	PS_OS_REVERSED,
};

enum ps_order_event {
	PS_EV_SUBMIT,			/* a terminal submitted a payment */
	PS_EV_APPROVED,			/* bank answered 00 */
	PS_EV_DECLINED,			/* bank answered anything else */
	PS_EV_BANK_UNAVAILABLE,		/* never reached the bank (91) */
	PS_EV_TIMEOUT,			/* no / late answer: reversal needed */
	PS_EV_REVERSE,			/* terminal asked for a reversal */
	PS_EV_REVERSAL_ACK,		/* 0410 received */
	PS_EV_EXPIRE,			/* payment request expired */
};

const char *ps_order_state_name(enum ps_order_state s);
enum ps_order_state ps_order_state_parse(const char *name);
const char *ps_order_event_name(enum ps_order_event e);
int ps_order_state_final(enum ps_order_state s);

/*
 * Next state, or PS_OS_INVALID when the event is not allowed in state s.
 * attempts_left: payment attempts the order still allows after this one
 * (DECLINED, REVERSAL_ACK); was_paid: for REVERSAL_ACK, whether the
 * reversed authorization had been approved (paid → reversed) or was of
 * unknown outcome (→ pending / declined).
 */
enum ps_order_state ps_order_next(enum ps_order_state s, enum ps_order_event e,
				  int attempts_left, int was_paid);

#endif
