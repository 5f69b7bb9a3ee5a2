// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: submission to payterm-server's terminal API over HTTPS with
 * mutual TLS, libcurl's multi interface driven by the sd-event loop.
 *
 *   POST /v1/terminal/payments            Idempotency-Key: <per transaction>
 *        re-sent with the same key and body while the outcome is unknown
 *   GET  /v1/terminal/payments?idempotency_key=K    then, and to find the
 *        payment behind an answer that is not trusted
 *   POST /v1/terminal/payments/{id}/reversal        an approval the
 *        terminal does not accept, until acknowledged
 *
 * The outcome rules (docs/protocol.md "Outcome rules"):
 *
 * - Approved only on the bank's word: response code 00 whose response MAC
 *   (0210 field 64, under the DUKPT MAC verification key of this KSN)
 *   verifies over the amount and currency *the terminal sent*, the auth
 *   code, the response code and field 53 — and an answer that agrees with
 *   itself (state approved, the amount and currency sent).  The server's
 *   "approved" flag, state and amount decide nothing.
 * - Anything that would be an approval and is not that (no MAC, a wrong
 *   MAC, an old approval replayed, an amount changed, 00 with another
 *   state) is not approved; the payment behind our idempotency key is
 *   looked up and, if the server holds it approved, reversed.
 * - A decline needs no MAC to be reported as not paid; one that carries a
 *   MAC that does not verify is treated as a claim the terminal cannot
 *   check (looked up, reversed if approved).  A decline is never turned
 *   into an approval.
 * - Only a first POST that provably never reached the server (libcurl
 *   never began to send it: connection refused, no such host, the TLS
 *   handshake failed; or the only request on a fresh connection could not
 *   be written, or drew the server's certificate alert) is "nothing was
 *   sent".  libcurl re-sends
 *   a request by itself when a reused connection was dead, so the error of
 *   a transfer is not proof that nothing went out: on_prereq() counts.  Every other outcome that is
 *   not a definite answer is unknown: re-send, status query, and if the
 *   server holds it approved, a reversal, retried with back-off until
 *   acknowledged.
 *
 * Every submission has an in-flight record (journal.h), written before the
 * first byte goes out and removed once the outcome is final (approved with
 * a verified MAC, declined, never arrived, or a reversal acknowledged).
 * The transaction gets its result as soon as there is one, or "result
 * unknown" after a bounded number of exchanges; the submission then goes
 * on in the background, and after a restart from the record (without the
 * MAC key, so an approval found then is always reversed).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payterm_crypto.h"
#include "daemon.h"
#include "tls_key.h"
#include "journal.h"
#include "log.h"
#include "submit.h"
#include "verdict.h"

struct pd_http {
	struct pd_daemon *d;
	CURLM *multi;
	sd_event_source *timer;
	struct pd_journal *journal;	/* in-flight records */
	struct pd_submit *submits;	/* every submission not final yet */
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
	struct pd_submit *next;		/* h->submits */
	struct pd_daemon *d;
	struct pd_txnobj *o;		/* the transaction waiting, or NULL */
	struct pd_http *h;
	CURL *easy;
	struct curl_slist *headers;
	char *body;			/* the submission (NULL after a restart) */
	char *resp;
	size_t resp_len;
	enum phase phase;
	unsigned posts;			/* POSTs of the submission sent */
	unsigned waits;			/* back-off steps so far */
	unsigned prereqs;		/* this exchange: requests libcurl began to send */
	bool maybe_sent;		/* a POST may have reached the server */
	bool refetch;			/* POST re-sent for the stored answer */
	bool suspect;			/* a claimed approval we do not accept */
	bool closed;			/* the transaction cannot be approved any more */
	struct pd_jrec rec;		/* the in-flight record */
	sd_event_source *retry;
	uint64_t ready_us, start_us;	/* card data ready, first POST added */
	char errbuf[CURL_ERROR_SIZE];	/* libcurl's detail of the last error */
};

/* live exchanges before the transaction is told "result unknown" */
#define LIVE_WAIT_MAX_S	8
#define BG_WAIT_MAX_S	60

static unsigned live_waits(const struct pd_submit *s)
{
	return 2 * s->d->cfg.submit_attempts + 2;
}

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

/*
 * libcurl calls this right before it sends the request on a connection
 * (new or reused).  Counted because libcurl re-sends a request by itself
 * when a reused connection turns out dead — after the first copy may have
 * reached the server: the error it then reports (a refused connection,
 * say) is the retry's, and does not mean that nothing was sent.
 */
static int on_prereq(void *user, char *pip, char *lip, int pport, int lport)
{
	struct pd_submit *s = user;

	s->prereqs++;
	return CURL_PREREQFUNC_OK;
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
	struct pd_submit **pp;

	for (pp = &s->h->submits; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	if (s->o)
		s->o->submit = NULL;
	easy_done(s);
	sd_event_source_disable_unref(s->retry);
	if (s->body) {
		/* ciphertext only, but no need to leave it in the heap */
		pt_cleanse(s->body, strlen(s->body));
		free(s->body);
	}
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
	/* the client key is the card process's: certificate and oracle key
	 * go into the SSL_CTX (tls_key.c); libcurl never reads key_file */
	curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, pd_tls_ssl_ctx);
	curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, h->d);
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
		      const char *body, bool fresh)
{
	const struct pd_config *c = &s->d->cfg;
	char hdr[96];
	CURL *e = pd_http_easy(s->h, url_path, (long)c->server_timeout_s, &s->u,
			       s->errbuf);

	if (!e)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	s->prereqs = 0;
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, s);
	s->headers = curl_slist_append(NULL, "Content-Type: application/json");
	s->headers = curl_slist_append(s->headers, "Accept: application/json");
	if (s->phase == PH_SUBMIT) {
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", s->rec.key);
		s->headers = curl_slist_append(s->headers, hdr);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	if (fresh)
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "{}");
	}
	s->easy = e;
	if (curl_multi_add_handle(s->h->multi, e) != CURLM_OK) {
		easy_done(s);
		return -EIO;
	}
	s->rec.attempts++;
	return 0;
}

