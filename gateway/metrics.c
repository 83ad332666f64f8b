/*
 * metrics — the Prometheus text exposition of what the store and the
 * modems say (messages in and out, the queue, send latency, modems,
 * tickets, check-ins, suppressions), for gateway/http.c's /metrics, which
 * adds its own USSD families. No HTTP here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "modems/modem.h"

static const double metrics_send_buckets[] = { 1, 2, 5, 10, 30, 60, 300,
    900 };
#define METRICS_NSEND	(sizeof metrics_send_buckets / \
			    sizeof metrics_send_buckets[0])

static void
metrics_label(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			buf_adds(b, "\\n");
		else
			buf_add(b, v, 1);
	}
}

void
metrics_family(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_in_cb(const char *a, const char *bb, int64_t v, void *arg)
{
	struct buf *b = arg;

	(void)bb;
	buf_adds(b, "cungate_messages_in_total{modem=\"");
	metrics_label(b, a);
	buf_printf(b, "\"} %lld\n", (long long)v);
}

static void
metrics_suppressed_cb(const char *reason, const char *bb, int64_t v,
    void *arg)
{
	struct buf *b = arg;

	(void)bb;
	buf_adds(b, "cungate_messages_suppressed_total{reason=\"");
	metrics_label(b, reason);
	buf_printf(b, "\"} %lld\n", (long long)v);
}

static void
metrics_out_cb(const char *a, const char *state, int64_t v, void *arg)
{
	struct buf *b = arg;
	int st = atoi(state);

	buf_adds(b, "cungate_messages_out_total{modem=\"");
	metrics_label(b, a);
	buf_printf(b, "\",result=\"%s\"} %lld\n",
	    st >= 0 && st < OUTBOX_NSTATES ?
	    store_outbox_state_name((enum outbox_state)st) : "unknown",
	    (long long)v);
}

void
metrics_one_cb(const char *a, const char *bb, int64_t v, void *arg)
{
	(void)a;
	(void)bb;
	*(int64_t *)arg = v;
}

struct metrics_hist {
	uint64_t	 counts[METRICS_NSEND];
	uint64_t	 n;
	double		 sum;
};

static void
metrics_latency_cb(const char *a, const char *sends, int64_t v, void *arg)
{
	struct metrics_hist *hh = arg;
	uint64_t n = strtoull(sends, NULL, 10);
	size_t i;

	(void)a;
	hh->n += n;
	hh->sum += (double)v * (double)n;
	for (i = 0; i < METRICS_NSEND; i++)
		if ((double)v <= metrics_send_buckets[i])
			hh->counts[i] += n;
}

static void
metrics_labelled_cb(const char *a, const char *bb, int64_t v, void *arg)
{
	struct buf *b = arg;

	(void)bb;
	/* The family name and label key precede: see http_metrics. */
	metrics_label(b, a);
	buf_printf(b, "\"} %lld\n", (long long)v);
}

struct metrics_labelled {
	struct buf	*b;
	const char	*prefix;	/* `name{key="` */
};

static void
metrics_prefixed_cb(const char *a, const char *bb, int64_t v, void *arg)
{
	struct metrics_labelled *l = arg;

	buf_adds(l->b, l->prefix);
	metrics_labelled_cb(a, bb, v, l->b);
}

static void
metrics_checkin_cb(const char *village, const char *status, int64_t v,
    void *arg)
{
	struct buf *b = arg;

	buf_adds(b, "cungate_checkins_today{village=\"");
	metrics_label(b, village);
	buf_adds(b, "\",status=\"");
	metrics_label(b, status);
	buf_printf(b, "\"} %lld\n", (long long)v);
}

static void
metrics_credit_cb(const char *modem, const char *bb, int64_t v, void *arg)
{
	struct buf *b = arg;

	(void)bb;
	buf_adds(b, "cungate_modem_credit{modem=\"");
	metrics_label(b, modem);
	buf_printf(b, "\"} %s%lld.%02lld\n", v < 0 ? "-" : "",
	    (long long)(v < 0 ? -v : v) / 100, (long long)(v < 0 ? -v : v) % 100);
}

static void
metrics_modem_cb(const struct store_modem *m, void *arg)
{
	struct buf *b = arg;

	if (m->signal >= 0)
		buf_printf(b, "cungate_modem_signal_percent{modem=\"%s\"} %d\n",
		    m->name, m->signal);
	if (m->battery >= 0)
		buf_printf(b, "cungate_modem_battery_percent{modem=\"%s\"} "
		    "%d\n", m->name, m->battery);
	if (m->sim_used >= 0)
		buf_printf(b, "cungate_modem_sim_used{modem=\"%s\"} %d\n"
		    "cungate_modem_sim_capacity{modem=\"%s\"} %d\n", m->name,
		    m->sim_used, m->name, m->sim_total);
}

