/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: EMV internals shared by emv*.c (and the unit tests).  One
 * struct pd_emv lives in pd_secure_alloc() memory for the whole card
 * session: every response APDU, every record (PAN, track 2 equivalent)
 * passes only through it and it is wiped when the session ends.
 */
#ifndef PD_EMV_INT_H
#define PD_EMV_INT_H

#include "emv.h"

#define EMV_RX_MAX	1024	/* response data of one command, all pieces */
#define EMV_CHUNK	(256 + 2)
#define EMV_MAX_CANDS	16
#define EMV_MAX_OBJS	96
#define EMV_POOL	2048

struct emv_cand {
	uint8_t aid[PD_AID_MAX];
	size_t len;
	uint8_t api;		/* tag 87, 0 when absent */
	unsigned order;		/* position in the card's list */
};

struct emv_obj {
	uint32_t tag;
	uint16_t off, len;
	bool fci;		/* from the FCI: GPO / records may override */
};

struct pd_emv {
	struct pd_io *io;
	unsigned slot;
	const struct pd_config *cfg;
	const struct pd_emv_params *p;
	char *msg;
	size_t msglen;

	uint8_t cmd[5 + 255 + 1];
	uint8_t chunk[EMV_CHUNK];
	uint8_t rx[EMV_RX_MAX];		/* data of the last response */
	size_t rxlen;
	uint16_t sw;

	struct emv_cand cand[EMV_MAX_CANDS];
	size_t n_cand;

	/* data objects of the selected application: FCI, GPO, records,
	 * GENERATE AC */
	struct emv_obj obj[EMV_MAX_OBJS];
	size_t n_obj;
	uint8_t pool[EMV_POOL];
	size_t pool_len;

	bool fci_stage;
	uint8_t tvr[5];
	uint8_t cdol1[252];		/* the CDOL1 GENERATE AC was built from */
	size_t cdol1_len;
	uint8_t cdol[256];		/* CDOL1 data as sent */
	size_t cdol_len;
};

/* emv_apdu.c: one command, 61xx / 6Cxx handled; data in e->rx, SW in e->sw */
int emv_cmd(struct pd_emv *e, uint8_t cla, uint8_t ins, uint8_t p1,
	    uint8_t p2, const uint8_t *data, size_t lc, bool le);
int emv_select(struct pd_emv *e, const uint8_t *name, size_t len, bool next);
int emv_read_record(struct pd_emv *e, unsigned sfi, unsigned rec);
int emv_err(struct pd_emv *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* emv_select.c */
bool emv_aid_allowed(const struct pd_config *cfg, const uint8_t *aid,
		     size_t len);
/* Build the candidate list (sorted by priority). */
int emv_candidates(struct pd_emv *e);
/* Sort e->cand by tag 87 (1 first, 0 = none last, then card order). */
void emv_sort_candidates(struct pd_emv *e);
/* Final SELECT of candidate *@idx onwards; on success *@idx is the chosen
 * one and its FCI is stored. */
int emv_final_select(struct pd_emv *e, size_t *idx);

/* emv_data.c: data objects */
void emv_store_reset(struct pd_emv *e);
const struct emv_obj *emv_get(const struct pd_emv *e, uint32_t tag);
static inline const uint8_t *emv_val(const struct pd_emv *e,
				     const struct emv_obj *o)
{
	return e->pool + o->off;
}
/* Add (or with @replace overwrite) one object; -EEXIST duplicate
 * (an object of the FCI is overwritten, it is not a duplicate),
 * -ENOSPC full.  e->fci_stage marks what is added as FCI data. */
int emv_put(struct pd_emv *e, uint32_t tag, const uint8_t *v, size_t len,
	    bool replace);
/* Forget the object @tag, if stored. */
void emv_drop(struct pd_emv *e, uint32_t tag);
/* Store the primitive objects of @buf (recursing into templates). */
int emv_store_tlvs(struct pd_emv *e, const uint8_t *buf, size_t len,
		   bool replace);
/* Terminal data object @tag into @out (cap 32): length or 0 unknown. */
size_t emv_term_data(const struct pd_emv *e, uint32_t tag, uint8_t *out,
		     char *fmt);
/* Fill a DOL (Book 3 5.4).  Returns the length or -EBADMSG / -ENOSPC. */
int emv_dol_fill(const struct pd_emv *e, const uint8_t *dol, size_t dlen,
		 uint8_t *out, size_t cap);
/* Field 55 from the stored objects, the terminal data and the CDOL1 data
 * (@cdol1: the CDOL1 e->cdol was filled from); rules in emv_data.c */
int emv_build_f55(const struct pd_emv *e, const uint8_t *cdol1, size_t clen,
		  uint8_t *out, size_t cap, size_t *olen);
/* Tags that carry card data and never go to field 55. */
bool emv_card_data_tag(uint32_t tag);
/* AFL check: multiple of 4, SFI 1..30, 1 <= first <= last, ODA count ok */
int emv_afl_check(const uint8_t *afl, size_t len);

#endif
