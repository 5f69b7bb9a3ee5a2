// SPDX-License-Identifier: GPL-2.0-or-later
/* Key store: create/open/load/next, persistence, TR-31 loading, file
 * permissions, wrong KEK, corruption, exhaustion. */
#include "ks_util.h"

#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

START_TEST(empty_store)
{
	struct pt_keystore *ks;
	uint8_t ksn[12], txn[32];
	size_t a, b;

	ck_assert_ok(pt_ks_create(ks_path, test_kek, 0, &ks));
	ck_assert_int_eq(pt_ks_dev(ks)->kind, PT_DUKPT_NONE);
	ck_assert_pt(pt_ks_next(ks, ksn, &a, txn, &b), PT_ERR_STORE_EMPTY);
	pt_ks_close(ks);
	ck_assert_pt(pt_ks_create(ks_path, test_kek, 0, &ks), PT_ERR_STORE_EXISTS);
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	ck_assert_int_eq(pt_ks_dev(ks)->kind, PT_DUKPT_NONE);
	pt_ks_close(ks);
}
END_TEST

/* Every released key equals the host derivation; the counter survives
 * reopening; the file mode is 0600. */
START_TEST(next_persists)
{
	struct pt_keystore *ks;
	uint8_t ksn[12], txn[32], host[16];
	size_t kl, tl;
	struct stat st;
	uint64_t gen;
	unsigned n = iters(40, 4);

	ks_fresh(1);
	for (unsigned i = 1; i <= n; i++) {
		ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
		gen = pt_ks_generation(ks);
		ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
		ck_assert_uint_eq(kl, 12);
		ck_assert_uint_eq(tl, 16);
		ck_assert_uint_eq(ksn_counter(ksn), i);
		ck_assert_mem_eq(ksn, test_ikid, 8);
		ck_assert_ok(pt_dukpt_aes_txn_key(test_ik, 16, ksn, host));
		ck_assert_mem_eq(txn, host, 16);
		ck_assert_uint_eq(pt_ks_generation(ks), gen + 1);
		pt_ks_close(ks);
	}
	ck_assert_int_eq(stat(ks_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(load_tr31_aes_and_tdes)
{
	struct pt_keystore *ks;
	struct pt_tr31_key k;
	uint8_t kbpk[32] = { 0x42 }, ksn[12], txn[32], host[16], ipek[16], bdk[16];
	char blk[512], hex[21];
	size_t kl, tl;

	/* AES: B1 key, initial key ID in optional block IK */
	memset(&k, 0, sizeof(k));
	ck_assert_ok(pt_tr31_set_header(&k, "D0000B1AX00N0000"));
	memcpy(k.key, test_ik, 16);
	k.keylen = 16;
	pt_hex_encode(test_ikid, 8, hex);
	ck_assert_ok(pt_tr31_opt_add(&k, "IK", hex));
	ck_assert_ok(pt_tr31_wrap(kbpk, 32, &k, blk, sizeof(blk)));
	pt_tr31_clear(&k);
	ck_assert_ok(pt_ks_create(ks_path, test_kek, 0, &ks));
	ck_assert_ok(pt_ks_load_tr31(ks, kbpk, 32, blk, NULL, 0));
	ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
	ck_assert_hex(ksn, 12, "123456789012345600000001");
	ck_assert_hex(txn, 16, "4F21B565BAD9835E112B6465635EAE44");
	/* a wrong KBPK or a PIN key is refused, the state is untouched */
	kbpk[5] ^= 0x10;
	ck_assert_pt(pt_ks_load_tr31(ks, kbpk, 32, blk, NULL, 0), PT_ERR_TR31_MAC);
	kbpk[5] ^= 0x10;
	memset(&k, 0, sizeof(k));
	ck_assert_ok(pt_tr31_set_header(&k, "D0000P0AE00N0000"));
	memcpy(k.key, test_ik, 16);
	k.keylen = 16;
	ck_assert_ok(pt_tr31_wrap(kbpk, 32, &k, blk, sizeof(blk)));
	pt_tr31_clear(&k);
	ck_assert_pt(pt_ks_load_tr31(ks, kbpk, 32, blk, test_ikid, 8), PT_ERR_KEY_USAGE);
	ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
	ck_assert_hex(ksn, 12, "123456789012345600000002");
	pt_ks_close(ks);

	/* TDES: B1 IPEK under a TDES KBPK, initial KSN given by the caller */
	hexbuf("0123456789ABCDEFFEDCBA9876543210", bdk, 16);
	hexbuf("FFFF9876543210E00000", (uint8_t *)hex, 10);
	ck_assert_ok(pt_dukpt_tdes_ipek(bdk, (uint8_t *)hex, ipek));
	memset(&k, 0, sizeof(k));
	ck_assert_ok(pt_tr31_set_header(&k, "B0000B1TX00N0000"));
	memcpy(k.key, ipek, 16);
	k.keylen = 16;
	ck_assert_ok(pt_tr31_wrap(kbpk, 16, &k, blk, sizeof(blk)));
	pt_tr31_clear(&k);
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	ck_assert_pt(pt_ks_load_tr31(ks, kbpk, 16, blk, NULL, 0), PT_ERR_KSN);
	ck_assert_ok(pt_ks_load_tr31(ks, kbpk, 16, blk, (uint8_t *)hex, 10));
	ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
	ck_assert_uint_eq(kl, 10);
	ck_assert_hex(ksn, 10, "FFFF9876543210E00001");
	ck_assert_hex(txn, 16, "042666B49184CFA368DE9628D0397BC9");
	pt_ks_close(ks);
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
	ck_assert_hex(ksn, 10, "FFFF9876543210E00002");
	ck_assert_ok(pt_dukpt_tdes_host_txn_key(bdk, ksn, host));
	ck_assert_mem_eq(txn, host, 16);
	pt_ks_close(ks);
}
END_TEST

static void corrupt(long off, uint8_t x)
{
	int fd = open(ks_path, O_RDWR);
	uint8_t b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= x;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

START_TEST(refuses_bad_files)
{
	struct pt_keystore *ks;
	uint8_t kek2[PT_KEK_LEN], got[PT_KEK_LEN];

	ks_fresh(5);
	memcpy(kek2, test_kek, sizeof(kek2));
	kek2[31] ^= 1;
	ck_assert_pt(pt_ks_open(ks_path, kek2, &ks), PT_ERR_STORE_AUTH);
	ck_assert_ok(chmod(ks_path, 0644));
	ck_assert_pt(pt_ks_open(ks_path, test_kek, &ks), PT_ERR_STORE_PERM);
	ck_assert_ok(chmod(ks_path, 0600));
	corrupt(40, 0x01);		/* ciphertext */
	ck_assert_pt(pt_ks_open(ks_path, test_kek, &ks), PT_ERR_STORE_AUTH);
	corrupt(40, 0x01);
	corrupt(9, 0x01);		/* generation (authenticated header) */
	ck_assert_pt(pt_ks_open(ks_path, test_kek, &ks), PT_ERR_STORE_AUTH);
	corrupt(9, 0x01);
	corrupt(0, 0x20);		/* magic */
	ck_assert_pt(pt_ks_open(ks_path, test_kek, &ks), PT_ERR_STORE_FORMAT);
	corrupt(0, 0x20);
	ck_assert_ok(truncate(ks_path, 100));
	ck_assert_pt(pt_ks_open(ks_path, test_kek, &ks), PT_ERR_STORE_FORMAT);
	unlink(ks_path);
	ck_assert_pt(pt_ks_open(ks_path, test_kek, &ks), PT_ERR_IO);
	/* KEK file: raw or hex, and it must not be readable by others */
	ck_assert_ok(pt_kek_read_file(kek_path, got));
	ck_assert_mem_eq(got, test_kek, sizeof(got));
	ck_assert_ok(chmod(kek_path, 0640));
	ck_assert_pt(pt_kek_read_file(kek_path, got), PT_ERR_STORE_PERM);
	ck_assert_ok(chmod(kek_path, 0600));
	ck_assert_ok(truncate(kek_path, 31));
	ck_assert_pt(pt_kek_read_file(kek_path, got), PT_ERR_KEY_LENGTH);
	{
		char hex[2 * PT_KEK_LEN + 2];
		FILE *f = fopen(kek_path, "w");

		pt_hex_encode(test_kek, PT_KEK_LEN, hex);
		strcat(hex, "\n");
		ck_assert_ptr_nonnull(f);
		fputs(hex, f);
		fclose(f);
	}
	ck_assert_ok(pt_kek_read_file(kek_path, got));
	ck_assert_mem_eq(got, test_kek, sizeof(got));
}
END_TEST

START_TEST(exhaustion_through_store)
{
	struct pt_keystore *ks;
	uint8_t ksn[12], txn[32];
	size_t kl, tl;

	ks_fresh(0xFFFF0000u);
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	ck_assert_ok(pt_ks_next(ks, ksn, &kl, txn, &tl));
	ck_assert_uint_eq(ksn_counter(ksn), 0xFFFF0000u);
	ck_assert_pt(pt_ks_next(ks, ksn, &kl, txn, &tl), PT_ERR_EXHAUSTED);
	pt_ks_close(ks);
	ck_assert_ok(pt_ks_open(ks_path, test_kek, &ks));
	ck_assert_pt(pt_ks_next(ks, ksn, &kl, txn, &tl), PT_ERR_EXHAUSTED);
	ck_assert_pt(pt_dukpt_dev_ksn(pt_ks_dev(ks), ksn), PT_ERR_EXHAUSTED);
	pt_ks_close(ks);
}
END_TEST

START_TEST(unsafe_directory)
{
	struct pt_keystore *ks;

	ck_assert_ok(chmod(ks_dir, 0777));
	ck_assert_pt(pt_ks_create(ks_path, test_kek, 0, &ks), PT_ERR_STORE_PERM);
	ck_assert_ok(chmod(ks_dir, 0700));
}
END_TEST

/* pt_lock_pages() is the mlock system call, so this holds under ASan too. */
/* The VmFlags of the mapping of /proc/self/smaps that holds @p. */
static int vmflags_of(const void *p, char *flags, size_t len)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long a = (unsigned long)p, lo, hi;
	char line[512];
	int in = 0, found = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') <
		    strchr(line, ' ')) {
			in = a >= lo && a < hi;
			if (in && strstr(line, "[heap]"))
				snprintf(flags, len, "[heap]");
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, len, "%s", line + 8);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static int has_flag(const char *flags, const char *fl)
{
	char buf[512], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", flags);
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, fl))
			return 1;
	return 0;
}

/* The KEK and the DUKPT registers live in locked (lo), undumpable (dd),
 * wiped-on-fork (wf) pages, never in the heap. */
START_TEST(key_pages_locked)
{
	struct pt_keystore *ks;
	char flags[512] = "";

	ck_assert_ok(pt_ks_create(ks_path, test_kek, 0, &ks));
	ck_assert(vmflags_of(pt_ks_dev(ks), flags, sizeof(flags)));
	ck_assert_msg(has_flag(flags, "lo") && has_flag(flags, "dd"),
		      "key store pages not locked + dontdump: %s", flags);
#ifdef MADV_WIPEONFORK
	ck_assert_msg(has_flag(flags, "wf"), "key store pages not wipe-on-fork: %s", flags);
#endif
	pt_ks_close(ks);
}
END_TEST

/* Drop CAP_IPC_LOCK (root ignores RLIMIT_MEMLOCK with it). */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	ck_assert_int_eq(syscall(SYS_capget, &h, d), 0);
	d[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1U << (CAP_IPC_LOCK % 32));
	ck_assert_int_eq(syscall(SYS_capset, &h, d), 0);
}

