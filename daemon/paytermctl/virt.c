// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermctl virt: a virtual reader driven by commands on stdin.
 *
 * Creates a reader through /dev/payterm-virt, prints "created /dev/paytermN",
 * then executes one command per stdin line until EOF, while answering the
 * APDUs the kernel forwards (from --apdu-map) and printing the kernel's
 * notifications as JSON lines.  At EOF the reader is destroyed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "paytermctl.h"

#define VIRT_DEV	"/dev/payterm-virt"
#define LINE_MAX_LEN	4096
#define MAX_WORDS	32
#define MAX_KEYS	64
#define CREATE_TIMEOUT_MS 5000

/* Built-in test cards (public test numbers, not real accounts). */
static const struct {
	const char *name, *track1, *track2;
} test_cards[] = {
	{ "visa", "%B4111111111111111^PAYTERM/TEST CARD^3012101000000000000?",
	  ";4111111111111111=30121010000000000?" },
	{ "mastercard", "%B5555555555554444^PAYTERM/TEST CARD^3012101000000000000?",
	  ";5555555555554444=30121010000000000?" },
	{ "visa-chip", "%B4761739001010010^PAYTERM/TEST CARD^3012201000000000000?",
	  ";4761739001010010=30122010000000000?" },
};

/* Default ATRs: an EMV contact card (T=0) and a PC/SC ISO 14443-4 card. */
static const char default_icc_atr[] = "3B6800000073C84012009000";
static const char default_picc_atr[] = "3B8080010101";

static volatile sig_atomic_t stop;

struct virt {
	int cfd;
	uint8_t *rbuf, *sbuf;		/* PAYTERM_VIRT_MSG_MAX each */
	struct payterm_swipe *swipe;	/* being built; locked */
	struct apdu_map map;
	uint32_t caps;
	unsigned int slots;
	/* stdin */
	char *line;			/* LINE_MAX_LEN, locked */
	size_t line_len;
	bool discard, eof;
	unsigned int lineno;
	/* paced actions */
	uint32_t keys[MAX_KEYS];
	size_t nkeys, ikey;
	unsigned long key_delay;
	uint64_t pause_until;
	bool failed, gone;
};

static void on_signal(int sig)
{
	stop = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " virt [--name NAME] [--caps msr,icc,picc,pinpad] [--slots N]\n"
		"                      [--vendor HEX --product HEX] [--apdu-map FILE]\n"
		"                      [--apdu-default HEX]\n"
		"Create a virtual reader, print 'created /dev/paytermN', then run commands\n"
		"from stdin (one per line) until EOF, which destroys the reader:\n"
		"  swipe [--track1 S] [--track2 S] [--track3 S] [--error 1,2,3]\n"
		"        [--encrypted [--ksn HEX]] [--hex]\n"
		"  swipe-test-card [visa|mastercard|visa-chip]\n"
		"  insert [ATRHEX] [--slot N]    remove [--slot N]    tap [ATRHEX] [--slot N]\n"
		"  key K          K: 0-9, corr, clear, cancel, enter\n"
		"  keys K... [--delay MS]        e.g. keys 1234 enter --delay 200\n"
		"  sleep MS       quit\n"
		"APDUs from the kernel are answered from --apdu-map (lines 'CAPDU_HEX[*]\n"
		"RAPDU_HEX|mute'), else with --apdu-default (6D00).  Notifications are\n"
		"printed as JSON lines.\n");
}

/* ---- talking to /dev/payterm-virt ---- */

static int write_msg(struct virt *v, size_t total)
{
	struct pollfd p = { .fd = v->cfd, .events = POLLOUT };
	ssize_t n;

	for (;;) {
		n = write(v->cfd, v->sbuf, total);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			break;
		if (errno == EAGAIN && poll(&p, 1, 1000) == 0)
			break;
	}
	ptc_wipe(v->sbuf, total);
	if (n < 0)
		return -errno;
	return (size_t)n == total ? 0 : -EIO;
}

static int send_msg(struct virt *v, uint32_t type, const void *payload,
		    size_t len)
{
	struct payterm_virt_hdr h = { .type = type, .length = (uint32_t)len };

	memcpy(v->sbuf, &h, sizeof(h));
	if (len)
		memcpy(v->sbuf + sizeof(h), payload, len);
	return write_msg(v, sizeof(h) + len);
}

