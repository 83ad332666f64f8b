/*
 * checkin — the elderly daily check-in (see checkin.h): local days, the
 * ladder the scheduler climbs, check-ins and confirmations that stop it
 * with an all-clear to whoever was alerted, SOS calls repeated to the
 * cadre until confirmed, and pauses. Every change happens in the
 * caller's transaction with the messages it causes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/oversight.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

#define CHECKIN_BATCH		256
#define CHECKIN_OPEN_MAX	64

/* --- days --- */

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int
checkin_days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
checkin_civil_from_days(int z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp + (mp < 10 ? 3 : -9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* The config's time zone; a config built by hand may have none. */
static const char *
checkin_tz(const struct config *cf)
{
	return cf->timezone != NULL ? cf->timezone : "UTC";
}

int
checkin_day_of(const struct config *cf, time_t t)
{
	struct tm tm;

	if (tz_local(checkin_tz(cf), t, &tm) == -1)
		return (int)(t / 86400);
	return checkin_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
}

const char *
checkin_day_format(int day, char *out)
{
	int y, m, d;

	checkin_civil_from_days(day, &y, &m, &d);
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000,
	    (unsigned)m % 100, (unsigned)d % 100);
	return out;
}

int
checkin_day_parse(const char *s, int *day)
{
	int y, m, d, n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
	    s[n] != '\0' || m < 1 || m > 12 || d < 1 || d > 31 || y < 1970)
		return -1;
	*day = checkin_days_from_civil(y, m, d);
	return 0;
}

