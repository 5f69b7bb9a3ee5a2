// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * payterm crypto: terminal key store (see pt_keystore.h, docs/crypto.md).
 *
 * File (all integers big endian):
 *   0  "PTKS"   4  format 1   5  sealing 1 (AES-256-GCM)   6  0000
 *   8  generation (8)   16 nonce (12)   28 plaintext length (4)
 *   32 ciphertext (n)   32+n GCM tag (16)        AAD = bytes 0..31
 * Plaintext (STATE_LEN bytes):
 *   0 kind  1 derivation key type  2 0000  4 id (12)  16 counter (4)
 *   20 valid register bitmap (4)  24 32 registers of 32 bytes
 */
#include "pt_keystore.h"
#include "pt_lock.h"
#include "keystore_test.h"
#include "pt_err.h"
#include "pt_prim.h"
#include "pt_tr31.h"
#include "pt_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#define HDR_LEN		32
#define TAG_LEN		16
#define NONCE_LEN	12
#define STATE_LEN	(24 + 32 * PT_DUKPT_MAX_KEY)
#define FILE_LEN	(HDR_LEN + STATE_LEN + TAG_LEN)

int (*pt_ks_fault_hook)(enum pt_ks_fault point);

/*
 * The whole struct -- KEK, future key registers and every scratch buffer
 * that holds clear key material while the store is sealed, unsealed or
 * advanced -- is one anonymous mapping of its own: mlock'ed (a store
 * cannot be opened when the pages cannot be locked: PT_ERR_NOLOCK),
 * MADV_DONTDUMP, MADV_WIPEONFORK, wiped before munmap.  Nothing secret is
 * ever malloc'ed or left on the stack by the key store.
 */
struct pt_keystore {
	char *path;
	char *tmp;
	char *dir;
	int lockfd;
	uint64_t generation;
	uint8_t kek[PT_KEK_LEN];
	struct pt_dukpt_dev dev;
	/* scratch, wiped after each use */
	struct pt_dukpt_dev next;		/* pt_ks_next, pt_ks_load_tr31 */
	struct pt_tr31_key tr31;		/* pt_ks_load_tr31 */
	uint8_t state[STATE_LEN];		/* seal / unseal plaintext */
	uint8_t key[PT_DUKPT_MAX_KEY];		/* pt_ks_next transaction key */
};

static size_t ks_map_len(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t p = pg > 0 ? (size_t)pg : 4096;

	return (sizeof(struct pt_keystore) + p - 1) / p * p;
}

/* Zeroed, locked, undumpable, wiped-on-fork; NULL with PT_ERR_* in *err. */
static struct pt_keystore *ks_map(int *err)
{
	size_t len = ks_map_len();
	void *p;
	int e;

	*err = PT_OK;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		*err = PT_ERR_NOMEM;
		return NULL;
	}
	if (madvise(p, len, MADV_DONTDUMP) ||
#ifdef MADV_WIPEONFORK
	    madvise(p, len, MADV_WIPEONFORK) ||
#endif
	    pt_lock_pages(p, len)) {
		e = errno;
		munmap(p, len);
		errno = e;
		*err = PT_ERR_NOLOCK;
		return NULL;
	}
	return p;
}

static void ks_unmap(struct pt_keystore *ks)
{
	size_t len = ks_map_len();

	pt_cleanse(ks, len);
	(void)munlock(ks, len);
	munmap(ks, len);
}

