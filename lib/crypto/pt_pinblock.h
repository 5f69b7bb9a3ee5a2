/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm crypto: ISO 9564-1 PIN blocks.
 *   format 0: 8 bytes, PIN field (0 N PIN F...) XOR PAN field, TDES
 *   format 1: 8 bytes, PIN field (1 N PIN random...), no PAN, TDES
 *   format 2: 8 bytes, PIN field (2 N PIN F...), no PAN (ICC), TDES
 *   format 3: 8 bytes, PIN field (3 N PIN A-F random) XOR PAN field, TDES
 *   format 4: 16 bytes, E(E(PIN field) XOR PAN field), AES; PIN field is
 *             4 N PIN A... (8 bytes) || 8 random bytes, PAN field is
 *             M (PAN length - 12, min 0) || PAN (left-padded to 12 digits
 *             when shorter) || 0 padding.
 * PIN: 4-12 decimal digits.  PAN: 8-19 decimal digits (ISO/IEC 7812);
 * formats 0 and 3 use the 12 rightmost digits excluding the check digit.
 */
#ifndef PAYTERM_PT_PINBLOCK_H
#define PAYTERM_PT_PINBLOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PT_PIN_MIN	4
#define PT_PIN_MAX	12
#define PT_PAN_MIN	8
#define PT_PAN_MAX	19
#define PT_PINBLOCK_MAX	16

/* 8 for formats 0-3, 16 for format 4, 0 if unsupported. */
size_t pt_pinblock_len(int format);
int pt_pin_valid(const char *pin);	/* PT_OK or PT_ERR_PIN */
int pt_pan_valid(const char *pan);	/* PT_OK or PT_ERR_PAN */

/*
 * PIN field / PAN field.  rnd supplies the random part (format 1 and 3:
 * pt_pinblock_len() bytes, only the nibbles needed are used; format 4: 8
 * bytes); NULL draws it from the CSPRNG.  Tests pass fixed values to
 * reproduce published blocks.
 */
int pt_pin_field(int format, const char *pin, const uint8_t *rnd,
		 uint8_t *field);
int pt_pan_field(int format, const char *pan, uint8_t *field);

/* Clear PIN block: formats 0-3 the 8-byte block, format 4 the 16-byte PIN
 * field (the PAN enters during encryption).  *len gets the length. */
int pt_pinblock_encode(int format, const char *pin, const char *pan,
		       const uint8_t *rnd, uint8_t *block, size_t *len);
/* Reverse of encode; pin receives the digits (13 bytes incl. NUL).
 * pan may be NULL for formats 1 and 2. */
int pt_pinblock_decode(int format, const uint8_t *block, size_t len,
		       const char *pan, char pin[PT_PIN_MAX + 1]);

/* Encode + encrypt: formats 0-3 under a TDES key (16/24 bytes), format 4
 * under an AES key (16/24/32 bytes). */
int pt_pinblock_encrypt(int format, const uint8_t *key, size_t keylen,
			const char *pin, const char *pan, const uint8_t *rnd,
			uint8_t *out, size_t *outlen);
int pt_pinblock_decrypt(int format, const uint8_t *key, size_t keylen,
			const uint8_t *in, size_t len, const char *pan,
			char pin[PT_PIN_MAX + 1]);

#ifdef __cplusplus
}
#endif

#endif