int
checkin_clock_parse(const char *s, int *minutes)
{
	int h, m, n = 0;

	if (sscanf(s, "%2d:%2d%n", &h, &m, &n) != 2 || s[n] != '\0' ||
	    h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*minutes = h * 60 + m;
	return 0;
}

time_t
checkin_midnight(const struct config *cf, int day)
{
	char s[32], ymd[11];
	time_t t;

	snprintf(s, sizeof s, "%s 00:00", checkin_day_format(day, ymd));
	if (tz_parse(checkin_tz(cf), s, &t) == -1)
		return (time_t)day * 86400;
	return t;
}

void
checkin_times(const struct config *cf, struct store_checkin_times *t)
{
	t->due_min = cf->checkin_due;
	t->guardian_after = cf->checkin_guardian_after;
	t->cadre_after = cf->checkin_cadre_after;
	t->township_min = cf->checkin_township;
	t->prompt_min = cf->checkin_prompt;
}

int
checkin_confirms(const struct config *cf, const struct store_elder *e)
{
	return e->confirm >= 0 ? e->confirm : cf->checkin_confirm;
}

/* --- messages --- */

/* Fields some messages carry besides the elder's own. */
struct checkin_x {
	const char	*by;
	const char	*relation;
	const char	*days;
	const char	*date;
	const char	*minutes;
	const char	*note;
};

/* "+8613900000001" -> "13900000001" into out (PHONE_MAX). */
static const char *
checkin_national(const struct config *cf, const char *phone, char *out)
{
	size_t n = strlen(cf->country_code);

	if (phone[0] == '+' && strncmp(phone + 1, cf->country_code, n) == 0)
		snprintf(out, PHONE_MAX, "%s", phone + 1 + n);
	else
		snprintf(out, PHONE_MAX, "%s", phone);
	return out;
}

/* Render key about e; NULL (logged) when the template is missing. */
static char *
checkin_render(struct checkin_ctx *c, const char *key,
    const struct store_elder *e, const struct checkin_x *x)
{
	static const struct checkin_x none;
	char phone[PHONE_MAX], code[24], *text;

	if (x == NULL)
		x = &none;
	snprintf(code, sizeof code, "%lld", (long long)e->id);
	text = template_render(c->tpl, key, "elder", e->name,
	    "village", e->village_name, "phone",
	    checkin_national(c->cf, e->phone, phone), "code", code,
	    "by", x->by != NULL ? x->by : "",
	    "relation", x->relation != NULL ? x->relation : "",
	    "days", x->days != NULL ? x->days : "",
	    "date", x->date != NULL ? x->date : "",
	    "minutes", x->minutes != NULL ? x->minutes : "",
	    "note", x->note != NULL ? x->note : "", NULL);
	if (text == NULL)
		log_error("checkin: template %s: not defined", key);
	return text;
}

/* Queue text to phone in class: its outbox id, or -1 (logged). */
static int64_t
checkin_queue(struct checkin_ctx *c, const char *to, enum outbox_class class,
    const char *text)
{
	char sm[PHONE_MAX];
	int64_t id;

	if ((id = outbox_queue(c->st, to, text, class, c->message_id,
	    c->now)) == -1) {
		log_warn("checkin: queue to %s: %s", phone_mask(to, sm),
		    store_error(c->st));
		return -1;
	}
	return id;
}

/* Render key about e and queue it to phone. 0 or -1. */
static int
checkin_send(struct checkin_ctx *c, const char *to, enum outbox_class class,
    const char *key, const struct store_elder *e, const struct checkin_x *x)
{
	char *text;
	int rc;

	if ((text = checkin_render(c, key, e, x)) == NULL)
		return -1;
	rc = checkin_queue(c, to, class, text) == -1 ? -1 : 0;
	free(text);
	return rc;
}

static int
checkin_audit(struct checkin_ctx *c, const char *action,
    const struct store_elder *e, const char *detail)
{
	char code[24];

	snprintf(code, sizeof code, "%lld", (long long)e->id);
	return store_audit(c->st, c->now, c->actor, c->channel, action, code,
	    detail);
}

/* --- recipients --- */

struct checkin_guardians {
	struct store_guardian	*v;
	size_t			 n;
};

static void
checkin_guardians_cb(const struct store_guardian *g, void *arg)
{
	struct checkin_guardians *gs = arg;

	gs->v = xrealloc(gs->v, (gs->n + 1) * sizeof *gs->v);
	gs->v[gs->n++] = *g;
}

static void
checkin_village_cadres_cb(const struct store_person *p, void *arg)
{
	if (p->roles & ROLE_CADRE)
		phone_set_add(arg, p->phone);
}

/*
 * Who answers for the elder on the spot: the responsible cadre, else the
 * village's cadres, else (none) nobody. 0 or -1.
 */
static int
checkin_cadres(struct checkin_ctx *c, const struct store_elder *e,
    struct phone_set *ps)
{
	if (e->cadre[0] != '\0') {
		phone_set_add(ps, e->cadre);
		return 0;
	}
	if (e->village[0] == '\0')
		return 0;
	return store_person_cadres(c->st, e->village, checkin_village_cadres_cb,
	    ps);
}

/* The township's supervisors, else the admin phones. 0 or -1. */
static int
checkin_township(struct checkin_ctx *c, const struct store_elder *e,
    struct phone_set *ps)
{
	return oversight_township_phones(c->st, c->cf, e->township, ps);
}

/* --- the ladder --- */

/* The time step (1-5) of d is due; 0 when it has none. */
static time_t
checkin_step_at(const struct store_checkin_day *d, int step)
{
	switch (step) {
	case CHECKIN_STEP_PROMPT:
		return d->prompt_at;
	case CHECKIN_STEP_REMIND:
		return d->remind_at;
	case CHECKIN_STEP_GUARDIANS:
		return d->guardians_at;
	case CHECKIN_STEP_CADRE:
		return d->cadre_at;
	case CHECKIN_STEP_TOWNSHIP:
		return d->township_at;
	}
	return 0;
}

/* Alert every phone in ps with key about e for step of d. 0 or -1. */
static int
checkin_alert_all(struct checkin_ctx *c, const struct store_checkin_day *d,
    int step, const struct phone_set *ps, const char *key,
    const struct store_elder *e, const struct checkin_x *x)
{
	char *text;
	size_t i;
	int64_t id;
	int rc = 0;

	if (ps->n == 0)
		return 0;
	if ((text = checkin_render(c, key, e, x)) == NULL)
		return -1;
	for (i = 0; i < ps->n && rc == 0; i++)
		if ((id = checkin_queue(c, ps->v[i], OUTBOX_URGENT, text)) ==
		    -1)
			rc = -1;
		else
			rc = store_checkin_alert_add(c->st, d->id, ps->v[i],
			    step, c->now, id);
	free(text);
	return rc;
}

/* Take step (1-5) of d's ladder for e. 0 or -1. */
static int
checkin_step(struct checkin_ctx *c, const struct store_elder *e,
    const struct store_checkin_day *d, int step)
{
	struct phone_set ps = { NULL, 0 };
	struct checkin_guardians gs = { NULL, 0 };
	struct checkin_x x;
	char date[11];
	size_t i;
	int rc = 0;

	memset(&x, 0, sizeof x);
	x.date = checkin_day_format(d->day, date) + 5;	/* "MM-DD" */
	switch (step) {
	case CHECKIN_STEP_PROMPT:
	case CHECKIN_STEP_REMIND:
		rc = checkin_send(c, e->phone, OUTBOX_REMINDER,
		    step == CHECKIN_STEP_PROMPT ? "checkin_prompt" :
		    "checkin_remind", e, &x);
		if (rc == 0 && store_prompt_add(c->st, e->phone,
		    CHECKIN_PROMPT_KIND, d->id, c->now,
		    checkin_midnight(c->cf, d->day + 1)) == -1)
			rc = -1;
		break;
	case CHECKIN_STEP_GUARDIANS:
		if ((rc = store_guardians(c->st, e->id, checkin_guardians_cb,
		    &gs)) == -1)
			break;
		/* Each guardian's own relation in their text. */
		for (i = 0; i < gs.n && rc == 0; i++) {
			phone_set_add(&ps, gs.v[i].phone);
			x.relation = gs.v[i].relation;
			rc = checkin_alert_all(c, d, step, &ps,
			    "checkin_alert_guardian", e, &x);
			phone_set_free(&ps);
		}
		free(gs.v);
		break;
	case CHECKIN_STEP_CADRE:
		if ((rc = checkin_cadres(c, e, &ps)) == 0 && ps.n == 0)
			rc = checkin_township(c, e, &ps);
		if (rc == 0)
			rc = checkin_alert_all(c, d, step, &ps,
			    "checkin_alert_cadre", e, &x);
		break;
	case CHECKIN_STEP_TOWNSHIP:
		if ((rc = checkin_township(c, e, &ps)) == 0)
			rc = checkin_alert_all(c, d, step, &ps,
			    "checkin_alert_township", e, &x);
		break;
	}
	phone_set_free(&ps);
	return rc;
}

/* Climb d's ladder as far as now reaches. Steps taken, or -1. */
static int
checkin_climb(struct checkin_ctx *c, struct store_checkin_day *d)
{
	static const char *const names[] = { "", "prompt", "remind",
	    "guardians", "cadre", "township" };
	struct store_elder e;
	char sm[PHONE_MAX];
	time_t at;
	int rc, done = 0;

	if ((rc = store_elder_get(c->st, d->elder_id, &e)) == -1)
		return -1;
	if (rc == 0 || !e.active) {
		/* Removed since the row was made: nothing more to climb. */
		snprintf(d->status, sizeof d->status, "paused");
		d->next_at = 0;
		return store_checkin_day_update(c->st, d) == -1 ? -1 : 0;
	}
	while (d->step < CHECKIN_STEP_TOWNSHIP) {
		at = checkin_step_at(d, d->step + 1);
		if (at != 0 && at > c->now)
			break;
		d->step++;
		if (at == 0)
			continue;	/* no such step for this row */
		if (checkin_step(c, &e, d, d->step) == -1)
			return -1;
		log_info("checkin: elder %lld (%s): day %d: %s",
		    (long long)e.id, phone_mask(e.phone, sm), d->day,
		    names[d->step]);
		done++;
	}
	d->next_at = d->step < CHECKIN_STEP_TOWNSHIP ?
	    checkin_step_at(d, d->step + 1) : 0;
	return store_checkin_day_update(c->st, d) == -1 ? -1 : done;
}

/* Repeat unconfirmed SOS calls to the cadre. Steps, or -1. */
static int
checkin_sos_run(struct checkin_ctx *c)
{
	struct store_sos s[CHECKIN_BATCH];
	struct phone_set ps = { NULL, 0 };
	struct store_elder e;
	struct checkin_x x;
	char minutes[24];
	time_t next, every = (time_t)c->cf->checkin_sos_repeat * 60;
	int n, i, rc, done = 0;

	do {
		if ((n = store_sos_due(c->st, c->now, s, CHECKIN_BATCH)) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			for (next = s[i].next_at; next <= c->now; next += every)
				;
			if (store_sos_repeat(c->st, s[i].id, next) == -1 ||
			    (rc = store_elder_get(c->st, s[i].elder_id,
			    &e)) == -1)
				return -1;
			if (rc == 0)
				continue;
			memset(&x, 0, sizeof x);
			snprintf(minutes, sizeof minutes, "%lld",
			    (long long)(c->now - s[i].at) / 60);
			x.minutes = minutes;
			rc = checkin_cadres(c, &e, &ps);
			if (rc == 0 && ps.n == 0)
				rc = checkin_township(c, &e, &ps);
			for (size_t j = 0; rc == 0 && j < ps.n; j++)
				rc = checkin_send(c, ps.v[j], OUTBOX_URGENT,
				    "checkin_sos_repeat", &e, &x);
			phone_set_free(&ps);
			if (rc == -1)
				return -1;
			done++;
		}
	} while (n == CHECKIN_BATCH);
	return done;
}

int
checkin_sched_run(struct checkin_ctx *c)
{
	struct store_checkin_times t;
	struct store_checkin_day d;
	int64_t ids[CHECKIN_BATCH];
	int today, n, i, rc, done = 0;

	today = checkin_day_of(c->cf, c->now);
	checkin_times(c->cf, &t);
	if ((n = store_checkin_materialize(c->st, today,
	    checkin_midnight(c->cf, today),
	    checkin_midnight(c->cf, today + 1), &t, 0, c->now)) == -1)
		return -1;
	if (n > 0)
		log_info("checkin: day %d: %d elder(s) to hear from", today, n);
	do {
		if ((n = store_checkin_day_due(c->st, c->now, ids,
		    CHECKIN_BATCH)) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if (store_checkin_day_get(c->st, ids[i], &d) != 1 ||
			    (rc = checkin_climb(c, &d)) == -1)
				return -1;
			done += rc;
		}
	} while (n == CHECKIN_BATCH);
	if ((n = checkin_sos_run(c)) == -1)
		return -1;
	return done + n;
}

int
checkin_refresh(struct checkin_ctx *c, const struct store_elder *e)
{
	struct store_checkin_times t;
	struct store_checkin_day d;
	int today, rc;

	today = checkin_day_of(c->cf, c->now);
	if (!e->active || e->start_day > today)
		return 0;
	/* A day already made keeps its times: changes apply tomorrow. */
	if ((rc = store_checkin_day_find(c->st, e->id, today, &d)) != 0)
		return rc == -1 ? -1 : 0;
	checkin_times(c->cf, &t);
	return store_checkin_materialize(c->st, today,
	    checkin_midnight(c->cf, today), checkin_midnight(c->cf, today + 1),
	    &t, e->id, c->now) == -1 ? -1 : 0;
}

/* --- check-ins and confirmations --- */

/*
 * Stop every open ladder of e as status, resolved by by: prompts close,
 * and whoever a ladder alerted (but skip) gets the all-clear. The number
 * told, or -1.
 */
static int
checkin_resolve(struct checkin_ctx *c, const struct store_elder *e,
    const char *status, const char *by, const char *by_name,
    const char *note, const char *skip)
{
	struct phone_set ps = { NULL, 0 };
	struct store_checkin_day d;
	struct checkin_x x;
	int64_t ids[CHECKIN_OPEN_MAX];
	size_t j;
	int n, i, w, rc = 0, told = 0;

	if ((n = store_checkin_day_open(c->st, e->id, ids,
	    CHECKIN_OPEN_MAX)) == -1)
		return -1;
	memset(&x, 0, sizeof x);
	x.by = by_name;
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = store_checkin_day_get(c->st, ids[i], &d)) != 1)
			return -1;
		rc = 0;
		snprintf(d.status, sizeof d.status, "%s", status);
		d.resolved_at = c->now;
		snprintf(d.resolved_by, sizeof d.resolved_by, "%s", by);
		if (note != NULL)
			snprintf(d.note, sizeof d.note, "%s", note);
		d.next_at = 0;
		if (store_checkin_day_update(c->st, &d) == -1 ||
		    store_prompt_close_object(c->st, CHECKIN_PROMPT_KIND, d.id,
		    "answered", c->now) == -1)
			return -1;
		if (d.step < CHECKIN_STEP_GUARDIANS)
			continue;
		/*
		 * Alerts still waiting for a modem need not go at all; the
		 * all-clear goes to those who had one (or may have).
		 */
		if ((w = store_checkin_withdraw(c->st, d.id, c->now)) == -1)
			return -1;
		if (w > 0)
			log_info("checkin: elder %lld found well: %d alert(s) "
			    "not sent yet withdrawn", (long long)e->id, w);
		if (store_checkin_alerted(c->st, d.id, phone_set_add_cb,
		    &ps) == -1)
			rc = -1;
	}
	for (j = 0; rc == 0 && j < ps.n; j++) {
		if (skip != NULL && strcmp(ps.v[j], skip) == 0)
			continue;
		rc = checkin_send(c, ps.v[j], OUTBOX_URGENT, "checkin_allclear",
		    e, &x);
		told++;
	}
	phone_set_free(&ps);
	return rc == -1 ? -1 : told;
}

