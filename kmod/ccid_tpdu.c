// SPDX-License-Identifier: GPL-2.0
/*
 * payterm CCID: ISO/IEC 7816-3 protocol logic (ATR, T=0, T=1, APDU-level
 * chaining).  Plain C: no kernel dependencies, so that tests/unit/ccid can
 * build it in userspace.  See ccid_tpdu.h.
 */
#include "ccid_tpdu.h"

/* ------------------------------------------------------------------ */
/* ATR */

static const unsigned short fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0,
	0, 512, 768, 1024, 1536, 2048, 0, 0,
};

static const unsigned char di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0,
};

unsigned int ccid_atr_fi(u8 ta1)
{
	return fi_table[ta1 >> 4];
}

unsigned int ccid_atr_di(u8 ta1)
{
	return di_table[ta1 & 0x0f];
}

int ccid_atr_parse(const u8 *atr, size_t len, struct ccid_atr *out)
{
	size_t i = 2;		/* next byte */
	unsigned int n = 1;	/* index of the interface byte group */
	u8 y, t_prev = 0, td;
	bool tck_needed = false, t1_ta = false, t1_tb = false, t1_tc = false;

	memset(out, 0, sizeof(*out));
	out->ta1 = 0x11;
	out->wi = 10;
	out->ifsc = 32;
	out->bwi = 4;
	out->cwi = 13;
	out->tck_ok = true;

	if (len < 2 || len > CCID_ATR_MAX || (atr[0] != 0x3b && atr[0] != 0x3f))
		return -EINVAL;
	y = atr[1] >> 4;
	out->hist_len = atr[1] & 0x0f;

	for (;;) {
		u8 ta = 0, tb = 0, tc = 0;
		bool has_ta = y & 1, has_tb = y & 2, has_tc = y & 4;

		if (i + !!has_ta + !!has_tb + !!has_tc + !!(y & 8) > len)
			return -EINVAL;
		if (has_ta)
			ta = atr[i++];
		if (has_tb)
			tb = atr[i++];
		if (has_tc)
			tc = atr[i++];

		if (n == 1) {
			if (has_ta) {
				out->has_ta1 = true;
				out->ta1 = ta;
			}
			if (has_tc)
				out->tc1 = tc;
		} else if (n == 2) {
			if (has_ta) {
				out->specific = true;
				out->specific_proto = ta & 0x0f;
			}
			if (has_tc)
				out->wi = tc;
		}
		if (n >= 3 && t_prev == 1) {
			/* first TA/TB/TC for T=1 */
			if (has_ta && !t1_ta) {
				t1_ta = true;
				out->ifsc = ta;
			}
			if (has_tb && !t1_tb) {
				t1_tb = true;
				out->bwi = tb >> 4;
				out->cwi = tb & 0x0f;
			}
			if (has_tc && !t1_tc) {
				t1_tc = true;
				out->crc = tc & 1;
			}
		}

		if (!(y & 8))
			break;
		td = atr[i++];
		t_prev = td & 0x0f;
		if (t_prev != 0)
			tck_needed = true;
		if (t_prev != 15) {
			if (!out->protocols)
				out->proto = t_prev;
			out->protocols |= 1u << t_prev;
		}
		y = td >> 4;
		n++;
	}
	if (!out->protocols) {
		out->protocols = 1;	/* T=0 */
		out->proto = 0;
	}
	if (out->specific)
		out->proto = out->specific_proto;

	if (i + out->hist_len > len)
		return -EINVAL;
	out->hist_off = i;
	i += out->hist_len;
	if (tck_needed) {
		u8 x = 0;
		size_t k;

		if (i >= len)
			return -EINVAL;
		out->tck_present = true;
		for (k = 1; k <= i; k++)
			x ^= atr[k];
		out->tck_ok = x == 0;
		i++;
	}
	if (out->ifsc == 0 || out->ifsc == 0xff)
		out->ifsc = 32;
	/*
	 * PC/SC part 3 section 3.1.3.2.3: a contactless card's ATR built by
	 * the reader is 3B 8n 80 01 <historical bytes> TCK.
	 */
	out->contactless = atr[0] == 0x3b && (atr[1] & 0xf0) == 0x80 &&
			   len >= 5 && atr[2] == 0x80 && atr[3] == 0x01 &&
			   out->hist_off == 4;
	return 0;
}

