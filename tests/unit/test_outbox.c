/* outbox: TTL, backoff, the per-recipient cap, retries, with a fixed now. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/config.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "tests/unit/testdb.h"

#define NOW 1795737600
#define ALICE "+8613900000001"
#define BOB "+8613900000002"

static struct config cf = {
	.country_code = "86",
	.timezone = "Asia/Shanghai",
	.recipient_hourly_cap = 3,
	.max_attempts = 3,
	.retry_backoff = 30,
};

static int
setup(void **state)
{
	char *cause = NULL;

	*state = store_open(test_db(), &cause);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	store_close(*state);
	return 0;
}

static struct store_outbox
row(struct store *st, int64_t id)
{
	struct store_outbox o;

	assert_int_equal(store_outbox_get(st, id, &o), 1);
	store_outbox_clear(&o);
	return o;
}

/* outbox_admit with config c on the row as stored now. */
static int
outbox_store_admit_at_cf(struct store *st, const struct config *c,
    int64_t id, time_t now)
{
	struct store_outbox o;
	int rc;

	assert_int_equal(store_outbox_get(st, id, &o), 1);
	rc = outbox_admit(st, c, &o, now);
	store_outbox_clear(&o);
	return rc;
}

static int
outbox_store_admit_at(struct store *st, int64_t id, time_t now)
{
	return outbox_store_admit_at_cf(st, &cf, id, now);
}

static void
test_ttl_and_backoff(void **state)
{
	(void)state;
	assert_true(outbox_ttl(OUTBOX_REMINDER) < outbox_ttl(OUTBOX_BROADCAST));
	assert_int_equal(outbox_backoff(&cf, 0), 30);
	assert_int_equal(outbox_backoff(&cf, 1), 60);
	assert_int_equal(outbox_backoff(&cf, 3), 240);
	assert_int_equal(outbox_backoff(&cf, 50), 3600);
}

static void
test_expired_rows_are_not_sent(void **state)
{
	struct store *st = *state;
	struct store_outbox o;
	int64_t id;

	id = outbox_queue(st, ALICE, "过期", OUTBOX_REMINDER, 0, NOW);
	o = row(st, id);
	assert_int_equal(o.expires_at, NOW + outbox_ttl(OUTBOX_REMINDER));
	assert_int_equal(outbox_store_admit_at(st, id, NOW + 10), 1);
	assert_int_equal(outbox_store_admit_at(st, id,
	    NOW + outbox_ttl(OUTBOX_REMINDER)), 0);
	assert_int_equal(row(st, id).state, OUTBOX_EXPIRED);
}

static void
test_recipient_cap_defers_but_not_urgent(void **state)
{
	struct store *st = *state;
	int64_t id, i;
	int one = 1;

	for (i = 0; i < 3; i++) {
		id = outbox_queue(st, ALICE, "回复", OUTBOX_REPLY, 0, NOW);
		assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW),
		    0);
		assert_int_equal(outbox_sent(st, id, "m1", 1, &one, 1, NOW), 0);
	}
	id = outbox_queue(st, ALICE, "第四条", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(outbox_store_admit_at(st, id, NOW + 1), 0);
	assert_int_equal(row(st, id).state, OUTBOX_QUEUED);
	assert_true(row(st, id).next_attempt_at > NOW + 1);
	/* An hour later the cap has room again. */
	assert_int_equal(outbox_store_admit_at(st, id, NOW + 3601), 1);
	/* Safety alerts are never held back by the cap. */
	id = outbox_queue(st, ALICE, "紧急", OUTBOX_URGENT, 0, NOW);
	assert_int_equal(outbox_store_admit_at(st, id, NOW + 1), 1);
	/* Another recipient is not affected. */
	id = outbox_queue(st, "+8613900000002", "回复", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(outbox_store_admit_at(st, id, NOW + 1), 1);
}

static void
test_retries_back_off_and_end(void **state)
{
	struct store *st = *state;
	struct store_outbox o;
	int64_t id;

	id = outbox_queue(st, ALICE, "重试", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW), 0);
	assert_int_equal(outbox_failed(st, &cf, id, 0, "+CMS ERROR: 38", NOW),
	    0);
	o = row(st, id);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	assert_int_equal(o.attempts, 1);
	assert_int_equal(o.next_attempt_at, NOW + outbox_backoff(&cf, 0));
	assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW), 0);
	assert_int_equal(outbox_lost(st, &cf, id, NOW), 0);
	o = row(st, id);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	assert_int_equal(o.attempts, 2);
	assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW), 0);
	assert_int_equal(outbox_failed(st, &cf, id, 0, "again", NOW), 0);
	o = row(st, id);
	assert_int_equal(o.state, OUTBOX_FAILED);
	assert_int_equal(o.attempts, 3);

	id = outbox_queue(st, ALICE, "坏号码", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW), 0);
	assert_int_equal(outbox_failed(st, &cf, id, 1, "invalid number", NOW),
	    0);
	assert_int_equal(row(st, id).state, OUTBOX_FAILED);
}