int
checkin_record(struct checkin_ctx *c, const struct store_elder *e,
    const char *source, int explicit)
{
	struct store_checkin_day d;
	int64_t id;
	int today, rc;

	if (checkin_resolve(c, e, "checked", e->phone, e->name, NULL,
	    NULL) == -1)
		return -1;
	today = checkin_day_of(c->cf, c->now);
	if ((rc = store_checkin_day_find(c->st, e->id, today, &d)) == -1)
		return -1;
	if (rc == 1 && d.checked_in_at != 0)
		return 0;
	if (rc == 0) {
		memset(&d, 0, sizeof d);
		d.elder_id = e->id;
		d.day = today;
		snprintf(d.status, sizeof d.status, "checked");
		d.checked_in_at = c->now;
		snprintf(d.source, sizeof d.source, "%s", source);
		if (store_checkin_day_insert(c->st, &d, &id) == -1)
			return -1;
	} else {
		/* Open rows were resolved above; paused ones count too. */
		if (strcmp(d.status, "confirmed") != 0)
			snprintf(d.status, sizeof d.status, "checked");
		d.checked_in_at = c->now;
		d.next_at = 0;
		snprintf(d.source, sizeof d.source, "%s", source);
		if (store_checkin_day_update(c->st, &d) == -1)
			return -1;
	}
	if (explicit && checkin_confirms(c->cf, e) &&
	    checkin_send(c, e->phone, c->message_id != 0 ? OUTBOX_REPLY :
	    OUTBOX_REMINDER, "checkin_ok", e, NULL) == -1)
		return -1;
	return 1;
}

