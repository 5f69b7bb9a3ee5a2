// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: submission to payterm-server's terminal API over HTTPS with
 * mutual TLS, libcurl's multi interface driven by the sd-event loop.
 *
 *   POST /v1/terminal/payments            Idempotency-Key: <per transaction>
 *        re-sent with the same key and body after a timeout, 409, 5xx
 *   GET  /v1/terminal/payments?idempotency_key=K    when retries are used up
 *   POST /v1/terminal/payments/{id}/reversal        result still unknown
 *
 * Never charge twice: every retry of the submission carries the same
 * idempotency key; a lost answer is recovered by the status query; if the
 * status stays unknown the payment is reversed.  Never lose a result: an
 * answer that arrives is applied even if the caller has left.
 *
 * Trust the bank, not the server: an approval counts only with the bank's
 * response MAC (0210 field 64, checked with the DUKPT MAC verification
 * key of the transaction).  A missing or wrong MAC on an approval makes
 * the result untrusted: the payment is reversed and the transaction fails.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payterm_crypto.h"
#include "daemon.h"
#include "log.h"

struct pd_http {
	struct pd_daemon *d;
	CURLM *multi;
	sd_event_source *timer;
};

struct pd_submit;
static void on_done(struct pd_submit *s, CURLcode cc);

static void submit_done(struct pd_http_user *u, CURLcode cc)
{
	on_done((struct pd_submit *)u, cc);
}

enum phase { PH_SUBMIT, PH_STATUS, PH_REVERSE };

struct pd_submit {
	struct pd_http_user u;		/* first: CURLOPT_PRIVATE */
	struct pd_txnobj *o;		/* NULL when detached */
	struct pd_http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char *resp;
	size_t resp_len;
	enum phase phase;
	unsigned attempt;
	unsigned rev_attempt;		/* reversal requests sent */
	bool refetch;			/* POST resent for the stored answer */
	bool untrusted;			/* approval without a valid response MAC */
	char key[40];			/* idempotency key */
	char payment_id[64];
	sd_event_source *retry;
	uint64_t ready_us, start_us;	/* card data ready, first POST added */
	char errbuf[CURL_ERROR_SIZE];	/* libcurl's detail of the last error */
};

static size_t on_data(char *p, size_t sz, size_t n, void *user)
{
	struct pd_submit *s = user;
	size_t len = sz * n;
	char *r;

	if (s->resp_len + len > 65536)
		return 0;
	r = realloc(s->resp, s->resp_len + len + 1);
	if (!r)
		return 0;
	memcpy(r + s->resp_len, p, len);
	s->resp = r;
	s->resp_len += len;
	s->resp[s->resp_len] = '\0';
	return len;
}

static void easy_done(struct pd_submit *s)
{
	if (s->easy) {
		curl_multi_remove_handle(s->h->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	free(s->resp);
	s->resp = NULL;
	s->resp_len = 0;
}

static void submit_free(struct pd_submit *s)
{
	easy_done(s);
	sd_event_source_disable_unref(s->retry);
	free(s->body);
	free(s);
}

CURL *pd_http_easy(struct pd_http *h, const char *url_path, long timeout_s,
		   struct pd_http_user *u, char *errbuf)
{
	const struct pd_config *c = &h->d->cfg;
	char url[512];
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", c->server_url, url_path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
	curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)c->server_timeout_s);
	curl_easy_setopt(e, CURLOPT_PRIVATE, u);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "paytermd/" PD_VERSION);
	/* never the environment's proxy (https_proxy, ALL_PROXY...): only
	 * [server] proxy; "" disables proxies, NOPROXY "" ignores no_proxy */
	curl_easy_setopt(e, CURLOPT_PROXY, c->proxy ? c->proxy : "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, c->proxy ? "" : "*");
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	return e;
}

int pd_http_add(struct pd_http *h, CURL *e)
{
	return curl_multi_add_handle(h->multi, e) == CURLM_OK ? 0 : -EIO;
}

void pd_http_remove(struct pd_http *h, CURL *e)
{
	curl_multi_remove_handle(h->multi, e);
}

static int start_easy(struct pd_submit *s, const char *method, const char *url_path,
		      const char *body)
{
	const struct pd_config *c = &s->h->d->cfg;
	char hdr[96];
	CURL *e = pd_http_easy(s->h, url_path, (long)c->server_timeout_s, &s->u,
			       s->errbuf);

	if (!e)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	s->headers = curl_slist_append(s->headers, "Accept: application/json");
	if (s->phase == PH_SUBMIT) {
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", s->key);
		s->headers = curl_slist_append(s->headers, hdr);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "{}");
	}
	s->easy = e;
	if (curl_multi_add_handle(s->h->multi, e) != CURLM_OK) {
		easy_done(s);
		return -EIO;
	}
	return 0;
}

