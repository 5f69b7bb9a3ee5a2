// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: EMV data objects: the card's (stored in struct pd_emv), the
 * terminal's, DOL filling (Book 3 5.4) and field 55 (docs/protocol.md,
 * "ICC data").
 */
#include <errno.h>
#include <string.h>

#include "emv_int.h"
#include "secure.h"
#include "tlv.h"

void emv_store_reset(struct pd_emv *e)
{
	pd_wipe(e->pool, sizeof(e->pool));
	e->pool_len = 0;
	e->n_obj = 0;
}

const struct emv_obj *emv_get(const struct pd_emv *e, uint32_t tag)
{
	for (size_t i = 0; i < e->n_obj; i++)
		if (e->obj[i].tag == tag)
			return &e->obj[i];
	return NULL;
}

int emv_put(struct pd_emv *e, uint32_t tag, const uint8_t *v, size_t len,
	    bool replace)
{
	struct emv_obj *o = (struct emv_obj *)emv_get(e, tag);

	if (o && !replace && !o->fci)
		return -EEXIST;
	if (o)
		o->fci = e->fci_stage;
	if (o && len <= o->len) {
		pd_wipe(e->pool + o->off, o->len);
		memcpy(e->pool + o->off, v, len);
		o->len = (uint16_t)len;
		return 0;
	}
	if (len > sizeof(e->pool) - e->pool_len)
		return -ENOSPC;
	if (!o) {
		if (e->n_obj == EMV_MAX_OBJS)
			return -ENOSPC;
		o = &e->obj[e->n_obj++];
		o->tag = tag;
		o->fci = e->fci_stage;
	}
	memcpy(e->pool + e->pool_len, v, len);
	o->off = (uint16_t)e->pool_len;
	o->len = (uint16_t)len;
	e->pool_len += len;
	return 0;
}

void emv_drop(struct pd_emv *e, uint32_t tag)
{
	struct emv_obj *o = (struct emv_obj *)emv_get(e, tag);

	if (!o)
		return;
	pd_wipe(e->pool + o->off, o->len);	/* its pool bytes stay unused */
	*o = e->obj[--e->n_obj];
	memset(&e->obj[e->n_obj], 0, sizeof(e->obj[0]));
}

int emv_store_tlvs(struct pd_emv *e, const uint8_t *buf, size_t len,
		   bool replace)
{
	struct pd_tlv t;
	size_t off = 0;
	int r;

	while ((r = pd_tlv_next(buf, len, &off, &t)) > 0) {
		r = t.constructed ? emv_store_tlvs(e, t.value, t.len, replace) :
			emv_put(e, t.tag, t.value, t.len, replace);
		if (r)
			return r;
	}
	return r;
}

bool emv_card_data_tag(uint32_t tag)
{
	switch (tag) {
	case 0x57: case 0x5a: case 0x5f20: case 0x5f24: case 0x5f34:
	case 0x56: case 0x9f1f: case 0x9f20: case 0x9f6b: case 0x5f25:
	case 0x9f0b:
		return true;
	default:
		return false;
	}
}

