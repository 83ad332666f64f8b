/*
 * engine: the seam under the store (gateway/store/engine.h), the same
 * tests on each engine: SQLite always, on a file; PostgreSQL when
 * CUNGATE_PG holds a conninfo (make check-pg starts a private server),
 * skipped otherwise. Where the engines differ the test says how.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/store.h"
#include "gateway/store/engine.h"
#include "tests/unit/testdb.h"

struct fixture {
	struct db	*db;
	char		 path[256];	/* the database string */
};

static void
fixture_unlink(const char *path)
{
	char f[300];

	unlink(path);
	snprintf(f, sizeof f, "%s-wal", path);
	unlink(f);
	snprintf(f, sizeof f, "%s-shm", path);
	unlink(f);
	snprintf(f, sizeof f, "%s.bak", path);
	unlink(f);
}

static int
setup_sqlite(void **state)
{
	struct fixture *fx;
	char *cause = NULL;

	fx = calloc(1, sizeof *fx);
	snprintf(fx->path, sizeof fx->path, "/tmp/cungate-test-engine-%d.db",
	    (int)getpid());
	fixture_unlink(fx->path);
	if ((fx->db = db_open(fx->path, 5000, &cause)) == NULL) {
		fprintf(stderr, "%s: %s\n", fx->path, cause);
		free(cause);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
setup_pg(void **state)
{
	const char *conninfo = getenv("CUNGATE_PG");
	struct fixture *fx;
	char *cause = NULL;

	fx = calloc(1, sizeof *fx);
	*state = fx;
	if (conninfo == NULL || *conninfo == '\0')
		return 0;	/* fx->db NULL: the test skips */
	snprintf(fx->path, sizeof fx->path, "%s", conninfo);
	if ((fx->db = db_open(fx->path, 5000, &cause)) == NULL ||
	    db_exec(fx->db, "DROP TABLE IF EXISTS t, m, cungate_schema",
	    &cause) == -1) {
		fprintf(stderr, "CUNGATE_PG: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx == NULL)
		return 0;
	db_close(fx->db);
	if (fx->db != NULL && strcmp(db_engine_of(fx->path)->name,
	    "sqlite") == 0)
		fixture_unlink(fx->path);
	free(fx);
	return 0;
}

/* The fixture's connection; the test is skipped without one. */
static struct db *
fixture_db(void **state)
{
	struct fixture *fx = *state;

	if (fx->db == NULL)
		skip();
	return fx->db;
}

static int
is_pg(struct db *db)
{
	return strcmp(db_engine_name(db), "postgresql") == 0;
}

static void
create_t(struct db *db)
{
	char *cause = NULL;
	int rc;

	/* ENGINE: an id the database assigns */
	if (is_pg(db))
		rc = db_exec(db, "CREATE TABLE t (id bigserial PRIMARY KEY,"
		    " code text NOT NULL UNIQUE, name text, n bigint)", &cause);
	else
		rc = db_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
		    " code TEXT NOT NULL UNIQUE, name TEXT, n INTEGER)",
		    &cause);
	if (rc == -1)
		fail_msg("create t: %s", cause);
}

/* The one number sql gives. */
static int64_t
one_int(struct db *db, const char *sql)
{
	struct db_stmt *s;
	int64_t v;

	s = db_prepare(db, sql, 0);
	if (s == NULL)
		fail_msg("%s: %s", sql, db_error(db));
	assert_int_equal(db_step(s), DB_ROW);
	v = db_column_int64(s, 0);
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
	return v;
}

/* Insert a row with code c; DB_DONE or DB_ERROR. */
static int
insert_code(struct db *db, const char *c)
{
	struct db_stmt *s;
	int rc;

	s = db_prepare(db, "INSERT INTO t (code) VALUES (?)", 0);
	assert_non_null(s);
	db_bind_text(s, 1, c);
	rc = db_step(s);
	db_finalize(s);
	return rc;
}

static void
test_engine_of(void **state)
{
	(void)state;
	assert_string_equal(db_engine_of("/var/lib/cungate/cungate.db")->name,
	    "sqlite");
	assert_string_equal(db_engine_of(":memory:")->name, "sqlite");
	assert_string_equal(db_engine_of("cungate.db")->name, "sqlite");
	/* An "=" in a path does not make it a conninfo. */
	assert_string_equal(db_engine_of("/srv/a=b/cungate.db")->name,
	    "sqlite");
	assert_string_equal(db_engine_of("postgresql://u@h/cungate")->name,
	    "postgresql");
	assert_string_equal(db_engine_of("postgres:///cungate")->name,
	    "postgresql");
	assert_string_equal(db_engine_of("host=/tmp/x dbname=cungate")->name,
	    "postgresql");
	assert_string_equal(db_engine_of(" dbname = cungate")->name,
	    "postgresql");
}

static void
test_store_cause_keeps_the_password(void **state)
{
	char *cause = NULL;

	(void)state;
	/* A conninfo may hold a password: the cause never echoes it. */
	assert_null(store_open("host=/nonexistent dbname=cungate "
	    "password=sekrit", &cause));
	assert_non_null(cause);
	assert_null(strstr(cause, "sekrit"));
	free(cause);
}

static void
test_store_on_postgresql(void **state)
{
	const char *pg = getenv("CUNGATE_PG");
	struct store *st;
	char *cause = NULL;
	int latest;

	(void)state;
	if (pg == NULL || *pg == '\0')
		skip();
	/* The version SQLite's migrations reach. */
	if ((st = store_open(":memory:", &cause)) == NULL)
		fail_msg("%s", cause);
	latest = store_schema_version(st);
	store_close(st);
	/* The schema at once, every statement prepared on the server. */
	if ((st = store_open(test_db(), &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_schema_version(st), latest);
	store_close(st);
	/* Again: nothing to migrate. */
	if ((st = store_open(pg, &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_schema_version(st), latest);
	store_close(st);
}

static void
test_parameters_and_rows(void **state)
{
	struct db *db = fixture_db(state);
	struct db_stmt *s;
	char *cause = NULL;
	int64_t big = (int64_t)1 << 40;

	create_t(db);
	/* A ? inside a string literal is text, not a parameter. */
	s = db_prepare(db, "INSERT INTO t (code, name, n) VALUES"
	    " (?, 'what?', ?)", 0);
	assert_non_null(s);
	assert_int_equal(db_bind_count(s), 2);
	db_bind_text(s, 1, "a");
	db_bind_int(s, 2, 7);
	assert_int_equal(db_step(s), DB_DONE);
	assert_int_equal(db_changes(db), 1);
	assert_int_equal(db_last_insert_id(db), 1);
	db_rewind(s);
	db_bind_text(s, 1, "b");
	db_bind_null(s, 2);
	assert_int_equal(db_step(s), DB_DONE);
	assert_int_equal(db_last_insert_id(db), 2);
	db_finalize(s);

	/* ?NNN in any order. */
	s = db_prepare(db, "INSERT INTO t (n, code, name) VALUES"
	    " (?3, ?1, ?2)", 0);
	assert_non_null(s);
	assert_int_equal(db_bind_count(s), 3);
	db_bind_text(s, 1, "c");
	db_bind_null(s, 2);
	db_bind_int64(s, 3, big);
	assert_int_equal(db_step(s), DB_DONE);
	assert_int_equal(db_last_insert_id(db), 3);
	assert_int_equal(db_last_insert_id(db), one_int(db,
	    "SELECT max(id) FROM t"));
	db_finalize(s);

	/* A bare ? is one past the largest number so far. */
	s = db_prepare(db, "SELECT ?2, ?, ?1", 0);
	assert_non_null(s);
	assert_int_equal(db_bind_count(s), 3);
	db_bind_text(s, 1, "x");
	db_bind_text(s, 2, "y");
	db_bind_text(s, 3, "z");
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "y");
	assert_string_equal(db_column_text(s, 1), "z");
	assert_string_equal(db_column_text(s, 2), "x");
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);

	/* Question marks in literals, identifiers and comments. */
	s = db_prepare(db, "SELECT code, name, n, n = 7 AS \"seven?\" FROM t"
	    " WHERE name IS NULL OR name = 'what?' /* ? */ ORDER BY id -- ?",
	    0);
	assert_non_null(s);
	assert_int_equal(db_bind_count(s), 0);
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "a");
	assert_string_equal(db_column_text(s, 1), "what?");
	assert_int_equal(db_column_int(s, 2), 7);
	assert_int_equal(db_column_int(s, 3), 1);	/* PostgreSQL: "t" */
	assert_false(db_column_is_null(s, 3));
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "b");
	assert_true(db_column_is_null(s, 2));
	assert_null(db_column_text(s, 2));
	assert_int_equal(db_column_int(s, 2), 0);
	assert_int_equal(db_column_int64(s, 2), 0);
	assert_true(db_column_is_null(s, 3));
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "c");
	assert_true(db_column_is_null(s, 1));
	assert_int_equal(db_column_int64(s, 2), big);
	assert_int_equal(db_column_int(s, 3), 0);	/* PostgreSQL: "f" */
	assert_false(db_column_is_null(s, 3));
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
	/* A SELECT leaves the count of changes alone. */
	assert_int_equal(db_changes(db), 1);

	s = db_prepare(db, "UPDATE t SET n = ?1 WHERE n IS NULL OR n <> ?1",
	    0);
	assert_non_null(s);
	db_bind_int(s, 1, 7);
	assert_int_equal(db_step(s), DB_DONE);
	assert_int_equal(db_changes(db), 2);
	db_finalize(s);
	assert_int_equal(db_exec(db, "DELETE FROM t WHERE n = 7;"
	    " DELETE FROM t WHERE code = 'a'", &cause), 0);
	assert_int_equal(db_changes(db), 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 0);
}

static void
test_reset_keeps_bindings_rewind_clears_them(void **state)
{
	struct db *db = fixture_db(state);
	struct db_stmt *s;

	s = db_prepare(db, "SELECT ?1", DB_PREPARE_PERSISTENT);
	assert_non_null(s);
	assert_string_equal(db_sql(s), "SELECT ?1");
	db_bind_text(s, 1, "a");
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "a");
	db_reset(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "a");
	assert_int_equal(db_step(s), DB_DONE);
	/* A step after DB_DONE runs it again. */
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_column_text(s, 0), "a");
	db_rewind(s);
	assert_int_equal(db_step(s), DB_ROW);
	assert_true(db_column_is_null(s, 0));
	db_finalize(s);
}

