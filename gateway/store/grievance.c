/*
 * store/grievance — the rows of tickets (a villager's report and its
 * life: accepted, resolved, rated, escalated), their assignees and
 * history, and the reports kept from numbers not yet registered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_grievance_stmts {
	S_TICKET_INSERT,
	S_TICKET_FIND,
	S_TICKET_GET,
	S_TICKET_UPDATE,
	S_TICKET_LIST,
	S_TICKET_SLA_DUE,
	S_TICKET_ASSIGN,
	S_TICKET_IS_ASSIGNEE,
	S_TICKET_ASSIGNEES,
	S_TICKET_EVENT,
	S_TICKET_EVENTS,
	S_TICKET_COUNT_SINCE,
	S_PENDING_ADD,
	S_PENDING_LIST,
	S_PENDING_FILED,
	S_PENDING_COUNT,
	S_GRIEVANCE_N
};

#define TICKET_COLS \
	"k.id, k.code, k.reporter, coalesce(p.name, ''), k.village_id," \
	" v.code, v.name, coalesce(t.code, ''), k.category, k.urgent, k.text," \
	" k.reply, k.status, k.created_at, k.updated_at, k.accept_due," \
	" k.resolve_due, coalesce(k.accepted_by, '')," \
	" coalesce(k.accepted_at, 0), coalesce(k.resolved_by, '')," \
	" coalesce(k.resolved_at, 0), coalesce(k.rating, 0)," \
	" coalesce(k.rated_at, 0), k.escalation, k.accept_reminded," \
	" k.accept_escalated, k.resolve_reminded, k.resolve_escalated," \
	" coalesce(k.message_id, 0)"
#define TICKET_FROM \
	" FROM ticket k JOIN village v ON v.id = k.village_id" \
	" LEFT JOIN township t ON t.id = v.township_id" \
	" LEFT JOIN person p ON p.phone = k.reporter"

static const char *const store_grievance_sql[S_GRIEVANCE_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	/* A code taken: no row. */
	[S_TICKET_INSERT] = "INSERT INTO ticket (code, reporter,"
	    " village_id, category, urgent, text, status, created_at,"
	    " updated_at, accept_due, resolve_due, message_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT DO NOTHING",
	[S_TICKET_FIND] = "SELECT " TICKET_COLS TICKET_FROM
	    " WHERE k.code = ?",
	[S_TICKET_GET] = "SELECT " TICKET_COLS TICKET_FROM " WHERE k.id = ?",
	[S_TICKET_UPDATE] = "UPDATE ticket SET status = ?2, category = ?3,"
	    " urgent = ?4, accept_due = ?5, resolve_due = ?6,"
	    " accepted_by = nullif(?7, ''), accepted_at = nullif(?8, 0),"
	    " resolved_by = nullif(?9, ''), resolved_at = nullif(?10, 0),"
	    " reply = ?11, rating = nullif(?12, 0), rated_at = nullif(?13, 0),"
	    " escalation = ?14, accept_reminded = ?15, accept_escalated = ?16,"
	    " resolve_reminded = ?17, resolve_escalated = ?18,"
	    " updated_at = ?19 WHERE id = ?1",
	/* A parameter that may be NULL is used first where its type shows:
	   PostgreSQL takes it from there (citext for a code). */
	[S_TICKET_LIST] = "SELECT " TICKET_COLS TICKET_FROM
	    " WHERE (v.code = ?1 OR ?1 IS NULL)"
	    " AND (t.code = ?2 OR ?2 IS NULL)"
	    " AND (k.status = ?3 OR ?3 IS NULL)"
	    " AND (EXISTS (SELECT 1 FROM ticket_assignee a"
	    "   WHERE a.ticket_id = k.id AND a.phone = ?4) OR ?4 IS NULL)"
	    " AND (k.reporter = ?5 OR ?5 IS NULL)"
	    " AND (?6 = 0 OR k.status IN ('open', 'accepted', 'reopened'))"
	    " ORDER BY k.id",
	[S_TICKET_SLA_DUE] = "SELECT id FROM ticket WHERE"
	    " (status = 'open' AND ((accept_reminded = 0 AND accept_due <= ?1)"
	    "  OR (accept_escalated = 0 AND accept_due + ?2 <= ?1)))"
	    " OR (status IN ('accepted', 'reopened')"
	    "  AND ((resolve_reminded = 0 AND resolve_due <= ?1)"
	    "  OR (resolve_escalated = 0 AND resolve_due + CASE WHEN urgent"
	    "  != 0 THEN CAST(?4 AS BIGINT) ELSE CAST(?3 AS BIGINT) END <= ?1)))"
	    " ORDER BY id LIMIT ?5",
	[S_TICKET_ASSIGN] = "INSERT INTO ticket_assignee"
	    " (ticket_id, phone) VALUES (?, ?) ON CONFLICT DO NOTHING",
	[S_TICKET_IS_ASSIGNEE] = "SELECT 1 FROM ticket_assignee"
	    " WHERE ticket_id = ? AND phone = ?",
	[S_TICKET_ASSIGNEES] = "SELECT phone FROM ticket_assignee"
	    " WHERE ticket_id = ? ORDER BY added",
	[S_TICKET_EVENT] = "INSERT INTO ticket_event (ticket_id, at, actor,"
	    " channel, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
	[S_TICKET_EVENTS] = "SELECT id, at, actor, channel, action, detail"
	    " FROM ticket_event WHERE ticket_id = ? ORDER BY id",
	[S_TICKET_COUNT_SINCE] = "SELECT count(*) FROM ticket"
	    " WHERE reporter = ? AND created_at >= ?",
	[S_PENDING_ADD] = "INSERT INTO pending_report (phone, text,"
	    " received_at, message_id) VALUES (?, ?, ?, ?)",
	[S_PENDING_LIST] = "SELECT id, text, received_at,"
	    " coalesce(message_id, 0) FROM pending_report"
	    " WHERE phone = ? AND filed_at IS NULL ORDER BY id",
	[S_PENDING_FILED] = "UPDATE pending_report SET ticket_id = ?,"
	    " filed_at = ? WHERE id = ?",
	[S_PENDING_COUNT] = "SELECT count(*) FROM pending_report"
	    " WHERE phone = ? AND filed_at IS NULL",
};

