/*
 * store — the database, and the one header its callers include. Behind
 * it, gateway/store/: the connection, transactions, migrations and the
 * statement cache (store.c, schema.c), one file per capability's rows
 * (people.c, message.c, outbox.c, modem.c, grievance.c, prompt.c,
 * checkin.c, event.c, stats.c, retention.c), all over a small engine
 * interface (store/engine.h, dispatched in store/engine.c) with two
 * engines: store/engine_sqlite.c, the only file that includes
 * <sqlite3.h>, and store/engine_pg.c (libpq), not yet used by the store
 * (its SQL is SQLite's so far).
 * One connection, WAL, foreign keys, a busy timeout, schema migrations
 * one version at a time, every statement prepared once at open.
 *
 * Times are seconds since the epoch (UTC). Phone numbers are E.164.
 * Lookups that can miss return -1 on error, 0 when not found, 1 when found.
 */
#ifndef CUNGATE_STORE_H
#define CUNGATE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/util.h"

struct store;

/* Roles are bits: a cadre is usually a resident too. */
#define ROLE_RESIDENT	0x1
#define ROLE_ELDERLY	0x2
#define ROLE_CADRE	0x4
#define ROLE_ANYONE	0x0	/* for handlers: no role needed */

/* Outbound priority classes, most urgent first. */
enum outbox_class {
	OUTBOX_URGENT = 0,
	OUTBOX_REPLY = 1,
	OUTBOX_REMINDER = 2,
	OUTBOX_BROADCAST = 3
};
#define OUTBOX_NCLASSES 4

enum outbox_state {
	OUTBOX_QUEUED,		/* waiting for its time and a modem */
	OUTBOX_SENDING,		/* handed to a modem */
	OUTBOX_SENT,
	OUTBOX_FAILED,		/* gave up after errors */
	OUTBOX_EXPIRED,		/* its TTL passed before it could go */
	OUTBOX_WITHDRAWN	/* no longer needed before it went */
};
#define OUTBOX_NSTATES	6

struct store_village {
	int64_t	 id;
	char	 code[33];
	char	 name[129];
	char	 township[33];	/* township code, "" if none */
};

struct store_person {
	int64_t	 id;
	char	 phone[PHONE_MAX];
	char	 name[129];
	int64_t	 village_id;	/* 0 if none */
	char	 village[33];	/* village code, "" if none */
	char	 village_name[129];
	unsigned roles;
	char	 categories[257];	/* "水,电", "" if none */
	int	 opted_out;
};

/* One inbound SMS part as stored. */
struct store_part {
	const char	*modem;
	const char	*sender;
	const char	*smsc;
	time_t		 sent_at;
	time_t		 received_at;
	int		 ref;
	int		 total;
	int		 seq;
	const char	*text;
	int		 location;	/* SIM location, 0 if none */
	int		 binary;	/* 8-bit data: kept, never answered */
};

/* A complete (or timed-out partial) inbound message. */
struct store_message {
	int64_t	 id;
	char	 sender[PHONE_MAX];
	char	 modem[33];
	char	*text;		/* owned: store_message_clear frees */
	int	 parts;
	int	 partial;
	time_t	 received_at;
	char	 state[16];	/* "new", "done" */
	char	 handler[33];
	int	 binary;	/* a part was 8-bit data (WAP push, OTA) */
};

struct store_outbox {
	int64_t		 id;
	char		 recipient[PHONE_MAX];
	char		*text;	/* owned: store_outbox_clear frees */
	enum outbox_class class;
	enum outbox_state state;
	int		 attempts;
	time_t		 created_at;
	time_t		 next_attempt_at;
	time_t		 expires_at;
	time_t		 sent_at;	/* 0 if not sent */
	char		 modem[33];
	int		 parts;
	int		 msgref;
	char		 last_error[129];
	int64_t		 message_id;	/* the message it answers, 0 if none */
	char		 delivery[16];	/* "", "pending", "delivered", "failed" */
	time_t		 delivered_at;	/* 0 if not (yet) */
	char		 waiting[129];	/* why it was last deferred, or "" */
	int		 encoded_parts;	/* parts its text makes, 0 unknown */
};

/* Open (creating and migrating) the database at path; ":memory:" works. */
struct store *store_open(const char *path, char **cause);
/*
 * Does database name a server (a postgresql:// URI or a libpq conninfo)
 * rather than a file? 0/1. A server's name is not a path to resolve.
 */
int	 store_is_server(const char *database);
void	 store_close(struct store *);
/*
 * How long a statement waits for another process's write lock before it
 * fails with "database is locked" (default 5000 ms). The daemon keeps it
 * short: its loop must not stall; it retries instead.
 */
void	 store_set_busy_timeout(struct store *, int ms);
/*
 * Queued rows wake the loop (PostgreSQL: LISTEN cungate_outbox, NOTIFY
 * from a trigger at commit, in each session). 0 or -1. SQLite: 0, no
 * socket: the loop's pass each second finds them.
 */
int	 store_listen(struct store *);
/* The socket to watch for it, -1 none (SQLite, or the server away). */
int	 store_socket(struct store *);
/* Rows were queued since the last call: >0; 0 not; -1 session lost. */
int	 store_notified(struct store *);
/* Did the last call fail because the server is away (no session)? 0/1. */
int	 store_is_away(struct store *);
/* The schema version this build migrates to. */
/*
 * Erase a person on request: what they sent and what was sent to them,
 * their prompts, calls, sign-ups, enrolment as an elder (with its days)
 * and as anyone's guardian, their person row; tickets they reported or
 * handled keep their text with the phone replaced by masked, and so does
 * the audit. In the caller's transaction. 1 if they were on record, 0 if
 * not (what else held their phone is erased all the same), -1.
 */
int	 store_person_forget(struct store *, const char *phone,
	    const char *masked);
/*
 * Retention: delete outbox rows done with and created before
 * outbox_before (with their parts), handled messages received before
 * messages_before (with their parts; tickets, replies and reports that
 * came from them keep their own text), audit rows before audit_before;
 * 0 keeps that kind. At most 500 of each a call. The rows deleted, or -1.
 */
int	 store_prune(struct store *, time_t messages_before,
	    time_t outbox_before, time_t audit_before);