/* @num * 1000 / @khz without overflowing 32 bits, rounded up. */
static u32 mul1000_div(u32 num, u32 khz)
{
	if (!khz)
		khz = 4000;
	return num / khz * 1000 + ((num % khz) * 1000 + khz - 1) / khz;
}

u32 ccid_atr_wwt_us(const struct ccid_atr *atr, u32 clock_khz)
{
	unsigned int fi = ccid_atr_fi(atr->ta1);

	if (!fi)
		fi = 372;
	return mul1000_div(960u * (atr->wi ? atr->wi : 10) * fi, clock_khz);
}

u32 ccid_atr_bwt_us(const struct ccid_atr *atr, u32 clock_khz)
{
	unsigned int fi = ccid_atr_fi(atr->ta1), di = ccid_atr_di(atr->ta1);
	u8 bwi = atr->bwi > 9 ? 9 : atr->bwi;

	if (!fi || !di) {
		fi = 372;
		di = 1;
	}
	return mul1000_div((1u << bwi) * 960u * 372u, clock_khz) +
	       mul1000_div(11u * fi / di, clock_khz);
}

/* ------------------------------------------------------------------ */
/* APDU */

int ccid_apdu_parse(const u8 *c, size_t len, struct ccid_apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (len < 4)
		return -EINVAL;
	if (len == 4) {
		a->apdu_case = 1;
		return 0;
	}
	if (len == 5) {
		a->apdu_case = 2;
		a->ne = c[4] ? c[4] : 256;
		return 0;
	}
	if (c[4]) {
		a->lc = c[4];
		a->data_off = 5;
		if (len == 5 + a->lc) {
			a->apdu_case = 3;
			return 0;
		}
		if (len == 6 + a->lc) {
			a->apdu_case = 4;
			a->ne = c[len - 1] ? c[len - 1] : 256;
			return 0;
		}
		return -EINVAL;
	}
	/* extended length: 00 followed by two bytes */
	a->extended = true;
	if (len < 7)
		return -EINVAL;
	if (len == 7) {
		a->apdu_case = 2;
		a->ne = (c[5] << 8) | c[6];
		if (!a->ne)
			a->ne = 65536;
		return 0;
	}
	a->lc = (c[5] << 8) | c[6];
	a->data_off = 7;
	if (!a->lc)
		return -EINVAL;
	if (len == 7 + a->lc) {
		a->apdu_case = 3;
		return 0;
	}
	if (len == 9 + a->lc) {
		a->apdu_case = 4;
		a->ne = (c[len - 2] << 8) | c[len - 1];
		if (!a->ne)
			a->ne = 65536;
		return 0;
	}
	return -EINVAL;
}

void ccid_proto_init(struct ccid_proto *p, ccid_xfer_fn xfer, void *ctx,
		     enum ccid_level level, const struct ccid_atr *atr,
		     u8 proto, u8 ifsd, bool auto_ifsd, size_t max_chunk)
{
	memset(p, 0, sizeof(*p));
	p->xfer = xfer;
	p->ctx = ctx;
	p->level = level;
	p->proto = proto;
	p->ifsc = atr && atr->ifsc ? atr->ifsc : 32;
	if (p->ifsc > CCID_T1_INF_MAX)
		p->ifsc = CCID_T1_INF_MAX;
	p->ifsd = ifsd && ifsd <= CCID_T1_INF_MAX ? ifsd : CCID_T1_INF_MAX;
	p->crc = atr ? atr->crc : false;
	p->ifsd_pending = proto == CCID_T1 && !auto_ifsd;
	p->max_chunk = max_chunk ? max_chunk : 261;
}

int ccid_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
		    u8 *rapdu, size_t rsize, size_t *rlen)
{
	if (p->level != CCID_LEVEL_TPDU)
		return ccid_apdu_transceive(p, capdu, clen, rapdu, rsize, rlen);
	if (p->proto == CCID_T1)
		return ccid_t1_transceive(p, capdu, clen, rapdu, rsize, rlen);
	return ccid_t0_transceive(p, capdu, clen, rapdu, rsize, rlen);
}

/* ------------------------------------------------------------------ */
/* T=0 (ISO/IEC 7816-3 section 12.2) */

