// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: ISO 8583 0200 / 0400 construction. */
#include "bankmsg.h"
#include "currency.h"
#include "util.h"

#include "pt_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int hexfield(const json_t *in, const char *k, uint8_t *out, size_t cap,
		    size_t *len)
{
	const char *s = json_string_value(json_object_get(in, k));

	return s ? pt_hex_decode(s, out, cap, len) : -1;
}

static char *hexstr(const json_t *in, const char *k, size_t maxhex)
{
	const char *s = json_string_value(json_object_get(in, k));
	size_t n = s ? strlen(s) : 0, i;
	char *o;

	if (!s || !n || n % 2 || n > maxhex)
		return NULL;
	for (i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return NULL;
	o = strdup(s);
	for (i = 0; o && i < n; i++)
		if (o[i] >= 'a' && o[i] <= 'f')
			o[i] = (char)(o[i] - 'a' + 'A');
	return o;
}

int ps_card_data_parse(const json_t *in, struct ps_card_data *cd,
		       const char **field)
{
	const char *em = json_string_value(json_object_get(in, "entry_mode"));
	const char *dk = json_string_value(json_object_get(in, "dukpt"));
	json_t *pf = json_object_get(in, "pin_block_format");
	size_t n = 0;

	memset(cd, 0, sizeof(*cd));
	cd->pin_format = -1;
	*field = "entry_mode";
	if (!em || (strcmp(em, "901") && strcmp(em, "051") && strcmp(em, "071")))
		return -1;
	snprintf(cd->entry_mode, sizeof(cd->entry_mode), "%s", em);
	*field = "dukpt";
	if (!dk)
		return -1;
	/* field 53 byte 1: the AES key type, X9.24-3 numbering (2, 3, 4) */
	if (!strcmp(dk, "aes128")) {
		cd->dukpt_aes = 1;
		cd->key_type = 2;
	} else if (!strcmp(dk, "aes192")) {
		cd->dukpt_aes = 1;
		cd->key_type = 3;
	} else if (!strcmp(dk, "aes256")) {
		cd->dukpt_aes = 1;
		cd->key_type = 4;
	} else if (!strcmp(dk, "tdes")) {
		cd->dukpt_aes = 0;
		cd->key_type = 0;
	} else {
		return -1;
	}
	*field = "ksn";
	if (hexfield(in, "ksn", cd->ksn, sizeof(cd->ksn), &cd->ksn_len) ||
	    cd->ksn_len != (size_t)(cd->dukpt_aes ? 12 : 10))
		return -1;
	*field = "pin_block_format";
	if (pf && !json_is_null(pf)) {
		if (!json_is_integer(pf))
			return -1;
		cd->pin_format = (int)json_integer_value(pf);
		if (cd->dukpt_aes ? cd->pin_format != 4 :
		    (cd->pin_format != 0 && cd->pin_format != 3))
			return -1;
		*field = "pin_block";
		if (hexfield(in, "pin_block", cd->pin_block, sizeof(cd->pin_block),
			     &cd->pin_len) || cd->pin_len != (cd->pin_format == 4 ? 16u : 8u))
			return -1;
	} else if (json_object_get(in, "pin_block") &&
		   !json_is_null(json_object_get(in, "pin_block"))) {
		*field = "pin_block_format";
		return -1;
	}
	*field = "mac";
	if (hexfield(in, "mac", cd->mac, sizeof(cd->mac), &n) || n != 8)
		return -1;
	*field = "card_data";
	cd->card_hex = hexstr(in, "card_data", 512);
	if (!cd->card_hex)
		return -1;
	*field = "icc_data";
	if (json_object_get(in, "icc_data") && !json_is_null(json_object_get(in, "icc_data"))) {
		cd->icc_hex = hexstr(in, "icc_data", 510);
		if (!cd->icc_hex)
			return -1;
	}
	if (strcmp(em, "901") && !cd->icc_hex)
		return -1;
	*field = NULL;
	return 0;
}

void ps_card_data_free(struct ps_card_data *cd)
{
	if (cd->card_hex) {
		ptc_wipe(cd->card_hex, strlen(cd->card_hex));
		free(cd->card_hex);
	}
	free(cd->icc_hex);
	ptc_wipe(cd, sizeof(*cd));
}

void ps_iso_now(char dt[11], char tm_[7], char d[5])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(dt, 11, "%m%d%H%M%S", &tm);
	strftime(tm_, 7, "%H%M%S", &tm);
	strftime(d, 5, "%m%d", &tm);
}

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

