/*
 * store/stats — the audit trail, named counters, and the read-only
 * counts and metrics of `cungatectl stats` and /metrics: the whole
 * tables' counts for `cungatectl stats`, and the live rows' counts, each
 * an index range, for the pages (issue 16).
 */
#include <stdint.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"

enum store_stats_stmts {
	S_AUDIT,
	S_COUNTER_ADD,
	S_LIVE_OUTBOX,
	S_LIVE_PENDING,
	S_LIVE_TICKETS,
	S_LIVE_OVERDUE,
	S_STATS_N
};

static const char *const store_stats_sql[S_STATS_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	[S_AUDIT] = "INSERT INTO audit (at, actor, channel, action, object,"
	    " detail) VALUES (?, ?, ?, ?, ?, ?)",
	/* ENGINE: upsert (ON CONFLICT) */
	[S_COUNTER_ADD] = "INSERT INTO counter (name, value) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET value = counter.value + ?2",
	/*
	 * Queued and sending: all of them (outbox_due, leading with state);
	 * sent since ?1 by its time (outbox_sent, +state as in report.c);
	 * the other ends since ?1 by their last try (outbox_due).
	 */
	[S_LIVE_OUTBOX] = "SELECT state, class, count(*) FROM outbox"
	    " WHERE state IN (0, 1) GROUP BY 1, 2"
	    " UNION ALL SELECT 2, class, count(*) FROM outbox"
	    " WHERE sent_at >= ?1 AND +state = 2 GROUP BY 2"
	    " UNION ALL SELECT state, class, count(*) FROM outbox"
	    " WHERE state IN (3, 4, 5) AND next_attempt_at >= ?1"
	    " GROUP BY 1, 2",
	[S_LIVE_PENDING] = "SELECT count(*) FROM message WHERE state = 'new'",
	/* Not done (ticket_status, leading with status). */
	[S_LIVE_TICKETS] = "SELECT count(*) FROM ticket WHERE status IN"
	    " ('open', 'accepted', 'reopened', 'returned')",
	[S_LIVE_OVERDUE] = "SELECT count(*) FROM ticket"
	    " WHERE (status = 'open' AND accept_due < ?1) OR"
	    " (status = 'accepted' AND resolve_due < ?1)",
};

const struct store_table store_stats_table = {
	"stats", store_stats_sql, S_STATS_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_stats_stmt(struct store *st, enum store_stats_stmts id)
{
	return store_stmt(st, STORE_T_STATS, id);
}

/* --- audit and counters --- */

int
store_audit(struct store *st, time_t now, const char *actor,
    const char *channel, const char *action, const char *object,
    const char *detail)
{
	struct db_stmt *s = store_stats_stmt(st, S_AUDIT);

	store_bind(s, "lsssss", (int64_t)now, actor, channel, action, object,
	    detail);
	return store_exec_stmt(st, s);
}

int
store_counter_add(struct store *st, const char *name, int64_t n)
{
	struct db_stmt *s = store_stats_stmt(st, S_COUNTER_ADD);

	store_bind(s, "sl", name, n);
	return store_exec_stmt(st, s);
}

/* --- stats --- */

/* One integer from an ad-hoc counting query (stats only, not hot). */
static int
store_count(struct store *st, const char *sql, int64_t *out)
{
	struct db_stmt *s;
	int rc;

	if ((s = db_prepare(st->db, sql, 0)) == NULL)
		return -1;
	if ((rc = db_step(s)) == DB_ROW)
		*out = db_column_int64(s, 0);
	db_finalize(s);
	return rc == DB_ROW ? 0 : -1;
}

int
store_stats(struct store *st, struct store_stats *out)
{
	struct db_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_count(st, "SELECT count(*) FROM inbound_part",
	    &out->parts_in) == -1 ||
	    store_count(st, "SELECT count(*) FROM message",
	    &out->messages_in) == -1 ||
	    store_count(st, "SELECT count(*) FROM message WHERE partial != 0",
	    &out->messages_partial) == -1 ||
	    store_count(st, "SELECT count(*) FROM message WHERE state = 'new'",
	    &out->messages_pending) == -1 ||
	    store_count(st, "SELECT coalesce(sum(parts), 0) FROM outbox"
	    " WHERE state = 2", &out->parts_out) == -1 ||
	    store_count(st, "SELECT count(*) FROM person",
	    &out->people) == -1 ||
	    store_count(st, "SELECT count(*) FROM village",
	    &out->villages) == -1)
		return -1;
	if ((s = db_prepare(st->db, "SELECT state, class, count(*)"
	    " FROM outbox GROUP BY state, class", 0)) == NULL)
		return -1;
	while ((rc = db_step(s)) == DB_ROW) {
		int state = db_column_int(s, 0);
		int class = db_column_int(s, 1);
		int64_t n = db_column_int64(s, 2);

		if (state >= 0 && state < OUTBOX_NSTATES)
			out->outbox[state] += n;
		if (state == OUTBOX_QUEUED && class >= 0 &&
		    class < OUTBOX_NCLASSES)
			out->queued_by_class[class] += n;
	}
	db_finalize(s);
	return rc == DB_DONE ? 0 : -1;
}

