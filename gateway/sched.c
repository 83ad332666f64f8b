/*
 * sched — the time-driven steps, each idempotent at a given now.
 */
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/sched.h"
#include "gateway/store.h"

int
sched_run(struct store *st, const struct config *cf, time_t now)
{
	int flushed, expired;

	if (store_begin(st) == -1)
		return -1;
	if ((flushed = store_part_flush_stale(st,
	    now - cf->reassembly_timeout, now)) == -1 ||
	    (expired = store_outbox_expire(st, now)) == -1) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) == -1)
		return -1;
	if (flushed > 0)
		log_info("sched: %d incomplete message(s) went on as partial",
		    flushed);
	if (expired > 0)
		log_info("sched: %d queued message(s) expired", expired);
	return flushed + expired;
}
