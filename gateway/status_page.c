/*
 * status_page — GET /: the operator's page (modems, the queue, today's
 * check-ins per village, tickets, recent errors), rendered from the store
 * into a buffer for gateway/http.c. Every value from the store is escaped.
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

static void
page_html(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_add(b, v, 1);
		}
	}
}

struct page {
	const struct pages_env *e;
	struct buf	*b;
	/* check-ins: per village, rows sorted by village by the query */
	char		 village[33];
	int64_t		 total;
	int64_t		 checked;
	int		 nvillages;
	/* the credit of one modem, looked up per row */
	const char	*credit_of;
	int		 credit_found;
	int		 credit_low;
	int64_t		 credit;
};

static void
page_credit_cb(const char *modem, const char *bb, int64_t v, void *arg)
{
	struct page *p = arg;
	const struct config_modem *cm;

	(void)bb;
	if (strcmp(modem, p->credit_of) != 0)
		return;
	p->credit_found = 1;
	p->credit = v;
	cm = config_modem_find(p->e->cf, modem);
	p->credit_low = cm != NULL && v < cm->balance_threshold;
}

static void
page_modem_cb(const struct store_modem *m, void *arg)
{
	struct page *p = arg;
	struct buf *b = p->b;

	buf_adds(b, "<tr><td>");
	page_html(b, m->name);
	buf_printf(b, "</td><td class=\"%s\">", strcmp(m->state, "up") == 0 ?
	    "ok" : "bad");
	page_html(b, m->state);
	buf_adds(b, "</td><td>");
	if (m->signal >= 0)
		buf_printf(b, "%d%%", m->signal);
	else
		buf_adds(b, "?");
	buf_adds(b, "</td><td>");
	if (m->battery >= 0)
		buf_printf(b, "%d%%", m->battery);
	buf_adds(b, "</td><td>");
	page_html(b, m->operator_name);
	buf_adds(b, "</td><td>");
	if (m->sim_used >= 0)
		buf_printf(b, "%d/%d", m->sim_used, m->sim_total);
	buf_adds(b, "</td><td>");
	p->credit_of = m->name;
	p->credit_found = 0;
	if (store_metric(p->e->st, STORE_METRIC_CREDIT, 0,
	    page_credit_cb, p) == 0 && p->credit_found)
		buf_printf(b, "<span class=\"%s\">%s%lld.%02lld</span>",
		    p->credit_low ? "bad" : "ok", p->credit < 0 ? "-" : "",
		    (long long)(p->credit < 0 ? -p->credit : p->credit) / 100,
		    (long long)(p->credit < 0 ? -p->credit : p->credit) % 100);
	buf_printf(b, "</td><td>%lld</td><td>", (long long)m->messages_sent);
	page_html(b, m->detail);
	buf_adds(b, "</td></tr>\n");
}

static void
page_bar(struct page *p)
{
	int pct;

	if (p->village[0] == '\0')
		return;
	pct = p->total > 0 ? (int)(p->checked * 100 / p->total) : 0;
	buf_adds(p->b, "<div class=\"row\"><span class=\"lbl\">");
	page_html(p->b, p->village);
	buf_printf(p->b, "</span><span class=\"bar\"><span style=\"width:%d%%"
	    "\"></span></span> %lld/%lld</div>\n", pct,
	    (long long)p->checked, (long long)p->total);
	p->nvillages++;
}

static void
page_checkin_cb(const char *village, const char *status, int64_t v,
    void *arg)
{
	struct page *p = arg;

	if (strcmp(p->village, village) != 0) {
		page_bar(p);
		snprintf(p->village, sizeof p->village, "%s", village);
		p->total = p->checked = 0;
	}
	p->total += v;
	if (strcmp(status, "open") != 0)
		p->checked += v;
}

static void
page_ticket_cb(const char *state, const char *bb, int64_t v, void *arg)
{
	struct page *p = arg;

	(void)bb;
	buf_adds(p->b, "<tr><td>");
	page_html(p->b, state);
	buf_printf(p->b, "</td><td>%lld</td></tr>\n", (long long)v);
}