static void journal_put(struct pd_submit *s)
{
	int r = pd_journal_put(s->h->journal, &s->rec);

	if (r < 0)
		log_err("submission %s: cannot write its in-flight record: %s",
			s->rec.key, strerror(-r));
}

/* ---- ends ---- */

/*
 * The outcome is final: the record goes first (durably), then the
 * transaction is told, if it still waits.  A crash in between leaves a
 * payment the customer was not told about: an approval is then resolved
 * by the merchant's order (paid), anything else needs nothing.
 */
static void final(struct pd_submit *s, enum pd_state st, const char *rc,
		  const char *auth, const char *msg)
{
	struct pd_txnobj *o = s->o;
	int r = pd_journal_remove(s->h->journal, s->rec.key);

	if (r < 0)
		log_err("submission %s: cannot remove its in-flight record: %s",
			s->rec.key, strerror(-r));
	pd_log_event(st == PD_ST_APPROVED ? &PD_EV_APPROVED :
		     st == PD_ST_DECLINED ? &PD_EV_DECLINED : &PD_EV_FAILED,
		     &(struct pd_log_ids){ .txn = o ? o->txn->id : 0,
		     .request = s->rec.request_id, .key = s->rec.key,
		     .state = pd_state_name(st), .result_code = rc }, LOG_INFO,
		     "submission %s: final: %s%s%s (%s)", s->rec.key,
		     pd_state_name(st), rc ? " " : "", rc ? rc : "", msg);
	if (o && !s->closed) {
		o->submit = NULL;
		s->o = NULL;
		if (st == PD_ST_APPROVED || st == PD_ST_DECLINED)
			pd_txn_submit_result(o->txn, rc, auth, msg);
		else
			pd_txn_submit_failed(o->txn, msg);
	}
	submit_free(s);
}

static void final_failed(struct pd_submit *s, const char *msg)
{
	final(s, PD_ST_FAILED, NULL, NULL, msg);
}

