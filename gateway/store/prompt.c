/*
 * store/prompt — the rows of open questions put to a phone, which a bare
 * digit answers ("the last open prompt"): added (superseding the same
 * object's), found, closed, expired.
 */
#include <stdint.h>
#include <string.h>

#include "gateway/store.h"
#include "gateway/store/private.h"

enum store_prompt_stmts {
	S_PROMPT_ADD,
	S_PROMPT_SUPERSEDE,
	S_PROMPT_OPEN,
	S_PROMPT_CLOSE,
	S_PROMPT_EXPIRED,
	S_PROMPT_N
};

#define PROMPT_COLS \
	"id, phone, kind, object_id, created_at, expires_at, state"

static const char *const store_prompt_sql[S_PROMPT_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_PROMPT_ADD] = "INSERT INTO prompt (phone, kind, object_id,"
	    " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
	[S_PROMPT_SUPERSEDE] = "UPDATE prompt SET state = ?3,"
	    " answered_at = ?4 WHERE kind = ?1 AND object_id = ?2"
	    " AND state = 'open'",
	[S_PROMPT_OPEN] = "SELECT " PROMPT_COLS " FROM prompt"
	    " WHERE phone = ? AND state = 'open' AND expires_at > ?"
	    " ORDER BY id DESC LIMIT 1",
	[S_PROMPT_CLOSE] = "UPDATE prompt SET state = ?, answer = ?,"
	    " answered_at = ? WHERE id = ?",
	[S_PROMPT_EXPIRED] = "SELECT " PROMPT_COLS " FROM prompt"
	    " WHERE state = 'open' AND expires_at <= ? ORDER BY id LIMIT ?",
};

const struct store_table store_prompt_table = {
	"prompt", store_prompt_sql, S_PROMPT_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_prompt_stmt(struct store *st, enum store_prompt_stmts id)
{
	return store_stmt(st, STORE_T_PROMPT, id);
}

int64_t
store_prompt_add(struct store *st, const char *phone, const char *kind,
    int64_t object_id, time_t now, time_t expires)
{
	struct db_stmt *s;

	if (store_prompt_close_object(st, kind, object_id, "superseded",
	    now) == -1)
		return -1;
	s = store_prompt_stmt(st, S_PROMPT_ADD);
	store_bind(s, "sslll", phone, kind, object_id, (int64_t)now,
	    (int64_t)expires);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_last_insert_id(st->db);
}

static void
store_prompt_row(struct db_stmt *s, struct store_prompt *p)
{
	memset(p, 0, sizeof *p);
	p->id = db_column_int64(s, 0);
	store_copy(p->phone, sizeof p->phone, s, 1);
	store_copy(p->kind, sizeof p->kind, s, 2);
	p->object_id = db_column_int64(s, 3);
	p->created_at = db_column_int64(s, 4);
	p->expires_at = db_column_int64(s, 5);
	store_copy(p->state, sizeof p->state, s, 6);
}

int
store_prompt_open(struct store *st, const char *phone, time_t now,
    struct store_prompt *out)
{
	struct db_stmt *s = store_prompt_stmt(st, S_PROMPT_OPEN);
	int rc;

	store_bind(s, "sl", phone, (int64_t)now);
	if ((rc = store_step_row(st, s)) == 1) {
		store_prompt_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_prompt_close(struct store *st, int64_t id, const char *state,
    const char *answer, time_t now)
{
	struct db_stmt *s = store_prompt_stmt(st, S_PROMPT_CLOSE);

	store_bind(s, "ssll", state, answer, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int
store_prompt_close_object(struct store *st, const char *kind,
    int64_t object_id, const char *state, time_t now)
{
	struct db_stmt *s = store_prompt_stmt(st, S_PROMPT_SUPERSEDE);

	store_bind(s, "slsl", kind, object_id, state, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_prompt_expired(struct store *st, time_t now, struct store_prompt *out,
    int max)
{
	struct db_stmt *s = store_prompt_stmt(st, S_PROMPT_EXPIRED);
	int rc = DB_DONE, n = 0;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = db_step(s)) == DB_ROW)
		store_prompt_row(s, &out[n++]);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	return n;
}
