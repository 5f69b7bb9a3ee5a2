// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: paytermd's EMV card flow, pd_emv_read() (daemon/paytermd/
 * emv*.c, tlv.c, card.c), against a card whose every answer comes from the
 * input: PSE / PPSE FCI and directory records, the ADF's FCI and PDOL, the
 * GET PROCESSING OPTIONS answer (format 1 / 2, AIP, AFL), the records (tag
 * 57, 5A, 5F34, CDOL1), GENERATE AC (format 1 / 2, CID, ATC, AC), and the
 * T=0 procedure bytes 61xx / 6Cxx in between.  That is every parser of card
 * data in the daemon, reached the way a card reaches it.
 *
 * Input: a flags byte (bit 0 contactless, bit 1 online PIN), then the
 * answers in order, each a 2-byte big-endian length and that many bytes
 * (data and SW1 SW2).  When the answers run out the card is mute.  The
 * seeds are whole sessions of the test cards of tests/data/cards.json as
 * tests/fakes/emv_card.py answers them (tests/fuzz/make-seeds records them
 * with PAYTERM_FUZZ_EMV_TRACE=FILE, which makes this harness write each
 * command APDU it is sent to FILE as a hex line; PAYTERM_FUZZ_VERBOSE
 * prints the outcome).
 *
 * On success the card data must be a Luhn-valid PAN and field 55 must fit
 * its 255 bytes and be what the bank accepts (docs/protocol.md, "ICC
 * data"; bank_tlv_parse(): flat, primitive, shortest lengths, each tag
 * once) with no tag that holds card data, only tags the terminal supplies
 * (the card's 9F26 9F27 9F36 9F10 82 84 9F09 9F6E, its own terminal data),
 * and the cryptogram, CID, ATC and IAD of the card's GENERATE AC answer
 * (the harness keeps that answer as emv_cmd() assembles it); on failure
 * the card structure must be wiped.
 */
#include "../../daemon/paytermd/emv_int.h"
#include "../../daemon/paytermd/log.h"
#include "../../daemon/paytermd/seal.h"
#include "../../daemon/paytermd/secure.h"
#include "../../server/bank/bankcrypto.h"
#include "payterm-common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fcard {
	struct pd_io io;
	const uint8_t *p;
	size_t left;
	FILE *trace;
	/* the data of the GENERATE AC answer: the pieces of the last
	 * GENERATE AC and its GET RESPONSEs, without SW; 6Cxx answers are
	 * dropped (in a read that succeeds emv_cmd() reissued each one) */
	bool in_ac;
	uint8_t ac[EMV_RX_MAX];
	size_t ac_len;
};

static int f_transmit(struct pd_io *io, unsigned slot, const uint8_t *c,
		      size_t n, uint8_t *r, size_t *rl)
{
	struct fcard *f = (struct fcard *)io;
	size_t len;

	if (f->trace) {
		for (size_t i = 0; i < n; i++)
			fprintf(f->trace, "%02X", c[i]);
		fputc('\n', f->trace);
	}
	if (f->left < 2)
		return -ETIMEDOUT;
	len = (size_t)f->p[0] << 8 | f->p[1];
	f->p += 2;
	f->left -= 2;
	if (len > f->left)
		len = f->left;
	if (len > *rl)
		return -EMSGSIZE;	/* as the ioctl for a short buffer */
	if (n >= 2 && c[1] == 0xae) {
		f->in_ac = true;
		f->ac_len = 0;
	} else if (n < 2 || c[1] != 0xc0) {
		f->in_ac = false;
	}
	if (f->in_ac && len >= 2 && f->p[len - 2] != 0x6c &&
	    len - 2 <= sizeof(f->ac) - f->ac_len) {
		memcpy(f->ac + f->ac_len, f->p, len - 2);
		f->ac_len += len - 2;
	}
	memcpy(r, f->p, len);
	*rl = len;
	f->p += len;
	f->left -= len;
	return 0;
}

static int f_ok(struct pd_io *io)
{
	return 0;
}

static const struct pd_io_ops ops = {
	.claim = f_ok, .release = f_ok, .transmit = f_transmit,
};

static struct pd_config cfg;

/* the card's tags field 55 carries; the GENERATE AC ones first */
static const uint32_t card_tags[] = {
	0x9f26, 0x9f27, 0x9f36, 0x9f10, 0x82, 0x84, 0x9f09, 0x9f6e,
};

struct ac_tags {
	const uint8_t *v[4];
	size_t len[4];
};

/* as emv_store_tlvs() with replace: the last occurrence, into templates */
static void ac_walk(const uint8_t *b, size_t n, struct ac_tags *a)
{
	struct ptc_tlv t;
	size_t off = 0;

	while (ptc_tlv_next(b, n, &off, &t, 0) > 0) {
		if (t.constructed) {
			ac_walk(t.value, t.len, a);
			continue;
		}
		for (size_t i = 0; i < 4; i++)
			if (t.tag == card_tags[i]) {
				a->v[i] = t.value;
				a->len[i] = t.len;
			}
	}
}