/*
 * Not final yet, but the transaction cannot wait any longer: tell it
 * "result unknown" (never approved); from now on an approval found is
 * reversed.  The submission goes on in the background.
 */
static void close_txn(struct pd_submit *s, const char *msg)
{
	struct pd_txnobj *o = s->o;

	s->closed = true;
	if (!o)
		return;
	o->submit = NULL;
	s->o = NULL;
	log_warn("submission %s: %s; going on in the background", s->rec.key, msg);
	snprintf(s->rec.shown, sizeof(s->rec.shown), "failed");
	journal_put(s);
	pd_txn_submit_failed(o->txn, msg);
}

#define UNKNOWN_MSG "Result unknown: if the bank approved it, it will be reversed"
#define UNTRUSTED_REVERSED "Bank answer not authenticated: payment reversed"
#define UNTRUSTED_NOT_PAID PD_UNTRUSTED_NOT_PAID

/* ---- the exchanges ---- */

/*
 * The first POST of a submission goes on a connection of its own: libcurl
 * re-sends a request by itself when a reused connection turns out dead, and
 * on a reused connection a failure cannot tell "never arrived" from
 * "arrived, answer lost" — on a fresh one it can (not_taken()).  Costs one
 * TLS handshake per payment; the re-sends and queries reuse connections.
 */
static int post_submission(struct pd_submit *s)
{
	s->phase = PH_SUBMIT;
	s->posts++;
	return start_easy(s, "POST", "/v1/terminal/payments", s->body, s->posts == 1);
}

static int status_query(struct pd_submit *s)
{
	char path[128];

	s->phase = PH_STATUS;
	snprintf(path, sizeof(path), "/v1/terminal/payments?idempotency_key=%s",
		 s->rec.key);
	return start_easy(s, "GET", path, NULL, false);
}

static int reverse(struct pd_submit *s)
{
	char path[160];

	s->phase = PH_REVERSE;
	if (!pd_payment_id_ok(s->rec.payment_id))
		return -ENOENT;
	if (s->rec.stage != PD_J_REVERSING) {
		/* owed from now on, across restarts */
		s->rec.stage = PD_J_REVERSING;
		journal_put(s);
	}
	pd_log_event(&PD_EV_REVERSAL, &(struct pd_log_ids){
		     .txn = s->o ? s->o->txn->id : 0, .request = s->rec.request_id,
		     .key = s->rec.key }, LOG_NOTICE,
		     "submission %s: asking the server to reverse payment %s",
		     s->rec.key, s->rec.payment_id);
	snprintf(path, sizeof(path), "/v1/terminal/payments/%s/reversal",
		 s->rec.payment_id);
	return start_easy(s, "POST", path, "{}", false);
}

static int start_phase(struct pd_submit *s, enum phase ph)
{
	switch (ph) {
	case PH_SUBMIT:
		if (s->body && !s->closed)
			return post_submission(s);
		return status_query(s);		/* nothing to re-send */
	case PH_STATUS:
		return status_query(s);
	case PH_REVERSE: {
		int r = reverse(s);

		return r == -ENOENT ? status_query(s) : r;	/* no usable id: ask */
	}
	}
	return -EINVAL;
}

static int on_retry(sd_event_source *src, uint64_t usec, void *user)
{
	struct pd_submit *s = user;

	s->retry = sd_event_source_disable_unref(s->retry);
	if (start_phase(s, s->phase) < 0) {
		/* out of memory or handles: try again later */
		log_err("submission %s: cannot start an exchange", s->rec.key);
		s->phase = PH_STATUS;
		sd_event_add_time_relative(s->d->event, &s->retry,
					   CLOCK_MONOTONIC, 5000000ULL, 0,
					   on_retry, s);
	}
	return 0;
}

/* Next exchange of phase @ph after the back-off: 1, 2, 4 ... s (at most
 * LIVE_WAIT_MAX_S while the transaction waits, BG_WAIT_MAX_S after). */
