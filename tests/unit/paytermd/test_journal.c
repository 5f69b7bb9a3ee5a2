// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd's in-flight journal (daemon/paytermd/journal.c): the record
 * format (round trip, checksum, version, unknown and repeated members,
 * torn records at every length) and the directory handling (durable
 * write and removal, left-over temporary files, damaged records resumed
 * from their names, records of another version left alone).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../../daemon/paytermd/journal.h"

#define KEY "5F0C9A3E0D1B4C77A2F1E5D6C3B2A190"

static void sample(struct pd_jrec *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), KEY);
	r->stage = PD_J_SUBMITTING;
	snprintf(r->request_id, sizeof(r->request_id), "req_5f1c");
	snprintf(r->merchant_id, sizeof(r->merchant_id), "M1");
	snprintf(r->order_id, sizeof(r->order_id), "A-1001");
	r->amount = 1234;
	snprintf(r->currency, sizeof(r->currency), "EUR");
	r->created = 1767225600;
	r->updated = 1767225611;
	r->attempts = 3;
}

static void sum_of(const char *p, size_t n, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;

	ck_assert_int_eq(EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* BODY + its checksum line */
static size_t seal(const char *body, char *out, size_t cap)
{
	char sum[65];
	int n;

	sum_of(body, strlen(body), sum);
	n = snprintf(out, cap, "%ssha256 %s\n", body, sum);
	ck_assert(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

START_TEST(t_roundtrip)
{
	struct pd_jrec r, p;
	char buf[PD_JOURNAL_MAX];
	int n;

	sample(&r);
	n = pd_jrec_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert(!strncmp(buf, "paytermd-inflight 1\nkey " KEY "\nstage submitting\n", 62));
	ck_assert_ptr_nonnull(strstr(buf, "\namount 1234\ncurrency EUR\n"));
	ck_assert_ptr_null(strstr(buf, "payment_id"));
	ck_assert_int_eq(pd_jrec_parse(buf, (size_t)n, &p), 0);
	ck_assert_str_eq(p.key, KEY);
	ck_assert_int_eq(p.stage, PD_J_SUBMITTING);
	ck_assert_str_eq(p.order_id, "A-1001");
	ck_assert_str_eq(p.merchant_id, "M1");
	ck_assert_str_eq(p.request_id, "req_5f1c");
	ck_assert_uint_eq(p.amount, 1234);
	ck_assert_str_eq(p.currency, "EUR");
	ck_assert_int_eq(p.created, 1767225600);
	ck_assert_int_eq(p.updated, 1767225611);
	ck_assert_uint_eq(p.attempts, 3);
	ck_assert_str_eq(p.payment_id, "");

	/* reversing, with the payment id and what the customer was shown */
	r.stage = PD_J_REVERSING;
	snprintf(r.payment_id, sizeof(r.payment_id), "pay_9c2e-01");
	snprintf(r.shown, sizeof(r.shown), "failed");
	n = pd_jrec_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pd_jrec_parse(buf, (size_t)n, &p), 0);
	ck_assert_int_eq(p.stage, PD_J_REVERSING);
	ck_assert_str_eq(p.payment_id, "pay_9c2e-01");
	ck_assert_str_eq(p.shown, "failed");

	/* informative members are cleaned, never break the format */
	snprintf(r.order_id, sizeof(r.order_id), "A 1\nstage submitting");
	n = pd_jrec_format(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pd_jrec_parse(buf, (size_t)n, &p), 0);
	ck_assert_int_eq(p.stage, PD_J_REVERSING);
	ck_assert_str_eq(p.order_id, "A_1_stage_submitting");

	/* nothing unusable is ever written */
	snprintf(r.payment_id, sizeof(r.payment_id), "../../x?y");
	ck_assert_int_eq(pd_jrec_format(&r, buf, sizeof(buf)), -EINVAL);
	sample(&r);
	snprintf(r.key, sizeof(r.key), "a key");
	ck_assert_int_eq(pd_jrec_format(&r, buf, sizeof(buf)), -EINVAL);
	sample(&r);
	ck_assert_int_eq(pd_jrec_format(&r, buf, 64), -ENOSPC);
}
END_TEST

/* Every prefix of a record (a torn write) is refused, never half-read. */
START_TEST(t_torn)
{
	struct pd_jrec r, p;
	char buf[PD_JOURNAL_MAX];
	int n;

	sample(&r);
	n = pd_jrec_format(&r, buf, sizeof(buf));
	for (int len = 0; len < n; len++) {
		int e = pd_jrec_parse(buf, (size_t)len, &p);

		ck_assert_msg(e == -EBADMSG || e == -EINVAL,
			      "prefix of %d bytes: %d", len, e);
	}
	/* a flipped byte anywhere: the checksum */
	for (int i = 20; i < n - 1; i++) {
		char c[PD_JOURNAL_MAX];

		memcpy(c, buf, (size_t)n);
		c[i] ^= 0x01;
		ck_assert_msg(pd_jrec_parse(c, (size_t)n, &p) != 0, "byte %d", i);
	}
	/* trailing bytes after the checksum line */
	memcpy(buf + n, "x\n", 2);
	ck_assert_int_ne(pd_jrec_parse(buf, (size_t)n + 2, &p), 0);
	/* zero bytes (a file extended but never written) */
	memset(buf, 0, 200);
	ck_assert_int_ne(pd_jrec_parse(buf, 200, &p), 0);
}
END_TEST

START_TEST(t_version_and_members)
{
	struct pd_jrec p;
	char buf[PD_JOURNAL_MAX];
	size_t n;
	static const char base[] =
		"key " KEY "\nstage submitting\namount 1234\ncurrency EUR\n"
		"created 1767225600\n";
	char body[2048];

	/* unknown members are ignored */
	snprintf(body, sizeof(body), "paytermd-inflight 1\n%sflavour vanilla\n"
		 "updated 5\n", base);
	n = seal(body, buf, sizeof(buf));
	ck_assert_int_eq(pd_jrec_parse(buf, n, &p), 0);
	ck_assert_uint_eq(p.amount, 1234);
	ck_assert_int_eq(p.updated, 5);

	/* another version: not ours to judge */
	snprintf(body, sizeof(body), "paytermd-inflight 2\n%s", base);
	n = seal(body, buf, sizeof(buf));
	ck_assert_int_eq(pd_jrec_parse(buf, n, &p), -EPROTONOSUPPORT);
	snprintf(body, sizeof(body), "paytermd-inflight 0\n%s", base);
	n = seal(body, buf, sizeof(buf));
	ck_assert_int_eq(pd_jrec_parse(buf, n, &p), -EPROTONOSUPPORT);
	/* not a record at all */
	snprintf(body, sizeof(body), "paytermd-inflight x\n%s", base);
	n = seal(body, buf, sizeof(buf));
	ck_assert_int_eq(pd_jrec_parse(buf, n, &p), -EINVAL);
	snprintf(body, sizeof(body), "something else 1\n%s", base);
	n = seal(body, buf, sizeof(buf));
	ck_assert_int_eq(pd_jrec_parse(buf, n, &p), -EINVAL);

	/* required members, given once, well formed */
	static const char *const bad[] = {
		"stage submitting\namount 1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\namount 1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\namount 1\ncreated 1\n",
		"key " KEY "\nstage submitting\namount 1\ncurrency EUR\n",
		"key " KEY "\nkey " KEY "\nstage submitting\namount 1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage done\namount 1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage reversing\namount 1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\namount -1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\namount 1000000000000\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\namount 12a\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\namount 1\ncurrency EURO\ncreated 1\n",
		"key bad/key\nstage submitting\namount 1\ncurrency EUR\ncreated 1\n",
		"key " KEY "\nstage submitting\namount 1\ncurrency EUR\ncreated 1\npayment_id a/b\n",
		"key " KEY "\nstage submitting\namount 1\ncurrency EUR\ncreated 1\nnovalue\n",
		"key " KEY "\nstage submitting\namount 1\ncurrency EUR\ncreated 1\nempty \n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "paytermd-inflight 1\n%s", bad[i]);
		n = seal(body, buf, sizeof(buf));
		ck_assert_msg(pd_jrec_parse(buf, n, &p) == -EINVAL, "case %zu", i);
	}
	/* reversing needs the payment id */
	snprintf(body, sizeof(body), "paytermd-inflight 1\nkey " KEY "\nstage "
		 "reversing\npayment_id pay_1\namount 1\ncurrency EUR\ncreated 1\n");
	n = seal(body, buf, sizeof(buf));
	ck_assert_int_eq(pd_jrec_parse(buf, n, &p), 0);
	ck_assert_str_eq(p.payment_id, "pay_1");

	ck_assert(pd_payment_id_ok("pay_9c2e"));
	ck_assert(!pd_payment_id_ok(""));
	ck_assert(!pd_payment_id_ok("pay 1"));
	ck_assert(!pd_payment_id_ok("pay_1?x=1"));
	ck_assert(!pd_payment_id_ok("../reversal"));
	ck_assert(pd_journal_key_ok(KEY));
	ck_assert(!pd_journal_key_ok("0123456789012345678901234567890123456789"));
	ck_assert(!pd_journal_key_ok(".x"));
}
END_TEST

/* ---- the directory ---- */

static char dir[256];
static char found[8][40];
static int nfound;
static struct pd_jrec found_rec[8];

static void collect(void *user, const struct pd_jrec *r)
{
	ck_assert_int_lt(nfound, 8);
	found_rec[nfound] = *r;
	snprintf(found[nfound++], sizeof(found[0]), "%s", r->key);
	(void)user;
}

static void put_file(const char *name, const void *p, size_t n)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/inflight/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static bool exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/inflight/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pd-journal-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	nfound = 0;
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(t_dir_put_remove)
{
	struct pd_journal *j;
	struct pd_jrec r;
	struct stat st;
	char path[512];

	ck_assert_int_eq(pd_journal_open(dir, &j), 0);
	snprintf(path, sizeof(path), "%s/inflight", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	sample(&r);
	r.updated = 0;
	ck_assert_int_eq(pd_journal_put(j, &r), 0);
	ck_assert_int_gt(r.updated, 1767225611);	/* now */
	ck_assert(exists(KEY ".rec"));
	ck_assert(!exists("." KEY ".tmp"));
	snprintf(path, sizeof(path), "%s/inflight/" KEY ".rec", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* a second write replaces the first */
	r.stage = PD_J_REVERSING;
	snprintf(r.payment_id, sizeof(r.payment_id), "pay_1");
	ck_assert_int_eq(pd_journal_put(j, &r), 0);
	ck_assert_int_eq(pd_journal_scan(j, collect, NULL), 1);
	ck_assert_str_eq(found[0], KEY);
	ck_assert_int_eq(found_rec[0].stage, PD_J_REVERSING);
	ck_assert_str_eq(found_rec[0].payment_id, "pay_1");
	ck_assert_int_eq(pd_journal_remove(j, KEY), 0);
	ck_assert(!exists(KEY ".rec"));
	ck_assert_int_eq(pd_journal_remove(j, KEY), 0);	/* gone: fine */
	ck_assert_int_eq(pd_journal_remove(j, "../x"), -EINVAL);
	nfound = 0;
	ck_assert_int_eq(pd_journal_scan(j, collect, NULL), 0);
	pd_journal_free(j);
	/* opening again: the directory is there already */
	ck_assert_int_eq(pd_journal_open(dir, &j), 0);
	pd_journal_free(j);
	/* no state directory at all */
	ck_assert_int_lt(pd_journal_open("/nonexistent/paytermd", &j), 0);
}
END_TEST

START_TEST(t_dir_resume)
{
	static const char k2[] = "00112233445566778899AABBCCDDEEFF";
	static const char k3[] = "0123456789ABCDEF0123456789ABCDEF";
	static const char k4[] = "FFEEDDCCBBAA99887766554433221100";
	struct pd_journal *j;
	struct pd_jrec r, p;
	char buf[PD_JOURNAL_MAX], body[1024];
	size_t n;
	int len;

	ck_assert_int_eq(pd_journal_open(dir, &j), 0);
	/* a whole record */
	sample(&r);
	ck_assert_int_eq(pd_journal_put(j, &r), 0);
	/* a torn record (half of it): resumed from its name */
	sample(&r);
	snprintf(r.key, sizeof(r.key), "%s", k2);
	r.stage = PD_J_REVERSING;
	snprintf(r.payment_id, sizeof(r.payment_id), "pay_2");
	len = pd_jrec_format(&r, buf, sizeof(buf));
	put_file("00112233445566778899AABBCCDDEEFF.rec", buf, (size_t)len / 2);
	/* a record of a later format version: left alone */
	snprintf(body, sizeof(body), "paytermd-inflight 2\nkey %s\nstage "
		 "submitting\namount 1\ncurrency EUR\ncreated 1\n", k3);
	n = seal(body, buf, sizeof(buf));
	put_file("0123456789ABCDEF0123456789ABCDEF.rec", buf, n);
	/* a record whose key is not its name's: damaged, resumed by name */
	sample(&r);
	len = pd_jrec_format(&r, buf, sizeof(buf));
	put_file("FFEEDDCCBBAA99887766554433221100.rec", buf, (size_t)len);
	/* a write that never reached its rename, and other files */
	put_file(".AAAA.tmp", "paytermd-inf", 12);
	put_file("README", "not a record", 12);
	put_file("bad name.rec", "x", 1);

	ck_assert_int_eq(pd_journal_scan(j, collect, NULL), 3);
	ck_assert_str_eq(found[0], k2);		/* in name order */
	ck_assert_str_eq(found[1], KEY);
	ck_assert_str_eq(found[2], k4);
	ck_assert_int_eq(found_rec[0].stage, PD_J_SUBMITTING);
	ck_assert_str_eq(found_rec[0].payment_id, "");
	ck_assert_int_eq(found_rec[1].stage, PD_J_SUBMITTING);
	ck_assert_uint_eq(found_rec[1].amount, 1234);
	ck_assert_str_eq(found_rec[1].order_id, "A-1001");
	ck_assert_int_eq(found_rec[2].stage, PD_J_SUBMITTING);
	ck_assert_uint_eq(found_rec[2].amount, 0);
	ck_assert(!exists(".AAAA.tmp"));
	ck_assert(exists("README"));
	ck_assert(exists("bad name.rec"));
	ck_assert(exists("0123456789ABCDEF0123456789ABCDEF.rec"));
	/* the damaged ones were rewritten whole */
	{
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/inflight/%s.rec", dir, k2);
		f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		ck_assert_int_eq(pd_jrec_parse(buf, n, &p), 0);
		ck_assert_str_eq(p.key, k2);
	}
	/* a second scan finds the same three */
	nfound = 0;
	ck_assert_int_eq(pd_journal_scan(j, collect, NULL), 3);
	pd_journal_free(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_journal");
	TCase *tf = tcase_create("format"), *td = tcase_create("dir");
	SRunner *sr;
	int failed;

	tcase_add_test(tf, t_roundtrip);
	tcase_add_test(tf, t_torn);
	tcase_add_test(tf, t_version_and_members);
	suite_add_tcase(s, tf);
	tcase_add_checked_fixture(td, setup, teardown);
	tcase_add_test(td, t_dir_put_remove);
	tcase_add_test(td, t_dir_resume);
	suite_add_tcase(s, td);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
