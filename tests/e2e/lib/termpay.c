// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pt-termpay: TEST terminal side of a payment for the payterm-server tests.
 * Builds the crypto members of POST /v1/terminal/payments (docs/protocol.md
 * "Terminal API") for a swipe of a test card with AES-128 DUKPT, exactly as
 * a terminal would: card data TLV (tag 57) encrypted under the DUKPT data
 * key, ISO 9564 format 4 PIN block, AES-CMAC request MAC over the MAC data
 * of the ISO 8583 profile (built here independently of the codec).
 * It derives the keys from the BDK: test keys only.
 *
 *   pt-termpay --bdk HEX32 --ikid HEX16 --counter N --track2 ';PAN=...?'
 *              --pin DIGITS --amount MINOR --currency-numeric 978
 *              --request-hash SHA256HEX
 * prints one JSON object.  The request hash (field 48) is the SHA-256 of
 * the payment request JWS the terminal verified, 64 lower-case hex.
 */
#include "payterm_crypto.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *m)
{
	fprintf(stderr, "pt-termpay: %s\n", m);
	exit(1);
}

static void hexs(const uint8_t *p, size_t n, char *out)
{
	pt_hex_encode(p, n, out);
}

static void add(uint8_t *buf, size_t *len, const void *p, size_t n)
{
	if (*len + n > 4096)
		die("MAC data too long");
	memcpy(buf + *len, p, n);
	*len += n;
}

