/*
 * checkin — the elderly daily check-in, whoever drives it: the SMS
 * handlers (handlers/checkin.c), missed calls (daemon.c), the scheduler's
 * ladder (sched.c) and cungatectl (ctl_elder.c). Each function works in
 * the caller's transaction and queues the messages it causes.
 *
 * A day: each enrolled elder gets one row per local day (made by the
 * first scheduler run of the day, or by the first check-in). With no
 * check-in, the ladder climbs: an optional morning prompt, a reminder at
 * the due time, every guardian, the responsible cadre, the township's
 * supervisors the next morning; each step once, recorded on the row.
 * A check-in (missed call, any SMS, 平安, a digit answering the prompt)
 * or a confirmation (QR from a guardian or cadre) stops every open
 * ladder of that elder, and everyone alerted gets an all-clear.
 */
#ifndef CUNGATE_CHECKIN_H
#define CUNGATE_CHECKIN_H

#include <stdint.h>
#include <time.h>

#include "gateway/store.h"

struct config;
struct template;

/* Who acts, when, and what message is being answered. */
struct checkin_ctx {
	struct store		*st;
	const struct config	*cf;
	const struct template	*tpl;
	time_t			 now;
	const char		*actor;		/* a phone, "cli" or "system" */
	const char		*channel;	/* "sms", "call", "cli", "system" */
	int64_t			 message_id;	/* answered message, 0 if none */
};

/* Ladder steps, as store_checkin_day.step counts them. */
#define CHECKIN_STEP_PROMPT	1
#define CHECKIN_STEP_REMIND	2
#define CHECKIN_STEP_GUARDIANS	3
#define CHECKIN_STEP_CADRE	4
#define CHECKIN_STEP_TOWNSHIP	5
#define CHECKIN_PROMPT_KIND	"checkin"

/* The local day (days since 1970-01-01) t falls on, in cf's time zone. */
int	 checkin_day_of(const struct config *, time_t t);
/* The UTC time of local midnight starting day. */
time_t	 checkin_midnight(const struct config *, int day);
/* day as "YYYY-MM-DD" into out (11 bytes); parse the same: 0 or -1. */
const char *checkin_day_format(int day, char *out);
int	 checkin_day_parse(const char *, int *day);
/* "HH:MM" -> minutes after midnight: 0 or -1. */
int	 checkin_clock_parse(const char *, int *minutes);
/* The config's ladder times. */
void	 checkin_times(const struct config *, struct store_checkin_times *);
/* Does the elder get a confirmation of the day's first check-in? 0/1. */
int	 checkin_confirms(const struct config *, const struct store_elder *);

/*
 * Make today's row for an elder enrolled or changed now, if the elder
 * has started and has none yet (a day already made keeps its times:
 * changes apply from the next day). 0 or -1.
 */
int	 checkin_refresh(struct checkin_ctx *, const struct store_elder *);
/*
 * A check-in from the elder, from source ("call", "sms", "keyword",
 * "prompt"). Every open ladder of the elder stops (all-clear to whoever
 * it alerted); the day's first check-in is recorded and, when explicit
 * and the elder gets confirmations, confirmed with one SMS. 1 when it
 * was the day's first, 0 when not, -1 on error.
 */
int	 checkin_record(struct checkin_ctx *, const struct store_elder *,
	    const char *source, int explicit);
/*
 * A missed call from phone: a check-in when phone is an enrolled elder's.
 * 1 checked in, 0 not an elder, -1 on error.
 */
int	 checkin_call(struct checkin_ctx *, const char *phone);
/*
 * A guardian or cadre (by, by_name) says the elder is well: open ladders
 * and SOS calls stop, everyone alerted but by gets an all-clear, and
 * today counts as confirmed. The number of people told, or -1.
 */
int	 checkin_confirm(struct checkin_ctx *, const struct store_elder *,
	    const char *by, const char *by_name, const char *note);
/* SOS from the elder: urgent to guardians and cadre, repeated. 0 / -1. */
int	 checkin_sos(struct checkin_ctx *, const struct store_elder *);
/*
 * Pause the ladder from today for days days (a row already begun stops
 * quietly); resume ends a pause (today too, when its reminder is not yet
 * due). 0 or -1.
 */
int	 checkin_pause(struct checkin_ctx *, const struct store_elder *,
	    int days);
int	 checkin_resume(struct checkin_ctx *, const struct store_elder *);
/*
 * The scheduler's part at ctx->now: make today's rows once, climb every
 * ladder with a step due, repeat unconfirmed SOS calls. Each step is
 * recorded, so running it again at the same now does nothing. The number
 * of steps taken, or -1.
 */
int	 checkin_sched_run(struct checkin_ctx *);

#endif
