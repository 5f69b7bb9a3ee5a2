// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm ISO 8583 codec; see iso8583.h and docs/protocol.md. */
#include "iso8583.h"
#include "payterm-common.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define F(t, l, n, nm) { ISO_T_##t, ISO_L_##l, n, nm }
static const struct iso8583_field_def defs[ISO8583_MAX_FIELD + 1] = {
	[3] = F(N, FIXED, 6, "processing code"),
	[4] = F(N, FIXED, 12, "amount, transaction"),
	[7] = F(N, FIXED, 10, "transmission date and time"),
	[11] = F(N, FIXED, 6, "STAN"),
	[12] = F(N, FIXED, 6, "local transaction time"),
	[13] = F(N, FIXED, 4, "local transaction date"),
	[22] = F(N, FIXED, 3, "POS entry mode"),
	[37] = F(AN, FIXED, 12, "retrieval reference number"),
	[38] = F(AN, FIXED, 6, "authorisation id response"),
	[39] = F(AN, FIXED, 2, "response code"),
	[41] = F(ANS, FIXED, 8, "card acceptor terminal id"),
	[42] = F(ANS, FIXED, 15, "card acceptor id code"),
	/* SHA-256 of the payment request JWS, 64 lower-case hex: the bank
	 * checks the exact form (iso8583_req_hash_ok) */
	[48] = F(ANS, LLLVAR, 64, "additional data: payment request hash"),
	[49] = F(N, FIXED, 3, "currency code, transaction"),
	[52] = F(B, FIXED, 8, "PIN data (TDES)"),
	[53] = F(B, FIXED, 48, "security related control information"),
	[55] = F(ANS, LLLVAR, 510, "ICC data (hex)"),
	[61] = F(ANS, LLLVAR, 32, "PIN data (AES, hex)"),
	[62] = F(ANS, LLLVAR, 512, "encrypted card data (hex)"),
	[63] = F(ANS, LLLVAR, 64, "transaction reference"),
	[64] = F(B, FIXED, 8, "MAC"),
	[70] = F(N, FIXED, 3, "network management information code"),
	[90] = F(N, FIXED, 42, "original data elements"),
};
#undef F

/* 48 binds the payment request the card data was sealed for */
const int iso8583_req_mac_fields[] = { 4, 22, 48, 49, 52, 53, 55, 61, 62 };
const size_t iso8583_req_mac_nfields =
	sizeof(iso8583_req_mac_fields) / sizeof(iso8583_req_mac_fields[0]);
const int iso8583_resp_mac_fields[] = { 4, 38, 39, 48, 49, 53 };
const size_t iso8583_resp_mac_nfields =
	sizeof(iso8583_resp_mac_fields) / sizeof(iso8583_resp_mac_fields[0]);

static const char *const mtis[] = {
	"0200", "0210", "0400", "0410", "0800", "0810",
};

const struct iso8583_field_def *iso8583_field(int field)
{
	if (field < 2 || field > ISO8583_MAX_FIELD || field == 65)
		return NULL;
	if (defs[field].type == ISO_T_NONE)
		return NULL;
	return &defs[field];
}

static int mti_valid(const char *mti)
{
	for (size_t i = 0; i < sizeof(mtis) / sizeof(mtis[0]); i++)
		if (memcmp(mti, mtis[i], 4) == 0)
			return 1;
	return 0;
}

