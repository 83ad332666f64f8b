/*
 * grievance — cungatectl's commands about tickets: list, show (with
 * history), assign, close, export (CSV) and stats (the county's three
 * rates). Changes go through gateway/grievance.c like the SMS ones, with
 * actor and channel "cli"; each is an entry in ctl.c's table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/ctl/ctl.h"
#include "gateway/grievance.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

/* The fields list and show share. */
static void
ctl_grievance_fields(struct ctl_list *l, const struct store_ticket *t)
{
	ctl_list_str(l, "code", t->code);
	ctl_list_time(l, "created", t->created_at);
	ctl_list_str(l, "village", t->village);
	ctl_list_opt(l, "category", t->category);
	ctl_list_bool(l, "urgent", t->urgent);
	ctl_list_str(l, "status", t->status);
	ctl_list_int(l, "escalation", t->escalation);
	ctl_list_str(l, "reporter", t->reporter);
	if (l->format == CTL_LIST_JSON) {
		ctl_list_str(l, "reporter_name", t->reporter_name);
		ctl_list_opt(l, "township", t->township);
	}
	ctl_list_time(l, "accept_due", t->accept_due);
	ctl_list_time(l, "resolve_due", t->resolve_due);
	if (l->format == CTL_LIST_JSON) {
		ctl_list_opt(l, "accepted_by", t->accepted_by);
		ctl_list_time(l, "accepted", t->accepted_at);
		ctl_list_opt(l, "resolved_by", t->resolved_by);
		ctl_list_time(l, "resolved", t->resolved_at);
		ctl_list_opt(l, "reply", t->reply);
		if (t->rating != 0)
			ctl_list_int(l, "rating", t->rating);
		else
			ctl_list_null(l, "rating");
		ctl_list_time(l, "rated", t->rated_at);
	}
	ctl_list_str(l, "text", t->text);
}

static void
ctl_grievance_row(const struct store_ticket *t, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_grievance_fields(l, t);
}

/* grievance list's --status, as it is read: one of the statuses. */
static int
ctl_grievance_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	size_t i;

	(void)c;
	if (strcmp(opt, "status") != 0)
		return 0;
	for (i = 0; i < GRIEVANCE_NSTATUS; i++)
		if (strcmp(value, grievance_statuses[i]) == 0)
			return 0;
	*cause = xasprintf("unknown status \"%s\" (open, accepted, "
	    "resolved, returned, reopened or closed)", value);
	return -1;
}

static enum ctl_exit
ctl_grievance_list(struct ctl *c)
{
	struct store_ticket_filter f;
	struct ctl_list l;
	int rc;

	memset(&f, 0, sizeof f);
	f.village = ctl_value(c, "village");
	f.status = ctl_value(c, "status");
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	rc = store_ticket_list(c->st, &f, ctl_grievance_row, &l);
	return ctl_list_finish(c, &l, rc, "grievance list");
}

const struct ctl_cmd ctl_cmd_grievance_list = {
	.name = "grievance list",
	.usage = "[--village CODE] [--status S] [--json]",
	.about = "tickets, oldest first (S: open, accepted, resolved, "
	    "returned,\n\t\t\treopened, closed)",
	.args = { "village: status: json", 0, 0, ctl_grievance_check },
	.exec = ctl_grievance_list
};

/* --- show --- */

static void
ctl_grievance_assignee_cb(const char *phone, void *arg)
{
	struct buf *b = arg;

	if (b->len > 0)
		buf_adds(b, ",");
	buf_adds(b, phone);
}

static void
ctl_grievance_event_cb(const struct store_ticket_event *e, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_time(l, "time", e->at);
	ctl_list_str(l, "actor", e->actor);
	ctl_list_str(l, "channel", e->channel);
	ctl_list_str(l, "action", e->action);
	ctl_list_str(l, "detail", e->detail);
}

/* Find ticket code: 0, or -1 having said why not. */
static int
ctl_grievance_find(struct ctl *c, const char *code, struct store_ticket *t)
{
	switch (store_ticket_find(c->st, code, t)) {
	case -1:
		ctl_fail("grievance %s: %s", code, store_error(c->st));
		return -1;
	case 0:
		ctl_fail("no ticket %s", code);
		return -1;
	}
	return 0;
}

