/*
 * grievance — the SMS side of tickets (投诉): a resident reports
 * (投诉/反映/TS/FY/REPORT <text>, or free text unknown.c passes on) and asks
 * for status (查询/CX <ticket>); a cadre of the ticket's village accepts
 * (受理/SL), resolves (办结/BJ <ticket> <reply>), returns it to the township
 * (退回/TH <ticket> <reason>) and lists open tickets (待办/DB); the reporter
 * rates a resolution with a bare digit (prompt.c). The lifecycle itself
 * is gateway/grievance.c; this file reads arguments and answers.
 *
 * A ticket is "not found" for anyone who may not see it: only its
 * reporter and the cadres of its village may, so a number someone else
 * types leaks nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/grievance.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/grievance.h"
#include "handlers/handler.h"
#include "handlers/help.h"
#include "handlers/template.h"

#define GRIEVANCE_TODO_CHARS	134	/* two UCS-2 parts */
#define GRIEVANCE_TODO_TEXT	10	/* characters of each item's text */
#define GRIEVANCE_ASK_CHARS	20	/* of the text quoted in grievance_ask */
#define GRIEVANCE_ASK_TTL	(24 * 3600)

const char *const grievance_templates[] = {
	"grievance_category_none", "grievance_receipt", "grievance_how",
	"grievance_pending", "grievance_alert", "grievance_accept_ok",
	"grievance_accepted", "grievance_resolve_ok", "grievance_resolved",
	"grievance_return_ok", "grievance_returned", "grievance_already",
	"grievance_refused", "grievance_not_found", "grievance_accept_how",
	"grievance_resolve_how", "grievance_return_how",
	"grievance_status_how", "grievance_remind_accept",
	"grievance_remind_resolve", "grievance_escalate_accept",
	"grievance_escalate_resolve", "grievance_escalate_unsatisfied",
	"grievance_reopened_cadre", "grievance_thanks", "grievance_reopened",
	"grievance_rating_how", "grievance_closed", "grievance_status_open",
	"grievance_status_accepted", "grievance_status_resolved",
	"grievance_status_returned", "grievance_status_reopened",
	"grievance_status_closed", "grievance_label_open",
	"grievance_label_accepted", "grievance_label_resolved",
	"grievance_label_returned", "grievance_label_reopened",
	"grievance_label_closed", "grievance_todo_none", "grievance_todo_head",
	"grievance_todo_item", "grievance_todo_late", "grievance_todo_more",
	"grievance_ask", "grievance_ask_dropped", "grievance_too_many",
	"grievance_pending_full", "hint", NULL
};

static void
grievance_ctx_init(struct grievance_ctx *g, struct handler_ctx *ctx)
{
	memset(g, 0, sizeof *g);
	g->st = ctx->store;
	g->cf = ctx->cf;
	g->tpl = ctx->tpl;
	g->now = ctx->now;
	g->actor = ctx->sender;
	g->channel = ctx->channel;
	g->message_id = ctx->message_id;
}

/* Answer with template key about t, cut to limit characters (0: none). */
static int
grievance_answer_ticket(struct handler_ctx *ctx, const char *key,
    const struct store_ticket *t, size_t limit)
{
	struct grievance_ctx g;
	char label[32], *l;

	int rc;

	grievance_ctx_init(&g, ctx);
	snprintf(label, sizeof label, "grievance_label_%s", t->status);
	l = template_render(ctx->tpl, label, NULL);
	rc = handler_reply_text(ctx, grievance_message(&g, key, t,
	    l != NULL ? l : t->status, limit));
	free(l);
	return rc;
}

/* --- reports --- */

/* Does code point c count as content (not punctuation or space)? */
static int
grievance_is_content(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z');
	return !(c >= 0x2000 && c <= 0x206f) &&
	    !(c >= 0x3000 && c <= 0x303f) && !(c >= 0xfe30 && c <= 0xfe4f) &&
	    !(c >= 0xff00 && c <= 0xff0f) && !(c >= 0xff1a && c <= 0xff20);
}

int
grievance_is_report(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t c;
	size_t n = 0, len;

	while (*s != '\0') {
		/* The router's text is valid UTF-8. */
		if (*s < 0x80) {
			c = *s;
			len = 1;
		} else if (*s < 0xe0) {
			c = (*s & 0x1f) << 6 | (s[1] & 0x3f);
			len = 2;
		} else if (*s < 0xf0) {
			c = (*s & 0x0f) << 12 | (s[1] & 0x3f) << 6 |
			    (s[2] & 0x3f);
			len = 3;
		} else {
			c = 0x10000;
			len = 4;
		}
		if (c == 0xfffd)
			return 0;
		if (grievance_is_content(c))
			n++;
		while (len-- > 0 && *s != '\0')
			s++;
	}
	return n >= GRIEVANCE_REPORT_MIN;
}

