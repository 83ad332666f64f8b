/*
 * status_view — the figures of a scope over windows of time and the
 * sections drawn from them (status_view.h), for the county's page and
 * the monthly report. Reading is a handful of bounded store_report
 * queries; a township's scope is passed to the store, except for the
 * check-ins (rows of villages outside the scope find no village here)
 * and the grievance rates, which keep every township's to make the
 * county's sum the scope is compared with. Every value from the store is
 * escaped as it is drawn.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/metrics.h"
#include "gateway/page.h"
#include "gateway/status_svg.h"
#include "gateway/status_view.h"
#include "gateway/store.h"
#include "gateway/util.h"

static void
status_view_township_cb(const struct store_report_row *r, void *arg)
{
	struct status_view *v = arg;

	v->township = r->v[0];
	snprintf(v->tcode, sizeof v->tcode, "%s", r->t[1]);
	snprintf(v->tname, sizeof v->tname, "%s", r->t[2]);
}

int
status_view_new(const struct pages_env *e, struct status_view **out)
{
	struct status_view *v;
	int rc = 1;

	v = xcalloc(1, sizeof *v);
	v->e = e;
	v->v = xcalloc(STATUS_VIEW_VILLAGES, sizeof *v->v);
	if (e->township != NULL)
		rc = store_report(e->st, STORE_REPORT_TOWNSHIP, NULL, 0,
		    e->township, status_view_township_cb, v);
	if (rc != 1) {
		status_view_free(v);
		v = NULL;
	}
	*out = v;
	return rc;
}

void
status_view_free(struct status_view *v)
{
	if (v == NULL)
		return;
	free(v->v);
	free(v);
}

static void
status_view_bucket_cb(const struct store_report_row *r, void *arg)
{
	struct status_view *v = arg;
	int64_t i = r->v[0] - v->first;

	if (i >= 0 && i < v->nfill)
		v->fill[i] += r->v[1];
}

/* One series of buckets from first over [from, until), shifted. */
static int
status_view_series(struct status_view *v, enum store_report which,
    time_t from, time_t until, long shift, int first, int64_t *fill, int n)
{
	int64_t p[4] = { (int64_t)from, (int64_t)until, (int64_t)shift,
	    v->township };

	v->fill = fill;
	v->first = first;
	v->nfill = n;
	return store_report(v->e->st, which, p, 4, NULL,
	    status_view_bucket_cb, v) == -1 ? -1 : 0;
}

static void
status_view_village_cb(const struct store_report_row *r, void *arg)
{
	struct status_view *v = arg;
	struct status_view_village *x;

	if (v->nv == STATUS_VIEW_VILLAGES)
		return;
	x = &v->v[v->nv++];
	memset(x, 0, sizeof *x);
	x->id = r->v[0];
	snprintf(x->code, sizeof x->code, "%s", r->t[1]);
	snprintf(x->name, sizeof x->name, "%s", r->t[2]);
	snprintf(x->tcode, sizeof x->tcode, "%s", r->t[3]);
	snprintf(x->tname, sizeof x->tname, "%s", r->t[4]);
}

static int
status_view_village_cmp_id(const void *k, const void *e)
{
	const struct status_view_village *x = e;
	int64_t a = *(const int64_t *)k, b = x->id;

	return a < b ? -1 : a > b;
}

static void
status_view_checkin_cb(const struct store_report_row *r, void *arg)
{
	struct status_view *v = arg;
	struct status_view_village *x;
	int64_t d = r->v[1] - v->cday0;

	x = bsearch(&r->v[0], v->v, (size_t)v->nv, sizeof *v->v,
	    status_view_village_cmp_id);
	if (x == NULL || d < 0 || d >= v->ncdays)
		return;
	x->total[d] += r->v[2];
	x->checked[d] += r->v[3];
	x->stotal += r->v[2];
	x->schecked += r->v[3];
}

/* Villages with elders by their rate over the days, worst first; then
   the rest by township and code. */
