// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd, front: the TLS client key as an oracle (docs/privsep.md "TLS
 * client key").  The private key is the card process's; here an EVP_PKEY
 * made of the certificate's public key with an EC_KEY_METHOD whose sign
 * operations send the handshake digest to the card process and return its
 * signature.  libcurl gets it through CURLOPT_SSL_CTX_FUNCTION.  A
 * compromised front can have handshakes signed while it runs, but cannot
 * take the key away.  EC_KEY_METHOD is deprecated in OpenSSL 3 but still
 * the small way: a provider would be ten times the code.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <errno.h>
#include <stdio.h>

#include "daemon.h"
#include "log.h"
#include "privsep_proto.h"
#include "tls_key.h"

static struct pd_daemon *daemon_;
static EC_KEY_METHOD *meth;
static EVP_PKEY *oracle;

static int oracle_sign(int type, const unsigned char *dgst, int dlen,
		       unsigned char *sig, unsigned int *siglen,
		       const BIGNUM *kinv, const BIGNUM *r, EC_KEY *eckey)
{
	size_t n = (size_t)ECDSA_size(eckey);

	if (dlen <= 0 || pd_cardc_sign(daemon_, dgst, (size_t)dlen, sig, &n) < 0)
		return 0;
	*siglen = (unsigned int)n;
	return 1;
}

static ECDSA_SIG *oracle_sign_sig(const unsigned char *dgst, int dlen,
				  const BIGNUM *kinv, const BIGNUM *r,
				  EC_KEY *eckey)
{
	uint8_t der[PP_SIG_MAX];
	const uint8_t *p = der;
	size_t n = sizeof(der);

	if (dlen <= 0 || pd_cardc_sign(daemon_, dgst, (size_t)dlen, der, &n) < 0)
		return NULL;
	return d2i_ECDSA_SIG(NULL, &p, (long)n);
}

int pd_tls_key_init(struct pd_daemon *d)
{
	int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;
	EVP_PKEY *pub;
	EC_KEY *ec;
	X509 *x;
	FILE *f;

	daemon_ = d;
	f = d->cfg.cert_file ? fopen(d->cfg.cert_file, "re") : NULL;
	x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	pub = x ? X509_get0_pubkey(x) : NULL;
	if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC) {
		log_err("[server] client_cert %s: no EC certificate: no client "
			"authentication", d->cfg.cert_file ? d->cfg.cert_file : "-");
		X509_free(x);
		return -EINVAL;
	}
	ec = EVP_PKEY_get1_EC_KEY(pub);
	X509_free(x);
	meth = EC_KEY_METHOD_new(EC_KEY_OpenSSL());
	oracle = EVP_PKEY_new();
	if (!ec || !meth || !oracle) {
		EC_KEY_free(ec);
		pd_tls_key_free();
		return -ENOMEM;
	}
	EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), NULL, &setup, NULL);
	EC_KEY_METHOD_set_sign(meth, oracle_sign, setup, oracle_sign_sig);
	EC_KEY_set_method(ec, meth);
	EVP_PKEY_assign_EC_KEY(oracle, ec);
	return 0;
}

void pd_tls_key_free(void)
{
	EVP_PKEY_free(oracle);
	oracle = NULL;
	if (meth)		/* EC_KEY_METHOD_free(NULL) dereferences it */
		EC_KEY_METHOD_free(meth);
	meth = NULL;
}

CURLcode pd_tls_ssl_ctx(CURL *curl, void *sslctx, void *user)
{
	struct pd_daemon *d = user;
	SSL_CTX *ctx = sslctx;

	if (!oracle || !d->keys_tls) {
		log_err("TLS: no client key in the card process");
		return CURLE_SSL_CERTPROBLEM;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, d->cfg.cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, oracle) != 1) {
		log_err("TLS: client certificate %s: does not match the key",
			d->cfg.cert_file);
		return CURLE_SSL_CERTPROBLEM;
	}
	return CURLE_OK;
}
