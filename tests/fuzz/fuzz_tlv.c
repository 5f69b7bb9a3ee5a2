// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: BER-TLV (lib/common/tlv.c, EMV Book 3 Annex B) in both modes
 * and its users on the bank side (server/bank/bankcrypto.c): the lenient
 * walk, find and validate paytermd uses on card responses, the strict flat
 * parse of field 55 (bank_tlv_parse), data object lists (CDOL1) and the
 * field 62 card data plaintext (bank_card_data_parse: tags 57, 5A, 5F24,
 * 5F34).  Input: any bytes; seeds are real card responses and ICC / card
 * data of the test cards.  Objects must stay inside the buffer, a strict
 * parse must re-encode to the same bytes, and parsed card data must be
 * well formed.
 */
#include "payterm-common.h"
#include "../../server/bank/bankcrypto.h"

#include <stdlib.h>
#include <string.h>

static uint8_t again[8192];

static void inside(const uint8_t *buf, size_t len, const struct ptc_tlv *t)
{
	if (t->value < buf || t->len > len ||
	    (size_t)(t->value - buf) > len - t->len)
		abort();
}

/* recursive lenient walk, as paytermd stores card responses */
static void walk(const uint8_t *buf, size_t len, int depth)
{
	struct ptc_tlv t;
	size_t off = 0, prev = 0;
	int r;

	while ((r = ptc_tlv_next(buf, len, &off, &t, 0)) > 0) {
		inside(buf, len, &t);
		if (off <= prev || off > len)
			abort();
		prev = off;
		if (t.constructed && depth < 8)
			walk(t.value, t.len, depth + 1);
	}
}

static void strict(const uint8_t *buf, size_t len)
{
	struct ptc_tlv t;
	size_t off = 0, o2 = 0;
	int r;

	while ((r = ptc_tlv_next(buf, len, &off, &t, PTC_TLV_STRICT)) > 0) {
		inside(buf, len, &t);
		if (ptc_tlv_put(again, sizeof(again), &o2, t.tag, t.value, t.len))
			abort();
	}
	/* what parsed strictly is in the shortest form: same bytes */
	if (o2 != off || memcmp(again, buf, o2))
		abort();
	if (r == 0 && o2 != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t tags[] = { 0x57, 0x5a, 0x5f34, 0x70, 0x77, 0x80,
					 0x8c, 0x9f26, 0x9f27, 0x9f38, 0xbf0c };
	struct bank_tlv items[BANK_TLV_MAX];
	struct bank_card_data cd;
	struct ptc_tlv t;
	uint32_t dtags[32];
	size_t dlens[32], n, off;
	int r;

	if (size > sizeof(again))
		return 0;
	walk(data, size, 0);
	strict(data, size);
	(void)ptc_tlv_validate(data, size);
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (ptc_tlv_find(data, size, tags[i], &t) == 1 && t.tag != tags[i])
			abort();
	off = 0;
	while ((r = ptc_dol_next(data, size, &off, &dtags[0], &dlens[0])) > 0)
		if (off > size)
			abort();

	if (bank_tlv_parse(data, size, items, BANK_TLV_MAX, &n) == 0) {
		if (n > BANK_TLV_MAX)
			abort();
		for (size_t i = 0; i < n; i++)
			if (bank_tlv_find(items, n, items[i].tag) != &items[i])
				abort();	/* duplicates are refused */
	}
	if (bank_dol_parse(data, size, dtags, dlens, 32, &n) == 0 && n > 32)
		abort();
	if (bank_card_data_parse(data, size, &cd) == 0) {
		size_t pl = strnlen(cd.pan, sizeof(cd.pan));

		if (pl < 12 || pl > 19 || strlen(cd.expiry) != 4 ||
		    strlen(cd.service_code) != 3 || cd.psn > 99)
			abort();
		memset(&cd, 0, sizeof(cd));
	}
	return 0;
}
