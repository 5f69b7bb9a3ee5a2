// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: EMV application selection (Book 1 12.3-12.4, Book B for the
 * PPSE).  Contact: PSE directory, then the list of the configured AIDs
 * when the PSE is missing or lists nothing usable.  Contactless: PPSE
 * only (no list-of-AIDs fallback, as EMV Book B).  Candidates are the
 * card's applications whose ADF name starts with a configured AID
 * (partial selection allowed), ordered by Application Priority Indicator
 * (tag 87: 1 highest, absent last); applications that require cardholder
 * confirmation (87 bit 8) are excluded, the terminal has no cardholder
 * display to confirm on.
 */
#include <errno.h>
#include <string.h>

#include "emv_int.h"
#include "tlv.h"

static const uint8_t PSE[] = "1PAY.SYS.DDF01";
static const uint8_t PPSE[] = "2PAY.SYS.DDF01";

bool emv_aid_allowed(const struct pd_config *cfg, const uint8_t *aid,
		     size_t len)
{
	for (size_t i = 0; i < cfg->n_aids; i++)
		if (cfg->aids[i].len <= len &&
		    !memcmp(cfg->aids[i].aid, aid, cfg->aids[i].len))
			return true;
	return false;
}

static int add_cand(struct pd_emv *e, const uint8_t *aid, size_t len,
		    int api)
{
	struct emv_cand *c;

	if (len < 5 || len > PD_AID_MAX)
		return 0;		/* not an ADF name: ignore */
	if (!emv_aid_allowed(e->cfg, aid, len))
		return 0;
	if (api >= 0 && (api & 0x80))
		return 0;		/* needs cardholder confirmation */
	for (size_t i = 0; i < e->n_cand; i++)
		if (e->cand[i].len == len && !memcmp(e->cand[i].aid, aid, len))
			return 0;
	if (e->n_cand == EMV_MAX_CANDS)
		return 0;
	c = &e->cand[e->n_cand];
	memcpy(c->aid, aid, len);
	c->len = len;
	c->api = api > 0 ? (uint8_t)api : 0;
	c->order = (unsigned)e->n_cand++;
	return 1;
}

/* directory entries (tag 61) in @buf: 4F ADF name, 87 priority */
static int add_entries(struct pd_emv *e, const uint8_t *buf, size_t len)
{
	struct pd_tlv t, aid, api;
	size_t off = 0;
	int r;

	while ((r = pd_tlv_next(buf, len, &off, &t)) > 0) {
		if (t.tag != 0x61)
			continue;
		if (pd_tlv_validate(t.value, t.len) ||
		    pd_tlv_find(t.value, t.len, 0x4f, &aid) != 1)
			continue;	/* a bad entry is skipped (Book 1) */
		r = pd_tlv_find(t.value, t.len, 0x87, &api);
		add_cand(e, aid.value, aid.len,
			 r == 1 && api.len == 1 ? api.value[0] : -1);
	}
	return r;
}

static int blocked(struct pd_emv *e)
{
	return emv_err(e, -EACCES, "card blocked (6A81)");
}

static int ppse(struct pd_emv *e)
{
	struct pd_tlv fci, dir;
	int r;

	r = emv_select(e, PPSE, sizeof(PPSE) - 1, false);
	if (r)
		return r;
	if (e->sw == 0x6a81)
		return blocked(e);
	if (e->sw != 0x9000)
		return emv_err(e, -ENOENT, "no PPSE (%04X)", e->sw);
	if (pd_tlv_find(e->rx, e->rxlen, 0x6f, &fci) != 1 ||
	    pd_tlv_find(fci.value, fci.len, 0xbf0c, &dir) != 1)
		return emv_err(e, -EPROTO, "PPSE FCI without directory");
	if (add_entries(e, dir.value, dir.len) < 0)
		return emv_err(e, -EPROTO, "malformed PPSE directory");
	return 0;
}

static int pse(struct pd_emv *e)
{
	struct pd_tlv fci, sfi, rec;
	unsigned s, n;
	int r;

	r = emv_select(e, PSE, sizeof(PSE) - 1, false);
	if (r)
		return r;
	if (e->sw == 0x6a81)
		return blocked(e);
	if (e->sw != 0x9000)
		return 0;		/* no PSE: list of AIDs */
	if (pd_tlv_find(e->rx, e->rxlen, 0x6f, &fci) != 1 ||
	    pd_tlv_find(fci.value, fci.len, 0x88, &sfi) != 1 ||
	    sfi.len != 1 || sfi.value[0] < 1 || sfi.value[0] > 30)
		return 0;
	s = sfi.value[0];
	for (n = 1; n <= 16; n++) {
		r = emv_read_record(e, s, n);
		if (r)
			return r;
		if (e->sw == 0x6a83)
			break;
		if (e->sw != 0x9000 ||
		    pd_tlv_find(e->rx, e->rxlen, 0x70, &rec) != 1)
			return 0;	/* PSE unusable: list of AIDs */
		if (add_entries(e, rec.value, rec.len) < 0)
			return 0;
	}
	return 0;
}

