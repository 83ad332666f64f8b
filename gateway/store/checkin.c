/*
 * store/checkin — the rows of the elderly check-in: elders and their
 * guardians, a village's ladder times, one row per elder and local day
 * (made for all each morning, its ladder steps due by next_at), who each
 * day alerted, SOS calls; and the missed calls that check an elder in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_checkin_stmts {
	S_ELDER_PUT,
	S_ELDER_FIND,
	S_ELDER_GET,
	S_ELDER_LIST,
	S_ELDER_SET,
	S_GUARDIAN_PUT,
	S_GUARDIAN_CLEAR,
	S_GUARDIANS,
	S_ELDER_RELATED,
	S_ELDER_RELATED_FIND,
	S_GUARDIAN_IS,
	S_CHECKIN_VILLAGE_PUT,
	S_CHECKIN_VILLAGE_GET,
	S_CHECKIN_RUN_HAS,
	S_CHECKIN_RUN_ADD,
	S_CHECKIN_MATERIALIZE,
	S_CHECKIN_MATERIALIZE_ONE,
	S_CHECKIN_DAY_FIND,
	S_CHECKIN_DAY_GET,
	S_CHECKIN_DAY_INSERT,
	S_CHECKIN_DAY_UPDATE,
	S_CHECKIN_DAY_DUE,
	S_CHECKIN_DAY_OPEN,
	S_CHECKIN_DAY_LIST,
	S_CHECKIN_DAY_HISTORY,
	S_CHECKIN_DAY_RANGE,
	S_CHECKIN_ALERT_ADD,
	S_CHECKIN_ALERTED,
	S_CHECKIN_WITHDRAW,
	S_SOS_ADD,
	S_SOS_DUE,
	S_SOS_REPEAT,
	S_SOS_RESOLVE,
	S_CALL_ADD,
	S_CALL_LIST,
	S_CALL_HANDLED,
	S_CHECKIN_N
};

/* Elderly check-in: an elder with person and village; a day's row. */
#define ELDER_COLS \
	"e.id, e.person_id, p.phone, p.name, coalesce(p.village_id, 0)," \
	" coalesce(v.code, ''), coalesce(v.name, ''), coalesce(t.code, '')," \
	" e.cadre, coalesce(e.due_min, -1), coalesce(e.guardian_after, -1)," \
	" coalesce(e.cadre_after, -1), coalesce(e.township_min, -1)," \
	" coalesce(e.confirm, -1), coalesce(e.prompt_min, -2), e.start_day," \
	" e.paused_until, e.active, e.created_at"
#define ELDER_FROM \
	" FROM elder e JOIN person p ON p.id = e.person_id" \
	" LEFT JOIN village v ON v.id = p.village_id" \
	" LEFT JOIN township t ON t.id = v.township_id"
#define CHECKIN_DAY_COLS \
	"coalesce(d.id, 0), coalesce(d.elder_id, 0), coalesce(d.day, 0)," \
	" coalesce(d.status, ''), coalesce(d.step, 0)," \
	" coalesce(d.prompt_at, 0), coalesce(d.remind_at, 0)," \
	" coalesce(d.guardians_at, 0), coalesce(d.cadre_at, 0)," \
	" coalesce(d.township_at, 0), coalesce(d.next_at, 0)," \
	" coalesce(d.checked_in_at, 0), coalesce(d.source, '')," \
	" coalesce(d.resolved_at, 0), coalesce(d.resolved_by, '')," \
	" coalesce(d.note, '')"
/*
 * A day's rows for the elders selected by the WHERE that follows: each
 * step's time from the elder's override, else the village's, else the
 * config's (?4 due, ?5 guardians and ?6 cadre minutes after it, ?7
 * township the next day, ?8 morning prompt, -1 none); ?1 the day, ?2 its
 * local midnight, ?3 the next one. A prompt only counts before the due
 * time; without one the ladder starts at step 1. Rows already there
 * (a check-in came first) are kept.
 */
