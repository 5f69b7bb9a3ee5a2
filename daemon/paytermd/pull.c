// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the pull queue (docs/protocol.md "Pull queue (long poll)").
 *
 *   GET /v1/terminal/requests?after=SEQ&wait=S     mutual TLS, long poll
 *
 * One request at a time on the shared curl multi handle (sd-event loop).
 * after=0 at start (everything still payable), then the answer's "next".
 * Each request is verified (pending.c) and announced on the bus.  Errors
 * (connection, TLS, HTTP status, bad JSON) back off 1, 2, 4 ... 60 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

#define PULL_WAIT_S	30	/* long poll (the server caps it, default 60) */
#define PULL_BACKOFF_MAX_S 60
#define PULL_BODY_MAX	(1024 * 1024)

struct pd_pull {
	struct pd_http_user u;		/* first: CURLOPT_PRIVATE */
	struct pd_daemon *d;
	CURL *easy;
	char *resp;
	size_t resp_len;
	int64_t after;			/* cursor: the last "next" */
	unsigned fails;			/* consecutive failures */
	uint64_t started_us;
	sd_event_source *again;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_data(char *p, size_t sz, size_t n, void *user)
{
	struct pd_pull *q = user;
	size_t len = sz * n;
	char *r;

	if (q->resp_len + len > PULL_BODY_MAX)
		return 0;
	r = realloc(q->resp, q->resp_len + len + 1);
	if (!r)
		return 0;
	memcpy(r + q->resp_len, p, len);
	q->resp = r;
	q->resp_len += len;
	q->resp[q->resp_len] = '\0';
	return len;
}

static void easy_done(struct pd_pull *q)
{
	if (q->easy) {
		pd_http_remove(q->d->http, q->easy);
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
	}
	free(q->resp);
	q->resp = NULL;
	q->resp_len = 0;
}

static int poll_now(struct pd_pull *q);

static int on_again(sd_event_source *src, uint64_t usec, void *user)
{
	struct pd_pull *q = user;

	q->again = sd_event_source_disable_unref(q->again);
	if (poll_now(q) < 0) {
		log_err("pull queue: cannot start a poll; retrying in %d s",
			PULL_BACKOFF_MAX_S);
		sd_event_add_time_relative(q->d->event, &q->again, CLOCK_MONOTONIC,
					   PULL_BACKOFF_MAX_S * 1000000ULL, 0,
					   on_again, q);
	}
	return 0;
}

static void schedule(struct pd_pull *q, uint64_t delay_us)
{
	q->again = sd_event_source_disable_unref(q->again);
	if (sd_event_add_time_relative(q->d->event, &q->again, CLOCK_MONOTONIC,
				       delay_us, 0, on_again, q) < 0)
		log_err("pull queue: cannot arm the timer: polling stops");
}

static void announce(void *user, const struct pd_pending *p)
{
	pd_bus_request_received(user, p);
}

static void on_done(struct pd_http_user *u, CURLcode cc)
{
	struct pd_pull *q = (struct pd_pull *)u;
	struct pd_daemon *d = q->d;
	long status = 0;
	int n = -EBADMSG;
	uint64_t delay;

	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && status == 200 && d->request_key) {
		int64_t before = q->after;

		n = pd_pending_page(&d->pending, q->resp, d->request_key,
				    d->cfg.terminal_id, time(NULL), d->used,
				    &q->after, announce, d);
		if (n >= 0)
			log_debug("pull queue: after=%lld: %d new, next=%lld",
				  (long long)before, n, (long long)q->after);
		if (n > 0)
			pd_bus_pending_changed(d);
	}
	if (n >= 0) {
		if (q->fails)
			log_info("pull queue: polling again");
		q->fails = 0;
		/* an answer that came at once with nothing new (a server that
		 * does not hold the poll): do not spin */
		delay = n == 0 && pd_mono_us() - q->started_us < 1000000 ?
			1000000 : 0;
	} else {
		unsigned s = q->fails < 6 ? 1U << q->fails : PULL_BACKOFF_MAX_S;

		if (s > PULL_BACKOFF_MAX_S)
			s = PULL_BACKOFF_MAX_S;
		q->fails++;
		if (cc != CURLE_OK)
			log_warn("pull queue: %s (%s); again in %u s",
				 curl_easy_strerror(cc), q->errbuf, s);
		else
			log_warn("pull queue: HTTP %ld%s; again in %u s", status,
				 status == 200 ? " with a malformed answer" : "", s);
		delay = (uint64_t)s * 1000000ULL;
	}
	easy_done(q);
	schedule(q, delay);
}

static int poll_now(struct pd_pull *q)
{
	struct pd_daemon *d = q->d;
	char path[96];
	CURL *e;

	snprintf(path, sizeof(path), "/v1/terminal/requests?after=%lld&wait=%d",
		 (long long)q->after, PULL_WAIT_S);
	e = pd_http_easy(d->http, path, PULL_WAIT_S + (long)d->cfg.server_timeout_s,
			 &q->u, q->errbuf);
	if (!e)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	q->easy = e;
	q->started_us = pd_mono_us();
	if (pd_http_add(d->http, e) < 0) {
		curl_easy_cleanup(e);
		q->easy = NULL;
		return -EIO;
	}
	return 0;
}

int pd_pull_start(struct pd_daemon *d)
{
	struct pd_pull *q;

	if (!d->cfg.pull || d->pull || !d->http)
		return 0;
	if (!d->request_key) {
		log_warn("pull queue: no request key, not polling");
		return 0;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->u.done = on_done;
	q->d = d;
	d->pull = q;
	log_info("pull queue: polling %s/v1/terminal/requests", d->cfg.server_url);
	schedule(q, 0);
	return 0;
}

void pd_pull_stop(struct pd_daemon *d)
{
	struct pd_pull *q = d->pull;

	if (!q)
		return;
	easy_done(q);
	sd_event_source_disable_unref(q->again);
	free(q);
	d->pull = NULL;
}