int
checkin_call(struct checkin_ctx *c, const char *phone)
{
	struct store_elder e;
	int rc;

	if ((rc = store_elder_find(c->st, phone, &e)) != 1)
		return rc;
	if (!e.active)
		return 0;
	if (checkin_record(c, &e, "call", 1) == -1)
		return -1;
	return 1;
}

int
checkin_confirm(struct checkin_ctx *c, const struct store_elder *e,
    const char *by, const char *by_name, const char *note)
{
	struct phone_set ps = { NULL, 0 };
	struct checkin_guardians gs = { NULL, 0 };
	struct store_checkin_day d;
	struct checkin_x x;
	int64_t id;
	size_t i;
	int told, sos, today, rc;

	if ((told = checkin_resolve(c, e, "confirmed", by, by_name, note,
	    by)) == -1)
		return -1;
	if ((sos = store_sos_resolve(c->st, e->id, by, c->now)) == -1)
		return -1;
	if (sos > 0) {
		/* The SOS went to guardians and cadres: tell them too. */
		memset(&x, 0, sizeof x);
		x.by = by_name;
		rc = store_guardians(c->st, e->id, checkin_guardians_cb, &gs);
		for (i = 0; rc == 0 && i < gs.n; i++)
			phone_set_add(&ps, gs.v[i].phone);
		free(gs.v);
		if (rc == 0)
			rc = checkin_cadres(c, e, &ps);
		for (i = 0; rc == 0 && i < ps.n; i++) {
			if (strcmp(ps.v[i], by) == 0)
				continue;
			rc = checkin_send(c, ps.v[i], OUTBOX_URGENT,
			    "checkin_allclear", e, &x);
			told++;
		}
		phone_set_free(&ps);
		if (rc == -1)
			return -1;
	}
	/* Today counts as confirmed: its ladder need not start. */
	today = checkin_day_of(c->cf, c->now);
	if ((rc = store_checkin_day_find(c->st, e->id, today, &d)) == -1)
		return -1;
	if (rc == 0) {
		memset(&d, 0, sizeof d);
		d.elder_id = e->id;
		d.day = today;
		snprintf(d.status, sizeof d.status, "confirmed");
		d.resolved_at = c->now;
		snprintf(d.resolved_by, sizeof d.resolved_by, "%s", by);
		snprintf(d.note, sizeof d.note, "%s", note != NULL ? note : "");
		if (store_checkin_day_insert(c->st, &d, &id) == -1)
			return -1;
	}
	if (checkin_audit(c, "checkin.confirm", e, note) == -1)
		return -1;
	return told;
}

