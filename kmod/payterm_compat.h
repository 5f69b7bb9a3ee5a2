/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payterm: the kernel API differences between the kernels the modules are
 * built for by DKMS, from 6.1 (Debian 12) to 6.12 (Debian 13) and later.
 * Every version test of the modules is here; only the 6.1 side is built
 * here (the VM suite), the others follow the kernel's changelog.
 *
 * Not needed: no_llseek is only "#define no_llseek NULL" in 6.1 and is gone
 * in 6.12; a NULL .llseek makes lseek() fail with -ESPIPE on both, so the
 * file operations simply leave it out.
 */
#ifndef _PAYTERM_COMPAT_H
#define _PAYTERM_COMPAT_H

#include <linux/device.h>
#include <linux/timer.h>
#include <linux/version.h>

/* 6.4 dropped class_create()'s owner argument. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define payterm_class_create(name)	class_create(name)
#else
#define payterm_class_create(name)	class_create(THIS_MODULE, name)
#endif

/* 6.12 moved the unaligned access helpers out of asm/. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * Timers: the modules use the current names.  timer_delete{,_sync}() came
 * in 6.2 (del_timer*() later went away); timer_container_of() replaced
 * from_timer() in 6.16.  Defined after <linux/timer.h>, so that its own
 * declarations are not rewritten.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define timer_delete(t)			del_timer(t)
#define timer_delete_sync(t)		del_timer_sync(t)
#endif
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 16, 0) && !defined(timer_container_of)
#define timer_container_of(var, t, field)	from_timer(var, t, field)
#endif

#endif /* _PAYTERM_COMPAT_H */
