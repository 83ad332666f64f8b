/*
 * grievance — a ticket's lifecycle (see grievance.h): filing with a code
 * unique in the database, dispatch to the village's cadres by category,
 * the cadres' steps, the reporter's rating, the operators' steps, the
 * deadlines the scheduler enforces, and the county's figures. Every change
 * goes to the ticket's history and the audit log in the caller's
 * transaction, with the messages it causes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "gateway/config.h"
#include "gateway/grievance.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/oversight.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

#define GRIEVANCE_CODE_TRIES	20	/* per width before a wider code */
#define GRIEVANCE_CODE_DIGITS	4
#define GRIEVANCE_CODE_MAXDIGITS 8
#define GRIEVANCE_SLA_BATCH	128
#define GRIEVANCE_PROMPT_KIND	"rating"

const char *const grievance_statuses[GRIEVANCE_NSTATUS] = {
	"open", "accepted", "resolved", "returned", "reopened", "closed"
};

/* Extra template fields some messages carry besides the ticket's own. */
struct grievance_x {
	const char	*cadre;
	const char	*reason;
	const char	*note;
	const char	*status;
};

/* --- text --- */

size_t
grievance_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

char *
grievance_cut(const char *s, size_t max)
{
	size_t i, chars = 0;

	if (grievance_chars(s) <= max)
		return xstrdup(s);
	if (max == 0)
		return xstrdup("");
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars == max)
			break;
	}
	return xasprintf("%.*s…", (int)i, s);
}

const char *
grievance_phone(const struct config *cf, const char *phone, char *out)
{
	size_t n = strlen(cf->country_code);

	if (phone[0] == '+' && strncmp(phone + 1, cf->country_code, n) == 0)
		snprintf(out, PHONE_MAX, "%s", phone + 1 + n);
	else
		snprintf(out, PHONE_MAX, "%s", phone);
	return out;
}

/* A deadline as local "MM-DD HH:MM" into out (32 bytes). */
static const char *
grievance_when(const struct config *cf, time_t t, char *out)
{
	struct tm tm;

	if (t == 0 || tz_local(cf->timezone, t, &tm) == -1)
		out[0] = '\0';
	else
		strftime(out, 32, "%m-%d %H:%M", &tm);
	return out;
}

time_t
grievance_accept_due(const struct config *cf, time_t now)
{
	return now + (time_t)cf->accept_hours * 3600;
}

/* The resolve window in seconds. */
static int
grievance_resolve_window(const struct config *cf, int urgent)
{
	return urgent ? cf->urgent_resolve_hours * 3600 :
	    cf->resolve_days * 86400;
}

time_t
grievance_resolve_due(const struct config *cf, int urgent, time_t now)
{
	return now + grievance_resolve_window(cf, urgent);
}

/* Seconds after a deadline before the township is told. */
static int
grievance_grace(const struct config *cf, int window)
{
	return (int)((int64_t)window * cf->escalate_percent / 100);
}

/* A person's name by phone; "" if unknown. */
static void
grievance_name(struct grievance_ctx *g, const char *phone, char *out,
    size_t size)
{
	struct store_person p;

	if (phone[0] != '\0' && store_person_find(g->st, phone, &p) == 1)
		snprintf(out, size, "%s", p.name);
	else
		snprintf(out, size, "%s", "");
}

/*
 * Render template key about t with x's fields; when limit is not 0 and it
 * comes out longer, the report's text (then the reply) is cut to fit.
 * A new string, or NULL (logged) when the template is missing.
 */
