// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd core: TLV, swipe -> card, request verification, sealing
 * (checked by decrypting as the bank would) and the transaction state
 * machine with a fake reader.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "payterm-jws.h"
#include "payterm_crypto.h"
#include "../../../daemon/paytermd/card.h"
#include "../../../daemon/paytermd/pending.h"
#include "../../../daemon/paytermd/request.h"
#include "../../../daemon/paytermd/seal.h"
#include "../../../daemon/paytermd/secure.h"
#include "../../../daemon/paytermd/tlv.h"
#include "../../../daemon/paytermd/txn.h"
#include "../../../daemon/paytermd/verdict.h"

#define T2 ";4761739001010010=301220100000001?"
#define T1 "%B4761739001010010^PAYTERM/VISA OK^301220100000001?"
#define PAN "4761739001010010"
static const char bdk_hex[] = "FEDCBA9876543210F1F1F1F1F1F1F1F1";
static const char ikid_hex[] = "1234567890123456";

static void hex(const char *h, uint8_t *out, size_t *n)
{
	ck_assert_int_eq(pt_hex_decode(h, out, 64, n), 0);
}

/* ---------------- TLV ---------------- */

START_TEST(t_tlv)
{
	static const uint8_t fci[] = {
		0x6f, 0x1a, 0x84, 0x0e, '1', 'P', 'A', 'Y', '.', 'S', 'Y', 'S',
		'.', 'D', 'D', 'F', '0', '1', 0xa5, 0x08, 0x88, 0x01, 0x01,
		0x5f, 0x2d, 0x02, 'e', 'n',
	};
	static const uint8_t bad[] = { 0x9f, 0x02, 0x06, 0x00 };
	static const uint8_t longlen[] = { 0x70, 0x81, 0x02, 0x5a, 0x00 };
	uint8_t out[64];
	size_t off = 0, n;
	struct pd_tlv t;
	uint32_t tag;

	ck_assert_int_eq(pd_tlv_find(fci, sizeof(fci), 0x88, &t), 1);
	ck_assert_uint_eq(t.len, 1);
	ck_assert_uint_eq(t.value[0], 1);
	ck_assert_int_eq(pd_tlv_find(fci, sizeof(fci), 0x5f2d, &t), 1);
	ck_assert_uint_eq(t.len, 2);
	ck_assert_int_eq(pd_tlv_find(fci, sizeof(fci), 0x9f38, &t), 0);
	ck_assert_int_eq(pd_tlv_validate(fci, sizeof(fci)), 0);
	ck_assert_int_eq(pd_tlv_validate(bad, sizeof(bad)), -EBADMSG);
	ck_assert_int_eq(pd_tlv_find(longlen, sizeof(longlen), 0x5a, &t), 1);
	ck_assert_int_eq(pd_tlv_put(out, sizeof(out), &off, 0x9f02,
				    (const uint8_t *)"\0\0\0\0\x12\x34", 6), 0);
	ck_assert_uint_eq(off, 9);
	ck_assert_int_eq(memcmp(out, "\x9f\x02\x06\0\0\0\0\x12\x34", 9), 0);
	ck_assert_int_eq(pd_tlv_put(out, 16, &off, 0x5a, out, 8), -ENOSPC);
	/* DOL */
	hex("9F02069F03069F1A0295055F2A029A039C019F3704", out, &n);
	off = 0;
	ck_assert_int_eq(pd_dol_next(out, n, &off, &tag, &n), 1);
	ck_assert_uint_eq(tag, 0x9f02);
	ck_assert_uint_eq(n, 6);
}
END_TEST

/* ---------------- card ---------------- */

static void make_swipe(struct payterm_swipe *sw, const char *t1, const char *t2)
{
	memset(sw, 0, sizeof(*sw));
	if (t1) {
		sw->track[0].status = PAYTERM_TRACK_OK;
		sw->track[0].length = (uint16_t)strlen(t1);
		memcpy(sw->track[0].data, t1, strlen(t1));
	}
	if (t2) {
		sw->track[1].status = PAYTERM_TRACK_OK;
		sw->track[1].length = (uint16_t)strlen(t2);
		memcpy(sw->track[1].data, t2, strlen(t2));
	}
}

START_TEST(t_card_swipe)
{
	struct payterm_swipe sw;
	struct pd_card c;
	uint8_t t57[32], f62[64];
	size_t n;

	make_swipe(&sw, T1, T2);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	ck_assert_str_eq(c.pan, PAN);
	ck_assert_str_eq(c.masked, "476173******0010");
	ck_assert_str_eq(c.expiry, "3012");
	ck_assert_str_eq(c.service_code, "201");
	ck_assert(pd_card_has_chip(&c));
	hex("4761739001010010D301220100000001", t57, &n);
	ck_assert_uint_eq(c.t57_len, n);
	ck_assert_int_eq(memcmp(c.t57, t57, n), 0);
	ck_assert_int_eq(pd_card_f62_plain(&c, f62, sizeof(f62)), (int)n + 2);
	ck_assert_uint_eq(f62[0], 0x57);
	ck_assert(!pd_card_expired(&c, 2030, 12));
	ck_assert(pd_card_expired(&c, 2031, 1));

	/* track 1 only: PAN D YYMM SVC */
	make_swipe(&sw, T1, NULL);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	hex("4761739001010010D3012201", t57, &n);
	ck_assert_uint_eq(c.t57_len, n);
	ck_assert_int_eq(memcmp(c.t57, t57, n), 0);

	/* magstripe-only card; odd length -> F pad */
	make_swipe(&sw, NULL, ";4111111111111111=310610100000000?");
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	ck_assert(!pd_card_has_chip(&c));
	ck_assert_uint_eq(c.t57_len, 16);
	make_swipe(&sw, NULL, ";4111111111111111=31061010000000?");
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	ck_assert_uint_eq(c.t57_len, 16);
	ck_assert_uint_eq(c.t57[15], 0x0f);

	make_swipe(&sw, NULL, ";4761739001010011=301220100000001?");
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_LUHN);
	make_swipe(&sw, "%B4111111111111111^X/Y^3106101?", T2);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_MISMATCH);
	make_swipe(&sw, NULL, ";garbage?");
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_UNREADABLE);
	make_swipe(&sw, NULL, NULL);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_UNREADABLE);
	make_swipe(&sw, NULL, T2);
	sw.flags = PAYTERM_SWIPE_READER_ENCRYPTED;
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_ENCRYPTED);
	/* on failure nothing is left behind */
	for (size_t i = 0; i < sizeof(c.pan); i++)
		ck_assert_uint_eq((uint8_t)c.pan[i], 0);
}
END_TEST

