// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: DUKPT encryption of card data and PIN, request MAC. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "payterm-common.h"
#include "payterm_crypto.h"
#include "seal.h"
#include "secure.h"

struct pd_seal {
	bool aes;
	int pin_format;
	enum pt_key_type wk_type;
	uint8_t ksn[12];
	size_t ksn_len;
	uint8_t txn[PT_DUKPT_MAX_KEY];
	size_t txn_len;
	uint8_t pin_key[PT_DUKPT_MAX_KEY];
	size_t pin_key_len;
	uint8_t mac_key[PT_DUKPT_MAX_KEY];
	size_t mac_key_len;
	char pan[20];
	bool have_card, have_pin;
	uint8_t f62[PD_F62_MAX];
	size_t f62_len;
	uint8_t pinblock[16];
	size_t pinblock_len;
	uint8_t plain[PD_F62_MAX];	/* field 62 plaintext, wiped at once */
};

/* What the answer's MAC is checked with: the key and fields 4, 48, 49, 53. */
struct pd_respmac {
	bool aes;
	uint8_t key[PT_DUKPT_MAX_KEY];	/* MAC verification key */
	size_t key_len;
	char amount[13];
	char req_hash[65];		/* field 48, the terminal's own copy */
	char currency[4];
	uint8_t f53[48];
};

static int crypto_err(int r)
{
	switch (r) {
	case PT_OK:
		return 0;
	case PT_ERR_NOMEM:
		return -ENOMEM;
	case PT_ERR_EXHAUSTED:
		return -ENOSPC;
	case PT_ERR_STORE_EMPTY:
		return -ENOKEY;
	case PT_ERR_IO:
		return -EIO;
	case PT_ERR_PAN:
	case PT_ERR_PIN:
		return -EINVAL;
	default:
		return -EPROTO;
	}
}

void pd_seal_free(struct pd_seal *s)
{
	pd_secure_free(s, sizeof(*s));
}

int pd_seal_begin(struct pt_keystore *ks, int pin_format, struct pd_seal **out)
{
	const struct pt_dukpt_dev *dev = pt_ks_dev(ks);
	struct pd_seal *s;
	int r;

	if (!dev || dev->kind == PT_DUKPT_NONE)
		return -ENOKEY;
	s = pd_secure_alloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->aes = dev->kind == PT_DUKPT_AES;
	if (pin_format < 0)
		pin_format = s->aes ? 4 : 0;
	if ((s->aes && pin_format != 4) || (!s->aes && pin_format == 4)) {
		pd_seal_free(s);
		return -EINVAL;
	}
	s->pin_format = pin_format;
	s->wk_type = s->aes ? dev->dk_type : PT_KT_TDES2;
	r = crypto_err(pt_ks_next(ks, s->ksn, &s->ksn_len, s->txn, &s->txn_len));
	if (!r)
		r = crypto_err(pt_dukpt_dev_working_key(pt_ks_dev(ks), s->txn,
				s->ksn, PT_DUKPT_PIN, s->wk_type, s->pin_key,
				&s->pin_key_len));
	if (!r)
		r = crypto_err(pt_dukpt_dev_working_key(pt_ks_dev(ks), s->txn,
				s->ksn, PT_DUKPT_MAC_GEN, s->wk_type,
				s->mac_key, &s->mac_key_len));
	if (r) {
		pd_seal_free(s);
		return r;
	}
	/* the data key is derived when the card data is there (pd_seal_card) */
	*out = s;
	return 0;
}

/* the data key, derived only when the card data is there */
static int data_key(struct pd_seal *s, uint8_t *key, size_t *keylen)
{
	if (s->aes) {
		*keylen = pt_key_type_len(s->wk_type);
		return crypto_err(pt_dukpt_aes_working_key(s->txn, s->txn_len,
				s->ksn, PT_DUKPT_DATA_ENC, s->wk_type, key));
	}
	*keylen = 16;
	return crypto_err(pt_dukpt_tdes_working_key(s->txn, PT_DUKPT_DATA_ENC,
						    key));
}

int pd_seal_card(struct pd_seal *s, const struct pd_card *card)
{
	uint8_t key[PT_DUKPT_MAX_KEY];
	size_t keylen = 0;
	int n, r;

	n = pd_card_f62_plain(card, s->plain, sizeof(s->plain));
	if (n < 0)
		return n;
	r = data_key(s, key, &keylen);
	if (!r)
		r = crypto_err(pt_data_encrypt(s->aes ? PT_ALG_AES : PT_ALG_TDES,
				key, keylen, NULL, s->plain, (size_t)n, s->f62,
				sizeof(s->f62), &s->f62_len));
	pd_wipe(key, sizeof(key));
	pd_wipe(s->plain, sizeof(s->plain));
	if (r)
		return r;
	memcpy(s->pan, card->pan, card->pan_len);
	s->pan[card->pan_len] = '\0';
	s->have_card = true;
	return 0;
}