const struct store_table store_grievance_table = {
	"grievance", store_grievance_sql, S_GRIEVANCE_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_grievance_stmt(struct store *st, enum store_grievance_stmts id)
{
	return store_stmt(st, STORE_T_GRIEVANCE, id);
}

/* --- tickets --- */

int
store_ticket_insert(struct store *st, const struct store_ticket *t,
    int64_t *id)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_INSERT);

	store_bind(s, "sslsisslllln", t->code, t->reporter, t->village_id,
	    t->category, t->urgent, t->text, t->status, (int64_t)t->created_at,
	    (int64_t)t->updated_at, (int64_t)t->accept_due,
	    (int64_t)t->resolve_due, t->message_id);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	if (db_changes(st->db) == 0)
		return 0;
	*id = db_last_insert_id(st->db);
	return 1;
}

static void
store_ticket_row(struct db_stmt *s, struct store_ticket *t)
{
	const char *v;

	memset(t, 0, sizeof *t);
	t->id = db_column_int64(s, 0);
	store_copy(t->code, sizeof t->code, s, 1);
	store_copy(t->reporter, sizeof t->reporter, s, 2);
	store_copy(t->reporter_name, sizeof t->reporter_name, s, 3);
	t->village_id = db_column_int64(s, 4);
	store_copy(t->village, sizeof t->village, s, 5);
	store_copy(t->village_name, sizeof t->village_name, s, 6);
	store_copy(t->township, sizeof t->township, s, 7);
	store_copy(t->category, sizeof t->category, s, 8);
	t->urgent = db_column_int(s, 9);
	v = db_column_text(s, 10);
	t->text = xstrdup(v != NULL ? v : "");
	v = db_column_text(s, 11);
	t->reply = xstrdup(v != NULL ? v : "");
	store_copy(t->status, sizeof t->status, s, 12);
	t->created_at = db_column_int64(s, 13);
	t->updated_at = db_column_int64(s, 14);
	t->accept_due = db_column_int64(s, 15);
	t->resolve_due = db_column_int64(s, 16);
	store_copy(t->accepted_by, sizeof t->accepted_by, s, 17);
	t->accepted_at = db_column_int64(s, 18);
	store_copy(t->resolved_by, sizeof t->resolved_by, s, 19);
	t->resolved_at = db_column_int64(s, 20);
	t->rating = db_column_int(s, 21);
	t->rated_at = db_column_int64(s, 22);
	t->escalation = db_column_int(s, 23);
	t->accept_reminded = db_column_int(s, 24);
	t->accept_escalated = db_column_int(s, 25);
	t->resolve_reminded = db_column_int(s, 26);
	t->resolve_escalated = db_column_int(s, 27);
	t->message_id = db_column_int64(s, 28);
}

int
store_ticket_find(struct store *st, const char *code, struct store_ticket *out)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_FIND);
	int rc;

	store_bind(s, "s", code);
	if ((rc = store_step_row(st, s)) == 1) {
		store_ticket_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_ticket_get(struct store *st, int64_t id, struct store_ticket *out)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_ticket_row(s, out);
		db_reset(s);
	}
	return rc;
}

void
store_ticket_clear(struct store_ticket *t)
{
	free(t->text);
	free(t->reply);
	t->text = t->reply = NULL;
}

int
store_ticket_update(struct store *st, const struct store_ticket *t)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_UPDATE);

	store_bind(s, "lssillslslsiliiiiil", t->id, t->status, t->category,
	    t->urgent, (int64_t)t->accept_due, (int64_t)t->resolve_due,
	    t->accepted_by, (int64_t)t->accepted_at, t->resolved_by,
	    (int64_t)t->resolved_at, t->reply != NULL ? t->reply : "",
	    t->rating, (int64_t)t->rated_at, t->escalation,
	    t->accept_reminded, t->accept_escalated, t->resolve_reminded,
	    t->resolve_escalated, (int64_t)t->updated_at);
	return store_exec_stmt(st, s);
}