/*
 * Put backup (checked first) in place of the database at path, through
 * SQLite's backup API, so that its WAL and locks stay right. No daemon
 * may be running on it; its journal of parts (path.parts) goes. 0, or -1
 * with *cause (caller frees).
 */
int	 store_restore(const char *backup, const char *path, char **cause);
/*
 * An online copy of the database into path (SQLite's backup API: a
 * consistent snapshot while the daemon writes), checked (quick_check)
 * before it takes the name path. 0, or -1 with *cause (caller frees).
 */
int	 store_backup(struct store *, const char *path, char **cause);
int	 store_schema_version(struct store *);

/*
 * Transactions: store_begin takes the write lock at once (BEGIN
 * IMMEDIATE). A handler's writes and the replies they cause commit
 * together. 0 or -1.
 */
int	 store_begin(struct store *);
int	 store_commit(struct store *);
void	 store_rollback(struct store *);

/* The last database error, for log lines. */
const char *store_error(struct store *);

/* --- townships and villages --- */

/* 0, or -1 with *cause (duplicate code, …). */
int	 store_township_add(struct store *, const char *code, const char *name,
	    time_t now, char **cause);
/* Add a supervisor phone to a township; 0 or -1 with *cause. */
int	 store_township_add_supervisor(struct store *, const char *code,
	    const char *phone, char **cause);
/* Supervisors' phones of a township, calling cb for each. 0 or -1. */
int	 store_township_supervisors(struct store *, const char *code,
	    void (*cb)(const char *phone, void *), void *arg);
struct store_township {
	int64_t	 id;
	char	 code[33];
	char	 name[129];
	int	 supervisors;
	int	 villages;
};
int	 store_township_list(struct store *,
	    void (*cb)(const struct store_township *, void *), void *arg);

/* township may be NULL. 0, or -1 with *cause. */
int	 store_village_add(struct store *, const char *code, const char *name,
	    const char *township, time_t now, char **cause);
/* By code, case-insensitive: -1 / 0 / 1. */
/*
 * The village whose name text starts with, or its name less a final 村
 * ("刘家庄" for 刘家庄村); the longest such name: -1 / 0 / 1.
 */
int	 store_village_named(struct store *, const char *text,
	    struct store_village *out);
/* The same anywhere in text, or a code (3 or more letters) in it. */
int	 store_village_in(struct store *, const char *text,
	    struct store_village *out);
int	 store_village_find(struct store *, const char *code,
	    struct store_village *out);
int	 store_village_list(struct store *,
	    void (*cb)(const struct store_village *, int residents, void *),
	    void *arg);

/* --- people --- */

/* -1 / 0 / 1. */
int	 store_person_find(struct store *, const char *phone,
	    struct store_person *out);
/*
 * Add a person, or update the one with that phone (name, village, roles,
 * categories; opted_out is kept). village may be NULL. 1 added, 0 updated,
 * -1 with *cause.
 */
int	 store_person_put(struct store *, const char *phone, const char *name,
	    const char *village, unsigned roles, const char *categories,
	    time_t now, char **cause);
/* Set or clear the opt-out flag. -1 / 0 not found / 1 changed or same. */
int	 store_person_set_opted_out(struct store *, const char *phone,
	    int opted_out, time_t now);
/* Everyone, or one village's people when village is not NULL. 0 or -1. */
int	 store_person_list(struct store *, const char *village,
	    void (*cb)(const struct store_person *, void *), void *arg);
/* The cadres of a village (code), by an index, not a scan. 0 or -1. */
int	 store_person_cadres(struct store *, const char *village,
	    void (*cb)(const struct store_person *, void *), void *arg);

/* --- inbound --- */

/*
 * Store one part. Returns 1 when new (*id set), 0 when a part with the
 * same dedupe key is already stored, -1 on error. The dedupe key is made
 * of modem, sender, SMSC time, ref/total/seq and a hash of the text.
 */
int	 store_part_insert(struct store *, const struct store_part *,
	    int64_t *id);
/*
 * Try to complete the open group (sender, ref, total) that part id belongs
 * to: when every seq 1..total is there, make a message of them (text in
 * seq order) and return 1 with *message_id. 0 while parts are missing,
 * -1 on error.
 */
int	 store_part_complete(struct store *, int64_t part_id, time_t now,
	    int64_t *message_id);
/*
 * Close groups whose first part came before cutoff: each becomes a
 * message marked partial, its text the parts it has in order, with a
 * "…" where parts are missing. Returns the number made, or -1.
 */
int	 store_part_flush_stale(struct store *, time_t cutoff, time_t now);

/*
 * The oldest messages in state "new" (at most max), for the router: not
 * those another node alive at now took in (store_set_node).
 */
int	 store_message_pending(struct store *, int64_t *ids, int max,
	    time_t now);
/* -1 / 0 / 1; out->text is allocated: store_message_clear frees it. */
int	 store_message_get(struct store *, int64_t id,
	    struct store_message *out);
void	 store_message_clear(struct store_message *);
/*
 * In a transaction: take message id to route it: 1 taken, 0 not new any
 * more or being routed by another node (pass it by), -1 error.
 */
int	 store_message_claim(struct store *, int64_t id);
/* Mark a message handled by handler. 0 or -1. */
int	 store_message_done(struct store *, int64_t id, const char *handler,
	    time_t now);
/* Inbound messages, newest first, from sender if not NULL, max rows. */
int	 store_message_list(struct store *, const char *sender, int max,
	    void (*cb)(const struct store_message *, void *), void *arg);

/* --- outbound --- */

/*
 * Queue text to recipient in class, to go from not_before and give up at
 * expires. message_id is the inbound message it answers (0 if none).
 * Returns the new row id, or -1.
 */
int64_t	 store_outbox_add(struct store *, const char *recipient,
	    const char *text, enum outbox_class, time_t not_before,
	    time_t expires, int64_t message_id, time_t now);
/*
 * Queued rows due at now (next_attempt_at <= now), most urgent class
 * first, then oldest; at most max ids. -1 on error, else the count.
 */
int	 store_outbox_due(struct store *, time_t now, int64_t *ids, int max);
/* -1 / 0 / 1; store_outbox_clear frees out->text. */
int	 store_outbox_get(struct store *, int64_t id, struct store_outbox *out);
void	 store_outbox_clear(struct store_outbox *);
/*
 * Queued -> sending on modem, in parts (what its text encodes into). 0, or
 * -1 (also when no longer queued).
 */
