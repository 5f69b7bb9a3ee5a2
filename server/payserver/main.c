// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-server: reference payment server (patent steps 1-3, 8, 9).
 *   payterm-server -c CONFIG.json | --config-keys | --help | --version
 * See docs/payserver.md (operation) and docs/protocol.md (wire protocols).
 */
#include "server.h"
#include "bank.h"
#include "deliver.h"
#include "jws.h"
#include "log.h"
#include "service.h"
#include "store.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/thread.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PS_VERSION
#define PS_VERSION "0.1.0"
#endif

struct ps_srv ps_srv;

static void *worker_main(void *arg)
{
	struct ps_worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

/* Runs in the worker's loop: a loopbreak from another thread before the
 * loop has started would be forgotten (event_base_loop clears the flag). */
static void worker_stop(evutil_socket_t fd, short ev, void *arg)
{
	event_base_loopbreak(arg);
}

static int worker_init(struct ps_worker *w, int id)
{
	const struct ps_config *c = ps_srv.cfg;
	struct timeval tv = { 0, 200 * 1000 }, beat = { 0, 250 * 1000 };

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
	w->beat = event_new(w->base, -1, EV_PERSIST, ps_service_beat, w);
	w->stop = event_new(w->base, -1, 0, worker_stop, w->base);
	if (!w->tick || !w->beat || !w->stop)
		return -1;
	event_add(w->beat, &beat);
	ps_service_beat(-1, 0, w);
	return 0;
}

static void worker_fini(struct ps_worker *w)
{
	ps_longpoll_free_all(w);
	if (w->tick)
		event_free(w->tick);
	if (w->beat)
		event_free(w->beat);
	if (w->stop)
		event_free(w->stop);
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
		"Reference payment server; see payterm-server(8) and payserver.md.\n"
		"  -c, --config FILE   the configuration (JSON)\n"
		"      --config-keys   print every configuration key with its type,\n"
		"                      default and meaning, then exit\n"
		"  -h, --help          print this help, then exit\n"
		"  -V, --version       print the version, then exit\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "payterm-server: %s%s%s%s\n", what, arg ? " '" : "",
		arg ? arg : "", arg ? "'" : "");
	fprintf(stderr, "Try 'payterm-server --help'.\n");
	return 2;
}

