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
#define OUTBOX_REPORT_WAIT	20	/* s for a lost job's status report */
#define OUTBOX_IN_DOUBT		"in flight when its worker died: in doubt"
#define OUTBOX_DIRECT_REPLY	3600	/* s a direct reply beats quiet hours */
#define OUTBOX_SETTLE_WINDOW	(7 * 24 * 3600)	/* s a report may come late */
#define OUTBOX_DOUBT_MAX	600	/* s past its deadline a row in doubt
					   may wait for its modem */
#define OUTBOX_HOLDER_MAX	(OUTBOX_DOUBT_MAX + 300)	/* s the rest
					   of a message waits for its modem */

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
outbox_backoff(const struct config *cf, int attempts)
{
	int delay = cf->retry_backoff;

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

/*
 * Seconds until the quiet hours end if now is inside them and o must wait,
 * else 0; -1 on error. A direct answer to someone who has just texted goes
 * at once: they are awake, and a reply at seven the next morning would
 * read as no reply.
 */
static int
outbox_quiet_wait(struct store *st, const struct config *cf,
    const struct store_outbox *o, time_t now)
{
	struct store_message msg;
	struct tm tm;
	int minute, quiet, rc, wait;

	if (cf->quiet_start == cf->quiet_end)
		return 0;
	if (tz_local(cf->timezone, now, &tm) == -1)
		return 0;
	minute = tm.tm_hour * 60 + tm.tm_min;
	if (cf->quiet_start < cf->quiet_end)
		quiet = minute >= cf->quiet_start && minute < cf->quiet_end;
	else
		quiet = minute >= cf->quiet_start || minute < cf->quiet_end;
	if (!quiet)
		return 0;
	if (o->class == OUTBOX_REPLY && o->message_id != 0) {
		if ((rc = store_message_get(st, o->message_id, &msg)) == -1)
			return -1;
		if (rc == 1) {
			rc = strcmp(msg.sender, o->recipient) == 0 &&
			    now - msg.received_at < OUTBOX_DIRECT_REPLY;
			store_message_clear(&msg);
			if (rc)
				return 0;
		}
	}
	wait = ((cf->quiet_end - minute + 1440) % 1440) * 60 - tm.tm_sec;
	return wait > 0 ? wait : 60;
}

/* Is o the answer to a command its recipient, a cadre, sent? -1/0/1. */
static int
outbox_cadre_answer(struct store *st, const struct store_outbox *o)
{
	struct store_message msg;
	struct store_person p;
	int rc;

	if (o->class != OUTBOX_REPLY || o->message_id == 0)
		return 0;
	if ((rc = store_message_get(st, o->message_id, &msg)) != 1)
		return rc;
	rc = strcmp(msg.sender, o->recipient) == 0;
	store_message_clear(&msg);
	if (!rc)
		return 0;
	if ((rc = store_person_find(st, o->recipient, &p)) != 1)
		return rc;
	return (p.roles & ROLE_CADRE) != 0;
}

int
outbox_admit(struct store *st, const struct config *cf,
    const struct store_outbox *o, time_t now)
{
	char masked[PHONE_MAX], until[32], why[128];
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
	if ((n = outbox_quiet_wait(st, cf, o, now)) != 0) {
		if (n == -1)
			return -1;
		tz_format(cf->timezone, now + n, until);
		snprintf(why, sizeof why, "quiet hours, until %s", until);
		if (store_outbox_defer(st, o->id, now + n, why) == -1)
			return -1;
		log_debug("outbox: %lld to %s: quiet hours, deferred %d s",
		    (long long)o->id, phone_mask(o->recipient, masked), n);
		return 0;
	}
	/*
	 * A cap per recipient: a loop with an auto-replier stops here. Not
	 * for the answer to a cadre's own command: a cadre at work texts
	 * more than ten times an hour, and an answer held back an hour
	 * reads as none. Alerts and broadcasts to cadres are still capped.
	 */
	if ((n = outbox_cadre_answer(st, o)) != 0)
		return n == -1 ? -1 : 1;
	if ((n = store_outbox_count_since(st, o->recipient, now - 3600)) == -1)
		return -1;
	if (n >= cf->recipient_hourly_cap) {
		log_info("outbox: %lld to %s: %d sent this hour, deferred",
		    (long long)o->id, phone_mask(o->recipient, masked), n);
		snprintf(why, sizeof why, "%d sent to this phone in the last "
		    "hour (recipient_hourly_cap %d)", n,
		    cf->recipient_hourly_cap);
		if (store_outbox_defer(st, o->id, now + OUTBOX_CAP_RETRY,
		    why) == -1)
			return -1;
		return 0;
	}
	return 1;
}

int
outbox_part_reported(struct store *st, int64_t id, time_t at)
{
	struct store_outbox o;
	int rc, n;

	if ((rc = store_outbox_get(st, id, &o)) != 1)
		return rc;
	rc = 0;
	/*
	 * In doubt with this part on record: sent if every part is; if not,
	 * it stays in doubt, and only the parts not on record go again.
	 */
	if (o.state == OUTBOX_QUEUED && strcmp(o.last_error,
	    OUTBOX_IN_DOUBT) == 0 && (n = store_outbox_parts_taken(st, id,
	    0)) > 0 && n >= o.encoded_parts)
		rc = store_outbox_mark_sent(st, id, n, o.msgref,
		    o.sent_at != 0 ? o.sent_at : at) == -1 ? -1 : 1;
	store_outbox_clear(&o);
	return rc;
}

int
outbox_part_sent(struct store *st, int64_t id, int seq, const char *modem,
    int msgref, time_t now)
{
	return store_outbox_part_sent(st, id, seq, modem, msgref, now);
}

int
outbox_sent(struct store *st, int64_t id, const char *modem, int parts,
    const int *msgrefs, int nrefs, time_t now)
{
	struct store_outbox o;
	int i, rc;

	if ((rc = store_outbox_get(st, id, &o)) != 1)
		return -1;
	/* A part at -1 went on an earlier attempt: on record already. */
	for (i = nrefs - 1; i >= 0 && msgrefs[i] < 0; i--)
		;
	rc = store_outbox_mark_sent(st, id, parts, i >= 0 ? msgrefs[i] : -1,
	    now);
	for (i = 0; rc == 0 && i < nrefs; i++)
		if (msgrefs[i] >= 0)
			rc = store_outbox_add_part(st, id, i + 1, modem,
			    msgrefs[i], o.recipient, now);
	store_outbox_clear(&o);
	return rc;
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
		    (long long)id, o.attempts + 1, outbox_backoff(cf, o.attempts),
		    error);
		rc = store_outbox_mark_retry(st, id,
		    now + outbox_backoff(cf, o.attempts), error);
	}
	store_outbox_clear(&o);
	return rc;
}

