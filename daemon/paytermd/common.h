/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paytermd: libpaytermcommon under a prefix.
 *
 * libpaytermcommon (daemon/common) and libpaytermcrypto (daemon/crypto)
 * both define pt_strerror, pt_hex_encode and pt_hex_decode with different
 * signatures, and PT_PAN_MIN with different values, so one program cannot
 * link both as they are.  paytermd.mk builds a copy of libpaytermcommon
 * with those symbols renamed to ptc_* (objcopy --redefine-sym); this
 * header declares them under the same names.  Include it instead of
 * payterm-common.h; it may be combined with payterm_crypto.h.
 */
#ifndef PD_COMMON_H
#define PD_COMMON_H

#define pt_strerror ptc_strerror
#define pt_hex_encode ptc_hex_encode
#define pt_hex_decode ptc_hex_decode
#define pt_hex_encoded_size ptc_hex_encoded_size
#include "../common/payterm-common.h"
#undef pt_strerror
#undef pt_hex_encode
#undef pt_hex_decode
#undef pt_hex_encoded_size
#define PTC_PAN_MIN 12
#define PTC_PAN_MAX 19
#undef PT_PAN_MIN
#undef PT_PAN_MAX
#undef PT_MASKED_PAN_SIZE
#define PTC_MASKED_PAN_SIZE (PTC_PAN_MAX + 1)

#endif