/* An LLLVAR length: at most 999, or the message cannot carry it. */
static unsigned int lll_len(const char *s)
{
	size_t n = strlen(s);

	if (n > 999)
		die("field too long for LLLVAR");
	return (unsigned int)n;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bdk", 1, 0, 'b' }, { "ikid", 1, 0, 'i' }, { "counter", 1, 0, 'c' },
		{ "track2", 1, 0, 't' }, { "pin", 1, 0, 'p' }, { "amount", 1, 0, 'a' },
		{ "currency-numeric", 1, 0, 'n' }, { "request-hash", 1, 0, 'r' },
		{ 0, 0, 0, 0 },
	};
	const char *bdkh = NULL, *ikidh = NULL, *t2 = NULL, *pin = NULL, *curn = "978";
	const char *rhash = NULL;
	unsigned long counter = 1;
	long long amount = 0;
	uint8_t bdk[32], ikid[8], ksn[12], txn[32], kd[16], kp[16], km[16];
	uint8_t tlv[64], enc[96], pb[16], f53[48], mac[16], md[4096];
	size_t bdklen = 0, n = 0, tl = 0, el = 0, pbl = 0, ml = 0, i;
	char pan[20], t2e[48], hex[512], lll[16], masked[24];
	const char *sep;
	json_t *o;
	int opt;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'b': bdkh = optarg; break;
		case 'i': ikidh = optarg; break;
		case 'c': counter = strtoul(optarg, NULL, 0); break;
		case 't': t2 = optarg; break;
		case 'p': pin = optarg; break;
		case 'a': amount = strtoll(optarg, NULL, 10); break;
		case 'n': curn = optarg; break;
		case 'r': rhash = optarg; break;
		default: return 2;
		}
	}
	if (!bdkh || !ikidh || !t2 || !pin || amount <= 0 || !rhash)
		die("need --bdk --ikid --counter --track2 --pin --amount "
		    "--request-hash");
	if (strlen(rhash) != 64 || strspn(rhash, "0123456789abcdef") != 64)
		die("--request-hash: 64 lower-case hex digits");
	if (pt_hex_decode(bdkh, bdk, sizeof(bdk), &bdklen) || bdklen != 16 ||
	    pt_hex_decode(ikidh, ikid, 8, &n) || n != 8)
		die("bad --bdk / --ikid");
	memcpy(ksn, ikid, 8);
	ksn[8] = (uint8_t)(counter >> 24);
	ksn[9] = (uint8_t)(counter >> 16);
	ksn[10] = (uint8_t)(counter >> 8);
	ksn[11] = (uint8_t)counter;
	if (pt_dukpt_aes_host_txn_key(bdk, 16, ksn, txn) ||
	    pt_dukpt_aes_working_key(txn, 16, ksn, PT_DUKPT_DATA_ENC, PT_KT_AES128, kd) ||
	    pt_dukpt_aes_working_key(txn, 16, ksn, PT_DUKPT_PIN, PT_KT_AES128, kp) ||
	    pt_dukpt_aes_working_key(txn, 16, ksn, PT_DUKPT_MAC_GEN, PT_KT_AES128, km))
		die("DUKPT derivation failed");

	/* Track 2 ";PAN=YYMMSSS...?" -> tag 57 (D separator, F pad). */
	if (*t2 == ';')
		t2++;
	sep = strchr(t2, '=');
	if (!sep || sep - t2 > 19)
		die("bad --track2");
	memcpy(pan, t2, (size_t)(sep - t2));
	pan[sep - t2] = 0;
	for (i = 0; t2[i] && t2[i] != '?' && i < sizeof(t2e) - 2; i++)
		t2e[i] = t2[i] == '=' ? 'D' : t2[i];
	if (i % 2)
		t2e[i++] = 'F';
	t2e[i] = 0;
	tlv[0] = 0x57;
	if (pt_hex_decode(t2e, tlv + 2, sizeof(tlv) - 2, &tl))
		die("bad track 2 digits");
	tlv[1] = (uint8_t)tl;
	tl += 2;
	if (pt_data_encrypt(PT_ALG_AES, kd, 16, NULL, tlv, tl, enc, sizeof(enc), &el))
		die("data encryption failed");
	if (pt_pinblock_encrypt(4, kp, 16, pin, pan, NULL, pb, &pbl) || pbl != 16)
		die("PIN block failed");

	memset(f53, 0, sizeof(f53));
	f53[0] = 0x01;
	f53[1] = 0x02;
	f53[2] = 0x04;
	memcpy(f53 + 4, ksn, 12);
	/* MAC data: 004 amount, 022 entry, 048 LLL request hash, 049 currency,
	 * 053 f53, 061 LLL hex, 062 LLL hex */
	snprintf(hex, sizeof(hex), "004%012lld022901048064%s049%s053", amount,
		 rhash, curn);
	add(md, &ml, hex, strlen(hex));
	add(md, &ml, f53, 48);
	hexs(pb, 16, hex);
	snprintf(lll, sizeof(lll), "061%03u", lll_len(hex));
	add(md, &ml, lll, 6);
	add(md, &ml, hex, strlen(hex));
	hexs(enc, el, hex);
	snprintf(lll, sizeof(lll), "062%03u", lll_len(hex));
	add(md, &ml, lll, 6);
	add(md, &ml, hex, strlen(hex));
	if (pt_cmac(PT_ALG_AES, km, 16, md, ml, mac))
		die("CMAC failed");

	snprintf(masked, sizeof(masked), "%.6s", pan);
	for (i = 6; i + 4 < strlen(pan); i++)
		masked[i] = '*';
	snprintf(masked + i, sizeof(masked) - i, "%s", pan + i);
	o = json_object();
	json_object_set_new(o, "entry_mode", json_string("901"));
	json_object_set_new(o, "dukpt", json_string("aes128"));
	hexs(ksn, 12, hex);
	json_object_set_new(o, "ksn", json_string(hex));
	json_object_set_new(o, "pin_block_format", json_integer(4));
	hexs(pb, 16, hex);
	json_object_set_new(o, "pin_block", json_string(hex));
	hexs(enc, el, hex);
	json_object_set_new(o, "card_data", json_string(hex));
	hexs(mac, 8, hex);
	json_object_set_new(o, "mac", json_string(hex));
	json_object_set_new(o, "masked_pan", json_string(masked));
	json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(o);
	pt_cleanse(txn, sizeof(txn));
	pt_cleanse(kd, sizeof(kd));
	pt_cleanse(kp, sizeof(kp));
	pt_cleanse(km, sizeof(km));
	pt_cleanse(tlv, sizeof(tlv));
	pt_cleanse(pan, sizeof(pan));
	pt_cleanse(t2e, sizeof(t2e));
	return 0;
}
