/*
 * store/outbox — the rows of outbound SMS: a queued row moves through
 * sending to sent, failed, expired or withdrawn; each part that went has
 * an outbox_part row with the network's reference, which status reports
 * settle (delivery), and which tells a message in doubt part by part.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_outbox_stmts {
	S_OUTBOX_ADD,
	S_OUTBOX_DUE,
	S_OUTBOX_GET,
	S_OUTBOX_SENDING,
	S_OUTBOX_SENT,
	S_OUTBOX_RETRY,
	S_OUTBOX_DOUBT,
	S_OUTBOX_FINAL,
	S_OUTBOX_DEFER,
	S_OUTBOX_IN_FLIGHT,
	S_OUTBOX_IN_FLIGHT_TO,
	S_OUTBOX_COUNT_SINCE,
	S_OUTBOX_EXPIRE,
	S_OUTBOX_LIST,
	S_OUTBOX_LIST_STATE,
	S_OUTBOX_PART_ADD,
	S_OUTBOX_PART_SENT,
	S_OUTBOX_PARTS_TAKEN,
	S_OUTBOX_PARTS_ON_RECORD,
	S_OUTBOX_REPORT,
	S_OUTBOX_DELIVERED,
	S_OUTBOX_PARTS_SINCE,
	S_OUTBOX_SETTLE,
	S_OUTBOX_SETTLE_PART,
	S_OUTBOX_N
};

#define OUTBOX_COLS \
	"id, recipient, text, class, state, attempts, created_at," \
	" next_attempt_at, expires_at, coalesce(sent_at, 0)," \
	" coalesce(modem, ''), parts, msgref, last_error," \
	" coalesce(message_id, 0), delivery, coalesce(delivered_at, 0)," \
	" waiting, encoded_parts"
/* ENGINE: upsert (ON CONFLICT ... excluded) */
#define OUTBOX_PART_UPSERT \
	"ON CONFLICT (outbox_id, seq) DO UPDATE SET" \
	" status = CASE WHEN outbox_part.modem = excluded.modem" \
	"  AND outbox_part.msgref = excluded.msgref THEN outbox_part.status" \
	"  ELSE 'sent' END," \
	" reported_at = CASE WHEN outbox_part.modem = excluded.modem" \
	"  AND outbox_part.msgref = excluded.msgref" \
	"  THEN outbox_part.reported_at END," \
	" sent_at = CASE WHEN outbox_part.modem = excluded.modem" \
	"  AND outbox_part.msgref = excluded.msgref" \
	"  THEN outbox_part.sent_at ELSE excluded.sent_at END," \
	" modem = excluded.modem, msgref = excluded.msgref," \
	" recipient = excluded.recipient"

