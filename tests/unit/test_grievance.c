/*
 * test_grievance — the ticket lifecycle (gateway/grievance.c) on an
 * in-memory store at a fixed now: filing and dispatch, the cadres' steps
 * and their idempotence, rating, deadlines run any number of times, the
 * county's figures, and codes unique in the database.
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
#include "gateway/grievance.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"
#include "tests/unit/testdb.h"

#define NOW		1795737600
#define HOUR		3600
#define RESIDENT	"+8613900000001"
#define CADRE		"+8613900000003"
#define WATER		"+8613900000005"
#define SUPERVISOR	"+8613900000009"

struct world {
	struct store		*st;
	struct config		*cf;
	struct template		*tpl;
	struct grievance_ctx	 g;
	struct store_person	 resident, cadre, water;
};

static int
setup(void **state)
{
	struct world *w;
	char path[64], *cause = NULL;
	FILE *f;

	w = xcalloc(1, sizeof *w);
	snprintf(path, sizeof path, "/tmp/cungate-test-grievance-%d.conf",
	    (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[gateway]\ndatabase = :memory:\n"
	    "[grievance]\naccept_hours = 24\nresolve_days = 7\n"
	    "urgent_resolve_hours = 2\nsatisfaction_days = 3\n"
	    "[category 水]\nkeywords = 水管，停水,自来水\n"
	    "[category 安全]\nkeywords = 漏电\nurgent = yes\n", f);
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
	assert_int_equal(store_township_add_supervisor(w->st, "MZ",
	    SUPERVISOR, &cause), 0);
	assert_int_equal(store_village_add(w->st, "LJZ", "刘家庄", "MZ", NOW,
	    &cause), 0);
	assert_int_equal(store_person_put(w->st, RESIDENT, "王秀英", "LJZ",
	    ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, CADRE, "张明", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, WATER, "刘水生", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, "电,水", NOW, &cause), 1);
	assert_int_equal(store_person_find(w->st, RESIDENT, &w->resident), 1);
	assert_int_equal(store_person_find(w->st, CADRE, &w->cadre), 1);
	assert_int_equal(store_person_find(w->st, WATER, &w->water), 1);
	w->g.st = w->st;
	w->g.cf = w->cf;
	w->g.tpl = w->tpl;
	w->g.now = NOW;
	w->g.actor = RESIDENT;
	w->g.channel = "sms";
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

/* Outbox rows to phone whose text holds needle (NULL: any). */
struct count {
	const char	*to;
	const char	*needle;
	int		 n;
	int		 maxlen;
	enum outbox_class class;
};

static void
count_cb(const struct store_outbox *o, void *arg)
{
	struct count *c = arg;
	int len = (int)grievance_chars(o->text);

	if (strcmp(o->recipient, c->to) != 0 ||
	    (c->needle != NULL && strstr(o->text, c->needle) == NULL))
		return;
	c->n++;
	c->class = o->class;
	if (len > c->maxlen)
		c->maxlen = len;
}

static int
sent(struct world *w, const char *to, const char *needle, int *maxlen)
{
	struct count c = { to, needle, 0, 0, OUTBOX_REPLY };

	assert_int_equal(store_outbox_list(w->st, NULL, 100000, count_cb, &c),
	    0);
	if (maxlen != NULL)
		*maxlen = c.maxlen;
	return c.n;
}

static void
event_cb(const struct store_ticket_event *e, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "%s;", e->action);
}

/* The ticket's history as "file;accept;…". Caller frees. */
static char *
history(struct world *w, int64_t id)
{
	struct buf b;

	memset(&b, 0, sizeof b);
	assert_int_equal(store_ticket_events(w->st, id, event_cb, &b), 0);
	return b.data != NULL ? buf_take(&b) : xstrdup("");
}

static void
expect_history(struct world *w, int64_t id, const char *want)
{
	char *h = history(w, id);

	if (strcmp(h, want) != 0)
		fail_msg("history \"%s\", want \"%s\"", h, want);
	free(h);
}

