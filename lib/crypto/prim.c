// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm crypto primitives on OpenSSL 3 EVP.  Ciphers and the CMAC
 * implementation are fetched once and cached (fetching on every call is
 * what makes the EVP_aes_*() shortcuts slow in OpenSSL 3).
 */
#include "pt_prim.h"
#include "pt_err.h"
#include "pt_util.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

enum {
	C_AES128_ECB, C_AES192_ECB, C_AES256_ECB,
	C_AES128_CBC, C_AES192_CBC, C_AES256_CBC,
	C_TDES2_ECB, C_TDES3_ECB, C_TDES2_CBC, C_TDES3_CBC,
	C_COUNT
};

static const char *const cipher_names[C_COUNT] = {
	"AES-128-ECB", "AES-192-ECB", "AES-256-ECB",
	"AES-128-CBC", "AES-192-CBC", "AES-256-CBC",
	"DES-EDE-ECB", "DES-EDE3-ECB", "DES-EDE-CBC", "DES-EDE3-CBC",
};

static EVP_CIPHER *ciphers[C_COUNT];
static EVP_MAC *cmac_impl;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	for (int i = 0; i < C_COUNT; i++)
		ciphers[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
	cmac_impl = EVP_MAC_fetch(NULL, "CMAC", NULL);
}

static const EVP_CIPHER *get_cipher(enum pt_alg alg, int cbc, size_t keylen)
{
	int idx;

	pthread_once(&fetch_once, fetch_all);
	if (alg == PT_ALG_AES) {
		if (keylen == 16)
			idx = C_AES128_ECB;
		else if (keylen == 24)
			idx = C_AES192_ECB;
		else if (keylen == 32)
			idx = C_AES256_ECB;
		else
			return NULL;
		idx += cbc ? 3 : 0;
	} else if (alg == PT_ALG_TDES) {
		if (keylen == 16)
			idx = cbc ? C_TDES2_CBC : C_TDES2_ECB;
		else if (keylen == 24)
			idx = cbc ? C_TDES3_CBC : C_TDES3_ECB;
		else
			return NULL;
	} else {
		return NULL;
	}
	return ciphers[idx];
}

size_t pt_block_size(enum pt_alg alg)
{
	return alg == PT_ALG_AES ? 16 : alg == PT_ALG_TDES ? 8 : 0;
}

int pt_check_key(enum pt_alg alg, size_t keylen)
{
	if (alg == PT_ALG_AES)
		return (keylen == 16 || keylen == 24 || keylen == 32) ?
			PT_OK : PT_ERR_KEY_LENGTH;
	if (alg == PT_ALG_TDES)
		return (keylen == 16 || keylen == 24) ? PT_OK : PT_ERR_KEY_LENGTH;
	return PT_ERR_ALGORITHM;
}

static int run_cipher(enum pt_alg alg, int cbc, int encrypt,
		      const uint8_t *key, size_t keylen, const uint8_t *iv,
		      const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0, r;
	size_t bs = pt_block_size(alg);

	if (!key || (len && (!in || !out)))
		return PT_ERR_INVALID_ARG;
	r = pt_check_key(alg, keylen);
	if (r)
		return r;
	if (len % bs || len > (size_t)1 << 30)
		return PT_ERR_DATA_LENGTH;
	c = get_cipher(alg, cbc, keylen);
	if (!c)
		return PT_ERR_CRYPTO;
	if (len == 0)
		return PT_OK;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return PT_ERR_NOMEM;
	r = PT_ERR_CRYPTO;
	if (EVP_CipherInit_ex2(ctx, c, key, cbc ? iv : NULL, encrypt, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &outl, in, (int)len) == 1 &&
	    EVP_CipherFinal_ex(ctx, out + outl, &finl) == 1 &&
	    (size_t)(outl + finl) == len)
		r = PT_OK;
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	return r;
}

