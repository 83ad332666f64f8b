/*
 * status_page — GET /: the county's page, in Chinese, rendered from the
 * store into a buffer for gateway/http.c: trends of the last 30 days and
 * 12 weeks as inline SVG (status_svg.c), check-in rates per village worst
 * first, grievance rates per township beside the county's, the villages
 * (those sections are status_view.c's, shared with the monthly report),
 * the modems and the queue. Every value from the store is escaped; phone
 * numbers are masked; times are local, the zone said once. No script, no
 * external asset: it works offline, reads at 390 px as at 1280 px, prints.
 *
 * A township's page (pages_env.township) shows that township alone: its
 * traffic, tickets and villages, its grievance rates beside the county's
 * average; not the modems, the queue or the send errors, which are the
 * county's and carry other townships' numbers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/outbox.h"
#include "gateway/page.h"
#include "gateway/status_view.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "gateway/web.h"

#define PAGE_DAYS	30	/* traffic */
#define PAGE_WEEKS	12	/* tickets */
#define PAGE_CHECKIN	14	/* check-in rates */

static const char *
status_page_modem_state(const char *s)
{
	if (strcmp(s, "up") == 0)
		return "在线";
	if (strcmp(s, "down") == 0)
		return "离线";
	if (strcmp(s, "starting") == 0)
		return "启动中";
	if (strcmp(s, "stopped") == 0)
		return "已停止";
	return "未知";
}


/* --- the county page --- */

/* What the modems' and errors' rows are drawn with. */
struct status_county {
	const struct pages_env	*e;
	struct buf		*b;
	/* the credit of one modem, looked up per row */
	const char		*credit_of;
	int			 credit_found;
	int			 credit_low;
	int64_t			 credit;
};

static void
status_page_credit_cb(const char *modem, const char *bb, int64_t v, void *arg)
{
	struct status_county *c = arg;
	const struct config_modem *cm;

	(void)bb;
	if (strcmp(modem, c->credit_of) != 0)
		return;
	c->credit_found = 1;
	c->credit = v;
	cm = config_modem_find(c->e->cf, modem);
	c->credit_low = cm != NULL && v < cm->balance_threshold;
}

static void
status_page_modem_cb(const struct store_modem *m, void *arg)
{
	struct status_county *c = arg;
	struct buf *b = c->b;

	buf_adds(b, "<tr><td>");
	page_html(b, m->name);
	buf_printf(b, "</td><td class=\"%s\">%s</td><td class=\"num\">",
	    strcmp(m->state, "up") == 0 ? "ok" : "bad",
	    status_page_modem_state(m->state));
	if (m->signal >= 0)
		buf_printf(b, "%d%%", m->signal);
	else
		buf_adds(b, "—");
	buf_adds(b, "</td><td>");
	page_html(b, m->operator_name);
	buf_adds(b, "</td><td class=\"num\">");
	if (m->sim_used >= 0)
		buf_printf(b, "%d/%d", m->sim_used, m->sim_total);
	buf_adds(b, "</td><td class=\"num\">");
	c->credit_of = m->name;
	c->credit_found = 0;
	if (store_metric(c->e->st, STORE_METRIC_CREDIT, 0,
	    status_page_credit_cb, c) == 0 && c->credit_found)
		buf_printf(b, "<span class=\"%s\">%s%lld.%02lld元</span>",
		    c->credit_low ? "bad" : "ok", c->credit < 0 ? "-" : "",
		    (long long)(c->credit < 0 ? -c->credit : c->credit) / 100,
		    (long long)(c->credit < 0 ? -c->credit : c->credit) % 100);
	buf_printf(b, "</td><td class=\"num\">%lld</td></tr>\n",
	    (long long)m->messages_sent);
}

static void
status_page_error_cb(const char *to, const char *error, int64_t at, void *arg)
{
	struct status_county *c = arg;
	char masked[PHONE_MAX];

	buf_adds(c->b, "<tr><td>");
	page_time(c->b, c->e->cf, (time_t)at);
	buf_adds(c->b, "</td><td>");
	page_html(c->b, phone_mask(to, masked));
	buf_adds(c->b, "</td><td>");
	page_html_masked(c->b, error);
	buf_adds(c->b, "</td></tr>\n");
}

static void
status_page_open_cb(const struct store_report_row *r, void *arg)
{
	int64_t *n = arg;

	n[0] = r->v[0];
	n[1] = r->v[1];
}

/* The view's windows back from now: 30 days, 12 weeks, 14 days. */
static void
status_page_windows(struct status_view *v, time_t now)
{
	const struct config *cf = v->e->cf;
	long wshift;
	int today;

	v->off = page_offset(cf, now);
	wshift = STATUS_VIEW_WSHIFT(v->off);
	today = (int)(((int64_t)now + v->off) / 86400);
	v->day0 = today - PAGE_DAYS + 1;
	v->ndays = PAGE_DAYS;
	v->from = (time_t)((int64_t)v->day0 * 86400 - v->off);
	v->until = now + 1;
	v->week0 = (int)(((int64_t)now + wshift) / 604800) - PAGE_WEEKS + 1;
	v->nweeks = PAGE_WEEKS;
	v->wfrom = (time_t)((int64_t)v->week0 * 604800 - wshift);
	v->wuntil = now + 1;
	v->ountil = now;
	v->cday0 = checkin_day_of(cf, now) - PAGE_CHECKIN + 1;
	v->ncdays = PAGE_CHECKIN;
	v->gfrom = now - (time_t)PAGE_DAYS * 86400;
	v->guntil = now;
	v->span = "近14天";
	v->live = 1;
}

