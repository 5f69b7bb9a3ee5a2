// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the payment service.  This process (the front) runs one
 * sd-event loop for the bus, the reader monitor, libcurl, the signals and
 * the channel to the card process (docs/privsep.md), which it starts with
 * --card-process and which alone opens readers and holds keys.
 *
 *   paytermd [-c CONFIG] [-v] [--check-config]
 *
 * Environment: PAYTERMD_BUS_ADDRESS (or DBUS_SYSTEM_BUS_ADDRESS) picks the
 * bus; CREDENTIALS_DIRECTORY supplies the KEK (payterm-kek) when the
 * configuration names none; NOTIFY_SOCKET / WATCHDOG_USEC from systemd.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "payterm_crypto.h"
#include "card_proc.h"
#include "daemon.h"
#include "log.h"
#include "secure.h"
#include "submit.h"
#include "tls_key.h"

/* The request key; the key store is the card process's (card_proc.c). */
static void close_keys(struct pd_daemon *d)
{
	EVP_PKEY_free(d->request_key);
	d->request_key = NULL;
}

static void open_request_key(struct pd_daemon *d)
{
	close_keys(d);
	if (!d->cfg.request_key_file)
		log_err("[server] request_key not set: payment requests cannot be verified");
	else if (!(d->request_key = pd_request_load_key(d->cfg.request_key_file)))
		log_err("[server] request_key %s: not a P-256 public key or certificate",
			d->cfg.request_key_file);
}

static int on_term(sd_event_source *s, const struct signalfd_siginfo *si,
		   void *user)
{
	struct pd_daemon *d = user;

	log_info("signal %d: stopping", (int)si->ssi_signo);
	sd_notify(0, "STOPPING=1");
	d->stopping = true;
	if (d->active)
		pd_txn_cancel(d->active->txn, "Service stopping");
	sd_event_exit(sd_event_source_get_event(s), 0);
	return 0;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
		  void *user)
{
	struct pd_daemon *d = user;

	if (d->active) {
		log_notice("SIGHUP: a payment is running, keys not reloaded");
		return 0;
	}
	sd_notify(0, "RELOADING=1");
	open_request_key(d);
	pd_cardc_reload(d);		/* State follows its KEYS answer */
	sd_bus_emit_properties_changed(d->bus, PD_TERMINAL_PATH,
				       "org.payterm.Terminal1", "State", NULL);
	pd_pull_start(d);		/* the request key may be there now */
	sd_notify(0, "READY=1");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: paytermd [-c CONFIG] [-v] [--check-config]\n"
		"  -c, --config FILE   configuration (default " PD_CONFIG_PATH ")\n"
		"  -v, --verbose       debug logging\n"
		"      --check-config  parse the configuration and exit\n"
		"  -V, --version       print the version, then exit\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", no_argument, NULL, 'C' },
	{ "card-process", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct pd_daemon d;
	char err[512];
	bool check = false, card = false;
	sigset_t ss;
	int r, c;

	memset(&d, 0, sizeof(d));
	d.config_path = getenv("PAYTERMD_CONFIG") ? getenv("PAYTERMD_CONFIG") :
			PD_CONFIG_PATH;
	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'v':
			pd_log_level = LOG_DEBUG;
			break;
		case 'C':
			check = true;
			break;
		case 'K':	/* internal: started by the front, card_client.c */
			card = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("paytermd %s\n", PD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!card)		/* the card process: pd_card_proc_main */
		pd_log_init(PD_LOG_AUTO);
	r = pd_config_load(d.config_path, &d.cfg, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		return 1;
	}
	pd_request_set_max_lifetime(d.cfg.request_max_lifetime_s);
	if (check) {
		printf("%s: ok\n", d.config_path);
		pd_config_free(&d.cfg);
		return 0;
	}
	if (card)
		pd_card_proc_main(&d.cfg);
	r = pd_secure_init();
	if (r < 0) {
		log_err("cannot set up locked, non-dumpable memory for card data and "
			"keys: %s (RLIMIT_MEMLOCK: raise LimitMEMLOCK=)", strerror(-r));
		return 1;
	}
	umask(0077);
	open_request_key(&d);
	pd_tls_key_init(&d);		/* the certificate; the key is the card process's */
	r = pd_used_open(d.cfg.state_dir, &d.used);
	if (r < 0) {
		log_err("state directory %s: %s", d.cfg.state_dir, strerror(-r));
		goto out;
	}
	r = pd_http_new(&d, &d.http, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		goto out;
	}
	r = pd_submit_journal_open(&d);
	if (r < 0) {
		log_err("state directory %s: in-flight journal: %s", d.cfg.state_dir,
			strerror(-r));
		goto out;
	}

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGCHLD);	/* the card process, sd_event_add_child */
	sigprocmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_default(&d.event);
	if (r >= 0)
		r = sd_event_add_signal(d.event, NULL, SIGTERM, on_term, &d);
	if (r >= 0)
		r = sd_event_add_signal(d.event, NULL, SIGINT, on_term, &d);
	if (r >= 0)
		r = sd_event_add_signal(d.event, NULL, SIGHUP, on_hup, &d);
	if (r >= 0)
		r = sd_event_set_watchdog(d.event, true);	/* WATCHDOG=1 */
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		goto out;
	}
	/* readers, keys and card data live in the card process */
	r = pd_cardc_start(&d);
	if (r < 0) {
		log_err("card process: %s", strerror(-r));
		goto out;
	}
	r = pd_bus_setup(&d);
	if (r < 0)
		goto out;
	r = pd_readers_start(&d);
	if (r < 0) {
		log_err("reader discovery: %s", strerror(-r));
		goto out;
	}
	r = sd_bus_request_name(d.bus, PD_BUS_NAME, 0);
	if (r < 0) {
		log_err("cannot own %s: %s (bus policy?)", PD_BUS_NAME, strerror(-r));
		goto out;
	}
	r = pd_pull_start(&d);
	if (r < 0) {
		log_err("pull queue: %s", strerror(-r));
		goto out;
	}
	/* payments a previous run left in flight: ask, then complete or reverse */
	r = pd_submit_resume(&d);
	if (r < 0) {
		log_err("in-flight journal: %s", strerror(-r));
		goto out;
	}
	if (r > 0)
		log_notice("in-flight journal: %d payment%s resumed", r, r == 1 ? "" : "s");
	sd_notifyf(0, "READY=1\nSTATUS=%s", d.keys_ready ? "ready" :
		   "not ready: key store unavailable");
	log_info("paytermd " PD_VERSION " ready: terminal %s, merchant %s",
		 d.cfg.terminal_id, d.cfg.merchant_id);
	r = sd_event_loop(d.event);
	if (r < 0)
		log_err("event loop: %s", strerror(-r));
out:
	d.stopping = true;
	pd_bus_free_txns(&d);
	pd_cardc_stop(&d);
	pd_submit_free_all(&d);
	pd_readers_stop(&d);
	pd_pull_stop(&d);
	pd_pending_clear(&d.pending);
	sd_event_source_disable_unref(d.pending_timer);
	if (d.bus)
		sd_bus_flush_close_unref(d.bus);
	pd_http_free(d.http);
	pd_used_free(d.used);
	close_keys(&d);
	pd_tls_key_free();
	sd_event_unref(d.event);
	pd_config_free(&d.cfg);
	return r < 0 ? 1 : 0;
}
