// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: webhook, e-mail and SMS delivery with libcurl. */
#include "deliver.h"
#include "netguard.h"
#include "util.h"
#include "whsig.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int ps_deliver_configured(const struct ps_config *c, const char *kind)
{
	if (!strcmp(kind, "email"))
		return c->smtp_url != NULL;
	if (!strcmp(kind, "sms"))
		return c->sms_url_template != NULL;
	return !strcmp(kind, "webhook");
}

const char *ps_notice_kind(const struct ps_config *c, const char *payer_type)
{
	const char *kind = !strcmp(payer_type, "phone") ? "sms" :
			   !strcmp(payer_type, "email") ? "email" : NULL;

	return kind && ps_deliver_configured(c, kind) ? kind : NULL;
}

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	return sz * n;	/* response bodies are not needed */
}

static void common(CURL *h, const struct ps_config *c)
{
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->webhook_timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,smtp,smtps");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
}

static int finish_http(CURL *h, CURLcode rc, char *err, size_t errcap)
{
	long code = 0;

	if (rc != CURLE_OK) {
		snprintf(err, errcap, "%s", curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299) {
		snprintf(err, errcap, "HTTP %ld", code);
		return -1;
	}
	return 0;
}

/*
 * The merchant chose the URL: the address libcurl is about to connect to
 * (every one DNS gave, in turn) must not be internal unless the operator
 * allows it ([webhooks] allow_private).  A refused address fails the
 * connect (CURLE_COULDNT_CONNECT), so the event is retried and in the end
 * dead-lettered like any unreachable receiver.
 */
struct guard {
	const struct ps_config *c;
	bool refused;		/* an address was internal */
};

static curl_socket_t guarded_socket(void *arg, curlsocktype purpose,
				    struct curl_sockaddr *a)
{
	struct guard *g = arg;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (!g->c->webhook_allow_private && ps_addr_internal(&a->addr, a->addrlen)) {
		g->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

int ps_deliver_webhook(const struct ps_config *c, const char *url,
		       const char *secret, const char *event_id,
		       const char *body, char *err, size_t errcap)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hd = NULL;
	struct guard g = { .c = c };
	char sig[160], line[220];
	int rc;

	if (!h)
		return -1;
	if (ps_whsig_header(secret, (int64_t)time(NULL), body, strlen(body),
			    sig, sizeof(sig))) {
		curl_easy_cleanup(h);
		return -1;
	}
	hd = curl_slist_append(hd, "Content-Type: application/json");
	snprintf(line, sizeof(line), "Payterm-Signature: %s", sig);
	hd = curl_slist_append(hd, line);
	snprintf(line, sizeof(line), "Payterm-Event-Id: %s", event_id);
	hd = curl_slist_append(hd, line);
	hd = curl_slist_append(hd, "User-Agent: payterm-server/0.1");
	common(h, c);
	curl_easy_setopt(h, CURLOPT_URL, url);
	/* no proxy from the environment: the guard must see the receiver */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, guarded_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &g);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	rc = finish_http(h, curl_easy_perform(h), err, errcap);
	if (rc && g.refused)
		snprintf(err, errcap, "refused: the callback URL leads to an internal "
			 "address (webhooks.allow_private is false)");
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	return rc;
}

struct rd {
	const char *p;
	size_t left;
};

static size_t reader(char *buf, size_t sz, size_t n, void *arg)
{
	struct rd *r = arg;
	size_t k = sz * n < r->left ? sz * n : r->left;

	memcpy(buf, r->p, k);
	r->p += k;
	r->left -= k;
	return k;
}

int ps_deliver_email(const struct ps_config *c, const char *to,
		     const char *subject, const char *text, char *err,
		     size_t errcap)
{
	CURL *h;
	struct curl_slist *rcpt = NULL;
	char *msg = NULL, date[64], from[300];
	struct rd r;
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	if (!c->smtp_url) {
		snprintf(err, errcap, "smtp not configured");
		return -1;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (asprintf(&msg, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
		     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		     "\r\n%s", date, c->smtp_from, to, subject, text) < 0)
		return -1;
	h = curl_easy_init();
	if (!h) {
		free(msg);
		return -1;
	}
	snprintf(from, sizeof(from), "<%s>", c->smtp_from);
	rcpt = curl_slist_append(rcpt, to);
	common(h, c);
	r.p = msg;
	r.left = strlen(msg);
	curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, reader);
	curl_easy_setopt(h, CURLOPT_READDATA, &r);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errcap, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	free(msg);
	return rc == CURLE_OK ? 0 : -1;
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = 0;
}

/* Percent-encoding by libcurl (RFC 3986: all but A-Z a-z 0-9 - . _ ~). */
static void append_esc(char **buf, size_t *len, size_t *cap, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);

	if (e)
		append(buf, len, cap, e, strlen(e));
	curl_free(e);
}

char *ps_sms_url(const char *tmpl, const char *to, const char *text)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	const char *p = tmpl;

	append(&buf, &len, &cap, "", 0);
	while (*p) {
		if (!strncmp(p, "{to}", 4)) {
			append_esc(&buf, &len, &cap, to);
			p += 4;
		} else if (!strncmp(p, "{text}", 6)) {
			append_esc(&buf, &len, &cap, text);
			p += 6;
		} else {
			append(&buf, &len, &cap, p, 1);
			p++;
		}
	}
	return buf;
}

int ps_deliver_sms(const struct ps_config *c, const char *to, const char *text,
		   char *err, size_t errcap)
{
	CURL *h;
	char *url;
	int rc;

	if (!c->sms_url_template) {
		snprintf(err, errcap, "sms gateway not configured");
		return -1;
	}
	url = ps_sms_url(c->sms_url_template, to, text);
	h = curl_easy_init();
	if (!h || !url) {
		curl_easy_cleanup(h);
		free(url);
		return -1;
	}
	common(h, c);
	curl_easy_setopt(h, CURLOPT_URL, url);
	rc = finish_http(h, curl_easy_perform(h), err, errcap);
	curl_easy_cleanup(h);
	free(url);
	return rc;
}
