/*
 * daemon_sent — what became of each send: a job's outcome, each part's
 * word that the network took it, and the status reports that come back.
 * Recorded at once when the store answers; kept in order in memory when
 * it does not (another process holds its write lock), a part's word also
 * in the journal beside the database so that a crash loses none of it;
 * a report is not acked to the SIM until recorded. At start the last
 * run's journal and its rows left "sending" are settled here.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/journal.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "modems/modem.h"

/*
 * A send's outcome, or one part's word that it went (seq > 0), the store
 * did not take yet: recorded when it does, in order.
 */
struct daemon_outcome {
	struct modem		*m;
	struct modem_send_result r;	/* msgrefs and error owned */
	int			 seq;	/* > 0: part seq went, ref msgref */
	int			 msgref;
	time_t			 at;
	struct daemon_outcome	*next;
};

/* A status report the store did not take yet: acked once it does. */
struct daemon_report {
	struct modem		*m;
	uint64_t		 id;
	int			 msgref;
	char			 phone[PHONE_MAX];
	enum modem_delivery	 status;
	time_t			 at;
	struct daemon_report	*next;
};

static int
daemon_outcome_record(struct daemon *d, struct modem *m,
    const struct modem_send_result *r, time_t now)
{
	int rc;

	switch (r->result) {
	case MODEM_SENT:
		log_info("outbox: %llu: sent on %s in %d part(s)",
		    (unsigned long long)r->job, modem_name(m), r->parts);
		rc = outbox_sent(d->st, (int64_t)r->job, modem_name(m),
		    r->parts, r->msgrefs, r->parts_sent, now);
		break;
	case MODEM_FAILED_RETRY:
	case MODEM_FAILED_PERMANENT:
		rc = outbox_failed(d->st, d->cf, (int64_t)r->job,
		    r->result == MODEM_FAILED_PERMANENT, r->error, now);
		break;
	default:
		log_warn("outbox: %llu: lost on %s: %s",
		    (unsigned long long)r->job, modem_name(m), r->error);
		rc = outbox_lost(d->st, d->cf, (int64_t)r->job, now);
		break;
	}
	return rc == -1 ? -1 : 0;
}

static void
daemon_outcome_free(struct daemon_outcome *o)
{
	free((int *)o->r.msgrefs);
	free((char *)o->r.error);
	free(o);
}

/*
 * The outcome of a send, recorded; when the store is busy, kept and tried
 * again each second (a row left "sending" would never go, nor settle).
 */
