/*
 * event — village events (义诊, trainings, meetings) with places and a
 * waiting list, whoever drives them: the SMS handlers (handlers/event.c),
 * the scheduler (reminders the day before, closing past events) and
 * cungatectl (ctl_event.c). Each function works inside the caller's
 * transaction and queues the messages it causes to others; the caller
 * answers whoever asked.
 *
 *	open ──signup──▶ confirmed (place n) │ waiting (position n)
 *	confirmed ──cancel──▶ cancelled; the first waiting moves up, told
 *	open ──starts_at passes──▶ closed
 */
#ifndef CUNGATE_EVENT_H
#define CUNGATE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/store.h"

struct config;
struct template;

struct event_ctx {
	struct store		*st;
	const struct config	*cf;
	const struct template	*tpl;
	time_t			 now;
	const char		*actor;		/* a phone, "cli" or "system" */
	const char		*channel;	/* "sms", "cli", "system" */
	int64_t			 message_id;	/* answered message, 0 if none */
};

/* What a signup came to, when it did not fail (-1). */
enum event_signup {
	EVENT_CONFIRMED = 0,	/* a place: *pos its number */
	EVENT_WAITING = 1,	/* full: *pos the waiting position */
	EVENT_ALREADY_CONFIRMED = 2,	/* nothing changed */
	EVENT_ALREADY_WAITING = 3	/* nothing changed */
};

#define EVENT_TWO_PARTS		134	/* characters of a list or roster */

/*
 * The start of an event on local date month/day at minutes after local
 * midnight: this year's, or next year's once that day has passed at now.
 * 0 with *out, -1 when there is no such date.
 */
int	 event_date(const struct config *, time_t now, int month, int day,
	    int minutes, time_t *out);
/* When an event starting at starts_at is reminded: the day before. */
time_t	 event_remind_at(const struct config *, time_t starts_at);
/*
 * Publish an event of village v with a new code (2–4 digits, unique
 * among open events), by ctx->actor. 0 with *out, or -1.
 */
int	 event_publish(struct event_ctx *, const struct store_village *v,
	    time_t starts_at, int capacity, const char *title,
	    const char *place, struct store_event *out);
/*
 * May p sign up to e: p is of e's village, or of its township when the
 * config says township_wide. -1 / 0 / 1.
 */
int	 event_may_join(struct event_ctx *, const struct store_event *,
	    const struct store_person *p);
/* phone's place or waiting position in e (0: neither). -1 on error. */
int	 event_position(struct event_ctx *, const struct store_event *,
	    const char *phone);
/* Sign phone up to open event e: an enum event_signup with *pos, or -1. */
int	 event_signup(struct event_ctx *, const struct store_event *,
	    const char *phone, int *pos);
/*
 * Cancel phone's signup to e: the first waiting, if a place was freed,
 * moves up and is told (event_promoted). 1 cancelled, 0 not signed up,
 * -1 on error.
 */
int	 event_cancel(struct event_ctx *, const struct store_event *,
	    const char *phone);
/*
 * The scheduler's step at ctx->now: reminders (event_reminder, one part)
 * to the confirmed of events whose reminder is due, once each; open
 * events that started close. Steps taken, or -1.
 */
int	 event_sched_run(struct event_ctx *);
/*
 * Render template key about e (fields: code, title, place, village, date
 * "3月15日", time "09:00", capacity, left, confirmed, waiting) and one
 * more field name = value (name NULL for none). A new string, or NULL.
 */
char	*event_message(struct event_ctx *, const char *key,
	    const struct store_event *, const char *name, const char *value);
/* The village's upcoming events, one or two parts: a new string. */
char	*event_list_text(struct event_ctx *, const char *village);
/* e's counts and the first names, at most two parts: a new string. */
char	*event_roster_text(struct event_ctx *, const struct store_event *);

#endif
