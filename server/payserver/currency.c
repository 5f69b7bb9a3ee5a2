// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: the currencies the reference server accepts. */
#include "currency.h"

#include <string.h>

static const char *const table[][2] = {
	{ "EUR", "978" }, { "USD", "840" }, { "GBP", "826" }, { "CHF", "756" },
	{ "CNY", "156" }, { "JPY", "392" }, { "SEK", "752" }, { "DKK", "208" },
	{ "NOK", "578" }, { "PLN", "985" }, { "CZK", "203" }, { "CAD", "124" },
	{ "AUD", "036" }, { "HKD", "344" }, { "SGD", "702" },
};

const char *ps_currency_numeric(const char *alpha)
{
	size_t i;

	for (i = 0; alpha && i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i][0], alpha))
			return table[i][1];
	return NULL;
}
