/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm-server: ISO 4217 alphabetic ↔ numeric codes we accept. */
#ifndef PS_CURRENCY_H
#define PS_CURRENCY_H

/* "EUR" → "978"; NULL if not supported. */
const char *ps_currency_numeric(const char *alpha);

#endif
