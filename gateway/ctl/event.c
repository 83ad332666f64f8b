/*
 * event — cungatectl's commands about village events (add, list, show,
 * export) and notices (send, list). The logic is gateway/event.c and
 * gateway/notice.c, shared with the SMS handlers; each command is an
 * entry in ctl.c's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/ctl/ctl.h"
#include "gateway/event.h"
#include "gateway/notice.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

static void
ctl_event_fields(struct ctl_list *l, const struct store_event *e)
{
	ctl_list_str(l, "code", e->code);
	ctl_list_time(l, "starts", e->starts_at);
	ctl_list_str(l, "village", e->village);
	ctl_list_str(l, "title", e->title);
	ctl_list_opt(l, "place", e->place);
	ctl_list_int(l, "capacity", e->capacity);
	ctl_list_int(l, "confirmed", e->confirmed);
	ctl_list_int(l, "waiting", e->waiting);
	ctl_list_str(l, "status", e->status);
	ctl_list_bool(l, "reminded", e->reminded);
}

static void
ctl_event_row(const struct store_event *e, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_event_fields(l, e);
}

/* Plain UTF-8 text of at most max bytes, not empty. 0/1. */
static int
ctl_event_text_ok(const char *s, size_t max)
{
	return *s != '\0' && strlen(s) <= max && ctl_utf8_is_valid(s) &&
	    !ctl_has_control(s);
}

/* event add's --capacity, as it is read: 1 to 100000. */
static int
ctl_event_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	char *end;
	long n;

	(void)c;
	if (strcmp(opt, "capacity") != 0)
		return 0;
	n = strtol(value, &end, 10);
	if (*end != '\0' || n < 1 || n > 100000) {
		*cause = xstrdup("--capacity: a number of places, 1 or more");
		return -1;
	}
	return 0;
}

