/*
 * status_item — GET /village/CODE (its open tickets oldest first with
 * their age, its elders not checked in today with the ladder's step, its
 * events) and GET /ticket/CODE (the ticket and its history), in Chinese,
 * for gateway/http.c; and the page of a code that is not there. Values
 * escaped, phone numbers masked, times local.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/metrics.h"
#include "gateway/page.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "gateway/web.h"
#include "gateway/web.h"

#define ITEM_DAYS	30	/* events as far back */
#define ITEM_ROWS	200	/* rows of a village's lists */

static const char *
status_item_step(int step)
{
	switch (step) {
	case 0:
		return "等待签到";
	case CHECKIN_STEP_PROMPT:
		return "已发早间提示";
	case CHECKIN_STEP_REMIND:
		return "已发催签短信";
	case CHECKIN_STEP_GUARDIANS:
		return "已通知监护人";
	case CHECKIN_STEP_CADRE:
		return "已通知村干部";
	case CHECKIN_STEP_TOWNSHIP:
		return "已上报乡镇";
	}
	return "其他";
}


/* --- a village's page --- */

struct status_item_village {
	const struct pages_env	*e;
	struct buf		*b;
	int64_t			 id;
	char			 code[33];
	char			 name[129];
	char			 tname[129];
	int			 found;
};

static void
status_item_village_find_cb(const struct store_report_row *r, void *arg)
{
	struct status_item_village *v = arg;

	v->found = 1;
	v->id = r->v[0];
	snprintf(v->code, sizeof v->code, "%s", r->t[1]);
	snprintf(v->name, sizeof v->name, "%s", r->t[2]);
	snprintf(v->tname, sizeof v->tname, "%s", r->t[4]);
}

static void
status_item_village_ticket_cb(const struct store_report_row *r, void *arg)
{
	struct status_item_village *v = arg;
	struct buf *b = v->b;

	buf_adds(b, "<tr><td><a href=\"/ticket/");
	page_html(b, r->t[1]);
	buf_adds(b, "\">");
	page_html(b, r->t[1]);
	buf_printf(b, "</a>%s</td><td>%s</td><td>", r->v[7] != 0 ?
	    " <span class=\"bad\">急</span>" : "",
	    page_ticket_status(r->t[2]));
	page_time(b, v->e->cf, (time_t)r->v[6]);
	buf_adds(b, "</td><td class=\"num\">");
	page_age(b, (time_t)r->v[6], v->e->now);
	buf_adds(b, "</td><td>");
	page_html(b, r->t[3]);
	buf_adds(b, "</td><td class=\"text\">");
	page_html_masked(b, r->t[4]);
	buf_adds(b, "</td></tr>\n");
}

static void
status_item_village_elder_cb(const struct store_report_row *r, void *arg)
{
	struct status_item_village *v = arg;
	struct buf *b = v->b;
	char masked[PHONE_MAX];

	buf_adds(b, "<tr><td>");
	page_html(b, r->t[1]);
	buf_adds(b, "</td><td>");
	page_html(b, phone_mask(r->t[2], masked));
	buf_printf(b, "</td><td class=\"%s\">%s</td><td>", r->v[5] >=
	    CHECKIN_STEP_GUARDIANS ? "bad" : "",
	    status_item_step((int)r->v[5]));
	if (r->v[4] > 0)
		page_time(b, v->e->cf, (time_t)r->v[4]);
	else
		buf_adds(b, "—");
	buf_adds(b, "</td></tr>\n");
}

static void
status_item_village_event_cb(const struct store_report_row *r, void *arg)
{
	struct status_item_village *v = arg;
	struct buf *b = v->b;

	buf_adds(b, "<tr><td>");
	page_html(b, r->t[1]);
	buf_adds(b, "</td><td>");
	page_html(b, r->t[2]);
	buf_adds(b, "</td><td>");
	page_html(b, r->t[3]);
	buf_adds(b, "</td><td>");
	page_time(b, v->e->cf, (time_t)r->v[5]);
	buf_printf(b, "</td><td class=\"num\">%lld/%lld</td><td>%s</td></tr>\n",
	    (long long)r->v[7], (long long)r->v[6],
	    strcmp(r->t[4], "open") == 0 ? "报名中" : "已结束");
}

