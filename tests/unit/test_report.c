/*
 * test_report — the status pages' aggregates (gateway/store/report.c) and
 * the pages drawn from them (status_page.c, status_item.c), on in-memory
 * SQLite and, under make check-pg, on PostgreSQL: buckets by local day and
 * week, the grievance rates per township, a village's open tickets oldest
 * first, escaping and masking, a missing village or ticket; the check-in
 * tally as rows change, and the live counts beside the trends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/inbox.h"
#include "gateway/metrics.h"
#include "gateway/report_page.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "tests/unit/testdb.h"

#define NOW		1795737600	/* 2026-11-27 00:00 UTC, 08:00 in Shanghai */
#define DAY		86400
#define OFF		(8 * 3600)	/* Asia/Shanghai */
#define RESIDENT	"+8613900000001"
#define CADRE		"+8613900000003"
#define RESIDENT2	"+8613900000005"	/* of GMS */

struct world {
	struct store	*st;
	struct config	*cf;
	int64_t		 village;	/* LJZ, of 米脂镇 (MZ) */
	int64_t		 village2;	/* GMS, of 杨家沟镇 (YJG) */
};

static int
setup(void **state)
{
	struct world *w;
	struct store_village v;
	char path[64], *cause = NULL;
	FILE *f;

	w = xcalloc(1, sizeof *w);
	snprintf(path, sizeof path, "/tmp/cungate-test-report-%d.conf",
	    (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[gateway]\ndatabase = :memory:\n", f);
	fclose(f);
	if ((w->cf = config_load(path, &cause)) == NULL)
		fail_msg("%s", cause);
	unlink(path);
	if ((w->st = store_open(test_db(), &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_township_add(w->st, "MZ", "米脂镇", NOW,
	    &cause), 0);
	assert_int_equal(store_township_add(w->st, "YJG", "杨家沟镇", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "LJZ", "刘家庄", "MZ", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "GMS", "高庙山村", "YJG",
	    NOW, &cause), 0);
	assert_int_equal(store_person_put(w->st, RESIDENT, "李<b>markup</b>",
	    "LJZ", ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, CADRE, "张明", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, RESIDENT2, "高<i>红梅</i>",
	    "GMS", ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_village_find(w->st, "LJZ", &v), 1);
	w->village = v.id;
	assert_int_equal(store_village_find(w->st, "GMS", &v), 1);
	w->village2 = v.id;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	store_close(w->st);
	config_free(w->cf);
	free(w);
	return 0;
}

/* A ticket of village created days ago; accepted and resolved after so
   many hours (-1 not), rated (0 not). */
static int64_t
ticket(struct world *w, int64_t village, const char *code, const char *text,
    int days, int accept_h, int resolve_h, int rating)
{
	struct store_ticket t;
	int64_t id;

	memset(&t, 0, sizeof t);
	snprintf(t.code, sizeof t.code, "%s", code);
	snprintf(t.reporter, sizeof t.reporter, "%s", RESIDENT);
	t.village_id = village;
	t.text = (char *)text;
	t.reply = (char *)"";
	snprintf(t.status, sizeof t.status, "open");
	t.created_at = t.updated_at = NOW - days * DAY;
	t.accept_due = t.created_at + DAY;
	t.resolve_due = t.created_at + 3 * DAY;
	assert_int_equal(store_ticket_insert(w->st, &t, &id), 1);
	t.id = id;
	if (accept_h >= 0) {
		snprintf(t.status, sizeof t.status, "accepted");
		snprintf(t.accepted_by, sizeof t.accepted_by, "%s", CADRE);
		t.accepted_at = t.created_at + accept_h * 3600;
	}
	if (resolve_h >= 0) {
		snprintf(t.status, sizeof t.status, "closed");
		snprintf(t.resolved_by, sizeof t.resolved_by, "%s", CADRE);
		t.resolved_at = t.created_at + resolve_h * 3600;
		t.reply = (char *)"已修好";
	}
	t.rating = rating;
	t.rated_at = rating > 0 ? t.resolved_at + 3600 : 0;
	assert_int_equal(store_ticket_update(w->st, &t), 0);
	return id;
}

/* A one-part message from sender at at. */
static void
message(struct world *w, const char *sender, time_t at, const char *smsc)
{
	struct store_part p;
	int64_t mid;

	memset(&p, 0, sizeof p);
	p.modem = "m1";
	p.sender = sender;
	p.smsc = smsc;
	p.sent_at = p.received_at = at;
	p.total = p.seq = 1;
	p.text = "平安";
	assert_int_equal(inbox_store(w->st, w->cf, &p, at, &mid), 1);
}

/* The pages' environment of w at NOW, the county's. */
static void
env(struct world *w, struct pages_env *e)
{
	memset(e, 0, sizeof *e);
	e->cf = w->cf;
	e->st = w->st;
	e->now = NOW;
}

struct rows {
	int64_t	 key[16];
	int64_t	 v[16][9];
	char	 t[16][2][64];
	int	 n;
};

static void
rows_cb(const struct store_report_row *r, void *arg)
{
	struct rows *rs = arg;
	int i;

	if (rs->n == 16)
		return;
	rs->key[rs->n] = r->v[0];
	for (i = 0; i < 9; i++)
		rs->v[rs->n][i] = r->v[i];
	snprintf(rs->t[rs->n][0], 64, "%s", r->t[0]);
	snprintf(rs->t[rs->n][1], 64, "%s", r->t[1]);
	rs->n++;
}

static void
test_messages_per_local_day(void **state)
{
	struct world *w = *state;
	struct rows rs;
	int64_t prm[4];
	char smsc[32];
	int i;
	/* 23:30 and 00:30 local on either side of a midnight: two days. */
	time_t at[3] = { NOW - 2 * DAY - OFF - 1800, NOW - 2 * DAY - OFF + 1800,
	    NOW - 2 * DAY - OFF + 3600 };

	for (i = 0; i < 3; i++) {
		snprintf(smsc, sizeof smsc, "s%d", i);
		message(w, RESIDENT, at[i], smsc);
	}
	memset(&rs, 0, sizeof rs);
	prm[0] = NOW - 30 * DAY;
	prm[1] = NOW;
	prm[2] = OFF;
	prm[3] = 0;
	assert_int_equal(store_report(w->st, STORE_REPORT_IN_DAY, prm, 4, NULL,
	    rows_cb, &rs), 2);
	for (i = 0; i < 2; i++) {
		int64_t day = (at[i] + OFF) / DAY;

		assert_true(rs.key[0] == day || rs.key[1] == day);
	}
	assert_int_equal(rs.v[0][1] + rs.v[1][1], 3);
	assert_int_equal(rs.key[0] == (at[0] + OFF) / DAY ? rs.v[0][1] :
	    rs.v[1][1], 1);
	memset(&rs, 0, sizeof rs);
	assert_int_equal(store_report(w->st, STORE_REPORT_OUT_DAY, prm, 4,
	    NULL, rows_cb, &rs), 0);
}

static void
test_tickets_per_week_and_township(void **state)
{
	struct world *w = *state;
	struct rows rs;
	int64_t prm[4];

	/* in time, 满意; late twice; overdue now; not due */
	ticket(w, w->village, "5001", "路灯坏了", 20, 2, 30, 1);
	ticket(w, w->village, "5002", "路灯坏了", 13, 30, 100, 3);
	ticket(w, w->village, "5003", "水管漏水", 5, 2, -1, 0);
	ticket(w, w->village, "5004", "低保没发", 1, -1, -1, 0);
	memset(&rs, 0, sizeof rs);
	prm[0] = NOW - 84 * DAY;
	prm[1] = NOW + 1;
	prm[2] = OFF + 3 * DAY;
	prm[3] = 0;
	assert_int_equal(store_report(w->st, STORE_REPORT_OPENED_WEEK, prm, 4,
	    NULL, rows_cb, &rs), 4);
	memset(&rs, 0, sizeof rs);
	assert_int_equal(store_report(w->st, STORE_REPORT_RESOLVED_WEEK, prm,
	    4, NULL, rows_cb, &rs), 2);
	memset(&rs, 0, sizeof rs);
	prm[1] = NOW;
	assert_int_equal(store_report(w->st, STORE_REPORT_OVERDUE_WEEK, prm,
	    4, NULL, rows_cb, &rs), 2);	/* 5002's week and 5003's */
	memset(&rs, 0, sizeof rs);
	prm[0] = NOW - 30 * DAY;
	prm[1] = NOW;
	prm[2] = NOW;
	assert_int_equal(store_report(w->st, STORE_REPORT_GRIEVANCE, prm, 3,
	    NULL, rows_cb, &rs), 1);
	assert_string_equal(rs.t[0][0], "MZ");
	assert_string_equal(rs.t[0][1], "米脂镇");
	assert_int_equal(rs.v[0][2], 4);	/* tickets */
	assert_int_equal(rs.v[0][3], 3);	/* acceptance due or done */
	assert_int_equal(rs.v[0][4], 2);	/* in time: 5001, 5003 */
	assert_int_equal(rs.v[0][5], 3);	/* resolution due or done */
	assert_int_equal(rs.v[0][6], 1);	/* in time: 5001 */
	assert_int_equal(rs.v[0][7], 2);	/* rated */
	assert_int_equal(rs.v[0][8], 1);	/* satisfied */
}

static void
test_pages(void **state)
{
	struct world *w = *state;
	struct pages_env e;
	struct buf b;
	const char *p, *q;

	ticket(w, w->village, "5003", "水管<b>漏水</b>，电话13912345678", 5, 2,
	    -1, 0);
	ticket(w, w->village, "5004", "低保没发", 1, -1, -1, 0);
	env(w, &e);
	memset(&b, 0, sizeof b);
	assert_int_equal(status_page_write(&b, &e), 0);
	assert_non_null(strstr(b.data, "刘家庄"));
	assert_non_null(strstr(b.data, "米脂镇"));
	assert_non_null(strstr(b.data, "北京时间"));
	assert_non_null(strstr(b.data, "<svg"));
	assert_null(strstr(b.data, "<script"));
	buf_free(&b);

	assert_int_equal(status_page_village(&b, &e, "ljz"), 1);
	p = strstr(b.data, "5003");
	q = strstr(b.data, "5004");
	assert_true(p != NULL && q != NULL && p < q);	/* oldest first */
	assert_non_null(strstr(b.data, "&lt;b&gt;漏水&lt;/b&gt;"));
	assert_null(strstr(b.data, "13912345678"));
	assert_non_null(strstr(b.data, "5天0小时"));
	buf_free(&b);

	assert_int_equal(store_ticket_event(w->st, 1, NOW - DAY, CADRE, "sms",
	    "accept", "张明"), 0);
	assert_int_equal(status_page_ticket(&b, &e, "5003"), 1);
	assert_non_null(strstr(b.data, "李&lt;b&gt;markup&lt;/b&gt;"));
	assert_non_null(strstr(b.data, "+86139****0001"));
	assert_null(strstr(b.data, RESIDENT));
	assert_null(strstr(b.data, CADRE));
	assert_non_null(strstr(b.data, "村干部受理"));
	buf_free(&b);

	assert_int_equal(status_page_village(&b, &e, "NOPE"), 0);
	assert_int_equal(status_page_ticket(&b, &e, "999999"), 0);
	buf_free(&b);
}

/* The sum of column 1 of a bucket query over 30 days, in township. */
static int64_t
scoped_sum(struct world *w, enum store_report which, int64_t township)
{
	struct rows rs;
	int64_t prm[4] = { NOW - 30 * DAY, NOW, OFF, township }, sum = 0;
	int i;

	memset(&rs, 0, sizeof rs);
	assert_true(store_report(w->st, which, prm, 4, NULL, rows_cb,
	    &rs) >= 0);
	for (i = 0; i < rs.n; i++)
		sum += rs.v[i][1];
	return sum;
}

static int64_t
township_id(struct world *w, const char *code)
{
	struct rows rs;

	memset(&rs, 0, sizeof rs);
	assert_int_equal(store_report(w->st, STORE_REPORT_TOWNSHIP, NULL, 0,
	    code, rows_cb, &rs), 1);
	return rs.key[0];
}

/* Two townships' rows: 米脂镇 (LJZ) has one message and one ticket,
   杨家沟镇 (GMS) two of each; one number is registered nowhere. */
static void
seed_two_townships(struct world *w)
{
	message(w, RESIDENT, NOW - 2 * DAY, "a1");
	message(w, RESIDENT2, NOW - 2 * DAY, "a2");
	message(w, RESIDENT2, NOW - DAY, "a3");
	message(w, "+8613800000009", NOW - DAY, "a4");
	ticket(w, w->village, "6001", "路灯坏了", 3, 2, 30, 1);
	ticket(w, w->village2, "6002", "水管漏水", 3, -1, -1, 0);
	ticket(w, w->village2, "6003", "低保没发", 2, -1, -1, 0);
}

static void
test_township_scope(void **state)
{
	struct world *w = *state;
	struct rows rs;
	int64_t mz, yjg, prm[3];

	seed_two_townships(w);
	mz = township_id(w, "mz");	/* case-insensitive */
	yjg = township_id(w, "YJG");
	assert_true(mz != yjg);
	memset(&rs, 0, sizeof rs);
	assert_int_equal(store_report(w->st, STORE_REPORT_TOWNSHIP, NULL, 0,
	    "NOPE", rows_cb, &rs), 0);

	assert_int_equal(scoped_sum(w, STORE_REPORT_IN_DAY, mz), 1);
	assert_int_equal(scoped_sum(w, STORE_REPORT_IN_DAY, yjg), 2);
	assert_int_equal(scoped_sum(w, STORE_REPORT_IN_DAY, 0), 4);
	assert_int_equal(scoped_sum(w, STORE_REPORT_OPENED_WEEK, mz), 1);
	assert_int_equal(scoped_sum(w, STORE_REPORT_OPENED_WEEK, yjg), 2);
	assert_int_equal(scoped_sum(w, STORE_REPORT_OPENED_WEEK, 0), 3);
	assert_int_equal(scoped_sum(w, STORE_REPORT_RESOLVED_WEEK, mz), 1);
	assert_int_equal(scoped_sum(w, STORE_REPORT_RESOLVED_WEEK, yjg), 0);

	/* The township's villages alone. */
	memset(&rs, 0, sizeof rs);
	prm[0] = 0;
	prm[1] = 500;
	prm[2] = yjg;
	assert_int_equal(store_report(w->st, STORE_REPORT_VILLAGES, prm, 3,
	    NULL, rows_cb, &rs), 1);
	assert_string_equal(rs.t[0][1], "GMS");
	prm[2] = 0;
	memset(&rs, 0, sizeof rs);
	assert_int_equal(store_report(w->st, STORE_REPORT_VILLAGES, prm, 3,
	    NULL, rows_cb, &rs), 2);

	/* Open and overdue: both of 杨家沟镇's are past acceptance. */
	memset(&rs, 0, sizeof rs);
	prm[0] = NOW;
	prm[1] = yjg;
	assert_int_equal(store_report(w->st, STORE_REPORT_OPEN, prm, 2, NULL,
	    rows_cb, &rs), 1);
	assert_int_equal(rs.v[0][0], 2);
	assert_int_equal(rs.v[0][1], 2);
	memset(&rs, 0, sizeof rs);
	prm[1] = mz;
	assert_int_equal(store_report(w->st, STORE_REPORT_OPEN, prm, 2, NULL,
	    rows_cb, &rs), 1);
	assert_int_equal(rs.v[0][0], 0);
	assert_int_equal(rs.v[0][1], 0);
}

static void
test_township_page(void **state)
{
	struct world *w = *state;
	struct pages_env e;
	struct buf b;

	seed_two_townships(w);
	env(w, &e);
	memset(&b, 0, sizeof b);
	assert_int_equal(status_page_write(&b, &e), 0);
	assert_non_null(strstr(b.data, "全县村务短信概览"));
	assert_non_null(strstr(b.data, "高庙山村"));
	assert_non_null(strstr(b.data, "短信猫"));
	buf_free(&b);

	e.township = "MZ";
	assert_int_equal(status_page_write(&b, &e), 0);
	assert_non_null(strstr(b.data, "<h1>米脂镇村务短信概览</h1>"));
	assert_non_null(strstr(b.data, "刘家庄"));
	assert_null(strstr(b.data, "高庙山村"));
	assert_null(strstr(b.data, "杨家沟镇"));
	/* Its rates beside the county's average, which counts all three. */
	assert_non_null(strstr(b.data, "全县平均</th><td class=\"num\">3<"));
	/* No modems, queue or send errors; its own open tickets. */
	assert_null(strstr(b.data, "短信猫"));
	assert_null(strstr(b.data, "发送队列"));
	assert_null(strstr(b.data, "最近发送错误"));
	assert_non_null(strstr(b.data, "<b class=\"\">0</b>未办结工单"));
	buf_free(&b);

	e.township = "YJG";
	assert_int_equal(status_page_write(&b, &e), 0);
	assert_non_null(strstr(b.data, "<b class=\"\">2</b>未办结工单"));
	assert_null(strstr(b.data, "刘家庄"));
	buf_free(&b);

	/* A code that is no township's: a page that says so. */
	e.township = "NOPE";
	assert_int_equal(status_page_write(&b, &e), 0);
	assert_non_null(strstr(b.data, "该乡镇不存在"));
	assert_null(strstr(b.data, "刘家庄"));
	buf_free(&b);
}

static void
test_month_report(void **state)
{
	struct world *w = *state;
	struct pages_env e;
	struct buf b;
	int y, m;

	assert_int_equal(report_month_parse("2026-11", &y, &m), 0);
	assert_int_equal(y * 100 + m, 202611);
	assert_int_equal(report_month_parse("2026-13", &y, &m), -1);
	assert_int_equal(report_month_parse("2026-00", &y, &m), -1);
	assert_int_equal(report_month_parse("26-11", &y, &m), -1);
	assert_int_equal(report_month_parse("2026-1", &y, &m), -1);
	assert_int_equal(report_month_parse("2026-11x", &y, &m), -1);

	seed_two_townships(w);
	/* Last month's ticket: in October's report, not November's. */
	ticket(w, w->village2, "6004", "路灯坏了", 40, 2, 30, 1);
	env(w, &e);
	memset(&b, 0, sizeof b);
	assert_int_equal(report_page_write(&b, &e, 2026, 11), 1);
	assert_non_null(strstr(b.data, "全县 2026年11月 村务短信月报"));
	assert_non_null(strstr(b.data, "@page{size:A4"));
	assert_non_null(strstr(b.data, "统计期间 2026-11-01 至 2026-11-30"));
	assert_non_null(strstr(b.data, "<b class=\"\">3</b>新建工单"));
	assert_null(strstr(b.data, "红梅"));	/* no resident is named */
	assert_null(strstr(b.data, "href="));
	buf_free(&b);

	e.township = "YJG";
	assert_int_equal(report_page_write(&b, &e, 2026, 11), 1);
	assert_non_null(strstr(b.data, "杨家沟镇 2026年11月 村务短信月报"));
	assert_non_null(strstr(b.data, "<b class=\"\">2</b>新建工单"));
	assert_non_null(strstr(b.data, "<b class=\"\">2</b>收到短信"));
	assert_non_null(strstr(b.data, "高庙山村"));
	assert_null(strstr(b.data, "刘家庄"));
	buf_free(&b);

	assert_int_equal(report_csv_write(&b, &e, 2026, 11), 1);
	assert_non_null(strstr(b.data, CSV_BOM
	    "section,date,township,code,name,measure,value\r\n"));
	assert_non_null(strstr(b.data,
	    "messages,2026-11-26,杨家沟镇,YJG,,received,1\r\n"));
	assert_non_null(strstr(b.data,
	    "grievance,,杨家沟镇,YJG,,tickets,2\r\n"));
	assert_non_null(strstr(b.data, "grievance,,全县,,,tickets,3\r\n"));
	assert_null(strstr(b.data, "米脂镇"));
	buf_free(&b);

	assert_int_equal(report_csv_write(&b, &e, 2026, 10), 1);
	assert_non_null(strstr(b.data,
	    "grievance,,杨家沟镇,YJG,,tickets,1\r\n"));
	buf_free(&b);

	/* A month to come: a page saying so. No such township: 0. */
	assert_int_equal(report_page_write(&b, &e, 2027, 1), 1);
	assert_non_null(strstr(b.data, "该月尚未开始"));
	buf_free(&b);
	/* Past 2038: times beyond a 32-bit integer, on both engines. */
	assert_int_equal(report_page_write(&b, &e, 2099, 1), 1);
	assert_non_null(strstr(b.data, "该月尚未开始"));
	buf_free(&b);
	e.township = "NOPE";
	assert_int_equal(report_page_write(&b, &e, 2026, 11), 0);
	assert_int_equal(report_csv_write(&b, &e, 2026, 11), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* An elder of the person at phone, enrolled from long ago. */
static int64_t
elder(struct world *w, const char *phone)
{
	struct store_person p;
	struct store_elder e;
	int64_t id;

	assert_int_equal(store_person_find(w->st, phone, &p), 1);
	memset(&e, 0, sizeof e);
	e.person_id = p.id;
	snprintf(e.phone, sizeof e.phone, "%s", phone);
	e.due_min = e.guardian_after = e.cadre_after = e.township_min = -1;
	e.confirm = -1;
	e.prompt_min = -2;
	e.start_day = 1;
	assert_int_equal(store_elder_put(w->st, &e, &id), 0);
	return id;
}

/* The village's (rows, checked) for day from the county's query. */
static void
checkins(struct world *w, int day, int64_t *total, int64_t *checked)
{
	struct rows rs;
	int64_t p[2] = { day, day + 1 };

	memset(&rs, 0, sizeof rs);
	assert_true(store_report(w->st, STORE_REPORT_CHECKINS, p, 2, NULL,
	    rows_cb, &rs) >= 0);
	*total = *checked = 0;
	if (rs.n == 1) {
		assert_int_equal(rs.v[0][0], w->village);
		assert_int_equal(rs.v[0][1], day);
		*total = rs.v[0][2];
		*checked = rs.v[0][3];
	} else
		assert_int_equal(rs.n, 0);
}

/* The tally the check-in rates read follows each row's status. */
static void
test_checkin_tally_follows_the_rows(void **state)
{
	struct world *w = *state;
	struct store_checkin_day d;
	int64_t a, b, id, total, checked;
	int day = (NOW + OFF) / DAY;

	a = elder(w, RESIDENT);
	b = elder(w, CADRE);
	memset(&d, 0, sizeof d);
	d.elder_id = a;
	d.day = day;
	snprintf(d.status, sizeof d.status, "open");
	assert_int_equal(store_checkin_day_insert(w->st, &d, &id), 0);
	d.elder_id = b;
	assert_int_equal(store_checkin_day_insert(w->st, &d, &d.id), 0);
	d.elder_id = a;
	d.day = day - 1;
	snprintf(d.status, sizeof d.status, "paused");
	assert_int_equal(store_checkin_day_insert(w->st, &d, &d.id), 0);
	checkins(w, day, &total, &checked);
	assert_int_equal(total, 2);
	assert_int_equal(checked, 0);
	checkins(w, day - 1, &total, &checked);	/* paused: not counted */
	assert_int_equal(total, 0);

	assert_int_equal(store_checkin_day_get(w->st, id, &d), 1);
	snprintf(d.status, sizeof d.status, "checked");
	d.checked_in_at = NOW;
	assert_int_equal(store_checkin_day_update(w->st, &d), 0);
	d.step = 1;				/* the status unchanged */
	assert_int_equal(store_checkin_day_update(w->st, &d), 0);
	checkins(w, day, &total, &checked);
	assert_int_equal(total, 2);
	assert_int_equal(checked, 1);

	/* The elder erased: their rows leave the tally. */
	assert_int_equal(store_person_forget(w->st, RESIDENT,
	    "+86139****0001"), 1);
	checkins(w, day, &total, &checked);
	assert_int_equal(total, 1);
	assert_int_equal(checked, 0);
}

/* The counts beside the page's trends: live rows, recent ends. */
/* SMS per local day in township (0: the county) over 30 days: the sum. */
static int64_t
traffic(struct world *w, enum store_report which, int64_t township)
{
	return scoped_sum(w, which, township);
}

/* A row to recipient sent at at (queued a minute before). */
static int64_t
sent(struct world *w, const char *recipient, time_t at)
{
	int64_t id;

	id = store_outbox_add(w->st, recipient, "好的", OUTBOX_REPLY, at - 60,
	    at + DAY, 0, at - 60);
	assert_true(id > 0);
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 1, at), 0);
	assert_int_equal(store_outbox_mark_sent(w->st, id, 1, 9, at), 0);
	return id;
}

static void
test_traffic_tally_follows_the_rows(void **state)
{
	struct world *w = *state;
	int64_t mz, yjg, id;

	mz = township_id(w, "MZ");
	yjg = township_id(w, "YJG");
	seed_two_townships(w);	/* 1 message in MZ, 2 in YJG, 1 nowhere */
	assert_int_equal(traffic(w, STORE_REPORT_IN_DAY, 0), 4);
	assert_int_equal(traffic(w, STORE_REPORT_IN_DAY, mz), 1);
	assert_int_equal(traffic(w, STORE_REPORT_IN_DAY, yjg), 2);

	/* Queued, sending, failed: not sent, not counted. */
	id = store_outbox_add(w->st, RESIDENT, "x", OUTBOX_REPLY, NOW - DAY,
	    NOW, 0, NOW - DAY);
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 1,
	    NOW - DAY), 0);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, 0), 0);
	assert_int_equal(store_outbox_mark_retry(w->st, id, NOW - DAY + 60,
	    "+CMS ERROR 500"), 0);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, 0), 0);
	/* Sent: in the recipient's township, and the county's. */
	sent(w, RESIDENT, NOW - 2 * DAY);
	id = sent(w, RESIDENT2, NOW - DAY);
	sent(w, "+8613800000009", NOW - DAY);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, 0), 3);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, mz), 1);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, yjg), 1);
	/* A sent row that leaves the sent state leaves the tally. */
	assert_int_equal(store_outbox_mark_final(w->st, id, OUTBOX_FAILED,
	    "withdrawn by hand", NOW), 0);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, 0), 2);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, yjg), 0);
	/* What retention deletes stays counted: it went through. */
	assert_true(store_prune(w->st, NOW + DAY, NOW + DAY, NOW + DAY) > 0);
	assert_int_equal(traffic(w, STORE_REPORT_IN_DAY, 0), 4);
	assert_int_equal(traffic(w, STORE_REPORT_OUT_DAY, 0), 2);
}

