// SPDX-License-Identifier: LGPL-2.1-or-later
/* BER-TLV as used by EMV (EMV 4.3 Book 3 Annex B) and data object lists. */
#include <errno.h>
#include <string.h>

#include "payterm-common.h"

static int read_tag(const uint8_t *buf, size_t len, size_t *off,
		    uint32_t *tag, bool *constructed)
{
	size_t o = *off;
	uint32_t t;
	int n = 1;

	if (o >= len)
		return -EBADMSG;
	t = buf[o];
	if (constructed)
		*constructed = buf[o] & 0x20;
	if ((buf[o++] & 0x1f) == 0x1f) {
		do {
			if (o >= len || ++n > 3)
				return -EBADMSG;
			t = t << 8 | buf[o];
		} while (buf[o++] & 0x80);
	}
	*tag = t;
	*off = o;
	return 0;
}

static int read_len(const uint8_t *buf, size_t len, size_t *off, size_t *vlen,
		    unsigned int flags)
{
	size_t o = *off, n, l = 0;

	if (o >= len)
		return -EBADMSG;
	if (!(buf[o] & 0x80)) {
		l = buf[o++];
	} else {
		n = buf[o++] & 0x7f;
		if (n < 1 || n > 3 || o + n > len)
			return -EBADMSG;
		/* shortest form: 81 only for 80..FF, no leading 00 byte */
		if ((flags & PTC_TLV_STRICT) && (!buf[o] || (n == 1 && buf[o] < 0x80)))
			return -EBADMSG;
		while (n--)
			l = l << 8 | buf[o++];
	}
	*vlen = l;
	*off = o;
	return 0;
}

int ptc_tlv_next(const uint8_t *buf, size_t len, size_t *off,
		 struct ptc_tlv *t, unsigned int flags)
{
	size_t o = *off, l;

	while (o < len && (buf[o] == 0x00 || buf[o] == 0xff)) {
		if (flags & PTC_TLV_STRICT)
			return -EBADMSG;
		o++;
	}
	if (o >= len) {
		*off = o;
		return 0;
	}
	if (read_tag(buf, len, &o, &t->tag, &t->constructed) ||
	    read_len(buf, len, &o, &l, flags) || l > len - o)
		return -EBADMSG;
	t->value = buf + o;
	t->len = l;
	*off = o + l;
	return 1;
}

int ptc_tlv_find(const uint8_t *buf, size_t len, uint32_t tag,
		 struct ptc_tlv *t)
{
	size_t off = 0;
	struct ptc_tlv cur;
	int r;

	while ((r = ptc_tlv_next(buf, len, &off, &cur, 0)) > 0) {
		if (cur.tag == tag) {
			*t = cur;
			return 1;
		}
		if (cur.constructed) {
			r = ptc_tlv_find(cur.value, cur.len, tag, t);
			if (r)
				return r;
		}
	}
	return r;
}

int ptc_tlv_validate(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	struct ptc_tlv cur;
	int r;

	while ((r = ptc_tlv_next(buf, len, &off, &cur, 0)) > 0)
		if (cur.constructed) {
			r = ptc_tlv_validate(cur.value, cur.len);
			if (r)
				return r;
		}
	return r;
}

int ptc_tlv_put(uint8_t *out, size_t cap, size_t *off, uint32_t tag,
		const uint8_t *val, size_t len)
{
	uint8_t hdr[8];
	size_t h = 0;

	if (tag > 0xffff)
		hdr[h++] = (uint8_t)(tag >> 16);
	if (tag > 0xff)
		hdr[h++] = (uint8_t)(tag >> 8);
	hdr[h++] = (uint8_t)tag;
	if (len < 0x80) {
		hdr[h++] = (uint8_t)len;
	} else if (len < 0x100) {
		hdr[h++] = 0x81;
		hdr[h++] = (uint8_t)len;
	} else if (len < 0x10000) {
		hdr[h++] = 0x82;
		hdr[h++] = (uint8_t)(len >> 8);
		hdr[h++] = (uint8_t)len;
	} else {
		return -EINVAL;
	}
	if (*off > cap || cap - *off < h + len)
		return -ENOSPC;
	memcpy(out + *off, hdr, h);
	if (len)
		memcpy(out + *off + h, val, len);
	*off += h + len;
	return 0;
}

int ptc_dol_next(const uint8_t *dol, size_t len, size_t *off, uint32_t *tag,
		 size_t *vlen)
{
	size_t o = *off;

	if (o >= len)
		return 0;
	if (read_tag(dol, len, &o, tag, NULL) || read_len(dol, len, &o, vlen, 0))
		return -EBADMSG;
	*off = o;
	return 1;
}