static void
test_quiet_hours_hold_all_but_urgent_and_direct_replies(void **state)
{
	struct store *st = *state;
	struct config quiet = cf;
	struct store_part p;
	time_t night, morning;
	int64_t bc, urgent, reply, mid, pid;

	quiet.quiet_start = 21 * 60;
	quiet.quiet_end = 7 * 60;
	assert_int_equal(tz_parse("Asia/Shanghai", "2026-11-27 23:30",
	    &night), 0);
	assert_int_equal(tz_parse("Asia/Shanghai", "2026-11-28 07:00",
	    &morning), 0);
	bc = outbox_queue(st, ALICE, "通知", OUTBOX_BROADCAST, 0, night);
	urgent = outbox_queue(st, ALICE, "求助", OUTBOX_URGENT, 0, night);
	assert_int_equal(outbox_store_admit_at_cf(st, &quiet, bc, night), 0);
	assert_int_equal(row(st, bc).next_attempt_at, morning);
	assert_int_equal(outbox_store_admit_at_cf(st, &quiet, urgent, night),
	    1);
	/* Alice texted just now: the answer to her goes at once. */
	memset(&p, 0, sizeof p);
	p.modem = "m1";
	p.sender = ALICE;
	p.total = p.seq = 1;
	p.text = "帮助";
	assert_int_equal(store_part_insert(st, &p, &pid), 1);
	assert_int_equal(store_part_complete(st, pid, night, &mid), 1);
	reply = outbox_queue(st, ALICE, "回复", OUTBOX_REPLY, mid, night);
	assert_int_equal(outbox_store_admit_at_cf(st, &quiet, reply, night),
	    1);
	/* The same reply class to someone else waits for the morning. */
	reply = outbox_queue(st, "+8613900000002", "转告", OUTBOX_REPLY, mid,
	    night);
	assert_int_equal(outbox_store_admit_at_cf(st, &quiet, reply, night),
	    0);
	/* Outside quiet hours everything goes; start == end means none. */
	assert_int_equal(outbox_store_admit_at_cf(st, &quiet, bc, morning), 1);
	quiet.quiet_start = quiet.quiet_end = 0;
	assert_int_equal(outbox_store_admit_at_cf(st, &quiet, reply, night),
	    1);
}

static void
test_a_lost_job_is_settled_by_a_late_status_report(void **state)
{
	struct store *st = *state;
	struct config_modem m1 = { .name = "m1", .delivery_reports = 1 };
	struct config c = cf;
	struct store_outbox o;
	int64_t id, got = 0;
	int refs[2] = { 41, 42 };

	c.modems = &m1;
	c.nmodems = 1;
	id = outbox_queue(st, ALICE, "回复", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW), 0);
	/* The worker died: held for a report, not sent again at once. */
	assert_int_equal(outbox_lost(st, &c, id, NOW), 0);
	o = row(st, id);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	assert_true(o.next_attempt_at >= NOW + 15);
	/* A report from another modem or to another phone does not match. */
	assert_int_equal(outbox_settle(st, "m2", ALICE, 7, "delivered",
	    NOW + 1, &got), 0);
	assert_int_equal(outbox_settle(st, "m1", "+8613900000002", 7,
	    "delivered", NOW + 1, &got), 0);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 7, "delivered",
	    NOW + 2, &got), 2);
	assert_int_equal(got, id);
	o = row(st, id);
	assert_int_equal(o.state, OUTBOX_SENT);
	assert_string_equal(o.delivery, "delivered");
	/* The part the report proves is on record, so the counts agree. */
	assert_int_equal(o.parts, 1);
	assert_int_equal(o.msgref, 7);
	assert_int_equal(store_outbox_parts_since(st, "m1", NOW - 60), 1);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 7, "delivered",
	    NOW + 3, &got), 0);
	/* A report for a part on record updates its row's delivery. */
	id = outbox_queue(st, ALICE, "两段", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, id, "m1", 1, NOW), 0);
	assert_int_equal(outbox_sent(st, id, "m1", 2, refs, 2, NOW), 0);
	assert_int_equal(store_outbox_report(st, "m1", 41, ALICE, "delivered",
	    NOW + 5, &got), 1);
	assert_string_equal(row(st, id).delivery, "pending");
	assert_int_equal(store_outbox_report(st, "m1", 42, ALICE, "delivered",
	    NOW + 6, &got), 1);
	assert_string_equal(row(st, id).delivery, "delivered");
	assert_int_equal(row(st, id).delivered_at, NOW + 6);
	assert_int_equal(store_outbox_report(st, "m1", 43, ALICE, "delivered",
	    NOW + 6, &got), 0);
}