static enum ctl_exit
ctl_grievance_show(struct ctl *c)
{
	struct store_ticket t;
	struct ctl_list l, h;
	struct buf who;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_grievance_find(c, c->args[0], &t) == -1)
		return CTL_EXIT_FAIL;
	memset(&who, 0, sizeof who);
	rc = store_ticket_assignees(c->st, t.id, ctl_grievance_assignee_cb,
	    &who);
	ctl_list_init(&h, c);
	if (rc == 0)
		rc = store_ticket_events(c->st, t.id, ctl_grievance_event_cb,
		    &h);
	if (rc == -1) {
		ctl_list_free(&h);
		buf_free(&who);
		store_ticket_clear(&t);
		return ctl_fail("grievance show: %s", store_error(c->st));
	}
	ctl_list_init(&l, c);
	ctl_list_row(&l);
	ctl_grievance_fields(&l, &t);
	ctl_list_strs(&l, "assignees", who.data != NULL ? who.data : "");
	ctl_list_print_with(&l, "history", &h);
	buf_free(&who);
	store_ticket_clear(&t);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_grievance_show = {
	.name = "grievance show",
	.usage = "CODE [--json]",
	.about = "one ticket with its assignees and history",
	.args = { "json", 1, 1, NULL },
	.exec = ctl_grievance_show
};

/* --- changes --- */

static void
ctl_grievance_ctx(struct ctl *c, struct grievance_ctx *g,
    const struct template *tpl)
{
	memset(g, 0, sizeof *g);
	g->st = c->st;
	g->cf = c->cf;
	g->tpl = tpl;
	g->now = now_real();
	g->actor = "cli";
	g->channel = "cli";
}

/* Finish a change: print what came of it and commit or roll back. */
static enum ctl_exit
ctl_grievance_done(struct ctl *c, int rc, const char *code, const char *what,
    const struct store_ticket *t)
{
	if (rc == -1)
		return ctl_store_fail(c, what);
	if (rc == GRIEVANCE_REFUSED) {
		store_rollback(c->st);
		return ctl_fail("%s: ticket %s is %s", what, code, t->status);
	}
	if (store_commit(c->st) == -1)
		return ctl_store_fail(c, what);
	printf("%s %s: %s\n", code, rc == GRIEVANCE_ALREADY ?
	    "nothing to do" : "done", t->status);
	return CTL_EXIT_OK;
}

static enum ctl_exit
ctl_grievance_assign(struct ctl *c)
{
	struct grievance_ctx g;
	struct store_ticket t;
	struct store_person p;
	struct template *tpl;
	enum ctl_exit ex;
	char phone[PHONE_MAX], *cause = NULL;
	int rc;

	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[1], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL || (tpl = ctl_templates(c)) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1) {
		template_free(tpl);
		return CTL_EXIT_FAIL;
	}
	if (ctl_grievance_find(c, c->args[0], &t) == -1) {
		store_rollback(c->st);
		template_free(tpl);
		return CTL_EXIT_FAIL;
	}
	rc = store_person_find(c->st, phone, &p);
	if (rc == 1 && (!(p.roles & ROLE_CADRE) ||
	    strcmp(p.village, t.village) != 0)) {
		store_rollback(c->st);
		ex = ctl_fail("%s is not a cadre of village %s", phone,
		    t.village);
	} else if (rc != 1) {
		if (rc == 0)
			store_rollback(c->st);
		ex = rc == 0 ? ctl_fail("no person %s", phone) :
		    ctl_store_fail(c, "grievance assign");
	} else {
		ctl_grievance_ctx(c, &g, tpl);
		rc = grievance_assign(&g, &t, &p);
		ex = ctl_grievance_done(c, rc, c->args[0], "grievance assign",
		    &t);
	}
	store_ticket_clear(&t);
	template_free(tpl);
	return ex;
}

const struct ctl_cmd ctl_cmd_grievance_assign = {
	.name = "grievance assign",
	.usage = "CODE PHONE",
	.about = "add a cadre of the ticket's village to it (a returned "
	    "ticket\n\t\t\topens again) and alert them",
	.args = { NULL, 2, 2, NULL },
	.exec = ctl_grievance_assign
};