static const char *const store_outbox_sql[S_OUTBOX_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_OUTBOX_ADD] = "INSERT INTO outbox (recipient, text, class,"
	    " created_at, next_attempt_at, expires_at, message_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_OUTBOX_DUE] = "SELECT id FROM outbox WHERE state = 0"
	    " AND next_attempt_at <= ? ORDER BY class, id LIMIT ?",
	[S_OUTBOX_GET] = "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?",
	/* A claim: the node and its lease (store/node.c) go with it. */
	[S_OUTBOX_SENDING] = "UPDATE outbox SET state = 1, modem = ?1,"
	    " sent_at = ?2, encoded_parts = ?3, waiting = '', node = ?5,"
	    " lease_until = ?6 WHERE id = ?4 AND state = 0",
	[S_OUTBOX_SENT] = "UPDATE outbox SET state = 2, parts = ?, msgref = ?,"
	    " sent_at = ?, last_error = '' WHERE id = ?",
	/* In doubt: sent_at keeps when it was handed over (S_OUTBOX_SETTLE). */
	[S_OUTBOX_DOUBT] = "UPDATE outbox SET state = 0,"
	    " attempts = attempts + 1, next_attempt_at = ?1, last_error = ?2,"
	    " doubt_ref = (SELECT msgref FROM outbox_part WHERE modem ="
	    "  (SELECT modem FROM outbox WHERE id = ?3)"
	    "  ORDER BY sent_at DESC, rowid DESC LIMIT 1)"
	    " WHERE id = ?3",

	[S_OUTBOX_RETRY] = "UPDATE outbox SET state = 0, sent_at = NULL,"
	    " attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
	    " WHERE id = ?",
	[S_OUTBOX_FINAL] = "UPDATE outbox SET state = ?, last_error = ?,"
	    " sent_at = NULL, attempts = attempts + ? WHERE id = ?",
	[S_OUTBOX_DEFER] = "UPDATE outbox SET next_attempt_at = ?,"
	    " waiting = ? WHERE id = ? AND state = 0",
	/* A node's own (NULL: a tool's, or from before nodes). */
	[S_OUTBOX_IN_FLIGHT] = "SELECT id FROM outbox WHERE state = 1"
	    " AND (node = ?1 OR node IS NULL) ORDER BY id LIMIT ?2",
	[S_OUTBOX_IN_FLIGHT_TO] = "SELECT count(*) FROM outbox WHERE state = 1"
	    " AND modem = ? AND recipient = ?",
	/* Sending rows carry the time they were handed over in sent_at. */
	[S_OUTBOX_COUNT_SINCE] = "SELECT count(*) FROM outbox"
	    " WHERE recipient = ? AND state IN (1, 2) AND sent_at >= ?",
	[S_OUTBOX_EXPIRE] = "UPDATE outbox SET state = 4, last_error ="
	    " CASE WHEN last_error = '' THEN 'expired' ELSE last_error END"
	    " WHERE state = 0 AND expires_at <= ?",
	[S_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox"
	    " ORDER BY id DESC LIMIT ?",
	[S_OUTBOX_LIST_STATE] = "SELECT " OUTBOX_COLS " FROM outbox"
	    " WHERE state = ? ORDER BY id DESC LIMIT ?",
	/*
	 * A part on record again (the result after the part's own word, or a
	 * new attempt): the same part keeps its report, another starts anew.
	 */
	/* ENGINE: upsert (OUTBOX_PART_UPSERT) */
	[S_OUTBOX_PART_ADD] = "INSERT INTO outbox_part (outbox_id, seq,"
	    " modem, msgref, recipient, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " " OUTBOX_PART_UPSERT,
	/* ENGINE: upsert (OUTBOX_PART_UPSERT) */
	[S_OUTBOX_PART_SENT] = "INSERT INTO outbox_part (outbox_id, seq,"
	    " modem, msgref, recipient, sent_at) SELECT ?1, ?2, ?3, ?4,"
	    " recipient, ?5 FROM outbox WHERE id = ?1 " OUTBOX_PART_UPSERT,
	[S_OUTBOX_PARTS_TAKEN] = "SELECT count(*) FROM outbox_part"
	    " WHERE outbox_id = ? AND sent_at >= ?",
	[S_OUTBOX_PARTS_ON_RECORD] = "SELECT seq, modem FROM outbox_part"
	    " WHERE outbox_id = ? ORDER BY sent_at DESC, seq DESC",
	/*
	 * The newest part with that reference (references wrap at 256) that
	 * has no final report yet, or has this very one (read again after a
	 * crash before its ack): a final report of another time is news of
	 * a newer part with the same reference, one perhaps not on record
	 * (its worker died before saying it went), not of this stale one.
	 */
	/* ENGINE: rowid */
	/* ENGINE: UPDATE ... RETURNING */
	[S_OUTBOX_REPORT] = "UPDATE outbox_part SET status = ?1,"
	    " reported_at = ?2 WHERE rowid = (SELECT rowid FROM outbox_part"
	    " WHERE modem = ?3 AND msgref = ?4 AND (?5 = '' OR recipient = ?5)"
	    " AND (status NOT IN ('delivered', 'failed') OR reported_at = ?2)"
	    " ORDER BY sent_at DESC, outbox_id DESC LIMIT 1)"
	    " RETURNING outbox_id",
	/* An outbox row is delivered when every part is; failed if any is. */
	[S_OUTBOX_DELIVERED] = "UPDATE outbox SET delivery = CASE"
	    " WHEN (SELECT count(*) FROM outbox_part p WHERE p.outbox_id = ?1"
	    "   AND p.status = 'failed') > 0 THEN 'failed'"
	    " WHEN (SELECT count(*) FROM outbox_part p WHERE p.outbox_id = ?1"
	    "   AND p.status = 'delivered') >= parts THEN 'delivered'"
	    " ELSE 'pending' END,"
	    " delivered_at = CASE WHEN (SELECT count(*) FROM outbox_part p"
	    "   WHERE p.outbox_id = ?1 AND p.status = 'delivered') >= parts"
	    "   THEN ?2 ELSE delivered_at END WHERE id = ?1",
	[S_OUTBOX_PARTS_SINCE] = "SELECT coalesce(sum(parts), 0) FROM outbox"
	    " WHERE modem = ? AND state IN (1, 2) AND sent_at >= ?",
	/*
	 * The row in doubt a report of reference ?4 may be a part of: none
	 * of its parts on record has ?4; and ?4 lies just after its doubt_ref:
	 * the part in the air took one of the few references after the last
	 * its modem had on record when the doubt began, so the report of a
	 * newer doubt is not taken for an older one's. Without a doubt_ref
	 * (none on record then): none of its parts lies further from ?4 than
	 * the row has parts (a modem numbers a message's parts one after
	 * another, modulo 256) — a test that parts sent again on a later
	 * attempt, under newer references, would fail. The nearest doubt_ref
	 * first; then one with parts on record (it was in the air); then the
	 * first handed over (a worker sends its jobs in the order it got
	 * them, so only the first of those cut short can have been in the
	 * air).
	 */
	/* Scalar min() and max(): schema_pg.c defines them on PostgreSQL. */
	[S_OUTBOX_SETTLE] = "SELECT o.id FROM outbox o WHERE o.state = 0"
	    " AND o.modem = ?1 AND o.recipient = ?2 AND o.last_error = ?3"
	    " AND NOT EXISTS (SELECT 1 FROM outbox_part p"
	    "  WHERE p.outbox_id = o.id AND (p.msgref = ?4"
	    "  OR (o.doubt_ref IS NULL AND min((?4 - p.msgref + 256) % 256,"
	    "  (p.msgref - ?4 + 256) % 256) >= max(o.encoded_parts, 1))))"
	    " AND (o.doubt_ref IS NULL"
	    "  OR (?4 - o.doubt_ref + 256) % 256 BETWEEN 1 AND 8)"
	    " ORDER BY coalesce((?4 - o.doubt_ref + 256) % 256, 256),"
	    " EXISTS (SELECT 1 FROM outbox_part p WHERE p.outbox_id = o.id)"
	    " DESC, o.sent_at, o.id LIMIT 1",
	/*
	 * A row settled by one part's report, with fewer parts proven than it
	 * encodes into, whose proven parts all have references near ?3: a
	 * modem numbers the parts of one message one after another (TP-MR,
	 * modulo 256), so all its references lie within encoded_parts - 1 of
	 * each other, and ?3 is another part of it.
	 */
	/* ENGINE: scalar min() (PostgreSQL: LEAST) */
	/* ENGINE: UPDATE ... RETURNING */
	[S_OUTBOX_SETTLE_PART] = "UPDATE outbox SET parts = parts + 1"
	    " WHERE id = (SELECT o.id FROM outbox o WHERE o.recipient = ?2"
	    " AND o.sent_at >= ?4 AND o.state = 2 AND o.modem = ?1"
	    " AND o.parts < o.encoded_parts AND o.parts > 0 AND NOT EXISTS"
	    " (SELECT 1 FROM outbox_part p WHERE p.outbox_id = o.id"
	    " AND (p.msgref = ?3 OR min((?3 - p.msgref + 256) % 256,"
	    " (p.msgref - ?3 + 256) % 256) >= o.encoded_parts))"
	    " ORDER BY o.id DESC LIMIT 1) RETURNING id, parts, sent_at",
};

