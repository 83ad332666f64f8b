/* store: migrations, people and villages, outbox rows, on in-memory SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/store.h"
#include "tests/unit/testdb.h"

#define NOW 1795737600

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

static void
test_migrations_reach_the_latest_and_reopen(void **state)
{
	struct store *st;
	char path[64], *cause = NULL;
	int v;

	(void)state;
	snprintf(path, sizeof path, "/tmp/cungate-test-store-%d.db",
	    (int)getpid());
	unlink(path);
	st = store_open(path, &cause);
	assert_non_null(st);
	v = store_schema_version(st);
	assert_true(v >= 1);
	assert_int_equal(store_township_add(st, "MZ", "米脂镇", NOW, &cause),
	    0);
	store_close(st);
	/* Reopening migrates nothing and keeps the data. */
	st = store_open(path, &cause);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), v);
	assert_int_equal(store_township_add(st, "MZ", "again", NOW, &cause),
	    -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
	store_close(st);
	unlink(path);
}

static void
test_newer_schema_is_refused(void **state)
{
	char path[64], *cause = NULL, cmd[128];
	struct store *st;

	(void)state;
	snprintf(path, sizeof path, "/tmp/cungate-test-store-new-%d.db",
	    (int)getpid());
	unlink(path);
	st = store_open(path, &cause);
	assert_non_null(st);
	store_close(st);
	snprintf(cmd, sizeof cmd, "sqlite3 %s 'PRAGMA user_version = 999'",
	    path);
	if (system(cmd) != 0)
		skip();
	assert_null(store_open(path, &cause));
	assert_non_null(strstr(cause, "newer"));
	free(cause);
	unlink(path);
	snprintf(cmd, sizeof cmd, "%s-wal", path);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s-shm", path);
	unlink(cmd);
}

