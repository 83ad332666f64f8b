/*
 * traffic — cungatectl's commands about messages and what moves them:
 * send, outbox, messages, calls, simulate (an SMS into a dummy phone),
 * tick (the scheduler once), stats, and backup and restore of the
 * database. Each is an entry in ctl.c's table; what they share is in
 * util.c and list.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/ctl/ctl.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/sched.h"
#include "gateway/service.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"
#include "modems/modem.h"

#define CTL_DEFAULT_LIMIT	50

static const char *const ctl_class_names[OUTBOX_NCLASSES] = {
	"urgent", "reply", "reminder", "broadcast"
};

/* The --limit given, checked as it was read, or the default. */
static int
ctl_limit(struct ctl *c)
{
	const char *v = ctl_value(c, "limit");

	return v != NULL ? (int)strtol(v, NULL, 10) : CTL_DEFAULT_LIMIT;
}

/* The class named s: its number, or -1. */
static int
ctl_class_parse(const char *s)
{
	int k;

	for (k = 0; k < OUTBOX_NCLASSES; k++)
		if (strcasecmp(s, ctl_class_names[k]) == 0)
			return k;
	return -1;
}

/* --- messages in and out --- */

/* send's --class, as it is read. */
static int
ctl_send_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	(void)c;
	if (strcmp(opt, "class") == 0 && ctl_class_parse(value) == -1) {
		*cause = xasprintf("unknown class \"%s\" (urgent, reply, "
		    "reminder or broadcast)", value);
		return -1;
	}
	return 0;
}

static enum ctl_exit
ctl_send(struct ctl *c)
{
	enum outbox_class class = OUTBOX_REPLY;
	enum ctl_exit ex;
	const char *given = ctl_value(c, "class");
	char phone[PHONE_MAX], *cause = NULL, *detail;
	int64_t id;

	if (given != NULL)
		class = (enum outbox_class)ctl_class_parse(given);
	if (c->args[1][0] == '\0')
		return ctl_usage_fail(c, "empty text");
	if (!ctl_utf8_is_valid(c->args[1]))
		return ctl_usage_fail(c, "text is not UTF-8");
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if ((id = outbox_queue(c->st, phone, c->args[1], class, 0,
	    now_real())) == -1)
		return ctl_store_fail(c, "send");
	detail = xasprintf("outbox %lld, class %s", (long long)id,
	    ctl_class_names[class]);
	ex = ctl_commit(c, "send", phone, detail, "send");
	free(detail);
	if (ex == CTL_EXIT_OK)
		printf("%lld\n", (long long)id);
	return ex;
}

const struct ctl_cmd ctl_cmd_send = {
	.name = "send",
	.usage = "PHONE TEXT [--class urgent|reply|reminder|broadcast]",
	.about = "queue a message (class reply by default); prints its "
	    "outbox id",
	.args = { "class:", 2, 2, ctl_send_check },
	.exec = ctl_send
};

struct ctl_outbox_ctx {
	struct ctl_list	 l;
	int		 modems_up;	/* modems the daemon last saw up */
	time_t		 now;
};

static void
ctl_outbox_modem(const struct store_modem *m, void *arg)
{
	struct ctl_outbox_ctx *x = arg;

	if (strcmp(m->state, "up") == 0)
		x->modems_up++;
}

/* Why a row waits, in words; "" when it does not. */
static const char *
ctl_outbox_waiting(const struct ctl_outbox_ctx *x, const struct store_outbox *o)
{
	if (o->state != OUTBOX_QUEUED)
		return "";
	if (o->next_attempt_at > x->now && o->waiting[0] != '\0')
		return o->waiting;
	if (o->next_attempt_at > x->now)
		return o->attempts > 0 ? "retry after a failed attempt" :
		    "not due yet";
	if (x->modems_up == 0)
		return "no modem up";
	return "next to go (send rate)";
}

