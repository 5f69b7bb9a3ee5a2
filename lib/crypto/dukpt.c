// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm crypto: AES DUKPT (ANSI X9.24-3-2017) and TDES DUKPT (ANSI
 * X9.24-1-2009), host and device side.
 */
#include "pt_dukpt.h"
#include "pt_err.h"
#include "pt_prim.h"
#include "pt_util.h"

#include <string.h>
#include <strings.h>

#define AES_USAGE_DERIVE	0x8000	/* intermediate derivation key */
#define AES_USAGE_INITIAL	0x8001	/* initial key from the BDK */

static const struct {
	const char *name;
	enum pt_key_type type;
	size_t len;
} key_types[] = {
	{ "tdes2", PT_KT_TDES2, 16 },
	{ "tdes3", PT_KT_TDES3, 24 },
	{ "aes128", PT_KT_AES128, 16 },
	{ "aes192", PT_KT_AES192, 24 },
	{ "aes256", PT_KT_AES256, 32 },
};

size_t pt_key_type_len(enum pt_key_type t)
{
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].type == t)
			return key_types[i].len;
	return 0;
}

int pt_key_type_is_aes(enum pt_key_type t)
{
	return t == PT_KT_AES128 || t == PT_KT_AES192 || t == PT_KT_AES256;
}

int pt_key_type_parse(const char *name, enum pt_key_type *t)
{
	if (!name || !t)
		return PT_ERR_INVALID_ARG;
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (!strcasecmp(name, key_types[i].name)) {
			*t = key_types[i].type;
			return PT_OK;
		}
	return PT_ERR_ALGORITHM;
}

const char *pt_key_type_name(enum pt_key_type t)
{
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].type == t)
			return key_types[i].name;
	return "unknown";
}