static char *
grievance_render(struct grievance_ctx *g, const char *key,
    const struct store_ticket *t, const struct grievance_x *x, size_t limit)
{
	static const struct grievance_x none;
	char phone[PHONE_MAX], due[32], adue[32], rdue[32], hours[16];
	char cadre[129], *cat = NULL, *text, *reply, *out = NULL, *cut;
	const char *due_of;
	size_t len, over, pass;

	if (x == NULL)
		x = &none;
	if (t->category[0] == '\0')
		cat = template_render(g->tpl, "grievance_category_none", NULL);
	grievance_phone(g->cf, t->reporter, phone);
	grievance_when(g->cf, t->accept_due, adue);
	grievance_when(g->cf, t->resolve_due, rdue);
	due_of = strcmp(t->status, "open") == 0 ? adue : rdue;
	snprintf(due, sizeof due, "%s", due_of);
	snprintf(hours, sizeof hours, "%d", g->cf->accept_hours);
	if (x->cadre != NULL)
		snprintf(cadre, sizeof cadre, "%s", x->cadre);
	else
		grievance_name(g, t->accepted_by, cadre, sizeof cadre);
	text = xstrdup(t->text);
	reply = xstrdup(t->reply != NULL ? t->reply : "");
	for (pass = 0; pass < 3; pass++) {
		free(out);
		out = template_render(g->tpl, key, "ticket", t->code,
		    "village", t->village_name, "code", t->village,
		    "name", t->reporter_name, "phone", phone,
		    "category", cat != NULL ? cat : t->category,
		    "text", text, "reply", reply, "due", due,
		    "accept_due", adue, "resolve_due", rdue, "hours", hours,
		    "cadre", cadre, "reason", x->reason != NULL ? x->reason : "",
		    "note", x->note != NULL ? x->note : "",
		    "status", x->status != NULL ? x->status : "", NULL);
		if (out == NULL) {
			log_error("grievance: template %s: not defined", key);
			break;
		}
		if (limit == 0 || (len = grievance_chars(out)) <= limit)
			break;
		over = len - limit;
		if (grievance_chars(text) > 1) {
			len = grievance_chars(text);
			cut = grievance_cut(text, len > over + 1 ?
			    len - over : 1);
			free(text);
			text = cut;
		} else if (grievance_chars(reply) > 1) {
			len = grievance_chars(reply);
			cut = grievance_cut(reply, len > over + 1 ?
			    len - over : 1);
			free(reply);
			reply = cut;
		} else
			break;
	}
	free(cat);
	free(text);
	free(reply);
	return out;
}

char *
grievance_message(struct grievance_ctx *g, const char *key,
    const struct store_ticket *t, const char *status, size_t limit)
{
	struct grievance_x x = { NULL, NULL, NULL, status };

	return grievance_render(g, key, t, &x, limit);
}

/* Queue text to phone in class. 0 or -1 (logged). */
static int
grievance_queue(struct grievance_ctx *g, const char *to,
    enum outbox_class class, const char *text)
{
	char sm[PHONE_MAX];

	if (outbox_queue(g->st, to, text, class, 0, g->now) == -1) {
		log_warn("grievance: queue to %s: %s", phone_mask(to, sm),
		    store_error(g->st));
		return -1;
	}
	return 0;
}

/* Render key about t and queue it to phone. 0 or -1. */
static int
grievance_send(struct grievance_ctx *g, const char *to,
    enum outbox_class class, const char *key, const struct store_ticket *t,
    const struct grievance_x *x, size_t limit)
{
	char *text;
	int rc;

	if ((text = grievance_render(g, key, t, x, limit)) == NULL)
		return -1;
	rc = grievance_queue(g, to, class, text);
	free(text);
	return rc;
}

/* The class of messages to cadres and the township about t. */
static enum outbox_class
grievance_class(const struct store_ticket *t)
{
	return t->urgent ? OUTBOX_URGENT : OUTBOX_REMINDER;
}

/* Record a change of t in its history and the audit log. 0 or -1. */
static int
grievance_log(struct grievance_ctx *g, const struct store_ticket *t,
    const char *action, const char *detail)
{
	char *audit;
	int rc;

	audit = xasprintf("ticket.%s", action);
	rc = store_ticket_event(g->st, t->id, g->now, g->actor, g->channel,
	    action, detail) == -1 || store_audit(g->st, g->now, g->actor,
	    g->channel, audit, t->code, detail) == -1 ? -1 : 0;
	free(audit);
	return rc;
}

/* Save t's changes as of now. 0 or -1. */
static int
grievance_save(struct grievance_ctx *g, struct store_ticket *t)
{
	t->updated_at = g->now;
	return store_ticket_update(g->st, t);
}

