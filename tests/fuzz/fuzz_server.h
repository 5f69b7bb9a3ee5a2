/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-process payterm-server for fuzz_submit and fuzz_http: the server's
 * own code (server/payserver/) on one worker, with
 *  - a configuration of one merchant M1 (API key FZ_API_KEY) and one
 *    terminal T1 (phone +4915112345678, e-mail payer@example.org), the
 *    request-signing key being the fuzzing test key of fuzz_jws.h;
 *  - an in-memory SQLite database holding one pending order A-1001 of
 *    12.34 EUR whose payment request req_fuzz (signed with the test key,
 *    FZ_REQUEST_PAYLOAD) is queued for T1.  fz_srv_reset() copies it back
 *    from a pristine copy before every input (the server's connection and
 *    the harness's share the in-memory database), so no input depends on
 *    the ones before;
 *  - the bank link to 127.0.0.1 at the port the harness gives: port 1
 *    means no bank (the link never comes up, a submission that gets that
 *    far is answered 91, "failed"); fuzz_bankresp plays the bank there;
 *  - libevent's evhttp on a Unix socket with the limits of the server's
 *    listeners (mk_http() in http.c: 64 KiB body, 16 KiB headers, GET and
 *    POST) but without TLS: the bytes of an input reach evhttp's parser as
 *    they would arrive out of the TLS layer.  Requests go to the callback
 *    the harness gives.
 * fz_srv_exchange() connects, sends the input, half-closes and runs the
 * event loop until the server has closed the connection.  The server's log
 * lines are dropped unless PAYTERM_FUZZ_VERBOSE is set, which also prints
 * the server's answers (to check seeds).
 */
#ifndef PT_FUZZ_SERVER_H
#define PT_FUZZ_SERVER_H

#include "../../server/payserver/bank.h"
#include "../../server/payserver/log.h"
#include "../../server/payserver/server.h"
#include "../../server/payserver/store.h"
#include "../../server/payserver/util.h"
#include "fuzz_jws.h"

#include <errno.h>
#include <sqlite3.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FZ_API_KEY "ptk_fuzz_test_key"
#define FZ_REQUEST_PAYLOAD \
	"{\"iss\":\"payterm-server\",\"request_id\":\"req_fuzz\"," \
	"\"merchant_id\":\"M1\",\"order_id\":\"A-1001\",\"amount\":1234," \
	"\"currency\":\"EUR\",\"currency_numeric\":\"978\"," \
	"\"description\":\"2 coffees\",\"terminal_id\":\"T1\"," \
	"\"iat\":1767225600,\"exp\":4102444800}"
#define FZ_REQUEST_HEADER \
	"{\"alg\":\"ES256\",\"typ\":\"payterm-request+jws\",\"kid\":\"payterm-1\"}"

struct ps_srv ps_srv;		/* main.c's, not linked */

static struct ps_config fz_cfg;
static struct ps_merchant fz_merchant;
static struct ps_terminal fz_terminal;
static struct ps_worker fz_w;
static char *fz_request_jws;
static struct sockaddr_un fz_addr;
static socklen_t fz_addrlen;
/* the server's database is a shared-cache in-memory database; the harness
 * has its own connection to it and a pristine copy */
#define FZ_DB_URI "file:payterm-fuzz?mode=memory&cache=shared"
static sqlite3 *fz_shared, *fz_pristine;

static void fz_die(const char *what)
{
	fprintf(stderr, "fuzz server: %s: %s\n", what, strerror(errno));
	abort();
}

/* The fixture, once: the schema, order A-1001 and its request req_fuzz. */
static void fz_srv_fixture(void)
{
	int64_t now = ps_now_ms(), far = 4102444800000LL;
	struct ps_order_new o = {
		.id = "ord_fuzz", .merchant_id = "M1", .order_id = "A-1001",
		.currency = "EUR", .description = "2 coffees",
		.payer_type = "phone", .payer = "+4915112345678",
		.terminal_id = "T1", .request_id = "req_fuzz", .amount = 1234,
		.created_at = now, .expires_at = far, .max_attempts = 3,
	};

	if (ps_store_init(fz_w.db) || ps_order_insert(fz_w.db, &o) ||
	    ps_request_insert(fz_w.db, "req_fuzz", "ord_fuzz", "T1", "terminal",
			      fz_request_jws, 1, now, far) ||
	    ps_store_counter(fz_w.db, "request_seq") != 1)
		fz_die("the fixture");
}

static void fz_copy_db(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *bk = sqlite3_backup_init(to, "main", from, "main");

	if (!bk || sqlite3_backup_step(bk, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(bk) != SQLITE_OK)
		fz_die(sqlite3_errmsg(to));
}

/* The database as fz_srv_fixture() left it (a page copy: fast). */
static void fz_srv_reset(void)
{
	fz_copy_db(fz_shared, fz_pristine);
}

static void fz_srv_init(void (*cb)(struct evhttp_request *, void *),
			int bank_port)
{
	static char hash[65];
	struct evhttp *h;
	int fd;

	/* before any other use of SQLite: FZ_DB_URI is a URI */
	if (sqlite3_config(SQLITE_CONFIG_URI, 1) != SQLITE_OK ||
	    sqlite3_open_v2(FZ_DB_URI, &fz_shared, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL) ||
	    sqlite3_open(":memory:", &fz_pristine))
		fz_die("sqlite");
	if (!getenv("PAYTERM_FUZZ_VERBOSE"))
		ps_log_open("/dev/null", PS_LOG_DEBUG);
	else
		ps_log_open(NULL, PS_LOG_DEBUG);
	ps_sha256_hex(FZ_API_KEY, strlen(FZ_API_KEY), hash);
	fz_merchant = (struct ps_merchant){ .id = "M1", .api_key_sha256 = hash,
					    .webhook_secret = "whsec_fuzz" };
	fz_terminal = (struct ps_terminal){ .id = "T1", .cn = "payterm-terminal-T1",
					    .phone = "+4915112345678",
					    .email = "payer@example.org" };
	fz_cfg = (struct ps_config){
		.jws_kid = "payterm-1", .db = "sqlite:" FZ_DB_URI, .workers = 1,
		.bank_host = "127.0.0.1", .bank_port = bank_port,
		.bank_timeout_ms = 5000,
		.reversal_retry_ms = 1000, .acquirer_id = "123456",
		.request_ttl_s = 300, .code_ttl_s = 300, .code_digits = 12,
		.longpoll_max_s = 60, .max_attempts = 3,
		.webhook_retry_base_ms = 1000, .webhook_retry_max_ms = 3600000,
		.webhook_max_attempts = 25, .webhook_timeout_ms = 5000,
		.merchants = &fz_merchant, .n_merchants = 1,
		.terminals = &fz_terminal, .n_terminals = 1,
	};
	ps_srv.cfg = &fz_cfg;
	ps_srv.jws_key = fz_test_key();
	fz_request_jws = fz_sign(ps_srv.jws_key, (const uint8_t *)FZ_REQUEST_HEADER,
				 strlen(FZ_REQUEST_HEADER),
				 (const uint8_t *)FZ_REQUEST_PAYLOAD,
				 strlen(FZ_REQUEST_PAYLOAD));
	fz_w.srv = &ps_srv;
	fz_w.base = event_base_new();
	fz_w.db = ps_db_open(fz_cfg.db);
	if (!fz_w.base || !fz_w.db)
		fz_die("event base / database");
	fz_srv_fixture();
	fz_copy_db(fz_pristine, fz_shared);
	fz_w.bank = ps_bank_new(fz_w.base, fz_cfg.bank_host, fz_cfg.bank_port, 0);
	if (!fz_w.bank)
		fz_die("bank link");

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&fz_addr, 0, sizeof(fz_addr));
	fz_addr.sun_family = AF_UNIX;
	/* abstract name: nothing in the file system */
	fz_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		snprintf(fz_addr.sun_path + 1, sizeof(fz_addr.sun_path) - 1,
			 "payterm-fuzz-%d", (int)getpid()));
	if (fd < 0 || bind(fd, (struct sockaddr *)&fz_addr, fz_addrlen) ||
	    listen(fd, 16))
		fz_die("listening socket");
	h = evhttp_new(fz_w.base);
	if (!h)
		fz_die("evhttp_new");
	evhttp_set_gencb(h, cb, &fz_w);
	evhttp_set_max_body_size(h, 64 * 1024);
	evhttp_set_max_headers_size(h, 16 * 1024);
	evhttp_set_timeout(h, fz_cfg.longpoll_max_s + 30);
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_default_content_type(h, "application/json");
	if (!evhttp_accept_socket_with_handle(h, fd))
		fz_die("evhttp_accept_socket_with_handle");
	fz_w.http_terminal = h;
}

