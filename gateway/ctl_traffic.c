/*
 * ctl_traffic — cungatectl's commands about messages and what moves
 * them: send, outbox, messages, simulate (an SMS into a dummy phone),
 * tick (the scheduler once) and stats. Each is an entry in ctl.c's
 * table; what they share is in ctl_util.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/ctl.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/sched.h"
#include "gateway/service.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"
#include "modems/modem.h"

#define CTL_DEFAULT_LIMIT	50
#define CTL_MAX_LIMIT		100000

static const char *const ctl_class_names[OUTBOX_NCLASSES] = {
	"urgent", "reply", "reminder", "broadcast"
};

/*
 * The options outbox and messages share, for their getopt loops: --limit
 * N into *limit, --json into *json. 0, or -1 with *ex what the command
 * returns (a usage error, or for -h its usage).
 */
static int
ctl_opt_limit_json(struct ctl *c, int ch, int *limit, int *json,
    enum ctl_exit *ex)
{
	char *end;
	long v;

	switch (ch) {
	case 'n':
		errno = 0;
		v = strtol(optarg, &end, 10);
		if (errno != 0 || end == optarg || *end != '\0' || v < 1 ||
		    v > CTL_MAX_LIMIT) {
			*ex = ctl_usage_fail(c, "--limit \"%s\": expected a "
			    "number from 1 to %d", optarg, CTL_MAX_LIMIT);
			return -1;
		}
		*limit = (int)v;
		return 0;
	case 'j':
		*json = 1;
		return 0;
	}
	*ex = ctl_opt_end(c, ch);
	return -1;
}

/* --- messages in and out --- */

enum ctl_exit
ctl_send(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum outbox_class class = OUTBOX_REPLY;
	enum ctl_exit ex;
	char phone[PHONE_MAX], *cause = NULL, *detail;
	int64_t id;
	int ch, k;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'k')
			return ctl_opt_end(c, ch);
		for (k = 0; k < OUTBOX_NCLASSES; k++)
			if (strcasecmp(optarg, ctl_class_names[k]) == 0)
				break;
		if (k == OUTBOX_NCLASSES)
			return ctl_usage_fail(c, "unknown class \"%s\" "
			    "(urgent, reply, reminder or broadcast)", optarg);
		class = (enum outbox_class)k;
	}
	if (c->nargs != 2)
		return ctl_usage_line(c);
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
	if (l->json) {
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
			ctl_list_field(l, "message_id", NULL, "null");
	} else {
		/* The text last, where its length bothers no column. */
		ctl_list_str(l, "waiting", ctl_outbox_waiting(x, o));
		ctl_list_str(l, "last_error", o->last_error);
		ctl_list_str(l, "text", o->text);
	}
}

enum ctl_exit
ctl_outbox(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_outbox_ctx x;
	enum ctl_exit ex;
	const char *state = NULL;
	int ch, js = 0, limit = CTL_DEFAULT_LIMIT, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 's') {
			if (ctl_opt_limit_json(c, ch, &limit, &js, &ex) == -1)
				return ex;
			continue;
		}
		if (store_outbox_state_parse(optarg) == -1)
			return ctl_usage_fail(c, "unknown state \"%s\" "
			    "(queued, sending, sent, failed, expired or "
			    "withdrawn)",
			    optarg);
		state = optarg;
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&x, 0, sizeof x);
	x.now = now_real();
	if (store_modem_list(c->st, ctl_outbox_modem, &x) == -1)
		return ctl_store_fail(c, "outbox");
	ctl_list_init(&x.l, js, c->cf->timezone);
	rc = store_outbox_list(c->st, state, limit, ctl_outbox_row, &x);
	return ctl_list_finish(c, &x.l, rc, "outbox");
}

static void
ctl_message_row(const struct store_message *m, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_int(l, "id", m->id);
	ctl_list_time(l, "time", m->received_at);
	ctl_list_str(l, "sender", m->sender);
	if (l->json)
		ctl_list_str(l, "modem", m->modem);
	ctl_list_int(l, "parts", m->parts);
	ctl_list_bool(l, "partial", m->partial);
	ctl_list_str(l, "state", m->state);
	ctl_list_opt(l, "handler", m->handler);
	ctl_list_str(l, "text", m->text != NULL ? m->text : "");
}