/* Book 1 12.3.3: each configured AID, with SELECT next for partial names */
static int aid_list(struct pd_emv *e)
{
	struct pd_tlv fci, df, api;
	int r;

	for (size_t i = 0; i < e->cfg->n_aids; i++) {
		const struct pd_aid *a = &e->cfg->aids[i];
		bool next = false;

		for (unsigned k = 0; k < EMV_MAX_CANDS; k++) {
			r = emv_select(e, a->aid, a->len, next);
			if (r)
				return r;
			if (e->sw == 0x6a81)
				return blocked(e);
			if (e->sw != 0x9000 && e->sw != 0x6283)
				break;
			if (pd_tlv_find(e->rx, e->rxlen, 0x6f, &fci) != 1 ||
			    pd_tlv_find(fci.value, fci.len, 0x84, &df) != 1)
				break;
			if (df.len < a->len || memcmp(df.value, a->aid, a->len))
				break;
			if (e->sw == 0x9000) {
				r = pd_tlv_find(fci.value, fci.len, 0x87, &api);
				add_cand(e, df.value, df.len,
					 r == 1 && api.len == 1 ?
					 api.value[0] : -1);
			}
			if (df.len == a->len)
				break;	/* exact match: no other occurrence */
			next = true;
		}
	}
	return 0;
}

void emv_sort_candidates(struct pd_emv *e)
{
	/* insertion sort: stable, a handful of entries */
	for (size_t i = 1; i < e->n_cand; i++) {
		struct emv_cand c = e->cand[i];
		unsigned pc = (c.api & 0x0f) ? (c.api & 0x0f) : 16;
		size_t j = i;

		while (j > 0) {
			const struct emv_cand *b = &e->cand[j - 1];
			unsigned pb = (b->api & 0x0f) ? (b->api & 0x0f) : 16;

			if (pb < pc || (pb == pc && b->order < c.order))
				break;
			e->cand[j] = e->cand[j - 1];
			j--;
		}
		e->cand[j] = c;
	}
}

int emv_candidates(struct pd_emv *e)
{
	int r;

	e->n_cand = 0;
	if (e->p->contactless) {
		r = ppse(e);
	} else {
		r = pse(e);
		if (!r && !e->n_cand)
			r = aid_list(e);
	}
	if (r)
		return r;
	if (!e->n_cand)
		return emv_err(e, -ENOENT, "no supported application");
	emv_sort_candidates(e);
	return 0;
}

int emv_final_select(struct pd_emv *e, size_t *idx)
{
	struct pd_tlv fci, a5, df;
	int r;

	for (; *idx < e->n_cand; (*idx)++) {
		const struct emv_cand *c = &e->cand[*idx];

		r = emv_select(e, c->aid, c->len, false);
		if (r)
			return r;
		if (e->sw == 0x6a81)
			return blocked(e);
		if (e->sw != 0x9000)
			continue;	/* 6283 application blocked, ... */
		if (pd_tlv_validate(e->rx, e->rxlen) ||
		    pd_tlv_find(e->rx, e->rxlen, 0x6f, &fci) != 1 ||
		    pd_tlv_find(fci.value, fci.len, 0x84, &df) != 1 ||
		    df.len != c->len || memcmp(df.value, c->aid, c->len))
			continue;	/* FCI unusable (Book 1 12.4) */
		emv_store_reset(e);
		if (emv_put(e, 0x84, df.value, df.len, false) ||
		    emv_put(e, 0x4f, df.value, df.len, false))
			return emv_err(e, -EPROTO, "FCI too large");
		e->fci_stage = true;
		r = pd_tlv_find(fci.value, fci.len, 0xa5, &a5) == 1 ?
			emv_store_tlvs(e, a5.value, a5.len, false) : 0;
		e->fci_stage = false;
		if (r)
			continue;
		return 0;
	}
	return emv_err(e, -ENOENT, "no application could be selected");
}
