/*
 * engine_pg — the store's engine on PostgreSQL (libpq): the only file that
 * includes <libpq-fe.h>. A connection is a struct db around a PGconn, a
 * statement a struct db_stmt around a server-side prepared statement;
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
 * WAITING: a statement is sent without blocking (PQsendQueryPrepared) and
 * its answer waited for on the socket with poll(2) until a deadline: the
 * busy timeout (db_set_busy_timeout; on the server it is lock_timeout)
 * plus DB_PG_SLACK_MS for the answer to travel. A server that does not
 * answer by then (stopped, frozen, the network gone) is dropped, as if it
 * had hung up: the statement fails, as SQLite's does when the lock is not
 * had in time. So the daemon's loop, which sets a 200 ms busy timeout,
 * waits at most 0.7 s for a server that never answers, where SQLite waits
 * at most 0.2 s for a lock; a new session is tried (PQconnectStart, the
 * same deadline) no sooner than a backoff after the last failure (0.5 s
 * doubling to DB_PG_BACKOFF_MAX_MS), so an outage costs the loop at most
 * one bounded wait per backoff, and no statement in between waits at all.
 * Until a busy timeout is set (store_open, cungatectl) the wait is not
 * bounded: a migration may take minutes.
 *
 * A new session prepares each statement again at its first use (a
 * prepared statement lives in the session), sets the session's settings
 * and LISTENs again. A session lost inside a transaction fails every
 * statement until the transaction is rolled back: the rest of it must not
 * run, committed alone, in the next session. A step fetches all of a
 * statement's rows at once (no single-row mode).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gateway/log.h"
#include "gateway/store/engine.h"
#include "gateway/util.h"

/* The one-row table that holds the schema version. */
#define DB_PG_SCHEMA	"cungate_schema"
/* ms beyond the busy timeout for an answer to come back. */
#define DB_PG_SLACK_MS	500
/* ms before the first new session after a loss, doubling to the max. */
#define DB_PG_BACKOFF_MS	500
#define DB_PG_BACKOFF_MAX_MS	8000

struct db_pg {
	struct db	 db;	/* first: cast to and from a struct db * */
	PGconn		*conn;	/* NULL while the server is away */
	char		*conninfo;
	char		*error;	/* the last error's text, NULL none yet */
	enum db_fault	 fault;	/* and its kind */
	int		 changes;
	unsigned int	 nstmt;	/* statements named so far */
	unsigned int	 session;	/* sessions opened so far */
	int		 busy_ms;	/* lock_timeout; -1 not set: no deadline */
	int		 txn;	/* a transaction of ours is open */
	int		 lost_in_txn;	/* ... and the session was lost in it */
	int64_t		 retry_at;	/* no new session before (ms) */
	int		 backoff_ms;
	int64_t		 lost_at;	/* when the session was lost (ms), 0 */
	char		*listen;	/* the channel LISTENed on, NULL none */
};

struct db_pg_stmt {
	struct db_stmt	 stmt;	/* first, likewise */
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

static inline struct db_pg *
db_pg(struct db *db)
{
	return (struct db_pg *)db;
}

static inline struct db_pg_stmt *
db_pg_stmt(struct db_stmt *s)
{
	return (struct db_pg_stmt *)s;
}

/* A copy of msg without the newlines libpq ends its messages with. */
static char *
db_pg_trimmed(const char *msg)
{
	char *t = xstrdup(msg);
	size_t n = strlen(t);

	while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
		t[--n] = '\0';
	return t;
}

/*
 * Remember why res (NULL: the connection) failed. The primary message
 * only: a DETAIL names the key's values, phone numbers among them.
 */
static void
db_pg_set_error(struct db_pg *pg, const PGresult *res)
{
	const char *msg = NULL, *state, *constraint;
	size_t n;

	pg->fault = DB_FAULT_OTHER;
	if (res != NULL) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, "23505") == 0) {
			/* A primary key's constraint is named t_pkey. */
			constraint = PQresultErrorField(res,
			    PG_DIAG_CONSTRAINT_NAME);
			n = constraint != NULL ? strlen(constraint) : 0;
			if (n >= 5 && strcmp(constraint + n - 5, "_pkey") == 0)
				pg->fault = DB_FAULT_PRIMARYKEY;
			else
				pg->fault = DB_FAULT_UNIQUE;
		}
		if (msg == NULL && *PQresultErrorMessage(res) != '\0')
			msg = PQresultErrorMessage(res);
	}
	if (msg == NULL)
		msg = PQerrorMessage(pg->conn);
	free(pg->error);
	pg->error = db_pg_trimmed(*msg != '\0' ? msg : "unknown error");
}