int iso8583_init(struct iso8583_msg *m, const char *mti)
{
	if (!m || !mti)
		return ISO_ERR_ARG;
	memset(m->present, 0, sizeof(m->present));
	memset(m->off, 0, sizeof(m->off));
	memset(m->len, 0, sizeof(m->len));
	m->used = 0;
	m->mti[0] = 0;
	if (strlen(mti) != 4 || !mti_valid(mti))
		return ISO_ERR_MTI;
	memcpy(m->mti, mti, 5);
	return ISO_OK;
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(uint8_t c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Content check of the (already padded) field value. */
static int check_chars(const struct iso8583_field_def *d, const uint8_t *p,
		       size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (d->type) {
		case ISO_T_N:
			if (!is_digit(p[i]))
				return ISO_ERR_CHARSET;
			break;
		case ISO_T_AN:
			if (!is_alnum(p[i]) &&
			    !(d->lentype == ISO_L_FIXED && p[i] == ' '))
				return ISO_ERR_CHARSET;
			break;
		case ISO_T_ANS:
			if (p[i] < 0x20 || p[i] > 0x7e)
				return ISO_ERR_CHARSET;
			break;
		default:
			break;
		}
	}
	return ISO_OK;
}

/* Append a value to the data area; the old value of a replaced field stays
 * as garbage (messages are small and built once). */
static int store(struct iso8583_msg *m, int field, const uint8_t *data,
		 size_t len, size_t padto)
{
	size_t need = padto > len ? padto : len;

	if (need > sizeof(m->data) - m->used)
		return ISO_ERR_TOO_BIG;
	memcpy(m->data + m->used, data, len);
	if (padto > len)
		memset(m->data + m->used + len, ' ', padto - len);
	m->off[field] = (uint16_t)m->used;
	m->len[field] = (uint16_t)need;
	m->present[field] = 1;
	m->used += need;
	return ISO_OK;
}

int iso8583_set(struct iso8583_msg *m, int field, const void *data, size_t len)
{
	const struct iso8583_field_def *d = iso8583_field(field);
	size_t padto = 0;
	int rc;

	if (!m || (!data && len))
		return ISO_ERR_ARG;
	if (!d)
		return ISO_ERR_UNKNOWN_FIELD;
	if (d->lentype == ISO_L_FIXED) {
		if (len > d->len)
			return ISO_ERR_LENGTH;
		if (len < d->len) {
			if (d->type != ISO_T_AN && d->type != ISO_T_ANS)
				return ISO_ERR_LENGTH;
			padto = d->len;
		}
	} else if (len > d->len) {
		return ISO_ERR_LENGTH;
	}
	rc = check_chars(d, data, len);
	if (rc)
		return rc;
	return store(m, field, data, len, padto);
}

int iso8583_set_str(struct iso8583_msg *m, int field, const char *s)
{
	if (!s)
		return ISO_ERR_ARG;
	return iso8583_set(m, field, s, strlen(s));
}

int iso8583_set_num(struct iso8583_msg *m, int field, unsigned long long v)
{
	const struct iso8583_field_def *d = iso8583_field(field);
	char buf[48];

	if (!d)
		return ISO_ERR_UNKNOWN_FIELD;
	if (d->type != ISO_T_N || d->lentype != ISO_L_FIXED || d->len > 40)
		return ISO_ERR_ARG;
	for (int i = d->len - 1; i >= 0; i--) {
		buf[i] = (char)('0' + v % 10);
		v /= 10;
	}
	if (v)
		return ISO_ERR_LENGTH;
	return iso8583_set(m, field, buf, d->len);
}

int iso8583_set_hex(struct iso8583_msg *m, int field, const uint8_t *bin,
		    size_t len)
{
	const struct iso8583_field_def *d = iso8583_field(field);
	char buf[1024];
	int rc;

	if (!d)
		return ISO_ERR_UNKNOWN_FIELD;
	if (d->lentype == ISO_L_FIXED || !m || (!bin && len))
		return ISO_ERR_ARG;
	if (len * 2 > d->len || len * 2 >= sizeof(buf) ||
	    ptc_hex_encode(bin, len, buf, sizeof(buf), 0))
		return ISO_ERR_LENGTH;
	rc = iso8583_set(m, field, (const uint8_t *)buf, len * 2);
	memset(buf, 0, sizeof(buf));
	return rc;
}

void iso8583_unset(struct iso8583_msg *m, int field)
{
	if (m && field >= 0 && field <= ISO8583_MAX_FIELD)
		m->present[field] = 0;
}

int iso8583_has(const struct iso8583_msg *m, int field)
{
	return m && field >= 0 && field <= ISO8583_MAX_FIELD &&
	       m->present[field];
}

const uint8_t *iso8583_get(const struct iso8583_msg *m, int field, size_t *len)
{
	if (!iso8583_has(m, field))
		return NULL;
	if (len)
		*len = m->len[field];
	return m->data + m->off[field];
}

int iso8583_get_str(const struct iso8583_msg *m, int field, char *out,
		    size_t cap)
{
	size_t len;
	const uint8_t *p = iso8583_get(m, field, &len);

	if (!out || !cap)
		return ISO_ERR_ARG;
	out[0] = 0;
	if (!p)
		return ISO_ERR_MISSING;
	if (len + 1 > cap)
		return ISO_ERR_TOO_BIG;
	memcpy(out, p, len);
	out[len] = 0;
	return ISO_OK;
}

int iso8583_get_num(const struct iso8583_msg *m, int field,
		    unsigned long long *v)
{
	size_t len;
	const uint8_t *p = iso8583_get(m, field, &len);
	unsigned long long x = 0;

	if (!v)
		return ISO_ERR_ARG;
	if (!p)
		return ISO_ERR_MISSING;
	if (len > 19)
		return ISO_ERR_LENGTH;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return ISO_ERR_CHARSET;
		x = x * 10 + (unsigned)(p[i] - '0');
	}
	*v = x;
	return ISO_OK;
}

