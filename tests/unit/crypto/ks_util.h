/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the key store tests (header-only, static). */
#ifndef PT_TEST_KS_UTIL_H
#define PT_TEST_KS_UTIL_H

#include "common.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char ks_dir[256], ks_path[300], kek_path[300];
static const uint8_t test_kek[PT_KEK_LEN] = {
	0x54, 0x45, 0x53, 0x54, 0x20, 0x4B, 0x45, 0x4B, 0x20, 0x2D, 0x20, 0x4E,
	0x4F, 0x54, 0x20, 0x41, 0x20, 0x52, 0x45, 0x41, 0x4C, 0x20, 0x4B, 0x45,
	0x59, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,	/* "TEST KEK - NOT A REAL KEY!!!!!!!" */
};
static const uint8_t test_ik[16] = {
	0x12, 0x73, 0x67, 0x1E, 0xA2, 0x6A, 0xC2, 0x9A,
	0xFA, 0x4D, 0x10, 0x84, 0x12, 0x76, 0x52, 0xA1,
};
static const uint8_t test_ikid[8] = { 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56 };

static inline void ks_setup(void)
{
	const char *t = getenv("TMPDIR");
	int fd;

	snprintf(ks_dir, sizeof(ks_dir), "%s/pt-ks-XXXXXX", t && *t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(ks_dir));
	snprintf(ks_path, sizeof(ks_path), "%s/keys.store", ks_dir);
	snprintf(kek_path, sizeof(kek_path), "%s/kek", ks_dir);
	fd = open(kek_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, test_kek, sizeof(test_kek)), (ssize_t)sizeof(test_kek));
	close(fd);
}

static inline void ks_teardown(void)
{
	char cmd[400];

	if (!ks_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ks_dir);
	if (system(cmd)) {
		/* best effort */
	}
	ks_dir[0] = 0;
}

/* Fresh store holding the X9.24-3 test initial key at counter c. */
static inline void ks_fresh(uint32_t c)
{
	struct pt_keystore *ks;
	struct pt_dukpt_dev d;

	ck_assert_ok(pt_ks_create(ks_path, test_kek, 1, &ks));
	ck_assert_ok(pt_dukpt_dev_init_aes_at(&d, test_ik, 16, test_ikid, c));
	ck_assert_ok(pt_ks_load(ks, &d));
	pt_dukpt_dev_wipe(&d);
	pt_ks_close(ks);
}

static inline uint32_t ksn_counter(const uint8_t *ksn)
{
	return (uint32_t)ksn[8] << 24 | (uint32_t)ksn[9] << 16 | (uint32_t)ksn[10] << 8 | ksn[11];
}

#endif
