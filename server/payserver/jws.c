// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: JWS ES256 on OpenSSL 3 EVP. */
#include "jws.h"
#include "util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

EVP_PKEY *ps_jws_load_private(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!is_p256(k)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *ps_jws_load_public(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (!k) {
		X509 *x;

		rewind(f);
		x = PEM_read_X509(f, NULL, NULL, NULL);
		if (x)
			k = X509_get_pubkey(x);
		X509_free(x);
	}
	fclose(f);
	if (!is_p256(k)) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int ps_ecdsa_der_to_raw(const unsigned char *der, size_t derlen,
			unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	const BIGNUM *r, *s;
	int ok;

	if (!sig)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

unsigned char *ps_ecdsa_raw_to_der(const unsigned char raw[64], size_t *derlen)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	unsigned char *der = NULL;
	int n;

	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	n = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return NULL;
	*derlen = (size_t)n;
	return der;
}

static char *b64_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER), *out;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	out = malloc(ps_b64url_len(n) + 1);
	if (out)
		ps_b64url_enc((const uint8_t *)s, n, out);
	free(s);
	return out;
}

char *ps_jws_sign(EVP_PKEY *key, const char *kid, const char *typ,
		  const json_t *payload)
{
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", "ES256", "typ", typ,
				"kid", kid);
	char *h = b64_json(hdr), *p = b64_json(payload), *out = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char der[80], raw[64];
	size_t derlen = sizeof(der), n;
	char sig[90];

	json_decref(hdr);
	if (!h || !p || !md)
		goto out;
	n = strlen(h) + 1 + strlen(p);
	out = malloc(n + 1 + sizeof(sig));
	if (!out)
		goto out;
	snprintf(out, n + 1, "%s.%s", h, p);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, der, &derlen, (unsigned char *)out, n) != 1 ||
	    ps_ecdsa_der_to_raw(der, derlen, raw)) {
		free(out);
		out = NULL;
		goto out;
	}
	ps_b64url_enc(raw, 64, sig);
	out[n] = '.';
	strcpy(out + n + 1, sig);
out:
	EVP_MD_CTX_free(md);
	free(h);
	free(p);
	return out;
}

static json_t *b64_parse(const char *s, size_t len)
{
	uint8_t *buf = malloc(len + 1);
	size_t n = 0;
	json_t *j = NULL;

	if (buf && !ps_b64url_dec(s, len, buf, len, &n))
		j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

int ps_jws_verify(EVP_PKEY *key, const char *jws, json_t **payload,
		  char *kid_out, size_t kid_cap)
{
	const char *d1, *d2;
	json_t *hdr = NULL, *pl = NULL;
	unsigned char raw[64], *der = NULL;
	size_t rawlen = 0, derlen = 0;
	EVP_MD_CTX *md = NULL;
	const char *alg;
	int rc = -1;

	*payload = NULL;
	if (!jws || strlen(jws) > 16384)
		return -1;
	d1 = strchr(jws, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return -1;
	hdr = b64_parse(jws, (size_t)(d1 - jws));
	if (!hdr)
		goto out;
	alg = json_string_value(json_object_get(hdr, "alg"));
	if (!alg || strcmp(alg, "ES256") || json_object_get(hdr, "crit"))
		goto out;
	if (ps_b64url_dec(d2 + 1, strlen(d2 + 1), raw, sizeof(raw), &rawlen) ||
	    rawlen != 64)
		goto out;
	der = ps_ecdsa_raw_to_der(raw, &derlen);
	md = EVP_MD_CTX_new();
	if (!der || !md ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestVerify(md, der, derlen, (const unsigned char *)jws,
			     (size_t)(d2 - jws)) != 1)
		goto out;
	pl = b64_parse(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!pl)
		goto out;
	if (kid_out && kid_cap) {
		const char *kid = json_string_value(json_object_get(hdr, "kid"));

		snprintf(kid_out, kid_cap, "%s", kid ? kid : "");
	}
	*payload = pl;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	json_decref(hdr);
	return rc;
}