int iso8583_get_hex(const struct iso8583_msg *m, int field, uint8_t *out,
		    size_t cap, size_t *outlen)
{
	size_t len;
	const uint8_t *p = iso8583_get(m, field, &len);

	if (!out || !outlen)
		return ISO_ERR_ARG;
	*outlen = 0;
	if (!p)
		return ISO_ERR_MISSING;
	if (len % 2)
		return ISO_ERR_LENGTH;
	if (len / 2 > cap)
		return ISO_ERR_TOO_BIG;
	/* lib/common's strict decoder: writes nothing on a bad character */
	if (ptc_hex_decode_n((const char *)p, len, out, cap, outlen))
		return ISO_ERR_CHARSET;
	return ISO_OK;
}

int iso8583_copy(struct iso8583_msg *dst, const struct iso8583_msg *src,
		 int field)
{
	size_t len;
	const uint8_t *p = iso8583_get(src, field, &len);

	if (!dst)
		return ISO_ERR_ARG;
	if (!p)
		return ISO_ERR_MISSING;
	return iso8583_set(dst, field, p, len);
}

/* Wire encoding of one field into out at *pos. */
static int put_field(const struct iso8583_msg *m, int field, uint8_t *out,
		     size_t cap, size_t *pos)
{
	const struct iso8583_field_def *d = iso8583_field(field);
	size_t len = m->len[field];
	size_t need = len + (size_t)d->lentype;

	if (need > cap - *pos)
		return ISO_ERR_TOO_BIG;
	if (d->lentype == ISO_L_LLVAR) {
		out[(*pos)++] = (uint8_t)('0' + len / 10 % 10);
		out[(*pos)++] = (uint8_t)('0' + len % 10);
	} else if (d->lentype == ISO_L_LLLVAR) {
		out[(*pos)++] = (uint8_t)('0' + len / 100 % 10);
		out[(*pos)++] = (uint8_t)('0' + len / 10 % 10);
		out[(*pos)++] = (uint8_t)('0' + len % 10);
	}
	memcpy(out + *pos, m->data + m->off[field], len);
	*pos += len;
	return ISO_OK;
}

int iso8583_pack(const struct iso8583_msg *m, uint8_t *out, size_t cap,
		 size_t *outlen)
{
	uint8_t bitmap[16] = { 0 };
	int secondary = 0;
	size_t pos = 0;
	int rc;

	if (!m || !out || !outlen)
		return ISO_ERR_ARG;
	*outlen = 0;
	if (!mti_valid(m->mti))
		return ISO_ERR_MTI;
	for (int f = 2; f <= ISO8583_MAX_FIELD; f++) {
		if (!m->present[f])
			continue;
		if (!iso8583_field(f))
			return ISO_ERR_UNKNOWN_FIELD;
		bitmap[(f - 1) / 8] |= (uint8_t)(0x80 >> ((f - 1) % 8));
		if (f > 64)
			secondary = 1;
	}
	/* field 1 only with a field 65..128: never an empty secondary bitmap */
	if (secondary)
		bitmap[0] |= 0x80;
	if (cap < 4 + (secondary ? 16u : 8u))
		return ISO_ERR_TOO_BIG;
	memcpy(out, m->mti, 4);
	memcpy(out + 4, bitmap, secondary ? 16 : 8);
	pos = 4 + (secondary ? 16 : 8);
	for (int f = 2; f <= ISO8583_MAX_FIELD; f++) {
		if (!m->present[f])
			continue;
		rc = put_field(m, f, out, cap, &pos);
		if (rc)
			return rc;
	}
	if (pos > ISO8583_MAX_MSG)
		return ISO_ERR_TOO_BIG;
	*outlen = pos;
	return ISO_OK;
}