/*
 * A long message in doubt: each part's report proves one more part, in any
 * order, across the wrap of references at 256; it is sent once every part
 * is proven, and until then stays in doubt (at its deadline only the parts
 * not on record go again). Another message in doubt to the same phone is
 * settled by its own reports, not taken for a part of the first.
 */
static void
test_a_long_message_in_doubt_is_settled_part_by_part(void **state)
{
	struct store *st = *state;
	struct config_modem m1 = { .name = "m1", .delivery_reports = 1 };
	struct config c = cf;
	struct store_outbox o;
	char held[sizeof o.modem];
	uint64_t mask;
	int64_t a, b, got = 0;

	c.modems = &m1;
	c.nmodems = 1;
	a = outbox_queue(st, ALICE, "三段", OUTBOX_REPLY, 0, NOW);
	b = outbox_queue(st, ALICE, "两段", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, a, "m1", 3, NOW), 0);
	assert_int_equal(store_outbox_mark_sending(st, b, "m1", 2, NOW), 0);
	assert_int_equal(outbox_recover(st, &c, NOW + 1), 2);
	/* a went as references 255, 0, 1; b as 2, 3. Reports out of order. */
	assert_int_equal(outbox_settle(st, "m1", ALICE, 0, "delivered",
	    NOW + 5, &got), 3);
	assert_int_equal(got, a);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 255, "delivered",
	    NOW + 6, &got), 3);
	assert_int_equal(got, a);
	/* Two of three proven: still in doubt, its parts on record. */
	o = row(st, a);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	assert_int_equal(store_outbox_parts_on_record(st, a, held,
	    sizeof held, &mask), 2);
	assert_string_equal(held, "m1");
	assert_true(mask == 3);
	/* 3 cannot be a's (255 .. 3 is more than 3 parts): b's first. */
	assert_int_equal(outbox_settle(st, "m1", ALICE, 3, "delivered",
	    NOW + 7, &got), 3);
	assert_int_equal(got, b);
	/* 2 is next to b's 3 and too far from a's 255: b is whole. */
	assert_int_equal(outbox_settle(st, "m1", ALICE, 2, "failed",
	    NOW + 8, &got), 2);
	assert_int_equal(got, b);
	o = row(st, b);
	assert_int_equal(o.state, OUTBOX_SENT);
	assert_int_equal(o.parts, 2);
	assert_string_equal(o.delivery, "failed");
	assert_int_equal(row(st, a).state, OUTBOX_QUEUED);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 1, "delivered",
	    NOW + 9, &got), 2);
	assert_int_equal(got, a);
	assert_int_equal(row(st, a).state, OUTBOX_SENT);
	assert_int_equal(row(st, a).parts, 3);
	assert_string_equal(row(st, a).delivery, "delivered");
	/* Every part proven: the same report again matches nothing new. */
	assert_int_equal(outbox_settle(st, "m1", ALICE, 1, "delivered",
	    NOW + 10, &got), 0);
	assert_int_equal(store_outbox_parts_since(st, "m1", NOW - 60), 5);
}

/*
 * Two messages to one phone in doubt after a crash: a worker sends its
 * jobs in the order it got them, so a report of an unknown reference is
 * the first handed over, not the lower id.
 */
