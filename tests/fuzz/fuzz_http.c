// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: HTTP requests as payterm-server parses them: the bytes of one
 * connection into libevent's evhttp with the server's listener limits
 * (server/payserver/http.c), then the server's own routers,
 * ps_api_merchant() (API key, POST /v1/orders with its JSON body,
 * GET /v1/orders/{id}) and ps_api_terminal() (URI, query string; without
 * TLS there is no client certificate, so it answers 403 as to an unknown
 * terminal), with ps_body() and the reply helpers of http.c.  Input: the
 * raw bytes of a connection, several pipelined requests allowed; paths
 * under /v1/terminal/ go to the terminal router, the rest to the merchant
 * router.  Seeds: the merchant and terminal requests of docs/protocol.md
 * and the e2e tests, with the test API key.  The in-process server
 * (fuzz_server.h) is reset before every input.
 */
#include "fuzz_server.h"

static void route(struct evhttp_request *req, void *arg)
{
	const char *uri = evhttp_request_get_uri(req);

	if (uri && !strncmp(uri, "/v1/terminal/", 13))
		ps_api_terminal(req, arg);
	else
		ps_api_merchant(req, arg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fz_srv_init(route, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 128 * 1024)
		return 0;
	fz_srv_reset();
	fz_srv_exchange(data, size);
	return 0;
}
