// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/ccid_tpdu.c (built in userspace): ATR parsing, T=0
 * TPDU procedure, T=1 block protocol (the scenarios of ISO/IEC 7816-3
 * annex A: plain exchange, chaining both ways, WTX, IFS, errors,
 * resynchronisation) and CCID APDU-level chaining.  A scripted transport
 * checks every block the protocol sends and plays the card's answers.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../kmod/ccid_tpdu.h"

/* scripts list only the fields that matter for each step */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* ------------------------------------------------------------------ */
/* scripted transport */

struct step {
	const char *tx;		/* expected command / block, hex */
	const char *rx;		/* answer, hex; NULL: return err */
	int err;
	u8 bwi;			/* expected bBWI */
	u16 level;		/* expected wLevelParameter */
	u8 chain;		/* bChainParameter to return */
};

struct script {
	const struct step *steps;
	size_t n, pos;
};

static size_t unhex(const char *s, u8 *out, size_t max)
{
	size_t n = 0;
	unsigned int v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		ck_assert_msg(sscanf(s, "%2x", &v) == 1, "bad hex %s", s);
		ck_assert(n < max);
		out[n++] = v;
		s += 2;
	}
	return n;
}

static char *tohex(const u8 *b, size_t n)
{
	static char buf[8192];
	size_t i;

	for (i = 0; i < n && i * 2 + 2 < sizeof(buf); i++)
		sprintf(buf + 2 * i, "%02X", b[i]);
	buf[2 * i] = 0;
	return buf;
}

static int scripted(void *ctx, struct ccid_xfer *x)
{
	struct script *sc = ctx;
	const struct step *st;
	u8 want[512];
	size_t n;

	ck_assert_msg(sc->pos < sc->n, "unexpected extra command %s",
		      tohex(x->tx, x->tx_len));
	st = &sc->steps[sc->pos++];
	n = unhex(st->tx, want, sizeof(want));
	ck_assert_msg(n == x->tx_len && (!n || !memcmp(want, x->tx, n)),
		      "step %zu: sent %s", sc->pos - 1,
		      tohex(x->tx, x->tx_len));
	ck_assert_uint_eq(x->bwi, st->bwi);
	ck_assert_uint_eq(x->level, st->level);
	if (!st->rx)
		return st->err;
	x->rx_len = unhex(st->rx, x->rx, x->rx_size);
	x->chain = st->chain;
	return 0;
}

struct run {
	struct ccid_proto p;
	struct script sc;
	u8 resp[70000];
	size_t rlen;
	int ret;
};

static struct run *run_new(const struct step *steps, size_t n,
			   enum ccid_level level, u8 proto,
			   const struct ccid_atr *atr, bool auto_ifsd)
{
	struct run *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	r->sc.steps = steps;
	r->sc.n = n;
	ccid_proto_init(&r->p, scripted, &r->sc, level, atr, proto, 254,
			auto_ifsd, 10);
	return r;
}

static void run_apdu(struct run *r, const char *capdu_hex)
{
	static u8 capdu[70000];
	size_t n = unhex(capdu_hex, capdu, sizeof(capdu));

	r->rlen = 0;
	r->ret = ccid_transceive(&r->p, capdu, n, r->resp, sizeof(r->resp),
				 &r->rlen);
}

static void expect(struct run *r, int ret, const char *resp_hex)
{
	ck_assert_int_eq(r->ret, ret);
	if (!ret)
		ck_assert_str_eq(tohex(r->resp, r->rlen), resp_hex);
}

static void done(struct run *r)
{
	ck_assert_msg(r->sc.pos == r->sc.n, "script: %zu of %zu steps used",
		      r->sc.pos, r->sc.n);
	free(r);
}

#define RUN(steps, level, proto, atr, auto_ifsd) \
	run_new(steps, sizeof(steps) / sizeof(steps[0]), level, proto, atr, \
		auto_ifsd)

/* ------------------------------------------------------------------ */
/* ATR */

