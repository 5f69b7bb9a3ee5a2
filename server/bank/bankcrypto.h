/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-bank: issuer / HSM cryptography on top of libpaytermcrypto.
 * Algorithms exactly as in docs/protocol.md ("ISO 8583 profile"):
 * IBM 3624 PIN offset, EMV option A ICC master key, EMV common session
 * key, ARQC / ARPC (method 1), BER-TLV, DUKPT key set from field 53.
 */
#ifndef PAYTERM_BANKCRYPTO_H
#define PAYTERM_BANKCRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* ---- IBM 3624 ---- */
/* Natural PIN of pinlen (4..12) digits; out gets pinlen + NUL.  PAN 13..19
 * digits.  0 or a negative PT_ERR_*. */
int bank_ibm3624_natural(const uint8_t pvk[16], const char *dectab,
			 const char *pan, size_t pinlen, char *out);
/* Offset for a PIN (tools and tests); out gets strlen(pin) + NUL. */
int bank_ibm3624_offset(const uint8_t pvk[16], const char *dectab,
			const char *pan, const char *pin, char *out);
/* 1 if pin matches the offset, 0 if not, negative on error. */
int bank_ibm3624_verify(const uint8_t pvk[16], const char *dectab,
			const char *pan, const char *pin, const char *offset);

/* ---- EMV ---- */
/* Option A: IMK + PAN + PSN (0..99, -1 = absent) -> ICC master key. */
int bank_emv_mk_option_a(const uint8_t imk[16], const char *pan, int psn,
			 uint8_t mk[16]);
/* Common session key from MK and ATC. */
int bank_emv_csk(const uint8_t mk[16], uint16_t atc, uint8_t sk[16]);
/* ARQC = retail MAC (ISO 9797-1 alg 3, padding 2) under SK over data. */
int bank_emv_arqc(const uint8_t sk[16], const uint8_t *data, size_t len,
		  uint8_t arqc[8]);
/* ARPC method 1: TDES(SK, ARQC xor (ARC || 00..)). */
int bank_emv_arpc(const uint8_t sk[16], const uint8_t arqc[8],
		  const uint8_t arc[2], uint8_t arpc[8]);

/* ---- BER-TLV (primitive, flat): libpaytermcommon's ptc_tlv_* parser ---- */
struct bank_tlv {
	uint32_t tag;
	const uint8_t *val;
	size_t len;
};
#define BANK_TLV_MAX 32
/* Parse; padding, duplicates, constructed tags, bad or long-form lengths,
 * > max items -> error (PT_ERR_INVALID_ARG).  Items point into buf. */
int bank_tlv_parse(const uint8_t *buf, size_t len, struct bank_tlv *items,
		   size_t max, size_t *n);
const struct bank_tlv *bank_tlv_find(const struct bank_tlv *items, size_t n,
				     uint32_t tag);
/* Append tag/len/value; returns new length or negative. */
int bank_tlv_put(uint8_t *buf, size_t cap, size_t pos, uint32_t tag,
		 const uint8_t *val, size_t len);
/* DOL (tag, length list) parser: calls cb-less: fills tags/lens. */
int bank_dol_parse(const uint8_t *dol, size_t len, uint32_t *tags,
		   size_t *lens, size_t max, size_t *n);

/* ---- card data (field 62 plaintext) ---- */
struct bank_card_data {
	char pan[20];
	char expiry[5];		/* YYMM */
	char service_code[4];
	int psn;		/* -1 absent */
};
/* Parse the TLV plaintext (tag 57 mandatory, 5A / 5F24 / 5F34 optional). */
int bank_card_data_parse(const uint8_t *pt, size_t len,
			 struct bank_card_data *cd);
int bank_luhn_ok(const char *pan);
/* "476173******0010" */
void bank_mask_pan(const char *pan, char out[20]);

/* ---- DUKPT key set of one transaction (field 53) ---- */
#define BANK_F53_LEN 48
enum { BANK_KM_AES = 1, BANK_KM_TDES = 2 };

struct bank_bdk {
	int scheme;		/* BANK_KM_* */
	uint8_t id[5];		/* AES: BDK id (4); TDES: key set id (5) */
	uint8_t key[32];
	size_t keylen;
};

struct bank_keys {
	int scheme;
	int key_type;		/* enum pt_key_type of working keys */
	int pin_format;		/* 0, 3, 4, or -1 none */
	uint8_t ksn[12];
	size_t ksnlen;
	size_t keylen;		/* working key length */
	uint8_t pin[32], data[32], mac_req[32], mac_resp[32];
};

/* Parse field 53, pick the BDK, derive the working keys.  -1 (format /
 * unknown BDK / bad KSN) is the only error: caller answers 96. */
int bank_keys_derive(const uint8_t f53[BANK_F53_LEN],
		     const struct bank_bdk *bdks, size_t nbdks,
		     struct bank_keys *k);
/* 8-byte MAC by the profile's algorithm; resp selects the response key. */
int bank_mac(const struct bank_keys *k, int resp, const uint8_t *data,
	     size_t len, uint8_t mac[8]);
/* Decrypt field 62 (binary). out capacity cap. */
int bank_decrypt_data(const struct bank_keys *k, const uint8_t *in,
		      size_t len, uint8_t *out, size_t cap, size_t *outlen);
void bank_keys_wipe(struct bank_keys *k);

#endif