int
metrics_write(struct buf *b, const struct pages_env *e)
{
	static const char *classes[] = { "urgent", "reply", "reminder",
	    "broadcast" };
	struct store *st = e->st;
	struct store_live ss;
	struct metrics_hist hh;
	struct metrics_labelled l;
	int64_t v = 0;
	size_t i;
	int rc = 0;

	memset(&hh, 0, sizeof hh);
	metrics_family(b, "cungate_messages_in_total", "counter",
	    "Inbound messages stored, per modem (\"ussd\": USSD actions).");
	rc |= store_metric(st, STORE_METRIC_IN_BY_MODEM, 0, metrics_in_cb, b);
	metrics_family(b, "cungate_messages_out_total", "counter",
	    "Outbound messages per modem and result (state).");
	rc |= store_metric(st, STORE_METRIC_OUT_BY_MODEM, 0, metrics_out_cb,
	    b);
	rc |= store_stats_live(st, e->now, e->now, &ss);
	metrics_family(b, "cungate_queue_depth", "gauge",
	    "Outbound messages queued, per priority class.");
	for (i = 0; i < OUTBOX_NCLASSES; i++)
		buf_printf(b, "cungate_queue_depth{class=\"%s\"} %lld\n",
		    classes[i], (long long)ss.queued_by_class[i]);
	metrics_family(b, "cungate_messages_pending", "gauge",
	    "Inbound messages not yet routed.");
	buf_printf(b, "cungate_messages_pending %lld\n",
	    (long long)ss.messages_pending);
	metrics_family(b, "cungate_send_retries_total", "counter",
	    "Send attempts beyond each message's first.");
	rc |= store_metric(st, STORE_METRIC_RETRIES, 0, metrics_one_cb, &v);
	buf_printf(b, "cungate_send_retries_total %lld\n", (long long)v);
	metrics_family(b, "cungate_send_latency_seconds", "histogram",
	    "Outbox created -> sent, sent messages.");
	rc |= store_metric(st, STORE_METRIC_SEND_LATENCY, 0,
	    metrics_latency_cb, &hh);
	for (i = 0; i < METRICS_NSEND; i++)
		buf_printf(b, "cungate_send_latency_seconds_bucket{le=\"%g\"} "
		    "%llu\n", metrics_send_buckets[i],
		    (unsigned long long)hh.counts[i]);
	buf_printf(b, "cungate_send_latency_seconds_bucket{le=\"+Inf\"} "
	    "%llu\ncungate_send_latency_seconds_sum %g\n"
	    "cungate_send_latency_seconds_count %llu\n",
	    (unsigned long long)hh.n, hh.sum, (unsigned long long)hh.n);

	metrics_family(b, "cungate_modem_up", "gauge",
	    "1 when the modem's worker is connected to the phone.");
	for (i = 0; i < e->nmodems; i++)
		buf_printf(b, "cungate_modem_up{modem=\"%s\"} %d\n",
		    modem_name(e->modems[i]),
		    modem_get_state(e->modems[i]) == MODEM_UP);
	metrics_family(b, "cungate_modem_signal_percent", "gauge",
	    "Last signal reading.");
	metrics_family(b, "cungate_modem_battery_percent", "gauge",
	    "Last battery reading.");
	metrics_family(b, "cungate_modem_sim_used", "gauge",
	    "SMS stored on the SIM.");
	metrics_family(b, "cungate_modem_sim_capacity", "gauge",
	    "SMS the SIM can store.");
	rc |= store_modem_list(st, metrics_modem_cb, b);

	metrics_family(b, "cungate_modem_credit", "gauge",
	    "SIM credit last read over the modem's balance USSD code.");
	rc |= store_metric(st, STORE_METRIC_CREDIT, 0, metrics_credit_cb, b);

	metrics_family(b, "cungate_tickets", "gauge", "Tickets by state.");
	l.b = b;
	l.prefix = "cungate_tickets{state=\"";
	rc |= store_metric(st, STORE_METRIC_TICKETS, 0, metrics_prefixed_cb,
	    &l);
	metrics_family(b, "cungate_tickets_overdue", "gauge",
	    "Open or accepted tickets past their deadline.");
	buf_printf(b, "cungate_tickets_overdue %lld\n",
	    (long long)ss.tickets_overdue);
	metrics_family(b, "cungate_checkins_today", "gauge",
	    "Enrolled elders' rows today, per village and status.");
	rc |= store_metric(st, STORE_METRIC_CHECKINS,
	    checkin_day_of(e->cf, e->now), metrics_checkin_cb, b);
	metrics_family(b, "cungate_checkin_alerts_total", "counter",
	    "Check-in ladder alerts sent.");
	v = 0;
	rc |= store_metric(st, STORE_METRIC_LADDER_ALERTS, 0, metrics_one_cb,
	    &v);
	buf_printf(b, "cungate_checkin_alerts_total %lld\n", (long long)v);

	metrics_family(b, "cungate_messages_suppressed_total", "counter",
	    "Texts stored but neither filed nor answered, by reason: a repeat, "
	    "an auto-reply, over a phone's cap.");
	rc |= store_metric(st, STORE_METRIC_SUPPRESSED, 0,
	    metrics_suppressed_cb, b);
	return rc != 0 ? -1 : 0;
}