static int fault(enum pt_ks_fault p)
{
	return pt_ks_fault_hook && pt_ks_fault_hook(p) ? PT_ERR_IO : PT_OK;
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void serialize(const struct pt_dukpt_dev *d, uint8_t *s)
{
	memset(s, 0, STATE_LEN);
	s[0] = (uint8_t)d->kind;
	s[1] = (uint8_t)d->dk_type;
	memcpy(s + 4, d->id, 12);
	put_be(s + 16, d->counter, 4);
	put_be(s + 20, d->valid, 4);
	memcpy(s + 24, d->reg, sizeof(d->reg));
}

static int deserialize(const uint8_t *s, struct pt_dukpt_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = (enum pt_dukpt_kind)s[0];
	d->dk_type = (enum pt_key_type)s[1];
	memcpy(d->id, s + 4, 12);
	d->counter = (uint32_t)get_be(s + 16, 4);
	d->valid = (uint32_t)get_be(s + 20, 4);
	memcpy(d->reg, s + 24, sizeof(d->reg));
	switch (d->kind) {
	case PT_DUKPT_NONE:
		return PT_OK;
	case PT_DUKPT_AES:
		if (d->dk_type != PT_KT_AES128 && d->dk_type != PT_KT_AES192 &&
		    d->dk_type != PT_KT_AES256)
			return PT_ERR_STORE_FORMAT;
		if (d->counter && pt_popcount32(d->counter) > PT_DUKPT_AES_MAX_ONES)
			return PT_ERR_STORE_FORMAT;
		return PT_OK;
	case PT_DUKPT_TDES:
		if (d->dk_type != PT_KT_TDES2 ||
		    d->counter > PT_DUKPT_TDES_COUNTER_MASK ||
		    d->valid > PT_DUKPT_TDES_COUNTER_MASK ||
		    pt_popcount32(d->counter) > PT_DUKPT_TDES_MAX_ONES)
			return PT_ERR_STORE_FORMAT;
		return PT_OK;
	}
	return PT_ERR_STORE_FORMAT;
}

static int seal(struct pt_keystore *ks, uint64_t gen,
		const struct pt_dukpt_dev *d, uint8_t *file)
{
	const uint8_t *kek = ks->kek;
	uint8_t *state = ks->state;
	EVP_CIPHER_CTX *ctx = NULL;
	int outl, r;

	memset(file, 0, HDR_LEN);
	memcpy(file, "PTKS", 4);
	file[4] = 1;
	file[5] = 1;
	put_be(file + 8, gen, 8);
	r = pt_random(file + 16, NONCE_LEN);
	if (r)
		return r;
	put_be(file + 28, STATE_LEN, 4);
	serialize(d, state);
	r = PT_ERR_CRYPTO;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx &&
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, file + 16) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &outl, file, HDR_LEN) == 1 &&
	    EVP_EncryptUpdate(ctx, file + HDR_LEN, &outl, state, STATE_LEN) == 1 &&
	    outl == STATE_LEN &&
	    EVP_EncryptFinal_ex(ctx, file + HDR_LEN + outl, &outl) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
				file + HDR_LEN + STATE_LEN) == 1)
		r = PT_OK;
	EVP_CIPHER_CTX_free(ctx);
	pt_cleanse(state, STATE_LEN);
	return r;
}

static int unseal(struct pt_keystore *ks, const uint8_t *file,
		  size_t len, uint64_t *gen, struct pt_dukpt_dev *d)
{
	const uint8_t *kek = ks->kek;
	uint8_t *state = ks->state, tag[TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	int outl, r;

	if (len != FILE_LEN || memcmp(file, "PTKS", 4) || file[4] != 1 ||
	    file[5] != 1 || get_be(file + 28, 4) != STATE_LEN)
		return PT_ERR_STORE_FORMAT;
	memcpy(tag, file + HDR_LEN + STATE_LEN, TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return PT_ERR_NOMEM;
	r = PT_ERR_CRYPTO;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, file + 16) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &outl, file, HDR_LEN) == 1 &&
	    EVP_DecryptUpdate(ctx, state, &outl, file + HDR_LEN, STATE_LEN) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1)
		r = EVP_DecryptFinal_ex(ctx, state + outl, &outl) == 1 ?
			PT_OK : PT_ERR_STORE_AUTH;
	EVP_CIPHER_CTX_free(ctx);
	if (!r) {
		*gen = get_be(file + 8, 8);
		r = deserialize(state, d);
	}
	pt_cleanse(state, STATE_LEN);
	return r;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return PT_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return PT_OK;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return PT_ERR_IO;
	r = fsync(fd) ? PT_ERR_IO : PT_OK;
	close(fd);
	return r;
}

/* Atomic replace: temp, fsync, rename, fsync directory. */
static int store_write(struct pt_keystore *ks, const struct pt_dukpt_dev *d,
		       uint64_t gen)
{
	uint8_t file[FILE_LEN];
	int fd, r;

	r = seal(ks, gen, d, file);
	if (r)
		return r;
	unlink(ks->tmp);	/* stale temp file from an earlier crash */
	fd = open(ks->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0)
		return PT_ERR_IO;
	r = fchmod(fd, 0600) ? PT_ERR_IO : PT_OK;
	if (!r)
		r = fault(PT_KS_FP_TMP_CREATED);
	if (!r)
		r = write_all(fd, file, FILE_LEN / 2);
	if (!r)
		r = fault(PT_KS_FP_PARTIAL);
	if (!r)
		r = write_all(fd, file + FILE_LEN / 2, FILE_LEN - FILE_LEN / 2);
	if (!r)
		r = fault(PT_KS_FP_WRITTEN);
	if (!r && fsync(fd))
		r = PT_ERR_IO;
	if (close(fd) && !r)
		r = PT_ERR_IO;
	if (!r)
		r = fault(PT_KS_FP_SYNCED);
	if (!r && rename(ks->tmp, ks->path))
		r = PT_ERR_IO;
	if (r) {
		int e = errno;

		unlink(ks->tmp);	/* the old store stays in place */
		errno = e;
		return r;
	}
	/* from here on the new state is the store's (once the directory
	 * entry reaches the disk) */
	r = fault(PT_KS_FP_RENAMED);
	if (!r)
		r = fsync_dir(ks->dir);
	if (!r)
		r = fault(PT_KS_FP_COMMITTED);
	return r;
}

