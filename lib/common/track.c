// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ISO/IEC 7813 financial magnetic stripe tracks.
 *
 * Track 1 (IATA, 6-bit alphanumeric, max 79 characters):
 *   %  B  PAN(<=19)  ^  NAME(2-26)  ^  YYMM  SVC  discretionary  ?  [LRC]
 * Track 2 (ABA, 4-bit numeric, max 40 characters):
 *   ;  PAN(<=19)  =  YYMM  SVC  discretionary  ?  [LRC]
 * An absent expiry or service code is replaced by a field separator.
 * The LRC is the XOR of the character codes (track 1: ASCII - 0x20,
 * track 2: ASCII - 0x30) of every character from start to end sentinel.
 */
#include <errno.h>
#include <string.h>

#include "payterm-common.h"

bool ptc_luhn_valid(const char *digits, size_t len)
{
	unsigned int sum = 0, d;
	bool dbl = false;
	size_t i;

	if (!digits || !len)
		return false;
	for (i = len; i-- > 0;) {
		if (digits[i] < '0' || digits[i] > '9')
			return false;
		d = (unsigned int)(digits[i] - '0');
		if (dbl) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
		dbl = !dbl;
	}
	return sum % 10 == 0;
}

int ptc_pan_mask(const char *pan, size_t len, char *out, size_t out_size)
{
	size_t i;

	if (!pan || !out)
		return -EINVAL;
	if (len < PTC_PAN_MIN || len > PTC_PAN_MAX)
		return -ERANGE;
	if (out_size < len + 1)
		return -ENOSPC;
	for (i = 0; i < len; i++)
		if (pan[i] < '0' || pan[i] > '9')
			return -EINVAL;
	for (i = 0; i < len; i++)
		out[i] = (i < 6 || i >= len - 4) ? pan[i] : '*';
	out[len] = '\0';
	return 0;
}

void ptc_card_wipe(struct ptc_card *card)
{
	ptc_wipe(card, sizeof(*card));
}

static bool isdigit_c(char c)
{
	return c >= '0' && c <= '9';
}

int ptc_expiry_parse(const char *yymm, int *year, int *month)
{
	int i, m;

	if (!yymm || !year || !month)
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if (!isdigit_c(yymm[i]))
			return -EINVAL;
	if (yymm[4] != '\0')
		return -EINVAL;
	m = (yymm[2] - '0') * 10 + (yymm[3] - '0');
	if (m < 1 || m > 12)
		return -EINVAL;
	*year = 2000 + (yymm[0] - '0') * 10 + (yymm[1] - '0');
	*month = m;
	return 0;
}

bool ptc_service_code_chip(const char *svc)
{
	return svc && (svc[0] == '2' || svc[0] == '6');
}

/* Per-track description of the format. */
struct fmt {
	int track;
	char ss, fs;		/* start sentinel, field separator */
	size_t max;		/* incl. sentinels and LRC */
	char lo, hi;		/* character set: lo..hi */
	unsigned int mask;	/* bits of a character code */
};

static const struct fmt fmt1 = { 1, '%', '^', PTC_TRACK1_MAX, 0x20, 0x5f, 0x3f };
static const struct fmt fmt2 = { 2, ';', '=', PTC_TRACK2_MAX, 0x30, 0x3f, 0x0f };

/* Fixed-width digit field, or a lone separator when absent. */
static int digit_field(const struct fmt *f, const char *d, size_t len,
		       size_t *pos, char *out, size_t width)
{
	size_t i;

	if (*pos < len && d[*pos] == f->fs) {
		(*pos)++;
		out[0] = '\0';
		return 0;
	}
	if (len - *pos < width)
		return -EBADMSG;
	for (i = 0; i < width; i++)
		if (!isdigit_c(d[*pos + i]))
			return -EBADMSG;
	memcpy(out, d + *pos, width);
	out[width] = '\0';
	*pos += width;
	return 0;
}

static int parse(const struct fmt *f, const char *d, size_t len,
		 struct ptc_card *c)
{
	unsigned int lrc = 0;
	size_t pos = 0, start, i;
	int year, month, r;

