// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm-bank: bank front-end simulator (issuer + HSM role).  ISO 8583 over
 * TCP, 2-byte length prefix, one thread per connection.  See
 * server/bank/README.md and docs/protocol.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bank.h"
#include "iso8583.h"

#ifndef PT_BANK_VERSION
#define PT_BANK_VERSION "0.1.0"
#endif

static struct bank bank;
static volatile sig_atomic_t stop_flag, toggle_flag;
static atomic_int nconns;
static int max_conns = 256;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		toggle_flag = 1;
	else
		stop_flag = 1;
}

static void *conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t *in = malloc(ISO8583_MAX_MSG), *out = malloc(ISO8583_MAX_MSG);
	size_t inlen, outlen;
	int rc, delay;
	enum bank_action act;

	if (!in || !out)
		goto done;
	for (;;) {
		rc = iso8583_read_frame(fd, in, ISO8583_MAX_MSG, &inlen,
					30 * 60 * 1000);
		if (rc) {
			if (rc != ISO_ERR_EOF)
				bank_log("warn", "connection", "\"fd\":%d,"
					 "\"error\":\"%s\",\"action\":\"close\"",
					 fd, iso8583_strerror(rc));
			break;
		}
		act = bank_handle(&bank, in, inlen, out, ISO8583_MAX_MSG,
				  &outlen, &delay);
		explicit_bzero(in, inlen);
		if (act == BANK_CLOSE)
			break;
		if (act == BANK_DROP)
			continue;
		if (delay > 0)
			usleep((useconds_t)delay * 1000);
		rc = iso8583_write_frame(fd, out, outlen);
		explicit_bzero(out, outlen);
		if (rc)
			break;
	}
