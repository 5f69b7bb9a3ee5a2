// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-bank issuer / HSM cryptography; see bankcrypto.h. */
#include "bankcrypto.h"

#include <errno.h>
#include <string.h>

#include "payterm-common.h"
#include "payterm_crypto.h"

static int digits_only(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (s[n] < '0' || s[n] > '9')
			return 0;
	return n >= min && n <= max;
}

/* ---- IBM 3624 ---- */

int bank_ibm3624_natural(const uint8_t pvk[16], const char *dectab,
			 const char *pan, size_t pinlen, char *out)
{
	uint8_t pvd[8], enc[8];
	size_t panlen;
	int rc;

	if (!pvk || !dectab || !out || strlen(dectab) != 16 ||
	    !digits_only(dectab, 16, 16))
		return PT_ERR_INVALID_ARG;
	if (!digits_only(pan, 13, 19))
		return PT_ERR_PAN;
	if (pinlen < 4 || pinlen > 12)
		return PT_ERR_PIN;
	panlen = strlen(pan);
	/* 12 rightmost digits excluding the check digit, then FFFF */
	for (int i = 0; i < 12; i += 2)
		pvd[i / 2] = (uint8_t)((pan[panlen - 13 + i] - '0') << 4 |
				       (pan[panlen - 12 + i] - '0'));
	pvd[6] = pvd[7] = 0xFF;
	rc = pt_ecb(PT_ALG_TDES, 1, pvk, 16, pvd, 8, enc);
	if (rc)
		return rc;
	/* each hex digit of the result, decimalised: nibble by nibble */
	for (size_t i = 0; i < pinlen; i++)
		out[i] = dectab[i % 2 ? enc[i / 2] & 15 : enc[i / 2] >> 4];
	out[pinlen] = 0;
	pt_cleanse(enc, sizeof(enc));
	return PT_OK;
}

int bank_ibm3624_offset(const uint8_t pvk[16], const char *dectab,
			const char *pan, const char *pin, char *out)
{
	char nat[13];
	size_t n;
	int rc;

	if (!digits_only(pin, 4, 12))
		return PT_ERR_PIN;
	n = strlen(pin);
	rc = bank_ibm3624_natural(pvk, dectab, pan, n, nat);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + (pin[i] - nat[i] + 10) % 10);
	out[n] = 0;
	pt_cleanse(nat, sizeof(nat));
	return PT_OK;
}

int bank_ibm3624_verify(const uint8_t pvk[16], const char *dectab,
			const char *pan, const char *pin, const char *offset)
{
	char nat[13];
	size_t n;
	int rc, diff = 0;

	if (!digits_only(pin, 4, 12))
		return 0;
	n = strlen(pin);
	if (!digits_only(offset, n, n))
		return 0;
	rc = bank_ibm3624_natural(pvk, dectab, pan, n, nat);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		diff |= ((nat[i] - '0' + offset[i] - '0') % 10) ^ (pin[i] - '0');
	pt_cleanse(nat, sizeof(nat));
	return diff == 0;
}

/* ---- EMV ---- */

static void odd_parity(uint8_t *k, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = k[i] & 0xFE;

		k[i] = (uint8_t)(b | !(pt_popcount32(b) & 1));
	}
}

int bank_emv_mk_option_a(const uint8_t imk[16], const char *pan, int psn,
			 uint8_t mk[16])
{
	char y[40], digits[24];
	uint8_t yb[8], yx[8];
	size_t n;
	int rc;

	if (!digits_only(pan, 12, 19) || psn > 99)
		return PT_ERR_PAN;
	n = strlen(pan);
	memcpy(digits, pan, n);
	digits[n++] = (char)('0' + (psn < 0 ? 0 : psn / 10));
	digits[n++] = (char)('0' + (psn < 0 ? 0 : psn % 10));
	memset(y, '0', 16);
	if (n >= 16)
		memcpy(y, digits + n - 16, 16);
	else
		memcpy(y + 16 - n, digits, n);
	for (int i = 0; i < 8; i++) {
		yb[i] = (uint8_t)((y[2 * i] - '0') << 4 | (y[2 * i + 1] - '0'));
		yx[i] = yb[i] ^ 0xFF;
	}
	rc = pt_ecb(PT_ALG_TDES, 1, imk, 16, yb, 8, mk);
	if (!rc)
		rc = pt_ecb(PT_ALG_TDES, 1, imk, 16, yx, 8, mk + 8);
	if (!rc)
		odd_parity(mk, 16);
	pt_cleanse(digits, sizeof(digits));
	pt_cleanse(y, sizeof(y));
	pt_cleanse(yb, sizeof(yb));
	pt_cleanse(yx, sizeof(yx));
	return rc;
}