int iso8583_unpack(struct iso8583_msg *m, const uint8_t *in, size_t len,
		   int *bad_field)
{
	int dummy, nbits = 64, rc;
	size_t pos;
	char mti[5];

	if (!bad_field)
		bad_field = &dummy;
	*bad_field = 0;
	if (!m || (!in && len))
		return ISO_ERR_ARG;
	iso8583_init(m, "0200");
	m->mti[0] = 0;
	if (len > ISO8583_MAX_MSG)
		return ISO_ERR_TOO_BIG;
	if (len < 4)
		return ISO_ERR_TRUNCATED;
	memcpy(mti, in, 4);
	mti[4] = 0;
	if (!mti_valid(mti))
		return ISO_ERR_MTI;
	memcpy(m->mti, mti, 5);
	*bad_field = 1;
	if (len < 12)
		return ISO_ERR_TRUNCATED;
	if (in[4] & 0x80) {
		nbits = 128;
		if (len < 20)
			return ISO_ERR_TRUNCATED;
	}
	/* Bit 65 would be a tertiary bitmap: not in the profile. */
	pos = 4 + (size_t)nbits / 8;
	for (int f = 2; f <= nbits; f++) {
		const struct iso8583_field_def *d;
		size_t flen;

		if (!(in[4 + (f - 1) / 8] & (0x80 >> ((f - 1) % 8))))
			continue;
		*bad_field = f;
		d = iso8583_field(f);
		if (!d)
			return ISO_ERR_UNKNOWN_FIELD;
		if (d->lentype == ISO_L_FIXED) {
			flen = d->len;
		} else {
			size_t n = (size_t)d->lentype;

			if (len - pos < n)
				return ISO_ERR_TRUNCATED;
			flen = 0;
			for (size_t i = 0; i < n; i++) {
				if (!is_digit(in[pos + i]))
					return ISO_ERR_LENGTH;
				flen = flen * 10 + (size_t)(in[pos + i] - '0');
			}
			pos += n;
			if (flen > d->len)
				return ISO_ERR_LENGTH;
		}
		if (len - pos < flen)
			return ISO_ERR_TRUNCATED;
		rc = check_chars(d, in + pos, flen);
		if (rc)
			return rc;
		rc = store(m, f, in + pos, flen, 0);
		if (rc)
			return rc;
		pos += flen;
	}
	if (pos != len) {
		*bad_field = -1;
		return ISO_ERR_TRAILING;
	}
	/*
	 * Field 1 means "a field 65..128 is present": a secondary bitmap that
	 * names none is a format error.  Reported after the fields, so that m
	 * holds them (the STAN) and the bank can answer 96.
	 */
	if (nbits == 128 && !memcmp(in + 12, "\0\0\0\0\0\0\0\0", 8)) {
		*bad_field = 1;
		return ISO_ERR_BITMAP;
	}
	*bad_field = 0;
	return ISO_OK;
}

int iso8583_mac_data(const struct iso8583_msg *m, const int *fields,
		     size_t nfields, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t pos = 0;
	int rc;

	if (!m || !fields || !out || !outlen)
		return ISO_ERR_ARG;
	*outlen = 0;
	for (size_t i = 0; i < nfields; i++) {
		int f = fields[i];

		if (!iso8583_field(f))
			return ISO_ERR_UNKNOWN_FIELD;
		if (!m->present[f])
			continue;
		if (cap - pos < 3)
			return ISO_ERR_TOO_BIG;
		out[pos++] = (uint8_t)('0' + f / 100);
		out[pos++] = (uint8_t)('0' + f / 10 % 10);
		out[pos++] = (uint8_t)('0' + f % 10);
		rc = put_field(m, f, out, cap, &pos);
		if (rc)
			return rc;
	}
	*outlen = pos;
	return ISO_OK;
}

