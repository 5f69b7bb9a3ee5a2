// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A third-party program of libpaytermcrypto.so, for tests/e2e/t-libcrypto-so:
 * built only from the installed-style headers and `pkg-config payterm-crypto`.
 * Host side of AES DUKPT: BDK + KSN -> AES-128 PIN key, then the ISO 9564
 * format 4 PIN block with a fixed random part, as the X9.24-3 supplement
 * publishes them.  Test keys only.
 *
 *   crypto_consumer BDK KSN PIN PAN FILL  ->  "pin_key HEX" / "pin_block HEX"
 */
#include <payterm_crypto.h>

#include <stdio.h>

static int hex_arg(const char *what, const char *hex, uint8_t *out,
		   size_t want)
{
	size_t len;
	int rc = pt_hex_decode(hex, out, want, &len);

	if (rc == PT_OK && len != want)
		rc = PT_ERR_INVALID_ARG;
	if (rc != PT_OK)
		fprintf(stderr, "crypto_consumer: %s: %s\n", what, pt_strerror(rc));
	return rc;
}

static int pin_key_and_block(char **argv)
{
	uint8_t bdk[16], ksn[PT_DUKPT_AES_KSN_LEN], fill[8];
	uint8_t txn[16], pin_key[16], block[PT_PINBLOCK_MAX];
	char hex[2 * PT_PINBLOCK_MAX + 1];
	size_t blocklen;
	int rc;

	if (hex_arg("BDK", argv[1], bdk, sizeof(bdk)) ||
	    hex_arg("KSN", argv[2], ksn, sizeof(ksn)) ||
	    hex_arg("FILL", argv[5], fill, sizeof(fill)))
		return 2;
	rc = pt_dukpt_aes_host_txn_key(bdk, sizeof(bdk), ksn, txn);
	if (rc == PT_OK)
		rc = pt_dukpt_aes_working_key(txn, sizeof(txn), ksn, PT_DUKPT_PIN,
					      PT_KT_AES128, pin_key);
	if (rc == PT_OK) {
		pt_hex_encode(pin_key, sizeof(pin_key), hex);
		printf("pin_key %s\n", hex);
		rc = pt_pinblock_encrypt(4, pin_key, sizeof(pin_key), argv[3],
					 argv[4], fill, block, &blocklen);
	}
	if (rc == PT_OK) {
		pt_hex_encode(block, blocklen, hex);
		printf("pin_block %s\n", hex);
	}
	pt_cleanse(bdk, sizeof(bdk));
	pt_cleanse(txn, sizeof(txn));
	pt_cleanse(pin_key, sizeof(pin_key));
	if (rc != PT_OK) {
		fprintf(stderr, "crypto_consumer: %s\n", pt_strerror(rc));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: crypto_consumer BDK KSN PIN PAN FILL\n");
		return 2;
	}
	return pin_key_and_block(argv);
}
