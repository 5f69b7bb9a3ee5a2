/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpaytermcommon: small helpers shared by paytermctl and paytermd.
 *
 *  - ISO/IEC 7813 magnetic stripe track 1 / track 2 parsing and validation
 *  - PAN masking (first 6 / last 4), Luhn check
 *  - hex encode / decode, base64url (no padding)
 *  - BER-TLV (EMV) parsing and building, data object lists
 *  - secure wipe
 *
 * Every function returns 0 on success or a negative errno; see
 * ptc_strerror() for the meaning of the errors the track parsers return.
 * Buffers that held card data are wiped before the functions return, and
 * on failure the output structure is wiped too.
 */
#ifndef PAYTERM_COMMON_H
#define PAYTERM_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- wiping ---------------------------------------------------------- */

/* Overwrite @len bytes at @p with zeros; never optimised away. */
void ptc_wipe(void *p, size_t len);
/* ptc_wipe() then free(); @p may be NULL. */
void ptc_wipe_free(void *p, size_t len);

/* ---- hex ------------------------------------------------------------- */

/*
 * Encode @len bytes as upper-case hex into @out (NUL-terminated).  With
 * @sep non-zero, that character separates the bytes ("3B 68 00").
 * -ENOSPC if @out_size is too small, -EINVAL on NULL pointers.
 */
int ptc_hex_encode(const void *in, size_t len, char *out, size_t out_size,
		  char sep);
/* Bytes ptc_hex_encode() needs for @len bytes, NUL included. */
size_t ptc_hex_encoded_size(size_t len, char sep);

/*
 * Decode hex text (either case).  Spaces, tabs and ':' are accepted between
 * bytes, never inside one.  -EINVAL on a bad character or an odd number of
 * digits, -ENOSPC if more than @out_size bytes.  *@out_len = bytes written.
 */
int ptc_hex_decode(const char *hex, void *out, size_t out_size,
		  size_t *out_len);

/* Lower-case hex, no separator (digests, ids on the wire). */
int ptc_hex_encode_lower(const void *in, size_t len, char *out,
			 size_t out_size);

/*
 * Strict decode of exactly @hexlen characters (no NUL needed, no
 * separators, either case).  -EINVAL on an odd count or any non-hex
 * character, -ENOSPC if more than @out_size bytes; nothing is written to
 * @out on failure.  (libpaytermcrypto's pt_hex_decode_n() is this.)
 */
int ptc_hex_decode_n(const char *hex, size_t hexlen, void *out,
		     size_t out_size, size_t *out_len);

/* ---- base64url (RFC 4648 section 5, no padding) ----------------------- */

/* Bytes ptc_b64url_encode() needs for @len bytes, NUL included. */
size_t ptc_b64url_encoded_size(size_t len);
/* Encode without padding, NUL-terminated; -ENOSPC, -EINVAL as for hex. */
int ptc_b64url_encode(const void *in, size_t len, char *out, size_t out_size);
/*
 * Decode @len characters of unpadded base64url.  Refused with -EINVAL:
 * padding ('='), any character outside A-Z a-z 0-9 - _ (NUL included), a
 * length of 4n + 1, and non-zero trailing bits (one text per byte
 * string).  -ENOSPC if more than @out_size bytes.  On failure *@out_len
 * is 0 and what was written is wiped.
 */
int ptc_b64url_decode(const char *in, size_t len, void *out, size_t out_size,
		      size_t *out_len);

/* ---- BER-TLV (EMV 4.3 Book 3 Annex B) -------------------------------- */

struct ptc_tlv {
	uint32_t tag;		/* 1..3 tag bytes, big-endian in an integer */
	bool constructed;
	const uint8_t *value;	/* points into the parsed buffer */
	size_t len;
};

/* ptc_tlv_next() @flags: DER-like input, for data from the wire that is
 * parsed flat: no 00 / FF padding between objects, every length in its
 * shortest form (81 only for 80..FF, no leading 00 length byte). */
#define PTC_TLV_STRICT	0x1u

/*
 * Parse the TLV at *@off in @buf[@len]; advance *@off past it.  Padding
 * bytes 00 and FF between objects are skipped (unless PTC_TLV_STRICT).
 * Returns 1 for an object, 0 at the end, -EBADMSG when malformed (tag or
 * length runs past the end, tag longer than 3 bytes, length field longer
 * than 3 bytes; with PTC_TLV_STRICT also padding and long length forms).
 */
int ptc_tlv_next(const uint8_t *buf, size_t len, size_t *off,
		 struct ptc_tlv *t, unsigned int flags);