#define CHECKIN_MATERIALIZE \
	"INSERT INTO checkin_day (elder_id, day, status, step," \
	" prompt_at, remind_at, guardians_at, cadre_at, township_at, next_at)" \
	" SELECT id, ?1, st, CASE WHEN pm >= 0 AND pm < dm THEN 0 ELSE 1 END," \
	" CASE WHEN pm >= 0 AND pm < dm THEN ?2 + 60 * pm END, ?2 + 60 * dm," \
	" ?2 + 60 * (dm + g), ?2 + 60 * (dm + c), ?3 + 60 * tm," \
	" CASE WHEN pm >= 0 AND pm < dm THEN ?2 + 60 * pm ELSE ?2 + 60 * dm END" \
	" FROM (SELECT e.id AS id, CASE WHEN e.paused_until >= ?1" \
	"  THEN 'paused' ELSE 'open' END AS st," \
	"  coalesce(e.due_min, cv.due_min, ?4) AS dm," \
	"  coalesce(e.guardian_after, cv.guardian_after, ?5) AS g," \
	"  coalesce(e.cadre_after, cv.cadre_after, ?6) AS c," \
	"  coalesce(e.township_min, cv.township_min, ?7) AS tm," \
	"  coalesce(e.prompt_min, ?8) AS pm" \
	"  FROM elder e JOIN person p ON p.id = e.person_id" \
	"  LEFT JOIN checkin_village cv ON cv.village_id = p.village_id" \
	"  WHERE e.active != 0 AND e.start_day <= ?1"
/* After the elders' WHERE: "WHERE true" tells SQLite's parser that ON
   CONFLICT is no join's ON. */
#define CHECKIN_MATERIALIZE_END \
	") AS x WHERE true ON CONFLICT DO NOTHING"

