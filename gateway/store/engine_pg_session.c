/*
 * engine_pg_session — the life of engine_pg.c's session with the server:
 * connecting, sending a statement and waiting for its answer, losing the
 * session and opening the next, the errors and their kinds.
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
 * A new session sets the session's settings and LISTENs again (engine_pg.c
 * prepares each statement again at its first use). A session lost inside
 * a transaction fails every statement until the transaction is rolled
 * back: the rest of it must not run, committed alone, in the next session.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "gateway/log.h"
#include "gateway/store/engine.h"
#include "gateway/store/engine_pg.h"
#include "gateway/util.h"

/* A copy of msg without the newlines libpq ends its messages with. */
char *
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
int
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
void
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
void
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
PGresult *
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

/*
 * Open a session, set it up (UTC, UTF-8, the lock timeout) and LISTEN
 * again. 0, or -1 with the error remembered and the next try put off.
 */
int
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
int
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
PGresult *
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
int
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
void
db_pg_count_changes(struct db_pg *pg, PGresult *res)
{
	const char *cmd = PQcmdStatus(res);

	if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 ||
	    strncmp(cmd, "DELETE", 6) == 0 || strncmp(cmd, "MERGE", 5) == 0)
		pg->changes = atoi(PQcmdTuples(res));
}

/*
 * ENGINE: SQLite's busy timeout is PostgreSQL's lock_timeout, but 0 means
 * "do not wait" to SQLite and "wait for ever" to PostgreSQL: wait 1 ms.
 * Set in a transaction, it lasts only as long as the transaction does.
 * ms < 0 (at open): the server's default, no deadline here.
 */
int
db_pg_lock_timeout(struct db_pg *pg, int ms)
{
	char value[32];

	if (ms < 0)
		return 0;
	snprintf(value, sizeof value, "%dms", ms > 0 ? ms : 1);
	return db_pg_run1(pg, "SELECT set_config('lock_timeout', $1, false)",
	    value);
}
