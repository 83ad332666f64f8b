/*
 * report_page — the monthly report (report_page.h): status_view.c's
 * figures and sections over one calendar month [the 1st 00:00, the next
 * 1st 00:00) in the configured zone. Traffic and check-ins per day of the
 * month; tickets per week from Monday, the first and last weeks counting
 * only their days in the month, so that the weeks add up to the month;
 * the grievance rates of the tickets opened in the month, as they stand
 * when the report is made. The page is for print: A4, no chart split
 * over two pages, no links, no refresh. The CSV is the same figures, one
 * a row, for a spreadsheet.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/grievance.h"
#include "gateway/metrics.h"
#include "gateway/page.h"
#include "gateway/report_page.h"
#include "gateway/status_view.h"
#include "gateway/util.h"

int
report_month_parse(const char *s, int *year, int *month)
{
	int i;

	if (strlen(s) != 7 || s[4] != '-')
		return -1;
	for (i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	*year = atoi(s);
	*month = atoi(s + 5);
	if (*year < 1970 || *month < 1 || *month > 12)
		return -1;
	return 0;
}

/*
 * A view of e's scope over the month, read, into *out (the caller frees
 * it): 1; or 0 no such township, -1 on a store error (or a month the
 * zone cannot place), with *out NULL.
 */
static int
report_page_load(const struct pages_env *e, int year, int month,
    struct status_view **out)
{
	const struct config *cf = e->cf;
	struct status_view *v;
	char first[32], next[32];
	long wshift;
	int rc, dnext;

	if ((rc = status_view_new(e, out)) != 1)
		return rc;
	v = *out;
	snprintf(first, sizeof first, "%04d-%02d-01", year, month);
	snprintf(next, sizeof next, "%04d-%02d-01", month == 12 ? year + 1 :
	    year, month == 12 ? 1 : month + 1);
	if (checkin_day_parse(first, &v->day0) == -1 ||
	    checkin_day_parse(next, &dnext) == -1)
		goto fail;
	v->from = checkin_midnight(cf, v->day0);
	v->until = checkin_midnight(cf, dnext);
	v->off = page_offset(cf, v->from);
	v->ndays = dnext - v->day0;
	wshift = STATUS_VIEW_WSHIFT(v->off);
	v->week0 = (int)(((int64_t)v->from + wshift) / 604800);
	v->nweeks = (int)(((int64_t)v->until - 1 + wshift) / 604800) -
	    v->week0 + 1;
	v->wfrom = v->from;
	v->wuntil = v->until;
	/* Overdue: only deadlines that have passed. */
	v->ountil = v->until < e->now ? v->until : e->now;
	if (v->ountil < v->wfrom)
		v->ountil = v->wfrom;
	v->cday0 = v->day0;
	v->ncdays = v->ndays;
	v->gfrom = v->from;
	v->guntil = v->until;
	v->span = "本月";
	if (status_view_load(v) == 0)
		return 1;
fail:
	status_view_free(v);
	*out = NULL;
	return -1;
}

/* Has the month any figure? 0/1. */
static int
report_page_has_data(const struct status_view *v)
{
	int i;

	if (status_view_sum(v->in, v->ndays) + status_view_sum(v->out,
	    v->ndays) + status_view_sum(v->opened, v->nweeks) +
	    status_view_sum(v->resolved, v->nweeks) + v->county.n[0] > 0)
		return 1;
	for (i = 0; i < v->nv; i++)
		if (v->v[i].stotal > 0)
			return 1;
	return 0;
}

/* The first day of week i that is in the month. */
static int
report_page_week_day(const struct status_view *v, int i)
{
	int d = (v->week0 + i) * 7 - 3;

	return d < v->day0 ? v->day0 : d;
}