START_TEST(atr_t0_emv)
{
	u8 a[40];
	size_t n = unhex("3B6E000080318066B0840C016E0183009000", a, sizeof(a));
	struct ccid_atr atr;

	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert_uint_eq(atr.protocols, 1);
	ck_assert_uint_eq(atr.proto, 0);
	ck_assert(!atr.has_ta1);
	ck_assert_uint_eq(atr.ta1, 0x11);
	ck_assert_uint_eq(atr.wi, 10);
	ck_assert_uint_eq(atr.hist_off, 4);
	ck_assert_uint_eq(atr.hist_len, 14);
	ck_assert(!atr.tck_present);
	ck_assert(!atr.contactless);
	/* WWT = 960 * 10 * 372 / 4 MHz = 892.8 ms */
	ck_assert_uint_eq(ccid_atr_wwt_us(&atr, 4000), 892800);
	/* truncated: historical bytes missing */
	ck_assert_int_eq(ccid_atr_parse(a, n - 1, &atr), -EINVAL);
	ck_assert_int_eq(ccid_atr_parse(a, 1, &atr), -EINVAL);
	a[0] = 0x3a;
	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), -EINVAL);
}
END_TEST

START_TEST(atr_t1_jcop)
{
	u8 a[40];
	size_t n = unhex("3BF81300008131FE454A434F5076323431B7", a, sizeof(a));
	struct ccid_atr atr;

	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert_uint_eq(atr.protocols, 2);
	ck_assert_uint_eq(atr.proto, 1);
	ck_assert(atr.has_ta1);
	ck_assert_uint_eq(atr.ta1, 0x13);
	ck_assert_uint_eq(ccid_atr_fi(atr.ta1), 372);
	ck_assert_uint_eq(ccid_atr_di(atr.ta1), 4);
	ck_assert_uint_eq(atr.ifsc, 0xfe);
	ck_assert_uint_eq(atr.bwi, 4);
	ck_assert_uint_eq(atr.cwi, 5);
	ck_assert(!atr.crc);
	ck_assert(atr.tck_present && atr.tck_ok);
	ck_assert_uint_eq(atr.hist_len, 8);
	ck_assert(!memcmp(a + atr.hist_off, "JCOPv241", 8));
	/* BWT = 11 etu + 2^4 * 960 * 372 / f */
	ck_assert_uint_eq(ccid_atr_bwt_us(&atr, 4000), 1428480 + 256);
	a[n - 1] ^= 1;
	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert(!atr.tck_ok);
	/* TCK missing */
	ck_assert_int_eq(ccid_atr_parse(a, n - 1, &atr), -EINVAL);
}
END_TEST

START_TEST(atr_pcsc_contactless)
{
	u8 a[40];
	size_t n = unhex("3B8F8001804F0CA000000306030001000000006A", a,
			 sizeof(a));
	struct ccid_atr atr;

	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert(atr.contactless);
	ck_assert(atr.tck_ok);
	ck_assert_uint_eq(atr.protocols, 3);	/* T=0 then T=1 */
	ck_assert_uint_eq(atr.proto, 0);
	n = unhex("3B8580018073C821100E", a, sizeof(a));
	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert(atr.contactless && atr.tck_ok);
	/* a contact T=1 card is not */
	n = unhex("3BF81300008131FE454A434F5076323431B7", a, sizeof(a));
	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert(!atr.contactless);
}
END_TEST

START_TEST(atr_specific_mode)
{
	u8 a[40];
	/* TA2 = 0x81: specific mode, T=1 */
	size_t n = unhex("3B90181181", a, sizeof(a));
	struct ccid_atr atr;
	u8 x = 0;
	size_t i;

	for (i = 1; i < n; i++)
		x ^= a[i];
	a[n++] = x;
	ck_assert_int_eq(ccid_atr_parse(a, n, &atr), 0);
	ck_assert(atr.specific);
	ck_assert_uint_eq(atr.proto, 1);
	ck_assert_uint_eq(atr.ta1, 0x18);
}
END_TEST

/* ------------------------------------------------------------------ */
/* APDU cases (ISO/IEC 7816-3 12.1.3) */

