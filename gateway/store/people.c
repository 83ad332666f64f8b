/*
 * store/people — the rows of townships (with their supervisors), villages
 * and people, and what may be done to them: add, find (by code, by a
 * name in a text), list, set roles and the opt-out flag.
 */
#include <stdint.h>
#include <string.h>

#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_people_stmts {
	S_TOWNSHIP_ADD,
	S_TOWNSHIP_ID,
	S_SUPERVISOR_ADD,
	S_SUPERVISORS,
	S_TOWNSHIP_LIST,
	S_VILLAGE_ADD,
	S_VILLAGE_FIND,
	S_VILLAGE_NAMED,
	S_VILLAGE_IN,
	S_VILLAGE_LIST,
	S_PERSON_FIND,
	S_PERSON_INSERT,
	S_PERSON_UPDATE,
	S_PERSON_OPTOUT,
	S_PERSON_LIST,
	S_PERSON_LIST_VILLAGE,
	S_PERSON_CADRES,
	S_PEOPLE_N
};

#define PERSON_COLS \
	"p.id, p.phone, p.name, coalesce(p.village_id, 0)," \
	" coalesce(v.code, ''), coalesce(v.name, ''), p.roles," \
	" p.categories, p.opted_out"

static const char *const store_people_sql[S_PEOPLE_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_TOWNSHIP_ADD] = "INSERT INTO township (code, name, created_at)"
	    " VALUES (?, ?, ?)",
	[S_TOWNSHIP_ID] = "SELECT id FROM township WHERE code = ?",
	[S_SUPERVISOR_ADD] = "INSERT INTO township_supervisor"
	    " (township_id, phone) VALUES (?, ?) ON CONFLICT DO NOTHING",
	[S_SUPERVISORS] = "SELECT s.phone FROM township_supervisor s"
	    " JOIN township t ON t.id = s.township_id WHERE t.code = ?"
	    " ORDER BY s.phone",
	[S_TOWNSHIP_LIST] = "SELECT t.id, t.code, t.name,"
	    " (SELECT count(*) FROM township_supervisor s"
	    "   WHERE s.township_id = t.id),"
	    " (SELECT count(*) FROM village v WHERE v.township_id = t.id)"
	    " FROM township t ORDER BY t.code",
	[S_VILLAGE_ADD] = "INSERT INTO village (code, name, township_id,"
	    " created_at) VALUES (?, ?, ?, ?)",
	/* The code's column compares without case (schema.c, schema_pg.c). */
	[S_VILLAGE_FIND] = "SELECT v.id, v.code, v.name, coalesce(t.code, '')"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE v.code = ?",
	/* The longest village name, or name less its 村, that text starts with. */
	/* instr(): schema_pg.c defines it on PostgreSQL. */
	[S_VILLAGE_NAMED] = "SELECT v.id, v.code, v.name, coalesce(t.code, '')"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE instr(?1, v.name) = 1 OR (v.name LIKE '%村'"
	    "  AND length(v.name) > 2"
	    "  AND instr(?1, substr(v.name, 1, length(v.name) - 1)) = 1)"
	    " ORDER BY length(v.name) DESC LIMIT 1",
	/* The same anywhere in text, or a code of 3 or more. */
	/* instr(): schema_pg.c defines it on PostgreSQL. */
	[S_VILLAGE_IN] = "SELECT v.id, v.code, v.name, coalesce(t.code, '')"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE instr(?1, v.name) > 0 OR (v.name LIKE '%村'"
	    "  AND length(v.name) > 2"
	    "  AND instr(?1, substr(v.name, 1, length(v.name) - 1)) > 0)"
	    "  OR (length(v.code) >= 3 AND instr(upper(?1), upper(v.code)) > 0)"
	    " ORDER BY length(v.name) DESC LIMIT 1",
	[S_VILLAGE_LIST] = "SELECT v.id, v.code, v.name, coalesce(t.code, ''),"
	    " (SELECT count(*) FROM person p WHERE p.village_id = v.id)"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " ORDER BY v.code",
	[S_PERSON_FIND] = "SELECT " PERSON_COLS " FROM person p"
	    " LEFT JOIN village v ON v.id = p.village_id WHERE p.phone = ?",
	[S_PERSON_INSERT] = "INSERT INTO person (phone, name, village_id,"
	    " roles, categories, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_PERSON_UPDATE] = "UPDATE person SET name = ?, village_id = ?,"
	    " roles = ?, categories = ?, updated_at = ? WHERE phone = ?",
	[S_PERSON_OPTOUT] = "UPDATE person SET opted_out = ?, updated_at = ?"
	    " WHERE phone = ?",
	/* People of no village first (PostgreSQL sorts NULLs last). */
	[S_PERSON_LIST] = "SELECT " PERSON_COLS " FROM person p"
	    " LEFT JOIN village v ON v.id = p.village_id"
	    " ORDER BY v.code NULLS FIRST, p.name, p.phone",
	[S_PERSON_LIST_VILLAGE] = "SELECT " PERSON_COLS " FROM person p"
	    " JOIN village v ON v.id = p.village_id WHERE v.code = ?"
	    " ORDER BY p.name, p.phone",
	[S_PERSON_CADRES] = "SELECT " PERSON_COLS " FROM person p"
	    " JOIN village v ON v.id = p.village_id WHERE v.code = ?"
	    " AND (p.roles & 4) != 0 ORDER BY p.name, p.phone",
};

const struct store_table store_people_table = {
	"people", store_people_sql, S_PEOPLE_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_people_stmt(struct store *st, enum store_people_stmts id)
{
	return store_stmt(st, STORE_T_PEOPLE, id);
}

/* --- townships and villages --- */

int
store_township_add(struct store *st, const char *code, const char *name,
    time_t now, char **cause)
{
	struct db_stmt *s = store_people_stmt(st, S_TOWNSHIP_ADD);

	store_bind(s, "ssl", code, name, (int64_t)now);
	if (db_step(s) != DB_DONE) {
		store_insert_cause(st, "township", code, cause);
		db_reset(s);
		return -1;
	}
	db_reset(s);
	return 0;
}

/* The id of township code: -1 / 0 / 1. */
static int
store_township_id(struct store *st, const char *code, int64_t *id)
{
	struct db_stmt *s = store_people_stmt(st, S_TOWNSHIP_ID);
	int rc;

	store_bind(s, "s", code);
	if ((rc = store_step_row(st, s)) == 1) {
		*id = db_column_int64(s, 0);
		db_reset(s);
	}
	return rc;
}

int
store_township_add_supervisor(struct store *st, const char *code,
    const char *phone, char **cause)
{
	struct db_stmt *s;
	int64_t id;

	switch (store_township_id(st, code, &id)) {
	case -1:
		*cause = xasprintf("township %s: %s", code, store_error(st));
		return -1;
	case 0:
		*cause = xasprintf("no township %s", code);
		return -1;
	}
	s = store_people_stmt(st, S_SUPERVISOR_ADD);
	store_bind(s, "ls", id, phone);
	if (store_exec_stmt(st, s) == -1) {
		*cause = xasprintf("township %s: %s", code, store_error(st));
		return -1;
	}
	return 0;
}

int
store_township_supervisors(struct store *st, const char *code,
    void (*cb)(const char *, void *), void *arg)
{
	struct db_stmt *s = store_people_stmt(st, S_SUPERVISORS);

	store_bind(s, "s", code);
	return store_phones(st, s, cb, arg);
}

int
store_township_list(struct store *st,
    void (*cb)(const struct store_township *, void *), void *arg)
{
	struct db_stmt *s = store_people_stmt(st, S_TOWNSHIP_LIST);
	struct store_township t;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		memset(&t, 0, sizeof t);
		t.id = db_column_int64(s, 0);
		store_copy(t.code, sizeof t.code, s, 1);
		store_copy(t.name, sizeof t.name, s, 2);
		t.supervisors = db_column_int(s, 3);
		t.villages = db_column_int(s, 4);
		cb(&t, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_village_add(struct store *st, const char *code, const char *name,
    const char *township, time_t now, char **cause)
{
	struct db_stmt *s;
	int64_t tid = 0;

	if (township != NULL) {
		switch (store_township_id(st, township, &tid)) {
		case -1:
			*cause = xasprintf("township %s: %s", township,
			    store_error(st));
			return -1;
		case 0:
			*cause = xasprintf("no township %s", township);
			return -1;
		}
	}
	s = store_people_stmt(st, S_VILLAGE_ADD);
	store_bind(s, "ssnl", code, name, tid, (int64_t)now);
	if (db_step(s) != DB_DONE) {
		store_insert_cause(st, "village", code, cause);
		db_reset(s);
		return -1;
	}
	db_reset(s);
	return 0;
}

static void
store_village_row(struct db_stmt *s, struct store_village *v)
{
	memset(v, 0, sizeof *v);
	v->id = db_column_int64(s, 0);
	store_copy(v->code, sizeof v->code, s, 1);
	store_copy(v->name, sizeof v->name, s, 2);
	store_copy(v->township, sizeof v->township, s, 3);
}

/* The village statement which finds for arg: -1 / 0 / 1. */
static int
store_village_one(struct store *st, enum store_people_stmts which,
    const char *arg, struct store_village *out)
{
	struct db_stmt *s = store_people_stmt(st, which);
	int rc;

	store_bind(s, "s", arg);
	if ((rc = store_step_row(st, s)) == 1) {
		store_village_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_village_find(struct store *st, const char *code,
    struct store_village *out)
{
	return store_village_one(st, S_VILLAGE_FIND, code, out);
}

int
store_village_named(struct store *st, const char *text,
    struct store_village *out)
{
	return store_village_one(st, S_VILLAGE_NAMED, text, out);
}

int
store_village_in(struct store *st, const char *text,
    struct store_village *out)
{
	return store_village_one(st, S_VILLAGE_IN, text, out);
}

int
store_village_list(struct store *st,
    void (*cb)(const struct store_village *, int, void *), void *arg)
{
	struct db_stmt *s = store_people_stmt(st, S_VILLAGE_LIST);
	struct store_village v;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		store_village_row(s, &v);
		cb(&v, db_column_int(s, 4), arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

/* --- people --- */

static void
store_person_row(struct db_stmt *s, struct store_person *p)
{
	memset(p, 0, sizeof *p);
	p->id = db_column_int64(s, 0);
	store_copy(p->phone, sizeof p->phone, s, 1);
	store_copy(p->name, sizeof p->name, s, 2);
	p->village_id = db_column_int64(s, 3);
	store_copy(p->village, sizeof p->village, s, 4);
	store_copy(p->village_name, sizeof p->village_name, s, 5);
	p->roles = (unsigned)db_column_int(s, 6);
	store_copy(p->categories, sizeof p->categories, s, 7);
	p->opted_out = db_column_int(s, 8);
}

int
store_person_find(struct store *st, const char *phone,
    struct store_person *out)
{
	struct db_stmt *s = store_people_stmt(st, S_PERSON_FIND);
	int rc;

	store_bind(s, "s", phone);
	if ((rc = store_step_row(st, s)) == 1) {
		store_person_row(s, out);
		db_reset(s);
	}
	return rc;
}

int
store_person_put(struct store *st, const char *phone, const char *name,
    const char *village, unsigned roles, const char *categories,
    time_t now, char **cause)
{
	struct store_village v;
	struct store_person p;
	struct db_stmt *s;
	int64_t vid = 0;
	int found;

	if (village != NULL) {
		switch (store_village_find(st, village, &v)) {
		case -1:
			*cause = xasprintf("village %s: %s", village,
			    store_error(st));
			return -1;
		case 0:
			*cause = xasprintf("no village %s", village);
			return -1;
		}
		vid = v.id;
	}
	if ((found = store_person_find(st, phone, &p)) == -1) {
		*cause = xasprintf("%s: %s", phone, store_error(st));
		return -1;
	}
	if (found) {
		s = store_people_stmt(st, S_PERSON_UPDATE);
		store_bind(s, "snisls", name, vid, (int)roles,
		    categories != NULL ? categories : "", (int64_t)now, phone);
	} else {
		s = store_people_stmt(st, S_PERSON_INSERT);
		store_bind(s, "ssnisll", phone, name, vid, (int)roles,
		    categories != NULL ? categories : "", (int64_t)now,
		    (int64_t)now);
	}
	if (store_exec_stmt(st, s) == -1) {
		*cause = xasprintf("%s: %s", phone, store_error(st));
		return -1;
	}
	return found ? 0 : 1;
}

int
store_person_set_opted_out(struct store *st, const char *phone,
    int opted_out, time_t now)
{
	struct db_stmt *s = store_people_stmt(st, S_PERSON_OPTOUT);

	store_bind(s, "ils", opted_out ? 1 : 0, (int64_t)now, phone);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db) > 0 ? 1 : 0;
}

/* The rows of s, bound, each to cb. 0 or -1. */
static int
store_person_rows(struct db_stmt *s,
    void (*cb)(const struct store_person *, void *), void *arg)
{
	struct store_person p;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		store_person_row(s, &p);
		cb(&p, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_person_cadres(struct store *st, const char *village,
    void (*cb)(const struct store_person *, void *), void *arg)
{
	struct db_stmt *s = store_people_stmt(st, S_PERSON_CADRES);

	store_bind(s, "s", village);
	return store_person_rows(s, cb, arg);
}

int
store_person_list(struct store *st, const char *village,
    void (*cb)(const struct store_person *, void *), void *arg)
{
	struct db_stmt *s;

	if (village != NULL) {
		s = store_people_stmt(st, S_PERSON_LIST_VILLAGE);
		store_bind(s, "s", village);
	} else
		s = store_people_stmt(st, S_PERSON_LIST);
	return store_person_rows(s, cb, arg);
}
