/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: applying bank outcomes to payment, order, payment request,
 * idempotency record and outbox — each in one database transaction, each a
 * conditional transition (docs/protocol.md "Order states").
 */
#ifndef PS_PAYFLOW_H
#define PS_PAYFLOW_H

#include "db.h"

#include <jansson.h>
#include <stdint.h>

enum ps_outcome {
	PS_OUT_APPROVED,	/* 0210 with 00 */
	PS_OUT_DECLINED,	/* 0210 with another code */
	PS_OUT_UNAVAILABLE,	/* not sent: bank link down (91) */
	PS_OUT_UNKNOWN,		/* timeout / lost connection: reverse */
};

struct ps_auth_result {
	enum ps_outcome out;
	char rc[3], auth[7], rrn[13];
	char mac_hex[17];	/* response MAC (0210 field 64) or "" */
	char *icc_hex;		/* 0210 field 55 or NULL */
};

/* Public view of a payment row (ps_payment_get). */
json_t *ps_payment_view(const json_t *pay);
/*
 * Apply an authorization outcome; finishes the payment's idempotency
 * record with the answer.  Returns the terminal's answer (payment view +
 * response MAC / ICC response) or NULL on a storage error.
 */
json_t *ps_payflow_apply(struct ps_db *db, const char *payment_id,
			 const struct ps_auth_result *r, int64_t now);
/* 0410 with 00 received for this payment's reversal. */
int ps_payflow_reversal_ack(struct ps_db *db, const char *payment_id,
			    int64_t now);
/* Terminal asks to reverse an approved payment: 1 done, 0 not reversible,
 * -1 storage error. */
int ps_payflow_request_reversal(struct ps_db *db, const char *payment_id,
				int64_t now);
/* Orders whose request expired: pending → expired, webhook queued. */
int ps_payflow_expire(struct ps_db *db, int64_t now);

#endif