/* File text for the (registered) sender and answer with the receipt. */
static int
grievance_file_text(struct handler_ctx *ctx, const struct store_person *p,
    const char *text, int64_t message_id)
{
	struct grievance_ctx g;
	struct store_ticket t;
	int rc;

	grievance_ctx_init(&g, ctx);
	g.message_id = message_id;
	if (grievance_file(&g, p, text, &t) == -1)
		return -1;
	rc = handler_reply_text(ctx, grievance_message(&g, "grievance_receipt",
	    &t, NULL, GRIEVANCE_ONE_PART));
	store_ticket_clear(&t);
	return rc;
}

/*
 * Over a phone's cap (key the reply, reason the counter): not filed; told
 * once a day, then silent, so a flood or a loop costs nothing. 0 or -1.
 */
static int
grievance_capped(struct handler_ctx *ctx, const char *key,
    const char *reason)
{
	char sm[PHONE_MAX];
	int64_t told;

	ctx->outcome = "capped";
	log_info("grievance: %s: message %lld: not filed: %s",
	    phone_mask(ctx->sender, sm), (long long)ctx->message_id, reason);
	if (handler_suppressed(ctx, reason) == -1 ||
	    (told = store_message_outcome_since(ctx->store, ctx->sender,
	    "capped", ctx->now - 86400)) == -1)
		return -1;
	return told > 0 ? 0 : handler_reply(ctx, key, NULL);
}

int
grievance_report_text(struct handler_ctx *ctx, const char *text)
{
	const struct store_person *p = ctx->person;
	int64_t n;

	if (p != NULL && p->village[0] != '\0') {
		if ((n = store_ticket_count_since(ctx->store, ctx->sender,
		    ctx->now - 3600)) == -1)
			return -1;
		if (n >= ctx->cf->reports_per_hour)
			return grievance_capped(ctx, "grievance_too_many",
			    "reports");
		return grievance_file_text(ctx, p, text, ctx->message_id);
	}
	/* Kept until they register (register.c files it), a few at most. */
	if ((n = store_pending_count(ctx->store, ctx->sender)) == -1)
		return -1;
	if (n >= ctx->cf->pending_max)
		return grievance_capped(ctx, "grievance_pending_full",
		    "pending");
	if (store_pending_add(ctx->store, ctx->sender, text, ctx->message_id,
	    ctx->now) == -1 || store_audit(ctx->store, ctx->now, ctx->sender,
	    ctx->channel, "ticket.pending", NULL, NULL) == -1)
		return -1;
	return handler_reply(ctx, "grievance_pending", NULL);
}

struct grievance_pending_ctx {
	struct handler_ctx	*ctx;
	struct store_person	 p;
	int			 failed;
};

static void
grievance_pending_cb(const struct store_pending *pr, void *arg)
{
	struct grievance_pending_ctx *pc = arg;
	struct grievance_ctx g;
	struct store_ticket t;

	if (pc->failed)
		return;
	grievance_ctx_init(&g, pc->ctx);
	g.message_id = pr->message_id;
	if (grievance_file(&g, &pc->p, pr->text, &t) == -1) {
		pc->failed = 1;
		return;
	}
	if (store_pending_filed(pc->ctx->store, pr->id, t.id,
	    pc->ctx->now) == -1 || handler_reply_text(pc->ctx,
	    grievance_message(&g, "grievance_receipt", &t, NULL,
	    GRIEVANCE_ONE_PART)) == -1)
		pc->failed = 1;
	store_ticket_clear(&t);
}

int
grievance_file_pending(struct handler_ctx *ctx)
{
	struct grievance_pending_ctx pc;

	memset(&pc, 0, sizeof pc);
	pc.ctx = ctx;
	if (store_person_find(ctx->store, ctx->sender, &pc.p) != 1 ||
	    pc.p.village[0] == '\0')
		return -1;
	if (store_pending_list(ctx->store, ctx->sender, grievance_pending_cb,
	    &pc) == -1 || pc.failed)
		return -1;
	return 0;
}

static int
grievance_report_run(struct handler_ctx *ctx)
{
	const char *text = handler_text(ctx, "text");

	if (text == NULL || *text == '\0')
		return handler_how(ctx, "grievance_how", NULL);
	return grievance_report_text(ctx, text);
}

