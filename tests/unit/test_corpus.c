/*
 * test_corpus — what the gateway makes of texts written as villagers,
 * elders, their children and cadres write them (tests/corpus/SET/ROLE.txt:
 * one file per sender, "INTENT<TAB>TEXT" per line). Each text goes through
 * the real router, handlers and store, into a fresh village seeded with the
 * people, tickets, events and today's check-in reminder the corpus speaks
 * of; what happened (the handler recorded on the message and what changed
 * in the store) is compared with the intent. Prints the accuracy per
 * sender and every miss, and fails when
 *
 *	- an elder's distress text does not raise the SOS, or counts as the
 *	  day's check-in;
 *	- chat or a request for help files a ticket or keeps a report;
 *	- a sender's accuracy falls below CORPUS_MIN_ROLE, or all below
 *	  CORPUS_MIN_ALL percent.
 *
 * Intents: help chat register optout optin report status rate1 rate2
 * rate3 events signup cancel todo accept resolve return publish roster
 * notice confirm pause resume checkin sos elder_status.
 *
 * Run from the top of the source tree (config/ and tests/corpus/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/handler.h"
#include "handlers/router.h"
#include "handlers/template.h"

#define CORPUS_MIN_ROLE	85	/* percent right, each sender */
#define CORPUS_MIN_ALL	90	/* percent right, all texts */
#define UNSEEN_MIN_ROLE	70	/* the same for the set never tuned on */
#define UNSEEN_MIN_ALL	80

#define RESIDENT	"+8613900000101"
#define CADRE		"+8613900000201"
#define ELDER		"+8613900000301"
#define GUARDIAN	"+8613900000401"
#define STRANGER	"+8613900000999"
#define SUPERVISOR	"+8613900000901"

static const struct {
	const char	*file;
	const char	*sender;
} corpus_roles[] = {
	{ "resident", RESIDENT },
	{ "cadre", CADRE },
	{ "elder", ELDER },
	{ "guardian", GUARDIAN },
	{ "unknown", STRANGER },
};
#define CORPUS_NROLES (sizeof corpus_roles / sizeof corpus_roles[0])

/* What a handler's name means, when nothing else is to be checked. */
static const struct {
	const char	*handler;
	const char	*intent;
} corpus_handlers[] = {
	{ "register", "register" },
	{ "optout", "optout" },
	{ "optin", "optin" },
	{ "grievance.status", "status" },
	{ "grievance.todo", "todo" },
	{ "grievance.accept", "accept" },
	{ "grievance.resolve", "resolve" },
	{ "grievance.return", "return" },
	{ "event.list", "events" },
	{ "event.signup", "signup" },
	{ "event.cancel", "cancel" },
	{ "event.publish", "publish" },
	{ "event.roster", "roster" },
	{ "notice.send", "notice" },
	{ "checkin.confirm", "confirm" },
	{ "checkin.pause", "pause" },
	{ "checkin.resume", "resume" },
	{ "checkin.status", "elder_status" },
};

struct corpus {
	struct config	*cf;
	struct template	*tpl;
	struct router	*r;
	time_t		 now;	/* 2026-03-10 10:00 +08:00 */
	int		 day;
	/* Results by sender. */
	int		 total[CORPUS_NROLES];
	int		 right[CORPUS_NROLES];
	int		 unsafe;
	struct buf	 misses;
};