START_TEST(t_card_swipe_incomplete)
{
	/* ISO 7813 lets a separator stand for an absent expiry or service
	 * code; tag 57 needs both, so such a swipe is refused */
	static const char *const t2[] = {
		";4761739001010010=3012=100000001?",	/* no service code */
		";4761739001010010=3012=?",
		";4761739001010010==201100000001?",	/* no expiry */
		";4761739001010010===?",		/* neither */
	};
	struct payterm_swipe sw;
	struct pd_card c;

	for (size_t i = 0; i < sizeof(t2) / sizeof(t2[0]); i++) {
		make_swipe(&sw, NULL, t2[i]);
		memset(&c, 0xa5, sizeof(c));
		ck_assert_msg(pd_card_from_swipe(&sw, &c) == PD_CARD_INCOMPLETE,
			      "track 2 case %zu", i);
		for (size_t j = 0; j < sizeof(c); j++)
			ck_assert_uint_eq(((const uint8_t *)&c)[j], 0);
		/* track 2 is used when it parses: track 1 does not help */
		make_swipe(&sw, T1, t2[i]);
		ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_INCOMPLETE);
	}
	/* track 1 alone without service code or expiry */
	make_swipe(&sw, "%B4761739001010010^PAYTERM/VISA OK^3012^?", NULL);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_INCOMPLETE);
	make_swipe(&sw, "%B4761739001010010^PAYTERM/VISA OK^^201?", NULL);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_INCOMPLETE);
	/* a track 2 that does not parse still falls back to track 1 */
	make_swipe(&sw, T1, ";4761739001010010=30?");
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	ck_assert_str_eq(c.service_code, "201");
	pd_card_wipe(&c);
}
END_TEST

START_TEST(t_card_t57)
{
	uint8_t t57[32];
	struct pd_card c;
	size_t n;

	hex("5413330089020011D291220100000001", t57, &n);
	ck_assert_int_eq(pd_card_from_t57(t57, n, 1, PD_SRC_CHIP, &c), PD_CARD_OK);
	ck_assert_str_eq(c.pan, "5413330089020011");
	ck_assert_str_eq(c.expiry, "2912");
	ck_assert(c.has_psn);
	hex("5413330089020012D291220100000001", t57, &n);
	ck_assert_int_eq(pd_card_from_t57(t57, n, -1, PD_SRC_CHIP, &c), PD_CARD_LUHN);
	hex("54133300D2912F", t57, &n);
	ck_assert_int_eq(pd_card_from_t57(t57, n, -1, PD_SRC_CHIP, &c),
			 PD_CARD_UNREADABLE);
}
END_TEST

/* ---------------- requests ---------------- */

static EVP_PKEY *server_key;

/* A request as the server signs it, but with any "alg" in the header. */
static char *sign(EVP_PKEY *k, const char *alg, json_t *payload)
{
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "alg", alg, "typ",
				"payterm-request+jws", "kid", "payterm-1");
	char *out = NULL;

	ck_assert_int_eq(ptc_jws_sign(k, hdr, payload, &out), 0);
	json_decref(hdr);
	return out;
}

static json_t *claims(const char *rid, int64_t exp)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:I}",
			 "iss", "payterm-server", "request_id", rid,
			 "merchant_id", "MERCHANT0001", "order_id", "order-1",
			 "amount", (json_int_t)1234, "currency", "EUR",
			 "currency_numeric", "978", "description", "coffee",
			 "terminal_id", "TERM0001", "iat", (json_int_t)(exp - 600),
			 "exp", (json_int_t)exp);
}

static void keys_setup(void)
{
	if (!server_key)
		server_key = EVP_EC_gen("P-256");
}

START_TEST(t_request)
{
	EVP_PKEY *other = EVP_EC_gen("P-256");
	int64_t now = time(NULL);
	struct pd_request req;
	char why[128], *jws, *tampered;
	json_t *c;

	keys_setup();
	c = claims("req-1", now + 600);
	jws = sign(server_key, "ES256", c);
	ck_assert_int_eq(pd_request_verify(server_key, jws, "TERM0001", now, &req,
					   why, sizeof(why)), PD_REQ_OK);
	ck_assert_str_eq(req.id, "req-1");
	ck_assert_uint_eq(req.amount, 1234);
	ck_assert_str_eq(req.currency, "978");
	ck_assert_str_eq(req.currency_alpha, "EUR");
	ck_assert_str_eq(req.order_id, "order-1");
	{
		/* field 48: SHA-256 of the exact JWS bytes verified */
		uint8_t h[32];

		ck_assert_int_eq(EVP_Digest(jws, strlen(jws), h, NULL,
					    EVP_sha256(), NULL), 1);
		ck_assert_int_eq(memcmp(req.jws_hash, h, 32), 0);
	}
	ck_assert_int_eq(pd_request_verify(server_key, jws, "TERM0002", now, &req,
					   why, sizeof(why)), PD_REQ_WRONG_TERMINAL);
	ck_assert_int_eq(pd_request_verify(server_key, jws, "TERM0001", now + 601,
					   &req, why, sizeof(why)), PD_REQ_EXPIRED);
	/* another key, a flipped payload byte, alg none */
	ck_assert_int_eq(pd_request_verify(other, jws, "TERM0001", now, &req,
					   why, sizeof(why)), PD_REQ_FORGED);
	tampered = strdup(jws);
	tampered[strchr(tampered, '.') - tampered + 5] ^= 1;
	ck_assert_int_eq(pd_request_verify(server_key, tampered, "TERM0001", now,
					   &req, why, sizeof(why)), PD_REQ_FORGED);
	free(tampered);
	free(jws);
	jws = sign(server_key, "none", c);
	ck_assert_int_eq(pd_request_verify(server_key, jws, "TERM0001", now, &req,
					   why, sizeof(why)), PD_REQ_FORGED);
	free(jws);
	ck_assert_int_eq(pd_request_verify(server_key, "a.b", "TERM0001", now,
					   &req, why, sizeof(why)), PD_REQ_MALFORMED);
	json_decref(c);
	EVP_PKEY_free(other);
}
END_TEST

/* exp - iat is capped ([server] request_max_lifetime, default 900 s); a
 * request without iat cannot be capped and is refused. */
static enum pd_req_err verify_lifetime(int64_t now, json_t *iat, int64_t exp)
{
	struct pd_request req;
	char why[128], *jws;
	json_t *c = claims("req-life", exp);
	enum pd_req_err e;

	if (iat)
		json_object_set_new(c, "iat", iat);
	else
		json_object_del(c, "iat");
	jws = sign(server_key, "ES256", c);
	e = pd_request_verify(server_key, jws, "TERM0001", now, &req, why,
			      sizeof(why));
	free(jws);
	json_decref(c);
	return e;
}