void
daemon_result(struct modem *m, const struct modem_send_result *r, void *arg)
{
	struct daemon *d = arg;
	struct daemon_outcome *o, **tail;
	int *refs = NULL;

	if (d->outcomes == NULL &&
	    daemon_outcome_record(d, m, r, now_real()) == 0) {
		daemon_kick(d);
		return;
	}
	log_warn("outbox: %llu: result not recorded yet (%s): kept, tried "
	    "again each second", (unsigned long long)r->job,
	    store_error(d->st));
	o = xcalloc(1, sizeof *o);
	o->m = m;
	o->r = *r;
	if (r->parts_sent > 0 && r->msgrefs != NULL) {
		refs = xcalloc(r->parts_sent, sizeof *refs);
		memcpy(refs, r->msgrefs, r->parts_sent * sizeof *refs);
	}
	o->r.msgrefs = refs;
	o->r.error = xstrdup(r->error != NULL ? r->error : "");
	o->at = now_real();
	for (tail = &d->outcomes; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = o;
}

static int
daemon_replay_part(void *arg, const struct journal_part *p)
{
	struct daemon *d = arg;

	return outbox_part_sent(d->st, p->job, p->seq, p->modem, p->msgref,
	    p->at);
}

/*
 * The last run's loose ends, in one transaction: the parts its journal
 * kept on record first, then each row it left "sending" in doubt (those
 * with every part on record are sent). Tried again each second until the
 * store takes it; meanwhile those rows stay "sending", so none goes twice.
 */
void
daemon_recover(struct daemon *d)
{
	int n, rc = -1;

	if (store_begin(d->st) == -1)
		goto fail;
	if ((n = journal_replay(d->journal, daemon_replay_part, d)) == -1 ||
	    (rc = outbox_recover(d->st, d->cf, now_real())) == -1) {
		store_rollback(d->st);
		goto fail;
	}
	if (store_commit(d->st) == -1)
		goto fail;
	d->recovered = 1;
	if (d->outcomes == NULL)
		journal_clear(d->journal);
	if (n > 0)
		log_info("outbox: %d part(s) the network took while the store "
		    "was busy, on record from the journal", n);
	if (rc > 0)
		log_info("outbox: %d message(s) in flight at the last stop: in "
		    "doubt until a status report or its deadline", rc);
	return;
fail:
	if (d->recovered == 0) {
		d->recovered = -1;	/* said once */
		log_warn("outbox: in flight at the last stop: %s: tried "
		    "again each second", store_error(d->st));
	}
}

void
daemon_outcomes_retry(struct daemon *d)
{
	struct daemon_outcome *o;

	while ((o = d->outcomes) != NULL) {
		if (o->seq > 0 ? outbox_part_sent(d->st, (int64_t)o->r.job,
		    o->seq, modem_name(o->m), o->msgref, o->at) == -1 :
		    daemon_outcome_record(d, o->m, &o->r, o->at) == -1)
			return;
		d->outcomes = o->next;
		daemon_outcome_free(o);
	}
	/* All on record: the journal's copies too (unless the last run's
	   are still to be replayed). */
	if (d->recovered == 1)
		journal_clear(d->journal);
}

/*
 * Part seq of job went (the network took it): on record at once, before
 * the job's result, so that its status report finds it and a worker that
 * dies now leaves no doubt about it. Kept in order with the outcomes while
 * the store is busy.
 */
void
daemon_part_sent(struct modem *m, uint64_t job, int seq, int msgref,
    void *arg)
{
	struct daemon *d = arg;
	struct daemon_outcome *o, **tail;
	struct journal_part jp;

	if (d->outcomes == NULL && outbox_part_sent(d->st, (int64_t)job, seq,
	    modem_name(m), msgref, now_real()) == 0)
		return;
	/*
	 * On disk before anything else happens: should the daemon die
	 * before the store takes it, the next start replays it, and the
	 * row in doubt is known to have gone.
	 */
	jp.job = (int64_t)job;
	jp.seq = seq;
	jp.msgref = msgref;
	jp.at = now_real();
	jp.modem = modem_name(m);
	journal_append(d->journal, &jp);
	o = xcalloc(1, sizeof *o);
	o->m = m;
	o->r.job = job;
	o->r.error = xstrdup("");
	o->seq = seq;
	o->msgref = msgref;
	o->at = now_real();
	for (tail = &d->outcomes; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = o;
}

/*
 * Record status report r and ack it: 0; 1 when it must wait (kept, not
 * acked); -1 when the store failed. A report of a part on record sets its
 * delivery; one of a message in doubt (in the air when its worker or the
 * daemon died) settles it as sent. A report that matches nothing while a
 * message to that phone is still with the modem waits for its outcome:
 * the network reports a part as soon as it has it, often before the
 * worker has told the daemon (a long message's first part always is),
 * and that report may be all that tells, should the worker die now,
 * that the message went.
 */
static int
daemon_report_record(struct daemon *d, const struct daemon_report *r)
{
	static const char *names[] = { "delivered", "pending", "failed" };
	const char *status = names[r->status];
	int64_t id;
	int rc;

	if (store_begin(d->st) == -1)
		return -1;
	rc = store_outbox_report(d->st, modem_name(r->m), r->msgref, r->phone,
	    status, r->at, &id);
	/* A part on record of a message in doubt: the parts that went. */
	if (rc == 1 && (rc = outbox_part_reported(d->st, id, r->at)) != -1)
		rc = rc == 1 ? 2 : 1;
	/*
	 * Not a part on record: while a message to that phone is with the
	 * modem, the report is most likely its part, said before the worker
	 * told of it; wait for that outcome before taking the report for a
	 * message in doubt.
	 */
	if (rc == 0 && r->phone[0] != '\0' && (rc = store_outbox_in_flight_to(
	    d->st, modem_name(r->m), r->phone)) > 0)
		rc = 4;
	if (rc == 0 && r->phone[0] != '\0')
		rc = outbox_settle(d->st, modem_name(r->m), r->phone,
		    r->msgref, status, r->at, &id);
	if (rc == -1) {
		store_rollback(d->st);
		return -1;
	}
	if (store_commit(d->st) == -1)
		return -1;
	if (rc == 4)
		return 1;	/* its message's outcome first */
	modem_ack(r->m, r->id);
	if (rc == 1)
		log_info("outbox: %lld: part %d %s", (long long)id, r->msgref,
		    status);
	else if (rc == 2)
		log_info("outbox: %lld: in doubt after its worker died, settled "
		    "by a status report (reference %d): not sent again",
		    (long long)id, r->msgref);
	else if (rc == 3)
		log_info("outbox: %lld: settled earlier; a status report "
		    "(reference %d) proves one more part", (long long)id,
		    r->msgref);
	else
		log_info("modem %s: status report for unknown reference %d",
		    modem_name(r->m), r->msgref);
	return 0;
}

/*
 * Record the kept reports, oldest first, while the store takes them; one
 * that waits for its message's outcome stays, the others go on.
 */
void
daemon_reports_retry(struct daemon *d)
{
	struct daemon_report *r, **rp;
	int rc;

	rp = &d->reports;
	while ((r = *rp) != NULL) {
		if ((rc = daemon_report_record(d, r)) == -1)
			return;
		if (rc == 1) {
			rp = &r->next;
			continue;
		}
		*rp = r->next;
		free(r);
	}
}

void
daemon_report(struct modem *m, uint64_t id, int msgref, const char *number,
    enum modem_delivery status, time_t at, void *arg)
{
	struct daemon *d = arg;
	struct daemon_report *r, **tail;
	int rc = -1;

	r = xcalloc(1, sizeof *r);
	r->m = m;
	r->id = id;
	r->msgref = msgref;
	if (phone_normalise(number, d->cf->country_code, r->phone) == -1)
		r->phone[0] = '\0';
	r->status = status;
	r->at = at;
	for (tail = &d->reports; *tail != NULL; tail = &(*tail)->next)
		if ((*tail)->m == m && (*tail)->id == id) {
			free(r);	/* offered again: kept already */
			return;
		}
	/*
	 * After the outcomes kept already: a report is read against the
	 * parts they record. Kept while the store is busy or its message is
	 * still with the modem; not acked until recorded, so a crash
	 * meanwhile loses nothing.
	 */
	if (d->outcomes == NULL && (rc = daemon_report_record(d, r)) == 0) {
		free(r);
		return;
	}
	if (rc == -1 && d->reports == NULL)
		log_warn("outbox: store busy: keeping status reports, retrying "
		    "each second");
	*tail = r;
}

void
daemon_sent_drop(struct daemon *d)
{
	struct daemon_outcome *o;
	struct daemon_report *r;

	while ((o = d->outcomes) != NULL) {
		/* Left "sending": held in doubt at the next start. */
		d->outcomes = o->next;
		daemon_outcome_free(o);
	}
	while ((r = d->reports) != NULL) {
		/* Not acked: the workers' next read finds them again. */
		d->reports = r->next;
		free(r);
	}
}
