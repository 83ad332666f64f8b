/*
 * sched — the time-driven steps, each idempotent at a given now: what it
 * did is recorded in the same transaction, so a second run at the same
 * now finds nothing to do.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/event.h"
#include "gateway/grievance.h"
#include "gateway/log.h"
#include "gateway/notice.h"
#include "gateway/outbox.h"
#include "gateway/oversight.h"
#include "gateway/sched.h"
#include "gateway/store.h"
#include "handlers/template.h"

struct sched_alert {
	struct store		*st;
	const struct config	*cf;
	const struct template	*tpl;
	time_t			 now;
	int			 done;
	int			 failed;
};

static void
sched_modem_alert(const char *name, time_t since, int alerted,
    const char *detail, void *arg)
{
	struct sched_alert *sa = arg;
	char *text, minutes[24];

	snprintf(minutes, sizeof minutes, "%lld",
	    (long long)(sa->now - since) / 60);
	if (!alerted) {
		log_warn("modem %s: down for %s min (%s): telling %zu admin(s)",
		    name, minutes, detail, sa->cf->nadmin_phones);
		text = template_render(sa->tpl, "modem_down", "modem", name,
		    "minutes", minutes, "why", detail, NULL);
	} else {
		log_info("modem %s: up again: telling %zu admin(s)", name,
		    sa->cf->nadmin_phones);
		text = template_render(sa->tpl, "modem_up", "modem", name,
		    NULL);
	}
	if (text == NULL ||
	    oversight_tell_admins(sa->st, sa->cf, text, sa->now) == -1 ||
	    store_modem_set_alerted(sa->st, name, !alerted) == -1)
		sa->failed = 1;
	else
		sa->done++;
	free(text);
}

static int	sched_run_as(struct store *, const struct config *,
		    const struct template *, time_t, int);

/* [retention]: what is older than its days goes, a batch a tick. */
static int
sched_prune(struct store *st, const struct config *cf, time_t now)
{
	return store_prune(st,
	    cf->retain_messages > 0 ? now - cf->retain_messages * 86400L : 0,
	    cf->retain_outbox > 0 ? now - cf->retain_outbox * 86400L : 0,
	    cf->retain_audit > 0 ? now - cf->retain_audit * 86400L : 0);
}

int
sched_run(struct store *st, const struct config *cf,
    const struct template *tpl, time_t now)
{
	return sched_run_as(st, cf, tpl, now, 1);
}

int
sched_run_as_of(struct store *st, const struct config *cf,
    const struct template *tpl, time_t now)
{
	return sched_run_as(st, cf, tpl, now, 0);
}

static int
sched_run_as(struct store *st, const struct config *cf,
    const struct template *tpl, time_t now, int real)
{
	struct sched_alert sa = { st, cf, tpl, now, 0, 0 };
	struct grievance_ctx g = { st, cf, tpl, now, "system", "system", 0 };
	struct checkin_ctx ck = { st, cf, tpl, now, "system", "system", 0 };
	struct event_ctx ev = { st, cf, tpl, now, "system", "system", 0 };
	struct notice_ctx nc = { st, cf, tpl, now, "system", "system", 0 };
	int checkins, events, notices;
	int flushed, expired, steps, pruned = 0;

	if (store_begin(st) == -1)
		return -1;
	/*
	 * Queued messages expire by the real clock only: a tick as of
	 * another time never throws away what waits to go.
	 */
	expired = 0;
	if ((flushed = store_part_flush_stale(st,
	    now - cf->reassembly_timeout, now)) == -1 ||
	    (real && (expired = store_outbox_expire(st, now)) == -1) ||
	    store_modem_alerts_due(st, now - cf->modem_down_alert,
	    sched_modem_alert, &sa) == -1 || sa.failed ||
	    (real && (pruned = sched_prune(st, cf, now)) == -1) ||
	    (steps = grievance_sla_run(&g)) == -1 ||
	    (checkins = checkin_sched_run(&ck)) == -1 ||
	    (events = event_sched_run(&ev)) == -1 ||
	    (notices = notice_sched_run(&nc)) == -1) {
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
	if (pruned > 0)
		log_info("sched: retention: %d old row(s) deleted", pruned);
	if (steps > 0)
		log_info("sched: %d grievance deadline step(s)", steps);
	if (checkins > 0)
		log_info("sched: %d check-in ladder step(s)", checkins);
	if (events > 0)
		log_info("sched: %d event reminder(s) and closing(s)", events);
	return flushed + expired + sa.done + steps + checkins + events +
	    notices;
}
