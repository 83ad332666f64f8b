/*
 * store/modem — the rows of what the daemon last knew of each modem: its
 * state, when it went down and whether that was alerted, its health
 * readings, its SIM credit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_modem_stmts {
	S_MODEM_SET,
	S_MODEM_LIST,
	S_MODEM_HEALTH,
	S_MODEM_DOWN_DUE,
	S_MODEM_ALERTED,
	S_MODEM_SIM_WARNED,
	S_MODEM_N
};

/* The modem tally's count of what and k for modem m (schema.c's 19). */
#define MODEM_TALLY(what, k) " coalesce((SELECT t.n FROM modem_tally t"	\
	" WHERE t.what = " what " AND t.modem = m.name AND t.k = " k "), 0)"

static const char *const store_modem_sql[S_MODEM_N] = {
	/* ENGINE: ? and ?NNN parameters (PostgreSQL: $n) */
	/*
	 * down_since: when it last stopped being up; cleared when it is up or
	 * was stopped on purpose (which also forgets an alert).
	 */
	/* ENGINE: upsert (ON CONFLICT) */
	[S_MODEM_SET] = "INSERT INTO modem (name, state, detail, updated_at,"
	    " down_since) VALUES (?1, ?2, ?3, ?4,"
	    " CASE WHEN ?2 IN ('up', 'stopped') THEN NULL"
	    " ELSE CAST(?4 AS BIGINT) END)"
	    " ON CONFLICT (name) DO UPDATE SET state = ?2, detail = ?3,"
	    " updated_at = ?4, down_since = CASE WHEN ?2 IN ('up', 'stopped')"
	    " THEN NULL ELSE coalesce(modem.down_since,"
	    " CAST(?4 AS BIGINT)) END,"
	    " alerted = CASE WHEN ?2 = 'stopped' THEN 0 ELSE modem.alerted END",
	/* The counts from the modem tally (migration 19): a row each. */
	[S_MODEM_LIST] = "SELECT m.name, m.state, m.detail, m.updated_at,"
	    MODEM_TALLY("3", "2") "," MODEM_TALLY("4", "0") ","
	    MODEM_TALLY("1", "0") ","
	    " m.signal, m.battery, m.network, m.operator, m.sim_used,"
	    " m.sim_total, coalesce(m.health_at, 0), coalesce(m.down_since, 0),"
	    MODEM_TALLY("2", "0") ", m.node FROM modem m ORDER BY m.name",
	[S_MODEM_HEALTH] = "UPDATE modem SET signal = ?2, battery = ?3,"
	    " network = ?4, operator = ?5, sim_used = ?6, sim_total = ?7,"
	    " health_at = ?8 WHERE name = ?1",
	[S_MODEM_DOWN_DUE] = "SELECT name, down_since, alerted, detail"
	    " FROM modem WHERE (down_since IS NOT NULL AND down_since <= ?1"
	    " AND alerted = 0) OR (down_since IS NULL AND alerted = 1)",
	[S_MODEM_ALERTED] = "UPDATE modem SET alerted = ?2 WHERE name = ?1",
	[S_MODEM_SIM_WARNED] = "UPDATE modem SET sim_warned = ?2"
	    " WHERE name = ?1 AND sim_warned <> ?2",
};

const struct store_table store_modem_table = {
	"modem", store_modem_sql, S_MODEM_N, NULL
};

/* Statement id of this file's table, reset and unbound. */
static struct db_stmt *
store_modem_stmt(struct store *st, enum store_modem_stmts id)
{
	return store_stmt(st, STORE_T_MODEM, id);
}

