/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: card data as the daemon holds it between the read and the
 * encryption.  A struct pd_card lives only in pd_secure_alloc() memory
 * and is wiped as soon as field 62 and the PIN block are built.
 */
#ifndef PD_CARD_H
#define PD_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/payterm.h>

#define PD_T57_MAX	19	/* track 2 equivalent data, bytes */

enum pd_card_source {
	PD_SRC_SWIPE = 1,
	PD_SRC_CHIP,
	PD_SRC_TAP,
};

struct pd_card {
	enum pd_card_source source;
	char pan[20];			/* digits, NUL-terminated */
	size_t pan_len;
	char expiry[5];			/* YYMM */
	char service_code[4];		/* "" when unknown (chip) */
	uint8_t t57[PD_T57_MAX];	/* tag 57 value */
	size_t t57_len;
	bool has_psn;
	uint8_t psn;			/* tag 5F34, BCD */
	char masked[20];		/* first 6 / last 4 */
};

/* Why a swipe was refused (pd_card_from_swipe) */
enum pd_card_err {
	PD_CARD_OK = 0,
	PD_CARD_UNREADABLE,		/* no track read, or bad format */
	PD_CARD_ENCRYPTED,		/* reader-encrypted (SRED) data */
	PD_CARD_LUHN,			/* PAN check digit wrong */
	PD_CARD_MISMATCH,		/* track 1 and 2 disagree on the PAN */
	PD_CARD_INCOMPLETE,		/* no expiry or service code (a field
					 * separator in its place): no tag 57 */
};

/*
 * Build @card from a fetched swipe: track 2 preferred (tag 57 is track 2
 * with '=' -> 'D'), track 1 otherwise (tag 57 = PAN D YYMM SVC, no
 * discretionary data).  The track used must carry expiry and service code
 * (PD_CARD_INCOMPLETE otherwise).  @sw is not modified; the caller wipes it.
 */
enum pd_card_err pd_card_from_swipe(const struct payterm_swipe *sw,
				    struct pd_card *card);
/*
 * Build @card from tag 57 (and 5F34 when @psn >= 0) read from a chip.
 * Returns PD_CARD_OK, PD_CARD_UNREADABLE or PD_CARD_LUHN.
 */
enum pd_card_err pd_card_from_t57(const uint8_t *t57, size_t len, int psn,
				  enum pd_card_source src, struct pd_card *card);

/* Expiry YYMM before the month of @year/@month (1..12)? */
bool pd_card_expired(const struct pd_card *card, int year, int month);
/* Service code 2xx / 6xx: the card has a chip. */
bool pd_card_has_chip(const struct pd_card *card);

/* Field 62 plaintext: 57 (+ 5F34 for chip/tap).  Returns bytes or <0. */
int pd_card_f62_plain(const struct pd_card *card, uint8_t *out, size_t cap);

void pd_card_wipe(struct pd_card *card);

#endif