int
outbox_lost(struct store *st, const struct config *cf, int64_t id,
    time_t now)
{
	const struct config_modem *cm;
	struct store_outbox o;
	int rc, hold = OUTBOX_LOST_RETRY;

	/*
	 * The worker died with it: unknown whether it went (a kill just
	 * after the network took the part looks the same as one before).
	 * Where the modem asks for status reports, hold the row long enough
	 * for a report to settle it (outbox_settle) instead of sending it
	 * twice. It counts as an attempt, so a message that kills workers
	 * cannot loop for ever.
	 */
	if ((rc = store_outbox_get(st, id, &o)) != 1)
		return -1;
	/*
	 * The worker said of every part that the network took it (its
	 * +CMGS) before it died: it went, whole, and no doubt is left.
	 */
	if (o.encoded_parts > 0 && (rc = store_outbox_parts_taken(st, id,
	    0)) >= o.encoded_parts) {
		log_info("outbox: %lld: every part went before its worker "
		    "died: sent", (long long)id);
		rc = store_outbox_mark_sent(st, id, o.encoded_parts, o.msgref,
		    o.sent_at);
		store_outbox_clear(&o);
		return rc;
	}
	cm = config_modem_find(cf, o.modem);
	if (cm != NULL && cm->delivery_reports)
		hold = OUTBOX_REPORT_WAIT;
	if (o.attempts + 1 >= cf->max_attempts)
		rc = store_outbox_mark_final(st, id, OUTBOX_FAILED,
		    OUTBOX_IN_DOUBT, now);
	else
		rc = store_outbox_mark_doubt(st, id, now + hold,
		    OUTBOX_IN_DOUBT);
	store_outbox_clear(&o);
	return rc;
}