START_TEST(t_request_lifetime)
{
	int64_t now = time(NULL);

	keys_setup();
	ck_assert_int_eq(verify_lifetime(now, json_integer(now - 10), now + 890),
			 PD_REQ_OK);
	ck_assert_int_eq(verify_lifetime(now, json_integer(now), now + 900),
			 PD_REQ_OK);
	ck_assert_int_eq(verify_lifetime(now, json_integer(now), now + 901),
			 PD_REQ_LIFETIME);
	/* a year-long request, recently issued or not */
	ck_assert_int_eq(verify_lifetime(now, json_integer(now - 10),
					 now + 365 * 86400), PD_REQ_LIFETIME);
	ck_assert_int_eq(verify_lifetime(now, json_integer(now - 86400), now + 60),
			 PD_REQ_LIFETIME);
	/* iat after exp, iat missing or not a number */
	ck_assert_int_eq(verify_lifetime(now, json_integer(now + 200), now + 100),
			 PD_REQ_LIFETIME);
	ck_assert_int_eq(verify_lifetime(now, NULL, now + 100), PD_REQ_MALFORMED);
	ck_assert_int_eq(verify_lifetime(now, json_string("now"), now + 100),
			 PD_REQ_MALFORMED);
	/* configured lower */
	pd_request_set_max_lifetime(60);
	ck_assert_int_eq(verify_lifetime(now, json_integer(now - 10), now + 50),
			 PD_REQ_OK);
	ck_assert_int_eq(verify_lifetime(now, json_integer(now - 10), now + 51),
			 PD_REQ_LIFETIME);
	pd_request_set_max_lifetime(0);		/* back to the default */
	ck_assert_int_eq(verify_lifetime(now, json_integer(now), now + 900),
			 PD_REQ_OK);
}
END_TEST

/* One answer of the pull queue: verified, single use, cursor. */
static unsigned n_added;
static char last_added[80];

static void on_added(void *user, const struct pd_pending *p)
{
	n_added++;
	snprintf(last_added, sizeof(last_added), "%s", p->req.id);
	ck_assert_ptr_eq(user, &n_added);
}

static char *page(json_t *reqs, json_int_t next)
{
	json_t *j = json_pack("{s:o,s:I}", "requests", reqs, "next", next);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return s;
}

static json_t *entry(const char *rid, json_int_t seq, char *jws)
{
	json_t *e = json_pack("{s:s,s:s,s:I,s:s,s:I}", "request_id", rid,
			      "channel", "terminal", "seq", seq, "jws", jws,
			      "expires_at", (json_int_t)0);

	free(jws);
	return e;
}