int	 store_outbox_mark_sending(struct store *, int64_t id,
	    const char *modem, int parts, time_t now);
/* Sending -> sent, with parts and the network's reference. 0 or -1. */
int	 store_outbox_mark_sent(struct store *, int64_t id, int parts,
	    int msgref, time_t now);
/*
 * Back to queued for another try at next (attempts + 1, error kept), or to
 * state (FAILED / EXPIRED) for good. 0 or -1.
 */
int	 store_outbox_mark_retry(struct store *, int64_t id, time_t next,
	    const char *error);
/* The same for a row in doubt, keeping when it was handed over. */
int	 store_outbox_mark_doubt(struct store *, int64_t id, time_t next,
	    const char *why);
int	 store_outbox_mark_final(struct store *, int64_t id,
	    enum outbox_state, const char *error, time_t now);
/*
 * Move a queued row's next try to next without counting an attempt (a
 * recipient over its hourly cap, quiet hours), saying why in words (shown
 * by `cungatectl outbox`). 0 or -1.
 */
int	 store_outbox_defer(struct store *, int64_t id, time_t next,
	    const char *why);
/* Add n to the counter name (made at 0). 0 or -1. */
int	 store_counter_add(struct store *, const char *name, int64_t n);
/*
 * Did sender send the same text before message id, at or after since, and
 * was it handled (not by a failing handler)? -1 / 0 / 1.
 */
int	 store_message_repeat(struct store *, int64_t id, const char *sender,
	    const char *text, time_t since);
/* Messages from sender through modem ("ussd") since: count or -1. */
int64_t	 store_message_count_since(struct store *, const char *sender,
	    const char *modem, time_t since);
/* Tickets reporter opened since: count or -1. */
int64_t	 store_ticket_count_since(struct store *, const char *reporter,
	    time_t since);
/* Messages from sender since, handled with outcome ("capped"): count. */
int64_t	 store_message_outcome_since(struct store *, const char *sender,
	    const char *outcome, time_t since);
/* Reports kept for phone until it registers: count or -1. */
int64_t	 store_pending_count(struct store *, const char *phone);
/* Ids (at most max) of the node's rows in SENDING (store_set_node), and
   of rows in SENDING no node claimed. Count or -1. */
int	 store_outbox_sending(struct store *, int64_t *ids, int max);
/* Queued rows whose TTL has passed at now become EXPIRED. Count or -1. */
int	 store_outbox_expire(struct store *, time_t now);
/* Messages sent (or being sent) to recipient since t. -1 on error. */
/*
 * Part seq of row id went on modem with reference msgref (the network
 * took it, before the job's result). 0 or -1.
 */
int	 store_outbox_part_sent(struct store *, int64_t id, int seq,
	    const char *modem, int msgref, time_t now);
/* Parts of row id on record since since (this attempt's): -1 or count. */
int	 store_outbox_parts_taken(struct store *, int64_t id, time_t since);
/*
 * The parts of row id on record, from every attempt: their number, or -1.
 * *mask has bit seq - 1 set for each part sent on the modem of the newest
 * one, whose name goes to modem (len bytes).
 */
int	 store_outbox_parts_on_record(struct store *, int64_t id, char *modem,
	    size_t len, uint64_t *mask);
/* Rows to recipient handed to modem and not yet back: -1 or the count. */
int	 store_outbox_in_flight_to(struct store *, const char *modem,
	    const char *recipient);
int	 store_outbox_count_since(struct store *, const char *recipient,
	    time_t since);
/* Rows of the outbox, newest first; state may be NULL for all. */
int	 store_outbox_list(struct store *, const char *state, int max,
	    void (*cb)(const struct store_outbox *, void *), void *arg);
const char *store_outbox_state_name(enum outbox_state);
/* "queued" -> OUTBOX_QUEUED…; -1 when unknown. */
int	 store_outbox_state_parse(const char *);

/* --- audit and counters --- */

/*
 * Record who did what through which channel ("sms", "cli", "system").
 * object and detail may be NULL. 0 or -1.
 */
int	 store_audit(struct store *, time_t now, const char *actor,
	    const char *channel, const char *action, const char *object,
	    const char *detail);

/* What the daemon last knew of a modem, for cungatectl stats. */
struct store_modem {
	char	 name[33];
	char	 state[16];	/* "starting", "up", "down" */
	char	 detail[129];
	time_t	 updated_at;
	int64_t	 messages_sent;
	int64_t	 parts_sent;
	int64_t	 parts_received;
	int	 signal;	/* percent, -1 unknown */
	int	 battery;
	char	 network[17];
	char	 operator_name[65];
	int	 sim_used;	/* -1 unknown */
	int	 sim_total;
	time_t	 health_at;	/* 0 if never read */
	time_t	 down_since;	/* 0 if up */
	int64_t	 calls;
	char	 node[33];	/* the node driving it, "" unknown */
};
/* Record a modem's state (the daemon, on every change). 0 or -1. */
int	 store_modem_set(struct store *, const char *name, const char *state,
	    const char *detail, time_t now);
int	 store_modem_list(struct store *,
	    void (*cb)(const struct store_modem *, void *), void *arg);
/* Record a health reading (signal … sim_total of h). 0 or -1. */
int	 store_modem_health(struct store *, const char *name,
	    const struct store_modem *h, time_t now);
/*
 * Modems whose alert state must change: down since down_before or earlier
 * and not yet alerted, or up again after an alert. cb gets name, down
 * since (0 if up), whether it was alerted, and the last detail. 0 or -1.
 */
int	 store_modem_alerts_due(struct store *, time_t down_before,
	    void (*cb)(const char *, time_t, int, const char *, void *),
	    void *arg);
int	 store_modem_set_alerted(struct store *, const char *name, int);
/* Set the SIM-full warning flag: 1 when it changed, 0 if not, -1. */
int	 store_modem_set_sim_warned(struct store *, const char *name, int);

/*
 * --- the nodes sharing the database (store/node.c) ---
 *
 * A node's row is beaten every few seconds; one older than
 * STORE_NODE_LEASE is a node gone, and so is the lease of a row in
 * SENDING its node did not renew.
 */
#define STORE_NODE_LEASE	20	/* s */

