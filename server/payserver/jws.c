// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: its JWS header and limits on the shared ES256 JWS. */
#include "jws.h"

#include <stdio.h>

char *ps_jws_sign(EVP_PKEY *key, const char *kid, const char *typ,
		  const json_t *payload)
{
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "typ", typ,
				"kid", kid);
	char *out = NULL;

	if (hdr)
		ptc_jws_sign(key, hdr, payload, &out);
	json_decref(hdr);
	return out;
}

int ps_jws_verify(EVP_PKEY *key, const char *jws, json_t **payload,
		  char *kid_out, size_t kid_cap)
{
	json_t *hdr = NULL;

	if (ptc_jws_verify(key, jws, PS_JWS_MAX, &hdr, payload))
		return -1;
	if (kid_out && kid_cap) {
		const char *kid = json_string_value(json_object_get(hdr, "kid"));

		snprintf(kid_out, kid_cap, "%s", kid ? kid : "");
	}
	json_decref(hdr);
	return 0;
}