	if (len > f->max)
		return -EMSGSIZE;
	for (i = 0; i < len; i++)
		if (d[i] < f->lo || d[i] > f->hi)
			return -EILSEQ;
	if (len < 2 || d[pos++] != f->ss)
		return -EBADMSG;
	if (f->track == 1 && d[pos++] != 'B')
		return -EBADMSG;	/* format code B: financial */

	/* PAN */
	start = pos;
	while (pos < len && isdigit_c(d[pos]))
		pos++;
	if (pos >= len || d[pos] != f->fs)
		return pos < len && d[pos] != '?' ? -EILSEQ : -EBADMSG;
	if (pos - start < PTC_PAN_MIN || pos - start > PTC_PAN_MAX)
		return -ERANGE;
	c->pan_len = pos - start;
	memcpy(c->pan, d + start, c->pan_len);
	c->pan[c->pan_len] = '\0';
	pos++;

	/* name (track 1) */
	if (f->track == 1) {
		start = pos;
		while (pos < len && d[pos] != '^' && d[pos] != '?' &&
		       d[pos] != '%')
			pos++;
		if (pos >= len || d[pos] != '^' ||
		    pos - start < PTC_NAME_MIN || pos - start > PTC_NAME_MAX)
			return -EBADMSG;
		memcpy(c->name, d + start, pos - start);
		c->name[pos - start] = '\0';
		pos++;
	}

	/* expiry, service code */
	r = digit_field(f, d, len, &pos, c->expiry, 4);
	if (r)
		return r;
	if (c->expiry[0] && ptc_expiry_parse(c->expiry, &year, &month))
		return -EBADMSG;
	r = digit_field(f, d, len, &pos, c->service_code, 3);
	if (r)
		return r;

	/* discretionary data up to the end sentinel */
	start = pos;
	while (pos < len && d[pos] != '?') {
		if (d[pos] == f->ss || (f->track == 2 && !isdigit_c(d[pos])))
			return -EILSEQ;
		pos++;
	}
	if (pos >= len)
		return -EBADMSG;	/* no end sentinel */
	c->discretionary_len = pos - start;
	pos++;

	/* optional LRC */
	if (pos < len) {
		if (len - pos > 1)
			return -EBADMSG;
		for (i = 0; i < pos; i++)
			lrc ^= (unsigned int)(d[i] - f->lo) & f->mask;
		if (((unsigned int)(d[pos] - f->lo) & f->mask) != lrc)
			return -EPROTO;
		c->lrc_present = true;
	}

	if (!ptc_luhn_valid(c->pan, c->pan_len))
		return -EDOM;
	c->track = f->track;
	return 0;
}

static int parse_wiping(const struct fmt *f, const char *data, size_t len,
			struct ptc_card *card)
{
	int r;

	if (!data || !card)
		return -EINVAL;
	ptc_card_wipe(card);
	r = parse(f, data, len, card);
	if (r)
		ptc_card_wipe(card);
	return r;
}

int ptc_track1_parse(const char *data, size_t len, struct ptc_card *card)
{
	return parse_wiping(&fmt1, data, len, card);
}

int ptc_track2_parse(const char *data, size_t len, struct ptc_card *card)
{
	return parse_wiping(&fmt2, data, len, card);
}

int ptc_track_parse(const char *data, size_t len, struct ptc_card *card)
{
	if (!data || !card)
		return -EINVAL;
	if (len && data[0] == '%')
		return ptc_track1_parse(data, len, card);
	if (len && data[0] == ';')
		return ptc_track2_parse(data, len, card);
	ptc_card_wipe(card);
	return -EBADMSG;
}

const char *ptc_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -EINVAL:
		return "invalid argument";
	case -EMSGSIZE:
		return "track too long";
	case -EBADMSG:
		return "malformed track (sentinel, separator or field)";
	case -EILSEQ:
		return "character not allowed on this track";
	case -ERANGE:
		return "PAN length not 12-19 digits";
	case -EDOM:
		return "PAN check digit (Luhn) wrong";
	case -EPROTO:
		return "LRC mismatch";
	case -ENOSPC:
		return "buffer too small";
	default:
		return "error";
	}
}
