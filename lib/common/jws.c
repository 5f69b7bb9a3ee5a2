// SPDX-License-Identifier: LGPL-2.1-or-later
/* Compact JWS, ES256, on OpenSSL 3 EVP (payterm-jws.h). */
#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payterm-common.h"
#include "payterm-jws.h"

/* By the group's name: a 256-bit key on another curve is no ES256 key. */
static int is_p256(EVP_PKEY *k)
{
	char grp[64];
	size_t n = 0;

	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		return 0;
	if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp,
					    sizeof(grp), &n))
		return 0;
	return !strcmp(grp, "prime256v1") || !strcmp(grp, "P-256");
}

static EVP_PKEY *p256_only(EVP_PKEY *k)
{
	if (!is_p256(k)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *ptc_jws_load_private(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return p256_only(k);
}

EVP_PKEY *ptc_jws_load_public(const char *path)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;
	X509 *x;

	if (!f)
		return NULL;
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!k) {
		rewind(f);
		x = PEM_read_X509(f, NULL, NULL, NULL);
		if (x)
			k = X509_get_pubkey(x);
		X509_free(x);
	}
	fclose(f);
	return p256_only(k);
}

int ptc_ecdsa_der_to_raw(const unsigned char *der, size_t derlen,
			 unsigned char raw[PTC_ES256_SIG_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig;
	const BIGNUM *r, *s;
	int rc = 0;

	if (!der || !raw || derlen > 1024)
		return -EINVAL;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (!sig)
		return -EBADMSG;
	ECDSA_SIG_get0(sig, &r, &s);
	if (p != der + derlen || BN_is_negative(r) || BN_is_negative(s))
		rc = -EBADMSG;	/* trailing bytes, or not an ECDSA value */
	else if (BN_bn2binpad(r, raw, 32) != 32 ||
		 BN_bn2binpad(s, raw + 32, 32) != 32)
		rc = -ERANGE;
	ECDSA_SIG_free(sig);
	return rc;
}

int ptc_ecdsa_raw_to_der(const unsigned char raw[PTC_ES256_SIG_LEN],
			 unsigned char **der, size_t *derlen)
{
	ECDSA_SIG *sig;
	BIGNUM *r, *s;
	int n;

	if (!raw || !der || !derlen)
		return -EINVAL;
	*der = NULL;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return -ENOMEM;
	}
	n = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return -ENOMEM;
	*derlen = (size_t)n;
	return 0;
}

int ptc_es256_sign(EVP_PKEY *key, const void *in, size_t len,
		   unsigned char raw[PTC_ES256_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80];
	size_t derlen = sizeof(der);
	int rc = -EIO;

	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, der, &derlen, in, len) == 1)
		rc = ptc_ecdsa_der_to_raw(der, derlen, raw) ? -EIO : 0;
	EVP_MD_CTX_free(md);
	return rc;
}

int ptc_es256_verify(EVP_PKEY *key, const void *in, size_t len,
		     const unsigned char raw[PTC_ES256_SIG_LEN])
{
	unsigned char *der = NULL;
	EVP_MD_CTX *md = NULL;
	size_t derlen = 0;
	int rc;

	rc = ptc_ecdsa_raw_to_der(raw, &der, &derlen);
	if (rc)
		return rc;
	md = EVP_MD_CTX_new();
	if (!md)
		rc = -ENOMEM;
	else if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
		 EVP_DigestVerify(md, der, derlen, in, len) != 1)
		rc = -EKEYREJECTED;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return rc;
}

/* Append B64(@in) at @out + *@off (room checked by the caller). */
static void put_b64(char *out, size_t cap, size_t *off, const void *in,
		    size_t len)
{
	ptc_b64url_encode(in, len, out + *off, cap - *off);
	*off += strlen(out + *off);
}

int ptc_jws_sign_bytes(EVP_PKEY *key, const void *hdr, size_t hlen,
		       const void *pl, size_t pllen, char **out)
{
	unsigned char raw[PTC_ES256_SIG_LEN];
	size_t cap, n = 0;
	char *s;
	int rc;

	if (!key || (!hdr && hlen) || (!pl && pllen) || !out)
		return -EINVAL;
	*out = NULL;
	cap = ptc_b64url_encoded_size(hlen) + ptc_b64url_encoded_size(pllen) +
	      ptc_b64url_encoded_size(sizeof(raw));
	s = malloc(cap);
	if (!s)
		return -ENOMEM;
	put_b64(s, cap, &n, hdr, hlen);
	s[n++] = '.';
	put_b64(s, cap, &n, pl, pllen);
	rc = ptc_es256_sign(key, s, n, raw);
	if (rc) {
		free(s);
		return rc;
	}
	s[n++] = '.';
	put_b64(s, cap, &n, raw, sizeof(raw));
	*out = s;
	return 0;
}

int ptc_jws_sign(EVP_PKEY *key, const json_t *hdr, const json_t *pl,
		 char **out)
{
	const size_t f = JSON_COMPACT | JSON_PRESERVE_ORDER;
	char *h = hdr ? json_dumps(hdr, f) : NULL;
	char *p = pl ? json_dumps(pl, f) : NULL;
	int rc = -ENOMEM;

	if (out)
		*out = NULL;
	if (h && p)
		rc = ptc_jws_sign_bytes(key, h, strlen(h), p, strlen(p), out);
	else if (!hdr || !pl)
		rc = -EINVAL;
	free(h);
	free(p);
	return rc;
}

/* A base64url part that holds a JSON object, or NULL. */
static json_t *part_object(const char *s, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	json_t *j = NULL;
	size_t n = 0;

	if (buf && !ptc_b64url_decode(s, len, buf, len, &n))
		j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES,
			       NULL);
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int ptc_jws_verify(EVP_PKEY *key, const char *jws, size_t max_len,
		   json_t **hdr, json_t **payload)
{
	unsigned char raw[PTC_ES256_SIG_LEN + 1];
	const char *d1, *d2, *alg;
	json_t *h = NULL, *pl = NULL;
	size_t n = 0;
	int rc;

	if (hdr)
		*hdr = NULL;
	if (!payload)
		return -EINVAL;
	*payload = NULL;
	if (!jws || strnlen(jws, max_len + 1) > max_len)
		return -EBADMSG;
	d1 = strchr(jws, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return -EBADMSG;
	h = part_object(jws, (size_t)(d1 - jws));
	if (!h)
		return -EBADMSG;
	alg = json_string_value(json_object_get(h, "alg"));
	if (!alg || strcmp(alg, "ES256") || json_object_get(h, "crit")) {
		rc = -ENOTSUP;
		goto out;
	}
	/* one byte more than a signature, so that a longer one is refused */
	if (ptc_b64url_decode(d2 + 1, strlen(d2 + 1), raw, sizeof(raw), &n) ||
	    n != PTC_ES256_SIG_LEN) {
		rc = -EKEYREJECTED;
		goto out;
	}
	rc = ptc_es256_verify(key, jws, (size_t)(d2 - jws), raw);
	if (rc)
		goto out;
	pl = part_object(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!pl) {
		rc = -EPROTO;
		goto out;
	}
	*payload = pl;
	if (hdr) {
		*hdr = h;
		h = NULL;
	}
out:
	json_decref(h);
	return rc;
}