static int
status_view_village_cmp_rate(const void *a, const void *b)
{
	const struct status_view_village *x = a, *y = b;
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
status_view_grievance_cb(const struct store_report_row *r, void *arg)
{
	struct status_view *v = arg;
	struct status_view_township *t;
	int i;

	for (i = 0; i < STATUS_VIEW_NRATE; i++)
		v->county.n[i] += r->v[2 + i];
	if (v->nt == STATUS_VIEW_TOWNSHIPS)
		return;
	t = &v->t[v->nt++];
	snprintf(t->code, sizeof t->code, "%s", r->t[0]);
	snprintf(t->name, sizeof t->name, "%s", r->t[1][0] != '\0' ?
	    r->t[1] : "未划乡镇");
	for (i = 0; i < STATUS_VIEW_NRATE; i++)
		t->n[i] = r->v[2 + i];
}

int
status_view_load(struct status_view *v)
{
	struct store *st = v->e->st;
	long wshift = STATUS_VIEW_WSHIFT(v->off);
	int64_t p[3];
	int n, rc = 0;

	if (v->ndays > STATUS_VIEW_DAYS)
		v->ndays = STATUS_VIEW_DAYS;
	if (v->ncdays > STATUS_VIEW_DAYS)
		v->ncdays = STATUS_VIEW_DAYS;
	if (v->nweeks > STATUS_VIEW_WEEKS)
		v->nweeks = STATUS_VIEW_WEEKS;
	/* Traffic per local day; tickets per week from Monday. */
	rc |= status_view_series(v, STORE_REPORT_IN_DAY, v->from, v->until,
	    v->off, v->day0, v->in, v->ndays);
	rc |= status_view_series(v, STORE_REPORT_OUT_DAY, v->from, v->until,
	    v->off, v->day0, v->out, v->ndays);
	rc |= status_view_series(v, STORE_REPORT_OPENED_WEEK, v->wfrom,
	    v->wuntil, wshift, v->week0, v->opened, v->nweeks);
	rc |= status_view_series(v, STORE_REPORT_RESOLVED_WEEK, v->wfrom,
	    v->wuntil, wshift, v->week0, v->resolved, v->nweeks);
	rc |= status_view_series(v, STORE_REPORT_OVERDUE_WEEK, v->wfrom,
	    v->ountil, wshift, v->week0, v->overdue, v->nweeks);
	/* The scope's villages (by id, for the check-ins' lookup), then
	   their days. */
	do {
		p[0] = v->nv > 0 ? v->v[v->nv - 1].id : 0;
		p[1] = 500;
		p[2] = v->township;
		n = store_report(st, STORE_REPORT_VILLAGES, p, 3, NULL,
		    status_view_village_cb, v);
	} while (n == 500 && v->nv < STATUS_VIEW_VILLAGES);
	rc |= n == -1;
	p[0] = v->cday0;
	p[1] = v->cday0 + v->ncdays;
	rc |= store_report(st, STORE_REPORT_CHECKINS, p, 2, NULL,
	    status_view_checkin_cb, v) == -1;
	qsort(v->v, (size_t)v->nv, sizeof *v->v, status_view_village_cmp_rate);
	p[0] = v->gfrom;
	p[1] = v->guntil;
	p[2] = v->e->now;
	rc |= store_report(st, STORE_REPORT_GRIEVANCE, p, 3, NULL,
	    status_view_grievance_cb, v) == -1;
	return rc != 0 ? -1 : 0;
}

int64_t
status_view_sum(const int64_t *s, int n)
{
	int64_t sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += s[i];
	return sum;
}

void
status_view_name(struct buf *b, const struct status_view *v)
{
	if (v->township != 0)
		page_html(b, v->tname);
	else
		buf_adds(b, "全县");
}

void
status_view_traffic(struct buf *b, const struct status_view *v,
    const char *title)
{
	struct status_svg_series s[2];

	s[0].v = v->in;
	s[0].colour = "#1565c0";
	s[0].name = "收到";
	s[1].v = v->out;
	s[1].colour = "#e65100";
	s[1].name = "发出";
	buf_adds(b, "<div class=\"box\">");
	status_svg_legend(b, s, 2);
	status_svg_days(b, title, v->day0, v->ndays, s, 2);
	if (v->township != 0)
		buf_adds(b, "<p class=\"note\">按发信人、收信人登记所在的村计入"
		    "乡镇；未登记的号码（如在外地的监护人）只计入全县。</p>");
	buf_adds(b, "</div>\n");
}

void
status_view_tickets(struct buf *b, const struct status_view *v,
    const char *title, const char *note)
{
	struct status_svg_series s[3];

	s[0].v = v->opened;
	s[0].colour = "#1565c0";
	s[0].name = "新建";
	s[1].v = v->resolved;
	s[1].colour = "#2e7d32";
	s[1].name = "办结";
	s[2].v = v->overdue;
	s[2].colour = "#c62828";
	s[2].name = "超期";
	buf_adds(b, "<div class=\"box\">");
	status_svg_legend(b, s, 3);
	status_svg_weeks(b, title, v->week0 * 7 - 3, v->nweeks, s, 3);
	buf_adds(b, "<p class=\"note\">");
	buf_adds(b, note);
	buf_adds(b, "</p></div>\n");
}

/* A village's name, linked to its page when the view is live. */
static void
status_view_village_name(struct buf *b, const struct status_view *v,
    const struct status_view_village *x)
{
	if (v->live) {
		buf_adds(b, "<a href=\"/village/");
		page_html(b, x->code);
		buf_adds(b, "\">");
	}
	page_html(b, x->name);
	if (v->live)
		buf_adds(b, "</a>");
}

void
status_view_multiples(struct buf *b, const struct status_view *v)
{
	const struct status_view_village *x;
	struct buf title;
	int pm[STATUS_VIEW_DAYS], i, d, shown = 0;

	buf_adds(b, "<div class=\"multi\">\n");
	for (i = 0; i < v->nv; i++) {
		x = &v->v[i];
		if (x->stotal == 0)
			continue;
		shown++;
		for (d = 0; d < v->ncdays; d++)
			pm[d] = page_permille(x->checked[d], x->total[d]);
		memset(&title, 0, sizeof title);
		page_html(&title, x->name);
		buf_printf(&title, "：%s每日签到率", v->span);
		buf_adds(b, "<div class=\"box\"><p>");
		status_view_village_name(b, v, x);
		buf_adds(b, " <span class=\"note\">");
		page_html(b, x->tname);
		buf_adds(b, "</span><br><b class=\"");
		buf_adds(b, x->schecked * 10 >= x->stotal * 9 ? "ok" : "bad");
		buf_adds(b, "\">");
		page_percent(b, x->schecked, x->stotal);
		if (v->live)
			buf_printf(b, "</b> <span class=\"note\">今日 "
			    "%lld/%lld</span></p>",
			    (long long)x->checked[v->ncdays - 1],
			    (long long)x->total[v->ncdays - 1]);
		else
			buf_printf(b, "</b> <span class=\"note\">%lld/%lld "
			    "人次</span></p>", (long long)x->schecked,
			    (long long)x->stotal);
		status_svg_spark(b, title.data, pm, v->ncdays);
		buf_adds(b, "</div>\n");
		buf_free(&title);
	}
	buf_adds(b, "</div>\n");
	if (shown == 0)
		buf_adds(b, "<p>没有老人签到的记录。</p>\n");
}

/* One row of the rates' table: name escaped already. */
static void
status_view_rate_row(struct buf *b, const char *name,
    const struct status_view_township *t, int head)
{
	int k;

	buf_adds(b, head ? "<tr><th>" : "<tr><td>");
	buf_adds(b, name);
	buf_printf(b, "%s<td class=\"num\">%lld</td>", head ? "</th>" :
	    "</td>", (long long)t->n[0]);
	for (k = 0; k < 3; k++) {
		buf_adds(b, "<td class=\"num\">");
		page_percent(b, t->n[2 + 2 * k], t->n[1 + 2 * k]);
		buf_printf(b, " <span class=\"note\">(%lld/%lld)</span></td>",
		    (long long)t->n[2 + 2 * k], (long long)t->n[1 + 2 * k]);
	}
	buf_adds(b, "</tr>\n");
}

void
status_view_rates(struct buf *b, const struct status_view *v)
{
	static const char *const names[3] = { "按时受理率", "按时办结率",
	    "满意率（含基本满意）" };
	const struct status_view_township **ts;
	struct status_view_township none;
	const char **rows;
	struct buf nb;
	size_t *at;
	int *pm, i, k, n = 0, avg;

	/* The scope's townships: every one, or the one (none, if it had no
	   tickets). */
	ts = xcalloc((size_t)v->nt + 1, sizeof *ts);
	for (i = 0; i < v->nt; i++)
		if (v->township == 0 || strcmp(v->t[i].code, v->tcode) == 0)
			ts[n++] = &v->t[i];
	if (v->township != 0 && n == 0) {
		memset(&none, 0, sizeof none);
		snprintf(none.name, sizeof none.name, "%s", v->tname);
		ts[n++] = &none;
	}
	/* The rows' names, escaped once. */
	memset(&nb, 0, sizeof nb);
	at = xcalloc((size_t)n + 1, sizeof *at);
	for (i = 0; i < n; i++) {
		at[i] = nb.len;
		page_html(&nb, ts[i]->name);
		buf_add(&nb, "", 1);
	}
	rows = xcalloc((size_t)n + 1, sizeof *rows);
	for (i = 0; i < n; i++)
		rows[i] = nb.data + at[i];
	pm = xcalloc((size_t)n + 1, sizeof *pm);
	buf_adds(b, "<div class=\"grid2\">");
	for (k = 0; k < 3; k++) {
		for (i = 0; i < n; i++)
			pm[i] = page_permille(ts[i]->n[2 + 2 * k],
			    ts[i]->n[1 + 2 * k]);
		avg = page_permille(v->county.n[2 + 2 * k],
		    v->county.n[1 + 2 * k]);
		buf_printf(b, "<div class=\"box\"><p><b>%s</b></p>",
		    names[k]);
		status_svg_rates(b, names[k], rows, pm, n, avg, "全县平均");
		buf_adds(b, "</div>");
	}
	buf_adds(b, "</div>\n<div class=\"scroll box\"><table><tr><th>乡镇"
	    "</th><th class=\"num\">工单</th><th class=\"num\">按时受理</th>"
	    "<th class=\"num\">按时办结</th><th class=\"num\">满意</th>"
	    "</tr>\n");
	for (i = 0; i < n; i++)
		status_view_rate_row(b, rows[i], ts[i], 0);
	status_view_rate_row(b, v->township != 0 ? "全县平均" : "全县",
	    &v->county, 1);
	buf_adds(b, "</table></div>\n");
	free(pm);
	free(rows);
	free(at);
	free(ts);
	buf_free(&nb);
}

void
status_view_villages(struct buf *b, const struct status_view *v)
{
	const struct status_view_village *x;
	int i;

	buf_printf(b, "<div class=\"scroll\"><table><tr><th>村</th>"
	    "<th>乡镇</th><th>代码</th><th class=\"num\">签到/应签</th>"
	    "<th class=\"num\">%s签到率</th></tr>\n", v->span);
	for (i = 0; i < v->nv; i++) {
		x = &v->v[i];
		buf_adds(b, "<tr><td>");
		status_view_village_name(b, v, x);
		buf_adds(b, "</td><td>");
		page_html(b, x->tname[0] != '\0' ? x->tname : "未划乡镇");
		buf_adds(b, "</td><td>");
		page_html(b, x->code);
		buf_printf(b, "</td><td class=\"num\">%lld/%lld</td>"
		    "<td class=\"num\">", (long long)x->schecked,
		    (long long)x->stotal);
		page_percent(b, x->schecked, x->stotal);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table></div>\n");
}
