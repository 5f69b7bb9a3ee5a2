/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: EMV BER-TLV (EMV 4.3 Book 3 Annex B) and DOLs.  paytermd's
 * names for the parser shared with payterm-bank in libpaytermcommon
 * (ptc_tlv_*, daemon/common/payterm-common.h).  Card responses are parsed
 * leniently: 00 / FF padding between objects is skipped and long length
 * forms are accepted.
 */
#ifndef PD_TLV_H
#define PD_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/payterm-common.h"

/* struct pd_tlv is struct ptc_tlv: tag (1..3 bytes, big-endian in an
 * integer), constructed, value, len. */
#define pd_tlv ptc_tlv

/*
 * Parse the TLV at *@off in @buf[@len]; advance *@off past it.  Padding
 * bytes 00 and FF between objects are skipped.  Returns 1 for an object,
 * 0 at the end, -EBADMSG when malformed (tag or length runs past the end,
 * tag longer than 3 bytes, length field longer than 3 bytes).
 */
int pd_tlv_next(const uint8_t *buf, size_t len, size_t *off,
		struct pd_tlv *t);
/* Find @tag, descending into constructed objects.  1 found, 0 not,
 * -EBADMSG malformed. */
int pd_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		struct pd_tlv *t);
/* Check the whole buffer parses (recursively). */
int pd_tlv_validate(const uint8_t *buf, size_t len);

/* Append tag/length/value at *@off; -ENOSPC if it does not fit. */
int pd_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag,
	       const uint8_t *val, size_t len);

/* Data object list: one (tag, length) per call, like pd_tlv_next. */
int pd_dol_next(const uint8_t *dol, size_t len, size_t *off, uint32_t *tag,
		size_t *vlen);

#endif
