/*
 * test_checkin — the elderly check-in ladder (gateway/checkin.c) on an
 * in-memory store at fixed nows in Asia/Shanghai: each step at its time
 * and once, however often the scheduler runs; a check-in or a
 * confirmation stops it with an all-clear to whoever was alerted; a pause
 * keeps it quiet; local day boundaries.
 *
 * Run from the top of the source tree (for config/messages.zh.conf).
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

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"
#include "tests/unit/testdb.h"

#define ELDER		"+8613900000010"
#define DAUGHTER	"+8613900000011"
#define CADRE		"+8613900000003"
#define SUPERVISOR	"+8613900000009"
#define MIN		60

struct world {
	struct store		*st;
	struct config		*cf;
	struct template		*tpl;
	struct store_elder	 e;
	int			 day;		/* 2026-11-27 */
	time_t			 midnight;	/* its local midnight, UTC */
	int			 modem_up;	/* run() sends what it queued */
};

static int
setup(void **state)
{
	struct world *w;
	struct store_guardian g;
	char path[64], *cause = NULL;
	int64_t id;
	FILE *f;

	w = xcalloc(1, sizeof *w);
	snprintf(path, sizeof path, "/tmp/cungate-test-checkin-%d.conf",
	    (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[gateway]\ndatabase = :memory:\ntimezone = Asia/Shanghai\n"
	    "[checkin]\ndue = 09:30\nguardian_after = 60\ncadre_after = 180\n"
	    "township = 08:00\n", f);
	fclose(f);
	if ((w->cf = config_load(path, &cause)) == NULL)
		fail_msg("%s", cause);
	unlink(path);
	if ((w->tpl = template_load("config/messages.zh.conf", &cause)) ==
	    NULL)
		fail_msg("%s", cause);
	if ((w->st = store_open(test_db(), &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(checkin_day_parse("2026-11-27", &w->day), 0);
	w->midnight = checkin_midnight(w->cf, w->day);
	/* 2026-11-27 00:00 +08:00 */
	assert_int_equal((long long)w->midnight, 1795708800LL);
	assert_int_equal(store_township_add(w->st, "MZ", "米脂镇", 0,
	    &cause), 0);
	assert_int_equal(store_township_add_supervisor(w->st, "MZ",
	    SUPERVISOR, &cause), 0);
	assert_int_equal(store_village_add(w->st, "LJZ", "刘家庄", "MZ", 0,
	    &cause), 0);
	assert_int_equal(store_person_put(w->st, CADRE, "张明", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, 0, &cause), 1);
	assert_int_equal(store_person_put(w->st, ELDER, "王秀珍", "LJZ",
	    ROLE_RESIDENT | ROLE_ELDERLY, NULL, 0, &cause), 1);
	memset(&w->e, 0, sizeof w->e);
	assert_int_equal(store_elder_find(w->st, ELDER, &w->e), 0);
	snprintf(w->e.phone, sizeof w->e.phone, "%s", ELDER);
	w->e.person_id = 2;
	snprintf(w->e.cadre, sizeof w->e.cadre, "%s", CADRE);
	w->e.due_min = w->e.guardian_after = w->e.cadre_after = -1;
	w->e.township_min = w->e.confirm = -1;
	w->e.prompt_min = -2;
	w->e.start_day = w->day;
	assert_int_equal(store_elder_put(w->st, &w->e, &id), 0);
	memset(&g, 0, sizeof g);
	snprintf(g.phone, sizeof g.phone, "%s", DAUGHTER);
	snprintf(g.name, sizeof g.name, "王丽");
	snprintf(g.relation, sizeof g.relation, "女儿");
	assert_int_equal(store_guardian_put(w->st, id, &g), 0);
	assert_int_equal(store_elder_get(w->st, id, &w->e), 1);
	w->modem_up = 1;
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	store_close(w->st);
	template_free(w->tpl);
	config_free(w->cf);
	free(w);
	return 0;
}

/* A modem that is up: every row due by now goes, as the daemon's pump. */
static void
pump(struct world *w, time_t now)
{
	int64_t ids[64];
	int i, n;

	n = store_outbox_due(w->st, now, ids, 64);
	assert_int_not_equal(n, -1);
	for (i = 0; i < n; i++) {
		assert_int_equal(store_outbox_mark_sending(w->st, ids[i], "m1",
		    1, now), 0);
		assert_int_equal(store_outbox_mark_sent(w->st, ids[i], 1, 7,
		    now), 0);
	}
}

/*
 * Run the scheduler's check-in part at local minute m of day + d; what it
 * queues goes at once unless the test took the modem down.
 */
static int
run(struct world *w, int d, int m)
{
	struct checkin_ctx c = { w->st, w->cf, w->tpl, 0, "system", "system",
	    0 };
	int n;

	c.now = checkin_midnight(w->cf, w->day + d) + (time_t)m * MIN;
	assert_int_equal(store_begin(w->st), 0);
	n = checkin_sched_run(&c);
	assert_int_not_equal(n, -1);
	assert_int_equal(store_commit(w->st), 0);
	if (w->modem_up)
		pump(w, c.now);
	return n;
}

struct count {
	const char	*to;
	const char	*prefix;
	int		 n;
};

static void
count_cb(const struct store_outbox *o, void *arg)
{
	struct count *c = arg;

	if ((c->to == NULL || strcmp(o->recipient, c->to) == 0) &&
	    (c->prefix == NULL ||
	    strncmp(o->text, c->prefix, strlen(c->prefix)) == 0))
		c->n++;
}

/* Outbox rows to phone (NULL any) whose text starts with prefix. */
static int
sent(struct world *w, const char *to, const char *prefix)
{
	struct count c = { to, prefix, 0 };

	assert_int_equal(store_outbox_list(w->st, NULL, 100000, count_cb,
	    &c), 0);
	return c.n;
}

static struct store_checkin_day
row(struct world *w, int d)
{
	struct store_checkin_day r;

	assert_int_equal(store_checkin_day_find(w->st, w->e.id, w->day + d,
	    &r), 1);
	return r;
}

static void
test_ladder_steps_once(void **state)
{
	struct world *w = *state;
	int i;

	assert_int_equal(run(w, 0, 9 * 60 + 29), 0);
	assert_int_equal(sent(w, NULL, NULL), 0);
	for (i = 0; i < 3; i++)
		run(w, 0, 9 * 60 + 30);
	assert_int_equal(sent(w, ELDER, NULL), 1);
	assert_int_equal(row(w, 0).step, CHECKIN_STEP_REMIND);
	for (i = 0; i < 3; i++)
		run(w, 0, 10 * 60 + 30);
	assert_int_equal(sent(w, DAUGHTER, "平安提醒"), 1);
	assert_int_equal(sent(w, CADRE, NULL), 0);
	for (i = 0; i < 3; i++)
		run(w, 0, 12 * 60 + 30);
	assert_int_equal(sent(w, CADRE, "平安提醒"), 1);
	assert_int_equal(sent(w, SUPERVISOR, NULL), 0);
	/* The next day's 07:59 is not yet; 08:00 is, once. */
	run(w, 1, 7 * 60 + 59);
	assert_int_equal(sent(w, SUPERVISOR, NULL), 0);
	for (i = 0; i < 3; i++)
		run(w, 1, 8 * 60);
	assert_int_equal(sent(w, SUPERVISOR, "督办"), 1);
	assert_int_equal(row(w, 0).step, CHECKIN_STEP_TOWNSHIP);
	assert_string_equal(row(w, 0).status, "open");
	/* Five messages for day 0; the next day's ladder has not begun. */
	assert_int_equal(sent(w, NULL, NULL), 4);
	assert_int_equal(row(w, 1).step, 1);
}

static void
test_missed_ticks_catch_up_in_order(void **state)
{
	struct world *w = *state;

	/* Nothing ran all morning: at 13:00 every step so far, once. */
	assert_int_equal(run(w, 0, 13 * 60), 3);
	assert_int_equal(run(w, 0, 13 * 60), 0);
	assert_int_equal(sent(w, NULL, NULL), 3);
}

static void
test_late_checkin_all_clear(void **state)
{
	struct world *w = *state;
	struct checkin_ctx c = { w->st, w->cf, w->tpl, 0, ELDER, "sms", 0 };

	run(w, 0, 10 * 60 + 30);
	c.now = w->midnight + 11 * 3600;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_record(&c, &w->e, "keyword", 1), 1);
	assert_int_equal(checkin_record(&c, &w->e, "sms", 0), 0);
	assert_int_equal(store_commit(w->st), 0);
	assert_int_equal(sent(w, DAUGHTER, "平安："), 1);
	assert_int_equal(sent(w, ELDER, "王秀珍您好，今天的平安"), 1);
	assert_string_equal(row(w, 0).status, "checked");
	run(w, 0, 12 * 60 + 30);
	run(w, 1, 8 * 60);
	assert_int_equal(sent(w, CADRE, NULL), 0);
	assert_int_equal(sent(w, SUPERVISOR, NULL), 0);
}

static void
test_early_checkin_no_ladder_and_day_boundary(void **state)
{
	struct world *w = *state;
	struct checkin_ctx c = { w->st, w->cf, w->tpl, 0, ELDER, "call", 0 };

	/* 23:59 the day before counts for that day, not this one. */
	c.now = w->midnight - MIN;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_call(&c, ELDER), 1);
	assert_int_equal(store_commit(w->st), 0);
	assert_int_equal(row(w, -1).day, w->day - 1);
	run(w, 0, 9 * 60 + 30);
	assert_int_equal(sent(w, ELDER, "王秀珍您好，今天还没"), 1);
	/* 00:01 the next day: that day's ladder never starts. */
	c.now = checkin_midnight(w->cf, w->day + 1) + MIN;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_call(&c, ELDER), 1);
	assert_int_equal(checkin_call(&c, "+8613900000077"), 0);
	assert_int_equal(store_commit(w->st), 0);
	run(w, 1, 9 * 60 + 30);
	run(w, 1, 13 * 60);
	assert_int_equal(sent(w, ELDER, "王秀珍您好，今天还没"), 1);
	assert_string_equal(row(w, 1).status, "checked");
	assert_string_equal(row(w, 1).source, "call");
	/* The call also ended day 0's ladder (reminded, not alerted). */
	assert_string_equal(row(w, 0).status, "checked");
	assert_int_equal(sent(w, DAUGHTER, NULL), 0);
}

static void
test_confirm_stops_and_tells_the_alerted(void **state)
{
	struct world *w = *state;
	struct checkin_ctx c = { w->st, w->cf, w->tpl, 0, CADRE, "sms", 0 };

	run(w, 0, 12 * 60 + 30);
	c.now = w->midnight + 13 * 3600;
	assert_int_equal(store_begin(w->st), 0);
	/* The cadre confirmed: the daughter is told, not the cadre. */
	assert_int_equal(checkin_confirm(&c, &w->e, CADRE, "张明", "已上门"),
	    1);
	assert_int_equal(store_commit(w->st), 0);
	assert_int_equal(sent(w, DAUGHTER, "平安："), 1);
	assert_int_equal(sent(w, CADRE, "平安："), 0);
	assert_string_equal(row(w, 0).status, "confirmed");
	assert_string_equal(row(w, 0).note, "已上门");
	run(w, 1, 8 * 60);
	assert_int_equal(sent(w, SUPERVISOR, NULL), 0);
}

/*
 * No modem was up when the daughter's alert was queued; the elder checks
 * in before one is: the alert is withdrawn, and nobody gets an all-clear
 * for an alarm they never had. The cadre's, sent, gets one.
 */
static void
test_checkin_withdraws_alerts_not_yet_sent(void **state)
{
	struct world *w = *state;
	struct checkin_ctx c = { w->st, w->cf, w->tpl, 0, ELDER, "sms", 0 };
	struct store_stats ss;

	w->modem_up = 0;
	run(w, 0, 10 * 60 + 30);
	assert_int_equal(sent(w, DAUGHTER, "平安提醒"), 1);
	w->modem_up = 1;
	run(w, 0, 12 * 60 + 30);	/* the modem is back: both go */
	c.now = w->midnight + 13 * 3600;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_record(&c, &w->e, "keyword", 1), 1);
	assert_int_equal(store_commit(w->st), 0);
	assert_int_equal(sent(w, CADRE, "平安："), 1);
	assert_int_equal(sent(w, DAUGHTER, "平安："), 1);

	/* The next day the modem stays down through the alert. */
	w->modem_up = 0;
	run(w, 1, 10 * 60 + 30);
	assert_int_equal(sent(w, DAUGHTER, "平安提醒"), 2);
	c.now = checkin_midnight(w->cf, w->day + 1) + 11 * 3600;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_record(&c, &w->e, "keyword", 1), 1);
	assert_int_equal(store_commit(w->st), 0);
	assert_int_equal(sent(w, DAUGHTER, "平安："), 1);
	memset(&ss, 0, sizeof ss);
	assert_int_equal(store_stats(w->st, &ss), 0);
	assert_int_equal(ss.outbox[OUTBOX_WITHDRAWN], 1);
}

