// SPDX-License-Identifier: LGPL-2.1-or-later
/* Hex encoding and decoding. */
#include <errno.h>

#include "payterm-common.h"

static const char upper[] = "0123456789ABCDEF", lower[] = "0123456789abcdef";

size_t ptc_hex_encoded_size(size_t len, char sep)
{
	if (!len)
		return 1;
	return len * 2 + (sep ? len - 1 : 0) + 1;
}

/* Hand-written: OPENSSL_buf2hexstr() is upper case only and would make
 * paytermctl, which has no other use for libcrypto, link it. */
static int encode(const void *in, size_t len, char *out, size_t out_size,
		  char sep, const char *hexdigits)
{
	const unsigned char *p = in;
	size_t i, o = 0;

	if ((!in && len) || !out)
		return -EINVAL;
	if (out_size < ptc_hex_encoded_size(len, sep))
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		if (sep && i)
			out[o++] = sep;
		out[o++] = hexdigits[p[i] >> 4];
		out[o++] = hexdigits[p[i] & 0x0f];
	}
	out[o] = '\0';
	return 0;
}

int ptc_hex_encode(const void *in, size_t len, char *out, size_t out_size,
		  char sep)
{
	return encode(in, len, out, out_size, sep, upper);
}

int ptc_hex_encode_lower(const void *in, size_t len, char *out,
			 size_t out_size)
{
	return encode(in, len, out, out_size, 0, lower);
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ':';
}

int ptc_hex_decode(const char *hex, void *out, size_t out_size,
		  size_t *out_len)
{
	unsigned char *o = out;
	size_t n = 0;
	int hi, lo;

	if (!hex || (!out && out_size) || !out_len)
		return -EINVAL;
	*out_len = 0;
	for (;;) {
		while (is_sep(*hex))
			hex++;
		if (!*hex)
			break;
		hi = nibble(hex[0]);
		lo = hi < 0 ? -1 : nibble(hex[1]);
		if (lo < 0 || n >= out_size) {
			/* bad character, odd count or too long */
			ptc_wipe(out, n);
			return lo < 0 ? -EINVAL : -ENOSPC;
		}
		o[n++] = (unsigned char)(hi << 4 | lo);
		hex += 2;
	}
	*out_len = n;
	return 0;
}

int ptc_hex_decode_n(const char *hex, size_t hexlen, void *out,
		     size_t out_size, size_t *out_len)
{
	unsigned char *o = out;
	size_t i;

	if ((!hex && hexlen) || (!out && out_size) || !out_len)
		return -EINVAL;
	*out_len = 0;
	/* all of it checked before a byte is written */
	if (hexlen % 2)
		return -EINVAL;
	for (i = 0; i < hexlen; i++)
		if (nibble(hex[i]) < 0)
			return -EINVAL;
	if (hexlen / 2 > out_size)
		return -ENOSPC;
	for (i = 0; i < hexlen / 2; i++)
		o[i] = (unsigned char)(nibble(hex[2 * i]) << 4 |
				       nibble(hex[2 * i + 1]));
	*out_len = hexlen / 2;
	return 0;
}
