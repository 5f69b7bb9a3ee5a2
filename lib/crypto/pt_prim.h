/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm crypto: block cipher, MAC and data-encryption primitives, all
 * on OpenSSL 3 EVP.  TDES keys are 16 (2TDEA) or 24 (3TDEA) bytes, AES keys
 * 16, 24 or 32 bytes.
 */
#ifndef PAYTERM_PT_PRIM_H
#define PAYTERM_PT_PRIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pt_alg {
	PT_ALG_TDES = 1,
	PT_ALG_AES = 2,
};

/* 8 for TDES, 16 for AES, 0 for anything else. */
size_t pt_block_size(enum pt_alg alg);
/* PT_OK when keylen suits alg. */
int pt_check_key(enum pt_alg alg, size_t keylen);

/* ECB / CBC without padding; len must be a multiple of the block size. */
int pt_ecb(enum pt_alg alg, int encrypt, const uint8_t *key, size_t keylen,
	   const uint8_t *in, size_t len, uint8_t *out);
int pt_cbc(enum pt_alg alg, int encrypt, const uint8_t *key, size_t keylen,
	   const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out);
/* Single DES block encryption (runs as TDES with K1 = K2 = K3). */
int pt_des_encrypt_block(const uint8_t key[8], const uint8_t in[8],
			 uint8_t out[8]);

/* CMAC (NIST SP 800-38B / ISO 9797-1 alg 5); mac gets a full block
 * (16 bytes AES, 8 bytes TDES). */
int pt_cmac(enum pt_alg alg, const uint8_t *key, size_t keylen,
	    const uint8_t *msg, size_t len, uint8_t *mac);

/* ISO 9797-1 padding methods. */
enum pt_pad {
	PT_PAD_NONE = 0,	/* length must be a block multiple */
	PT_PAD_M1 = 1,		/* zero bytes up to a block multiple (none if already) */
	PT_PAD_M2 = 2,		/* 0x80 then zeros, always added */
};

/*
 * ISO 9797-1 MAC algorithm 3 ("retail MAC", ANSI X9.19): single-DES
 * CBC-MAC under K1, final block through TDES (K1, K2[, K3]).  key is 16 or
 * 24 bytes.  Output is the full 8-byte MAC; truncate as the protocol says.
 */
int pt_retail_mac(const uint8_t *key, size_t keylen, enum pt_pad pad,
		  const uint8_t *msg, size_t len, uint8_t mac[8]);

/*
 * Key check value.  TDES: first bytes of E_K(0^64) (the legacy method);
 * AES: first bytes of CMAC_K(0^128) (X9.24-1-2017 / TR-31 "01" method).
 * Up to 8 (TDES) / 16 (AES) bytes; TR-31 uses 3 or 5.
 */
int pt_kcv(enum pt_alg alg, const uint8_t *key, size_t keylen, uint8_t *kcv,
	   size_t kcvlen);

/*
 * Data encryption as used with DUKPT data keys: CBC, IV all zero unless iv
 * is given, ISO 9797-1 padding method 2 (0x80 then zeros, always at least
 * one byte).  Output length = len rounded up to the next block boundary
 * (always > len).  cap is the capacity of out.
 */
int pt_data_encrypt(enum pt_alg alg, const uint8_t *key, size_t keylen,
		    const uint8_t *iv, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *outlen);
/* Reverse; rejects bad lengths and bad padding (PT_ERR_PADDING). */
int pt_data_decrypt(enum pt_alg alg, const uint8_t *key, size_t keylen,
		    const uint8_t *iv, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *outlen);

/* Cryptographically random bytes (OpenSSL RAND_bytes). */
int pt_random(uint8_t *out, size_t len);

#ifdef __cplusplus
}
#endif

#endif
