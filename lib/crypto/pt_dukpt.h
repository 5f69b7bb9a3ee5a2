/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm crypto: DUKPT key management.
 *   AES DUKPT, ANSI X9.24-3-2017: 12-byte KSN = 8-byte initial key ID ||
 *     32-bit transaction counter; at most 16 one bits per counter.
 *   TDES DUKPT, ANSI X9.24-1-2009: 10-byte KSN, 21-bit counter, at most 10
 *     one bits per counter; key variants for PIN / MAC / data.
 * Host side ("transaction receiving"): BDK + KSN -> keys.  Device side
 * ("transaction originating"): struct pt_dukpt_dev holds the future key
 * registers, never the initial key or BDK.
 */
#ifndef PAYTERM_PT_DUKPT_H
#define PAYTERM_PT_DUKPT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_DUKPT_AES_KSN_LEN	12
#define PT_DUKPT_AES_IKID_LEN	8
#define PT_DUKPT_TDES_KSN_LEN	10
#define PT_DUKPT_MAX_KEY	32
#define PT_DUKPT_AES_MAX_ONES	16
#define PT_DUKPT_TDES_MAX_ONES	10
#define PT_DUKPT_TDES_COUNTER_MASK	0x1FFFFFu

/* Working/derivation key types; values are the X9.24-3 algorithm codes. */
enum pt_key_type {
	PT_KT_TDES2 = 0,
	PT_KT_TDES3 = 1,
	PT_KT_AES128 = 2,
	PT_KT_AES192 = 3,
	PT_KT_AES256 = 4,
};
size_t pt_key_type_len(enum pt_key_type t);	/* 0 if unknown */
int pt_key_type_is_aes(enum pt_key_type t);
/* "aes128", "tdes2"... -> type; PT_ERR_ALGORITHM if unknown. */
int pt_key_type_parse(const char *name, enum pt_key_type *t);
const char *pt_key_type_name(enum pt_key_type t);

/* Working key usages; values are the X9.24-3 key usage indicators. */
enum pt_dukpt_usage {
	PT_DUKPT_KEK = 0x0002,
	PT_DUKPT_PIN = 0x1000,
	PT_DUKPT_MAC_GEN = 0x2000,
	PT_DUKPT_MAC_VER = 0x2001,
	PT_DUKPT_MAC_BOTH = 0x2002,
	PT_DUKPT_DATA_ENC = 0x3000,
	PT_DUKPT_DATA_DEC = 0x3001,
	PT_DUKPT_DATA_BOTH = 0x3002,
};

/* Number of one bits. */
unsigned pt_popcount32(uint32_t v);

/* ---- AES DUKPT, host side ---- */
/* BDK (16 or 32 bytes) + initial key ID -> initial key (same length). */
int pt_dukpt_aes_initial_key(const uint8_t *bdk, size_t bdklen,
			     const uint8_t ikid[8], uint8_t *ik);
/* Initial key + KSN -> transaction (intermediate derivation) key. */
int pt_dukpt_aes_txn_key(const uint8_t *ik, size_t iklen,
			 const uint8_t ksn[12], uint8_t *txn);
/* BDK + KSN -> transaction key (initial key derived on the way). */
int pt_dukpt_aes_host_txn_key(const uint8_t *bdk, size_t bdklen,
			      const uint8_t ksn[12], uint8_t *txn);
/* Transaction key + KSN -> working key of the given usage and type;
 * out receives pt_key_type_len(type) bytes. */
int pt_dukpt_aes_working_key(const uint8_t *txn, size_t txnlen,
			     const uint8_t ksn[12], enum pt_dukpt_usage usage,
			     enum pt_key_type type, uint8_t *out);
/* 1 when the counter may be used (non-zero, at most 16 one bits). */
int pt_dukpt_aes_counter_valid(uint32_t counter);

/* ---- TDES DUKPT, host side ---- */
/* BDK (16 bytes) + KSN (counter bits ignored) -> IPEK. */
int pt_dukpt_tdes_ipek(const uint8_t bdk[16], const uint8_t ksn[10],
		       uint8_t ipek[16]);