static enum ctl_exit
ctl_grievance_close(struct ctl *c)
{
	struct grievance_ctx g;
	struct store_ticket t;
	struct template *tpl;
	enum ctl_exit ex;
	const char *note = ctl_value(c, "note");
	int rc;

	if (note != NULL && (!ctl_utf8_is_valid(note) ||
	    ctl_has_control(note)))
		return ctl_usage_fail(c, "--note: not plain UTF-8 text");
	if (ctl_store(c) == NULL || (tpl = ctl_templates(c)) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1) {
		template_free(tpl);
		return CTL_EXIT_FAIL;
	}
	if (ctl_grievance_find(c, c->args[0], &t) == -1) {
		store_rollback(c->st);
		template_free(tpl);
		return CTL_EXIT_FAIL;
	}
	ctl_grievance_ctx(c, &g, tpl);
	rc = grievance_close(&g, &t, note);
	ex = ctl_grievance_done(c, rc, c->args[0], "grievance close", &t);
	store_ticket_clear(&t);
	template_free(tpl);
	return ex;
}

const struct ctl_cmd ctl_cmd_grievance_close = {
	.name = "grievance close",
	.usage = "CODE [--note TEXT]",
	.about = "close a ticket; with a note, the reporter is told it",
	.args = { "note:", 1, 1, NULL },
	.exec = ctl_grievance_close
};

/* --- export --- */

/* A ticket as a spreadsheet's row: every field, in the file's order. */
static void
ctl_export_row(const struct store_ticket *t, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "code", t->code);
	ctl_list_time(l, "created", t->created_at);
	ctl_list_str(l, "village", t->village);
	ctl_list_str(l, "category", t->category);
	ctl_list_bool(l, "urgent", t->urgent);
	ctl_list_str(l, "status", t->status);
	ctl_list_str(l, "reporter", t->reporter);
	ctl_list_str(l, "reporter_name", t->reporter_name);
	ctl_list_str(l, "text", t->text);
	ctl_list_time(l, "accept_due", t->accept_due);
	ctl_list_str(l, "accepted_by", t->accepted_by);
	ctl_list_time(l, "accepted", t->accepted_at);
	ctl_list_time(l, "resolve_due", t->resolve_due);
	ctl_list_str(l, "resolved_by", t->resolved_by);
	ctl_list_time(l, "resolved", t->resolved_at);
	ctl_list_str(l, "reply", t->reply);
	if (t->rating != 0)
		ctl_list_int(l, "rating", t->rating);
	else
		ctl_list_null(l, "rating");
	ctl_list_time(l, "rated", t->rated_at);
	ctl_list_int(l, "escalation", t->escalation);
}

static enum ctl_exit
ctl_grievance_export(struct ctl *c)
{
	struct store_ticket_filter f;
	struct ctl_list l;
	int rc;

	memset(&f, 0, sizeof f);
	f.village = ctl_value(c, "village");
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init_csv(&l, c, "code,created,village,category,urgent,"
	    "status,reporter,reporter_name,text,accept_due,accepted_by,"
	    "accepted,resolve_due,resolved_by,resolved,reply,rating,rated,"
	    "escalation");
	rc = store_ticket_list(c->st, &f, ctl_export_row, &l);
	return ctl_list_finish(c, &l, rc, "grievance export");
}

const struct ctl_cmd ctl_cmd_grievance_export = {
	.name = "grievance export",
	.usage = "[--village CODE]",
	.about = "every ticket as CSV (RFC 4180) on stdout",
	.args = { "village:", 0, 0, NULL },
	.exec = ctl_grievance_export
};

/* --- stats --- */

struct ctl_stats {
	struct grievance_stats	 s;
	time_t			 now;
};

static void
ctl_stats_row(const struct store_ticket *t, void *arg)
{
	struct ctl_stats *cs = arg;

	grievance_stats_add(&cs->s, t, cs->now);
}

/* A rate as JSON: a number with one decimal, or null. */
static char *
ctl_rate_json(int64_t part, int64_t of)
{
	double r = grievance_rate_percent(part, of);

	return r < 0 ? xstrdup("null") : xasprintf("%.1f", r);
}

static void
ctl_rate_text(const char *what, int64_t part, int64_t of)
{
	double r = grievance_rate_percent(part, of);

	if (r < 0)
		printf("%-18s -    (0 counted)\n", what);
	else
		printf("%-18s %.1f%% (%lld of %lld)\n", what, r,
		    (long long)part, (long long)of);
}

