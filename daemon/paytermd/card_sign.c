// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd, card process: the TLS client key and its signing oracle
 * (docs/privsep.md "TLS client key").  The key ([server] client_key, EC)
 * is loaded here only; the front signs TLS handshakes by sending the
 * digest (SIGN) on a channel of its own (fd PD_SIGN_FD) and gets the DER
 * ECDSA signature back (SIGNED).  A thread serves it, so that a card
 * exchange that blocks the main loop never delays a handshake; the
 * thread exists before the seccomp filter, which covers it (TSYNC).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "card_sign.h"
#include "log.h"
#include "privsep_proto.h"

static EVP_PKEY *key;
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;	/* RELOAD vs SIGN */

bool pd_card_sign_loaded(void)
{
	bool r;

	pthread_mutex_lock(&key_lock);
	r = key != NULL;
	pthread_mutex_unlock(&key_lock);
	return r;
}

void pd_card_sign_load(const char *path)
{
	EVP_PKEY *k = NULL;
	FILE *f = path ? fopen(path, "re") : NULL;

	if (path && !f)
		log_err("[server] client_key %s: %m", path);
	if (f) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		if (!k) {
			log_err("[server] client_key %s: not a PEM private key", path);
		} else if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
			/* the oracle speaks ECDSA only (the test PKI's and ours) */
			log_err("[server] client_key %s: not an EC key", path);
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	pthread_mutex_lock(&key_lock);
	EVP_PKEY_free(key);
	key = k;
	pthread_mutex_unlock(&key_lock);
}

static size_t sign(const uint8_t *dgst, size_t len, uint8_t *sig, size_t cap)
{
	EVP_PKEY_CTX *c;
	size_t n = cap;

	pthread_mutex_lock(&key_lock);
	c = key ? EVP_PKEY_CTX_new(key, NULL) : NULL;
	if (!c || EVP_PKEY_sign_init(c) <= 0 ||
	    EVP_PKEY_sign(c, sig, &n, dgst, len) <= 0)
		n = 0;
	EVP_PKEY_CTX_free(c);
	pthread_mutex_unlock(&key_lock);
	return n;
}

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t buf[PP_MSG_MAX];
	struct pp_msg m, a;
	char err[200];
	ssize_t n;
	int len;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;	/* the front is gone: so is the main loop */
		if (pp_decode_for_card(buf, (size_t)n > sizeof(buf) ?
				       sizeof(buf) + 1 : (size_t)n, &m, err,
				       sizeof(err)) || m.type != PP_SIGN) {
			log_err("signing channel: %s", err[0] ? err :
				"not a SIGN");
			return NULL;	/* the front sees EOF-less silence: its
					 * wait is bounded */
		}
		memset(&a, 0, sizeof(a));
		a.type = PP_SIGNED;
		a.txn = m.txn;
		a.u.signed_.sig_len = sign(m.u.sign.digest, m.u.sign.digest_len,
					   a.u.signed_.sig, sizeof(a.u.signed_.sig));
		len = pp_encode(&a, buf, sizeof(buf));
		if (len > 0)
			send(fd, buf, (size_t)len, MSG_NOSIGNAL);
	}
}

int pd_card_sign_start(int fd)
{
	pthread_t t;
	int r;

	r = pthread_create(&t, NULL, serve, (void *)(intptr_t)fd);
	if (r)
		return -r;
	pthread_detach(t);
	return 0;
}
