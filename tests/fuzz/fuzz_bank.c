// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: payterm-bank's handling of one request, bank_handle()
 * (server/bank/bank.c), i.e. the ISO 8583 unpack as the bank does it and
 * everything the bank parses behind it: mandatory fields, entry mode,
 * field 53 (DUKPT scheme, key type, PIN format, KSN), the request MAC, and
 * for requests whose MAC verifies (the seeds are real frames of
 * payterm-bank-client) field 62 decryption and card data TLV, the PIN block,
 * field 55 TLV, the ARQC, and the 0400's field 90.  Input: one frame without
 * its length prefix.
 *
 * The bank runs on an in-memory SQLite database loaded once from
 * tests/data/cards.json (test cards) with tests/data/bank.json (test keys);
 * it is restored before every input, so that balances, PIN tries, STANs
 * and KSNs do not carry over.  Every answer the bank gives must be a
 * well-formed message of the profile.  The bank's log lines (one per
 * request) go to /dev/null unless PAYTERM_FUZZ_VERBOSE is set.
 */
#include "../../server/bank/bank.h"
#include "iso8583.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bank bank;
static sqlite3 *pristine;
static uint8_t resp[ISO8583_MAX_MSG];
static struct iso8583_msg answer;

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_bank: %s: %s\n", what, err ? err : "?");
	abort();
}

static void copy_db(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *bk = sqlite3_backup_init(to, "main", from, "main");

	if (!bk || sqlite3_backup_step(bk, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(bk) != SQLITE_OK)
		die("restoring the card database", sqlite3_errmsg(to));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct bank_cfg cfg;
	const char *err = NULL;

	if (!getenv("PAYTERM_FUZZ_VERBOSE")) {
		FILE *null = fopen("/dev/null", "w");

		if (null)
			stderr = null;	/* bank_log() only; sanitizers use fd 2 */
	}
	/* the cards' expiry checks against a fixed day */
	setenv("PAYTERM_BANK_TODAY", "260101", 1);
	if (bank_cfg_load(&cfg, PT_FUZZ_SRCDIR "/tests/data/bank.json", &err))
		die("tests/data/bank.json", err);
	snprintf(cfg.db, sizeof(cfg.db), ":memory:");
	if (bank_open(&bank, &cfg, &err))
		die("bank_open", err);
	bank_cfg_wipe(&cfg);
	if (bank_init_db(&bank, PT_FUZZ_SRCDIR "/tests/data/cards.json", &err) <= 0)
		die("tests/data/cards.json", err);
	if (sqlite3_open(":memory:", &pristine) != SQLITE_OK)
		die("sqlite3_open", "out of memory");
	copy_db(pristine, bank.db);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum bank_action act;
	size_t rl = 0;
	int delay = 0, bad;

	if (size > ISO8583_MAX_MSG)	/* iso8583_read_frame() never gives more */
		return 0;
	copy_db(bank.db, pristine);
	act = bank_handle(&bank, data, size, resp, sizeof(resp), &rl, &delay);
	if (act == BANK_REPLY) {
		if (!rl || rl > sizeof(resp) ||
		    iso8583_unpack(&answer, resp, rl, &bad) ||
		    !iso8583_has(&answer, 39))
			abort();
		iso8583_wipe(&answer);
	} else if (act != BANK_CLOSE && act != BANK_DROP) {
		abort();
	}
	return 0;
}
