/*
 * store/event — the rows of village events (a short code, a capacity, a
 * day-before reminder), their sign-ups with a waiting list, and notices
 * to a village waiting for their sender's confirmation.
 */
#include <stdint.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"

enum store_event_stmts {
	S_EVENT_INSERT,
	S_EVENT_FIND,
	S_EVENT_GET,
	S_EVENT_LIST,
	S_EVENT_LIST_VILLAGE,
	S_EVENT_SET,
	S_EVENT_REMIND_DUE,
	S_EVENT_CLOSE_PAST,
	S_SIGNUP_FIND,
	S_SIGNUP_INSERT,
	S_SIGNUP_UPDATE,
	S_SIGNUP_LIST,
	S_NOTICE_ADD,
	S_NOTICE_GET,
	S_NOTICE_SET,
	S_NOTICE_LIST,
	S_NOTICE_EXPIRE,
	S_EVENT_N
};

#define EVENT_COLS \
	"e.id, e.code, e.village_id, v.code, v.name, coalesce(t.code, '')," \
	" e.title, e.place, e.starts_at, e.remind_at, e.capacity, e.status," \
	" e.reminded, e.created_by, e.created_at," \
	" (SELECT count(*) FROM event_signup s WHERE s.event_id = e.id" \
	"  AND s.status = 'confirmed')," \
	" (SELECT count(*) FROM event_signup s WHERE s.event_id = e.id" \
	"  AND s.status = 'waiting')" \
	" FROM event e JOIN village v ON v.id = e.village_id" \
	" LEFT JOIN township t ON t.id = v.township_id"
#define SIGNUP_COLS \
	"s.id, s.event_id, s.phone, coalesce(p.name, ''), s.status, s.ord," \
	" s.created_at, s.updated_at FROM event_signup s" \
	" LEFT JOIN person p ON p.phone = s.phone"
#define NOTICE_COLS \
	"n.id, n.village_id, v.code, n.text, n.sender, n.recipients, n.parts," \
	" n.status, n.created_at, coalesce(n.sent_at, 0)" \
	" FROM notice n JOIN village v ON v.id = n.village_id"

static const char *const store_event_sql[S_EVENT_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_EVENT_INSERT] = "INSERT INTO event (code, village_id, title, place,"
	    " starts_at, remind_at, capacity, created_by, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* The open event with that code, else the newest one. */
	[S_EVENT_FIND] = "SELECT " EVENT_COLS " WHERE e.code = ?"
	    " ORDER BY e.status = 'open' DESC, e.id DESC LIMIT 1",
	[S_EVENT_GET] = "SELECT " EVENT_COLS " WHERE e.id = ?",
	[S_EVENT_LIST] = "SELECT " EVENT_COLS
	    " WHERE (?1 = 0 OR e.status = 'open') ORDER BY e.starts_at, e.id",
	[S_EVENT_LIST_VILLAGE] = "SELECT " EVENT_COLS
	    " WHERE (?1 = 0 OR e.status = 'open') AND v.code = ?2"
	    " ORDER BY e.starts_at, e.id",
	[S_EVENT_SET] = "UPDATE event SET status = ?, reminded = ?"
	    " WHERE id = ?",
	[S_EVENT_REMIND_DUE] = "SELECT id FROM event WHERE status = 'open'"
	    " AND reminded = 0 AND remind_at <= ?1 AND starts_at > ?1"
	    " ORDER BY id LIMIT ?2",
	[S_EVENT_CLOSE_PAST] = "UPDATE event SET status = 'closed'"
	    " WHERE status = 'open' AND starts_at <= ?",
	[S_SIGNUP_FIND] = "SELECT " SIGNUP_COLS
	    " WHERE s.event_id = ? AND s.phone = ?",
	[S_SIGNUP_INSERT] = "INSERT INTO event_signup (event_id, phone,"
	    " status, ord, created_at, updated_at) VALUES (?1, ?2, ?3,"
	    " (SELECT coalesce(max(ord), 0) + 1 FROM event_signup"
	    "  WHERE event_id = ?1), ?4, ?4)",
	[S_SIGNUP_UPDATE] = "UPDATE event_signup SET status = ?3,"
	    " ord = (SELECT coalesce(max(ord), 0) + 1 FROM event_signup"
	    "  WHERE event_id = ?1), updated_at = ?4"
	    " WHERE event_id = ?1 AND phone = ?2",
	/* Confirmed, then waiting, then cancelled; each in order. */
	[S_SIGNUP_LIST] = "SELECT " SIGNUP_COLS " WHERE s.event_id = ?"
	    " ORDER BY CASE s.status WHEN 'confirmed' THEN 0"
	    " WHEN 'waiting' THEN 1 ELSE 2 END, s.ord",
	[S_NOTICE_ADD] = "INSERT INTO notice (village_id, text, sender,"
	    " recipients, parts, status, created_at, sent_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[S_NOTICE_GET] = "SELECT " NOTICE_COLS " WHERE n.id = ?",
	[S_NOTICE_SET] = "UPDATE notice SET status = ?, sent_at = ?"
	    " WHERE id = ?",
	[S_NOTICE_LIST] = "SELECT " NOTICE_COLS
	    " WHERE (v.code = ?1 OR ?1 IS NULL) ORDER BY n.id DESC",
	[S_NOTICE_EXPIRE] = "UPDATE notice SET status = 'expired'"
	    " WHERE status = 'pending' AND created_at <= ?",
};

