// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: payterm-server's handling of a terminal's submission,
 * ps_api_submit() (server/payserver/api_submit.c): POST
 * /v1/terminal/payments from terminal T1 with an Idempotency-Key, the body
 * parsed as the server does it: JSON, the crypto members
 * (ps_card_data_parse() of bankmsg.c: entry mode, DUKPT scheme, KSN, PIN
 * block format and block, card data, ICC data, MAC), the masked PAN, the
 * payment request JWS verified again (ps_jws_verify()) and matched against
 * the stored request and order, the idempotency record, then the 0200
 * built from it (ps_build_0200()) and the answer (91 here: no bank).
 * Input: the request body only; the harness sends it as terminal T1 (the
 * identity the server takes from the TLS client certificate, which the
 * router ps_api_terminal() checks and fuzz_http covers) with a fixed
 * Idempotency-Key.  Seeds: submissions of the test card visa-ok built like
 * paytermd builds them (tests/e2e/lib/termpay.c) for the fixture's request
 * req_fuzz (fuzz_server.h).  The in-process server is reset before every
 * input.
 */
#include "fuzz_server.h"

static void submit(struct evhttp_request *req, void *arg)
{
	ps_api_submit(arg, req, &fz_terminal);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_srv_init(submit, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] =
		"POST /v1/terminal/payments HTTP/1.1\r\nHost: localhost\r\n"
		"Content-Type: application/json\r\n"
		"Idempotency-Key: 3f2a9c1e7b5d4f60a8e2c4b6d8f0a1c3\r\n"
		"Connection: close\r\nContent-Length: ";
	char *msg;
	int n;

	if (size > 64 * 1024)
		return 0;
	msg = malloc(sizeof(head) + 32 + size);
	if (!msg)
		abort();
	n = snprintf(msg, sizeof(head) + 32, "%s%zu\r\n\r\n", head, size);
	memcpy(msg + n, data, size);
	fz_srv_reset();
	fz_srv_exchange(msg, (size_t)n + size);
	free(msg);
	return 0;
}