static enum ctl_exit
ctl_event_add(struct ctl *c)
{
	const char *village = ctl_value(c, "village");
	const char *date = ctl_value(c, "date");
	const char *clock = ctl_value(c, "time");
	const char *place = ctl_value(c, "place");
	const char *given = ctl_value(c, "capacity");
	struct store_village v;
	struct store_event e;
	struct store_notice n;
	struct event_ctx ec;
	struct notice_ctx nc;
	struct template *tpl;
	char when[40], *text;
	time_t at;
	long capacity = given != NULL ? strtol(given, NULL, 10) : 0;
	int rc, minutes;

	if (clock == NULL)
		clock = "";
	if (place == NULL)
		place = "";
	if (village == NULL || date == NULL || capacity == 0)
		return ctl_usage_line(c);
	if (!ctl_event_text_ok(c->args[0], 128))
		return ctl_usage_fail(c, "TITLE: plain text of 1-128 bytes");
	if (*place != '\0' && !ctl_event_text_ok(place, 128))
		return ctl_usage_fail(c, "--place: plain text of 1-128 bytes");
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (*clock == '\0')
		minutes = c->cf->event_time;
	else if (checkin_clock_parse(clock, &minutes) == -1)
		return ctl_usage_fail(c, "--time: expected HH:MM");
	snprintf(when, sizeof when, "%s %02d:%02d", date, minutes / 60,
	    minutes % 60);
	if (tz_parse(c->cf->timezone, when, &at) == -1)
		return ctl_usage_fail(c, "--date: expected YYYY-MM-DD");
	if (ctl_store(c) == NULL || (tpl = ctl_templates(c)) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1) {
		template_free(tpl);
		return CTL_EXIT_FAIL;
	}
	if ((rc = store_village_find(c->st, village, &v)) != 1) {
		template_free(tpl);
		if (rc == -1)
			return ctl_store_fail(c, "event add");
		store_rollback(c->st);
		return ctl_fail("no village %s", village);
	}
	memset(&ec, 0, sizeof ec);
	ec.st = c->st;
	ec.cf = c->cf;
	ec.tpl = tpl;
	ec.now = now_real();
	ec.actor = "cli";
	ec.channel = "cli";
	if (at <= ec.now) {
		store_rollback(c->st);
		template_free(tpl);
		return ctl_fail("event add: %s is in the past", when);
	}
	if (event_publish(&ec, &v, at, (int)capacity, c->args[0], place,
	    &e) == -1) {
		template_free(tpl);
		return ctl_store_fail(c, "event add");
	}
	n.recipients = -1;
	if (ctl_flag(c, "announce")) {
		memset(&nc, 0, sizeof nc);
		nc.st = c->st;
		nc.cf = c->cf;
		nc.tpl = tpl;
		nc.now = ec.now;
		nc.actor = "cli";
		nc.channel = "cli";
		text = event_message(&ec, "event_announce", &e, NULL, NULL);
		rc = text == NULL ? -1 : notice_create(&nc, &v, text, "cli", 1,
		    &n);
		free(text);
		if (rc == -1) {
			template_free(tpl);
			return ctl_store_fail(c, "event add");
		}
	}
	template_free(tpl);
	if (store_commit(c->st) == -1)
		return ctl_store_fail(c, "event add");
	printf("%s\n", e.code);
	if (n.recipients >= 0)
		printf("announced to %d resident(s), %d part(s)\n",
		    n.recipients, n.parts);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_event_add = {
	.name = "event add",
	.usage = "TITLE --village CODE --date YYYY-MM-DD --capacity N "
	    "[--time HH:MM] [--place TEXT] [--announce]",
	.about = "publish a village event (prints its code); --announce "
	    "sends\n\t\t\tthe village a notice of it",
	.args = { "village: date: time: place: capacity: announce", 1, 1,
	    ctl_event_check },
	.exec = ctl_event_add
};

static enum ctl_exit
ctl_event_list(struct ctl *c)
{
	struct ctl_list l;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	rc = store_event_list(c->st, ctl_value(c, "village"),
	    !ctl_flag(c, "all"), ctl_event_row, &l);
	return ctl_list_finish(c, &l, rc, "event list");
}

const struct ctl_cmd ctl_cmd_event_list = {
	.name = "event list",
	.usage = "[--village CODE] [--all] [--json]",
	.about = "open events (--all: closed ones too) with places taken",
	.args = { "village: all json", 0, 0, NULL },
	.exec = ctl_event_list
};

/*
 * Signups with their place or waiting position: for event show, or as
 * event export's CSV, which names the event on each row and leaves out
 * when they signed up.
 */
struct ctl_event_people {
	struct ctl_list	*l;
	const struct store_event *e;
	int		 confirmed;
	int		 waiting;
};

static void
ctl_event_person_cb(const struct store_signup *g, void *arg)
{
	struct ctl_event_people *p = arg;
	int csv = p->l->format == CTL_LIST_CSV, n = 0;

	if (strcmp(g->status, "confirmed") == 0)
		n = ++p->confirmed;
	else if (strcmp(g->status, "waiting") == 0)
		n = ++p->waiting;
	ctl_list_row(p->l);
	if (csv) {
		ctl_list_str(p->l, "code", p->e->code);
		ctl_list_str(p->l, "title", p->e->title);
	}
	ctl_list_str(p->l, "status", g->status);
	if (csv && n == 0)
		ctl_list_null(p->l, "position");
	else
		ctl_list_int(p->l, "position", n);
	ctl_list_str(p->l, "phone", g->phone);
	ctl_list_str(p->l, "name", g->name);
	if (!csv)
		ctl_list_time(p->l, "signed_up", g->created_at);
}

/* The event code names: 0, or -1 having said why. */
static int
ctl_event_find(struct ctl *c, const char *code, struct store_event *e)
{
	int rc = strlen(code) < STORE_EVENT_CODE_MAX ?
	    store_event_find(c->st, code, e) : 0;

	if (rc == -1)
		ctl_fail("event %s: %s", code, store_error(c->st));
	else if (rc == 0)
		ctl_fail("no event %s", code);
	return rc == 1 ? 0 : -1;
}

static enum ctl_exit
ctl_event_show(struct ctl *c)
{
	struct ctl_event_people p;
	struct store_event e;
	struct ctl_list l, s;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_event_find(c, c->args[0], &e) == -1)
		return CTL_EXIT_FAIL;
	ctl_list_init(&s, c);
	memset(&p, 0, sizeof p);
	p.l = &s;
	p.e = &e;
	if ((rc = store_signup_list(c->st, e.id, ctl_event_person_cb,
	    &p)) == -1) {
		ctl_list_free(&s);
		return ctl_fail("event show: %s", store_error(c->st));
	}
	ctl_list_init(&l, c);
	ctl_list_row(&l);
	ctl_event_fields(&l, &e);
	ctl_list_str(&l, "created_by", e.created_by);
	ctl_list_print_with(&l, "signups", &s);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_event_show = {
	.name = "event show",
	.usage = "CODE [--json]",
	.about = "one event with its signups in order",
	.args = { "json", 1, 1, NULL },
	.exec = ctl_event_show
};

static enum ctl_exit
ctl_event_export(struct ctl *c)
{
	struct ctl_event_people p;
	struct store_event e;
	struct ctl_list l;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_event_find(c, c->args[0], &e) == -1)
		return CTL_EXIT_FAIL;
	ctl_list_init_csv(&l, c, "code,title,status,position,phone,name");
	memset(&p, 0, sizeof p);
	p.l = &l;
	p.e = &e;
	rc = store_signup_list(c->st, e.id, ctl_event_person_cb, &p);
	return ctl_list_finish(c, &l, rc, "event export");
}

