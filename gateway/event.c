/*
 * event — village events (see event.h): codes, places and the waiting
 * list, reminders, and the texts that list them.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/event.h"
#include "gateway/grievance.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

#define EVENT_CODE_TRIES	20	/* per width before a wider code */
#define EVENT_REMIND_BATCH	64
#define EVENT_ROSTER_NAME	4	/* characters of each name */

int
event_date(const struct config *cf, time_t now, int month, int day,
    int minutes, time_t *out)
{
	struct tm tm;
	char s[32];
	int year, i;

	if (month < 1 || month > 12 || day < 1 || day > 31 || minutes < 0 ||
	    minutes >= 24 * 60 || tz_local(cf->timezone, now, &tm) == -1)
		return -1;
	year = tm.tm_year + 1900;
	for (i = 0; i < 2; i++, year++) {
		snprintf(s, sizeof s, "%04d-%02d-%02d %02d:%02d", year, month,
		    day, minutes / 60, minutes % 60);
		if (tz_parse(cf->timezone, s, out) == -1 ||
		    tz_local(cf->timezone, *out, &tm) == -1 ||
		    tm.tm_mday != day || tm.tm_mon + 1 != month)
			continue;	/* 0229 in a common year */
		if (checkin_day_of(cf, *out) >= checkin_day_of(cf, now))
			return 0;
	}
	return -1;
}

time_t
event_remind_at(const struct config *cf, time_t starts_at)
{
	return checkin_midnight(cf, checkin_day_of(cf, starts_at) - 1) +
	    60 * cf->event_remind;
}

/* A random code of digits digits (no leading zero) into out. */
static void
event_code(int digits, char *out)
{
	uint32_t r, lo = 1, i;

	for (i = 1; i < (uint32_t)digits; i++)
		lo *= 10;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)now_ms() * 2654435761u;
	snprintf(out, STORE_EVENT_CODE_MAX, "%u", lo + r % (lo * 9));
}

int
event_publish(struct event_ctx *ec, const struct store_village *v,
    time_t starts_at, int capacity, const char *title, const char *place,
    struct store_event *out)
{
	struct store_event e;
	int64_t id = 0;
	int rc = 0, try, digits;
	char *detail;

	memset(&e, 0, sizeof e);
	e.village_id = v->id;
	snprintf(e.title, sizeof e.title, "%s", title);
	snprintf(e.place, sizeof e.place, "%s", place != NULL ? place : "");
	e.starts_at = starts_at;
	e.remind_at = event_remind_at(ec->cf, starts_at);
	e.capacity = capacity;
	snprintf(e.created_by, sizeof e.created_by, "%s", ec->actor);
	e.created_at = ec->now;
	for (try = 0; rc == 0; try++) {
		digits = 2 + try / EVENT_CODE_TRIES;
		if (digits > 4) {
			log_warn("event: village %s: no free event code",
			    v->code);
			return -1;
		}
		event_code(digits, e.code);
		if ((rc = store_event_insert(ec->st, &e, &id)) == -1)
			return -1;
	}
	if (store_event_get(ec->st, id, out) != 1)
		return -1;
	detail = xasprintf("%s: %d place(s): %s", out->village, capacity,
	    title);
	rc = store_audit(ec->st, ec->now, ec->actor, ec->channel,
	    "event.publish", out->code, detail);
	free(detail);
	log_info("event %s: village %s: published", out->code, out->village);
	return rc;
}

int
event_may_join(struct event_ctx *ec, const struct store_event *e,
    const struct store_person *p)
{
	struct store_village v;
	int rc;

	if (p == NULL || p->village[0] == '\0')
		return 0;
	if (strcasecmp(p->village, e->village) == 0)
		return 1;
	if (!ec->cf->event_township_wide || e->township[0] == '\0')
		return 0;
	if ((rc = store_village_find(ec->st, p->village, &v)) != 1)
		return rc;
	return strcasecmp(v.township, e->township) == 0;
}

/* Finding one phone's rank among its status. */
struct event_rank {
	const char	*phone;
	char		 status[12];
	int		 n;
	int		 pos;
	char		 first[PHONE_MAX];	/* the first waiting */
};

static void
event_rank_cb(const struct store_signup *g, void *arg)
{
	struct event_rank *r = arg;

	if (strcmp(g->status, "waiting") == 0 && r->first[0] == '\0')
		snprintf(r->first, sizeof r->first, "%s", g->phone);
	if (r->pos != 0 || strcmp(g->status, r->status) != 0)
		return;
	r->n++;
	if (strcmp(g->phone, r->phone) == 0)
		r->pos = r->n;
}

/* phone's rank among signups in status into *r. 0 or -1. */
static int
event_rank(struct event_ctx *ec, int64_t event, const char *phone,
    const char *status, struct event_rank *r)
{
	memset(r, 0, sizeof *r);
	r->phone = phone;
	snprintf(r->status, sizeof r->status, "%s", status);
	return store_signup_list(ec->st, event, event_rank_cb, r);
}