/* Did res succeed? If not, remember why. 0/1. */
static int
db_pg_ok(struct db_pg *pg, const PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		return 1;
	default:
		db_pg_set_error(pg, res);
		return 0;
	}
}

/* The server's notices and warnings go to the log. */
static void
db_pg_notice(void *arg, const char *msg)
{
	char *t = db_pg_trimmed(msg);

	(void)arg;
	log_warn("store: postgresql: %s", t);
	free(t);
}

/* The deadline for an answer sent now: 0 for none. */
static int64_t
db_pg_deadline(struct db_pg *pg)
{
	return pg->busy_ms < 0 ? 0 :
	    now_ms() + pg->busy_ms + DB_PG_SLACK_MS;
}

/*
 * Wait until conn's socket can be read (and written, when out), at most
 * until deadline (0: for ever). 1 ready, 0 the deadline passed, -1 error.
 */
static int
db_pg_poll(PGconn *conn, int out, int64_t deadline)
{
	struct pollfd pfd;
	int ms, rc;

	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN | (out ? POLLOUT : 0);
	for (;;) {
		ms = -1;
		if (deadline != 0 && (ms = (int)(deadline -
		    now_ms())) < 0)
			ms = 0;
		if ((rc = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
			continue;
		return rc > 0 ? 1 : rc;
	}
}

/* Remember why the last call failed: text (copied). */
static void
db_pg_fail(struct db_pg *pg, const char *text)
{
	pg->fault = DB_FAULT_OTHER;
	free(pg->error);
	pg->error = db_pg_trimmed(text);
}

/*
 * The session is gone (why): close it, and try a new one no sooner than
 * the backoff. In a transaction, its statements fail until it is rolled
 * back.
 */
static void
db_pg_drop(struct db_pg *pg, const char *why)
{
	char *t = xasprintf("PostgreSQL: %s", why);

	/* libpq's message runs on over lines: the first says it. */
	t[strcspn(t, "\n")] = '\0';
	db_pg_fail(pg, t);
	pg->fault = DB_FAULT_AWAY;
	if (pg->conn == NULL) {
		free(t);
		return;
	}
	log_warn("store: postgresql: session lost: %s", t + 12);
	free(t);
	PQfinish(pg->conn);
	pg->conn = NULL;
	if (pg->txn)
		pg->lost_in_txn = 1;
	pg->lost_at = now_ms();
	pg->backoff_ms = DB_PG_BACKOFF_MS;
	pg->retry_at = pg->lost_at + pg->backoff_ms;
}

/*
 * The answer to what was just sent: the first result that failed, else
 * the last (several statements in one text give one each), or NULL when
 * the server did not answer by the deadline or hung up (the session
 * dropped). A failure is remembered.
 */
static PGresult *
db_pg_answer(struct db_pg *pg)
{
	int64_t deadline = db_pg_deadline(pg);
	PGresult *res, *keep = NULL;
	char *t;
	int rc;

	/* Non-blocking: what was sent may wait in libpq's buffer. */
	while ((rc = PQflush(pg->conn)) == 1) {
		if ((rc = db_pg_poll(pg->conn, 1, deadline)) != 1 ||
		    !PQconsumeInput(pg->conn))
			goto lost;
	}
	if (rc == -1)
		goto lost;
	for (;;) {
		while (PQisBusy(pg->conn)) {
			if ((rc = db_pg_poll(pg->conn, 0, deadline)) != 1 ||
			    !PQconsumeInput(pg->conn))
				goto lost;
		}
		if ((res = PQgetResult(pg->conn)) == NULL)
			break;
		if (keep != NULL && !db_pg_ok(pg, keep))
			PQclear(res);	/* the first failure stays */
		else {
			PQclear(keep);
			keep = res;
		}
	}
	if (keep == NULL) {
		db_pg_fail(pg, "PostgreSQL: no answer");
		return NULL;
	}
	if (!db_pg_ok(pg, keep)) {
		/* An error with the session gone with it: the server left. */
		if (PQstatus(pg->conn) == CONNECTION_BAD) {
			t = xstrdup(pg->error);
			PQclear(keep);
			db_pg_drop(pg, t);
			free(t);
			return NULL;
		}
		PQclear(keep);
		return NULL;
	}
	return keep;
lost:
	PQclear(keep);
	if (rc == 0) {
		t = xasprintf("no answer within %d ms: the server is dropped",
		    pg->busy_ms + DB_PG_SLACK_MS);
		db_pg_drop(pg, t);
		free(t);
	} else {
		t = db_pg_trimmed(PQerrorMessage(pg->conn));
		db_pg_drop(pg, *t != '\0' ? t : "the server hung up");
		free(t);
	}
	return NULL;
}

/* A session for conninfo, its connection made within deadline (0 none). */
static PGconn *
db_pg_connect(const char *conninfo, int64_t deadline, char **cause)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGconn *conn;
	char *t;
	int rc;

	if ((conn = PQconnectStart(conninfo)) == NULL) {
		*cause = xstrdup("out of memory");
		return NULL;
	}
	while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		if ((rc = db_pg_poll(conn, st == PGRES_POLLING_WRITING,
		    deadline)) != 1) {
			*cause = xstrdup(rc == 0 ? "no answer in time" :
			    "poll failed");
			PQfinish(conn);
			return NULL;
		}
		st = PQconnectPoll(conn);
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		t = db_pg_trimmed(PQerrorMessage(conn));
		*cause = xstrdup(*t != '\0' ? t : "cannot connect");
		free(t);
		PQfinish(conn);
		return NULL;
	}
	PQsetnonblocking(conn, 1);
	return conn;
}