static int check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st))
		return PT_ERR_IO;
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 022))
		return PT_ERR_STORE_PERM;
	return PT_OK;
}

static char *strcat_dup(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static int ks_alloc(const char *path, const uint8_t kek[PT_KEK_LEN],
		    struct pt_keystore **out)
{
	struct pt_keystore *ks;
	char *lockpath, *d;
	int r = PT_OK;

	if (!path || !*path || !kek || !out)
		return PT_ERR_INVALID_ARG;
	ks = ks_map(&r);
	if (!ks)
		return r;
	ks->lockfd = -1;
	ks->path = strdup(path);
	ks->tmp = strcat_dup(path, ".tmp");
	d = strdup(path);
	lockpath = strcat_dup(path, ".lock");
	if (!ks->path || !ks->tmp || !d || !lockpath) {
		free(d);
		free(lockpath);
		pt_ks_close(ks);
		return PT_ERR_NOMEM;
	}
	ks->dir = strdup(dirname(d));
	free(d);
	memcpy(ks->kek, kek, PT_KEK_LEN);
	r = ks->dir ? check_dir(ks->dir) : PT_ERR_NOMEM;
	if (!r) {
		ks->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
				  0600);
		if (ks->lockfd < 0 || flock(ks->lockfd, LOCK_EX))
			r = PT_ERR_IO;
	}
	free(lockpath);
	if (r) {
		pt_ks_close(ks);
		return r;
	}
	*out = ks;
	return PT_OK;
}

void pt_ks_close(struct pt_keystore *ks)
{
	if (!ks)
		return;
	if (ks->lockfd >= 0)
		close(ks->lockfd);
	free(ks->path);
	free(ks->tmp);
	free(ks->dir);
	ks_unmap(ks);
}

int pt_ks_create(const char *path, const uint8_t kek[PT_KEK_LEN], int force,
		 struct pt_keystore **out)
{
	struct pt_keystore *ks;
	struct stat st;
	int r;

	r = ks_alloc(path, kek, &ks);
	if (r)
		return r;
	if (!force && lstat(path, &st) == 0) {
		pt_ks_close(ks);
		return PT_ERR_STORE_EXISTS;
	}
	ks->generation = 1;
	r = store_write(ks, &ks->dev, ks->generation);
	if (r) {
		pt_ks_close(ks);
		return r;
	}
	if (out)
		*out = ks;
	else
		pt_ks_close(ks);
	return PT_OK;
}

int pt_ks_open(const char *path, const uint8_t kek[PT_KEK_LEN],
	       struct pt_keystore **out)
{
	struct pt_keystore *ks;
	uint8_t file[FILE_LEN + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, r;

	r = ks_alloc(path, kek, &ks);
	if (r)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		pt_ks_close(ks);
		return PT_ERR_IO;
	}
	r = PT_OK;
	if (fstat(fd, &st))
		r = PT_ERR_IO;
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 0777) != 0600 ||
		 st.st_uid != geteuid())
		r = PT_ERR_STORE_PERM;
	while (!r && got < sizeof(file)) {
		n = read(fd, file + got, sizeof(file) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = PT_ERR_IO;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!r)
		r = unseal(ks, file, got, &ks->generation, &ks->dev);
	pt_cleanse(file, sizeof(file));
	if (r) {
		pt_ks_close(ks);
		return r;
	}
	*out = ks;
	return PT_OK;
}

const struct pt_dukpt_dev *pt_ks_dev(const struct pt_keystore *ks)
{
	return ks ? &ks->dev : NULL;
}

uint64_t pt_ks_generation(const struct pt_keystore *ks)
{
	return ks ? ks->generation : 0;
}

int pt_ks_load(struct pt_keystore *ks, const struct pt_dukpt_dev *dev)
{
	int r;

	if (!ks || !dev)
		return PT_ERR_INVALID_ARG;
	if (dev->kind != PT_DUKPT_AES && dev->kind != PT_DUKPT_TDES)
		return PT_ERR_INVALID_ARG;
	r = store_write(ks, dev, ks->generation + 1);
	if (r)
		return r;
	ks->dev = *dev;
	ks->generation++;
	return PT_OK;
}

