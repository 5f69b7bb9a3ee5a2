/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: webhook signatures.
 *   Payterm-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 */
#ifndef PS_WHSIG_H
#define PS_WHSIG_H

#include <stddef.h>
#include <stdint.h>

/* hex receives 64 hex digits + NUL. */
int ps_whsig_hmac(const char *secret, int64_t t, const char *body,
		  size_t len, char hex[65]);
/* Header value "t=...,v1=..."; out holds at least 96 bytes. */
int ps_whsig_header(const char *secret, int64_t t, const char *body,
		    size_t len, char *out, size_t cap);
/* Check a header against body: 0 when a v1 signature matches and |now - t|
 * <= tolerance_s (tolerance_s < 0: no time check). */
int ps_whsig_verify(const char *secret, const char *header, const char *body,
		    size_t len, int64_t now, int tolerance_s);

#endif
