/*
 * engine_pg — the store's engine on PostgreSQL (libpq): with
 * engine_pg_session.c, the only files that include <libpq-fe.h>. A
 * connection is a struct db around a PGconn (engine_pg.h), a statement a
 * struct db_stmt around a server-side prepared statement;
 * engine.c reaches them through db_engine_pg, the table at the end. What
 * is PostgreSQL's own lives here: SQLite's ? and ?NNN spelt $n, text-format
 * parameters and columns ("t"/"f" read as 1/0), a one-row table
 * cungate_schema(version) in place of PRAGMA user_version, SQLSTATE 23505
 * told apart by its constraint's name, lastval() for the last insert id.
 *
 * Statements are prepared on the server (PQprepare, a generated name) once,
 * as the store prepares its statements once at open: the server parses and
 * checks the SQL then, so a statement that cannot run fails at open, as it
 * does on SQLite, not at its first use hours later; each run sends only
 * the parameters. PQexecParams would send and parse the text every time.
 *
 * A new session prepares each statement again at its first use (a
 * prepared statement lives in the session). A step fetches all of a
 * statement's rows at once (no single-row mode). The session's life
 * (connecting, waiting for answers with a deadline, losing it and opening
 * the next) is engine_pg_session.c's.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gateway/log.h"
#include "gateway/store/engine.h"
#include "gateway/store/engine_pg.h"
#include "gateway/util.h"

/* The one-row table that holds the schema version. */
#define DB_PG_SCHEMA	"cungate_schema"

struct db_pg_stmt {
	struct db_stmt	 stmt;	/* first: cast to and from a db_stmt * */
	struct db_pg	*pg;
	char		*sql;	/* SQLite's text, for log lines */
	char		*text;	/* PostgreSQL's, to prepare it again */
	char		 name[32];	/* the server's name for it */
	unsigned int	 session;	/* the session it is prepared in */
	int		 persistent;	/* kept for the connection's life */
	int		 nparams;
	char		**values;	/* nparams texts, NULL binds NULL */
	PGresult	*res;	/* the run's rows, NULL before it */
	int		 row;	/* the current row of res */
	int		 done;	/* DB_DONE said: the next step runs again */
};

static inline struct db_pg_stmt *
db_pg_stmt(struct db_stmt *s)
{
	return (struct db_pg_stmt *)s;
}

/* --- the connection --- */

static void	db_pg_close(struct db *);

static struct db *
db_pg_open(const char *path, int busy_ms, char **cause)
{
	struct db_pg *pg;

	pg = xcalloc(1, sizeof *pg);
	pg->db.engine = &db_engine_pg;
	pg->conninfo = xstrdup(path);
	/* No deadline at open: a migration may take its time. */
	pg->busy_ms = -1;
	if (db_pg_session(pg) == -1 ||
	    db_pg_lock_timeout(pg, busy_ms) == -1) {
		*cause = xstrdup(pg->error);
		db_pg_close(&pg->db);
		return NULL;
	}
	return &pg->db;
}

static void
db_pg_close(struct db *db)
{
	struct db_pg *pg = db_pg(db);

	PQfinish(pg->conn);
	free(pg->conninfo);
	free(pg->listen);
	free(pg->error);
	free(pg);
}

static void
db_pg_set_busy_timeout(struct db *db, int ms)
{
	struct db_pg *pg = db_pg(db);

	pg->busy_ms = ms < 0 ? 0 : ms;
	if (pg->conn != NULL)
		db_pg_lock_timeout(pg, pg->busy_ms);
}

static const char *
db_pg_filename(struct db *db)
{
	(void)db;
	return "";
}

static const char *
db_pg_error(struct db *db)
{
	return db_pg(db)->error != NULL ? db_pg(db)->error : "not an error";
}

static enum db_fault
db_pg_fault(struct db *db)
{
	return db_pg(db)->fault;
}

static int
db_pg_exec(struct db *db, const char *sql, char **cause)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;

	/* Several statements in one text: the simple query protocol. */
	if ((res = db_pg_run(pg, sql)) == NULL) {
		*cause = xstrdup(pg->error);
		return -1;
	}
	db_pg_count_changes(pg, res);
	PQclear(res);
	return 0;
}