struct store_node_row {
	char	 name[33];
	char	 host[64];
	int	 pid;
	time_t	 started_at;
	time_t	 seen_at;
};

/* Who drives a modem (store_node_modem_owner). */
struct store_modem_owner {
	char	 node[33];
	int	 reports;	/* it asks for status reports: 0/1 */
	int	 alive;		/* its node beat within the lease: 0/1 */
	int	 ours;		/* it is this store's node: 0/1 */
};

/*
 * The node this connection works for (copied; NULL: none, a tool): rows
 * it hands to a modem (store_outbox_mark_sending) carry it, and rows in
 * SENDING at start are its own (store_outbox_sending).
 */
void	 store_set_node(struct store *, const char *node);
const char *store_node(struct store *);
/* The node's row, started now on host as pid. 0 or -1. */
int	 store_node_register(struct store *, const char *host, int pid,
	    time_t now);
/* The node stopped on purpose: gone at once, for the others. 0 or -1. */
int	 store_node_stopped(struct store *);
/* The node is alive at now; the leases of its rows in SENDING renewed. */
int	 store_node_beat(struct store *, time_t now);
/*
 * Hold duty (a name: "sched", "node:NAME") for as long as this session
 * lasts, unless another node's session holds it: 1 held, 0 another holds
 * it, -1 error. SQLite: always 1 (one daemon per file).
 */
int	 store_node_duty(struct store *, const char *duty);
/* Ids (at most max) of other nodes' rows in SENDING, leases lapsed. */
int	 store_node_stale(struct store *, time_t now, int64_t *ids, int max);
/*
 * Record modem as the node's, with its prefixes (comma-separated) and
 * whether it asks for reports: 1, or 0 when a live node drives a modem of
 * that name; -1 error.
 */
int	 store_node_modem_claim(struct store *, const char *modem,
	    const char *prefixes, int reports, time_t now);
/* Who drives modem: -1 error, 0 unknown modem, 1 *out filled. */
int	 store_node_modem_owner(struct store *, const char *modem, time_t now,
	    struct store_modem_owner *out);
/* cb(name, prefixes) for each modem up on another live node. 0 or -1. */
int	 store_node_modems_elsewhere(struct store *, time_t now,
	    void (*cb)(const char *, const char *, void *), void *arg);
/* cb for each node's row, by name. 0 or -1. */
int	 store_node_list(struct store *,
	    void (*cb)(const struct store_node_row *, void *), void *arg);

/* One sent part's network reference, for matching status reports. */
int	 store_outbox_add_part(struct store *, int64_t id, int seq,
	    const char *modem, int msgref, const char *recipient, time_t now);
/*
 * A status report from modem for reference msgref to recipient ("" if
 * unknown): mark the newest such part with status ("delivered",
 * "pending", "failed") and update its outbox row's delivery. -1 / 0 no
 * such part / 1 with *id the outbox row.
 */
int	 store_outbox_report(struct store *, const char *modem, int msgref,
	    const char *recipient, const char *status, time_t at,
	    int64_t *id);
/*
 * A queued row to recipient last tried on modem whose last error is
 * marker, of which a part with reference msgref may be one: -1 / 0 none /
 * 1 with *id. One with parts on record first, then the oldest.
 */
int	 store_outbox_marked(struct store *, const char *modem,
	    const char *recipient, const char *marker, int msgref, int64_t *id);
/*
 * One more part of a row to recipient that a report settled, sent on modem
 * since since: the row whose proven parts are fewer than its encoded ones
 * and one of whose parts' references lies next to msgref. Its parts + 1:
 * 1 with *id, the part's *seq and the row's *sent_at; 0 none; -1.
 */
int	 store_outbox_settle_part(struct store *, const char *modem,
	    const char *recipient, int msgref, time_t since, int64_t *id,
	    int *seq, time_t *sent_at);
/* Parts handed to modem since t (for its send rate). -1 on error. */
int	 store_outbox_parts_since(struct store *, const char *modem,
	    time_t since);

/* --- calls --- */

struct store_call {
	int64_t	 id;
	char	 modem[33];
	char	 number[PHONE_MAX];
	time_t	 at;
	int	 handled;
};
/* Record a missed call; the new id or -1. */
int64_t	 store_call_add(struct store *, const char *modem, const char *number,
	    time_t at);
/* Mark a call handled (it was an elder's check-in). 0 or -1. */
int	 store_call_handled(struct store *, int64_t id);
/* The newest calls first, at most max. 0 or -1. */
int	 store_call_list(struct store *, int max,
	    void (*cb)(const struct store_call *, void *), void *arg);

/* --- grievances --- */

#define STORE_TICKET_CODE_MAX	12

/*
 * A ticket. Status: "open" (filed, waiting for a cadre), "accepted",
 * "resolved" (answered, waiting for the reporter's rating), "returned"
 * (a cadre said it is not the village's: the township's now), "reopened"
 * (rated unsatisfied), "closed". Times are 0 when not (yet).
 */
struct store_ticket {
	int64_t	 id;
	char	 code[STORE_TICKET_CODE_MAX];
	char	 reporter[PHONE_MAX];
	char	 reporter_name[129];	/* "" if the person is gone */
	int64_t	 village_id;
	char	 village[33];		/* code */
	char	 village_name[129];
	char	 township[33];		/* code, "" if none */
	char	 category[65];		/* "" if none matched */
	int	 urgent;
	char	*text;			/* owned: store_ticket_clear frees */
	char	*reply;			/* owned; "" until resolved */
	char	 status[16];
	time_t	 created_at;
	time_t	 updated_at;
	time_t	 accept_due;
	time_t	 resolve_due;
	char	 accepted_by[PHONE_MAX];	/* "" if not accepted */
	time_t	 accepted_at;
	char	 resolved_by[PHONE_MAX];
	time_t	 resolved_at;
	int	 rating;		/* 1 satisfied … 3 not; 0 none */
	time_t	 rated_at;
	int	 escalation;		/* 0 the village, 1 the township */
	int	 accept_reminded;	/* SLA steps done: 0/1 each */
	int	 accept_escalated;
	int	 resolve_reminded;
	int	 resolve_escalated;
	int64_t	 message_id;		/* the report, 0 if none */
};