static int status_query(struct pd_submit *s)
{
	char path[128];

	s->phase = PH_STATUS;
	snprintf(path, sizeof(path), "/v1/terminal/payments?idempotency_key=%s",
		 s->key);
	return start_easy(s, "GET", path, NULL);
}

static int reverse(struct pd_submit *s)
{
	char path[160];

	s->phase = PH_REVERSE;
	if (!s->payment_id[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "/v1/terminal/payments/%s/reversal",
		 s->payment_id);
	return start_easy(s, "POST", path, "{}");
}

static void end_failed(struct pd_submit *s, const char *msg)
{
	struct pd_txnobj *o = s->o;

	if (o) {
		o->submit = NULL;
		pd_txn_submit_failed(o->txn, msg);
	} else {
		log_warn("submission %s ended without a caller: %s", s->key, msg);
	}
	submit_free(s);
}

static void end_result(struct pd_submit *s, const char *rc, const char *auth,
		       const char *msg)
{
	struct pd_txnobj *o = s->o;

	if (o) {
		o->submit = NULL;
		pd_txn_submit_result(o->txn, rc, auth, msg);
	} else {
		log_notice("submission %s result %s", s->key, rc);
	}
	submit_free(s);
}

#define UNTRUSTED_REVERSED "Bank answer not authenticated: payment reversed"
#define UNTRUSTED_NOT_REVERSED \
	"Bank answer not authenticated: reversal not confirmed; contact the merchant"

static int on_retry(sd_event_source *src, uint64_t usec, void *user)
{
	struct pd_submit *s = user;
	int r;

	s->retry = sd_event_source_disable_unref(s->retry);
	/* docs/protocol.md: re-send the same body with the same key until an
	 * answer comes (409 while the bank is asked); the last resort is the
	 * status query, then a reversal */
	if (s->phase == PH_REVERSE)
		r = reverse(s);
	else if (s->phase == PH_SUBMIT && s->attempt <= s->h->d->cfg.submit_attempts)
		r = start_easy(s, "POST", "/v1/terminal/payments", s->body);
	else
		r = status_query(s);
	if (r < 0)
		end_failed(s, s->untrusted ? UNTRUSTED_NOT_REVERSED : "Result unknown");
	return 0;
}

static void retry_later(struct pd_submit *s)
{
	uint64_t delay = 1000000ULL << (s->attempt < 4 ? s->attempt : 4);

	s->attempt++;
	if (sd_event_add_time_relative(s->h->d->event, &s->retry,
				       CLOCK_MONOTONIC, delay, 0, on_retry,
				       s) < 0)
		end_failed(s, "Result unknown");
}

static const char *response_text(const char *rc)
{
	static const struct { const char *rc, *text; } t[] = {
		{ "00", "Approved" }, { "05", "Declined: do not honour" },
		{ "14", "Declined: invalid card number" },
		{ "51", "Declined: insufficient funds" },
		{ "54", "Declined: card expired" }, { "55", "Declined: incorrect PIN" },
		{ "75", "Declined: PIN tries exceeded" },
		{ "91", "Declined: issuer unavailable" },
		{ "94", "Declined: duplicate transmission" },
		{ "96", "Declined: system malfunction" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].rc, rc))
			return t[i].text;
	return "Declined";
}

/* The approval is not the bank's: reverse it, never report it as paid. */
static void untrusted(struct pd_submit *s, enum pd_mac_check c)
{
	log_err("submission %s: the bank's response MAC is %s: approval of "
		"payment %s not trusted, asking the server to reverse it", s->key,
		c == PD_MAC_MISSING ? "missing" : "wrong",
		s->payment_id[0] ? s->payment_id : "?");
	s->untrusted = true;
	if (reverse(s) < 0)
		end_failed(s, UNTRUSTED_NOT_REVERSED);
}