static void
page_error_cb(const char *to, const char *error, int64_t at, void *arg)
{
	struct page *p = arg;
	char masked[PHONE_MAX], when[32];

	buf_adds(p->b, "<tr><td>");
	page_html(p->b, tz_format(p->e->cf->timezone, (time_t)at, when));
	buf_adds(p->b, "</td><td>");
	page_html(p->b, phone_mask(to, masked));
	buf_adds(p->b, "</td><td>");
	page_html(p->b, error);
	buf_adds(p->b, "</td></tr>\n");
}

int
status_page_write(struct buf *b, const struct pages_env *e)
{
	struct store *st = e->st;
	struct store_stats ss;
	struct page p;
	int64_t overdue = 0;
	time_t now = e->now;
	char when[32];
	int rc = 0;

	memset(&p, 0, sizeof p);
	p.e = e;
	p.b = b;
	rc |= store_stats(st, &ss);
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"zh\"><head>"
	    "<meta charset=\"utf-8\"><meta http-equiv=\"refresh\" "
	    "content=\"15\"><title>cungate</title><style>"
	    "body{font-family:sans-serif;margin:1.5em;background:#f6f6f2}"
	    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.4em}"
	    "table{border-collapse:collapse;background:#fff}"
	    "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
	    ".ok{color:#176f2c;font-weight:bold}.bad{color:#b3261e;"
	    "font-weight:bold}.row{margin:.2em 0}.lbl{display:inline-block;"
	    "width:8em}.bar{display:inline-block;width:20em;height:1em;"
	    "background:#ddd;vertical-align:middle}.bar span{display:block;"
	    "height:100%;background:#2e7d32}.big{font-size:1.6em;"
	    "font-weight:bold;margin-right:1em}"
	    "</style></head><body>\n<h1>cungate 村务短信网关</h1>\n<p>");
	page_html(b, tz_format(e->cf->timezone, now, when));
	buf_adds(b, "</p>\n<h2>Modems 短信猫</h2>\n<table><tr><th>modem</th>"
	    "<th>state</th><th>signal</th><th>battery</th><th>operator</th>"
	    "<th>SIM</th><th>credit</th><th>sent</th><th>detail</th></tr>\n");
	rc |= store_modem_list(st, page_modem_cb, &p);
	buf_printf(b, "</table>\n<h2>Queue 待发</h2>\n<p><span class=\"big\">"
	    "%lld</span>queued · %lld sending · %lld sent · %lld failed · "
	    "%lld expired · %lld withdrawn · %lld inbound waiting</p>\n",
	    (long long)ss.outbox[OUTBOX_QUEUED],
	    (long long)ss.outbox[OUTBOX_SENDING],
	    (long long)ss.outbox[OUTBOX_SENT],
	    (long long)ss.outbox[OUTBOX_FAILED],
	    (long long)ss.outbox[OUTBOX_EXPIRED],
	    (long long)ss.outbox[OUTBOX_WITHDRAWN],
	    (long long)ss.messages_pending);
	buf_adds(b, "<h2>Check-ins today 今日平安</h2>\n");
	rc |= store_metric(st, STORE_METRIC_CHECKINS,
	    checkin_day_of(e->cf, now), page_checkin_cb, &p);
	page_bar(&p);
	if (p.nvillages == 0)
		buf_adds(b, "<p>no elders enrolled</p>\n");
	buf_adds(b, "<h2>Tickets 工单</h2>\n");
	rc |= store_metric(st, STORE_METRIC_TICKETS_OVERDUE, (int64_t)now,
	    metrics_one_cb, &overdue);
	buf_printf(b, "<p><span class=\"big %s\">%lld</span>overdue</p>\n"
	    "<table><tr><th>state</th><th>tickets</th></tr>\n",
	    overdue > 0 ? "bad" : "ok", (long long)overdue);
	rc |= store_metric(st, STORE_METRIC_TICKETS, 0, page_ticket_cb, &p);
	buf_adds(b, "</table>\n<h2>Recent errors 最近错误</h2>\n<table><tr>"
	    "<th>when</th><th>to</th><th>error</th></tr>\n");
	rc |= store_metric(st, STORE_METRIC_ERRORS, 0, page_error_cb, &p);
	buf_adds(b, "</table>\n</body></html>\n");
	return rc != 0 ? -1 : 0;
}