static enum ctl_exit
ctl_grievance_stats(struct ctl *c)
{
	struct store_ticket_filter f;
	struct ctl_stats cs;
	struct ctl_obj o, sub;
	const char *at = ctl_value(c, "at");
	char *json;
	size_t i;
	int rc;

	memset(&f, 0, sizeof f);
	f.village = ctl_value(c, "village");
	f.township = ctl_value(c, "township");
	if (f.village != NULL && f.township != NULL)
		return ctl_usage_fail(c, "--village or --township, not both");
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&cs, 0, sizeof cs);
	cs.now = now_real();
	if (at != NULL && tz_parse(c->cf->timezone, at, &cs.now) == -1)
		return ctl_usage_fail(c, "--at \"%s\": expected \"YYYY-MM-DD "
		    "HH:MM\" (local time, %s)", at, c->cf->timezone);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if ((rc = store_ticket_list(c->st, &f, ctl_stats_row, &cs)) == -1) {
		grievance_stats_free(&cs.s);
		return ctl_fail("grievance stats: %s", store_error(c->st));
	}

	if (!ctl_flag(c, "json")) {
		printf("tickets            %lld\n", (long long)cs.s.total);
		ctl_rate_text("accepted in time", cs.s.accepted_in_time,
		    cs.s.accept_counted);
		ctl_rate_text("resolved in time", cs.s.resolved_in_time,
		    cs.s.resolve_counted);
		ctl_rate_text("satisfied", cs.s.satisfied, cs.s.rated);
		printf("by status         ");
		for (i = 0; i < GRIEVANCE_NSTATUS; i++)
			printf(" %s %lld%s", grievance_statuses[i],
			    (long long)cs.s.by_status[i],
			    i + 1 < GRIEVANCE_NSTATUS ? "," : "\n");
		printf("by category       ");
		for (i = 0; i < cs.s.ncategories; i++)
			printf(" %s %lld%s", cs.s.categories[i][0] != '\0' ?
			    cs.s.categories[i] : "(none)",
			    (long long)cs.s.by_category[i],
			    i + 1 < cs.s.ncategories ? "," : "");
		printf("\n");
		grievance_stats_free(&cs.s);
		return CTL_EXIT_OK;
	}
	memset(&o, 0, sizeof o);
	memset(&sub, 0, sizeof sub);
	ctl_obj_str(&o, "village", f.village);
	ctl_obj_str(&o, "township", f.township);
	ctl_obj_int(&o, "tickets", cs.s.total);
	ctl_obj_int(&o, "accept_counted", cs.s.accept_counted);
	ctl_obj_int(&o, "accepted_in_time", cs.s.accepted_in_time);
	ctl_obj_json(&o, "accepted_in_time_rate",
	    ctl_rate_json(cs.s.accepted_in_time, cs.s.accept_counted));
	ctl_obj_int(&o, "resolve_counted", cs.s.resolve_counted);
	ctl_obj_int(&o, "resolved_in_time", cs.s.resolved_in_time);
	ctl_obj_json(&o, "resolved_in_time_rate",
	    ctl_rate_json(cs.s.resolved_in_time, cs.s.resolve_counted));
	ctl_obj_int(&o, "rated", cs.s.rated);
	ctl_obj_int(&o, "satisfied", cs.s.satisfied);
	ctl_obj_json(&o, "satisfied_rate",
	    ctl_rate_json(cs.s.satisfied, cs.s.rated));
	for (i = 0; i < GRIEVANCE_NSTATUS; i++)
		ctl_obj_int(&sub, grievance_statuses[i], cs.s.by_status[i]);
	ctl_obj_json(&o, "by_status", ctl_obj_take(&sub));
	for (i = 0; i < cs.s.ncategories; i++)
		ctl_obj_int(&sub, cs.s.categories[i], cs.s.by_category[i]);
	ctl_obj_json(&o, "by_category", ctl_obj_take(&sub));
	json = ctl_obj_take(&o);
	printf("%s\n", json);
	free(json);
	grievance_stats_free(&cs.s);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_grievance_stats = {
	.name = "grievance stats",
	.usage = "[--village CODE | --township CODE] "
	    "[--at \"YYYY-MM-DD HH:MM\"] [--json]",
	.about = "accepted in time, resolved in time, satisfied; counts "
	    "by\n\t\t\tstatus and category",
	.args = { "village: township: at: json", 0, 0, NULL },
	.exec = ctl_grievance_stats
};