static void later(struct pd_submit *s, enum phase ph)
{
	uint64_t delay = 1ULL << (s->waits < 7 ? s->waits : 7);

	if (s->o && s->waits >= live_waits(s))
		close_txn(s, UNKNOWN_MSG);
	if (delay > (s->o ? LIVE_WAIT_MAX_S : BG_WAIT_MAX_S))
		delay = s->o ? LIVE_WAIT_MAX_S : BG_WAIT_MAX_S;
	s->waits++;
	s->phase = ph;
	s->retry = sd_event_source_disable_unref(s->retry);
	if (sd_event_add_time_relative(s->d->event, &s->retry, CLOCK_MONOTONIC,
				       delay * 1000000ULL, 0, on_retry, s) < 0) {
		log_err("submission %s: cannot arm a timer", s->rec.key);
		close_txn(s, UNKNOWN_MSG);
	}
}

/* Now (no back-off). */
static void now(struct pd_submit *s, enum phase ph)
{
	if (start_phase(s, ph) < 0)
		later(s, ph);
}

/*
 * A claimed approval (or a decline whose MAC is wrong) that the terminal
 * does not accept.  The payment id in such an answer is not trusted either
 * (a replayed answer names another payment): the payment behind our
 * idempotency key is looked up and reversed if the server holds it
 * approved.
 */
static void suspect(struct pd_submit *s, const char *why)
{
	log_err("submission %s: %s: not trusted; looking up the payment of this "
		"idempotency key to reverse it if it was approved", s->rec.key, why);
	s->suspect = true;
	s->refetch = false;
	now(s, PH_STATUS);
}

/*
 * A payment view (200 from the submission or the status query): decide,
 * by the rules at the top of this file.  @status: the view came from the
 * status query (whose views never carry a MAC), and its payment id is the
 * one of our idempotency key.
 */
static enum pd_mac_check check_mac(void *arg, const char *rc, const char *auth,
				   const char *mac)
{
	struct pd_submit *s = arg;

	return pd_txn_check_resp_mac(s->o->txn, rc, auth, mac);
}

static void judge(struct pd_submit *s, json_t *v, bool status)
{
	const char *pid = json_string_value(json_object_get(v, "payment_id"));
	struct pd_view_ctx c = {
		.status = status, .suspect = s->suspect, .closed = s->closed,
		.have_keys = s->o != NULL, .can_refetch = !s->refetch && s->body,
		.reversing = s->rec.stage == PD_J_REVERSING,
		.amount = s->rec.amount, .currency = s->rec.currency,
		.check_mac = check_mac, .arg = s,
	};
	struct pd_verdict vd;

	if (status && pid) {
		if (pd_payment_id_ok(pid))
			snprintf(s->rec.payment_id, sizeof(s->rec.payment_id), "%s", pid);
		else
			log_warn("submission %s: the server names an unusable payment id",
				 s->rec.key);
	}
	c.payment_id_known = pd_payment_id_ok(s->rec.payment_id);
	pd_judge_view(&c, v, &vd);
	switch (vd.kind) {
	case PD_V_FINAL:
		if (vd.mac_verified)
			log_info("submission %s: response MAC verified", s->rec.key);
		final(s, vd.state, vd.rc, vd.auth, vd.msg);
		break;
	case PD_V_STATUS_LATER:
		if (vd.why[0])
			log_warn("submission %s: %s", s->rec.key, vd.why);
		later(s, PH_STATUS);
		break;
	case PD_V_SUSPECT:
		suspect(s, vd.why);
		break;
	case PD_V_REVERSE:
		now(s, PH_REVERSE);
		break;
	case PD_V_REFETCH:
		s->refetch = true;
		if (post_submission(s) < 0)
			suspect(s, "no response MAC");
		break;
	}
}

/*
 * Terminal-side latency of the first POST, for tests/bench/paytermd.sh:
 * from the last card/PIN input (card data ready) to the request on the
 * wire = encrypt + build the body (ready -> start) + connect and TLS
 * handshake (libcurl's pre-transfer time: the first POST has a connection
 * of its own, post_submission()).
 */
