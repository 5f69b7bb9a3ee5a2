/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * payterm-server: the small storage interface.  One SQL dialect subset that
 * SQLite and PostgreSQL both speak: numbered parameters $1..$n, RETURNING,
 * ON CONFLICT DO NOTHING, BIGINT/TEXT columns, CAST(... AS BIGINT).  The
 * drivers (db_sqlite.c, db_pg.c) only move statements and rows; all queries
 * live in store*.c.  A connection belongs to one thread.
 */
#ifndef PS_DB_H
#define PS_DB_H

#include <stdint.h>

enum ps_db_type { PS_DB_NULL, PS_DB_INT, PS_DB_TEXT };

struct ps_db_val {
	enum ps_db_type type;
	int64_t i;
	const char *s;
};

static inline struct ps_db_val DB_I(int64_t i)
{
	return (struct ps_db_val){ .type = PS_DB_INT, .i = i };
}

/* NULL → SQL NULL */
static inline struct ps_db_val DB_S(const char *s)
{
	return (struct ps_db_val){ .type = s ? PS_DB_TEXT : PS_DB_NULL, .s = s };
}

struct ps_db_res {
	int nrows, ncols;
	char **cells;		/* nrows * ncols; NULL = SQL NULL */
	int64_t changes;	/* rows changed by INSERT/UPDATE/DELETE */
};

/* Results of ps_db_exec */
#define PS_DB_OK 0
#define PS_DB_ERROR (-1)
#define PS_DB_CONFLICT (-2)	/* unique / primary key violation */

struct ps_db;

struct ps_db_ops {
	const char *name;
	struct ps_db *(*open)(const char *spec);
	void (*close)(struct ps_db *db);
	int (*exec)(struct ps_db *db, const char *sql,
		    const struct ps_db_val *p, int np, struct ps_db_res *res);
	const char *begin_sql;	/* "BEGIN IMMEDIATE" / "BEGIN" */
	const char *schema_sql;	/* driver-specific DDL prelude or NULL */
	int (*lock_schema)(struct ps_db *db, int lock);
};

struct ps_db {
	const struct ps_db_ops *ops;
};

extern const struct ps_db_ops ps_db_sqlite_ops;
extern const struct ps_db_ops ps_db_pg_ops;

/* "sqlite:PATH" or a PATH ending in .db → SQLite; "postgresql://..." or
 * "postgres://..." or "pg:CONNINFO" → PostgreSQL. */
struct ps_db *ps_db_open(const char *url);
void ps_db_close(struct ps_db *db);
int ps_db_exec(struct ps_db *db, const char *sql, const struct ps_db_val *p,
	       int np, struct ps_db_res *res);
int ps_db_begin(struct ps_db *db);
int ps_db_commit(struct ps_db *db);
void ps_db_rollback(struct ps_db *db);

void ps_db_res_free(struct ps_db_res *r);
const char *ps_db_cell(const struct ps_db_res *r, int row, int col);
int64_t ps_db_int(const struct ps_db_res *r, int row, int col);

#endif