/* Send header + P3 (+ data) as one TPDU; the response lands in @rx. */
static int t0_xfer(struct ccid_proto *p, const u8 *hdr, u8 p3,
		   const u8 *data, size_t dlen, u8 *rx, size_t rx_size,
		   size_t *rx_len)
{
	struct ccid_xfer x = { 0 };
	int ret;

	if (rx_size < 2)
		return -EMSGSIZE;
	memcpy(p->tx, hdr, 4);
	p->tx[4] = p3;
	if (dlen)
		memcpy(p->tx + 5, data, dlen);
	x.tx = p->tx;
	x.tx_len = 5 + dlen;
	x.rx = rx;
	x.rx_size = rx_size;
	ret = p->xfer(p->ctx, &x);
	if (ret)
		return ret;
	if (x.rx_len < 2 || x.rx_len > rx_size)
		return -EIO;
	*rx_len = x.rx_len;
	return 0;
}

/* GET RESPONSE class: keep the logical channel, drop chaining and SM. */
static u8 t0_get_response_cla(u8 cla)
{
	if (cla & 0x80)
		return 0x00;	/* proprietary class (EMV 80...): use 00 */
	if (cla & 0x40)
		return cla & 0x4f;
	return cla & 0x03;
}

/* ISO/IEC 7816-4 ENVELOPE: the whole command APDU in 255-byte pieces. */
static int t0_envelope(struct ccid_proto *p, const u8 *capdu, size_t clen,
		       u8 *rapdu, size_t rsize, size_t *n)
{
	u8 hdr[4] = { capdu[0] & ~0x10, 0xc2, 0, 0 };
	size_t off = 0;
	int ret;

	while (off < clen) {
		size_t chunk = clen - off > 255 ? 255 : clen - off;

		ret = t0_xfer(p, hdr, chunk, capdu + off, chunk, rapdu, rsize,
			      n);
		if (ret)
			return ret;
		off += chunk;
		if (off < clen && !(*n == 2 && rapdu[0] == 0x90 && rapdu[1] == 0))
			return 0;	/* the card refused: that is the answer */
	}
	return 0;
}

