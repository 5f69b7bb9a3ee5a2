// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: EMV command/response exchange.  Commands go as short APDUs
 * (case 4 with Le 00).  A reader that works at APDU level with a T=0
 * card, or a virtual reader that passes the card's answers through,
 * may return the ISO 7816-3 procedure status words; they are handled
 * here as PC/SC applications do: 61xx -> GET RESPONSE (concatenated),
 * 6Cxx -> the command again with Le = xx (EMV Book 1 9.3.1).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "emv_int.h"
#include "secure.h"

#define MAX_PIECES	32

int emv_err(struct pd_emv *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, e->msglen, fmt, ap);
	va_end(ap);
	return err;
}

static int xfer(struct pd_emv *e, const uint8_t *c, size_t n, size_t *rlen)
{
	int r;

	*rlen = sizeof(e->chunk);
	r = e->io->ops->transmit(e->io, e->slot, c, n, e->chunk, rlen);
	if (r == -EMSGSIZE)
		return emv_err(e, -EPROTO, "card answer too long");
	if (r)
		return emv_err(e, r, "transmit: %s", strerror(-r));
	if (*rlen < 2 || *rlen > sizeof(e->chunk))
		return emv_err(e, -EPROTO, "card answer without status");
	return 0;
}

static int append(struct pd_emv *e, size_t n)
{
	if (n > sizeof(e->rx) - e->rxlen)
		return emv_err(e, -EPROTO, "card answer too long");
	memcpy(e->rx + e->rxlen, e->chunk, n);
	e->rxlen += n;
	return 0;
}

int emv_cmd(struct pd_emv *e, uint8_t cla, uint8_t ins, uint8_t p1,
	    uint8_t p2, const uint8_t *data, size_t lc, bool le)
{
	uint8_t gr[5] = { 0x00, 0xc0, 0x00, 0x00, 0x00 };
	size_t n = 4, rlen;
	unsigned pieces = 0, reissue = 0;
	bool in_gr = false;
	int r;

	if (lc > 255)
		return emv_err(e, -EINVAL, "command data too long");
	e->cmd[0] = cla;
	e->cmd[1] = ins;
	e->cmd[2] = p1;
	e->cmd[3] = p2;
	if (lc) {
		e->cmd[n++] = (uint8_t)lc;
		memcpy(e->cmd + n, data, lc);
		n += lc;
	}
	if (le)
		e->cmd[n++] = 0x00;
	pd_wipe(e->rx, e->rxlen);
	e->rxlen = 0;
	e->sw = 0;

	r = xfer(e, e->cmd, n, &rlen);
	for (;;) {
		uint8_t sw1, sw2;

		if (r)
			goto out;
		sw1 = e->chunk[rlen - 2];
		sw2 = e->chunk[rlen - 1];
		if (++pieces > MAX_PIECES) {
			r = emv_err(e, -EPROTO, "card never stops answering");
			goto out;
		}
		if (sw1 == 0x6c && (le || in_gr) && reissue++ < 3) {
			/* wrong Le: again with the length the card wants */
			if (in_gr) {
				gr[4] = sw2;
				r = xfer(e, gr, sizeof(gr), &rlen);
			} else {
				e->cmd[n - 1] = sw2;
				r = xfer(e, e->cmd, n, &rlen);
			}
			continue;
		}
		r = append(e, rlen - 2);
		if (r)
			goto out;
		if (sw1 == 0x61) {
			gr[4] = sw2;
			in_gr = true;
			reissue = 0;
			r = xfer(e, gr, sizeof(gr), &rlen);
			continue;
		}
		e->sw = (uint16_t)(sw1 << 8 | sw2);
		break;
	}
out:
	pd_wipe(e->chunk, sizeof(e->chunk));
	return r;
}

int emv_select(struct pd_emv *e, const uint8_t *name, size_t len, bool next)
{
	return emv_cmd(e, 0x00, 0xa4, 0x04, next ? 0x02 : 0x00, name, len,
		       true);
}

int emv_read_record(struct pd_emv *e, unsigned sfi, unsigned rec)
{
	return emv_cmd(e, 0x00, 0xb2, (uint8_t)rec, (uint8_t)(sfi << 3 | 4),
		       NULL, 0, true);
}