static int
db_pg_changes(struct db *db)
{
	return db_pg(db)->changes;
}

/*
 * lastval() fails in a session that has drawn no number from a sequence
 * yet, and a failure ends the transaction it is in: in one, it runs
 * behind a savepoint. 0 when there is no such id.
 */
static int64_t
db_pg_last_insert_id(struct db *db)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;
	int64_t id = 0;
	int in;

	if (pg->conn == NULL)
		return 0;
	switch (PQtransactionStatus(pg->conn)) {
	case PQTRANS_IDLE:
		in = 0;
		break;
	case PQTRANS_INTRANS:
		in = 1;
		break;
	default:
		return 0;
	}
	if (in) {
		if ((res = db_pg_run(pg, "SAVEPOINT cungate_lastval")) == NULL)
			return 0;
		PQclear(res);
	}
	/* lastval() may fail: that is no error of the caller's. */
	if (db_pg_live(pg) == 0 && PQsendQuery(pg->conn, "SELECT lastval()") &&
	    (res = db_pg_answer(pg)) != NULL) {
		if (PQntuples(res) == 1)
			id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
	}
	if (in)
		PQclear(db_pg_run(pg, "ROLLBACK TO SAVEPOINT cungate_lastval;"
		    " RELEASE SAVEPOINT cungate_lastval"));
	return id;
}

/* --- notifications --- */

static int
db_pg_listen(struct db *db, const char *channel)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;
	char *sql;

	free(pg->listen);
	pg->listen = xstrdup(channel);
	if (pg->conn == NULL)
		return db_pg_live(pg);	/* LISTENs in the new session */
	sql = xasprintf("LISTEN %s", channel);
	res = db_pg_run(pg, sql);
	free(sql);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

static int
db_pg_socket(struct db *db)
{
	struct db_pg *pg = db_pg(db);

	return pg->conn != NULL ? PQsocket(pg->conn) : -1;
}

static int
db_pg_notified(struct db *db)
{
	struct db_pg *pg = db_pg(db);
	PGnotify *n;
	char *t;
	int count = 0;

	if (pg->conn == NULL)
		return -1;
	/* The socket is non-blocking: this reads what is there, if any. */
	if (!PQconsumeInput(pg->conn) ||
	    PQstatus(pg->conn) == CONNECTION_BAD) {
		t = db_pg_trimmed(PQerrorMessage(pg->conn));
		db_pg_drop(pg, *t != '\0' ? t : "the server hung up");
		free(t);
		return -1;
	}
	while ((n = PQnotifies(pg->conn)) != NULL) {
		count++;
		PQfreemem(n);
	}
	return count;
}

/* --- transactions --- */

static int
db_pg_begin(struct db *db)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;

	/* What was lost with the last session is gone: a fresh start. */
	pg->lost_in_txn = 0;
	pg->txn = 0;
	/*
	 * ENGINE: BEGIN (SQLite's BEGIN IMMEDIATE takes the write lock of the
	 * whole database at once; PostgreSQL locks rows as they are written).
	 */
	if ((res = db_pg_run(pg, "BEGIN")) == NULL)
		return -1;
	PQclear(res);
	pg->txn = 1;
	return 0;
}

static int
db_pg_commit(struct db *db)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;
	int rc = 0;

	if (pg->lost_in_txn) {
		db_pg_fail(pg, "PostgreSQL: the session was lost in this "
		    "transaction: nothing of it was committed");
		return -1;
	}
	/* PostgreSQL only warns; SQLite says it is an error. */
	if (pg->conn == NULL ||
	    PQtransactionStatus(pg->conn) == PQTRANS_IDLE) {
		db_pg_fail(pg, "cannot commit: no transaction is open");
		return -1;
	}
	if ((res = db_pg_run(pg, "COMMIT")) == NULL)
		return -1;
	pg->txn = 0;
	/*
	 * After a failed statement PostgreSQL's transaction is aborted (not
	 * SQLite's: the statement alone failed), and COMMIT rolls it back.
	 */
	if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		db_pg_fail(pg, "the transaction was rolled back: a statement "
		    "in it had failed");
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static void
db_pg_rollback(struct db *db)
{
	struct db_pg *pg = db_pg(db);

	pg->lost_in_txn = 0;
	pg->txn = 0;
	if (pg->conn != NULL &&
	    (PQtransactionStatus(pg->conn) == PQTRANS_INTRANS ||
	    PQtransactionStatus(pg->conn) == PQTRANS_INERROR))
		PQclear(db_pg_run(pg, "ROLLBACK"));
}


