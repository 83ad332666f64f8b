/*
 * sched — everything driven by time, as a pure function of (database,
 * now): sched_run does what is due at now and records it, so running it
 * twice at the same now does nothing the second time. The daemon calls it
 * on a timer; `cungatectl tick --at` calls it for operators and tests.
 */
#ifndef CUNGATE_SCHED_H
#define CUNGATE_SCHED_H

#include <time.h>

struct config;
struct store;
struct template;

/*
 * Run what is due at now: concatenated messages whose parts stopped
 * coming go on as partial messages; queued rows past their TTL expire; a
 * modem down for modem_down_alert seconds is reported to the admin phones
 * (once, and once more when it is back); grievance deadlines remind and
 * escalate, and unanswered rating prompts run out (grievance_sla_run).
 * Returns the number of things done, or -1 on a store error.
 */
int	 sched_run(struct store *, const struct config *,
	    const struct template *, time_t now);
/*
 * The same as of a time that is not now (cungatectl tick --at), except
 * that no queued message expires: that goes by the real clock.
 */
int	 sched_run_as_of(struct store *, const struct config *,
	    const struct template *, time_t now);

#endif
