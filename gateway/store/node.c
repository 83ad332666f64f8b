/*
 * store/node — the nodes that share one database (a county's township
 * gateways on one PostgreSQL; a single box on SQLite is one node). Each
 * node has a row it beats every few seconds; a node whose beat is older
 * than STORE_NODE_LEASE is gone. The modems are each one node's: the modem
 * table names the node driving each, with what the others must know of it
 * (its prefixes, whether it asks for status reports). A row in SENDING
 * carries the node it was handed to and a lease its node renews with each
 * beat; a lapsed lease makes the row another node's to settle. Leadership
 * (the scheduler) and a node's name are PostgreSQL advisory locks, held
 * by the node's session: a node that dies lets go of them at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/store/private.h"
#include "gateway/util.h"

enum store_node_stmts {
	S_NODE_REGISTER,
	S_NODE_BEAT,
	S_NODE_STOPPED,
	S_NODE_LEASE,
	S_NODE_LOCK,
	S_NODE_STALE,
	S_NODE_MODEM_CLAIM,
	S_NODE_MODEM_OWNER,
	S_NODE_MODEMS_ELSEWHERE,
	S_NODE_LIST,
	S_NODE_N
};

static const char *const store_node_sql[S_NODE_N] = {
	/* ENGINE: upsert (ON CONFLICT) */
	[S_NODE_REGISTER] = "INSERT INTO node (name, host, pid, started_at,"
	    " seen_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (name) DO"
	    " UPDATE SET host = ?2, pid = ?3, started_at = ?4, seen_at = ?4",
	[S_NODE_BEAT] = "UPDATE node SET seen_at = ?2 WHERE name = ?1",
	/* Stopped on purpose: no beat to wait out (seen_at 0). */
	[S_NODE_STOPPED] = "UPDATE node SET seen_at = 0 WHERE name = ?1",
	[S_NODE_LEASE] = "UPDATE outbox SET lease_until = ?2"
	    " WHERE state = 1 AND node = ?1",
	/* One daemon per SQLite file (its lock): it holds every duty. */
	[S_NODE_LOCK] = "SELECT ?1 IS NOT NULL",
	/*
	 * Rows in SENDING whose node let its lease lapse and has not beaten
	 * since: in doubt, for another node to settle.
	 */
	[S_NODE_STALE] = "SELECT o.id FROM outbox o WHERE o.state = 1"
	    " AND o.node <> ?1 AND o.lease_until < ?2 AND NOT EXISTS"
	    " (SELECT 1 FROM node n WHERE n.name = o.node"
	    "  AND n.seen_at >= ?3) ORDER BY o.id LIMIT ?4",
	/*
	 * A modem is this node's unless another node drives one of that name
	 * and is alive.
	 */
	/* ENGINE: upsert (ON CONFLICT ... WHERE) */
	[S_NODE_MODEM_CLAIM] = "INSERT INTO modem (name, state, updated_at,"
	    " node, prefixes, reports) VALUES (?1, 'starting', ?5, ?2, ?3, ?4)"
	    " ON CONFLICT (name) DO UPDATE SET node = ?2, prefixes = ?3,"
	    " reports = ?4 WHERE modem.node = '' OR modem.node = ?2"
	    " OR NOT EXISTS (SELECT 1 FROM node n WHERE n.name = modem.node"
	    "  AND n.seen_at >= ?6)",
	[S_NODE_MODEM_OWNER] = "SELECT m.node, m.reports, CASE WHEN"
	    " n.seen_at >= ?2 THEN 1 ELSE 0 END FROM modem m"
	    " LEFT JOIN node n ON n.name = m.node WHERE m.name = ?1",
	[S_NODE_MODEMS_ELSEWHERE] = "SELECT m.name, m.prefixes FROM modem m"
	    " JOIN node n ON n.name = m.node WHERE m.node <> ?1"
	    " AND m.state = 'up' AND n.seen_at >= ?2 ORDER BY m.name",
	[S_NODE_LIST] = "SELECT name, host, pid, started_at, seen_at"
	    " FROM node ORDER BY name",
};