static void
test_villages_and_people(void **state)
{
	struct store *st = *state;
	struct store_person p;
	struct store_village v;
	char *cause = NULL;

	assert_int_equal(store_village_add(st, "LJZ", "刘家庄", "NOPE", NOW,
	    &cause), -1);
	assert_non_null(strstr(cause, "NOPE"));
	free(cause);
	assert_int_equal(store_township_add(st, "MZ", "米脂镇", NOW, &cause),
	    0);
	assert_int_equal(store_village_add(st, "LJZ", "刘家庄", "MZ", NOW,
	    &cause), 0);
	/* Codes are case-insensitive: villagers type them as they like. */
	assert_int_equal(store_village_find(st, "ljz", &v), 1);
	assert_string_equal(v.name, "刘家庄");
	assert_string_equal(v.township, "MZ");
	assert_int_equal(store_village_find(st, "XX", &v), 0);

	assert_int_equal(store_person_find(st, "+8613900000001", &p), 0);
	assert_int_equal(store_person_put(st, "+8613900000001", "王秀英",
	    "LJZ", ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(st, "+8613900000001", "王秀英",
	    "LJZ", ROLE_RESIDENT | ROLE_CADRE, "水,电", NOW, &cause), 0);
	assert_int_equal(store_person_find(st, "+8613900000001", &p), 1);
	assert_int_equal(p.roles, ROLE_RESIDENT | ROLE_CADRE);
	assert_string_equal(p.village, "LJZ");
	assert_string_equal(p.village_name, "刘家庄");
	assert_string_equal(p.categories, "水,电");
	assert_int_equal(p.opted_out, 0);
	assert_int_equal(store_person_set_opted_out(st, "+8613900000001", 1,
	    NOW), 1);
	assert_int_equal(store_person_set_opted_out(st, "+8613900000009", 1,
	    NOW), 0);
	assert_int_equal(store_person_find(st, "+8613900000001", &p), 1);
	assert_int_equal(p.opted_out, 1);
	/* Someone with no village (opted out before registering). */
	assert_int_equal(store_person_put(st, "+8613900000002", "", NULL, 0,
	    NULL, NOW, &cause), 1);
	assert_int_equal(store_person_find(st, "+8613900000002", &p), 1);
	assert_int_equal(p.village_id, 0);
	assert_string_equal(p.village, "");
	assert_int_equal(store_person_put(st, "+8613900000003", "x", "NOPE",
	    ROLE_RESIDENT, NULL, NOW, &cause), -1);
	free(cause);
}

static void
count_cb(const struct store_outbox *o, void *arg)
{
	(void)o;
	(*(int *)arg)++;
}

static void
test_outbox_rows(void **state)
{
	struct store *st = *state;
	struct store_outbox o;
	int64_t a, b, c, ids[8];
	int n = 0;

	a = store_outbox_add(st, "+8613900000001", "广播", OUTBOX_BROADCAST,
	    NOW, NOW + 100, 0, NOW);
	b = store_outbox_add(st, "+8613900000002", "回复", OUTBOX_REPLY, NOW,
	    NOW + 100, 0, NOW);
	c = store_outbox_add(st, "+8613900000003", "紧急", OUTBOX_URGENT,
	    NOW + 10, NOW + 100, 0, NOW);
	assert_true(a > 0 && b > a && c > b);
	/* Most urgent due class first; c is not due yet. */
	assert_int_equal(store_outbox_due(st, NOW, ids, 8), 2);
	assert_int_equal(ids[0], b);
	assert_int_equal(ids[1], a);
	assert_int_equal(store_outbox_due(st, NOW + 10, ids, 8), 3);
	assert_int_equal(ids[0], c);

	assert_int_equal(store_outbox_mark_sending(st, b, "m1", 1, NOW), 0);
	assert_int_equal(store_outbox_mark_sending(st, b, "m1", 1, NOW), -1);
	assert_int_equal(store_outbox_count_since(st, "+8613900000002",
	    NOW - 3600), 1);
	assert_int_equal(store_outbox_mark_sent(st, b, 1, 77, NOW + 1), 0);
	assert_int_equal(store_outbox_get(st, b, &o), 1);
	assert_int_equal(o.state, OUTBOX_SENT);
	assert_int_equal(o.msgref, 77);
	assert_string_equal(o.modem, "m1");
	assert_string_equal(o.text, "回复");
	store_outbox_clear(&o);

	assert_int_equal(store_outbox_mark_sending(st, a, "m1", 1, NOW), 0);
	/* In flight: what a restart holds in doubt (outbox_recover). */
	assert_int_equal(store_outbox_sending(st, ids, 8), 1);
	assert_int_equal(ids[0], a);
	assert_int_equal(store_outbox_mark_retry(st, a, NOW + 50, "boom"), 0);
	assert_int_equal(store_outbox_get(st, a, &o), 1);
	assert_int_equal(o.attempts, 1);
	assert_int_equal(o.state, OUTBOX_QUEUED);
	assert_string_equal(o.last_error, "boom");
	store_outbox_clear(&o);

	assert_int_equal(store_outbox_expire(st, NOW + 100), 2);
	assert_int_equal(store_outbox_list(st, "expired", 10, count_cb, &n),
	    0);
	assert_int_equal(n, 2);
	assert_int_equal(store_outbox_list(st, "bogus", 10, count_cb, &n), -1);
	assert_int_equal(store_outbox_state_parse("sent"), OUTBOX_SENT);
	assert_string_equal(store_outbox_state_name(OUTBOX_FAILED), "failed");
}

static void
test_text_is_stored_verbatim(void **state)
{
	struct store *st = *state;
	struct store_outbox o;
	const char *evil = "'); DROP TABLE outbox; -- \"%s%n";
	int64_t id;

	id = store_outbox_add(st, "+8613900000001", evil, OUTBOX_REPLY, NOW,
	    NOW + 10, 0, NOW);
	assert_int_equal(store_outbox_get(st, id, &o), 1);
	assert_string_equal(o.text, evil);
	store_outbox_clear(&o);
	assert_int_equal(store_audit(st, NOW, "cli", "cli", "test", NULL,
	    evil), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_reach_the_latest_and_reopen),
		cmocka_unit_test(test_newer_schema_is_refused),
		cmocka_unit_test_setup_teardown(test_villages_and_people,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_rows, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_text_is_stored_verbatim,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
