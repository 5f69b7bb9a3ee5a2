/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payterm-server: helpers shared by store*.c. */
#ifndef PS_STORE_INT_H
#define PS_STORE_INT_H

#include "db.h"

#include <jansson.h>

#define NP(a) ((int)(sizeof(a) / sizeof((a)[0])))

/*
 * Run "SELECT <cols> <rest>" where spec lists the columns, comma
 * separated, a leading '#' marking integers ("id,#amount").  Returns an
 * array of objects (possibly empty) or NULL on error.
 */
json_t *ps_sel(struct ps_db *db, const char *spec, const char *rest,
	       const struct ps_db_val *p, int np);
/* First object of ps_sel, or NULL (not found / error). */
json_t *ps_sel1(struct ps_db *db, const char *spec, const char *rest,
		const struct ps_db_val *p, int np);
/* Statement that changes rows: changed count, or -1 / PS_DB_CONFLICT. */
int64_t ps_chg(struct ps_db *db, const char *sql, const struct ps_db_val *p,
	       int np);

#endif