START_TEST(t_pending)
{
	EVP_PKEY *other = EVP_EC_gen("P-256");
	struct pd_pending_list l = { 0 };
	char dir[] = "/tmp/pd-pend-XXXXXX", path[64], *body;
	int64_t now = time(NULL), after = 0;
	struct pd_used *u;
	json_t *c, *reqs;
	const struct pd_pending *p;

	keys_setup();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(pd_used_open(dir, &u), 0);
	ck_assert_int_eq(pd_used_add(u, "req-used", now + 600, now), 0);
	reqs = json_array();
	/* good */
	c = claims("req-a", now + 600);
	json_array_append_new(reqs, entry("req-a", 3, sign(server_key, "ES256", c)));
	json_decref(c);
	/* forged, expired, used, envelope id differs from the signed one */
	c = claims("req-f", now + 600);
	json_array_append_new(reqs, entry("req-f", 4, sign(other, "ES256", c)));
	json_decref(c);
	c = claims("req-x", now - 1);
	json_array_append_new(reqs, entry("req-x", 5, sign(server_key, "ES256", c)));
	json_decref(c);
	c = claims("req-used", now + 600);
	json_array_append_new(reqs, entry("req-used", 6, sign(server_key, "ES256", c)));
	json_decref(c);
	c = claims("req-b", now + 300);
	json_array_append_new(reqs, entry("req-other", 7, sign(server_key, "ES256", c)));
	json_decref(c);
	/* good, expires first */
	c = claims("req-c", now + 100);
	json_array_append_new(reqs, entry("req-c", 8, sign(server_key, "ES256", c)));
	json_decref(c);
	body = page(reqs, 8);
	ck_assert_int_eq(pd_pending_page(&l, body, server_key, "TERM0001", now, u,
					 &after, on_added, &n_added), 2);
	ck_assert_int_eq(after, 8);
	ck_assert_uint_eq(n_added, 2);
	ck_assert_str_eq(last_added, "req-c");
	ck_assert_uint_eq(l.n, 2);
	p = pd_pending_find(&l, "req-a");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->req.amount, 1234);
	ck_assert_str_eq(p->req.merchant_name, "MERCHANT0001");
	ck_assert_str_eq(p->req.description, "coffee");
	ck_assert_int_eq(p->seq, 3);
	ck_assert_int_eq(pd_pending_next_expiry(&l), now + 100);
	/* the same page again (after a restart: after=0): nothing new */
	after = 0;
	ck_assert_int_eq(pd_pending_page(&l, body, server_key, "TERM0001", now, u,
					 &after, on_added, &n_added), 0);
	ck_assert_uint_eq(l.n, 2);
	free(body);
	/* an empty answer keeps the cursor; "next" never goes back */
	body = page(json_array(), 2);
	ck_assert_int_eq(pd_pending_page(&l, body, server_key, "TERM0001", now, u,
					 &after, NULL, NULL), 0);
	ck_assert_int_eq(after, 8);
	free(body);
	/* not an answer */
	ck_assert_int_eq(pd_pending_page(&l, "{\"requests\":{}}", server_key,
					 "TERM0001", now, u, &after, NULL, NULL), -EBADMSG);
	ck_assert_int_eq(pd_pending_page(&l, "<html>", server_key, "TERM0001",
					 now, u, &after, NULL, NULL), -EBADMSG);
	ck_assert_int_eq(pd_pending_page(&l, NULL, server_key, "TERM0001",
					 now, u, &after, NULL, NULL), -EBADMSG);
	/* used (submitted) and expired entries go */
	ck_assert_int_eq(pd_used_add(u, "req-a", now + 600, now), 0);
	ck_assert_uint_eq(pd_pending_prune(&l, now, u), 1);
	ck_assert_ptr_null(pd_pending_find(&l, "req-a"));
	ck_assert_uint_eq(pd_pending_prune(&l, now + 100, u), 1);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(pd_pending_next_expiry(&l), 0);
	/* remove, clear */
	c = claims("req-d", now + 600);
	reqs = json_array();
	json_array_append_new(reqs, entry("req-d", 9, sign(server_key, "ES256", c)));
	json_decref(c);
	body = page(reqs, 9);
	ck_assert_int_eq(pd_pending_page(&l, body, server_key, "TERM0001", now, u,
					 &after, NULL, NULL), 1);
	free(body);
	ck_assert(pd_pending_remove(&l, "req-d"));
	ck_assert(!pd_pending_remove(&l, "req-d"));
	pd_pending_clear(&l);
	pd_used_free(u);
	snprintf(path, sizeof(path), "%s/used-requests", dir);
	unlink(path);
	rmdir(dir);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(t_used)
{
	char dir[] = "/tmp/pd-used-XXXXXX", path[64];
	struct pd_used *u;
	int64_t now = 1000000;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(pd_used_open(dir, &u), 0);
	ck_assert(!pd_used_seen(u, "a"));
	ck_assert_int_eq(pd_used_add(u, "a", now + 100, now), 0);
	ck_assert_int_eq(pd_used_add(u, "old", now - 1000, now), 0);
	pd_used_free(u);
	ck_assert_int_eq(pd_used_open(dir, &u), 0);
	ck_assert(pd_used_seen(u, "a"));
	ck_assert_int_eq(pd_used_add(u, "b", now + 100, now), 0);
	ck_assert(!pd_used_seen(u, "old"));	/* expired ones are dropped */
	pd_used_free(u);
	snprintf(path, sizeof(path), "%s/used-requests", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* ---------------- key store for sealing ---------------- */

static char ksdir[64];
static struct pt_keystore *ks;

static void ks_setup(int aes)
{
	uint8_t bdk[16], ikid[8], ik[16], kek[PT_KEK_LEN], ksn[10];
	struct pt_dukpt_dev dev;
	char path[96];
	size_t n;

	snprintf(ksdir, sizeof(ksdir), "/tmp/pd-ks-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ksdir));
	chmod(ksdir, 0700);
	snprintf(path, sizeof(path), "%s/store", ksdir);
	memset(kek, 0x42, sizeof(kek));
	hex(bdk_hex, bdk, &n);
	if (aes) {
		hex(ikid_hex, ikid, &n);
		ck_assert_int_eq(pt_dukpt_aes_initial_key(bdk, 16, ikid, ik), 0);
		ck_assert_int_eq(pt_dukpt_dev_init_aes(&dev, ik, 16, ikid), 0);
	} else {
		hex("FFFF9876543210E00000", ksn, &n);
		ck_assert_int_eq(pt_dukpt_tdes_ipek(bdk, ksn, ik), 0);
		ck_assert_int_eq(pt_dukpt_dev_init_tdes(&dev, ik, ksn), 0);
	}
	ck_assert_int_eq(pt_ks_create(path, kek, 0, &ks), 0);
	ck_assert_int_eq(pt_ks_load(ks, &dev), 0);
}

static void ks_teardown(void)
{
	char cmd[128];

	pt_ks_close(ks);
	ks = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", ksdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Decrypt @s as the bank does and check card data, PIN and MAC. */
static void bank_check(const struct pd_sealed *s, const char *pin)
{
	uint8_t bdk[16], txn[32], key[32], plain[256], mac[16], data[2048];
	size_t n, plen, klen;
	char got[PT_PIN_MAX + 1];
	struct pd_tlv t;
	int dl;

	hex(bdk_hex, bdk, &n);
	if (s->aes) {
		ck_assert_int_eq(pt_dukpt_aes_host_txn_key(bdk, 16, s->ksn, txn), 0);
		ck_assert_int_eq(pt_dukpt_aes_working_key(txn, 16, s->ksn,
				PT_DUKPT_DATA_ENC, PT_KT_AES128, key), 0);
		klen = 16;
	} else {
		ck_assert_int_eq(pt_dukpt_tdes_host_txn_key(bdk, s->ksn, txn), 0);
		ck_assert_int_eq(pt_dukpt_tdes_working_key(txn, PT_DUKPT_DATA_ENC, key), 0);
		klen = 16;
	}
	ck_assert_int_eq(pt_data_decrypt(s->aes ? PT_ALG_AES : PT_ALG_TDES, key,
					 klen, NULL, s->f62, s->f62_len, plain,
					 sizeof(plain), &plen), 0);
	ck_assert_int_eq(pd_tlv_find(plain, plen, 0x57, &t), 1);
	ck_assert_uint_eq(plain[0], 0x57);
	if (pin) {
		if (s->aes)
			ck_assert_int_eq(pt_dukpt_aes_working_key(txn, 16, s->ksn,
					PT_DUKPT_PIN, PT_KT_AES128, key), 0);
		else
			ck_assert_int_eq(pt_dukpt_tdes_working_key(txn, PT_DUKPT_PIN, key), 0);
		ck_assert_int_eq(pt_pinblock_decrypt(s->pin_format, key, klen,
				s->pinblock, s->pinblock_len, PAN, got), 0);
		ck_assert_str_eq(got, pin);
	}
	if (s->aes)
		ck_assert_int_eq(pt_dukpt_aes_working_key(txn, 16, s->ksn,
				PT_DUKPT_MAC_GEN, PT_KT_AES128, key), 0);
	else
		ck_assert_int_eq(pt_dukpt_tdes_working_key(txn, PT_DUKPT_MAC_GEN, key), 0);
	dl = pd_mac_data(s, data, sizeof(data));
	ck_assert_int_gt(dl, 0);
	if (s->aes)
		ck_assert_int_eq(pt_cmac(PT_ALG_AES, key, 16, data, (size_t)dl, mac), 0);
	else
		ck_assert_int_eq(pt_retail_mac(key, 16, PT_PAD_M2, data, (size_t)dl, mac), 0);
	ck_assert_int_eq(memcmp(mac, s->mac, 8), 0);
	/* field 53 */
	ck_assert_uint_eq(s->f53[0], s->aes ? 1 : 2);
	ck_assert_int_eq(memcmp(s->f53 + 4, s->ksn, s->ksn_len), 0);
}

/* SHA-256 of two payment requests: A, the one the card data is sealed
 * for, and B, another one */
static const uint8_t HASH_A[32] = {
	0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0,
	0xc5, 0x5a, 0xd0, 0x15, 0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c,
	0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08,
};
#define HASH_A_HEX "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define HASH_B_HEX "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"

static void seal_one(int aes)
{
	struct payterm_swipe sw;
	struct pd_card c;
	struct pd_seal *s;
	struct pd_sealed out;
	uint8_t data[2048];
	int n;

	ks_setup(aes);
	make_swipe(&sw, T1, T2);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	ck_assert_int_eq(pd_seal_begin(ks, -1, &s), 0);
	ck_assert_int_eq(pd_seal_card(s, &c), 0);
	ck_assert_int_eq(pd_seal_pin(s, "1234"), 0);
	ck_assert_int_eq(pd_seal_finish(s, 1234, "978", "901", HASH_A, NULL, 0,
					&out, NULL), 0);
	pd_seal_free(s);
	ck_assert_int_eq(out.pin_format, aes ? 4 : 0);
	bank_check(&out, "1234");
	ck_assert_str_eq(out.amount, "000000001234");
	ck_assert_str_eq(out.req_hash, HASH_A_HEX);
	n = pd_mac_data(&out, data, sizeof(data));
	/* field 48 (LLL 064, the request hash) between 22 and 49 */
	ck_assert_int_eq(memcmp(data, "004000000001234022901048064", 27), 0);
	ck_assert_int_eq(memcmp(data + 27, HASH_A_HEX, 64), 0);
	ck_assert_int_eq(memcmp(data + 91, "049978", 6), 0);
	ck_assert_int_eq(memcmp(data + 97, aes ? "053" : "052", 3), 0);
	ck_assert_int_eq(memcmp(data + n - (int)(2 * out.f62_len) - 6, "062", 3), 0);
	/* a wrong format for the key kind is refused */
	ck_assert_int_eq(pd_seal_begin(ks, aes ? 0 : 4, &s), -EINVAL);
	ks_teardown();
}

START_TEST(t_seal_aes)
{
	seal_one(1);
}
END_TEST

/* The bank's response MAC over the answer (as payterm-bank: MAC_VER key),
 * with field 48 = @req_hash. */
static void bank_resp_mac_h(const struct pd_sealed *s, const char *req_hash,
			    const char *rc, const char *auth, char hexmac[17])
{
	uint8_t bdk[16], txn[32], key[32], mac[16], data[256];
	size_t n;
	int dl;

	hex(bdk_hex, bdk, &n);
	if (s->aes) {
		ck_assert_int_eq(pt_dukpt_aes_host_txn_key(bdk, 16, s->ksn, txn), 0);
		ck_assert_int_eq(pt_dukpt_aes_working_key(txn, 16, s->ksn,
				PT_DUKPT_MAC_VER, PT_KT_AES128, key), 0);
	} else {
		ck_assert_int_eq(pt_dukpt_tdes_host_txn_key(bdk, s->ksn, txn), 0);
		ck_assert_int_eq(pt_dukpt_tdes_working_key(txn, PT_DUKPT_MAC_VER, key), 0);
	}
	dl = pd_resp_mac_data(s->amount, auth, rc, req_hash, s->currency,
			      s->f53, data, sizeof(data));
	ck_assert_int_gt(dl, 0);
	if (s->aes)
		ck_assert_int_eq(pt_cmac(PT_ALG_AES, key, 16, data, (size_t)dl, mac), 0);
	else
		ck_assert_int_eq(pt_retail_mac(key, 16, PT_PAD_M2, data, (size_t)dl, mac), 0);
	pt_hex_encode(mac, 8, hexmac);
}

/* ... for the request the card data was sealed for */
static void bank_resp_mac(const struct pd_sealed *s, const char *rc,
			  const char *auth, char hexmac[17])
{
	bank_resp_mac_h(s, s->req_hash, rc, auth, hexmac);
}

static void resp_mac_one(int aes)
{
	struct payterm_swipe sw;
	struct pd_card c;
	struct pd_seal *s;
	struct pd_sealed out;
	struct pd_respmac *rm = NULL;
	char good[17], bad[17], lower[17], decl[17], other[17];
	uint8_t data[256];
	int n;

	ks_setup(aes);
	make_swipe(&sw, T1, T2);
	ck_assert_int_eq(pd_card_from_swipe(&sw, &c), PD_CARD_OK);
	ck_assert_int_eq(pd_seal_begin(ks, -1, &s), 0);
	ck_assert_int_eq(pd_seal_card(s, &c), 0);
	ck_assert_int_eq(pd_seal_pin(s, "1234"), 0);
	ck_assert_int_eq(pd_seal_finish(s, 1234, "978", "901", HASH_A, NULL, 0,
					&out, &rm), 0);
	pd_seal_free(s);
	ck_assert_ptr_nonnull(rm);
	/* MAC data: 004 amount 038 auth (anp 6) 039 rc 048 request hash
	 * 049 currency 053 f53 */
	n = pd_resp_mac_data(out.amount, "A1B2", "00", out.req_hash,
			     out.currency, out.f53, data, sizeof(data));
	ck_assert_int_eq(n, 3 + 12 + 3 + 6 + 3 + 2 + 6 + 64 + 3 + 3 + 3 + 48);
	ck_assert_int_eq(memcmp(data, "004000000001234038A1B2  03900048064", 35), 0);
	ck_assert_int_eq(memcmp(data + 35, HASH_A_HEX "049978053", 64 + 9), 0);
	ck_assert_int_eq(memcmp(data + 108, out.f53, 48), 0);
	n = pd_resp_mac_data(out.amount, NULL, "05", out.req_hash, out.currency,
			     out.f53, data, sizeof(data));
	ck_assert_int_eq(n, 26 + 70 + 3 + 48);
	ck_assert_int_eq(memcmp(data, "00400000000123403905048064", 26), 0);
	ck_assert_int_eq(memcmp(data + 26 + 64, "049978053", 9), 0);
	ck_assert_int_eq(pd_resp_mac_data(out.amount, NULL, "05", "", out.currency,
					  out.f53, data, sizeof(data)), -EINVAL);

	/* the bank's MAC of an approval of another request (field 48 B): the
	 * terminal checks against its own hash (A), so it does not verify */
	bank_resp_mac_h(&out, HASH_B_HEX, "00", "A1B2C3", other);
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", other), PD_MAC_BAD);

	bank_resp_mac(&out, "00", "A1B2C3", good);
	/* good MAC, either case */
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", good), PD_MAC_OK);
	for (n = 0; n < 16; n++)
		lower[n] = (char)tolower((unsigned char)good[n]);
	lower[16] = '\0';
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", lower), PD_MAC_OK);
	/* the same MAC for another answer: another code, auth code, amount */
	ck_assert_int_eq(pd_respmac_verify(rm, "05", "A1B2C3", good), PD_MAC_BAD);
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C4", good), PD_MAC_BAD);
	ck_assert_int_eq(pd_respmac_verify(rm, "00", NULL, good), PD_MAC_BAD);
	/* one bit flipped, truncated, not hex */
	memcpy(bad, good, sizeof(bad));
	bad[15] = bad[15] == '0' ? '1' : '0';
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", bad), PD_MAC_BAD);
	bad[15] = '\0';
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", bad), PD_MAC_BAD);
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", "zz00000000000000"),
			 PD_MAC_BAD);
	/* missing */
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", NULL), PD_MAC_MISSING);
	ck_assert_int_eq(pd_respmac_verify(rm, "00", "A1B2C3", ""), PD_MAC_MISSING);
	ck_assert_int_eq(pd_respmac_verify(NULL, "00", "A1B2C3", good), PD_MAC_NOKEY);
	/* a decline (no field 38) */
	bank_resp_mac(&out, "51", NULL, decl);
	ck_assert_int_eq(pd_respmac_verify(rm, "51", NULL, decl), PD_MAC_OK);
	ck_assert_int_eq(pd_respmac_verify(rm, "51", "", decl), PD_MAC_OK);
	pd_respmac_free(rm);
	pd_respmac_free(NULL);
	ks_teardown();
}

START_TEST(t_resp_mac_aes)
{
	resp_mac_one(1);
}
END_TEST

START_TEST(t_resp_mac_tdes)
{
	resp_mac_one(0);
}
END_TEST

START_TEST(t_seal_tdes)
{
	seal_one(0);
}
END_TEST

/* ---------------- state machine with a fake reader ---------------- */

struct fake {
	struct pd_io io;
	int claimed, released, closed, pin_started, pin_aborted;
	int claim_err;
	struct payterm_swipe sw;
	int have_swipe;
	char pin[16];
	struct payterm_pin_params pp;
	int *closed_flag;
};

static int f_claim(struct pd_io *io)
{
	struct fake *f = (struct fake *)io;

	if (f->claim_err)
		return f->claim_err;
	f->claimed++;
	return 0;
}

static int f_release(struct pd_io *io)
{
	((struct fake *)io)->released++;
	return 0;
}

static int f_get_swipe(struct pd_io *io, struct payterm_swipe *sw)
{
	struct fake *f = (struct fake *)io;

	if (!f->have_swipe)
		return -ENODATA;
	*sw = f->sw;
	memset(&f->sw, 0, sizeof(f->sw));
	f->have_swipe = 0;
	return 0;
}

static int f_pin_start(struct pd_io *io, const struct payterm_pin_params *p)
{
	struct fake *f = (struct fake *)io;

	f->pp = *p;
	f->pin_started++;
	return 0;
}

static int f_pin_abort(struct pd_io *io)
{
	((struct fake *)io)->pin_aborted++;
	return 0;
}

static int f_get_pin(struct pd_io *io, struct payterm_pin *pin)
{
	struct fake *f = (struct fake *)io;

	memset(pin, 0, sizeof(*pin));
	pin->length = (uint8_t)strlen(f->pin);
	memcpy(pin->digits, f->pin, pin->length);
	return 0;
}

static int f_power_on(struct pd_io *io, unsigned slot, uint8_t *atr, size_t *n)
{
	return -ENOMEDIUM;
}

static int f_power_off(struct pd_io *io, unsigned slot)
{
	return 0;
}

static int f_transmit(struct pd_io *io, unsigned slot, const uint8_t *c,
		      size_t cl, uint8_t *r, size_t *rl)
{
	return -EIO;
}

static void f_close(struct pd_io *io)
{
	struct fake *f = (struct fake *)io;

	*f->closed_flag = 1;
	free(f);
}

static const struct pd_io_ops fake_ops = {
	f_claim, f_release, f_get_swipe, f_pin_start, f_pin_abort, f_get_pin,
	f_power_on, f_power_off, f_transmit, f_close,
};

static struct fake *fake_new(uint32_t caps, int *closed)
{
	struct fake *f = calloc(1, sizeof(*f));

	f->io.ops = &fake_ops;
	f->io.caps = caps;
	f->io.fd = -1;
	snprintf(f->io.name, sizeof(f->io.name), "fake");
	f->closed_flag = closed;
	*closed = 0;
	return f;
}

static struct {
	unsigned changes, finished, submits;
	char props_seen[256];
	struct pd_sealed sealed;
	int submit_ret;
} H;

static void h_changed(struct pd_txn *t, unsigned props)
{
	H.changes++;
	if (props & PD_P_PIN_DIGITS) {
		size_t l = strlen(H.props_seen);

		snprintf(H.props_seen + l, sizeof(H.props_seen) - l, "%u,",
			 t->pin_digits);
	}
}

static void h_finished(struct pd_txn *t)
{
	H.finished++;
}

static int h_submit(struct pd_txn *t, const struct pd_sealed *s)
{
	H.submits++;
	H.sealed = *s;
	return H.submit_ret;
}

static int64_t h_now(void)
{
	return 1767225600;	/* 2026-01-01 */
}

static const struct pd_txn_hooks hooks = {
	.changed = h_changed,
	.finished = h_finished,
	.submit = h_submit,
	.now = h_now,
};

static struct pd_config cfg;
static sd_event *ev;
static struct pd_request req;

static void sm_setup(void)
{
	memset(&H, 0, sizeof(H));
	memset(&cfg, 0, sizeof(cfg));
	cfg.pin_min = 4;
	cfg.pin_max = 12;
	cfg.pin_timeout_s = 30;
	cfg.card_timeout_s = 60;
	cfg.txn_timeout_s = 180;
	cfg.entry_modes = PD_ENTRY_ALL;
	cfg.chip_fallback = true;
	cfg.pin_block_format = -1;
	cfg.cvm_limit = 5000;
	memcpy(cfg.country, "276", 4);
	memset(&req, 0, sizeof(req));
	snprintf(req.id, sizeof(req.id), "req-1");
	req.amount = 1234;
	memcpy(req.currency, "978", 4);
	memcpy(req.currency_alpha, "EUR", 4);
	memcpy(req.jws_hash, HASH_A, sizeof(req.jws_hash));
	ck_assert_int_ge(sd_event_new(&ev), 0);
	ks_setup(1);
}

static void sm_teardown(void)
{
	ks_teardown();
	sd_event_unref(ev);
}

static struct pd_txn *new_txn(struct fake **msr, struct fake **pad,
			      int *c1, int *c2, uint32_t msr_caps)
{
	struct pd_txn *t = pd_txn_new(ev, &cfg, ks, &req, PD_ENTRY_ALL, &hooks,
				      NULL);

	*msr = fake_new(msr_caps, c1);
	*pad = fake_new(PAYTERM_CAP_PINPAD, c2);
	ck_assert_int_eq(pd_txn_add_io(t, &(*msr)->io), 0);
	ck_assert_int_eq(pd_txn_add_io(t, &(*pad)->io), 0);
	return t;
}

static void event(struct pd_txn *t, struct fake *f, int type, int value,
		  int flags)
{
	struct payterm_event e = { .type = (uint16_t)type, .value = value,
				   .flags = (uint8_t)flags };

	pd_txn_event(t, &f->io, &e);
}

static void swipe(struct pd_txn *t, struct fake *f, const char *t1,
		  const char *t2)
{
	make_swipe(&f->sw, t1, t2);
	f->have_swipe = 1;
	event(t, f, PAYTERM_EV_SWIPE, 3, PAYTERM_EVF_DATA_READY);
}

START_TEST(t_sm_swipe_pin)
{
	struct fake *msr, *pad;
	int c1, c2;
	struct pd_txn *t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);

	ck_assert_int_eq(pd_txn_start(t), 0);
	ck_assert_int_eq(msr->claimed, 1);
	ck_assert_int_eq(pad->claimed, 1);
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	swipe(t, msr, NULL, ";4111111111111111=310610100000000?");
	ck_assert_int_eq(t->state, PD_ST_WAIT_PIN);
	ck_assert_str_eq(t->masked_pan, "411111******1111");
	ck_assert_str_eq(t->entry_mode, "swipe");
	ck_assert_int_eq(pad->pin_started, 1);
	ck_assert_uint_eq(pad->pp.min_length, 4);
	ck_assert_uint_eq(pad->pp.timeout_ms, 30000);
	event(t, pad, PAYTERM_EV_PIN_DIGITS, 1, 0);
	event(t, pad, PAYTERM_EV_PIN_DIGITS, 2, 0);
	event(t, pad, PAYTERM_EV_PIN_DIGITS, 1, 0);
	event(t, pad, PAYTERM_EV_PIN_DIGITS, 4, 0);
	ck_assert_str_eq(H.props_seen, "1,2,1,4,");
	snprintf(pad->pin, sizeof(pad->pin), "9876");
	event(t, pad, PAYTERM_EV_PIN_ENTERED, 4, 0);
	ck_assert_int_eq(t->state, PD_ST_SUBMIT);
	ck_assert_uint_eq(H.submits, 1);
	/* readers are given back as soon as the data is sealed */
	ck_assert(c1 && c2);
	ck_assert_uint_eq(t->n_io, 0);
	ck_assert_ptr_null(t->seal);
	/* only the response MAC key is kept for the answer */
	ck_assert_ptr_nonnull(t->respmac);
	ck_assert_str_eq(H.sealed.entry_mode, "901");
	ck_assert_int_eq(pd_txn_cancel(t, NULL), -EINPROGRESS);
	{
		char mac[17];

		/* approved only with the bank's MAC of this very answer */
		bank_resp_mac(&H.sealed, "00", "123456", mac);
		ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "123456", mac),
				 PD_MAC_OK);
	}
	pd_txn_submit_result(t, "00", "123456", "Approved");
	ck_assert_ptr_null(t->respmac);	/* wiped at the end */
	ck_assert_int_eq(t->state, PD_ST_APPROVED);
	ck_assert_str_eq(t->auth_code, "123456");
	ck_assert_str_eq(t->result_code, "00");
	ck_assert_uint_eq(H.finished, 1);
	ck_assert_int_eq(pd_txn_cancel(t, NULL), -EALREADY);
	pd_txn_free(t);
}
END_TEST