/*
 * Free text from a resident that named no problem word: filed at once
 * when a category's keyword is in it, answered with help when too short
 * or garbled to be a report, else asked about ("回1提交"): the 1 files it
 * (grievance_prompt_report).
 */
static int
grievance_ask_run(struct handler_ctx *ctx)
{
	const char *text = handler_text(ctx, "text");
	char *cut;
	int rc;

	if (text == NULL)
		text = ctx->raw;
	if (!grievance_is_report(ctx->text))
		return help_reply(ctx, 1);
	if (config_category_match(ctx->cf, ctx->text) != NULL)
		return grievance_report_text(ctx, text);
	if (store_prompt_add(ctx->store, ctx->sender, "report",
	    ctx->message_id, ctx->now, ctx->now + GRIEVANCE_ASK_TTL) == -1)
		return -1;
	cut = grievance_cut(text, GRIEVANCE_ASK_CHARS);
	rc = handler_reply(ctx, "grievance_ask", "text", cut, NULL);
	free(cut);
	return rc;
}

int
grievance_prompt_report(struct handler_ctx *ctx, const struct store_prompt *p,
    int digit)
{
	struct store_message m;
	int rc;

	if (digit != 1)
		return store_prompt_close(ctx->store, p->id, "answered", "no",
		    ctx->now) == -1 ? -1 : handler_reply(ctx,
		    "grievance_ask_dropped", NULL);
	memset(&m, 0, sizeof m);
	if ((rc = store_message_get(ctx->store, p->object_id, &m)) == -1)
		return -1;
	if (store_prompt_close(ctx->store, p->id, rc == 1 ? "answered" :
	    "expired", rc == 1 ? "1" : NULL, ctx->now) == -1) {
		store_message_clear(&m);
		return -1;
	}
	if (rc == 0 || m.text == NULL) {
		store_message_clear(&m);
		return help_reply(ctx, 1);
	}
	rc = grievance_report_text(ctx, m.text);
	store_message_clear(&m);
	return rc;
}

/* --- finding a ticket the sender may see --- */

/*
 * The ticket code names, if the sender may see it: its reporter (unless
 * cadre_only) or a cadre of its village. 1 found (clear *t), 0 answered
 * "not found", -1 on error.
 */
static int
grievance_lookup(struct handler_ctx *ctx, const char *code,
    struct store_ticket *t, int cadre_only)
{
	const struct store_person *p = ctx->person;
	int rc, cadre;

	rc = strlen(code) < STORE_TICKET_CODE_MAX ?
	    store_ticket_find(ctx->store, code, t) : 0;
	if (rc == -1)
		return -1;
	if (rc == 1) {
		cadre = p != NULL && (p->roles & ROLE_CADRE) &&
		    strcasecmp(p->village, t->village) == 0;
		if (cadre || (!cadre_only && strcmp(t->reporter,
		    ctx->sender) == 0))
			return 1;
		store_ticket_clear(t);
	}
	if (handler_reply(ctx, "grievance_not_found", "ticket", code,
	    NULL) == -1)
		return -1;
	return 0;
}

/* Answer a step's result: done with key_ok, else already / refused. */
static int
grievance_step_answer(struct handler_ctx *ctx, int rc, const char *key_ok,
    const struct store_ticket *t)
{
	switch (rc) {
	case GRIEVANCE_DONE:
		return grievance_answer_ticket(ctx, key_ok, t, 0);
	case GRIEVANCE_ALREADY:
		return grievance_answer_ticket(ctx, "grievance_already", t, 0);
	case GRIEVANCE_REFUSED:
		return grievance_answer_ticket(ctx, "grievance_refused", t, 0);
	}
	return -1;
}

/* --- a cadre's commands --- */

static int
grievance_accept_run(struct handler_ctx *ctx)
{
	const char *code = handler_arg(ctx, "ticket");
	struct grievance_ctx g;
	struct store_ticket t;
	int rc;

	if (code == NULL)
		return handler_how(ctx, "grievance_accept_how", NULL);
	if ((rc = grievance_lookup(ctx, code, &t, 1)) != 1)
		return rc;
	grievance_ctx_init(&g, ctx);
	if ((rc = grievance_accept(&g, &t, ctx->person)) != -1)
		rc = grievance_step_answer(ctx, rc, "grievance_accept_ok", &t);
	store_ticket_clear(&t);
	return rc;
}

