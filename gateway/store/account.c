/*
 * store/account — who may read the status pages: accounts (a name, a
 * crypt(3) hash, a role and the township or village it covers) and their
 * sessions, each kept by a hash of its cookie's token. The rules (hashing,
 * tokens, expiry, what a role may see) are gateway/web.c's.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_account_stmts {
	S_ACCOUNT_TOWNSHIP,
	S_ACCOUNT_VILLAGE,
	S_ACCOUNT_ADD,
	S_ACCOUNT_FIND,
	S_ACCOUNT_PASSWORD,
	S_ACCOUNT_SESSIONS_REMOVE,
	S_ACCOUNT_REMOVE,
	S_ACCOUNT_LIST,
	S_SESSION_ADD,
	S_SESSION_LOGIN,
	S_SESSION_FIND,
	S_SESSION_TOUCH,
	S_SESSION_REMOVE,
	S_SESSION_EXPIRE,
	S_ACCOUNT_N
};

/* An account's columns, its scope's code and name joined. */
#define ACCOUNT_COLS \
	"a.id, a.name, a.hash, a.role," \
	" coalesce(t.code, v.code, ''), coalesce(t.name, v.name, '')," \
	" a.created_at, coalesce(a.login_at, 0)"
#define ACCOUNT_FROM \
	" FROM account a LEFT JOIN township t ON t.id = a.township_id" \
	" LEFT JOIN village v ON v.id = a.village_id"

static const char *const store_account_sql[S_ACCOUNT_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_ACCOUNT_TOWNSHIP] = "SELECT id FROM township WHERE code = ?",
	[S_ACCOUNT_VILLAGE] = "SELECT id FROM village WHERE code = ?",
	[S_ACCOUNT_ADD] = "INSERT INTO account (name, hash, role,"
	    " township_id, village_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
	[S_ACCOUNT_FIND] = "SELECT " ACCOUNT_COLS ACCOUNT_FROM
	    " WHERE a.name = ?",
	[S_ACCOUNT_PASSWORD] = "UPDATE account SET hash = ? WHERE name = ?",
	[S_ACCOUNT_SESSIONS_REMOVE] = "DELETE FROM web_session WHERE"
	    " account_id IN (SELECT id FROM account WHERE name = ?)",
	[S_ACCOUNT_REMOVE] = "DELETE FROM account WHERE name = ?",
	[S_ACCOUNT_LIST] = "SELECT " ACCOUNT_COLS ACCOUNT_FROM
	    " ORDER BY a.name",
	[S_SESSION_ADD] = "INSERT INTO web_session (token, account_id,"
	    " created_at, seen_at) VALUES (?1, ?2, ?3, ?3)",
	[S_SESSION_LOGIN] = "UPDATE account SET login_at = ?2 WHERE id = ?1",
	[S_SESSION_FIND] = "SELECT " ACCOUNT_COLS ", s.created_at"
	    " FROM web_session s JOIN account a ON a.id = s.account_id"
	    " LEFT JOIN township t ON t.id = a.township_id"
	    " LEFT JOIN village v ON v.id = a.village_id"
	    " WHERE s.token = ?1 AND s.created_at > ?2 AND s.seen_at > ?3",
	[S_SESSION_TOUCH] = "UPDATE web_session SET seen_at = ?2"
	    " WHERE token = ?1",
	[S_SESSION_REMOVE] = "DELETE FROM web_session WHERE token = ?",
	[S_SESSION_EXPIRE] = "DELETE FROM web_session WHERE created_at <= ?1"
	    " OR seen_at <= ?2",
};

const struct store_table store_account_table = {
	"account", store_account_sql, S_ACCOUNT_N, NULL
};

static struct db_stmt *
store_account_stmt(struct store *st, enum store_account_stmts id)
{
	return store_stmt(st, STORE_T_ACCOUNT, id);
}

/* The id of a township or village by code: > 0, 0 none, -1 error. */
static int64_t
store_account_scope_id(struct store *st, enum store_account_stmts id,
    const char *code)
{
	struct db_stmt *s = store_account_stmt(st, id);
	int64_t v;
	int rc;

	store_bind(s, "s", code);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	v = db_column_int64(s, 0);
	db_reset(s);
	return v;
}