int
report_page_write(struct buf *b, const struct pages_env *e, int year,
    int month)
{
	const struct config *cf = e->cf;
	struct status_view *v;
	struct buf title;
	char d0[11], d1[11];
	int rc;

	if ((rc = report_page_load(e, year, month, &v)) != 1)
		return rc;
	memset(&title, 0, sizeof title);
	status_view_name(&title, v);
	buf_printf(&title, " %d年%d月 村务短信月报", year, month);
	page_head(b, title.data, PAGE_A4);
	buf_printf(b, "<h1>%s</h1>\n<p class=\"note\">统计期间 %s 至 %s · "
	    "生成于 ", title.data, checkin_day_format(v->day0, d0),
	    checkin_day_format(v->day0 + v->ndays - 1, d1));
	buf_free(&title);
	page_time(b, cf, e->now);
	buf_adds(b, " · 时间均为");
	page_zone(b, cf, v->from);
	buf_adds(b, "</p>\n");
	if (v->from > e->now)
		buf_adds(b, "<p class=\"bad\">该月尚未开始，没有数据。</p>\n");
	else if (!report_page_has_data(v))
		buf_adds(b, "<p class=\"bad\">本月没有数据。</p>\n");

	buf_adds(b, "<div class=\"cards\">");
	page_card(b, "收到短信", (long long)status_view_sum(v->in, v->ndays),
	    "");
	page_card(b, "发出短信", (long long)status_view_sum(v->out, v->ndays),
	    "");
	page_card(b, "新建工单", (long long)status_view_sum(v->opened,
	    v->nweeks), "");
	page_card(b, "办结工单", (long long)status_view_sum(v->resolved,
	    v->nweeks), "");
	page_card(b, "超期工单", (long long)status_view_sum(v->overdue,
	    v->nweeks), "");
	buf_adds(b, "</div>\n");

	buf_adds(b, "<h2>短信收发（每日）</h2>\n");
	status_view_traffic(b, v, "本月每日收发短信数");
	buf_adds(b, "<h2>工单（每周）</h2>\n");
	status_view_tickets(b, v, "本月每周新建、办结、超期工单数",
	    "每周从周一开始，首尾两周只计本月内的日子；超期指办理期限在"
	    "该周到期而未办结。");
	buf_adds(b, "<h2>老人平安签到率（本月每日，按村，最差在前）</h2>\n");
	status_view_multiples(b, v);
	buf_adds(b, "<h2>诉求办理（本月新建工单，按乡镇）</h2>\n");
	if (v->county.n[0] == 0)
		buf_adds(b, "<p>本月没有新建工单。</p>\n");
	else
		status_view_rates(b, v);
	buf_adds(b, "<h2>村庄（本月签到率）</h2>\n");
	status_view_villages(b, v);
	page_foot(b);
	status_view_free(v);
	return 1;
}

/* --- CSV --- */

/* One row: section,date,township,code,name,measure,value. */
static void
report_csv_row(struct buf *b, const char *section, int day,
    const char *township, const char *code, const char *name,
    const char *measure, const char *value)
{
	char d[11];

	csv_write_field(b, section, 0);
	csv_write_field(b, day >= 0 ? checkin_day_format(day, d) : "", 0);
	csv_write_field(b, township, 0);
	csv_write_field(b, code, 0);
	csv_write_field(b, name, 0);
	csv_write_field(b, measure, 0);
	csv_write_field(b, value, 1);
}

static void
report_csv_int(struct buf *b, const char *section, int day,
    const char *township, const char *code, const char *name,
    const char *measure, int64_t value)
{
	char s[32];

	snprintf(s, sizeof s, "%lld", (long long)value);
	report_csv_row(b, section, day, township, code, name, measure, s);
}

/* A rate in per cent with one decimal, empty when there is none. */
static void
report_csv_rate(struct buf *b, const char *section, const char *township,
    const char *code, const char *name, const char *measure, int64_t part,
    int64_t of)
{
	double r = grievance_rate_percent(part, of);
	char s[32];

	if (r < 0)
		s[0] = '\0';
	else
		snprintf(s, sizeof s, "%.1f", r);
	report_csv_row(b, section, -1, township, code, name, measure, s);
}

