/*
 * status_page — GET /: the county's page, in Chinese, rendered from the
 * store into a buffer for gateway/http.c: trends of the last 30 days and
 * 12 weeks as inline SVG (status_svg.c), check-in rates per village worst
 * first, grievance rates per township beside the county's, the villages,
 * the modems and the queue. Every value from the store is escaped; phone
 * numbers are masked; times are local, the zone said once. No script, no
 * external asset: it works offline, reads at 390 px as at 1280 px, prints.
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
#include "gateway/status_svg.h"
#include "gateway/store.h"
#include "gateway/util.h"

#define PAGE_DAYS	30	/* traffic */
#define PAGE_WEEKS	12	/* tickets */
#define PAGE_CHECKIN	14	/* check-in rates */
#define PAGE_VILLAGES	2000	/* at most, on the county page */
#define PAGE_TOWNSHIPS	200

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

struct status_page_village {
	int64_t	 id;
	char	 code[33];
	char	 name[129];
	char	 tcode[33];
	char	 tname[129];
	int64_t	 total[PAGE_CHECKIN];
	int64_t	 checked[PAGE_CHECKIN];
	int64_t	 stotal;
	int64_t	 schecked;
};

struct status_page_township {
	char	 name[129];
	int64_t	 n[7];	/* tickets, acc due, acc ok, res due, res ok, rated,
			   satisfied */
};

struct status_county {
	const struct pages_env	*e;
	struct buf		*b;
	int			 today;		/* local day */
	int			 day0;		/* first day of traffic */
	int			 cday0;		/* first day of check-ins */
	int			 week0;		/* first week, as a bucket */
	int64_t			*fill;		/* the series being read */
	int			 first;		/* its first bucket */
	int			 nfill;
	int64_t			 in[PAGE_DAYS];
	int64_t			 out[PAGE_DAYS];
	int64_t			 opened[PAGE_WEEKS];
	int64_t			 resolved[PAGE_WEEKS];
	int64_t			 overdue[PAGE_WEEKS];
	struct status_page_village	*v;
	int			 nv;
	int64_t			 last_id;
	struct status_page_township	 t[PAGE_TOWNSHIPS];
	int			 nt;
	/* the credit of one modem, looked up per row */
	const char		*credit_of;
	int			 credit_found;
	int			 credit_low;
	int64_t			 credit;
};

static void
status_page_bucket_cb(const struct store_report_row *r, void *arg)
{
	struct status_county *c = arg;
	int64_t i = r->v[0] - c->first;

	if (i >= 0 && i < c->nfill)
		c->fill[i] += r->v[1];
}

static int
status_page_series(struct status_county *c, enum store_report which,
    time_t from, time_t until, long shift, int first, int64_t *fill, int n)
{
	int64_t p[3] = { (int64_t)from, (int64_t)until, (int64_t)shift };

	c->fill = fill;
	c->first = first;
	c->nfill = n;
	return store_report(c->e->st, which, p, 3, NULL, status_page_bucket_cb,
	    c) == -1 ? -1 : 0;
}

static void
status_page_village_cb(const struct store_report_row *r, void *arg)
{
	struct status_county *c = arg;
	struct status_page_village *v;

	if (c->nv == PAGE_VILLAGES)
		return;
	v = &c->v[c->nv++];
	memset(v, 0, sizeof *v);
	v->id = r->v[0];
	snprintf(v->code, sizeof v->code, "%s", r->t[1]);
	snprintf(v->name, sizeof v->name, "%s", r->t[2]);
	snprintf(v->tcode, sizeof v->tcode, "%s", r->t[3]);
	snprintf(v->tname, sizeof v->tname, "%s", r->t[4]);
	c->last_id = v->id;
}

static int
status_page_village_cmp_id(const void *k, const void *e)
{
	const struct status_page_village *v = e;
	int64_t a = *(const int64_t *)k, b = v->id;

	return a < b ? -1 : a > b;
}

static void
status_page_checkin_cb(const struct store_report_row *r, void *arg)
{
	struct status_county *c = arg;
	struct status_page_village *v;
	int64_t d = r->v[1] - c->cday0;

	v = bsearch(&r->v[0], c->v, (size_t)c->nv, sizeof *c->v,
	    status_page_village_cmp_id);
	if (v == NULL || d < 0 || d >= PAGE_CHECKIN)
		return;
	v->total[d] += r->v[2];
	v->checked[d] += r->v[3];
	v->stotal += r->v[2];
	v->schecked += r->v[3];
}

/* Villages with elders by their rate over the days, worst first; then
   the rest by township and name. */
