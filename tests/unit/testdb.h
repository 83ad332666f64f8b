/*
 * testdb — the database a unit test's store opens: in-memory SQLite, or,
 * with CUNGATE_PG set to a PostgreSQL conninfo (make check-pg starts
 * a private server and sets it), that database emptied first, so that the
 * same tests run every statement on both engines.
 */
#ifndef CUNGATE_TESTDB_H
#define CUNGATE_TESTDB_H

#include <stdio.h>
#include <stdlib.h>

#include <libpq-fe.h>

static inline const char *
test_db(void)
{
	const char *conninfo = getenv("CUNGATE_PG");
	PGconn *conn;
	PGresult *res;
	int ok;

	if (conninfo == NULL || *conninfo == '\0')
		return ":memory:";
	conn = PQconnectdb(conninfo);
	res = PQexec(conn, "SET client_min_messages = warning;"
	    " DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "CUNGATE_PG: %s", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok ? conninfo : "/nonexistent/cannot-open/test.db";
}

#endif
