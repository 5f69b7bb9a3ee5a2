/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm crypto: TR-31 / ANSI X9.143 key blocks.
 *   import: versions A and C (TDES key variant binding), B (TDES key
 *           derivation binding, CMAC) and D (AES key derivation binding)
 *   export: versions B and D
 * Header and optional blocks (KS, KC, KP, IK, PB, TS, any other ID, with
 * extended lengths) are parsed and checked.  pt_tr31_check_use() enforces
 * key usage and mode of use; the pt_tr31_*() crypto helpers below call it,
 * so a PIN key cannot be used as a data or MAC key.
 */
#ifndef PAYTERM_PT_TR31_H
#define PAYTERM_PT_TR31_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_TR31_HEADER_LEN	16
#define PT_TR31_MAX_OPT		32
#define PT_TR31_MAX_KEY		32	/* symmetric keys only */
#define PT_TR31_MAX_LEN		9992	/* 4-digit length field */

struct pt_tr31_opt {
	char id[3];
	char *data;		/* NUL terminated, printable ASCII */
	size_t len;
};

struct pt_tr31_key {
	char version;		/* 'A' 'B' 'C' 'D' */
	char usage[3];		/* "P0", "B1", "D0", "K0", "M3"... */
	char algorithm;		/* 'A' AES, 'T' TDES, 'D' DES, 'H' HMAC... */
	char mode;		/* 'E' 'D' 'B' 'G' 'V' 'C' 'N' 'X'... */
	char key_version[3];	/* "00" */
	char exportability;	/* 'E' 'N' 'S' */
	size_t nopt;
	struct pt_tr31_opt opt[PT_TR31_MAX_OPT];
	uint8_t key[PT_TR31_MAX_KEY];	/* clear key after unwrap */
	size_t keylen;
	uint8_t kcv[3];			/* TDES legacy / AES CMAC KCV */
};

/* Parse header and optional blocks only, no cryptography (this is what
 * the fuzzer drives).  *hdrlen gets header + optional blocks length. */
int pt_tr31_parse(const char *block, size_t len, struct pt_tr31_key *out,
		  size_t *hdrlen);
/* Verify and decrypt; kbpk: TDES 16/24 bytes (A, B, C), AES 16/24/32
 * bytes (D).  *out is overwritten (pt_tr31_clear() a previous result
 * first); on error it is left cleared. */
int pt_tr31_unwrap(const uint8_t *kbpk, size_t kbpklen, const char *block,
		   struct pt_tr31_key *out);
/* Build a version B or D block from in's header fields, optional blocks
 * and key; a PB block is appended when needed.  out gets a NUL terminated
 * string (cap includes the NUL). */
int pt_tr31_wrap(const uint8_t *kbpk, size_t kbpklen,
		 const struct pt_tr31_key *in, char *out, size_t cap);
/* Same with caller-chosen key padding (tests reproduce published
 * blocks); padlen must make 2 + keylen + padlen a block multiple. */
int pt_tr31_wrap_pad(const uint8_t *kbpk, size_t kbpklen,
		     const struct pt_tr31_key *in, const uint8_t *pad,
		     size_t padlen, char *out, size_t cap);
/* Padding bytes of the last unwrap are not kept; tests recover them with
 * this: decrypts the payload and returns its padding. */
int pt_tr31_payload_padding(const uint8_t *kbpk, size_t kbpklen,
			    const char *block, uint8_t *pad, size_t cap,
			    size_t *padlen);

/* Header setup for wrap: fields from a 16-char header template such as
 * "D0000P0AE00E0000" (length and block count are recomputed). */
int pt_tr31_set_header(struct pt_tr31_key *k, const char *hdr16);
int pt_tr31_opt_add(struct pt_tr31_key *k, const char id[2],
		    const char *data);
/* Data of the first optional block with this ID, or NULL. */
const char *pt_tr31_opt_get(const struct pt_tr31_key *k, const char id[2]);
/* Free optional blocks, cleanse the key. */
void pt_tr31_clear(struct pt_tr31_key *k);

enum pt_key_op {
	PT_OP_PIN_ENCRYPT,
	PT_OP_PIN_DECRYPT,
	PT_OP_MAC_GENERATE,
	PT_OP_MAC_VERIFY,
	PT_OP_DATA_ENCRYPT,
	PT_OP_DATA_DECRYPT,
	PT_OP_KEY_WRAP,
	PT_OP_KEY_UNWRAP,
	PT_OP_DUKPT_BDK,	/* B0, mode X or N */
	PT_OP_DUKPT_INITIAL,	/* B1, mode X or N */
	PT_OP_EXPORT,		/* exportability E or S */
};
/* PT_OK, or PT_ERR_KEY_USAGE with the reason in pt_strerror. */
int pt_tr31_check_use(const struct pt_tr31_key *k, enum pt_key_op op);

/* Crypto with usage enforcement. */
int pt_tr31_pin_encrypt(const struct pt_tr31_key *k, int format,
			const char *pin, const char *pan, uint8_t *out,
			size_t *outlen);
int pt_tr31_pin_decrypt(const struct pt_tr31_key *k, int format,
			const uint8_t *in, size_t len, const char *pan,
			char pin[13]);
int pt_tr31_data_encrypt(const struct pt_tr31_key *k, const uint8_t *in,
			 size_t len, uint8_t *out, size_t cap, size_t *outlen);
int pt_tr31_data_decrypt(const struct pt_tr31_key *k, const uint8_t *in,
			 size_t len, uint8_t *out, size_t cap, size_t *outlen);
/* M6 (CMAC, AES or TDES) or M3 (ISO 9797-1 alg 3, TDES); mac gets the
 * full block / 8 bytes, *maclen its length. */
int pt_tr31_mac_generate(const struct pt_tr31_key *k, const uint8_t *msg,
			 size_t len, uint8_t *mac, size_t *maclen);
int pt_tr31_mac_verify(const struct pt_tr31_key *k, const uint8_t *msg,
		       size_t len, const uint8_t *mac, size_t maclen);

#ifdef __cplusplus
}
#endif

#endif
