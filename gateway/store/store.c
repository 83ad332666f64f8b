/*
 * store — the connection behind gateway/store.h: opening (and migrating)
 * the database, transactions, copies, and the statement cache. Every
 * capability file's statements are prepared here once at open, kept per
 * capability table (private.h), and reset after each use. The schema moves
 * forward by the migrations of schema.c, one version at a time.
 *
 * Nothing here speaks to a database engine but through engine.h.
 */
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

/* How long a statement waits for a lock until store_set_busy_timeout. */
#define STORE_BUSY_MS	5000

/* The capability tables, by enum store_table_id. */
static const struct store_table *const store_tables[STORE_NTABLES] = {
	[STORE_T_PEOPLE] = &store_people_table,
	[STORE_T_MESSAGE] = &store_message_table,
	[STORE_T_OUTBOX] = &store_outbox_table,
	[STORE_T_MODEM] = &store_modem_table,
	[STORE_T_GRIEVANCE] = &store_grievance_table,
	[STORE_T_PROMPT] = &store_prompt_table,
	[STORE_T_CHECKIN] = &store_checkin_table,
	[STORE_T_EVENT] = &store_event_table,
	[STORE_T_STATS] = &store_stats_table,
	[STORE_T_NODE] = &store_node_table,
	[STORE_T_REPORT] = &store_report_table,
	[STORE_T_ACCOUNT] = &store_account_table,
};

/*
 * Before the first migration of a database that has rows already: a
 * backup beside it, path.schema-V.bak, and a line in the log saying so.
 */
static int
store_backup_before_migrating(struct store *st, char **cause)
{
	const char *path = db_filename(st->db);
	char *bak, *err = NULL;
	int v = db_version(st->db);

	if (v <= 0 || v >= store_nmigrations || *path == '\0')
		return 0;
	bak = xasprintf("%s.schema-%d.bak", path, v);
	if (store_backup(st, bak, &err) == -1) {
		*cause = xasprintf("backup before migrating from schema %d: %s",
		    v, err);
		free(err);
		free(bak);
		return -1;
	}
	/* Warn: cungatectl shows it too, whoever opens it first. */
	log_warn("store: schema %d to %d: the database was backed up first "
	    "to %s", v, store_nmigrations, bak);
	free(bak);
	return 0;
}

static int
store_on_pg(struct store *st)
{
	return strcmp(db_engine_name(st->db), "postgresql") == 0;
}

/*
 * The migration from version v on st's engine, and the version it
 * reaches in *to; NULL if there is none.
 */
static const char *
store_migration(struct store *st, int v, int *to)
{
	int i;

	*to = v + 1;
	if (!store_on_pg(st))
		return store_migrations[v];
	if (v == 0) {
		*to = store_pg_base;
		return store_schema_pg;
	}
	for (i = 0; store_migrations_pg[i] != NULL; i++) {
		if (store_pg_base + i == v)
			return store_migrations_pg[i];
	}
	return NULL;
}

/*
 * Run every migration past the database's version, each in its own
 * transaction. The version is read again under the write lock: the daemon
 * and cungatectl may open a new database at the same moment.
 */
static int
store_migrate(struct store *st, char **cause)
{
	const char *sql;
	char *err = NULL;
	int v, to;

	for (;;) {
		if (db_begin(st->db) == -1) {
			err = xstrdup(db_error(st->db));
			break;
		}
		if ((v = db_version(st->db)) == -1) {
			err = xasprintf("reading user_version: %s",
			    db_error(st->db));
			break;
		}
		if (v >= store_nmigrations) {
			if (db_commit(st->db) == -1) {
				err = xstrdup(db_error(st->db));
				break;
			}
			if (v > store_nmigrations) {
				*cause = xasprintf("database schema %d is "
				    "newer than this build knows (%d)", v,
				    store_nmigrations);
				return -1;
			}
			return 0;
		}
		if ((sql = store_migration(st, v, &to)) == NULL) {
			*cause = xasprintf("schema %d: no migration on %s "
			    "from there", v, db_engine_name(st->db));
			db_rollback(st->db);
			return -1;
		}
		if (db_migrate(st->db, sql, to, &err) == -1) {
			*cause = xasprintf("migration to schema %d: %s", to,
			    err);
			free(err);
			db_rollback(st->db);
			return -1;
		}
		log_debug("store: migrated to schema %d", to);
	}
	*cause = xasprintf("migrating: %s", err);
	free(err);
	db_rollback(st->db);
	return -1;
}

