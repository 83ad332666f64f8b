/*
 * ctl_event — cungatectl's commands about village events (add, list,
 * show, export) and notices (send, list). The logic is gateway/event.c
 * and gateway/notice.c, shared with the SMS handlers.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/ctl.h"
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

/* The templates, for a command that sends messages; NULL if not. */
static struct template *
ctl_event_templates(struct ctl *c)
{
	struct template *tpl;
	char *cause = NULL;

	if ((tpl = template_load(c->cf->messages, &cause)) == NULL)
		ctl_fail_cause(cause);
	return tpl;
}

/* Plain UTF-8 text of at most max bytes, not empty. 0/1. */
static int
ctl_event_text_ok(const char *s, size_t max)
{
	return *s != '\0' && strlen(s) <= max && ctl_utf8_is_valid(s) &&
	    !ctl_has_control(s);
}

enum ctl_exit
ctl_event_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "date", required_argument, NULL, 'd' },
		{ "time", required_argument, NULL, 't' },
		{ "place", required_argument, NULL, 'p' },
		{ "capacity", required_argument, NULL, 'n' },
		{ "announce", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *village = NULL, *date = NULL, *clock = "", *place = "";
	struct store_village v;
	struct store_event e;
	struct store_notice n;
	struct event_ctx ec;
	struct notice_ctx nc;
	struct template *tpl;
	char when[40], *text, *end;
	time_t at;
	long capacity = 0;
	int ch, announce = 0, rc, minutes;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'v':
			village = optarg;
			break;
		case 'd':
			date = optarg;
			break;
		case 't':
			clock = optarg;
			break;
		case 'p':
			place = optarg;
			break;
		case 'n':
			capacity = strtol(optarg, &end, 10);
			if (*end != '\0' || capacity < 1 || capacity > 100000)
				return ctl_usage_fail(c, "--capacity: a number "
				    "of places, 1 or more");
			break;
		case 'a':
			announce = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 1 || village == NULL || date == NULL || capacity == 0)
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
	if (ctl_store(c) == NULL || (tpl = ctl_event_templates(c)) == NULL)
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
	if (announce) {
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

enum ctl_exit
ctl_event_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *village = NULL;
	struct ctl_list l;
	int ch, js = 0, all = 0, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'v':
			village = optarg;
			break;
		case 'a':
			all = 1;
			break;
		case 'j':
			js = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_event_list(c->st, village, !all, ctl_event_row, &l);
	return ctl_list_finish(c, &l, rc, "event list");
}

/* Signups with their place or waiting position. */
struct ctl_event_people {
	struct ctl_list	*l;
	struct buf	*csv;
	const struct store_event *e;
	int		 confirmed;
	int		 waiting;
};

static void
ctl_event_person_cb(const struct store_signup *g, void *arg)
{
	struct ctl_event_people *p = arg;
	char pos[16];
	int n = 0;

	if (strcmp(g->status, "confirmed") == 0)
		n = ++p->confirmed;
	else if (strcmp(g->status, "waiting") == 0)
		n = ++p->waiting;
	snprintf(pos, sizeof pos, "%d", n);
	if (p->l != NULL) {
		ctl_list_row(p->l);
		ctl_list_str(p->l, "status", g->status);
		ctl_list_int(p->l, "position", n);
		ctl_list_str(p->l, "phone", g->phone);
		ctl_list_str(p->l, "name", g->name);
		ctl_list_time(p->l, "signed_up", g->created_at);
	}
	if (p->csv != NULL) {
		csv_write_field(p->csv, p->e->code, 0);
		csv_write_field(p->csv, p->e->title, 0);
		csv_write_field(p->csv, g->status, 0);
		csv_write_field(p->csv, n > 0 ? pos : "", 0);
		csv_write_field(p->csv, g->phone, 0);
		csv_write_field(p->csv, g->name, 1);
	}
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

enum ctl_exit
ctl_event_show(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_event_people p;
	struct store_event e;
	struct ctl_list l, s;
	char *json, *obj;
	int ch, js = 0, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'j')
			return ctl_opt_end(c, ch);
		js = 1;
	}
	if (c->nargs != 1)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_event_find(c, c->args[0], &e) == -1)
		return CTL_EXIT_FAIL;
	ctl_list_init(&s, js, c->cf->timezone);
	memset(&p, 0, sizeof p);
	p.l = &s;
	p.e = &e;
	if ((rc = store_signup_list(c->st, e.id, ctl_event_person_cb,
	    &p)) == -1) {
		ctl_list_free(&s);
		return ctl_fail("event show: %s", store_error(c->st));
	}
	ctl_list_init(&l, js, c->cf->timezone);
	ctl_list_row(&l);
	ctl_event_fields(&l, &e);
	ctl_list_str(&l, "created_by", e.created_by);
	if (js) {
		ctl_list_field(&l, "signups", NULL,
		    (json = ctl_list_take_json(&s)));
		free(json);
		json = ctl_list_take_json(&l);
		/* One object, not an array of one: strip "[\n  " and "\n]". */
		obj = xstrndup(json + 4, strlen(json) - 6);
		printf("%s\n", obj);
		free(obj);
		free(json);
	} else {
		ctl_list_print(&l);
		printf("\n");
		ctl_list_print(&s);
	}
	return CTL_EXIT_OK;
}

enum ctl_exit
ctl_event_export(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_event_people p;
	struct store_event e;
	struct buf b;
	char *out;
	int ch;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		return ctl_opt_end(c, ch);
	if (c->nargs != 1)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_event_find(c, c->args[0], &e) == -1)
		return CTL_EXIT_FAIL;
	memset(&b, 0, sizeof b);
	buf_adds(&b, CSV_BOM "code,title,status,position,phone,name\r\n");
	memset(&p, 0, sizeof p);
	p.csv = &b;
	p.e = &e;
	if (store_signup_list(c->st, e.id, ctl_event_person_cb, &p) == -1) {
		buf_free(&b);
		return ctl_fail("event export: %s", store_error(c->st));
	}
	out = buf_take(&b);
	fputs(out, stdout);
	free(out);
	return CTL_EXIT_OK;
}

enum ctl_exit
ctl_notice_send(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *village = NULL;
	struct store_village v;
	struct store_notice n;
	struct notice_ctx nc;
	struct template *tpl;
	int ch, yes = 0, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'v':
			village = optarg;
			break;
		case 'y':
			yes = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 1 || village == NULL)
		return ctl_usage_line(c);
	if (!ctl_event_text_ok(c->args[0], sizeof n.text - 64))
		return ctl_usage_fail(c, "TEXT: plain text, not empty");
	if (ctl_store(c) == NULL || (tpl = ctl_event_templates(c)) == NULL)
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
	rc = notice_create(&nc, &v, c->args[0], "cli", yes, &n);
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

enum ctl_exit
ctl_notice_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *village = NULL;
	struct ctl_list l;
	int ch, js = 0, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'v':
			village = optarg;
			break;
		case 'j':
			js = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_notice_list(c->st, village, ctl_notice_row, &l);
	return ctl_list_finish(c, &l, rc, "notice list");
}
