// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: payterm-server's JWS verification, ps_jws_verify()
 * (server/payserver/jws.c on lib/common/jws.c and b64url.c): what the server parses
 * when a terminal submits a payment request back to it ("request" of
 * POST /v1/terminal/payments).  Splitting, base64url, the header (alg
 * ES256 only, no crit), R || S to DER, and behind a valid signature the
 * payload (must be a JSON object).  Input: as fuzz_request (fz_jws_input()
 * in fuzz_jws.h: a JWS as received, or a header and payload signed here
 * with the fuzzing test key, the key the server is given).  Also the DER
 * signature parser ptc_ecdsa_der_to_raw() on the raw input.
 */
#include "../../server/payserver/jws.h"
#include "fuzz_jws.h"

#include <stdlib.h>
#include <string.h>

static EVP_PKEY *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	key = fz_test_key();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *jws = fz_jws_input(key, data, size), kid[64];
	unsigned char raw[64], back[64], *der;
	json_t *pl = NULL;
	size_t dl;

	if (!jws)
		return 0;
	if (ps_jws_verify(key, jws, &pl, kid, sizeof(kid)) == 0) {
		if (!json_is_object(pl) || strnlen(kid, sizeof(kid)) == sizeof(kid))
			abort();
	} else if (pl) {
		abort();
	}
	json_decref(pl);
	free(jws);
	/* a DER ECDSA-Sig-Value; what parses converts back */
	if (ptc_ecdsa_der_to_raw(data, size, raw) == 0) {
		if (ptc_ecdsa_raw_to_der(raw, &der, &dl) ||
		    ptc_ecdsa_der_to_raw(der, dl, back) ||
		    memcmp(raw, back, sizeof(raw)))
			abort();
		OPENSSL_free(der);
	}
	return 0;
}