int pt_ecb(enum pt_alg alg, int encrypt, const uint8_t *key, size_t keylen,
	   const uint8_t *in, size_t len, uint8_t *out)
{
	return run_cipher(alg, 0, encrypt, key, keylen, NULL, in, len, out);
}

int pt_cbc(enum pt_alg alg, int encrypt, const uint8_t *key, size_t keylen,
	   const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
	static const uint8_t zero_iv[16];

	return run_cipher(alg, 1, encrypt, key, keylen, iv ? iv : zero_iv,
			  in, len, out);
}

int pt_des_encrypt_block(const uint8_t key[8], const uint8_t in[8],
			 uint8_t out[8])
{
	uint8_t k2[16];
	int r;

	/* E_K(D_K(E_K(x))) = E_K(x): single DES without the legacy provider */
	memcpy(k2, key, 8);
	memcpy(k2 + 8, key, 8);
	r = pt_ecb(PT_ALG_TDES, 1, k2, 16, in, 8, out);
	pt_cleanse(k2, sizeof(k2));
	return r;
}

int pt_cmac(enum pt_alg alg, const uint8_t *key, size_t keylen,
	    const uint8_t *msg, size_t len, uint8_t *mac)
{
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	const char *cname;
	uint8_t k3[24];
	const uint8_t *k = key;
	size_t klen = keylen, maclen = 0, bs = pt_block_size(alg);
	int r;

	if (!key || !mac || (len && !msg))
		return PT_ERR_INVALID_ARG;
	r = pt_check_key(alg, keylen);
	if (r)
		return r;
	pthread_once(&fetch_once, fetch_all);
	if (!cmac_impl)
		return PT_ERR_CRYPTO;
	if (alg == PT_ALG_AES) {
		cname = keylen == 16 ? "AES-128-CBC" :
			keylen == 24 ? "AES-192-CBC" : "AES-256-CBC";
	} else {
		cname = "DES-EDE3-CBC";
		if (keylen == 16) {	/* K1 K2 -> K1 K2 K1 */
			memcpy(k3, key, 16);
			memcpy(k3 + 16, key, 8);
			k = k3;
			klen = 24;
		}
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						     (char *)cname, 0);
	params[1] = OSSL_PARAM_construct_end();
	ctx = EVP_MAC_CTX_new(cmac_impl);
	if (!ctx) {
		pt_cleanse(k3, sizeof(k3));
		return PT_ERR_NOMEM;
	}
	r = PT_ERR_CRYPTO;
	if (EVP_MAC_init(ctx, k, klen, params) == 1 &&
	    EVP_MAC_update(ctx, msg, len) == 1 &&
	    EVP_MAC_final(ctx, mac, &maclen, bs) == 1 && maclen == bs)
		r = PT_OK;
	EVP_MAC_CTX_free(ctx);
	pt_cleanse(k3, sizeof(k3));
	return r;
}

int pt_retail_mac(const uint8_t *key, size_t keylen, enum pt_pad pad,
		  const uint8_t *msg, size_t len, uint8_t mac[8])
{
	uint8_t k1[16], h[8], blk[8];
	size_t nblocks, i, j, rem;
	int r = PT_OK;

	if (!key || !mac || (len && !msg))
		return PT_ERR_INVALID_ARG;
	if (keylen != 16 && keylen != 24)
		return PT_ERR_KEY_LENGTH;
	rem = len % 8;
	switch (pad) {
	case PT_PAD_NONE:
		if (rem || len == 0)
			return PT_ERR_DATA_LENGTH;
		nblocks = len / 8;
		break;
	case PT_PAD_M1:	/* an empty message is one zero block */
		nblocks = len ? (len + 7) / 8 : 1;
		break;
	case PT_PAD_M2:
		nblocks = len / 8 + 1;
		break;
	default:
		return PT_ERR_INVALID_ARG;
	}
	memcpy(k1, key, 8);
	memcpy(k1 + 8, key, 8);
	memset(h, 0, sizeof(h));
	for (i = 0; i < nblocks; i++) {
		for (j = 0; j < 8; j++) {
			size_t off = i * 8 + j;
			uint8_t b;

			if (off < len)
				b = msg[off];
			else if (off == len && pad == PT_PAD_M2)
				b = 0x80;
			else
				b = 0;
			blk[j] = h[j] ^ b;
		}
		if (i + 1 < nblocks)	/* single DES under K1 */
			r = pt_ecb(PT_ALG_TDES, 1, k1, 16, blk, 8, h);
		else			/* output transformation: D_K2, E_K1(/K3) */
			r = pt_ecb(PT_ALG_TDES, 1, key, keylen, blk, 8, h);
		if (r)
			break;
	}
	if (!r)
		memcpy(mac, h, 8);
	pt_cleanse(k1, sizeof(k1));
	pt_cleanse(h, sizeof(h));
	pt_cleanse(blk, sizeof(blk));
	return r;
}