int pd_seal_pin(struct pd_seal *s, const char *pin)
{
	int r;

	if (!s->have_card)
		return -EINVAL;
	r = crypto_err(pt_pinblock_encrypt(s->pin_format, s->pin_key,
					   s->pin_key_len, pin, s->pan, NULL,
					   s->pinblock, &s->pinblock_len));
	pd_wipe(s->pin_key, sizeof(s->pin_key));
	pd_wipe(s->pan, sizeof(s->pan));
	if (!r)
		s->have_pin = true;
	return r;
}

void pd_seal_no_pin(struct pd_seal *s)
{
	pd_wipe(s->pin_key, sizeof(s->pin_key));
	pd_wipe(s->pan, sizeof(s->pan));
	s->have_pin = false;
}

static int put(uint8_t *out, size_t cap, size_t *off, const void *p, size_t n)
{
	if (cap - *off < n)
		return -ENOSPC;
	memcpy(out + *off, p, n);
	*off += n;
	return 0;
}

static int put_lll_hex(uint8_t *out, size_t cap, size_t *off,
		       const uint8_t *bin, size_t n)
{
	char lll[4], hex[129];
	size_t i, k;

	snprintf(lll, sizeof(lll), "%03zu", 2 * n);
	if (put(out, cap, off, lll, 3) || cap - *off < 2 * n)
		return -ENOSPC;
	/* lib/common's encoder, through a chunk buffer: it writes a NUL that
	 * the MAC data has no room for */
	for (i = 0; i < n; i += k) {
		k = n - i < 64 ? n - i : 64;
		if (ptc_hex_encode(bin + i, k, hex, sizeof(hex), 0))
			return -ENOSPC;
		memcpy(out + *off, hex, 2 * k);
		*off += 2 * k;
	}
	return 0;
}

void pd_req_hash_hex(const uint8_t h[PD_REQ_HASH_LEN], char out[65])
{
	ptc_hex_encode_lower(h, PD_REQ_HASH_LEN, out, 65);
}

/* 048 LLL then the 64 hex digits, as the codec writes field 48 */
static int put_f48(uint8_t *out, size_t cap, size_t *off, const char *h)
{
	if (strlen(h) != 64)
		return -ENOSPC;
	return put(out, cap, off, "048064", 6) | put(out, cap, off, h, 64);
}

int pd_mac_data(const struct pd_sealed *p, uint8_t *out, size_t cap)
{
	size_t off = 0;
	int r = 0;

	r |= put(out, cap, &off, "004", 3);
	r |= put(out, cap, &off, p->amount, 12);
	r |= put(out, cap, &off, "022", 3);
	r |= put(out, cap, &off, p->entry_mode, 3);
	r |= put_f48(out, cap, &off, p->req_hash);
	r |= put(out, cap, &off, "049", 3);
	r |= put(out, cap, &off, p->currency, 3);
	if (p->pin_format >= 0 && !p->aes) {
		r |= put(out, cap, &off, "052", 3);
		r |= put(out, cap, &off, p->pinblock, 8);
	}
	r |= put(out, cap, &off, "053", 3);
	r |= put(out, cap, &off, p->f53, 48);
	if (p->f55_len) {
		r |= put(out, cap, &off, "055", 3);
		r |= put_lll_hex(out, cap, &off, p->f55, p->f55_len);
	}
	if (p->pin_format >= 0 && p->aes) {
		r |= put(out, cap, &off, "061", 3);
		r |= put_lll_hex(out, cap, &off, p->pinblock, 16);
	}
	r |= put(out, cap, &off, "062", 3);
	r |= put_lll_hex(out, cap, &off, p->f62, p->f62_len);
	return r ? -ENOSPC : (int)off;
}

void pd_respmac_free(struct pd_respmac *m)
{
	pd_secure_free(m, sizeof(*m));
}

