/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm-server: small helpers (time, ids, encodings, digests). */
#ifndef PS_UTIL_H
#define PS_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock in milliseconds / seconds since the epoch. */
int64_t ps_now_ms(void);
/* Monotonic clock in milliseconds. */
int64_t ps_mono_ms(void);

/* "<prefix>_" + 24 lower-case hex characters from the CSPRNG. */
void ps_new_id(const char *prefix, char *out, size_t cap);
/* n random decimal digits (uniform), NUL terminated; out holds n + 1. */
int ps_random_digits(char *out, size_t n);

/* Lower-case hex; out holds 2 * len + 1. */
void ps_hex(const uint8_t *in, size_t len, char *out);

/* base64url without padding; out holds ps_b64url_len(len) + 1. */
size_t ps_b64url_len(size_t len);
void ps_b64url_enc(const uint8_t *in, size_t len, char *out);
/* Decode base64url (padding not accepted); -1 on error. */
int ps_b64url_dec(const char *in, size_t inlen, uint8_t *out, size_t cap,
		  size_t *outlen);

/* SHA-256 of data as 64 lower-case hex characters. */
void ps_sha256_hex(const void *data, size_t len, char out[65]);
/* Constant-time equality of two NUL-terminated strings (length leaks). */
int ps_streq_ct(const char *a, const char *b);

/* Masked PAN shape: digits, at least one '*', at most 10 digits, length
 * 12..19 — so a full PAN can never be stored by mistake. */
int ps_masked_pan_ok(const char *s);

/* Overwrite memory; never optimised away. */
void ps_wipe(void *p, size_t len);

#endif
