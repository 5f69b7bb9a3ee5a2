// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm crypto: ISO 9564-1 PIN block formats 0, 1, 2, 3 and 4. */
#include "pt_pinblock.h"
#include "pt_err.h"
#include "pt_prim.h"
#include "pt_util.h"

#include <string.h>

size_t pt_pinblock_len(int format)
{
	return (format >= 0 && format <= 3) ? 8 : format == 4 ? 16 : 0;
}

static size_t digits_len(const char *s, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n]) {
		if (s[n] < '0' || s[n] > '9')
			return (size_t)-1;
		n++;
	}
	return n;
}

int pt_pin_valid(const char *pin)
{
	size_t n;

	if (!pin)
		return PT_ERR_PIN;
	n = digits_len(pin, PT_PIN_MAX);
	return (n >= PT_PIN_MIN && n <= PT_PIN_MAX) ? PT_OK : PT_ERR_PIN;
}

int pt_pan_valid(const char *pan)
{
	size_t n;

	if (!pan)
		return PT_ERR_PAN;
	n = digits_len(pan, PT_PAN_MAX);
	return (n >= PT_PAN_MIN && n <= PT_PAN_MAX) ? PT_OK : PT_ERR_PAN;
}

static void put_nibble(uint8_t *buf, size_t i, unsigned v)
{
	if (i % 2)
		buf[i / 2] = (uint8_t)((buf[i / 2] & 0xF0) | (v & 15));
	else
		buf[i / 2] = (uint8_t)((buf[i / 2] & 0x0F) | (v & 15) << 4);
}

static unsigned get_nibble(const uint8_t *buf, size_t i)
{
	return i % 2 ? buf[i / 2] & 15u : buf[i / 2] >> 4;
}

int pt_pin_field(int format, const char *pin, const uint8_t *rnd,
		 uint8_t *field)
{
	uint8_t r[16];
	size_t n, i, blen = pt_pinblock_len(format);
	int ret;

	if (!field)
		return PT_ERR_INVALID_ARG;
	if (!blen)
		return PT_ERR_FORMAT;
	ret = pt_pin_valid(pin);
	if (ret)
		return ret;
	n = strlen(pin);
	memset(r, 0, sizeof(r));
	if (rnd) {
		memcpy(r, rnd, format == 4 ? 8 : blen);
	} else if (format == 1 || format == 3 || format == 4) {
		ret = pt_random(r, sizeof(r));
		if (ret)
			return ret;
	}
	memset(field, 0, blen);
	put_nibble(field, 0, (unsigned)format);
	put_nibble(field, 1, (unsigned)n);
	for (i = 0; i < n; i++)
		put_nibble(field, 2 + i, (unsigned)(pin[i] - '0'));
	for (i = 2 + n; i < 16; i++) {
		unsigned v;

		switch (format) {
		case 0: case 2: v = 0xF; break;
		case 1: v = get_nibble(r, i); break;
		case 3: v = 10 + get_nibble(r, i) % 6; break;	/* A-F */
		default: v = 0xA; break;			/* format 4 */
		}
		put_nibble(field, i, v);
	}
	if (format == 4)
		memcpy(field + 8, r, 8);
	pt_cleanse(r, sizeof(r));
	return PT_OK;
}

int pt_pan_field(int format, const char *pan, uint8_t *field)
{
	size_t n, i;
	int r;

	if (!field)
		return PT_ERR_INVALID_ARG;
	if (!pt_pinblock_len(format))
		return PT_ERR_FORMAT;
	memset(field, 0, pt_pinblock_len(format));
	if (format == 1 || format == 2)
		return PT_OK;		/* no PAN in these formats */
	r = pt_pan_valid(pan);
	if (r)
		return r;
	n = strlen(pan);
	if (format == 4) {
		size_t pad = n < 12 ? 12 - n : 0;

		put_nibble(field, 0, n > 12 ? (unsigned)(n - 12) : 0);
		for (i = 0; i < n; i++)
			put_nibble(field, 1 + pad + i, (unsigned)(pan[i] - '0'));
		return PT_OK;
	}
	/* formats 0, 3: 0000 || 12 rightmost digits excluding check digit */
	for (i = 0; i < 12; i++) {
		/* digit for nibble 4 + i, counting back from the check digit */
		size_t back = 12 - i;	/* 1..12 digits before the check digit */
		unsigned v = 0;

		if (n - 1 >= back)
			v = (unsigned)(pan[n - 1 - back] - '0');
		put_nibble(field, 4 + i, v);
	}
	return PT_OK;
}