static PGresult	*db_pg_run(struct db_pg *, const char *);
static int	 db_pg_lock_timeout(struct db_pg *, int);

/*
 * Open a session, set it up (UTC, UTF-8, the lock timeout) and LISTEN
 * again. 0, or -1 with the error remembered and the next try put off.
 */
static int
db_pg_session(struct db_pg *pg)
{
	PGresult *res;
	char *cause = NULL, *t, *sql;

	if ((pg->conn = db_pg_connect(pg->conninfo, db_pg_deadline(pg),
	    &cause)) == NULL) {
		cause[strcspn(cause, "\n")] = '\0';
		t = xasprintf("PostgreSQL: %s", cause);
		db_pg_fail(pg, t);
		pg->fault = DB_FAULT_AWAY;
		/* Once an outage, not at every try. */
		if (pg->lost_at != 0 && pg->backoff_ms == DB_PG_BACKOFF_MS)
			log_warn("store: postgresql: no new session: %s: tried "
			    "again, up to every %d s", cause,
			    DB_PG_BACKOFF_MAX_MS / 1000);
		free(t);
		free(cause);
		goto fail;
	}
	PQsetNoticeProcessor(pg->conn, db_pg_notice, NULL);
	pg->session++;
	/*
	 * ENGINE: the session's settings. Times are UTC (the store's are
	 * epoch seconds and UTC text), text is UTF-8 whatever the database's
	 * encoding, and NOTICEs (IF NOT EXISTS ...) are not log lines.
	 */
	res = db_pg_run(pg, "SET client_min_messages = warning;"
	    " SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'");
	if (res == NULL)
		goto fail;
	PQclear(res);
	if (db_pg_lock_timeout(pg, pg->busy_ms) == -1)
		goto fail;
	if (pg->listen != NULL) {
		sql = xasprintf("LISTEN %s", pg->listen);
		res = db_pg_run(pg, sql);
		free(sql);
		if (res == NULL)
			goto fail;
		PQclear(res);
	}
	if (pg->lost_at != 0)
		log_info("store: postgresql: a new session, %lld ms after the "
		    "last was lost", (long long)(now_ms() - pg->lost_at));
	pg->lost_at = 0;
	pg->backoff_ms = 0;
	return 0;
fail:
	if (pg->conn != NULL) {
		PQfinish(pg->conn);
		pg->conn = NULL;
	}
	if (pg->lost_at == 0)
		pg->lost_at = now_ms();
	pg->backoff_ms = pg->backoff_ms == 0 ? DB_PG_BACKOFF_MS :
	    pg->backoff_ms * 2 > DB_PG_BACKOFF_MAX_MS ? DB_PG_BACKOFF_MAX_MS :
	    pg->backoff_ms * 2;
	pg->retry_at = now_ms() + pg->backoff_ms;
	return -1;
}

