/* SPDX-License-Identifier: GPL-2.0 */
/*
 * payterm: the kernel API differences between the kernels the modules are
 * built for by DKMS, from 6.1 (Debian 12) to 6.12 (Debian 13) and later.
 * Every version test of the modules is here.
 *
 * Not needed: no_llseek was NULL since 6.0 and is gone in 6.12; a NULL
 * .llseek makes lseek() fail with -ESPIPE on every supported kernel, so
 * the file operations simply leave it out.
 */
#ifndef _PAYTERM_COMPAT_H
#define _PAYTERM_COMPAT_H

#include <linux/device.h>
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

#endif /* _PAYTERM_COMPAT_H */
