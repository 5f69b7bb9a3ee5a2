// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: paytermd's payment request verification, pd_request_verify()
 * (daemon/paytermd/request.c): compact JWS splitting, base64url, the header
 * (alg ES256 only, no crit), the R || S signature, and behind a valid
 * signature every claim the daemon shows and echoes (request_id, order_id,
 * merchant_id, amount, currency, currency_numeric, description,
 * terminal_id, exp, iat).  Input: see fz_jws_input() in fuzz_jws.h: a JWS
 * as received, or a header and payload that the harness signs with the
 * fuzzing test key, which is the key the daemon pins here.  Seeds: payment
 * requests as payterm-server issues them.  An accepted request must hold
 * only what the daemon promises (printable, bounded, terminal T1, not
 * expired at FZ_NOW).
 */
#include "../../daemon/paytermd/request.h"
#include "fuzz_jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY *key;
static struct pd_request req;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	key = fz_test_key();
	return 0;
}

static void printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *jws = fz_jws_input(key, data, size), why[128];
	enum pd_req_err e;

	if (!jws)
		return 0;
	e = pd_request_verify(key, jws, "T1", FZ_NOW, &req, why, sizeof(why));
	if (getenv("PAYTERM_FUZZ_VERBOSE"))
		fprintf(stderr, "pd_request_verify: %d %s\n", e, why);
	if (e == PD_REQ_OK) {
		printable(req.id, sizeof(req.id));
		printable(req.order_id, sizeof(req.order_id));
		printable(req.merchant_name, sizeof(req.merchant_name));
		printable(req.description, sizeof(req.description));
		if (!req.id[0] || strlen(req.currency) != 3 ||
		    strspn(req.currency, "0123456789") != 3 ||
		    strlen(req.currency_alpha) != 3 || req.amount < 1 ||
		    req.amount > 999999999999ULL || req.expires <= FZ_NOW ||
		    strlen(req.description) > 200 || strcmp(req.jws, jws) || why[0])
			abort();
	} else if (!why[0]) {
		abort();	/* a refusal says why */
	}
	free(jws);
	return 0;
}