int
store_account_add(struct store *st, const char *name, const char *hash,
    const char *role, const char *scope, time_t now, char **cause)
{
	struct db_stmt *s;
	int64_t tid = 0, vid = 0;

	if (strcmp(role, "township") == 0)
		tid = store_account_scope_id(st, S_ACCOUNT_TOWNSHIP, scope);
	else if (strcmp(role, "village") == 0)
		vid = store_account_scope_id(st, S_ACCOUNT_VILLAGE, scope);
	else if (strcmp(role, "county") != 0) {
		*cause = xasprintf("no role %s (county, township or village)",
		    role);
		return -1;
	}
	if (tid == -1 || vid == -1) {
		*cause = xasprintf("account %s: %s", name, store_error(st));
		return -1;
	}
	if (strcmp(role, "county") != 0 && tid == 0 && vid == 0) {
		*cause = xasprintf("no %s %s", role, scope);
		return -1;
	}
	s = store_account_stmt(st, S_ACCOUNT_ADD);
	store_bind(s, "sssnnl", name, hash, role, tid, vid, (int64_t)now);
	if (store_exec_stmt(st, s) == -1) {
		store_insert_cause(st, "account", name, cause);
		return -1;
	}
	return 0;
}

static void
store_account_row(struct db_stmt *s, struct store_account *a)
{
	memset(a, 0, sizeof *a);
	a->id = db_column_int64(s, 0);
	store_copy(a->name, sizeof a->name, s, 1);
	store_copy(a->hash, sizeof a->hash, s, 2);
	store_copy(a->role, sizeof a->role, s, 3);
	store_copy(a->scope, sizeof a->scope, s, 4);
	store_copy(a->scope_name, sizeof a->scope_name, s, 5);
	a->created_at = db_column_int64(s, 6);
	a->login_at = db_column_int64(s, 7);
}

int
store_account_find(struct store *st, const char *name,
    struct store_account *out)
{
	struct db_stmt *s = store_account_stmt(st, S_ACCOUNT_FIND);
	int rc;

	store_bind(s, "s", name);
	if ((rc = store_step_row(st, s)) == 1) {
		store_account_row(s, out);
		db_reset(s);
	}
	return rc;
}

/* Run a write of one account by name: 1 if it changed a row, 0, -1. */
static int
store_account_write(struct store *st, struct db_stmt *s)
{
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db) > 0;
}

int
store_account_password(struct store *st, const char *name, const char *hash)
{
	struct db_stmt *s = store_account_stmt(st, S_ACCOUNT_PASSWORD);

	store_bind(s, "ss", hash, name);
	return store_account_write(st, s);
}

int
store_account_remove(struct store *st, const char *name)
{
	struct db_stmt *s = store_account_stmt(st, S_ACCOUNT_SESSIONS_REMOVE);

	store_bind(s, "s", name);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	s = store_account_stmt(st, S_ACCOUNT_REMOVE);
	store_bind(s, "s", name);
	return store_account_write(st, s);
}

int
store_account_list(struct store *st,
    void (*cb)(const struct store_account *, void *), void *arg)
{
	struct db_stmt *s = store_account_stmt(st, S_ACCOUNT_LIST);
	struct store_account a;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		store_account_row(s, &a);
		a.hash[0] = '\0';
		cb(&a, arg);
	}
	db_reset(s);
	if (rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return 0;
}

int
store_session_add(struct store *st, const char *token_hash,
    int64_t account_id, time_t now)
{
	struct db_stmt *s = store_account_stmt(st, S_SESSION_ADD);

	store_bind(s, "sll", token_hash, account_id, (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	s = store_account_stmt(st, S_SESSION_LOGIN);
	store_bind(s, "ll", account_id, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_session_find(struct store *st, const char *token_hash,
    time_t born_after, time_t seen_after, struct store_account *out,
    time_t *created)
{
	struct db_stmt *s = store_account_stmt(st, S_SESSION_FIND);
	int rc;

	store_bind(s, "sll", token_hash, (int64_t)born_after,
	    (int64_t)seen_after);
	if ((rc = store_step_row(st, s)) == 1) {
		store_account_row(s, out);
		*created = (time_t)db_column_int64(s, 8);
		db_reset(s);
	}
	return rc;
}

int
store_session_touch(struct store *st, const char *token_hash, time_t now)
{
	struct db_stmt *s = store_account_stmt(st, S_SESSION_TOUCH);

	store_bind(s, "sl", token_hash, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_session_remove(struct store *st, const char *token_hash)
{
	struct db_stmt *s = store_account_stmt(st, S_SESSION_REMOVE);

	store_bind(s, "s", token_hash);
	return store_account_write(st, s);
}

int
store_session_expire(struct store *st, time_t born_after, time_t seen_after)
{
	struct db_stmt *s = store_account_stmt(st, S_SESSION_EXPIRE);

	store_bind(s, "ll", (int64_t)born_after, (int64_t)seen_after);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db);
}