int iso8583_req_hash_ok(const struct iso8583_msg *m)
{
	size_t len;
	const uint8_t *p = iso8583_get(m, 48, &len);

	if (!p || len != ISO8583_REQ_HASH_LEN)
		return 0;
	/* one spelling only: the MAC covers the bytes, not the value */
	for (size_t i = 0; i < len; i++)
		if (!is_digit(p[i]) && !(p[i] >= 'a' && p[i] <= 'f'))
			return 0;
	return 1;
}

void iso8583_wipe(struct iso8583_msg *m)
{
	if (!m)
		return;
	/* explicit_bzero is not optimised away */
	explicit_bzero(m, sizeof(*m));
}

const char *iso8583_strerror(int err)
{
	switch (err) {
	case ISO_OK: return "success";
	case ISO_ERR_ARG: return "invalid argument";
	case ISO_ERR_TRUNCATED: return "message truncated";
	case ISO_ERR_MTI: return "invalid or unsupported MTI";
	case ISO_ERR_BITMAP: return "empty secondary bitmap";
	case ISO_ERR_UNKNOWN_FIELD: return "field not in the profile";
	case ISO_ERR_LENGTH: return "invalid field length";
	case ISO_ERR_CHARSET: return "invalid character in field";
	case ISO_ERR_TRAILING: return "trailing bytes after the last field";
	case ISO_ERR_TOO_BIG: return "message too big";
	case ISO_ERR_MISSING: return "field missing";
	case ISO_ERR_IO: return "I/O error";
	case ISO_ERR_EOF: return "connection closed";
	case ISO_ERR_TIMEOUT: return "timeout";
	default: return "unknown error";
	}
}

/* ---- framing ---- */

int iso8583_write_frame(int fd, const uint8_t *msg, size_t len)
{
	uint8_t frame[ISO8583_MAX_MSG + 2];
	size_t done = 0;
	int rc = ISO_OK;

	if (!msg || len == 0 || len > ISO8583_MAX_MSG)
		return ISO_ERR_ARG;
	/* One buffer, so concurrent writers (serialised by the caller) never
	 * interleave a header with another frame's body. */
	frame[0] = (uint8_t)(len >> 8);
	frame[1] = (uint8_t)len;
	memcpy(frame + 2, msg, len);
	while (done < len + 2) {
		ssize_t n = write(fd, frame + done, len + 2 - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = ISO_ERR_IO;
			break;
		}
		done += (size_t)n;
	}
	explicit_bzero(frame, len + 2);
	return rc;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly len bytes; deadline < 0: none. */
static int read_full(int fd, uint8_t *buf, size_t len, long long deadline,
		     int first)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (deadline >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			long long left = deadline - now_ms();
			int r;

			if (left <= 0)
				return ISO_ERR_TIMEOUT;
			r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return ISO_ERR_IO;
			if (r == 0)
				continue;
		}
		n = read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ISO_ERR_IO;
		if (n == 0)
			return (first && done == 0) ? ISO_ERR_EOF :
						      ISO_ERR_TRUNCATED;
		done += (size_t)n;
	}
	return ISO_OK;
}

int iso8583_read_frame(int fd, uint8_t *buf, size_t cap, size_t *len,
		       int timeout_ms)
{
	uint8_t hdr[2];
	size_t n;
	int rc;

	if (!buf || !len)
		return ISO_ERR_ARG;
	*len = 0;
	rc = read_full(fd, hdr, 1, timeout_ms < 0 ? -1 : now_ms() + timeout_ms,
		       1);
	if (rc)
		return rc;
	rc = read_full(fd, hdr + 1, 1, now_ms() + ISO8583_FRAME_TIMEOUT_MS, 0);
	if (rc)
		return rc;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n == 0 || n > cap || n > ISO8583_MAX_MSG)
		return ISO_ERR_TOO_BIG;
	rc = read_full(fd, buf, n, now_ms() + ISO8583_FRAME_TIMEOUT_MS, 0);
	if (rc)
		return rc;
	*len = n;
	return ISO_OK;
}
