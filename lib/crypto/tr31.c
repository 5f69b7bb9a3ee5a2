// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm crypto: TR-31 / ANSI X9.143 key blocks.
 *
 * Layout: 16-char header | optional blocks | encrypted payload (hex) | MAC
 * (hex).  Payload = 2-byte key length in bits | key | padding.
 *   A, C: TDES; KBEK = KBPK ^ 0x45.., KBMK = KBPK ^ 0x4D..; TDES-CBC with
 *         IV = first 8 header chars; MAC = 4-byte TDES CBC-MAC over the
 *         ASCII header and the (binary) encrypted payload.
 *   B:    TDES; KBEK/KBMK = TDES-CMAC(KBPK, counter|usage|00|alg|bits);
 *         MAC = 8-byte TDES-CMAC(KBMK, header | clear payload); payload
 *         TDES-CBC encrypted with IV = MAC.
 *   D:    the same with AES and a 16-byte MAC.
 */
#include "pt_tr31.h"
#include "pt_err.h"
#include "pt_pinblock.h"
#include "pt_prim.h"
#include "pt_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_alnum_up(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int is_print(char c)
{
	return c >= 0x20 && c <= 0x7E;
}

static int in_set(char c, const char *set)
{
	return c && strchr(set, c) != NULL;
}

static int parse_num(const char *s, size_t n, int base, size_t *v)
{
	size_t r = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		r = r * (size_t)base + d;
	}
	*v = r;
	return 0;
}

static size_t version_bs(char v)
{
	return v == 'D' ? 16 : 8;
}

static size_t version_maclen(char v)
{
	return v == 'D' ? 16 : v == 'B' ? 8 : 4;
}

void pt_tr31_clear(struct pt_tr31_key *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nopt && i < PT_TR31_MAX_OPT; i++) {
		if (k->opt[i].data) {
			pt_cleanse(k->opt[i].data, k->opt[i].len);
			free(k->opt[i].data);
		}
	}
	pt_cleanse(k, sizeof(*k));
}

int pt_tr31_opt_add(struct pt_tr31_key *k, const char id[2], const char *data)
{
	size_t n;

	if (!k || !id || !data)
		return PT_ERR_INVALID_ARG;
	if (k->nopt >= PT_TR31_MAX_OPT)
		return PT_ERR_TR31_OPTBLOCK;
	if (!is_alnum_up(id[0]) || !is_alnum_up(id[1]))
		return PT_ERR_TR31_OPTBLOCK;
	n = strlen(data);
	if (n > PT_TR31_MAX_LEN)
		return PT_ERR_TR31_OPTBLOCK;
	for (size_t i = 0; i < n; i++)
		if (!is_print(data[i]))
			return PT_ERR_TR31_OPTBLOCK;
	k->opt[k->nopt].data = malloc(n + 1);
	if (!k->opt[k->nopt].data)
		return PT_ERR_NOMEM;
	memcpy(k->opt[k->nopt].data, data, n + 1);
	k->opt[k->nopt].len = n;
	k->opt[k->nopt].id[0] = id[0];
	k->opt[k->nopt].id[1] = id[1];
	k->opt[k->nopt].id[2] = 0;
	k->nopt++;
	return PT_OK;
}

const char *pt_tr31_opt_get(const struct pt_tr31_key *k, const char id[2])
{
	if (!k || !id)
		return NULL;
	for (size_t i = 0; i < k->nopt; i++)
		if (k->opt[i].id[0] == id[0] && k->opt[i].id[1] == id[1])
			return k->opt[i].data;
	return NULL;
}

static int check_fields(const struct pt_tr31_key *k)
{
	if (!is_alnum_up(k->usage[0]) || !is_alnum_up(k->usage[1]) ||
	    !in_set(k->algorithm, "ADEHRST") ||
	    !in_set(k->mode, "BCDEGNSTVXY") ||
	    !is_alnum_up(k->key_version[0]) || !is_alnum_up(k->key_version[1]) ||
	    !in_set(k->exportability, "ENS"))
		return PT_ERR_TR31_HEADER;
	return PT_OK;
}