/* A payment view from the server: final → result; else keep asking. */
static void apply_view(struct pd_submit *s, json_t *v)
{
	const char *state = json_string_value(json_object_get(v, "state"));
	const char *rc = json_string_value(json_object_get(v, "response_code"));
	const char *auth = json_string_value(json_object_get(v, "auth_code"));
	const char *pid = json_string_value(json_object_get(v, "payment_id"));
	const char *mac = json_string_value(json_object_get(v, "response_mac"));
	enum pd_mac_check c;

	if (pid)
		snprintf(s->payment_id, sizeof(s->payment_id), "%s", pid);
	if (json_is_true(json_object_get(v, "approved"))) {
		if (!mac && s->phase == PH_STATUS && !s->refetch) {
			/* status views carry no response_mac: the stored answer
			 * of the submission does; same key, same body */
			s->refetch = true;
			s->phase = PH_SUBMIT;
			if (start_easy(s, "POST", "/v1/terminal/payments", s->body) < 0)
				untrusted(s, PD_MAC_MISSING);
			return;
		}
		if (!s->o) {
			log_notice("submission %s result 00 (response MAC not checked: "
				   "no transaction)", s->key);
			submit_free(s);
			return;
		}
		c = pd_txn_check_resp_mac(s->o->txn, rc && strlen(rc) == 2 ? rc : "00",
					  auth, mac);
		if (c == PD_MAC_OK) {
			log_info("submission %s: response MAC verified", s->key);
			end_result(s, "00", auth, "Approved");
		} else {
			untrusted(s, c);
		}
		return;
	}
	/* a decline cannot charge; 91/94/96 and the server's own states come
	 * without a MAC, but one that is there must be the bank's */
	if (mac && s->o && state && strcmp(state, "authorizing") &&
	    (c = pd_txn_check_resp_mac(s->o->txn, rc ? rc : "", NULL, mac)) != PD_MAC_OK) {
		log_err("submission %s: the bank's response MAC of a decline is wrong",
			s->key);
		end_failed(s, "Bank answer not authenticated; contact the merchant");
		return;
	}
	if (state && (!strcmp(state, "declined") || !strcmp(state, "reversed") ||
		      !strcmp(state, "expired") || !strcmp(state, "failed")) &&
	    rc && strlen(rc) == 2) {
		end_result(s, rc, NULL, response_text(rc));
		return;
	}
	if (state && !strcmp(state, "reversal_pending")) {
		/* no answer from the bank: the server reverses it, not paid */
		end_result(s, rc && strlen(rc) == 2 ? rc : "91", NULL,
			   "No answer from the bank: not paid");
		return;
	}
	if (state && !strcmp(state, "declined")) {
		end_result(s, "05", NULL, "Declined");
		return;
	}
	/* still authorising: ask again, then reverse */
	if (s->attempt < s->h->d->cfg.submit_attempts) {
		s->phase = PH_STATUS;
		retry_later(s);
		return;
	}
	if (reverse(s) < 0)
		end_failed(s, "Result unknown; contact the merchant");
}

/*
 * Terminal-side latency of the first POST, for tests/bench/paytermd.sh:
 * from the last card/PIN input (card data ready) to the request on the
 * wire = encrypt + build the body (ready -> start) + connect and TLS
 * handshake, or 0 on a kept-alive connection (libcurl's pre-transfer time).
 */
