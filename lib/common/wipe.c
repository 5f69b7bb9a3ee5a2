// SPDX-License-Identifier: LGPL-2.1-or-later
/* Secure wiping of buffers that held card data. */
#include <stdlib.h>
#include <string.h>

#include "payterm-common.h"

void ptc_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

void ptc_wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}