static void
test_lifecycle(void **state)
{
	struct world *w = *state;
	struct store_ticket t;
	int maxlen;

	assert_int_equal(grievance_file(&w->g, &w->resident,
	    "家门口的自来水管爆了，停水两天", &t), 0);
	assert_string_equal(t.category, "水");
	assert_false(t.urgent);
	assert_string_equal(t.status, "open");
	assert_true(strlen(t.code) >= 4 && strlen(t.code) <= 6);
	assert_int_equal(t.accept_due, NOW + 24 * HOUR);
	assert_int_equal(t.resolve_due, NOW + 7 * 24 * HOUR);
	/* Dispatched to the water cadre only, within two parts. */
	assert_int_equal(sent(w, WATER, t.code, &maxlen), 1);
	assert_true(maxlen <= GRIEVANCE_ALERT_CHARS);
	assert_int_equal(sent(w, CADRE, NULL, NULL), 0);
	assert_int_equal(store_ticket_is_assignee(w->st, t.id, WATER), 1);

	w->g.now = NOW + HOUR;
	w->g.actor = WATER;
	assert_int_equal(grievance_accept(&w->g, &t, &w->water),
	    GRIEVANCE_DONE);
	assert_string_equal(t.status, "accepted");
	assert_int_equal(sent(w, RESIDENT, "刘水生", &maxlen), 1);
	assert_true(maxlen <= GRIEVANCE_ONE_PART);
	assert_int_equal(grievance_accept(&w->g, &t, &w->cadre),
	    GRIEVANCE_ALREADY);
	/* Rating before it is resolved is refused. */
	assert_int_equal(grievance_rate(&w->g, &t, 1), GRIEVANCE_REFUSED);

	assert_int_equal(grievance_resolve(&w->g, &t, &w->water, "已修好"),
	    GRIEVANCE_DONE);
	assert_int_equal(grievance_resolve(&w->g, &t, &w->water, "已修好"),
	    GRIEVANCE_ALREADY);
	assert_int_equal(sent(w, RESIDENT, "已修好", NULL), 1);
	assert_int_equal(grievance_return(&w->g, &t, &w->water, "x"),
	    GRIEVANCE_REFUSED);

	w->g.actor = RESIDENT;
	assert_int_equal(grievance_rate(&w->g, &t, 3), GRIEVANCE_DONE);
	assert_string_equal(t.status, "reopened");
	assert_int_equal(t.escalation, 1);
	assert_int_equal(t.resolve_due, NOW + HOUR + 7 * 24 * HOUR);
	assert_int_equal(sent(w, SUPERVISOR, t.code, NULL), 1);
	store_ticket_clear(&t);
	assert_int_equal(store_ticket_find(w->st, t.code, &t), 1);
	assert_string_equal(t.status, "reopened");
	assert_int_equal(t.rating, 3);
	expect_history(w, t.id,
	    "file;accept;resolve;rate;escalate.unsatisfied;");

	/* Closed by an operator: once. */
	w->g.actor = "cli";
	assert_int_equal(grievance_close(&w->g, &t, NULL), GRIEVANCE_DONE);
	assert_int_equal(grievance_close(&w->g, &t, NULL), GRIEVANCE_ALREADY);
	store_ticket_clear(&t);
}

static void
test_return_and_assign(void **state)
{
	struct world *w = *state;
	struct store_ticket t;

	assert_int_equal(grievance_file(&w->g, &w->resident,
	    "镇上班车一个月没来了", &t), 0);
	assert_string_equal(t.category, "");
	/* No cadre for the category: every cadre of the village. */
	assert_int_equal(sent(w, CADRE, t.code, NULL), 1);
	assert_int_equal(sent(w, WATER, t.code, NULL), 1);
	assert_int_equal(grievance_return(&w->g, &t, &w->cadre, "归镇管"),
	    GRIEVANCE_DONE);
	assert_int_equal(grievance_return(&w->g, &t, &w->cadre, "归镇管"),
	    GRIEVANCE_ALREADY);
	assert_int_equal(sent(w, SUPERVISOR, "归镇管", NULL), 1);
	assert_int_equal(sent(w, RESIDENT, NULL, NULL), 0);
	assert_int_equal(grievance_accept(&w->g, &t, &w->cadre),
	    GRIEVANCE_REFUSED);
	/* Deadlines stop for a returned ticket. */
	w->g.now = NOW + 30 * 24 * HOUR;
	assert_int_equal(grievance_sla_run(&w->g), 0);
	assert_int_equal(grievance_assign(&w->g, &t, &w->cadre),
	    GRIEVANCE_DONE);
	assert_string_equal(t.status, "open");
	assert_int_equal(t.accept_due, w->g.now + 24 * HOUR);
	assert_int_equal(grievance_assign(&w->g, &t, &w->cadre),
	    GRIEVANCE_ALREADY);
	expect_history(w, t.id, "file;return;assign;");
	store_ticket_clear(&t);
}

