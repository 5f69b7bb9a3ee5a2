// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer: the privsep channel as the card process decodes it (fuzz_privsep.h). */
#include <stdint.h>

#include "../../daemon/paytermd/privsep_proto.h"

#define DECODE pp_decode_for_card
#include "fuzz_privsep.h"