static int
grievance_resolve_run(struct handler_ctx *ctx)
{
	const char *code = handler_arg(ctx, "ticket");
	const char *reply = handler_text(ctx, "reply");
	struct grievance_ctx g;
	struct store_ticket t;
	int rc;

	if (code == NULL)
		return handler_how(ctx, "grievance_resolve_how", NULL);
	if ((rc = grievance_lookup(ctx, code, &t, 1)) != 1)
		return rc;
	grievance_ctx_init(&g, ctx);
	if (reply == NULL || *reply == '\0') {
		/* Done already is an answer; else say how. */
		if (strcmp(t.status, "resolved") == 0 ||
		    strcmp(t.status, "closed") == 0)
			rc = grievance_step_answer(ctx, GRIEVANCE_ALREADY,
			    NULL, &t);
		else
			rc = handler_reply(ctx, "grievance_resolve_how", NULL);
	} else if ((rc = grievance_resolve(&g, &t, ctx->person, reply)) != -1)
		rc = grievance_step_answer(ctx, rc, "grievance_resolve_ok", &t);
	store_ticket_clear(&t);
	return rc;
}

static int
grievance_return_run(struct handler_ctx *ctx)
{
	const char *code = handler_arg(ctx, "ticket");
	const char *reason = handler_text(ctx, "reason");
	struct grievance_ctx g;
	struct store_ticket t;
	int rc;

	if (code == NULL || reason == NULL || *reason == '\0')
		return handler_how(ctx, "grievance_return_how", NULL);
	if ((rc = grievance_lookup(ctx, code, &t, 1)) != 1)
		return rc;
	grievance_ctx_init(&g, ctx);
	if ((rc = grievance_return(&g, &t, ctx->person, reason)) != -1)
		rc = grievance_step_answer(ctx, rc, "grievance_return_ok", &t);
	store_ticket_clear(&t);
	return rc;
}

/* --- status --- */

static void
grievance_newest_cb(const struct store_ticket *t, void *arg)
{
	char *code = arg;

	snprintf(code, STORE_TICKET_CODE_MAX, "%s", t->code);
}

static int
grievance_status_run(struct handler_ctx *ctx)
{
	struct store_ticket_filter f;
	struct store_ticket t;
	char newest[STORE_TICKET_CODE_MAX] = "", key[40];
	const char *code = handler_arg(ctx, "ticket");
	int rc;

	if (code == NULL) {
		/* No number: the sender's newest report, if any. */
		memset(&f, 0, sizeof f);
		f.reporter = ctx->sender;
		if (store_ticket_list(ctx->store, &f, grievance_newest_cb,
		    newest) == -1)
			return -1;
		if (newest[0] == '\0')
			return handler_how(ctx, "grievance_status_how", NULL);
		code = newest;
	}
	if ((rc = grievance_lookup(ctx, code, &t, 0)) != 1)
		return rc;
	snprintf(key, sizeof key, "grievance_status_%s", t.status);
	rc = grievance_answer_ticket(ctx, key, &t, GRIEVANCE_ONE_PART);
	store_ticket_clear(&t);
	return rc;
}

/* --- a cadre's list --- */

struct grievance_todo {
	struct store_ticket	*v;
	size_t			 n;
};

static void
grievance_todo_cb(const struct store_ticket *t, void *arg)
{
	struct grievance_todo *td = arg;
	struct store_ticket *c;

	td->v = xrealloc(td->v, (td->n + 1) * sizeof *td->v);
	c = &td->v[td->n++];
	*c = *t;
	c->text = xstrdup(t->text);
	c->reply = xstrdup(t->reply);
}

/* The deadline now running for t. */
static time_t
grievance_todo_due(const struct store_ticket *t)
{
	return strcmp(t->status, "open") == 0 ? t->accept_due : t->resolve_due;
}

