// SPDX-License-Identifier: GPL-2.0-or-later
/* paytermd: EMV online-only card flow (see emv.h). */
#include <errno.h>
#include <stdio.h>

#include "emv.h"

int pd_emv_read(struct pd_io *io, unsigned slot, const struct pd_config *cfg,
		const struct pd_emv_params *p, struct pd_card *card,
		uint8_t *f55, size_t f55_cap, size_t *f55_len, char *msg,
		size_t msglen)
{
	snprintf(msg, msglen, "EMV not implemented yet");
	return -EOPNOTSUPP;
}
