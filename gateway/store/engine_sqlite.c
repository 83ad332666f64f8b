/*
 * engine_sqlite — the store's engine on SQLite: the only file that
 * includes <sqlite3.h>. A connection is a struct db around a sqlite3, a
 * statement a struct db_stmt around a sqlite3_stmt; engine.c reaches them
 * through db_engine_sqlite, the table at the end. What is SQLite's own
 * lives here: opening in WAL, PRAGMA user_version as the schema version,
 * BEGIN IMMEDIATE, the backup API for copies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/store/engine.h"
#include "gateway/util.h"

struct db_sqlite {
	struct db	 db;	/* first: cast to and from a struct db * */
	sqlite3		*h;
};

struct db_sqlite_stmt {
	struct db_stmt	 stmt;	/* first, likewise */
	sqlite3_stmt	*s;
};

static inline sqlite3 *
db_sqlite(struct db *db)
{
	return ((struct db_sqlite *)db)->h;
}

static inline sqlite3_stmt *
db_sqlite_stmt(struct db_stmt *s)
{
	return ((struct db_sqlite_stmt *)s)->s;
}

/*
 * Switch to WAL. On a new database this needs a lock the busy handler
 * does not wait for, and the daemon and cungatectl may be opening it at
 * the same moment: try again for a few seconds. 0, or -1 with *cause.
 */
static int
db_sqlite_wal(sqlite3 *h, char **cause)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		/* ENGINE: PRAGMA journal_mode */
		rc = sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL,
		    NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == 100)
			break;
		usleep(50 * 1000);
	}
	*cause = xasprintf("journal_mode = WAL: %s", sqlite3_errmsg(h));
	return -1;
}

static struct db *
db_sqlite_open(const char *path, int busy_ms, char **cause)
{
	struct db_sqlite *db;
	sqlite3 *h = NULL;
	char *err = NULL;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s", h != NULL ? sqlite3_errmsg(h) :
		    "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(h, busy_ms);
	if (db_sqlite_wal(h, &err) == -1) {
		*cause = err;
		goto fail;
	}
	/* ENGINE: PRAGMA synchronous, foreign_keys */
	if (sqlite3_exec(h, "PRAGMA synchronous = FULL;"
	    " PRAGMA foreign_keys = ON;", NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf("%s", err != NULL ? err :
		    sqlite3_errmsg(h));
		sqlite3_free(err);
		goto fail;
	}
	db = xcalloc(1, sizeof *db);
	db->db.engine = &db_engine_sqlite;
	db->h = h;
	return &db->db;
fail:
	sqlite3_close(h);
	return NULL;
}

static void
db_sqlite_close(struct db *db)
{
	sqlite3_close(db_sqlite(db));
	free(db);
}

static void
db_sqlite_set_busy_timeout(struct db *db, int ms)
{
	sqlite3_busy_timeout(db_sqlite(db), ms);
}

static const char *
db_sqlite_filename(struct db *db)
{
	const char *path = sqlite3_db_filename(db_sqlite(db), "main");

	return path != NULL ? path : "";
}

static const char *
db_sqlite_error(struct db *db)
{
	return sqlite3_errmsg(db_sqlite(db));
}

static enum db_fault
db_sqlite_fault(struct db *db)
{
	switch (sqlite3_extended_errcode(db_sqlite(db))) {
	case SQLITE_CONSTRAINT_UNIQUE:
		return DB_FAULT_UNIQUE;
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return DB_FAULT_PRIMARYKEY;
	default:
		return DB_FAULT_OTHER;
	}
}

static int
db_sqlite_exec(struct db *db, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(db_sqlite(db), sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf("%s", err != NULL ? err :
		    sqlite3_errmsg(db_sqlite(db)));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
db_sqlite_changes(struct db *db)
{
	return sqlite3_changes(db_sqlite(db));
}

static int64_t
db_sqlite_last_insert_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db_sqlite(db));
}

/* --- notifications: none; a daemon polls --- */

static int
db_sqlite_listen(struct db *db, const char *channel)
{
	(void)db;
	(void)channel;
	return 0;
}

static int
db_sqlite_socket(struct db *db)
{
	(void)db;
	return -1;
}

static int
db_sqlite_notified(struct db *db)
{
	(void)db;
	return 0;
}

/* --- transactions --- */

static int
db_sqlite_begin(struct db *db)
{
	/* ENGINE: BEGIN IMMEDIATE (the write lock at once) */
	return sqlite3_exec(db_sqlite(db), "BEGIN IMMEDIATE", NULL, NULL,
	    NULL) == SQLITE_OK ? 0 : -1;
}

static int
db_sqlite_commit(struct db *db)
{
	return sqlite3_exec(db_sqlite(db), "COMMIT", NULL, NULL, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

static void
db_sqlite_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db_sqlite(db)))
		sqlite3_exec(db_sqlite(db), "ROLLBACK", NULL, NULL, NULL);
}