int
status_page_village(struct buf *b, const struct pages_env *e,
    const char *code)
{
	struct status_item_village v;
	struct buf t;
	int64_t p[3];
	int n, rc = 0;

	memset(&v, 0, sizeof v);
	v.e = e;
	v.b = b;
	if (store_report(e->st, STORE_REPORT_VILLAGE, NULL, 0, code,
	    status_item_village_find_cb, &v) == -1)
		return -1;
	if (!v.found)
		return 0;
	memset(&t, 0, sizeof t);
	page_html(&t, v.name);
	buf_adds(&t, " · 村务短信");
	page_head(b, t.data, PAGE_REFRESH);
	web_bar(b, e->account);
	buf_free(&t);
	buf_adds(b, "<p class=\"noprint\"><a href=\"/\">← 全县概览</a></p>\n"
	    "<h1>");
	page_html(b, v.name);
	buf_adds(b, " <span class=\"note\">");
	page_html(b, v.tname[0] != '\0' ? v.tname : "未划乡镇");
	buf_adds(b, " · 代码 ");
	page_html(b, v.code);
	buf_adds(b, "</span></h1>\n<p class=\"note\">更新于 ");
	page_time(b, e->cf, e->now);
	buf_adds(b, " · 页面时间均为");
	page_zone(b, e->cf, e->now);
	buf_adds(b, "</p>\n");

	buf_adds(b, "<h2>未办结工单（最早的在前）</h2>\n<div class=\"scroll\">"
	    "<table><tr><th>工单</th><th>状态</th><th>提交时间</th>"
	    "<th class=\"num\">已等待</th><th>类别</th><th>内容</th></tr>\n");
	p[0] = v.id;
	p[1] = ITEM_ROWS;
	if ((n = store_report(e->st, STORE_REPORT_VILLAGE_TICKETS, p, 2, NULL,
	    status_item_village_ticket_cb, &v)) == -1)
		rc = -1;
	buf_adds(b, "</table></div>\n");
	if (n == 0)
		buf_adds(b, "<p>没有未办结的工单。</p>\n");

	buf_adds(b, "<h2>今日尚未签到的老人</h2>\n<div class=\"scroll\">"
	    "<table><tr><th>姓名</th><th>电话</th><th>提醒进度</th>"
	    "<th>下一步时间</th></tr>\n");
	p[0] = v.id;
	p[1] = checkin_day_of(e->cf, e->now);
	p[2] = ITEM_ROWS;
	if ((n = store_report(e->st, STORE_REPORT_VILLAGE_ELDERS, p, 3, NULL,
	    status_item_village_elder_cb, &v)) == -1)
		rc = -1;
	buf_adds(b, "</table></div>\n");
	if (n == 0)
		buf_adds(b, "<p>今日老人均已签到（或尚未开始）。</p>\n");

	buf_adds(b, "<h2>活动（近30天及以后）</h2>\n<div class=\"scroll\">"
	    "<table><tr><th>代码</th><th>活动</th><th>地点</th><th>时间</th>"
	    "<th class=\"num\">报名/名额</th><th>状态</th></tr>\n");
	p[0] = v.id;
	p[1] = (int64_t)e->now - (int64_t)ITEM_DAYS * 86400;
	p[2] = ITEM_ROWS;
	if ((n = store_report(e->st, STORE_REPORT_VILLAGE_EVENTS, p, 3, NULL,
	    status_item_village_event_cb, &v)) == -1)
		rc = -1;
	buf_adds(b, "</table></div>\n");
	if (n == 0)
		buf_adds(b, "<p>近期没有活动。</p>\n");
	page_foot(b);
	return rc == -1 ? -1 : 1;
}

