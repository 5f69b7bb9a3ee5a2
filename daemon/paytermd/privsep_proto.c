// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: encode and decode the privsep messages (privsep_proto.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "privsep_proto.h"
#include "secure.h"
#include "txn.h"

/* ---------------- writer ---------------- */

struct wr {
	uint8_t *p;
	size_t len, cap;
	bool bad;
};

static void put(struct wr *w, const void *b, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = true;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void put_uint(struct wr *w, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(w, b, bytes);
}

static void put_str(struct wr *w, const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n > max) {
		w->bad = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			w->bad = true;
	put_uint(w, n, 1);
	put(w, s, n);
}

static void put_bytes(struct wr *w, const uint8_t *b, size_t n, size_t max)
{
	if (n > max) {
		w->bad = true;
		return;
	}
	put_uint(w, n, 2);
	put(w, b, n);
}

int pp_encode(const struct pp_msg *m, uint8_t *buf, size_t cap)
{
	struct wr w = { .p = buf, .cap = cap < PP_MSG_MAX ? cap : PP_MSG_MAX };
	const struct pd_sealed *s = &m->u.sealed;

	put_uint(&w, m->type, 2);
	put_uint(&w, 0, 2);			/* length, below */
	if (m->type != PP_RELOAD && m->type != PP_KEYS)
		put_uint(&w, m->txn, 4);
	switch (m->type) {
	case PP_START:
		put_uint(&w, m->u.start.amount, 8);
		put_str(&w, m->u.start.currency, 3);
		put(&w, m->u.start.req_hash, sizeof(m->u.start.req_hash));
		put_uint(&w, m->u.start.modes, 1);
		if (m->u.start.n_readers > PP_READERS_MAX)
			return -EINVAL;
		put_uint(&w, m->u.start.n_readers, 1);
		for (unsigned i = 0; i < m->u.start.n_readers; i++)
			put_str(&w, m->u.start.readers[i], PP_DEVNODE_MAX);
		break;
	case PP_END:
	case PP_RELOAD:
		break;
	case PP_CHECK_MAC:
		put_uint(&w, m->u.check_mac.flags, 1);
		put_str(&w, m->u.check_mac.rc, 2);
		put_str(&w, m->u.check_mac.auth, 7);
		put_str(&w, m->u.check_mac.mac, 32);
		break;
	case PP_KEYS:
		put_uint(&w, m->u.keys.ready, 1);
		put_uint(&w, m->u.keys.aes, 1);
		put_uint(&w, m->u.keys.dk_type, 1);
		put_uint(&w, m->u.keys.tls_key, 1);
		break;
	case PP_SIGN:
		put_bytes(&w, m->u.sign.digest, m->u.sign.digest_len, PP_DIGEST_MAX);
		break;
	case PP_SIGNED:
		put_bytes(&w, m->u.signed_.sig, m->u.signed_.sig_len, PP_SIG_MAX);
		break;
	case PP_STARTED:
		put_uint(&w, (uint32_t)m->u.started.err, 4);
		break;
	case PP_UPDATE:
		put_uint(&w, m->u.update.state, 1);
		put_str(&w, m->u.update.entry_mode, 7);
		put_str(&w, m->u.update.masked_pan, 19);
		put_uint(&w, m->u.update.pin_digits, 1);
		put_str(&w, m->u.update.message, PP_MESSAGE_MAX);
		break;
	case PP_SEALED:
		put_uint(&w, s->aes, 1);
		put_uint(&w, (uint8_t)(int8_t)s->pin_format, 1);
		put(&w, s->f53, sizeof(s->f53));
		put_bytes(&w, s->ksn, s->ksn_len, sizeof(s->ksn));
		put_bytes(&w, s->pinblock, s->pinblock_len, sizeof(s->pinblock));
		put_bytes(&w, s->f62, s->f62_len, sizeof(s->f62));
		put_bytes(&w, s->f55, s->f55_len, sizeof(s->f55));
		put_str(&w, s->amount, 12);
		put_str(&w, s->entry_mode, 3);
		put_str(&w, s->currency, 3);
		put(&w, s->mac, sizeof(s->mac));
		break;
	case PP_FINISHED:
		put_uint(&w, m->u.finished.state, 1);
		put_str(&w, m->u.finished.result_code, 3);
		put_str(&w, m->u.finished.message, PP_MESSAGE_MAX);
		break;
	case PP_MAC_RESULT:
		put_uint(&w, m->u.mac_result.result, 1);
		break;
	default:
		return -EINVAL;
	}
	if (w.bad)
		return -EINVAL;
	buf[2] = (uint8_t)(w.len - PP_HDR_LEN);
	buf[3] = (uint8_t)((w.len - PP_HDR_LEN) >> 8);
	return (int)w.len;
}

/* ---------------- reader ---------------- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	char *err;
	size_t errlen;
	bool bad;
};

static __attribute__((format(printf, 2, 3)))
void bad(struct rd *r, const char *fmt, ...)
{
	va_list ap;

	if (r->bad)
		return;
	r->bad = true;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
}

static bool get(struct rd *r, void *b, size_t n, const char *what)
{
	if (r->bad)
		return false;
	if (n > r->len - r->off) {
		bad(r, "%s: body too short", what);
		return false;
	}
	memcpy(b, r->p + r->off, n);
	r->off += n;
	return true;
}

static uint64_t get_uint(struct rd *r, unsigned bytes, const char *what)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (!get(r, b, bytes, what))
		return 0;
	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* printable ASCII, at most @max bytes, into @out (max + 1) */
static void get_str(struct rd *r, char *out, size_t max, const char *what)
{
	size_t n = get_uint(r, 1, what);

	out[0] = '\0';
	if (r->bad)
		return;
	if (n > max) {
		bad(r, "%s: %zu bytes, at most %zu", what, n, max);
		return;
	}
	if (!get(r, out, n, what))
		return;
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (out[i] < 0x20 || out[i] > 0x7e) {
			bad(r, "%s: not printable ASCII", what);
			return;
		}
}

static void get_bytes(struct rd *r, uint8_t *out, size_t *n, size_t max,
		      const char *what)
{
	*n = get_uint(r, 2, what);
	if (r->bad)
		return;
	if (*n > max) {
		bad(r, "%s: %zu bytes, at most %zu", what, *n, max);
		*n = 0;
		return;
	}
	get(r, out, *n, what);
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* a request hash of zeros: a front that never hashed the request */
static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return !acc;
}

bool pp_devnode_ok(const char *s)
{
	static const char pre[] = "/dev/payterm";
	size_t n;

	if (strncmp(s, pre, sizeof(pre) - 1))
		return false;
	s += sizeof(pre) - 1;
	n = strlen(s);
	return n >= 1 && n <= 3 && all_digits(s);
}

static bool entry_mode_ok(const char *s)
{
	return !*s || !strcmp(s, "swipe") || !strcmp(s, "chip") ||
	       !strcmp(s, "tap");
}

/* "" or 6 digits, '*'s, 4 digits (12..19 in all): never a whole PAN */
static bool masked_ok(const char *s)
{
	size_t n = strlen(s), stars = 0;

	if (!n)
		return true;
	if (n < 12 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';

		if (i < 6 || i >= n - 4) {
			if (!digit)
				return false;
		} else if (s[i] == '*') {
			stars++;
		} else {
			return false;
		}
	}
	return stars == n - 10;
}

static void decode_sealed(struct rd *r, struct pd_sealed *s)
{
	int8_t pf;

	s->aes = get_uint(r, 1, "aes") == 1;
	if (!r->bad && !s->aes && r->p[r->off - 1])
		bad(r, "aes not 0/1");
	pf = (int8_t)get_uint(r, 1, "pin_format");
	s->pin_format = pf;
	if (!r->bad && pf != -1 && pf != 0 && pf != 3 && pf != 4)
		bad(r, "pin_format %d", pf);
	get(r, s->f53, sizeof(s->f53), "f53");
	get_bytes(r, s->ksn, &s->ksn_len, sizeof(s->ksn), "ksn");
	if (!r->bad && s->ksn_len != 10 && s->ksn_len != 12)
		bad(r, "ksn: %zu bytes", s->ksn_len);
	get_bytes(r, s->pinblock, &s->pinblock_len, sizeof(s->pinblock),
		  "pinblock");
	if (!r->bad && s->pinblock_len != 0 && s->pinblock_len != 8 &&
	    s->pinblock_len != 16)
		bad(r, "pinblock: %zu bytes", s->pinblock_len);
	if (!r->bad && (pf < 0) != (s->pinblock_len == 0))
		bad(r, "pinblock and pin_format disagree");
	get_bytes(r, s->f62, &s->f62_len, sizeof(s->f62), "f62");
	if (!r->bad && !s->f62_len)
		bad(r, "f62 empty");
	get_bytes(r, s->f55, &s->f55_len, sizeof(s->f55), "f55");
	get_str(r, s->amount, 12, "amount");
	get_str(r, s->entry_mode, 3, "entry_mode");
	get_str(r, s->currency, 3, "currency");
	get(r, s->mac, sizeof(s->mac), "mac");
	if (!r->bad && (strlen(s->amount) != 12 || !all_digits(s->amount) ||
			strlen(s->entry_mode) != 3 || !all_digits(s->entry_mode) ||
			strlen(s->currency) != 3 || !all_digits(s->currency)))
		bad(r, "fields 4/22/49 not numeric of their length");
}

static int decode(const uint8_t *buf, size_t len, struct pp_msg *m,
		  char *err, size_t errlen, bool for_card)
{
	struct rd r = { .p = buf, .err = err, .errlen = errlen };
	size_t body;

	memset(m, 0, sizeof(*m));
	if (errlen)
		err[0] = '\0';
	if (len < PP_HDR_LEN || len > PP_MSG_MAX) {
		snprintf(err, errlen, "message of %zu bytes", len);
		return -EBADMSG;
	}
	m->type = (uint16_t)(buf[0] | buf[1] << 8);
	body = (size_t)(buf[2] | buf[3] << 8);
	if (body != len - PP_HDR_LEN) {
		snprintf(err, errlen, "%s: length field %zu, body %zu",
			 pp_type_name(m->type), body, len - PP_HDR_LEN);
		return -EBADMSG;
	}
	r.off = PP_HDR_LEN;
	r.len = len;
	if (for_card != (m->type < PP_KEYS) || !m->type ||
	    (for_card && m->type > PP_SIGN) ||
	    (!for_card && m->type > PP_SIGNED)) {
		snprintf(err, errlen, "unexpected %s", pp_type_name(m->type));
		return -EBADMSG;
	}
	if (m->type != PP_RELOAD && m->type != PP_KEYS)
		m->txn = (uint32_t)get_uint(&r, 4, "txn");
	switch (m->type) {
	case PP_START:
		m->u.start.amount = get_uint(&r, 8, "amount");
		get_str(&r, m->u.start.currency, 3, "currency");
		get(&r, m->u.start.req_hash, sizeof(m->u.start.req_hash),
		    "req_hash");
		m->u.start.modes = (uint8_t)get_uint(&r, 1, "modes");
		m->u.start.n_readers = (uint8_t)get_uint(&r, 1, "readers");
		if (r.bad)
			break;
		if (strlen(m->u.start.currency) != 3 ||
		    !all_digits(m->u.start.currency))
			bad(&r, "currency not 3 digits");
		else if (all_zero(m->u.start.req_hash,
				  sizeof(m->u.start.req_hash)))
			bad(&r, "req_hash not set");
		else if (!m->u.start.modes || m->u.start.modes & ~PD_ENTRY_ALL)
			bad(&r, "modes %#x", m->u.start.modes);
		else if (!m->u.start.n_readers ||
			 m->u.start.n_readers > PP_READERS_MAX)
			bad(&r, "%u readers", m->u.start.n_readers);
		for (unsigned i = 0; !r.bad && i < m->u.start.n_readers; i++) {
			get_str(&r, m->u.start.readers[i], PP_DEVNODE_MAX, "reader");
			if (!r.bad && !pp_devnode_ok(m->u.start.readers[i]))
				bad(&r, "reader %u: not a /dev/paytermN path", i);
		}
		break;
	case PP_END:
	case PP_RELOAD:
		break;
	case PP_CHECK_MAC:
		m->u.check_mac.flags = (uint8_t)get_uint(&r, 1, "flags");
		get_str(&r, m->u.check_mac.rc, 2, "rc");
		get_str(&r, m->u.check_mac.auth, 7, "auth");
		get_str(&r, m->u.check_mac.mac, 32, "mac");
		if (!r.bad && m->u.check_mac.flags & ~(PP_F_RC | PP_F_AUTH | PP_F_MAC))
			bad(&r, "flags %#x", m->u.check_mac.flags);
		break;
	case PP_KEYS:
		m->u.keys.ready = (uint8_t)get_uint(&r, 1, "ready");
		m->u.keys.aes = (uint8_t)get_uint(&r, 1, "aes");
		m->u.keys.dk_type = (uint8_t)get_uint(&r, 1, "dk_type");
		m->u.keys.tls_key = (uint8_t)get_uint(&r, 1, "tls_key");
		if (!r.bad && (m->u.keys.ready > 1 || m->u.keys.aes > 1 ||
			       m->u.keys.tls_key > 1))
			bad(&r, "flags not 0/1");
		break;
	case PP_SIGN:
		get_bytes(&r, m->u.sign.digest, &m->u.sign.digest_len,
			  PP_DIGEST_MAX, "digest");
		if (!r.bad && !m->u.sign.digest_len)
			bad(&r, "digest empty");
		break;
	case PP_SIGNED:
		get_bytes(&r, m->u.signed_.sig, &m->u.signed_.sig_len, PP_SIG_MAX,
			  "signature");
		break;
	case PP_STARTED:
		m->u.started.err = (int32_t)get_uint(&r, 4, "err");
		if (!r.bad && (m->u.started.err > 0 || m->u.started.err < -4095))
			bad(&r, "err %d", m->u.started.err);
		break;
	case PP_UPDATE:
		m->u.update.state = (uint8_t)get_uint(&r, 1, "state");
		get_str(&r, m->u.update.entry_mode, 7, "entry_mode");
		get_str(&r, m->u.update.masked_pan, 19, "masked_pan");
		m->u.update.pin_digits = (uint8_t)get_uint(&r, 1, "pin_digits");
		get_str(&r, m->u.update.message, PP_MESSAGE_MAX, "message");
		if (r.bad)
			break;
		if (m->u.update.state > PD_ST_FAILED)
			bad(&r, "state %u", m->u.update.state);
		else if (!entry_mode_ok(m->u.update.entry_mode))
			bad(&r, "entry_mode not swipe/chip/tap");
		else if (!masked_ok(m->u.update.masked_pan))
			bad(&r, "masked_pan not first 6 / last 4");
		else if (m->u.update.pin_digits > 12)
			bad(&r, "pin_digits %u", m->u.update.pin_digits);
		break;
	case PP_SEALED:
		decode_sealed(&r, &m->u.sealed);
		break;
	case PP_FINISHED:
		m->u.finished.state = (uint8_t)get_uint(&r, 1, "state");
		get_str(&r, m->u.finished.result_code, 3, "result_code");
		get_str(&r, m->u.finished.message, PP_MESSAGE_MAX, "message");
		if (!r.bad && (m->u.finished.state < PD_ST_APPROVED ||
			       m->u.finished.state > PD_ST_FAILED))
			bad(&r, "state %u not final", m->u.finished.state);
		/* the bank approves, never the card side */
		else if (!r.bad && m->u.finished.state == PD_ST_APPROVED)
			bad(&r, "an approval from the card side");
		break;
	case PP_MAC_RESULT:
		m->u.mac_result.result = (uint8_t)get_uint(&r, 1, "result");
		if (!r.bad && m->u.mac_result.result > PD_MAC_NOKEY)
			bad(&r, "result %u", m->u.mac_result.result);
		break;
	default:
		bad(&r, "unknown type");
		break;
	}
	if (!r.bad && r.off != r.len)
		bad(&r, "%zu trailing bytes", r.len - r.off);
	if (r.bad) {
		char why[160];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", pp_type_name(m->type), why);
		pp_msg_wipe(m);
		return -EBADMSG;
	}
	return 0;
}

int pp_decode_for_card(const uint8_t *buf, size_t len, struct pp_msg *out,
		       char *err, size_t errlen)
{
	return decode(buf, len, out, err, errlen, true);
}

int pp_decode_for_front(const uint8_t *buf, size_t len, struct pp_msg *out,
			char *err, size_t errlen)
{
	return decode(buf, len, out, err, errlen, false);
}

const char *pp_type_name(unsigned type)
{
	static char other[16];

	switch (type) {
	case PP_START: return "START";
	case PP_END: return "END";
	case PP_CHECK_MAC: return "CHECK_MAC";
	case PP_RELOAD: return "RELOAD";
	case PP_KEYS: return "KEYS";
	case PP_STARTED: return "STARTED";
	case PP_UPDATE: return "UPDATE";
	case PP_SEALED: return "SEALED";
	case PP_FINISHED: return "FINISHED";
	case PP_MAC_RESULT: return "MAC_RESULT";
	case PP_SIGN: return "SIGN";
	case PP_SIGNED: return "SIGNED";
	}
	snprintf(other, sizeof(other), "type %u", type);
	return other;
}

void pp_msg_wipe(struct pp_msg *m)
{
	pd_wipe(m, sizeof(*m));
}
