/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm-server: building the ISO 8583 requests of the profile. */
#ifndef PS_BANKMSG_H
#define PS_BANKMSG_H

#include "iso8583.h"

#include <jansson.h>
#include <stdint.h>

/* Terminal data of a payment, validated (hex decoded) from the submission. */
struct ps_card_data {
	char entry_mode[4];
	int dukpt_aes;		/* 1 AES DUKPT, 0 TDES DUKPT */
	int key_type;		/* field 53 byte 1: 2/3/4 AES, 0 TDES */
	int pin_format;		/* 0, 3, 4 or -1 (no PIN) */
	uint8_t ksn[12];
	size_t ksn_len;
	uint8_t pin_block[16];
	size_t pin_len;
	uint8_t mac[8];
	char *card_hex;		/* field 62 */
	char *icc_hex;		/* field 55 or NULL */
};

/* Parse the crypto part of a submission; on error returns -1 and *field
 * names the offending member. */
int ps_card_data_parse(const json_t *in, struct ps_card_data *cd,
		       const char **field);
void ps_card_data_free(struct ps_card_data *cd);

/* Transmission date-time of now: dt = MMDDhhmmss, tm = hhmmss, d = MMDD. */
void ps_iso_now(char dt[11], char tm[7], char d[5]);

/* Field 48: SHA-256, 64 lower-case hex, of the payment request JWS. */
void ps_request_hash(const char *jws, char out[65]);

/* 0200 from the terminal's data; STAN and date-time set by the caller's
 * values; @request_hash (field 48) is ps_request_hash() of the JWS this
 * server issued for the request, never a value from the terminal.
 * Returns 0 or an ISO_ERR_*. */
int ps_build_0200(struct iso8583_msg *m, const struct ps_card_data *cd,
		  int64_t amount, const char *cur_numeric, const char *dt,
		  unsigned stan, const char *terminal_id, const char *merchant_id,
		  const char *payment_id, const char *request_hash);
/* 0400 for a payment row (ps_payment_get). */
int ps_build_0400(struct iso8583_msg *m, const json_t *pay, unsigned stan,
		  const char *dt);

#endif