static void fz_on_reply(evutil_socket_t fd, short what, void *arg)
{
	char buf[16384];
	ssize_t n;

	if (what & EV_TIMEOUT) {
		event_base_loopbreak(fz_w.base);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (getenv("PAYTERM_FUZZ_VERBOSE"))
			fwrite(buf, 1, (size_t)n, stderr);
	if (n == 0 || (n < 0 && errno != EAGAIN))
		event_base_loopbreak(fz_w.base);
}

/* One connection carrying @len bytes; returns once the server closed it
 * (or after 5 s: an input that leaves the connection open is let go). */
static void fz_srv_exchange(const void *data, size_t len)
{
	struct timeval tv = { 5, 0 };
	const uint8_t *p = data;
	struct event *ev;
	int c;

	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&fz_addr, fz_addrlen))
		fz_die("connect");
	while (len) {
		ssize_t n = write(c, p, len);

		if (n <= 0)
			fz_die("write");
		p += n;
		len -= (size_t)n;
	}
	shutdown(c, SHUT_WR);
	evutil_make_socket_nonblocking(c);
	ev = event_new(fz_w.base, c, EV_READ | EV_PERSIST, fz_on_reply, NULL);
	if (!ev || event_add(ev, &tv))
		fz_die("event_add");
	event_base_dispatch(fz_w.base);
	event_free(ev);
	close(c);
	/* let the server see the close of a connection it kept */
	event_base_loop(fz_w.base, EVLOOP_NONBLOCK);
}

#endif
