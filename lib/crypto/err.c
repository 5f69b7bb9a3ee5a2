// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm crypto: error strings, hex helpers, memory hygiene. */
#include "pt_err.h"
#include "pt_util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "../common/payterm-common.h"

const char *pt_strerror(int err)
{
	switch (err) {
	case PT_OK: return "success";
	case PT_ERR_INVALID_ARG: return "invalid argument";
	case PT_ERR_HEX: return "malformed hex string (odd length or non-hex character)";
	case PT_ERR_KEY_LENGTH: return "key length not valid for the algorithm";
	case PT_ERR_KSN: return "malformed key serial number or initial key ID";
	case PT_ERR_EXHAUSTED: return "DUKPT transaction counter exhausted";
	case PT_ERR_COUNTER: return "DUKPT transaction counter not valid (zero or too many one bits)";
	case PT_ERR_PIN: return "PIN must be 4 to 12 decimal digits";
	case PT_ERR_PAN: return "PAN must be 8 to 19 decimal digits";
	case PT_ERR_PINBLOCK: return "PIN block malformed (wrong key, PAN or format?)";
	case PT_ERR_FORMAT: return "unsupported PIN block format";
	case PT_ERR_MAC: return "MAC verification failed";
	case PT_ERR_PADDING: return "invalid padding";
	case PT_ERR_TR31_HEADER: return "malformed TR-31 key block header";
	case PT_ERR_TR31_LENGTH: return "TR-31 key block length wrong";
	case PT_ERR_TR31_VERSION: return "unsupported TR-31 key block version";
	case PT_ERR_TR31_OPTBLOCK: return "malformed TR-31 optional block";
	case PT_ERR_TR31_MAC: return "TR-31 key block MAC mismatch (wrong KBPK or tampered block)";
	case PT_ERR_TR31_PAYLOAD: return "TR-31 decrypted key length invalid";
	case PT_ERR_KEY_USAGE: return "key usage or mode of use does not permit this operation";
	case PT_ERR_ALGORITHM: return "algorithm not supported or not allowed here";
	case PT_ERR_CRYPTO: return "OpenSSL operation failed";
	case PT_ERR_NOMEM: return "out of memory";
	case PT_ERR_IO: return "I/O error";
	case PT_ERR_STORE_FORMAT: return "key store file corrupt or of unknown format";
	case PT_ERR_STORE_AUTH: return "key store does not authenticate (wrong KEK or tampered)";
	case PT_ERR_STORE_PERM: return "key store file permissions unsafe (must be 0600, owned by us)";
	case PT_ERR_STORE_EMPTY: return "key store holds no initial key";
	case PT_ERR_STORE_EXISTS: return "key store already exists";
	case PT_ERR_BUFFER: return "output buffer too small / input too long";
	case PT_ERR_RANDOM: return "random number generator failed";
	case PT_ERR_DATA_LENGTH: return "data length not allowed";
	case PT_ERR_NOLOCK: return "cannot lock memory for keys (mlock: raise RLIMIT_MEMLOCK / LimitMEMLOCK=)";
	}
	return "unknown error";
}

/* The hex code is libpaytermcommon's; these keep the public API. */
int pt_hex_decode_n(const char *hex, size_t hexlen, uint8_t *out, size_t cap,
		    size_t *outlen)
{
	size_t n = 0;
	int r;

	if (!hex || (!out && hexlen))
		return PT_ERR_INVALID_ARG;
	r = ptc_hex_decode_n(hex, hexlen, out, out ? cap : 0, &n);
	if (r)
		return r == -ENOSPC ? PT_ERR_BUFFER : PT_ERR_HEX;
	if (outlen)
		*outlen = n;
	return PT_OK;
}

int pt_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *outlen)
{
	if (!hex)
		return PT_ERR_INVALID_ARG;
	return pt_hex_decode_n(hex, strlen(hex), out, cap, outlen);
}

void pt_hex_encode(const uint8_t *in, size_t len, char *out)
{
	ptc_hex_encode(in, len, out, 2 * len + 1, 0);
}

void pt_cleanse(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

int pt_memcmp_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) != 0;
}
