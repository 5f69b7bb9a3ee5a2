// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: BER-TLV as used by EMV — the shared parser of libpaytermcommon
 * in its lenient form (card responses may carry padding). */
#include "tlv.h"

int pd_tlv_next(const uint8_t *buf, size_t len, size_t *off, struct pd_tlv *t)
{
	return ptc_tlv_next(buf, len, off, t, 0);
}

int pd_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		struct pd_tlv *t)
{
	return ptc_tlv_find(buf, len, tag, t);
}

int pd_tlv_validate(const uint8_t *buf, size_t len)
{
	return ptc_tlv_validate(buf, len);
}

int pd_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag,
	       const uint8_t *val, size_t len)
{
	return ptc_tlv_put(out, cap, off, tag, val, len);
}

int pd_dol_next(const uint8_t *dol, size_t len, size_t *off, uint32_t *tag,
		size_t *vlen)
{
	return ptc_dol_next(dol, len, off, tag, vlen);
}
