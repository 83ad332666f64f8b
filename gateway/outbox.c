/*
 * outbox — outbound policy over the outbox table. A row is queued with a
 * TTL from its class; outbox_pump hands due rows to modems, most urgent
 * first; results come back through outbox_sent / outbox_failed /
 * outbox_lost. A row that fails waits out a backoff while the rows behind
 * it go on, and gives up after cf->max_attempts tries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "modems/modem.h"

#define OUTBOX_PUMP_BATCH	64
#define OUTBOX_CAP_RETRY	600	/* s before a capped recipient's row */
#define OUTBOX_LOST_RETRY	5	/* s before a lost job goes again */

int
outbox_ttl(enum outbox_class class)
{
	switch (class) {
	case OUTBOX_URGENT:
		return 24 * 3600;
	case OUTBOX_REPLY:
		return 24 * 3600;
	case OUTBOX_REMINDER:
		return 12 * 3600;
	case OUTBOX_BROADCAST:
		return 48 * 3600;
	}
	return 24 * 3600;
}

int
outbox_backoff(int attempts)
{
	int delay = 30;

	while (attempts-- > 0 && delay < 3600)
		delay *= 2;
	return delay > 3600 ? 3600 : delay;
}

int64_t
outbox_queue(struct store *st, const char *recipient, const char *text,
    enum outbox_class class, int64_t message_id, time_t now)
{
	return store_outbox_add(st, recipient, text, class, now,
	    now + outbox_ttl(class), message_id, now);
}

int
outbox_admit(struct store *st, const struct config *cf,
    const struct store_outbox *o, time_t now)
{
	char masked[PHONE_MAX];
	int n;

	if (o->expires_at <= now) {
		log_info("outbox: %lld to %s: expired after %d attempts",
		    (long long)o->id, phone_mask(o->recipient, masked),
		    o->attempts);
		if (store_outbox_mark_final(st, o->id, OUTBOX_EXPIRED,
		    o->last_error[0] != '\0' ? o->last_error : "expired",
		    now) == -1)
			return -1;
		return 0;
	}
	if (o->class == OUTBOX_URGENT)
		return 1;
	/* A cap per recipient: a loop with an auto-replier stops here. */
	if ((n = store_outbox_count_since(st, o->recipient, now - 3600)) == -1)
		return -1;
	if (n >= cf->recipient_hourly_cap) {
		log_info("outbox: %lld to %s: %d sent this hour, deferred",
		    (long long)o->id, phone_mask(o->recipient, masked), n);
		if (store_outbox_defer(st, o->id, now + OUTBOX_CAP_RETRY) == -1)
			return -1;
		return 0;
	}
	return 1;
}

int
outbox_sent(struct store *st, int64_t id, int parts, int msgref, time_t now)
{
	return store_outbox_mark_sent(st, id, parts, msgref, now);
}

int
outbox_failed(struct store *st, const struct config *cf, int64_t id,
    int permanent, const char *error, time_t now)
{
	struct store_outbox o;
	int rc;

	if ((rc = store_outbox_get(st, id, &o)) != 1)
		return -1;
	if (permanent || o.attempts + 1 >= cf->max_attempts) {
		log_warn("outbox: %lld: giving up after %d attempts: %s",
		    (long long)id, o.attempts + 1, error);
		rc = store_outbox_mark_final(st, id, OUTBOX_FAILED, error, now);
	} else {
		log_info("outbox: %lld: attempt %d failed, again in %d s: %s",
		    (long long)id, o.attempts + 1, outbox_backoff(o.attempts),
		    error);
		rc = store_outbox_mark_retry(st, id,
		    now + outbox_backoff(o.attempts), error);
	}
	store_outbox_clear(&o);
	return rc;
}

int
outbox_lost(struct store *st, const struct config *cf, int64_t id,
    time_t now)
{
	struct store_outbox o;
	int rc;

	/*
	 * The worker died with it: unknown whether it went. It counts as an
	 * attempt so a message that kills workers cannot loop for ever.
	 */
	if ((rc = store_outbox_get(st, id, &o)) != 1)
		return -1;
	if (o.attempts + 1 >= cf->max_attempts)
		rc = store_outbox_mark_final(st, id, OUTBOX_FAILED,
		    "modem worker died while sending", now);
	else
		rc = store_outbox_mark_retry(st, id, now + OUTBOX_LOST_RETRY,
		    "modem worker died while sending");
	store_outbox_clear(&o);
	return rc;
}

/* The modem that can take a job with the least in flight, or NULL. */
static struct modem *
outbox_pick(struct modem *const *modems, size_t n)
{
	struct modem *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!modem_can_take(modems[i]))
			continue;
		if (best == NULL ||
		    modem_inflight(modems[i]) < modem_inflight(best))
			best = modems[i];
	}
	return best;
}

int
outbox_pump(struct store *st, const struct config *cf,
    struct modem *const *modems, size_t nmodems, time_t now)
{
	int64_t ids[OUTBOX_PUMP_BATCH];
	struct store_outbox o;
	struct modem *m;
	int n, i, rc, handed = 0;

	if (outbox_pick(modems, nmodems) == NULL)
		return 0;
	if ((n = store_outbox_due(st, now, ids, OUTBOX_PUMP_BATCH)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((m = outbox_pick(modems, nmodems)) == NULL)
			break;
		if ((rc = store_outbox_get(st, ids[i], &o)) != 1) {
			if (rc == -1)
				return -1;
			continue;
		}
		if ((rc = outbox_admit(st, cf, &o, now)) == 1) {
			if (store_outbox_mark_sending(st, o.id, modem_name(m),
			    now) == 0) {
				if (modem_submit(m, (uint64_t)o.id,
				    o.recipient, o.text) == 0)
					handed++;
				else
					store_outbox_mark_retry(st, o.id,
					    now + OUTBOX_LOST_RETRY,
					    "modem refused the job");
			}
		}
		store_outbox_clear(&o);
		if (rc == -1)
			return -1;
	}
	return handed;
}
