// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: magnetic stripe track data (lib/common/track.c, ISO/IEC 7813)
 * as the reader delivers it, and what paytermd builds from it
 * (daemon/paytermd/card.c): pd_card_from_swipe() on a fetched swipe and
 * pd_card_from_t57() on a chip's track 2 equivalent data.
 * Input: a flags byte (bit 0: track 1 read OK, bit 1: track 2 read OK,
 * bit 2: reader-encrypted, bit 3: a PAN sequence number), then track 1,
 * a newline, track 2 (seeds: the tracks of tests/data/cards.json).  Parsed
 * cards must be well formed (Luhn-valid PAN of 12..19 digits, masked PAN
 * first 6 / last 4) and the field 62 plaintext the terminal builds from a
 * swipe must be one the bank accepts (bank_card_data_parse) with the same
 * PAN, expiry and service code: a swipe without them is refused, and a
 * refused swipe leaves the card structure wiped.
 */
#include "payterm-common.h"
#include "../../daemon/paytermd/card.h"
#include "../../daemon/paytermd/log.h"
#include "../../server/bank/bankcrypto.h"

#include <stdlib.h>
#include <string.h>

static struct payterm_swipe sw;

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

static void check_ptc(const struct ptc_card *c)
{
	char masked[PTC_MASKED_PAN_SIZE];
	int y, m;

	if (c->pan_len < PTC_PAN_MIN || c->pan_len > PTC_PAN_MAX ||
	    strlen(c->pan) != c->pan_len || !ptc_luhn_valid(c->pan, c->pan_len) ||
	    ptc_pan_mask(c->pan, c->pan_len, masked, sizeof(masked)))
		abort();
	if (c->expiry[0] && ptc_expiry_parse(c->expiry, &y, &m))
		abort();
	if (c->service_code[0] && strlen(c->service_code) != 3)
		abort();
	(void)ptc_service_code_chip(c->service_code);
}

static void check_card(const struct pd_card *c, bool swipe)
{
	struct bank_card_data bd;
	uint8_t f62[64];
	int n;

	if (c->pan_len < 12 || c->pan_len > 19 || strlen(c->pan) != c->pan_len ||
	    !ptc_luhn_valid(c->pan, c->pan_len) || strlen(c->masked) != c->pan_len ||
	    memcmp(c->masked, c->pan, 6) ||
	    memcmp(c->masked + c->pan_len - 4, c->pan + c->pan_len - 4, 4) ||
	    !c->t57_len || c->t57_len > PD_T57_MAX)
		abort();
	(void)pd_card_expired(c, 2026, 1);
	(void)pd_card_has_chip(c);
	n = pd_card_f62_plain(c, f62, sizeof(f62));
	if (n < 0)
		abort();
	if (!swipe)
		return;
	/* a swipe without expiry or service code is refused (tag 57 needs
	 * both), so every swipe the daemon accepts has them */
	if (strlen(c->expiry) != 4 || strlen(c->service_code) != 3 ||
	    bank_card_data_parse(f62, (size_t)n, &bd) || strcmp(bd.pan, c->pan) ||
	    strcmp(bd.expiry, c->expiry) || strcmp(bd.service_code, c->service_code))
		abort();
	memset(&bd, 0, sizeof(bd));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t1, *t2 = NULL, *nl;
	size_t l1, l2 = 0;
	struct ptc_card c;
	struct pd_card card;
	uint8_t flags;
	int r;

	pd_log_level = -1;
	if (size < 1)
		return 0;
	flags = data[0];
	t1 = (const char *)data + 1;
	l1 = size - 1;
	nl = memchr(t1, '\n', l1);
	if (nl) {
		t2 = nl + 1;
		l2 = l1 - (size_t)(t2 - t1);
		l1 = (size_t)(nl - t1);
	}
	if (l1 > PAYTERM_TRACK_MAX || l2 > PAYTERM_TRACK_MAX)
		return 0;

	/* the library's parsers on each piece */
	if (ptc_track_parse(t1, l1, &c) == 0)
		check_ptc(&c);
	ptc_card_wipe(&c);
	if (ptc_track1_parse(t1, l1, &c) == 0)
		check_ptc(&c);
	ptc_card_wipe(&c);
	if (t2 && ptc_track2_parse(t2, l2, &c) == 0)
		check_ptc(&c);
	ptc_card_wipe(&c);

	/* the daemon on a fetched swipe */
	memset(&sw, 0, sizeof(sw));
	sw.flags = flags & 4 ? PAYTERM_SWIPE_READER_ENCRYPTED : 0;
	sw.track[0].status = flags & 1 ? PAYTERM_TRACK_OK : PAYTERM_TRACK_ERROR;
	sw.track[0].length = (uint16_t)l1;
	memcpy(sw.track[0].data, t1, l1);
	if (t2) {
		sw.track[1].status = flags & 2 ? PAYTERM_TRACK_OK : PAYTERM_TRACK_ERROR;
		sw.track[1].length = (uint16_t)l2;
		memcpy(sw.track[1].data, t2, l2);
	}
	r = pd_card_from_swipe(&sw, &card);
	if (r == PD_CARD_OK)
		check_card(&card, true);
	else if (!all_zero(&card, sizeof(card)))
		abort();	/* a refused swipe leaves no card data */
	pd_card_wipe(&card);

	/* the daemon on a chip's tag 57: the same bytes as binary */
	if (pd_card_from_t57(data + 1, size - 1, flags & 8 ? 1 : -1, PD_SRC_CHIP,
			     &card) == PD_CARD_OK)
		check_card(&card, false);
	pd_card_wipe(&card);
	memset(&sw, 0, sizeof(sw));
	return 0;
}
