// SPDX-License-Identifier: GPL-2.0-or-later
/* payterm-server: PostgreSQL driver (libpq, text parameters). */
#include "db.h"
#include "log.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db_pg {
	struct ps_db base;
	PGconn *c;
	char *conninfo;
};

static void pg_close(struct ps_db *db)
{
	struct db_pg *g = (struct db_pg *)db;

	PQfinish(g->c);
	free(g->conninfo);
	free(g);
}

static void notice_quiet(void *arg, const char *msg)
{
	/* "relation already exists, skipping" and friends */
}

static struct ps_db *pg_open(const char *conninfo)
{
	struct db_pg *g = calloc(1, sizeof(*g));

	g->base.ops = &ps_db_pg_ops;
	g->conninfo = strdup(conninfo);
	g->c = PQconnectdb(conninfo);
	if (PQstatus(g->c) != CONNECTION_OK) {
		ps_err("db.open_failed", "{s:s,s:s}", "driver", "postgresql",
		       "error", PQerrorMessage(g->c));
		pg_close(&g->base);
		return NULL;
	}
	PQsetNoticeProcessor(g->c, notice_quiet, NULL);
	return &g->base;
}

static int pg_exec(struct ps_db *db, const char *sql,
		   const struct ps_db_val *p, int np, struct ps_db_res *res)
{
	struct db_pg *g = (struct db_pg *)db;
	const char *vals[32];
	char ibuf[32][24];
	PGresult *r;
	int i, st, rc = PS_DB_OK;

	if (np > 32)
		return PS_DB_ERROR;
	for (i = 0; i < np; i++) {
		if (p[i].type == PS_DB_INT) {
			snprintf(ibuf[i], sizeof(ibuf[i]), "%lld", (long long)p[i].i);
			vals[i] = ibuf[i];
		} else {
			vals[i] = p[i].type == PS_DB_TEXT ? p[i].s : NULL;
		}
	}
	if (PQstatus(g->c) != CONNECTION_OK)
		PQreset(g->c);
	r = PQexecParams(g->c, sql, np, NULL, vals, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		if (res) {
			int nr = PQntuples(r), nc = PQnfields(r), row, col;
			const char *ch = PQcmdTuples(r);

			res->nrows = nr;
			res->ncols = nc;
			res->changes = ch && *ch ? strtoll(ch, NULL, 10) : 0;
			res->cells = calloc((size_t)(nr * nc) + 1, sizeof(char *));
			for (row = 0; row < nr; row++)
				for (col = 0; col < nc; col++)
					if (!PQgetisnull(r, row, col))
						res->cells[row * nc + col] =
							strdup(PQgetvalue(r, row, col));
		}
	} else {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (state && !strcmp(state, "23505")) {
			rc = PS_DB_CONFLICT;
		} else {
			ps_err("db.exec_failed", "{s:s,s:s}", "error",
			       PQresultErrorMessage(r), "sql", sql);
			rc = PS_DB_ERROR;
		}
	}
	PQclear(r);
	return rc;
}

static int pg_lock_schema(struct ps_db *db, int lock)
{
	/* Several instances may start at once: serialise the DDL. */
	return pg_exec(db, lock ? "SELECT pg_advisory_lock(725401)"
			       : "SELECT pg_advisory_unlock(725401)",
		       NULL, 0, NULL);
}

const struct ps_db_ops ps_db_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.begin_sql = "BEGIN",
	.lock_schema = pg_lock_schema,
};
