/*
 * grievance — the lifecycle of a ticket (投诉), whoever drives it: the SMS
 * handlers (handlers/grievance.c), the scheduler's deadlines (sched.c) and
 * cungatectl (ctl_grievance.c). Each function changes one ticket inside
 * the caller's transaction, records the change in the ticket's history
 * and the audit log, and queues the messages it causes; the caller
 * answers whoever asked.
 *
 *	open ──SL──▶ accepted ──BJ──▶ resolved ──1/2──▶ closed
 *	  │  ╲                          │   ╲──(no rating in time)──▶ closed
 *	  │   ╲──BJ (accepts too)──▶    └──3──▶ reopened ──SL/BJ──▶ …
 *	  └──TH (also from accepted, reopened)──▶ returned ──assign──▶ open
 *	any but closed ──cungatectl grievance close──▶ closed
 */
#ifndef CUNGATE_GRIEVANCE_H
#define CUNGATE_GRIEVANCE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/store.h"

struct config;
struct template;

/* Who acts, when, and what message is being answered. */
struct grievance_ctx {
	struct store		*st;
	const struct config	*cf;
	const struct template	*tpl;
	time_t			 now;
	const char		*actor;		/* a phone, "cli" or "system" */
	const char		*channel;	/* "sms", "cli", "system" */
	int64_t			 message_id;	/* answered message, 0 if none */
};

/* What a lifecycle step came to, when it did not fail (-1). */
enum grievance_result {
	GRIEVANCE_DONE = 0,	/* the ticket changed */
	GRIEVANCE_ALREADY = 1,	/* it is already so: nothing changed */
	GRIEVANCE_REFUSED = 2	/* not possible in its status: nothing changed */
};

/* A cadre alert is cut to fit two UCS-2 parts; receipts and status one. */
#define GRIEVANCE_ALERT_CHARS	134
#define GRIEVANCE_ONE_PART	70

/*
 * File a ticket for reporter (who must have a village) about text: a new
 * code unique in the database, the category whose keywords text holds,
 * deadlines from the config, assignees (the village's cadres for that
 * category, else all its cadres, else the township's supervisors), each
 * alerted. 0 with *out filled (store_ticket_clear it), or -1.
 */
int	 grievance_file(struct grievance_ctx *, const struct store_person *,
	    const char *text, struct store_ticket *out);
/*
 * A cadre's steps; t is updated in place. accept: open or reopened ->
 * accepted, the reporter told. resolve: open, accepted or reopened ->
 * resolved, the reporter gets the reply and a rating prompt. ret(urn):
 * -> returned, the township's supervisors get the reason. A result, or -1.
 */
int	 grievance_accept(struct grievance_ctx *, struct store_ticket *,
	    const struct store_person *cadre);
int	 grievance_resolve(struct grievance_ctx *, struct store_ticket *,
	    const struct store_person *cadre, const char *reply);
int	 grievance_return(struct grievance_ctx *, struct store_ticket *,
	    const struct store_person *cadre, const char *reason);
/*
 * The reporter's rating (1 satisfied, 2 fairly, 3 not) of a resolved
 * ticket: 1 and 2 close it, 3 reopens it and escalates it to the township
 * at once. A result, or -1.
 */
int	 grievance_rate(struct grievance_ctx *, struct store_ticket *,
	    int rating);
/*
 * Operators: assign adds a cadre (a returned ticket opens again with a new
 * accept deadline) and alerts them; close closes any ticket not closed,
 * telling the reporter when note is not NULL. A result, or -1.
 */
int	 grievance_assign(struct grievance_ctx *, struct store_ticket *,
	    const struct store_person *cadre);
int	 grievance_close(struct grievance_ctx *, struct store_ticket *,
	    const char *note);

/*
 * The scheduler's step at ctx->now: past a deadline, one reminder to the
 * assignees; escalate_percent of the window later, one escalation to the
 * township's supervisors; rating prompts that ran out close their ticket
 * unrated. Each step is recorded on the ticket, so running it again does
 * nothing. The number of steps taken, or -1.
 */
int	 grievance_sla_run(struct grievance_ctx *);

/* The deadlines of a ticket filed at now (urgent or not). */
time_t	 grievance_accept_due(const struct config *, time_t now);
time_t	 grievance_resolve_due(const struct config *, int urgent, time_t now);

/* The county's three rates and the counts, over some tickets at now. */
#define GRIEVANCE_NSTATUS	6
extern const char *const grievance_statuses[GRIEVANCE_NSTATUS];
struct grievance_stats {
	int64_t	 total;
	int64_t	 accept_counted;	/* accepted, or past accept_due */
	int64_t	 accepted_in_time;
	int64_t	 resolve_counted;	/* resolved, or past resolve_due */
	int64_t	 resolved_in_time;
	int64_t	 rated;
	int64_t	 satisfied;		/* rated 1 or 2 */
	int64_t	 by_status[GRIEVANCE_NSTATUS];
	char	**categories;		/* "" for none */
	int64_t	*by_category;
	size_t	 ncategories;
};
/* Count t into s as of now (returned tickets are left out of the rates). */
void	 grievance_stats_add(struct grievance_stats *, const struct store_ticket *,
	    time_t now);
/* A rate in percent, or -1 when nothing was counted. */
double	 grievance_rate_percent(int64_t part, int64_t of);
void	 grievance_stats_free(struct grievance_stats *);

/*
 * Render template key about t (fields: ticket, village, code, name, phone,
 * category, text, reply, due, accept_due, resolve_due, hours, cadre — the
 * accepting cadre's name —, status), cutting the text (then the reply)
 * to fit limit characters when limit is not 0. A new string, or NULL
 * when key is not defined.
 */
char	*grievance_message(struct grievance_ctx *, const char *key,
	    const struct store_ticket *, const char *status, size_t limit);

/* Characters (code points) in UTF-8 s. */
size_t	 grievance_chars(const char *);
/*
 * Copy s into a new string of at most max characters, the last being "…"
 * when it was cut. The caller frees.
 */
char	*grievance_cut(const char *s, size_t max);
/* "+8613900000001" -> "13900000001" (national form) into out (PHONE_MAX). */
const char *grievance_phone(const struct config *, const char *, char *out);

#endif
