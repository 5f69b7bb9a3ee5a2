// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: paytermd's parsing of the server's pull-queue answer,
 * pd_pending_page() (daemon/paytermd/pending.c): the JSON page
 * {"requests": [{"request_id", "jws", "seq", ...}], "next": N} of
 * GET /v1/terminal/requests, each request verified as a JWS under the
 * pinned key (the fuzzing test key), deduplicated and listed, and the
 * cursor.  Input: the answer body (seeds: pages as payterm-server sends
 * them, with requests signed by the test key).  The list must stay within
 * its bounds and hold only verified requests of terminal T1; the cursor
 * never goes back.
 *
 * The other answer paytermd parses, the payment view of
 * POST /v1/terminal/payments, is fuzz_verdict.c's.
 */
#include "../../daemon/paytermd/log.h"
#include "../../daemon/paytermd/pending.h"
#include "fuzz_jws.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY *key;
static struct pd_pending_list list;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pd_log_level = -1;
	key = fz_test_key();
	return 0;
}

static void added(void *user, const struct pd_pending *p)
{
	(*(int *)user)++;
	if (strlen(p->req.id) == 0 || p->req.expires <= FZ_NOW)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1);
	int64_t after = 7, before;
	int n, calls = 0;

	if (!body)
		abort();
	memcpy(body, data, size);
	body[size] = '\0';
	/* twice: the second page repeats the first, nothing is added twice */
	for (int round = 0; round < 2; round++) {
		before = after;
		n = pd_pending_page(&list, body, key, "T1", FZ_NOW, NULL, &after,
				    added, &calls);
		if (n == -EBADMSG)
			break;
		if (n < 0 || after < before || list.n > PD_PENDING_MAX ||
		    (round && n))
			abort();
	}
	if (calls != (int)list.n)
		abort();
	for (size_t i = 0; i < list.n; i++)
		if (pd_pending_find(&list, list.v[i]->req.id) != list.v[i])
			abort();
	(void)pd_pending_next_expiry(&list);
	if (pd_pending_prune(&list, INT64_MAX, NULL) !=
	    (size_t)calls || list.n)
		abort();
	pd_pending_clear(&list);
	free(body);
	return 0;
}