int pt_pinblock_encode(int format, const char *pin, const char *pan,
		       const uint8_t *rnd, uint8_t *block, size_t *len)
{
	uint8_t pf[16], panf[16];
	size_t blen = pt_pinblock_len(format), i;
	int r;

	if (!block || !len)
		return PT_ERR_INVALID_ARG;
	if (!blen)
		return PT_ERR_FORMAT;
	r = pt_pan_field(format, pan, panf);
	if (!r)
		r = pt_pin_field(format, pin, rnd, pf);
	if (!r) {
		if (format == 4) {
			memcpy(block, pf, 16);
		} else {
			for (i = 0; i < 8; i++)
				block[i] = pf[i] ^ panf[i];
		}
		*len = blen;
	}
	pt_cleanse(pf, sizeof(pf));
	pt_cleanse(panf, sizeof(panf));
	return r;
}

int pt_pinblock_decode(int format, const uint8_t *block, size_t len,
		       const char *pan, char pin[PT_PIN_MAX + 1])
{
	uint8_t pf[16], panf[16];
	size_t blen = pt_pinblock_len(format), n, i;
	int r;

	if (!block || !pin)
		return PT_ERR_INVALID_ARG;
	if (!blen)
		return PT_ERR_FORMAT;
	if (len != blen)
		return PT_ERR_DATA_LENGTH;
	pin[0] = 0;
	r = pt_pan_field(format, pan, panf);
	if (r)
		return r;
	for (i = 0; i < blen; i++)
		pf[i] = format == 4 ? block[i] : block[i] ^ panf[i];
	r = PT_ERR_PINBLOCK;
	if (get_nibble(pf, 0) != (unsigned)format)
		goto out;
	n = get_nibble(pf, 1);
	if (n < PT_PIN_MIN || n > PT_PIN_MAX)
		goto out;
	for (i = 0; i < n; i++) {
		unsigned d = get_nibble(pf, 2 + i);

		if (d > 9)
			goto out;
		pin[i] = (char)('0' + d);
	}
	pin[n] = 0;
	for (i = 2 + n; i < 16; i++) {
		unsigned v = get_nibble(pf, i);

		if (((format == 0 || format == 2) && v != 0xF) ||
		    (format == 3 && v < 0xA) || (format == 4 && v != 0xA))
			goto out;
	}
	r = PT_OK;
out:
	if (r)
		pt_cleanse(pin, PT_PIN_MAX + 1);
	pt_cleanse(pf, sizeof(pf));
	pt_cleanse(panf, sizeof(panf));
	return r;
}

static int key_for_format(int format, size_t keylen, enum pt_alg *alg)
{
	if (!pt_pinblock_len(format))
		return PT_ERR_FORMAT;
	*alg = format == 4 ? PT_ALG_AES : PT_ALG_TDES;
	return pt_check_key(*alg, keylen);
}

int pt_pinblock_encrypt(int format, const uint8_t *key, size_t keylen,
			const char *pin, const char *pan, const uint8_t *rnd,
			uint8_t *out, size_t *outlen)
{
	uint8_t blk[16], panf[16];
	enum pt_alg alg;
	size_t len = 0, i;
	int r;

	if (!key || !out || !outlen)
		return PT_ERR_INVALID_ARG;
	r = key_for_format(format, keylen, &alg);
	if (r)
		return r;
	r = pt_pinblock_encode(format, pin, pan, rnd, blk, &len);
	if (r)
		return r;
	r = pt_ecb(alg, 1, key, keylen, blk, len, blk);
	if (!r && format == 4) {
		r = pt_pan_field(4, pan, panf);
		for (i = 0; !r && i < 16; i++)
			blk[i] ^= panf[i];
		if (!r)
			r = pt_ecb(alg, 1, key, keylen, blk, 16, blk);
	}
	if (!r) {
		memcpy(out, blk, len);
		*outlen = len;
	}
	pt_cleanse(blk, sizeof(blk));
	pt_cleanse(panf, sizeof(panf));
	return r;
}

int pt_pinblock_decrypt(int format, const uint8_t *key, size_t keylen,
			const uint8_t *in, size_t len, const char *pan,
			char pin[PT_PIN_MAX + 1])
{
	uint8_t blk[16], panf[16];
	enum pt_alg alg;
	size_t i;
	int r;

	if (!key || !in || !pin)
		return PT_ERR_INVALID_ARG;
	r = key_for_format(format, keylen, &alg);
	if (r)
		return r;
	if (len != pt_pinblock_len(format))
		return PT_ERR_DATA_LENGTH;
	r = pt_ecb(alg, 0, key, keylen, in, len, blk);
	if (!r && format == 4) {
		r = pt_pan_field(4, pan, panf);
		for (i = 0; !r && i < 16; i++)
			blk[i] ^= panf[i];
		if (!r)
			r = pt_ecb(alg, 0, key, keylen, blk, 16, blk);
	}
	if (!r)
		r = pt_pinblock_decode(format, blk, len, pan, pin);
	pt_cleanse(blk, sizeof(blk));
	pt_cleanse(panf, sizeof(panf));
	return r;
}