int
outbox_recover(struct store *st, const struct config *cf, time_t now)
{
	int64_t ids[OUTBOX_PUMP_BATCH];
	int n, i, total = 0;

	/*
	 * A row still SENDING was in a worker when the last run stopped: the
	 * same doubt as a worker that died (outbox_lost), settled the same
	 * way. Each goes back to QUEUED, so the loop ends.
	 */
	while ((n = store_outbox_sending(st, ids, OUTBOX_PUMP_BATCH)) > 0) {
		for (i = 0; i < n; i++)
			if (outbox_lost(st, cf, ids[i], now) == -1)
				return -1;
		total += n;
	}
	return n == -1 ? -1 : total;
}

int
outbox_take_over(struct store *st, const struct config *cf, time_t now)
{
	int64_t ids[OUTBOX_PUMP_BATCH];
	int n, i, total = 0;

	/*
	 * Another node's rows in SENDING whose lease lapsed: that node died
	 * with them in its modems' hands. In doubt as after a worker's death
	 * (outbox_lost); each goes back to QUEUED, so the loop ends.
	 */
	while ((n = store_node_stale(st, now, ids, OUTBOX_PUMP_BATCH)) > 0) {
		for (i = 0; i < n; i++)
			if (outbox_lost(st, cf, ids[i], now) == -1)
				return -1;
		total += n;
	}
	return n == -1 ? -1 : total;
}

int
outbox_settle(struct store *st, const char *modem, const char *recipient,
    int msgref, const char *status, time_t at, int64_t *id)
{
	struct store_outbox o;
	char held[sizeof o.modem];
	time_t sent_at;
	uint64_t mask;
	int rc, seq, kind = 3;
	int64_t part_of;

	/*
	 * Another part of a long message settled by an earlier part's
	 * report: it went too. Each report proves its own part, so the
	 * parts on record are the parts the network took, and a part whose
	 * report never comes is not counted.
	 */
	rc = store_outbox_settle_part(st, modem, recipient, msgref,
	    at - OUTBOX_SETTLE_WINDOW, &part_of, &seq, &sent_at);
	if (rc == -1)
		return -1;
	if (rc == 0) {
		if ((rc = store_outbox_marked(st, modem, recipient,
		    OUTBOX_IN_DOUBT, msgref, &part_of)) != 1)
			return rc;
		/*
		 * The report proves the part it answers went: the next one
		 * after those on record (a worker sends them in order). Sent
		 * once every part is proven; until then the row stays in
		 * doubt, and at its deadline only the parts not on record go.
		 */
		if (store_outbox_get(st, part_of, &o) != 1)
			return -1;
		if ((rc = store_outbox_parts_on_record(st, part_of, held,
		    sizeof held, &mask)) == -1) {
			store_outbox_clear(&o);
			return -1;
		}
		seq = rc + 1;
		sent_at = at;
		rc = 0;
		if (seq >= o.encoded_parts) {
			rc = store_outbox_mark_sent(st, part_of, seq >
			    o.encoded_parts ? seq : o.encoded_parts, msgref,
			    sent_at);
			kind = 2;
		}
		store_outbox_clear(&o);
		if (rc == -1)
			return -1;
	}
	*id = part_of;
	if (store_outbox_add_part(st, part_of, seq, modem, msgref, recipient,
	    sent_at) == -1 || store_outbox_report(st, modem, msgref, recipient,
	    status, at, &part_of) == -1)
		return -1;
	return kind;
}

