/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: the worker's persistent TCP link to the bank front-end
 * (ISO 8583, docs/protocol.md "ISO 8583 profile").  Requests are matched
 * to answers by STAN (field 11) + transmission date-time (field 7).  The
 * link reconnects by itself and signs on (0800, 70 = 001) after connecting.
 */
#ifndef PS_BANK_H
#define PS_BANK_H

#include "iso8583.h"

#include <event2/event.h>

struct ps_bank;

/* resp == NULL: no answer within the timeout, or the connection was lost
 * after the request may have reached the bank (outcome unknown). */
typedef void (*ps_bank_cb)(void *arg, const struct iso8583_msg *resp);

struct ps_bank *ps_bank_new(struct event_base *base, const char *host,
			    int port, int worker_id);
void ps_bank_free(struct ps_bank *b);
int ps_bank_up(const struct ps_bank *b);
/*
 * Send a request.  0: sent, cb runs exactly once later.  -1: link down,
 * nothing was sent and cb will not run.  The message is copied.
 */
int ps_bank_send(struct ps_bank *b, const struct iso8583_msg *req,
		 int timeout_ms, ps_bank_cb cb, void *arg);
/* Forget pending requests of this arg (the callback will not run). */
void ps_bank_cancel(struct ps_bank *b, void *arg);

#endif