static void
test_unique_and_primary_key(void **state)
{
	struct db *db = fixture_db(state);
	struct db_stmt *s;
	char *cause = NULL;

	create_t(db);
	assert_int_equal(insert_code(db, "a"), DB_DONE);
	assert_int_equal(insert_code(db, "a"), DB_ERROR);
	assert_int_equal(db_fault(db), DB_FAULT_UNIQUE);
	assert_true(strlen(db_error(db)) > 0);
	/* The message names no value (PostgreSQL's DETAIL would). */
	assert_null(strstr(db_error(db), "(a)"));

	s = db_prepare(db, "INSERT INTO t (id, code) VALUES (?1, ?2)", 0);
	assert_non_null(s);
	db_bind_int(s, 1, 1);
	db_bind_text(s, 2, "z");
	assert_int_equal(db_step(s), DB_ERROR);
	assert_int_equal(db_fault(db), DB_FAULT_PRIMARYKEY);
	db_finalize(s);

	assert_int_equal(db_exec(db, "SELECT nosuchcolumn FROM t", &cause),
	    -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "nosuchcolumn"));
	free(cause);
	assert_int_equal(db_fault(db), DB_FAULT_OTHER);
	assert_null(db_prepare(db, "SELECT nosuchcolumn FROM t", 0));
	assert_non_null(strstr(db_error(db), "nosuchcolumn"));
}