/* A metric's rows as "a/b=value" lines, in the order given. */
static void
metric_line_cb(const char *a, const char *b, int64_t v, void *arg)
{
	buf_printf(arg, "%s/%s=%lld\n", a, b, (long long)v);
}

static void
metric_lines(struct world *w, enum store_metric which, struct buf *b)
{
	buf_free(b);
	assert_int_equal(store_metric(w->st, which, 0, metric_line_cb, b), 0);
	if (b->data == NULL)
		buf_adds(b, "");
}

static void
modem_row_cb(const struct store_modem *m, void *arg)
{
	if (strcmp(m->name, "m1") == 0)
		*(struct store_modem *)arg = *m;
}

/* Modem m1's row as the status page reads it. */
static struct store_modem
modem_m1(struct world *w)
{
	struct store_modem m;

	memset(&m, 0, sizeof m);
	assert_int_equal(store_modem_list(w->st, modem_row_cb, &m), 0);
	assert_string_equal(m.name, "m1");
	return m;
}

static void
test_modem_tally_follows_the_rows(void **state)
{
	struct world *w = *state;
	struct store_modem m;
	struct buf b;
	int64_t q, id;

	memset(&b, 0, sizeof b);
	assert_int_equal(store_modem_set(w->st, "m1", "up", "", NOW), 0);
	assert_int_equal(store_modem_set(w->st, "m2", "up", "", NOW), 0);
	seed_two_townships(w);		/* 4 one-part texts on m1 */
	assert_true(store_call_add(w->st, "m1", RESIDENT, NOW) > 0);
	assert_true(store_call_add(w->st, "m2", RESIDENT, NOW) > 0);
	assert_true(store_call_add(w->st, "m1", CADRE, NOW) > 0);
	m = modem_m1(w);
	assert_int_equal(m.parts_received, 4);
	assert_int_equal(m.calls, 2);
	assert_int_equal(m.messages_sent, 0);
	metric_lines(w, STORE_METRIC_IN_BY_MODEM, &b);
	assert_string_equal(b.data, "m1/=4\n");

	/*
	 * Queued (no modem yet), handed to m1 and back for a retry twice
	 * (attempts 2: 1 beyond the first), handed again and sent in 3
	 * parts 40 s after it was queued; another sent at once; a third
	 * queued and left.
	 */
	id = store_outbox_add(w->st, RESIDENT, "好的", OUTBOX_REPLY, NOW - 40,
	    NOW + DAY, 0, NOW - 40);
	assert_true(id > 0);
	metric_lines(w, STORE_METRIC_OUT_BY_MODEM, &b);
	assert_string_equal(b.data, "/0=1\n");
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 3,
	    NOW - 30), 0);
	assert_int_equal(store_outbox_mark_retry(w->st, id, NOW - 25,
	    "+CMS ERROR 500"), 0);
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 3,
	    NOW - 20), 0);
	assert_int_equal(store_outbox_mark_retry(w->st, id, NOW - 15,
	    "+CMS ERROR 500"), 0);
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 3,
	    NOW - 10), 0);
	assert_int_equal(store_outbox_mark_sent(w->st, id, 3, 17, NOW), 0);
	sent(w, RESIDENT2, NOW);		/* 1 part, 60 s */
	q = store_outbox_add(w->st, CADRE, "通知", OUTBOX_BROADCAST, NOW,
	    NOW + DAY, 0, NOW);
	assert_true(q > 0);
	m = modem_m1(w);
	assert_int_equal(m.messages_sent, 2);
	assert_int_equal(m.parts_sent, 4);
	metric_lines(w, STORE_METRIC_OUT_BY_MODEM, &b);
	assert_string_equal(b.data, "/0=1\nm1/0=0\nm1/1=0\nm1/2=2\n");
	metric_lines(w, STORE_METRIC_RETRIES, &b);
	assert_string_equal(b.data, "/=1\n");
	metric_lines(w, STORE_METRIC_SEND_LATENCY, &b);
	assert_true(strstr(b.data, "/1=40\n") != NULL);
	assert_true(strstr(b.data, "/1=60\n") != NULL);

	/* A sent row withdrawn: out of the sent counts, into its state's. */
	assert_int_equal(store_outbox_mark_final(w->st, id, OUTBOX_FAILED,
	    "withdrawn by hand", NOW), 0);
	m = modem_m1(w);
	assert_int_equal(m.messages_sent, 1);
	assert_int_equal(m.parts_sent, 1);
	metric_lines(w, STORE_METRIC_SEND_LATENCY, &b);
	assert_string_equal(b.data, "/1=60\n");

	/*
	 * The cadre erased: the queued row to them leaves the queued count.
	 * The retention's deletes leave what went through counted.
	 */
	assert_int_equal(store_person_forget(w->st, CADRE,
	    "+86139****0003"), 1);
	assert_true(store_prune(w->st, NOW + DAY, NOW + DAY, NOW + DAY) > 0);
	m = modem_m1(w);
	assert_int_equal(m.messages_sent, 1);
	assert_int_equal(m.parts_received, 4);
	assert_int_equal(m.calls, 2);
	metric_lines(w, STORE_METRIC_IN_BY_MODEM, &b);
	assert_string_equal(b.data, "m1/=4\n");
	metric_lines(w, STORE_METRIC_OUT_BY_MODEM, &b);
	assert_true(strstr(b.data, "/0=0\n") != NULL);
	assert_true(strstr(b.data, "m1/2=1\n") != NULL);
	assert_true(strstr(b.data, "m1/3=1\n") != NULL);
	buf_free(&b);
}