/* --- a ticket's page --- */

static const char *
status_item_ticket_action(const char *a)
{
	static const char *const names[][2] = {
		{ "file", "提交工单" }, { "accept", "村干部受理" },
		{ "resolve", "办结答复" }, { "return", "退回乡镇" },
		{ "rate", "村民评价" }, { "assign", "指派" },
		{ "close", "关闭" }, { "close.unrated", "未评价自动关闭" },
		{ "remind.accept", "催办受理" },
		{ "remind.resolve", "催办办结" },
		{ "escalate.accept", "超期未受理，报乡镇督办" },
		{ "escalate.resolve", "超期未办结，报乡镇督办" },
		{ "escalate.unsatisfied", "评价不满意，报乡镇督办" },
		{ "reopen", "重新办理" },
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(a, names[i][0]) == 0)
			return names[i][1];
	return "其他操作";
}

static const char *
status_item_ticket_channel(const char *c)
{
	if (strcmp(c, "sms") == 0)
		return "短信";
	if (strcmp(c, "ussd") == 0)
		return "USSD菜单";
	if (strcmp(c, "call") == 0)
		return "来电";
	if (strcmp(c, "cli") == 0)
		return "后台";
	return "系统";
}

static const char *
status_item_ticket_rating(const char *d)
{
	if (strcmp(d, "1") == 0)
		return "满意";
	if (strcmp(d, "2") == 0)
		return "基本满意";
	if (strcmp(d, "3") == 0)
		return "不满意";
	return "";
}

struct status_item_ticket {
	const struct pages_env	*e;
	struct buf		*b;
};

static void
status_item_ticket_event_cb(const struct store_ticket_event *ev, void *arg)
{
	struct status_item_ticket *t = arg;
	struct buf *b = t->b;
	const char *d = ev->detail != NULL ? ev->detail : "";
	char masked[PHONE_MAX], *reason;

	buf_adds(b, "<tr><td>");
	page_time(b, t->e->cf, ev->at);
	buf_adds(b, "</td><td>");
	buf_adds(b, status_item_ticket_action(ev->action));
	buf_adds(b, "</td><td>");
	if (ev->actor[0] == '+')
		page_html(b, phone_mask(ev->actor, masked));
	else
		buf_adds(b, strcmp(ev->actor, "cli") == 0 ? "后台" : "系统");
	buf_printf(b, "</td><td>%s</td><td class=\"text\">",
	    status_item_ticket_channel(ev->channel));
	/* Details written for people; the rest is in the audit log. */
	if (strcmp(ev->action, "rate") == 0)
		buf_adds(b, status_item_ticket_rating(d));
	else if (strcmp(ev->action, "return") == 0) {
		/* "REASON; township MZ: 2 told": the reason. */
		reason = xstrndup(d, strcspn(d, ";"));
		page_html_masked(b, reason);
		free(reason);
	} else if (strcmp(ev->action, "accept") == 0 ||
	    strcmp(ev->action, "resolve") == 0 ||
	    strcmp(ev->action, "assign") == 0 ||
	    strcmp(ev->action, "close") == 0)
		page_html_masked(b, d);
	buf_adds(b, "</td></tr>\n");
}

static void
status_item_ticket_row(struct buf *b, const char *label, const char *value_html)
{
	buf_printf(b, "<tr><th>%s</th><td>%s</td></tr>\n", label, value_html);
}