/* Most overdue (earliest deadline) first, then oldest. */
static int
grievance_todo_cmp(const void *a, const void *b)
{
	const struct store_ticket *x = a, *y = b;
	time_t dx = grievance_todo_due(x), dy = grievance_todo_due(y);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
grievance_todo_run(struct handler_ctx *ctx)
{
	struct store_ticket_filter f;
	struct grievance_todo td = { NULL, 0 };
	struct buf b;
	char count[24], more[24], *s, *text;
	size_t i, used;
	int rc = 0;

	memset(&f, 0, sizeof f);
	f.assignee = ctx->sender;
	f.village = ctx->person->village;
	f.open_only = 1;
	if (store_ticket_list(ctx->store, &f, grievance_todo_cb, &td) == -1)
		return -1;
	if (td.n == 0)
		return handler_reply(ctx, "grievance_todo_none", NULL);
	qsort(td.v, td.n, sizeof *td.v, grievance_todo_cmp);

	memset(&b, 0, sizeof b);
	snprintf(count, sizeof count, "%zu", td.n);
	s = template_render(ctx->tpl, "grievance_todo_head", "count", count,
	    NULL);
	buf_adds(&b, s != NULL ? s : "");
	free(s);
	used = grievance_chars(b.data);
	for (i = 0; i < td.n; i++) {
		text = grievance_cut(td.v[i].text, GRIEVANCE_TODO_TEXT);
		s = template_render(ctx->tpl, grievance_todo_due(&td.v[i]) <=
		    ctx->now ? "grievance_todo_late" : "grievance_todo_item",
		    "ticket", td.v[i].code, "text", text, NULL);
		free(text);
		if (s == NULL)
			break;
		/* Room for the item, and for "more" if others follow. */
		if (used + grievance_chars(s) + (i + 1 < td.n ? 12 : 0) >
		    GRIEVANCE_TODO_CHARS) {
			free(s);
			break;
		}
		buf_adds(&b, s);
		used += grievance_chars(s);
		free(s);
	}
	if (i < td.n) {
		snprintf(more, sizeof more, "%zu", td.n - i);
		s = template_render(ctx->tpl, "grievance_todo_more", "more",
		    more, NULL);
		buf_adds(&b, s != NULL ? s : "");
		free(s);
	}
	rc = handler_reply_text(ctx, buf_take(&b));
	for (i = 0; i < td.n; i++)
		store_ticket_clear(&td.v[i]);
	free(td.v);
	return rc;
}

/* --- the rating prompt --- */

int
grievance_prompt_rating(struct handler_ctx *ctx, const struct store_prompt *p,
    int digit)
{
	struct grievance_ctx g;
	struct store_ticket t;
	int rc;

	if ((rc = store_ticket_get(ctx->store, p->object_id, &t)) != 1) {
		/* The ticket is gone: the prompt means nothing now. */
		if (rc == -1 || store_prompt_close(ctx->store, p->id,
		    "expired", NULL, ctx->now) == -1)
			return -1;
		return help_reply(ctx, 1);
	}
	grievance_ctx_init(&g, ctx);
	if (digit < 1 || digit > 3)
		rc = grievance_answer_ticket(ctx, "grievance_rating_how", &t,
		    0);
	else if ((rc = grievance_rate(&g, &t, digit)) == GRIEVANCE_DONE)
		rc = grievance_answer_ticket(ctx, digit == 3 ?
		    "grievance_reopened" : "grievance_thanks", &t, 0);
	else if (rc != -1) {
		if (store_prompt_close(ctx->store, p->id, "expired", NULL,
		    ctx->now) == -1)
			rc = -1;
		else
			rc = grievance_answer_ticket(ctx, "grievance_already",
			    &t, 0);
	}
	store_ticket_clear(&t);
	return rc;
}

const struct handler handler_grievance_report = {
	.name = "grievance.report",
	.roles = ROLE_ANYONE,	/* unregistered: kept, told to register */
	.run = grievance_report_run,
	.templates = grievance_templates,
};

const struct handler handler_grievance_ask = {
	.name = "grievance.ask",
	.roles = ROLE_RESIDENT,
	.run = grievance_ask_run,
	.templates = grievance_templates,
};

const struct handler handler_grievance_accept = {
	.name = "grievance.accept",
	.roles = ROLE_CADRE,
	.run = grievance_accept_run,
	.templates = grievance_templates,
};

const struct handler handler_grievance_resolve = {
	.name = "grievance.resolve",
	.roles = ROLE_CADRE,
	.run = grievance_resolve_run,
	.templates = grievance_templates,
};

const struct handler handler_grievance_return = {
	.name = "grievance.return",
	.roles = ROLE_CADRE,
	.run = grievance_return_run,
	.templates = grievance_templates,
};

const struct handler handler_grievance_status = {
	.name = "grievance.status",
	.roles = ROLE_ANYONE,	/* anyone but the reporter: "not found" */
	.run = grievance_status_run,
	.templates = grievance_templates,
};

const struct handler handler_grievance_todo = {
	.name = "grievance.todo",
	.roles = ROLE_CADRE,
	.run = grievance_todo_run,
	.templates = grievance_templates,
};