int
event_position(struct event_ctx *ec, const struct store_event *e,
    const char *phone)
{
	struct store_signup g;
	struct event_rank r;
	int rc;

	if ((rc = store_signup_find(ec->st, e->id, phone, &g)) != 1)
		return rc;
	if (strcmp(g.status, "cancelled") == 0)
		return 0;
	if (event_rank(ec, e->id, phone, g.status, &r) == -1)
		return -1;
	return r.pos;
}

int
event_signup(struct event_ctx *ec, const struct store_event *e,
    const char *phone, int *pos)
{
	struct store_signup g;
	struct event_rank r;
	const char *status;
	int rc;

	if ((rc = store_signup_find(ec->st, e->id, phone, &g)) == -1)
		return -1;
	if (rc == 1 && strcmp(g.status, "cancelled") != 0) {
		if (event_rank(ec, e->id, phone, g.status, &r) == -1)
			return -1;
		*pos = r.pos;
		return strcmp(g.status, "confirmed") == 0 ?
		    EVENT_ALREADY_CONFIRMED : EVENT_ALREADY_WAITING;
	}
	/* Someone waiting goes first: a freed place is theirs. */
	status = e->confirmed < e->capacity && e->waiting == 0 ?
	    "confirmed" : "waiting";
	if (store_signup_put(ec->st, e->id, phone, status, ec->now) == -1 ||
	    event_rank(ec, e->id, phone, status, &r) == -1 ||
	    store_audit(ec->st, ec->now, ec->actor, ec->channel,
	    "event.signup", e->code, status) == -1)
		return -1;
	*pos = r.pos;
	return strcmp(status, "confirmed") == 0 ? EVENT_CONFIRMED :
	    EVENT_WAITING;
}

int
event_cancel(struct event_ctx *ec, const struct store_event *e,
    const char *phone)
{
	struct store_signup g;
	struct store_event now;
	struct event_rank r;
	char place[16], first[PHONE_MAX], *text;
	int rc, was_confirmed;

	if ((rc = store_signup_find(ec->st, e->id, phone, &g)) != 1)
		return rc;
	if (strcmp(g.status, "cancelled") == 0)
		return 0;
	was_confirmed = strcmp(g.status, "confirmed") == 0;
	if (store_signup_put(ec->st, e->id, phone, "cancelled",
	    ec->now) == -1 || store_audit(ec->st, ec->now, ec->actor,
	    ec->channel, "event.cancel", e->code, NULL) == -1)
		return -1;
	if (!was_confirmed)
		return 1;
	if (event_rank(ec, e->id, "", "waiting", &r) == -1)
		return -1;
	if (r.first[0] == '\0')
		return 1;
	snprintf(first, sizeof first, "%s", r.first);
	if (store_signup_put(ec->st, e->id, first, "confirmed",
	    ec->now) == -1 ||
	    store_event_get(ec->st, e->id, &now) != 1 ||
	    event_rank(ec, e->id, first, "confirmed", &r) == -1)
		return -1;
	snprintf(place, sizeof place, "%d", r.pos);
	if ((text = event_message(ec, "event_promoted", &now, "number",
	    place)) == NULL)
		return -1;
	rc = outbox_queue(ec->st, first, text, OUTBOX_REPLY, 0, ec->now) ==
	    -1 ? -1 : 1;
	free(text);
	if (rc == 1 && store_audit(ec->st, ec->now, ec->actor, ec->channel,
	    "event.promote", e->code, NULL) == -1)
		rc = -1;
	return rc;
}

char *
event_message(struct event_ctx *ec, const char *key,
    const struct store_event *e, const char *name, const char *value)
{
	struct tm tm;
	char date[32], clock[8], cap[16], left[16], conf[16], wait[16];

	memset(&tm, 0, sizeof tm);
	tz_local(ec->cf->timezone, e->starts_at, &tm);
	snprintf(date, sizeof date, "%d月%d日", tm.tm_mon + 1, tm.tm_mday);
	snprintf(clock, sizeof clock, "%02d:%02d", tm.tm_hour % 100,
	    tm.tm_min % 100);
	snprintf(cap, sizeof cap, "%d", e->capacity);
	snprintf(left, sizeof left, "%d", e->capacity > e->confirmed ?
	    e->capacity - e->confirmed : 0);
	snprintf(conf, sizeof conf, "%d", e->confirmed);
	snprintf(wait, sizeof wait, "%d", e->waiting);
	return template_render(ec->tpl, key, "code", e->code, "title",
	    e->title, "place", e->place[0] != '\0' ? e->place :
	    e->village_name, "village", e->village_name, "date", date,
	    "time", clock, "capacity", cap, "left", left, "confirmed", conf,
	    "waiting", wait, name, value, NULL);
}

/* Events or names gathered for a text of at most two parts. */
struct event_text {
	struct event_ctx	*ec;
	struct buf		 b;
	size_t			 used;
	int			 shown;
	int			 more;
	const char		*item;
};