static const char *const store_checkin_sql[S_CHECKIN_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	/* -1 (-2 for prompt_min, where -1 means off) stores NULL: default. */
	/* ENGINE: upsert (ON CONFLICT) */
	[S_ELDER_PUT] = "INSERT INTO elder (person_id, cadre, due_min,"
	    " guardian_after, cadre_after, township_min, confirm, prompt_min,"
	    " start_day, created_at, updated_at) VALUES (?1, ?2,"
	    " nullif(?3, -1), nullif(?4, -1), nullif(?5, -1), nullif(?6, -1),"
	    " nullif(?7, -1), nullif(?8, -2), ?9, ?10, ?10)"
	    " ON CONFLICT (person_id) DO UPDATE SET cadre = ?2,"
	    " due_min = nullif(?3, -1), guardian_after = nullif(?4, -1),"
	    " cadre_after = nullif(?5, -1), township_min = nullif(?6, -1),"
	    " confirm = nullif(?7, -1), prompt_min = nullif(?8, -2),"
	    " start_day = ?9, active = 1, updated_at = ?10",
	[S_ELDER_FIND] = "SELECT " ELDER_COLS ELDER_FROM " WHERE p.phone = ?",
	[S_ELDER_GET] = "SELECT " ELDER_COLS ELDER_FROM " WHERE e.id = ?",
	/* NULLS FIRST: PostgreSQL sorts them last. */
	[S_ELDER_LIST] = "SELECT " ELDER_COLS ELDER_FROM
	    " WHERE e.active != 0 AND (v.code = ?1 OR ?1 IS NULL)"
	    " ORDER BY v.code NULLS FIRST, p.name, p.phone",
	[S_ELDER_SET] = "UPDATE elder SET active = ?2, paused_until = ?3,"
	    " updated_at = ?4 WHERE id = ?1",
	[S_GUARDIAN_PUT] = "INSERT INTO elder_guardian (elder_id,"
	    " phone, name, relation) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (elder_id, phone) DO UPDATE SET name = ?3,"
	    " relation = ?4",
	[S_GUARDIAN_CLEAR] = "DELETE FROM elder_guardian WHERE elder_id = ?",
	/* rowid: the order added (schema_pg.c gives the table one). */
	[S_GUARDIANS] = "SELECT phone, name, relation FROM elder_guardian"
	    " WHERE elder_id = ? ORDER BY rowid",
	/* Whom phone may confirm: as guardian, responsible or village cadre. */
	[S_ELDER_RELATED] = "SELECT id FROM elder WHERE cadre = ?1"
	    " AND active != 0"
	    " UNION SELECT e.id FROM elder_guardian g JOIN elder e"
	    "  ON e.id = g.elder_id WHERE g.phone = ?1 AND e.active != 0"
	    " UNION SELECT e.id FROM person c JOIN person p"
	    "  ON p.village_id = c.village_id JOIN elder e ON e.person_id = p.id"
	    "  WHERE c.phone = ?1 AND (c.roles & 4) != 0 AND e.active != 0",
	/* The same elders: the one whose name text holds (the longest), or
	 * whose code text is or starts with. */
	/* instr(): schema_pg.c defines it on PostgreSQL. */
	[S_ELDER_RELATED_FIND] = "SELECT " ELDER_COLS ELDER_FROM
	    " WHERE e.active != 0"
	    " AND e.id IN (SELECT id FROM elder WHERE cadre = ?1"
	    "  UNION SELECT g.elder_id FROM elder_guardian g WHERE g.phone = ?1"
	    "  UNION SELECT x.id FROM person c JOIN person q"
	    "   ON q.village_id = c.village_id JOIN elder x ON x.person_id = q.id"
	    "   WHERE c.phone = ?1 AND (c.roles & 4) != 0)"
	    " AND ((p.name != '' AND instr(?2, p.name) > 0)"
	    "  OR ?2 = CAST(e.id AS TEXT)"
	    "  OR (substr(?2, 1, length(CAST(e.id AS TEXT))) = CAST(e.id AS TEXT)"
	    "   AND instr('0123456789',"
	    "    substr(?2, length(CAST(e.id AS TEXT)) + 1, 1)) = 0))"
	    " ORDER BY substr(?2, 1, length(CAST(e.id AS TEXT)))"
	    "  = CAST(e.id AS TEXT) DESC,"
	    "  length(p.name) DESC, e.id LIMIT 1",
	[S_GUARDIAN_IS] = "SELECT 1 FROM elder_guardian g JOIN elder e"
	    " ON e.id = g.elder_id WHERE g.phone = ? AND e.active != 0"
	    " LIMIT 1",
	/* ENGINE: upsert (ON CONFLICT) */
	[S_CHECKIN_VILLAGE_PUT] = "INSERT INTO checkin_village (village_id,"
	    " due_min, guardian_after, cadre_after, township_min) VALUES (?1,"
	    " nullif(?2, -1), nullif(?3, -1), nullif(?4, -1), nullif(?5, -1))"
	    " ON CONFLICT (village_id) DO UPDATE SET due_min = nullif(?2, -1),"
	    " guardian_after = nullif(?3, -1), cadre_after = nullif(?4, -1),"
	    " township_min = nullif(?5, -1)",
	[S_CHECKIN_VILLAGE_GET] = "SELECT coalesce(due_min, -1),"
	    " coalesce(guardian_after, -1), coalesce(cadre_after, -1),"
	    " coalesce(township_min, -1) FROM checkin_village"
	    " WHERE village_id = ?",
	[S_CHECKIN_RUN_HAS] = "SELECT 1 FROM checkin_run WHERE day = ?",
	[S_CHECKIN_RUN_ADD] = "INSERT INTO checkin_run (day, at,"
	    " elders) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	[S_CHECKIN_MATERIALIZE] = CHECKIN_MATERIALIZE CHECKIN_MATERIALIZE_END,
	[S_CHECKIN_MATERIALIZE_ONE] = CHECKIN_MATERIALIZE " AND e.id = ?9"
	    CHECKIN_MATERIALIZE_END,
	[S_CHECKIN_DAY_FIND] = "SELECT " CHECKIN_DAY_COLS
	    " FROM checkin_day d WHERE d.elder_id = ? AND d.day = ?",
	[S_CHECKIN_DAY_GET] = "SELECT " CHECKIN_DAY_COLS
	    " FROM checkin_day d WHERE d.id = ?",
	[S_CHECKIN_DAY_INSERT] = "INSERT INTO checkin_day (elder_id, day,"
	    " status, step, checked_in_at, source, resolved_at, resolved_by,"
	    " note) VALUES (?, ?, ?, ?, nullif(?, 0), ?, nullif(?, 0), ?, ?)",
	[S_CHECKIN_DAY_UPDATE] = "UPDATE checkin_day SET status = ?2,"
	    " step = ?3, next_at = nullif(?4, 0), checked_in_at = nullif(?5, 0),"
	    " source = ?6, resolved_at = nullif(?7, 0), resolved_by = ?8,"
	    " note = ?9 WHERE id = ?1",
	/* Every step of every ladder, from one partial index on next_at. */
	[S_CHECKIN_DAY_DUE] = "SELECT id FROM checkin_day"
	    " WHERE status = 'open' AND next_at <= ? ORDER BY next_at, id"
	    " LIMIT ?",
	[S_CHECKIN_DAY_OPEN] = "SELECT id FROM checkin_day"
	    " WHERE elder_id = ? AND status = 'open' ORDER BY day",
	/* NULLS FIRST: PostgreSQL sorts them last. */
	[S_CHECKIN_DAY_LIST] = "SELECT " ELDER_COLS ", " CHECKIN_DAY_COLS
	    ELDER_FROM " LEFT JOIN checkin_day d ON d.elder_id = e.id"
	    " AND d.day = ?1 WHERE e.active != 0"
	    " AND (v.code = ?2 OR ?2 IS NULL)"
	    " ORDER BY v.code NULLS FIRST, p.name, p.phone",
	[S_CHECKIN_DAY_HISTORY] = "SELECT " ELDER_COLS ", " CHECKIN_DAY_COLS
	    ELDER_FROM " JOIN checkin_day d ON d.elder_id = e.id"
	    " WHERE e.id = ?1 ORDER BY d.day DESC LIMIT ?2",
	/* NULLS FIRST: PostgreSQL sorts them last. */
	[S_CHECKIN_DAY_RANGE] = "SELECT " ELDER_COLS ", " CHECKIN_DAY_COLS
	    ELDER_FROM " JOIN checkin_day d ON d.elder_id = e.id"
	    " WHERE d.day BETWEEN ?1 AND ?2 AND (v.code = ?3 OR ?3 IS NULL)"
	    " ORDER BY v.code NULLS FIRST, d.day",
	[S_CHECKIN_ALERT_ADD] = "INSERT INTO checkin_alert (day_id,"
	    " phone, step, at, outbox_id) VALUES (?, ?, ?, ?, ?)"
	    " ON CONFLICT DO NOTHING",
	/* Who was (or may have been) told: not those whose alert was
	   withdrawn before it went. */
	/* rowid: the order added (schema_pg.c gives the table one). */
	[S_CHECKIN_ALERTED] = "SELECT a.phone FROM checkin_alert a"
	    " LEFT JOIN outbox o ON o.id = a.outbox_id WHERE a.day_id = ?"
	    " AND (o.state IS NULL OR o.state != 5) ORDER BY a.step, a.rowid",
	[S_CHECKIN_WITHDRAW] = "UPDATE outbox SET state = 5, waiting = '',"
	    " last_error = 'withdrawn: the elder was found well before it went'"
	    " WHERE state = 0 AND attempts = 0 AND next_attempt_at <= ?2"
	    " AND id IN (SELECT outbox_id FROM checkin_alert"
	    " WHERE day_id = ?1)",
	[S_SOS_ADD] = "INSERT INTO checkin_sos (elder_id, at, next_at)"
	    " VALUES (?, ?, ?)",
	[S_SOS_DUE] = "SELECT id, elder_id, at, next_at, repeats"
	    " FROM checkin_sos WHERE resolved_at IS NULL AND next_at <= ?"
	    " ORDER BY next_at, id LIMIT ?",
	[S_SOS_REPEAT] = "UPDATE checkin_sos SET next_at = ?,"
	    " repeats = repeats + 1 WHERE id = ?",
	[S_SOS_RESOLVE] = "UPDATE checkin_sos SET resolved_at = ?2,"
	    " resolved_by = ?3 WHERE elder_id = ?1 AND resolved_at IS NULL",
	[S_CALL_ADD] = "INSERT INTO call (modem, number, at) VALUES (?, ?, ?)",
	[S_CALL_LIST] = "SELECT id, modem, number, at, handled FROM call"
	    " ORDER BY id DESC LIMIT ?",
	[S_CALL_HANDLED] = "UPDATE call SET handled = 1 WHERE id = ?",
};