/* Find @tag, descending into constructed objects.  1 found, 0 not,
 * -EBADMSG malformed. */
int ptc_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		 struct ptc_tlv *t);
/* 0 when the whole buffer parses (recursively), else -EBADMSG. */
int ptc_tlv_validate(const uint8_t *buf, size_t len);
/* Append tag/length/value at *@off (shortest length form); -ENOSPC if it
 * does not fit, -EINVAL for a value of 64 KiB or more. */
int ptc_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag,
		const uint8_t *val, size_t len);
/* Data object list: one (tag, length) per call, like ptc_tlv_next(). */
int ptc_dol_next(const uint8_t *dol, size_t len, size_t *off, uint32_t *tag,
		 size_t *vlen);

/* ---- PAN ------------------------------------------------------------- */

#define PTC_PAN_MIN	12
#define PTC_PAN_MAX	19
/* first 6, last 4, '*' in between: same length as the PAN */
#define PTC_MASKED_PAN_SIZE	(PTC_PAN_MAX + 1)

/* Luhn (mod 10) check of @len ASCII digits; false on any non-digit. */
bool ptc_luhn_valid(const char *digits, size_t len);

/*
 * Mask a PAN of PTC_PAN_MIN..PTC_PAN_MAX digits: "411111******1111".
 * -ERANGE for another length, -EINVAL for non-digits, -ENOSPC if
 * @out_size < len + 1.
 */
int ptc_pan_mask(const char *pan, size_t len, char *out, size_t out_size);

/* ---- tracks ---------------------------------------------------------- */

#define PTC_TRACK1_MAX	79	/* characters incl. sentinels and LRC */
#define PTC_TRACK2_MAX	40
#define PTC_NAME_MIN	2
#define PTC_NAME_MAX	26

struct ptc_card {
	int track;			/* 1 or 2: the track parsed */
	char pan[PTC_PAN_MAX + 1];	/* NUL-terminated digits */
	size_t pan_len;
	char name[PTC_NAME_MAX + 1];	/* track 1 only, as recorded */
	char expiry[5];			/* "YYMM", "" when absent */
	char service_code[4];		/* "NNN", "" when absent */
	size_t discretionary_len;	/* discretionary data is not kept */
	bool lrc_present;		/* an LRC followed the end sentinel */
};

/*
 * Parse and validate ISO/IEC 7813 track data:
 *   track 1: %B<PAN>^<NAME>^<YYMM|^><SVC|^><discretionary>?[LRC]
 *   track 2: ;<PAN>=<YYMM|=><SVC|=><discretionary>?[LRC]
 * (@len bytes at @data, no NUL needed).  Checks sentinels, format code,
 * field separators, lengths, character set, PAN length and Luhn digit,
 * expiry month and, when present, the LRC.  An expiry or service code
 * replaced by a field separator is accepted, as ISO/IEC 7813 allows, and
 * left empty in *@card: a caller that needs them (paytermd: a tag 57 for
 * a payment) must refuse such a track itself.
 *
 * Errors: -EINVAL  NULL argument
 *         -EMSGSIZE track longer than the format allows
 *         -EBADMSG  missing sentinel, format code or field separator,
 *                   bad name / expiry / service code field
 *         -EILSEQ   character outside the track's character set
 *         -ERANGE   PAN not PTC_PAN_MIN..PTC_PAN_MAX digits
 *         -EDOM     PAN check digit (Luhn) wrong
 *         -EPROTO   LRC mismatch
 * On error *@card is wiped.
 */
int ptc_track1_parse(const char *data, size_t len, struct ptc_card *card);
int ptc_track2_parse(const char *data, size_t len, struct ptc_card *card);
/* Dispatch on the start sentinel ('%' track 1, ';' track 2). */
int ptc_track_parse(const char *data, size_t len, struct ptc_card *card);

/* Wipe everything *@card holds. */
void ptc_card_wipe(struct ptc_card *card);

/* Expiry "YYMM" -> year (2000 + YY) and month 1..12; -EINVAL if invalid. */
int ptc_expiry_parse(const char *yymm, int *year, int *month);

/*
 * Service code "NNN": true when the first digit says the card has a chip
 * (2 or 6), i.e. a terminal with an IC reader should ask for the chip.
 */
bool ptc_service_code_chip(const char *svc);

/* A short English description of the errors above (never NULL). */
const char *ptc_strerror(int err);

#endif /* PAYTERM_COMMON_H */
