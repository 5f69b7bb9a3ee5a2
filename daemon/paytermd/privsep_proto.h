/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: the messages between the front process (D-Bus, HTTPS) and the
 * card process (readers, keys), docs/privsep.md.  One message per
 * SOCK_SEQPACKET datagram:
 *
 *   u16 type | u16 body length | body
 *
 * all integers little-endian; a body is the fields of its type in a fixed
 * order, each of explicit size: u8/u16/u32/u64, "str" = u8 length + that
 * many printable ASCII bytes (no NUL, bounded per field), "bytes" = u16
 * length + bytes (bounded per field), "fix" = exactly N bytes.  A decoder
 * takes only the types its side may receive and refuses anything else: a
 * short or long body, an unknown type, a field over its bound, a value out
 * of range.  It never trusts the peer.
 */
#ifndef PD_PRIVSEP_PROTO_H
#define PD_PRIVSEP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"

#define PP_MSG_MAX	4096	/* bytes, header included */
#define PP_HDR_LEN	4
#define PP_READERS_MAX	16
#define PP_DEVNODE_MAX	63
#define PP_MESSAGE_MAX	159	/* struct pd_txn.message */

enum pp_type {
	/* front -> card */
	PP_START = 1,		/* claim these readers, wait for a card */
	PP_END = 2,		/* the transaction is over: release, wipe */
	PP_CHECK_MAC = 3,	/* verify the bank's response MAC */
	PP_RELOAD = 4,		/* reopen the key store (SIGHUP) */
	PP_SIGN = 5,		/* sign a TLS handshake digest (signing channel) */
	/* card -> front */
	PP_KEYS = 64,		/* key store state (at start, after RELOAD) */
	PP_STARTED = 65,	/* answer to START: 0 or -errno */
	PP_UPDATE = 66,		/* the transaction's visible fields changed */
	PP_SEALED = 67,		/* the encrypted submission material */
	PP_FINISHED = 68,	/* the card side ended the transaction */
	PP_MAC_RESULT = 69,	/* answer to CHECK_MAC */
	PP_SIGNED = 70,		/* answer to SIGN: DER ECDSA signature or empty */
};

#define PP_DIGEST_MAX	64
#define PP_SIG_MAX	160

/* CHECK_MAC flags: which of rc, auth, mac were given (NULL otherwise) */
enum { PP_F_RC = 1, PP_F_AUTH = 2, PP_F_MAC = 4 };

struct pp_msg {
	uint16_t type;
	uint32_t txn;				/* every type but RELOAD, KEYS */
	union {
		struct {
			uint64_t amount;
			char currency[4];	/* 3 digits */
			/* SHA-256 of the request JWS (field 48), not all 0 */
			uint8_t req_hash[PD_REQ_HASH_LEN];
			uint8_t modes;		/* PD_ENTRY_*, not 0 */
			uint8_t n_readers;	/* 1..PP_READERS_MAX */
			char readers[PP_READERS_MAX][PP_DEVNODE_MAX + 1];
		} start;
		struct {
			uint8_t flags;		/* PP_F_* */
			char rc[3];
			char auth[8];
			char mac[33];		/* as the server sent it */
		} check_mac;
		struct {
			uint8_t ready;		/* 0/1 */
			uint8_t aes;		/* 0/1 */
			uint8_t dk_type;	/* enum pt_key_type */
			uint8_t tls_key;	/* 0/1: the TLS client key is loaded */
		} keys;
		struct {			/* txn: the request's serial */
			uint8_t digest[PP_DIGEST_MAX];
			size_t digest_len;	/* 1..PP_DIGEST_MAX */
		} sign;
		struct {
			uint8_t sig[PP_SIG_MAX];
			size_t sig_len;		/* 0: could not sign */
		} signed_;
		struct {
			int32_t err;		/* 0 or -errno */
		} started;
		struct {
			uint8_t state;		/* enum pd_state, not final */
			char entry_mode[8];	/* "", swipe, chip, tap */
			char masked_pan[20];	/* "" or first 6 / last 4 */
			uint8_t pin_digits;
			char message[PP_MESSAGE_MAX + 1];
		} update;
		struct pd_sealed sealed;
		struct {
			uint8_t state;		/* enum pd_state, final */
			char result_code[4];
			char message[PP_MESSAGE_MAX + 1];
		} finished;
		struct {
			uint8_t result;		/* enum pd_mac_check */
		} mac_result;
	} u;
};

/* Encode @m into @buf (PP_MSG_MAX); returns the length or -EINVAL when a
 * field does not fit its bound (a caller bug, never sent). */
int pp_encode(const struct pp_msg *m, uint8_t *buf, size_t cap);

/* Decode one datagram.  0, or -EBADMSG with a reason in @err; @out is
 * zeroed first and undefined on error.  The card side calls
 * pp_decode_for_card (types 1..5 only), the front pp_decode_for_front
 * (64..70 only). */
int pp_decode_for_card(const uint8_t *buf, size_t len, struct pp_msg *out,
		       char *err, size_t errlen);
int pp_decode_for_front(const uint8_t *buf, size_t len, struct pp_msg *out,
			char *err, size_t errlen);

/* "START", "UPDATE", ... or "type N" (into a static buffer) for logs */
const char *pp_type_name(unsigned type);

/* A reader path the card process may open: /dev/payterm0 .. /dev/payterm999 */
bool pp_devnode_ok(const char *s);

/* Wipe a message that held sealed material (no secret, but no need to
 * keep ciphertext around either). */
void pp_msg_wipe(struct pp_msg *m);

#endif