const struct store_table store_checkin_table = {
	"checkin", store_checkin_sql, S_CHECKIN_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_checkin_stmt(struct store *st, enum store_checkin_stmts id)
{
	return store_stmt(st, STORE_T_CHECKIN, id);
}

/* An elder from ELDER_COLS starting at column c. */
static void
store_elder_row(struct db_stmt *s, int c, struct store_elder *e)
{
	memset(e, 0, sizeof *e);
	e->id = db_column_int64(s, c + 0);
	e->person_id = db_column_int64(s, c + 1);
	store_copy(e->phone, sizeof e->phone, s, c + 2);
	store_copy(e->name, sizeof e->name, s, c + 3);
	e->village_id = db_column_int64(s, c + 4);
	store_copy(e->village, sizeof e->village, s, c + 5);
	store_copy(e->village_name, sizeof e->village_name, s, c + 6);
	store_copy(e->township, sizeof e->township, s, c + 7);
	store_copy(e->cadre, sizeof e->cadre, s, c + 8);
	e->due_min = db_column_int(s, c + 9);
	e->guardian_after = db_column_int(s, c + 10);
	e->cadre_after = db_column_int(s, c + 11);
	e->township_min = db_column_int(s, c + 12);
	e->confirm = db_column_int(s, c + 13);
	e->prompt_min = db_column_int(s, c + 14);
	e->start_day = db_column_int(s, c + 15);
	e->paused_until = db_column_int(s, c + 16);
	e->active = db_column_int(s, c + 17);
	e->created_at = db_column_int64(s, c + 18);
}
#define STORE_ELDER_NCOLS	19

/* A day's row from CHECKIN_DAY_COLS starting at column c. */
static void
store_checkin_day_row(struct db_stmt *s, int c, struct store_checkin_day *d)
{
	memset(d, 0, sizeof *d);
	d->id = db_column_int64(s, c + 0);
	d->elder_id = db_column_int64(s, c + 1);
	d->day = db_column_int(s, c + 2);
	store_copy(d->status, sizeof d->status, s, c + 3);
	d->step = db_column_int(s, c + 4);
	d->prompt_at = db_column_int64(s, c + 5);
	d->remind_at = db_column_int64(s, c + 6);
	d->guardians_at = db_column_int64(s, c + 7);
	d->cadre_at = db_column_int64(s, c + 8);
	d->township_at = db_column_int64(s, c + 9);
	d->next_at = db_column_int64(s, c + 10);
	d->checked_in_at = db_column_int64(s, c + 11);
	store_copy(d->source, sizeof d->source, s, c + 12);
	d->resolved_at = db_column_int64(s, c + 13);
	store_copy(d->resolved_by, sizeof d->resolved_by, s, c + 14);
	store_copy(d->note, sizeof d->note, s, c + 15);
}

/* --- elders and guardians --- */

int
store_elder_put(struct store *st, const struct store_elder *e, int64_t *id)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_PUT);
	struct store_elder got;

	store_bind(s, "lsiiiiiiil", e->person_id, e->cadre, e->due_min,
	    e->guardian_after, e->cadre_after, e->township_min, e->confirm,
	    e->prompt_min, e->start_day, (int64_t)e->created_at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	s = store_checkin_stmt(st, S_ELDER_FIND);
	/* The row's id: rowid is not the upsert's on an update. */
	store_bind(s, "s", e->phone);
	if (store_step_row(st, s) != 1)
		return -1;
	store_elder_row(s, 0, &got);
	db_reset(s);
	*id = got.id;
	return 0;
}