void ps_request_hash(const char *jws, char out[65])
{
	ps_sha256_hex(jws, strlen(jws), out);
}

int ps_build_0200(struct iso8583_msg *m, const struct ps_card_data *cd,
		  int64_t amount, const char *cur_numeric, const char *dt,
		  unsigned stan, const char *terminal_id, const char *merchant_id,
		  const char *payment_id, const char *request_hash)
{
	uint8_t f53[48];

	memset(f53, 0, sizeof(f53));
	f53[0] = cd->dukpt_aes ? 0x01 : 0x02;
	f53[1] = (uint8_t)cd->key_type;
	f53[2] = cd->pin_format < 0 ? 0xFF : (uint8_t)cd->pin_format;
	memcpy(f53 + 4, cd->ksn, cd->ksn_len);
	TRY(iso8583_init(m, "0200"));
	TRY(iso8583_set_str(m, 3, "000000"));
	TRY(iso8583_set_num(m, 4, (unsigned long long)amount));
	TRY(iso8583_set_str(m, 7, dt));
	TRY(iso8583_set_num(m, 11, stan));
	TRY(iso8583_set(m, 12, dt + 4, 6));
	TRY(iso8583_set(m, 13, dt, 4));
	TRY(iso8583_set_str(m, 22, cd->entry_mode));
	TRY(iso8583_set_str(m, 41, terminal_id));
	TRY(iso8583_set_str(m, 42, merchant_id));
	/* the terminal MACed the hash of the request it verified: a 0200
	 * for another request than the one issued fails at the bank */
	TRY(iso8583_set_str(m, 48, request_hash));
	TRY(iso8583_set_str(m, 49, cur_numeric));
	if (cd->pin_format == 0 || cd->pin_format == 3)
		TRY(iso8583_set(m, 52, cd->pin_block, 8));
	TRY(iso8583_set(m, 53, f53, sizeof(f53)));
	if (cd->icc_hex)
		TRY(iso8583_set_str(m, 55, cd->icc_hex));
	if (cd->pin_format == 4)
		TRY(iso8583_set_hex(m, 61, cd->pin_block, 16));
	TRY(iso8583_set_str(m, 62, cd->card_hex));
	TRY(iso8583_set_str(m, 63, payment_id));
	TRY(iso8583_set(m, 64, cd->mac, 8));
	return 0;
}

int ps_build_0400(struct iso8583_msg *m, const json_t *pay, unsigned stan,
		  const char *dt)
{
	const char *cur = json_string_value(json_object_get(pay, "currency"));
	const char *curn = ps_currency_numeric(cur);
	const char *odt = json_string_value(json_object_get(pay, "tx_time"));
	const char *em = json_string_value(json_object_get(pay, "entry_mode"));
	char f90[64];

	if (!curn || !odt || strlen(odt) != 10)
		return ISO_ERR_ARG;
	snprintf(f90, sizeof(f90), "0200%06lld%s%011d%011d",
		 (long long)json_integer_value(json_object_get(pay, "stan")),
		 odt, 0, 0);
	TRY(iso8583_init(m, "0400"));
	TRY(iso8583_set_str(m, 3, "000000"));
	TRY(iso8583_set_num(m, 4, (unsigned long long)
			    json_integer_value(json_object_get(pay, "amount"))));
	TRY(iso8583_set_str(m, 7, dt));
	TRY(iso8583_set_num(m, 11, stan));
	TRY(iso8583_set(m, 12, dt + 4, 6));
	TRY(iso8583_set(m, 13, dt, 4));
	if (em)
		TRY(iso8583_set_str(m, 22, em));
	TRY(iso8583_set_str(m, 41, json_string_value(json_object_get(pay, "terminal_id"))));
	TRY(iso8583_set_str(m, 42, json_string_value(json_object_get(pay, "merchant_id"))));
	TRY(iso8583_set_str(m, 49, curn));
	TRY(iso8583_set_str(m, 63, json_string_value(json_object_get(pay, "id"))));
	TRY(iso8583_set_str(m, 90, f90));
	return 0;
}