static const char *const store_outbox_pg[S_OUTBOX_N] = {
	/*
	 * ENGINE: FOR UPDATE SKIP LOCKED. Two nodes may pick the same due
	 * row at once; the one that loses skips it rather than wait for the
	 * other's claim to commit (SQLite: one writer, nothing to skip).
	 */
	[S_OUTBOX_SENDING] = "UPDATE outbox SET state = 1, modem = ?1,"
	    " sent_at = ?2, encoded_parts = ?3, waiting = '', node = ?5,"
	    " lease_until = ?6 WHERE id = (SELECT c.id FROM outbox c"
	    " WHERE c.id = ?4 AND c.state = 0 FOR UPDATE SKIP LOCKED)",
};

const struct store_table store_outbox_table = {
	"outbox", store_outbox_sql, S_OUTBOX_N, store_outbox_pg
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_outbox_stmt(struct store *st, enum store_outbox_stmts id)
{
	return store_stmt(st, STORE_T_OUTBOX, id);
}

static const char *const store_state_names[] = {
	"queued", "sending", "sent", "failed", "expired", "withdrawn"
};

/* --- queued rows and their states --- */

int64_t
store_outbox_add(struct store *st, const char *recipient, const char *text,
    enum outbox_class class, time_t not_before, time_t expires,
    int64_t message_id, time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_ADD);

	store_bind(s, "ssillln", recipient, text, (int)class, (int64_t)now,
	    (int64_t)not_before, (int64_t)expires, message_id);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_last_insert_id(st->db);
}