/* Which tickets store_ticket_list returns; NULL / 0 fields match all. */
struct store_ticket_filter {
	const char	*village;	/* code */
	const char	*township;	/* code */
	const char	*status;
	const char	*assignee;	/* phone */
	const char	*reporter;	/* phone */
	int		 open_only;	/* open, accepted or reopened */
};

struct store_ticket_event {
	int64_t	 id;
	time_t	 at;
	char	 actor[PHONE_MAX];
	char	 channel[17];
	char	 action[33];
	char	*detail;		/* owned by the store: valid in cb */
};

/*
 * Insert t (code, reporter, village_id, category, urgent, text, status,
 * times, message_id; the rest start empty). 1 with *id, 0 when the code
 * is taken, -1 on error.
 */
int	 store_ticket_insert(struct store *, const struct store_ticket *,
	    int64_t *id);
/* By code or id: -1 / 0 / 1; store_ticket_clear frees what out holds. */
int	 store_ticket_find(struct store *, const char *code,
	    struct store_ticket *out);
int	 store_ticket_get(struct store *, int64_t id, struct store_ticket *out);
void	 store_ticket_clear(struct store_ticket *);
/*
 * Write t's changing fields (status, category, urgent, deadlines,
 * accepted/resolved by and at, reply, rating, escalation, step flags,
 * updated_at). 0 or -1.
 */
int	 store_ticket_update(struct store *, const struct store_ticket *);
/* Tickets matching f (NULL: all), oldest first. 0 or -1. */
int	 store_ticket_list(struct store *, const struct store_ticket_filter *,
	    void (*cb)(const struct store_ticket *, void *), void *arg);
/*
 * Ids (at most max) of tickets with an SLA step due at now: open and past
 * accept_due unreminded or accept_due + accept_grace unescalated; or
 * accepted/reopened and past resolve_due unreminded or resolve_due +
 * resolve_grace (urgent_grace for urgent ones) unescalated. Count or -1.
 */
int	 store_ticket_sla_due(struct store *, time_t now, int accept_grace,
	    int resolve_grace, int urgent_grace, int64_t *ids, int max);
/* Add phone to the ticket's assignees (again is a no-op). 0 or -1. */
int	 store_ticket_assign(struct store *, int64_t ticket,
	    const char *phone);
/* Is phone an assignee of ticket? -1 / 0 / 1. */
int	 store_ticket_is_assignee(struct store *, int64_t ticket,
	    const char *phone);
/* The assignees' phones, in the order added. 0 or -1. */
int	 store_ticket_assignees(struct store *, int64_t ticket,
	    void (*cb)(const char *phone, void *), void *arg);
/* Append to the ticket's history. detail may be NULL. 0 or -1. */
int	 store_ticket_event(struct store *, int64_t ticket, time_t at,
	    const char *actor, const char *channel, const char *action,
	    const char *detail);
/* The ticket's history, oldest first. 0 or -1. */
int	 store_ticket_events(struct store *, int64_t ticket,
	    void (*cb)(const struct store_ticket_event *, void *), void *arg);

/* Reports from numbers not yet registered, kept until they are. */
struct store_pending {
	int64_t	 id;
	char	*text;			/* owned by the store: valid in cb */
	time_t	 received_at;
	int64_t	 message_id;
};
/* Keep a report from phone. 0 or -1. */
int	 store_pending_add(struct store *, const char *phone, const char *text,
	    int64_t message_id, time_t now);
/* phone's unfiled reports, oldest first. 0 or -1. */
int	 store_pending_list(struct store *, const char *phone,
	    void (*cb)(const struct store_pending *, void *), void *arg);
/* Mark a pending report filed as ticket. 0 or -1. */
int	 store_pending_filed(struct store *, int64_t id, int64_t ticket,
	    time_t now);

/* --- prompts: "a bare digit answers the last open prompt" --- */

/*
 * A question put to a phone that a bare digit answers: kind names what
 * answers it ("rating" for a ticket's satisfaction survey, …) and
 * object_id what it is about. State "open", "answered", "expired" or
 * "superseded".
 */
struct store_prompt {
	int64_t	 id;
	char	 phone[PHONE_MAX];
	char	 kind[17];
	int64_t	 object_id;
	time_t	 created_at;
	time_t	 expires_at;
	char	 state[12];
};
/*
 * Open a prompt; open ones of the same kind and object are superseded.
 * The new id or -1.
 */
int64_t	 store_prompt_add(struct store *, const char *phone, const char *kind,
	    int64_t object_id, time_t now, time_t expires);
/* phone's newest prompt open at now: -1 / 0 / 1. */
int	 store_prompt_open(struct store *, const char *phone, time_t now,
	    struct store_prompt *out);
/* Close a prompt as state ("answered" …) with answer (NULL ok). 0/-1. */
int	 store_prompt_close(struct store *, int64_t id, const char *state,
	    const char *answer, time_t now);
/* Close the open prompts of kind about object_id as state. 0 or -1. */
int	 store_prompt_close_object(struct store *, const char *kind,
	    int64_t object_id, const char *state, time_t now);
/* Open prompts whose time ran out at now (at most max). Count or -1. */
int	 store_prompt_expired(struct store *, time_t now,
	    struct store_prompt *out, int max);

/* --- elderly check-in --- */

/*
 * An enrolled elder: a person (the phone and name) with guardians, a
 * responsible cadre, and overrides of the ladder (-1: the village's or the
 * config's; prompt_min -2 default, -1 off). Days are local dates counted
 * from 1970-01-01; paused_until is the last day paused (0 none).
 */
struct store_elder {
	int64_t	 id;
	int64_t	 person_id;
	char	 phone[PHONE_MAX];
	char	 name[129];
	int64_t	 village_id;
	char	 village[33];		/* code */
	char	 village_name[129];
	char	 township[33];		/* code, "" if none */
	char	 cadre[PHONE_MAX];	/* "" if none */
	int	 due_min;		/* minutes after local midnight */
	int	 guardian_after;	/* minutes after due */
	int	 cadre_after;
	int	 township_min;		/* the next day */
	int	 confirm;		/* -1 default, 0, 1 */
	int	 prompt_min;
	int	 start_day;
	int	 paused_until;
	int	 active;
	time_t	 created_at;
};

struct store_guardian {
	char	 phone[PHONE_MAX];
	char	 name[129];
	char	 relation[33];
};

