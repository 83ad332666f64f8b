/*
 * engine_pg.h — what engine_pg.c (the engine's table: statements,
 * transactions, the schema) and engine_pg_session.c (the session with the
 * server) share. For those two files only.
 */
#ifndef CUNGATE_STORE_ENGINE_PG_H
#define CUNGATE_STORE_ENGINE_PG_H

#include <stdint.h>

#include <libpq-fe.h>

#include "gateway/store/engine.h"

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

static inline struct db_pg *
db_pg(struct db *db)
{
	return (struct db_pg *)db;
}

/* A copy of msg without the newlines and spaces libpq ends it with. */
char		*db_pg_trimmed(const char *msg);
/* Did res succeed? If not, remember why. 0/1. */
int		 db_pg_ok(struct db_pg *, const PGresult *res);
/* Remember why the last call failed: text (copied). */
void		 db_pg_fail(struct db_pg *, const char *text);
/* The session is gone (why): closed, the next tried after the backoff. */
void		 db_pg_drop(struct db_pg *, const char *why);
/* The answer to what was just sent (deadline), or NULL (remembered). */
PGresult	*db_pg_answer(struct db_pg *);
/* Open a session and set it up. 0, or -1 (remembered, next put off). */
int		 db_pg_session(struct db_pg *);
/* A session to send on: the one there is, or a new one. 0 or -1. */
int		 db_pg_live(struct db_pg *);
/* Run sql, no parameters: its result, or NULL (remembered). */
PGresult	*db_pg_run(struct db_pg *, const char *sql);
/* Run sql with one text parameter, no rows wanted. 0 or -1. */
int		 db_pg_run1(struct db_pg *, const char *sql, const char *value);
/* Count what an INSERT, UPDATE, DELETE or MERGE changed. */
void		 db_pg_count_changes(struct db_pg *, PGresult *res);
/* The busy timeout as the server's lock_timeout (< 0: none). 0 or -1. */
int		 db_pg_lock_timeout(struct db_pg *, int ms);

#endif