const struct ctl_cmd ctl_cmd_event_export = {
	.name = "event export",
	.usage = "CODE",
	.about = "an event's participants as CSV (RFC 4180) on stdout",
	.args = { NULL, 1, 1, NULL },
	.exec = ctl_event_export
};

static enum ctl_exit
ctl_notice_send(struct ctl *c)
{
	const char *village = ctl_value(c, "village");
	struct store_village v;
	struct store_notice n;
	struct notice_ctx nc;
	struct template *tpl;
	int rc;

	if (village == NULL)
		return ctl_usage_line(c);
	if (!ctl_event_text_ok(c->args[0], sizeof n.text - 64))
		return ctl_usage_fail(c, "TEXT: plain text, not empty");
	if (ctl_store(c) == NULL || (tpl = ctl_templates(c)) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1) {
		template_free(tpl);
		return CTL_EXIT_FAIL;
	}
	if ((rc = store_village_find(c->st, village, &v)) != 1) {
		template_free(tpl);
		if (rc == -1)
			return ctl_store_fail(c, "notice send");
		store_rollback(c->st);
		return ctl_fail("no village %s", village);
	}
	memset(&nc, 0, sizeof nc);
	nc.st = c->st;
	nc.cf = c->cf;
	nc.tpl = tpl;
	nc.now = now_real();
	nc.actor = "cli";
	nc.channel = "cli";
	rc = notice_create(&nc, &v, c->args[0], "cli", ctl_flag(c, "yes"),
	    &n);
	template_free(tpl);
	if (rc == -1)
		return ctl_store_fail(c, "notice send");
	if (rc == 0) {
		/* Nothing is kept: the operator asks again with --yes. */
		store_rollback(c->st);
		return ctl_fail("notice send: %d resident(s), %d part(s): "
		    "above %d, confirm with --yes", n.recipients, n.parts,
		    c->cf->notice_confirm_above);
	}
	if (store_commit(c->st) == -1)
		return ctl_store_fail(c, "notice send");
	printf("notice %lld: %d resident(s), %d part(s)\n", (long long)n.id,
	    n.recipients, n.parts);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_notice_send = {
	.name = "notice send",
	.usage = "--village CODE TEXT [--yes]",
	.about = "a notice to every resident of the village who has not "
	    "opted\n\t\t\tout; above [notice] confirm_above parts only with "
	    "--yes",
	.args = { "village: yes", 1, 1, NULL },
	.exec = ctl_notice_send
};

static void
ctl_notice_row(const struct store_notice *n, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_int(l, "id", n->id);
	ctl_list_time(l, "created", n->created_at);
	ctl_list_str(l, "village", n->village);
	ctl_list_str(l, "sender", n->sender);
	ctl_list_int(l, "recipients", n->recipients);
	ctl_list_int(l, "parts", n->parts);
	ctl_list_str(l, "status", n->status);
	ctl_list_time(l, "sent", n->sent_at);
	ctl_list_str(l, "text", n->text);
}

static enum ctl_exit
ctl_notice_list(struct ctl *c)
{
	struct ctl_list l;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	rc = store_notice_list(c->st, ctl_value(c, "village"), ctl_notice_row,
	    &l);
	return ctl_list_finish(c, &l, rc, "notice list");
}

const struct ctl_cmd ctl_cmd_notice_list = {
	.name = "notice list",
	.usage = "[--village CODE] [--json]",
	.about = "notices, newest first",
	.args = { "village: json", 0, 0, NULL },
	.exec = ctl_notice_list
};
