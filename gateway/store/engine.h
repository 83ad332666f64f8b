/*
 * engine — the seam between the store and a database engine. The store's
 * files hold the SQL and map rows to structs; an engine runs them: one
 * connection, its transactions and schema version, statements prepared,
 * bound, stepped and reset, columns read. Two engines, chosen at run time
 * by the database string db_open is given (db_engine_of): SQLite,
 * gateway/store/engine_sqlite.c, the only file that includes <sqlite3.h>;
 * PostgreSQL, gateway/store/engine_pg.c and engine_pg_session.c (its
 * session with the server), the only files that include <libpq-fe.h>.
 * gateway/store/engine.c dispatches.
 *
 * The shape follows SQLite's: parameters are numbered from 1 and bound
 * before a step; a row's columns are read between one step and the next;
 * a statement is reset to run again. A struct db and a struct db_stmt
 * begin with their engine's table of functions (struct db_engine below):
 * the seam costs one indirect call.
 *
 * The store's statements are written once for both engines (a table may
 * give PostgreSQL its own text: private.h); where SQLite's dialect shows,
 * a comment "ENGINE: what" says so (grep -rn "ENGINE:" gateway/store).
 * What holds for every statement is said once here:
 *   - parameters are SQLite's ? and ?NNN (PostgreSQL: $n; ?NNN is $NNN);
 *   - INTEGER is 64 bits (PostgreSQL: BIGINT); a truth value is written
 *     "active != 0", never a bare integer;
 *   - a parameter that may be NULL is used first where its type shows
 *     ("v.code = ?1 OR ?1 IS NULL"): PostgreSQL types it there;
 *   - INSERT ... ON CONFLICT, never INSERT OR IGNORE / OR REPLACE;
 *   - an ORDER BY that meets NULLs says NULLS FIRST or LAST;
 *   - SQLite's instr() and scalar min() and max() are defined on
 *     PostgreSQL by its schema (schema_pg.c), as is a rowid column in the
 *     tables without an id;
 *   - text compares and sorts bytewise (PostgreSQL: by the database's
 *     collation; a county database made with LC_COLLATE C sorts alike).
 */
#ifndef CUNGATE_STORE_ENGINE_H
#define CUNGATE_STORE_ENGINE_H

#include <stdint.h>

struct db;		/* a connection */
struct db_stmt;		/* a prepared statement */

/* What db_step says. */
#define DB_ERROR	(-1)
#define DB_DONE		0	/* no more rows: reset to run it again */
#define DB_ROW		1	/* a row: read its columns */

/* What the last error of a connection was about (db_fault). */
enum db_fault {
	DB_FAULT_OTHER,
	DB_FAULT_UNIQUE,	/* a UNIQUE constraint */
	DB_FAULT_PRIMARYKEY,	/* a PRIMARY KEY constraint */
	DB_FAULT_AWAY		/* no session: the server is away (said once,
				   when it went) */
};

/* db_prepare flags: a statement kept for the connection's life. */
#define DB_PREPARE_PERSISTENT	0x1

/* --- the connection --- */

/*
 * The engine a database string names: PostgreSQL for a URI
 * (postgresql://..., postgres://...) or a libpq conninfo (it begins with
 * a keyword and "=", e.g. "host=/run/x dbname=cungate"); SQLite for
 * anything else, a file's path or ":memory:". Never NULL.
 */
const struct db_engine *db_engine_of(const char *path);
/* The engine's name: "sqlite" or "postgresql". */
const char	*db_engine_name(struct db *);
/*
 * Open (creating) the database at path (db_engine_of) for reading and
 * writing, with statements waiting busy_ms for another process's lock,
 * in the engine's durable mode (SQLite: WAL, synchronous FULL, foreign
 * keys on). NULL with *cause (caller frees) on failure.
 */
struct db	*db_open(const char *path, int busy_ms, char **cause);
/* Close; NULL is a no-op. Statements must have been finalized. */
void		 db_close(struct db *);
/* How long a statement waits for another process's lock; 0 not at all. */
void		 db_set_busy_timeout(struct db *, int ms);
/* The file the database lives in, "" when it is in memory. */
const char	*db_filename(struct db *);
/* The last error's text (valid until the next call), and its kind. */
const char	*db_error(struct db *);
enum db_fault	 db_fault(struct db *);
/* Run one or more statements of text, no rows. 0, or -1 with *cause. */
int		 db_exec(struct db *, const char *sql, char **cause);
/* Rows the last INSERT, UPDATE or DELETE changed. */
int		 db_changes(struct db *);
/* The id of the row the last INSERT made (PostgreSQL: lastval()). */
int64_t		 db_last_insert_id(struct db *);

/* --- notifications (PostgreSQL's LISTEN/NOTIFY; SQLite has none) --- */

/*
 * Listen on channel (a plain identifier) from now on, again in each new
 * session. 0, or -1 (db_error says why; it is listened on from the next
 * session). SQLite: 0, nothing.
 */
int		 db_listen(struct db *, const char *channel);
/*
 * The socket to watch for notifications (readable), -1 when there is
 * none (SQLite; the server away). It changes with each new session.
 */