unsigned pt_popcount32(uint32_t v)
{
	return (unsigned)__builtin_popcount(v);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* AES DUKPT */

static enum pt_key_type aes_dk_type(size_t len)
{
	return len == 16 ? PT_KT_AES128 : len == 24 ? PT_KT_AES192 :
	       PT_KT_AES256;
}

static int aes_dk_len_ok(size_t len)
{
	/* X9.24-3 allows AES-128/192/256 derivation keys (the issue asks for
	 * 128 and 256; 192 comes for free). */
	return len == 16 || len == 24 || len == 32;
}

/*
 * X9.24-3 6.3.2 derivation data and key derivation: AES-ECB encryption of
 * a 16-byte block per 128 bits of output, with the block counter in byte 1.
 */
static int aes_derive(const uint8_t *key, size_t keylen, uint16_t usage,
		      enum pt_key_type type, const uint8_t ikid[8],
		      uint32_t counter, int initial, uint8_t *out)
{
	uint8_t dd[16], blk[16], res[32];
	size_t outlen = pt_key_type_len(type), bits = outlen * 8, done;
	int r = PT_OK;

	dd[0] = 0x01;			/* version */
	dd[1] = 0x01;			/* key block counter */
	dd[2] = (uint8_t)(usage >> 8);
	dd[3] = (uint8_t)usage;
	dd[4] = 0;
	dd[5] = (uint8_t)type;		/* algorithm indicator */
	dd[6] = (uint8_t)(bits >> 8);
	dd[7] = (uint8_t)bits;
	if (initial) {
		memcpy(dd + 8, ikid, 8);
	} else {
		memcpy(dd + 8, ikid + 4, 4);	/* derivation ID */
		put_be32(dd + 12, counter);
	}
	for (done = 0; done < outlen; done += 16) {
		dd[1] = (uint8_t)(done / 16 + 1);
		r = pt_ecb(PT_ALG_AES, 1, key, keylen, dd, 16, blk);
		if (r)
			break;
		memcpy(res + done, blk, outlen - done < 16 ? outlen - done : 16);
	}
	if (!r)		/* out may alias key */
		memcpy(out, res, outlen);
	pt_cleanse(res, sizeof(res));
	pt_cleanse(blk, sizeof(blk));
	pt_cleanse(dd, sizeof(dd));
	return r;
}

int pt_dukpt_aes_counter_valid(uint32_t counter)
{
	return counter != 0 && pt_popcount32(counter) <= PT_DUKPT_AES_MAX_ONES;
}

/*
 * The weight rule limits which counters a device uses; the derivation
 * itself is defined for every non-zero counter, and the host derives
 * whatever KSN it is given (published vectors include such counters).
 */
static int aes_counter_derivable(uint32_t counter)
{
	return counter != 0;
}

int pt_dukpt_aes_initial_key(const uint8_t *bdk, size_t bdklen,
			     const uint8_t ikid[8], uint8_t *ik)
{
	if (!bdk || !ikid || !ik)
		return PT_ERR_INVALID_ARG;
	if (!aes_dk_len_ok(bdklen))
		return PT_ERR_KEY_LENGTH;
	return aes_derive(bdk, bdklen, AES_USAGE_INITIAL, aes_dk_type(bdklen),
			  ikid, 0, 1, ik);
}

int pt_dukpt_aes_txn_key(const uint8_t *ik, size_t iklen,
			 const uint8_t ksn[12], uint8_t *txn)
{
	uint8_t key[32];
	uint32_t counter, work = 0, bit;
	int r = PT_OK;

	if (!ik || !ksn || !txn)
		return PT_ERR_INVALID_ARG;
	if (!aes_dk_len_ok(iklen))
		return PT_ERR_KEY_LENGTH;
	counter = be32(ksn + 8);
	if (!aes_counter_derivable(counter))
		return PT_ERR_COUNTER;
	memcpy(key, ik, iklen);
	for (bit = 0x80000000u; bit; bit >>= 1) {
		if (!(counter & bit))
			continue;
		work |= bit;
		r = aes_derive(key, iklen, AES_USAGE_DERIVE, aes_dk_type(iklen),
			       ksn, work, 0, key);
		if (r)
			break;
	}
	if (!r)
		memcpy(txn, key, iklen);
	pt_cleanse(key, sizeof(key));
	return r;
}

int pt_dukpt_aes_host_txn_key(const uint8_t *bdk, size_t bdklen,
			      const uint8_t ksn[12], uint8_t *txn)
{
	uint8_t ik[32];
	int r;

	if (!ksn)
		return PT_ERR_INVALID_ARG;
	if (!aes_counter_derivable(be32(ksn + 8)))
		return PT_ERR_COUNTER;
	r = pt_dukpt_aes_initial_key(bdk, bdklen, ksn, ik);
	if (!r)
		r = pt_dukpt_aes_txn_key(ik, bdklen, ksn, txn);
	pt_cleanse(ik, sizeof(ik));
	return r;
}

static int usage_ok(enum pt_dukpt_usage u)
{
	switch (u) {
	case PT_DUKPT_KEK: case PT_DUKPT_PIN:
	case PT_DUKPT_MAC_GEN: case PT_DUKPT_MAC_VER: case PT_DUKPT_MAC_BOTH:
	case PT_DUKPT_DATA_ENC: case PT_DUKPT_DATA_DEC: case PT_DUKPT_DATA_BOTH:
		return 1;
	}
	return 0;
}

int pt_dukpt_aes_working_key(const uint8_t *txn, size_t txnlen,
			     const uint8_t ksn[12], enum pt_dukpt_usage usage,
			     enum pt_key_type type, uint8_t *out)
{
	size_t wlen = pt_key_type_len(type);

	if (!txn || !ksn || !out || !usage_ok(usage))
		return PT_ERR_INVALID_ARG;
	if (!aes_dk_len_ok(txnlen))
		return PT_ERR_KEY_LENGTH;
	if (!wlen)
		return PT_ERR_ALGORITHM;
	/* X9.24-3 6.1.3: a working key may not be stronger than its
	 * derivation key (2TDEA ~80, 3TDEA 112 bits: fine under AES-128) */
	if (pt_key_type_is_aes(type) && wlen > txnlen)
		return PT_ERR_KEY_LENGTH;
	if (!aes_counter_derivable(be32(ksn + 8)))
		return PT_ERR_COUNTER;
	return aes_derive(txn, txnlen, (uint16_t)usage, type, ksn,
			  be32(ksn + 8), 0, out);
}

/* ------------------------------------------------------------------ */
/* TDES DUKPT */

static uint32_t tdes_counter(const uint8_t ksn[10])
{
	return ((uint32_t)ksn[7] << 16 | (uint32_t)ksn[8] << 8 | ksn[9]) &
	       PT_DUKPT_TDES_COUNTER_MASK;
}

int pt_dukpt_tdes_counter_valid(uint32_t counter)
{
	return counter != 0 && counter <= PT_DUKPT_TDES_COUNTER_MASK &&
	       pt_popcount32(counter) <= PT_DUKPT_TDES_MAX_ONES;
}

/* As for AES: the host derives any non-zero 21-bit counter. */
static int tdes_counter_derivable(uint32_t counter)
{
	return counter != 0 && counter <= PT_DUKPT_TDES_COUNTER_MASK;
}

int pt_dukpt_tdes_ipek(const uint8_t bdk[16], const uint8_t ksn[10],
		       uint8_t ipek[16])
{
	uint8_t base[8], var[16], out[16];
	int r;

	if (!bdk || !ksn || !ipek)
		return PT_ERR_INVALID_ARG;
	memcpy(base, ksn, 8);
	base[7] &= 0xE0;		/* clear the counter bits */
	memcpy(var, bdk, 16);
	for (int i = 0; i < 4; i++) {
		var[i] ^= 0xC0;
		var[8 + i] ^= 0xC0;
	}
	r = pt_ecb(PT_ALG_TDES, 1, bdk, 16, base, 8, out);
	if (!r)
		r = pt_ecb(PT_ALG_TDES, 1, var, 16, base, 8, out + 8);
	if (!r)
		memcpy(ipek, out, 16);
	pt_cleanse(var, sizeof(var));
	pt_cleanse(out, sizeof(out));
	return r;
}

/* X9.24-1 A.2 non-reversible key generation process. */
static int tdes_nrkgp(const uint8_t key[16], const uint8_t reg[8],
		      uint8_t out[16])
{
	uint8_t k[16], cr1[8], cr2[8], res[16];
	int r, i;

	memcpy(k, key, 16);
	for (i = 0; i < 8; i++)
		cr2[i] = reg[i] ^ k[8 + i];
	r = pt_des_encrypt_block(k, cr2, cr2);
	for (i = 0; i < 8; i++)
		res[8 + i] = cr2[i] ^ k[8 + i];
	for (i = 0; i < 4; i++) {
		k[i] ^= 0xC0;
		k[8 + i] ^= 0xC0;
	}
	for (i = 0; i < 8; i++)
		cr1[i] = reg[i] ^ k[8 + i];
	if (!r)
		r = pt_des_encrypt_block(k, cr1, cr1);
	for (i = 0; i < 8; i++)
		res[i] = cr1[i] ^ k[8 + i];
	if (!r)
		memcpy(out, res, 16);
	pt_cleanse(k, sizeof(k));
	pt_cleanse(cr1, sizeof(cr1));
	pt_cleanse(cr2, sizeof(cr2));
	pt_cleanse(res, sizeof(res));
	return r;
}

/* Key register for KSN base (10 bytes) with counter value c. */
static void tdes_reg(const uint8_t ksn[10], uint32_t c, uint8_t reg[8])
{
	memcpy(reg, ksn + 2, 8);
	reg[5] = (uint8_t)((reg[5] & 0xE0) | ((c >> 16) & 0x1F));
	reg[6] = (uint8_t)(c >> 8);
	reg[7] = (uint8_t)c;
}

int pt_dukpt_tdes_txn_key(const uint8_t ipek[16], const uint8_t ksn[10],
			  uint8_t txn[16])
{
	uint8_t key[16], reg[8];
	uint32_t counter, work = 0, bit;
	int r = PT_OK;

	if (!ipek || !ksn || !txn)
		return PT_ERR_INVALID_ARG;
	counter = tdes_counter(ksn);
	if (!tdes_counter_derivable(counter))
		return PT_ERR_COUNTER;
	memcpy(key, ipek, 16);
	for (bit = 0x100000u; bit; bit >>= 1) {
		if (!(counter & bit))
			continue;
		work |= bit;
		tdes_reg(ksn, work, reg);
		r = tdes_nrkgp(key, reg, key);
		if (r)
			break;
	}
	if (!r)
		memcpy(txn, key, 16);
	pt_cleanse(key, sizeof(key));
	return r;
}

int pt_dukpt_tdes_host_txn_key(const uint8_t bdk[16], const uint8_t ksn[10],
			       uint8_t txn[16])
{
	uint8_t ipek[16];
	int r;

	if (!ksn)
		return PT_ERR_INVALID_ARG;
	if (!tdes_counter_derivable(tdes_counter(ksn)))
		return PT_ERR_COUNTER;
	r = pt_dukpt_tdes_ipek(bdk, ksn, ipek);
	if (!r)
		r = pt_dukpt_tdes_txn_key(ipek, ksn, txn);
	pt_cleanse(ipek, sizeof(ipek));
	return r;
}

int pt_dukpt_tdes_working_key(const uint8_t txn[16], enum pt_dukpt_usage usage,
			      uint8_t out[16])
{
	uint8_t k[16], owf[16];
	int byte, r = PT_OK;

	if (!txn || !out)
		return PT_ERR_INVALID_ARG;
	/* X9.24-1-2009 table A-1 variant constants (byte index, both halves) */
	switch (usage) {
	case PT_DUKPT_PIN:	byte = 7; break;
	case PT_DUKPT_MAC_GEN:	byte = 6; break;	/* MAC, request */
	case PT_DUKPT_MAC_VER:	byte = 4; break;	/* MAC, response */
	case PT_DUKPT_DATA_ENC:	byte = 5; break;	/* data, request */
	case PT_DUKPT_DATA_DEC:	byte = 3; break;	/* data, response */
	default:
		return PT_ERR_INVALID_ARG;
	}
	memcpy(k, txn, 16);
	k[byte] ^= 0xFF;
	k[8 + byte] ^= 0xFF;
	if (usage == PT_DUKPT_DATA_ENC || usage == PT_DUKPT_DATA_DEC) {
		/* one-way function (figure A-2): each half encrypted under
		 * the variant key itself */
		memcpy(owf, k, 16);
		r = pt_ecb(PT_ALG_TDES, 1, owf, 16, k, 16, k);
		pt_cleanse(owf, sizeof(owf));
	}
	if (!r)
		memcpy(out, k, 16);
	pt_cleanse(k, sizeof(k));
	return r;
}

/* ------------------------------------------------------------------ */
/* Device side: future key registers (X9.24-3 6.5, X9.24-1 A.2). */

static unsigned dev_bits(const struct pt_dukpt_dev *d)
{
	return d->kind == PT_DUKPT_AES ? 32 : 21;
}

static unsigned dev_max_ones(const struct pt_dukpt_dev *d)
{
	return d->kind == PT_DUKPT_AES ? PT_DUKPT_AES_MAX_ONES :
	       PT_DUKPT_TDES_MAX_ONES;
}

size_t pt_dukpt_dev_key_len(const struct pt_dukpt_dev *d)
{
	if (!d)
		return 0;
	if (d->kind == PT_DUKPT_AES)
		return pt_key_type_len(d->dk_type);
	return d->kind == PT_DUKPT_TDES ? 16 : 0;
}

size_t pt_dukpt_dev_ksn_len(const struct pt_dukpt_dev *d)
{
	if (!d)
		return 0;
	return d->kind == PT_DUKPT_AES ? 12 : d->kind == PT_DUKPT_TDES ? 10 : 0;
}

/* Derivation key for counter value c from base key. */
static int dev_derive(const struct pt_dukpt_dev *d, const uint8_t *base,
		      uint32_t c, uint8_t *out)
{
	uint8_t reg[8];

	if (d->kind == PT_DUKPT_AES)
		return aes_derive(base, pt_key_type_len(d->dk_type),
				  AES_USAGE_DERIVE, d->dk_type, d->id, c, 0,
				  out);
	tdes_reg(d->id, c, reg);
	return tdes_nrkgp(base, reg, out);
}

static int dev_fill(struct pt_dukpt_dev *d, const uint8_t *ik)
{
	int r;

	d->valid = 0;
	for (int i = (int)dev_bits(d) - 1; i >= 0; i--) {
		r = dev_derive(d, ik, (uint32_t)1 << i, d->reg[i]);
		if (r) {
			pt_dukpt_dev_wipe(d);
			return r;
		}
		d->valid |= (uint32_t)1 << i;
	}
	d->counter = 1;
	return PT_OK;
}

/* Key for counter value v, chaining from the initial key (host method). */
static int dev_chain(const struct pt_dukpt_dev *d, const uint8_t *ik,
		     uint32_t v, uint8_t *out)
{
	uint8_t key[PT_DUKPT_MAX_KEY];
	uint32_t work = 0;
	size_t klen = pt_dukpt_dev_key_len(d);
	int r = PT_OK;

	memcpy(key, ik, klen);
	for (int i = (int)dev_bits(d) - 1; i >= 0 && !r; i--) {
		if (!(v & (uint32_t)1 << i))
			continue;
		work |= (uint32_t)1 << i;
		r = dev_derive(d, key, work, key);
	}
	if (!r)
		memcpy(out, key, klen);
	pt_cleanse(key, sizeof(key));
	return r;
}

/*
 * State at counter c: register p (lowest set bit of c) holds K(c); every
 * higher register i whose bit is clear in c holds K(c above i | 1 << i),
 * provided that counter was derivable (its prefix had fewer than max_ones
 * bits); all other registers are empty.
 */
static int dev_fill_at(struct pt_dukpt_dev *d, const uint8_t *ik, uint32_t c)
{
	unsigned bits = dev_bits(d), p;
	int r;

	if (c == 0 || (bits < 32 && c >> bits) ||
	    pt_popcount32(c) > dev_max_ones(d))
		return PT_ERR_COUNTER;
	p = (unsigned)__builtin_ctz(c);
	d->valid = 0;
	for (unsigned i = p; i < bits; i++) {
		uint32_t above = i + 1 < 32 ? c & ~(((uint32_t)1 << (i + 1)) - 1) : 0;

		if (i != p && ((c >> i) & 1))
			continue;
		if (i != p && pt_popcount32(above) >= dev_max_ones(d))
			continue;
		r = dev_chain(d, ik, i == p ? c : above | (uint32_t)1 << i,
			      d->reg[i]);
		if (r)
			return r;
		d->valid |= (uint32_t)1 << i;
	}
	d->counter = c;
	return PT_OK;
}

int pt_dukpt_dev_init_aes_at(struct pt_dukpt_dev *d, const uint8_t *ik,
			     size_t iklen, const uint8_t ikid[8],
			     uint32_t counter)
{
	int r;

	if (!d || !ik || !ikid)
		return PT_ERR_INVALID_ARG;
	if (!aes_dk_len_ok(iklen))
		return PT_ERR_KEY_LENGTH;
	pt_dukpt_dev_wipe(d);
	d->kind = PT_DUKPT_AES;
	d->dk_type = aes_dk_type(iklen);
	memcpy(d->id, ikid, 8);
	r = dev_fill_at(d, ik, counter);
	if (r)
		pt_dukpt_dev_wipe(d);
	return r;
}

int pt_dukpt_dev_init_tdes_at(struct pt_dukpt_dev *d, const uint8_t ipek[16],
			      const uint8_t iksn[10], uint32_t counter)
{
	int r;

	if (!d || !ipek || !iksn)
		return PT_ERR_INVALID_ARG;
	pt_dukpt_dev_wipe(d);
	d->kind = PT_DUKPT_TDES;
	d->dk_type = PT_KT_TDES2;
	memcpy(d->id, iksn, 10);
	d->id[7] &= 0xE0;
	d->id[8] = d->id[9] = 0;
	r = dev_fill_at(d, ipek, counter);
	if (r)
		pt_dukpt_dev_wipe(d);
	return r;
}

int pt_dukpt_dev_init_aes(struct pt_dukpt_dev *d, const uint8_t *ik,
			  size_t iklen, const uint8_t ikid[8])
{
	if (!d || !ik || !ikid)
		return PT_ERR_INVALID_ARG;
	if (!aes_dk_len_ok(iklen))
		return PT_ERR_KEY_LENGTH;
	pt_dukpt_dev_wipe(d);
	d->kind = PT_DUKPT_AES;
	d->dk_type = aes_dk_type(iklen);
	memcpy(d->id, ikid, 8);
	return dev_fill(d, ik);
}

int pt_dukpt_dev_init_tdes(struct pt_dukpt_dev *d, const uint8_t ipek[16],
			   const uint8_t iksn[10])
{
	if (!d || !ipek || !iksn)
		return PT_ERR_INVALID_ARG;
	pt_dukpt_dev_wipe(d);
	d->kind = PT_DUKPT_TDES;
	d->dk_type = PT_KT_TDES2;
	memcpy(d->id, iksn, 10);
	d->id[7] &= 0xE0;
	d->id[8] = d->id[9] = 0;
	return dev_fill(d, ipek);
}

static void dev_ksn(const struct pt_dukpt_dev *d, uint32_t c, uint8_t *ksn)
{
	if (d->kind == PT_DUKPT_AES) {
		memcpy(ksn, d->id, 8);
		put_be32(ksn + 8, c);
	} else {
		memcpy(ksn, d->id, 10);
		ksn[7] = (uint8_t)((ksn[7] & 0xE0) | ((c >> 16) & 0x1F));
		ksn[8] = (uint8_t)(c >> 8);
		ksn[9] = (uint8_t)c;
	}
}

int pt_dukpt_dev_ksn(const struct pt_dukpt_dev *d, uint8_t *ksn)
{
	if (!d || !ksn)
		return PT_ERR_INVALID_ARG;
	if (d->kind != PT_DUKPT_AES && d->kind != PT_DUKPT_TDES)
		return PT_ERR_STORE_EMPTY;
	if (d->counter == 0)
		return PT_ERR_EXHAUSTED;
	dev_ksn(d, d->counter, ksn);
	return PT_OK;
}

int pt_dukpt_dev_next(struct pt_dukpt_dev *d, uint8_t *ksn, uint8_t *txn)
{
	uint64_t limit, c;
	uint32_t cur;
	unsigned p;
	size_t klen;
	int r;

	if (!d || !ksn || !txn)
		return PT_ERR_INVALID_ARG;
	if (d->kind != PT_DUKPT_AES && d->kind != PT_DUKPT_TDES)
		return PT_ERR_STORE_EMPTY;
	cur = d->counter;
	if (cur == 0)
		return PT_ERR_EXHAUSTED;
	limit = (uint64_t)1 << dev_bits(d);
	klen = pt_dukpt_dev_key_len(d);
	p = (unsigned)__builtin_ctz(cur);
	if (cur >= limit || pt_popcount32(cur) > dev_max_ones(d) ||
	    !(d->valid & ((uint32_t)1 << p)))
		return PT_ERR_COUNTER;	/* corrupted state */
	memcpy(txn, d->reg[p], klen);
	if (pt_popcount32(cur) < dev_max_ones(d)) {
		for (int i = (int)p - 1; i >= 0; i--) {
			r = dev_derive(d, txn, cur | (uint32_t)1 << i,
				       d->reg[i]);
			if (r) {
				pt_cleanse(txn, klen);
				return r;
			}
			d->valid |= (uint32_t)1 << i;
		}
	}
	pt_cleanse(d->reg[p], sizeof(d->reg[p]));
	d->valid &= ~((uint32_t)1 << p);
	/*
	 * Next counter: cur + 1 when future keys were derived below p (its
	 * register 0 is now loaded); otherwise (cur already has max_ones one
	 * bits) cur + lowest set bit, skipping every counter in between, all
	 * of which would have too many one bits.
	 */
	if (pt_popcount32(cur) < dev_max_ones(d))
		c = (uint64_t)cur + 1;
	else
		c = (uint64_t)cur + ((uint64_t)1 << p);
	while (c < limit && pt_popcount32((uint32_t)c) > dev_max_ones(d))
		c += c & (~c + 1);
	d->counter = c < limit ? (uint32_t)c : 0;
	dev_ksn(d, cur, ksn);
	return PT_OK;
}

int pt_dukpt_dev_working_key(const struct pt_dukpt_dev *d,
			     const uint8_t *txn, const uint8_t *ksn,
			     enum pt_dukpt_usage usage, enum pt_key_type type,
			     uint8_t *out, size_t *outlen)
{
	int r;

	if (!d || !txn || !ksn || !out || !outlen)
		return PT_ERR_INVALID_ARG;
	if (d->kind == PT_DUKPT_AES) {
		r = pt_dukpt_aes_working_key(txn, pt_dukpt_dev_key_len(d), ksn,
					     usage, type, out);
		if (!r)
			*outlen = pt_key_type_len(type);
		return r;
	}
	if (d->kind == PT_DUKPT_TDES) {
		if (type != PT_KT_TDES2)
			return PT_ERR_ALGORITHM;
		r = pt_dukpt_tdes_working_key(txn, usage, out);
		if (!r)
			*outlen = 16;
		return r;
	}
	return PT_ERR_STORE_EMPTY;
}

void pt_dukpt_dev_wipe(struct pt_dukpt_dev *d)
{
	if (d)
		pt_cleanse(d, sizeof(*d));
}