/* The first column of the one row s gives, or -1. */
static int
store_stats_one(struct store *st, struct db_stmt *s, int64_t *out)
{
	int rc;

	if ((rc = db_step(s)) == DB_ROW)
		*out = db_column_int64(s, 0);
	db_reset(s);
	if (rc != DB_ROW) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return 0;
}

int
store_stats_live(struct store *st, time_t now, time_t since,
    struct store_live *out)
{
	struct db_stmt *s;
	int state, class, rc;
	int64_t n;

	memset(out, 0, sizeof *out);
	s = store_stats_stmt(st, S_LIVE_OUTBOX);
	store_bind(s, "l", (int64_t)since);
	while ((rc = db_step(s)) == DB_ROW) {
		state = db_column_int(s, 0);
		class = db_column_int(s, 1);
		n = db_column_int64(s, 2);
		if (state >= 0 && state < OUTBOX_NSTATES)
			out->outbox[state] += n;
		if (state == OUTBOX_QUEUED && class >= 0 &&
		    class < OUTBOX_NCLASSES)
			out->queued_by_class[class] += n;
	}
	db_reset(s);
	if (rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	if (store_stats_one(st, store_stats_stmt(st, S_LIVE_PENDING),
	    &out->messages_pending) == -1 ||
	    store_stats_one(st, store_stats_stmt(st, S_LIVE_TICKETS),
	    &out->tickets_open) == -1)
		return -1;
	s = store_stats_stmt(st, S_LIVE_OVERDUE);
	store_bind(s, "l", (int64_t)now);
	return store_stats_one(st, s, &out->tickets_overdue);
}

/* --- metrics (issue 7): fixed queries, read by gateway/http.c --- */

static const char *const store_metric_sql[STORE_METRIC_N] = {
	/* ENGINE: ?NNN parameters (PostgreSQL: $n) */
	/*
	 * Counts of messages and sends from the modem tally (schema.c's
	 * migration 19), not the rows: what went through, a few rows read.
	 */
	[STORE_METRIC_IN_BY_MODEM] = "SELECT modem, '', n FROM modem_tally"
	    " WHERE what = 0 ORDER BY modem",
	[STORE_METRIC_OUT_BY_MODEM] = "SELECT modem, k, n FROM modem_tally"
	    " WHERE what = 3 ORDER BY modem, k",
	[STORE_METRIC_RETRIES] = "SELECT '', '', coalesce(sum(n), 0)"
	    " FROM modem_tally WHERE what = 5",
	/* A latency in seconds (the value), and how many sends took it. */
	[STORE_METRIC_SEND_LATENCY] = "SELECT '', n, k FROM modem_tally"
	    " WHERE what = 6 AND n > 0",
	[STORE_METRIC_TICKETS] = "SELECT status, '', count(*) FROM ticket"
	    " GROUP BY status",
	[STORE_METRIC_CHECKINS] = "SELECT v.code, t.status, t.n"
	    " FROM checkin_tally t JOIN village v ON v.id = t.village_id"
	    " WHERE t.day = ?1 AND t.n > 0",
	[STORE_METRIC_CREDIT] = "SELECT name, '', credit FROM modem_credit",
	[STORE_METRIC_LADDER_ALERTS] = "SELECT '', '', count(*)"
	    " FROM checkin_alert",
	[STORE_METRIC_SUPPRESSED] = "SELECT substr(name, 12), '', value"
	    " FROM counter WHERE name LIKE 'suppressed.%' ORDER BY name",
	[STORE_METRIC_ERRORS] = "SELECT recipient, last_error, updated FROM"
	    " (SELECT recipient, last_error, coalesce(sent_at,"
	    " next_attempt_at) AS updated, id FROM outbox"
	    " WHERE last_error <> '' ORDER BY id DESC LIMIT 10) AS e",
};

int
store_metric(struct store *st, enum store_metric which, int64_t param,
    store_metric_cb cb, void *arg)
{
	struct db_stmt *s;
	const char *a, *b;
	int rc;

	if (which < 0 || which >= STORE_METRIC_N)
		fatal("store: metric %d: no such query", (int)which);
	if ((s = db_prepare(st->db, store_metric_sql[which], 0)) == NULL) {
		log_warn("store: metric %d: %s", (int)which,
		    db_error(st->db));
		return -1;
	}
	if (db_bind_count(s) > 0)
		db_bind_int64(s, 1, param);
	while ((rc = db_step(s)) == DB_ROW) {
		a = db_column_text(s, 0);
		b = db_column_text(s, 1);
		cb(a != NULL ? a : "", b != NULL ? b : "",
		    db_column_int64(s, 2), arg);
	}
	db_finalize(s);
	if (rc != DB_DONE) {
		log_warn("store: metric %d: %s", (int)which,
		    db_error(st->db));
		return -1;
	}
	return 0;
}