static void
ctl_outbox_row(const struct store_outbox *o, void *arg)
{
	struct ctl_outbox_ctx *x = arg;
	struct ctl_list *l = &x->l;

	ctl_list_row(l);
	ctl_list_int(l, "id", o->id);
	ctl_list_time(l, "time", o->created_at);
	ctl_list_str(l, "recipient", o->recipient);
	ctl_list_str(l, "state", store_outbox_state_name(o->state));
	ctl_list_str(l, "class", (unsigned)o->class < OUTBOX_NCLASSES ?
	    ctl_class_names[o->class] : "?");
	ctl_list_int(l, "attempts", o->attempts);
	ctl_list_int(l, "parts", o->parts);
	ctl_list_opt(l, "modem", o->modem);
	ctl_list_opt(l, "delivery", o->delivery);
	if (l->format == CTL_LIST_JSON) {
		ctl_list_time(l, "delivered_time", o->delivered_at);
		ctl_list_time(l, "next_attempt", o->next_attempt_at);
		ctl_list_time(l, "sent_time", o->sent_at);
		ctl_list_time(l, "expires", o->expires_at);
		ctl_list_str(l, "text", o->text);
		ctl_list_opt(l, "last_error", o->last_error);
		ctl_list_opt(l, "waiting", ctl_outbox_waiting(x, o));
		if (o->message_id != 0)
			ctl_list_int(l, "message_id", o->message_id);
		else
			ctl_list_null(l, "message_id");
	} else {
		/* The text last, where its length bothers no column. */
		ctl_list_str(l, "waiting", ctl_outbox_waiting(x, o));
		ctl_list_str(l, "last_error", o->last_error);
		ctl_list_str(l, "text", o->text);
	}
}

/* outbox's --state and --limit, as they are read. */
static int
ctl_outbox_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	if (strcmp(opt, "state") == 0 &&
	    store_outbox_state_parse(value) == -1) {
		*cause = xasprintf("unknown state \"%s\" (queued, sending, "
		    "sent, failed, expired or withdrawn)", value);
		return -1;
	}
	return ctl_count_check(c, opt, value, cause);
}

static enum ctl_exit
ctl_outbox(struct ctl *c)
{
	struct ctl_outbox_ctx x;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&x, 0, sizeof x);
	x.now = now_real();
	if (store_modem_list(c->st, ctl_outbox_modem, &x) == -1)
		return ctl_store_fail(c, "outbox");
	ctl_list_init(&x.l, c);
	rc = store_outbox_list(c->st, ctl_value(c, "state"), ctl_limit(c),
	    ctl_outbox_row, &x);
	return ctl_list_finish(c, &x.l, rc, "outbox");
}

const struct ctl_cmd ctl_cmd_outbox = {
	.name = "outbox",
	.usage = "[--state queued|sending|sent|failed|expired|withdrawn] "
	    "[--limit N] [--json]",
	.about = "outbound messages, newest first",
	.args = { "state: limit: json", 0, 0, ctl_outbox_check },
	.exec = ctl_outbox
};

static void
ctl_message_row(const struct store_message *m, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_int(l, "id", m->id);
	ctl_list_time(l, "time", m->received_at);
	ctl_list_str(l, "sender", m->sender);
	if (l->format == CTL_LIST_JSON)
		ctl_list_str(l, "modem", m->modem);
	ctl_list_int(l, "parts", m->parts);
	ctl_list_bool(l, "partial", m->partial);
	ctl_list_str(l, "state", m->state);
	ctl_list_opt(l, "handler", m->handler);
	ctl_list_str(l, "text", m->text != NULL ? m->text : "");
}

