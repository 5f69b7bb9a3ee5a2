// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: swipe / chip data -> struct pd_card. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "card.h"
#include "common.h"
#include "secure.h"
#include "tlv.h"

void pd_card_wipe(struct pd_card *card)
{
	pd_wipe(card, sizeof(*card));
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c == 'D' || c == 'd' || c == '=')
		return 0xd;
	return -1;
}

static bool isdigit_c(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Tag 57 (EMV Book 3): PAN (12..19 digits), separator D, expiry YYMM,
 * service code (3 digits), discretionary data (digits).  @s is that with
 * 'D' or '=' as the separator; anything else is refused, so that no
 * malformed tag 57 is ever built.
 */
static bool t57_chars_ok(const char *s, size_t n)
{
	size_t i = 0, sep;

	while (i < n && isdigit_c(s[i]))
		i++;
	if (i < PTC_PAN_MIN || i > PTC_PAN_MAX || i == n ||
	    (s[i] != 'D' && s[i] != '='))
		return false;
	sep = i++;
	while (i < n && isdigit_c(s[i]))
		i++;
	return i == n && n - sep - 1 >= 4 + 3;
}

/* pack digit/D characters into tag 57 nibbles, F padded */
static int pack_t57(const char *s, size_t n, struct pd_card *card)
{
	size_t i;

	if ((n + 1) / 2 > PD_T57_MAX)
		return -EMSGSIZE;
	if (!t57_chars_ok(s, n))
		return -EBADMSG;
	memset(card->t57, 0xff, sizeof(card->t57));
	for (i = 0; i < n; i++) {
		int v = nibble(s[i]);

		if (v < 0)
			return -EILSEQ;
		if (i & 1)
			card->t57[i / 2] = (uint8_t)((card->t57[i / 2] & 0xf0) | v);
		else
			card->t57[i / 2] = (uint8_t)((v << 4) | 0x0f);
	}
	card->t57_len = (n + 1) / 2;
	return 0;
}

static void finish(struct pd_card *card)
{
	if (ptc_pan_mask(card->pan, card->pan_len, card->masked,
			sizeof(card->masked)))
		card->masked[0] = '\0';
}

enum pd_card_err pd_card_from_swipe(const struct payterm_swipe *sw,
				    struct pd_card *card)
{
	const struct payterm_track *t1 = &sw->track[0], *t2 = &sw->track[1];
	struct ptc_card c2, c1;
	bool have1 = false, have2 = false;
	char buf[64];
	int r;

	memset(card, 0, sizeof(*card));
	if (sw->flags & PAYTERM_SWIPE_READER_ENCRYPTED)
		return PD_CARD_ENCRYPTED;
	if (t2->status == PAYTERM_TRACK_OK && t2->length <= PAYTERM_TRACK_MAX) {
		r = ptc_track2_parse((const char *)t2->data, t2->length, &c2);
		if (r == -EDOM)
			return PD_CARD_LUHN;
		have2 = !r;
	}
	if (t1->status == PAYTERM_TRACK_OK && t1->length <= PAYTERM_TRACK_MAX) {
		r = ptc_track1_parse((const char *)t1->data, t1->length, &c1);
		if (r == -EDOM && !have2) {
			ptc_card_wipe(&c2);
			return PD_CARD_LUHN;
		}
		have1 = !r;
	}
	if (have1 && have2 && strcmp(c1.pan, c2.pan)) {
		ptc_card_wipe(&c1);
		ptc_card_wipe(&c2);
		return PD_CARD_MISMATCH;
	}
	/*
	 * ISO 7813 (and ptc_track*_parse()) let a field separator stand for
	 * an absent expiry or service code; tag 57 needs both, and a track 2
	 * without them says nothing that track 1 could complete.
	 */
	if ((have2 && (!c2.expiry[0] || !c2.service_code[0])) ||
	    (!have2 && have1 && (!c1.expiry[0] || !c1.service_code[0]))) {
		if (have1)
			ptc_card_wipe(&c1);
		if (have2)
			ptc_card_wipe(&c2);
		return PD_CARD_INCOMPLETE;
	}
	if (have2) {
		/* ;PAN=YYMMSSS...?[LRC] -> the characters between ; and ? */
		const char *d = (const char *)t2->data + 1;
		const char *q = memchr(d, '?', t2->length - 1);

		card->pan_len = c2.pan_len;
		memcpy(card->pan, c2.pan, c2.pan_len);
		memcpy(card->expiry, c2.expiry, sizeof(card->expiry));
		memcpy(card->service_code, c2.service_code,
		       sizeof(card->service_code));
		r = q ? pack_t57(d, (size_t)(q - d), card) : -EBADMSG;
	} else if (have1) {
		size_t n;

		card->pan_len = c1.pan_len;
		memcpy(card->pan, c1.pan, c1.pan_len);
		memcpy(card->expiry, c1.expiry, sizeof(card->expiry));
		memcpy(card->service_code, c1.service_code,
		       sizeof(card->service_code));
		n = (size_t)snprintf(buf, sizeof(buf), "%sD%s%s", c1.pan,
				     c1.expiry, c1.service_code);
		r = pack_t57(buf, n, card);
		pd_wipe(buf, sizeof(buf));
	} else {
		r = -EBADMSG;
	}
	if (have1)
		ptc_card_wipe(&c1);
	if (have2)
		ptc_card_wipe(&c2);
	if (r || !card->expiry[0]) {
		pd_card_wipe(card);
		return PD_CARD_UNREADABLE;
	}
	card->source = PD_SRC_SWIPE;
	finish(card);
	return PD_CARD_OK;
}

enum pd_card_err pd_card_from_t57(const uint8_t *t57, size_t len, int psn,
				  enum pd_card_source src, struct pd_card *card)
{
	size_t i, n = 0, sep = 0;
	char digits[2 * PD_T57_MAX + 1];

	memset(card, 0, sizeof(*card));
	if (!len || len > PD_T57_MAX)
		return PD_CARD_UNREADABLE;
	for (i = 0; i < 2 * len; i++) {
		unsigned v = (t57[i / 2] >> ((i & 1) ? 0 : 4)) & 0xf;

		if (v == 0xf && i == 2 * len - 1)
			break;
		if (v == 0xd && !sep)
			sep = n;
		else if (v > 9)
			goto bad;
		digits[n++] = v == 0xd ? 'D' : (char)('0' + v);
	}
	digits[n] = '\0';
	if (sep < 12 || sep > 19 || n < sep + 8)
		goto bad;
	memcpy(card->pan, digits, sep);
	card->pan_len = sep;
	memcpy(card->expiry, digits + sep + 1, 4);
	memcpy(card->service_code, digits + sep + 5, 3);
	if (!ptc_luhn_valid(card->pan, card->pan_len)) {
		pd_wipe(digits, sizeof(digits));
		pd_card_wipe(card);
		return PD_CARD_LUHN;
	}
	memcpy(card->t57, t57, len);
	card->t57_len = len;
	if (psn >= 0) {
		card->has_psn = true;
		card->psn = (uint8_t)psn;
	}
	card->source = src;
	pd_wipe(digits, sizeof(digits));
	finish(card);
	return PD_CARD_OK;
bad:
	pd_wipe(digits, sizeof(digits));
	pd_card_wipe(card);
	return PD_CARD_UNREADABLE;
}

bool pd_card_expired(const struct pd_card *card, int year, int month)
{
	int y, m;

	if (ptc_expiry_parse(card->expiry, &y, &m))
		return true;
	return y < year || (y == year && m < month);
}

bool pd_card_has_chip(const struct pd_card *card)
{
	return card->service_code[0] && ptc_service_code_chip(card->service_code);
}

int pd_card_f62_plain(const struct pd_card *card, uint8_t *out, size_t cap)
{
	size_t off = 0;
	int r;

	r = pd_tlv_put(out, cap, &off, 0x57, card->t57, card->t57_len);
	if (!r && card->has_psn)
		r = pd_tlv_put(out, cap, &off, 0x5f34, &card->psn, 1);
	return r ? r : (int)off;
}
