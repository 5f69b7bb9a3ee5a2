/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: the card process's confinement (docs/privsep.md "Sandbox").
 * PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0, then a seccomp BPF allow-list:
 * files, memory, the event loop, the reader ioctls ('P') and the channel.
 * No socket(), connect(), bind(), execve(), fork/clone, ptrace...: those
 * fail with EPERM; a foreign architecture or x32 call kills the process.
 */
#ifndef PD_SANDBOX_H
#define PD_SANDBOX_H

/* Returns 0 or -errno (-ENOSYS: no filter for this architecture). */
int pd_sandbox_card(void);

#endif