static void
test_transactions(void **state)
{
	struct fixture *fx = *state;
	struct db *db = fixture_db(state), *other;
	char *cause = NULL;
	int64_t id;

	create_t(db);
	db_rollback(db);	/* none open: nothing */
	assert_int_equal(db_commit(db), -1);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(insert_code(db, "x"), DB_DONE);
	db_rollback(db);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 0);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(insert_code(db, "y"), DB_DONE);
	/* PostgreSQL reads lastval() behind a savepoint here. */
	id = db_last_insert_id(db);
	assert_int_equal(id, one_int(db, "SELECT max(id) FROM t"));
	assert_int_equal(insert_code(db, "w"), DB_DONE);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 2);

	/*
	 * A failed statement in a transaction: SQLite fails the statement
	 * alone; PostgreSQL aborts the transaction, and COMMIT rolls back.
	 */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(insert_code(db, "z"), DB_DONE);
	assert_int_equal(insert_code(db, "y"), DB_ERROR);
	if (is_pg(db)) {
		assert_int_equal(db_commit(db), -1);
		assert_non_null(strstr(db_error(db), "rolled back"));
		assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 2);
	} else {
		assert_int_equal(db_commit(db), 0);
		assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 3);
	}
	db_rollback(db);

	/* A new connection has no last insert id, in a transaction or not. */
	other = db_open(fx->path, 5000, &cause);
	assert_non_null(other);
	assert_int_equal(db_last_insert_id(other), 0);
	assert_int_equal(db_begin(other), 0);
	assert_int_equal(db_last_insert_id(other), 0);
	assert_int_equal(insert_code(other, "v"), DB_DONE);
	assert_int_equal(db_commit(other), 0);
	db_close(other);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE code = 'v'"),
	    1);
}