static void
report_csv_grievance(struct buf *b, const char *township, const char *code,
    const int64_t *n)
{
	static const char *const what[3][3] = {
		{ "accept_counted", "accepted_in_time",
		    "accepted_in_time_rate" },
		{ "resolve_counted", "resolved_in_time",
		    "resolved_in_time_rate" },
		{ "rated", "satisfied", "satisfied_rate" },
	};
	int k;

	report_csv_int(b, "grievance", -1, township, code, "", "tickets",
	    n[0]);
	for (k = 0; k < 3; k++) {
		report_csv_int(b, "grievance", -1, township, code, "",
		    what[k][0], n[1 + 2 * k]);
		report_csv_int(b, "grievance", -1, township, code, "",
		    what[k][1], n[2 + 2 * k]);
		report_csv_rate(b, "grievance", township, code, "",
		    what[k][2], n[2 + 2 * k], n[1 + 2 * k]);
	}
}

int
report_csv_write(struct buf *b, const struct pages_env *e, int year,
    int month)
{
	const struct status_view_village *x;
	struct status_view *v;
	struct buf scope;
	char s[32];
	int rc, i, d;

	if ((rc = report_page_load(e, year, month, &v)) != 1)
		return rc;
	memset(&scope, 0, sizeof scope);
	buf_adds(&scope, v->township != 0 ? v->tname : "全县");
	buf_adds(b, CSV_BOM);
	buf_adds(b, "section,date,township,code,name,measure,value\r\n");
	snprintf(s, sizeof s, "%04d-%02d", year, month);
	report_csv_row(b, "report", -1, scope.data, v->tcode, "", "month", s);
	tz_format(e->cf->timezone, e->now, s);
	s[16] = '\0';
	report_csv_row(b, "report", -1, scope.data, v->tcode, "", "made", s);
	report_csv_row(b, "report", -1, scope.data, v->tcode, "", "zone",
	    e->cf->timezone);
	for (i = 0; i < v->ndays; i++) {
		report_csv_int(b, "messages", v->day0 + i, scope.data,
		    v->tcode, "", "received", v->in[i]);
		report_csv_int(b, "messages", v->day0 + i, scope.data,
		    v->tcode, "", "sent", v->out[i]);
	}
	for (i = 0; i < v->nweeks; i++) {
		d = report_page_week_day(v, i);
		report_csv_int(b, "tickets", d, scope.data, v->tcode, "",
		    "opened", v->opened[i]);
		report_csv_int(b, "tickets", d, scope.data, v->tcode, "",
		    "resolved", v->resolved[i]);
		report_csv_int(b, "tickets", d, scope.data, v->tcode, "",
		    "overdue", v->overdue[i]);
	}
	for (i = 0; i < v->nv; i++) {
		x = &v->v[i];
		for (d = 0; d < v->ncdays; d++) {
			if (x->total[d] == 0)
				continue;
			report_csv_int(b, "checkin", v->cday0 + d, x->tname,
			    x->code, x->name, "due", x->total[d]);
			report_csv_int(b, "checkin", v->cday0 + d, x->tname,
			    x->code, x->name, "checked", x->checked[d]);
		}
	}
	for (i = 0; i < v->nv; i++) {
		x = &v->v[i];
		report_csv_int(b, "village", -1, x->tname, x->code, x->name,
		    "due", x->stotal);
		report_csv_int(b, "village", -1, x->tname, x->code, x->name,
		    "checked", x->schecked);
		report_csv_rate(b, "village", x->tname, x->code, x->name,
		    "rate", x->schecked, x->stotal);
	}
	for (i = 0; i < v->nt; i++)
		if (v->township == 0 || strcmp(v->t[i].code, v->tcode) == 0)
			report_csv_grievance(b, v->t[i].name, v->t[i].code,
			    v->t[i].n);
	report_csv_grievance(b, "全县", "", v->county.n);
	buf_free(&scope);
	status_view_free(v);
	return 1;
}
