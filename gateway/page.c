/*
 * page — what the status pages (status_page.c: the county; status_item.c:
 * a village, a ticket) share: escaping, masking, local times with their
 * zone, ages, the names of ticket states, and one document's head (its
 * style for 390 px to 1280 px and for print) and foot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/page.h"
#include "gateway/util.h"

void
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

/* v escaped, each run of 7 or more digits (a phone number) masked. */
void
page_html_masked(struct buf *b, const char *v)
{
	char run[PHONE_MAX], masked[PHONE_MAX];
	size_t n;

	while (*v != '\0') {
		for (n = 0; v[n] == '+' ? n == 0 : (v[n] >= '0' &&
		    v[n] <= '9'); n++)
			;
		if (n >= 7 && n < sizeof run) {
			memcpy(run, v, n);
			run[n] = '\0';
			page_html(b, phone_mask(run, masked));
			v += n;
			continue;
		}
		if (n == 0)
			n = 1;
		memcpy(run, v, n < sizeof run ? n : 1);
		run[n < sizeof run ? n : 1] = '\0';
		page_html(b, run);
		v += n < sizeof run ? n : 1;
	}
}

/* The zone's offset from UTC at t, in seconds. */
long
page_offset(const struct config *cf, time_t t)
{
	struct tm tm;

	if (tz_local(cf->timezone, t, &tm) == -1)
		return 0;
	return tm.tm_gmtoff;
}

/* t as local "YYYY-MM-DD HH:MM". */
void
page_time(struct buf *b, const struct config *cf, time_t t)
{
	char when[32];

	tz_format(cf->timezone, t, when);
	when[16] = '\0';
	page_html(b, when);
}

/* "北京时间（Asia/Shanghai，UTC+08:00）": the zone the page's times are in. */
void
page_zone(struct buf *b, const struct config *cf, time_t now)
{
	long off = page_offset(cf, now) / 60;

	if (strcmp(cf->timezone, "Asia/Shanghai") == 0)
		buf_adds(b, "北京时间（");
	else
		buf_adds(b, "当地时间（");
	page_html(b, cf->timezone);
	buf_printf(b, "，UTC%c%02ld:%02ld）", off < 0 ? '-' : '+',
	    labs(off) / 60, labs(off) % 60);
}

/* Age of a ticket: "3天5小时", "2小时", "15分钟". */
void
page_age(struct buf *b, time_t from, time_t now)
{
	long s = now > from ? (long)(now - from) : 0;

	if (s >= 86400)
		buf_printf(b, "%ld天%ld小时", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		buf_printf(b, "%ld小时", s / 3600);
	else
		buf_printf(b, "%ld分钟", s / 60);
}

const char *
page_ticket_status(const char *s)
{
	static const char *const names[][2] = {
		{ "open", "待受理" }, { "accepted", "办理中" },
		{ "resolved", "已办结待评价" }, { "returned", "已退回乡镇" },
		{ "reopened", "重新办理" }, { "closed", "已关闭" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i][0]) == 0)
			return names[i][1];
	return "其他";
}
void
page_card(struct buf *b, const char *label, long long v, const char *cls)
{
	buf_printf(b, "<div class=\"card\"><b class=\"%s\">%lld</b>%s</div>",
	    cls, v, label);
}

void
page_head(struct buf *b, const char *title_html, int flags)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">");
	if (flags & PAGE_REFRESH)
		buf_adds(b, "<meta http-equiv=\"refresh\" content=\"60\">");
	buf_adds(b, "<title>");
	buf_adds(b, title_html);
	buf_adds(b, "</title><style>"
	    "body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\","
	    "sans-serif;margin:0;background:#f6f6f2;color:#222}"
	    "main{max-width:1180px;margin:0 auto;padding:12px}"
	    "h1{font-size:1.35em;margin:.3em 0}h2{font-size:1.1em;"
	    "margin:1.2em 0 .4em;border-bottom:2px solid #ccc}"
	    "a{color:#0d47a1}.note{color:#555;font-size:.9em}"
	    ".cards{display:grid;grid-template-columns:repeat(auto-fill,"
	    "minmax(150px,1fr));gap:8px}.card{background:#fff;"
	    "border:1px solid #ddd;padding:8px}.card b{display:block;"
	    "font-size:1.6em}.grid2{display:grid;grid-template-columns:"
	    "repeat(auto-fit,minmax(340px,1fr));gap:12px}"
	    ".box{background:#fff;border:1px solid #ddd;padding:8px;"
	    "break-inside:avoid}.chart{width:100%;height:auto;"
	    "max-width:720px;display:block}"
	    ".multi{display:grid;grid-template-columns:repeat(auto-fill,"
	    "minmax(165px,1fr));gap:8px}.multi .box{padding:6px}"
	    ".multi .chart{height:40px}.multi p{margin:0 0 4px}"
	    ".scroll{overflow-x:auto}table{border-collapse:collapse;"
	    "background:#fff;width:100%}td,th{border:1px solid #ccc;"
	    "padding:.3em .5em;text-align:left;vertical-align:top}"
	    "th{background:#eee}.num{text-align:right}"
	    ".ok{color:#176f2c;font-weight:bold}.bad{color:#b3261e;"
	    "font-weight:bold}.legend span{margin-right:1em;"
	    "white-space:nowrap}.legend i{display:inline-block;width:.9em;"
	    "height:.9em;margin-right:.3em;vertical-align:middle}"
	    ".text{white-space:pre-wrap;word-break:break-all}"
	    ".who{text-align:right;margin:0;font-size:.9em}"
	    ".who button{margin-left:.5em}"
	    "@media (max-width:480px){body{font-size:15px}main{padding:8px}"
	    "td,th{padding:.25em .3em}.grid2{grid-template-columns:1fr}}"
	    "@media print{body{background:#fff}main{max-width:none;"
	    "padding:0}.noprint{display:none}a{color:#000;"
	    "text-decoration:none}h2{break-after:avoid}}");
	if (flags & PAGE_A4)
		buf_adds(b, "@page{size:A4;margin:14mm 12mm}"
		    "@media print{body{font-size:10.5pt}"
		    ".box,.card,.chart,tr{break-inside:avoid;"
		    "page-break-inside:avoid}h2{page-break-after:avoid}"
		    ".grid2{grid-template-columns:1fr 1fr}"
		    ".multi{grid-template-columns:repeat(4,1fr)}"
		    ".scroll{overflow:visible}}");
	buf_adds(b, "</style></head><body><main>\n");
}

void
page_foot(struct buf *b)
{
	buf_adds(b, "</main></body></html>\n");
}
int
page_permille(int64_t part, int64_t whole)
{
	return whole > 0 ? (int)(part * 1000 / whole) : -1;
}

void
page_percent(struct buf *b, int64_t part, int64_t whole)
{
	if (whole <= 0)
		buf_adds(b, "—");
	else
		buf_printf(b, "%lld%%", (long long)((part * 1000 / whole + 5) /
		    10));
}
