/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pt_lock_pages(): mlock(2) as the system call.  The sanitizer runtimes
 * (ASan, and so the `make SAN=1` builds the tests run) replace mlock() with
 * a no-op that reports success, so key and card-data pages would silently
 * stay swappable in exactly the builds that check they are locked.  Private
 * to payterm (not installed): paytermd's secure buffers and the key store.
 */
#ifndef PT_LOCK_H
#define PT_LOCK_H

#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int pt_lock_pages(void *p, size_t len)
{
	return (int)syscall(SYS_mlock, p, len);
}

#endif
