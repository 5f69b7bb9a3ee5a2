// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer: payterm-server's parsing of the bank's answers on its ISO 8583
 * link (server/payserver/bank.c: framing, unpack, the STAN + date-time
 * match; api_submit.c's on_bank(): fields 39, 38, 37, 64, 55; payflow.c:
 * the outcome applied to the payment and order).  Those functions are
 * static; they are reached the way the bank reaches them: the harness is
 * the bank at the other end of the server's link.  Every input is one
 * payment: the harness submits a well-formed swipe payment for the
 * fixture's request (fuzz_server.h) as terminal T1; when the server's 0200
 * arrives, the answer is the input, then a matching 0210 with 05 so that
 * the payment always ends (as a late answer if the input matched).
 * Sign-ons (0800) are answered 00.
 *
 * Input: a mode byte, then a message without its length prefix.  Mode bit
 * 0: if the message unpacks, fields 7 and 11 (the match key) of the 0200
 * are copied into it, and with bit 1 every field the profile echoes
 * (3, 4, 12, 13, 22, 41, 42, 49, 53, 63) too; otherwise, or when it does
 * not unpack, it is sent as it is.  Seeds: the bank's real 0210 / 0410 /
 * 0810 (tests/fuzz/make-seeds), in both modes.
 */
#include "fuzz_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

static int bank_fd = -1;
static struct event *bank_ev;
static uint8_t inbuf[4 * (ISO8583_MAX_MSG + 2)];
static size_t inlen;
static const uint8_t *input;
static size_t input_len;
static char body[4096];
static struct iso8583_msg q, a;

static void send_frame(const uint8_t *m, size_t n)
{
	uint8_t frame[ISO8583_MAX_MSG + 2];

	if (bank_fd < 0 || !n || n > ISO8583_MAX_MSG)
		return;
	frame[0] = (uint8_t)(n >> 8);
	frame[1] = (uint8_t)n;
	memcpy(frame + 2, m, n);
	if (write(bank_fd, frame, n + 2) != (ssize_t)(n + 2))
		fz_die("writing to the server");
}

static void send_msg(const struct iso8583_msg *m)
{
	uint8_t out[ISO8583_MAX_MSG];
	size_t n;

	if (iso8583_pack(m, out, sizeof(out), &n))
		fz_die("packing an answer");
	send_frame(out, n);
}

/* A well-formed answer to @req with response code @rc. */
static void answer(const struct iso8583_msg *req, const char *rc)
{
	static const int echo[] = { 3, 4, 7, 11, 12, 13, 22, 41, 42, 49, 53,
				    63, 70, 90 };
	char mti[5];

	memcpy(mti, req->mti, 5);
	mti[2] = '1';
	if (iso8583_init(&a, mti))
		return;
	for (size_t i = 0; i < sizeof(echo) / sizeof(echo[0]); i++)
		if (iso8583_has(req, echo[i]))
			iso8583_copy(&a, req, echo[i]);
	iso8583_set_str(&a, 39, rc);
	send_msg(&a);
}

static void fuzzed_answer(const struct iso8583_msg *req)
{
	static const int key[] = { 7, 11 };
	static const int more[] = { 3, 4, 12, 13, 22, 41, 42, 49, 53, 63 };
	uint8_t mode;
	int bad;

	if (!input || input_len < 1)
		return;
	mode = input[0];
	if (!(mode & 1) ||
	    iso8583_unpack(&a, input + 1, input_len - 1, &bad)) {
		send_frame(input + 1, input_len - 1);
		return;
	}
	for (size_t i = 0; i < 2; i++)
		if (iso8583_has(req, key[i]))
			iso8583_copy(&a, req, key[i]);
	for (size_t i = 0; (mode & 2) && i < sizeof(more) / sizeof(more[0]); i++)
		if (iso8583_has(req, more[i]))
			iso8583_copy(&a, req, more[i]);
	send_msg(&a);
}

