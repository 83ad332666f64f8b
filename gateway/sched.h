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

/*
 * Run what is due at now: concatenated messages whose parts stopped
 * coming go on as partial messages; queued rows past their TTL expire.
 * Returns the number of things done, or -1 on a store error.
 */
int	 sched_run(struct store *, const struct config *, time_t now);

#endif
