// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: locked, undumpable memory for sensitive data. */
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "pt_lock.h"
#include "secure.h"

static size_t round_pages(size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (size + pg - 1) / pg * pg;
}

int pd_secure_init(void)
{
	struct rlimit rl = { 0, 0 };
	void *probe;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	/* fail at start, not at the first card, when memory cannot be locked */
	probe = pd_secure_alloc(1);
	if (!probe)
		return -(errno ? errno : ENOMEM);
	pd_secure_free(probe, 1);
	return 0;
}

void *pd_secure_alloc(size_t size)
{
	size_t len = round_pages(size ? size : 1);
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_DONTDUMP) < 0) {
		int e = errno;

		munmap(p, len);
		log_err("MADV_DONTDUMP: %s", strerror(e));
		errno = e;
		return NULL;
	}
#ifdef MADV_WIPEONFORK
	(void)madvise(p, len, MADV_WIPEONFORK);
#endif
	if (pt_lock_pages(p, len) < 0) {
		/* RLIMIT_MEMLOCK too low: refuse rather than risk swapping. */
		int e = errno;

		munmap(p, len);
		log_err("mlock of %zu bytes failed: %s (raise LimitMEMLOCK=)",
			len, strerror(e));
		errno = e;
		return NULL;
	}
	return p;
}

void pd_wipe(void *p, size_t size)
{
	if (p && size)
		OPENSSL_cleanse(p, size);
}

void pd_secure_free(void *p, size_t size)
{
	size_t len = round_pages(size ? size : 1);

	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	munlock(p, len);
	munmap(p, len);
}