/* Run a one-elder lookup prepared in s. -1 / 0 / 1. */
static int
store_elder_one(struct store *st, struct db_stmt *s, struct store_elder *out)
{
	int rc;

	if ((rc = store_step_row(st, s)) == 1) {
		store_elder_row(s, 0, out);
		db_reset(s);
	}
	return rc;
}

int
store_elder_find(struct store *st, const char *phone,
    struct store_elder *out)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_FIND);

	store_bind(s, "s", phone);
	return store_elder_one(st, s, out);
}

int
store_elder_get(struct store *st, int64_t id, struct store_elder *out)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_GET);

	store_bind(s, "l", id);
	return store_elder_one(st, s, out);
}

int
store_elder_list(struct store *st, const char *village,
    void (*cb)(const struct store_elder *, void *), void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_LIST);
	struct store_elder e;
	int rc;

	store_bind(s, "s", village);
	while ((rc = db_step(s)) == DB_ROW) {
		store_elder_row(s, 0, &e);
		cb(&e, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_elder_set(struct store *st, int64_t id, int active, int paused_until,
    time_t now)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_SET);

	store_bind(s, "liil", id, active, paused_until, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_guardian_put(struct store *st, int64_t elder,
    const struct store_guardian *g)
{
	struct db_stmt *s = store_checkin_stmt(st, S_GUARDIAN_PUT);

	store_bind(s, "lsss", elder, g->phone, g->name, g->relation);
	return store_exec_stmt(st, s);
}

int
store_guardian_clear(struct store *st, int64_t elder)
{
	struct db_stmt *s = store_checkin_stmt(st, S_GUARDIAN_CLEAR);

	store_bind(s, "l", elder);
	return store_exec_stmt(st, s);
}

int
store_guardians(struct store *st, int64_t elder,
    void (*cb)(const struct store_guardian *, void *), void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_GUARDIANS);
	struct store_guardian *rows = NULL;
	size_t n = 0, i;
	int rc;

	/* Collect first: callbacks may queue messages through the store. */
	store_bind(s, "l", elder);
	while ((rc = db_step(s)) == DB_ROW) {
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		memset(&rows[n], 0, sizeof rows[n]);
		store_copy(rows[n].phone, sizeof rows[n].phone, s, 0);
		store_copy(rows[n].name, sizeof rows[n].name, s, 1);
		store_copy(rows[n].relation, sizeof rows[n].relation, s, 2);
		n++;
	}
	db_reset(s);
	for (i = 0; rc == DB_DONE && i < n; i++)
		cb(&rows[i], arg);
	free(rows);
	return rc == DB_DONE ? 0 : -1;
}

int
store_elder_related(struct store *st, const char *phone, int64_t *ids,
    int max)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_RELATED);

	store_bind(s, "s", phone);
	return store_ids(st, s, ids, max);
}