/*
 * One elder's local day: status "open" (no word yet), "checked" (the
 * elder checked in), "confirmed" (a guardian or cadre said all is well),
 * "paused". step is the last ladder step done (0 none, 1 morning prompt,
 * 2 reminder, 3 guardians, 4 cadre, 5 township); next_at when the next is
 * due. Times are 0 when not (yet).
 */
struct store_checkin_day {
	int64_t	 id;
	int64_t	 elder_id;
	int	 day;
	char	 status[12];
	int	 step;
	time_t	 prompt_at;
	time_t	 remind_at;
	time_t	 guardians_at;
	time_t	 cadre_at;
	time_t	 township_at;
	time_t	 next_at;
	time_t	 checked_in_at;
	char	 source[12];		/* "call", "sms", "keyword", "prompt" */
	time_t	 resolved_at;
	char	 resolved_by[PHONE_MAX];
	char	 note[129];
};

/* Ladder times (-1 unset) of a village; the config's fill the rest. */
struct store_checkin_times {
	int	 due_min;
	int	 guardian_after;
	int	 cadre_after;
	int	 township_min;
	int	 prompt_min;		/* the config's only; -1 none */
};

/* An open SOS: repeated to the cadre at next_at until confirmed. */
struct store_sos {
	int64_t	 id;
	int64_t	 elder_id;
	time_t	 at;
	time_t	 next_at;
	int	 repeats;
};

/*
 * Enrol e (person_id, cadre, overrides, start_day), or update the
 * enrolment of that person (and make it active again). 0 with *id, or -1.
 */
int	 store_elder_put(struct store *, const struct store_elder *,
	    int64_t *id);
/* By phone (active or not) or id: -1 / 0 / 1. */
int	 store_elder_find(struct store *, const char *phone,
	    struct store_elder *out);
int	 store_elder_get(struct store *, int64_t id, struct store_elder *out);
/* Active elders, of one village (code) when not NULL. 0 or -1. */
int	 store_elder_list(struct store *, const char *village,
	    void (*cb)(const struct store_elder *, void *), void *arg);
/* Set active and paused_until. 0 or -1. */
int	 store_elder_set(struct store *, int64_t id, int active,
	    int paused_until, time_t now);
/* Guardians: add or replace one, drop all, list in order added. 0/-1. */
int	 store_guardian_put(struct store *, int64_t elder,
	    const struct store_guardian *);
int	 store_guardian_clear(struct store *, int64_t elder);
int	 store_guardians(struct store *, int64_t elder,
	    void (*cb)(const struct store_guardian *, void *), void *arg);
/*
 * Ids (at most max) of the active elders phone may confirm or pause: as
 * a guardian, their responsible cadre, or a cadre of their village.
 * Count or -1.
 */
int	 store_elder_related(struct store *, const char *phone, int64_t *ids,
	    int max);
/*
 * Among the elders phone may confirm or pause (as store_elder_related,
 * whatever their number), the one arg names: arg holds their name (the
 * longest such name wins: "确认王秀英平安"), or is or starts with their
 * code. -1 / 0 / 1.
 */
int	 store_elder_related_find(struct store *, const char *phone,
	    const char *arg, struct store_elder *out);
/* Is phone a guardian of an active elder? -1 / 0 / 1. */
int	 store_guardian_is(struct store *, const char *phone);
/* A village's ladder times (-1 each when it has none). 0 or -1. */
int	 store_checkin_village_put(struct store *, int64_t village,
	    const struct store_checkin_times *);
int	 store_checkin_village_get(struct store *, int64_t village,
	    struct store_checkin_times *out);
/*
 * Make day's rows (elder_id 0: every active elder started by then, once
 * a day — 0 when the day was done already; else that elder), with
 * midnight and next_midnight the day's bounds in UTC and t the config's
 * times. Returns the rows made, or -1.
 */
int	 store_checkin_materialize(struct store *, int day, time_t midnight,
	    time_t next_midnight, const struct store_checkin_times *t,
	    int64_t elder_id, time_t now);
/* An elder's row for a day, or by id: -1 / 0 / 1. */
int	 store_checkin_day_find(struct store *, int64_t elder, int day,
	    struct store_checkin_day *out);
int	 store_checkin_day_get(struct store *, int64_t id,
	    struct store_checkin_day *out);
/* Insert d (elder, day, status, step, check-in, resolution); *id. */
int	 store_checkin_day_insert(struct store *,
	    const struct store_checkin_day *, int64_t *id);
/* Write status, step, next_at, check-in and resolution. 0 or -1. */
int	 store_checkin_day_update(struct store *,
	    const struct store_checkin_day *);
/* Ids of open rows with a step due at now (at most max). Count or -1. */
int	 store_checkin_day_due(struct store *, time_t now, int64_t *ids,
	    int max);
/* Ids of an elder's open rows, oldest day first (at most max). */
int	 store_checkin_day_open(struct store *, int64_t elder, int64_t *ids,
	    int max);
/*
 * Rows with their elders: every active elder with its row for day (id 0
 * when none; village code NULL for all); one elder's newest max rows; or
 * the rows of days from..to (village NULL for all). 0 or -1.
 */
typedef void (*store_checkin_cb)(const struct store_elder *,
	    const struct store_checkin_day *, void *);
int	 store_checkin_day_list(struct store *, int day, const char *village,
	    store_checkin_cb, void *arg);
int	 store_checkin_day_history(struct store *, int64_t elder, int max,
	    store_checkin_cb, void *arg);
int	 store_checkin_day_range(struct store *, int from, int to,
	    const char *village, store_checkin_cb, void *arg);
/* Who a day's ladder alerted (each phone once), for the all-clear. */
int	 store_checkin_alert_add(struct store *, int64_t day_id,
	    const char *phone, int step, time_t now, int64_t outbox_id);
/*
 * The day's alerts due by now but still queued, never tried (no modem was
 * up): withdrawn, the elder was found well. The number withdrawn, or -1.
 * store_checkin_alerted then leaves their phones out.
 */
int	 store_checkin_withdraw(struct store *, int64_t day_id, time_t now);
int	 store_checkin_alerted(struct store *, int64_t day_id,
	    void (*cb)(const char *phone, void *), void *arg);
/* SOS: open one (its id or -1); due ones; repeat; resolve an elder's. */
int64_t	 store_sos_add(struct store *, int64_t elder, time_t at,
	    time_t next_at);
