/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermd, card process: the TLS client key and its signing thread. */
#ifndef PD_CARD_SIGN_H
#define PD_CARD_SIGN_H

#include <stdbool.h>

#define PD_SIGN_FD	4	/* the signing channel in the card process */

/* (Re)load [server] client_key (EC, PEM); errors are logged, the key is
 * then absent and the front gets no signature. */
void pd_card_sign_load(const char *path);
bool pd_card_sign_loaded(void);
/* Serve SIGN on @fd from a thread (call before the sandbox). */
int pd_card_sign_start(int fd);

#endif
