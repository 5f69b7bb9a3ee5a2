/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer: the privsep channel as one process decodes it
 * (daemon/paytermd/privsep_proto.c, docs/privsep.md); fuzz_privsep_card.c
 * and fuzz_privsep_front.c define DECODE (that side's decoder) and include
 * this.  Input: one datagram from a peer that may be compromised.
 * Whatever it is, the decoder answers 0 or -EBADMSG with a reason; what it
 * accepts holds only values in range (NUL-terminated strings within their
 * fields) and encodes back to exactly the same bytes (the encoding is
 * canonical).
 */
#ifndef FUZZ_PRIVSEP_H
#define FUZZ_PRIVSEP_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/paytermd/privsep_proto.h"

static uint8_t again[PP_MSG_MAX];
static const uint8_t zero32[PD_REQ_HASH_LEN];

static void bounded(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_msg m;
	char err[200];
	int r, n;

	r = DECODE(data, size, &m, err, sizeof(err));
	if (r) {
		if (r != -EBADMSG || !err[0])
			abort();
		return 0;
	}
	switch (m.type) {
	case PP_START:
		bounded(m.u.start.currency, sizeof(m.u.start.currency));
		/* a request hash is always set (field 48 of the MAC) */
		if (!memcmp(m.u.start.req_hash, zero32, sizeof(zero32)))
			abort();
		if (!m.u.start.n_readers || m.u.start.n_readers > PP_READERS_MAX)
			abort();
		for (unsigned i = 0; i < m.u.start.n_readers; i++)
			if (!pp_devnode_ok(m.u.start.readers[i]))
				abort();
		break;
	case PP_UPDATE:
		bounded(m.u.update.masked_pan, sizeof(m.u.update.masked_pan));
		bounded(m.u.update.message, sizeof(m.u.update.message));
		break;
	case PP_SEALED:
		if (m.u.sealed.f62_len > sizeof(m.u.sealed.f62) ||
		    m.u.sealed.f55_len > sizeof(m.u.sealed.f55) ||
		    m.u.sealed.ksn_len > sizeof(m.u.sealed.ksn) ||
		    m.u.sealed.pinblock_len > sizeof(m.u.sealed.pinblock))
			abort();
		break;
	default:
		break;
	}
	n = pp_encode(&m, again, sizeof(again));
	if (n < 0 || (size_t)n != size || memcmp(again, data, size))
		abort();
	/* a message has one direction: the other side refuses it */
	if (!pp_decode_for_card(data, size, &m, err, sizeof(err)) &&
	    !pp_decode_for_front(data, size, &m, err, sizeof(err)))
		abort();
	return 0;
}

#endif
