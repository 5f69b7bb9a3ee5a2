// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: TLS contexts and client-certificate identity. */
#include "server.h"
#include "log.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

static void log_ssl_error(const char *what)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	ps_err("tls.setup_failed", "{s:s,s:s}", "what", what, "error", buf);
}

SSL_CTX *ps_tls_server_ctx(const struct ps_config *c, int client_auth)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* TLS 1.2: forward-secret AEAD suites only. */
	SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		log_ssl_error("certificate");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		log_ssl_error("private key");
		goto fail;
	}
	if (client_auth) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(ctx, c->tls_client_ca, NULL) != 1) {
			log_ssl_error("client CA");
			goto fail;
		}
		names = SSL_load_client_CA_file(c->tls_client_ca);
		if (names)
			SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				   SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		SSL_CTX_set_verify_depth(ctx, 3);
		SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"payterm-t", 9);
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

const struct ps_terminal *ps_tls_terminal(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	X509 *x;
	char cn[256] = "", serial[128] = "";
	const struct ps_terminal *t = NULL;

	if (!ssl || SSL_get_verify_result(ssl) != X509_V_OK)
		return NULL;
	x = SSL_get0_peer_certificate(ssl);
	if (!x)
		return NULL;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
				      cn, sizeof(cn)) <= 0)
		return NULL;
	{
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
		char *hex = bn ? BN_bn2hex(bn) : NULL;

		if (hex)
			snprintf(serial, sizeof(serial), "%s", hex);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	t = ps_config_terminal_by_cert(ps_srv.cfg, cn, serial);
	if (!t)
		ps_warn("terminal.unknown_certificate", "{s:s,s:s}", "cn", cn,
			"serial", serial);
	return t;
}
