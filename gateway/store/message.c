/*
 * store/message — the rows of inbound SMS: each part as it came (deduped
 * by a key of modem, sender, SMSC time, concat ref/total/seq and a hash of
 * the text), the messages reassembled from them, and the counts the
 * router asks of them (repeats, per-sender rates).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_message_stmts {
	S_PART_INSERT,
	S_PART_GROUP,
	S_PART_OPEN,
	S_PART_LINK,
	S_PART_STALE,
	S_MESSAGE_INSERT,
	S_MESSAGE_PENDING,
	S_MESSAGE_GET,
	S_MESSAGE_DONE,
	S_MESSAGE_LIST,
	S_MESSAGE_LIST_SENDER,
	S_MESSAGE_REPEAT,
	S_MESSAGE_COUNT_SINCE,
	S_MESSAGE_OUTCOME_SINCE,
	S_MESSAGE_CLAIM,
	S_MESSAGE_N
};

/* The column binary is quoted: a reserved word in PostgreSQL. */
#define MESSAGE_COLS \
	"id, sender, modem, text, parts, partial, received_at, state," \
	" coalesce(handler, ''), \"binary\""

/* In the routing transaction: still new, and now this node's. */
#define MESSAGE_CLAIM	"SELECT id FROM message WHERE id = ? AND state = 'new'"

static const char *const store_message_sql[S_MESSAGE_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_PART_INSERT] = "INSERT INTO inbound_part (modem,"
	    " dedupe_key, sender, smsc, sent_at, received_at, ref, total, seq,"
	    " text, \"binary\") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT DO NOTHING",
	[S_PART_GROUP] = "SELECT sender, ref, total, modem FROM inbound_part"
	    " WHERE id = ? AND message_id IS NULL",
	/* One row per seq (the first stored), in order. */
	[S_PART_OPEN] = "SELECT f.id, f.seq, f.text, g.r, g.b FROM"
	    " (SELECT min(id) AS id, min(received_at) AS r,"
	    "  max(\"binary\") AS b FROM inbound_part"
	    "  WHERE sender = ? AND ref = ? AND total = ?"
	    "  AND message_id IS NULL GROUP BY seq) AS g"
	    " JOIN inbound_part f ON f.id = g.id ORDER BY f.seq",
	[S_PART_LINK] = "UPDATE inbound_part SET message_id = ?"
	    " WHERE sender = ? AND ref = ? AND total = ?"
	    " AND message_id IS NULL",
	[S_PART_STALE] = "SELECT sender, ref, total, min(modem)"
	    " FROM inbound_part WHERE message_id IS NULL"
	    " GROUP BY sender, ref, total HAVING min(received_at) < ?"
	    " LIMIT 100",
	[S_MESSAGE_INSERT] = "INSERT INTO message (sender, modem, text, parts,"
	    " partial, received_at, \"binary\") VALUES (?, ?, ?, ?, ?, ?, ?)",
	/*
	 * Not those a modem of another live node took: that node routes
	 * them (store_message_claim keeps two from routing one at once).
	 */
	[S_MESSAGE_PENDING] = "SELECT g.id FROM message g WHERE g.state = 'new'"
	    " AND NOT EXISTS (SELECT 1 FROM modem m JOIN node n"
	    "  ON n.name = m.node WHERE m.name = g.modem AND m.node <> ?1"
	    "  AND n.seen_at >= ?2) ORDER BY g.id LIMIT ?3",
	[S_MESSAGE_GET] = "SELECT " MESSAGE_COLS " FROM message WHERE id = ?",
	[S_MESSAGE_CLAIM] = MESSAGE_CLAIM,
	[S_MESSAGE_DONE] = "UPDATE message SET state = 'done', handler = ?,"
	    " handled_at = ? WHERE id = ?",
	[S_MESSAGE_LIST] = "SELECT " MESSAGE_COLS " FROM message"
	    " ORDER BY id DESC LIMIT ?",
	[S_MESSAGE_LIST_SENDER] = "SELECT " MESSAGE_COLS " FROM message"
	    " WHERE sender = ? ORDER BY id DESC LIMIT ?",
	/* The same text from the same sender handled a moment ago. */
	[S_MESSAGE_REPEAT] = "SELECT 1 FROM message WHERE sender = ?1"
	    " AND id < ?2 AND received_at >= ?3 AND text = ?4"
	    " AND state = 'done' AND coalesce(handler, '') <> 'error' LIMIT 1",
	[S_MESSAGE_COUNT_SINCE] = "SELECT count(*) FROM message"
	    " WHERE sender = ? AND modem = ? AND received_at >= ?",
	[S_MESSAGE_OUTCOME_SINCE] = "SELECT count(*) FROM message"
	    " WHERE sender = ?1 AND received_at >= ?3 AND state = 'done'"
	    " AND handler LIKE '%/' || ?2",
};