int	 store_sos_due(struct store *, time_t now, struct store_sos *out,
	    int max);
int	 store_sos_repeat(struct store *, int64_t id, time_t next_at);
/* Resolve the elder's open SOS calls: how many, or -1. */
int	 store_sos_resolve(struct store *, int64_t elder, const char *by,
	    time_t now);

struct store_stats {
	int64_t	 parts_in;
	int64_t	 messages_in;
	int64_t	 messages_partial;
	int64_t	 messages_pending;
	int64_t	 outbox[OUTBOX_NSTATES];	/* by enum outbox_state */
	int64_t	 queued_by_class[OUTBOX_NCLASSES];
	int64_t	 parts_out;
	int64_t	 people;
	int64_t	 villages;
};
int	 store_stats(struct store *, struct store_stats *out);

/*
 * What the county page and /metrics count beside their trends, each an
 * index range rather than a whole table: outbox rows queued or sending;
 * sent, failed, expired or withdrawn since since (sent by sent_at, the
 * rest by their last try); messages not yet routed; tickets not done
 * (open, accepted, reopened, returned) and those past a deadline at now
 * (open past accept_due, accepted past resolve_due). 0 or -1.
 */
struct store_live {
	int64_t	 outbox[OUTBOX_NSTATES];	/* by enum outbox_state */
	int64_t	 queued_by_class[OUTBOX_NCLASSES];
	int64_t	 messages_pending;
	int64_t	 tickets_open;
	int64_t	 tickets_overdue;
};
int	 store_stats_live(struct store *, time_t now, time_t since,
	    struct store_live *out);

/*
 * Metrics (issue 7): fixed read-only queries, each row (a, b, value)
 * handed to cb; strings are valid during the call only. param binds ?1
 * (TICKETS_OVERDUE: now; CHECKINS: the local day). 0 or -1.
 */
enum store_metric {
	STORE_METRIC_IN_BY_MODEM,	/* modem, "", messages */
	STORE_METRIC_OUT_BY_MODEM,	/* modem, outbox state number, rows */
	STORE_METRIC_RETRIES,		/* "", "", attempts beyond the first */
	STORE_METRIC_SEND_LATENCY,	/* "", sends, s created -> sent */
	STORE_METRIC_TICKETS,		/* status, "", tickets */
	STORE_METRIC_CHECKINS,		/* village code, day status, elders */
	STORE_METRIC_CREDIT,		/* modem, "", SIM credit in fen */
	STORE_METRIC_LADDER_ALERTS,	/* "", "", check-in alerts sent */
	STORE_METRIC_SUPPRESSED,	/* reason, "", messages suppressed */
	STORE_METRIC_ERRORS,		/* recipient, last error, time */
	STORE_METRIC_N
};
typedef void (*store_metric_cb)(const char *a, const char *b, int64_t v,
    void *arg);
int	 store_metric(struct store *, enum store_metric, int64_t param,
	    store_metric_cb, void *arg);
/*
 * Record modem name's SIM credit (hundredths) read from reply. Returns 1
 * when it has just fallen below threshold (tell the admins: once, until a
 * reading at or above it), 0 otherwise, -1 on error.
 */
int	 store_credit_set(struct store *, const char *name, int64_t credit,
	    const char *reply, int64_t threshold, time_t now);
/* Can a write transaction begin now (BEGIN IMMEDIATE, ROLLBACK)? 0/1. */
int	 store_is_writable(struct store *);

/* --- village events and notices --- */

#define STORE_EVENT_CODE_MAX	8

/*
 * An event of a village: status "open" (sign-ups taken) or "closed" (its
 * start passed, or closed by hand). confirmed and waiting are counted
 * when the row is read.
 */
struct store_event {
	int64_t	 id;
	char	 code[STORE_EVENT_CODE_MAX];
	int64_t	 village_id;
	char	 village[33];		/* code */
	char	 village_name[129];
	char	 township[33];		/* code, "" if none */
	char	 title[129];
	char	 place[129];
	time_t	 starts_at;
	time_t	 remind_at;		/* the day-before reminder */
	int	 capacity;
	char	 status[12];
	int	 reminded;
	char	 created_by[PHONE_MAX];	/* a phone or "cli" */
	time_t	 created_at;
	int	 confirmed;
	int	 waiting;
};

/* A signup: status "confirmed", "waiting" or "cancelled". */
struct store_signup {
	int64_t	 id;
	int64_t	 event_id;
	char	 phone[PHONE_MAX];
	char	 name[129];		/* "" if the person is gone */
	char	 status[12];
	int	 ord;			/* order within the event */
	time_t	 created_at;
	time_t	 updated_at;
};

/*
 * Insert e (code, village_id, title, place, starts_at, remind_at,
 * capacity, created_by, created_at). 1 with *id, 0 when the code is taken
 * by an open event, -1 on error.
 */
int	 store_event_insert(struct store *, const struct store_event *,
	    int64_t *id);
/* The open event with code, else the newest with it; by id: -1 / 0 / 1. */
int	 store_event_find(struct store *, const char *code,
	    struct store_event *out);
int	 store_event_get(struct store *, int64_t id, struct store_event *out);
/* Events by start, of one village (code) if not NULL, open ones only. */
int	 store_event_list(struct store *, const char *village, int open_only,
	    void (*cb)(const struct store_event *, void *), void *arg);
/* Set status and the reminded flag. 0 or -1. */
int	 store_event_set(struct store *, int64_t id, const char *status,
	    int reminded);
/* Open, unreminded events whose reminder is due at now: count or -1. */
int	 store_event_remind_due(struct store *, time_t now, int64_t *ids,
	    int max);
/* Close open events that started by now: how many, or -1. */
int	 store_event_close_past(struct store *, time_t now);
/* phone's signup to event: -1 / 0 / 1. */
int	 store_signup_find(struct store *, int64_t event, const char *phone,
	    struct store_signup *out);
/* Add or change phone's signup to status, last in its order. 0 or -1. */
int	 store_signup_put(struct store *, int64_t event, const char *phone,
	    const char *status, time_t now);
/* Signups: confirmed, then waiting, then cancelled, each in order. */
int	 store_signup_list(struct store *, int64_t event,
	    void (*cb)(const struct store_signup *, void *), void *arg);

