// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: storage interface dispatch and result helpers. */
#include "db.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

struct ps_db *ps_db_open(const char *url)
{
	const struct ps_db_ops *ops;
	const char *spec = url;

	if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		ops = &ps_db_pg_ops;
	} else if (!strncmp(url, "pg:", 3)) {
		ops = &ps_db_pg_ops;
		spec = url + 3;
	} else {
		ops = &ps_db_sqlite_ops;
		if (!strncmp(url, "sqlite:", 7))
			spec = url + 7;
	}
	return ops->open(spec);
}

void ps_db_close(struct ps_db *db)
{
	if (db)
		db->ops->close(db);
}

int ps_db_exec(struct ps_db *db, const char *sql, const struct ps_db_val *p,
	       int np, struct ps_db_res *res)
{
	if (res)
		memset(res, 0, sizeof(*res));
	return db->ops->exec(db, sql, p, np, res);
}

int ps_db_begin(struct ps_db *db)
{
	return ps_db_exec(db, db->ops->begin_sql, NULL, 0, NULL);
}

int ps_db_commit(struct ps_db *db)
{
	int rc = ps_db_exec(db, "COMMIT", NULL, 0, NULL);

	if (rc)
		ps_db_rollback(db);
	return rc;
}

void ps_db_rollback(struct ps_db *db)
{
	ps_db_exec(db, "ROLLBACK", NULL, 0, NULL);
}

void ps_db_res_free(struct ps_db_res *r)
{
	int i;

	if (!r || !r->cells)
		return;
	for (i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->cells);
	r->cells = NULL;
	r->nrows = 0;
}

const char *ps_db_cell(const struct ps_db_res *r, int row, int col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

int64_t ps_db_int(const struct ps_db_res *r, int row, int col)
{
	const char *s = ps_db_cell(r, row, col);

	return s ? strtoll(s, NULL, 10) : 0;
}
