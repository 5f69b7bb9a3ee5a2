// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Key store crash consistency.  A child process takes transaction keys and
 * reports every KSN it was given; it dies (_exit, as a crash or kill would
 * leave things) at each fault point of a store update, or is SIGKILLed at
 * random moments.  Afterwards the store must open, and the next KSN must
 * be higher than every KSN ever released: a KSN is never reused.  In-process
 * injected I/O failures must release nothing and leave the store usable.
 */
#include "ks_util.h"
#include "keystore_test.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static int crash_point, crash_countdown;

static int crash_hook(enum pt_ks_fault p)
{
	if ((int)p == crash_point && --crash_countdown == 0)
		_exit(0);	/* the process dies right here */
	return 0;
}

static int fail_point, fail_count;

static int fail_hook(enum pt_ks_fault p)
{
	if ((int)p == fail_point && fail_count > 0) {
		fail_count--;
		return 1;	/* inject an I/O error */
	}
	return 0;
}

/* Child: open, then take keys until killed or `max` taken; every released
 * counter goes to fd (4 bytes). */
static void child_run(int fd, unsigned max)
{
	struct pt_keystore *ks;
	uint8_t ksn[12], txn[32];
	size_t kl, tl;

	if (pt_ks_open(ks_path, test_kek, &ks))
		_exit(3);
	for (unsigned i = 0; i < max; i++) {
		uint32_t c;

		if (pt_ks_next(ks, ksn, &kl, txn, &tl))
			_exit(4);
		c = ksn_counter(ksn);
		if (write(fd, &c, sizeof(c)) != sizeof(c))
			_exit(5);
	}
	pt_ks_close(ks);
	_exit(0);
}

/* Reads released counters until EOF; returns the highest (0 if none). */
static uint32_t drain(int fd, unsigned *count)
{
	uint32_t c, hi = 0;

	*count = 0;
	while (read(fd, &c, sizeof(c)) == sizeof(c)) {
		ck_assert_uint_gt(c, hi);	/* strictly increasing */
		hi = c;
		(*count)++;
	}
	return hi;
}

/* The store opens and its next KSN is above everything released; returns
 * that next counter. */
static uint32_t check_store(uint32_t released_hi)
{
	struct pt_keystore *ks;
	uint8_t ksn[12];
	int r = pt_ks_open(ks_path, test_kek, &ks);

	ck_assert_msg(r == PT_OK, "store does not open after crash: %s", pt_strerror(r));
	ck_assert_ok(pt_dukpt_dev_ksn(pt_ks_dev(ks), ksn));
	ck_assert_msg(ksn_counter(ksn) > released_hi,
		      "KSN reuse: next %u, already released %u", ksn_counter(ksn),
		      released_hi);
	pt_ks_close(ks);
	return ksn_counter(ksn);
}

/* Crash at every fault point, on the first to fourth update. */
START_TEST(crash_at_every_point)
{
	uint32_t hi_total = 0;

	ks_fresh(1);
	for (int p = PT_KS_FP_TMP_CREATED; p < PT_KS_FP_COUNT; p++) {
		for (int nth = 1; nth <= 4; nth++) {
			int pfd[2], status;
			unsigned cnt;
			uint32_t hi, next;
			pid_t pid;

			ck_assert_int_eq(pipe(pfd), 0);
			pid = fork();
			ck_assert_int_ge(pid, 0);
			if (pid == 0) {
				close(pfd[0]);
				crash_point = p;
				crash_countdown = nth;
				pt_ks_fault_hook = crash_hook;
				child_run(pfd[1], 10);
			}
			close(pfd[1]);
			hi = drain(pfd[0], &cnt);
			close(pfd[0]);
			ck_assert_int_eq(waitpid(pid, &status, 0), pid);
			ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
			/* the child died during update number nth */
			ck_assert_uint_eq(cnt, (unsigned)nth - 1);
			if (cnt)
				ck_assert_uint_gt(hi, hi_total);
			if (hi > hi_total)
				hi_total = hi;
			next = check_store(hi_total);
			/* once the rename happened the new state is the store's */
			if (p >= PT_KS_FP_RENAMED)
				hi_total = next - 1;
		}
	}
}
END_TEST

