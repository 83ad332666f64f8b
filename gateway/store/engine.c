/*
 * engine — the dispatch behind engine.h: db_open picks the engine from the
 * database string, and every other db_* calls through the engine table
 * its connection or statement begins with. One indirect call each (a
 * tail call: the compiler makes it a jump); no engine library here.
 */
#include <stddef.h>
#include <stdint.h>

#include "gateway/store/engine.h"

/*
 * A conninfo begins with a keyword and "=" (spaces allowed around it), the
 * way libpq tells one from a database name; a file's path that merely has
 * an "=" in it ("/var/lib/a=b.db") stays SQLite's.
 */
static int
db_engine_is_conninfo(const char *path)
{
	const char *p = path;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    *p == '_'))
		return 0;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= '0' && *p <= '9') || *p == '_')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

static int
db_engine_has_prefix(const char *s, const char *prefix)
{
	while (*prefix != '\0')
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

const struct db_engine *
db_engine_of(const char *path)
{
	if (db_engine_has_prefix(path, "postgresql://") ||
	    db_engine_has_prefix(path, "postgres://") ||
	    db_engine_is_conninfo(path))
		return &db_engine_pg;
	return &db_engine_sqlite;
}

const char *
db_engine_name(struct db *db)
{
	return db->engine->name;
}

/* --- the connection --- */

struct db *
db_open(const char *path, int busy_ms, char **cause)
{
	return db_engine_of(path)->open(path, busy_ms, cause);
}

void
db_close(struct db *db)
{
	if (db != NULL)
		db->engine->close(db);
}

void
db_set_busy_timeout(struct db *db, int ms)
{
	db->engine->set_busy_timeout(db, ms);
}

const char *
db_filename(struct db *db)
{
	return db->engine->filename(db);
}

const char *
db_error(struct db *db)
{
	return db->engine->error(db);
}

enum db_fault
db_fault(struct db *db)
{
	return db->engine->fault(db);
}

int
db_exec(struct db *db, const char *sql, char **cause)
{
	return db->engine->exec(db, sql, cause);
}

int
db_changes(struct db *db)
{
	return db->engine->changes(db);
}

int64_t
db_last_insert_id(struct db *db)
{
	return db->engine->last_insert_id(db);
}

/* --- notifications --- */

int
db_listen(struct db *db, const char *channel)
{
	return db->engine->listen(db, channel);
}

int
db_socket(struct db *db)
{
	return db->engine->socket(db);
}

int
db_notified(struct db *db)
{
	return db->engine->notified(db);
}

/* --- transactions --- */

int
db_begin(struct db *db)
{
	return db->engine->begin(db);
}

int
db_commit(struct db *db)
{
	return db->engine->commit(db);
}

void
db_rollback(struct db *db)
{
	db->engine->rollback(db);
}

/* --- the schema --- */

int
db_version(struct db *db)
{
	return db->engine->version(db);
}

int
db_migrate(struct db *db, const char *sql, int version, char **cause)
{
	return db->engine->migrate(db, sql, version, cause);
}

/* --- copies --- */

int
db_backup(struct db *db, const char *path, char **cause)
{
	return db->engine->backup(db, path, cause);
}

int
db_restore(const char *backup, const char *path, char **cause)
{
	return db_engine_of(path)->restore(backup, path, cause);
}

/* --- statements --- */

struct db_stmt *
db_prepare(struct db *db, const char *sql, int flags)
{
	return db->engine->prepare(db, sql, flags);
}

void
db_finalize(struct db_stmt *s)
{
	if (s != NULL)
		s->engine->finalize(s);
}

void
db_reset(struct db_stmt *s)
{
	s->engine->reset(s);
}

void
db_rewind(struct db_stmt *s)
{
	s->engine->rewind(s);
}

const char *
db_sql(struct db_stmt *s)
{
	return s->engine->sql(s);
}

int
db_bind_count(struct db_stmt *s)
{
	return s->engine->bind_count(s);
}

void
db_bind_null(struct db_stmt *s, int i)
{
	s->engine->bind_null(s, i);
}

void
db_bind_int(struct db_stmt *s, int i, int v)
{
	s->engine->bind_int(s, i, v);
}

void
db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	s->engine->bind_int64(s, i, v);
}

void
db_bind_text(struct db_stmt *s, int i, const char *v)
{
	s->engine->bind_text(s, i, v);
}

int
db_step(struct db_stmt *s)
{
	return s->engine->step(s);
}

int
db_column_int(struct db_stmt *s, int i)
{
	return s->engine->column_int(s, i);
}

int64_t
db_column_int64(struct db_stmt *s, int i)
{
	return s->engine->column_int64(s, i);
}

const char *
db_column_text(struct db_stmt *s, int i)
{
	return s->engine->column_text(s, i);
}

int
db_column_is_null(struct db_stmt *s, int i)
{
	return s->engine->column_is_null(s, i);
}