static int
status_page_village_cmp_rate(const void *a, const void *b)
{
	const struct status_page_village *x = a, *y = b;
	int c;

	if ((x->stotal > 0) != (y->stotal > 0))
		return x->stotal > 0 ? -1 : 1;
	if (x->stotal > 0) {
		/* x->schecked/x->stotal against y's, without division */
		int64_t l = x->schecked * y->stotal;
		int64_t r = y->schecked * x->stotal;

		if (l != r)
			return l < r ? -1 : 1;
	}
	if ((c = strcmp(x->tcode, y->tcode)) != 0)
		return c;
	return strcmp(x->code, y->code);
}

static void
status_page_grievance_cb(const struct store_report_row *r, void *arg)
{
	struct status_county *c = arg;
	struct status_page_township *t;
	int i;

	if (c->nt == PAGE_TOWNSHIPS)
		return;
	t = &c->t[c->nt++];
	snprintf(t->name, sizeof t->name, "%s", r->t[1][0] != '\0' ?
	    r->t[1] : "未划乡镇");
	for (i = 0; i < 7; i++)
		t->n[i] = r->v[2 + i];
}

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
status_page_card(struct buf *b, const char *label, long long v, const char *cls)
{
	buf_printf(b, "<div class=\"card\"><b class=\"%s\">%lld</b>%s</div>",
	    cls, v, label);
}

