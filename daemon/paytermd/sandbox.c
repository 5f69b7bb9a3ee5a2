// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * paytermd: seccomp filter of the card process, written by hand (no
 * libseccomp): check the architecture, refuse x32, allow a fixed list,
 * EPERM for everything else.  ioctl() only with the readers' type 'P'
 * (ENOTTY otherwise: isatty() on the log then just says "no").
 */
#include <errno.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/payterm.h>
#include <linux/seccomp.h>

#include "sandbox.h"

#if defined(__x86_64__)
#define PD_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define PD_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#endif

#ifdef PD_AUDIT_ARCH

#define LD_NR	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define ALLOW(name) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_##name, 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static struct sock_filter prog[] = {
	/* a syscall of another ABI would bypass the numbers below */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PD_AUDIT_ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	LD_NR,
#ifdef __x86_64__
	/* x32 (bit 30) shares the arch value */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
	/* ioctl: the reader ioctls only, by type byte of the request */
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 5),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff00),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PAYTERM_IOC_MAGIC << 8, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOTTY),

	/* the channel and the event loop */
	ALLOW(read), ALLOW(write), ALLOW(readv), ALLOW(writev),
	ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(recvfrom), ALLOW(sendto),
	ALLOW(epoll_ctl), ALLOW(epoll_pwait),
#ifdef __NR_epoll_wait
	ALLOW(epoll_wait),
#endif
	ALLOW(ppoll),
#ifdef __NR_poll
	ALLOW(poll),
#endif
	ALLOW(timerfd_create), ALLOW(timerfd_settime), ALLOW(timerfd_gettime),
	ALLOW(clock_gettime), ALLOW(clock_nanosleep), ALLOW(gettimeofday),
	ALLOW(nanosleep),
	ALLOW(rt_sigprocmask), ALLOW(rt_sigaction), ALLOW(rt_sigreturn),
	ALLOW(signalfd4), ALLOW(getpid), ALLOW(gettid), ALLOW(getppid),
	ALLOW(getuid), ALLOW(geteuid), ALLOW(getgid), ALLOW(getegid),
	ALLOW(futex), ALLOW(sched_yield), ALLOW(getrandom),
	/* the signing thread (card_sign.c) */
	ALLOW(set_robust_list), ALLOW(rseq), ALLOW(madvise),
	ALLOW(exit), ALLOW(exit_group), ALLOW(restart_syscall),
	/* memory: locked, wiped mappings (secure.c, the key store) */
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(mprotect),
	ALLOW(mlock), ALLOW(munlock), ALLOW(mlock2),
	/* files: reader nodes, the key store's atomic rewrite and lock */
	ALLOW(openat), ALLOW(close), ALLOW(lseek), ALLOW(pread64), ALLOW(pwrite64),
	ALLOW(fstat), ALLOW(newfstatat), ALLOW(statx), ALLOW(fcntl),
	ALLOW(fsync), ALLOW(fdatasync), ALLOW(ftruncate), ALLOW(flock),
	ALLOW(renameat), ALLOW(renameat2), ALLOW(unlinkat), ALLOW(getdents64),
	ALLOW(fchmod), ALLOW(faccessat), ALLOW(faccessat2), ALLOW(readlinkat),
#ifdef __NR_open
	ALLOW(open), ALLOW(stat), ALLOW(lstat), ALLOW(access), ALLOW(rename),
	ALLOW(unlink), ALLOW(readlink),
#endif
	ALLOW(getrlimit), ALLOW(prlimit64), ALLOW(uname),
	ALLOW(close_range),

	/* everything else: socket, connect, bind, execve, clone, ptrace ... */
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
};

int pd_sandbox_card(void)
{
	struct sock_fprog fp = {
		.len = sizeof(prog) / sizeof(prog[0]),
		.filter = prog,
	};

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER,
		    SECCOMP_FILTER_FLAG_TSYNC, &fp))
		return -errno;
	return 0;
}

#else

int pd_sandbox_card(void)
{
	return -ENOSYS;
}

#endif