int
store_outbox_due(struct store *st, time_t now, int64_t *ids, int max)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_DUE);
	int rc = DB_DONE, n = 0;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = db_step(s)) == DB_ROW)
		ids[n++] = db_column_int64(s, 0);
	db_reset(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	return n;
}

static void
store_outbox_row(struct db_stmt *s, struct store_outbox *o)
{
	memset(o, 0, sizeof *o);
	o->id = db_column_int64(s, 0);
	store_copy(o->recipient, sizeof o->recipient, s, 1);
	o->text = xstrdup(db_column_text(s, 2));
	o->class = db_column_int(s, 3);
	o->state = db_column_int(s, 4);
	o->attempts = db_column_int(s, 5);
	o->created_at = db_column_int64(s, 6);
	o->next_attempt_at = db_column_int64(s, 7);
	o->expires_at = db_column_int64(s, 8);
	o->sent_at = db_column_int64(s, 9);
	store_copy(o->modem, sizeof o->modem, s, 10);
	o->parts = db_column_int(s, 11);
	o->msgref = db_column_int(s, 12);
	store_copy(o->last_error, sizeof o->last_error, s, 13);
	o->message_id = db_column_int64(s, 14);
	store_copy(o->delivery, sizeof o->delivery, s, 15);
	o->delivered_at = db_column_int64(s, 16);
	store_copy(o->waiting, sizeof o->waiting, s, 17);
	o->encoded_parts = db_column_int(s, 18);
}

int
store_outbox_get(struct store *st, int64_t id, struct store_outbox *out)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_outbox_row(s, out);
		db_reset(s);
	}
	return rc;
}

void
store_outbox_clear(struct store_outbox *o)
{
	free(o->text);
	o->text = NULL;
}

int
store_outbox_mark_sending(struct store *st, int64_t id, const char *modem,
    int parts, time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_SENDING);

	store_bind(s, "slilsl", modem, (int64_t)now, parts, id, st->node,
	    (int64_t)now + STORE_NODE_LEASE);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db) == 1 ? 0 : -1;
}

int
store_outbox_mark_sent(struct store *st, int64_t id, int parts, int msgref,
    time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_SENT);

	store_bind(s, "iill", parts, msgref, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_mark_retry(struct store *st, int64_t id, time_t next,
    const char *error)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_RETRY);

	store_bind(s, "lsl", (int64_t)next, error, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_mark_doubt(struct store *st, int64_t id, time_t next,
    const char *why)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_DOUBT);

	store_bind(s, "lsl", (int64_t)next, why, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_mark_final(struct store *st, int64_t id,
    enum outbox_state state, const char *error, time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_FINAL);

	(void)now;
	store_bind(s, "isil", (int)state, error != NULL ? error : "",
	    state == OUTBOX_FAILED ? 1 : 0, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_defer(struct store *st, int64_t id, time_t next,
    const char *why)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_DEFER);

	store_bind(s, "lsl", (int64_t)next, why, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_sending(struct store *st, int64_t *ids, int max)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_IN_FLIGHT);

	store_bind(s, "si", st->node, max);
	return store_ids(st, s, ids, max);
}

int
store_outbox_expire(struct store *st, time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_EXPIRE);

	store_bind(s, "l", (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db);
}

int
store_outbox_in_flight_to(struct store *st, const char *modem,
    const char *recipient)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_IN_FLIGHT_TO);

	store_bind(s, "ss", modem, recipient);
	return (int)store_count_of(st, s);
}

int
store_outbox_count_since(struct store *st, const char *recipient,
    time_t since)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_COUNT_SINCE);
	int rc, n;

	store_bind(s, "sl", recipient, (int64_t)since);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? 0 : -1;
	n = db_column_int(s, 0);
	db_reset(s);
	return n;
}