int
store_modem_set(struct store *st, const char *name, const char *state,
    const char *detail, time_t now)
{
	struct db_stmt *s = store_modem_stmt(st, S_MODEM_SET);

	store_bind(s, "sssl", name, state, detail != NULL ? detail : "",
	    (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_modem_list(struct store *st,
    void (*cb)(const struct store_modem *, void *), void *arg)
{
	struct db_stmt *s = store_modem_stmt(st, S_MODEM_LIST);
	struct store_modem m;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		memset(&m, 0, sizeof m);
		store_copy(m.name, sizeof m.name, s, 0);
		store_copy(m.state, sizeof m.state, s, 1);
		store_copy(m.detail, sizeof m.detail, s, 2);
		m.updated_at = db_column_int64(s, 3);
		m.messages_sent = db_column_int64(s, 4);
		m.parts_sent = db_column_int64(s, 5);
		m.parts_received = db_column_int64(s, 6);
		m.signal = db_column_int(s, 7);
		m.battery = db_column_int(s, 8);
		store_copy(m.network, sizeof m.network, s, 9);
		store_copy(m.operator_name, sizeof m.operator_name, s, 10);
		m.sim_used = db_column_int(s, 11);
		m.sim_total = db_column_int(s, 12);
		m.health_at = db_column_int64(s, 13);
		m.down_since = db_column_int64(s, 14);
		m.calls = db_column_int64(s, 15);
		store_copy(m.node, sizeof m.node, s, 16);
		cb(&m, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_modem_health(struct store *st, const char *name,
    const struct store_modem *h, time_t now)
{
	struct db_stmt *s = store_modem_stmt(st, S_MODEM_HEALTH);

	store_bind(s, "siissiil", name, h->signal, h->battery, h->network,
	    h->operator_name, h->sim_used, h->sim_total, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_modem_alerts_due(struct store *st, time_t down_before,
    void (*cb)(const char *, time_t, int, const char *, void *), void *arg)
{
	struct db_stmt *s = store_modem_stmt(st, S_MODEM_DOWN_DUE);
	struct due {
		char	name[33], detail[129];
		time_t	since;
		int	alerted;
	} *rows = NULL;
	size_t n = 0, i;
	int rc;

	/* Collect first: the callback writes to the same table. */
	store_bind(s, "l", (int64_t)down_before);
	while ((rc = db_step(s)) == DB_ROW) {
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		store_copy(rows[n].name, sizeof rows[n].name, s, 0);
		rows[n].since = db_column_int64(s, 1);
		rows[n].alerted = db_column_int(s, 2);
		store_copy(rows[n].detail, sizeof rows[n].detail, s, 3);
		n++;
	}
	db_reset(s);
	for (i = 0; rc == DB_DONE && i < n; i++)
		cb(rows[i].name, rows[i].since, rows[i].alerted,
		    rows[i].detail, arg);
	free(rows);
	return rc == DB_DONE ? 0 : -1;
}

int
store_modem_set_alerted(struct store *st, const char *name, int alerted)
{
	struct db_stmt *s = store_modem_stmt(st, S_MODEM_ALERTED);

	store_bind(s, "si", name, alerted);
	return store_exec_stmt(st, s);
}

int
store_modem_set_sim_warned(struct store *st, const char *name, int warned)
{
	struct db_stmt *s = store_modem_stmt(st, S_MODEM_SIM_WARNED);

	store_bind(s, "si", name, warned);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db) > 0 ? 1 : 0;
}

/* --- SIM credit --- */

int
store_credit_set(struct store *st, const char *name, int64_t credit,
    const char *reply, int64_t threshold, time_t now)
{
	struct db_stmt *s;
	int was_low = 0, low = credit < threshold, rc;

	if ((s = db_prepare(st->db, "SELECT low FROM modem_credit"
	    " WHERE name = ?", 0)) == NULL)
		return -1;
	store_bind(s, "s", name);
	if ((rc = db_step(s)) == DB_ROW)
		was_low = db_column_int(s, 0);
	db_finalize(s);
	if (rc != DB_ROW && rc != DB_DONE)
		return -1;
	if ((s = db_prepare(st->db, "INSERT INTO modem_credit"
	    " (name, credit, reply, at, low) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (name) DO UPDATE SET credit = ?2, reply = ?3,"
	    " at = ?4, low = ?5",
	    0)) == NULL)
		return -1;
	store_bind(s, "slsli", name, credit, reply, (int64_t)now, low);
	rc = db_step(s);
	db_finalize(s);
	if (rc != DB_DONE) {
		log_warn("store: modem_credit: %s", db_error(st->db));
		return -1;
	}
	return low && !was_low;
}
