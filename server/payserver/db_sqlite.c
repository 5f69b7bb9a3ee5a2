// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: SQLite driver (WAL, FULL sync, busy timeout). */
#include "db.h"
#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_sqlite {
	struct ps_db base;
	sqlite3 *h;
};

static void sq_close(struct ps_db *db)
{
	struct db_sqlite *s = (struct db_sqlite *)db;

	sqlite3_close(s->h);
	free(s);
}

static struct ps_db *sq_open(const char *path)
{
	struct db_sqlite *s = calloc(1, sizeof(*s));
	char *err = NULL;

	s->base.ops = &ps_db_sqlite_ops;
	if (sqlite3_open_v2(path, &s->h, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) {
		ps_err("db.open_failed", "{s:s,s:s}", "driver", "sqlite",
		       "error", s->h ? sqlite3_errmsg(s->h) : "no memory");
		sq_close(&s->base);
		return NULL;
	}
	sqlite3_busy_timeout(s->h, 10000);
	if (sqlite3_exec(s->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=ON;", NULL, NULL, &err)) {
		ps_err("db.open_failed", "{s:s,s:s}", "driver", "sqlite",
		       "error", err ? err : "?");
		sqlite3_free(err);
		sq_close(&s->base);
		return NULL;
	}
	return &s->base;
}

static int sq_exec(struct ps_db *db, const char *sql,
		   const struct ps_db_val *p, int np, struct ps_db_res *res)
{
	struct db_sqlite *s = (struct db_sqlite *)db;
	sqlite3_stmt *st = NULL;
	int i, rc, cap = 0;

	rc = sqlite3_prepare_v2(s->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ps_err("db.prepare_failed", "{s:s,s:s}", "error",
		       sqlite3_errmsg(s->h), "sql", sql);
		return PS_DB_ERROR;
	}
	for (i = 0; i < np; i++) {
		char name[16];
		int idx;

		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(st, name);
		if (!idx)
			continue;	/* parameter not used by this statement */
		if (p[i].type == PS_DB_INT)
			sqlite3_bind_int64(st, idx, p[i].i);
		else if (p[i].type == PS_DB_TEXT)
			sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, idx);
	}
	if (res)
		res->ncols = sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int c;

		if (!res)
			continue;
		if (res->nrows + 1 > cap) {
			cap = cap ? cap * 2 : 8;
			res->cells = realloc(res->cells, sizeof(char *) *
					     (size_t)(cap * res->ncols + 1));
		}
		for (c = 0; c < res->ncols; c++) {
			const unsigned char *t = sqlite3_column_text(st, c);

			res->cells[res->nrows * res->ncols + c] =
				t ? strdup((const char *)t) : NULL;
		}
		res->nrows++;
	}
	if (rc != SQLITE_DONE) {
		int ext = sqlite3_extended_errcode(s->h);

		sqlite3_finalize(st);
		if (res)
			ps_db_res_free(res);
		if (ext == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    ext == SQLITE_CONSTRAINT_UNIQUE)
			return PS_DB_CONFLICT;
		ps_err("db.exec_failed", "{s:s,s:s}", "error",
		       sqlite3_errmsg(s->h), "sql", sql);
		return PS_DB_ERROR;
	}
	if (res)
		res->changes = sqlite3_changes(s->h);
	sqlite3_finalize(st);
	return PS_DB_OK;
}

static int sq_lock_schema(struct ps_db *db, int lock)
{
	return 0;	/* BEGIN IMMEDIATE around the DDL is enough */
}

const struct ps_db_ops ps_db_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.begin_sql = "BEGIN IMMEDIATE",
	.lock_schema = sq_lock_schema,
};
