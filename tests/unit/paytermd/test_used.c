// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: the used-request store is durable.  pd_used_add() writes a
 * temp file, fsyncs it, renames it over state_dir/used-requests and must
 * then fsync the directory: until the directory entry is on the disk, a
 * power cut can bring back the old list, and with it a request already
 * submitted.  fsync() and rename() are interposed here (this executable's
 * definitions win over libc's for request.o) to see the order of calls.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../../daemon/paytermd/request.h"
#include "../check_main.h"

static char dir[64];
static int renamed;		/* a rename into dir happened */
static int dir_synced;		/* dir fsync'd after the last rename */
static int fail_dir_sync;	/* make the directory fsync fail (EIO) */

int fsync(int fd)
{
	struct stat st;

	if (!fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		if (fail_dir_sync) {
			errno = EIO;
			return -1;
		}
		if (renamed)
			dir_synced = 1;
	}
	return (int)syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to)
{
	int r = (int)syscall(SYS_rename, from, to);

	if (!r && !strncmp(to, dir, strlen(dir))) {
		renamed = 1;
		dir_synced = 0;
	}
	return r;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/pd-used-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	renamed = dir_synced = fail_dir_sync = 0;
}

static void teardown(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/used-requests", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/used-requests.tmp", dir);
	unlink(p);
	rmdir(dir);
}

START_TEST(t_used_dir_fsync)
{
	int64_t now = time(NULL);
	struct pd_used *u;

	ck_assert_int_eq(pd_used_open(dir, &u), 0);
	ck_assert_int_eq(pd_used_add(u, "req-1", now + 600, now), 0);
	ck_assert_msg(renamed, "used-requests not replaced by rename");
	ck_assert_msg(dir_synced, "directory not fsync'd after the rename");
	renamed = dir_synced = 0;
	ck_assert_int_eq(pd_used_add(u, "req-2", now + 600, now), 0);
	ck_assert(renamed && dir_synced);
	pd_used_free(u);
	ck_assert_int_eq(pd_used_open(dir, &u), 0);
	ck_assert(pd_used_seen(u, "req-1") && pd_used_seen(u, "req-2"));
	pd_used_free(u);
}
END_TEST

/* A directory that cannot be synced is an error: the caller must not
 * submit card data for a request it could not durably mark as used. */
START_TEST(t_used_dir_fsync_fails)
{
	int64_t now = time(NULL);
	struct pd_used *u;

	ck_assert_int_eq(pd_used_open(dir, &u), 0);
	fail_dir_sync = 1;
	ck_assert_int_eq(pd_used_add(u, "req-1", now + 600, now), -EIO);
	fail_dir_sync = 0;
	pd_used_free(u);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("paytermd_used");
	TCase *tc = tcase_create("used");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t_used_dir_fsync);
	tcase_add_test(tc, t_used_dir_fsync_fails);
	suite_add_tcase(s, tc);
	return pt_check_run(s);
}
