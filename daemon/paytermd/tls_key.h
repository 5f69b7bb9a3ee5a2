/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermd, front: the TLS client key is the card process's (tls_key.c). */
#ifndef PD_TLS_KEY_H
#define PD_TLS_KEY_H

#include <curl/curl.h>

struct pd_daemon;

/* The oracle key from [server] client_cert; -errno (logged) without one. */
int pd_tls_key_init(struct pd_daemon *d);
void pd_tls_key_free(void);
/* CURLOPT_SSL_CTX_FUNCTION (user: the daemon): certificate + oracle key. */
CURLcode pd_tls_ssl_ctx(CURL *curl, void *sslctx, void *user);

#endif