int
status_page_ticket(struct buf *b, const struct pages_env *e,
    const char *code)
{
	struct store_ticket t;
	struct status_item_ticket tp;
	struct buf v;
	char masked[PHONE_MAX];
	int rc;

	if ((rc = store_ticket_find(e->st, code, &t)) != 1)
		return rc;
	memset(&v, 0, sizeof v);
	buf_adds(&v, "工单 ");
	page_html(&v, t.code);
	page_head(b, v.data, 0);
	web_bar(b, e->account);
	buf_free(&v);
	buf_adds(b, "<p class=\"noprint\"><a href=\"/\">← 全县概览</a> · "
	    "<a href=\"/village/");
	page_html(b, t.village);
	buf_adds(b, "\">");
	page_html(b, t.village_name);
	buf_adds(b, "</a></p>\n<h1>工单 ");
	page_html(b, t.code);
	buf_printf(b, " <span class=\"note\">%s</span></h1>\n<p class=\"note\">"
	    "页面时间均为", page_ticket_status(t.status));
	page_zone(b, e->cf, e->now);
	buf_adds(b, "</p>\n<div class=\"scroll\"><table>\n");
	memset(&v, 0, sizeof v);
	page_html(&v, t.village_name);
	status_item_ticket_row(b, "村", v.data);
	buf_free(&v);
	memset(&v, 0, sizeof v);
	page_html(&v, t.reporter_name[0] != '\0' ? t.reporter_name : "—");
	buf_adds(&v, " ");
	page_html(&v, phone_mask(t.reporter, masked));
	status_item_ticket_row(b, "反映人", v.data);
	buf_free(&v);
	memset(&v, 0, sizeof v);
	page_html(&v, t.category[0] != '\0' ? t.category : "未分类");
	if (t.urgent)
		buf_adds(&v, " <span class=\"bad\">紧急</span>");
	status_item_ticket_row(b, "类别", v.data);
	buf_free(&v);
	memset(&v, 0, sizeof v);
	buf_adds(&v, "<span class=\"text\">");
	page_html_masked(&v, t.text != NULL ? t.text : "");
	buf_adds(&v, "</span>");
	status_item_ticket_row(b, "内容", v.data);
	buf_free(&v);
	memset(&v, 0, sizeof v);
	page_time(&v, e->cf, t.created_at);
	buf_adds(&v, "（已 ");
	page_age(&v, t.created_at, t.resolved_at != 0 ? t.resolved_at : e->now);
	buf_adds(&v, "）");
	status_item_ticket_row(b, "提交时间", v.data);
	buf_free(&v);
	memset(&v, 0, sizeof v);
	page_time(&v, e->cf, t.accept_due);
	buf_adds(&v, " 前受理，");
	page_time(&v, e->cf, t.resolve_due);
	buf_adds(&v, " 前办结");
	status_item_ticket_row(b, "办理期限", v.data);
	buf_free(&v);
	if (t.reply != NULL && t.reply[0] != '\0') {
		memset(&v, 0, sizeof v);
		buf_adds(&v, "<span class=\"text\">");
		page_html_masked(&v, t.reply);
		buf_adds(&v, "</span>");
		status_item_ticket_row(b, "答复", v.data);
		buf_free(&v);
	}
	if (t.rating > 0)
		status_item_ticket_row(b, "评价", t.rating == 1 ? "满意" : t.rating == 2 ?
		    "基本满意" : "不满意");
	buf_adds(b, "</table></div>\n<h2>办理记录</h2>\n<div class=\"scroll\">"
	    "<table><tr><th>时间</th><th>事项</th><th>操作人</th><th>渠道</th>"
	    "<th>说明</th></tr>\n");
	tp.e = e;
	tp.b = b;
	rc = store_ticket_events(e->st, t.id, status_item_ticket_event_cb, &tp);
	buf_adds(b, "</table></div>\n");
	page_foot(b);
	store_ticket_clear(&t);
	return rc == -1 ? -1 : 1;
}

/* The page of an unknown village or ticket. */
void
status_page_missing(struct buf *b, const char *what)
{
	page_head(b, "未找到", 0);
	buf_adds(b, "<p class=\"noprint\"><a href=\"/\">← 全县概览</a></p>\n"
	    "<h1>未找到</h1>\n<p>");
	buf_adds(b, what);
	buf_adds(b, "不存在，请检查代码。</p>\n");
	page_foot(b);
}