static void bcd(uint64_t v, uint8_t *out, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		unsigned lo = (unsigned)(v % 10), hi;

		v /= 10;
		hi = (unsigned)(v % 10);
		v /= 10;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

static uint64_t num(const char *s)
{
	uint64_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v;
}

static size_t copy_an(const char *s, size_t max, uint8_t *out)
{
	size_t n = s ? strnlen(s, max) : 0;

	memcpy(out, s ? s : "", n);
	return n;
}

size_t emv_term_data(const struct pd_emv *e, uint32_t tag, uint8_t *out,
		     char *fmt)
{
	const struct pd_emv_params *p = e->p;

	*fmt = 'b';
	switch (tag) {
	case 0x9f02:			/* amount, authorised */
		*fmt = 'n';
		bcd(p->amount, out, 6);
		return 6;
	case 0x9f03:			/* amount, other */
		*fmt = 'n';
		memset(out, 0, 6);
		return 6;
	case 0x9f1a:			/* terminal country code */
		*fmt = 'n';
		bcd(num(p->country), out, 2);
		return 2;
	case 0x5f2a:			/* transaction currency code */
		*fmt = 'n';
		bcd(num(p->currency), out, 2);
		return 2;
	case 0x5f36:			/* transaction currency exponent */
		*fmt = 'n';
		out[0] = 0x02;
		return 1;
	case 0x95:			/* TVR */
		memcpy(out, e->tvr, 5);
		return 5;
	case 0x9b:			/* TSI */
		memset(out, 0, 2);
		return 2;
	case 0x9a:			/* transaction date YYMMDD */
		*fmt = 'n';
		bcd((uint64_t)(p->year % 100), out, 1);
		bcd((uint64_t)p->month, out + 1, 1);
		bcd((uint64_t)p->day, out + 2, 1);
		return 3;
	case 0x9c:			/* transaction type: purchase */
		*fmt = 'n';
		out[0] = 0x00;
		return 1;
	case 0x9f37:			/* unpredictable number */
		memcpy(out, p->unpredictable, 4);
		return 4;
	case 0x9f35:			/* terminal type: attended, online only */
		*fmt = 'n';
		out[0] = 0x21;
		return 1;
	case 0x9f33:			/* terminal capabilities */
		out[0] = 0x60;		/* magnetic stripe, IC with contacts */
		out[1] = 0x48;		/* enciphered PIN online, no CVM */
		out[2] = 0x00;		/* no offline data authentication */
		return 3;
	case 0x9f40:			/* additional terminal capabilities */
		out[0] = 0x40;		/* goods */
		out[1] = 0x00;
		out[2] = 0xb0;		/* numeric keys, command keys */
		out[3] = 0x00;
		out[4] = 0x00;
		return 5;
	case 0x9f34:			/* CVM results */
		if (p->online_pin) {
			out[0] = 0x42;	/* enciphered PIN online, next */
			out[1] = 0x03;	/* if terminal supports the CVM */
			out[2] = 0x00;	/* unknown (decided online) */
		} else {
			out[0] = 0x1f;	/* no CVM required */
			out[1] = 0x00;
			out[2] = 0x02;	/* successful */
		}
		return 3;
	case 0x9f66:			/* TTQ (contactless) */
		out[0] = 0x34;		/* EMV mode, contact chip, online PIN */
		out[1] = (uint8_t)(0x80 | (p->online_pin ? 0x40 : 0));
		out[2] = 0x00;
		out[3] = 0x00;
		return 4;
	case 0x9f1c:			/* terminal identification */
		*fmt = 'a';
		memset(out, ' ', 8);
		copy_an(e->cfg->terminal_id, 8, out);
		return 8;
	case 0x9f16:			/* merchant identifier */
		*fmt = 'a';
		memset(out, ' ', 15);
		copy_an(e->cfg->merchant_id, 15, out);
		return 15;
	case 0x9f7a:			/* VLP terminal support indicator */
		out[0] = 0x00;
		return 1;
	default:
		return 0;
	}
}

/* Book 3 5.4: fit @v[@n] of format @fmt into @len bytes at @out */
static void fit(uint8_t *out, size_t len, const uint8_t *v, size_t n,
		char fmt)
{
	if (fmt == 'n') {		/* right-aligned, leading zeros */
		if (n >= len) {
			memcpy(out, v + (n - len), len);
		} else {
			memset(out, 0, len - n);
			memcpy(out + (len - n), v, n);
		}
		return;
	}
	if (n >= len) {			/* left-aligned, trailing pad */
		memcpy(out, v, len);
	} else {
		memcpy(out, v, n);
		memset(out + n, fmt == 'c' ? 0xff : 0x00, len - n);
	}
}

int emv_dol_fill(const struct pd_emv *e, const uint8_t *dol, size_t dlen,
		 uint8_t *out, size_t cap)
{
	size_t off = 0, o = 0, len;
	uint8_t v[32];
	uint32_t tag;
	char fmt;
	int r;

	while ((r = pd_dol_next(dol, dlen, &off, &tag, &len)) > 0) {
		size_t n;

		if (len > cap - o)
			return -ENOSPC;
		/* only terminal data: card data (PAN...) never enters a DOL */
		n = emv_term_data(e, tag, v, &fmt);
		if (n)
			fit(out + o, len, v, n, fmt);
		else
			memset(out + o, 0, len);	/* unknown: zeros */
		o += len;
	}
	if (r < 0)
		return r;
	return (int)o;
}

int emv_afl_check(const uint8_t *afl, size_t len)
{
	if (len % 4)
		return -EBADMSG;
	for (size_t i = 0; i < len; i += 4) {
		unsigned sfi = afl[i] >> 3;

		if ((afl[i] & 7) || sfi < 1 || sfi > 30 || afl[i + 1] < 1 ||
		    afl[i + 2] < afl[i + 1] ||
		    afl[i + 3] > afl[i + 2] - afl[i + 1] + 1)
			return -EBADMSG;
	}
	return 0;
}

/*
 * Field 55 (docs/protocol.md, "ICC data") is flat BER-TLV of primitive
 * tags the terminal knows and supplies itself, each at most once:
 *  - the card's, from the stored objects: the cryptogram 9F26, CID 9F27,
 *    ATC 9F36 and IAD 9F10 of the GENERATE AC answer (generate_ac() drops
 *    any earlier ones), AIP 82, DF name 84, 9F09, 9F6E;
 *  - the terminal's (emv_term_data()): for a tag CDOL1 names, the value
 *    sent in GENERATE AC (the bank rebuilds the CDOL1 data from field 55),
 *    else the terminal's own value, never a value from the card; first
 *    the list below, then the other terminal data objects of CDOL1 in
 *    CDOL1 order.
 * Whatever else CDOL1 names (tag 00, a constructed or unknown tag, card
 * data, the card's own tags above) was sent to the card as zeros (Book 3
 * 5.4, emv_dol_fill()) and is not echoed; a tag named twice goes in once.
 */
static const struct {
	uint32_t tag;
	bool card;		/* the card's, else the terminal's */
} f55_tags[] = {
	{ 0x9f26, true }, { 0x9f27, true }, { 0x9f10, true },
	{ 0x9f37, false }, { 0x9f36, true }, { 0x95, false },
	{ 0x9a, false }, { 0x9c, false }, { 0x9f02, false },
	{ 0x5f2a, false }, { 0x82, true }, { 0x9f1a, false },
	{ 0x9f03, false }, { 0x84, true }, { 0x9f33, false },
	{ 0x9f34, false }, { 0x9f35, false }, { 0x9f09, true },
	{ 0x9f66, false }, { 0x9f6e, true },
};

#define N_F55_TAGS (sizeof(f55_tags) / sizeof(f55_tags[0]))

static bool in_list(uint32_t tag)
{
	for (size_t i = 0; i < N_F55_TAGS; i++)
		if (f55_tags[i].tag == tag)
			return true;
	return false;
}

/* the CDOL1 slice of @tag (its first entry); 1 found */
static int cdol_value(const struct pd_emv *e, const uint8_t *cdol1,
		      size_t clen, uint32_t want, size_t *voff, size_t *vlen)
{
	size_t off = 0, o = 0, len;
	uint32_t tag;

	while (pd_dol_next(cdol1, clen, &off, &tag, &len) > 0) {
		if (o + len > e->cdol_len)
			return 0;
		if (tag == want) {
			*voff = o;
			*vlen = len;
			return 1;
		}
		o += len;
	}
	return 0;
}

/* does CDOL1 name @tag before offset @upto? */
static bool cdol_named_before(const uint8_t *cdol1, size_t upto, uint32_t want)
{
	size_t off = 0, len;
	uint32_t tag;

	while (off < upto && pd_dol_next(cdol1, upto, &off, &tag, &len) > 0)
		if (tag == want)
			return true;
	return false;
}

/* a terminal data object: as sent in GENERATE AC, else the terminal's */
static int put_term(const struct pd_emv *e, const uint8_t *cdol1, size_t clen,
		    uint32_t tag, uint8_t *out, size_t cap, size_t *off)
{
	uint8_t v[32];
	size_t voff, vlen;
	char fmt;

	if (cdol_value(e, cdol1, clen, tag, &voff, &vlen))
		return pd_tlv_put(out, cap, off, tag, e->cdol + voff, vlen);
	if (tag == 0x9f66 && !e->p->contactless)
		return 0;
	if ((vlen = emv_term_data(e, tag, v, &fmt)))
		return pd_tlv_put(out, cap, off, tag, v, vlen);
	return 0;
}

int emv_build_f55(const struct pd_emv *e, const uint8_t *cdol1, size_t clen,
		  uint8_t *out, size_t cap, size_t *olen)
{
	size_t off = 0, doff = 0, start, len, i;
	const struct emv_obj *o;
	uint8_t v[32];
	uint32_t tag;
	char fmt;
	int r;

	for (i = 0; i < N_F55_TAGS; i++) {
		tag = f55_tags[i].tag;
		if (!f55_tags[i].card)
			r = put_term(e, cdol1, clen, tag, out, cap, &off);
		else if ((o = emv_get(e, tag)))
			r = pd_tlv_put(out, cap, &off, tag, emv_val(e, o), o->len);
		else
			r = 0;
		if (r)
			return r;
	}
	for (start = 0; (r = pd_dol_next(cdol1, clen, &doff, &tag, &len)) > 0;
	     start = doff) {
		/* only the terminal's own data objects, once each */
		if (in_list(tag) || !emv_term_data(e, tag, v, &fmt) ||
		    cdol_named_before(cdol1, start, tag))
			continue;
		r = put_term(e, cdol1, clen, tag, out, cap, &off);
		if (r)
			return r;
	}
	if (r < 0)
		return r;
	*olen = off;
	return 0;
}