int pt_ks_load_tr31(struct pt_keystore *ks, const uint8_t *kbpk,
		    size_t kbpklen, const char *block, const uint8_t *id,
		    size_t idlen)
{
	struct pt_tr31_key *k;
	struct pt_dukpt_dev *dev;
	uint8_t idbuf[12];
	const char *opt;
	size_t n = 0;
	int r;

	if (!ks)
		return PT_ERR_INVALID_ARG;
	/* the clear initial key only ever sits in the store's locked pages */
	k = &ks->tr31;
	dev = &ks->next;
	r = pt_tr31_unwrap(kbpk, kbpklen, block, k);
	if (r)
		goto out;
	r = pt_tr31_check_use(k, PT_OP_DUKPT_INITIAL);
	if (r)
		goto out;
	if (k->algorithm == 'A') {
		opt = pt_tr31_opt_get(k, "IK");
		if (opt)
			r = pt_hex_decode(opt, idbuf, sizeof(idbuf), &n);
		else if (id && idlen == 8)
			memcpy(idbuf, id, n = 8);
		if (!r && n != 8)
			r = PT_ERR_KSN;
		if (!r)
			r = pt_dukpt_dev_init_aes(dev, k->key, k->keylen, idbuf);
	} else if (k->algorithm == 'T') {
		opt = pt_tr31_opt_get(k, "KS");
		if (opt)
			r = pt_hex_decode(opt, idbuf, sizeof(idbuf), &n);
		else if (id && idlen == 10)
			memcpy(idbuf, id, n = 10);
		if (!r && n != 10)
			r = PT_ERR_KSN;
		if (!r && k->keylen != 16)
			r = PT_ERR_KEY_LENGTH;
		if (!r)
			r = pt_dukpt_dev_init_tdes(dev, k->key, idbuf);
	} else {
		r = PT_ERR_ALGORITHM;
	}
	if (r == PT_ERR_HEX)
		r = PT_ERR_KSN;
	if (!r)
		r = pt_ks_load(ks, dev);
out:
	pt_dukpt_dev_wipe(dev);
	pt_tr31_clear(k);
	return r;
}

int pt_ks_next(struct pt_keystore *ks, uint8_t *ksn, size_t *ksnlen,
	       uint8_t *txn, size_t *txnlen)
{
	uint8_t s[12];
	int r;

	if (!ks || !ksn || !ksnlen || !txn || !txnlen)
		return PT_ERR_INVALID_ARG;
	if (ks->dev.kind == PT_DUKPT_NONE)
		return PT_ERR_STORE_EMPTY;
	/* the advanced registers and the key stay in the locked pages */
	ks->next = ks->dev;
	r = pt_dukpt_dev_next(&ks->next, s, ks->key);
	/* the advanced state must be durable before the key leaves */
	if (!r)
		r = store_write(ks, &ks->next, ks->generation + 1);
	if (!r) {
		ks->dev = ks->next;
		ks->generation++;
		*ksnlen = pt_dukpt_dev_ksn_len(&ks->dev);
		*txnlen = pt_dukpt_dev_key_len(&ks->dev);
		memcpy(ksn, s, *ksnlen);
		memcpy(txn, ks->key, *txnlen);
	}
	pt_dukpt_dev_wipe(&ks->next);
	pt_cleanse(ks->key, sizeof(ks->key));
	return r;
}

int pt_kek_read_file(const char *path, uint8_t kek[PT_KEK_LEN])
{
	char buf[130];
	struct stat st;
	ssize_t n;
	size_t got = 0, len;
	int fd, r = PT_OK;

	if (!path || !kek)
		return PT_ERR_INVALID_ARG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return PT_ERR_IO;
	if (fstat(fd, &st))
		r = PT_ERR_IO;
	else if (!S_ISREG(st.st_mode) || (st.st_mode & 077))
		r = PT_ERR_STORE_PERM;
	while (!r && got < sizeof(buf)) {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = PT_ERR_IO;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!r) {
		len = got;
		if (len == PT_KEK_LEN) {
			memcpy(kek, buf, PT_KEK_LEN);
		} else {
			while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
				len--;
			if (len != 2 * PT_KEK_LEN ||
			    pt_hex_decode_n(buf, len, kek, PT_KEK_LEN, NULL))
				r = PT_ERR_KEY_LENGTH;
		}
	}
	pt_cleanse(buf, sizeof(buf));
	return r;
}