static const char *const store_message_pg[S_MESSAGE_N] = {
	/*
	 * ENGINE: FOR UPDATE SKIP LOCKED: the row stays locked to the end of
	 * the transaction that routes it; another node routing the same
	 * message at once passes it by rather than answer it twice (SQLite:
	 * BEGIN IMMEDIATE lets one writer in at a time).
	 */
	[S_MESSAGE_CLAIM] = MESSAGE_CLAIM " FOR UPDATE SKIP LOCKED",
};

const struct store_table store_message_table = {
	"message", store_message_sql, S_MESSAGE_N, store_message_pg
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_message_stmt(struct store *st, enum store_message_stmts id)
{
	return store_stmt(st, STORE_T_MESSAGE, id);
}

/* --- inbound parts --- */

int
store_part_insert(struct store *st, const struct store_part *p, int64_t *id)
{
	struct db_stmt *s = store_message_stmt(st, S_PART_INSERT);
	char hash[17], *key, *text, *sender;
	int rc;

	hash_hex(p->text, strlen(p->text), hash);
	/* Kept as text both engines take (PostgreSQL checks UTF-8). */
	text = utf8_scrub(p->text);
	sender = utf8_scrub(p->sender);
	/*
	 * The SMSC time stamp tells a repeat from a part read twice. Without
	 * one (0: unreadable), the SIM location and the time it was stored
	 * stand in, so a second identical 平安 is a message of its own.
	 */
	if (p->sent_at != 0)
		key = xasprintf("%s|%s|%lld|%d/%d/%d|%s", p->modem, sender,
		    (long long)p->sent_at, p->ref, p->total, p->seq, hash);
	else
		key = xasprintf("%s|%s|L%d@%lld|%d/%d/%d|%s", p->modem,
		    sender, p->location, (long long)p->received_at, p->ref,
		    p->total, p->seq, hash);
	store_bind(s, "sssslliiisi", p->modem, key, sender,
	    p->smsc != NULL ? p->smsc : "", (int64_t)p->sent_at,
	    (int64_t)p->received_at, p->ref, p->total, p->seq, text,
	    p->binary);
	rc = store_exec_stmt(st, s);
	free(key);
	free(text);
	free(sender);
	if (rc == -1)
		return -1;
	if (db_changes(st->db) == 0)
		return 0;
	*id = db_last_insert_id(st->db);
	return 1;
}

/*
 * Make a message of the open group (sender, ref, total): the parts it has
 * in seq order, "…" where one is missing when partial. Returns the message
 * id or -1; *have gets how many distinct parts were there.
 */
static int64_t
store_group_close(struct store *st, const char *sender, int ref, int total,
    const char *modem, int partial, time_t now, int *have)
{
	struct db_stmt *s = store_message_stmt(st, S_PART_OPEN);
	struct buf text = { NULL, 0, 0 };
	int64_t mid;
	int rc, seq, expect = 1, n = 0, binary = 0;

	store_bind(s, "sii", sender, ref, total);
	while ((rc = db_step(s)) == DB_ROW) {
		seq = db_column_int(s, 1);
		binary |= db_column_int(s, 4);
		if (seq != expect)
			buf_adds(&text, "…");
		buf_adds(&text, db_column_text(s, 2));
		expect = seq + 1;
		n++;
	}
	db_reset(s);
	if (rc != DB_DONE) {
		buf_free(&text);
		return -1;
	}
	if (partial && expect <= total)
		buf_adds(&text, "…");
	*have = n;
	if (!partial && n < total) {
		buf_free(&text);
		return 0;
	}
	s = store_message_stmt(st, S_MESSAGE_INSERT);
	store_bind(s, "sssiili", sender, modem, text.data != NULL ?
	    text.data : "", total, partial, (int64_t)now, binary);
	rc = store_exec_stmt(st, s);
	buf_free(&text);
	if (rc == -1)
		return -1;
	mid = db_last_insert_id(st->db);
	s = store_message_stmt(st, S_PART_LINK);
	store_bind(s, "lsii", mid, sender, ref, total);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return mid;
}

int
store_part_complete(struct store *st, int64_t part_id, time_t now,
    int64_t *message_id)
{
	struct db_stmt *s = store_message_stmt(st, S_PART_GROUP);
	char sender[PHONE_MAX * 2], modem[64];
	int64_t mid;
	int rc, ref, total, have = 0;

	store_bind(s, "l", part_id);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;	/* -1, or 0: already part of a message */
	store_copy(sender, sizeof sender, s, 0);
	ref = db_column_int(s, 1);
	total = db_column_int(s, 2);
	store_copy(modem, sizeof modem, s, 3);
	db_reset(s);
	if ((mid = store_group_close(st, sender, ref, total, modem, 0, now,
	    &have)) <= 0)
		return mid == 0 ? 0 : -1;
	*message_id = mid;
	return 1;
}

int
store_part_flush_stale(struct store *st, time_t cutoff, time_t now)
{
	struct db_stmt *s = store_message_stmt(st, S_PART_STALE);
	struct stale {
		char	sender[PHONE_MAX * 2];
		char	modem[64];
		int	ref, total;
	} *groups = NULL;
	size_t n = 0, i;
	int rc, have, made = 0;

	store_bind(s, "l", (int64_t)cutoff);
	while ((rc = db_step(s)) == DB_ROW) {
		groups = xrealloc(groups, (n + 1) * sizeof *groups);
		store_copy(groups[n].sender, sizeof groups[n].sender, s, 0);
		groups[n].ref = db_column_int(s, 1);
		groups[n].total = db_column_int(s, 2);
		store_copy(groups[n].modem, sizeof groups[n].modem, s, 3);
		n++;
	}
	db_reset(s);
	if (rc != DB_DONE) {
		free(groups);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (store_group_close(st, groups[i].sender, groups[i].ref,
		    groups[i].total, groups[i].modem, 1, now, &have) < 0) {
			free(groups);
			return -1;
		}
		made++;
	}
	free(groups);
	return made;
}

/* --- messages --- */

int
store_message_pending(struct store *st, int64_t *ids, int max, time_t now)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_PENDING);
	int rc, n = 0;

	store_bind(s, "sli", st->node != NULL ? st->node : "",
	    (int64_t)now - STORE_NODE_LEASE, max);
	while (n < max && (rc = db_step(s)) == DB_ROW)
		ids[n++] = db_column_int64(s, 0);
	db_reset(s);
	return n;
}