static void log_timing(struct pd_submit *s)
{
	curl_off_t pre = 0;

	curl_easy_getinfo(s->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	log_debug("timing: submission %s: ready_to_wire_us=%llu seal_us=%llu connect_tls_us=%lld",
		  s->rec.key, (unsigned long long)(s->start_us - s->ready_us + (uint64_t)pre),
		  (unsigned long long)(s->start_us - s->ready_us), (long long)pre);
}

/*
 * The TLS session failed in a way that means the server never took a request
 * from us: our handshake failed, or (TLS 1.3: the server checks the client
 * certificate after the client's Finished, so libcurl sees its alert only on
 * the first send or receive) the server sent a certificate alert.
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

/*
 * This exchange cannot have been taken by the server:
 * - libcurl never began to send the request (every connection it tried
 *   failed to connect or in the TLS handshake), or
 * - the only request, on a fresh connection, could not be written (the
 *   server closed or reset the TLS session first: with TLS 1.3 that is how
 *   a refused client certificate usually shows, the server's alert lost
 *   with the reset) — the server does not have a whole request — or was
 *   answered with the server's certificate alert (TLS 1.3 refusal, seen on
 *   the first receive).
 * A reset or close while receiving, without such an alert, is not proof:
 * the server may have read the request.
 */
static bool not_taken(const struct pd_submit *s, CURLcode cc, long connects)
{
	if (cc == CURLE_OK)
		return false;
	if (!s->prereqs)
		return true;
	if (s->prereqs != 1 || connects != 1)
		return false;
	return cc == CURLE_SEND_ERROR || (cc == CURLE_RECV_ERROR && tls_refused(s, cc));
}

static bool error_object(json_t *j)
{
	return json_is_object(j) &&
	       json_is_string(json_object_get(json_object_get(j, "error"), "code"));
}

static void submission_done(struct pd_submit *s, CURLcode cc, long status,
			    long connects, json_t *j)
{
	if (cc != CURLE_OK) {
		bool nt = not_taken(s, cc, connects);

		if (nt && !s->maybe_sent && !s->refetch) {
			/* nothing of this payment has reached the server */
			log_warn("submission %s: %s: %s", s->rec.key,
				 curl_easy_strerror(cc), s->errbuf);
			final_failed(s, tls_refused(s, cc) || cc == CURLE_SEND_ERROR ?
				     "TLS handshake with the payment server failed" :
				     "Payment server unreachable");
			return;
		}
		if (!nt)
			s->maybe_sent = true;
		if (s->refetch) {
			suspect(s, "approval without a response MAC (the stored "
				"answer could not be fetched)");
			return;
		}
		pd_log_event(&PD_EV_UNKNOWN, &(struct pd_log_ids){
			     .txn = s->o ? s->o->txn->id : 0,
			     .request = s->rec.request_id, .key = s->rec.key },
			     LOG_WARNING, "submission %s: %s (%s); result unknown, asking again",
			     s->rec.key, curl_easy_strerror(cc), s->errbuf);
		later(s, s->posts <= s->d->cfg.submit_attempts ? PH_SUBMIT : PH_STATUS);
		return;
	}
	s->maybe_sent = true;
	if (status == 200 && json_is_object(j)) {
		judge(s, j, false);
		return;
	}
	if (s->refetch) {
		suspect(s, "approval without a response MAC (the stored answer "
			"could not be fetched)");
		return;
	}
	if (status >= 400 && status < 500 && status != 409 && error_object(j)) {
		/* refused before the bank: nothing charged */
		const char *m = json_string_value(json_object_get(
				json_object_get(j, "error"), "message"));
		char msg[200];

		snprintf(msg, sizeof(msg), "Refused by the payment server: %s",
			 m ? m : "error");
		final_failed(s, msg);
		return;
	}
	/* 409 (in flight), 5xx, or an answer that is no answer */
	if (status != 409 && status < 500)
		pd_log_event(&PD_EV_UNKNOWN, &(struct pd_log_ids){
			     .txn = s->o ? s->o->txn->id : 0,
			     .request = s->rec.request_id, .key = s->rec.key },
			     LOG_WARNING, "submission %s: HTTP %ld without a usable "
			     "body; result unknown, asking again", s->rec.key, status);
	later(s, s->posts <= s->d->cfg.submit_attempts ? PH_SUBMIT : PH_STATUS);
}

static void status_done(struct pd_submit *s, CURLcode cc, long status, json_t *j)
{
	if (cc == CURLE_OK && status == 200 && json_is_object(j)) {
		judge(s, j, true);
		return;
	}
	if (cc == CURLE_OK && status == 404 && error_object(j)) {
		/* no payment under our key: the submission never arrived */
		final_failed(s, s->suspect ? UNTRUSTED_NOT_PAID :
			     "Payment server did not receive the payment");
		return;
	}
	if (cc != CURLE_OK)
		log_warn("submission %s: status: %s (%s); asking again later",
			 s->rec.key, curl_easy_strerror(cc), s->errbuf);
	later(s, PH_STATUS);
}

static void reversal_done(struct pd_submit *s, CURLcode cc, long status, json_t *j)
{
	if (cc == CURLE_OK && (status == 202 || status == 200) && json_is_object(j)) {
		/* acknowledged: the server sends the 0400 until the bank has it */
		pd_log_event(&PD_EV_REVERSED, &(struct pd_log_ids){
			     .txn = s->o ? s->o->txn->id : 0,
			     .request = s->rec.request_id, .key = s->rec.key },
			     LOG_NOTICE, "submission %s: reversal of payment %s acknowledged",
			     s->rec.key, s->rec.payment_id);
		final_failed(s, s->suspect || s->o ? UNTRUSTED_REVERSED :
			     "Payment reversed");
		return;
	}
	if (cc == CURLE_OK && (status == 409 || status == 404) && error_object(j)) {
		/* not (or no longer) approved at the server: what is it then? */
		log_warn("submission %s: reversal refused (HTTP %ld); asking for "
			 "the state", s->rec.key, status);
		later(s, PH_STATUS);
		return;
	}
	log_warn("submission %s: reversal: curl %d, HTTP %ld; asking again later",
		 s->rec.key, cc, status);
	later(s, PH_REVERSE);
}

static void on_done(struct pd_submit *s, CURLcode cc)
{
	long status = 0, connects = 0;
	json_t *j = NULL;

	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &connects);
	if (cc == CURLE_OK && s->resp)
		j = json_loads(s->resp, JSON_REJECT_DUPLICATES, NULL);
	log_debug("submission %s phase %d: curl %d, HTTP %ld", s->rec.key, s->phase,
		  cc, status);
	if (s->prereqs > 1)
		log_debug("submission %s: libcurl sent the request %u times (a reused "
			  "connection had died)", s->rec.key, s->prereqs);
	if (s->phase == PH_SUBMIT && s->posts == 1 && cc == CURLE_OK)
		log_timing(s);
	easy_done(s);

	switch (s->phase) {
	case PH_SUBMIT:
		submission_done(s, cc, status, connects, j);
		break;
	case PH_STATUS:
		status_done(s, cc, status, j);
		break;
	case PH_REVERSE:
		reversal_done(s, cc, status, j);
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
	pd_journal_free(h->journal);
	free(h);
	curl_global_cleanup();
}

static const char *dukpt_name(const struct pd_daemon *d, const struct pd_sealed *s)
{
	if (!s->aes)
		return "tdes";
	switch (d->keys_dk_type) {
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

static struct pd_submit *submit_new(struct pd_daemon *d)
{
	struct pd_submit *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->u.done = submit_done;
	s->d = d;
	s->h = d->http;
	s->next = d->http->submits;
	d->http->submits = s;
	return s;
}

int pd_submit_start(struct pd_txnobj *o, const struct pd_sealed *sealed)
{
	struct pd_daemon *d = o->d;
	struct pd_txn *t = o->txn;
	struct pd_submit *s;
	uint8_t rnd[16];
	json_t *j;
	int r;

	if (!d->http || !d->http->journal)
		return -ENOTCONN;
	s = submit_new(d);
	if (!s)
		return -ENOMEM;
	if (pt_random(rnd, sizeof(rnd))) {
		submit_free(s);
		return -EIO;
	}
	pt_hex_encode(rnd, sizeof(rnd), s->rec.key);
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
		submit_free(s);
		return -ENOMEM;
	}
	/* the in-flight record, durably, before the first byte goes out */
	s->rec.stage = PD_J_SUBMITTING;
	snprintf(s->rec.request_id, sizeof(s->rec.request_id), "%s", t->req.id);
	snprintf(s->rec.merchant_id, sizeof(s->rec.merchant_id), "%s",
		 t->req.merchant_name);
	snprintf(s->rec.order_id, sizeof(s->rec.order_id), "%s", t->req.order_id);
	s->rec.amount = t->req.amount;
	snprintf(s->rec.currency, sizeof(s->rec.currency), "%s",
		 t->req.currency_alpha);
	s->rec.created = (int64_t)time(NULL);
	r = pd_journal_put(d->http->journal, &s->rec);
	if (r < 0) {
		log_err("transaction %u: cannot write the in-flight record: %s; "
			"not submitted", t->id, strerror(-r));
		submit_free(s);
		return r;
	}
	s->ready_us = t->t_ready_us;
	s->start_us = pd_mono_us();
	s->o = o;
	o->submit = s;
	r = post_submission(s);
	if (r < 0) {
		o->submit = NULL;
		s->o = NULL;
		pd_journal_remove(d->http->journal, s->rec.key);
		submit_free(s);
		return r;
	}
	pd_log_event(&PD_EV_SUBMITTED, &(struct pd_log_ids){ .txn = t->id,
		     .request = s->rec.request_id, .key = s->rec.key }, LOG_INFO,
		     "transaction %u: submitted (idempotency key %s)", t->id,
		     s->rec.key);
	return 0;
}

void pd_submit_detach(struct pd_txnobj *o)
{
	if (o->submit) {
		/* goes on without a transaction: never an approval now */
		o->submit->o = NULL;
		o->submit->closed = true;
		o->submit = NULL;
	}
}

static void resume_one(void *user, const struct pd_jrec *r)
{
	struct pd_daemon *d = user;
	struct pd_submit *s = submit_new(d);

	if (!s) {
		log_err("journal: out of memory: payment %s not resumed", r->key);
		return;
	}
	s->rec = *r;
	/* after a restart: no body to re-send, no MAC key — ask, and reverse
	 * an approval */
	s->closed = true;
	s->maybe_sent = true;
	pd_log_event(&PD_EV_RESUMED, &(struct pd_log_ids){
		     .request = r->request_id, .key = r->key }, LOG_NOTICE,
		     "journal: resuming payment %s (stage %s, order %s, %llu %s%s%s)",
		   r->key, r->stage == PD_J_REVERSING ? "reversing" : "submitting",
		   r->order_id[0] ? r->order_id : "?", (unsigned long long)r->amount,
		   r->currency, r->payment_id[0] ? ", payment " : "", r->payment_id);
	now(s, r->stage == PD_J_REVERSING ? PH_REVERSE : PH_STATUS);
}

int pd_submit_journal_open(struct pd_daemon *d)
{
	if (!d->http)
		return -ENOTCONN;
	return d->http->journal ? 0 :
	       pd_journal_open(d->cfg.state_dir, &d->http->journal);
}

int pd_submit_resume(struct pd_daemon *d)
{
	if (!d->http || !d->http->journal)
		return -ENOTCONN;
	return pd_journal_scan(d->http->journal, resume_one, d);
}

void pd_submit_free_all(struct pd_daemon *d)
{
	while (d->http && d->http->submits) {
		struct pd_submit *s = d->http->submits;

		if (s->o)
			pd_submit_detach(s->o);
		submit_free(s);
	}
}
