/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm crypto: terminal key store.
 *
 * One file holds the device-side DUKPT state (future key registers and the
 * counter, never a BDK or initial key), sealed with AES-256-GCM under a
 * 32-byte key-encryption key (KEK).  Each update is atomic: write a temp
 * file, fsync it, rename it over the store, fsync the directory.
 * pt_ks_next() advances the counter and makes the new state durable
 * *before* it returns the transaction key, so a crash can lose a KSN but
 * never reuse one.  An open store holds an exclusive lock (<path>.lock).
 * See docs/crypto.md for the file format and the KEK source.
 */
#ifndef PAYTERM_PT_KEYSTORE_H
#define PAYTERM_PT_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "pt_dukpt.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PT_KEK_LEN	32

struct pt_keystore;

/* Read a KEK file: 32 raw bytes or 64 hex digits (+ newline); the file
 * must be a regular file not readable by group or others. */
int pt_kek_read_file(const char *path, uint8_t kek[PT_KEK_LEN]);

/* Create an empty store (no key loaded).  PT_ERR_STORE_EXISTS unless
 * force.  The directory must exist and not be group/world writable. */
int pt_ks_create(const char *path, const uint8_t kek[PT_KEK_LEN], int force,
		 struct pt_keystore **out);
/* Open, lock, check mode 0600 and owner, authenticate and decrypt. */
int pt_ks_open(const char *path, const uint8_t kek[PT_KEK_LEN],
	       struct pt_keystore **out);
/* Cleanse and free; releases the lock. */
void pt_ks_close(struct pt_keystore *ks);

/* Replace the DUKPT state (initial key loading) and persist it. */
int pt_ks_load(struct pt_keystore *ks, const struct pt_dukpt_dev *dev);
/*
 * Load an initial key from a TR-31 block: usage B1, mode X or N,
 * algorithm A (AES DUKPT; initial key ID from optional block IK, else
 * `id`) or T (TDES DUKPT; 16-byte IPEK, initial KSN from optional block
 * KS, else `id`).  id/idlen may be NULL/0.
 */
int pt_ks_load_tr31(struct pt_keystore *ks, const uint8_t *kbpk,
		    size_t kbpklen, const char *block, const uint8_t *id,
		    size_t idlen);

/* Current state (read only) and write generation. */
const struct pt_dukpt_dev *pt_ks_dev(const struct pt_keystore *ks);
uint64_t pt_ks_generation(const struct pt_keystore *ks);

/*
 * Next transaction: derive, advance, persist, then release.  ksn gets 12
 * (AES) or 10 (TDES) bytes, txn the transaction key; lengths in *ksnlen,
 * *txnlen.  On any error nothing is released and the in-memory state is
 * unchanged.
 */
int pt_ks_next(struct pt_keystore *ks, uint8_t *ksn, size_t *ksnlen,
	       uint8_t *txn, size_t *txnlen);

#ifdef __cplusplus
}
#endif

#endif