static void answer_apdu(struct virt *v, const uint8_t *payload, size_t len)
{
	struct payterm_virt_hdr h = { .type = PAYTERM_VIRT_APDU_REPLY };
	struct payterm_virt_apdu req, rep;
	const uint8_t *cmd, *resp = NULL;
	size_t resp_len = 0;
	char hx[3];
	json_t *j;
	int status, r;

	if (len < sizeof(req)) {
		msg("virt: short APDU message (%zu bytes)", len);
		return;
	}
	memcpy(&req, payload, sizeof(req));
	cmd = payload + sizeof(req);
	if (req.length != len - sizeof(req)) {
		msg("virt: APDU length %u does not match message (%zu bytes)",
		    req.length, len - sizeof(req));
		return;
	}
	status = apdu_map_lookup(&v->map, cmd, req.length, &resp, &resp_len);

	j = json_object();
	json_object_set_new(j, "event", json_string("apdu"));
	json_object_set_new(j, "id", json_integer(req.id));
	json_object_set_new(j, "slot", json_integer(req.slot));
	if (req.length >= 4) {
		static const char *const f[] = { "cla", "ins", "p1", "p2" };
		int i;

		for (i = 0; i < 4; i++) {
			snprintf(hx, sizeof(hx), "%02X", cmd[i]);
			json_object_set_new(j, f[i], json_string(hx));
		}
	}
	json_object_set_new(j, "length", json_integer(req.length));

	memset(&rep, 0, sizeof(rep));
	rep.id = req.id;
	rep.slot = req.slot;
	rep.status = status;
	rep.length = status ? 0 : (uint32_t)resp_len;
	h.length = (uint32_t)(sizeof(rep) + rep.length);
	memcpy(v->sbuf, &h, sizeof(h));
	memcpy(v->sbuf + sizeof(h), &rep, sizeof(rep));
	if (rep.length)
		memcpy(v->sbuf + sizeof(h) + sizeof(rep), resp, rep.length);
	r = write_msg(v, sizeof(h) + h.length);

	if (status) {
		json_object_set_new(j, "reply_status", json_integer(status));
		json_object_set_new(j, "reply_error",
				    json_string(strerror(-status)));
	} else {
		char sw[5];

		json_object_set_new(j, "reply_length", json_integer((json_int_t)resp_len));
		snprintf(sw, sizeof(sw), "%02X%02X", resp[resp_len - 2],
			 resp[resp_len - 1]);
		json_object_set_new(j, "sw", json_string(sw));
	}
	if (r)
		json_object_set_new(j, "reply_failed", json_string(strerror(-r)));
	json_print_line(j);
	if (r) {
		report_errno(VIRT_DEV, "apdu-reply", -r);
		v->failed = true;
	}
}

/* Handle one message from the kernel; returns the CREATED minor or -1. */
static long handle_msg(struct virt *v, size_t n)
{
	struct payterm_virt_hdr h;
	const uint8_t *p = v->rbuf + sizeof(h);
	json_t *j;
	long ret = -1;

	if (n < sizeof(h)) {
		msg("virt: short message (%zu bytes) from the kernel", n);
		return -1;
	}
	memcpy(&h, v->rbuf, sizeof(h));
	if (h.length != n - sizeof(h)) {
		msg("virt: message type %u says %u bytes, got %zu", h.type,
		    h.length, n - sizeof(h));
		return -1;
	}
	switch (h.type) {
	case PAYTERM_VIRT_CREATED: {
		struct payterm_virt_created c;

		if (h.length < sizeof(c))
			break;
		memcpy(&c, p, sizeof(c));
		ret = c.minor;
		break;
	}
	case PAYTERM_VIRT_APDU:
		answer_apdu(v, p, h.length);
		break;
	case PAYTERM_VIRT_POWER: {
		struct payterm_virt_power pw;

		if (h.length < sizeof(pw))
			break;
		memcpy(&pw, p, sizeof(pw));
		j = json_object();
		json_object_set_new(j, "event", json_string("power"));
		json_object_set_new(j, "slot", json_integer(pw.slot));
		json_object_set_new(j, "on", json_boolean(pw.on));
		json_print_line(j);
		break;
	}
	case PAYTERM_VIRT_PIN_SESSION: {
		struct payterm_virt_pin_session ps;

		if (h.length < sizeof(ps))
			break;
		memcpy(&ps, p, sizeof(ps));
		j = json_object();
		json_object_set_new(j, "event", json_string("pin_session"));
		json_object_set_new(j, "active", json_boolean(ps.active));
		json_print_line(j);
		break;
	}
	default:
		j = json_object();
		json_object_set_new(j, "event", json_string("unknown"));
		json_object_set_new(j, "type", json_integer(h.type));
		json_object_set_new(j, "length", json_integer(h.length));
		json_print_line(j);
		break;
	}
	ptc_wipe(v->rbuf, n);
	return ret;
}

