/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermctl: commands that talk to paytermd over D-Bus (dbus.c). */
#ifndef PAYTERMCTL_DBUS_H
#define PAYTERMCTL_DBUS_H

/* exit codes of 'pay' beyond those of paytermctl.h */
enum {
	EXIT_DECLINED = 6,	/* the bank declined */
	EXIT_CANCELLED = 7,	/* cancelled (keypad, Ctrl-C, other) */
	EXIT_REFUSED = 8,	/* StartPayment refused (busy, forged...) */
};

int cmd_readers(int argc, char **argv);
int cmd_pay(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_requests(int argc, char **argv);

#endif