static void log_timing(struct pd_submit *s)
{
	curl_off_t pre = 0;

	curl_easy_getinfo(s->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	log_debug("timing: submission %s: ready_to_wire_us=%llu seal_us=%llu connect_tls_us=%lld",
		  s->key, (unsigned long long)(s->start_us - s->ready_us + (uint64_t)pre),
		  (unsigned long long)(s->start_us - s->ready_us), (long long)pre);
}

/*
 * The TLS session failed in a way that means the server never took a request
 * from us: our handshake failed, or (TLS 1.3: the server checks the client
 * certificate after the client's Finished, so libcurl sees its alert only on
 * the first send or receive) the server sent a certificate alert.  Nothing can
 * have been charged, so this is "failed", not "result unknown".
 */
static bool tls_refused(const struct pd_submit *s, CURLcode cc)
{
	static const char *const why[] = {
		"alert certificate", "alert bad certificate", "alert unknown ca",
		"alert unsupported certificate", "alert access denied",
		"alert handshake failure",
	};

	if (cc == CURLE_SSL_CONNECT_ERROR || cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_SSL_CERTPROBLEM || cc == CURLE_SSL_CACERT_BADFILE)
		return true;
	if (cc != CURLE_SEND_ERROR && cc != CURLE_RECV_ERROR)
		return false;
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (strstr(s->errbuf, why[i]))
			return true;
	return false;
}

static void on_done(struct pd_submit *s, CURLcode cc)
{
	long status = 0;
	json_t *j = NULL;
	const char *emsg = NULL;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc == CURLE_OK && s->resp)
		j = json_loads(s->resp, 0, NULL);
	if (j)
		emsg = json_string_value(json_object_get(json_object_get(j, "error"),
							  "message"));
	log_debug("submission %s phase %d: curl %d, HTTP %ld", s->key, s->phase,
		  cc, status);
	if (s->phase == PH_SUBMIT && !s->attempt && cc == CURLE_OK)
		log_timing(s);
	easy_done(s);

	switch (s->phase) {
	case PH_SUBMIT:
		if (s->refetch) {
			/* the stored answer of an approval the status reported */
			if (cc == CURLE_OK && status == 200 && json_is_object(j))
				apply_view(s, j);
			else
				untrusted(s, PD_MAC_MISSING);
			break;
		}
		if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
			/* nothing was sent: nothing can have been charged */
			end_failed(s, "Payment server unreachable");
			break;
		}
		if (cc != CURLE_OK && tls_refused(s, cc)) {
			log_warn("submission %s: %s: %s", s->key,
				 curl_easy_strerror(cc), s->errbuf);
			end_failed(s, "TLS handshake with the payment server failed");
			break;
		}
		if (cc != CURLE_OK) {
			log_warn("submission %s: %s (%s); asking again",
				 s->key, curl_easy_strerror(cc), s->errbuf);
			retry_later(s);
			break;
		}
		if (status == 200 && json_is_object(j)) {
			apply_view(s, j);
		} else if (status == 409 || status >= 500) {
			retry_later(s);
		} else {
			char m[200];

			snprintf(m, sizeof(m), "Refused by the payment server: %s",
				 emsg ? emsg : "error");
			end_failed(s, m);
		}
		break;
	case PH_STATUS:
		if (cc != CURLE_OK && tls_refused(s, cc)) {
			/* the same certificate as the submission's: refused then too */
			log_warn("submission %s: status: %s: %s", s->key,
				 curl_easy_strerror(cc), s->errbuf);
			end_failed(s, "TLS handshake with the payment server failed");
			break;
		}
		if (cc == CURLE_OK && status == 200 && json_is_object(j)) {
			s->attempt = s->attempt > s->h->d->cfg.submit_attempts ?
				     s->attempt : s->h->d->cfg.submit_attempts;
			apply_view(s, j);
		} else if (cc == CURLE_OK && status == 404) {
			/* the submission never arrived: nothing charged */
			end_failed(s, "Payment server did not receive the payment");
		} else if (s->attempt < s->h->d->cfg.submit_attempts) {
			retry_later(s);
		} else {
			end_failed(s, "Result unknown; the payment will be reversed by the server");
		}
		break;
	case PH_REVERSE:
		s->rev_attempt++;
		if (cc == CURLE_OK && (status == 202 || status == 200)) {
			if (s->untrusted)
				end_failed(s, UNTRUSTED_REVERSED);
			else
				end_result(s, "96", NULL,
					   "No answer from the bank: payment reversed");
		} else if (s->untrusted && (cc != CURLE_OK || status >= 500) &&
			   s->rev_attempt <= s->h->d->cfg.submit_attempts) {
			log_warn("submission %s: reversal: curl %d, HTTP %ld; asking again",
				 s->key, cc, status);
			retry_later(s);
		} else {
			end_failed(s, s->untrusted ? UNTRUSTED_NOT_REVERSED :
				   "Result unknown; reversal not confirmed");
		}
		break;
	}
	json_decref(j);
}

static void check_done(struct pd_http *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left))) {
		struct pd_http_user *u = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&u);
		if (u)
			u->done(u, msg->data.result);
	}
}

