/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: memory for card data, PINs and keys.  Each allocation is its
 * own anonymous mapping: locked (mlock, never swapped), excluded from core
 * dumps (MADV_DONTDUMP), not inherited by children (MADV_WIPEONFORK) and
 * wiped (OPENSSL_cleanse) before it is unmapped.  The process itself is
 * made non-dumpable and non-ptraceable at start (pd_secure_init).
 */
#ifndef PD_SECURE_H
#define PD_SECURE_H

#include <stddef.h>

/* PR_SET_DUMPABLE 0, RLIMIT_CORE 0.  Returns 0 or -errno. */
int pd_secure_init(void);
/* Zeroed, locked memory of @size bytes or NULL (errno set). */
void *pd_secure_alloc(size_t size);
/* Wipe and unmap; NULL is fine. */
void pd_secure_free(void *p, size_t size);
/* Wipe in place; never optimised away. */
void pd_wipe(void *p, size_t size);

#endif