/* The modems, the queue and the send errors: the county's alone. */
static int
status_page_operations(struct status_county *c, const struct store_live *ss)
{
	struct buf *b = c->b;
	int rc = 0;

	buf_adds(b, "<h2>短信猫</h2>\n<div class=\"scroll\"><table><tr>"
	    "<th>名称</th><th>状态</th><th class=\"num\">信号</th>"
	    "<th>运营商</th><th class=\"num\">SIM卡存储</th>"
	    "<th class=\"num\">话费余额</th><th class=\"num\">已发条数</th>"
	    "</tr>\n");
	rc |= store_modem_list(c->e->st, status_page_modem_cb, c);
	buf_printf(b, "</table></div>\n<h2>发送队列</h2>\n<p>排队 %lld · "
	    "发送中 %lld · 待处理来信 %lld</p>\n<p>近24小时：已发送 %lld · "
	    "失败 %lld · 过期 %lld · 撤回 %lld</p>\n",
	    (long long)ss->outbox[OUTBOX_QUEUED],
	    (long long)ss->outbox[OUTBOX_SENDING],
	    (long long)ss->messages_pending,
	    (long long)ss->outbox[OUTBOX_SENT],
	    (long long)ss->outbox[OUTBOX_FAILED],
	    (long long)ss->outbox[OUTBOX_EXPIRED],
	    (long long)ss->outbox[OUTBOX_WITHDRAWN]);
	buf_adds(b, "<h2>最近发送错误</h2>\n<div class=\"scroll\"><table><tr>"
	    "<th>时间</th><th>收信人</th><th>错误</th></tr>\n");
	rc |= store_metric(c->e->st, STORE_METRIC_ERRORS, 0,
	    status_page_error_cb, c);
	buf_adds(b, "</table></div>\n");
	return rc;
}

int
status_page_write(struct buf *b, const struct pages_env *e)
{
	const struct config *cf = e->cf;
	struct store_live ss;
	struct status_county c;
	struct status_view *v;
	struct buf title;
	int64_t p[2], open[2] = { 0, 0 };
	int rc = 0;

	switch (status_view_new(e, &v)) {
	case -1:
		return -1;
	case 0:
		status_page_missing(b, "该乡镇");
		return 0;
	}
	memset(&c, 0, sizeof c);
	c.e = e;
	c.b = b;
	status_page_windows(v, e->now);
	rc |= status_view_load(v);
	p[0] = e->now;
	p[1] = v->township;
	rc |= store_report(e->st, STORE_REPORT_OPEN, p, 2, NULL,
	    status_page_open_cb, open) == -1;
	if (v->township == 0)
		rc |= store_stats_live(e->st, e->now, e->now - 86400, &ss);

	memset(&title, 0, sizeof title);
	status_view_name(&title, v);
	buf_adds(&title, "村务短信概览");
	page_head(b, title.data, PAGE_REFRESH);
	web_bar(b, e->account);
	buf_printf(b, "<h1>%s</h1>\n<p class=\"note\">更新于 ", title.data);
	buf_free(&title);
	page_time(b, cf, e->now);
	buf_adds(b, " · 页面时间均为");
	page_zone(b, cf, e->now);
	buf_adds(b, "</p>\n<div class=\"cards\">");
	page_card(b, "今日收到短信", (long long)v->in[PAGE_DAYS - 1], "");
	page_card(b, "今日发出短信", (long long)v->out[PAGE_DAYS - 1], "");
	if (v->township == 0)
		page_card(b, "待发短信",
		    (long long)ss.outbox[OUTBOX_QUEUED], "");
	page_card(b, "未办结工单", (long long)open[0], "");
	page_card(b, "超期工单", (long long)open[1], open[1] > 0 ?
	    "bad" : "ok");
	buf_adds(b, "</div>\n");

	buf_adds(b, "<h2>短信收发（近30天，每日）</h2>\n");
	status_view_traffic(b, v, "近30天每日收发短信数");
	buf_adds(b, "<h2>工单（近12周，每周）</h2>\n");
	status_view_tickets(b, v, "近12周每周新建、办结、超期工单数",
	    "每周从周一开始；超期指办理期限在该周到期而未办结。");

	buf_adds(b, "<h2>老人平安签到率（近14天，按村，最差在前）</h2>\n");
	status_view_multiples(b, v);

	buf_adds(b, "<h2>诉求办理（近30天新建工单，按乡镇）</h2>\n");
	if (v->county.n[0] == 0)
		buf_adds(b, "<p>近30天没有工单。</p>\n");
	else
		status_view_rates(b, v);

	buf_adds(b, "<h2>村庄</h2>\n");
	status_view_villages(b, v);

	if (v->township == 0)
		rc |= status_page_operations(&c, &ss);
	page_foot(b);
	status_view_free(v);
	return rc != 0 ? -1 : 0;
}
