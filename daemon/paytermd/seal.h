/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: turning clear card data and the PIN into the encrypted,
 * MACed fields of docs/protocol.md ("ISO 8583 profile": fields 4, 22,
 * 48, 49, 52/61, 53, 55, 62, 64).  Field 48 is the SHA-256 of the payment
 * request JWS the terminal verified: the MAC binds the sealed card data
 * to that request.
 *
 * One struct pd_seal per transaction, in locked memory:
 *   pd_seal_begin()  takes the next DUKPT KSN from the key store (durably
 *                    advanced first), derives the data, PIN and MAC keys
 *   pd_seal_card()   encrypts the field 62 plaintext at once; keeps only
 *                    the PAN the PIN block needs
 *   pd_seal_pin()    builds and encrypts the PIN block; wipes PIN, PAN
 *                    and the PIN key
 *   pd_seal_finish() computes the request MAC; wipes every key but the
 *                    response MAC verification key, which it moves into
 *                    its own locked struct pd_respmac when asked to
 * The output (struct pd_sealed) holds only ciphertext, the KSN and the MAC.
 *
 * The response MAC (0210 field 64, docs/protocol.md "MAC (field 64)") is
 * the bank's MAC over fields 4, 38, 39, 48, 49 and 53 of its answer, under the
 * DUKPT MAC verification key (PT_DUKPT_MAC_VER / TDES MAC response variant)
 * of the same KSN: pd_respmac_verify() checks it once, in constant time.
 */
#ifndef PD_SEAL_H
#define PD_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"

struct pt_keystore;

#define PD_F62_MAX	256		/* bytes of ciphertext */
#define PD_REQ_HASH_LEN	32		/* SHA-256 of the request JWS */
#define PD_F55_MAX	255		/* bytes of ICC data */

struct pd_sealed {
	bool aes;			/* AES DUKPT (else TDES) */
	int pin_format;			/* 0, 3, 4, or -1 no PIN */
	uint8_t f53[48];
	uint8_t ksn[12];
	size_t ksn_len;
	uint8_t pinblock[16];		/* encrypted */
	size_t pinblock_len;
	uint8_t f62[PD_F62_MAX];	/* encrypted card data */
	size_t f62_len;
	uint8_t f55[PD_F55_MAX];	/* ICC data (clear, no card data tags) */
	size_t f55_len;
	char amount[13];		/* field 4, n 12 */
	char entry_mode[4];		/* field 22, n 3 */
	char req_hash[65];		/* field 48: 64 lower-case hex (not in
					 * SEALED: the front has its own) */
	char currency[4];		/* field 49, n 3 */
	uint8_t mac[8];			/* field 64 */
};

struct pd_seal;
struct pd_respmac;

enum pd_mac_check {
	PD_MAC_OK = 0,
	PD_MAC_MISSING,		/* the answer carries no response MAC */
	PD_MAC_BAD,		/* malformed or wrong */
	PD_MAC_NOKEY,		/* no key (already used or never derived) */
};

/* Allocates the state in locked memory.  @pin_format -1 = auto. */
int pd_seal_begin(struct pt_keystore *ks, int pin_format,
		  struct pd_seal **out);
int pd_seal_card(struct pd_seal *s, const struct pd_card *card);
int pd_seal_pin(struct pd_seal *s, const char *pin);
/* No PIN (contactless under the CVM limit): wipes the PIN key. */
void pd_seal_no_pin(struct pd_seal *s);
/* Fields 4/22/48/49 and optional 55, then the MAC; fills @out.
 * @req_hash: SHA-256 of the payment request JWS (field 48).  With @rm,
 * *@rm gets the response MAC verifier (locked memory; pd_respmac_free),
 * which binds the same request hash. */
int pd_seal_finish(struct pd_seal *s, uint64_t amount, const char *currency,
		   const char *entry_mode,
		   const uint8_t req_hash[PD_REQ_HASH_LEN], const uint8_t *f55,
		   size_t f55_len, struct pd_sealed *out, struct pd_respmac **rm);
/* Wipe and free (safe at any stage, NULL ok). */
void pd_seal_free(struct pd_seal *s);

/* The MAC input of docs/protocol.md "MAC (field 64)"; exposed for tests.
 * Returns bytes written or -ENOSPC. */
int pd_mac_data(const struct pd_sealed *p, uint8_t *out, size_t cap);

/* The response MAC input: 004 amount, 038 @auth (anp 6, space padded;
 * left out when empty), 039 @rc, 048 @req_hash (64 hex), 049 currency,
 * 053 field 53. */
int pd_resp_mac_data(const char *amount, const char *auth, const char *rc,
		     const char *req_hash, const char *currency,
		     const uint8_t f53[48], uint8_t *out, size_t cap);
/* Field 48: @h as 64 lower-case hex digits + NUL. */
void pd_req_hash_hex(const uint8_t h[PD_REQ_HASH_LEN], char out[65]);

/* Check @mac_hex (16 hex digits, NULL = absent) against the MAC of the
 * answer (@rc, @auth) in constant time. */
enum pd_mac_check pd_respmac_verify(const struct pd_respmac *m, const char *rc,
				    const char *auth, const char *mac_hex);
/* Wipe and free (NULL ok). */
void pd_respmac_free(struct pd_respmac *m);

#endif
