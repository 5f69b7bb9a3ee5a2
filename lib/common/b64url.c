// SPDX-License-Identifier: LGPL-2.1-or-later
/* base64url without padding (RFC 4648 section 5, RFC 7515 section 2). */
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

#include "payterm-common.h"

static const char b64u[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t ptc_b64url_encoded_size(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0) + 1;
}

/* OpenSSL's base64 with the two characters of the URL alphabet swapped in
 * and the padding cut off; 48 bytes a block, so nothing is allocated. */
int ptc_b64url_encode(const void *in, size_t len, char *out, size_t out_size)
{
	const unsigned char *p = in;
	unsigned char blk[65];
	size_t o = 0;

	if ((!in && len) || !out)
		return -EINVAL;
	if (out_size < ptc_b64url_encoded_size(len))
		return -ENOSPC;
	while (len) {
		size_t n = len < 48 ? len : 48;
		int k = EVP_EncodeBlock(blk, p, (int)n);

		for (int i = 0; i < k && blk[i] != '='; i++)
			out[o++] = blk[i] == '+' ? '-' : blk[i] == '/' ? '_' :
				   (char)blk[i];
		p += n;
		len -= n;
	}
	out[o] = '\0';
	return 0;
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64u, c) : NULL;

	return p ? (int)(p - b64u) : -1;
}

/*
 * Hand-written rather than EVP_DecodeBlock(): that one skips white space,
 * wants the padding back, counts the padding in its result and lets
 * non-zero trailing bits through; a JWS part must be refused for each.
 */
int ptc_b64url_decode(const char *in, size_t len, void *out, size_t out_size,
		      size_t *out_len)
{
	unsigned char *o = out;
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0;

	if ((!in && len) || (!out && out_size) || !out_len)
		return -EINVAL;
	*out_len = 0;
	if (len % 4 == 1)
		return -EINVAL;	/* six bits cannot end a byte */
	for (i = 0; i < len; i++) {
		int v = b64val(in[i]);

		if (v < 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= out_size) {
				ptc_wipe(out, n);
				return -ENOSPC;
			}
			o[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (acc & ((1u << bits) - 1))
		goto bad;
	*out_len = n;
	return 0;
bad:
	ptc_wipe(out, n);
	return -EINVAL;
}