START_TEST(t_sm_declined)
{
	struct fake *msr, *pad;
	int c1, c2;
	struct pd_txn *t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);

	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, T1, T2);
	snprintf(pad->pin, sizeof(pad->pin), "0000");
	event(t, pad, PAYTERM_EV_PIN_ENTERED, 4, 0);
	pd_txn_submit_result(t, "55", NULL, "Declined: incorrect PIN");
	ck_assert_int_eq(t->state, PD_ST_DECLINED);
	ck_assert_str_eq(t->result_code, "55");
	pd_txn_free(t);
}
END_TEST

/* The answer's MAC through the transaction: checked once, key wiped. */
START_TEST(t_sm_resp_mac)
{
	struct fake *msr, *pad;
	int c1, c2, i;
	char good[17];
	static const char *const bad[] = { "0000000000000000", NULL };

	for (i = 0; i < 3; i++) {
		struct pd_txn *t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);

		ck_assert_int_eq(pd_txn_start(t), 0);
		swipe(t, msr, T1, T2);
		snprintf(pad->pin, sizeof(pad->pin), "1234");
		event(t, pad, PAYTERM_EV_PIN_ENTERED, 4, 0);
		ck_assert_int_eq(t->state, PD_ST_SUBMIT);
		ck_assert_ptr_nonnull(t->respmac);
		if (i == 0) {
			/* good MAC */
			bank_resp_mac(&H.sealed, "00", "XY12", good);
			ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "XY12", good),
					 PD_MAC_OK);
			ck_assert_ptr_null(t->respmac);
			pd_txn_submit_result(t, "00", "XY12", "Approved");
			ck_assert_int_eq(t->state, PD_ST_APPROVED);
		} else {
			/* bad (1) or missing (2) MAC: the key is gone after the
			 * check, a second answer cannot be checked */
			ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "XY12", bad[i - 1]),
					 i == 1 ? PD_MAC_BAD : PD_MAC_MISSING);
			ck_assert_ptr_null(t->respmac);
			bank_resp_mac(&H.sealed, "00", "XY12", good);
			ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "XY12", good),
					 PD_MAC_NOKEY);
			/* whoever calls it with 00 now: not approved */
			pd_txn_submit_result(t, "00", "XY12", "Approved");
			ck_assert_int_eq(t->state, PD_ST_FAILED);
			ck_assert_str_eq(t->result_code, "");
			ck_assert_str_eq(t->auth_code, "");
		}
		pd_txn_free(t);
	}
}
END_TEST

