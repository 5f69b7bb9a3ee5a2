/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm-server: small helpers (time, ids, digests). */
#ifndef PS_UTIL_H
#define PS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "payterm-common.h"

/* Wall clock in milliseconds / seconds since the epoch. */
int64_t ps_now_ms(void);
/* Monotonic clock in milliseconds. */
int64_t ps_mono_ms(void);

/* "<prefix>_" + 24 lower-case hex characters from the CSPRNG. */
void ps_new_id(const char *prefix, char *out, size_t cap);
/* n random decimal digits (uniform), NUL terminated; out holds n + 1. */
int ps_random_digits(char *out, size_t n);

/* hex and base64url: ptc_hex_*() and ptc_b64url_*() of libpaytermcommon
 * (payterm-common.h). */

/* SHA-256 of data as 64 lower-case hex characters. */
void ps_sha256_hex(const void *data, size_t len, char out[65]);
/* Constant-time equality of two NUL-terminated strings (length leaks). */
int ps_streq_ct(const char *a, const char *b);

/* Masked PAN shape: digits, at least one '*', at most 10 digits, length
 * 12..19 — so a full PAN can never be stored by mistake. */
int ps_masked_pan_ok(const char *s);

#endif