int ccid_t0_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
		       u8 *rapdu, size_t rsize, size_t *rlen)
{
	struct ccid_apdu a;
	size_t acc = 0, n = 0;
	unsigned int iter, reissue = 0;
	bool may_reissue;
	u8 gr[4];
	int ret;

	ret = ccid_apdu_parse(capdu, clen, &a);
	if (ret)
		return ret;
	gr[0] = t0_get_response_cla(capdu[0]);
	gr[1] = 0xc0;
	gr[2] = 0;
	gr[3] = 0;

	if (a.lc > 255) {
		ret = t0_envelope(p, capdu, clen, rapdu, rsize, &n);
		may_reissue = false;
	} else if (a.apdu_case == 1) {
		ret = t0_xfer(p, capdu, 0, NULL, 0, rapdu, rsize, &n);
		may_reissue = false;
	} else if (a.apdu_case == 2) {
		ret = t0_xfer(p, capdu, a.ne >= 256 ? 0 : a.ne, NULL, 0, rapdu,
			      rsize, &n);
		may_reissue = true;
	} else {
		/* case 3 and 4: the TPDU carries Lc and the data, never Le */
		ret = t0_xfer(p, capdu, a.lc, capdu + a.data_off, a.lc, rapdu,
			      rsize, &n);
		may_reissue = false;
	}
	if (ret)
		return ret;

	for (iter = 0;; iter++) {
		u8 sw1 = rapdu[acc + n - 2], sw2 = rapdu[acc + n - 1];
		unsigned int want;

		if (iter > 2 * (CCID_EXT_NE_MAX / 256) + 8)
			return -EIO;	/* a card that never stops */
		if (sw1 == 0x6c && n == 2 && may_reissue) {
			/* wrong Le: re-issue the same command with P3 = SW2 */
			u8 h[4];

			if (++reissue > 3)
				break;
			memcpy(h, p->tx, sizeof(h));
			ret = t0_xfer(p, h, sw2, NULL, 0, rapdu + acc,
				      rsize - acc, &n);
			if (ret)
				return ret;
			continue;
		}
		if (sw1 != 0x61)
			break;
		/* 61xx: keep the data, fetch the rest with GET RESPONSE */
		acc += n - 2;
		n = 2;
		want = sw2 ? sw2 : 256;
		if (a.ne && acc >= a.ne)
			break;		/* Ne bytes are there: return 61xx */
		if (a.ne && a.ne - acc < want)
			want = a.ne - acc;
		reissue = 0;
		may_reissue = true;
		ret = t0_xfer(p, gr, want == 256 ? 0 : want, NULL, 0,
			      rapdu + acc, rsize - acc, &n);
		if (ret)
			return ret;
	}
	*rlen = acc + n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* T=1 (ISO/IEC 7816-3 section 11) */

u8 ccid_t1_lrc(const u8 *buf, size_t len)
{
	u8 x = 0;

	while (len--)
		x ^= *buf++;
	return x;
}

/* CRC of ISO/IEC 13239 (x^16 + x^12 + x^5 + 1, reflected, init FFFF). */
u16 ccid_t1_crc(const u8 *buf, size_t len)
{
	u16 crc = 0xffff;
	int i;

	while (len--) {
		crc ^= *buf++;
		for (i = 0; i < 8; i++)
			crc = crc & 1 ? (crc >> 1) ^ 0x8408 : crc >> 1;
	}
	return crc ^ 0xffff;
}

size_t ccid_t1_block(u8 *out, u8 nad, u8 pcb, const u8 *inf, size_t len,
		     bool crc)
{
	out[0] = nad;
	out[1] = pcb;
	out[2] = len;
	if (len)
		memcpy(out + 3, inf, len);
	if (crc) {
		u16 c = ccid_t1_crc(out, 3 + len);

		out[3 + len] = c & 0xff;
		out[4 + len] = c >> 8;
		return 5 + len;
	}
	out[3 + len] = ccid_t1_lrc(out, 3 + len);
	return 4 + len;
}

/* Is the received block well formed (length, EDC)? */
static bool t1_valid(const struct ccid_proto *p, const u8 *b, size_t n)
{
	size_t edc = p->crc ? 2 : 1;

	if (n < 3 + edc || b[2] == 0xff || n != 3 + b[2] + edc)
		return false;
	if (p->crc) {
		u16 c = ccid_t1_crc(b, n - 2);

		return b[n - 2] == (c & 0xff) && b[n - 1] == (c >> 8);
	}
	return ccid_t1_lrc(b, n) == 0;
}

static int t1_xfer(struct ccid_proto *p, const u8 *blk, size_t len,
		   size_t *n, u8 bwi)
{
	struct ccid_xfer x = { 0 };
	int ret;

	x.tx = blk;
	x.tx_len = len;
	x.rx = p->rx;
	x.rx_size = sizeof(p->rx);
	x.bwi = bwi;
	ret = p->xfer(p->ctx, &x);
	*n = x.rx_len;
	return ret;
}

/* S(request) → S(response) exchange used for IFS and RESYNCH. */
static int t1_s_exchange(struct ccid_proto *p, u8 req, const u8 *inf,
			 size_t len)
{
	u8 blk[8];
	size_t bl, n;
	int tries, ret;

	bl = ccid_t1_block(blk, p->nad, req, inf, len, p->crc);
	for (tries = 0; tries < CCID_T1_RETRIES; tries++) {
		ret = t1_xfer(p, blk, bl, &n, 0);
		if (ret == -ETIMEDOUT)
			continue;
		if (ret)
			return ret;
		if (t1_valid(p, p->rx, n) && p->rx[1] == (req | T1_S_RESP) &&
		    p->rx[2] == len && (!len || !memcmp(p->rx + 3, inf, len)))
			return 0;
	}
	return -EIO;
}

static int t1_resync(struct ccid_proto *p)
{
	int ret;

	p->resyncs++;
	ret = t1_s_exchange(p, T1_S_RESYNCH_REQ, NULL, 0);
	if (ret)
		return ret;
	p->ns = 0;
	p->nr = 0;
	return 0;
}

/*
 * One attempt at the whole APDU.  Returns 0, a negative errno, or 1 when
 * the retries of some block ran out and a resynchronisation is needed.
 */
static int t1_exchange(struct ccid_proto *p, const u8 *capdu, size_t clen,
		       u8 *rapdu, size_t rsize, size_t *rlen)
{
	u8 blk[CCID_T1_BLOCK_MAX], last_i[CCID_T1_BLOCK_MAX];
	size_t bl, last_i_len, sent = 0, chunk, acc = 0, n;
	unsigned int errors = 0;
	bool sending = true;
	u8 bwi = 0;
	int ret;

	chunk = clen - sent > p->ifsc ? p->ifsc : clen - sent;
	last_i_len = ccid_t1_block(last_i, p->nad,
				   T1_PCB_I(p->ns, chunk < clen),
				   capdu, chunk, p->crc);
	memcpy(blk, last_i, last_i_len);
	bl = last_i_len;

	for (;;) {
		u8 pcb;

		ret = t1_xfer(p, blk, bl, &n, bwi);
		bwi = 0;
		if (ret && ret != -ETIMEDOUT)
			return ret;
		if (ret || !t1_valid(p, p->rx, n) || p->rx[0] != p->nad) {
			/* rule 7.1 / 7.2: R-block telling what we expect */
			if (++errors > CCID_T1_RETRIES)
				return 1;
			bl = ccid_t1_block(blk, p->nad,
					   T1_PCB_R(p->nr, ret ? 2 : 1), NULL,
					   0, p->crc);
			continue;
		}
		pcb = p->rx[1];

		if (!(pcb & 0x80)) {
			/* I-block */
			if (sending && sent + chunk < clen) {
				/* we were chaining: an I-block is wrong */
				if (++errors > CCID_T1_RETRIES)
					return 1;
				bl = ccid_t1_block(blk, p->nad,
						   T1_PCB_R(p->nr, 2), NULL, 0,
						   p->crc);
				continue;
			}
			if (!!(pcb & 0x40) != p->nr) {
				if (++errors > CCID_T1_RETRIES)
					return 1;
				bl = ccid_t1_block(blk, p->nad,
						   T1_PCB_R(p->nr, 2), NULL, 0,
						   p->crc);
				continue;
			}
			if (sending) {
				/* our last I-block is acknowledged */
				p->ns ^= 1;
				sending = false;
			}
			p->nr ^= 1;
			errors = 0;
			if (acc + p->rx[2] > rsize)
				return -EMSGSIZE;
			memcpy(rapdu + acc, p->rx + 3, p->rx[2]);
			acc += p->rx[2];
			if (pcb & 0x20) {
				/* the card chains: ask for the next block */
				bl = ccid_t1_block(blk, p->nad,
						   T1_PCB_R(p->nr, 0), NULL, 0,
						   p->crc);
				continue;
			}
			if (acc < 2)
				return -EIO;
			*rlen = acc;
			return 0;
		}

		if ((pcb & 0xc0) == 0x80) {
			/* R-block */
			u8 nr = !!(pcb & 0x10);

			if (sending && sent + chunk < clen && nr != p->ns &&
			    !(pcb & 0x0f)) {
				/* chained block acknowledged: next chunk */
				p->ns ^= 1;
				sent += chunk;
				chunk = clen - sent > p->ifsc ?
					p->ifsc : clen - sent;
				last_i_len = ccid_t1_block(last_i, p->nad,
							   T1_PCB_I(p->ns, sent + chunk < clen),
							   capdu + sent, chunk, p->crc);
				memcpy(blk, last_i, last_i_len);
				bl = last_i_len;
				errors = 0;
				continue;
			}
			if (++errors > CCID_T1_RETRIES)
				return 1;
			if (sending && nr == p->ns) {
				/* rule 7.4: retransmit our last I-block */
				memcpy(blk, last_i, last_i_len);
				bl = last_i_len;
			}
			/* else: resend our last block (R-block) as it is */
			continue;
		}

		/* S-block */
		switch (pcb) {
		case T1_S_WTX_REQ:
			if (p->rx[2] != 1)
				goto bad_s;
			p->wtx_count++;
			bwi = p->rx[3];
			bl = ccid_t1_block(blk, p->nad, pcb | T1_S_RESP,
					   p->rx + 3, 1, p->crc);
			continue;
		case T1_S_IFS_REQ:
			if (p->rx[2] != 1 || p->rx[3] == 0 || p->rx[3] == 0xff)
				goto bad_s;
			p->ifsc = p->rx[3] > CCID_T1_INF_MAX ?
				  CCID_T1_INF_MAX : p->rx[3];
			bl = ccid_t1_block(blk, p->nad, pcb | T1_S_RESP,
					   p->rx + 3, 1, p->crc);
			continue;
		case T1_S_ABORT_REQ:
			bl = ccid_t1_block(blk, p->nad, pcb | T1_S_RESP, NULL,
					   0, p->crc);
			t1_xfer(p, blk, bl, &n, 0);
			return -EIO;
		default:
			break;
		}
bad_s:
		if (++errors > CCID_T1_RETRIES)
			return 1;
		bl = ccid_t1_block(blk, p->nad, T1_PCB_R(p->nr, 2), NULL, 0,
				   p->crc);
	}
}

int ccid_t1_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
		       u8 *rapdu, size_t rsize, size_t *rlen)
{
	struct ccid_apdu a;
	unsigned int resyncs;
	int ret;

	ret = ccid_apdu_parse(capdu, clen, &a);
	if (ret)
		return ret;
	if (p->ifsd_pending) {
		/* announce our IFSD once after power on (11.4.2) */
		ret = t1_s_exchange(p, T1_S_IFS_REQ, &p->ifsd, 1);
		if (ret && ret != -EIO)
			return ret;
		p->ifsd_pending = false;
	}
	for (resyncs = 0; resyncs <= CCID_T1_RESYNCS; resyncs++) {
		ret = t1_exchange(p, capdu, clen, rapdu, rsize, rlen);
		if (ret <= 0)
			return ret;
		ret = t1_resync(p);
		if (ret)
			return ret;
	}
	return -EIO;
}

