/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm crypto: error codes.  Every library call returns 0 (PT_OK) on
 * success or one of the negative PT_ERR_* codes; pt_strerror() names it.
 */
#ifndef PAYTERM_PT_ERR_H
#define PAYTERM_PT_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

enum pt_err {
	PT_OK = 0,
	PT_ERR_INVALID_ARG = -1,	/* NULL pointer, bad enum value... */
	PT_ERR_HEX = -2,		/* odd length or non-hex character */
	PT_ERR_KEY_LENGTH = -3,		/* key length wrong for the algorithm */
	PT_ERR_KSN = -4,		/* KSN / initial key ID malformed */
	PT_ERR_EXHAUSTED = -5,		/* DUKPT transaction counter exhausted */
	PT_ERR_COUNTER = -6,		/* counter zero or too many one bits */
	PT_ERR_PIN = -7,		/* PIN not 4-12 decimal digits */
	PT_ERR_PAN = -8,		/* PAN not 8-19 decimal digits */
	PT_ERR_PINBLOCK = -9,		/* decrypted PIN block malformed */
	PT_ERR_FORMAT = -10,		/* unsupported PIN block format */
	PT_ERR_MAC = -11,		/* MAC verification failed */
	PT_ERR_PADDING = -12,		/* bad padding on decryption */
	PT_ERR_TR31_HEADER = -13,	/* malformed TR-31 header */
	PT_ERR_TR31_LENGTH = -14,	/* TR-31 length field / block length */
	PT_ERR_TR31_VERSION = -15,	/* unsupported TR-31 version */
	PT_ERR_TR31_OPTBLOCK = -16,	/* malformed TR-31 optional block */
	PT_ERR_TR31_MAC = -17,		/* TR-31 key block MAC mismatch */
	PT_ERR_TR31_PAYLOAD = -18,	/* decrypted key length field invalid */
	PT_ERR_KEY_USAGE = -19,		/* key usage / mode forbids operation */
	PT_ERR_ALGORITHM = -20,		/* algorithm not allowed / unknown */
	PT_ERR_CRYPTO = -21,		/* OpenSSL failure */
	PT_ERR_NOMEM = -22,
	PT_ERR_IO = -23,		/* system call failed, see errno */
	PT_ERR_STORE_FORMAT = -24,	/* key store file corrupt / unknown */
	PT_ERR_STORE_AUTH = -25,	/* key store does not authenticate */
	PT_ERR_STORE_PERM = -26,	/* key store file has unsafe mode/owner */
	PT_ERR_STORE_EMPTY = -27,	/* no initial key loaded in the store */
	PT_ERR_STORE_EXISTS = -28,	/* key store already exists */
	PT_ERR_BUFFER = -29,		/* output buffer too small */
	PT_ERR_RANDOM = -30,		/* random generator failed */
	PT_ERR_DATA_LENGTH = -31,	/* data length not allowed */
	PT_ERR_NOLOCK = -32,		/* memory for keys cannot be locked (mlock,
					 * RLIMIT_MEMLOCK) or made undumpable */
};

/* Static, never NULL, also for unknown codes. */
const char *pt_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