/* --- recipients --- */

/* Render key about t once and queue it to every phone in ps. 0 or -1. */
static int
grievance_send_all(struct grievance_ctx *g, const struct phone_set *ps,
    const char *key, const struct store_ticket *t,
    const struct grievance_x *x, size_t limit)
{
	char *text;
	size_t i;
	int rc = 0;

	if (ps->n == 0)
		return 0;
	if ((text = grievance_render(g, key, t, x, limit)) == NULL)
		return -1;
	for (i = 0; i < ps->n && rc == 0; i++)
		rc = grievance_queue(g, ps->v[i], grievance_class(t), text);
	free(text);
	return rc;
}

/*
 * The township's supervisors of t's village; the admin phones when it
 * has none (a ticket must reach someone). 0 or -1.
 */
static int
grievance_township(struct grievance_ctx *g, const struct store_ticket *t,
    struct phone_set *ps)
{
	return oversight_township_phones(g->st, g->cf, t->township, ps);
}

/* Tell the township about t with key, raise its level, record action. */
static int
grievance_escalate(struct grievance_ctx *g, struct store_ticket *t,
    const char *key, const char *action)
{
	struct phone_set ps = { NULL, 0 };
	char *detail;
	int rc;

	if (grievance_township(g, t, &ps) == -1)
		return -1;
	t->escalation = 1;
	detail = ps.n == 0 ? xstrdup("no supervisor or admin to tell") :
	    xasprintf("township %s: %zu told", t->township[0] != '\0' ?
	    t->township : "(none)", ps.n);
	rc = grievance_send_all(g, &ps, key, t, NULL, GRIEVANCE_ALERT_CHARS);
	if (rc == 0)
		rc = grievance_log(g, t, action, detail);
	if (ps.n == 0)
		log_warn("grievance: ticket %s: %s", t->code, detail);
	free(detail);
	phone_set_free(&ps);
	return rc;
}

/* --- filing --- */