int pt_tr31_set_header(struct pt_tr31_key *k, const char *hdr16)
{
	if (!k || !hdr16 || strlen(hdr16) < PT_TR31_HEADER_LEN)
		return PT_ERR_TR31_HEADER;
	k->version = hdr16[0];
	if (!in_set(k->version, "ABCD"))
		return PT_ERR_TR31_VERSION;
	memcpy(k->usage, hdr16 + 5, 2);
	k->usage[2] = 0;
	k->algorithm = hdr16[7];
	k->mode = hdr16[8];
	memcpy(k->key_version, hdr16 + 9, 2);
	k->key_version[2] = 0;
	k->exportability = hdr16[11];
	return check_fields(k);
}

int pt_tr31_parse(const char *block, size_t len, struct pt_tr31_key *out,
		  size_t *hdrlen)
{
	size_t total, nopt, pos, rest, maclen_hex, i;
	int r;

	if (!block || !out)
		return PT_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	if (len < PT_TR31_HEADER_LEN)
		return PT_ERR_TR31_HEADER;
	if (!in_set(block[0], "ABCD"))
		return is_print(block[0]) ? PT_ERR_TR31_VERSION : PT_ERR_TR31_HEADER;
	if (parse_num(block + 1, 4, 10, &total))
		return PT_ERR_TR31_HEADER;
	if (total != len)
		return PT_ERR_TR31_LENGTH;
	out->version = block[0];
	memcpy(out->usage, block + 5, 2);
	out->algorithm = block[7];
	out->mode = block[8];
	memcpy(out->key_version, block + 9, 2);
	out->exportability = block[11];
	r = check_fields(out);
	if (r)
		goto fail;
	if (parse_num(block + 12, 2, 10, &nopt) || block[14] != '0' ||
	    block[15] != '0') {
		r = PT_ERR_TR31_HEADER;
		goto fail;
	}
	if (nopt > PT_TR31_MAX_OPT) {
		r = PT_ERR_TR31_OPTBLOCK;
		goto fail;
	}
	pos = PT_TR31_HEADER_LEN;
	for (i = 0; i < nopt; i++) {
		size_t blen, start, lol;
		struct pt_tr31_opt *o = &out->opt[i];

		r = PT_ERR_TR31_OPTBLOCK;
		if (len - pos < 4 || !is_alnum_up(block[pos]) ||
		    !is_alnum_up(block[pos + 1]) ||
		    parse_num(block + pos + 2, 2, 16, &blen))
			goto fail;
		start = pos + 4;
		if (blen == 0) {	/* extended length */
			if (len - pos < 6 ||
			    parse_num(block + pos + 4, 2, 16, &lol) ||
			    lol == 0 || lol > 4 || len - pos - 6 < lol ||
			    parse_num(block + pos + 6, lol, 16, &blen))
				goto fail;
			start = pos + 6 + lol;
		}
		if (blen < start - pos || blen > len - pos)
			goto fail;
		for (size_t j = start; j < pos + blen; j++)
			if (!is_print(block[j]))
				goto fail;
		o->len = pos + blen - start;
		o->data = malloc(o->len + 1);
		if (!o->data) {
			r = PT_ERR_NOMEM;
			goto fail;
		}
		memcpy(o->data, block + start, o->len);
		o->data[o->len] = 0;
		o->id[0] = block[pos];
		o->id[1] = block[pos + 1];
		out->nopt = i + 1;
		pos += blen;
	}
	/* the header must end on a cipher block boundary (PB pads it) */
	if (pos % version_bs(out->version)) {
		r = PT_ERR_TR31_OPTBLOCK;
		goto fail;
	}
	rest = len - pos;
	maclen_hex = 2 * version_maclen(out->version);
	if (rest <= maclen_hex ||
	    (rest - maclen_hex) % (2 * version_bs(out->version))) {
		r = PT_ERR_TR31_LENGTH;
		goto fail;
	}
	for (i = pos; i < len; i++) {
		char c = block[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') ||
		      (c >= 'a' && c <= 'f'))) {
			r = PT_ERR_HEX;
			goto fail;
		}
	}
	if (hdrlen)
		*hdrlen = pos;
	return PT_OK;