/* Does the recipient's number start with one of the modem's prefixes? */
static int
outbox_prefers(const struct config_modem *cm, const char *recipient)
{
	size_t i;

	for (i = 0; i < cm->nprefixes; i++)
		if (strncmp(recipient, cm->prefixes[i],
		    strlen(cm->prefixes[i])) == 0)
			return 1;
	return 0;
}

/* Does the recipient's number start with a prefix of list ("a,b")? */
static int
outbox_list_prefers(const char *list, const char *recipient)
{
	size_t n;

	while (*list != '\0') {
		n = strcspn(list, ",");
		if (n > 0 && strncmp(recipient, list, n) == 0)
			return 1;
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

/* The prefixes of the modems up on other nodes, for outbox_pick. */
struct outbox_elsewhere {
	char	*prefixes[OUTBOX_PUMP_BATCH];
	int	 n;
};

static void
outbox_elsewhere_cb(const char *name, const char *prefixes, void *arg)
{
	struct outbox_elsewhere *e = arg;

	(void)name;
	if (prefixes != NULL && *prefixes != '\0' &&
	    e->n < OUTBOX_PUMP_BATCH)
		e->prefixes[e->n++] = xstrdup(prefixes);
}

static void
outbox_elsewhere_clear(struct outbox_elsewhere *e)
{
	while (e->n > 0)
		free(e->prefixes[--e->n]);
}

/* Is modem m up and, when avoid is not NULL, not the one to avoid? */
static int
outbox_usable(struct modem *m, const char *avoid)
{
	return modem_get_state(m) == MODEM_UP &&
	    (avoid == NULL || strcmp(avoid, modem_name(m)) != 0);
}

/*
 * The modem for a row to recipient, or NULL if it should wait. Among the
 * modems that are up: not the one whose last attempt failed, if another is
 * up; of those, the ones on the recipient's own operator (prefixes), if
 * any; of those, one that can take a job now, under its send rate before
 * over it, with the fewest parts handed over in the last minute, so the
 * load spreads. A chosen kind of modem that is merely busy is waited for.
 */
static struct modem *
outbox_pick(struct store *st, const struct config *cf,
    struct modem *const *modems, size_t n, const struct outbox_elsewhere *e,
    const char *recipient, const char *avoid, time_t now)
{
	const struct config_modem *cm;
	struct modem *best = NULL;
	long score, best_score = 0;
	size_t i;
	int recent, want_prefix = 0, other = 0;

	for (i = 0; i < n; i++)
		if (outbox_usable(modems[i], avoid))
			other = 1;
	if (!other)
		avoid = NULL;	/* the failed modem is all there is */
	for (i = 0; i < n; i++) {
		cm = config_modem_find(cf, modem_name(modems[i]));
		if (outbox_usable(modems[i], avoid) && cm != NULL &&
		    outbox_prefers(cm, recipient))
			want_prefix = 1;
	}
	/* None of ours is on its operator, one up on another node is: its. */
	for (i = 0; !want_prefix && e != NULL && i < (size_t)e->n; i++)
		if (outbox_list_prefers(e->prefixes[i], recipient))
			return NULL;
	for (i = 0; i < n; i++) {
		cm = config_modem_find(cf, modem_name(modems[i]));
		if (!outbox_usable(modems[i], avoid) ||
		    !modem_can_take(modems[i]))
			continue;
		if (want_prefix && (cm == NULL ||
		    !outbox_prefers(cm, recipient)))
			continue;
		if ((recent = store_outbox_parts_since(st,
		    modem_name(modems[i]), now - 60)) == -1)
			recent = 0;
		score = recent;
		if (cm != NULL && cm->send_rate > 0 && recent >= cm->send_rate)
			score += 100000;
		if (best == NULL || score < best_score) {
			best = modems[i];
			best_score = score;
		}
	}
	return best;
}

/*
 * Is modem name another node's (not one of ours, and the store says a
 * node other than this one drives it)? 1 with *alive (that node beats
 * within the lease), 0 not, -1 error. *reports: it asks for reports.
 */
static int
outbox_elsewhere_modem(struct store *st, struct modem *const *modems,
    size_t n, const char *name, time_t now, int *alive, int *reports)
{
	struct store_modem_owner ow;
	size_t i;
	int rc;

	*alive = *reports = 0;
	for (i = 0; i < n; i++)
		if (strcmp(modem_name(modems[i]), name) == 0)
			return 0;
	if (store_node(st) == NULL || name[0] == '\0')
		return 0;
	if ((rc = store_node_modem_owner(st, name, now, &ow)) != 1)
		return rc;
	if (ow.ours || ow.node[0] == '\0')
		return 0;
	*alive = ow.alive;
	*reports = ow.reports;
	return 1;
}

static int
outbox_elsewhere_is(struct store *st, struct modem *const *modems, size_t n,
    const char *name, time_t now, int *alive)
{
	int reports;

	return outbox_elsewhere_modem(st, modems, n, name, now, alive,
	    &reports);
}

/*
 * The modem that holds part of o already, with the parts it sent in *skip:
 * a part failed after others went, or a worker died between parts. The
 * rest go on that modem under the same reference, so the recipient's
 * phone joins them to what it has; on another modem they would not join,
 * and the message would go whole again. So that modem is waited for
 * (*busy) while it restarts or rests out of rotation, up to
 * OUTBOX_HOLDER_MAX past the row's due time: longer than a row in doubt
 * waits for its report, so that a modem restarting again and again (a
 * report wait that ran out) still gets the rest. An urgent message does
 * not wait for a resting modem: it goes whole, at once, on another. NULL
 * (send it whole, on any modem) when nothing is on record, or the wait is
 * over.
 */
static struct modem *
outbox_holder(struct store *st, struct modem *const *modems, size_t n,
    const struct store_outbox *o, uint64_t *skip, int *busy, time_t now)
{
	char name[sizeof o->modem];
	size_t i;
	int rc, alive;

	*skip = 0;
	*busy = 0;
	if (o->encoded_parts < 2 || (rc = store_outbox_parts_on_record(st,
	    o->id, name, sizeof name, skip)) <= 0) {
		*skip = 0;
		return NULL;
	}
	/* Another node's modem: that node sends the rest while it lives. */
	if (outbox_elsewhere_is(st, modems, n, name, now, &alive) == 1) {
		*skip = 0;
		*busy = alive || now < o->next_attempt_at + OUTBOX_HOLDER_MAX;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(modem_name(modems[i]), name) != 0)
			continue;
		if (modem_get_state(modems[i]) != MODEM_UP) {
			*busy = now < o->next_attempt_at + OUTBOX_HOLDER_MAX &&
			    !(modem_resting(modems[i]) &&
			    o->class == OUTBOX_URGENT);
			break;
		}
		if (!modem_can_take(modems[i])) {
			*busy = 1;
			return NULL;
		}
		return modems[i];
	}
	*skip = 0;
	return NULL;
}

/*
 * Must a row in doubt wait for its modem? The status report that settles
 * it may be on that modem's SIM, unread while the modem was down or its
 * worker restarting (a kill, a fault): it waits until the modem has been
 * up OUTBOX_REPORT_WAIT seconds without a break, time to read its SIM.
 * Not when the modem rests out of rotation (it took parts and never
 * answered: what it swallowed most likely never went), nor longer than
 * OUTBOX_DOUBT_MAX past its deadline: a modem that stays away cannot hold
 * a message for ever (then it goes again, at least once). 0/1.
 */
static int
outbox_doubt_waits(struct store *st, const struct config *cf,
    struct modem *const *modems, size_t n, const struct store_outbox *o,
    time_t now)
{
	const struct config_modem *cm;
	size_t i;
	int alive, reports, rc;

	if (strcmp(o->last_error, OUTBOX_IN_DOUBT) != 0)
		return 0;
	/*
	 * Another node's modem: that node settles it while it lives; once it
	 * is gone, its modem's report may come when it is back, as for a
	 * modem of ours that is down.
	 */
	if ((rc = outbox_elsewhere_modem(st, modems, n, o->modem, now, &alive,
	    &reports)) != 0)
		return rc == -1 || alive || (reports &&
		    now < o->next_attempt_at + OUTBOX_DOUBT_MAX);
	if (now >= o->next_attempt_at + OUTBOX_DOUBT_MAX ||
	    (cm = config_modem_find(cf, o->modem)) == NULL ||
	    !cm->delivery_reports)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(modem_name(modems[i]), o->modem) == 0)
			return !modem_resting(modems[i]) &&
			    modem_up_for_ms(modems[i]) <
			    OUTBOX_REPORT_WAIT * 1000;
	return 0;
}

