// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: EMV online-only card flow (see emv.h): selection
 * (emv_select.c), GET PROCESSING OPTIONS, READ RECORD per AFL, GENERATE
 * AC (ARQC) with CDOL1, card data and field 55 (emv_data.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emv_int.h"
#include "log.h"
#include "secure.h"
#include "tlv.h"

static int gpo(struct pd_emv *e)
{
	const struct emv_obj *pdol = emv_get(e, 0x9f38);
	uint8_t val[252], data[255];
	struct pd_tlv t;
	size_t off = 0, dlen = 0;
	int n, r;

	n = pdol ? emv_dol_fill(e, emv_val(e, pdol), pdol->len, val,
				sizeof(val)) : 0;
	if (n < 0 || pd_tlv_put(data, sizeof(data), &dlen, 0x83, val, (size_t)n))
		return emv_err(e, -EPROTO, "PDOL unusable");
	r = emv_cmd(e, 0x80, 0xa8, 0x00, 0x00, data, dlen, true);
	if (r)
		return r;
	if (e->sw == 0x6985)
		return emv_err(e, -EPERM, "conditions of use not satisfied (6985)");
	if (e->sw != 0x9000)
		return emv_err(e, -EPROTO, "GET PROCESSING OPTIONS: %04X", e->sw);
	r = pd_tlv_next(e->rx, e->rxlen, &off, &t);
	if (r != 1 || off != e->rxlen)
		return emv_err(e, -EPROTO, "GPO answer malformed");
	if (t.tag == 0x80) {
		/* format 1: AIP || AFL */
		if (t.len < 2 || emv_put(e, 0x82, t.value, 2, false) ||
		    emv_put(e, 0x94, t.value + 2, t.len - 2, false))
			return emv_err(e, -EPROTO, "GPO format 1 malformed");
	} else if (t.tag == 0x77) {
		if (pd_tlv_validate(t.value, t.len) ||
		    emv_store_tlvs(e, t.value, t.len, false))
			return emv_err(e, -EPROTO, "GPO format 2 malformed");
	} else {
		return emv_err(e, -EPROTO, "GPO answer malformed");
	}
	if (!emv_get(e, 0x82) || emv_get(e, 0x82)->len != 2)
		return emv_err(e, -EPROTO, "no AIP");
	return 0;
}

static int records(struct pd_emv *e)
{
	const struct emv_obj *o = emv_get(e, 0x94);
	uint8_t afl[252];
	size_t alen = o ? o->len : 0;
	int r;

	if (alen > sizeof(afl))
		return emv_err(e, -EPROTO, "AFL malformed");
	if (alen)	/* copied: the store grows below */
		memcpy(afl, emv_val(e, o), alen);
	if (emv_afl_check(afl, alen))
		return emv_err(e, -EPROTO, "AFL malformed");
	for (size_t i = 0; i < alen; i += 4) {
		unsigned sfi = afl[i] >> 3;

		for (unsigned n = afl[i + 1]; n <= afl[i + 2]; n++) {
			struct pd_tlv t;
			size_t off = 0;

			r = emv_read_record(e, sfi, n);
			if (r)
				return r;
			if (e->sw != 0x9000)
				return emv_err(e, -EPROTO,
					       "READ RECORD %u/%u: %04X", sfi, n,
					       e->sw);
			if (sfi > 10)
				continue;	/* proprietary format */
			if (pd_tlv_next(e->rx, e->rxlen, &off, &t) != 1 ||
			    t.tag != 0x70 || off != e->rxlen ||
			    pd_tlv_validate(t.value, t.len))
				return emv_err(e, -EPROTO,
					       "record %u/%u malformed", sfi, n);
			r = emv_store_tlvs(e, t.value, t.len, false);
			if (r == -EEXIST)
				return emv_err(e, -EPROTO,
					       "record %u/%u repeats a data object",
					       sfi, n);
			if (r)
				return emv_err(e, -EPROTO, "records too large");
		}
	}
	return 0;
}

/*
 * Format 2 GENERATE AC answer: only its own objects are taken (CID, ATC,
 * AC, IAD).  Anything else in it (an AIP, a PAN, a CDOL of other length)
 * must not replace what the terminal read before and built field 55 and
 * the card data from: ignored.
 */
static int store_ac_answer(struct pd_emv *e, const uint8_t *v, size_t len)
{
	static const uint32_t own[] = { 0x9f27, 0x9f36, 0x9f26, 0x9f10 };
	struct pd_tlv t;
	size_t off = 0;
	int r;

	while ((r = pd_tlv_next(v, len, &off, &t)) > 0) {
		for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
			if (!t.constructed && t.tag == own[i] &&
			    emv_put(e, t.tag, t.value, t.len, true))
				return -1;
	}
	return r;
}

static int generate_ac(struct pd_emv *e)
{
	const struct emv_obj *cdol1 = emv_get(e, 0x8c);
	struct pd_tlv t;
	size_t off = 0;
	uint8_t cid;
	int n, r;

	if (!cdol1)
		return emv_err(e, -EPROTO, "no CDOL1");
	if (cdol1->len > sizeof(e->cdol1))
		return emv_err(e, -EPROTO, "CDOL1 unusable");
	/* field 55 is built from this CDOL1 even if the answer repeats 8C */
	memcpy(e->cdol1, emv_val(e, cdol1), cdol1->len);
	e->cdol1_len = cdol1->len;
	n = emv_dol_fill(e, e->cdol1, e->cdol1_len, e->cdol,
			 sizeof(e->cdol) - 1);
	if (n < 0)
		return emv_err(e, -EPROTO, "CDOL1 unusable");
	e->cdol_len = (size_t)n;
	/* CID, ATC, AC and IAD are the answer's, not a record's or the GPO's */
	emv_drop(e, 0x9f27);
	emv_drop(e, 0x9f36);
	emv_drop(e, 0x9f26);
	emv_drop(e, 0x9f10);
	/* P1 80: ARQC, no CDA */
	r = emv_cmd(e, 0x80, 0xae, 0x80, 0x00, e->cdol, e->cdol_len, true);
	if (r)
		return r;
	if (e->sw == 0x6985)
		return emv_err(e, -EPERM, "conditions of use not satisfied (6985)");
	if (e->sw != 0x9000)
		return emv_err(e, -EPROTO, "GENERATE AC: %04X", e->sw);
	r = pd_tlv_next(e->rx, e->rxlen, &off, &t);
	if (r != 1 || off != e->rxlen)
		return emv_err(e, -EPROTO, "GENERATE AC answer malformed");
	if (t.tag == 0x80) {
		/* format 1: CID, ATC, AC, IAD */
		if (t.len < 11 || t.len > 11 + 32 ||
		    emv_put(e, 0x9f27, t.value, 1, true) ||
		    emv_put(e, 0x9f36, t.value + 1, 2, true) ||
		    emv_put(e, 0x9f26, t.value + 3, 8, true) ||
		    (t.len > 11 &&
		     emv_put(e, 0x9f10, t.value + 11, t.len - 11, true)))
			return emv_err(e, -EPROTO, "GENERATE AC format 1 malformed");
	} else if (t.tag == 0x77) {
		if (pd_tlv_validate(t.value, t.len) ||
		    store_ac_answer(e, t.value, t.len))
			return emv_err(e, -EPROTO, "GENERATE AC format 2 malformed");
	} else {
		return emv_err(e, -EPROTO, "GENERATE AC answer malformed");
	}
	if (!emv_get(e, 0x9f27) || emv_get(e, 0x9f27)->len != 1 ||
	    !emv_get(e, 0x9f26) || emv_get(e, 0x9f26)->len != 8 ||
	    !emv_get(e, 0x9f36) || emv_get(e, 0x9f36)->len != 2)
		return emv_err(e, -EPROTO, "GENERATE AC without CID/AC/ATC");
	cid = emv_val(e, emv_get(e, 0x9f27))[0];
	switch (cid & 0xc0) {
	case 0x80:
		return 0;
	case 0x00:
		return emv_err(e, -ECANCELED, "declined by the card (AAC)");
	default:
		return emv_err(e, -EPROTO, "card answered CID %02X to an ARQC request",
			       cid);
	}
}

/* BCD PAN of tag 5A (F padded) equals @pan? */
static bool pan_matches(const uint8_t *v, size_t len, const char *pan)
{
	size_t n = 0;

	for (size_t i = 0; i < 2 * len; i++) {
		unsigned d = (v[i / 2] >> ((i & 1) ? 0 : 4)) & 0xf;

		if (d == 0xf)
			break;
		if (d > 9 || !pan[n] || pan[n] != (char)('0' + d))
			return false;
		n++;
	}
	return !pan[n];
}

static int card_data(struct pd_emv *e, struct pd_card *card)
{
	const struct emv_obj *t57 = emv_get(e, 0x57), *psn = emv_get(e, 0x5f34);
	const struct emv_obj *pan = emv_get(e, 0x5a);
	enum pd_card_err ce;

	if (!t57)
		return emv_err(e, -EPROTO, "no track 2 equivalent data (57)");
	ce = pd_card_from_t57(emv_val(e, t57), t57->len,
			      psn && psn->len == 1 ? emv_val(e, psn)[0] : -1,
			      e->p->contactless ? PD_SRC_TAP : PD_SRC_CHIP,
			      card);
	if (ce == PD_CARD_LUHN)
		return emv_err(e, -EPROTO, "PAN check digit wrong");
	if (ce != PD_CARD_OK)
		return emv_err(e, -EPROTO, "track 2 equivalent data malformed");
	if (pan && !pan_matches(emv_val(e, pan), pan->len, card->pan)) {
		pd_card_wipe(card);
		return emv_err(e, -EPROTO, "PAN (5A) differs from tag 57");
	}
	return 0;
}

int pd_emv_read(struct pd_io *io, unsigned slot, const struct pd_config *cfg,
		const struct pd_emv_params *p, struct pd_card *card,
		uint8_t *f55, size_t f55_cap, size_t *f55_len, char *msg,
		size_t msglen)
{
	struct pd_emv *e = pd_secure_alloc(sizeof(*e));
	size_t idx = 0;
	int r;

	*f55_len = 0;
	msg[0] = '\0';
	if (!e) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	e->io = io;
	e->slot = slot;
	e->cfg = cfg;
	e->p = p;
	e->msg = msg;
	e->msglen = msglen;
	/* TVR: offline data authentication was not performed */
	e->tvr[0] = 0x80;

	r = emv_candidates(e);
	/* Book 3 10.1: 6985 to GPO -> next candidate */
	while (!r) {
		r = emv_final_select(e, &idx);
		if (!r)
			r = gpo(e);
		if (r != -EPERM)
			break;
		if (++idx >= e->n_cand)
			break;
		log_info("EMV: %s, next application", msg);
		msg[0] = '\0';
		r = 0;
	}
	if (!r)
		r = records(e);
	/* the card data is checked before a cryptogram is asked for */
	if (!r)
		r = card_data(e, card);
	if (!r)
		r = generate_ac(e);
	if (r)
		pd_card_wipe(card);
	if (!r) {
		r = emv_build_f55(e, e->cdol1, e->cdol1_len, f55, f55_cap,
				  f55_len);
		if (r) {
			pd_card_wipe(card);
			*f55_len = 0;
			r = emv_err(e, -EPROTO, "ICC data does not fit field 55");
		}
	}
	pd_secure_free(e, sizeof(*e));
	return r;
}