int
checkin_sos(struct checkin_ctx *c, const struct store_elder *e)
{
	struct phone_set ps = { NULL, 0 };
	struct checkin_guardians gs = { NULL, 0 };
	size_t i;
	int rc;

	rc = store_guardians(c->st, e->id, checkin_guardians_cb, &gs);
	for (i = 0; rc == 0 && i < gs.n; i++)
		phone_set_add(&ps, gs.v[i].phone);
	free(gs.v);
	if (rc == 0)
		rc = checkin_cadres(c, e, &ps);
	if (rc == 0 && ps.n == 0)
		rc = checkin_township(c, e, &ps);
	for (i = 0; rc == 0 && i < ps.n; i++)
		rc = checkin_send(c, ps.v[i], OUTBOX_URGENT, "checkin_sos_alert",
		    e, NULL);
	phone_set_free(&ps);
	if (rc == -1 || store_sos_add(c->st, e->id, c->now, c->now +
	    (time_t)c->cf->checkin_sos_repeat * 60) == -1 ||
	    checkin_audit(c, "checkin.sos", e, NULL) == -1)
		return -1;
	return 0;
}

int
checkin_pause(struct checkin_ctx *c, const struct store_elder *e, int days)
{
	struct store_checkin_day d;
	char detail[32];
	int today, rc;

	today = checkin_day_of(c->cf, c->now);
	if (store_elder_set(c->st, e->id, 1, today + days - 1, c->now) == -1)
		return -1;
	if ((rc = store_checkin_day_find(c->st, e->id, today, &d)) == -1)
		return -1;
	if (rc == 1 && strcmp(d.status, "open") == 0) {
		snprintf(d.status, sizeof d.status, "paused");
		d.next_at = 0;
		if (store_checkin_day_update(c->st, &d) == -1 ||
		    store_prompt_close_object(c->st, CHECKIN_PROMPT_KIND, d.id,
		    "superseded", c->now) == -1)
			return -1;
	}
	snprintf(detail, sizeof detail, "%d day(s)", days);
	return checkin_audit(c, "checkin.pause", e, detail);
}

int
checkin_resume(struct checkin_ctx *c, const struct store_elder *e)
{
	struct store_checkin_day d;
	int today, rc;

	today = checkin_day_of(c->cf, c->now);
	if (store_elder_set(c->st, e->id, 1, 0, c->now) == -1)
		return -1;
	if ((rc = store_checkin_day_find(c->st, e->id, today, &d)) == -1)
		return -1;
	/* Today too, unless its reminder time has passed. */
	if (rc == 1 && strcmp(d.status, "paused") == 0 && d.remind_at != 0 &&
	    d.remind_at > c->now) {
		snprintf(d.status, sizeof d.status, "open");
		d.next_at = checkin_step_at(&d, d.step + 1);
		if (store_checkin_day_update(c->st, &d) == -1)
			return -1;
	}
	return checkin_audit(c, "checkin.resume", e, NULL);
}
