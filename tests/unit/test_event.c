/*
 * test_event — village events and notices (gateway/event.c, notice.c) on
 * an in-memory store at a fixed now: places, the waiting list and
 * promotion, who may sign up, the day-before reminder run any number of
 * times, closing, dates, counting SMS parts and the opt-out hint, and
 * notices held for confirmation.
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

#include "gateway/config.h"
#include "gateway/event.h"
#include "gateway/notice.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"
#include "tests/unit/testdb.h"

/* 2026-11-27 00:00 UTC: 08:00 in Asia/Shanghai. */
#define NOW		1795737600
#define DAY		86400
#define R1		"+8613900000001"
#define R2		"+8613900000002"
#define R3		"+8613900000003"
#define CADRE		"+8613900000009"
#define OTHER		"+8613900000005"

struct world {
	struct store		*st;
	struct config		*cf;
	struct template		*tpl;
	struct event_ctx	 ec;
	struct store_village	 ljz;
};

static int
setup(void **state)
{
	struct world *w;
	char path[64], *cause = NULL;
	FILE *f;

	w = xcalloc(1, sizeof *w);
	snprintf(path, sizeof path, "/tmp/cungate-test-event-%d.conf",
	    (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[gateway]\ndatabase = :memory:\n"
	    "[notice]\nconfirm_above = 2\n", f);
	fclose(f);
	if ((w->cf = config_load(path, &cause)) == NULL)
		fail_msg("%s", cause);
	unlink(path);
	if ((w->tpl = template_load("config/messages.zh.conf", &cause)) ==
	    NULL)
		fail_msg("%s", cause);
	if ((w->st = store_open(test_db(), &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_township_add(w->st, "MZ", "米脂镇", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "LJZ", "刘家庄", "MZ", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "WJC", "王家村", "MZ", NOW,
	    &cause), 0);
	assert_int_equal(store_person_put(w->st, R1, "王秀英", "LJZ",
	    ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, R2, "李建国", "LJZ",
	    ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, R3, "赵四", "LJZ",
	    ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, CADRE, "张明", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, OTHER, "钱五", "WJC",
	    ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_village_find(w->st, "LJZ", &w->ljz), 1);
	w->ec.st = w->st;
	w->ec.cf = w->cf;
	w->ec.tpl = w->tpl;
	w->ec.now = NOW;
	w->ec.actor = CADRE;
	w->ec.channel = "sms";
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

/* Outbox rows to phone whose text holds needle. */
struct count {
	const char	*to;
	const char	*needle;
	int		 n;
	enum outbox_class class;
};

static void
count_cb(const struct store_outbox *o, void *arg)
{
	struct count *c = arg;

	if ((c->to != NULL && strcmp(o->recipient, c->to) != 0) ||
	    strstr(o->text, c->needle) == NULL)
		return;
	c->n++;
	c->class = o->class;
}

static int
count(struct world *w, const char *to, const char *needle)
{
	struct count c = { to, needle, 0, 0 };

	assert_int_equal(store_outbox_list(w->st, NULL, 100000, count_cb, &c),
	    0);
	return c.n;
}

/* An event of LJZ with capacity places, starting in days at 09:00. */
static void
publish(struct world *w, int days, int capacity, struct store_event *e)
{
	time_t at;
	int day = (int)((NOW + 8 * 3600) / DAY) + days;

	at = (time_t)day * DAY - 8 * 3600 + 9 * 3600;
	assert_int_equal(event_publish(&w->ec, &w->ljz, at, capacity, "义诊",
	    "村部", e), 0);
}

static void
reload(struct world *w, struct store_event *e)
{
	assert_int_equal(store_event_get(w->st, e->id, e), 1);
}

static void
test_places_waiting_and_promotion(void **state)
{
	struct world *w = *state;
	struct store_event e;
	int pos;

	publish(w, 3, 2, &e);
	assert_true(strlen(e.code) >= 2 && strlen(e.code) <= 4);
	assert_string_equal(e.status, "open");
	assert_int_equal(event_signup(&w->ec, &e, R1, &pos), EVENT_CONFIRMED);
	assert_int_equal(pos, 1);
	reload(w, &e);
	assert_int_equal(event_signup(&w->ec, &e, R2, &pos), EVENT_CONFIRMED);
	assert_int_equal(pos, 2);
	reload(w, &e);
	assert_int_equal(event_signup(&w->ec, &e, R3, &pos), EVENT_WAITING);
	assert_int_equal(pos, 1);
	reload(w, &e);
	/* Twice: answered, not counted. */
	assert_int_equal(event_signup(&w->ec, &e, R1, &pos),
	    EVENT_ALREADY_CONFIRMED);
	assert_int_equal(pos, 1);
	assert_int_equal(event_signup(&w->ec, &e, R3, &pos),
	    EVENT_ALREADY_WAITING);
	reload(w, &e);
	assert_int_equal(e.confirmed, 2);
	assert_int_equal(e.waiting, 1);

	/* A freed place goes to the first waiting, who is told. */
	assert_int_equal(event_cancel(&w->ec, &e, R1), 1);
	reload(w, &e);
	assert_int_equal(e.confirmed, 2);
	assert_int_equal(e.waiting, 0);
	assert_int_equal(event_position(&w->ec, &e, R3), 2);
	assert_int_equal(event_position(&w->ec, &e, R2), 1);
	assert_int_equal(event_position(&w->ec, &e, R1), 0);
	assert_int_equal(count(w, R3, "好消息"), 1);
	/* Nothing to cancel twice. */
	assert_int_equal(event_cancel(&w->ec, &e, R1), 0);
	assert_int_equal(event_cancel(&w->ec, &e, OTHER), 0);
	/* Back again: full, so the end of the waiting list. */
	assert_int_equal(event_signup(&w->ec, &e, R1, &pos), EVENT_WAITING);
	assert_int_equal(pos, 1);
}

static void
test_who_may_join(void **state)
{
	struct world *w = *state;
	struct store_event e;
	struct store_person p;

	publish(w, 3, 5, &e);
	assert_int_equal(store_person_find(w->st, R1, &p), 1);
	assert_int_equal(event_may_join(&w->ec, &e, &p), 1);
	assert_int_equal(store_person_find(w->st, OTHER, &p), 1);
	assert_int_equal(event_may_join(&w->ec, &e, &p), 0);
	assert_int_equal(event_may_join(&w->ec, &e, NULL), 0);
	w->cf->event_township_wide = 1;
	assert_int_equal(event_may_join(&w->ec, &e, &p), 1);
}

static void
test_reminder_once_then_closed(void **state)
{
	struct world *w = *state;
	struct store_event e;
	int pos, i;

	publish(w, 3, 5, &e);
	assert_int_equal(event_signup(&w->ec, &e, R1, &pos), EVENT_CONFIRMED);
	reload(w, &e);
	assert_int_equal(event_signup(&w->ec, &e, R2, &pos), EVENT_CONFIRMED);
	/* The day before at 18:00 local (10:00 UTC). */
	assert_int_equal(e.remind_at, e.starts_at - 9 * 3600 - 6 * 3600);
	w->ec.now = e.remind_at - 60;
	assert_int_equal(event_sched_run(&w->ec), 0);
	assert_int_equal(count(w, NULL, "提醒"), 0);
	for (i = 0; i < 3; i++) {
		w->ec.now = e.remind_at + i * 600;
		assert_int_equal(event_sched_run(&w->ec), i == 0 ? 1 : 0);
	}
	assert_int_equal(count(w, R1, "提醒"), 1);
	assert_int_equal(count(w, R2, "提醒"), 1);
	assert_int_equal(count(w, CADRE, "提醒"), 0);
	w->ec.now = e.starts_at;
	assert_int_equal(event_sched_run(&w->ec), 1);
	reload(w, &e);
	assert_string_equal(e.status, "closed");
	/* A closed event's code is free again. */
	assert_int_equal(store_event_find(w->st, e.code, &e), 1);
}

static void
test_dates(void **state)
{
	struct world *w = *state;
	time_t at;

	/* NOW is 2026-11-27 08:00 local. */
	assert_int_equal(event_date(w->cf, NOW, 11, 30, 9 * 60, &at), 0);
	assert_int_equal(at, NOW + 3 * DAY + 3600);
	assert_int_equal(event_date(w->cf, NOW, 11, 27, 9 * 60, &at), 0);
	assert_int_equal(at, NOW + 3600);
	/* Passed: next year. */
	assert_int_equal(event_date(w->cf, NOW, 11, 26, 9 * 60, &at), 0);
	assert_true(at > NOW + 300 * DAY);
	assert_int_equal(event_date(w->cf, NOW, 13, 1, 9 * 60, &at), -1);
	assert_int_equal(event_date(w->cf, NOW, 2, 30, 9 * 60, &at), -1);
	assert_int_equal(event_date(w->cf, NOW, 4, 31, 9 * 60, &at), -1);
}

static void
test_parts_and_hint(void **state)
{
	char s[400], *t;
	int i;

	(void)state;
	assert_int_equal(notice_is_gsm7("Water off at 8 {@}"), 1);
	assert_int_equal(notice_is_gsm7("停水"), 0);
	assert_int_equal(notice_is_gsm7("château"), 0);
	assert_int_equal(notice_parts(""), 1);
	memset(s, 'a', 160);
	s[160] = '\0';
	assert_int_equal(notice_parts(s), 1);
	s[160] = 'a';
	s[161] = '\0';
	assert_int_equal(notice_parts(s), 2);
	memset(s, 'a', 306);
	s[306] = '\0';
	assert_int_equal(notice_parts(s), 2);
	s[306] = 'a';
	s[307] = '\0';
	assert_int_equal(notice_parts(s), 3);
	/* Extension characters take two septets. */
	memset(s, '{', 80);
	s[80] = '\0';
	assert_int_equal(notice_parts(s), 1);
	s[80] = '{';
	s[81] = '\0';
	assert_int_equal(notice_parts(s), 2);
	/* UCS-2: 70, then 67 per part; outside the BMP counts two. */
	s[0] = '\0';
	for (i = 0; i < 70; i++)
		strcat(s, "村");
	assert_int_equal(notice_parts(s), 1);
	strcat(s, "村");
	assert_int_equal(notice_parts(s), 2);
	s[0] = '\0';
	for (i = 0; i < 69; i++)
		strcat(s, "村");
	strcat(s, "😀");
	assert_int_equal(notice_parts(s), 2);

	/* The hint only when it costs no part. */
	t = notice_with_hint("明早开会", "回T退订");
	assert_string_equal(t, "明早开会回T退订");
	free(t);
	s[0] = '\0';
	for (i = 0; i < 67; i++)
		strcat(s, "村");
	t = notice_with_hint(s, "回T退订");
	assert_string_equal(t, s);
	free(t);
	/* ASCII text turns UCS-2 with a Chinese hint: 100 chars won't fit. */
	memset(s, 'a', 100);
	s[100] = '\0';
	t = notice_with_hint(s, "回T退订");
	assert_string_equal(t, s);
	free(t);
}

static void
test_notice_confirmation(void **state)
{
	struct world *w = *state;
	struct notice_ctx nc = { w->st, w->cf, w->tpl, NOW, CADRE, "sms", 0 };
	struct store_notice n;
	struct store_prompt p;

	/* R2 opted out; the cadre is the sender: R1 and R3 get it. */
	assert_int_equal(store_person_set_opted_out(w->st, R2, 1, NOW), 1);
	assert_int_equal(notice_create(&nc, &w->ljz, "明早开会", CADRE, 0,
	    &n), 1);
	assert_int_equal(n.recipients, 2);
	assert_int_equal(n.parts, 2);
	assert_int_equal(count(w, R1, "明早开会回T退订"), 1);
	assert_int_equal(count(w, R3, "明早开会"), 1);
	assert_int_equal(count(w, R2, "明早开会"), 0);
	assert_int_equal(count(w, CADRE, "明早开会"), 0);

	/* Above confirm_above (2 parts): held, a prompt to the sender. */
	store_person_set_opted_out(w->st, R2, 0, NOW);
	assert_int_equal(notice_create(&nc, &w->ljz, "周六大扫除", CADRE, 0,
	    &n), 0);
	assert_int_equal(n.parts, 3);
	assert_string_equal(n.status, "pending");
	assert_int_equal(count(w, NULL, "周六大扫除"), 0);
	assert_int_equal(store_prompt_open(w->st, CADRE, NOW, &p), 1);
	assert_string_equal(p.kind, NOTICE_PROMPT_KIND);
	assert_int_equal(p.object_id, n.id);
	/* Too late: nothing goes. */
	nc.now = NOW + 11 * 60;
	assert_int_equal(notice_confirm(&nc, n.id, &n), 0);
	assert_int_equal(count(w, NULL, "周六大扫除"), 0);
	assert_int_equal(notice_sched_run(&nc), 1);
	assert_int_equal(store_notice_get(w->st, n.id, &n), 1);
	assert_string_equal(n.status, "expired");

	/* In time: every recipient once. */
	nc.now = NOW;
	assert_int_equal(notice_create(&nc, &w->ljz, "周日停水", CADRE, 0,
	    &n), 0);
	nc.now = NOW + 5 * 60;
	assert_int_equal(notice_confirm(&nc, n.id, &n), 1);
	assert_int_equal(notice_confirm(&nc, n.id, &n), 0);
	assert_int_equal(count(w, NULL, "周日停水"), 3);
	assert_int_equal(count(w, R2, "周日停水"), 1);
	assert_string_equal(n.status, "sent");
	/* The estimate: at least a minute on. */
	assert_true(notice_done_at(&nc, 1) >= nc.now + 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_places_waiting_and_promotion,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_may_join, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reminder_once_then_closed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dates, setup, teardown),
		cmocka_unit_test(test_parts_and_hint),
		cmocka_unit_test_setup_teardown(test_notice_confirmation, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