static int on_sock_io(sd_event_source *src, int fd, uint32_t revents, void *user)
{
	struct pd_http *h = user;
	int action = 0, running;

	if (revents & EPOLLIN)
		action |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, action, &running);
	check_done(h);
	return 0;
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *user, void *sockp)
{
	struct pd_http *h = user;
	sd_event_source *src = sockp;
	uint32_t events = 0;

	if (what == CURL_POLL_REMOVE) {
		if (src)
			sd_event_source_disable_unref(src);
		curl_multi_assign(h->multi, fd, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (src) {
		sd_event_source_set_io_events(src, events);
		sd_event_source_set_enabled(src, SD_EVENT_ON);
		return 0;
	}
	if (sd_event_add_io(h->d->event, &src, fd, events, on_sock_io, h) < 0)
		return -1;
	curl_multi_assign(h->multi, fd, src);
	return 0;
}

static int on_timer(sd_event_source *src, uint64_t usec, void *user)
{
	struct pd_http *h = user;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
	return 0;
}

static int timer_cb(CURLM *m, long ms, void *user)
{
	struct pd_http *h = user;
	uint64_t now;

	if (ms < 0) {
		if (h->timer)
			sd_event_source_set_enabled(h->timer, SD_EVENT_OFF);
		return 0;
	}
	sd_event_now(h->d->event, CLOCK_MONOTONIC, &now);
	if (!h->timer)
		return sd_event_add_time(h->d->event, &h->timer, CLOCK_MONOTONIC,
					 now + (uint64_t)ms * 1000, 0, on_timer,
					 h) < 0 ? -1 : 0;
	sd_event_source_set_time(h->timer, now + (uint64_t)ms * 1000);
	sd_event_source_set_enabled(h->timer, SD_EVENT_ONESHOT);
	return 0;
}

int pd_http_new(struct pd_daemon *d, struct pd_http **out, char *err,
		size_t errlen)
{
	struct pd_http *h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "libcurl initialisation failed");
		return -EIO;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->d = d;
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return -ENOMEM;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	*out = h;
	return 0;
}

void pd_http_free(struct pd_http *h)
{
	if (!h)
		return;
	curl_multi_cleanup(h->multi);
	sd_event_source_disable_unref(h->timer);
	free(h);
	curl_global_cleanup();
}

static const char *dukpt_name(const struct pd_daemon *d, const struct pd_sealed *s)
{
	const struct pt_dukpt_dev *dev = pt_ks_dev(d->ks);

	if (!s->aes)
		return "tdes";
	switch (dev->dk_type) {
	case PT_KT_AES192:
		return "aes192";
	case PT_KT_AES256:
		return "aes256";
	default:
		return "aes128";
	}
}

static json_t *hexj(const uint8_t *b, size_t n)
{
	char buf[1024];

	if (2 * n + 1 > sizeof(buf))
		return json_null();
	pt_hex_encode(b, n, buf);
	return json_string(buf);
}

int pd_submit_start(struct pd_txnobj *o, const struct pd_sealed *sealed)
{
	struct pd_daemon *d = o->d;
	struct pd_txn *t = o->txn;
	struct pd_submit *s;
	uint8_t rnd[16];
	json_t *j;
	int r;

	if (!d->http)
		return -ENOTCONN;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->u.done = submit_done;
	s->o = o;
	s->h = d->http;
	if (pt_random(rnd, sizeof(rnd))) {
		free(s);
		return -EIO;
	}
	pt_hex_encode(rnd, sizeof(rnd), s->key);
	j = json_object();
	json_object_set_new(j, "request_id", json_string(t->req.id));
	json_object_set_new(j, "request", json_string(t->req.jws));
	json_object_set_new(j, "merchant_id", json_string(t->req.merchant_name));
	json_object_set_new(j, "order_id", json_string(t->req.order_id));
	json_object_set_new(j, "amount", json_integer((json_int_t)t->req.amount));
	json_object_set_new(j, "currency", json_string(t->req.currency_alpha));
	json_object_set_new(j, "entry_mode", json_string(sealed->entry_mode));
	json_object_set_new(j, "masked_pan", json_string(t->masked_pan));
	json_object_set_new(j, "dukpt", json_string(dukpt_name(d, sealed)));
	json_object_set_new(j, "ksn", hexj(sealed->ksn, sealed->ksn_len));
	if (sealed->pin_format >= 0) {
		json_object_set_new(j, "pin_block_format",
				    json_integer(sealed->pin_format));
		json_object_set_new(j, "pin_block",
				    hexj(sealed->pinblock, sealed->pinblock_len));
	} else {
		json_object_set_new(j, "pin_block_format", json_null());
	}
	json_object_set_new(j, "card_data", hexj(sealed->f62, sealed->f62_len));
	if (sealed->f55_len)
		json_object_set_new(j, "icc_data", hexj(sealed->f55, sealed->f55_len));
	json_object_set_new(j, "mac", hexj(sealed->mac, 8));
	s->body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s->body) {
		free(s);
		return -ENOMEM;
	}
	s->phase = PH_SUBMIT;
	s->ready_us = t->t_ready_us;
	s->start_us = pd_mono_us();
	r = start_easy(s, "POST", "/v1/terminal/payments", s->body);
	if (r < 0) {
		submit_free(s);
		return r;
	}
	o->submit = s;
	log_info("transaction %u: submitted (idempotency key %s)", t->id, s->key);
	return 0;
}

void pd_submit_detach(struct pd_txnobj *o)
{
	if (o->submit) {
		/* the answer is still applied (logged) when it comes */
		o->submit->o = NULL;
		o->submit = NULL;
	}
}