/* --- the schema --- */

/*
 * ENGINE: the version is a one-row table, not PRAGMA user_version. In a
 * transaction (the store's migration) it is read under an advisory lock
 * held to its end, as SQLite reads it under BEGIN IMMEDIATE's write lock:
 * nodes opening a new database at once migrate it one after the other.
 */
static int
db_pg_version(struct db *db)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;
	int v, exists;

	if (PQtransactionStatus(pg->conn) == PQTRANS_INTRANS) {
		if ((res = db_pg_run(pg, "SELECT pg_advisory_xact_lock("
		    "hashtext('" DB_PG_SCHEMA "'))")) == NULL)
			return -1;
		PQclear(res);
	}
	if ((res = db_pg_run(pg, "SELECT to_regclass('" DB_PG_SCHEMA "')"
	    " IS NOT NULL")) == NULL)
		return -1;
	exists = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!exists)
		return 0;
	if ((res = db_pg_run(pg, "SELECT version FROM " DB_PG_SCHEMA)) == NULL)
		return -1;
	v = PQntuples(res) > 0 ? atoi(PQgetvalue(res, 0, 0)) : 0;
	PQclear(res);
	return v;
}

static int
db_pg_migrate(struct db *db, const char *sql, int version, char **cause)
{
	struct db_pg *pg = db_pg(db);
	PGresult *res;
	char value[16];

	snprintf(value, sizeof value, "%d", version);
	if ((res = db_pg_run(pg, sql)) == NULL)
		goto fail;
	PQclear(res);
	if ((res = db_pg_run(pg, "CREATE TABLE IF NOT EXISTS " DB_PG_SCHEMA
	    " (version integer NOT NULL); DELETE FROM " DB_PG_SCHEMA)) == NULL)
		goto fail;
	PQclear(res);
	if (db_pg_run1(pg, "INSERT INTO " DB_PG_SCHEMA " (version) VALUES"
	    " ($1::integer)", value) == -1)
		goto fail;
	if (db_pg_commit(db) == -1)
		goto fail;
	return 0;
fail:
	*cause = xstrdup(pg->error);
	return -1;
}

/* --- copies --- */

static int
db_pg_backup(struct db *db, const char *path, char **cause)
{
	(void)db;
	(void)path;
	*cause = xstrdup("PostgreSQL: the gateway does not copy it: use "
	    "pg_dump/pg_restore");
	return -1;
}

static int
db_pg_restore(const char *backup, const char *path, char **cause)
{
	(void)backup;
	(void)path;
	*cause = xstrdup("PostgreSQL: the gateway does not copy it: use "
	    "pg_dump/pg_restore");
	return -1;
}

/* --- statements --- */

/*
 * SQLite's parameters in PostgreSQL's spelling: ?NNN is $NNN, a bare ? is
 * one past the largest number so far (SQLite's rule: "?, ?5, ?" is $1, $5,
 * $6). Quoted text ('...', "..."; a doubled quote stays inside) and
 * comments are copied as they are. The text (caller frees); *n is the
 * largest number, the statement's count of parameters.
 */