/* The request hash of the payment request (field 48) is sealed into the
 * request MAC and bound by the response MAC. */
static enum pd_mac_check txn_mac(void *arg, const char *rc, const char *auth,
				 const char *mac)
{
	return pd_txn_check_resp_mac(arg, rc, auth, mac);
}

START_TEST(t_sm_request_hash)
{
	struct fake *msr, *pad;
	int c1, c2, i;
	char mac[17];

	for (i = 0; i < 2; i++) {
		struct pd_txn *t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
		struct pd_view_ctx c = {
			.have_keys = true, .amount = 1234, .currency = "EUR",
			.check_mac = txn_mac, .arg = t,
		};
		struct pd_verdict v;
		char view[512];
		json_t *j;

		ck_assert_int_eq(pd_txn_start(t), 0);
		swipe(t, msr, T1, T2);
		snprintf(pad->pin, sizeof(pad->pin), "1234");
		event(t, pad, PAYTERM_EV_PIN_ENTERED, 4, 0);
		ck_assert_int_eq(t->state, PD_ST_SUBMIT);
		/* sealed for the request the transaction was started with */
		ck_assert_str_eq(H.sealed.req_hash, HASH_A_HEX);
		bank_check(&H.sealed, "1234");
		/* i == 0: the bank approved request A (this one); i == 1: it
		 * approved request B -- e.g. a server that booked the card
		 * data for another order -- and the server presents that */
		bank_resp_mac_h(&H.sealed, i ? HASH_B_HEX : HASH_A_HEX, "00",
				"XY12", mac);
		snprintf(view, sizeof(view), "{\"state\":\"approved\",\"approved\":"
			 "true,\"response_code\":\"00\",\"auth_code\":\"XY12\","
			 "\"amount\":1234,\"currency\":\"EUR\",\"response_mac\":"
			 "\"%s\"}", mac);
		j = json_loads(view, 0, NULL);
		ck_assert_ptr_nonnull(j);
		pd_judge_view(&c, j, &v);
		json_decref(j);
		if (!i) {
			ck_assert_int_eq(v.kind, PD_V_FINAL);
			ck_assert_int_eq(v.state, PD_ST_APPROVED);
			ck_assert(v.mac_verified);
			pd_txn_submit_result(t, "00", "XY12", "Approved");
			ck_assert_int_eq(t->state, PD_ST_APPROVED);
		} else {
			ck_assert_int_ne(v.kind, PD_V_FINAL);
			ck_assert(!v.mac_verified);
			/* and the state machine refuses the 00 as well */
			pd_txn_submit_result(t, "00", "XY12", "Approved");
			ck_assert_int_eq(t->state, PD_ST_FAILED);
			ck_assert_str_eq(t->auth_code, "");
		}
		pd_txn_free(t);
	}
}
END_TEST

