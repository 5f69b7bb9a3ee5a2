/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: EMV BER-TLV (EMV 4.3 Book 3 Annex B) and DOLs.  paytermd's
 * names for the parser shared with payterm-bank in libpaytermcommon
 * (ptc_tlv_*, lib/common/payterm-common.h).  Card responses are parsed
 * leniently: 00 / FF padding between objects is skipped and long length
 * forms are accepted.
 */
#ifndef PD_TLV_H
#define PD_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "payterm-common.h"

/* struct pd_tlv is struct ptc_tlv: tag (1..3 bytes, big-endian in an
 * integer), constructed, value, len. */
#define pd_tlv ptc_tlv

/* As ptc_tlv_next() without flags: 00 / FF padding skipped.  1 object,
 * 0 end, -EBADMSG malformed. */
int pd_tlv_next(const uint8_t *buf, size_t len, size_t *off,
		struct pd_tlv *t);
/* ptc_tlv_find(), ptc_tlv_validate(), ptc_tlv_put(), ptc_dol_next(). */
int pd_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		struct pd_tlv *t);
int pd_tlv_validate(const uint8_t *buf, size_t len);
int pd_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag,
	       const uint8_t *val, size_t len);
int pd_dol_next(const uint8_t *dol, size_t len, size_t *off, uint32_t *tag,
		size_t *vlen);

#endif
