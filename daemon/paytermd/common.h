/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paytermd: libpaytermcommon (ptc_* names), usable beside payterm_crypto.h. */
#ifndef PD_COMMON_H
#define PD_COMMON_H

#include "payterm-common.h"

#endif