/* IPEK + KSN -> transaction key (the "future key" for that counter). */
int pt_dukpt_tdes_txn_key(const uint8_t ipek[16], const uint8_t ksn[10],
			  uint8_t txn[16]);
int pt_dukpt_tdes_host_txn_key(const uint8_t bdk[16], const uint8_t ksn[10],
			       uint8_t txn[16]);
/*
 * Transaction key -> working key by variant (X9.24-1-2009 table A-1):
 * PIN, MAC_GEN (request MAC), MAC_VER (response MAC), DATA_ENC (request
 * data, with the one-way function), DATA_DEC (response data, likewise).
 */
int pt_dukpt_tdes_working_key(const uint8_t txn[16], enum pt_dukpt_usage usage,
			      uint8_t out[16]);
int pt_dukpt_tdes_counter_valid(uint32_t counter);

/* ---- Device side, both schemes ---- */
enum pt_dukpt_kind {
	PT_DUKPT_NONE = 0,
	PT_DUKPT_AES = 1,
	PT_DUKPT_TDES = 2,
};

struct pt_dukpt_dev {
	enum pt_dukpt_kind kind;
	enum pt_key_type dk_type;	/* derivation key type */
	uint8_t id[12];			/* AES: initial key ID (8); TDES: KSN (10) */
	uint32_t counter;		/* counter of the next transaction */
	uint32_t valid;			/* bit i: register i holds a key */
	uint8_t reg[32][PT_DUKPT_MAX_KEY];	/* future key registers */
};

/* Load an initial key: fills the future key registers, counter = 1.
 * AES: iklen 16 or 32.  TDES: 16-byte IPEK, iksn counter bits ignored. */
int pt_dukpt_dev_init_aes(struct pt_dukpt_dev *d, const uint8_t *ik,
			  size_t iklen, const uint8_t ikid[8]);
int pt_dukpt_dev_init_tdes(struct pt_dukpt_dev *d, const uint8_t ipek[16],
			   const uint8_t iksn[10]);
/*
 * Same, but produce the state a device would have after using every
 * counter below `counter` (which must be valid).  Used to provision a
 * replacement device at a known counter and by tests to reach the end of
 * the counter space without millions of steps.
 */
int pt_dukpt_dev_init_aes_at(struct pt_dukpt_dev *d, const uint8_t *ik,
			     size_t iklen, const uint8_t ikid[8],
			     uint32_t counter);
int pt_dukpt_dev_init_tdes_at(struct pt_dukpt_dev *d, const uint8_t ipek[16],
			      const uint8_t iksn[10], uint32_t counter);
size_t pt_dukpt_dev_ksn_len(const struct pt_dukpt_dev *d);
size_t pt_dukpt_dev_key_len(const struct pt_dukpt_dev *d);
/* KSN of the next transaction (12 or 10 bytes); PT_ERR_EXHAUSTED if none. */
int pt_dukpt_dev_ksn(const struct pt_dukpt_dev *d, uint8_t *ksn);
/*
 * Take the transaction key for the current KSN and advance the state:
 * future keys below it are derived, its register erased, the counter moves
 * to the next value with at most 16 (AES) / 10 (TDES) one bits.  ksn gets
 * the KSN the key belongs to, txn pt_dukpt_dev_key_len() bytes.  Callers
 * that persist state must store the advanced state before using txn (the
 * key store does).
 */
int pt_dukpt_dev_next(struct pt_dukpt_dev *d, uint8_t *ksn, uint8_t *txn);
/* Working key from a device-side transaction key (either scheme). */
int pt_dukpt_dev_working_key(const struct pt_dukpt_dev *d,
			     const uint8_t *txn, const uint8_t *ksn,
			     enum pt_dukpt_usage usage, enum pt_key_type type,
			     uint8_t *out, size_t *outlen);
void pt_dukpt_dev_wipe(struct pt_dukpt_dev *d);

#ifdef __cplusplus
}
#endif

#endif