static void
test_a_report_settles_the_first_handed_over(void **state)
{
	struct store *st = *state;
	struct config_modem m1 = { .name = "m1", .delivery_reports = 1 };
	struct config c = cf;
	int64_t a, b, got = 0;

	c.modems = &m1;
	c.nmodems = 1;
	a = outbox_queue(st, ALICE, "先排队的", OUTBOX_REMINDER, 0, NOW);
	b = outbox_queue(st, ALICE, "先交给短信猫的", OUTBOX_URGENT, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, b, "m1", 1, NOW), 0);
	assert_int_equal(store_outbox_mark_sending(st, a, "m1", 1, NOW + 1),
	    0);
	assert_int_equal(outbox_recover(st, &c, NOW + 2), 2);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 9, "delivered",
	    NOW + 3, &got), 2);
	assert_int_equal(got, b);
	assert_int_equal(row(st, b).state, OUTBOX_SENT);
	assert_int_equal(row(st, a).state, OUTBOX_QUEUED);
}

/*
 * Two doubts, one older: a message lost with its worker a minute ago that
 * never went, and one in the air at a later crash. The report of the
 * later one's part (the reference after the last its modem had on record
 * then) settles the later one; the older one is not taken for sent.
 */
static void
test_a_report_is_not_taken_for_an_older_doubt(void **state)
{
	struct store *st = *state;
	struct config_modem m1 = { .name = "m1", .delivery_reports = 1 };
	struct config c = cf;
	int64_t old, x, cur, got = 0;

	c.modems = &m1;
	c.nmodems = 1;
	x = outbox_queue(st, BOB, "别人的", OUTBOX_REPLY, 0, NOW);
	old = outbox_queue(st, ALICE, "没发出去的", OUTBOX_REPLY, 0, NOW);
	cur = outbox_queue(st, ALICE, "发出去了的", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, x, "m1", 1, NOW), 0);
	assert_int_equal(outbox_part_sent(st, x, 1, "m1", 15, NOW), 0);
	assert_int_equal(store_outbox_mark_sending(st, old, "m1", 1, NOW), 0);
	assert_int_equal(outbox_lost(st, &c, old, NOW + 1), 0);
	/* A minute of traffic on m1: references 16 .. 42 on record. */
	assert_int_equal(outbox_sent(st, x, "m1", 1, (int[]){ 42 }, 1,
	    NOW + 60), 0);
	assert_int_equal(store_outbox_mark_sending(st, cur, "m1", 1, NOW + 61),
	    0);
	assert_int_equal(outbox_recover(st, &c, NOW + 62), 1);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 43, "delivered",
	    NOW + 63, &got), 2);
	assert_int_equal(got, cur);
	assert_int_equal(row(st, cur).state, OUTBOX_SENT);
	assert_int_equal(row(st, old).state, OUTBOX_QUEUED);
}

/*
 * Part 1 went on one attempt, part 2 on the next, and the daemon died
 * before hearing of part 2: part 2's report, a reference far from part
 * 1's, still settles the message (it lies just after the doubt's).
 */
static void
test_a_part_sent_again_later_is_settled_by_its_report(void **state)
{
	struct store *st = *state;
	struct config_modem m1 = { .name = "m1", .delivery_reports = 1 };
	struct config c = cf;
	int64_t a, x, got = 0;

	c.modems = &m1;
	c.nmodems = 1;
	a = outbox_queue(st, ALICE, "两段", OUTBOX_REPLY, 0, NOW);
	x = outbox_queue(st, BOB, "别人的", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, a, "m1", 2, NOW), 0);
	assert_int_equal(outbox_part_sent(st, a, 1, "m1", 126, NOW), 0);
	assert_int_equal(outbox_failed(st, &c, a, 0, "part 2/2: +CMS ERROR 38",
	    NOW + 1), 0);
	/* Others' traffic meanwhile: m1 is at reference 182. */
	assert_int_equal(store_outbox_mark_sending(st, x, "m1", 1, NOW + 30),
	    0);
	assert_int_equal(outbox_sent(st, x, "m1", 1, (int[]){ 182 }, 1,
	    NOW + 31), 0);
	/* Part 2 alone goes (reference 183); the daemon dies. */
	assert_int_equal(store_outbox_mark_sending(st, a, "m1", 2, NOW + 60),
	    0);
	assert_int_equal(outbox_recover(st, &c, NOW + 61), 1);
	assert_int_equal(outbox_settle(st, "m1", ALICE, 183, "delivered",
	    NOW + 62, &got), 2);
	assert_int_equal(got, a);
	assert_int_equal(row(st, a).state, OUTBOX_SENT);
	assert_int_equal(row(st, a).parts, 2);
}