const struct store_table store_event_table = {
	"event", store_event_sql, S_EVENT_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_event_stmt(struct store *st, enum store_event_stmts id)
{
	return store_stmt(st, STORE_T_EVENT, id);
}

/* --- events --- */

static void
store_event_row(struct db_stmt *s, struct store_event *e)
{
	memset(e, 0, sizeof *e);
	e->id = db_column_int64(s, 0);
	store_copy(e->code, sizeof e->code, s, 1);
	e->village_id = db_column_int64(s, 2);
	store_copy(e->village, sizeof e->village, s, 3);
	store_copy(e->village_name, sizeof e->village_name, s, 4);
	store_copy(e->township, sizeof e->township, s, 5);
	store_copy(e->title, sizeof e->title, s, 6);
	store_copy(e->place, sizeof e->place, s, 7);
	e->starts_at = db_column_int64(s, 8);
	e->remind_at = db_column_int64(s, 9);
	e->capacity = db_column_int(s, 10);
	store_copy(e->status, sizeof e->status, s, 11);
	e->reminded = db_column_int(s, 12);
	store_copy(e->created_by, sizeof e->created_by, s, 13);
	e->created_at = db_column_int64(s, 14);
	e->confirmed = db_column_int(s, 15);
	e->waiting = db_column_int(s, 16);
}

int
store_event_insert(struct store *st, const struct store_event *e,
    int64_t *id)
{
	struct db_stmt *s = store_event_stmt(st, S_EVENT_INSERT);

	store_bind(s, "slssllisl", e->code, e->village_id, e->title, e->place,
	    (int64_t)e->starts_at, (int64_t)e->remind_at, e->capacity,
	    e->created_by, (int64_t)e->created_at);
	if (db_step(s) != DB_DONE) {
		db_reset(s);
		if (db_fault(st->db) == DB_FAULT_UNIQUE)
			return 0;
		log_warn("store: event insert: %s", db_error(st->db));
		return -1;
	}
	db_reset(s);
	*id = db_last_insert_id(st->db);
	return 1;
}

/* One event row from statement s, bound: -1 / 0 / 1. */
static int
store_event_one(struct store *st, struct db_stmt *s, struct store_event *out)
{
	int rc;

	if ((rc = store_step_row(st, s)) == 1) {
		store_event_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_event_find(struct store *st, const char *code, struct store_event *out)
{
	struct db_stmt *s = store_event_stmt(st, S_EVENT_FIND);

	store_bind(s, "s", code);
	return store_event_one(st, s, out);
}

int
store_event_get(struct store *st, int64_t id, struct store_event *out)
{
	struct db_stmt *s = store_event_stmt(st, S_EVENT_GET);

	store_bind(s, "l", id);
	return store_event_one(st, s, out);
}

int
store_event_list(struct store *st, const char *village, int open_only,
    void (*cb)(const struct store_event *, void *), void *arg)
{
	struct store_event e;
	struct db_stmt *s;
	int rc;

	if (village != NULL) {
		s = store_event_stmt(st, S_EVENT_LIST_VILLAGE);
		store_bind(s, "is", open_only ? 1 : 0, village);
	} else {
		s = store_event_stmt(st, S_EVENT_LIST);
		store_bind(s, "i", open_only ? 1 : 0);
	}
	while ((rc = db_step(s)) == DB_ROW) {
		store_event_row(s, &e);
		cb(&e, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_event_set(struct store *st, int64_t id, const char *status,
    int reminded)
{
	struct db_stmt *s = store_event_stmt(st, S_EVENT_SET);

	store_bind(s, "sil", status, reminded, id);
	return store_exec_stmt(st, s);
}

int
store_event_remind_due(struct store *st, time_t now, int64_t *ids, int max)
{
	struct db_stmt *s = store_event_stmt(st, S_EVENT_REMIND_DUE);
	int n = 0, rc;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = db_step(s)) == DB_ROW)
		ids[n++] = db_column_int64(s, 0);
	if (n < max && rc != DB_DONE) {
		db_reset(s);
		return -1;
	}
	db_reset(s);
	return n;
}

int
store_event_close_past(struct store *st, time_t now)
{
	struct db_stmt *s = store_event_stmt(st, S_EVENT_CLOSE_PAST);

	store_bind(s, "l", (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db);
}

/* --- sign-ups --- */

static void
store_signup_row(struct db_stmt *s, struct store_signup *g)
{
	memset(g, 0, sizeof *g);
	g->id = db_column_int64(s, 0);
	g->event_id = db_column_int64(s, 1);
	store_copy(g->phone, sizeof g->phone, s, 2);
	store_copy(g->name, sizeof g->name, s, 3);
	store_copy(g->status, sizeof g->status, s, 4);
	g->ord = db_column_int(s, 5);
	g->created_at = db_column_int64(s, 6);
	g->updated_at = db_column_int64(s, 7);
}

int
store_signup_find(struct store *st, int64_t event, const char *phone,
    struct store_signup *out)
{
	struct db_stmt *s = store_event_stmt(st, S_SIGNUP_FIND);
	int rc;

	store_bind(s, "ls", event, phone);
	if ((rc = store_step_row(st, s)) == 1) {
		store_signup_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_signup_put(struct store *st, int64_t event, const char *phone,
    const char *status, time_t now)
{
	struct store_signup g;
	struct db_stmt *s;
	int rc;

	if ((rc = store_signup_find(st, event, phone, &g)) == -1)
		return -1;
	s = store_event_stmt(st, rc == 1 ? S_SIGNUP_UPDATE : S_SIGNUP_INSERT);
	store_bind(s, "lssl", event, phone, status, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_signup_list(struct store *st, int64_t event,
    void (*cb)(const struct store_signup *, void *), void *arg)
{
	struct store_signup g;
	struct db_stmt *s = store_event_stmt(st, S_SIGNUP_LIST);
	int rc;

	store_bind(s, "l", event);
	while ((rc = db_step(s)) == DB_ROW) {
		store_signup_row(s, &g);
		cb(&g, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

/* --- notices --- */

int
store_notice_add(struct store *st, const struct store_notice *n,
    int64_t *id)
{
	struct db_stmt *s = store_event_stmt(st, S_NOTICE_ADD);

	store_bind(s, "lssiisln", n->village_id, n->text, n->sender,
	    n->recipients, n->parts, n->status, (int64_t)n->created_at,
	    (int64_t)n->sent_at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	*id = db_last_insert_id(st->db);
	return 0;
}

static void
store_notice_row(struct db_stmt *s, struct store_notice *n)
{
	memset(n, 0, sizeof *n);
	n->id = db_column_int64(s, 0);
	n->village_id = db_column_int64(s, 1);
	store_copy(n->village, sizeof n->village, s, 2);
	store_copy(n->text, sizeof n->text, s, 3);
	store_copy(n->sender, sizeof n->sender, s, 4);
	n->recipients = db_column_int(s, 5);
	n->parts = db_column_int(s, 6);
	store_copy(n->status, sizeof n->status, s, 7);
	n->created_at = db_column_int64(s, 8);
	n->sent_at = db_column_int64(s, 9);
}

int
store_notice_get(struct store *st, int64_t id, struct store_notice *out)
{
	struct db_stmt *s = store_event_stmt(st, S_NOTICE_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_notice_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_notice_set(struct store *st, int64_t id, const char *status,
    time_t sent_at)
{
	struct db_stmt *s = store_event_stmt(st, S_NOTICE_SET);

	store_bind(s, "snl", status, (int64_t)sent_at, id);
	return store_exec_stmt(st, s);
}

int
store_notice_list(struct store *st, const char *village,
    void (*cb)(const struct store_notice *, void *), void *arg)
{
	struct store_notice n;
	struct db_stmt *s = store_event_stmt(st, S_NOTICE_LIST);
	int rc;

	store_bind(s, "s", village);
	while ((rc = db_step(s)) == DB_ROW) {
		store_notice_row(s, &n);
		cb(&n, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_notice_expire(struct store *st, time_t cutoff)
{
	struct db_stmt *s = store_event_stmt(st, S_NOTICE_EXPIRE);

	store_bind(s, "l", (int64_t)cutoff);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db);
}