/* --- the schema --- */

static int
db_sqlite_version(struct db *db)
{
	sqlite3_stmt *s;
	int v = -1;

	/* ENGINE: PRAGMA user_version (the schema version) */
	if (sqlite3_prepare_v2(db_sqlite(db), "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
db_sqlite_migrate(struct db *db, const char *sql, int version,
    char **cause)
{
	char *script;
	int rc;

	/* ENGINE: PRAGMA user_version (the schema version) */
	script = xasprintf("%s PRAGMA user_version = %d; COMMIT;", sql,
	    version);
	rc = db_sqlite_exec(db, script, cause);
	free(script);
	return rc;
}

/* --- copies --- */

static int
db_sqlite_backup(struct db *db, const char *path, char **cause)
{
	static const char *suffix[] = { "", "-wal", "-shm" };
	sqlite3 *to = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s;
	char *tmp, *ok = NULL;
	int i, rc;

	/*
	 * One step: a read transaction over the whole copy, a consistent
	 * snapshot, while the daemon goes on writing (WAL). Into path.tmp.PID
	 * (the daemon and cungatectl may back up at once), checked, then
	 * renamed: path is a whole backup or none.
	 */
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", tmp, to != NULL ?
		    sqlite3_errmsg(to) : "cannot open");
		goto fail;
	}
	if ((b = sqlite3_backup_init(to, "main", db_sqlite(db), "main")) ==
	    NULL) {
		*cause = xasprintf("%s: %s", tmp, sqlite3_errmsg(to));
		goto fail;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			usleep(100 * 1000);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", tmp, sqlite3_errstr(rc));
		goto fail;
	}
	/* ENGINE: PRAGMA quick_check */
	if (sqlite3_prepare_v2(to, "PRAGMA quick_check", -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			ok = xstrdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	if (ok == NULL || strcmp(ok, "ok") != 0) {
		*cause = xasprintf("%s: the copy does not check: %s", tmp,
		    ok != NULL ? ok : sqlite3_errmsg(to));
		goto fail;
	}
	/* One self-contained file, whatever mode the database runs in. */
	/* ENGINE: PRAGMA journal_mode */
	if (sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", tmp, sqlite3_errmsg(to));
		goto fail;
	}
	if (sqlite3_close(to) != SQLITE_OK || rename(tmp, path) == -1) {
		to = NULL;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	free(ok);
	free(tmp);
	return 0;
fail:
	sqlite3_close(to);
	free(ok);
	for (i = 0; i < 3; i++) {
		ok = xasprintf("%s%s", tmp, suffix[i]);
		unlink(ok);
		free(ok);
	}
	free(tmp);
	return -1;
}

static int
db_sqlite_restore(const char *backup, const char *path, char **cause)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s;
	const char *ok;
	int rc = -1, step;

	if (sqlite3_open_v2(backup, &from, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		*cause = xasprintf("%s: %s", backup, from != NULL ?
		    sqlite3_errmsg(from) : "cannot open");
		goto done;
	}
	/* A backup that does not check is never put in place. */
	/* ENGINE: PRAGMA quick_check */
	if (sqlite3_prepare_v2(from, "PRAGMA quick_check", -1, &s, NULL) !=
	    SQLITE_OK) {
		*cause = xasprintf("%s: %s", backup, sqlite3_errmsg(from));
		goto done;
	}
	ok = sqlite3_step(s) == SQLITE_ROW ?
	    (const char *)sqlite3_column_text(s, 0) : NULL;
	if (ok == NULL || strcmp(ok, "ok") != 0) {
		*cause = xasprintf("%s: not a sound cungate database (%s)",
		    backup, ok != NULL ? ok : sqlite3_errmsg(from));
		sqlite3_finalize(s);
		goto done;
	}
	sqlite3_finalize(s);
	if (sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, to != NULL ?
		    sqlite3_errmsg(to) : "cannot open");
		goto done;
	}
	sqlite3_busy_timeout(to, 5000);
	/* The backup API writes the pages and the WAL, in one go. */
	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL) {
		*cause = xasprintf("%s: %s", path, sqlite3_errmsg(to));
		goto done;
	}
	step = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", path, sqlite3_errstr(step));
		goto done;
	}
	rc = 0;
done:
	sqlite3_close(to);
	sqlite3_close(from);
	return rc;
}

/* --- statements --- */

static struct db_stmt *
db_sqlite_prepare(struct db *db, const char *sql, int flags)
{
	struct db_sqlite_stmt *ds;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v3(db_sqlite(db), sql, -1,
	    (flags & DB_PREPARE_PERSISTENT) ? SQLITE_PREPARE_PERSISTENT : 0,
	    &s, NULL) != SQLITE_OK || s == NULL)
		return NULL;
	ds = xcalloc(1, sizeof *ds);
	ds->stmt.engine = &db_engine_sqlite;
	ds->s = s;
	return &ds->stmt;
}