/* 00 is an approval only for the answer whose MAC verified. */
START_TEST(t_sm_approval_needs_mac)
{
	struct fake *msr, *pad;
	int c1, c2, i;
	char mac[17];

	for (i = 0; i < 3; i++) {
		struct pd_txn *t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);

		ck_assert_int_eq(pd_txn_start(t), 0);
		swipe(t, msr, T1, T2);
		snprintf(pad->pin, sizeof(pad->pin), "1234");
		event(t, pad, PAYTERM_EV_PIN_ENTERED, 4, 0);
		ck_assert_int_eq(t->state, PD_ST_SUBMIT);
		if (i == 0) {
			/* never checked */
			pd_txn_submit_result(t, "00", "AB12", "Approved");
		} else if (i == 1) {
			/* the bank's MAC of a decline: 05 verified, 00 claimed */
			bank_resp_mac(&H.sealed, "05", NULL, mac);
			ck_assert_int_eq(pd_txn_check_resp_mac(t, "05", NULL, mac),
					 PD_MAC_OK);
			pd_txn_submit_result(t, "00", NULL, "Approved");
		} else {
			/* verified for another auth code */
			bank_resp_mac(&H.sealed, "00", "AB12", mac);
			ck_assert_int_eq(pd_txn_check_resp_mac(t, "00", "AB12", mac),
					 PD_MAC_OK);
			pd_txn_submit_result(t, "00", "ZZ99", "Approved");
		}
		ck_assert_int_eq(t->state, PD_ST_FAILED);
		ck_assert_str_eq(t->message, "Bank answer not authenticated");
		ck_assert_str_eq(t->result_code, "");
		pd_txn_free(t);
	}
}
END_TEST