/* Read and handle every queued message; -ENODEV when the fd is dead. */
static long read_msgs(struct virt *v, short revents)
{
	long minor = -1, m;
	ssize_t n;

	for (;;) {
		n = read(v->cfd, v->rbuf, PAYTERM_VIRT_MSG_MAX);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return (revents & (POLLHUP | POLLERR)) ? -ENODEV : minor;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODEV;
		m = handle_msg(v, (size_t)n);
		if (m >= 0)
			minor = m;
	}
}

/* ---- commands ---- */

/* "--opt VALUE" or "--opt=VALUE" at argv[*i]; advances *i */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t l = strlen(opt);

	if (strncmp(argv[*i], opt, l))
		return NULL;
	if (argv[*i][l] == '=')
		return argv[*i] + l + 1;
	if (argv[*i][l] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static void cmd_error(struct virt *v, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cmd_error(struct virt *v, const char *cmd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	msg("stdin:%u: %s: %s", v->lineno, cmd, buf);
	v->failed = true;
}

static void sent(struct virt *v, const char *cmd, int r)
{
	const char *hint;

	if (!r)
		return;
	if (r == -ENODEV)
		v->gone = true;
	hint = errno_hint("virt", -r);
	cmd_error(v, cmd, "%s%s%s%s", strerror(-r), hint ? " (" : "",
		  hint ? hint : "", hint ? ")" : "");
}

static int set_track(struct payterm_track *t, const char *s, bool hex)
{
	size_t n;

	if (hex) {
		if (ptc_hex_decode(s, t->data, sizeof(t->data), &n))
			return -EINVAL;
	} else {
		n = strlen(s);
		if (n > sizeof(t->data))
			return -EMSGSIZE;
		memcpy(t->data, s, n);
	}
	t->length = (uint16_t)n;
	t->status = PAYTERM_TRACK_OK;
	return 0;
}

static void do_swipe(struct virt *v, int argc, char **argv)
{
	struct payterm_swipe *sw = v->swipe;
	const char *tracks[PAYTERM_TRACKS] = { NULL }, *errs = NULL, *ksn = NULL;
	bool hex = false;
	size_t n;
	int i, t, r;

	memset(sw, 0, sizeof(*sw));
	if (!strcmp(argv[0], "swipe-test-card")) {
		const char *name = argc > 1 ? argv[1] : "visa";

		for (i = 0; i < (int)(sizeof(test_cards) / sizeof(test_cards[0])); i++)
			if (!strcmp(name, test_cards[i].name))
				break;
		if (argc > 2 || i == (int)(sizeof(test_cards) / sizeof(test_cards[0]))) {
			cmd_error(v, argv[0], "expected visa, mastercard or visa-chip");
			return;
		}
		tracks[0] = test_cards[i].track1;
		tracks[1] = test_cards[i].track2;
	}
	for (i = 1; i < argc && !strcmp(argv[0], "swipe"); i++) {
		const char *val;

		if ((val = opt_value(argc, argv, &i, "--track1")))
			tracks[0] = val;
		else if ((val = opt_value(argc, argv, &i, "--track2")))
			tracks[1] = val;
		else if ((val = opt_value(argc, argv, &i, "--track3")))
			tracks[2] = val;
		else if ((val = opt_value(argc, argv, &i, "--error")))
			errs = val;
		else if ((val = opt_value(argc, argv, &i, "--ksn")))
			ksn = val;
		else if (!strcmp(argv[i], "--encrypted"))
			sw->flags |= PAYTERM_SWIPE_READER_ENCRYPTED;
		else if (!strcmp(argv[i], "--hex"))
			hex = true;
		else {
			cmd_error(v, argv[0], "unknown argument '%s'", argv[i]);
			goto out;
		}
	}
	for (t = 0; t < PAYTERM_TRACKS; t++) {
		if (!tracks[t])
			continue;
		r = set_track(&sw->track[t], tracks[t], hex);
		if (r) {
			cmd_error(v, argv[0], "track %d: %s", t + 1,
				  r == -EMSGSIZE ? "longer than 256 bytes"
						 : "bad hex");
			goto out;
		}
	}
	for (; errs && *errs; errs += *errs == ',') {
		if (*errs < '1' || *errs > '3' || (errs[1] && errs[1] != ',')) {
			cmd_error(v, argv[0], "--error: expected a list of 1, 2, 3");
			goto out;
		}
		sw->track[*errs++ - '1'].status = PAYTERM_TRACK_ERROR;
	}
	if (ksn) {
		if (ptc_hex_decode(ksn, sw->ksn, sizeof(sw->ksn), &n)) {
			cmd_error(v, argv[0], "--ksn: expected up to 16 bytes of hex");
			goto out;
		}
		sw->ksn_length = (uint8_t)n;
	}
	sent(v, argv[0], send_msg(v, PAYTERM_VIRT_SWIPE, sw, sizeof(*sw)));
out:
	ptc_wipe(sw, sizeof(*sw));
}

static void do_card(struct virt *v, int argc, char **argv)
{
	struct payterm_virt_card c;
	const char *atr = NULL, *val;
	unsigned long slot;
	size_t n;
	int i;

	memset(&c, 0, sizeof(c));
	if (!strcmp(argv[0], "insert")) {
		c.action = PAYTERM_VIRT_CARD_INSERT;
		atr = default_icc_atr;
	} else if (!strcmp(argv[0], "tap")) {
		c.action = PAYTERM_VIRT_CARD_TAP;
		atr = default_picc_atr;
		/* contact slot 0, contactless slot 1 on combined readers */
		if ((v->caps & PAYTERM_CAP_ICC) && v->slots > 1)
			c.slot = 1;
	} else {
		c.action = PAYTERM_VIRT_CARD_REMOVE;
	}
	for (i = 1; i < argc; i++) {
		if ((val = opt_value(argc, argv, &i, "--slot"))) {
			if (parse_uint(val, 10, 0, PAYTERM_MAX_SLOTS - 1, &slot)) {
				cmd_error(v, argv[0], "--slot: expected 0-%d",
					  PAYTERM_MAX_SLOTS - 1);
				return;
			}
			c.slot = (uint8_t)slot;
		} else if (c.action != PAYTERM_VIRT_CARD_REMOVE &&
			   argv[i][0] != '-') {
			atr = argv[i];
		} else {
			cmd_error(v, argv[0], "unknown argument '%s'", argv[i]);
			return;
		}
	}
	if (atr) {
		if (ptc_hex_decode(atr, c.atr, sizeof(c.atr), &n) || n < 2) {
			cmd_error(v, argv[0], "ATR: expected 2-%d bytes of hex",
				  PAYTERM_ATR_MAX);
			return;
		}
		c.atr_length = (uint8_t)n;
	}
	sent(v, argv[0], send_msg(v, PAYTERM_VIRT_CARD, &c, sizeof(c)));
}

static void do_keys(struct virt *v, int argc, char **argv)
{
	const char *val;
	unsigned long d;
	size_t n = 0;
	uint32_t k;
	int i;

	v->key_delay = 0;
	for (i = 1; i < argc; i++) {
		if ((val = opt_value(argc, argv, &i, "--delay"))) {
			if (parse_uint(val, 10, 0, 600000, &d)) {
				cmd_error(v, argv[0], "--delay: expected milliseconds");
				goto bad;
			}
			v->key_delay = d;
		} else if (!strcmp(argv[0], "keys") && argv[i][0] >= '0' &&
			   argv[i][0] <= '9') {
			const char *p;

			for (p = argv[i]; *p; p++) {
				if (*p < '0' || *p > '9' || n == MAX_KEYS)
					goto badkey;
				v->keys[n++] = (uint32_t)(*p - '0');
			}
		} else if (!key_parse(argv[i], &k) && n < MAX_KEYS) {
			v->keys[n++] = k;
		} else {
			goto badkey;
		}
	}
	if (!n || (!strcmp(argv[0], "key") && n != 1)) {
		cmd_error(v, argv[0], "expected %s", !strcmp(argv[0], "key")
			  ? "one key" : "keys");
		goto bad;
	}
	v->nkeys = n;
	v->ikey = 0;
	return;
badkey:
	cmd_error(v, argv[0], "bad key '%s' (0-9, corr, clear, cancel, enter; at most %d)",
		  argv[i], MAX_KEYS);
bad:
	ptc_wipe(v->keys, sizeof(v->keys));
}

/* Send due keys; they may be PIN digits: wipe them once sent. */
static void run_keys(struct virt *v, uint64_t now)
{
	struct payterm_virt_key k;

	while (v->ikey < v->nkeys && now >= v->pause_until && !v->gone) {
		memset(&k, 0, sizeof(k));
		k.key = v->keys[v->ikey];
		v->keys[v->ikey++] = 0;
		sent(v, "key", send_msg(v, PAYTERM_VIRT_KEY, &k, sizeof(k)));
		ptc_wipe(&k, sizeof(k));
		if (v->key_delay && v->ikey < v->nkeys)
			v->pause_until = now + v->key_delay;
	}
	if (v->ikey >= v->nkeys)
		v->nkeys = v->ikey = 0;
}

static void run_line(struct virt *v, char *line)
{
	char *argv[MAX_WORDS];
	unsigned long ms;
	int argc;

	argc = tokenize(line, argv, MAX_WORDS);
	if (argc < 0) {
		cmd_error(v, "input", argc == -E2BIG ? "too many words"
						     : "unterminated quote");
		return;
	}
	if (!argc || argv[0][0] == '#')
		return;
	if (!strcmp(argv[0], "swipe") || !strcmp(argv[0], "swipe-test-card")) {
		do_swipe(v, argc, argv);
	} else if (!strcmp(argv[0], "insert") || !strcmp(argv[0], "remove") ||
		   !strcmp(argv[0], "tap")) {
		do_card(v, argc, argv);
	} else if (!strcmp(argv[0], "key") || !strcmp(argv[0], "keys")) {
		do_keys(v, argc, argv);
	} else if (!strcmp(argv[0], "sleep")) {
		if (argc != 2 || parse_uint(argv[1], 10, 0, 86400000, &ms))
			cmd_error(v, argv[0], "expected milliseconds");
		else
			v->pause_until = now_ms() + ms;
	} else if (!strcmp(argv[0], "quit") || !strcmp(argv[0], "exit")) {
		v->eof = true;
		v->line_len = 0;
	} else if (!strcmp(argv[0], "help")) {
		usage(stderr);
	} else {
		cmd_error(v, argv[0], "unknown command (try 'help')");
	}
}

/* Execute the first complete line of the buffer, if any. */
static bool next_line(struct virt *v)
{
	char cur[LINE_MAX_LEN + 1];
	char *nl = memchr(v->line, '\n', v->line_len);
	size_t n;

	if (!nl && !(v->eof && v->line_len))
		return false;
	n = nl ? (size_t)(nl - v->line) : v->line_len;
	memcpy(cur, v->line, n);
	cur[n] = '\0';
	n = nl ? n + 1 : n;
	memmove(v->line, v->line + n, v->line_len - n);
	ptc_wipe(v->line + v->line_len - n, n);
	v->line_len -= n;
	v->lineno++;
	run_line(v, cur);
	ptc_wipe(cur, sizeof(cur));
	return true;
}

static void read_stdin(struct virt *v)
{
	ssize_t n;
	char *nl;

	n = read(STDIN_FILENO, v->line + v->line_len, LINE_MAX_LEN - v->line_len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (n < 0)
			report_errno("stdin", "read", errno);
		v->eof = true;
		if (v->discard)
			v->line_len = 0;
		return;
	}
	v->line_len += (size_t)n;
	if (v->discard) {
		nl = memchr(v->line, '\n', v->line_len);
		n = nl ? nl - v->line + 1 : (ssize_t)v->line_len;
		memmove(v->line, v->line + n, v->line_len - (size_t)n);
		v->line_len -= (size_t)n;
		ptc_wipe(v->line + v->line_len, (size_t)n);
		v->discard = !nl;
	}
	if (v->line_len == LINE_MAX_LEN && !memchr(v->line, '\n', v->line_len)) {
		v->lineno++;
		cmd_error(v, "input", "line longer than %d bytes", LINE_MAX_LEN - 1);
		ptc_wipe(v->line, LINE_MAX_LEN);
		v->line_len = 0;
		v->discard = true;
	}
}

/* ---- setup ---- */

static int create(struct virt *v, const struct payterm_virt_create *c)
{
	struct pollfd p = { .fd = v->cfd, .events = POLLIN };
	uint64_t deadline = now_ms() + CREATE_TIMEOUT_MS, now;
	long minor;
	int r;

	r = send_msg(v, PAYTERM_VIRT_CREATE, c, sizeof(*c));
	if (r)
		return report_errno(VIRT_DEV ": create", "create", -r);
	while ((now = now_ms()) < deadline) {
		r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR && !stop)
			continue;
		if (r < 0)
			return report_errno(VIRT_DEV, "poll", errno);
		if (stop)
			return EXIT_FAIL;
		minor = read_msgs(v, p.revents);
		if (minor < -1)
			return report_errno(VIRT_DEV, "read", (int)-minor);
		if (minor >= 0) {
			printf("created /dev/payterm%ld\n", minor);
			fflush(stdout);
			return EXIT_OK;
		}
	}
	msg(VIRT_DEV ": no CREATED message within %d ms", CREATE_TIMEOUT_MS);
	return EXIT_FAIL;
}

static int parse_args(int argc, char **argv, struct virt *v,
		      struct payterm_virt_create *c)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "caps", required_argument, NULL, 'c' },
		{ "slots", required_argument, NULL, 's' },
		{ "vendor", required_argument, NULL, 'V' },
		{ "product", required_argument, NULL, 'P' },
		{ "apdu-map", required_argument, NULL, 'm' },
		{ "apdu-default", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long slots = -1;
	unsigned long u;
	size_t n;
	int o, r;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'N':
			if (!*optarg || strlen(optarg) >= PAYTERM_NAME_MAX) {
				msg("--name: 1-%d characters", PAYTERM_NAME_MAX - 1);
				return EXIT_USAGE;
			}
			snprintf(c->name, sizeof(c->name), "%s", optarg);
			break;
		case 'c':
			if (caps_parse(optarg, &c->caps)) {
				msg("--caps: expected a list of msr, icc, picc, pinpad");
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_uint(optarg, 10, 0, PAYTERM_MAX_SLOTS, &u)) {
				msg("--slots: expected 0-%d", PAYTERM_MAX_SLOTS);
				return EXIT_USAGE;
			}
			slots = (long)u;
			break;
		case 'V':
		case 'P':
			if (parse_uint(optarg, 16, 0, 0xffff, &u)) {
				msg("--%s: expected 4 hex digits",
				    o == 'V' ? "vendor" : "product");
				return EXIT_USAGE;
			}
			if (o == 'V')
				c->vendor = (uint16_t)u;
			else
				c->product = (uint16_t)u;
			break;
		case 'm':
			r = apdu_map_load(&v->map, optarg);
			if (r == -EINVAL)
				return EXIT_USAGE;
			if (r)
				return report_errno(optarg, "apdu-map", -r);
			break;
		case 'd':
			if (ptc_hex_decode(optarg, v->map.def, sizeof(v->map.def), &n) ||
			    n < 2) {
				msg("--apdu-default: expected 2-%zu bytes of hex",
				    sizeof(v->map.def));
				return EXIT_USAGE;
			}
			v->map.def_len = n;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (slots < 0)
		slots = ((c->caps & PAYTERM_CAP_ICC) ? 1 : 0) +
			((c->caps & PAYTERM_CAP_PICC) ? 1 : 0);
	c->slots = (uint8_t)slots;
	v->caps = c->caps;
	v->slots = c->slots;
	return 0;
}

