/*
 * store/report — the aggregates of the status pages (gateway/status_page.c):
 * traffic per local day, tickets per week, check-in rates per village and
 * day, grievance rates per township, and a village's and a ticket's rows.
 * Read-only, each bounded by a time window or a LIMIT and served by an
 * index (migration 15) or read from a tally kept by triggers (check-ins:
 * migration 17; SMS in and out per hour and township: 18). Day and week
 * buckets are integer arithmetic on epoch seconds shifted by the caller
 * (the zone's offset; for weeks from Monday, three days more), never an
 * engine's date functions.
 *
 * A township's scope (its id; 0 the county) is a filter on rows the time
 * index already found: a ticket by its village (the set of the
 * township's villages is an uncorrelated subquery, built once per run),
 * SMS by the township the tally counted them in: the sender's or
 * recipient's village's when the message came or went.
 */
#include <stdint.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"

/* Rows whose col (a village id) is one of township ?n's villages. */
#define STORE_REPORT_VILLAGE_OF(col, n) " AND (?" n " = 0 OR " col \
	" IN (SELECT id FROM village WHERE township_id = ?" n "))"

static const char *const store_report_sql[STORE_REPORT_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	/*
	 * From the tally of SMS per hour and township (migration 18): the
	 * window's hours, each in the local day it starts in (whole-hour
	 * zones: the day's own). Township 0 is the numbers registered in no
	 * village: the county's alone. The casts: from "?1 / 3600" PostgreSQL
	 * would take ?1 for a 32-bit integer, too small after 2038.
	 */
	[STORE_REPORT_IN_DAY] = "SELECT (hour * 3600 + ?3) / 86400, sum(n)"
	    " FROM traffic_tally WHERE dir = 0"
	    " AND hour >= CAST(?1 AS BIGINT) / 3600"
	    " AND hour < (CAST(?2 AS BIGINT) + 3599) / 3600"
	    " AND (?4 = 0 OR township_id = ?4) GROUP BY 1",
	[STORE_REPORT_OUT_DAY] = "SELECT (hour * 3600 + ?3) / 86400, sum(n)"
	    " FROM traffic_tally WHERE dir = 1"
	    " AND hour >= CAST(?1 AS BIGINT) / 3600"
	    " AND hour < (CAST(?2 AS BIGINT) + 3599) / 3600"
	    " AND (?4 = 0 OR township_id = ?4) GROUP BY 1",
	[STORE_REPORT_OPENED_WEEK] = "SELECT (created_at + ?3) / 604800,"
	    " count(*) FROM ticket WHERE created_at >= ?1 AND created_at < ?2"
	    STORE_REPORT_VILLAGE_OF("village_id", "4") " GROUP BY 1",
	[STORE_REPORT_RESOLVED_WEEK] = "SELECT (resolved_at + ?3) / 604800,"
	    " count(*) FROM ticket WHERE resolved_at >= ?1 AND resolved_at < ?2"
	    STORE_REPORT_VILLAGE_OF("village_id", "4") " GROUP BY 1",
	/* Overdue: its deadline passed in the window before it was done. */
	[STORE_REPORT_OVERDUE_WEEK] = "SELECT (resolve_due + ?3) / 604800,"
	    " count(*) FROM ticket WHERE resolve_due >= ?1 AND resolve_due < ?2"
	    " AND (resolved_at IS NULL OR resolved_at > resolve_due)"
	    STORE_REPORT_VILLAGE_OF("village_id", "4") " GROUP BY 1",
	/* From the tally (migration 17): a row per village, day and status. */
	[STORE_REPORT_CHECKINS] = "SELECT village_id, day, sum(n),"
	    " sum(CASE WHEN status IN ('checked', 'confirmed') THEN n"
	    " ELSE 0 END) FROM checkin_tally"
	    " WHERE day >= ?1 AND day < ?2 AND status <> 'paused'"
	    " GROUP BY 1, 2",
	[STORE_REPORT_VILLAGES] = "SELECT v.id, v.code, v.name,"
	    " coalesce(t.code, ''), coalesce(t.name, '') FROM village v"
	    " LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE v.id > ?1 AND (?3 = 0 OR v.township_id = ?3)"
	    " ORDER BY v.id LIMIT ?2",
	/*
	 * Of the tickets opened in the window: how many, accepted in time
	 * of those whose acceptance is due (by ?3, now) or done, resolved in
	 * time likewise, satisfied (1 or 2: 满意, 基本满意) of those rated.
	 */
	/* Per village from the index (ticket_created) first, then joined. */
	[STORE_REPORT_GRIEVANCE] = "SELECT coalesce(t.code, ''),"
	    " coalesce(t.name, ''), sum(g.n), sum(g.ad), sum(g.at),"
	    " sum(g.rd), sum(g.rt), sum(g.r), sum(g.s)"
	    " FROM (SELECT village_id, count(*) AS n,"
	    " sum(CASE WHEN accepted_at IS NOT NULL OR accept_due < ?3"
	    " THEN 1 ELSE 0 END) AS ad,"
	    " sum(CASE WHEN accepted_at <= accept_due THEN 1 ELSE 0 END) AS at,"
	    " sum(CASE WHEN resolved_at IS NOT NULL OR resolve_due < ?3"
	    " THEN 1 ELSE 0 END) AS rd,"
	    " sum(CASE WHEN resolved_at <= resolve_due THEN 1 ELSE 0 END)"
	    " AS rt, sum(CASE WHEN rating > 0 THEN 1 ELSE 0 END) AS r,"
	    " sum(CASE WHEN rating > 0 AND rating <= 2 THEN 1 ELSE 0 END) AS s"
	    " FROM ticket WHERE created_at >= ?1 AND created_at < ?2"
	    " GROUP BY village_id) AS g JOIN village v ON v.id = g.village_id"
	    " LEFT JOIN township t ON t.id = v.township_id"
	    " GROUP BY 1, 2 ORDER BY 1",
	[STORE_REPORT_VILLAGE_TICKETS] = "SELECT id, code, status, category,"
	    " text, reporter, created_at, urgent FROM ticket"
	    " WHERE village_id = ?1 AND status IN ('open', 'accepted',"
	    " 'reopened') ORDER BY created_at, id LIMIT ?2",
	/* +d.day: from the village's people, not the county's day. */
	[STORE_REPORT_VILLAGE_ELDERS] = "SELECT e.id, p.name, p.phone,"
	    " d.status, d.next_at, d.step FROM checkin_day d"
	    " JOIN elder e ON e.id = d.elder_id"
	    " JOIN person p ON p.id = e.person_id"
	    " WHERE +d.day = ?2 AND p.village_id = ?1 AND d.status = 'open'"
	    " ORDER BY d.step DESC, p.name LIMIT ?3",
	[STORE_REPORT_VILLAGE_EVENTS] = "SELECT e.id, e.code, e.title,"
	    " e.place, e.status, e.starts_at, e.capacity,"
	    " (SELECT count(*) FROM event_signup s WHERE s.event_id = e.id"
	    " AND s.status = 'confirmed') FROM event e"
	    " WHERE e.village_id = ?1 AND e.starts_at >= ?2"
	    " ORDER BY e.starts_at DESC LIMIT ?3",
	[STORE_REPORT_VILLAGE] = "SELECT v.id, v.code, v.name,"
	    " coalesce(t.code, ''), coalesce(t.name, '') FROM village v"
	    " LEFT JOIN township t ON t.id = v.township_id WHERE v.code = ?1",
	[STORE_REPORT_TOWNSHIP] = "SELECT id, code, name FROM township"
	    " WHERE code = ?1",
	/* By ticket_status: the open states lead it. */
	[STORE_REPORT_OPEN] = "SELECT count(*), coalesce(sum(CASE WHEN"
	    " (status = 'open' AND accept_due < ?1) OR (status = 'accepted'"
	    " AND resolve_due < ?1) THEN 1 ELSE 0 END), 0) FROM ticket"
	    " WHERE status IN ('open', 'accepted', 'reopened', 'returned')"
	    STORE_REPORT_VILLAGE_OF("village_id", "2"),
};