static char *
db_pg_translate(const char *sql, int *n)
{
	const char *p = sql;
	char *out, *o, q;
	int max = 0, v;

	/* A ? grows to at most "$65536": six bytes. */
	o = out = xmalloc(strlen(sql) * 6 + 1);
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			q = *p;
			*o++ = *p++;
			while (*p != '\0' && *p != q)
				*o++ = *p++;
			if (*p != '\0')
				*o++ = *p++;
		} else if (p[0] == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				*o++ = *p++;
		} else if (p[0] == '/' && p[1] == '*') {
			*o++ = *p++;
			*o++ = *p++;
			while (*p != '\0' && !(p[0] == '*' && p[1] == '/'))
				*o++ = *p++;
			if (*p != '\0') {
				*o++ = *p++;
				*o++ = *p++;
			}
		} else if (*p == '?') {
			p++;
			*o++ = '$';
			if (*p >= '0' && *p <= '9') {
				/* Copied as written; past 65535 the server
				 * refuses it. */
				for (v = 0; *p >= '0' && *p <= '9'; p++) {
					if (v <= 65535)
						v = v * 10 + (*p - '0');
					*o++ = *p;
				}
				if (v > 65536)
					v = 65536;
			} else {
				v = max < 65536 ? max + 1 : 65536;
				o += sprintf(o, "%d", v);
			}
			if (v > max)
				max = v;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	*n = max;
	return out;
}

