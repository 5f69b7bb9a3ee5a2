// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: webhook HMAC-SHA256 signatures. */
#include "whsig.h"
#include "util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ps_whsig_hmac(const char *secret, int64_t t, const char *body,
		  size_t len, char hex[65])
{
	char ts[24];
	size_t tl;
	uint8_t mac[32];
	size_t maclen = 0;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[2] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	int rc = -1;

	tl = (size_t)snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	if (c && EVP_MAC_init(c, (const unsigned char *)secret, strlen(secret),
			      params) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)ts, tl) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)body, len) == 1 &&
	    EVP_MAC_final(c, mac, &maclen, sizeof(mac)) == 1 && maclen == 32) {
		ptc_hex_encode_lower(mac, 32, hex, 65);
		rc = 0;
	}
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return rc;
}

int ps_whsig_header(const char *secret, int64_t t, const char *body,
		    size_t len, char *out, size_t cap)
{
	char hex[65];

	if (ps_whsig_hmac(secret, t, body, len, hex))
		return -1;
	if ((size_t)snprintf(out, cap, "t=%lld,v1=%s", (long long)t, hex) >= cap)
		return -1;
	return 0;
}

int ps_whsig_verify(const char *secret, const char *header, const char *body,
		    size_t len, int64_t now, int tolerance_s)
{
	char *h = strdup(header), *save = NULL, *tok;
	long long t = -1;
	int ok = 0, have_t = 0;
	char want[65];

	if (!h)
		return -1;
	for (tok = strtok_r(h, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "t=", 2)) {
			char *end;

			t = strtoll(tok + 2, &end, 10);
			have_t = !*end && end != tok + 2;
		}
	}
	free(h);
	if (!have_t || ps_whsig_hmac(secret, t, body, len, want))
		return -1;
	if (tolerance_s >= 0 && (now - t > tolerance_s || t - now > tolerance_s))
		return -1;
	h = strdup(header);
	if (!h)
		return -1;
	for (tok = strtok_r(h, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (!strncmp(tok, "v1=", 3) && strlen(tok + 3) == 64 &&
		    CRYPTO_memcmp(tok + 3, want, 64) == 0)
			ok = 1;
	free(h);
	return ok ? 0 : -1;
}