enum ctl_exit
ctl_messages(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_list l;
	enum ctl_exit ex;
	const char *from = NULL;
	char sender[PHONE_MAX], *cause = NULL;
	int ch, js = 0, limit = CTL_DEFAULT_LIMIT, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch == 'f')
			from = optarg;
		else if (ctl_opt_limit_json(c, ch, &limit, &js, &ex) == -1)
			return ex;
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (from != NULL &&
	    ctl_parse_sender(c->cf, from, sender, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_message_list(c->st, from != NULL ? sender : NULL, limit,
	    ctl_message_row, &l);
	return ctl_list_finish(c, &l, rc, "messages");
}

enum ctl_exit
ctl_simulate(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "modem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct config_modem *m = NULL;
	const char *name = NULL;
	char sender[PHONE_MAX], *cause = NULL;
	size_t i;
	int ch, n;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'm')
			return ctl_opt_end(c, ch);
		name = optarg;
	}
	if (c->nargs != 2)
		return ctl_usage_line(c);
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

/* --- scheduler and counters --- */

enum ctl_exit
ctl_tick(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *at = NULL;
	struct template *tpl;
	char when[32], *detail, *cause = NULL;
	time_t now;
	int ch, n, force = 0;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch == 'a')
			at = optarg;
		else if (ch == 'f')
			force = 1;
		else
			return ctl_opt_end(c, ch);
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
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
	if (at != NULL && !force && service_database_live(c->cf->database))
		return ctl_fail("tick --at: cungated is running on %s: a time "
		    "other than now would send tomorrow's alerts for real; "
		    "use a copy (cungatectl backup), or --force",
		    c->cf->database);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if ((tpl = template_load(c->cf->messages, &cause)) == NULL) {
		ctl_warnx("%s", cause);
		free(cause);
		return CTL_EXIT_FAIL;
	}
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

static void
ctl_modem_row(const struct store_modem *m, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "name", m->name);
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
		ctl_list_field(l, "signal", "", "null");
		ctl_list_field(l, "battery", "", "null");
		ctl_list_field(l, "network", "", "null");
		ctl_list_field(l, "operator", "", "null");
		ctl_list_field(l, "sim_used", "", "null");
		ctl_list_field(l, "sim_total", "", "null");
	}
	if (l->json)
		ctl_list_time(l, "down_since", m->down_since);
	ctl_list_str(l, "detail", m->detail);
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

enum ctl_exit
ctl_calls(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_list l;
	enum ctl_exit ex;
	int ch, js = 0, limit = CTL_DEFAULT_LIMIT, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		if (ctl_opt_limit_json(c, ch, &limit, &js, &ex) == -1)
			return ex;
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_call_list(c->st, limit, ctl_call_row, &l);
	return ctl_list_finish(c, &l, rc, "calls");
}

enum ctl_exit
ctl_stats(struct ctl *c, int argc, char **argv)
{
	static const char *const states[OUTBOX_NSTATES] = {
		"queued", "sending", "sent", "failed", "expired", "withdrawn"
	};
	struct store_stats s;
	struct ctl_list l;
	struct ctl_obj o, sub;
	enum ctl_exit ex;
	char *json;
	int js, i, rc;

	if (ctl_getopt_json(c, argc, argv, &js, &ex) == -1)
		return ex;
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&s, 0, sizeof s);
	if (store_stats(c->st, &s) == -1)
		return ctl_fail("stats: %s", store_error(c->st));

	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_modem_list(c->st, ctl_modem_row, &l);
	if (rc == -1) {
		ctl_list_free(&l);
		return ctl_fail("stats: modems: %s", store_error(c->st));
	}

	if (!js) {
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
	json = ctl_obj_take(&o);
	printf("%s\n", json);
	free(json);
	return CTL_EXIT_OK;
}


/*
 * backup FILE: an online copy of the database, safe while the daemon runs
 * (a consistent snapshot; it goes on receiving and sending), checked
 * before it takes the name FILE. A restore is: stop the service, copy the
 * backup over the database, remove its -wal and -shm files, start it.
 */
enum ctl_exit
ctl_backup(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *cause = NULL;
	int ch;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		return ctl_opt_end(c, ch);
	if (c->nargs != 1)
		return ctl_usage_line(c);
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

/*
 * restore FILE: the backup in place of the database. Only while no daemon
 * runs on it (its lock says so): the service is stopped first.
 */
enum ctl_exit
ctl_restore(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st;
	char *cause = NULL;
	int ch;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		return ctl_opt_end(c, ch);
	if (c->nargs != 1)
		return ctl_usage_line(c);
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