/* The three rates of the townships and the county's, as charts. */
static void
status_page_rates(struct status_county *c)
{
	static const char *const names[3] = { "按时受理率", "按时办结率",
	    "满意率（含基本满意）" };
	struct buf *b = c->b;
	const char **rows;
	struct buf nb;
	int *pm, i, k, avg;
	int64_t sum[7];
	size_t *at;

	memset(sum, 0, sizeof sum);
	for (i = 0; i < c->nt; i++)
		for (k = 0; k < 7; k++)
			sum[k] += c->t[i].n[k];
	/* The rows' names, escaped once. */
	memset(&nb, 0, sizeof nb);
	at = xcalloc((size_t)c->nt + 1, sizeof *at);
	for (i = 0; i < c->nt; i++) {
		at[i] = nb.len;
		page_html(&nb, c->t[i].name);
		buf_add(&nb, "", 1);
	}
	rows = xcalloc((size_t)c->nt + 1, sizeof *rows);
	for (i = 0; i < c->nt; i++)
		rows[i] = nb.data + at[i];
	pm = xcalloc((size_t)c->nt + 1, sizeof *pm);
	buf_adds(b, "<div class=\"grid2\">");
	for (k = 0; k < 3; k++) {
		for (i = 0; i < c->nt; i++)
			pm[i] = page_permille(c->t[i].n[2 + 2 * k],
			    c->t[i].n[1 + 2 * k]);
		avg = page_permille(sum[2 + 2 * k], sum[1 + 2 * k]);
		buf_printf(b, "<div class=\"box\"><p><b>%s</b></p>",
		    names[k]);
		status_svg_rates(b, names[k], rows, pm, c->nt, avg,
		    "全县平均");
		buf_adds(b, "</div>");
	}
	buf_adds(b, "</div>\n<div class=\"scroll\"><table><tr><th>乡镇</th>"
	    "<th class=\"num\">工单</th><th class=\"num\">按时受理</th>"
	    "<th class=\"num\">按时办结</th><th class=\"num\">满意</th>"
	    "</tr>\n");
	for (i = 0; i <= c->nt; i++) {
		const int64_t *n = i < c->nt ? c->t[i].n : sum;

		buf_adds(b, i < c->nt ? "<tr><td>" : "<tr><th>");
		if (i < c->nt)
			buf_adds(b, rows[i]);
		else
			buf_adds(b, "全县");
		buf_printf(b, "%s<td class=\"num\">%lld</td>", i < c->nt ?
		    "</td>" : "</th>", (long long)n[0]);
		for (k = 0; k < 3; k++) {
			buf_adds(b, "<td class=\"num\">");
			page_percent(b, n[2 + 2 * k], n[1 + 2 * k]);
			buf_printf(b, " <span class=\"note\">(%lld/%lld)</span>"
			    "</td>", (long long)n[2 + 2 * k],
			    (long long)n[1 + 2 * k]);
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table></div>\n");
	free(pm);
	free(rows);
	free(at);
	buf_free(&nb);
}

static void
status_page_multiples(struct status_county *c)
{
	struct buf *b = c->b;
	struct buf title;
	int pm[PAGE_CHECKIN], i, d, shown = 0;
	struct status_page_village *v;

	buf_adds(b, "<div class=\"multi\">\n");
	for (i = 0; i < c->nv; i++) {
		v = &c->v[i];
		if (v->stotal == 0)
			continue;
		shown++;
		for (d = 0; d < PAGE_CHECKIN; d++)
			pm[d] = page_permille(v->checked[d], v->total[d]);
		memset(&title, 0, sizeof title);
		page_html(&title, v->name);
		buf_adds(&title, "：近14天每日签到率");
		buf_adds(b, "<div class=\"box\"><p><a href=\"/village/");
		page_html(b, v->code);
		buf_adds(b, "\">");
		page_html(b, v->name);
		buf_adds(b, "</a> <span class=\"note\">");
		page_html(b, v->tname);
		buf_adds(b, "</span><br><b class=\"");
		buf_adds(b, v->schecked * 10 >= v->stotal * 9 ? "ok" : "bad");
		buf_adds(b, "\">");
		page_percent(b, v->schecked, v->stotal);
		buf_printf(b, "</b> <span class=\"note\">今日 %lld/%lld</span>"
		    "</p>", (long long)v->checked[PAGE_CHECKIN - 1],
		    (long long)v->total[PAGE_CHECKIN - 1]);
		status_svg_spark(b, title.data, pm, PAGE_CHECKIN);
		buf_adds(b, "</div>\n");
		buf_free(&title);
	}
	buf_adds(b, "</div>\n");
	if (shown == 0)
		buf_adds(b, "<p>尚无登记的老人。</p>\n");
}

static void
status_page_villages(struct status_county *c)
{
	struct buf *b = c->b;
	int i;

	buf_adds(b, "<div class=\"scroll\"><table><tr><th>村</th><th>乡镇</th>"
	    "<th>代码</th><th class=\"num\">近14天签到率</th></tr>\n");
	for (i = 0; i < c->nv; i++) {
		buf_adds(b, "<tr><td><a href=\"/village/");
		page_html(b, c->v[i].code);
		buf_adds(b, "\">");
		page_html(b, c->v[i].name);
		buf_adds(b, "</a></td><td>");
		page_html(b, c->v[i].tname[0] != '\0' ? c->v[i].tname :
		    "未划乡镇");
		buf_adds(b, "</td><td>");
		page_html(b, c->v[i].code);
		buf_adds(b, "</td><td class=\"num\">");
		page_percent(b, c->v[i].schecked, c->v[i].stotal);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table></div>\n");
}

int
status_page_write(struct buf *b, const struct pages_env *e)
{
	const struct config *cf = e->cf;
	struct store *st = e->st;
	struct store_live ss;
	struct status_county *c;
	struct status_svg_series s[3];
	time_t now = e->now, from;
	long off = page_offset(cf, now), wshift = off + 3 * 86400;
	int64_t p[2];
	int thisweek, n, rc = 0;

	c = xcalloc(1, sizeof *c);
	c->v = xcalloc(PAGE_VILLAGES, sizeof *c->v);
	c->e = e;
	c->b = b;
	c->today = (int)(((int64_t)now + off) / 86400);
	c->day0 = c->today - PAGE_DAYS + 1;
	c->cday0 = checkin_day_of(cf, now) - PAGE_CHECKIN + 1;
	thisweek = (int)(((int64_t)now + wshift) / 604800);
	c->week0 = thisweek - PAGE_WEEKS + 1;

	/* Traffic per local day; tickets per week from Monday. */
	from = (time_t)((int64_t)c->day0 * 86400 - off);
	rc |= status_page_series(c, STORE_REPORT_IN_DAY, from, now + 1, off,
	    c->day0, c->in, PAGE_DAYS);
	rc |= status_page_series(c, STORE_REPORT_OUT_DAY, from, now + 1, off,
	    c->day0, c->out, PAGE_DAYS);
	from = (time_t)((int64_t)c->week0 * 604800 - wshift);
	rc |= status_page_series(c, STORE_REPORT_OPENED_WEEK, from, now + 1,
	    wshift, c->week0, c->opened, PAGE_WEEKS);
	rc |= status_page_series(c, STORE_REPORT_RESOLVED_WEEK, from, now + 1,
	    wshift, c->week0, c->resolved, PAGE_WEEKS);
	rc |= status_page_series(c, STORE_REPORT_OVERDUE_WEEK, from, now,
	    wshift, c->week0, c->overdue, PAGE_WEEKS);
	/* Villages (by id, for the check-ins' lookup), then their days. */
	do {
		p[0] = c->last_id;
		p[1] = 500;
		n = store_report(st, STORE_REPORT_VILLAGES, p, 2, NULL,
		    status_page_village_cb, c);
	} while (n == 500 && c->nv < PAGE_VILLAGES);
	rc |= n == -1;
	p[0] = c->cday0;
	p[1] = c->cday0 + PAGE_CHECKIN;
	rc |= store_report(st, STORE_REPORT_CHECKINS, p, 2, NULL,
	    status_page_checkin_cb, c) == -1;
	qsort(c->v, (size_t)c->nv, sizeof *c->v, status_page_village_cmp_rate);
	p[0] = (int64_t)now - (int64_t)PAGE_DAYS * 86400;
	p[1] = now;
	rc |= store_report(st, STORE_REPORT_GRIEVANCE, p, 2, NULL,
	    status_page_grievance_cb, c) == -1;
	rc |= store_stats_live(st, now, now - 86400, &ss);

	page_head(b, "全县村务短信概览", 1);
	buf_adds(b, "<h1>全县村务短信概览</h1>\n<p class=\"note\">更新于 ");
	page_time(b, cf, now);
	buf_adds(b, " · 页面时间均为");
	page_zone(b, cf, now);
	buf_adds(b, "</p>\n<div class=\"cards\">");
	status_page_card(b, "今日收到短信", (long long)c->in[PAGE_DAYS - 1], "");
	status_page_card(b, "今日发出短信", (long long)c->out[PAGE_DAYS - 1], "");
	status_page_card(b, "待发短信", (long long)ss.outbox[OUTBOX_QUEUED], "");
	status_page_card(b, "未办结工单", (long long)ss.tickets_open, "");
	status_page_card(b, "超期工单", (long long)ss.tickets_overdue,
	    ss.tickets_overdue > 0 ? "bad" : "ok");
	buf_adds(b, "</div>\n");

	buf_adds(b, "<h2>短信收发（近30天，每日）</h2>\n<div class=\"box\">");
	s[0].v = c->in;
	s[0].colour = "#1565c0";
	s[0].name = "收到";
	s[1].v = c->out;
	s[1].colour = "#e65100";
	s[1].name = "发出";
	status_svg_legend(b, s, 2);
	status_svg_days(b, "近30天每日收发短信数", c->day0, PAGE_DAYS, s, 2);
	buf_adds(b, "</div>\n<h2>工单（近12周，每周）</h2>\n<div class=\"box\">");
	s[0].v = c->opened;
	s[0].colour = "#1565c0";
	s[0].name = "新建";
	s[1].v = c->resolved;
	s[1].colour = "#2e7d32";
	s[1].name = "办结";
	s[2].v = c->overdue;
	s[2].colour = "#c62828";
	s[2].name = "超期";
	status_svg_legend(b, s, 3);
	status_svg_weeks(b, "近12周每周新建、办结、超期工单数",
	    c->week0 * 7 - 3, PAGE_WEEKS, s, 3);
	buf_adds(b, "<p class=\"note\">每周从周一开始；超期指办理期限在该周到期"
	    "而未办结。</p></div>\n");

	buf_adds(b, "<h2>老人平安签到率（近14天，按村，最差在前）</h2>\n");
	status_page_multiples(c);

	buf_adds(b, "<h2>诉求办理（近30天新建工单，按乡镇）</h2>\n");
	if (c->nt == 0)
		buf_adds(b, "<p>近30天没有工单。</p>\n");
	else
		status_page_rates(c);

	buf_adds(b, "<h2>村庄</h2>\n");
	status_page_villages(c);

	buf_adds(b, "<h2>短信猫</h2>\n<div class=\"scroll\"><table><tr>"
	    "<th>名称</th><th>状态</th><th class=\"num\">信号</th>"
	    "<th>运营商</th><th class=\"num\">SIM卡存储</th>"
	    "<th class=\"num\">话费余额</th><th class=\"num\">已发条数</th>"
	    "</tr>\n");
	rc |= store_modem_list(st, status_page_modem_cb, c);
	buf_printf(b, "</table></div>\n<h2>发送队列</h2>\n<p>排队 %lld · "
	    "发送中 %lld · 待处理来信 %lld</p>\n<p>近24小时：已发送 %lld · "
	    "失败 %lld · 过期 %lld · 撤回 %lld</p>\n",
	    (long long)ss.outbox[OUTBOX_QUEUED],
	    (long long)ss.outbox[OUTBOX_SENDING],
	    (long long)ss.messages_pending,
	    (long long)ss.outbox[OUTBOX_SENT],
	    (long long)ss.outbox[OUTBOX_FAILED],
	    (long long)ss.outbox[OUTBOX_EXPIRED],
	    (long long)ss.outbox[OUTBOX_WITHDRAWN]);
	buf_adds(b, "<h2>最近发送错误</h2>\n<div class=\"scroll\"><table><tr>"
	    "<th>时间</th><th>收信人</th><th>错误</th></tr>\n");
	rc |= store_metric(st, STORE_METRIC_ERRORS, 0, status_page_error_cb, c);
	buf_adds(b, "</table></div>\n");
	page_foot(b);
	free(c->v);
	free(c);
	return rc != 0 ? -1 : 0;
}
