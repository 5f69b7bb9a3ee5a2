// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: reference payment server (patent steps 1-3, 8, 9).
 *   payterm-server -c CONFIG.json
 * See docs/payserver.md (operation) and docs/protocol.md (wire protocols).
 */
#include "server.h"
#include "bank.h"
#include "deliver.h"
#include "jws.h"
#include "log.h"
#include "store.h"
#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct ps_srv ps_srv;

static int listen_on(const char *hostport)
{
	char host[128];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_in a;
	int fd, one = 1;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = 0;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1024)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *worker_main(void *arg)
{
	struct ps_worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

static int worker_init(struct ps_worker *w, int id)
{
	const struct ps_config *c = ps_srv.cfg;
	struct timeval tv = { 0, 200 * 1000 };

	w->id = id;
	w->srv = &ps_srv;
	w->base = event_base_new();
	w->db = ps_db_open(c->db);
	if (!w->base || !w->db || ps_http_setup(w))
		return -1;
	w->bank = ps_bank_new(w->base, c->bank_host, c->bank_port, id);
	if (!w->bank)
		return -1;
	w->tick = event_new(w->base, -1, EV_PERSIST, ps_worker_tick, w);
	event_add(w->tick, &tv);
	return 0;
}

static void worker_fini(struct ps_worker *w)
{
	ps_longpoll_free_all(w);
	if (w->tick)
		event_free(w->tick);
	ps_bank_free(w->bank);
	if (w->http_merchant)
		evhttp_free(w->http_merchant);
	if (w->http_terminal)
		evhttp_free(w->http_terminal);
	ps_db_close(w->db);
	if (w->base)
		event_base_free(w->base);
}

/*
 * Said once at start-up, not per order: phone / e-mail payers whose channel
 * has no gateway get their payment requests through the pull queue only.
 */
static void log_unconfigured(const struct ps_config *c, const char *kind,
			     const char *payer_type, const char *setting,
			     int terminals)
{
	if (terminals && !ps_deliver_configured(c, kind))
		ps_warn("delivery.not_configured", "{s:s,s:s,s:s,s:i,s:s}",
			"channel", kind, "setting", setting, "payer_type",
			payer_type, "terminals", terminals, "delivery",
			"terminal pull queue only");
}

static void log_unconfigured_channels(const struct ps_config *c)
{
	int t, phones = 0, emails = 0;

	for (t = 0; t < c->n_terminals; t++) {
		phones += c->terminals[t].phone != NULL;
		emails += c->terminals[t].email != NULL;
	}
	log_unconfigured(c, "sms", "phone", "sms.url_template", phones);
	log_unconfigured(c, "email", "email", "smtp.url", emails);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: payterm-server -c CONFIG.json\n"
		"  Reference payment server; see docs/payserver.md.\n");
}

int main(int argc, char **argv)
{
	const char *cfgpath = NULL;
	struct ps_worker *ws;
	struct ps_db *db;
	pthread_t outbox;
	sigset_t set;
	int i, sig, opt;

	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		if (opt == 'c') {
			cfgpath = optarg;
		} else {
			usage(opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!cfgpath) {
		usage(stderr);
		return 2;
	}
	/* Never dump core: memory may hold (encrypted) card data in transit. */
	prctl(PR_SET_DUMPABLE, 0);
	ps_srv.cfg = ps_config_load(cfgpath);
	if (!ps_srv.cfg)
		return 1;
	if (ps_log_open(ps_srv.cfg->log, PS_LOG_INFO)) {
		fprintf(stderr, "payterm-server: cannot open log %s\n", ps_srv.cfg->log);
		return 1;
	}
	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ps_srv.jws_key = ps_jws_load_private(ps_srv.cfg->jws_key);
	ps_srv.merchant_ctx = ps_tls_server_ctx(ps_srv.cfg, 0);
	ps_srv.terminal_ctx = ps_tls_server_ctx(ps_srv.cfg, 1);
	if (!ps_srv.jws_key || !ps_srv.merchant_ctx || !ps_srv.terminal_ctx) {
		ps_err("startup.failed", "{s:s}", "reason",
		       !ps_srv.jws_key ? "JWS key (EC P-256 PEM) unreadable" : "TLS setup");
		return 1;
	}
	db = ps_db_open(ps_srv.cfg->db);
	if (!db || ps_store_init(db)) {
		ps_err("startup.failed", "{s:s}", "reason", "database");
		return 1;
	}
	ps_db_close(db);
	ps_srv.merchant_fd = listen_on(ps_srv.cfg->merchant_listen);
	ps_srv.terminal_fd = listen_on(ps_srv.cfg->terminal_listen);
	if (ps_srv.merchant_fd < 0 || ps_srv.terminal_fd < 0) {
		ps_err("startup.failed", "{s:s,s:s}", "reason", "listen",
		       "error", strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ws = calloc((size_t)ps_srv.cfg->workers, sizeof(*ws));
	for (i = 0; i < ps_srv.cfg->workers; i++) {
		if (worker_init(&ws[i], i)) {
			ps_err("startup.failed", "{s:s,s:i}", "reason", "worker", "worker", i);
			return 1;
		}
	}
	if (ps_outbox_start(&ps_srv, &outbox))
		return 1;
	for (i = 0; i < ps_srv.cfg->workers; i++)
		pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
	log_unconfigured_channels(ps_srv.cfg);
	ps_info("server.started", "{s:s,s:s,s:s,s:i,s:s}", "merchant_listen",
		ps_srv.cfg->merchant_listen, "terminal_listen",
		ps_srv.cfg->terminal_listen, "db", ps_srv.cfg->db[0] == 'p' ?
		"postgresql" : "sqlite", "workers", ps_srv.cfg->workers,
		"version", "0.1.0");
	sigwait(&set, &sig);
	ps_info("server.stopping", "{s:i}", "signal", sig);
	ps_srv.stopping = 1;
	for (i = 0; i < ps_srv.cfg->workers; i++)
		event_base_loopbreak(ws[i].base);
	for (i = 0; i < ps_srv.cfg->workers; i++)
		pthread_join(ws[i].thread, NULL);
	pthread_join(outbox, NULL);
	for (i = 0; i < ps_srv.cfg->workers; i++)
		worker_fini(&ws[i]);
	free(ws);
	SSL_CTX_free(ps_srv.merchant_ctx);
	SSL_CTX_free(ps_srv.terminal_ctx);
	EVP_PKEY_free(ps_srv.jws_key);
	ps_config_free(ps_srv.cfg);
	curl_global_cleanup();
	ps_info("server.stopped", NULL);
	ps_log_close();
	return 0;
}