static const char *const store_node_pg[S_NODE_N] = {
	/*
	 * ENGINE: a session-level advisory lock, taken unless this session
	 * holds it already (taking it again would stack a second hold).
	 * The key: 'cung' and a positive hash of the duty's name.
	 */
	[S_NODE_LOCK] = "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks"
	    " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
	    " AND classid = 1668640359 AND objid = (hashtext(?1) & 2147483647)"
	    " AND objsubid = 2 AND granted) THEN true"
	    " ELSE pg_try_advisory_lock(1668640359, hashtext(?1) & 2147483647)"
	    " END",
};

const struct store_table store_node_table = {
	"node", store_node_sql, S_NODE_N, store_node_pg
};

static struct db_stmt *
store_node_stmt(struct store *st, enum store_node_stmts id)
{
	return store_stmt(st, STORE_T_NODE, id);
}

void
store_set_node(struct store *st, const char *node)
{
	free(st->node);
	st->node = node != NULL ? xstrdup(node) : NULL;
}

const char *
store_node(struct store *st)
{
	return st->node;
}

int
store_node_register(struct store *st, const char *host, int pid, time_t now)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_REGISTER);

	store_bind(s, "ssil", st->node, host, pid, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_node_beat(struct store *st, time_t now)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_BEAT);

	store_bind(s, "sl", st->node, (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	s = store_node_stmt(st, S_NODE_LEASE);
	store_bind(s, "sl", st->node, (int64_t)now + STORE_NODE_LEASE);
	return store_exec_stmt(st, s);
}

int
store_node_stopped(struct store *st)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_STOPPED);

	store_bind(s, "s", st->node);
	return store_exec_stmt(st, s);
}

int
store_node_duty(struct store *st, const char *duty)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_LOCK);
	int rc;

	store_bind(s, "s", duty);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? -1 : rc;
	rc = db_column_int(s, 0) != 0;
	db_reset(s);
	return rc;
}

int
store_node_stale(struct store *st, time_t now, int64_t *ids, int max)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_STALE);

	store_bind(s, "slli", st->node, (int64_t)now,
	    (int64_t)now - STORE_NODE_LEASE, max);
	return store_ids(st, s, ids, max);
}

int
store_node_modem_claim(struct store *st, const char *modem,
    const char *prefixes, int reports, time_t now)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_MODEM_CLAIM);

	store_bind(s, "sssill", modem, st->node, prefixes, reports,
	    (int64_t)now, (int64_t)now - STORE_NODE_LEASE);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return db_changes(st->db) > 0;
}

int
store_node_modem_owner(struct store *st, const char *modem, time_t now,
    struct store_modem_owner *out)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_MODEM_OWNER);
	int rc;

	memset(out, 0, sizeof *out);
	store_bind(s, "sl", modem, (int64_t)now - STORE_NODE_LEASE);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	store_copy(out->node, sizeof out->node, s, 0);
	out->reports = db_column_int(s, 1);
	out->alive = db_column_int(s, 2);
	out->ours = st->node != NULL && strcmp(out->node, st->node) == 0;
	db_reset(s);
	return 1;
}

int
store_node_modems_elsewhere(struct store *st, time_t now,
    void (*cb)(const char *, const char *, void *), void *arg)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_MODEMS_ELSEWHERE);
	int rc;

	store_bind(s, "sl", st->node != NULL ? st->node : "",
	    (int64_t)now - STORE_NODE_LEASE);
	while ((rc = db_step(s)) == DB_ROW)
		cb(db_column_text(s, 0), db_column_text(s, 1), arg);
	db_reset(s);
	if (rc != DB_DONE) {
		store_log_fail(st, db_sql(s));
		return -1;
	}
	return 0;
}

int
store_node_list(struct store *st,
    void (*cb)(const struct store_node_row *, void *), void *arg)
{
	struct db_stmt *s = store_node_stmt(st, S_NODE_LIST);
	struct store_node_row n;
	int rc;

	while ((rc = db_step(s)) == DB_ROW) {
		memset(&n, 0, sizeof n);
		store_copy(n.name, sizeof n.name, s, 0);
		store_copy(n.host, sizeof n.host, s, 1);
		n.pid = db_column_int(s, 2);
		n.started_at = db_column_int64(s, 3);
		n.seen_at = db_column_int64(s, 4);
		cb(&n, arg);
	}
	db_reset(s);
	return rc == DB_DONE ? 0 : -1;
}