/* Socket activation first; a listener that got no socket binds its address. */
static int open_listeners(const struct ps_config *c)
{
	struct ps_listener *ls[] = { &ps_srv.merchant, &ps_srv.terminal };
	const char *specs[] = { c->merchant_listen, c->terminal_listen };
	const char *keys[] = { "merchant_listen", "terminal_listen" };
	const char *ports[] = { "8443", "8444" };
	const char *why = "", *bad = "";
	int i;

	ps_srv.merchant.name = "merchant";
	ps_srv.terminal.name = "terminal";
	if (ps_listen_activated(ls, 2, &why, &bad)) {
		ps_err("startup.failed", "{s:s,s:s,s:s}", "reason",
		       "socket activation", "error", why, "fd_name", bad);
		ps_service_status("Failed: socket activation: %s (%s)", why, bad);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		if (ls[i]->activated)
			continue;
		if (ps_listen_bind(ls[i], specs[i], ports[i], c->listen_v6only, &why)) {
			ps_err("startup.failed", "{s:s,s:s,s:s,s:s,s:s}", "reason",
			       "listen", "key", keys[i], "address", specs[i],
			       "step", why, "error", strerror(errno));
			ps_service_status("Failed: %s %s: %s: %s", keys[i],
					  specs[i], why, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "config-keys", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *cfgpath = NULL;
	char maddr[512], taddr[512];
	struct ps_worker *ws;
	struct ps_db *db;
	pthread_t outbox;
	sigset_t set;
	int i, sig, opt;

	opterr = 0;	/* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, ":c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cfgpath = optarg; break;
		case 'K': ps_config_print_keys(stdout); return 0;
		case 'h': usage(stdout); return 0;
		case 'V': printf("payterm-server %s\n", PS_VERSION); return 0;
		case ':': return usage_error("missing argument to", argv[optind - 1]);
		default: return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!cfgpath)
		return usage_error("no configuration (-c CONFIG.json)", NULL);
	/* Never dump core: memory may hold (encrypted) card data in transit. */
	prctl(PR_SET_DUMPABLE, 0);
	ps_srv.cfg = ps_config_load(cfgpath);
	if (!ps_srv.cfg) {
		ps_service_status("Failed: configuration %s invalid", cfgpath);
		return 1;
	}
	if (ps_log_open(ps_srv.cfg->log, PS_LOG_INFO)) {
		fprintf(stderr, "payterm-server: cannot open log %s: %s\n",
			ps_srv.cfg->log, strerror(errno));
		ps_service_status("Failed: cannot open log %s", ps_srv.cfg->log);
		return 1;
	}
	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ps_service_status("Starting: keys and TLS");
	ps_srv.jws_key = ptc_jws_load_private(ps_srv.cfg->jws_key);
	ps_srv.merchant_ctx = ps_tls_server_ctx(ps_srv.cfg, 0);
	ps_srv.terminal_ctx = ps_tls_server_ctx(ps_srv.cfg, 1);
	if (!ps_srv.jws_key || !ps_srv.merchant_ctx || !ps_srv.terminal_ctx) {
		ps_err("startup.failed", "{s:s}", "reason",
		       !ps_srv.jws_key ? "JWS key (EC P-256 PEM) unreadable" : "TLS setup");
		ps_service_status("Failed: %s", !ps_srv.jws_key ? "JWS key" : "TLS setup");
		return 1;
	}
	ps_service_status("Starting: database");
	db = ps_db_open(ps_srv.cfg->db);
	if (!db || ps_store_init(db)) {
		ps_err("startup.failed", "{s:s}", "reason", "database");
		ps_service_status("Failed: database");
		return 1;
	}
	ps_db_close(db);
	ps_service_status("Starting: listeners");
	if (open_listeners(ps_srv.cfg))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ps_service_status("Starting: workers and bank links");
	ws = calloc((size_t)ps_srv.cfg->workers, sizeof(*ws));
	for (i = 0; i < ps_srv.cfg->workers; i++) {
		if (worker_init(&ws[i], i)) {
			ps_err("startup.failed", "{s:s,s:i}", "reason", "worker", "worker", i);
			ps_service_status("Failed: worker %d", i);
			return 1;
		}
	}
	if (ps_outbox_start(&ps_srv, &outbox))
		return 1;
	for (i = 0; i < ps_srv.cfg->workers; i++)
		pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
	log_unconfigured_channels(ps_srv.cfg);
	ps_listen_describe(&ps_srv.merchant, maddr, sizeof(maddr));
	ps_listen_describe(&ps_srv.terminal, taddr, sizeof(taddr));
	ps_info("server.started", "{s:s,s:s,s:b,s:s,s:i,s:s,s:s}", "merchant_listen",
		maddr, "terminal_listen", taddr, "socket_activation",
		ps_srv.merchant.activated || ps_srv.terminal.activated, "db",
		ps_srv.cfg->db[0] == 'p' ? "postgresql" : "sqlite", "workers",
		ps_srv.cfg->workers, "instance", ps_srv.cfg->instance, "version",
		PS_VERSION);
	/* The sockets listen and every worker has its evhttp on them, its
	 * database connection and its bank link (connecting): requests are
	 * served from here on. */
	ps_service_status("Serving: merchant API %s, terminal API %s, %d worker%s (%s)",
			  maddr, taddr, ps_srv.cfg->workers,
			  ps_srv.cfg->workers > 1 ? "s" : "", ps_srv.cfg->instance);
	ps_service_ready();
	sig = ps_service_run(ws, ps_srv.cfg->workers, &set);
	ps_info("server.stopping", "{s:i}", "signal", sig);
	ps_srv.stopping = 1;
	for (i = 0; i < ps_srv.cfg->workers; i++)
		event_active(ws[i].stop, 0, 0);
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