/* Can any modem take a job now? */
static int
outbox_any_free(struct modem *const *modems, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (modem_can_take(modems[i]))
			return 1;
	return 0;
}

/* outbox_pump's rows ids[0..n): handed over, or -1. */
static int
outbox_pump_rows(struct store *st, const struct config *cf,
    struct modem *const *modems, size_t nmodems,
    const struct outbox_elsewhere *e, const int64_t *ids, int n, time_t now)
{
	const struct config_modem *cm;
	struct store_outbox o;
	struct modem *m;
	uint64_t skip;
	int i, rc, busy, handed = 0;

	for (i = 0; i < n; i++) {
		if (!outbox_any_free(modems, nmodems))
			break;
		if ((rc = store_outbox_get(st, ids[i], &o)) != 1) {
			if (rc == -1)
				return -1;
			continue;
		}
		if (outbox_doubt_waits(st, cf, modems, nmodems, &o, now)) {
			store_outbox_clear(&o);
			continue;
		}
		/* After a failure, another modem if there is one. */
		if ((m = outbox_holder(st, modems, nmodems, &o, &skip,
		    &busy, now)) == NULL && !busy)
			m = outbox_pick(st, cf, modems, nmodems, e, o.recipient,
			    o.attempts > 0 && o.modem[0] != '\0' ? o.modem :
			    NULL, now);
		if (m == NULL) {
			store_outbox_clear(&o);
			continue;	/* its modem is busy: the next row */
		}
		if ((rc = outbox_admit(st, cf, &o, now)) == 1) {
			cm = config_modem_find(cf, modem_name(m));
			if (store_outbox_mark_sending(st, o.id, modem_name(m),
			    modem_parts(o.text), now) == 0) {
				if (modem_submit(m, (uint64_t)o.id,
				    o.recipient, o.text,
				    cm != NULL && cm->delivery_reports,
				    skip) == 0)
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

int
outbox_pump(struct store *st, const struct config *cf,
    struct modem *const *modems, size_t nmodems, time_t now)
{
	int64_t ids[OUTBOX_PUMP_BATCH];
	struct outbox_elsewhere e;
	int n, handed;

	if (!outbox_any_free(modems, nmodems))
		return 0;
	if ((n = store_outbox_due(st, now, ids, OUTBOX_PUMP_BATCH)) == -1)
		return -1;
	memset(&e, 0, sizeof e);
	if (n > 0 && store_node(st) != NULL &&
	    store_node_modems_elsewhere(st, now, outbox_elsewhere_cb,
	    &e) == -1) {
		outbox_elsewhere_clear(&e);
		return -1;
	}
	handed = outbox_pump_rows(st, cf, modems, nmodems, &e, ids, n, now);
	outbox_elsewhere_clear(&e);
	return handed;
}