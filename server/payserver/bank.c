// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: ISO 8583 link to the bank over one TCP connection. */
#include "bank.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct pend {
	struct pend *next;
	struct ps_bank *b;
	char key[24];		/* STAN + field 7 */
	char mti[5];
	ps_bank_cb cb;
	void *arg;
	struct event *timer;
};

struct ps_bank {
	struct event_base *base;
	struct sockaddr_in addr;
	int worker;
	int up;
	struct bufferevent *bev;
	struct event *retry;
	int retry_ms;
	struct pend *pending;
	unsigned signon_stan;
};

static void connect_now(struct ps_bank *b);

static int msg_key(const struct iso8583_msg *m, char *key, size_t cap)
{
	char stan[8], dt[12];

	if (iso8583_get_str(m, 11, stan, sizeof(stan)) ||
	    iso8583_get_str(m, 7, dt, sizeof(dt)))
		return -1;
	snprintf(key, cap, "%s%s", stan, dt);
	return 0;
}

static void pend_free(struct pend *p)
{
	event_free(p->timer);
	free(p);
}

static void unlink_pend(struct ps_bank *b, struct pend *p)
{
	struct pend **pp;

	for (pp = &b->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* Fail every pending request: outcome unknown. */
static void fail_all(struct ps_bank *b)
{
	while (b->pending) {
		struct pend *p = b->pending;

		b->pending = p->next;
		if (p->cb)
			p->cb(p->arg, NULL);
		pend_free(p);
	}
}

static void link_down(struct ps_bank *b, const char *why)
{
	struct timeval tv;

	if (b->up || b->bev)
		ps_warn("bank.link_down", "{s:i,s:s}", "worker", b->worker,
			"reason", why);
	b->up = 0;
	if (b->bev) {
		bufferevent_free(b->bev);
		b->bev = NULL;
	}
	fail_all(b);
	tv.tv_sec = b->retry_ms / 1000;
	tv.tv_usec = (b->retry_ms % 1000) * 1000;
	evtimer_add(b->retry, &tv);
	if (b->retry_ms < 2000)
		b->retry_ms *= 2;
}

static void on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pend *p = arg;
	struct ps_bank *b = p->b;

	unlink_pend(b, p);
	ps_warn("bank.timeout", "{s:i,s:s,s:s}", "worker", b->worker,
		"mti", p->mti, "key", p->key);
	if (p->cb)
		p->cb(p->arg, NULL);
	pend_free(p);
}

static void handle_msg(struct ps_bank *b, const uint8_t *buf, size_t len)
{
	struct iso8583_msg *m = malloc(sizeof(*m));
	struct pend *p;
	char key[24];
	int bad = 0, rc;

	if (!m)
		return;
	rc = iso8583_unpack(m, buf, len, &bad);
	if (rc || msg_key(m, key, sizeof(key))) {
		ps_err("bank.bad_message", "{s:i,s:s,s:i}", "worker", b->worker,
		       "error", iso8583_strerror(rc), "field", bad);
		free(m);
		return;
	}
	for (p = b->pending; p; p = p->next)
		if (!strcmp(p->key, key) &&
		    m->mti[0] == p->mti[0] && m->mti[1] == p->mti[1])
			break;
	if (!p) {
		char rcode[3] = "";

		iso8583_get_str(m, 39, rcode, sizeof(rcode));
		ps_warn("bank.late_answer", "{s:i,s:s,s:s,s:s}", "worker",
			b->worker, "mti", m->mti, "key", key, "response_code", rcode);
	} else {
		unlink_pend(b, p);
		if (p->cb)
			p->cb(p->arg, m);
		pend_free(p);
	}
	iso8583_wipe(m);
	free(m);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct ps_bank *b = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		uint8_t hdr[2], *buf;
		size_t n;

		if (evbuffer_copyout(in, hdr, 2) < 2)
			return;
		n = (size_t)hdr[0] << 8 | hdr[1];
		if (n == 0 || n > ISO8583_MAX_MSG) {
			link_down(b, "bad frame length");
			return;
		}
		if (evbuffer_get_length(in) < n + 2)
			return;
		evbuffer_drain(in, 2);
		buf = malloc(n);
		if (!buf)
			return;
		evbuffer_remove(in, buf, n);
		handle_msg(b, buf, n);
		free(buf);
		if (!b->bev)	/* link went down in a callback */
			return;
	}
}