static void *alloc_locked(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)mlock(p, size);	/* best effort */
	(void)madvise(p, size, MADV_DONTDUMP);
	return p;
}

static void free_locked(void *p, size_t size)
{
	if (!p)
		return;
	ptc_wipe(p, size);
	munlock(p, size);
	munmap(p, size);
}

static int loop(struct virt *v)
{
	struct pollfd p[2];
	uint64_t now;
	long r;
	int nfds, wait;

	while (!stop && !v->gone) {
		now = now_ms();
		run_keys(v, now);
		if (v->nkeys || now < v->pause_until) {
			wait = (int)(v->pause_until > now ? v->pause_until - now : 0);
		} else {
			if (next_line(v))
				continue;
			if (v->eof)
				break;
			wait = -1;
		}
		p[0].fd = v->cfd;
		p[0].events = POLLIN;
		p[0].revents = 0;
		nfds = 1;
		if (wait < 0) {	/* idle: take more input */
			p[1].fd = STDIN_FILENO;
			p[1].events = POLLIN;
			p[1].revents = 0;
			nfds = 2;
		}
		if (poll(p, (nfds_t)nfds, wait) < 0) {
			if (errno == EINTR)
				continue;
			return report_errno("poll", "poll", errno);
		}
		if (p[0].revents) {
			r = read_msgs(v, p[0].revents);
			if (r < -1) {
				msg(VIRT_DEV ": %s; the virtual reader is gone",
				    strerror((int)-r));
				return EXIT_FAIL;
			}
		}
		if (nfds == 2 && p[1].revents)
			read_stdin(v);
	}
	if (v->gone) {
		msg(VIRT_DEV ": the virtual reader is gone");
		return EXIT_FAIL;
	}
	return v->failed ? EXIT_FAIL : EXIT_OK;
}