START_TEST(apdu_cases)
{
	u8 c[70000];
	struct ccid_apdu a;
	size_t n;

	n = unhex("00A40000", c, sizeof(c));
	ck_assert_int_eq(ccid_apdu_parse(c, n, &a), 0);
	ck_assert_uint_eq(a.apdu_case, 1);
	n = unhex("00B2010C00", c, sizeof(c));
	ck_assert_int_eq(ccid_apdu_parse(c, n, &a), 0);
	ck_assert_uint_eq(a.apdu_case, 2);
	ck_assert_uint_eq(a.ne, 256);
	n = unhex("00A40400023F00", c, sizeof(c));
	ck_assert_int_eq(ccid_apdu_parse(c, n, &a), 0);
	ck_assert_uint_eq(a.apdu_case, 3);
	ck_assert_uint_eq(a.lc, 2);
	n = unhex("00A40400023F0010", c, sizeof(c));
	ck_assert_int_eq(ccid_apdu_parse(c, n, &a), 0);
	ck_assert_uint_eq(a.apdu_case, 4);
	ck_assert_uint_eq(a.ne, 16);
	n = unhex("00B0000000FFFF", c, sizeof(c));
	ck_assert_int_eq(ccid_apdu_parse(c, n, &a), 0);
	ck_assert(a.extended && a.apdu_case == 2 && a.ne == 65535);
	n = unhex("00B0000000000000", c, 8);
	ck_assert_int_eq(ccid_apdu_parse(c, 7, &a), 0);
	ck_assert_uint_eq(a.ne, 65536);
	memset(c, 0, sizeof(c));
	c[5] = 0x01;
	c[6] = 0x2c;		/* Lc = 300 */
	ck_assert_int_eq(ccid_apdu_parse(c, 307, &a), 0);
	ck_assert(a.extended && a.apdu_case == 3 && a.lc == 300);
	ck_assert_int_eq(ccid_apdu_parse(c, 309, &a), 0);
	ck_assert(a.apdu_case == 4 && a.ne == 65536);
	ck_assert_int_eq(ccid_apdu_parse(c, 308, &a), -EINVAL);
	ck_assert_int_eq(ccid_apdu_parse(c, 3, &a), -EINVAL);
	n = unhex("00A4040002AA", c, sizeof(c));	/* Lc 2, 1 byte */
	ck_assert_int_eq(ccid_apdu_parse(c, n, &a), -EINVAL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* T=0 */

START_TEST(t0_case1)
{
	static const struct step s[] = {
		{ "0044000000", "9000" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "00440000");
	expect(r, 0, "9000");
	done(r);
}
END_TEST

START_TEST(t0_case2_6c)
{
	static const struct step s[] = {
		{ "00B2010C00", "6C05" },
		{ "00B2010C05", "01020304059000" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "00B2010C00");
	expect(r, 0, "01020304059000");
	done(r);
}
END_TEST

START_TEST(t0_case2_exact)
{
	static const struct step s[] = {
		{ "80CA9F3605", "9F360200019000" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "80CA9F3605");
	expect(r, 0, "9F360200019000");
	done(r);
}
END_TEST

START_TEST(t0_case4_61)
{
	/* Le is not sent; 61xx -> GET RESPONSE with CLA 00 for CLA 80 */
	static const struct step s[] = {
		{ "80A80000028300", "6104" },
		{ "00C0000004", "800200019000" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "80A8000002830000");
	expect(r, 0, "800200019000");
	done(r);
}
END_TEST

START_TEST(t0_case4_61_then_6c)
{
	static const struct step s[] = {
		{ "01A40400023F00", "6110" },
		{ "01C0000010", "6C08" },
		{ "01C0000008", "11223344556677889000" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	/* logical channel 1 is kept in GET RESPONSE */
	run_apdu(r, "01A40400023F0000");
	expect(r, 0, "11223344556677889000");
	done(r);
}
END_TEST

START_TEST(t0_case4_warning_and_error)
{
	static const struct step s[] = {
		{ "00A4040002AABB", "6A82" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "00A4040002AABB00");
	expect(r, 0, "6A82");
	done(r);
}
END_TEST

START_TEST(t0_61_chain_ne)
{
	/* case 2 Ne = 4: 2 + 2 bytes through 61xx, then stop with 61xx */
	static const struct step s[] = {
		{ "80F4000004", "AABB6102" },
		{ "00C0000002", "CCDD6105" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "80F4000004");
	expect(r, 0, "AABBCCDD6105");
	done(r);
}
END_TEST

START_TEST(t0_extended_le)
{
	/* case 2E: P3 = 00, GET RESPONSE until 9000 */
	static const struct step s[] = {
		{ "00B0000000", "6100" },
		{ "00C0000000", NULL, 0 },	/* filled below */
	};
	struct step s2[4];
	static char big[2 * 258 + 1];
	struct run *r;
	int i;

	for (i = 0; i < 256; i++)
		sprintf(big + 2 * i, "%02X", i);
	strcpy(big + 512, "6120");
	s2[0] = s[0];
	s2[1] = s[1];
	s2[1].rx = big;
	s2[2] = (struct step){ "00C0000020", "00112233445566778899AABBCCDDEEFF"
			       "00112233445566778899AABBCCDDEEFF9000" };
	r = run_new(s2, 3, CCID_LEVEL_TPDU, CCID_T0, NULL, true);
	run_apdu(r, "00B00000000000");
	ck_assert_int_eq(r->ret, 0);
	ck_assert_uint_eq(r->rlen, 256 + 32 + 2);
	ck_assert_uint_eq(r->resp[255], 0xff);
	ck_assert_uint_eq(r->resp[256], 0x00);
	ck_assert_uint_eq(r->resp[288], 0x90);
	done(r);
}
END_TEST

START_TEST(t0_envelope)
{
	/* case 3E with Nc = 300: ENVELOPE (C2) pieces of 255 */
	u8 capdu[307];
	char hex1[2 * 260 + 1], hex2[2 * 57 + 1];
	struct step s[2];
	struct run *r;
	size_t i;

	memset(capdu, 0x5a, sizeof(capdu));
	capdu[0] = 0x00;
	capdu[1] = 0xd6;
	capdu[2] = 0;
	capdu[3] = 0;
	capdu[4] = 0;
	capdu[5] = 0x01;
	capdu[6] = 0x2c;
	strcpy(hex1, "00C20000FF");
	for (i = 0; i < 255; i++)
		sprintf(hex1 + 10 + 2 * i, "%02X", capdu[i]);
	strcpy(hex2, "00C2000034");
	for (i = 0; i < 52; i++)
		sprintf(hex2 + 10 + 2 * i, "%02X", capdu[255 + i]);
	s[0] = (struct step){ hex1, "9000" };
	s[1] = (struct step){ hex2, "9000" };
	r = run_new(s, 2, CCID_LEVEL_TPDU, CCID_T0, NULL, true);
	r->rlen = 0;
	r->ret = ccid_transceive(&r->p, capdu, sizeof(capdu), r->resp,
				 sizeof(r->resp), &r->rlen);
	expect(r, 0, "9000");
	done(r);
}
END_TEST

START_TEST(t0_errors)
{
	static const struct step s[] = {
		{ "00B2010C00", NULL, -ETIMEDOUT },
		{ "00B2010C00", "90" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T0, NULL, true);

	run_apdu(r, "00B2010C00");
	expect(r, -ETIMEDOUT, NULL);
	run_apdu(r, "00B2010C00");
	expect(r, -EIO, NULL);		/* no SW2 */
	run_apdu(r, "00B2");
	expect(r, -EINVAL, NULL);
	done(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* T=1: ISO/IEC 7816-3 annex A scenarios, NAD 0, LRC */

START_TEST(t1_edc)
{
	u8 b[CCID_T1_BLOCK_MAX], inf[4] = { 0x00, 0xa4, 0x04, 0x00 };
	size_t n = ccid_t1_block(b, 0, 0x00, inf, 4, false);

	ck_assert_str_eq(tohex(b, n), "000004" "00A40400" "A4");
	n = ccid_t1_block(b, 0, 0xc1, (const u8 *)"\xfe", 1, false);
	ck_assert_str_eq(tohex(b, n), "00C101FE3E");
	/* CRC-16 of ISO/IEC 13239 over "123456789" is 0x906E */
	ck_assert_uint_eq(ccid_t1_crc((const u8 *)"123456789", 9), 0x906e);
}
END_TEST

START_TEST(t1_plain_exchange)
{
	/* A.2 case: I(0,0) / I(0,0), then I(1,0) / I(1,0) */
	static const struct step s[] = {
		{ "00C101FE3E", "00E101FE1E" },		/* IFSD first */
		{ "00000400A40400A4", "0000029000 92" },
		{ "004004 00B00000 F4", "0040 03 AA9000 79" },
	};
	struct ccid_atr atr;
	u8 a[40];
	size_t n = unhex("3BF81300008131FE454A434F5076323431B7", a,
			 sizeof(a));
	struct run *r;

	ccid_atr_parse(a, n, &atr);
	r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, &atr, false);
	run_apdu(r, "00A40400");
	expect(r, 0, "9000");
	run_apdu(r, "00B00000");
	expect(r, 0, "AA9000");
	done(r);
}
END_TEST

START_TEST(t1_chaining_to_card)
{
	/* IFSC 4: 8-byte APDU in two chained I-blocks, R(1) in between */
	static const struct step s[] = {
		{ "002004 00DA0000 FE", "00900090" },
		{ "004004 03AABBCC 9A", "00000290 00 92" },
	};
	struct ccid_atr atr = { .ifsc = 4 };
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, &atr, true);

	run_apdu(r, "00DA000003AABBCC");
	expect(r, 0, "9000");
	done(r);
}
END_TEST

START_TEST(t1_chaining_from_card)
{
	/* the card chains its answer: we ask with R(1), then R(0) */
	static const struct step s[] = {
		{ "000004 00B00000 B4", "002002 1122 11" },
		{ "009000 90", "006002 3344 15" },
		{ "008000 80", "000002 9000 92" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, NULL, true);

	run_apdu(r, "00B00000");
	expect(r, 0, "112233449000");
	done(r);
}
END_TEST

START_TEST(t1_wtx_and_ifs_from_card)
{
	static const struct step s[] = {
		{ "000004 00880000 8C", "00C30102C0" },		/* S(WTX 2) */
		{ "00E30102E0", "00C10120E0", 0, 2 },		/* S(IFS 32) */
		{ "00E10120C0", "0000029000 92" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, NULL, true);

	run_apdu(r, "00880000");
	expect(r, 0, "9000");
	ck_assert_uint_eq(r->p.ifsc, 0x20);
	ck_assert_uint_eq(r->p.wtx_count, 1);
	done(r);
}
END_TEST

START_TEST(t1_bad_edc_retransmit)
{
	/* a corrupted I-block: R(0) with EDC error, the card repeats */
	static const struct step s[] = {
		{ "000004 00880000 8C", "0000029000 93" },
		{ "008100 81", "0000029000 92" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, NULL, true);

	run_apdu(r, "00880000");
	expect(r, 0, "9000");
	done(r);
}
END_TEST

START_TEST(t1_card_asks_retransmission)
{
	/* the card did not get our I(0): R(0) -> we resend I(0) */
	static const struct step s[] = {
		{ "000004 00880000 8C", "00810081" },
		{ "000004 00880000 8C", "0000029000 92" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, NULL, true);

	run_apdu(r, "00880000");
	expect(r, 0, "9000");
	done(r);
}
END_TEST

START_TEST(t1_timeout_then_resync)
{
	/* no answer 4 times: S(RESYNCH), sequence numbers reset, retry */
	static const struct step s[] = {
		{ "004004 00880000 CC", NULL, -ETIMEDOUT },
		{ "009200 92", NULL, -ETIMEDOUT },
		{ "009200 92", NULL, -ETIMEDOUT },
		{ "009200 92", NULL, -ETIMEDOUT },
		{ "00C000C0", "00E000E0" },
		{ "000004 00880000 8C", "0000029000 92" },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, NULL, true);

	r->p.ns = 1;		/* as after one exchange */
	r->p.nr = 1;
	run_apdu(r, "00880000");
	expect(r, 0, "9000");
	ck_assert_uint_eq(r->p.resyncs, 1);
	ck_assert_uint_eq(r->p.ns, 1);
	ck_assert_uint_eq(r->p.nr, 1);
	done(r);
}
END_TEST

START_TEST(t1_abort_and_transport_error)
{
	static const struct step s[] = {
		{ "000004 00880000 8C", "00C200C2" },	/* card aborts */
		{ "00E200E2", "0000029000 92" },
		{ "000004 00880000 8C", NULL, -ENODEV },
	};
	struct run *r = RUN(s, CCID_LEVEL_TPDU, CCID_T1, NULL, true);

	run_apdu(r, "00880000");
	expect(r, -EIO, NULL);
	run_apdu(r, "00880000");
	expect(r, -ENODEV, NULL);
	done(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* APDU level with CCID chaining (max 10 bytes per XfrBlock here) */

START_TEST(apdu_level_chaining)
{
	struct run *r;

	/* 20 bytes = 10 + 10; the answer comes in two pieces */
	static const struct step s2[] = {
		{ "00DA00000E0001020304", "", 0, 0, 0x01, 0x10 },
		{ "05060708090A0B0C0D00", "AABBCC", 0, 0, 0x02, 0x01 },
		{ "", "DDEE9000", 0, 0, 0x10, 0x02 },
	};

	r = RUN(s2, CCID_LEVEL_EXT_APDU, CCID_T1, NULL, true);
	run_apdu(r, "00DA00000E000102030405060708090A0B0C0D00");
	expect(r, 0, "AABBCCDDEE9000");
	done(r);
}
END_TEST

START_TEST(apdu_level_short)
{
	static const struct step s[] = {
		{ "00A40400023F0000", "6F009000" },
	};
	struct run *r = RUN(s, CCID_LEVEL_SHORT_APDU, CCID_T0, NULL, true);

	r->p.max_chunk = 261;
	run_apdu(r, "00A40400023F0000");
	expect(r, 0, "6F009000");
	run_apdu(r, "00B0000000FFFF");	/* extended on a short-APDU reader */
	expect(r, -EOPNOTSUPP, NULL);
	done(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* interrupt endpoint error policy */

START_TEST(int_stop_statuses)
{
	static const int stop[] = { -ENOENT, -ECONNRESET, -ESHUTDOWN, -ENODEV,
				    -EPERM };
	struct ccid_int_errors e = { 0 };
	unsigned int i, delay = 99;

	for (i = 0; i < sizeof(stop) / sizeof(stop[0]); i++) {
		ck_assert_int_eq(ccid_int_classify(&e, stop[i], 0, &delay),
				 CCID_INT_STOP);
		ck_assert_uint_eq(delay, 0);
		ck_assert_uint_eq(e.count, 0);	/* not an error to count */
	}
	ck_assert_int_eq(ccid_int_classify(&e, 0, 0, &delay),
			 CCID_INT_PROCESS);
}
END_TEST

START_TEST(int_stall_and_transient)
{
	static const int transient[] = { -EPROTO, -EILSEQ, -ETIME, -EOVERFLOW,
					 -EREMOTEIO, -ENOMEM };
	struct ccid_int_errors e = { 0 };
	unsigned int i, delay;

	ck_assert_int_eq(ccid_int_classify(&e, -EPIPE, 1000, &delay),
			 CCID_INT_CLEAR_HALT);
	ck_assert_uint_eq(delay, CCID_INT_BACKOFF_MS);
	ck_assert_int_eq(ccid_int_classify(&e, 0, 1001, &delay),
			 CCID_INT_PROCESS);
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++) {
		ck_assert_int_eq(ccid_int_classify(&e, transient[i], 2000,
						   &delay), CCID_INT_RETRY);
		ck_assert_uint_eq(delay, CCID_INT_BACKOFF_MS);
		ck_assert_int_eq(ccid_int_classify(&e, 0, 2000, &delay),
				 CCID_INT_PROCESS);
	}
}
END_TEST

START_TEST(int_backoff_then_give_up)
{
	struct ccid_int_errors e = { 0 };
	unsigned int i, delay, want = CCID_INT_BACKOFF_MS;
	u32 t = 0xfffffff0u;	/* the clock wraps on the way */

	for (i = 1; i <= CCID_INT_MAX_ERRORS; i++, t += want) {
		ck_assert_int_eq(ccid_int_classify(&e, i & 1 ? -EPROTO : -EPIPE,
						   t, &delay),
				 i & 1 ? CCID_INT_RETRY : CCID_INT_CLEAR_HALT);
		ck_assert_uint_eq(delay, want);
		ck_assert_uint_le(delay, CCID_INT_BACKOFF_MAX_MS);
		want = want * 2 > CCID_INT_BACKOFF_MAX_MS ?
		       CCID_INT_BACKOFF_MAX_MS : want * 2;
	}
	ck_assert_int_eq(ccid_int_classify(&e, -EPROTO, t, &delay),
			 CCID_INT_GIVE_UP);
	/* still gone: stop statuses stay stops */
	ck_assert_int_eq(ccid_int_classify(&e, -ESHUTDOWN, t, &delay),
			 CCID_INT_STOP);
}
END_TEST

START_TEST(int_quiet_period_resets)
{
	struct ccid_int_errors e = { 0 };
	unsigned int i, delay;
	u32 t = 5;

	/* one error short of giving up, spread over hours: never gives up */
	for (i = 0; i < 3 * CCID_INT_MAX_ERRORS; i++) {
		ck_assert_int_eq(ccid_int_classify(&e, -EILSEQ, t, &delay),
				 CCID_INT_RETRY);
		ck_assert_uint_eq(delay, CCID_INT_BACKOFF_MS);
		t += CCID_INT_QUIET_MS + 1;
	}
	/* in a burst it does (the first one starts a new count) */
	for (i = 0; i < CCID_INT_MAX_ERRORS; i++)
		ck_assert_int_eq(ccid_int_classify(&e, -EILSEQ, t, &delay),
				 CCID_INT_RETRY);
	ck_assert_int_eq(ccid_int_classify(&e, -EILSEQ, t, &delay),
			 CCID_INT_GIVE_UP);
}
END_TEST

static Suite *ccid_suite(void)
{
	Suite *s = suite_create("ccid");
	TCase *tc = tcase_create("atr+apdu");

	tcase_add_test(tc, atr_t0_emv);
	tcase_add_test(tc, atr_t1_jcop);
	tcase_add_test(tc, atr_pcsc_contactless);
	tcase_add_test(tc, atr_specific_mode);
	tcase_add_test(tc, apdu_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("t0");
	tcase_add_test(tc, t0_case1);
	tcase_add_test(tc, t0_case2_6c);
	tcase_add_test(tc, t0_case2_exact);
	tcase_add_test(tc, t0_case4_61);
	tcase_add_test(tc, t0_case4_61_then_6c);
	tcase_add_test(tc, t0_case4_warning_and_error);
	tcase_add_test(tc, t0_61_chain_ne);
	tcase_add_test(tc, t0_extended_le);
	tcase_add_test(tc, t0_envelope);
	tcase_add_test(tc, t0_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("t1");
	tcase_add_test(tc, t1_edc);
	tcase_add_test(tc, t1_plain_exchange);
	tcase_add_test(tc, t1_chaining_to_card);
	tcase_add_test(tc, t1_chaining_from_card);
	tcase_add_test(tc, t1_wtx_and_ifs_from_card);
	tcase_add_test(tc, t1_bad_edc_retransmit);
	tcase_add_test(tc, t1_card_asks_retransmission);
	tcase_add_test(tc, t1_timeout_then_resync);
	tcase_add_test(tc, t1_abort_and_transport_error);
	suite_add_tcase(s, tc);
	tc = tcase_create("apdu-level");
	tcase_add_test(tc, apdu_level_chaining);
	tcase_add_test(tc, apdu_level_short);
	suite_add_tcase(s, tc);
	tc = tcase_create("interrupt-endpoint");
	tcase_add_test(tc, int_stop_statuses);
	tcase_add_test(tc, int_stall_and_transient);
	tcase_add_test(tc, int_backoff_then_give_up);
	tcase_add_test(tc, int_quiet_period_resets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ccid_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
