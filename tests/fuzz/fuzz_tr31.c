// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: TR-31 key block parser and unwrap.  Any input must be parsed
 * or rejected with an error code, without memory errors or leaks; a block
 * that parses is re-exported with its own header and optional blocks and
 * must unwrap to the same key.
 */
#include "payterm_crypto.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t kbpk_tdes[16] = {
	0xDD, 0x75, 0x15, 0xF2, 0xBF, 0xC1, 0x7F, 0x85,
	0xCE, 0x48, 0xF3, 0xCA, 0x25, 0xCB, 0x21, 0xF6,
};
static const uint8_t kbpk_aes[32] = {
	0x88, 0xE1, 0xAB, 0x2A, 0x2E, 0x3D, 0xD3, 0x8C, 0x1F, 0xA0, 0x39, 0xA5,
	0x36, 0x50, 0x0C, 0xC8, 0xA8, 0x7A, 0xB9, 0xD6, 0x2D, 0xC9, 0x2C, 0x01,
	0x05, 0x8F, 0xA7, 0x9F, 0x44, 0x65, 0x7D, 0xE6,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_tr31_key k, out;
	size_t hdrlen;
	char *s;

	if (size > PT_TR31_MAX_LEN + 8)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	if (pt_tr31_parse(s, size, &k, &hdrlen) == PT_OK) {
		if (hdrlen > size)
			abort();
		if (pt_tr31_opt_get(&k, "KS") && strlen(pt_tr31_opt_get(&k, "KS")) > size)
			abort();
		/* re-export: fuzzed header fields and optional blocks */
		if (k.nopt < PT_TR31_MAX_OPT) {
			char *blk = malloc(PT_TR31_MAX_LEN + 1);
			int is_d = k.version == 'D';

			k.version = is_d ? 'D' : 'B';
			k.algorithm = is_d ? 'A' : 'T';
			k.keylen = 16;
			memset(k.key, 0x5A, 16);
			if (blk && pt_tr31_wrap(is_d ? kbpk_aes : kbpk_tdes, is_d ? 32 : 16,
						&k, blk, PT_TR31_MAX_LEN + 1) == PT_OK) {
				if (pt_tr31_unwrap(is_d ? kbpk_aes : kbpk_tdes, is_d ? 32 : 16,
						   blk, &out) != PT_OK)
					abort();
				if (out.keylen != 16 || memcmp(out.key, k.key, 16))
					abort();
				pt_tr31_clear(&out);
			}
			free(blk);
		}
		pt_tr31_clear(&k);
	}
	if (pt_tr31_unwrap(kbpk_tdes, 16, s, &k) == PT_OK)
		pt_tr31_clear(&k);
	if (pt_tr31_unwrap(kbpk_aes, 32, s, &k) == PT_OK)
		pt_tr31_clear(&k);
	free(s);
	return 0;
}