/*
 * A session to send a statement on: the one there is, or a new one when
 * the backoff allows. 0, or -1 with the error remembered.
 */
static int
db_pg_live(struct db_pg *pg)
{
	if (pg->lost_in_txn) {
		db_pg_fail(pg, "PostgreSQL: the session was lost in this "
		    "transaction: it must be rolled back");
		return -1;
	}
	if (pg->conn != NULL)
		return 0;
	if (now_ms() < pg->retry_at)
		return -1;	/* the last failure's error stands */
	return db_pg_session(pg);
}

/* Run sql, no parameters: its result, or NULL (the error remembered). */
static PGresult *
db_pg_run(struct db_pg *pg, const char *sql)
{
	if (db_pg_live(pg) == -1)
		return NULL;
	if (!PQsendQuery(pg->conn, sql)) {
		db_pg_drop(pg, PQerrorMessage(pg->conn));
		return NULL;
	}
	return db_pg_answer(pg);
}

/* Run sql with one text parameter, no rows wanted. 0 or -1. */
static int
db_pg_run1(struct db_pg *pg, const char *sql, const char *value)
{
	PGresult *res;

	if (db_pg_live(pg) == -1)
		return -1;
	if (!PQsendQueryParams(pg->conn, sql, 1, NULL, &value, NULL, NULL,
	    0)) {
		db_pg_drop(pg, PQerrorMessage(pg->conn));
		return -1;
	}
	if ((res = db_pg_answer(pg)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Count what an INSERT, UPDATE, DELETE or MERGE changed (db_changes). */
static void
db_pg_count_changes(struct db_pg *pg, PGresult *res)
{
	const char *cmd = PQcmdStatus(res);

	if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 ||
	    strncmp(cmd, "DELETE", 6) == 0 || strncmp(cmd, "MERGE", 5) == 0)
		pg->changes = atoi(PQcmdTuples(res));
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

/*
 * ENGINE: SQLite's busy timeout is PostgreSQL's lock_timeout, but 0 means
 * "do not wait" to SQLite and "wait for ever" to PostgreSQL: wait 1 ms.
 * Set in a transaction, it lasts only as long as the transaction does.
 * ms < 0 (at open): the server's default, no deadline here.
 */
static int
db_pg_lock_timeout(struct db_pg *pg, int ms)
{
	char value[32];

	if (ms < 0)
		return 0;
	snprintf(value, sizeof value, "%dms", ms > 0 ? ms : 1);
	return db_pg_run1(pg, "SELECT set_config('lock_timeout', $1, false)",
	    value);
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