/* The response MAC verification key of the transaction key, in @m. */
static int respmac_new(struct pd_seal *s, const struct pd_sealed *o,
		       struct pd_respmac **out)
{
	struct pd_respmac *m = pd_secure_alloc(sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->aes = s->aes;
	if (s->aes) {
		m->key_len = pt_key_type_len(s->wk_type);
		r = crypto_err(pt_dukpt_aes_working_key(s->txn, s->txn_len,
				s->ksn, PT_DUKPT_MAC_VER, s->wk_type, m->key));
	} else {
		m->key_len = 16;
		r = crypto_err(pt_dukpt_tdes_working_key(s->txn, PT_DUKPT_MAC_VER,
							 m->key));
	}
	if (r) {
		pd_respmac_free(m);
		return r;
	}
	memcpy(m->amount, o->amount, sizeof(m->amount));
	memcpy(m->req_hash, o->req_hash, sizeof(m->req_hash));
	memcpy(m->currency, o->currency, sizeof(m->currency));
	memcpy(m->f53, o->f53, sizeof(m->f53));
	*out = m;
	return 0;
}

int pd_resp_mac_data(const char *amount, const char *auth, const char *rc,
		     const char *req_hash, const char *currency,
		     const uint8_t f53[48], uint8_t *out, size_t cap)
{
	size_t off = 0, al = auth ? strlen(auth) : 0;
	char a6[7];
	int r = 0;

	if (strlen(amount) != 12 || strlen(rc) != 2 || strlen(currency) != 3 ||
	    al > 6 || strlen(req_hash) != 64)
		return -EINVAL;
	r |= put(out, cap, &off, "004", 3);
	r |= put(out, cap, &off, amount, 12);
	if (al) {
		/* anp 6: left-justified, space-filled (the server trims it) */
		snprintf(a6, sizeof(a6), "%-6s", auth);
		r |= put(out, cap, &off, "038", 3);
		r |= put(out, cap, &off, a6, 6);
	}
	r |= put(out, cap, &off, "039", 3);
	r |= put(out, cap, &off, rc, 2);
	/* the bank approved *this* request: the hash the terminal computed,
	 * never one the server reports */
	r |= put_f48(out, cap, &off, req_hash);
	r |= put(out, cap, &off, "049", 3);
	r |= put(out, cap, &off, currency, 3);
	r |= put(out, cap, &off, "053", 3);
	r |= put(out, cap, &off, f53, 48);
	return r ? -ENOSPC : (int)off;
}

enum pd_mac_check pd_respmac_verify(const struct pd_respmac *m, const char *rc,
				    const char *auth, const char *mac_hex)
{
	uint8_t want[8], mac[16], data[256];
	size_t n = 0;
	int dl, r;

	if (!m)
		return PD_MAC_NOKEY;
	if (!mac_hex || !*mac_hex)
		return PD_MAC_MISSING;
	if (!rc || strlen(mac_hex) != 16 ||
	    pt_hex_decode(mac_hex, want, sizeof(want), &n) || n != 8)
		return PD_MAC_BAD;
	dl = pd_resp_mac_data(m->amount, auth, rc, m->req_hash, m->currency,
			      m->f53, data, sizeof(data));
	if (dl < 0)
		return PD_MAC_BAD;
	if (m->aes)
		r = pt_cmac(PT_ALG_AES, m->key, m->key_len, data, (size_t)dl, mac);
	else
		r = pt_retail_mac(m->key, m->key_len, PT_PAD_M2, data, (size_t)dl,
				  mac);
	r = r == PT_OK && !CRYPTO_memcmp(mac, want, 8) ? PD_MAC_OK : PD_MAC_BAD;
	pd_wipe(mac, sizeof(mac));
	return (enum pd_mac_check)r;
}

int pd_seal_finish(struct pd_seal *s, uint64_t amount, const char *currency,
		   const char *entry_mode,
		   const uint8_t req_hash[PD_REQ_HASH_LEN], const uint8_t *f55,
		   size_t f55_len, struct pd_sealed *o, struct pd_respmac **rm)
{
	uint8_t mac[16], data[2048];
	int n, r;

	if (!s->have_card || !req_hash || amount > 999999999999ULL ||
	    strlen(currency) != 3 || strlen(entry_mode) != 3 ||
	    f55_len > sizeof(o->f55))
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->aes = s->aes;
	o->pin_format = s->have_pin ? s->pin_format : -1;
	snprintf(o->amount, sizeof(o->amount), "%012llu",
		 (unsigned long long)amount);
	memcpy(o->entry_mode, entry_mode, 4);
	pd_req_hash_hex(req_hash, o->req_hash);
	memcpy(o->currency, currency, 4);
	o->f53[0] = s->aes ? 0x01 : 0x02;
	o->f53[1] = s->aes ? (uint8_t)s->wk_type : 0x00;
	o->f53[2] = s->have_pin ? (uint8_t)s->pin_format : 0xff;
	memcpy(o->f53 + 4, s->ksn, s->ksn_len);
	memcpy(o->ksn, s->ksn, s->ksn_len);
	o->ksn_len = s->ksn_len;
	memcpy(o->pinblock, s->pinblock, s->pinblock_len);
	o->pinblock_len = s->have_pin ? s->pinblock_len : 0;
	memcpy(o->f62, s->f62, s->f62_len);
	o->f62_len = s->f62_len;
	if (f55_len)
		memcpy(o->f55, f55, f55_len);
	o->f55_len = f55_len;
	n = pd_mac_data(o, data, sizeof(data));
	if (n < 0)
		return n;
	if (s->aes)
		r = crypto_err(pt_cmac(PT_ALG_AES, s->mac_key, s->mac_key_len,
				       data, (size_t)n, mac));
	else
		r = crypto_err(pt_retail_mac(s->mac_key, s->mac_key_len,
					     PT_PAD_M2, data, (size_t)n, mac));
	if (!r)
		memcpy(o->mac, mac, 8);
	/* the response MAC key is derived before the transaction key goes */
	if (!r && rm)
		r = respmac_new(s, o, rm);
	pd_wipe(s->mac_key, sizeof(s->mac_key));
	pd_wipe(s->txn, sizeof(s->txn));
	return r;
}