int
store_elder_related_find(struct store *st, const char *phone,
    const char *arg, struct store_elder *out)
{
	struct db_stmt *s = store_checkin_stmt(st, S_ELDER_RELATED_FIND);

	store_bind(s, "ss", phone, arg);
	return store_elder_one(st, s, out);
}

int
store_guardian_is(struct store *st, const char *phone)
{
	struct db_stmt *s = store_checkin_stmt(st, S_GUARDIAN_IS);
	int rc;

	store_bind(s, "s", phone);
	if ((rc = store_step_row(st, s)) == 1)
		db_reset(s);
	return rc;
}

/* --- ladder times and the rows of a day --- */

int
store_checkin_village_put(struct store *st, int64_t village,
    const struct store_checkin_times *t)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_VILLAGE_PUT);

	store_bind(s, "liiii", village, t->due_min, t->guardian_after,
	    t->cadre_after, t->township_min);
	return store_exec_stmt(st, s);
}

int
store_checkin_village_get(struct store *st, int64_t village,
    struct store_checkin_times *out)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_VILLAGE_GET);
	int rc;

	memset(out, 0xff, sizeof *out);		/* every field -1 */
	store_bind(s, "l", village);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == -1 ? -1 : 0;
	out->due_min = db_column_int(s, 0);
	out->guardian_after = db_column_int(s, 1);
	out->cadre_after = db_column_int(s, 2);
	out->township_min = db_column_int(s, 3);
	db_reset(s);
	return 0;
}