/* Is name one of the comma-separated categories in list? 0/1. */
static int
grievance_has_category(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (n == 0)
		return 0;
	for (p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

struct grievance_cadres {
	const char		*category;
	struct phone_set	 all;
	struct phone_set	 match;
};

static void
grievance_cadres_cb(const struct store_person *p, void *arg)
{
	struct grievance_cadres *c = arg;

	if (!(p->roles & ROLE_CADRE))
		return;
	phone_set_add(&c->all, p->phone);
	if (grievance_has_category(p->categories, c->category))
		phone_set_add(&c->match, p->phone);
}

/* A random code of digits digits (no leading zero) into out. */
static void
grievance_code(int digits, char *out)
{
	uint32_t r, lo = 1, i;

	for (i = 1; i < (uint32_t)digits; i++)
		lo *= 10;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)now_ms() * 2654435761u;
	snprintf(out, STORE_TICKET_CODE_MAX, "%u", lo + r % (lo * 9));
}

int
grievance_file(struct grievance_ctx *g, const struct store_person *reporter,
    const char *text, struct store_ticket *out)
{
	const struct config_category *cat;
	struct grievance_cadres c;
	struct store_ticket t;
	struct phone_set *to;
	int64_t id = 0;
	size_t i;
	int rc = 0, try;
	char *detail;

	memset(&t, 0, sizeof t);
	cat = config_category_match(g->cf, text);
	snprintf(t.reporter, sizeof t.reporter, "%s", reporter->phone);
	t.village_id = reporter->village_id;
	snprintf(t.category, sizeof t.category, "%s",
	    cat != NULL ? cat->name : "");
	t.urgent = cat != NULL && cat->urgent;
	t.text = (char *)text;
	snprintf(t.status, sizeof t.status, "open");
	t.created_at = t.updated_at = g->now;
	t.accept_due = grievance_accept_due(g->cf, g->now);
	t.resolve_due = grievance_resolve_due(g->cf, t.urgent, g->now);
	t.message_id = g->message_id;
	for (try = 0; rc == 0; try++) {
		i = GRIEVANCE_CODE_DIGITS + try / GRIEVANCE_CODE_TRIES;
		if (i > GRIEVANCE_CODE_MAXDIGITS) {
			log_warn("grievance: no free ticket code");
			return -1;
		}
		grievance_code((int)i, t.code);
		if ((rc = store_ticket_insert(g->st, &t, &id)) == -1)
			return -1;
	}
	if (store_ticket_get(g->st, id, out) != 1)
		return -1;

	/* Dispatch: the category's cadres, else every cadre, else up. */
	memset(&c, 0, sizeof c);
	c.category = out->category;
	rc = store_person_cadres(g->st, out->village, grievance_cadres_cb, &c);
	to = c.match.n > 0 ? &c.match : &c.all;
	for (i = 0; rc == 0 && i < to->n; i++)
		rc = store_ticket_assign(g->st, out->id, to->v[i]);
	detail = xasprintf("category %s%s; %zu cadre(s)%s",
	    out->category[0] != '\0' ? out->category : "(none)",
	    out->urgent ? " (urgent)" : "", to->n,
	    to->n > 0 && to == &c.all && out->category[0] != '\0' ?
	    ", none for the category" : "");
	if (rc == 0)
		rc = grievance_log(g, out, "file", detail);
	free(detail);
	if (rc == 0 && to->n > 0)
		rc = grievance_send_all(g, to, "grievance_alert", out, NULL,
		    GRIEVANCE_ALERT_CHARS);
	else if (rc == 0) {
		log_warn("grievance: ticket %s: village %s has no cadre; "
		    "sent to the township", out->code, out->village);
		rc = grievance_escalate(g, out, "grievance_alert",
		    "dispatch.township");
		if (rc == 0)
			rc = grievance_save(g, out);
	}
	phone_set_free(&c.all);
	phone_set_free(&c.match);
	if (rc == -1)
		store_ticket_clear(out);
	return rc;
}

/* --- a cadre's steps --- */

static int
grievance_status_is(const struct store_ticket *t, const char *status)
{
	return strcmp(t->status, status) == 0;
}

static void
grievance_set_status(struct store_ticket *t, const char *status)
{
	snprintf(t->status, sizeof t->status, "%s", status);
}

int
grievance_accept(struct grievance_ctx *g, struct store_ticket *t,
    const struct store_person *cadre)
{
	struct grievance_x x = { cadre->name, NULL, NULL, NULL };

	if (grievance_status_is(t, "accepted"))
		return GRIEVANCE_ALREADY;
	if (!grievance_status_is(t, "open") &&
	    !grievance_status_is(t, "reopened"))
		return GRIEVANCE_REFUSED;
	grievance_set_status(t, "accepted");
	snprintf(t->accepted_by, sizeof t->accepted_by, "%s", cadre->phone);
	/* A reopened ticket keeps its first acceptance for the figures. */
	if (t->accepted_at == 0)
		t->accepted_at = g->now;
	if (store_ticket_assign(g->st, t->id, cadre->phone) == -1 ||
	    grievance_save(g, t) == -1 ||
	    grievance_log(g, t, "accept", cadre->name) == -1 ||
	    grievance_send(g, t->reporter, OUTBOX_REPLY, "grievance_accepted",
	    t, &x, GRIEVANCE_ONE_PART) == -1)
		return -1;
	return GRIEVANCE_DONE;
}

int
grievance_resolve(struct grievance_ctx *g, struct store_ticket *t,
    const struct store_person *cadre, const char *reply)
{
	struct grievance_x x = { cadre->name, NULL, NULL, NULL };

	if (grievance_status_is(t, "resolved") ||
	    grievance_status_is(t, "closed"))
		return GRIEVANCE_ALREADY;
	if (grievance_status_is(t, "returned"))
		return GRIEVANCE_REFUSED;
	/* Resolving what nobody accepted accepts it too. */
	if (t->accepted_at == 0) {
		snprintf(t->accepted_by, sizeof t->accepted_by, "%s",
		    cadre->phone);
		t->accepted_at = g->now;
	}
	grievance_set_status(t, "resolved");
	snprintf(t->resolved_by, sizeof t->resolved_by, "%s", cadre->phone);
	t->resolved_at = g->now;
	free(t->reply);
	t->reply = xstrdup(reply);
	if (store_ticket_assign(g->st, t->id, cadre->phone) == -1 ||
	    grievance_save(g, t) == -1 ||
	    grievance_log(g, t, "resolve", reply) == -1 ||
	    store_prompt_add(g->st, t->reporter, GRIEVANCE_PROMPT_KIND, t->id,
	    g->now, g->now + (time_t)g->cf->satisfaction_days * 86400) == -1 ||
	    grievance_send(g, t->reporter, OUTBOX_REPLY, "grievance_resolved",
	    t, &x, 0) == -1)
		return -1;
	return GRIEVANCE_DONE;
}

int
grievance_return(struct grievance_ctx *g, struct store_ticket *t,
    const struct store_person *cadre, const char *reason)
{
	struct grievance_x x = { cadre->name, reason, NULL, NULL };
	struct phone_set ps = { NULL, 0 };
	char *detail;
	int rc;

	if (grievance_status_is(t, "returned"))
		return GRIEVANCE_ALREADY;
	if (!grievance_status_is(t, "open") &&
	    !grievance_status_is(t, "accepted") &&
	    !grievance_status_is(t, "reopened"))
		return GRIEVANCE_REFUSED;
	grievance_set_status(t, "returned");
	t->escalation = 1;
	if (grievance_township(g, t, &ps) == -1)
		return -1;
	detail = xasprintf("%s; township %s: %zu told", reason,
	    t->township[0] != '\0' ? t->township : "(none)", ps.n);
	rc = grievance_save(g, t) == -1 ||
	    grievance_log(g, t, "return", detail) == -1 ||
	    grievance_send_all(g, &ps, "grievance_returned", t, &x,
	    GRIEVANCE_ALERT_CHARS) == -1 ? -1 : GRIEVANCE_DONE;
	free(detail);
	phone_set_free(&ps);
	return rc;
}

/* --- the reporter's rating --- */

int
grievance_rate(struct grievance_ctx *g, struct store_ticket *t, int rating)
{
	struct phone_set ps = { NULL, 0 };
	char detail[8];
	int rc;

	if (!grievance_status_is(t, "resolved") || rating < 1 || rating > 3)
		return GRIEVANCE_REFUSED;
	t->rating = rating;
	t->rated_at = g->now;
	snprintf(detail, sizeof detail, "%d", rating);
	if (store_prompt_close_object(g->st, GRIEVANCE_PROMPT_KIND, t->id,
	    "answered", g->now) == -1)
		return -1;
	if (rating < 3) {
		grievance_set_status(t, "closed");
		if (grievance_save(g, t) == -1 ||
		    grievance_log(g, t, "rate", detail) == -1)
			return -1;
		return GRIEVANCE_DONE;
	}
	/* Unsatisfied: reopen with a new deadline, the township told. */
	grievance_set_status(t, "reopened");
	t->resolve_due = grievance_resolve_due(g->cf, t->urgent, g->now);
	t->resolve_reminded = 0;
	t->resolve_escalated = 1;
	if (grievance_log(g, t, "rate", detail) == -1 ||
	    grievance_escalate(g, t, "grievance_escalate_unsatisfied",
	    "escalate.unsatisfied") == -1 ||
	    grievance_save(g, t) == -1)
		return -1;
	rc = store_ticket_assignees(g->st, t->id, phone_set_add_cb, &ps);
	if (rc == 0)
		rc = grievance_send_all(g, &ps, "grievance_reopened_cadre", t,
		    NULL, GRIEVANCE_ALERT_CHARS);
	phone_set_free(&ps);
	return rc == -1 ? -1 : GRIEVANCE_DONE;
}

/* --- operators --- */

int
grievance_assign(struct grievance_ctx *g, struct store_ticket *t,
    const struct store_person *cadre)
{
	struct phone_set ps = { NULL, 0 };
	int rc;

	if (grievance_status_is(t, "closed"))
		return GRIEVANCE_REFUSED;
	if ((rc = store_ticket_is_assignee(g->st, t->id, cadre->phone)) == -1)
		return -1;
	if (rc == 1 && !grievance_status_is(t, "returned"))
		return GRIEVANCE_ALREADY;
	if (grievance_status_is(t, "returned")) {
		/* Back to a village: a fresh accept window. */
		grievance_set_status(t, "open");
		t->accept_due = grievance_accept_due(g->cf, g->now);
		t->accept_reminded = t->accept_escalated = 0;
		if (t->resolve_due < t->accept_due)
			t->resolve_due = grievance_resolve_due(g->cf,
			    t->urgent, g->now);
		t->resolve_reminded = t->resolve_escalated = 0;
	}
	phone_set_add(&ps, cadre->phone);
	rc = store_ticket_assign(g->st, t->id, cadre->phone) == -1 ||
	    grievance_save(g, t) == -1 ||
	    grievance_log(g, t, "assign", cadre->phone) == -1 ||
	    grievance_send_all(g, &ps, "grievance_alert", t, NULL,
	    GRIEVANCE_ALERT_CHARS) == -1 ? -1 : GRIEVANCE_DONE;
	phone_set_free(&ps);
	return rc;
}

int
grievance_close(struct grievance_ctx *g, struct store_ticket *t,
    const char *note)
{
	struct grievance_x x = { NULL, NULL, note, NULL };

	if (grievance_status_is(t, "closed"))
		return GRIEVANCE_ALREADY;
	grievance_set_status(t, "closed");
	if (store_prompt_close_object(g->st, GRIEVANCE_PROMPT_KIND, t->id,
	    "superseded", g->now) == -1 ||
	    grievance_save(g, t) == -1 ||
	    grievance_log(g, t, "close", note) == -1)
		return -1;
	if (note != NULL && grievance_send(g, t->reporter, OUTBOX_REPLY,
	    "grievance_closed", t, &x, 0) == -1)
		return -1;
	return GRIEVANCE_DONE;
}

/* --- deadlines --- */

/* The reminder and escalation of one ticket that has one due. */
static int
grievance_sla_ticket(struct grievance_ctx *g, struct store_ticket *t)
{
	struct phone_set ps = { NULL, 0 };
	int accept, window, done = 0, rc = 0;
	int *reminded, *escalated;
	time_t due;

	accept = grievance_status_is(t, "open");
	if (accept) {
		window = g->cf->accept_hours * 3600;
		due = t->accept_due;
		reminded = &t->accept_reminded;
		escalated = &t->accept_escalated;
	} else {
		window = grievance_resolve_window(g->cf, t->urgent);
		due = t->resolve_due;
		reminded = &t->resolve_reminded;
		escalated = &t->resolve_escalated;
	}
	if (!*reminded && due <= g->now) {
		*reminded = 1;
		rc = store_ticket_assignees(g->st, t->id, phone_set_add_cb,
		    &ps);
		if (rc == 0)
			rc = grievance_send_all(g, &ps, accept ?
			    "grievance_remind_accept" :
			    "grievance_remind_resolve", t, NULL,
			    GRIEVANCE_ALERT_CHARS);
		if (rc == 0)
			rc = grievance_log(g, t, accept ? "remind.accept" :
			    "remind.resolve", NULL);
		phone_set_free(&ps);
		done++;
	}
	if (rc == 0 && !*escalated &&
	    due + grievance_grace(g->cf, window) <= g->now) {
		*escalated = 1;
		rc = grievance_escalate(g, t, accept ?
		    "grievance_escalate_accept" : "grievance_escalate_resolve",
		    accept ? "escalate.accept" : "escalate.resolve");
		done++;
	}
	if (rc == 0 && done > 0)
		rc = grievance_save(g, t);
	return rc == -1 ? -1 : done;
}

/* Rating prompts that ran out: their resolved tickets close unrated. */
static int
grievance_sla_prompts(struct grievance_ctx *g)
{
	struct store_prompt p[GRIEVANCE_SLA_BATCH];
	struct store_ticket t;
	int n, i, rc, done = 0;

	do {
		if ((n = store_prompt_expired(g->st, g->now, p,
		    GRIEVANCE_SLA_BATCH)) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if (store_prompt_close(g->st, p[i].id, "expired", NULL,
			    g->now) == -1)
				return -1;
			done++;
			if (strcmp(p[i].kind, GRIEVANCE_PROMPT_KIND) != 0)
				continue;
			if ((rc = store_ticket_get(g->st, p[i].object_id,
			    &t)) == -1)
				return -1;
			if (rc == 0)
				continue;
			rc = 0;
			if (grievance_status_is(&t, "resolved")) {
				grievance_set_status(&t, "closed");
				rc = grievance_save(g, &t) == -1 ||
				    grievance_log(g, &t, "close.unrated",
				    NULL) == -1 ? -1 : 0;
			}
			store_ticket_clear(&t);
			if (rc == -1)
				return -1;
		}
	} while (n == GRIEVANCE_SLA_BATCH);
	return done;
}

int
grievance_sla_run(struct grievance_ctx *g)
{
	int64_t ids[GRIEVANCE_SLA_BATCH];
	struct store_ticket t;
	int n, i, rc, done = 0;

	do {
		n = store_ticket_sla_due(g->st, g->now,
		    grievance_grace(g->cf, g->cf->accept_hours * 3600),
		    grievance_grace(g->cf, grievance_resolve_window(g->cf, 0)),
		    grievance_grace(g->cf, grievance_resolve_window(g->cf, 1)),
		    ids, GRIEVANCE_SLA_BATCH);
		if (n == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if ((rc = store_ticket_get(g->st, ids[i], &t)) != 1)
				return -1;
			rc = grievance_sla_ticket(g, &t);
			if (rc > 0)
				log_info("grievance: ticket %s: %d deadline "
				    "step(s)", t.code, rc);
			store_ticket_clear(&t);
			if (rc == -1)
				return -1;
			done += rc;
		}
	} while (n == GRIEVANCE_SLA_BATCH);
	if ((n = grievance_sla_prompts(g)) == -1)
		return -1;
	return done + n;
}

/* --- figures --- */

void
grievance_stats_add(struct grievance_stats *s, const struct store_ticket *t,
    time_t now)
{
	size_t i;

	s->total++;
	for (i = 0; i < GRIEVANCE_NSTATUS; i++)
		if (strcmp(t->status, grievance_statuses[i]) == 0)
			s->by_status[i]++;
	for (i = 0; i < s->ncategories; i++)
		if (strcmp(s->categories[i], t->category) == 0)
			break;
	if (i == s->ncategories) {
		s->categories = xrealloc(s->categories,
		    (i + 1) * sizeof *s->categories);
		s->by_category = xrealloc(s->by_category,
		    (i + 1) * sizeof *s->by_category);
		s->categories[i] = xstrdup(t->category);
		s->by_category[i] = 0;
		s->ncategories++;
	}
	s->by_category[i]++;
	if (t->rating != 0) {
		s->rated++;
		if (t->rating <= 2)
			s->satisfied++;
	}
	/* A returned ticket is the township's: not the village's rates. */
	if (strcmp(t->status, "returned") == 0)
		return;
	if (t->accepted_at != 0 || now > t->accept_due) {
		s->accept_counted++;
		if (t->accepted_at != 0 && t->accepted_at <= t->accept_due)
			s->accepted_in_time++;
	}
	if (t->resolved_at != 0 || now > t->resolve_due) {
		s->resolve_counted++;
		if (t->resolved_at != 0 && t->resolved_at <= t->resolve_due)
			s->resolved_in_time++;
	}
}

double
grievance_rate_percent(int64_t part, int64_t of)
{
	if (of <= 0)
		return -1;
	return 100.0 * (double)part / (double)of;
}

void
grievance_stats_free(struct grievance_stats *s)
{
	size_t i;

	for (i = 0; i < s->ncategories; i++)
		free(s->categories[i]);
	free(s->categories);
	free(s->by_category);
	memset(s, 0, sizeof *s);
}