int cmd_virt(int argc, char **argv)
{
	struct payterm_virt_create c;
	struct virt v;
	struct sigaction sa;
	int ret;

	memset(&v, 0, sizeof(v));
	memset(&c, 0, sizeof(c));
	v.cfd = -1;
	apdu_map_init(&v.map);
	snprintf(c.name, sizeof(c.name), "paytermctl virtual reader");
	c.caps = PAYTERM_CAP_MSR | PAYTERM_CAP_ICC | PAYTERM_CAP_PICC |
		 PAYTERM_CAP_PINPAD;
	c.bustype = PAYTERM_BUS_VIRTUAL;

	ret = parse_args(argc, argv, &v, &c);
	if (ret) {
		apdu_map_free(&v.map);
		return ret < 0 ? EXIT_OK : ret;
	}
	v.rbuf = alloc_locked(PAYTERM_VIRT_MSG_MAX);
	v.sbuf = alloc_locked(PAYTERM_VIRT_MSG_MAX);
	v.line = alloc_locked(LINE_MAX_LEN);
	v.swipe = alloc_locked(sizeof(*v.swipe));
	if (!v.rbuf || !v.sbuf || !v.line || !v.swipe) {
		ret = report_errno("allocating buffers", "alloc", ENOMEM);
		goto out;
	}

	v.cfd = open(VIRT_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (v.cfd < 0) {
		ret = report_errno(VIRT_DEV, "open-virt", errno);
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = create(&v, &c);
	if (ret)
		goto out;
	ret = loop(&v);
	if (!v.gone)
		send_msg(&v, PAYTERM_VIRT_DESTROY, NULL, 0);
out:
	if (v.cfd >= 0)
		close(v.cfd);
	free_locked(v.rbuf, PAYTERM_VIRT_MSG_MAX);
	free_locked(v.sbuf, PAYTERM_VIRT_MSG_MAX);
	free_locked(v.line, LINE_MAX_LEN);
	free_locked(v.swipe, sizeof(*v.swipe));
	apdu_map_free(&v.map);
	ptc_wipe(v.keys, sizeof(v.keys));
	return ret;
}