int
store_checkin_materialize(struct store *st, int day, time_t midnight,
    time_t next_midnight, const struct store_checkin_times *t,
    int64_t elder_id, time_t now)
{
	struct db_stmt *s;
	int rc, made;

	if (elder_id == 0) {
		s = store_checkin_stmt(st, S_CHECKIN_RUN_HAS);
		store_bind(s, "i", day);
		if ((rc = store_step_row(st, s)) != 0) {
			if (rc == 1)
				db_reset(s);
			return rc == 1 ? 0 : -1;
		}
		s = store_checkin_stmt(st, S_CHECKIN_MATERIALIZE);
		store_bind(s, "illiiiii", day, (int64_t)midnight,
		    (int64_t)next_midnight, t->due_min, t->guardian_after,
		    t->cadre_after, t->township_min, t->prompt_min);
	} else {
		s = store_checkin_stmt(st, S_CHECKIN_MATERIALIZE_ONE);
		store_bind(s, "illiiiiil", day, (int64_t)midnight,
		    (int64_t)next_midnight, t->due_min, t->guardian_after,
		    t->cadre_after, t->township_min, t->prompt_min, elder_id);
	}
	if (store_exec_stmt(st, s) == -1)
		return -1;
	made = db_changes(st->db);
	if (elder_id != 0)
		return made;
	s = store_checkin_stmt(st, S_CHECKIN_RUN_ADD);
	store_bind(s, "ili", day, (int64_t)now, made);
	return store_exec_stmt(st, s) == -1 ? -1 : made;
}

/* Run a one-row day lookup prepared in s. -1 / 0 / 1. */
static int
store_checkin_day_one(struct store *st, struct db_stmt *s,
    struct store_checkin_day *out)
{
	int rc;

	if ((rc = store_step_row(st, s)) == 1) {
		store_checkin_day_row(s, 0, out);
		db_reset(s);
	}
	return rc;
}

int
store_checkin_day_find(struct store *st, int64_t elder, int day,
    struct store_checkin_day *out)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_FIND);

	store_bind(s, "li", elder, day);
	return store_checkin_day_one(st, s, out);
}

int
store_checkin_day_get(struct store *st, int64_t id,
    struct store_checkin_day *out)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_GET);

	store_bind(s, "l", id);
	return store_checkin_day_one(st, s, out);
}

int
store_checkin_day_insert(struct store *st, const struct store_checkin_day *d,
    int64_t *id)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_INSERT);

	store_bind(s, "lisilslss", d->elder_id, d->day, d->status, d->step,
	    (int64_t)d->checked_in_at, d->source, (int64_t)d->resolved_at,
	    d->resolved_by, d->note);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	*id = db_last_insert_id(st->db);
	return 0;
}

int
store_checkin_day_update(struct store *st, const struct store_checkin_day *d)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_UPDATE);

	store_bind(s, "lsillslss", d->id, d->status, d->step,
	    (int64_t)d->next_at, (int64_t)d->checked_in_at, d->source,
	    (int64_t)d->resolved_at, d->resolved_by, d->note);
	return store_exec_stmt(st, s);
}

int
store_checkin_day_due(struct store *st, time_t now, int64_t *ids, int max)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_DUE);

	store_bind(s, "li", (int64_t)now, max);
	return store_ids(st, s, ids, max);
}

int
store_checkin_day_open(struct store *st, int64_t elder, int64_t *ids,
    int max)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_OPEN);

	store_bind(s, "l", elder);
	return store_ids(st, s, ids, max);
}

