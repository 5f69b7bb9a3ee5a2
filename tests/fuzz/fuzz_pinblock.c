// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: ISO 9564 PIN block decoding.  Input: format byte, block
 * (8 or 16 bytes), then PAN/PIN text.  Decoding must either fail cleanly or
 * yield a 4-12 digit PIN that re-encodes to a block decoding to the same
 * PIN; decryption of arbitrary blocks likewise.
 */
#include "payterm_crypto.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t key_tdes[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
				      0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10 };
static const uint8_t key_aes[16] = { 0xAF, 0x8C, 0xB1, 0x33, 0xA7, 0x8F, 0x8D, 0xC2,
				     0xD1, 0x35, 0x9F, 0x18, 0x52, 0x75, 0x93, 0xFB };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pan[32], pin[PT_PIN_MAX + 1], pin2[PT_PIN_MAX + 1];
	uint8_t blk[16], again[16];
	size_t blen, len, panlen;
	int fmt;

	if (size < 1)
		return 0;
	fmt = data[0] % 6;	/* 5 = unsupported format */
	data++;
	size--;
	blen = fmt == 4 ? 16 : 8;
	if (size < blen)
		return 0;
	memcpy(blk, data, blen);
	data += blen;
	size -= blen;
	panlen = size < sizeof(pan) - 1 ? size : sizeof(pan) - 1;
	memcpy(pan, data, panlen);
	pan[panlen] = 0;

	(void)pt_pan_valid(pan);
	(void)pt_pin_valid(pan);
	if (pt_pinblock_decode(fmt, blk, blen, pan, pin) == PT_OK) {
		if (pt_pin_valid(pin) != PT_OK)
			abort();
		if (pt_pinblock_encode(fmt, pin, pan, NULL, again, &len) != PT_OK)
			abort();
		if (pt_pinblock_decode(fmt, again, len, pan, pin2) != PT_OK ||
		    strcmp(pin, pin2))
			abort();
	}
	if (pt_pinblock_decrypt(fmt, fmt == 4 ? key_aes : key_tdes, 16, blk, blen,
				pan, pin) == PT_OK) {
		if (pt_pin_valid(pin) != PT_OK)
			abort();
		if (pt_pinblock_encrypt(fmt, fmt == 4 ? key_aes : key_tdes, 16, pin,
					pan, NULL, again, &len) != PT_OK)
			abort();
		if (pt_pinblock_decrypt(fmt, fmt == 4 ? key_aes : key_tdes, 16, again,
					len, pan, pin2) != PT_OK || strcmp(pin, pin2))
			abort();
	}
	/* wrong length is always an error */
	if (pt_pinblock_decode(fmt, blk, blen - 1, pan, pin) == PT_OK)
		abort();
	return 0;
}