static void
store_message_row(struct db_stmt *s, struct store_message *m)
{
	memset(m, 0, sizeof *m);
	m->id = db_column_int64(s, 0);
	store_copy(m->sender, sizeof m->sender, s, 1);
	store_copy(m->modem, sizeof m->modem, s, 2);
	m->text = xstrdup(db_column_text(s, 3));
	m->parts = db_column_int(s, 4);
	m->partial = db_column_int(s, 5);
	m->received_at = (time_t)db_column_int64(s, 6);
	store_copy(m->state, sizeof m->state, s, 7);
	store_copy(m->handler, sizeof m->handler, s, 8);
	m->binary = db_column_int(s, 9);
}

int
store_message_get(struct store *st, int64_t id, struct store_message *out)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_message_row(s, out);
		db_reset(s);
	}
	return rc;
}

void
store_message_clear(struct store_message *m)
{
	free(m->text);
	m->text = NULL;
}

int
store_message_done(struct store *st, int64_t id, const char *handler,
    time_t now)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_DONE);

	store_bind(s, "sll", handler, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int
store_message_claim(struct store *st, int64_t id)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_CLAIM);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1)
		db_reset(s);
	return rc;
}

int
store_message_list(struct store *st, const char *sender, int max,
    void (*cb)(const struct store_message *, void *), void *arg)
{
	struct store_message m;
	struct db_stmt *s;
	int rc;

	if (sender != NULL) {
		s = store_message_stmt(st, S_MESSAGE_LIST_SENDER);
		store_bind(s, "si", sender, max);
	} else {
		s = store_message_stmt(st, S_MESSAGE_LIST);
		store_bind(s, "i", max);
	}
	while ((rc = db_step(s)) == DB_ROW) {
		store_message_row(s, &m);
		cb(&m, arg);
		store_message_clear(&m);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

/* --- what the router counts --- */

int
store_message_repeat(struct store *st, int64_t id, const char *sender,
    const char *text, time_t since)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_REPEAT);
	int rc;

	store_bind(s, "slls", sender, id, (int64_t)since, text);
	if ((rc = store_step_row(st, s)) == 1)
		db_reset(s);
	return rc;
}

int64_t
store_message_count_since(struct store *st, const char *sender,
    const char *modem, time_t since)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_COUNT_SINCE);

	store_bind(s, "ssl", sender, modem, (int64_t)since);
	return store_count_of(st, s);
}

int64_t
store_message_outcome_since(struct store *st, const char *sender,
    const char *outcome, time_t since)
{
	struct db_stmt *s = store_message_stmt(st, S_MESSAGE_OUTCOME_SINCE);

	store_bind(s, "ssl", sender, outcome, (int64_t)since);
	return store_count_of(st, s);
}