int		 db_socket(struct db *);
/*
 * Read what the server sent, without waiting: the count of notifications
 * since the last call (0 none), or -1 when the session was lost.
 */
int		 db_notified(struct db *);

/* --- transactions: 0 or -1 (db_error says why), not logged --- */

/* Begin, taking the write lock at once (SQLite: BEGIN IMMEDIATE). */
int		 db_begin(struct db *);
int		 db_commit(struct db *);
/* Roll back the open transaction, if one is open. */
void		 db_rollback(struct db *);

/* --- the schema --- */

/* The schema version the database is at (0 new), or -1. */
int		 db_version(struct db *);
/*
 * In the transaction db_begin opened: run sql, set the schema version to
 * version and commit. 0, or -1 with *cause (the transaction left open).
 */
int		 db_migrate(struct db *, const char *sql, int version,
		    char **cause);

/* --- copies --- */

/*
 * A consistent copy of the database, taken while it is written, into
 * path (checked before it takes the name). 0, or -1 with *cause.
 */
int		 db_backup(struct db *, const char *path, char **cause);
/*
 * Put the database at backup (checked first) in place of the one at path
 * (db_engine_of), which no process may be using. 0, or -1 with *cause.
 */
int		 db_restore(const char *backup, const char *path,
		    char **cause);

/* --- statements --- */

/* Prepare one statement; NULL on error (db_error says why). */
struct db_stmt	*db_prepare(struct db *, const char *sql, int flags);
/* Free a statement; NULL is a no-op. */
void		 db_finalize(struct db_stmt *);
/* Reset to run again, keeping the values bound. */
void		 db_reset(struct db_stmt *);
/* Reset to run again with every parameter unbound (NULL). */
void		 db_rewind(struct db_stmt *);
/* The statement's text, for log lines. */
const char	*db_sql(struct db_stmt *);
/* How many parameters it has: the largest ?NNN. */
int		 db_bind_count(struct db_stmt *);
/* Bind parameter i (from 1). Text is copied. */
void		 db_bind_null(struct db_stmt *, int i);
void		 db_bind_int(struct db_stmt *, int i, int v);
void		 db_bind_int64(struct db_stmt *, int i, int64_t v);
void		 db_bind_text(struct db_stmt *, int i, const char *v);
/* Run to the next row: DB_ROW, DB_DONE or DB_ERROR. */
int		 db_step(struct db_stmt *);
/*
 * Column i (from 0) of the current row. Text is NULL for NULL and valid
 * until the next step or reset; numbers are 0 for NULL.
 */
int		 db_column_int(struct db_stmt *, int i);
int64_t		 db_column_int64(struct db_stmt *, int i);
const char	*db_column_text(struct db_stmt *, int i);
int		 db_column_is_null(struct db_stmt *, int i);

/*
 * --- for the engines only ---
 *
 * An engine is a table of the functions above, each with the contract
 * said there; engine.c's db_* call through it. An engine's connection and
 * statement structs begin with a struct db and a struct db_stmt, whose
 * engine member it sets, and are cast back from them.
 */
struct db_engine {
	const char	*name;
	struct db	*(*open)(const char *, int, char **);
	void		 (*close)(struct db *);
	void		 (*set_busy_timeout)(struct db *, int);
	const char	*(*filename)(struct db *);
	const char	*(*error)(struct db *);
	enum db_fault	 (*fault)(struct db *);
	int		 (*exec)(struct db *, const char *, char **);
	int		 (*changes)(struct db *);
	int64_t		 (*last_insert_id)(struct db *);
	int		 (*listen)(struct db *, const char *);
	int		 (*socket)(struct db *);
	int		 (*notified)(struct db *);
	int		 (*begin)(struct db *);
	int		 (*commit)(struct db *);
	void		 (*rollback)(struct db *);
	int		 (*version)(struct db *);
	int		 (*migrate)(struct db *, const char *, int, char **);
	int		 (*backup)(struct db *, const char *, char **);
	int		 (*restore)(const char *, const char *, char **);
	struct db_stmt	*(*prepare)(struct db *, const char *, int);
	void		 (*finalize)(struct db_stmt *);
	void		 (*reset)(struct db_stmt *);
	void		 (*rewind)(struct db_stmt *);
	const char	*(*sql)(struct db_stmt *);
	int		 (*bind_count)(struct db_stmt *);
	void		 (*bind_null)(struct db_stmt *, int);
	void		 (*bind_int)(struct db_stmt *, int, int);
	void		 (*bind_int64)(struct db_stmt *, int, int64_t);
	void		 (*bind_text)(struct db_stmt *, int, const char *);
	int		 (*step)(struct db_stmt *);
	int		 (*column_int)(struct db_stmt *, int);
	int64_t		 (*column_int64)(struct db_stmt *, int);
	const char	*(*column_text)(struct db_stmt *, int);
	int		 (*column_is_null)(struct db_stmt *, int);
};

struct db {
	const struct db_engine	*engine;
};

struct db_stmt {
	const struct db_engine	*engine;
};

extern const struct db_engine db_engine_sqlite;	/* engine_sqlite.c */
extern const struct db_engine db_engine_pg;	/* engine_pg.c */

#endif
