/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm payment cryptography library (libpaytermcrypto).
 * Umbrella header; each part has its own small header.  Installed with them
 * in <includedir>/payterm/ (pkg-config payterm-crypto).  See docs/crypto.md.
 */
#ifndef PAYTERM_CRYPTO_H
#define PAYTERM_CRYPTO_H

#include "pt_err.h"
#include "pt_util.h"
#include "pt_prim.h"
#include "pt_dukpt.h"
#include "pt_pinblock.h"
#include "pt_tr31.h"
#include "pt_keystore.h"

#endif