int
store_ticket_list(struct store *st, const struct store_ticket_filter *f,
    void (*cb)(const struct store_ticket *, void *), void *arg)
{
	static const struct store_ticket_filter all;
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_LIST);
	struct store_ticket t;
	int rc;

	if (f == NULL)
		f = &all;
	store_bind(s, "sssssi", f->village, f->township, f->status,
	    f->assignee, f->reporter, f->open_only);
	while ((rc = db_step(s)) == DB_ROW) {
		store_ticket_row(s, &t);
		cb(&t, arg);
		store_ticket_clear(&t);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_ticket_sla_due(struct store *st, time_t now, int accept_grace,
    int resolve_grace, int urgent_grace, int64_t *ids, int max)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_SLA_DUE);
	int rc = DB_DONE, n = 0;

	store_bind(s, "liiii", (int64_t)now, accept_grace, resolve_grace,
	    urgent_grace, max);
	while (n < max && (rc = db_step(s)) == DB_ROW)
		ids[n++] = db_column_int64(s, 0);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	return n;
}

int64_t
store_ticket_count_since(struct store *st, const char *reporter,
    time_t since)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_COUNT_SINCE);

	store_bind(s, "sl", reporter, (int64_t)since);
	return store_count_of(st, s);
}

/* --- assignees and history --- */

int
store_ticket_assign(struct store *st, int64_t ticket, const char *phone)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_ASSIGN);

	store_bind(s, "ls", ticket, phone);
	return store_exec_stmt(st, s);
}

int
store_ticket_is_assignee(struct store *st, int64_t ticket, const char *phone)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_IS_ASSIGNEE);
	int rc;

	store_bind(s, "ls", ticket, phone);
	if ((rc = store_step_row(st, s)) == 1)
		db_reset(s);
	return rc;
}

int
store_ticket_assignees(struct store *st, int64_t ticket,
    void (*cb)(const char *, void *), void *arg)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_ASSIGNEES);
	store_bind(s, "l", ticket);
	return store_phones(st, s, cb, arg);
}

int
store_ticket_event(struct store *st, int64_t ticket, time_t at,
    const char *actor, const char *channel, const char *action,
    const char *detail)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_EVENT);

	store_bind(s, "llssss", ticket, (int64_t)at, actor, channel, action,
	    detail != NULL ? detail : "");
	return store_exec_stmt(st, s);
}

int
store_ticket_events(struct store *st, int64_t ticket,
    void (*cb)(const struct store_ticket_event *, void *), void *arg)
{
	struct db_stmt *s = store_grievance_stmt(st, S_TICKET_EVENTS);
	struct store_ticket_event e;
	int rc;

	store_bind(s, "l", ticket);
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&e, 0, sizeof e);
		e.id = db_column_int64(s, 0);
		e.at = db_column_int64(s, 1);
		store_copy(e.actor, sizeof e.actor, s, 2);
		store_copy(e.channel, sizeof e.channel, s, 3);
		store_copy(e.action, sizeof e.action, s, 4);
		e.detail = xstrdup(db_column_text(s, 5));
		cb(&e, arg);
		free(e.detail);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

/* --- reports kept until their sender registers --- */

int
store_pending_add(struct store *st, const char *phone, const char *text,
    int64_t message_id, time_t now)
{
	struct db_stmt *s = store_grievance_stmt(st, S_PENDING_ADD);

	store_bind(s, "ssln", phone, text, (int64_t)now, message_id);
	return store_exec_stmt(st, s);
}

int
store_pending_list(struct store *st, const char *phone,
    void (*cb)(const struct store_pending *, void *), void *arg)
{
	struct db_stmt *s = store_grievance_stmt(st, S_PENDING_LIST);
	struct store_pending *rows = NULL;
	size_t n = 0, i;
	int rc;

	/* Collect first: filing a report writes through the store. */
	store_bind(s, "s", phone);
	while ((rc = db_step(s)) == DB_ROW) {
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		rows[n].id = db_column_int64(s, 0);
		rows[n].text = xstrdup(db_column_text(s, 1));
		rows[n].received_at = db_column_int64(s, 2);
		rows[n].message_id = db_column_int64(s, 3);
		n++;
	}
	db_reset(s);
	for (i = 0; i < n; i++) {
		if (rc == DB_DONE)
			cb(&rows[i], arg);
		free(rows[i].text);
	}
	free(rows);
	return rc == DB_DONE ? 0 : -1;
}

int
store_pending_filed(struct store *st, int64_t id, int64_t ticket, time_t now)
{
	struct db_stmt *s = store_grievance_stmt(st, S_PENDING_FILED);

	store_bind(s, "nll", ticket, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int64_t
store_pending_count(struct store *st, const char *phone)
{
	struct db_stmt *s = store_grievance_stmt(st, S_PENDING_COUNT);

	store_bind(s, "s", phone);
	return store_count_of(st, s);
}
