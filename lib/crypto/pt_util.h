/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm crypto: hex conversion and memory hygiene helpers. */
#ifndef PAYTERM_PT_UTIL_H
#define PAYTERM_PT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Decode exactly strlen(hex) / 2 bytes into out (capacity cap).  Rejects
 * odd lengths and non-hex characters (PT_ERR_HEX), too long input
 * (PT_ERR_BUFFER).  Both cases are accepted.
 */
int pt_hex_decode(const char *hex, uint8_t *out, size_t cap, size_t *outlen);
/* Same for a (ptr, len) input that need not be NUL terminated. */
int pt_hex_decode_n(const char *hex, size_t hexlen, uint8_t *out, size_t cap,
		    size_t *outlen);
/* Upper-case hex; out must hold 2 * len + 1 bytes. */
void pt_hex_encode(const uint8_t *in, size_t len, char *out);

/* OPENSSL_cleanse wrapper, usable without OpenSSL headers. */
void pt_cleanse(void *p, size_t len);
/* Constant-time compare: 0 when equal. */
int pt_memcmp_ct(const void *a, const void *b, size_t len);

#ifdef __cplusplus
}
#endif

#endif