done:
	free(in);
	free(out);
	close(fd);
	atomic_fetch_sub(&nconns, 1);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: payterm-bank --config FILE [options]\n"
		"  --config FILE        bank configuration (JSON, see server/bank/README.md)\n"
		"  --db PATH            card database (overrides config \"db\")\n"
		"  --init-db CARDS      (re)create the card database from a card file, exit\n"
		"  --listen ADDR        listen address (default 127.0.0.1)\n"
		"  --port N             TCP port (0: any free port)\n"
		"  --port-file PATH     write the bound port there once listening\n"
		"  --down               start in issuer-down mode (0200 -> 91); SIGUSR1 toggles\n"
		"  --slow-amount A --slow-ms MS   answer 0200s of amount A after MS ms\n"
		"  --drop-amount A      never answer 0200s of amount A (timeout tests)\n"
		"  --bad-resp-mac-amount A  answer 0200s of amount A with a wrong\n"
		"                       response MAC (terminal tests)\n"
		"  --max-conns N        concurrent connections (default 256)\n"
		"  -h, --help           print this help, then exit\n"
		"  -V, --version        print the version, then exit\n");
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "payterm-bank: %s%s%s%s\nTry 'payterm-bank --help'.\n",
		what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "init-db", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "down", no_argument, NULL, 'D' },
		{ "slow-amount", required_argument, NULL, 's' },
		{ "slow-ms", required_argument, NULL, 'S' },
		{ "drop-amount", required_argument, NULL, 'X' },
		{ "bad-resp-mac-amount", required_argument, NULL, 'B' },
		{ "max-conns", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *config = NULL, *db = NULL, *init = NULL, *listen_addr = NULL;
	const char *port_file = NULL, *err = "";
	int port = -1, down = 0, opt, lfd, one = 1, slow_ms = 0;
	long long slow_amount = -1, drop_amount = -1, bad_mac_amount = -1;
	struct bank_cfg cfg;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct sigaction sig = { .sa_handler = on_signal };

	opterr = 0;	/* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, ":c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'i': init = optarg; break;
		case 'l': listen_addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'P': port_file = optarg; break;
		case 'D': down = 1; break;
		case 's': slow_amount = atoll(optarg); break;
		case 'S': slow_ms = atoi(optarg); break;
		case 'X': drop_amount = atoll(optarg); break;
		case 'B': bad_mac_amount = atoll(optarg); break;
		case 'm': max_conns = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("payterm-bank %s\n", PT_BANK_VERSION); return 0;
		case ':': return usage_error("missing argument to", argv[optind - 1]);
		default: return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!config)
		return usage_error("no configuration (--config FILE)", NULL);
	prctl(PR_SET_DUMPABLE, 0);	/* keys in memory: no core dumps */
	if (bank_cfg_load(&cfg, config, &err)) {
		bank_log("error", "config", "\"file\":\"%s\",\"error\":\"%s\"",
			 config, err);
		return 1;
	}
	if (db)
		snprintf(cfg.db, sizeof(cfg.db), "%s", db);
	if (listen_addr)
		snprintf(cfg.listen, sizeof(cfg.listen), "%s", listen_addr);
	if (port >= 0)
		cfg.port = port;
	cfg.slow_amount = slow_amount;
	cfg.slow_ms = slow_ms;
	cfg.drop_amount_set = drop_amount >= 0;
	cfg.drop_amount = drop_amount;
	cfg.bad_resp_mac_amount = bad_mac_amount;
	if (bank_open(&bank, &cfg, &err)) {
		bank_log("error", "database", "\"error\":\"%s\"", err);
		bank_cfg_wipe(&cfg);
		return 1;
	}
	bank_cfg_wipe(&cfg);
	if (init) {
		int n = bank_init_db(&bank, init, &err);

		if (n < 0)
			bank_log("error", "init-db", "\"error\":\"%s\"", err);
		else
			bank_log("info", "init-db", "\"cards\":%d", n);
		bank_close(&bank);
		return n < 0;
	}
	bank.down = down;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGUSR1, &sig, NULL);

	if (inet_pton(AF_INET, bank.cfg.listen, &sa.sin_addr) != 1) {
		bank_log("error", "listen", "\"error\":\"bad IPv4 address\"");
		return 1;
	}
	sa.sin_port = htons((uint16_t)bank.cfg.port);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 128) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
		bank_log("error", "listen", "\"error\":\"%s\"", strerror(errno));
		return 1;
	}
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (!f || fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 ||
		    fclose(f)) {
			bank_log("error", "port-file", "\"error\":\"%s\"",
				 strerror(errno));
			return 1;
		}
	}
	bank_log("info", "listening", "\"addr\":\"%s\",\"port\":%u,\"bdks\":%zu,"
		 "\"down\":%s", bank.cfg.listen, ntohs(sa.sin_port),
		 bank.cfg.nbdks, bank.down ? "true" : "false");

	while (!stop_flag) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pthread_attr_t attr;
		pthread_t th;
		int cfd;

		if (toggle_flag) {
			toggle_flag = 0;
			bank.down = !bank.down;
			bank_log("info", "mode", "\"down\":%s",
				 bank.down ? "true" : "false");
		}
		if (poll(&p, 1, 200) <= 0)
			continue;
		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0)
			continue;
		if (atomic_load(&nconns) >= max_conns) {
			bank_log("warn", "connection", "\"error\":\"too many"
				 " connections\",\"action\":\"close\"");
			close(cfd);
			continue;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		atomic_fetch_add(&nconns, 1);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (pthread_create(&th, &attr, conn_thread,
				   (void *)(intptr_t)cfd)) {
			close(cfd);
			atomic_fetch_sub(&nconns, 1);
		}
		pthread_attr_destroy(&attr);
	}
	close(lfd);
	/* Wait for a transaction in progress to finish, then stop. */
	pthread_mutex_lock(&bank.lock);
	bank_log("info", "stopping", "\"connections\":%d", atomic_load(&nconns));
	sqlite3_close_v2(bank.db);
	_exit(0);
}