/* Add s (freed) unless it would leave no room for reserve more. */
static void
event_text_add(struct event_text *t, char *s, size_t reserve)
{
	size_t n;

	if (s == NULL)
		return;
	n = grievance_chars(s);
	if (t->more > 0 || t->used + n + reserve > EVENT_TWO_PARTS)
		t->more++;
	else {
		buf_adds(&t->b, s);
		t->used += n;
		t->shown++;
	}
	free(s);
}

static void
event_list_cb(const struct store_event *e, void *arg)
{
	struct event_text *t = arg;

	event_text_add(t, event_message(t->ec, "event_list_item", e, NULL,
	    NULL), 8);
}

/* Finish t with "more" when items were left out: a new string. */
static char *
event_text_end(struct event_text *t)
{
	char more[16], *s;

	if (t->more > 0) {
		snprintf(more, sizeof more, "%d", t->more);
		s = template_render(t->ec->tpl, t->item, "more", more, NULL);
		if (s != NULL)
			buf_adds(&t->b, s);
		free(s);
	}
	return buf_take(&t->b);
}

char *
event_list_text(struct event_ctx *ec, const char *village)
{
	struct event_text t;
	char *s;

	memset(&t, 0, sizeof t);
	t.ec = ec;
	t.item = "event_list_more";
	s = template_render(ec->tpl, "event_list_head", NULL);
	buf_adds(&t.b, s != NULL ? s : "");
	t.used = grievance_chars(s != NULL ? s : "");
	free(s);
	if (store_event_list(ec->st, village, 1, event_list_cb, &t) == -1) {
		buf_free(&t.b);
		return NULL;
	}
	if (t.shown == 0 && t.more == 0) {
		buf_free(&t.b);
		return template_render(ec->tpl, "event_list_none", NULL);
	}
	return event_text_end(&t);
}

static void
event_roster_cb(const struct store_signup *g, void *arg)
{
	struct event_text *t = arg;
	char *name;

	if (strcmp(g->status, "confirmed") != 0)
		return;
	name = grievance_cut(g->name[0] != '\0' ? g->name : g->phone,
	    EVENT_ROSTER_NAME);
	event_text_add(t, template_render(t->ec->tpl, "event_roster_item",
	    "name", name, NULL), 8);
	free(name);
}

char *
event_roster_text(struct event_ctx *ec, const struct store_event *e)
{
	struct event_text t;
	char *s;

	memset(&t, 0, sizeof t);
	t.ec = ec;
	t.item = "event_roster_more";
	s = event_message(ec, "event_roster_head", e, NULL, NULL);
	buf_adds(&t.b, s != NULL ? s : "");
	t.used = grievance_chars(s != NULL ? s : "");
	free(s);
	if (store_signup_list(ec->st, e->id, event_roster_cb, &t) == -1) {
		buf_free(&t.b);
		return NULL;
	}
	return event_text_end(&t);
}

/* The confirmed phones of an event. */
struct event_phones {
	char	(*v)[PHONE_MAX];
	size_t	 n;
};

static void
event_phones_cb(const struct store_signup *g, void *arg)
{
	struct event_phones *p = arg;

	if (strcmp(g->status, "confirmed") != 0)
		return;
	p->v = xrealloc(p->v, (p->n + 1) * sizeof *p->v);
	snprintf(p->v[p->n++], PHONE_MAX, "%s", g->phone);
}

/* Remind the confirmed of event id, and mark it reminded. 0 or -1. */
static int
event_remind(struct event_ctx *ec, int64_t id)
{
	struct store_event e;
	struct event_phones p = { NULL, 0 };
	char *text;
	size_t i;
	int rc;

	if ((rc = store_event_get(ec->st, id, &e)) != 1)
		return -1;
	text = event_message(ec, "event_reminder", &e, NULL, NULL);
	if (text == NULL)
		return -1;
	rc = store_signup_list(ec->st, id, event_phones_cb, &p);
	for (i = 0; rc == 0 && i < p.n; i++)
		if (outbox_queue(ec->st, p.v[i], text, OUTBOX_REMINDER, 0,
		    ec->now) == -1)
			rc = -1;
	free(text);
	free(p.v);
	if (rc == 0)
		rc = store_event_set(ec->st, id, e.status, 1);
	if (rc == 0)
		log_info("event %s: reminded %zu person(s)", e.code, i);
	return rc;
}

int
event_sched_run(struct event_ctx *ec)
{
	int64_t ids[EVENT_REMIND_BATCH];
	int n, i, closed, done = 0;

	do {
		if ((n = store_event_remind_due(ec->st, ec->now, ids,
		    EVENT_REMIND_BATCH)) == -1)
			return -1;
		for (i = 0; i < n; i++)
			if (event_remind(ec, ids[i]) == -1)
				return -1;
		done += n;
	} while (n == EVENT_REMIND_BATCH);
	if ((closed = store_event_close_past(ec->st, ec->now)) == -1)
		return -1;
	return done + closed;
}