static void signon(struct ps_bank *b)
{
	struct iso8583_msg *m = malloc(sizeof(*m));
	time_t t = time(NULL);
	struct tm tm;
	char dt[16];

	if (!m)
		return;
	gmtime_r(&t, &tm);
	strftime(dt, sizeof(dt), "%m%d%H%M%S", &tm);
	b->signon_stan = b->signon_stan % 999999 + 1;
	if (!iso8583_init(m, "0800") && !iso8583_set_str(m, 7, dt) &&
	    !iso8583_set_num(m, 11, b->signon_stan) &&
	    !iso8583_set_str(m, 70, "001"))
		ps_bank_send(b, m, 10000, NULL, NULL);
	free(m);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct ps_bank *b = arg;

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY,
			   &one, sizeof(one));
		b->up = 1;
		b->retry_ms = 250;
		ps_info("bank.link_up", "{s:i}", "worker", b->worker);
		signon(b);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		link_down(b, what & BEV_EVENT_EOF ? "closed by bank" : "error");
}

static void on_retry(evutil_socket_t fd, short ev, void *arg)
{
	connect_now(arg);
}

static void connect_now(struct ps_bank *b)
{
	b->bev = bufferevent_socket_new(b->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!b->bev) {
		link_down(b, "no memory");
		return;
	}
	bufferevent_setcb(b->bev, on_read, NULL, on_event, b);
	bufferevent_enable(b->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(b->bev, (struct sockaddr *)&b->addr,
				       sizeof(b->addr)) < 0)
		link_down(b, "connect failed");
}

struct ps_bank *ps_bank_new(struct event_base *base, const char *host,
			    int port, int worker_id)
{
	struct ps_bank *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->base = base;
	b->worker = worker_id;
	b->retry_ms = 250;
	b->signon_stan = (unsigned)(ps_now_ms() % 1000) * 1000 + (unsigned)worker_id;
	b->addr.sin_family = AF_INET;
	b->addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &b->addr.sin_addr) != 1) {
		free(b);
		return NULL;
	}
	b->retry = evtimer_new(base, on_retry, b);
	connect_now(b);
	return b;
}

void ps_bank_free(struct ps_bank *b)
{
	if (!b)
		return;
	while (b->pending) {
		struct pend *p = b->pending;

		b->pending = p->next;
		pend_free(p);
	}
	if (b->bev)
		bufferevent_free(b->bev);
	event_free(b->retry);
	free(b);
}

int ps_bank_up(const struct ps_bank *b)
{
	return b->up;
}

int ps_bank_send(struct ps_bank *b, const struct iso8583_msg *req,
		 int timeout_ms, ps_bank_cb cb, void *arg)
{
	uint8_t buf[ISO8583_MAX_MSG + 2];
	size_t n = 0;
	struct pend *p;
	struct timeval tv;

	if (!b->up || !b->bev)
		return -1;
	if (iso8583_pack(req, buf + 2, sizeof(buf) - 2, &n))
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p || msg_key(req, p->key, sizeof(p->key))) {
		free(p);
		ptc_wipe(buf, sizeof(buf));
		return -1;
	}
	buf[0] = (uint8_t)(n >> 8);
	buf[1] = (uint8_t)n;
	p->b = b;
	memcpy(p->mti, req->mti, 5);
	p->cb = cb;
	p->arg = arg;
	p->timer = evtimer_new(b->base, on_timeout, p);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	p->next = b->pending;
	b->pending = p;
	bufferevent_write(b->bev, buf, n + 2);
	ptc_wipe(buf, n + 2);
	return 0;
}

void ps_bank_cancel(struct ps_bank *b, void *arg)
{
	struct pend *p;

	for (p = b->pending; p; p = p->next)
		if (p->arg == arg)
			p->cb = NULL;
}
