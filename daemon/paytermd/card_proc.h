/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: the card process (docs/privsep.md).  The front process starts
 * it as "paytermd --card-process -c CONFIG" with the channel on fd 3.  It
 * opens the key store, then confines itself (sandbox.c) and serves the
 * front's messages: it alone opens readers, reads cards and PINs and
 * seals them.  It exits when the channel closes.
 */
#ifndef PD_CARD_PROC_H
#define PD_CARD_PROC_H

#include "config.h"

#define PD_CARD_FD	3

/* Never returns; exit status 0 when the front went away. */
int pd_card_proc_main(struct pd_config *cfg) __attribute__((noreturn));

#endif