int
store_outbox_list(struct store *st, const char *state, int max,
    void (*cb)(const struct store_outbox *, void *), void *arg)
{
	struct store_outbox o;
	struct db_stmt *s;
	int rc, sv;

	if (state != NULL) {
		if ((sv = store_outbox_state_parse(state)) == -1)
			return -1;
		s = store_outbox_stmt(st, S_OUTBOX_LIST_STATE);
		store_bind(s, "ii", sv, max);
	} else {
		s = store_outbox_stmt(st, S_OUTBOX_LIST);
		store_bind(s, "i", max);
	}
	while ((rc = db_step(s)) == DB_ROW) {
		store_outbox_row(s, &o);
		cb(&o, arg);
		store_outbox_clear(&o);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

const char *
store_outbox_state_name(enum outbox_state state)
{
	if ((unsigned)state >= sizeof store_state_names /
	    sizeof store_state_names[0])
		return "unknown";
	return store_state_names[state];
}

int
store_outbox_state_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof store_state_names /
	    sizeof store_state_names[0]; i++)
		if (strcmp(name, store_state_names[i]) == 0)
			return (int)i;
	return -1;
}

/* --- parts, their references and reports --- */

int
store_outbox_part_sent(struct store *st, int64_t id, int seq,
    const char *modem, int msgref, time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_PART_SENT);

	store_bind(s, "lisil", id, seq, modem, msgref, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_outbox_parts_taken(struct store *st, int64_t id, time_t since)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_PARTS_TAKEN);

	store_bind(s, "ll", id, (int64_t)since);
	return (int)store_count_of(st, s);
}

int
store_outbox_parts_on_record(struct store *st, int64_t id, char *modem,
    size_t len, uint64_t *mask)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_PARTS_ON_RECORD);
	const char *m;
	int rc, seq, n = 0;

	*mask = 0;
	modem[0] = '\0';
	store_bind(s, "l", id);
	while ((rc = db_step(s)) == DB_ROW) {
		seq = db_column_int(s, 0);
		m = db_column_text(s, 1);
		if (n++ == 0)
			snprintf(modem, len, "%s", m != NULL ? m : "");
		if (m != NULL && strcmp(m, modem) == 0 && seq >= 1 &&
		    seq <= 64)
			*mask |= UINT64_C(1) << (seq - 1);
	}
	db_reset(s);
	if (rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return n;
}

int
store_outbox_add_part(struct store *st, int64_t id, int seq,
    const char *modem, int msgref, const char *recipient, time_t now)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_PART_ADD);

	store_bind(s, "lisisl", id, seq, modem, msgref, recipient,
	    (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_outbox_report(struct store *st, const char *modem, int msgref,
    const char *recipient, const char *status, time_t at, int64_t *id)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_REPORT);
	int rc;

	store_bind(s, "slsis", status, (int64_t)at, modem, msgref,
	    recipient != NULL ? recipient : "");
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	*id = db_column_int64(s, 0);
	db_reset(s);
	s = store_outbox_stmt(st, S_OUTBOX_DELIVERED);
	store_bind(s, "ll", *id, (int64_t)at);
	return store_exec_stmt(st, s) == -1 ? -1 : 1;
}

int
store_outbox_parts_since(struct store *st, const char *modem, time_t since)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_PARTS_SINCE);
	int rc, n;

	store_bind(s, "sl", modem, (int64_t)since);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? 0 : -1;
	n = db_column_int(s, 0);
	db_reset(s);
	return n;
}

int
store_outbox_marked(struct store *st, const char *modem,
    const char *recipient, const char *marker, int msgref, int64_t *id)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_SETTLE);
	int rc;

	store_bind(s, "sssi", modem, recipient, marker, msgref);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	*id = db_column_int64(s, 0);
	db_reset(s);
	return 1;
}

int
store_outbox_settle_part(struct store *st, const char *modem,
    const char *recipient, int msgref, time_t since, int64_t *id, int *seq,
    time_t *sent_at)
{
	struct db_stmt *s = store_outbox_stmt(st, S_OUTBOX_SETTLE_PART);
	int rc;

	store_bind(s, "ssil", modem, recipient, msgref, (int64_t)since);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	*id = db_column_int64(s, 0);
	*seq = db_column_int(s, 1);
	*sent_at = (time_t)db_column_int64(s, 2);
	db_reset(s);
	return 1;
}