static void
test_migrate_and_version(void **state)
{
	struct db *db = fixture_db(state);
	char *cause = NULL;

	assert_int_equal(db_version(db), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_version(db), 0);
	assert_int_equal(db_migrate(db, "CREATE TABLE m (x integer);", 1,
	    &cause), 0);
	assert_int_equal(db_version(db), 1);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_migrate(db, "INSERT INTO m VALUES (1);"
	    " INSERT INTO m VALUES (2);", 2, &cause), 0);
	assert_int_equal(db_version(db), 2);
	/* A failed migration leaves the transaction for the caller. */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_migrate(db, "INSERT INTO m VALUES (3);"
	    " CREATE TABLE m (x integer);", 3, &cause), -1);
	assert_non_null(cause);
	free(cause);
	db_rollback(db);
	assert_int_equal(db_version(db), 2);
	assert_int_equal(one_int(db, "SELECT count(*) FROM m"), 2);
}

static void
test_connection(void **state)
{
	struct fixture *fx = *state;
	struct db *db = fixture_db(state);
	struct db_stmt *s;
	char bak[300], *cause = NULL;

	db_set_busy_timeout(db, 0);
	db_set_busy_timeout(db, 2500);
	snprintf(bak, sizeof bak, "%s.bak", fx->path);
	if (is_pg(db)) {
		assert_string_equal(db_engine_name(db), "postgresql");
		assert_string_equal(db_filename(db), "");
		s = db_prepare(db, "SELECT current_setting('lock_timeout')", 0);
		assert_non_null(s);
		assert_int_equal(db_step(s), DB_ROW);
		assert_string_equal(db_column_text(s, 0), "2500ms");
		db_finalize(s);
		assert_int_equal(db_backup(db, "/tmp/x", &cause), -1);
		assert_non_null(strstr(cause, "pg_dump"));
		free(cause);
		assert_int_equal(db_restore("/tmp/x", fx->path, &cause), -1);
		assert_non_null(strstr(cause, "pg_restore"));
		free(cause);
	} else {
		assert_string_equal(db_engine_name(db), "sqlite");
		assert_string_equal(db_filename(db), fx->path);
		create_t(db);
		assert_int_equal(db_backup(db, bak, &cause), 0);
		assert_int_equal(access(bak, R_OK), 0);
	}
}

/* Run sql on a session of its own (another process's, say). */
static void
other_session(const char *conninfo, const char *sql)
{
	PGconn *conn = PQconnectdb(conninfo);
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
}

/*
 * A server that does not answer is dropped within the busy timeout and
 * the slack, the statements in between fail at once, and the next session
 * (after the backoff) prepares the kept statements again.
 */
static void
test_pg_no_answer_is_dropped_in_time(void **state)
{
	struct db *db = fixture_db(state);
	struct db_stmt *kept, *s;
	int64_t t0, took;

	create_t(db);
	kept = db_prepare(db, "SELECT count(*) + ? FROM t",
	    DB_PREPARE_PERSISTENT);
	assert_non_null(kept);
	db_set_busy_timeout(db, 200);
	s = db_prepare(db, "SELECT pg_sleep(5)", 0);
	assert_non_null(s);
	t0 = now_ms();
	assert_int_equal(db_step(s), DB_ERROR);
	took = now_ms() - t0;
	print_message("a server that sleeps 5 s: dropped after %lld ms\n",
	    (long long)took);
	assert_true(took >= 600 && took < 1500);
	assert_non_null(strstr(db_error(db), "no answer within 700 ms"));
	assert_int_equal(db_socket(db), -1);
	db_finalize(s);
	/* Within the backoff: no new session, no wait. */
	t0 = now_ms();
	db_bind_int(kept, 1, 7);
	assert_int_equal(db_step(kept), DB_ERROR);
	assert_true(now_ms() - t0 < 100);
	usleep(600 * 1000);
	db_reset(kept);
	assert_int_equal(db_step(kept), DB_ROW);
	assert_int_equal(db_column_int(kept, 0), 7);
	db_finalize(kept);
	assert_true(db_socket(db) >= 0);
}

