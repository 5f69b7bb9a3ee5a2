// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd EMV: selection by priority (PSE, PPSE, list of AIDs with
 * partial names), PDOL/CDOL filling, GPO formats 1 and 2, AFL parsing,
 * T=0 procedure bytes (61xx / 6Cxx), malformed answers and card errors,
 * and the state machine's handling of them; against a small card
 * emulator behind a fake reader.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../daemon/paytermd/emv_int.h"
#include "../../../daemon/paytermd/secure.h"
#include "../../../daemon/paytermd/tlv.h"
#include "../../../daemon/paytermd/txn.h"
#include "../check_main.h"

/* ---------------- helpers ---------------- */

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		ck_assert_int_eq(sscanf(h, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void put(uint8_t *b, size_t cap, size_t *off, uint32_t tag,
		const uint8_t *v, size_t n)
{
	ck_assert_int_eq(pd_tlv_put(b, cap, off, tag, v, n), 0);
}

static void puth(uint8_t *b, size_t cap, size_t *off, uint32_t tag,
		 const char *h)
{
	uint8_t v[128];

	put(b, cap, off, tag, v, unhex(h, v));
}

/* ---------------- the card ---------------- */

#define CDOL1_HEX "9F02069F03069F1A0295055F2A029A039C019F3704"
#define PDOL_HEX "9F02069F1A0295055F2A029A039C019F3704"
#define T57_HEX "4761739001010010D301220100000001"
#define PAN "4761739001010010"

struct app {
	const char *aid;
	int api;		/* tag 87, -1 none */
	int gpo_fmt;		/* 1 or 2 */
	int gpo_sw;		/* 0 = 9000 */
	int select_sw;		/* 0 = 9000 */
};

struct card {
	struct app app[4];
	int n_app;
	bool t0;		/* 61xx for case 4, 6Cxx for a wrong Le */
	bool contactless;
	bool pse;		/* has a PSE (contact) / PPSE */
	int blocked_sw;		/* answer to every SELECT, 0 none */
	int remove_at, mute_at;	/* command number, 0 never */
	int cid;		/* GENERATE AC CID */
	const char *pdol;	/* hex */
	const char *afl;	/* hex */
	const char *t57;	/* hex */
	const char *pan5a;	/* hex */
	const char *gpo_raw;	/* hex: whole answer data to GPO */
	const char *rec1_raw;	/* hex: whole record 1 */
	const char *cdol1;	/* hex: tag 8C of record 2 */
	const char *rec2_more;	/* hex: more objects in record 2 */
	const char *gac_raw;	/* hex: whole answer data to GENERATE AC */
	bool dup_tag;		/* record 2 repeats 57 */

	int ncmd, n_getresp, n_6c;
	int sel;		/* -1 none, -2 PSE, -3 PPSE, else app */
	uint8_t pending[512];
	size_t pending_len;
	uint8_t gpo_data[256], cdol_data[256];
	size_t gpo_len, cdol_len;
	char log[64][12];	/* INS and P1P2 of each command */
};

static struct card C;

static void card_init(void)
{
	memset(&C, 0, sizeof(C));
	C.n_app = 2;
	C.app[0] = (struct app){ "A0000000032010", 2, 1, 0, 0 };
	C.app[1] = (struct app){ "A0000000031010", 1, 2, 0, 0 };
	C.pse = true;
	C.cid = 0x80;
	C.pdol = PDOL_HEX;
	C.afl = "08010200";
	C.t57 = T57_HEX;
	C.pan5a = PAN;
	C.cdol1 = CDOL1_HEX;
	C.sel = -1;
}

static size_t dir_entries(uint8_t *b, size_t cap)
{
	size_t off = 0;

	for (int i = 0; i < C.n_app; i++) {
		uint8_t e[64];
		size_t eo = 0;
		uint8_t api = (uint8_t)C.app[i].api;

		puth(e, sizeof(e), &eo, 0x4f, C.app[i].aid);
		put(e, sizeof(e), &eo, 0x50, (const uint8_t *)"APP", 3);
		if (C.app[i].api >= 0)
			put(e, sizeof(e), &eo, 0x87, &api, 1);
		put(b, cap, &off, 0x61, e, eo);
	}
	return off;
}

/* the response data and SW of one command (APDU level) */
static int answer(const uint8_t *c, size_t n, uint8_t *out, size_t *olen)
{
	uint8_t ins = c[1], p1 = c[2], p2 = c[3], t[512], u[512];
	size_t lc = n > 5 ? c[4] : 0, to = 0, uo = 0;
	const uint8_t *data = c + 5;

	*olen = 0;
	if (ins == 0xa4) {
		uint8_t name[32];
		size_t nl;

		if (C.blocked_sw)
			return C.blocked_sw;
		if (lc == 14 && !memcmp(data, C.contactless ? "2PAY.SYS.DDF01" :
					"1PAY.SYS.DDF01", 14)) {
			if (!C.pse)
				return 0x6a82;
			C.sel = C.contactless ? -3 : -2;
			if (C.contactless) {
				uo = dir_entries(u, sizeof(u));
				put(t, sizeof(t), &to, 0xbf0c, u, uo);
			} else {
				puth(t, sizeof(t), &to, 0x88, "01");
			}
			uo = 0;
			put(u, sizeof(u), &uo, 0x84, data, lc);
			put(u, sizeof(u), &uo, 0xa5, t, to);
			put(out, 512, olen, 0x6f, u, uo);
			return 0x9000;
		}
		/* partial names: P2 02 = next occurrence after the current */
		for (int i = (p2 == 0x02 && C.sel >= 0) ? C.sel + 1 : 0;
		     i < C.n_app; i++) {
			nl = unhex(C.app[i].aid, name);
			if (lc > nl || memcmp(name, data, lc))
				continue;
			if (C.app[i].select_sw)
				return C.app[i].select_sw;
			C.sel = i;
			if (C.app[i].api >= 0) {
				uint8_t api = (uint8_t)C.app[i].api;

				put(t, sizeof(t), &to, 0x87, &api, 1);
			}
			if (C.pdol)
				puth(t, sizeof(t), &to, 0x9f38, C.pdol);
			put(u, sizeof(u), &uo, 0x84, name, nl);
			put(u, sizeof(u), &uo, 0xa5, t, to);
			put(out, 512, olen, 0x6f, u, uo);
			return 0x9000;
		}
		return 0x6a82;
	}
	if (ins == 0xb2) {
		unsigned sfi = p2 >> 3;

		if (C.sel == -2 && sfi == 1) {
			if (p1 != 1)
				return 0x6a83;
			uo = dir_entries(u, sizeof(u));
			put(out, 512, olen, 0x70, u, uo);
			return 0x9000;
		}
		if (C.sel < 0)
			return 0x6985;
		if (sfi == 1 && p1 == 1) {
			if (C.rec1_raw) {
				*olen = unhex(C.rec1_raw, out);
				return 0x9000;
			}
			puth(u, sizeof(u), &uo, 0x57, C.t57);
			put(u, sizeof(u), &uo, 0x5f20,
			    (const uint8_t *)"PAYTERM/VISA OK", 15);
			/* also in the FCI: not a duplicate */
			puth(u, sizeof(u), &uo, 0x87, "01");
			put(out, 512, olen, 0x70, u, uo);
			return 0x9000;
		}
		if (sfi == 1 && p1 == 2) {
			char pan[24];

			snprintf(pan, sizeof(pan), "%s%s", C.pan5a,
				 strlen(C.pan5a) % 2 ? "F" : "");
			puth(u, sizeof(u), &uo, 0x5a, pan);
			puth(u, sizeof(u), &uo, 0x5f24, "301231");
			puth(u, sizeof(u), &uo, 0x5f34, "01");
			puth(u, sizeof(u), &uo, 0x8c, C.cdol1);
			puth(u, sizeof(u), &uo, 0x8d, "8A029F02069505");
			if (C.dup_tag)
				puth(u, sizeof(u), &uo, 0x57, C.t57);
			if (C.rec2_more)
				uo += unhex(C.rec2_more, u + uo);
			put(out, 512, olen, 0x70, u, uo);
			return 0x9000;
		}
		return 0x6a83;
	}
	if (ins == 0xa8) {
		const struct app *a;

		if (C.sel < 0)
			return 0x6985;
		a = &C.app[C.sel];
		if (a->gpo_sw)
			return a->gpo_sw;
		memcpy(C.gpo_data, data, lc);
		C.gpo_len = lc;
		if (C.gpo_raw) {
			*olen = unhex(C.gpo_raw, out);
			return 0x9000;
		}
		if (a->gpo_fmt == 1) {
			char h[64];

			snprintf(h, sizeof(h), "1800%s", C.afl);
			puth(out, 512, olen, 0x80, h);
		} else {
			puth(u, sizeof(u), &uo, 0x82, "1800");
			puth(u, sizeof(u), &uo, 0x94, C.afl);
			put(out, 512, olen, 0x77, u, uo);
		}
		return 0x9000;
	}
	if (ins == 0xae) {
		uint8_t cid = (uint8_t)C.cid;

		memcpy(C.cdol_data, data, lc);
		C.cdol_len = lc;
		if (C.gac_raw) {
			*olen = unhex(C.gac_raw, out);
			return 0x9000;
		}
		if (C.app[C.sel].gpo_fmt == 1) {
			char h[64];

			snprintf(h, sizeof(h), "%02X0001111213141516171806010A03A00000",
				 C.cid);
			puth(out, 512, olen, 0x80, h);
		} else {
			put(u, sizeof(u), &uo, 0x9f27, &cid, 1);
			puth(u, sizeof(u), &uo, 0x9f36, "0001");
			puth(u, sizeof(u), &uo, 0x9f26, "1112131415161718");
			puth(u, sizeof(u), &uo, 0x9f10, "06010A03A00000");
			put(out, 512, olen, 0x77, u, uo);
		}
		return 0x9000;
	}
	return 0x6d00;
}

struct fio {
	struct pd_io io;
};

static int c_transmit(struct pd_io *io, unsigned slot, const uint8_t *c,
		      size_t n, uint8_t *r, size_t *rl)
{
	uint8_t data[512];
	size_t dl;
	int sw;

	ck_assert_uint_ge(n, 4);
	if (C.ncmd < 64)
		snprintf(C.log[C.ncmd], sizeof(C.log[0]), "%02X%02X%02X",
			 c[1], c[2], c[3]);
	C.ncmd++;
	if (C.remove_at && C.ncmd >= C.remove_at)
		return -ENOMEDIUM;
	if (C.mute_at && C.ncmd >= C.mute_at)
		return -ETIMEDOUT;
	if (C.t0 && c[1] == 0xc0) {		/* GET RESPONSE */
		size_t le = c[4] ? c[4] : 256;

		C.n_getresp++;
		if (!C.pending_len)
			goto sw6985;
		if (le > C.pending_len) {
			r[0] = 0x6c;
			r[1] = (uint8_t)C.pending_len;
			*rl = 2;
			return 0;
		}
		memcpy(r, C.pending, le);
		memmove(C.pending, C.pending + le, C.pending_len - le);
		C.pending_len -= le;
		r[le] = C.pending_len ? 0x61 : 0x90;
		r[le + 1] = C.pending_len ? (uint8_t)C.pending_len : 0x00;
		*rl = le + 2;
		return 0;
	}
	sw = answer(c, n, data, &dl);
	if (C.t0 && sw == 0x9000 && n > 5) {		/* case 4 */
		memcpy(C.pending, data, dl);
		C.pending_len = dl;
		r[0] = 0x61;
		r[1] = (uint8_t)dl;
		*rl = 2;
		return 0;
	}
	if (C.t0 && sw == 0x9000 && n == 5 && (c[4] ? c[4] : 256) != dl) {
		C.n_6c++;
		r[0] = 0x6c;
		r[1] = (uint8_t)dl;
		*rl = 2;
		return 0;
	}
	if (dl + 2 > *rl)
		return -EMSGSIZE;
	memcpy(r, data, dl);
	r[dl] = (uint8_t)(sw >> 8);
	r[dl + 1] = (uint8_t)sw;
	*rl = dl + 2;
	return 0;
sw6985:
	r[0] = 0x69;
	r[1] = 0x85;
	*rl = 2;
	return 0;
}

static int c_ok(struct pd_io *io)
{
	return 0;
}

static int c_power_on(struct pd_io *io, unsigned slot, uint8_t *atr,
		      size_t *n)
{
	static const uint8_t a[] = { 0x3b, 0x02, 0x14, 0x50 };

	memcpy(atr, a, sizeof(a));
	*n = sizeof(a);
	return 0;
}

static int c_power_off(struct pd_io *io, unsigned slot)
{
	return 0;
}

static void c_close(struct pd_io *io)
{
	free(io);
}

static const struct pd_io_ops card_ops = {
	.claim = c_ok, .release = c_ok, .power_on = c_power_on,
	.power_off = c_power_off, .transmit = c_transmit, .close = c_close,
};

/* ---------------- running pd_emv_read ---------------- */

static struct pd_config cfg;
static struct pd_emv_params P;
static struct pd_card *card;
static uint8_t f55[PD_F55_MAX];
static size_t f55_len;
static char msg[128];

static void setup(void)
{
	static const char *const aids[] = {
		"A0000000031010", "A0000000032010", "A0000000041010",
	};

	card_init();
	memset(&cfg, 0, sizeof(cfg));
	for (size_t i = 0; i < 3; i++) {
		cfg.aids[i].len = unhex(aids[i], cfg.aids[i].aid);
		cfg.n_aids++;
	}
	memcpy(cfg.country, "276", 4);
	cfg.terminal_id = (char *)"TERM0001";
	cfg.merchant_id = (char *)"MERCHANT0001";
	memset(&P, 0, sizeof(P));
	P.amount = 1234;
	P.online_pin = true;
	memcpy(P.currency, "978", 4);
	memcpy(P.country, "276", 4);
	P.year = 2026;
	P.month = 1;
	P.day = 2;
	memcpy(P.unpredictable, "\xde\xad\xbe\xef", 4);
	card = pd_secure_alloc(sizeof(*card));
	ck_assert_ptr_nonnull(card);
}

static void teardown(void)
{
	pd_secure_free(card, sizeof(*card));
}

static int run(void)
{
	struct pd_io io = { .ops = &card_ops, .fd = -1 };

	msg[0] = '\0';
	f55_len = 0;
	return pd_emv_read(&io, 0, &cfg, &P, card, f55, sizeof(f55), &f55_len,
			   msg, sizeof(msg));
}

static void f55_has(uint32_t tag, const char *hexval)
{
	struct pd_tlv t;
	uint8_t v[64];
	size_t n = unhex(hexval, v);

	ck_assert_msg(pd_tlv_find(f55, f55_len, tag, &t) == 1,
		      "tag %X missing from field 55", tag);
	ck_assert_uint_eq(t.len, n);
	ck_assert_msg(!memcmp(t.value, v, n), "tag %X value", tag);
}

static void f55_lacks(uint32_t tag)
{
	struct pd_tlv t;

	ck_assert_msg(pd_tlv_find(f55, f55_len, tag, &t) == 0,
		      "tag %X in field 55", tag);
}

/* field 55 as the bank parses it: flat, primitive, shortest lengths, no
 * padding, no card data, every tag once */
static void f55_strict(void)
{
	uint32_t seen[64];
	size_t off = 0, n = 0;
	struct pd_tlv t;
	int r;

	while ((r = ptc_tlv_next(f55, f55_len, &off, &t, PTC_TLV_STRICT)) > 0) {
		ck_assert_msg(!t.constructed, "constructed tag %X in field 55",
			      t.tag);
		ck_assert_msg(!emv_card_data_tag(t.tag), "tag %X in field 55",
			      t.tag);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(seen[i] != t.tag, "tag %X twice in field 55",
				      t.tag);
		ck_assert_uint_lt(n, 64);
		seen[n++] = t.tag;
	}
	ck_assert_msg(r == 0, "field 55 is not flat, strict BER-TLV");
}

/* the CDOL1 data the terminal must send for P */
#define CDOL_EXPECT "000000001234" "000000000000" "0276" "8000000000" \
	"0978" "260102" "00" "DEADBEEF"

static void check_ok(const char *aid)
{
	uint8_t want[64];
	size_t n = unhex(CDOL_EXPECT, want);

	ck_assert_msg(!msg[0], "%s", msg);
	ck_assert_str_eq(card->pan, PAN);
	ck_assert_str_eq(card->expiry, "3012");
	ck_assert(card->has_psn);
	ck_assert_uint_eq(card->psn, 0x01);
	ck_assert_uint_eq(card->t57_len, 16);
	ck_assert_uint_eq(C.cdol_len, n);
	ck_assert(!memcmp(C.cdol_data, want, n));
	/* PDOL: the same values without 9F03 */
	ck_assert_uint_eq(C.gpo_len, 2 + 6 + 2 + 5 + 2 + 3 + 1 + 4);
	ck_assert_uint_eq(C.gpo_data[0], 0x83);
	ck_assert(!memcmp(C.gpo_data + 2, want, 6));
	ck_assert(!memcmp(C.gpo_data + 8, want + 12, 2 + 5 + 2 + 3 + 1 + 4));
	ck_assert_int_eq(pd_tlv_validate(f55, f55_len), 0);
	f55_strict();
	f55_has(0x84, aid);
	f55_has(0x9f26, "1112131415161718");
	f55_has(0x9f27, "80");
	f55_has(0x9f36, "0001");
	f55_has(0x9f10, "06010A03A00000");
	f55_has(0x82, "1800");
	f55_has(0x9f02, "000000001234");
	f55_has(0x9f03, "000000000000");
	f55_has(0x9f1a, "0276");
	f55_has(0x95, "8000000000");
	f55_has(0x5f2a, "0978");
	f55_has(0x9a, "260102");
	f55_has(0x9c, "00");
	f55_has(0x9f37, "DEADBEEF");
	f55_has(0x9f34, "420300");
	f55_has(0x9f33, "604800");
	f55_has(0x9f35, "21");
	/* card data only in field 62 */
	f55_lacks(0x57);
	f55_lacks(0x5a);
	f55_lacks(0x5f34);
	f55_lacks(0x5f24);
	f55_lacks(0x5f20);
}

/* ---------------- tests ---------------- */

START_TEST(t_pse_priority)
{
	/* the card lists priority 2 first: priority 1 is chosen */
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000031010");
	ck_assert_int_eq(card->source, PD_SRC_CHIP);
	ck_assert_str_eq(C.log[0], "A40400");		/* PSE */
	ck_assert_str_eq(C.log[1], "B2010C");		/* PSE record 1 */
	ck_assert_str_eq(C.log[2], "B2020C");		/* 6A83: end */
	ck_assert_str_eq(C.log[3], "A40400");		/* final SELECT */
	ck_assert_str_eq(C.log[4], "A80000");		/* GPO */
	ck_assert_str_eq(C.log[5], "B2010C");
	ck_assert_str_eq(C.log[6], "B2020C");
	ck_assert_str_eq(C.log[7], "AE8000");		/* ARQC */
	ck_assert_int_eq(C.ncmd, 8);
	/* priorities swapped: the other application, GPO format 1 */
	card_init();
	C.app[0].api = 1;
	C.app[1].api = 2;
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000032010");
	/* no priority sorts last; equal priorities keep the card's order */
	card_init();
	C.app[0].api = -1;
	C.app[1].api = 5;
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000031010");
	card_init();
	C.app[0].api = 3;
	C.app[1].api = 3;
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000032010");
}
END_TEST

START_TEST(t_t0_procedure_bytes)
{
	C.t0 = true;
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000031010");
	ck_assert_int_ge(C.n_getresp, 3);	/* SELECTs, GPO, GENERATE AC */
	ck_assert_int_ge(C.n_6c, 3);		/* READ RECORDs with Le 00 */
	C.app[1].gpo_fmt = 1;
	card_init();
	C.t0 = true;
	C.app[1].gpo_fmt = 1;
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000031010");
}
END_TEST

START_TEST(t_aid_list_partial)
{
	/* no PSE: list of AIDs; the configured A000000003 matches both
	 * applications (partial selection, SELECT next) */
	C.pse = false;
	cfg.n_aids = 1;
	cfg.aids[0].len = unhex("A000000003", cfg.aids[0].aid);
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000031010");
	ck_assert_str_eq(C.log[0], "A40400");		/* PSE: 6A82 */
	ck_assert_str_eq(C.log[1], "A40400");		/* A000000003 */
	ck_assert_str_eq(C.log[2], "A40402");		/* next */
	ck_assert_str_eq(C.log[3], "A40402");		/* next: 6A82 */
	ck_assert_str_eq(C.log[4], "A40400");		/* final */
	/* exact AIDs configured */
	card_init();
	C.pse = false;
	cfg.n_aids = 1;
	cfg.aids[0].len = unhex("A0000000032010", cfg.aids[0].aid);
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000032010");
}
END_TEST

START_TEST(t_filter)
{
	/* only the configured applications are candidates */
	cfg.n_aids = 1;
	cfg.aids[0].len = unhex("A0000000032010", cfg.aids[0].aid);
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000032010");
	cfg.aids[0].len = unhex("A0000000041010", cfg.aids[0].aid);
	card_init();
	ck_assert_int_eq(run(), -ENOENT);
	ck_assert_str_eq(msg, "no supported application");
	/* cardholder confirmation required (87 bit 8): excluded */
	card_init();
	cfg.aids[0].len = unhex("A0000000031010", cfg.aids[0].aid);
	C.app[1].api = 0x81;
	ck_assert_int_eq(run(), -ENOENT);
}
END_TEST

START_TEST(t_ppse_tap)
{
	C.contactless = true;
	C.pdol = "9F66049F02069F3704";
	P.contactless = true;
	P.online_pin = false;
	ck_assert_int_eq(run(), 0);
	ck_assert_int_eq(card->source, PD_SRC_TAP);
	ck_assert_str_eq(card->pan, PAN);
	ck_assert_uint_eq(C.gpo_len, 2 + 4 + 6 + 4);
	ck_assert(!memcmp(C.gpo_data + 2, "\x34\x80\x00\x00", 4));
	f55_has(0x9f34, "1F0002");
	f55_has(0x9f66, "34800000");
	f55_has(0x84, "A0000000031010");
	/* CVM required above the limit */
	card_init();
	C.contactless = true;
	C.pdol = "9F6604";
	P.online_pin = true;
	ck_assert_int_eq(run(), 0);
	ck_assert(!memcmp(C.gpo_data + 2, "\x34\xc0\x00\x00", 4));
	/* no PPSE: no list of AIDs on contactless */
	card_init();
	C.contactless = true;
	C.pse = false;
	ck_assert_int_eq(run(), -ENOENT);
	ck_assert_int_eq(C.ncmd, 1);
}
END_TEST

START_TEST(t_long_pdol)
{
	/* 200 bytes of PDOL data: tag 83 with a two-byte length */
	C.pdol = "9F0206DF017FDF0243";
	ck_assert_int_eq(run(), 0);
	ck_assert_uint_eq(C.gpo_len, 3 + 200);
	ck_assert(!memcmp(C.gpo_data, "\x83\x81\xc8\0\0\0\0\x12\x34", 9));
	/* too long for one command */
	card_init();
	C.pdol = "DF017FDF017F";
	ck_assert_int_eq(run(), -EPROTO);
	ck_assert_str_eq(msg, "PDOL unusable");
}
END_TEST

START_TEST(t_gpo_6985_next)
{
	C.app[1].gpo_sw = 0x6985;	/* priority 1 refuses: priority 2 */
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000032010");
	card_init();
	C.app[0].gpo_sw = 0x6985;
	C.app[1].gpo_sw = 0x6985;
	ck_assert_int_eq(run(), -EPERM);
	/* application blocked (6283) at final selection: the next one */
	card_init();
	C.app[1].select_sw = 0x6283;
	ck_assert_int_eq(run(), 0);
	check_ok("A0000000032010");
}
END_TEST

START_TEST(t_card_errors)
{
	C.blocked_sw = 0x6a81;
	ck_assert_int_eq(run(), -EACCES);
	ck_assert_str_eq(msg, "card blocked (6A81)");
	for (int at = 1; at <= 8; at++) {
		card_init();
		C.remove_at = at;
		ck_assert_int_eq(run(), -ENOMEDIUM);
		ck_assert_uint_eq(f55_len, 0);
		card_init();
		C.mute_at = at;
		ck_assert_int_eq(run(), -ETIMEDOUT);
	}
	card_init();
	C.cid = 0x00;			/* AAC */
	ck_assert_int_eq(run(), -ECANCELED);
	card_init();
	C.cid = 0x40;			/* TC to an ARQC request */
	ck_assert_int_eq(run(), -EPROTO);
}
END_TEST

START_TEST(t_malformed)
{
	static const struct {
		const char *gpo, *afl, *rec1, *t57, *pan;
		bool dup;
		const char *want;
	} c[] = {
		{ "8001AA", NULL, NULL, NULL, NULL, false, "GPO format 1" },
		{ "7703820118", NULL, NULL, NULL, NULL, false, "no AIP" },
		{ "9F0000", NULL, NULL, NULL, NULL, false, "GPO answer" },
		{ "7705820218", NULL, NULL, NULL, NULL, false, "GPO answer" },
		{ NULL, "080102", NULL, NULL, NULL, false, "AFL" },
		{ NULL, "00010100", NULL, NULL, NULL, false, "AFL" },
		{ NULL, "08020100", NULL, NULL, NULL, false, "AFL" },
		{ NULL, "08010203", NULL, NULL, NULL, false, "AFL" },
		{ NULL, "08030300", NULL, NULL, NULL, false, "READ RECORD" },
		{ NULL, NULL, "7005570210", NULL, NULL, false, "record 1/1" },
		{ NULL, NULL, "6F00", NULL, NULL, false, "record 1/1" },
		{ NULL, NULL, "700057", NULL, NULL, false, "record 1/1" },
		{ NULL, NULL, "7000", NULL, NULL, false, "no track 2" },
		{ NULL, NULL, NULL, "4761739001010011D301220100000001", NULL,
		  false, "check digit" },
		{ NULL, NULL, NULL, "47617390D3012", NULL, false, "malformed" },
		{ NULL, NULL, NULL, NULL, "4111111111111111", false, "differs" },
		{ NULL, NULL, NULL, NULL, NULL, true, "repeats" },
		/* format 2 without AFL: no records, so no tag 57 */
		{ "770482021800", NULL, NULL, NULL, NULL, false, "no track 2" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		card_init();
		C.gpo_raw = c[i].gpo;
		if (c[i].afl)
			C.afl = c[i].afl;
		C.rec1_raw = c[i].rec1;
		if (c[i].t57)
			C.t57 = c[i].t57;
		if (c[i].pan)
			C.pan5a = c[i].pan;
		C.dup_tag = c[i].dup;
		ck_assert_int_eq(run(), -EPROTO);
		ck_assert_msg(strstr(msg, c[i].want), "case %zu: %s", i, msg);
		ck_assert_uint_eq(f55_len, 0);
		ck_assert_str_eq(card->pan, "");
	}
}
END_TEST

START_TEST(t_cdol1_strict)
{
	uint8_t want[128];
	size_t n;

	/* after the usual tags: tag 00, constructed 70 and BF0C, 9F02 again,
	 * the card's own 9F26 9F27 9F36 9F10, an unknown DF01, 9F1C twice,
	 * card data 5A, the card's AIP, 9F34 shortened */
	C.cdol1 = CDOL1_HEX "0002" "7003" "BF0C02" "9F0206" "9F2608" "9F2701"
		  "9F3602" "9F1007" "DF0103" "9F1C08" "9F1C08" "5A08" "8202"
		  "9F3402";
	ck_assert_int_eq(run(), 0);
	ck_assert_msg(!msg[0], "%s", msg);
	/* Book 3 5.4: what the terminal does not supply is zeros */
	n = unhex(CDOL_EXPECT "0000" "000000" "0000" "000000001234"
		  "0000000000000000" "00" "0000" "00000000000000" "000000"
		  "5445524D30303031" "5445524D30303031" "0000000000000000"
		  "0000" "4203", want);
	ck_assert_uint_eq(C.cdol_len, n);
	ck_assert(!memcmp(C.cdol_data, want, n));
	/* field 55: the terminal's own tags once, the card's from its
	 * answers, nothing else */
	f55_strict();
	f55_has(0x9f26, "1112131415161718");
	f55_has(0x9f27, "80");
	f55_has(0x9f36, "0001");
	f55_has(0x9f10, "06010A03A00000");
	f55_has(0x82, "1800");
	f55_has(0x9f02, "000000001234");
	f55_has(0x9f1c, "5445524D30303031");
	f55_has(0x9f34, "4203");	/* as sent */
	f55_lacks(0x70);
	f55_lacks(0xbf0c);
	f55_lacks(0xdf01);
	f55_lacks(0x5a);
}
END_TEST

START_TEST(t_ac_tags_from_answer)
{
	/* a record with a cryptogram and an IAD of its own; the GENERATE AC
	 * answer (format 2) without IAD: field 55 has the answer's, no IAD */
	C.rec2_more = "9F2608A1A2A3A4A5A6A7A8" "9F1002AABB";
	C.gac_raw = "7714" "9F270180" "9F36020001" "9F26081112131415161718";
	ck_assert_int_eq(run(), 0);
	f55_strict();
	f55_has(0x9f26, "1112131415161718");
	f55_lacks(0x9f10);
	/* an answer without cryptogram is not completed from the record */
	card_init();
	C.rec2_more = "9F2608A1A2A3A4A5A6A7A8";
	C.gac_raw = "7709" "9F270180" "9F36020001";
	ck_assert_int_eq(run(), -EPROTO);
	ck_assert_str_eq(msg, "GENERATE AC without CID/AC/ATC");
	ck_assert_uint_eq(f55_len, 0);
	/* an answer that repeats 8C: field 55 follows the CDOL1 used */
	card_init();
	C.cdol1 = CDOL1_HEX "9F1C08";
	C.gac_raw = "7719" "9F270180" "9F36020001" "9F26081112131415161718"
		    "8C039F0206";
	ck_assert_int_eq(run(), 0);
	f55_strict();
	f55_has(0x9f1c, "5445524D30303031");
	f55_has(0x9f02, "000000001234");
	/* an answer that carries an AIP of 4 bytes and a PAN of its own:
	 * neither replaces what was read (found by the fuzz campaign: field
	 * 55 went out with the answer's 82) */
	card_init();
	C.gac_raw = "7724" "9F270180" "9F36020001" "9F26081112131415161718"
		    "820408010200" "5A084111111111111111";
	ck_assert_int_eq(run(), 0);
	f55_strict();
	f55_has(0x82, "1800");
	ck_assert_str_eq(card->pan, PAN);
}
END_TEST

START_TEST(t_dol_fill)
{
	struct pd_emv *e = pd_secure_alloc(sizeof(*e));
	uint8_t dol[64], out[64], want[64];
	size_t dl;
	int n;

	e->cfg = &cfg;
	e->p = &P;
	e->tvr[0] = 0x80;
	/* n shorter: leftmost dropped; n longer: leading zeros; b shorter:
	 * rightmost dropped; b longer: trailing zeros; an: spaces kept,
	 * unknown tag: zeros */
	dl = unhex("9F0203" "5F2A04" "9F3702" "9F3306" "9F1C04" "9F1C0A"
		   "DF0103", dol);
	n = emv_dol_fill(e, dol, dl, out, sizeof(out));
	ck_assert_int_eq(n, unhex("001234" "00000978" "DEAD" "604800000000"
				  "5445524D" "5445524D303030310000" "000000",
				  want));
	ck_assert(!memcmp(out, want, (size_t)n));
	ck_assert_int_eq(emv_dol_fill(e, dol, dl, out, 10), -ENOSPC);
	dl = unhex("9F02", dol);
	ck_assert_int_eq(emv_dol_fill(e, dol, dl, out, sizeof(out)), -EBADMSG);
	ck_assert_int_eq(emv_dol_fill(e, dol, 0, out, sizeof(out)), 0);
	/* amount of 12 digits and the date */
	P.amount = 999999999999ULL;
	dl = unhex("9F02069A03", dol);
	ck_assert_int_eq(emv_dol_fill(e, dol, dl, out, sizeof(out)), 9);
	ck_assert(!memcmp(out, "\x99\x99\x99\x99\x99\x99\x26\x01\x02", 9));
	pd_secure_free(e, sizeof(*e));
}
END_TEST

START_TEST(t_afl_sort)
{
	struct pd_emv *e = pd_secure_alloc(sizeof(*e));
	uint8_t afl[16];

	ck_assert_int_eq(emv_afl_check(afl, unhex("08010200", afl)), 0);
	ck_assert_int_eq(emv_afl_check(afl, unhex("0801020210030300", afl)), 0);
	ck_assert_int_eq(emv_afl_check(afl, 0), 0);
	ck_assert_int_eq(emv_afl_check(afl, unhex("0801020310030300", afl)),
			 -EBADMSG);		/* ODA count > records */
	ck_assert_int_eq(emv_afl_check(afl, unhex("F8010100", afl)), -EBADMSG);
	ck_assert_int_eq(emv_afl_check(afl, unhex("09010100", afl)), -EBADMSG);
	ck_assert_int_eq(emv_afl_check(afl, unhex("08000100", afl)), -EBADMSG);

	e->cfg = &cfg;
	e->n_cand = 5;
	e->cand[0] = (struct emv_cand){ .api = 0x00, .order = 0 };
	e->cand[1] = (struct emv_cand){ .api = 0x03, .order = 1 };
	e->cand[2] = (struct emv_cand){ .api = 0x01, .order = 2 };
	e->cand[3] = (struct emv_cand){ .api = 0x03, .order = 3 };
	e->cand[4] = (struct emv_cand){ .api = 0x0f, .order = 4 };
	emv_sort_candidates(e);
	ck_assert_uint_eq(e->cand[0].order, 2);
	ck_assert_uint_eq(e->cand[1].order, 1);
	ck_assert_uint_eq(e->cand[2].order, 3);
	ck_assert_uint_eq(e->cand[3].order, 4);
	ck_assert_uint_eq(e->cand[4].order, 0);
	/* prefix matching of configured AIDs */
	ck_assert(emv_aid_allowed(&cfg, (const uint8_t *)
		  "\xa0\x00\x00\x00\x03\x10\x10\x01", 8));
	ck_assert(!emv_aid_allowed(&cfg, (const uint8_t *)
		  "\xa0\x00\x00\x00\x03\x10", 6));
	pd_secure_free(e, sizeof(*e));
}
END_TEST

/* ---------------- the state machine ---------------- */

struct pfake {
	struct pd_io io;
};

static int p_ok(struct pd_io *io)
{
	return 0;
}

static int p_pin_start(struct pd_io *io, const struct payterm_pin_params *p)
{
	return 0;
}

static const struct pd_io_ops pad_ops = {
	.claim = p_ok, .release = p_ok, .pin_start = p_pin_start,
	.pin_abort = p_ok, .close = c_close,
};

static unsigned finished;

static void h_finished(struct pd_txn *t)
{
	finished++;
}

static int64_t h_now(void)
{
	return 1767225600;	/* 2026-01-01 */
}

static const struct pd_txn_hooks hooks = {
	.finished = h_finished, .now = h_now,
};

static struct pd_txn *chip_txn(sd_event *ev, struct pd_request *req,
			       struct pd_io **rd)
{
	struct pd_txn *t;
	struct pd_io *pad = calloc(1, sizeof(*pad));

	*rd = calloc(1, sizeof(**rd));
	(*rd)->ops = &card_ops;
	(*rd)->caps = PAYTERM_CAP_ICC | PAYTERM_CAP_MSR | PAYTERM_CAP_PICC;
	(*rd)->fd = -1;
	pad->ops = &pad_ops;
	pad->caps = PAYTERM_CAP_PINPAD;
	pad->fd = -1;
	cfg.entry_modes = PD_ENTRY_ALL;
	cfg.card_timeout_s = 60;
	cfg.txn_timeout_s = 180;
	cfg.pin_timeout_s = 30;
	cfg.chip_fallback = true;
	memset(req, 0, sizeof(*req));
	req->amount = 1234;
	memcpy(req->currency, "978", 4);
	t = pd_txn_new(ev, &cfg, NULL, req, PD_ENTRY_ALL, &hooks, NULL);
	ck_assert_int_eq(pd_txn_add_io(t, *rd), 0);
	ck_assert_int_eq(pd_txn_add_io(t, pad), 0);
	ck_assert_int_eq(pd_txn_start(t), 0);
	return t;
}

static void insert(struct pd_txn *t, struct pd_io *rd, bool tap)
{
	struct payterm_event e = {
		.type = tap ? PAYTERM_EV_CARD_TAPPED : PAYTERM_EV_CARD_INSERTED,
	};

	pd_txn_event(t, rd, &e);
}

START_TEST(t_sm_errors)
{
	struct pd_request req;
	struct pd_io *rd;
	struct pd_txn *t;
	sd_event *ev;

	ck_assert_int_ge(sd_event_new(&ev), 0);
	/* no application: chip error, swipe fallback offered */
	cfg.n_aids = 1;
	cfg.aids[0].len = unhex("A0000000041010", cfg.aids[0].aid);
	t = chip_txn(ev, &req, &rd);
	insert(t, rd, false);
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	ck_assert_str_eq(t->message, "Card not supported: swipe the card");
	ck_assert(t->chip_failed);
	/* mute card on tap */
	card_init();
	C.contactless = true;
	C.mute_at = 1;
	insert(t, rd, true);
	ck_assert_int_eq(t->state, PD_ST_WAIT_CARD);
	ck_assert_str_eq(t->message, "Card not answering: try again");
	/* removed mid-exchange */
	card_init();
	C.remove_at = 3;
	insert(t, rd, false);
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	ck_assert_str_eq(t->message, "Card removed");
	pd_txn_free(t);
	/* blocked: no fallback */
	card_init();
	C.blocked_sw = 0x6a81;
	t = chip_txn(ev, &req, &rd);
	insert(t, rd, false);
	ck_assert_int_eq(t->state, PD_ST_FAILED);
	ck_assert_str_eq(t->message, "Card blocked");
	pd_txn_free(t);
	/* card declines offline */
	card_init();
	cfg.aids[0].len = unhex("A0000000031010", cfg.aids[0].aid);
	C.cid = 0;
	t = chip_txn(ev, &req, &rd);
	insert(t, rd, false);
	ck_assert_int_eq(t->state, PD_ST_DECLINED);
	ck_assert_str_eq(t->message, "Declined by the card");
	ck_assert_str_eq(t->entry_mode, "chip");
	ck_assert_uint_eq(t->f55_len, 0);
	pd_txn_free(t);
	ck_assert_uint_eq(finished, 3);
	sd_event_unref(ev);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_emv");
	TCase *tc = tcase_create("emv");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_pse_priority);
	tcase_add_test(tc, t_t0_procedure_bytes);
	tcase_add_test(tc, t_aid_list_partial);
	tcase_add_test(tc, t_filter);
	tcase_add_test(tc, t_ppse_tap);
	tcase_add_test(tc, t_long_pdol);
	tcase_add_test(tc, t_gpo_6985_next);
	tcase_add_test(tc, t_card_errors);
	tcase_add_test(tc, t_malformed);
	tcase_add_test(tc, t_dol_fill);
	tcase_add_test(tc, t_cdol1_strict);
	tcase_add_test(tc, t_ac_tags_from_answer);
	tcase_add_test(tc, t_afl_sort);
	tcase_add_test(tc, t_sm_errors);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