/*
 * The worker says of each part that the network took it as it goes. If it
 * dies after all of them, the message went: sent, no doubt. If it dies
 * between them, the message is in doubt, and a report of a part on record
 * settles it with the parts that went.
 */
static void
test_parts_on_record_leave_no_doubt(void **state)
{
	struct store *st = *state;
	struct config_modem m1 = { .name = "m1", .delivery_reports = 1 };
	struct config c = cf;
	struct store_outbox o;
	int64_t a, b, got = 0;

	c.modems = &m1;
	c.nmodems = 1;
	a = outbox_queue(st, ALICE, "两段", OUTBOX_REPLY, 0, NOW);
	b = outbox_queue(st, ALICE, "也是两段", OUTBOX_REPLY, 0, NOW);
	assert_int_equal(store_outbox_mark_sending(st, a, "m1", 2, NOW), 0);
	assert_int_equal(outbox_part_sent(st, a, 1, "m1", 40, NOW), 0);
	assert_int_equal(outbox_part_sent(st, a, 2, "m1", 41, NOW), 0);
	/* A report before the result finds its part. */
	assert_int_equal(store_outbox_report(st, "m1", 40, ALICE, "delivered",
	    NOW + 1, &got), 1);
	assert_int_equal(got, a);
	assert_int_equal(outbox_lost(st, &c, a, NOW + 2), 0);
	o = row(st, a);
	assert_int_equal(o.state, OUTBOX_SENT);
	assert_int_equal(o.parts, 2);

	assert_int_equal(store_outbox_mark_sending(st, b, "m1", 2, NOW + 3),
	    0);
	assert_int_equal(outbox_part_sent(st, b, 1, "m1", 42, NOW + 3), 0);
	assert_int_equal(outbox_lost(st, &c, b, NOW + 4), 0);
	o = row(st, b);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	/*
	 * Part 1's report: the part that went; part 2 never did. Not sent
	 * half: it stays in doubt, and only part 2 is to go again.
	 */
	assert_int_equal(store_outbox_report(st, "m1", 42, ALICE, "delivered",
	    NOW + 5, &got), 1);
	assert_int_equal(outbox_part_reported(st, got, NOW + 5), 0);
	o = row(st, b);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	/* Part 2 went on the next attempt: sent whole. */
	assert_int_equal(store_outbox_mark_sending(st, b, "m1", 2, NOW + 30),
	    0);
	assert_int_equal(outbox_sent(st, b, "m1", 2, (int[]){ -1, 57 }, 2,
	    NOW + 31), 0);
	o = row(st, b);
	assert_int_equal(o.state, OUTBOX_SENT);
	assert_int_equal(o.parts, 2);
	assert_int_equal(o.msgref, 57);
	assert_int_equal(store_outbox_report(st, "m1", 57, ALICE, "delivered",
	    NOW + 32, &got), 1);
	assert_int_equal(got, b);
	/* Part 1 kept its record and its report through the second try. */
	assert_string_equal(row(st, b).delivery, "delivered");
	/* The same report read again (a crash before its ack) finds it... */
	assert_int_equal(store_outbox_report(st, "m1", 42, ALICE, "delivered",
	    NOW + 5, &got), 1);
	assert_int_equal(got, b);
	/* ...one of another time is of a newer part with that reference. */
	assert_int_equal(store_outbox_report(st, "m1", 42, ALICE, "delivered",
	    NOW + 300, &got), 0);
	/* The result of a job after its parts' own word keeps the report. */
	assert_int_equal(outbox_sent(st, a, "m1", 2, (int[]){ 40, 41 }, 2,
	    NOW + 6), 0);
	assert_int_equal(store_outbox_report(st, "m1", 41, ALICE, "delivered",
	    NOW + 7, &got), 1);
	assert_string_equal(row(st, a).delivery, "delivered");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_and_backoff),
		cmocka_unit_test_setup_teardown(
		    test_parts_on_record_leave_no_doubt, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_long_message_in_doubt_is_settled_part_by_part,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_report_settles_the_first_handed_over, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_report_is_not_taken_for_an_older_doubt, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_part_sent_again_later_is_settled_by_its_report,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_rows_are_not_sent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_recipient_cap_defers_but_not_urgent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_back_off_and_end,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_quiet_hours_hold_all_but_urgent_and_direct_replies,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_lost_job_is_settled_by_a_late_status_report,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