fail:
	pt_tr31_clear(out);
	return r;
}

/* KBEK (usage 0) and KBMK (usage 1) for versions B and D. */
static int derive_bd(char version, const uint8_t *kbpk, size_t kbpklen,
		     uint8_t *kbek, uint8_t *kbmk)
{
	enum pt_alg alg = version == 'D' ? PT_ALG_AES : PT_ALG_TDES;
	size_t bs = pt_block_size(alg), bits = kbpklen * 8;
	uint8_t dd[8], blk[16], tmp[2][48];
	uint8_t algid;
	int r = PT_OK;

	if (alg == PT_ALG_AES)
		algid = kbpklen == 16 ? 2 : kbpklen == 24 ? 3 : 4;
	else
		algid = kbpklen == 16 ? 0 : 1;
	for (int u = 0; u < 2 && !r; u++) {
		for (size_t done = 0, i = 1; done < kbpklen && !r; done += bs, i++) {
			dd[0] = (uint8_t)i;
			dd[1] = 0;
			dd[2] = (uint8_t)u;
			dd[3] = 0;
			dd[4] = 0;
			dd[5] = algid;
			dd[6] = (uint8_t)(bits >> 8);
			dd[7] = (uint8_t)bits;
			r = pt_cmac(alg, kbpk, kbpklen, dd, 8, blk);
			memcpy(tmp[u] + done, blk, bs);
		}
	}
	if (!r) {
		memcpy(kbek, tmp[0], kbpklen);
		memcpy(kbmk, tmp[1], kbpklen);
	}
	pt_cleanse(tmp, sizeof(tmp));
	pt_cleanse(blk, sizeof(blk));
	return r;
}

static int kbpk_ok(char version, size_t kbpklen)
{
	if (version == 'D')
		return kbpklen == 16 || kbpklen == 24 || kbpklen == 32;
	return kbpklen == 16 || kbpklen == 24;
}

static enum pt_alg key_alg(char algorithm)
{
	return algorithm == 'A' ? PT_ALG_AES : PT_ALG_TDES;
}

static int key_len_ok(char algorithm, size_t keylen)
{
	switch (algorithm) {
	case 'A': return keylen == 16 || keylen == 24 || keylen == 32;
	case 'T': return keylen == 16 || keylen == 24;
	case 'D': return keylen == 8;
	default: return keylen > 0 && keylen <= PT_TR31_MAX_KEY;
	}
}

static int compute_kcv(char algorithm, const uint8_t *key, size_t keylen,
		       uint8_t *kcv, size_t n)
{
	uint8_t k2[16];
	int r;

	if (algorithm == 'A')
		return pt_kcv(PT_ALG_AES, key, keylen, kcv, n);
	if (algorithm == 'T')
		return pt_kcv(PT_ALG_TDES, key, keylen, kcv, n);
	if (algorithm == 'D' && keylen == 8) {
		memcpy(k2, key, 8);
		memcpy(k2 + 8, key, 8);
		r = pt_kcv(PT_ALG_TDES, k2, 16, kcv, n);
		pt_cleanse(k2, sizeof(k2));
		return r;
	}
	memset(kcv, 0, n);
	return PT_OK;
}