static enum ctl_exit
ctl_messages(struct ctl *c)
{
	struct ctl_list l;
	const char *from = ctl_value(c, "from");
	char sender[PHONE_MAX], *cause = NULL;
	int rc;

	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (from != NULL &&
	    ctl_parse_sender(c->cf, from, sender, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	rc = store_message_list(c->st, from != NULL ? sender : NULL,
	    ctl_limit(c), ctl_message_row, &l);
	return ctl_list_finish(c, &l, rc, "messages");
}

const struct ctl_cmd ctl_cmd_messages = {
	.name = "messages",
	.usage = "[--from PHONE] [--limit N] [--json]",
	.about = "inbound messages, newest first",
	.args = { "from: limit: json", 0, 0, ctl_count_check },
	.exec = ctl_messages
};

static enum ctl_exit
ctl_simulate(struct ctl *c)
{
	const struct config_modem *m = NULL;
	const char *name = ctl_value(c, "modem");
	char sender[PHONE_MAX], *cause = NULL;
	size_t i;
	int n;

	if (!ctl_utf8_is_valid(c->args[1]))
		return ctl_usage_fail(c, "text is not UTF-8");
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_sender(c->cf, c->args[0], sender, &cause) == -1)
		return ctl_usage_cause(c, cause);

	if (name != NULL) {
		if ((m = config_modem_find(c->cf, name)) == NULL)
			return ctl_fail("%s: no [modem %s]", c->cf->path, name);
		if (m->model == NULL || strcasecmp(m->model, "dummy") != 0)
			return ctl_fail("modem %s is not a dummy phone "
			    "(model = %s)", name,
			    m->model != NULL ? m->model : "");
	} else {
		for (i = 0; i < c->cf->nmodems && m == NULL; i++)
			if (c->cf->modems[i].model != NULL &&
			    strcasecmp(c->cf->modems[i].model, "dummy") == 0)
				m = &c->cf->modems[i];
		if (m == NULL)
			return ctl_fail("%s: no [modem] with model = dummy",
			    c->cf->path);
	}
	if ((n = modem_simulate(c->cf, m, sender, c->args[1], &cause)) == -1)
		return ctl_fail("simulate: modem %s: %s", m->name, cause);
	printf("%d\n", n);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_simulate = {
	.name = "simulate",
	.usage = "PHONE TEXT [--modem NAME]",
	.about = "drop an SMS into a dummy-phone modem's inbox; prints the "
	    "parts written",
	.args = { "modem:", 2, 2, NULL },
	.exec = ctl_simulate
};

/* --- scheduler and counters --- */

static void
ctl_node_alive_cb(const struct store_node_row *n, void *arg)
{
	int *alive = arg;

	if (now_real() - n->seen_at <= STORE_NODE_LEASE)
		(*alive)++;
}

/*
 * Does a daemon run on the configured database? A SQLite file's lock
 * says; on a database server, a node that beats. 1/0, -1 (said).
 */
static int
ctl_database_live(struct ctl *c)
{
	int alive = 0;

	if (!store_is_server(c->cf->database))
		return service_database_live(c->cf->database);
	if (ctl_store(c) == NULL)
		return -1;
	if (store_node_list(c->st, ctl_node_alive_cb, &alive) == -1) {
		ctl_fail("nodes: %s", store_error(c->st));
		return -1;
	}
	return alive > 0;
}

static enum ctl_exit
ctl_tick(struct ctl *c)
{
	const char *at = ctl_value(c, "at");
	struct template *tpl;
	char when[32], *detail;
	time_t now;
	int n;

	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (at == NULL)
		now = now_real();
	else if (tz_parse(c->cf->timezone, at, &now) == -1)
		return ctl_usage_fail(c, "--at \"%s\": expected \"YYYY-MM-DD "
		    "HH:MM\" (local time, %s)", at, c->cf->timezone);
	/*
	 * Another time on the live database would run tomorrow's ladder and
	 * deadlines for real, today: for a copy (cungatectl backup) only.
	 */
	if (at != NULL && !ctl_flag(c, "force") &&
	    (n = ctl_database_live(c)) != 0) {
		if (n == -1)
			return CTL_EXIT_FAIL;
		return ctl_fail("tick --at: cungated is running on %s: a time "
		    "other than now would send tomorrow's alerts for real; "
		    "use a copy (cungatectl backup), or --force",
		    store_is_server(c->cf->database) ? "the database" :
		    c->cf->database);
	}
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if ((tpl = ctl_templates(c)) == NULL)
		return CTL_EXIT_FAIL;
	/* The scheduler logs what it does at info: let that through. */
	log_init("cungatectl", LOG_LEVEL_INFO);
	n = at != NULL ? sched_run_as_of(c->st, c->cf, tpl, now) :
	    sched_run(c->st, c->cf, tpl, now);
	log_init("cungatectl", LOG_LEVEL_WARN);
	template_free(tpl);
	if (n == -1)
		return ctl_fail("tick: %s", store_error(c->st));
	tz_format(c->cf->timezone, now, when);
	detail = xasprintf("at %s %s: %d done", when, c->cf->timezone, n);
	/* sched_run has committed; the audit row is its own write. */
	if (n > 0 && ctl_audit(c, "tick", NULL, detail) == -1)
		ctl_warnx("tick: audit: %s", store_error(c->st));
	printf("tick %s\n", detail);
	free(detail);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_tick = {
	.name = "tick",
	.usage = "[--at \"YYYY-MM-DD HH:MM\" [--force]]",
	.about = "run the scheduler once, as of that local time (default "
	    "now);\n\t\t\t--at while cungated runs on the database needs "
	    "--force",
	.args = { "at: force", 0, 0, NULL },
	.exec = ctl_tick
};

static void
ctl_modem_row(const struct store_modem *m, void *arg)
{
	static const char *const health[] = {
		"signal", "battery", "network", "operator", "sim_used",
		"sim_total"
	};
	struct ctl_list *l = arg;
	size_t i;

	ctl_list_row(l);
	ctl_list_str(l, "name", m->name);
	ctl_list_str(l, "node", m->node);
	ctl_list_str(l, "state", m->state);
	ctl_list_time(l, "since", m->updated_at);
	ctl_list_int(l, "sent", m->messages_sent);
	ctl_list_int(l, "parts_sent", m->parts_sent);
	ctl_list_int(l, "parts_received", m->parts_received);
	ctl_list_int(l, "calls", m->calls);
	if (m->health_at != 0) {
		ctl_list_int(l, "signal", m->signal);
		ctl_list_int(l, "battery", m->battery);
		ctl_list_str(l, "network", m->network);
		ctl_list_str(l, "operator", m->operator_name);
		ctl_list_int(l, "sim_used", m->sim_used);
		ctl_list_int(l, "sim_total", m->sim_total);
	} else {
		/* Never read: no figures, not zeros. */
		for (i = 0; i < sizeof health / sizeof health[0]; i++)
			ctl_list_null(l, health[i]);
	}
	if (l->format == CTL_LIST_JSON)
		ctl_list_time(l, "down_since", m->down_since);
	ctl_list_str(l, "detail", m->detail);
}

/* A node's row: alive while it beats within the lease. */
static void
ctl_node_row(const struct store_node_row *n, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "node", n->name);
	ctl_list_str(l, "host", n->host);
	ctl_list_int(l, "pid", n->pid);
	ctl_list_time(l, "started", n->started_at);
	ctl_list_time(l, "seen", n->seen_at);
	ctl_list_str(l, "state", n->seen_at == 0 ? "stopped" :
	    now_real() - n->seen_at <= STORE_NODE_LEASE ? "alive" : "gone");
}

static void
ctl_call_row(const struct store_call *call, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_int(l, "id", call->id);
	ctl_list_time(l, "time", call->at);
	ctl_list_str(l, "number", call->number);
	ctl_list_str(l, "modem", call->modem);
	ctl_list_bool(l, "handled", call->handled);
}

static enum ctl_exit
ctl_calls(struct ctl *c)
{
	struct ctl_list l;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	rc = store_call_list(c->st, ctl_limit(c), ctl_call_row, &l);
	return ctl_list_finish(c, &l, rc, "calls");
}

const struct ctl_cmd ctl_cmd_calls = {
	.name = "calls",
	.usage = "[--limit N] [--json]",
	.about = "missed calls the modems hung up, newest first",
	.args = { "limit: json", 0, 0, ctl_count_check },
	.exec = ctl_calls
};

static enum ctl_exit
ctl_stats(struct ctl *c)
{
	static const char *const states[OUTBOX_NSTATES] = {
		"queued", "sending", "sent", "failed", "expired", "withdrawn"
	};
	struct store_stats s;
	struct ctl_list l, nodes;
	struct ctl_obj o, sub;
	char *json;
	int i, rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&s, 0, sizeof s);
	if (store_stats(c->st, &s) == -1)
		return ctl_fail("stats: %s", store_error(c->st));

	ctl_list_init(&l, c);
	rc = store_modem_list(c->st, ctl_modem_row, &l);
	if (rc == -1) {
		ctl_list_free(&l);
		return ctl_fail("stats: modems: %s", store_error(c->st));
	}
	ctl_list_init(&nodes, c);
	if (store_node_list(c->st, ctl_node_row, &nodes) == -1) {
		ctl_list_free(&l);
		ctl_list_free(&nodes);
		return ctl_fail("stats: nodes: %s", store_error(c->st));
	}

	if (l.format != CTL_LIST_JSON) {
		printf("messages in   %lld parts, %lld messages, %lld partial, "
		    "%lld pending\n", (long long)s.parts_in,
		    (long long)s.messages_in, (long long)s.messages_partial,
		    (long long)s.messages_pending);
		printf("outbox       ");
		for (i = 0; i < OUTBOX_NSTATES; i++)
			printf(" %lld %s%s", (long long)s.outbox[i], states[i],
			    i < OUTBOX_NSTATES - 1 ? "," : "\n");
		printf("queued       ");
		for (i = 0; i < OUTBOX_NCLASSES; i++)
			printf(" %lld %s%s", (long long)s.queued_by_class[i],
			    ctl_class_names[i], i < OUTBOX_NCLASSES - 1 ?
			    "," : "\n");
		printf("parts out     %lld\n", (long long)s.parts_out);
		printf("people        %lld\n", (long long)s.people);
		printf("villages      %lld\n", (long long)s.villages);
		if (l.nrows > 0)
			printf("\n");
		ctl_list_print(&l);
		if (nodes.nrows > 0)
			printf("\n");
		ctl_list_print(&nodes);
		return CTL_EXIT_OK;
	}

	memset(&o, 0, sizeof o);
	memset(&sub, 0, sizeof sub);
	ctl_obj_int(&sub, "parts", s.parts_in);
	ctl_obj_int(&sub, "messages", s.messages_in);
	ctl_obj_int(&sub, "partial", s.messages_partial);
	ctl_obj_int(&sub, "pending", s.messages_pending);
	ctl_obj_json(&o, "messages_in", ctl_obj_take(&sub));
	for (i = 0; i < OUTBOX_NSTATES; i++)
		ctl_obj_int(&sub, states[i], s.outbox[i]);
	ctl_obj_json(&o, "outbox", ctl_obj_take(&sub));
	for (i = 0; i < OUTBOX_NCLASSES; i++)
		ctl_obj_int(&sub, ctl_class_names[i], s.queued_by_class[i]);
	ctl_obj_json(&o, "queued_by_class", ctl_obj_take(&sub));
	ctl_obj_int(&o, "parts_out", s.parts_out);
	ctl_obj_int(&o, "people", s.people);
	ctl_obj_int(&o, "villages", s.villages);
	ctl_obj_json(&o, "modems", ctl_list_take_json(&l));
	ctl_obj_json(&o, "nodes", ctl_list_take_json(&nodes));
	json = ctl_obj_take(&o);
	printf("%s\n", json);
	free(json);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_stats = {
	.name = "stats",
	.usage = "[--json]",
	.about = "counts: messages in and out, queue, people, modems, and"
	    "\n\t\t\tthe nodes on the database",
	.args = { "json", 0, 0, NULL },
	.exec = ctl_stats
};

/*
 * backup FILE: an online copy of the database, safe while the daemon runs
 * (a consistent snapshot; it goes on receiving and sending), checked
 * before it takes the name FILE. A restore is: stop the service, copy the
 * backup over the database, remove its -wal and -shm files, start it.
 */
static enum ctl_exit
ctl_backup(struct ctl *c)
{
	char *cause = NULL;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (strcmp(c->args[0], c->cf->database) == 0)
		return ctl_fail("%s is the database itself", c->args[0]);
	if (store_backup(c->st, c->args[0], &cause) == -1) {
		ctl_warnx("backup: %s", cause);
		free(cause);
		return CTL_EXIT_FAIL;
	}
	printf("backed up %s (schema %d) to %s\n", c->cf->database,
	    store_schema_version(c->st), c->args[0]);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_backup = {
	.name = "backup",
	.usage = "FILE",
	.about = "copy the database to FILE while the daemon runs (checked;\n"
	    "\t\t\tsee restore)",
	.args = { NULL, 1, 1, NULL },
	.exec = ctl_backup
};

/*
 * restore FILE: the backup in place of the database. Only while no daemon
 * runs on it (its lock says so): the service is stopped first.
 */
static enum ctl_exit
ctl_restore(struct ctl *c)
{
	struct store *st;
	char *cause = NULL;

	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (service_database_live(c->cf->database))
		return ctl_fail("restore: cungated is running on %s: stop it "
		    "first (systemctl stop cungated)", c->cf->database);
	if (strcmp(c->args[0], c->cf->database) == 0)
		return ctl_fail("%s is the database itself", c->args[0]);
	if (store_restore(c->args[0], c->cf->database, &cause) == -1) {
		ctl_warnx("restore: %s", cause);
		free(cause);
		return CTL_EXIT_FAIL;
	}
	/* Opened once: a backup from an older release is migrated now. */
	if ((st = store_open(c->cf->database, &cause)) == NULL) {
		ctl_warnx("restore: %s", cause);
		free(cause);
		return CTL_EXIT_FAIL;
	}
	printf("restored %s from %s (schema %d)\n", c->cf->database,
	    c->args[0], store_schema_version(st));
	store_close(st);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_restore = {
	.name = "restore",
	.usage = "FILE",
	.about = "put a backup in place of the database (checked first; only\n"
	    "\t\t\twhile cungated is stopped)",
	.args = { NULL, 1, 1, NULL },
	.exec = ctl_restore
};