static void
test_live_counts(void **state)
{
	struct world *w = *state;
	struct store_live l;
	int64_t id;

	/* Queued twice (one a reply); one sent now, one sent long ago;
	   one failed now. */
	assert_true(store_outbox_add(w->st, RESIDENT, "a", OUTBOX_REMINDER,
	    NOW, NOW + DAY, 0, NOW) > 0);
	assert_true(store_outbox_add(w->st, RESIDENT, "b", OUTBOX_REPLY,
	    NOW, NOW + DAY, 0, NOW) > 0);
	id = store_outbox_add(w->st, RESIDENT, "c", OUTBOX_REPLY, NOW,
	    NOW + DAY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 1, NOW), 0);
	assert_int_equal(store_outbox_mark_sent(w->st, id, 1, 7, NOW), 0);
	id = store_outbox_add(w->st, RESIDENT, "d", OUTBOX_REPLY,
	    NOW - 3 * DAY, NOW, 0, NOW - 3 * DAY);
	assert_int_equal(store_outbox_mark_sending(w->st, id, "m1", 1,
	    NOW - 3 * DAY), 0);
	assert_int_equal(store_outbox_mark_sent(w->st, id, 1, 8,
	    NOW - 3 * DAY), 0);
	id = store_outbox_add(w->st, RESIDENT, "e", OUTBOX_REPLY, NOW,
	    NOW + DAY, 0, NOW);
	assert_int_equal(store_outbox_mark_final(w->st, id, OUTBOX_FAILED,
	    "+CMS ERROR 38", NOW), 0);
	/* Tickets: open and overdue; accepted in time; closed. */
	ticket(w, w->village, "6001", "路灯坏了", 5, -1, -1, 0);
	ticket(w, w->village, "6002", "水管漏水", 1, 2, -1, 0);
	ticket(w, w->village, "6003", "低保没发", 9, 2, 30, 1);

	assert_int_equal(store_stats_live(w->st, NOW, NOW - DAY, &l), 0);
	assert_int_equal(l.outbox[OUTBOX_QUEUED], 2);
	assert_int_equal(l.queued_by_class[OUTBOX_REMINDER], 1);
	assert_int_equal(l.queued_by_class[OUTBOX_REPLY], 1);
	assert_int_equal(l.outbox[OUTBOX_SENDING], 0);
	assert_int_equal(l.outbox[OUTBOX_SENT], 1);
	assert_int_equal(l.outbox[OUTBOX_FAILED], 1);
	assert_int_equal(l.messages_pending, 0);
	assert_int_equal(l.tickets_open, 2);
	assert_int_equal(l.tickets_overdue, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_messages_per_local_day,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tickets_per_week_and_township, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_township_scope, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_township_page, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_month_report, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_checkin_tally_follows_the_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_traffic_tally_follows_the_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_modem_tally_follows_the_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_counts, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