/* Check a KC / KP block ("00" legacy or "01" CMAC, then hex KCV). */
static int check_kcv_block(const char *data, enum pt_alg alg,
			   const uint8_t *key, size_t keylen)
{
	uint8_t want[8], got[16];
	size_t n;
	int r;

	if (strlen(data) < 4 || data[0] != '0' || (data[1] != '0' && data[1] != '1'))
		return PT_ERR_TR31_OPTBLOCK;
	if (pt_hex_decode(data + 2, want, sizeof(want), &n) || n < 2)
		return PT_ERR_TR31_OPTBLOCK;
	if (data[1] == '1' && alg == PT_ALG_AES)
		r = pt_kcv(PT_ALG_AES, key, keylen, got, n > 16 ? 16 : n);
	else if (data[1] == '1')
		r = pt_cmac(PT_ALG_TDES, key, keylen, (const uint8_t *)"\0\0\0\0\0\0\0\0", 8, got);
	else if (alg == PT_ALG_TDES)
		r = pt_kcv(PT_ALG_TDES, key, keylen, got, n > 8 ? 8 : n);
	else
		r = pt_ecb(PT_ALG_AES, 1, key, keylen,
			   (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, got);
	if (r)
		return r;
	return memcmp(want, got, n) ? PT_ERR_TR31_OPTBLOCK : PT_OK;
}

/* Decrypt + verify; payload (malloc'd) returned for the padding helper. */
static int unwrap_core(const uint8_t *kbpk, size_t kbpklen, const char *block,
		       struct pt_tr31_key *out, uint8_t **payload_out,
		       size_t *paylen_out)
{
	size_t len, hdrlen, enclen, maclen, bits, i;
	uint8_t kbek[32], kbmk[32], mac[16], calc[16], iv[8];
	uint8_t *enc = NULL, *pay = NULL, *macbuf = NULL;
	enum pt_alg alg;
	int r;

	if (!kbpk || !block || !out)
		return PT_ERR_INVALID_ARG;
	len = strnlen(block, PT_TR31_MAX_LEN + 1);
	if (len > PT_TR31_MAX_LEN) {
		memset(out, 0, sizeof(*out));
		return PT_ERR_TR31_LENGTH;
	}
	r = pt_tr31_parse(block, len, out, &hdrlen);
	if (r)
		return r;
	if (!kbpk_ok(out->version, kbpklen)) {
		r = PT_ERR_KEY_LENGTH;
		goto out;
	}
	alg = out->version == 'D' ? PT_ALG_AES : PT_ALG_TDES;
	maclen = version_maclen(out->version);
	enclen = (len - hdrlen) / 2 - maclen;
	enc = malloc(enclen);
	pay = malloc(enclen);
	macbuf = malloc(len);
	if (!enc || !pay || !macbuf) {
		r = PT_ERR_NOMEM;
		goto out;
	}
	if (pt_hex_decode_n(block + hdrlen, 2 * enclen, enc, enclen, NULL) ||
	    pt_hex_decode_n(block + hdrlen + 2 * enclen, 2 * maclen, mac,
			    sizeof(mac), NULL)) {
		r = PT_ERR_HEX;
		goto out;
	}
	if (out->version == 'A' || out->version == 'C') {
		for (i = 0; i < kbpklen; i++) {
			kbek[i] = kbpk[i] ^ 0x45;
			kbmk[i] = kbpk[i] ^ 0x4D;
		}
		/* CBC-MAC over the ASCII header and the encrypted payload */
		memcpy(macbuf, block, hdrlen);
		memcpy(macbuf + hdrlen, enc, enclen);
		r = pt_cbc(PT_ALG_TDES, 1, kbmk, kbpklen, NULL, macbuf,
			   hdrlen + enclen, macbuf);
		if (r)
			goto out;
		if (pt_memcmp_ct(macbuf + hdrlen + enclen - 8, mac, 4)) {
			r = PT_ERR_TR31_MAC;
			goto out;
		}
		memcpy(iv, block, 8);
		r = pt_cbc(PT_ALG_TDES, 0, kbek, kbpklen, iv, enc, enclen, pay);
		if (r)
			goto out;
	} else {
		r = derive_bd(out->version, kbpk, kbpklen, kbek, kbmk);
		if (r)
			goto out;
		r = pt_cbc(alg, 0, kbek, kbpklen, mac, enc, enclen, pay);
		if (r)
			goto out;
		memcpy(macbuf, block, hdrlen);
		memcpy(macbuf + hdrlen, pay, enclen);
		r = pt_cmac(alg, kbmk, kbpklen, macbuf, hdrlen + enclen, calc);
		if (r)
			goto out;
		if (pt_memcmp_ct(calc, mac, maclen)) {
			r = PT_ERR_TR31_MAC;
			goto out;
		}
	}
	bits = (size_t)pay[0] << 8 | pay[1];
	if (bits == 0 || bits % 8 || bits / 8 > enclen - 2 ||
	    bits / 8 > PT_TR31_MAX_KEY || !key_len_ok(out->algorithm, bits / 8)) {
		r = PT_ERR_TR31_PAYLOAD;
		goto out;
	}
	out->keylen = bits / 8;
	memcpy(out->key, pay + 2, out->keylen);
	r = compute_kcv(out->algorithm, out->key, out->keylen, out->kcv, 3);
	if (r)
		goto out;
	if ((out->algorithm == 'A' || out->algorithm == 'T') &&
	    pt_tr31_opt_get(out, "KC")) {
		r = check_kcv_block(pt_tr31_opt_get(out, "KC"),
				    key_alg(out->algorithm), out->key, out->keylen);
		if (r)
			goto out;
	}
	if (pt_tr31_opt_get(out, "KP")) {
		r = check_kcv_block(pt_tr31_opt_get(out, "KP"), alg, kbpk, kbpklen);
		if (r)
			goto out;
	}
	if (payload_out) {
		*payload_out = pay;
		*paylen_out = enclen;
		pay = NULL;
	}
out:
	pt_cleanse(kbek, sizeof(kbek));
	pt_cleanse(kbmk, sizeof(kbmk));
	pt_cleanse(calc, sizeof(calc));
	if (pay) {
		pt_cleanse(pay, enclen);
		free(pay);
	}
	if (macbuf) {
		pt_cleanse(macbuf, len);
		free(macbuf);
	}
	free(enc);
	if (r)
		pt_tr31_clear(out);
	return r;
}

int pt_tr31_unwrap(const uint8_t *kbpk, size_t kbpklen, const char *block,
		   struct pt_tr31_key *out)
{
	return unwrap_core(kbpk, kbpklen, block, out, NULL, NULL);
}

int pt_tr31_payload_padding(const uint8_t *kbpk, size_t kbpklen,
			    const char *block, uint8_t *pad, size_t cap,
			    size_t *padlen)
{
	struct pt_tr31_key k;
	uint8_t *pay = NULL;
	size_t paylen = 0, n;
	int r;

	if (!pad || !padlen)
		return PT_ERR_INVALID_ARG;
	r = unwrap_core(kbpk, kbpklen, block, &k, &pay, &paylen);
	if (r)
		return r;
	n = paylen - 2 - k.keylen;
	if (n > cap) {
		r = PT_ERR_BUFFER;
	} else {
		memcpy(pad, pay + 2 + k.keylen, n);
		*padlen = n;
	}
	pt_cleanse(pay, paylen);
	free(pay);
	pt_tr31_clear(&k);
	return r;
}

static size_t opt_block_len(size_t datalen)
{
	return datalen + 4 <= 255 ? datalen + 4 : datalen + 10;
}

int pt_tr31_wrap_pad(const uint8_t *kbpk, size_t kbpklen,
		     const struct pt_tr31_key *in, const uint8_t *pad,
		     size_t padlen, char *out, size_t cap)
{
	size_t bs, maclen, hdrlen = PT_TR31_HEADER_LEN, pblen = 0, paylen;
	size_t total, pos, i, nopt;
	uint8_t kbek[32], kbmk[32], mac[16], *pay = NULL, *macbuf = NULL;
	enum pt_alg alg;
	char *hdr = NULL;
	int r;

	if (!kbpk || !in || !out || (padlen && !pad))
		return PT_ERR_INVALID_ARG;
	if (in->version != 'B' && in->version != 'D')
		return PT_ERR_TR31_VERSION;
	r = check_fields(in);
	if (r)
		return r;
	if (!kbpk_ok(in->version, kbpklen))
		return PT_ERR_KEY_LENGTH;
	if (!key_len_ok(in->algorithm, in->keylen))
		return PT_ERR_KEY_LENGTH;
	if (in->nopt > PT_TR31_MAX_OPT)
		return PT_ERR_TR31_OPTBLOCK;
	alg = in->version == 'D' ? PT_ALG_AES : PT_ALG_TDES;
	/* never export KC / KP blocks the importer would reject */
	if ((in->algorithm == 'A' || in->algorithm == 'T') && pt_tr31_opt_get(in, "KC")) {
		r = check_kcv_block(pt_tr31_opt_get(in, "KC"), key_alg(in->algorithm),
				    in->key, in->keylen);
		if (r)
			return r;
	}
	if (pt_tr31_opt_get(in, "KP")) {
		r = check_kcv_block(pt_tr31_opt_get(in, "KP"), alg, kbpk, kbpklen);
		if (r)
			return r;
	}
	bs = pt_block_size(alg);
	maclen = version_maclen(in->version);
	paylen = 2 + in->keylen + padlen;
	if (paylen % bs)
		return PT_ERR_DATA_LENGTH;
	nopt = in->nopt;
	for (i = 0; i < in->nopt; i++)
		hdrlen += opt_block_len(in->opt[i].len);
	if (hdrlen % bs) {
		if (nopt + 1 > PT_TR31_MAX_OPT)
			return PT_ERR_TR31_OPTBLOCK;
		pblen = bs - hdrlen % bs;
		if (pblen < 4)
			pblen += bs;
		hdrlen += pblen;
		nopt++;
	}
	total = hdrlen + 2 * paylen + 2 * maclen;
	if (total > PT_TR31_MAX_LEN)
		return PT_ERR_TR31_LENGTH;
	if (cap < total + 1)
		return PT_ERR_BUFFER;
	hdr = malloc(hdrlen + 1);
	pay = malloc(paylen);
	macbuf = malloc(hdrlen + paylen);
	if (!hdr || !pay || !macbuf) {
		r = PT_ERR_NOMEM;
		goto out;
	}
	pos = (size_t)snprintf(hdr, hdrlen + 1, "%c%04zu%c%c%c%c%c%c%c%02zu00",
			       in->version, total, in->usage[0], in->usage[1],
			       in->algorithm, in->mode, in->key_version[0],
			       in->key_version[1], in->exportability, nopt);
	for (i = 0; i < in->nopt; i++) {
		const struct pt_tr31_opt *o = &in->opt[i];
		size_t bl = opt_block_len(o->len);

		if (bl == o->len + 4)
			pos += (size_t)snprintf(hdr + pos, hdrlen + 1 - pos, "%c%c%02zX",
						o->id[0], o->id[1], bl);
		else
			pos += (size_t)snprintf(hdr + pos, hdrlen + 1 - pos, "%c%c0004%04zX",
						o->id[0], o->id[1], bl);
		memcpy(hdr + pos, o->data, o->len);
		pos += o->len;
	}
	if (pblen) {
		pos += (size_t)snprintf(hdr + pos, hdrlen + 1 - pos, "PB%02zX", pblen);
		memset(hdr + pos, '0', pblen - 4);
		pos += pblen - 4;
	}
	hdr[pos] = 0;
	if (pos != hdrlen) {
		r = PT_ERR_TR31_HEADER;
		goto out;
	}
	pay[0] = (uint8_t)((in->keylen * 8) >> 8);
	pay[1] = (uint8_t)(in->keylen * 8);
	memcpy(pay + 2, in->key, in->keylen);
	if (padlen)
		memcpy(pay + 2 + in->keylen, pad, padlen);
	r = derive_bd(in->version, kbpk, kbpklen, kbek, kbmk);
	if (r)
		goto out;
	memcpy(macbuf, hdr, hdrlen);
	memcpy(macbuf + hdrlen, pay, paylen);
	r = pt_cmac(alg, kbmk, kbpklen, macbuf, hdrlen + paylen, mac);
	if (r)
		goto out;
	r = pt_cbc(alg, 1, kbek, kbpklen, mac, pay, paylen, pay);
	if (r)
		goto out;
	memcpy(out, hdr, hdrlen);
	pt_hex_encode(pay, paylen, out + hdrlen);
	pt_hex_encode(mac, maclen, out + hdrlen + 2 * paylen);
out:
	pt_cleanse(kbek, sizeof(kbek));
	pt_cleanse(kbmk, sizeof(kbmk));
	if (pay) {
		pt_cleanse(pay, paylen);
		free(pay);
	}
	if (macbuf) {
		pt_cleanse(macbuf, hdrlen + paylen);
		free(macbuf);
	}
	free(hdr);
	return r;
}

int pt_tr31_wrap(const uint8_t *kbpk, size_t kbpklen,
		 const struct pt_tr31_key *in, char *out, size_t cap)
{
	uint8_t pad[32];
	size_t bs, padlen;
	int r;

	if (!in)
		return PT_ERR_INVALID_ARG;
	bs = in->version == 'D' ? 16 : 8;
	padlen = (bs - (2 + in->keylen) % bs) % bs;
	r = pt_random(pad, padlen);
	if (!r)
		r = pt_tr31_wrap_pad(kbpk, kbpklen, in, pad, padlen, out, cap);
	pt_cleanse(pad, sizeof(pad));
	return r;
}

int pt_tr31_check_use(const struct pt_tr31_key *k, enum pt_key_op op)
{
	const char *usage, *modes;

	if (!k)
		return PT_ERR_INVALID_ARG;
	switch (op) {
	case PT_OP_PIN_ENCRYPT:	usage = "P0"; modes = "EBN"; break;
	case PT_OP_PIN_DECRYPT:	usage = "P0"; modes = "DBN"; break;
	case PT_OP_DATA_ENCRYPT: usage = "D0"; modes = "EBN"; break;
	case PT_OP_DATA_DECRYPT: usage = "D0"; modes = "DBN"; break;
	case PT_OP_MAC_GENERATE: usage = "M"; modes = "GCN"; break;
	case PT_OP_MAC_VERIFY:	usage = "M"; modes = "VCN"; break;
	case PT_OP_KEY_WRAP:	usage = "K"; modes = "EBN"; break;
	case PT_OP_KEY_UNWRAP:	usage = "K"; modes = "DBN"; break;
	case PT_OP_DUKPT_BDK:	usage = "B0"; modes = "XN"; break;
	case PT_OP_DUKPT_INITIAL: usage = "B1"; modes = "XN"; break;
	case PT_OP_EXPORT:
		return in_set(k->exportability, "ES") ? PT_OK : PT_ERR_KEY_USAGE;
	default:
		return PT_ERR_INVALID_ARG;
	}
	if (usage[0] != k->usage[0])
		return PT_ERR_KEY_USAGE;
	if (usage[1] && usage[1] != k->usage[1])
		return PT_ERR_KEY_USAGE;
	if (usage[0] == 'K' && k->usage[1] != '0' && k->usage[1] != '1')
		return PT_ERR_KEY_USAGE;
	if (!in_set(k->mode, modes))
		return PT_ERR_KEY_USAGE;
	return PT_OK;
}

int pt_tr31_pin_encrypt(const struct pt_tr31_key *k, int format,
			const char *pin, const char *pan, uint8_t *out,
			size_t *outlen)
{
	int r = pt_tr31_check_use(k, PT_OP_PIN_ENCRYPT);

	if (r)
		return r;
	if ((k->algorithm == 'A') != (format == 4))
		return PT_ERR_ALGORITHM;
	return pt_pinblock_encrypt(format, k->key, k->keylen, pin, pan, NULL,
				   out, outlen);
}

int pt_tr31_pin_decrypt(const struct pt_tr31_key *k, int format,
			const uint8_t *in, size_t len, const char *pan,
			char pin[13])
{
	int r = pt_tr31_check_use(k, PT_OP_PIN_DECRYPT);

	if (r)
		return r;
	if ((k->algorithm == 'A') != (format == 4))
		return PT_ERR_ALGORITHM;
	return pt_pinblock_decrypt(format, k->key, k->keylen, in, len, pan, pin);
}

static int sym_alg(const struct pt_tr31_key *k, enum pt_alg *alg)
{
	if (k->algorithm == 'A')
		*alg = PT_ALG_AES;
	else if (k->algorithm == 'T')
		*alg = PT_ALG_TDES;
	else
		return PT_ERR_ALGORITHM;
	return PT_OK;
}

int pt_tr31_data_encrypt(const struct pt_tr31_key *k, const uint8_t *in,
			 size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	enum pt_alg alg;
	int r = pt_tr31_check_use(k, PT_OP_DATA_ENCRYPT);

	if (!r)
		r = sym_alg(k, &alg);
	if (r)
		return r;
	return pt_data_encrypt(alg, k->key, k->keylen, NULL, in, len, out, cap,
			       outlen);
}

int pt_tr31_data_decrypt(const struct pt_tr31_key *k, const uint8_t *in,
			 size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	enum pt_alg alg;
	int r = pt_tr31_check_use(k, PT_OP_DATA_DECRYPT);

	if (!r)
		r = sym_alg(k, &alg);
	if (r)
		return r;
	return pt_data_decrypt(alg, k->key, k->keylen, NULL, in, len, out, cap,
			       outlen);
}

static int mac_calc(const struct pt_tr31_key *k, const uint8_t *msg,
		    size_t len, uint8_t *mac, size_t *maclen)
{
	enum pt_alg alg;
	int r = sym_alg(k, &alg);

	if (r)
		return r;
	if (k->usage[1] == '6') {	/* M6: CMAC */
		r = pt_cmac(alg, k->key, k->keylen, msg, len, mac);
		if (!r)
			*maclen = pt_block_size(alg);
		return r;
	}
	if (k->usage[1] == '3' && alg == PT_ALG_TDES) {	/* M3: alg 3 */
		r = pt_retail_mac(k->key, k->keylen, PT_PAD_M1, msg, len, mac);
		if (!r)
			*maclen = 8;
		return r;
	}
	return PT_ERR_ALGORITHM;
}

int pt_tr31_mac_generate(const struct pt_tr31_key *k, const uint8_t *msg,
			 size_t len, uint8_t *mac, size_t *maclen)
{
	int r = pt_tr31_check_use(k, PT_OP_MAC_GENERATE);

	if (!mac || !maclen)
		return PT_ERR_INVALID_ARG;
	return r ? r : mac_calc(k, msg, len, mac, maclen);
}

int pt_tr31_mac_verify(const struct pt_tr31_key *k, const uint8_t *msg,
		       size_t len, const uint8_t *mac, size_t maclen)
{
	uint8_t calc[16];
	size_t n = 0;
	int r = pt_tr31_check_use(k, PT_OP_MAC_VERIFY);

	if (!mac)
		return PT_ERR_INVALID_ARG;
	if (!r)
		r = mac_calc(k, msg, len, calc, &n);
	if (!r && (maclen < 4 || maclen > n || pt_memcmp_ct(calc, mac, maclen)))
		r = PT_ERR_MAC;
	pt_cleanse(calc, sizeof(calc));
	return r;
}