/* Without lockable memory no store opens: PT_ERR_NOLOCK, not a store
 * whose keys may be swapped out. */
START_TEST(nolock_refused)
{
	struct pt_keystore *ks;
	pid_t pid;
	int st;

	ck_assert_ok(pt_ks_create(ks_path, test_kek, 0, &ks));
	pt_ks_close(ks);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct rlimit rl = { 0, 0 };

		drop_ipc_lock();
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		ks = NULL;
		if (pt_ks_open(ks_path, test_kek, &ks) != PT_ERR_NOLOCK || ks)
			_exit(11);
		if (pt_ks_create(ks_path, test_kek, 1, &ks) != PT_ERR_NOLOCK)
			_exit(12);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "child status %d (11: opened without locked memory)", st);
	ck_assert_str_ne(pt_strerror(PT_ERR_NOLOCK), "unknown error");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto_keystore");
	TCase *t = tcase_create("keystore");

	tcase_add_checked_fixture(t, ks_setup, ks_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, empty_store);
	tcase_add_test(t, next_persists);
	tcase_add_test(t, load_tr31_aes_and_tdes);
	tcase_add_test(t, refuses_bad_files);
	tcase_add_test(t, exhaustion_through_store);
	tcase_add_test(t, unsafe_directory);
	tcase_add_test(t, key_pages_locked);
	tcase_add_test(t, nolock_refused);
	suite_add_tcase(s, t);
	return run_suite(s);
}