/* Prepare s in the session there is, unless it is prepared in it. 0/-1. */
static int
db_pg_ready(struct db_pg_stmt *s)
{
	struct db_pg *pg = s->pg;
	PGresult *res;

	if (db_pg_live(pg) == -1)
		return -1;
	if (s->session == pg->session)
		return 0;
	/* The server infers each parameter's type from where it stands. */
	if (!PQsendPrepare(pg->conn, s->name, s->text, 0, NULL)) {
		db_pg_drop(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	if ((res = db_pg_answer(pg)) == NULL)
		return -1;
	PQclear(res);
	s->session = pg->session;
	return 0;
}

static struct db_stmt *
db_pg_prepare(struct db *db, const char *sql, int flags)
{
	struct db_pg *pg = db_pg(db);
	struct db_pg_stmt *s;

	s = xcalloc(1, sizeof *s);
	s->stmt.engine = &db_engine_pg;
	s->pg = pg;
	s->persistent = (flags & DB_PREPARE_PERSISTENT) != 0;
	s->row = -1;
	snprintf(s->name, sizeof s->name, "cungate_%u", ++pg->nstmt);
	s->text = db_pg_translate(sql, &s->nparams);
	if (db_pg_ready(s) == -1) {
		free(s->text);
		free(s);
		return NULL;
	}
	s->sql = xstrdup(sql);
	s->values = xcalloc(s->nparams > 0 ? s->nparams : 1,
	    sizeof *s->values);
	return &s->stmt;
}

static void
db_pg_reset(struct db_stmt *st)
{
	struct db_pg_stmt *s = db_pg_stmt(st);

	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->done = 0;
}

static void
db_pg_rewind(struct db_stmt *st)
{
	struct db_pg_stmt *s = db_pg_stmt(st);
	int i;

	db_pg_reset(st);
	for (i = 0; i < s->nparams; i++) {
		free(s->values[i]);
		s->values[i] = NULL;
	}
}

static void
db_pg_finalize(struct db_stmt *st)
{
	struct db_pg_stmt *s = db_pg_stmt(st);
	char sql[64];

	db_pg_rewind(st);
	/*
	 * A persistent statement lives as long as the session (the store's
	 * are finalized just before it closes); another is deallocated now,
	 * unless a failed transaction refuses it (then the session ends it).
	 */
	if (!s->persistent && s->pg->conn != NULL &&
	    s->session == s->pg->session &&
	    PQtransactionStatus(s->pg->conn) != PQTRANS_INERROR) {
		snprintf(sql, sizeof sql, "DEALLOCATE %s", s->name);
		PQclear(db_pg_run(s->pg, sql));
	}
	free(s->values);
	free(s->sql);
	free(s->text);
	free(s);
}

static const char *
db_pg_sql(struct db_stmt *st)
{
	return db_pg_stmt(st)->sql;
}

static int
db_pg_bind_count(struct db_stmt *st)
{
	return db_pg_stmt(st)->nparams;
}

/* Bind parameter i to v (taken; NULL binds NULL); out of range: ignored. */
static void
db_pg_bind(struct db_stmt *st, int i, char *v)
{
	struct db_pg_stmt *s = db_pg_stmt(st);

	if (i < 1 || i > s->nparams) {
		free(v);
		return;
	}
	free(s->values[i - 1]);
	s->values[i - 1] = v;
}

static void
db_pg_bind_null(struct db_stmt *st, int i)
{
	db_pg_bind(st, i, NULL);
}

static void
db_pg_bind_int(struct db_stmt *st, int i, int v)
{
	db_pg_bind(st, i, xasprintf("%d", v));
}

static void
db_pg_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	db_pg_bind(st, i, xasprintf("%" PRId64, v));
}

static void
db_pg_bind_text(struct db_stmt *st, int i, const char *v)
{
	db_pg_bind(st, i, xstrdup(v));
}

/*
 * The first step runs the statement (text parameters, text columns) and
 * keeps its rows; each step moves to the next. After DB_DONE the next step
 * runs it again, as SQLite's does.
 */
static int
db_pg_step(struct db_stmt *st)
{
	struct db_pg_stmt *s = db_pg_stmt(st);

	if (s->done)
		db_pg_reset(st);
	if (s->res == NULL) {
		if (db_pg_ready(s) == -1)
			return DB_ERROR;
		if (!PQsendQueryPrepared(s->pg->conn, s->name, s->nparams,
		    (const char *const *)s->values, NULL, NULL, 0)) {
			db_pg_drop(s->pg, PQerrorMessage(s->pg->conn));
			return DB_ERROR;
		}
		if ((s->res = db_pg_answer(s->pg)) == NULL)
			return DB_ERROR;
		db_pg_count_changes(s->pg, s->res);
		s->row = -1;
	}
	if (s->row + 1 < PQntuples(s->res)) {
		s->row++;
		return DB_ROW;
	}
	s->row = PQntuples(s->res);
	s->done = 1;
	return DB_DONE;
}

/* Column i of the current row, NULL for NULL or no such column. */
static const char *
db_pg_value(struct db_pg_stmt *s, int i)
{
	if (s->res == NULL || s->row < 0 || s->row >= PQntuples(s->res) ||
	    i < 0 || i >= PQnfields(s->res) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

static int64_t
db_pg_column_int64(struct db_stmt *st, int i)
{
	const char *v = db_pg_value(db_pg_stmt(st), i);

	if (v == NULL)
		return 0;
	/* A boolean column is a truth value, as SQLite's integer is. */
	if (strcmp(v, "t") == 0)
		return 1;
	if (strcmp(v, "f") == 0)
		return 0;
	return strtoll(v, NULL, 10);
}

static int
db_pg_column_int(struct db_stmt *st, int i)
{
	return (int)db_pg_column_int64(st, i);
}

static const char *
db_pg_column_text(struct db_stmt *st, int i)
{
	return db_pg_value(db_pg_stmt(st), i);
}

static int
db_pg_column_is_null(struct db_stmt *st, int i)
{
	return db_pg_value(db_pg_stmt(st), i) == NULL;
}

const struct db_engine db_engine_pg = {
	.name = "postgresql",
	.open = db_pg_open,
	.close = db_pg_close,
	.set_busy_timeout = db_pg_set_busy_timeout,
	.filename = db_pg_filename,
	.error = db_pg_error,
	.fault = db_pg_fault,
	.exec = db_pg_exec,
	.changes = db_pg_changes,
	.last_insert_id = db_pg_last_insert_id,
	.listen = db_pg_listen,
	.socket = db_pg_socket,
	.notified = db_pg_notified,
	.begin = db_pg_begin,
	.commit = db_pg_commit,
	.rollback = db_pg_rollback,
	.version = db_pg_version,
	.migrate = db_pg_migrate,
	.backup = db_pg_backup,
	.restore = db_pg_restore,
	.prepare = db_pg_prepare,
	.finalize = db_pg_finalize,
	.reset = db_pg_reset,
	.rewind = db_pg_rewind,
	.sql = db_pg_sql,
	.bind_count = db_pg_bind_count,
	.bind_null = db_pg_bind_null,
	.bind_int = db_pg_bind_int,
	.bind_int64 = db_pg_bind_int64,
	.bind_text = db_pg_bind_text,
	.step = db_pg_step,
	.column_int = db_pg_column_int,
	.column_int64 = db_pg_column_int64,
	.column_text = db_pg_column_text,
	.column_is_null = db_pg_column_is_null,
};
