/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: EMV contact and contactless, online-only (EMV 4.3 Books 1-3,
 * the kernel-independent subset the reference card emulator speaks):
 * PSE / PPSE, application selection by priority against the configured
 * AIDs, GET PROCESSING OPTIONS with the PDOL, READ RECORD per AFL,
 * GENERATE AC requesting an ARQC with CDOL1.  Output: the card data
 * (tag 57, 5F34) for field 62 and the ICC data for field 55 (no tag that
 * carries card data).  See docs/dbus-api.md, "EMV flow".
 */
#ifndef PD_EMV_H
#define PD_EMV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "config.h"
#include "io.h"

struct pd_emv_params {
	bool contactless;
	bool online_pin;		/* the PIN will be asked (9F34, TTQ) */
	uint64_t amount;		/* 9F02 */
	char currency[4];		/* 5F2A, ISO 4217 numeric */
	char country[4];		/* 9F1A, ISO 3166 numeric */
	int year, month, day;		/* 9A */
	uint8_t unpredictable[4];	/* 9F37 */
};

/*
 * Run the card.  On success @card (locked memory) and @f55 are filled.
 * Errors (@msg gets a short reason):
 *   -ENOMEDIUM  card removed during the exchange
 *   -ETIMEDOUT  mute card
 *   -ENOENT     no application of the card matches the configured AIDs
 *               (or no PPSE on a contactless card)
 *   -EACCES     card blocked (6A81 to SELECT)
 *   -EPERM      conditions of use not satisfied (6985) by every candidate
 *   -ECANCELED  the card declined offline (AAC to GENERATE AC)
 *   -EPROTO     the card answered something unusable
 *   -EIO, -ENODEV, ... transmit errors as docs/uapi.md
 */
int pd_emv_read(struct pd_io *io, unsigned slot, const struct pd_config *cfg,
		const struct pd_emv_params *p, struct pd_card *card,
		uint8_t *f55, size_t f55_cap, size_t *f55_len, char *msg,
		size_t msglen);

#endif