/*
 * Prepare every capability table's statements (PostgreSQL's own text where
 * a table has one). Each that fails is logged; 0, or -1 with *cause (the
 * first).
 */
static int
store_prepare(struct store *st, const char *path, char **cause)
{
	const struct store_table *t;
	const char *sql;
	int i, k, rc = 0;

	for (k = 0; k < STORE_NTABLES; k++) {
		t = store_tables[k];
		st->stmt[k] = xcalloc(t->n, sizeof *st->stmt[k]);
		for (i = 0; i < t->n; i++) {
			sql = t->sql[i];
			if (t->pg != NULL && t->pg[i] != NULL && store_on_pg(st))
				sql = t->pg[i];
			st->stmt[k][i] = db_prepare(st->db, sql,
			    DB_PREPARE_PERSISTENT);
			if (st->stmt[k][i] != NULL)
				continue;
			log_warn("store: %s statement %d: %s: %s", t->name, i,
			    sql, db_error(st->db));
			if (rc == 0)
				*cause = xasprintf("%s: preparing %s: %s",
				    store_is_server(path) ? "database" : path,
				    sql, db_error(st->db));
			rc = -1;
		}
	}
	return rc;
}

int
store_is_server(const char *database)
{
	return db_engine_of(database) != &db_engine_sqlite;
}

struct store *
store_open(const char *path, char **cause)
{
	struct store *st;
	char *err = NULL;

	st = xcalloc(1, sizeof *st);
	st->busy_ms = STORE_BUSY_MS;
	if ((st->db = db_open(path, st->busy_ms, &err)) == NULL ||
	    store_backup_before_migrating(st, &err) == -1 ||
	    store_migrate(st, &err) == -1) {
		*cause = xasprintf("%s: %s", store_is_server(path) ?
		    "database" : path, err);
		free(err);
		goto fail;
	}
	if (store_prepare(st, path, cause) == -1)
		goto fail;
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	int i, k;

	if (st == NULL)
		return;
	for (k = 0; k < STORE_NTABLES; k++) {
		if (st->stmt[k] == NULL)
			continue;
		for (i = 0; i < store_tables[k]->n; i++)
			db_finalize(st->stmt[k][i]);
		free(st->stmt[k]);
	}
	db_close(st->db);
	free(st->node);
	free(st);
}

int
store_schema_version(struct store *st)
{
	return db_version(st->db);
}

const char *
store_error(struct store *st)
{
	return db_error(st->db);
}

int
store_listen(struct store *st)
{
	return db_listen(st->db, "cungate_outbox");
}

int
store_socket(struct store *st)
{
	return db_socket(st->db);
}

int
store_notified(struct store *st)
{
	return db_notified(st->db);
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	st->busy_ms = ms;
	db_set_busy_timeout(st->db, ms);
}

void
store_log_fail(struct store *st, const char *what)
{
	if (db_fault(st->db) == DB_FAULT_AWAY)
		log_debug("store: %s: %s", what, db_error(st->db));
	else
		log_warn("store: %s: %s", what, db_error(st->db));
}

int
store_is_away(struct store *st)
{
	return db_fault(st->db) == DB_FAULT_AWAY;
}

/* --- transactions --- */

int
store_begin(struct store *st)
{
	if (db_begin(st->db) == -1) {
		store_log_fail(st, "begin");
		return -1;
	}
	return 0;
}