static void
test_sla_steps_are_idempotent(void **state)
{
	struct world *w = *state;
	struct store_ticket t, u;
	int i;

	assert_int_equal(grievance_file(&w->g, &w->resident,
	    "村口电线漏电了", &t), 0);
	assert_true(t.urgent);
	assert_int_equal(t.resolve_due, NOW + 2 * HOUR);
	w->g.now = NOW + 23 * HOUR;
	assert_int_equal(grievance_sla_run(&w->g), 0);
	w->g.now = NOW + 24 * HOUR;
	assert_int_equal(grievance_sla_run(&w->g), 1);	/* the reminder */
	for (i = 0; i < 3; i++)
		assert_int_equal(grievance_sla_run(&w->g), 0);
	assert_int_equal(sent(w, CADRE, "提醒", NULL), 1);
	assert_int_equal(sent(w, SUPERVISOR, NULL, NULL), 0);
	w->g.now = NOW + 36 * HOUR - 1;
	assert_int_equal(grievance_sla_run(&w->g), 0);
	w->g.now = NOW + 36 * HOUR;			/* 24 h + 50 % */
	assert_int_equal(grievance_sla_run(&w->g), 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(grievance_sla_run(&w->g), 0);
	assert_int_equal(sent(w, SUPERVISOR, t.code, NULL), 1);
	expect_history(w, t.id, "file;remind.accept;escalate.accept;");

	/* Resolve deadline: accepted late, both steps at one far tick. */
	assert_int_equal(grievance_accept(&w->g, &t, &w->cadre),
	    GRIEVANCE_DONE);
	w->g.now = NOW + 100 * HOUR;
	assert_int_equal(grievance_sla_run(&w->g), 2);
	assert_int_equal(grievance_sla_run(&w->g), 0);
	assert_int_equal(store_ticket_get(w->st, t.id, &u), 1);
	assert_true(u.resolve_reminded && u.resolve_escalated);
	store_ticket_clear(&u);

	/* A rating prompt that runs out closes the ticket unrated. */
	assert_int_equal(store_ticket_get(w->st, t.id, &u), 1);
	assert_int_equal(grievance_resolve(&w->g, &u, &w->cadre, "已断电抢修"),
	    GRIEVANCE_DONE);
	w->g.now += 3 * 24 * HOUR - 1;
	assert_int_equal(grievance_sla_run(&w->g), 0);
	w->g.now += 1;
	assert_int_equal(grievance_sla_run(&w->g), 1);
	assert_int_equal(grievance_sla_run(&w->g), 0);
	store_ticket_clear(&u);
	assert_int_equal(store_ticket_get(w->st, t.id, &u), 1);
	assert_string_equal(u.status, "closed");
	assert_int_equal(u.rating, 0);
	store_ticket_clear(&u);
	store_ticket_clear(&t);
}

static void
test_prompts(void **state)
{
	struct world *w = *state;
	struct store_prompt p;

	assert_int_equal(store_prompt_open(w->st, RESIDENT, NOW, &p), 0);
	assert_true(store_prompt_add(w->st, RESIDENT, "rating", 7, NOW,
	    NOW + 10) > 0);
	assert_true(store_prompt_add(w->st, RESIDENT, "checkin", 1, NOW,
	    NOW + 100) > 0);
	assert_int_equal(store_prompt_open(w->st, RESIDENT, NOW, &p), 1);
	assert_string_equal(p.kind, "checkin");
	assert_int_equal(store_prompt_close(w->st, p.id, "answered", "1",
	    NOW), 0);
	assert_int_equal(store_prompt_open(w->st, RESIDENT, NOW, &p), 1);
	assert_string_equal(p.kind, "rating");
	assert_int_equal(p.object_id, 7);
	/* Expired at its time; a new one of the same object supersedes. */
	assert_int_equal(store_prompt_open(w->st, RESIDENT, NOW + 10, &p), 0);
	assert_true(store_prompt_add(w->st, RESIDENT, "rating", 7, NOW,
	    NOW + 50) > 0);
	assert_int_equal(store_prompt_expired(w->st, NOW + 60, &p, 1), 1);
	assert_int_equal(store_prompt_open(w->st, RESIDENT, NOW, &p), 1);
}

static void
stats_ticket(struct grievance_stats *s, const char *status,
    const char *cat, time_t accepted, time_t resolved, int rating)
{
	struct store_ticket t;

	memset(&t, 0, sizeof t);
	snprintf(t.status, sizeof t.status, "%s", status);
	snprintf(t.category, sizeof t.category, "%s", cat);
	t.created_at = NOW;
	t.accept_due = NOW + 24 * HOUR;
	t.resolve_due = NOW + 7 * 24 * HOUR;
	t.accepted_at = accepted;
	t.resolved_at = resolved;
	t.rating = rating;
	grievance_stats_add(s, &t, NOW + 10 * 24 * HOUR);
}

static void
test_stats_math(void **state)
{
	struct grievance_stats s;

	(void)state;
	memset(&s, 0, sizeof s);
	/* In time, rated 1. */
	stats_ticket(&s, "closed", "水", NOW + HOUR, NOW + 2 * HOUR, 1);
	/* Accepted late, resolved late, rated 3. */
	stats_ticket(&s, "reopened", "水", NOW + 30 * HOUR,
	    NOW + 8 * 24 * HOUR, 3);
	/* Never accepted: late on both counts. */
	stats_ticket(&s, "open", "", 0, 0, 0);
	/* Resolved in time, rated 2. */
	stats_ticket(&s, "closed", "路", NOW + HOUR, NOW + 24 * HOUR, 2);
	/* Returned: counted, but not in the village's rates. */
	stats_ticket(&s, "returned", "", 0, 0, 0);
	assert_int_equal(s.total, 5);
	assert_int_equal(s.accept_counted, 4);
	assert_int_equal(s.accepted_in_time, 2);
	assert_int_equal(s.resolve_counted, 4);
	assert_int_equal(s.resolved_in_time, 2);
	assert_int_equal(s.rated, 3);
	assert_int_equal(s.satisfied, 2);
	assert_true(grievance_rate_percent(s.satisfied, s.rated) > 66.6 &&
	    grievance_rate_percent(s.satisfied, s.rated) < 66.7);
	assert_true(grievance_rate_percent(0, 0) < 0);
	assert_int_equal(s.by_status[0], 1);	/* open */
	assert_int_equal(s.by_status[3], 1);	/* returned */
	assert_int_equal(s.by_status[5], 2);	/* closed */
	assert_int_equal(s.ncategories, 3);
	assert_string_equal(s.categories[0], "水");
	assert_int_equal(s.by_category[0], 2);
	assert_int_equal(s.by_category[1], 2);	/* "" */
	grievance_stats_free(&s);
}

static void
codes_cb(const struct store_ticket *t, void *arg)
{
	struct buf *b = arg;

	buf_printf(b, "%s\n", t->code);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_codes_are_unique(void **state)
{
	struct world *w = *state;
	struct store_ticket t;
	struct buf b;
	char *codes[400], *p;
	int64_t id;
	int i, n = 0;

	for (i = 0; i < 400; i++) {
		assert_int_equal(grievance_file(&w->g, &w->resident,
		    "路面有个大坑", &t), 0);
		store_ticket_clear(&t);
	}
	memset(&b, 0, sizeof b);
	assert_int_equal(store_ticket_list(w->st, NULL, codes_cb, &b), 0);
	for (p = strtok(b.data, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		assert_true(strlen(p) >= 4 && strspn(p, "0123456789") ==
		    strlen(p) && p[0] != '0');
		codes[n++] = p;
	}
	assert_int_equal(n, 400);
	qsort(codes, n, sizeof *codes, cmp_str);
	for (i = 1; i < n; i++)
		assert_string_not_equal(codes[i - 1], codes[i]);
	/* The store refuses a code that is taken. */
	assert_int_equal(store_ticket_find(w->st, codes[0], &t), 1);
	assert_int_equal(store_ticket_insert(w->st, &t, &id), 0);
	store_ticket_clear(&t);
	buf_free(&b);
}

static void
test_text_helpers(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(grievance_chars("路灯abc"), 5);
	s = grievance_cut("村口的路灯坏了", 4);
	assert_string_equal(s, "村口的…");
	free(s);
	s = grievance_cut("路灯", 4);
	assert_string_equal(s, "路灯");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_return_and_assign, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sla_steps_are_idempotent,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_prompts, setup, teardown),
		cmocka_unit_test(test_stats_math),
		cmocka_unit_test_setup_teardown(test_codes_are_unique, setup,
		    teardown),
		cmocka_unit_test(test_text_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
