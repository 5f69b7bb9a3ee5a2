/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm ISO 8583 codec: the profile of docs/protocol.md ("ISO 8583
 * profile").  ASCII MTI, binary bitmaps, ASCII numeric / text fields,
 * binary fixed fields, ASCII LL/LLL length prefixes.  Strict: every field is
 * checked against the profile on set, pack and unpack; unknown fields,
 * malformed lengths, bad characters and trailing bytes are errors.
 *
 * A message is a self-contained value (no heap): field data lives in an
 * internal buffer.  Call iso8583_wipe() before dropping a message that held
 * sensitive (even encrypted) data.
 */
#ifndef PAYTERM_ISO8583_H
#define PAYTERM_ISO8583_H

#include <stddef.h>
#include <stdint.h>

#define ISO8583_MAX_FIELD	128
#define ISO8583_MAX_MSG		8192	/* largest message (without the length prefix) */

enum iso8583_err {
	ISO_OK = 0,
	ISO_ERR_ARG = -1,		/* NULL pointer, field number out of range */
	ISO_ERR_TRUNCATED = -2,		/* message ends inside a field / bitmap */
	ISO_ERR_MTI = -3,		/* MTI not 4 digits / not in the profile */
	ISO_ERR_BITMAP = -4,		/* field 1 set, no field 65..128 */
	ISO_ERR_UNKNOWN_FIELD = -5,	/* field not in the profile */
	ISO_ERR_LENGTH = -6,		/* length wrong for the field */
	ISO_ERR_CHARSET = -7,		/* character not allowed in the field */
	ISO_ERR_TRAILING = -8,		/* bytes after the last field */
	ISO_ERR_TOO_BIG = -9,		/* message over ISO8583_MAX_MSG / buffer */
	ISO_ERR_MISSING = -10,		/* field absent */
	ISO_ERR_IO = -11,		/* read/write failed, see errno */
	ISO_ERR_EOF = -12,		/* peer closed the connection */
	ISO_ERR_TIMEOUT = -13,		/* no complete frame within the timeout */
};

enum iso8583_type {
	ISO_T_NONE = 0,
	ISO_T_N,	/* digits */
	ISO_T_AN,	/* letters and digits (fixed fields: space padding allowed) */
	ISO_T_ANS,	/* printable ASCII 0x20..0x7e */
	ISO_T_B,	/* binary (fixed length only) */
};

enum iso8583_len {
	ISO_L_FIXED = 0,
	ISO_L_LLVAR = 2,
	ISO_L_LLLVAR = 3,
};

struct iso8583_field_def {
	enum iso8583_type type;
	enum iso8583_len lentype;
	uint16_t len;		/* fixed: exact length; var: maximum */
	const char *name;
};

/* Profile definition of a field, NULL if the field is not in the profile. */
const struct iso8583_field_def *iso8583_field(int field);

struct iso8583_msg {
	char mti[5];
	uint8_t present[ISO8583_MAX_FIELD + 1];
	uint16_t off[ISO8583_MAX_FIELD + 1];
	uint16_t len[ISO8583_MAX_FIELD + 1];
	size_t used;
	uint8_t data[ISO8583_MAX_MSG];
};

/* Empty message with this MTI (4 digits, one of 0200 0210 0400 0410 0800
 * 0810); ISO_ERR_MTI otherwise. */
int iso8583_init(struct iso8583_msg *m, const char *mti);
/* Set (or replace) a field; data checked against the profile.  For fixed
 * n fields shorter input is NOT padded: give the exact length (see
 * iso8583_set_num).  For fixed an/ans fields shorter input is space-padded. */
int iso8583_set(struct iso8583_msg *m, int field, const void *data, size_t len);
int iso8583_set_str(struct iso8583_msg *m, int field, const char *s);
/* Fixed n field from a number, zero-filled; ISO_ERR_LENGTH if too large. */
int iso8583_set_num(struct iso8583_msg *m, int field, unsigned long long v);
/* Variable field from binary data written as upper-case hex. */
int iso8583_set_hex(struct iso8583_msg *m, int field, const uint8_t *bin,
		    size_t len);
void iso8583_unset(struct iso8583_msg *m, int field);
int iso8583_has(const struct iso8583_msg *m, int field);
/* Pointer into the message (not NUL-terminated), NULL if absent. */
const uint8_t *iso8583_get(const struct iso8583_msg *m, int field, size_t *len);
/* Copy as a NUL-terminated string; ISO_ERR_MISSING / ISO_ERR_TOO_BIG. */
int iso8583_get_str(const struct iso8583_msg *m, int field, char *out,
		    size_t cap);
/* Numeric field value; ISO_ERR_MISSING if absent. */
int iso8583_get_num(const struct iso8583_msg *m, int field,
		    unsigned long long *v);
/* Hex variable field decoded to bytes (either case accepted). */
int iso8583_get_hex(const struct iso8583_msg *m, int field, uint8_t *out,
		    size_t cap, size_t *outlen);
/* Copy field from one message to another (for echoing). */
int iso8583_copy(struct iso8583_msg *dst, const struct iso8583_msg *src,
		 int field);

/* Serialise (no length prefix).  *outlen receives the size. */
int iso8583_pack(const struct iso8583_msg *m, uint8_t *out, size_t cap,
		 size_t *outlen);
/*
 * Parse a whole message (no length prefix).  On error, *bad_field (may be
 * NULL) receives the field being parsed (0 = MTI, 1 = bitmap) and m holds
 * what was parsed before it (MTI, earlier fields), so a responder can echo
 * the STAN of a malformed message.  A secondary bitmap that names no field
 * 65..128 (field 1 set for nothing) is ISO_ERR_BITMAP with *bad_field 1,
 * found once the fields are parsed: m then holds them all.
 */
int iso8583_unpack(struct iso8583_msg *m, const uint8_t *in, size_t len,
		   int *bad_field);

/* MAC data: for each field of the list present in m, in list order, the
 * field number as 3 ASCII digits then the field as on the wire. */
int iso8583_mac_data(const struct iso8583_msg *m, const int *fields,
		     size_t nfields, uint8_t *out, size_t cap, size_t *outlen);

/* The fields covered by the request MAC (0200) and response MAC (0210). */
extern const int iso8583_req_mac_fields[];
extern const size_t iso8583_req_mac_nfields;
extern const int iso8583_resp_mac_fields[];
extern const size_t iso8583_resp_mac_nfields;

/* Field 48 of a 0200/0210: the SHA-256 of the payment request JWS as
 * exactly 64 lower-case hex digits (docs/protocol.md).  1 if present and
 * in that form, else 0. */
#define ISO8583_REQ_HASH_LEN	64
int iso8583_req_hash_ok(const struct iso8583_msg *m);

void iso8583_wipe(struct iso8583_msg *m);
const char *iso8583_strerror(int err);

/* ---- framing: 2-byte big-endian length prefix over a stream socket ---- */
/* Write one frame (handles short writes and EINTR). */
int iso8583_write_frame(int fd, const uint8_t *msg, size_t len);
/*
 * Read one frame into buf.  timeout_ms < 0: wait forever for its first
 * byte; once a frame has started the rest must arrive within
 * ISO8583_FRAME_TIMEOUT_MS.  ISO_ERR_EOF on a clean close before a frame,
 * ISO_ERR_TOO_BIG when the announced length is 0 or exceeds cap (the
 * stream is then unusable: close it).
 */
#define ISO8583_FRAME_TIMEOUT_MS 10000
int iso8583_read_frame(int fd, uint8_t *buf, size_t cap, size_t *len,
		       int timeout_ms);

#endif