static void
test_pause_and_resume(void **state)
{
	struct world *w = *state;
	struct checkin_ctx c = { w->st, w->cf, w->tpl, 0, DAUGHTER, "sms", 0 };

	c.now = w->midnight + 8 * 3600;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_pause(&c, &w->e, 2), 0);
	assert_int_equal(store_commit(w->st), 0);
	run(w, 0, 13 * 60);
	run(w, 1, 13 * 60);
	assert_int_equal(sent(w, NULL, NULL), 0);
	assert_string_equal(row(w, 1).status, "paused");
	/* The pause ran out: day 2 has its ladder. */
	run(w, 2, 9 * 60 + 30);
	assert_int_equal(sent(w, ELDER, NULL), 1);
	/* Resume before the reminder reopens the day. */
	assert_int_equal(store_elder_get(w->st, w->e.id, &w->e), 1);
	c.now = checkin_midnight(w->cf, w->day + 3) + 60;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_pause(&c, &w->e, 5), 0);
	assert_int_equal(store_commit(w->st), 0);
	run(w, 3, 1);		/* makes day 3's row, paused */
	assert_string_equal(row(w, 3).status, "paused");
	c.now += 3600;
	assert_int_equal(store_begin(w->st), 0);
	assert_int_equal(checkin_resume(&c, &w->e), 0);
	assert_int_equal(store_commit(w->st), 0);
	run(w, 3, 9 * 60 + 30);
	assert_int_equal(sent(w, ELDER, NULL), 2);
}

static void
test_days(void **state)
{
	struct world *w = *state;
	char s[11];
	int d, m;

	assert_string_equal(checkin_day_format(w->day, s), "2026-11-27");
	assert_int_equal(checkin_day_parse("1970-01-01", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(checkin_day_parse("2024-02-29", &d), 0);
	assert_string_equal(checkin_day_format(d + 1, s), "2024-03-01");
	assert_int_equal(checkin_day_parse("2024-2-3x", &d), -1);
	/* 00:00 local is 16:00 UTC the day before. */
	assert_int_equal(checkin_day_of(w->cf, w->midnight), w->day);
	assert_int_equal(checkin_day_of(w->cf, w->midnight - 1), w->day - 1);
	assert_int_equal(checkin_clock_parse("09:30", &m), 0);
	assert_int_equal(m, 570);
	assert_int_equal(checkin_clock_parse("24:00", &m), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ladder_steps_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_missed_ticks_catch_up_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_checkin_all_clear,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_early_checkin_no_ladder_and_day_boundary, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_confirm_stops_and_tells_the_alerted, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_checkin_withdraws_alerts_not_yet_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_and_resume, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_days, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