/* SIGKILL at random moments while keys are being taken.  Each round waits
 * for the child's first released key before the random delay, so every
 * round has something to lose, and checks that the kill (not the end of
 * the child's loop) ended it. */
START_TEST(sigkill_random)
{
	unsigned rounds = iters(30, 6);
	uint32_t hi_total = 0;
	struct timespec ts;

	ks_fresh(1);
	trand_seed(0xC0FFEE);
	for (unsigned r = 0; r < rounds; r++) {
		int pfd[2], status;
		unsigned cnt;
		uint32_t first, hi;
		pid_t pid;

		ck_assert_int_eq(pipe(pfd), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(pfd[0]);
			child_run(pfd[1], 1000000);
		}
		close(pfd[1]);
		ck_assert_int_eq(read(pfd[0], &first, sizeof(first)), sizeof(first));
		ck_assert_uint_gt(first, hi_total);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(trand() % (test_slow() ? 200000000u : 20000000u));
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		hi = drain(pfd[0], &cnt);
		close(pfd[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "round %u: the child was not killed mid-run", r);
		if (cnt)
			ck_assert_uint_gt(hi, first);
		else
			hi = first;
		hi_total = hi;
		check_store(hi_total);
	}
}
END_TEST

/* Injected I/O errors: nothing is released, the in-memory state does not
 * move, and later transactions still never repeat a KSN. */
START_TEST(injected_failures)
{
	struct pt_keystore *ks;
	uint8_t ksn[12], txn[32];
	size_t kl, tl;
	uint32_t hi = 0;

	ks_fresh(1);
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	for (int p = PT_KS_FP_TMP_CREATED; p < PT_KS_FP_COUNT; p++) {
		uint8_t before[12], after[12];

		ck_assert_ok(pt_dukpt_dev_ksn(pt_ks_dev(ks), before));
		fail_point = p;
		fail_count = 1;
		pt_ks_fault_hook = fail_hook;
		memset(txn, 0xAA, sizeof(txn));
		ck_assert_pt(pt_ks_next(ks, ksn, &kl, txn, &tl), PT_ERR_IO);
		for (size_t i = 0; i < sizeof(txn); i++)
			ck_assert_uint_eq(txn[i], 0xAA);	/* nothing released */
		ck_assert_ok(pt_dukpt_dev_ksn(pt_ks_dev(ks), after));
		ck_assert_mem_eq(before, after, 12);
		pt_ks_fault_hook = NULL;
		/* the file on disk is either the old or the new state */
		pt_ks_close(ks);
		ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
		ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
		ck_assert_uint_gt(ksn_counter(ksn), hi);
		hi = ksn_counter(ksn);
		ck_assert_int_ne(access(ks_path, F_OK), -1);
	}
	pt_ks_close(ks);
	/* a failing load leaves the previous state in place */
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	{
		struct pt_dukpt_dev d;

		ck_assert_ok(pt_dukpt_dev_init_aes(&d, test_ik, 16, test_ikid));
		fail_point = PT_KS_FP_WRITTEN;
		fail_count = 1;
		pt_ks_fault_hook = fail_hook;
		ck_assert_pt(pt_ks_load(ks, &d), PT_ERR_IO);
		pt_ks_fault_hook = NULL;
		pt_dukpt_dev_wipe(&d);
	}
	ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
	ck_assert_uint_gt(ksn_counter(ksn), hi);
	pt_ks_close(ks);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_keystore_crash");
	TCase *t = tcase_create("crash");

	signal(SIGPIPE, SIG_IGN);
	tcase_add_checked_fixture(t, ks_setup, ks_teardown);
	tcase_set_timeout(t, 240);
	tcase_add_test(t, crash_at_every_point);
	tcase_add_test(t, sigkill_random);
	tcase_add_test(t, injected_failures);
	suite_add_tcase(s, t);
	return run_suite(s);
}