/* ------------------------------------------------------------------ */
/* Short / extended APDU level, with CCID chaining (CCID 6.1.4) */

#define CCID_CHAIN_BEGIN	0x01
#define CCID_CHAIN_END		0x02
#define CCID_CHAIN_MIDDLE	0x03
#define CCID_CHAIN_EMPTY	0x10

int ccid_apdu_transceive(struct ccid_proto *p, const u8 *capdu, size_t clen,
			 u8 *rapdu, size_t rsize, size_t *rlen)
{
	struct ccid_xfer x;
	struct ccid_apdu a;
	size_t off = 0, acc = 0;
	unsigned int rounds = 0;
	int ret;

	ret = ccid_apdu_parse(capdu, clen, &a);
	if (ret)
		return ret;
	if (p->level == CCID_LEVEL_SHORT_APDU && a.extended)
		return -EOPNOTSUPP;

	/* command, in pieces if needed */
	do {
		size_t chunk = clen - off > p->max_chunk ?
			       p->max_chunk : clen - off;

		memset(&x, 0, sizeof(x));
		x.tx = capdu + off;
		x.tx_len = chunk;
		x.rx = rapdu;
		x.rx_size = rsize;
		if (chunk < clen)
			x.level = !off ? CCID_CHAIN_BEGIN :
				  off + chunk < clen ? CCID_CHAIN_MIDDLE :
						       CCID_CHAIN_END;
		ret = p->xfer(p->ctx, &x);
		if (ret)
			return ret;
		off += chunk;
	} while (off < clen);

	/* response, in pieces if the reader chains it */
	for (;;) {
		acc += x.rx_len;
		if (x.chain != CCID_CHAIN_BEGIN && x.chain != CCID_CHAIN_MIDDLE)
			break;
		if (++rounds > 1024)
			return -EIO;
		if (acc >= rsize)
			return -EMSGSIZE;
		memset(&x, 0, sizeof(x));
		x.rx = rapdu + acc;
		x.rx_size = rsize - acc;
		x.level = CCID_CHAIN_EMPTY;
		ret = p->xfer(p->ctx, &x);
		if (ret)
			return ret;
	}
	if (acc < 2)
		return -EIO;
	*rlen = acc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Interrupt endpoint errors */

enum ccid_int_action ccid_int_classify(struct ccid_int_errors *e, int status,
				       u32 now_ms, unsigned int *delay_ms)
{
	unsigned int shift;

	*delay_ms = 0;
	switch (status) {
	case 0:
		e->count = 0;
		return CCID_INT_PROCESS;
	case -ENOENT:		/* usb_kill_urb() */
	case -ECONNRESET:	/* usb_unlink_urb() */
	case -ESHUTDOWN:	/* host controller or device gone */
	case -ENODEV:		/* device gone */
	case -EPERM:		/* usb_poison_urb() */
		return CCID_INT_STOP;
	default:
		break;
	}
	/* -EPIPE, -EPROTO, -EILSEQ, -ETIME, -EOVERFLOW, anything else */
	if (e->count && (u32)(now_ms - e->last_ms) > CCID_INT_QUIET_MS)
		e->count = 0;
	e->last_ms = now_ms;
	if (++e->count > CCID_INT_MAX_ERRORS)
		return CCID_INT_GIVE_UP;
	shift = e->count - 1;
	*delay_ms = CCID_INT_BACKOFF_MS << shift;
	if (*delay_ms > CCID_INT_BACKOFF_MAX_MS)
		*delay_ms = CCID_INT_BACKOFF_MAX_MS;
	return status == -EPIPE ? CCID_INT_CLEAR_HALT : CCID_INT_RETRY;
}