static void
db_sqlite_finalize(struct db_stmt *s)
{
	sqlite3_finalize(db_sqlite_stmt(s));
	free(s);
}

static void
db_sqlite_reset(struct db_stmt *s)
{
	sqlite3_reset(db_sqlite_stmt(s));
}

static void
db_sqlite_rewind(struct db_stmt *s)
{
	sqlite3_reset(db_sqlite_stmt(s));
	sqlite3_clear_bindings(db_sqlite_stmt(s));
}

static const char *
db_sqlite_sql(struct db_stmt *s)
{
	return sqlite3_sql(db_sqlite_stmt(s));
}

static int
db_sqlite_bind_count(struct db_stmt *s)
{
	return sqlite3_bind_parameter_count(db_sqlite_stmt(s));
}

static void
db_sqlite_bind_null(struct db_stmt *s, int i)
{
	sqlite3_bind_null(db_sqlite_stmt(s), i);
}

static void
db_sqlite_bind_int(struct db_stmt *s, int i, int v)
{
	sqlite3_bind_int(db_sqlite_stmt(s), i, v);
}

static void
db_sqlite_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(db_sqlite_stmt(s), i, v);
}

static void
db_sqlite_bind_text(struct db_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(db_sqlite_stmt(s), i, v, -1, SQLITE_TRANSIENT);
}

static int
db_sqlite_step(struct db_stmt *s)
{
	switch (sqlite3_step(db_sqlite_stmt(s))) {
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	default:
		return DB_ERROR;
	}
}

static int
db_sqlite_column_int(struct db_stmt *s, int i)
{
	return sqlite3_column_int(db_sqlite_stmt(s), i);
}

static int64_t
db_sqlite_column_int64(struct db_stmt *s, int i)
{
	return sqlite3_column_int64(db_sqlite_stmt(s), i);
}

static const char *
db_sqlite_column_text(struct db_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(db_sqlite_stmt(s), i);
}

static int
db_sqlite_column_is_null(struct db_stmt *s, int i)
{
	return sqlite3_column_type(db_sqlite_stmt(s), i) == SQLITE_NULL;
}

const struct db_engine db_engine_sqlite = {
	.name = "sqlite",
	.open = db_sqlite_open,
	.close = db_sqlite_close,
	.set_busy_timeout = db_sqlite_set_busy_timeout,
	.filename = db_sqlite_filename,
	.error = db_sqlite_error,
	.fault = db_sqlite_fault,
	.exec = db_sqlite_exec,
	.changes = db_sqlite_changes,
	.last_insert_id = db_sqlite_last_insert_id,
	.listen = db_sqlite_listen,
	.socket = db_sqlite_socket,
	.notified = db_sqlite_notified,
	.begin = db_sqlite_begin,
	.commit = db_sqlite_commit,
	.rollback = db_sqlite_rollback,
	.version = db_sqlite_version,
	.migrate = db_sqlite_migrate,
	.backup = db_sqlite_backup,
	.restore = db_sqlite_restore,
	.prepare = db_sqlite_prepare,
	.finalize = db_sqlite_finalize,
	.reset = db_sqlite_reset,
	.rewind = db_sqlite_rewind,
	.sql = db_sqlite_sql,
	.bind_count = db_sqlite_bind_count,
	.bind_null = db_sqlite_bind_null,
	.bind_int = db_sqlite_bind_int,
	.bind_int64 = db_sqlite_bind_int64,
	.bind_text = db_sqlite_bind_text,
	.step = db_sqlite_step,
	.column_int = db_sqlite_column_int,
	.column_int64 = db_sqlite_column_int64,
	.column_text = db_sqlite_column_text,
	.column_is_null = db_sqlite_column_is_null,
};