int
store_commit(struct store *st)
{
	if (db_commit(st->db) == -1) {
		store_log_fail(st, "commit");
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	db_rollback(st->db);
}

int
store_is_writable(struct store *st)
{
	int rc;

	/* A probe: it answers at once, it does not wait out the lock. */
	db_set_busy_timeout(st->db, 0);
	rc = db_begin(st->db);
	db_set_busy_timeout(st->db, st->busy_ms);
	if (rc == -1)
		return 0;
	db_rollback(st->db);
	return 1;
}

/* --- copies --- */

int
store_backup(struct store *st, const char *path, char **cause)
{
	return db_backup(st->db, path, cause);
}

int
store_restore(const char *backup, const char *path, char **cause)
{
	glob_t g;
	char *journal;
	size_t i;

	if (db_restore(backup, path, cause) == -1)
		return -1;
	/* The replaced database's journals of parts (the daemon's and its
	   workers') speak of its rows. */
	journal = xasprintf("%s.parts", path);
	unlink(journal);
	free(journal);
	journal = xasprintf("%s.parts.*", path);
	memset(&g, 0, sizeof g);
	if (glob(journal, GLOB_NOSORT, NULL, &g) == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
	}
	globfree(&g);
	free(journal);
	return 0;
}

/* --- what the capability files share (private.h) --- */

void
store_bind(struct db_stmt *s, const char *fmt, ...)
{
	va_list ap;
	const char *str;
	int i;

	va_start(ap, fmt);
	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 's':
			str = va_arg(ap, const char *);
			if (str == NULL)
				db_bind_null(s, i);
			else
				db_bind_text(s, i, str);
			break;
		case 'i':
			db_bind_int(s, i, va_arg(ap, int));
			break;
		case 'l':
			db_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'n':	/* int64, 0 binds NULL (optional references) */
		{
			int64_t v = va_arg(ap, int64_t);
			if (v == 0)
				db_bind_null(s, i);
			else
				db_bind_int64(s, i, v);
			break;
		}
		}
	}
	va_end(ap);
	/* A format that does not fit the statement is a bug: stop here. */
	if (i - 1 != db_bind_count(s))
		fatal("store: %d values bound to \"%s\"", i - 1, db_sql(s));
}

int
store_exec_stmt(struct store *st, struct db_stmt *s)
{
	int rc;

	rc = db_step(s);
	db_reset(s);
	if (rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return 0;
}

void
store_insert_cause(struct store *st, const char *what, const char *code,
    char **cause)
{
	if (db_fault(st->db) == DB_FAULT_UNIQUE ||
	    db_fault(st->db) == DB_FAULT_PRIMARYKEY)
		*cause = xasprintf("%s %s already exists", what, code);
	else
		*cause = xasprintf("%s %s: %s", what, code, db_error(st->db));
}

int
store_phones(struct store *st, struct db_stmt *s,
    void (*cb)(const char *, void *), void *arg)
{
	struct phone_set ps = { NULL, 0 };
	size_t i;
	int rc;

	while ((rc = db_step(s)) == DB_ROW)
		phone_set_add(&ps, db_column_text(s, 0));
	db_reset(s);
	if (rc != DB_DONE)
		store_log_fail(st, db_sql(s));
	for (i = 0; rc == DB_DONE && i < ps.n; i++)
		cb(ps.v[i], arg);
	phone_set_free(&ps);
	return rc == DB_DONE ? 0 : -1;
}

int
store_ids(struct store *st, struct db_stmt *s, int64_t *ids, int max)
{
	int rc = DB_DONE, n = 0;

	while (n < max && (rc = db_step(s)) == DB_ROW)
		ids[n++] = db_column_int64(s, 0);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return n;
}

int64_t
store_count_of(struct store *st, struct db_stmt *s)
{
	int64_t n;
	int rc;

	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? 0 : -1;
	n = db_column_int64(s, 0);
	db_reset(s);
	return n;
}