/*
 * A notice to a village: status "pending" (waiting for the sender's
 * confirmation), "sent" (queued to every recipient) or "expired".
 */
struct store_notice {
	int64_t	 id;
	int64_t	 village_id;
	char	 village[33];		/* code, when read */
	char	 text[1536];
	char	 sender[PHONE_MAX];	/* a phone or "cli" */
	int	 recipients;
	int	 parts;			/* in all */
	char	 status[12];
	time_t	 created_at;
	time_t	 sent_at;		/* 0 if not */
};
/* Insert n; 0 with *id, or -1. */
int	 store_notice_add(struct store *, const struct store_notice *,
	    int64_t *id);
/* -1 / 0 / 1. */
int	 store_notice_get(struct store *, int64_t id, struct store_notice *out);
/* Set status and sent_at (0: none). 0 or -1. */
int	 store_notice_set(struct store *, int64_t id, const char *status,
	    time_t sent_at);
/* Newest first, of one village (code) if not NULL. 0 or -1. */
int	 store_notice_list(struct store *, const char *village,
	    void (*cb)(const struct store_notice *, void *), void *arg);
/* Pending notices created at or before cutoff expire: count or -1. */
int	 store_notice_expire(struct store *, time_t cutoff);

/*
 * --- the status pages' accounts and sessions (store/account.c) ---
 *
 * An account's role is "county" (everything), "township" (its villages)
 * or "village" (its own); scope is that township's or village's code, ""
 * for the county. A session is kept by the hash of its cookie's token.
 */
struct store_account {
	int64_t	 id;
	char	 name[65];
	char	 hash[256];	/* crypt(3) */
	char	 role[16];
	char	 scope[33];
	char	 scope_name[129];
	int64_t	 created_at;
	int64_t	 login_at;	/* 0: never */
};
/* 0, or -1 with *cause (a duplicate name, an unknown scope code). */
int	 store_account_add(struct store *, const char *name, const char *hash,
	    const char *role, const char *scope, time_t now, char **cause);
/* 1 found into *out, 0 none, -1 error. */
int	 store_account_find(struct store *, const char *name,
	    struct store_account *out);
/* A new password hash: 1, 0 no such account, -1 error. */
int	 store_account_password(struct store *, const char *name,
	    const char *hash);
/* Remove the account and its sessions: 1, 0 no such account, -1 error. */
int	 store_account_remove(struct store *, const char *name);
/* Every account by name (hash ""). 0 or -1. */
int	 store_account_list(struct store *,
	    void (*cb)(const struct store_account *, void *), void *arg);
/* A session of account id from now, its login noted. 0 or -1. */
int	 store_session_add(struct store *, const char *token_hash,
	    int64_t account_id, time_t now);
/*
 * The account of the session token_hash if it was created after
 * born_after and seen after seen_after, into *out (and its creation
 * into *created): 1, 0 none (or lapsed), -1 error.
 */
int	 store_session_find(struct store *, const char *token_hash,
	    time_t born_after, time_t seen_after, struct store_account *out,
	    time_t *created);
/* The session was used at now. 0 or -1. */
int	 store_session_touch(struct store *, const char *token_hash,
	    time_t now);
/* End one session: 1, 0 none, -1 error. */
int	 store_session_remove(struct store *, const char *token_hash);
/* Forget sessions created before born_after or last seen before
   seen_after: how many, or -1. */
int	 store_session_expire(struct store *, time_t born_after,
	    time_t seen_after);

/*
 * --- the status pages' aggregates (store/report.c) ---
 *
 * Fixed read-only queries, each bounded. Parameters p[0..np-1] are ?1..,
 * then text (if not NULL). A bucket is (t + shift) / 86400 for a day,
 * (t + shift) / 604800 for a week, where shift is the zone's offset (plus
 * three days for weeks from Monday). township is a township's id, 0 for
 * the whole county; a message counts in the township its sender's
 * (recipient's) person row is registered in, so messages of numbers
 * registered nowhere count only in the county's. The columns, t[] as
 * text and v[] as integers, are said beside each query; valid in the
 * callback only.
 */
enum store_report {
	/* (from, until, shift, township): day, messages in */
	STORE_REPORT_IN_DAY,
	/* (from, until, shift, township): day, messages sent */
	STORE_REPORT_OUT_DAY,
	/* (from, until, shift, township): week, tickets opened / resolved /
	   past their resolve deadline undone */
	STORE_REPORT_OPENED_WEEK,
	STORE_REPORT_RESOLVED_WEEK,
	STORE_REPORT_OVERDUE_WEEK,
	/* (first day, day after): village id, day, elders, checked in */
	STORE_REPORT_CHECKINS,
	/* (after id, limit, township): id, code, name, township code,
	   township name */
	STORE_REPORT_VILLAGES,
	/* (from, until, now): of the tickets opened in [from, until), per
	   township: code, name, tickets, acceptance due or done,
	   accepted in time, resolution due or done, resolved in time,
	   rated, satisfied */
	STORE_REPORT_GRIEVANCE,
	/* (village id, limit): id, code, status, category, text, reporter,
	   created, urgent; the open ones, oldest first */
	STORE_REPORT_VILLAGE_TICKETS,
	/* (village id, day, limit): elder id, name, phone, status, next step
	   due, step; not checked in that day, furthest up the ladder first */
	STORE_REPORT_VILLAGE_ELDERS,
	/* (village id, from, limit): id, code, title, place, status, start,
	   capacity, confirmed; newest first */
	STORE_REPORT_VILLAGE_EVENTS,
	/* (), text code: as STORE_REPORT_VILLAGES, the village with code */
	STORE_REPORT_VILLAGE,
	/* (), text code: id, code, name of the township with code */
	STORE_REPORT_TOWNSHIP,
	/* (now, township): tickets not done, of them past a deadline */
	STORE_REPORT_OPEN,
	STORE_REPORT_N
};
#define STORE_REPORT_COLS	9
struct store_report_row {
	const char	*t[STORE_REPORT_COLS];
	int64_t		 v[STORE_REPORT_COLS];
};
typedef void (*store_report_cb)(const struct store_report_row *, void *);
/* Run which (np at most 4), calling cb per row: the number of rows, or -1
   (logged). */
int	 store_report(struct store *, enum store_report, const int64_t *p,
	    int np, const char *text, store_report_cb, void *arg);

#endif
