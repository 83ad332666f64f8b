/*
 * store/private.h — what the store's files share and nobody else sees:
 * the connection with its statement cache, the list of capability tables
 * the cache is keyed by, and the helpers that bind, step and read rows
 * over the engine (gateway/store/engine.h).
 *
 * Each capability file (people.c, message.c, outbox.c, ...) holds its own
 * statement enum and SQL table, described by a struct store_table; the
 * core (store.c) prepares every table's statements once at open and keeps
 * them per table. A new capability adds its file, its STORE_T_ entry here
 * and its table to store.c's list.
 */
#ifndef CUNGATE_STORE_PRIVATE_H
#define CUNGATE_STORE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/engine.h"

/*
 * A capability's statements: sql[i] is the text of its statement i, for
 * both engines; pg (NULL if none) has PostgreSQL's own text where the two
 * cannot share one (pg[i] NULL: sql[i]). Each such entry says why in an
 * ENGINE: comment.
 */
struct store_table {
	const char		*name;
	const char *const	*sql;
	int			 n;
	const char *const	*pg;
};

/* The capability tables, the first key of the statement cache. */
enum store_table_id {
	STORE_T_PEOPLE,		/* people.c */
	STORE_T_MESSAGE,	/* message.c */
	STORE_T_OUTBOX,		/* outbox.c */
	STORE_T_MODEM,		/* modem.c */
	STORE_T_GRIEVANCE,	/* grievance.c */
	STORE_T_PROMPT,		/* prompt.c */
	STORE_T_CHECKIN,	/* checkin.c */
	STORE_T_EVENT,		/* event.c */
	STORE_T_STATS,		/* stats.c */
	STORE_T_NODE,		/* node.c */
	STORE_T_REPORT,		/* report.c */
	STORE_T_ACCOUNT,	/* account.c */
	STORE_NTABLES
};

extern const struct store_table store_people_table;
extern const struct store_table store_message_table;
extern const struct store_table store_outbox_table;
extern const struct store_table store_modem_table;
extern const struct store_table store_grievance_table;
extern const struct store_table store_prompt_table;
extern const struct store_table store_checkin_table;
extern const struct store_table store_event_table;
extern const struct store_table store_stats_table;
extern const struct store_table store_node_table;
extern const struct store_table store_report_table;
extern const struct store_table store_account_table;

struct store {
	struct db	 *db;
	/* stmt[t][i]: statement i of table t, prepared once at open. */
	struct db_stmt	**stmt[STORE_NTABLES];
	int		  busy_ms;	/* how long a statement waits */
	char		 *node;		/* store_set_node, NULL none */
};

/* Schema migrations (schema.c): entry i moves version i to i + 1. */
extern const char *const store_migrations[];
extern const int store_nmigrations;
/* On PostgreSQL (schema_pg.c): the schema at store_pg_base at once, then
   store_migrations_pg[v - store_pg_base] (NULL-terminated). */
extern const char *const store_schema_pg;
extern const int store_pg_base;
extern const char *const store_migrations_pg[];

/* Statement id of table t, reset and unbound, ready for binding. */
static inline struct db_stmt *
store_stmt(struct store *st, enum store_table_id t, int id)
{
	struct db_stmt *s = st->stmt[t][id];

	db_rewind(s);
	return s;
}

/*
 * Bind ?1.. from a format: s text (NULL -> NULL), i int, l int64, n int64
 * with 0 bound as NULL (optional references). A format that does not fit
 * the statement is a bug: fatal.
 */
void	 store_bind(struct db_stmt *, const char *fmt, ...);

/* Copy text column col into dst (n bytes); NULL reads as "". */
static inline void
store_copy(char *dst, size_t n, struct db_stmt *s, int col)
{
	const char *t = db_column_text(s, col);

	snprintf(dst, n, "%s", t != NULL ? t : "");
}

/*
 * Log why what (a statement's text, "begin") failed: a warning, or only at
 * debug while the server is away (the engine said so once, as it went).
 */
void	 store_log_fail(struct store *, const char *what);

/* Step a one-row lookup: -1 error (logged), 0 no row, 1 row (unreset). */
static inline int
store_step_row(struct store *st, struct db_stmt *s)
{
	int rc = db_step(s);

	if (rc == DB_ROW)
		return 1;
	db_reset(s);
	if (rc == DB_DONE)
		return 0;
	store_log_fail(st, db_sql(s));
	return -1;
}

/* Run a statement that returns no rows. 0 or -1 (logged). */
int	 store_exec_stmt(struct store *, struct db_stmt *);
/* Fill *cause from a failed insert of what code, telling a duplicate. */
void	 store_insert_cause(struct store *, const char *what,
	    const char *code, char **cause);
/*
 * Call cb with column 0 of every row of the bound statement s: phone
 * numbers, collected first, since callbacks may queue messages through
 * the store. 0 or -1.
 */
int	 store_phones(struct store *, struct db_stmt *,
	    void (*cb)(const char *, void *), void *arg);
/* Collect up to max ids from s (bound). Count or -1. */
int	 store_ids(struct store *, struct db_stmt *, int64_t *ids, int max);
/* The count s (bound) gives: the number, or -1. */
int64_t	 store_count_of(struct store *, struct db_stmt *);

#endif