/* One village as the corpus knows it; NULL on a broken store. */
static struct store *
corpus_world(struct corpus *c)
{
	struct store_ticket t;
	struct store_event ev;
	struct store_village v;
	struct store_elder e;
	struct store_guardian g;
	struct checkin_ctx cc;
	struct store_person who;
	struct store *st;
	char *cause = NULL;
	int64_t id, elder;

	if ((st = store_open(":memory:", &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(store_township_add(st, "CGZ", "城关镇", 0, &cause), 0);
	assert_int_equal(store_township_add_supervisor(st, "CGZ", SUPERVISOR,
	    &cause), 0);
	assert_int_equal(store_village_add(st, "LJZ", "刘家庄村", "CGZ", 0,
	    &cause), 0);
	assert_int_equal(store_village_add(st, "DZ01", "东庄村", "CGZ", 0,
	    &cause), 0);
	assert_int_equal(store_village_add(st, "WJG", "王家沟村", "CGZ", 0,
	    &cause), 0);
	assert_int_equal(store_person_put(st, RESIDENT, "张建国", "LJZ",
	    ROLE_RESIDENT, NULL, 0, &cause), 1);
	assert_int_equal(store_person_put(st, CADRE, "李卫东", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, 0, &cause), 1);
	assert_int_equal(store_person_put(st, ELDER, "王秀英", "LJZ",
	    ROLE_RESIDENT | ROLE_ELDERLY, NULL, 0, &cause), 1);

	/* 王秀英, code 1, her son 刘强 the guardian; reminded today. */
	memset(&e, 0, sizeof e);
	assert_int_equal(store_person_find(st, ELDER, &who), 1);
	snprintf(e.phone, sizeof e.phone, "%s", ELDER);
	e.person_id = who.id;
	snprintf(e.cadre, sizeof e.cadre, "%s", CADRE);
	e.due_min = e.guardian_after = e.cadre_after = e.township_min = -1;
	e.confirm = -1;
	e.prompt_min = -2;
	e.start_day = c->day - 30;
	assert_int_equal(store_elder_put(st, &e, &elder), 0);
	assert_int_equal(elder, 1);
	memset(&g, 0, sizeof g);
	snprintf(g.phone, sizeof g.phone, "%s", GUARDIAN);
	snprintf(g.name, sizeof g.name, "刘强");
	snprintf(g.relation, sizeof g.relation, "儿子");
	assert_int_equal(store_guardian_put(st, elder, &g), 0);
	memset(&cc, 0, sizeof cc);
	cc.st = st;
	cc.cf = c->cf;
	cc.tpl = c->tpl;
	cc.now = c->now;
	cc.actor = "system";
	cc.channel = "system";
	assert_true(checkin_sched_run(&cc) > 0);

	/* Tickets: 6010 his, accepted; 5203 his, resolved, rating asked;
	 * 4521 another's, waiting for the cadre. */
	assert_int_equal(store_village_find(st, "LJZ", &v), 1);
	memset(&t, 0, sizeof t);
	t.village_id = v.id;
	snprintf(t.reporter, sizeof t.reporter, "%s", RESIDENT);
	t.text = "路灯坏了";
	t.reply = "";
	t.created_at = t.updated_at = c->now - 86400;
	t.accept_due = c->now;
	t.resolve_due = c->now + 6 * 86400;
	snprintf(t.code, sizeof t.code, "6010");
	snprintf(t.status, sizeof t.status, "accepted");
	snprintf(t.accepted_by, sizeof t.accepted_by, "%s", CADRE);
	t.accepted_at = c->now - 3600;
	assert_int_equal(store_ticket_insert(st, &t, &id), 1);
	snprintf(t.code, sizeof t.code, "5203");
	snprintf(t.status, sizeof t.status, "resolved");
	t.text = "自来水管漏水";
	t.reply = "已换了水管";
	t.resolved_at = c->now - 1800;
	snprintf(t.resolved_by, sizeof t.resolved_by, "%s", CADRE);
	assert_int_equal(store_ticket_insert(st, &t, &id), 1);
	assert_true(store_prompt_add(st, RESIDENT, "rating", id,
	    c->now - 1800, c->now + 3 * 86400) > 0);
	snprintf(t.code, sizeof t.code, "4521");
	snprintf(t.status, sizeof t.status, "open");
	snprintf(t.reporter, sizeof t.reporter, "+8613900000102");
	t.text = "村口垃圾没人拉";
	t.reply = "";
	t.accepted_by[0] = t.resolved_by[0] = '\0';
	t.accepted_at = t.resolved_at = 0;
	t.accept_due = c->now + 86400;
	assert_int_equal(store_ticket_insert(st, &t, &id), 1);

	/* Events 40 (义诊, 3月15日) and 12 of 刘家庄村. */
	memset(&ev, 0, sizeof ev);
	ev.village_id = v.id;
	ev.capacity = 30;
	snprintf(ev.created_by, sizeof ev.created_by, "%s", CADRE);
	ev.created_at = c->now - 86400;
	snprintf(ev.code, sizeof ev.code, "40");
	snprintf(ev.title, sizeof ev.title, "义诊");
	ev.starts_at = c->now + 5 * 86400 - 3600;
	ev.remind_at = ev.starts_at - 15 * 3600;
	assert_int_equal(store_event_insert(st, &ev, &id), 1);
	snprintf(ev.code, sizeof ev.code, "12");
	snprintf(ev.title, sizeof ev.title, "广场舞培训");
	ev.starts_at += 2 * 86400;
	ev.remind_at += 2 * 86400;
	assert_int_equal(store_event_insert(st, &ev, &id), 1);
	return st;
}

static void
corpus_count_cb(const struct store_ticket *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
}

static void
corpus_pending_cb(const struct store_pending *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
}

/* Tickets in the store, and reports kept for the unregistered. */
static int
corpus_reports(struct store *st, const char *sender)
{
	int n = 0;

	assert_int_equal(store_ticket_list(st, NULL, corpus_count_cb, &n), 0);
	assert_int_equal(store_pending_list(st, sender, corpus_pending_cb, &n),
	    0);
	return n;
}

/* Open SOS calls. */
static int
corpus_sos(struct store *st, time_t now)
{
	struct store_sos s[4];

	return store_sos_due(st, now + 86400, s, 4);
}

/* Has the elder checked in today? */
static int
corpus_checked_in(struct corpus *c, struct store *st)
{
	struct store_checkin_day d;

	assert_int_equal(store_checkin_day_find(st, 1, c->day, &d), 1);
	return strcmp(d.status, "checked") == 0;
}

/* The rating ticket 5203 has now. */
static int
corpus_rating(struct store *st)
{
	struct store_ticket t;
	int r;

	assert_int_equal(store_ticket_find(st, "5203", &t), 1);
	r = t.rating;
	store_ticket_clear(&t);
	return r;
}

/*
 * Route text from sender into a fresh world; what it came to, as an
 * intent word (or the handler's name when it is none), into out.
 * *unsafe gets why the outcome is one that must never happen, or NULL.
 */
static void
corpus_route(struct corpus *c, const char *sender, const char *want,
    const char *text, char *out, size_t size, const char **unsafe)
{
	struct store *st = corpus_world(c);
	struct store_message m;
	struct store_part p;
	int64_t part, id = 0;
	int reports, sos, checked, rating;
	const char *h;
	size_t i;

	reports = corpus_reports(st, sender);
	sos = corpus_sos(st, c->now);
	checked = corpus_checked_in(c, st);
	rating = corpus_rating(st);
	memset(&p, 0, sizeof p);
	p.modem = "m1";
	p.sender = sender;
	p.smsc = "";
	p.sent_at = p.received_at = c->now;
	p.total = p.seq = 1;
	p.text = text;
	assert_int_equal(store_part_insert(st, &p, &part), 1);
	assert_int_equal(store_part_complete(st, part, c->now, &id), 1);
	assert_int_equal(router_route(c->r, st, c->cf, c->tpl, id, c->now), 0);
	assert_int_equal(store_message_get(st, id, &m), 1);
	h = m.handler;

	*unsafe = NULL;
	if (strcmp(want, "sos") == 0 && strcmp(sender, ELDER) == 0 &&
	    corpus_sos(st, c->now) == sos)
		*unsafe = "an elder's distress raised no SOS";
	else if (strcmp(want, "sos") == 0 && strcmp(sender, ELDER) == 0 &&
	    !checked && corpus_checked_in(c, st))
		*unsafe = "an elder's distress counted as her check-in";
	else if ((strcmp(want, "chat") == 0 || strcmp(want, "help") == 0) &&
	    corpus_reports(st, sender) != reports)
		*unsafe = "chat filed as a report";

	if (strcmp(h, "checkin.sos") == 0 && (strcmp(sender, ELDER) != 0 ||
	    corpus_sos(st, c->now) > sos))
		snprintf(out, size, "sos");
	else if (strcmp(sender, ELDER) == 0 && !checked &&
	    corpus_checked_in(c, st) && (strcmp(h, "checkin.ok") == 0 ||
	    strcmp(h, "checkin.any") == 0 || strcmp(h, "answer") == 0))
		snprintf(out, size, "checkin");
	else if (strcmp(h, "answer") == 0 && corpus_rating(st) != rating)
		snprintf(out, size, "rate%d", corpus_rating(st));
	else if ((strcmp(h, "grievance.report") == 0 ||
	    strcmp(h, "grievance.ask") == 0) &&
	    corpus_reports(st, sender) > reports)
		snprintf(out, size, "report");
	else if (strcmp(h, "grievance.ask") == 0)
		snprintf(out, size, "report?");		/* asked 回1提交 */
	else if ((strcmp(h, "help") == 0 || strcmp(h, "quiet") == 0) &&
	    strcmp(want, "chat") == 0)
		snprintf(out, size, "chat");
	else if (strcmp(h, "unknown") == 0 && strcmp(want, "chat") == 0 &&
	    strcmp(sender, STRANGER) != 0)
		snprintf(out, size, "chat");
	else {
		snprintf(out, size, "%s", h);
		for (i = 0; i < sizeof corpus_handlers /
		    sizeof corpus_handlers[0]; i++)
			if (strcmp(h, corpus_handlers[i].handler) == 0)
				snprintf(out, size, "%s",
				    corpus_handlers[i].intent);
	}
	/* A stranger's chat gets how to register: that is its help. */
	if (strcmp(want, "chat") == 0 && strcmp(sender, STRANGER) == 0 &&
	    (strcmp(h, "help") == 0 || strcmp(h, "unknown") == 0))
		snprintf(out, size, "chat");
	store_message_clear(&m);
	store_close(st);
}

static void
corpus_file(struct corpus *c, const char *dir, size_t role)
{
	char path[128], line[1024], got[64], *tab, *text;
	const char *unsafe;
	FILE *f;
	int n = 0;

	snprintf(path, sizeof path, "%s/%s.txt", dir,
	    corpus_roles[role].file);
	if ((f = fopen(path, "r")) == NULL)
		fail_msg("%s: cannot open", path);
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((tab = strchr(line, '\t')) == NULL)
			fail_msg("%s:%d: no tab", path, n);
		*tab = '\0';
		text = tab + 1;
		corpus_route(c, corpus_roles[role].sender, line, text, got,
		    sizeof got, &unsafe);
		c->total[role]++;
		if (strcmp(got, line) == 0 && unsafe == NULL) {
			c->right[role]++;
			continue;
		}
		buf_printf(&c->misses, "  %s:%d: %s \"%s\": got %s%s%s\n",
		    path, n, line, text, got,
		    unsafe != NULL ? " — UNSAFE: " : "",
		    unsafe != NULL ? unsafe : "");
		if (unsafe != NULL)
			c->unsafe++;
	}
	fclose(f);
}

/*
 * Every file of dir through the router; the accuracy per sender printed
 * under label; fail on an unsafe outcome or accuracy under the bounds.
 */
static void
corpus_run(const char *dir, const char *label, int min_role, int min_all)
{
	struct corpus c;
	char *cause = NULL;
	int total = 0, right = 0, low = 0;
	size_t i;

	memset(&c, 0, sizeof c);
	log_init("test_corpus", LOG_LEVEL_ERROR);
	if ((c.cf = config_load("config/cungate.conf", &cause)) == NULL ||
	    (c.tpl = template_load("config/messages.zh.conf", &cause)) ==
	    NULL ||
	    (c.r = router_new("config/commands.conf", handlers_all, c.tpl,
	    &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(tz_parse(c.cf->timezone, "2026-03-10 10:00", &c.now),
	    0);
	c.day = checkin_day_of(c.cf, c.now);

	for (i = 0; i < CORPUS_NROLES; i++)
		corpus_file(&c, dir, i);

	printf("%s: texts from each kind of sender, the intent reached\n",
	    label);
	for (i = 0; i < CORPUS_NROLES; i++) {
		printf("%s: %-9s %4d/%-4d %5.1f%%\n", label,
		    corpus_roles[i].file, c.right[i], c.total[i],
		    c.total[i] > 0 ? 100.0 * c.right[i] / c.total[i] : 0.0);
		total += c.total[i];
		right += c.right[i];
		if (c.total[i] == 0 || 100 * c.right[i] < min_role *
		    c.total[i])
			low++;
	}
	printf("%s: %-9s %4d/%-4d %5.1f%%\n", label, "all", right, total,
	    total > 0 ? 100.0 * right / total : 0.0);
	if (c.misses.len > 0)
		printf("%s: misses\n%s", label, c.misses.data);
	fflush(stdout);
	buf_free(&c.misses);
	router_free(c.r);
	template_free(c.tpl);
	config_free(c.cf);
	if (c.unsafe > 0)
		fail_msg("%d unsafe outcome(s): see UNSAFE above", c.unsafe);
	if (low > 0 || 100 * right < min_all * total)
		fail_msg("accuracy under %d%% for a sender or %d%% in all",
		    min_role, min_all);
}

/*
 * Set a: the first texts, written before the word lists and read while
 * they were made. Set b: written apart, run once untouched (79.3% right
 * then), its misses then mended in the lists where the fix was general.
 * Set c: written apart and never tuned on: how the router does on what it
 * has not seen.
 */
static void
test_corpus_a(void **state)
{
	(void)state;
	corpus_run("tests/corpus/a", "corpus a", CORPUS_MIN_ROLE,
	    CORPUS_MIN_ALL);
}

static void
test_corpus_b(void **state)
{
	(void)state;
	corpus_run("tests/corpus/b", "corpus b", CORPUS_MIN_ROLE,
	    CORPUS_MIN_ALL);
}

static void
test_corpus_c(void **state)
{
	(void)state;
	corpus_run("tests/corpus/c", "corpus c", UNSEEN_MIN_ROLE,
	    UNSEEN_MIN_ALL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_a),
		cmocka_unit_test(test_corpus_b),
		cmocka_unit_test(test_corpus_c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