/*
 * The session lost inside a transaction: the rest of the transaction fails
 * rather than run, committed alone, in a new session; nothing of it is
 * kept; after the rollback the connection serves again.
 */
static void
test_pg_lost_in_a_transaction(void **state)
{
	struct fixture *fx = *state;
	struct db *db = fixture_db(state);
	char sql[128];

	struct db_stmt *ins;

	create_t(db);
	db_set_busy_timeout(db, 200);
	ins = db_prepare(db, "INSERT INTO t (code) VALUES (?)",
	    DB_PREPARE_PERSISTENT);
	assert_non_null(ins);
	assert_int_equal(db_begin(db), 0);
	db_bind_text(ins, 1, "a");
	assert_int_equal(db_step(ins), DB_DONE);
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)",
	    (long long)one_int(db, "SELECT pg_backend_pid()"));
	other_session(fx->path, sql);
	db_bind_text(ins, 1, "b");
	assert_int_equal(db_step(ins), DB_ERROR);
	usleep(700 * 1000);	/* past the backoff: still refused */
	db_bind_text(ins, 1, "c");
	assert_int_equal(db_step(ins), DB_ERROR);
	assert_non_null(strstr(db_error(db), "rolled back"));
	assert_int_equal(db_commit(db), -1);
	db_rollback(db);
	db_bind_text(ins, 1, "d");
	assert_int_equal(db_step(ins), DB_DONE);
	db_finalize(ins);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t WHERE code = 'd'"),
	    1);
}

/* A NOTIFY on a channel listened on makes the socket readable, once. */
static void
test_pg_listen(void **state)
{
	struct fixture *fx = *state;
	struct db *db = fixture_db(state);
	struct pollfd pfd;
	int rc;

	assert_int_equal(db_listen(db, "cungate_test"), 0);
	assert_int_equal(db_notified(db), 0);
	other_session(fx->path, "NOTIFY cungate_test");
	pfd.fd = db_socket(db);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(db_notified(db), 1);
	assert_int_equal(db_notified(db), 0);
	/* Again in a new session. */
	other_session(fx->path, "SELECT pg_terminate_backend(pid) FROM"
	    " pg_stat_activity WHERE query = 'LISTEN cungate_test'");
	/* The server's FATAL first (a notice), then its hanging up. */
	pfd.fd = db_socket(db);
	while ((rc = poll(&pfd, 1, 5000)) == 1 && (rc = db_notified(db)) == 0)
		;
	assert_int_equal(rc, -1);
	assert_int_equal(db_socket(db), -1);
	usleep(600 * 1000);
	assert_int_equal(one_int(db, "SELECT 1"), 1);
	other_session(fx->path, "NOTIFY cungate_test");
	pfd.fd = db_socket(db);
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(db_notified(db), 1);
}

/* Tests of what only a server does, skipped without one. */
#define PG_ONLY(f)	{ #f, f, setup_pg, teardown, NULL }

/* Each test on each engine, named for it. */
#define BOTH(f)								\
	{ #f " (sqlite)", f, setup_sqlite, teardown, NULL },		\
	{ #f " (postgresql)", f, setup_pg, teardown, NULL }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_of),
		cmocka_unit_test(test_store_cause_keeps_the_password),
		cmocka_unit_test(test_store_on_postgresql),
		BOTH(test_parameters_and_rows),
		BOTH(test_reset_keeps_bindings_rewind_clears_them),
		BOTH(test_unique_and_primary_key),
		BOTH(test_transactions),
		BOTH(test_migrate_and_version),
		BOTH(test_connection),
		PG_ONLY(test_pg_no_answer_is_dropped_in_time),
		PG_ONLY(test_pg_lost_in_a_transaction),
		PG_ONLY(test_pg_listen),
	};
	const char *pg = getenv("CUNGATE_PG");

	if (pg == NULL || *pg == '\0')
		printf("test_engine: CUNGATE_PG is not set: the PostgreSQL "
		    "half is skipped (make check-pg runs it)\n");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
