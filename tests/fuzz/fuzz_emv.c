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
 * On success the card data must be a Luhn-valid PAN and field 55 must
 * carry no tag that holds card data (docs/protocol.md: the bank refuses
 * such a 0200) and fit its 255 bytes; on failure the card structure must
 * be wiped.
 */
#include "../../daemon/paytermd/emv_int.h"
#include "../../daemon/paytermd/log.h"
#include "../../daemon/paytermd/seal.h"
#include "../../daemon/paytermd/secure.h"
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
	size_t f55_len = 0, off = 0;
	struct ptc_tlv t;
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
		/*
		 * KNOWN (reported, issue 19): a CDOL1 naming tag 00, a
		 * constructed tag or a tag twice makes a field 55 that is not
		 * flat, valid BER-TLV (the bank answers 96); only the part
		 * that parses is checked here.
		 */
		while (ptc_tlv_next(f55, f55_len, &off, &t, 0) > 0)
			if (emv_card_data_tag(t.tag))
				abort();
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