START_TEST(t_sm_chip_card_swiped)
{
	struct fake *rd, *pad;
	int c1, c2;
	struct pd_txn *t = new_txn(&rd, &pad, &c1, &c2,
				   PAYTERM_CAP_MSR | PAYTERM_CAP_ICC);

	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, rd, T1, T2);	/* service code 201: use the chip */
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	ck_assert_str_eq(t->message, "Chip card: insert the card");
	/* the chip fails (fake: no card answers) -> fallback to swipe */
	event(t, rd, PAYTERM_EV_CARD_INSERTED, 0, 0);
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	ck_assert_str_eq(t->message, "Chip error: swipe the card");
	swipe(t, rd, T1, T2);
	ck_assert_int_eq(t->state, PD_ST_WAIT_PIN);
	pd_txn_free(t);
	ck_assert(c1 && c2);
}
END_TEST

START_TEST(t_sm_errors)
{
	struct fake *msr, *pad;
	int c1, c2;
	struct pd_txn *t;

	/* unreadable, expired */
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, NULL, ";4761739001010011=301220100000001?");
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	ck_assert_str_eq(t->message, "Card not readable: swipe again");
	/* no service code on the stripe: not a card to pay with */
	swipe(t, msr, NULL, ";4761739001010010=3012=100000001?");
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	ck_assert_str_eq(t->message,
			 "Card not accepted: no expiry or service code on the stripe");
	event(t, msr, PAYTERM_EV_SWIPE_ERROR, 0, 0);
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	swipe(t, msr, NULL, ";4761739001010119=201210100000001?");
	ck_assert_int_eq(t->state, PD_ST_DECLINED);
	ck_assert_str_eq(t->result_code, "54");
	ck_assert_uint_eq(H.submits, 0);
	pd_txn_free(t);

	/* cancel on the keypad */
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, T1, T2);
	event(t, pad, PAYTERM_EV_PIN_CANCELLED, 0, 0);
	ck_assert_int_eq(t->state, PD_ST_CANCELLED);
	ck_assert(c1 && c2);
	pd_txn_free(t);

	/* cancel by the caller during PIN: the session is aborted */
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, T1, T2);
	ck_assert_int_eq(pd_txn_cancel(t, "Caller disconnected"), 0);
	ck_assert_int_eq(t->state, PD_ST_CANCELLED);
	ck_assert_str_eq(t->message, "Caller disconnected");
	pd_txn_free(t);

	/* PIN pad unplugged during PIN */
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, T1, T2);
	pd_txn_io_gone(t, &pad->io);
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	ck_assert_str_eq(t->message, "Reader unplugged");
	ck_assert(c2);
	pd_txn_free(t);

	/* PIN timeout from the kernel */
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, T1, T2);
	event(t, pad, PAYTERM_EV_PIN_TIMEOUT, 0, 0);
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	pd_txn_free(t);

	/* submission fails */
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	swipe(t, msr, T1, T2);
	snprintf(pad->pin, sizeof(pad->pin), "1234");
	event(t, pad, PAYTERM_EV_PIN_ENTERED, 4, 0);
	pd_txn_submit_failed(t, "Payment server unreachable");
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	ck_assert_str_eq(t->message, "Payment server unreachable");
	pd_txn_free(t);

	/* no PIN pad, claimed elsewhere */
	t = pd_txn_new(ev, &cfg, ks, &req, PD_ENTRY_ALL, &hooks, NULL);
	msr = fake_new(PAYTERM_CAP_MSR, &c1);
	pd_txn_add_io(t, &msr->io);
	ck_assert_int_eq(pd_txn_start(t), -ENODEV);
	pd_txn_free(t);
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	pad->claim_err = -EBUSY;
	ck_assert_int_eq(pd_txn_start(t), -EBUSY);
	ck_assert_int_eq(msr->released, 1);
	pd_txn_free(t);
}
END_TEST

START_TEST(t_sm_card_timeout)
{
	struct fake *msr, *pad;
	int c1, c2;
	struct pd_txn *t;

	cfg.card_timeout_s = 1;
	t = new_txn(&msr, &pad, &c1, &c2, PAYTERM_CAP_MSR);
	ck_assert_int_eq(pd_txn_start(t), 0);
	for (int i = 0; i < 30 && t->state == PD_ST_WAIT_CARD; i++)
		sd_event_run(ev, 100000);
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	ck_assert_str_eq(t->message, "Timed out waiting for a card");
	pd_txn_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_core");
	TCase *tc = tcase_create("units"), *sm = tcase_create("state");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, t_tlv);
	tcase_add_test(tc, t_card_swipe);
	tcase_add_test(tc, t_card_swipe_incomplete);
	tcase_add_test(tc, t_card_t57);
	tcase_add_test(tc, t_request);
	tcase_add_test(tc, t_request_lifetime);
	tcase_add_test(tc, t_used);
	tcase_add_test(tc, t_pending);
	tcase_add_test(tc, t_seal_aes);
	tcase_add_test(tc, t_seal_tdes);
	tcase_add_test(tc, t_resp_mac_aes);
	tcase_add_test(tc, t_resp_mac_tdes);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(sm, sm_setup, sm_teardown);
	tcase_add_test(sm, t_sm_swipe_pin);
	tcase_add_test(sm, t_sm_declined);
	tcase_add_test(sm, t_sm_resp_mac);
	tcase_add_test(sm, t_sm_request_hash);
	tcase_add_test(sm, t_sm_approval_needs_mac);
	tcase_add_test(sm, t_sm_chip_card_swiped);
	tcase_add_test(sm, t_sm_errors);
	tcase_add_test(sm, t_sm_card_timeout);
	tcase_set_timeout(sm, 30);
	suite_add_tcase(s, sm);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(server_key);
	return failed ? 1 : 0;
}