int bank_emv_csk(const uint8_t mk[16], uint16_t atc, uint8_t sk[16])
{
	uint8_t r[16] = { 0 };
	int rc;

	r[0] = r[8] = (uint8_t)(atc >> 8);
	r[1] = r[9] = (uint8_t)atc;
	r[2] = 0xF0;
	r[10] = 0x0F;
	rc = pt_ecb(PT_ALG_TDES, 1, mk, 16, r, 16, sk);
	return rc;
}

int bank_emv_arqc(const uint8_t sk[16], const uint8_t *data, size_t len,
		  uint8_t arqc[8])
{
	return pt_retail_mac(sk, 16, PT_PAD_M2, data, len, arqc);
}

int bank_emv_arpc(const uint8_t sk[16], const uint8_t arqc[8],
		  const uint8_t arc[2], uint8_t arpc[8])
{
	uint8_t x[8];

	memcpy(x, arqc, 8);
	x[0] ^= arc[0];
	x[1] ^= arc[1];
	return pt_ecb(PT_ALG_TDES, 1, sk, 16, x, 8, arpc);
}

/* ---- BER-TLV: the shared parser (libpaytermcommon), strict and flat ---- */

int bank_tlv_parse(const uint8_t *buf, size_t len, struct bank_tlv *items,
		   size_t max, size_t *n)
{
	struct ptc_tlv t;
	size_t pos = 0;
	int r;

	*n = 0;
	if (!buf && len)
		return PT_ERR_INVALID_ARG;
	/* No padding, shortest length forms, primitive only, no duplicates. */
	while ((r = ptc_tlv_next(buf, len, &pos, &t, PTC_TLV_STRICT)) > 0) {
		if (t.constructed || bank_tlv_find(items, *n, t.tag) || *n >= max)
			return PT_ERR_INVALID_ARG;
		items[*n].tag = t.tag;
		items[*n].val = t.value;
		items[*n].len = t.len;
		(*n)++;
	}
	return r ? PT_ERR_INVALID_ARG : PT_OK;
}

const struct bank_tlv *bank_tlv_find(const struct bank_tlv *items, size_t n,
				     uint32_t tag)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].tag == tag)
			return &items[i];
	return NULL;
}

int bank_tlv_put(uint8_t *buf, size_t cap, size_t pos, uint32_t tag,
		 const uint8_t *val, size_t len)
{
	int r = ptc_tlv_put(buf, cap, &pos, tag, val, len);

	if (r)
		return r == -ENOSPC ? PT_ERR_BUFFER : PT_ERR_INVALID_ARG;
	return (int)pos;
}

int bank_dol_parse(const uint8_t *dol, size_t len, uint32_t *tags,
		   size_t *lens, size_t max, size_t *n)
{
	size_t pos = 0, l;
	uint32_t tag;
	int r;

	*n = 0;
	while ((r = ptc_dol_next(dol, len, &pos, &tag, &l)) > 0) {
		if (*n >= max)
			return PT_ERR_INVALID_ARG;
		tags[*n] = tag;
		lens[*n] = l;
		(*n)++;
	}
	return r ? PT_ERR_INVALID_ARG : PT_OK;
}

/* ---- card data ---- */