/* 9F26 9F27 9F36 9F10 of the GENERATE AC answer (format 1 or 2) */
static void ac_tags(const uint8_t *b, size_t n, struct ac_tags *a)
{
	struct ptc_tlv t;
	size_t off = 0;

	memset(a, 0, sizeof(*a));
	if (ptc_tlv_next(b, n, &off, &t, 0) != 1 || off != n)
		abort();	/* generate_ac() accepted it */
	if (t.tag == 0x77) {
		ac_walk(t.value, t.len, a);
	} else if (t.tag == 0x80 && t.len >= 11) {
		a->v[1] = t.value;
		a->len[1] = 1;
		a->v[2] = t.value + 1;
		a->len[2] = 2;
		a->v[0] = t.value + 3;
		a->len[0] = 8;
		if (t.len > 11) {
			a->v[3] = t.value + 11;
			a->len[3] = t.len - 11;
		}
	} else {
		abort();
	}
}

/* field 55 as docs/protocol.md and the bank want it */
static void check_f55(const struct pd_emv_params *p, const uint8_t *f55,
		      size_t len, const struct fcard *f)
{
	struct bank_tlv it[BANK_TLV_MAX];
	struct pd_emv e = { .cfg = &cfg, .p = p };
	const struct bank_tlv *b;
	struct ac_tags a;
	uint8_t v[32];
	size_t n;
	char fmt;

	if (bank_tlv_parse(f55, len, it, BANK_TLV_MAX, &n))
		abort();
	for (size_t i = 0; i < n; i++) {
		bool known = emv_term_data(&e, it[i].tag, v, &fmt) > 0;

		for (size_t j = 0; j < sizeof(card_tags) / sizeof(card_tags[0]); j++)
			known |= it[i].tag == card_tags[j];
		if (!known || emv_card_data_tag(it[i].tag))
			abort();
	}
	ac_tags(f->ac, f->ac_len, &a);
	for (size_t i = 0; i < 4; i++) {
		b = bank_tlv_find(it, n, card_tags[i]);
		if (!a.v[i] != !b || (b && (b->len != a.len[i] ||
					    memcmp(b->val, a.v[i], b->len))))
			abort();
	}
	b = bank_tlv_find(it, n, 0x82);
	if (!b || b->len != 2)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* the AIDs of paytermd.conf's default (Visa, Visa Electron, MC) */
	static const uint8_t aids[][7] = {
		{ 0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10 },
		{ 0xA0, 0x00, 0x00, 0x00, 0x03, 0x20, 0x10 },
		{ 0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10 },
	};

	pd_log_level = -1;
	for (size_t i = 0; i < 3; i++) {
		memcpy(cfg.aids[i].aid, aids[i], 7);
		cfg.aids[i].len = 7;
	}
	cfg.n_aids = 3;
	memcpy(cfg.country, "276", 4);
	cfg.terminal_id = (char *)"T1";
	cfg.merchant_id = (char *)"M1";
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcard f = { .io = { .ops = &ops, .fd = -1 } };
	struct pd_emv_params p = {
		.amount = 1234, .currency = "978", .country = "276",
		.year = 2026, .month = 1, .day = 1,
		.unpredictable = { 0xDE, 0xAD, 0xBE, 0xEF },
	};
	const char *trace = getenv("PAYTERM_FUZZ_EMV_TRACE");
	uint8_t f55[PD_F55_MAX];
	struct pd_card *card;
	size_t f55_len = 0;
	char msg[160];
	int r;

	if (size < 1)
		return 0;
	p.contactless = data[0] & 1;
	p.online_pin = data[0] & 2;
	f.p = data + 1;
	f.left = size - 1;
	if (trace && !(f.trace = fopen(trace, "w")))
		abort();
	card = pd_secure_alloc(sizeof(*card));
	if (!card)
		abort();
	r = pd_emv_read(&f.io, 0, &cfg, &p, card, f55, sizeof(f55), &f55_len,
			msg, sizeof(msg));
	if (f.trace)
		fclose(f.trace);
	if (getenv("PAYTERM_FUZZ_VERBOSE"))
		fprintf(stderr, "pd_emv_read: %d %s (field 55: %zu bytes)\n", r,
			msg, f55_len);
	if (r == 0) {
		if (card->pan_len < 12 || card->pan_len > 19 ||
		    !ptc_luhn_valid(card->pan, card->pan_len) ||
		    !card->t57_len || card->t57_len > PD_T57_MAX ||
		    f55_len > sizeof(f55))
			abort();
		check_f55(&p, f55, f55_len, &f);
	} else {
		/* a failed read leaves no card data behind */
		for (size_t i = 0; i < sizeof(*card); i++)
			if (((const uint8_t *)card)[i])
				abort();
		if (f55_len || r > 0)
			abort();
	}
	pd_secure_free(card, sizeof(*card));
	return 0;
}