/* How many columns each gives. */
static const int store_report_ncols[STORE_REPORT_N] = {
	[STORE_REPORT_IN_DAY] = 2,
	[STORE_REPORT_OUT_DAY] = 2,
	[STORE_REPORT_OPENED_WEEK] = 2,
	[STORE_REPORT_RESOLVED_WEEK] = 2,
	[STORE_REPORT_OVERDUE_WEEK] = 2,
	[STORE_REPORT_CHECKINS] = 4,
	[STORE_REPORT_VILLAGES] = 5,
	[STORE_REPORT_GRIEVANCE] = 9,
	[STORE_REPORT_VILLAGE_TICKETS] = 8,
	[STORE_REPORT_VILLAGE_ELDERS] = 6,
	[STORE_REPORT_VILLAGE_EVENTS] = 8,
	[STORE_REPORT_VILLAGE] = 5,
	[STORE_REPORT_TOWNSHIP] = 3,
	[STORE_REPORT_OPEN] = 2,
};

const struct store_table store_report_table = {
	"report", store_report_sql, STORE_REPORT_N, NULL
};

int
store_report(struct store *st, enum store_report which, const int64_t *p,
    int np, const char *text, store_report_cb cb, void *arg)
{
	struct db_stmt *s;
	struct store_report_row r;
	const char *t;
	int i, n = 0, rc;

	if (which < 0 || which >= STORE_REPORT_N || np > 4)
		fatal("store: report %d: no such query", (int)which);
	s = store_stmt(st, STORE_T_REPORT, which);
	for (i = 0; i < np; i++)
		db_bind_int64(s, i + 1, p[i]);
	if (text != NULL)
		db_bind_text(s, np + 1, text);
	while ((rc = db_step(s)) == DB_ROW) {
		memset(&r, 0, sizeof r);
		for (i = 0; i < store_report_ncols[which]; i++) {
			t = db_column_text(s, i);
			r.t[i] = t != NULL ? t : "";
			r.v[i] = db_column_int64(s, i);
		}
		n++;
		cb(&r, arg);
	}
	db_reset(s);
	if (rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return n;
}