int pt_kcv(enum pt_alg alg, const uint8_t *key, size_t keylen, uint8_t *kcv,
	   size_t kcvlen)
{
	static const uint8_t zero[16];
	uint8_t out[16];
	int r;

	if (!key || !kcv || kcvlen == 0 || kcvlen > pt_block_size(alg))
		return PT_ERR_INVALID_ARG;
	if (alg == PT_ALG_AES)
		r = pt_cmac(alg, key, keylen, zero, 16, out);
	else
		r = pt_ecb(alg, 1, key, keylen, zero, 8, out);
	if (!r)
		memcpy(kcv, out, kcvlen);
	return r;
}

int pt_data_encrypt(enum pt_alg alg, const uint8_t *key, size_t keylen,
		    const uint8_t *iv, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *outlen)
{
	size_t bs = pt_block_size(alg), total;
	int r;

	if (!bs)
		return PT_ERR_ALGORITHM;
	if (!out || !outlen || (len && !in))
		return PT_ERR_INVALID_ARG;
	if (len > (size_t)1 << 30)
		return PT_ERR_DATA_LENGTH;
	total = (len / bs + 1) * bs;
	if (cap < total)
		return PT_ERR_BUFFER;
	memmove(out, in, len);
	out[len] = 0x80;
	memset(out + len + 1, 0, total - len - 1);
	r = pt_cbc(alg, 1, key, keylen, iv, out, total, out);
	if (r) {
		pt_cleanse(out, total);
		return r;
	}
	*outlen = total;
	return PT_OK;
}

int pt_data_decrypt(enum pt_alg alg, const uint8_t *key, size_t keylen,
		    const uint8_t *iv, const uint8_t *in, size_t len,
		    uint8_t *out, size_t cap, size_t *outlen)
{
	size_t bs = pt_block_size(alg), n;
	int r;

	if (!bs)
		return PT_ERR_ALGORITHM;
	if (!in || !out || !outlen)
		return PT_ERR_INVALID_ARG;
	if (len == 0 || len % bs)
		return PT_ERR_DATA_LENGTH;
	if (cap < len)
		return PT_ERR_BUFFER;
	r = pt_cbc(alg, 0, key, keylen, iv, in, len, out);
	if (r)
		return r;
	/* strip method 2 padding: trailing zeros, then 0x80 in last block */
	n = len;
	while (n > len - bs && out[n - 1] == 0)
		n--;
	if (n <= len - bs || out[n - 1] != 0x80) {
		pt_cleanse(out, len);
		return PT_ERR_PADDING;
	}
	n--;
	pt_cleanse(out + n, len - n);
	*outlen = n;
	return PT_OK;
}

int pt_random(uint8_t *out, size_t len)
{
	if (!out && len)
		return PT_ERR_INVALID_ARG;
	if (len > (size_t)1 << 20)
		return PT_ERR_DATA_LENGTH;
	return RAND_bytes(out, (int)len) == 1 ? PT_OK : PT_ERR_RANDOM;
}
