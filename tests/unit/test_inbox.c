/* inbox: dedupe, reassembly per (sender, ref, total), partial timeout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/config.h"
#include "gateway/inbox.h"
#include "gateway/sched.h"
#include "gateway/store.h"
#include "tests/unit/testdb.h"

#define NOW 1795737600

static struct config cf = {
	.country_code = "86",
	.reassembly_timeout = 600,
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

static struct store_part
part(const char *sender, int ref, int total, int seq, const char *text)
{
	struct store_part p;

	memset(&p, 0, sizeof p);
	p.modem = "m1";
	p.sender = sender;
	p.smsc = "+8613800290500";
	p.sent_at = NOW - 5;
	p.ref = ref;
	p.total = total;
	p.seq = seq;
	p.text = text;
	return p;
}

static char *
message_text(struct store *st, int64_t id, int *partial)
{
	struct store_message m;
	char *t;

	assert_int_equal(store_message_get(st, id, &m), 1);
	t = m.text;
	*partial = m.partial;
	return t;
}

static void
test_single_part_and_duplicate(void **state)
{
	struct store *st = *state;
	struct store_part p = part("13900000001", 0, 1, 1, "帮助");
	struct store_message m;
	int64_t mid, ids[4];

	assert_int_equal(inbox_store(st, &cf, &p, NOW, &mid), 1);
	assert_true(mid > 0);
	assert_int_equal(store_message_get(st, mid, &m), 1);
	assert_string_equal(m.sender, "+8613900000001");
	assert_string_equal(m.text, "帮助");
	assert_string_equal(m.state, "new");
	store_message_clear(&m);
	/* Read again from the SIM: stored once, no second message. */
	assert_int_equal(inbox_store(st, &cf, &p, NOW + 1, &mid), 0);
	assert_int_equal(mid, 0);
	assert_int_equal(store_message_pending(st, ids, 4, NOW), 1);
	/* The same text later is a new message (different SMSC time). */
	p.sent_at += 60;
	assert_int_equal(inbox_store(st, &cf, &p, NOW + 60, &mid), 1);
	assert_true(mid > 0);
	assert_int_equal(store_message_pending(st, ids, 4, NOW), 2);
}

static void
test_reassembly_in_any_order_and_per_sender(void **state)
{
	struct store *st = *state;
	struct store_part a1 = part("+8613900000001", 5, 3, 1, "一");
	struct store_part a2 = part("+8613900000001", 5, 3, 2, "二");
	struct store_part a3 = part("+8613900000001", 5, 3, 3, "三");
	/* Another sender with the same ref: must not be mixed in. */
	struct store_part b1 = part("+8613900000002", 5, 3, 1, "X");
	int64_t mid;
	int partial;
	char *t;

	assert_int_equal(inbox_store(st, &cf, &a3, NOW, &mid), 1);
	assert_int_equal(mid, 0);
	assert_int_equal(inbox_store(st, &cf, &b1, NOW, &mid), 1);
	assert_int_equal(inbox_store(st, &cf, &a1, NOW, &mid), 1);
	assert_int_equal(mid, 0);
	assert_int_equal(inbox_store(st, &cf, &a1, NOW, &mid), 0);
	assert_int_equal(mid, 0);
	assert_int_equal(inbox_store(st, &cf, &a2, NOW, &mid), 1);
	assert_true(mid > 0);
	t = message_text(st, mid, &partial);
	assert_string_equal(t, "一二三");
	assert_int_equal(partial, 0);
	free(t);
	/* A re-read part of the finished message changes nothing. */
	assert_int_equal(inbox_store(st, &cf, &a2, NOW, &mid), 0);
	assert_int_equal(mid, 0);
}

static void
test_partial_after_timeout(void **state)
{
	struct store *st = *state;
	struct store_part p1 = part("+8613900000001", 9, 3, 1, "开头");
	struct store_part p3 = part("+8613900000001", 9, 3, 3, "结尾");
	int64_t mid, ids[4];
	int partial;
	char *t;

	assert_int_equal(inbox_store(st, &cf, &p1, NOW, &mid), 1);
	assert_int_equal(inbox_store(st, &cf, &p3, NOW + 10, &mid), 1);
	/* Not yet: the timeout runs from the first part. */
	assert_int_equal(sched_run(st, &cf, NULL, NOW + 599), 0);
	assert_int_equal(store_message_pending(st, ids, 4, NOW), 0);
	assert_int_equal(sched_run(st, &cf, NULL, NOW + 601), 1);
	assert_int_equal(store_message_pending(st, ids, 4, NOW), 1);
	t = message_text(st, ids[0], &partial);
	assert_string_equal(t, "开头…结尾");
	assert_int_equal(partial, 1);
	free(t);
	/* Idempotent: nothing more to do at the same time. */
	assert_int_equal(sched_run(st, &cf, NULL, NOW + 601), 0);
}

static void
test_broken_udh_is_a_message_of_its_own(void **state)
{
	struct store *st = *state;
	struct store_part p = part("+8613900000001", 3, 2, 7, "坏头");
	int64_t mid;

	assert_int_equal(inbox_store(st, &cf, &p, NOW, &mid), 1);
	assert_true(mid > 0);
}

static void
test_short_code_sender_kept_as_is(void **state)
{
	struct store *st = *state;
	struct store_part p = part("10086", 0, 1, 1, "余额");
	struct store_message m;
	int64_t mid;

	assert_int_equal(inbox_store(st, &cf, &p, NOW, &mid), 1);
	assert_int_equal(store_message_get(st, mid, &m), 1);
	assert_string_equal(m.sender, "10086");
	store_message_clear(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_single_part_and_duplicate,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_reassembly_in_any_order_and_per_sender, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_partial_after_timeout,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_broken_udh_is_a_message_of_its_own, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_short_code_sender_kept_as_is, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