int bank_luhn_ok(const char *pan)
{
	size_t n;
	int sum = 0;

	if (!digits_only(pan, 12, 19))
		return 0;
	n = strlen(pan);
	for (size_t i = 0; i < n; i++) {
		int d = pan[n - 1 - i] - '0';

		if (i & 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return sum % 10 == 0;
}

void bank_mask_pan(const char *pan, char out[20])
{
	size_t n = pan ? strnlen(pan, 19) : 0;

	if (n < 12) {
		strcpy(out, "?");
		return;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (i < 6 || i >= n - 4) ? pan[i] : '*';
	out[n] = 0;
}

int bank_card_data_parse(const uint8_t *pt, size_t len,
			 struct bank_card_data *cd)
{
	struct bank_tlv it[8];
	const struct bank_tlv *t57, *t;
	char nib[80];
	size_t n, nn = 0, i;

	memset(cd, 0, sizeof(*cd));
	cd->psn = -1;
	if (bank_tlv_parse(pt, len, it, 8, &n))
		return PT_ERR_INVALID_ARG;
	for (i = 0; i < n; i++)
		if (it[i].tag != 0x57 && it[i].tag != 0x5A &&
		    it[i].tag != 0x5F24 && it[i].tag != 0x5F34)
			return PT_ERR_INVALID_ARG;
	t57 = bank_tlv_find(it, n, 0x57);
	if (!t57 || t57->len < 8 || t57->len > 19)
		return PT_ERR_INVALID_ARG;
	if (ptc_hex_encode(t57->val, t57->len, nib, sizeof(nib), 0))
		return PT_ERR_INVALID_ARG;
	nn = 2 * t57->len;
	if (nib[nn - 1] == 'F')
		nib[--nn] = 0;
	for (i = 0; i < nn && nib[i] != 'D'; i++)
		;
	if (i < 12 || i > 19 || i == nn || nn - i - 1 < 7)
		goto bad;
	memcpy(cd->pan, nib, i);
	cd->pan[i] = 0;
	memcpy(cd->expiry, nib + i + 1, 4);
	memcpy(cd->service_code, nib + i + 5, 3);
	if (!digits_only(cd->pan, 12, 19) || !digits_only(cd->expiry, 4, 4) ||
	    !digits_only(cd->service_code, 3, 3))
		goto bad;
	for (size_t j = i + 8; j < nn; j++)
		if (nib[j] < '0' || nib[j] > '9')
			goto bad;
	if (cd->expiry[2] > '1' || (cd->expiry[2] == '1' && cd->expiry[3] > '2') ||
	    (cd->expiry[2] == '0' && cd->expiry[3] == '0'))
		goto bad;
	t = bank_tlv_find(it, n, 0x5F34);
	if (t) {
		if (t->len != 1 || (t->val[0] >> 4) > 9 || (t->val[0] & 15) > 9)
			goto bad;
		cd->psn = (t->val[0] >> 4) * 10 + (t->val[0] & 15);
	}
	t = bank_tlv_find(it, n, 0x5A);
	if (t) {
		char p[40];
		size_t pn = 0;

		/* a PAN of at most 19 digits: at most 10 bytes of BCD */
		if (t->len > 10 || ptc_hex_encode(t->val, t->len, p, sizeof(p), 0))
			goto bad;
		pn = 2 * t->len;
		while (pn && p[pn - 1] == 'F')
			pn--;
		p[pn] = 0;
		if (strcmp(p, cd->pan)) {
			pt_cleanse(p, sizeof(p));
			goto bad;
		}
		pt_cleanse(p, sizeof(p));
	}
	t = bank_tlv_find(it, n, 0x5F24);
	if (t) {
		char e[8];

		if (t->len != 3)
			goto bad;
		/* YYMMDD: its first two bytes are the expiry YYMM */
		if (ptc_hex_encode(t->val, 2, e, sizeof(e), 0) || memcmp(e, cd->expiry, 4))
			goto bad;
	}
	pt_cleanse(nib, sizeof(nib));
	return PT_OK;
bad:
	pt_cleanse(nib, sizeof(nib));
	pt_cleanse(cd, sizeof(*cd));
	cd->psn = -1;
	return PT_ERR_INVALID_ARG;
}

/* ---- DUKPT ---- */

int bank_keys_derive(const uint8_t f53[BANK_F53_LEN],
		     const struct bank_bdk *bdks, size_t nbdks,
		     struct bank_keys *k)
{
	const struct bank_bdk *bdk = NULL;
	uint8_t txn[32];
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if (f53[3])
		return -1;
	for (int i = 16; i < BANK_F53_LEN; i++)
		if (f53[i])
			return -1;
	k->scheme = f53[0];
	k->key_type = f53[1];
	k->pin_format = f53[2] == 0xFF ? -1 : f53[2];
	if (k->scheme == BANK_KM_AES) {
		enum pt_key_type kt = (enum pt_key_type)k->key_type;

		if (kt != PT_KT_AES128 && kt != PT_KT_AES192 &&
		    kt != PT_KT_AES256)
			return -1;
		if (k->pin_format != -1 && k->pin_format != 4)
			return -1;
		k->ksnlen = 12;
		memcpy(k->ksn, f53 + 4, 12);
		for (size_t i = 0; i < nbdks; i++)
			if (bdks[i].scheme == BANK_KM_AES &&
			    !memcmp(bdks[i].id, k->ksn, 4))
				bdk = &bdks[i];
		if (!bdk)
			return -1;
		k->keylen = pt_key_type_len(kt);
		if (pt_dukpt_aes_host_txn_key(bdk->key, bdk->keylen, k->ksn, txn))
			goto out;
		if (pt_dukpt_aes_working_key(txn, bdk->keylen, k->ksn,
					     PT_DUKPT_PIN, kt, k->pin) ||
		    pt_dukpt_aes_working_key(txn, bdk->keylen, k->ksn,
					     PT_DUKPT_DATA_ENC, kt, k->data) ||
		    pt_dukpt_aes_working_key(txn, bdk->keylen, k->ksn,
					     PT_DUKPT_MAC_GEN, kt, k->mac_req) ||
		    pt_dukpt_aes_working_key(txn, bdk->keylen, k->ksn,
					     PT_DUKPT_MAC_VER, kt, k->mac_resp))
			goto out;
		rc = 0;
	} else if (k->scheme == BANK_KM_TDES) {
		if (k->key_type != 0)
			return -1;
		if (k->pin_format != -1 && k->pin_format != 0 &&
		    k->pin_format != 3)
			return -1;
		if (f53[14] || f53[15])
			return -1;
		k->ksnlen = 10;
		memcpy(k->ksn, f53 + 4, 10);
		for (size_t i = 0; i < nbdks; i++)
			if (bdks[i].scheme == BANK_KM_TDES &&
			    !memcmp(bdks[i].id, k->ksn, 5))
				bdk = &bdks[i];
		if (!bdk || bdk->keylen != 16)
			return -1;
		k->keylen = 16;
		if (pt_dukpt_tdes_host_txn_key(bdk->key, k->ksn, txn))
			goto out;
		if (pt_dukpt_tdes_working_key(txn, PT_DUKPT_PIN, k->pin) ||
		    pt_dukpt_tdes_working_key(txn, PT_DUKPT_DATA_ENC, k->data) ||
		    pt_dukpt_tdes_working_key(txn, PT_DUKPT_MAC_GEN, k->mac_req) ||
		    pt_dukpt_tdes_working_key(txn, PT_DUKPT_MAC_VER, k->mac_resp))
			goto out;
		rc = 0;
	}
out:
	pt_cleanse(txn, sizeof(txn));
	if (rc)
		bank_keys_wipe(k);
	return rc;
}

int bank_mac(const struct bank_keys *k, int resp, const uint8_t *data,
	     size_t len, uint8_t mac[8])
{
	const uint8_t *key = resp ? k->mac_resp : k->mac_req;
	uint8_t full[16];
	int rc;

	if (k->scheme == BANK_KM_AES) {
		rc = pt_cmac(PT_ALG_AES, key, k->keylen, data, len, full);
		memcpy(mac, full, 8);
		pt_cleanse(full, sizeof(full));
		return rc;
	}
	if (k->scheme == BANK_KM_TDES)
		return pt_retail_mac(key, 16, PT_PAD_M2, data, len, mac);
	return PT_ERR_INVALID_ARG;
}

int bank_decrypt_data(const struct bank_keys *k, const uint8_t *in,
		      size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	enum pt_alg alg = k->scheme == BANK_KM_AES ? PT_ALG_AES : PT_ALG_TDES;

	return pt_data_decrypt(alg, k->data, k->keylen, NULL, in, len, out, cap,
			       outlen);
}

void bank_keys_wipe(struct bank_keys *k)
{
	pt_cleanse(k, sizeof(*k));
}