/* Call cb for each (elder, day) row of s (bound). 0 or -1. */
static int
store_checkin_rows(struct db_stmt *s, store_checkin_cb cb, void *arg)
{
	struct store_elder e;
	struct store_checkin_day d;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		store_elder_row(s, 0, &e);
		store_checkin_day_row(s, STORE_ELDER_NCOLS, &d);
		cb(&e, &d, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_checkin_day_list(struct store *st, int day, const char *village,
    store_checkin_cb cb, void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_LIST);

	store_bind(s, "is", day, village);
	return store_checkin_rows(s, cb, arg);
}

int
store_checkin_day_history(struct store *st, int64_t elder, int max,
    store_checkin_cb cb, void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_HISTORY);

	store_bind(s, "li", elder, max);
	return store_checkin_rows(s, cb, arg);
}

int
store_checkin_day_range(struct store *st, int from, int to,
    const char *village, store_checkin_cb cb, void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_DAY_RANGE);

	store_bind(s, "iis", from, to, village);
	return store_checkin_rows(s, cb, arg);
}

/* --- who a day alerted --- */

int
store_checkin_alert_add(struct store *st, int64_t day_id, const char *phone,
    int step, time_t now, int64_t outbox_id)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_ALERT_ADD);

	store_bind(s, "lsill", day_id, phone, step, (int64_t)now, outbox_id);
	return store_exec_stmt(st, s);
}

int
store_checkin_withdraw(struct store *st, int64_t day_id, time_t now)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_WITHDRAW);

	store_bind(s, "ll", day_id, (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db);
}

int
store_checkin_alerted(struct store *st, int64_t day_id,
    void (*cb)(const char *, void *), void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CHECKIN_ALERTED);
	store_bind(s, "l", day_id);
	return store_phones(st, s, cb, arg);
}

/* --- SOS --- */

int64_t
store_sos_add(struct store *st, int64_t elder, time_t at, time_t next_at)
{
	struct db_stmt *s = store_checkin_stmt(st, S_SOS_ADD);

	store_bind(s, "lll", elder, (int64_t)at, (int64_t)next_at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_last_insert_id(st->db);
}

int
store_sos_due(struct store *st, time_t now, struct store_sos *out, int max)
{
	struct db_stmt *s = store_checkin_stmt(st, S_SOS_DUE);
	int rc = DB_DONE, n = 0;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = db_step(s)) == DB_ROW) {
		out[n].id = db_column_int64(s, 0);
		out[n].elder_id = db_column_int64(s, 1);
		out[n].at = db_column_int64(s, 2);
		out[n].next_at = db_column_int64(s, 3);
		out[n].repeats = db_column_int(s, 4);
		n++;
	}
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	return n;
}

int
store_sos_repeat(struct store *st, int64_t id, time_t next_at)
{
	struct db_stmt *s = store_checkin_stmt(st, S_SOS_REPEAT);

	store_bind(s, "ll", (int64_t)next_at, id);
	return store_exec_stmt(st, s);
}

int
store_sos_resolve(struct store *st, int64_t elder, const char *by,
    time_t now)
{
	struct db_stmt *s = store_checkin_stmt(st, S_SOS_RESOLVE);

	store_bind(s, "lls", elder, (int64_t)now, by);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db);
}

/* --- missed calls --- */

int64_t
store_call_add(struct store *st, const char *modem, const char *number,
    time_t at)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CALL_ADD);

	store_bind(s, "ssl", modem, number, (int64_t)at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_last_insert_id(st->db);
}

int
store_call_list(struct store *st, int max,
    void (*cb)(const struct store_call *, void *), void *arg)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CALL_LIST);
	struct store_call c;
	int rc;

	store_bind(s, "i", max);
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&c, 0, sizeof c);
		c.id = db_column_int64(s, 0);
		store_copy(c.modem, sizeof c.modem, s, 1);
		store_copy(c.number, sizeof c.number, s, 2);
		c.at = db_column_int64(s, 3);
		c.handled = db_column_int(s, 4);
		cb(&c, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_call_handled(struct store *st, int64_t id)
{
	struct db_stmt *s = store_checkin_stmt(st, S_CALL_HANDLED);

	store_bind(s, "l", id);
	return store_exec_stmt(st, s);
}