static void on_bank_data(evutil_socket_t fd, short what, void *arg)
{
	ssize_t n = read(fd, inbuf + inlen, sizeof(inbuf) - inlen);
	int bad;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		event_free(bank_ev);
		close(bank_fd);
		bank_fd = -1;
		inlen = 0;
		return;
	}
	inlen += (size_t)n;
	while (inlen >= 2) {
		size_t len = (size_t)inbuf[0] << 8 | inbuf[1];

		if (inlen < len + 2)
			break;
		if (!iso8583_unpack(&q, inbuf + 2, len, &bad)) {
			if (!strcmp(q.mti, "0800")) {
				answer(&q, "00");
			} else {
				fuzzed_answer(&q);
				answer(&q, "05");
				input = NULL;	/* one fuzzed answer per input */
			}
		}
		memmove(inbuf, inbuf + len + 2, inlen - len - 2);
		inlen -= len + 2;
	}
}

static void on_connect(evutil_socket_t lfd, short what, void *arg)
{
	int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), one = 1;

	if (c < 0)
		return;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (bank_fd >= 0) {
		event_free(bank_ev);
		close(bank_fd);
	}
	bank_fd = c;
	inlen = 0;
	bank_ev = event_new(fz_w.base, c, EV_READ | EV_PERSIST, on_bank_data, NULL);
	if (!bank_ev || event_add(bank_ev, NULL))
		fz_die("bank connection");
}

static void submit(struct evhttp_request *req, void *arg)
{
	ps_api_submit(arg, req, &fz_terminal);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct event *lev;
	int lfd, n, len;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(lfd, 4) || getsockname(lfd, (struct sockaddr *)&sa, &sl))
		fz_die("the bank's listening socket");
	fz_srv_init(submit, ntohs(sa.sin_port));
	lev = event_new(fz_w.base, lfd, EV_READ | EV_PERSIST, on_connect, NULL);
	if (!lev || event_add(lev, NULL))
		fz_die("event_add");
	for (n = 0; n < 1000 && !ps_bank_up(fz_w.bank); n++)
		event_base_loop(fz_w.base, EVLOOP_ONCE);
	if (!ps_bank_up(fz_w.bank))
		fz_die("the server's bank link does not come up");
	/* a swipe as paytermd submits it; the crypto members are well formed
	 * (the server forwards them without checking) */
	len = snprintf(body, sizeof(body),
		       "{\"request_id\":\"req_fuzz\",\"request\":\"%s\","
		       "\"merchant_id\":\"M1\",\"order_id\":\"A-1001\","
		       "\"amount\":1234,\"currency\":\"EUR\",\"entry_mode\":\"901\","
		       "\"masked_pan\":\"476173******0010\",\"dukpt\":\"aes128\","
		       "\"ksn\":\"0A0B0C0D0000000100000007\",\"pin_block_format\":4,"
		       "\"pin_block\":\"8E4D0F2B6A1C3E5D7F9A0B1C2D3E4F50\","
		       "\"card_data\":\"9C1B7E2F4A6D8C0E1F3A5B7C9D0E2F4A"
		       "6B8C0D1E3F5A7B9C\",\"mac\":\"1A2B3C4D5E6F7081\"}",
		       fz_request_jws);
	if (len <= 0 || (size_t)len >= sizeof(body))
		fz_die("the submission body");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[sizeof(body) + 512];
	int n;

	if (size > ISO8583_MAX_MSG + 1)
		return 0;
	fz_srv_reset();
	input = data;
	input_len = size;
	n = snprintf(msg, sizeof(msg),
		     "POST /v1/terminal/payments HTTP/1.1\r\nHost: localhost\r\n"
		     "Content-Type: application/json\r\n"
		     "Idempotency-Key: 3f2a9c1e7b5d4f60a8e2c4b6d8f0a1c3\r\n"
		     "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
		     strlen(body), body);
	fz_srv_exchange(msg, (size_t)n);
	input = NULL;
	return 0;
}
