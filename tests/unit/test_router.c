/*
 * test_router — the normaliser, the shipped command table
 * (config/commands.conf), command table errors with file:line, the shipped
 * templates' length, and router_route end to end on an in-memory store.
 *
 * Run from the top of the source tree, or set CUNGATE_SRCDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "gateway/conf.h"
#include "gateway/config.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/handler.h"
#include "handlers/router.h"
#include "handlers/template.h"
#include "tests/unit/testdb.h"

#define NOW		1700000000
#define RESIDENT	"+8613900000001"
#define CADRE		"+8613900000002"
#define STRANGER	"+8613900000003"
#define OTHER		"+8613900000004"

extern const struct handler handler_unknown;
extern const struct handler handler_help;

static char *
test_router_path(const char *rel)
{
	const char *dir = getenv("CUNGATE_SRCDIR");

	return xasprintf("%s/%s", dir != NULL ? dir : ".", rel);
}

static struct template *
test_router_templates(void)
{
	struct template *tpl;
	char *path, *cause = NULL;

	path = test_router_path("config/messages.zh.conf");
	if ((tpl = template_load(path, &cause)) == NULL)
		fail_msg("%s", cause);
	free(path);
	return tpl;
}

static struct router *
test_router_shipped(const struct template *tpl)
{
	struct router *r;
	char *path, *cause = NULL;

	path = test_router_path("config/commands.conf");
	if ((r = router_new(path, handlers_all, tpl, &cause)) == NULL)
		fail_msg("%s", cause);
	free(path);
	return r;
}

static char *
test_router_file(const char *text)
{
	char *path = xstrdup("/tmp/cungate-test-cmd-XXXXXX");
	int fd;

	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* --- normaliser --- */

static void
test_router_norm_is(const char *in, size_t len, const char *want)
{
	char *s;

	s = router_normalise(in, len);
	if (strcmp(s, want) != 0)
		fail_msg("normalise \"%s\": got \"%s\", want \"%s\"", in, s,
		    want);
	free(s);
}
#define NORM(in, want) test_router_norm_is(in, sizeof in - 1, want)

static void
test_router_normalise(void **state)
{
	(void)state;
	NORM("ＴＳ１２：", "TS12:");
	NORM("ＢＺ", "BZ");
	NORM("！～", "!~");
	NORM("注册\u3000LJZ\u3000\u3000张三", "注册 LJZ 张三");
	NORM("  a \t\r\n b  ", "a b");
	NORM("a\x01\x1f\x7f" "b", "a b");
	NORM("a\xc2\x85" "b", "a b");			/* C1 NEL */
	NORM("a\xc2\xa0\xe2\x80\x83" "b", "a b");	/* NBSP, em space */
	NORM("帮\u200b助\ufeff", "帮助");		/* invisible */
	NORM("", "");
	NORM("   \u3000 ", "");
	/* Invalid UTF-8: one U+FFFD per maximal invalid subsequence. */
	NORM("a\xff" "b", "a\xef\xbf\xbd" "b");
	NORM("a\xe4\xb8" "b", "a\xef\xbf\xbd" "b");	/* truncated */
	NORM("\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd");
	NORM("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");	/* overlong */
	NORM("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	NORM("\xf4\x90\x80\x80",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	NORM("end\xe4", "end\xef\xbf\xbd");
	NORM("😀", "😀");
	/* A NUL inside the length is a control character. */
	test_router_norm_is("a\0b", 3, "a b");
	/* Ideographic full stop and other CJK punctuation stay. */
	NORM("好。", "好。");
}

/* --- the shipped command table --- */

struct test_route {
	const char	*text;
	const char	*handler;	/* NULL: nothing matches */
	const char	*arg;		/* an argument to check, or NULL */
	const char	*value;		/* its value (NULL: absent) */
};

static const struct test_route test_routes[] = {
	{ "帮助", "help", NULL, NULL },
	{ "BZ", "help", NULL, NULL },
	{ "bz", "help", NULL, NULL },
	{ "Help", "help", NULL, NULL },
	{ "HELP?", "help", NULL, NULL },
	{ "?", "help", NULL, NULL },
	{ "？", "help", NULL, NULL },
	{ "ＨＥＬＰ", "help", NULL, NULL },
	{ " 帮助。", "help", NULL, NULL },
	{ "幫助", "help", NULL, NULL },		/* traditional */
	{ "帮 助", "help", NULL, NULL },		/* a space inside */
	{ "帮助我", "help", NULL, NULL },
	{ "这个怎么用", "help", NULL, NULL },
	/* The village and name: the handler reads them from the rest. */
	{ "注册LJZ 张三", "register", "village", "LJZ 张三" },
	{ "注册LJZ张三", "register", "village", "LJZ张三" },
	{ "注册 ljz", "register", "village", "ljz" },
	{ "注册：ＬＪＺ　张三", "register", "village", "LJZ 张三" },
	{ "ZC LJZ 张三", "register", "village", "LJZ 张三" },
	{ "zc ljz zhang san", "register", "village", "ljz zhang san" },
	{ "JOIN LJZ", "register", "village", "LJZ" },
	{ "join,LJZ,Li Si", "register", "village", "LJZ,Li Si" },
	{ "注册", "register", "village", "" },
	{ "注册 张三", "register", "village", "张三" },
	{ "ZC", "register", "village", "" },
	{ "我想注册 DZ01", "register", "village", "DZ01" },
	{ "注册东庄村 王小红", "register", "village", "东庄村王小红" },
	{ "退订", "optout", NULL, NULL },
	{ "TD", "optout", NULL, NULL },
	{ "td", "optout", NULL, NULL },
	{ "STOP", "optout", NULL, NULL },
	{ "stop.", "optout", NULL, NULL },
	{ "T", "optout", NULL, NULL },
	{ "t", "optout", NULL, NULL },
	{ "Ｔ", "optout", NULL, NULL },
	{ "退订通知", "optout", NULL, NULL },
	{ "取消订阅", "optout", NULL, NULL },
	{ "退定", "optout", NULL, NULL },
	{ "退订活动", "optout", NULL, NULL },
	{ "订阅", "optin", NULL, NULL },
	{ "DY", "optin", NULL, NULL },
	{ "start", "optin", NULL, NULL },
	{ "恢复通知", "optin", NULL, NULL },
	/* Numbers as people write them reach the handler as digits. */
	{ "报名40", "event.signup", "code", "40" },
	{ "报名40号", "event.signup", "code", "40" },
	{ "我要报名40", "event.signup", "code", "40" },
	{ "報名四十", "event.signup", "code", "40" },
	{ "报 名 40", "event.signup", "code", "40" },
	{ "参加40", "event.signup", "code", "40" },
	{ "报明12", "event.signup", "code", "12" },
	{ "取消报名40", "event.cancel", "code", "40" },
	{ "查一下6010", "grievance.status", "ticket", "6010" },
	{ "查询六零一零", "grievance.status", "ticket", "6010" },
	{ "6010咋样了", "grievance.status", "ticket", "6010" },
	{ "受理4521号", "grievance.accept", "ticket", "4521" },
	{ "代办", "grievance.todo", NULL, NULL },
	{ "平按", "checkin.ok", NULL, NULL },
	{ "发布3月15号 30人 义诊", "event.publish", "date", "3月15号" },
	{ "发布十二月二十日 50 体检", "event.publish", "capacity", "50" },
	{ "发布3.15 30 免费理发", "event.publish", "title", "免费理发" },
	{ "恢复王秀英", "checkin.resume", "elder", "王秀英" },
	{ "确认王秀英平安", "checkin.confirm", "elder", "王秀英平安" },
	{ "暂停王秀英七天", "checkin.pause", "days", "七天" },
	{ "ZT 12 7", "checkin.pause", "days", "7" },
	{ "暂停张老汉66 3天", "checkin.pause", "days", "3天" },
	{ "暂停王二妮", "checkin.pause", "days", NULL },
	{ "评一", "answer", "digit", "1" },
	{ "不满意", "answer", "digit", "3" },
	{ "基本满意", "answer", "digit", "2" },
	{ "满意", "answer", "digit", "1" },
	/* Chat: help, never anything else. */
	{ "你好", "help", NULL, NULL },
	{ "新年快乐！", "help", NULL, NULL },
	{ "谢谢，路灯修好了", "help", NULL, NULL },
	{ "点击 http://t.cn/x 领取", "help", NULL, NULL },
	/* Near misses. */
	{ "HELPME", NULL, NULL, NULL },
	{ "BZX", NULL, NULL, NULL },
	{ "ZCLJZ", NULL, NULL, NULL },
	{ "JOINT", NULL, NULL, NULL },
	{ "TSX", NULL, NULL, NULL },
	{ "TDX", NULL, NULL, NULL },
	{ "T1", NULL, NULL, NULL },
	{ "STOPPED", NULL, NULL, NULL },
	{ "DYY", NULL, NULL, NULL },
	{ "STARTUP", NULL, NULL, NULL },
	{ "THANKS", NULL, NULL, NULL },
	/* Free text is for the sender rules: none for nobody. */
	{ "路灯坏了", NULL, NULL, NULL },
	{ "", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL }
};

static void
test_router_arg_is(const char *text, const char *what, const char *got,
    const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(want, got) != 0)
		fail_msg("\"%s\": %s: got \"%s\", want \"%s\"", text, what,
		    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
}

static void
test_router_table(void **state)
{
	const struct test_route *t;
	const struct handler *h;
	struct template *tpl;
	struct router *r;
	struct router_match *m;
	char *norm;

	(void)state;
	tpl = test_router_templates();
	r = test_router_shipped(tpl);
	for (t = test_routes; t->text != NULL; t++) {
		norm = router_normalise(t->text, strlen(t->text));
		h = router_match(r, norm, &m);
		if (t->handler == NULL && h != NULL)
			fail_msg("\"%s\": matched %s, want nothing", t->text,
			    h->name);
		if (t->handler == NULL) {
			assert_null(m);
			free(norm);
			continue;
		}
		if (h == NULL)
			fail_msg("\"%s\": no match, want %s", t->text,
			    t->handler);
		if (strcmp(h->name, t->handler) != 0)
			fail_msg("\"%s\": matched %s, want %s", t->text,
			    h->name, t->handler);
		if (t->arg != NULL)
			test_router_arg_is(t->text, t->arg,
			    strcmp(t->arg, "title") == 0 ?
			    router_match_text(m, t->arg) :
			    router_match_arg(m, t->arg), t->value);
		assert_null(router_match_arg(m, "nonesuch"));
		router_match_free(m);
		free(norm);
	}
	router_match_free(NULL);
	router_free(r);
	router_free(NULL);
	template_free(tpl);
}

/* --- command table errors --- */

static const char *const test_needs_nothing[] = { NULL };
static const char *const test_needs_missing[] = { "no_such_template", NULL };

static int
test_router_run_nothing(struct handler_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const struct handler test_handler_plain = {
	.name = "plain",
	.run = test_router_run_nothing,
	.templates = test_needs_nothing,
};
static const struct handler test_handler_needy = {
	.name = "needy",
	.run = test_router_run_nothing,
	.templates = test_needs_missing,
};
static const struct handler *const test_handlers_err[] = {
	&test_handler_plain, &test_handler_needy, &handler_unknown, NULL
};

static void
test_router_fails(const struct template *tpl, const char *text, int line,
    const char *what)
{
	struct router *r;
	char *path, *cause = NULL, want[32];

	path = test_router_file(text);
	r = router_new(path, test_handlers_err, tpl, &cause);
	if (r != NULL)
		fail_msg("loaded: %s", text);
	assert_non_null(cause);
	if (line > 0)
		snprintf(want, sizeof want, "%s:%d: ", path, line);
	else
		snprintf(want, sizeof want, "%s: ", path);
	if (strncmp(cause, want, strlen(want)) != 0 ||
	    strstr(cause, what) == NULL)
		fail_msg("cause \"%s\": want \"%s\" and \"%s\"", cause, want,
		    what);
	free(cause);
	unlink(path);
	free(path);
}

static void
test_router_errors(void **state)
{
	struct template *tpl;
	struct router *r;
	struct router_match *m;
	const struct handler *h;
	char *path, *cause = NULL;

	(void)state;
	tpl = test_router_templates();
	test_router_fails(tpl, "[command a]\nhandler = plain\n"
	    "pattern = ^(A\n", 3, "bad pattern at offset 3");
	test_router_fails(tpl, "[command a]\nhandler = plain\npattern = ^A$\n"
	    "\n[command b]\nhandler = plain\npattern = ^B[$\n", 7,
	    "command b: bad pattern at offset");
	test_router_fails(tpl, "[command a]\nhandler = nosuch\n", 2,
	    "unknown handler \"nosuch\"");
	test_router_fails(tpl, "[command a]\nhandler = needy\n", 2,
	    "needs template no_such_template");
	test_router_fails(tpl, "[command a]\nhandler = plain\npattern = ^A$\n"
	    "[command a]\n", 4, "command a defined twice (first at line 1)");
	test_router_fails(tpl, "# c\n[command a]\nhandler = plain\n", 2,
	    "command a: no pattern");
	test_router_fails(tpl, "[command a]\npattern = ^A$\n", 1,
	    "command a: no handler");
	test_router_fails(tpl, "[command a]\nhandler = plain\nroles = x\n", 3,
	    "unknown key roles");
	test_router_fails(tpl, "[commands]\n", 1, "unknown section [commands]");
	test_router_fails(tpl, "[command]\n", 1, "unknown section [command]");
	test_router_fails(tpl, "pattern = ^A$\n", 1,
	    "outside a [command NAME] section");
	test_router_fails(tpl, "[command a]\nhandler = plain\n"
	    "handler = plain\n", 3, "handler given twice");
	test_router_fails(tpl, "[command a]\nhandler = plain\npattern =\n", 3,
	    "empty pattern");

	/* A continued pattern, and several patterns to one command. */
	path = test_router_file("[command a]\nhandler = plain\n"
	    "pattern = ^(?:AA|\n    BB)(?<x>\\d+)?$\npattern = ^甲$\n");
	if ((r = router_new(path, test_handlers_err, tpl, &cause)) == NULL)
		fail_msg("%s", cause);
	h = router_match(r, "bb12", &m);
	assert_ptr_equal(h, &test_handler_plain);
	assert_string_equal(router_match_arg(m, "x"), "12");
	router_match_free(m);
	h = router_match(r, "AA", &m);
	assert_ptr_equal(h, &test_handler_plain);
	assert_null(router_match_arg(m, "x"));
	router_match_free(m);
	assert_ptr_equal(router_match(r, "甲", &m), &test_handler_plain);
	router_match_free(m);
	assert_null(router_match(r, "AABB", &m));
	router_free(r);
	unlink(path);
	free(path);

	/* No fallback handler in the build. */
	{
		static const struct handler *const none[] = {
			&test_handler_plain, NULL
		};

		path = test_router_file("[command a]\nhandler = plain\n"
		    "pattern = ^A$\n");
		assert_null(router_new(path, none, tpl, &cause));
		assert_non_null(strstr(cause, "no handler \"unknown\""));
		free(cause);
		unlink(path);
		free(path);
	}
	cause = NULL;
	assert_null(router_new("/nonexistent/commands.conf", handlers_all,
	    tpl, &cause));
	assert_non_null(strstr(cause, "/nonexistent/commands.conf"));
	free(cause);
	template_free(tpl);
}

/* --- the shipped templates fit one SMS --- */

struct test_keys {
	char	*keys[256];
	size_t	 n;
};

static int
test_router_key_cb(const char *section, const char *key, const char *value,
    int cont, int line, void *arg, char **cause)
{
	struct test_keys *k = arg;

	(void)section;
	(void)value;
	(void)line;
	(void)cause;
	if (key != NULL && !cont && k->n < 256)
		k->keys[k->n++] = xstrdup(key);
	return 0;
}

static size_t
test_router_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Templates that go to cadres, supervisors or the admins, who may get two
 * parts (134 characters); or pieces of a longer text (a list's items).
 * Every other template reaches a villager and must fit one part.
 */
static const char *const test_router_official[] = {
	"modem_", "sim_full", "credit_low", "grievance_alert",
	"grievance_returned", "grievance_escalate_", "grievance_remind_",
	"grievance_reopened_cadre", "grievance_todo_", "checkin_alert_",
	"checkin_sos_alert", "checkin_sos_repeat", "event_roster_",
	"event_list_", "notice_confirm", NULL
};

static int
test_router_is_official(const char *key)
{
	size_t i;

	for (i = 0; test_router_official[i] != NULL; i++)
		if (strncmp(key, test_router_official[i],
		    strlen(test_router_official[i])) == 0)
			return 1;
	return 0;
}

/*
 * Every template, each field filled with a long value (the free texts at
 * the length the code cuts them to): a villager's reply in one UCS-2 part
 * (70 characters), an official's in two.
 */
static void
test_router_template_length(void **state)
{
	struct test_keys k;
	struct template *tpl;
	char *path, *cause = NULL, *s;
	const char *twenty = "村口路灯坏了三天晚上黑得看不见路…";
	size_t i, max;

	(void)state;
	memset(&k, 0, sizeof k);
	path = test_router_path("config/messages.zh.conf");
	if (conf_parse(path, test_router_key_cb, &k, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(k.n >= 13);
	tpl = test_router_templates();
	for (i = 0; i < k.n; i++) {
		s = template_render(tpl, k.keys[i], "name", "欧阳秀英",
		    "village", "高家圪塔村", "code", "LJZ12", "ticket", "12345",
		    "category", "低保", "hours", "24", "due", "12-31 18:30",
		    "cadre", "欧阳建国", "phone", "13912345678",
		    "status", "重新办理中", "elder", "欧阳秀英", "relation", "儿子",
		    "by", "儿子欧阳建国", "date", "12月31日", "days", "30",
		    "minutes", "180", "time", "18:30", "capacity", "100",
		    "left", "100", "confirmed", "100", "waiting", "100",
		    "number", "100", "position", "100", "recipients", "1000",
		    "parts", "2000", "done", "12月31日18:30", "limit", "10",
		    "max", "500", "count", "12", "more", "10", "modem", "m1",
		    "used", "50", "total", "50", "credit", "9.50",
		    "threshold", "10", "title", "老年人免费体检和健康讲座",
		    "place", "高家圪塔村村委会", "text", twenty, NULL);
		assert_non_null(s);
		max = test_router_is_official(k.keys[i]) ? 134 : 70;
		if (test_router_chars(s) > max)
			fail_msg("template %s: %zu characters (at most %zu): %s",
			    k.keys[i], test_router_chars(s), max, s);
		free(s);
		free(k.keys[i]);
	}
	template_free(tpl);
	free(path);
}

/* --- router_route end to end --- */

struct test_world {
	struct store		*st;
	struct template		*tpl;
	struct router		*r;
	struct config		 cf;
};

static int
test_router_setup(void **state)
{
	struct test_world *w;
	char *cause = NULL;

	w = xcalloc(1, sizeof *w);
	if ((w->st = store_open(test_db(), &cause)) == NULL)
		fail_msg("%s", cause);
	w->tpl = test_router_templates();
	w->r = test_router_shipped(w->tpl);
	w->cf.country_code = xstrdup("86");
	w->cf.recipient_hourly_cap = 10;
	w->cf.pending_max = 3;
	w->cf.reports_per_hour = 5;
	assert_int_equal(store_village_add(w->st, "LJZ", "李家庄村", NULL, NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "WJC", "王家村", NULL, NOW,
	    &cause), 0);
	assert_int_equal(store_person_put(w->st, RESIDENT, "张三", "LJZ",
	    ROLE_RESIDENT, NULL, NOW, &cause), 1);
	assert_int_equal(store_person_put(w->st, CADRE, "李主任", "LJZ",
	    ROLE_RESIDENT | ROLE_CADRE, NULL, NOW, &cause), 1);
	*state = w;
	return 0;
}

static int
test_router_teardown(void **state)
{
	struct test_world *w = *state;

	router_free(w->r);
	template_free(w->tpl);
	store_close(w->st);
	free(w->cf.country_code);
	free(w);
	return 0;
}

static int64_t
test_router_message(struct test_world *w, const char *sender,
    const char *text)
{
	static int n;
	struct store_part p;
	int64_t part, mid = 0;

	memset(&p, 0, sizeof p);
	p.modem = "m1";
	p.sender = sender;
	p.smsc = "";
	p.sent_at = NOW + n++;
	p.received_at = NOW;
	p.total = 1;
	p.seq = 1;
	p.text = text;
	assert_int_equal(store_part_insert(w->st, &p, &part), 1);
	assert_int_equal(store_part_complete(w->st, part, NOW, &mid), 1);
	return mid;
}

/* Route text from sender; check the handler recorded. */
static int64_t
test_router_route(struct test_world *w, const char *sender,
    const char *text, const char *handler)
{
	struct store_message m;
	int64_t id;

	id = test_router_message(w, sender, text);
	assert_int_equal(router_route(w->r, w->st, &w->cf, w->tpl, id, NOW), 0);
	assert_int_equal(store_message_get(w->st, id, &m), 1);
	assert_string_equal(m.state, "done");
	if (strcmp(m.handler, handler) != 0)
		fail_msg("\"%s\" from %s: handled by %s, want %s", text, sender,
		    m.handler, handler);
	store_message_clear(&m);
	return id;
}

struct test_outbox {
	int		 n;
	char		 recipient[PHONE_MAX];
	char		 text[512];
	enum outbox_class class;
	int64_t		 message_id;
};

static void
test_router_outbox_cb(const struct store_outbox *o, void *arg)
{
	struct test_outbox *t = arg;

	/* Newest first: keep the first row seen. */
	if (t->n++ > 0)
		return;
	snprintf(t->recipient, sizeof t->recipient, "%s", o->recipient);
	snprintf(t->text, sizeof t->text, "%s", o->text);
	t->class = o->class;
	t->message_id = o->message_id;
}

static int
test_router_outbox(struct test_world *w, struct test_outbox *t)
{
	memset(t, 0, sizeof *t);
	assert_int_equal(store_outbox_list(w->st, NULL, 1000,
	    test_router_outbox_cb, t), 0);
	return t->n;
}

/* The newest outbox row answers id with template key rendered so. */
static void
test_router_reply_is(struct test_world *w, int64_t id, const char *to,
    const char *key, const char *name, const char *village)
{
	struct test_outbox t;
	char *want;

	test_router_outbox(w, &t);
	want = template_render(w->tpl, key, "name", name, "village", village,
	    "code", "LJZ", NULL);
	assert_non_null(want);
	assert_string_equal(t.recipient, to);
	assert_int_equal(t.class, OUTBOX_REPLY);
	assert_int_equal(t.message_id, id);
	if (strcmp(t.text, want) != 0)
		fail_msg("reply \"%s\", want %s \"%s\"", t.text, key, want);
	free(want);
}

static void
test_router_route_help(void **state)
{
	struct test_world *w = *state;
	struct test_outbox t;
	int64_t id;

	/* Each gets their own help: a stranger how to register. */
	id = test_router_route(w, STRANGER, "帮助", "help");
	test_router_reply_is(w, id, STRANGER, "register_how", "", "");
	id = test_router_route(w, RESIDENT, "ｈｅｌｐ", "help");
	test_router_reply_is(w, id, RESIDENT, "help", "张三", "");
	id = test_router_route(w, CADRE, "BZ", "help");
	test_router_reply_is(w, id, CADRE, "help_cadre", "李主任", "");
	assert_int_equal(test_router_outbox(w, &t), 3);

	/* Routing a message twice answers once. */
	assert_int_equal(router_route(w->r, w->st, &w->cf, w->tpl, id, NOW), 0);
	assert_int_equal(test_router_outbox(w, &t), 3);
	/* A message that is not there is not an error. */
	assert_int_equal(router_route(w->r, w->st, &w->cf, w->tpl, 9999, NOW),
	    0);
}

static void
test_router_route_unknown(void **state)
{
	struct test_world *w = *state;
	int64_t id;

	/* A problem from a stranger is kept until they register. */
	id = test_router_route(w, STRANGER, "路灯坏了", "grievance.report");
	test_router_reply_is(w, id, STRANGER, "grievance_pending", "", "");
	/* Garbled text from a resident is not asked about: the hint. */
	id = test_router_route(w, RESIDENT, "bad \xff\xfe utf-8",
	    "grievance.ask");
	test_router_reply_is(w, id, RESIDENT, "hint", "张三", "李家庄村");
	id = test_router_route(w, RESIDENT, "", "unknown");
	test_router_reply_is(w, id, RESIDENT, "hint", "张三", "李家庄村");
	/* A cadre's free text is never a ticket: the cadre's hint. */
	id = test_router_route(w, CADRE, "路灯坏了", "unknown");
	test_router_reply_is(w, id, CADRE, "hint_cadre", "李主任", "");
}

static void
test_router_route_ignored(void **state)
{
	struct test_world *w = *state;
	struct test_outbox t;
	static const char *const senders[] = {
		"10086", "+8610086", "1065902100", "+86106590210012",
		"95588", "CMCC", "ChinaUnicom", NULL
	};
	size_t i;

	for (i = 0; senders[i] != NULL; i++)
		test_router_route(w, senders[i], "您的余额不足，回复BZ查询",
		    "ignored");
	assert_int_equal(test_router_outbox(w, &t), 0);
}

static void
test_router_route_sql(void **state)
{
	struct test_world *w = *state;
	struct store_message m;
	struct store_person p;
	const char *text = "'); DROP TABLE person; -- \" ZC LJZ";
	int64_t id;

	id = test_router_route(w, STRANGER, text, "unknown");
	assert_int_equal(store_message_get(w->st, id, &m), 1);
	assert_string_equal(m.text, text);
	store_message_clear(&m);
	assert_int_equal(store_person_find(w->st, RESIDENT, &p), 1);
	test_router_reply_is(w, id, STRANGER, "register_how", "", "");

	/* In the name argument: stored as the name, verbatim. */
	id = test_router_route(w, OTHER, "注册 LJZ Bob'); DROP TABLE--",
	    "register");
	assert_int_equal(store_person_find(w->st, OTHER, &p), 1);
	assert_string_equal(p.name, "Bob'); DROP TABLE--");
}

static void
test_router_route_register(void **state)
{
	struct test_world *w = *state;
	struct store_person p;
	int64_t id;

	id = test_router_route(w, STRANGER, "注册ＬＪＺ　王五", "register");
	test_router_reply_is(w, id, STRANGER, "register_ok", "王五", "李家庄村");
	assert_int_equal(store_person_find(w->st, STRANGER, &p), 1);
	assert_string_equal(p.name, "王五");
	assert_string_equal(p.village, "LJZ");
	assert_int_equal(p.roles, ROLE_RESIDENT);

	id = test_router_route(w, STRANGER, "zc ljz", "register");
	test_router_reply_is(w, id, STRANGER, "register_already", "王五",
	    "李家庄村");
	id = test_router_route(w, STRANGER, "ZC LJZ 王老五", "register");
	test_router_reply_is(w, id, STRANGER, "register_already", "王老五",
	    "李家庄村");
	assert_int_equal(store_person_find(w->st, STRANGER, &p), 1);
	assert_string_equal(p.name, "王老五");

	/* A resident moves; a cadre does not. */
	id = test_router_route(w, STRANGER, "JOIN WJC", "register");
	test_router_reply_is(w, id, STRANGER, "register_ok", "王老五", "王家村");
	assert_int_equal(store_person_find(w->st, STRANGER, &p), 1);
	assert_string_equal(p.village, "WJC");
	id = test_router_route(w, CADRE, "注册WJC", "register");
	test_router_reply_is(w, id, CADRE, "register_cadre_fixed", "李主任",
	    "李家庄村");
	assert_int_equal(store_person_find(w->st, CADRE, &p), 1);
	assert_string_equal(p.village, "LJZ");

	id = test_router_route(w, OTHER, "注册XYZ 赵六", "register");
	{
		struct test_outbox t;
		char *want;

		test_router_outbox(w, &t);
		want = template_render(w->tpl, "register_no_village", "code",
		    "XYZ", NULL);
		assert_string_equal(t.text, want);
		free(want);
	}
	assert_int_equal(store_person_find(w->st, OTHER, &p), 0);
	id = test_router_route(w, OTHER, "注册", "register/how");
	test_router_reply_is(w, id, OTHER, "register_how", "", "");
	/* By the village's name, with or without 村, the name after it. */
	id = test_router_route(w, OTHER, "我想注册王家村 赵六", "register");
	test_router_reply_is(w, id, OTHER, "register_ok", "赵六", "王家村");
	assert_int_equal(store_person_find(w->st, OTHER, &p), 1);
	assert_string_equal(p.village, "WJC");
	id = test_router_route(w, OTHER, "注册 李家庄 赵六", "register");
	test_router_reply_is(w, id, OTHER, "register_ok", "赵六", "李家庄村");

	/* A name is cut to 20 characters. */
	test_router_route(w, "+8613900000005",
	    "注册LJZ 一二三四五六七八九十一二三四五六七八九十多余", "register");
	assert_int_equal(store_person_find(w->st, "+8613900000005", &p), 1);
	assert_string_equal(p.name, "一二三四五六七八九十一二三四五六七八九十");
}

static void
test_router_route_optout(void **state)
{
	struct test_world *w = *state;
	struct store_person p;
	int64_t id;

	id = test_router_route(w, STRANGER, "T", "optout");
	test_router_reply_is(w, id, STRANGER, "optout_ok", "", "");
	assert_int_equal(store_person_find(w->st, STRANGER, &p), 1);
	assert_true(p.opted_out);
	assert_string_equal(p.village, "");
	assert_int_equal(p.roles, 0);

	/* Known only from the opt-out: still "register first". */
	id = test_router_route(w, STRANGER, "你好", "help");
	test_router_reply_is(w, id, STRANGER, "register_how", "", "");

	id = test_router_route(w, STRANGER, "订阅", "optin");
	test_router_reply_is(w, id, STRANGER, "optin_ok", "", "");
	assert_int_equal(store_person_find(w->st, STRANGER, &p), 1);
	assert_false(p.opted_out);

	id = test_router_route(w, RESIDENT, "退订", "optout");
	assert_int_equal(store_person_find(w->st, RESIDENT, &p), 1);
	assert_true(p.opted_out);
	assert_string_equal(p.village, "LJZ");
	/* Registering keeps the opt-out. */
	test_router_route(w, RESIDENT, "注册LJZ 张三丰", "register");
	assert_int_equal(store_person_find(w->st, RESIDENT, &p), 1);
	assert_true(p.opted_out);
}

/* --- roles and handler failures, with handlers made for the test --- */

static int test_router_cadre_runs;

static int
test_router_run_cadre(struct handler_ctx *ctx)
{
	test_router_cadre_runs++;
	return handler_reply(ctx, "help_cadre", "name", ctx->person->name,
	    NULL);
}

static int
test_router_run_fail(struct handler_ctx *ctx)
{
	char *cause = NULL;

	/* A write and a reply that must both be rolled back. */
	assert_int_equal(store_person_put(ctx->store, OTHER, "半途", "LJZ",
	    ROLE_RESIDENT, NULL, ctx->now, &cause), 1);
	assert_int_equal(handler_reply(ctx, "help", NULL), 0);
	return -1;
}

static const struct handler test_handler_cadre = {
	.name = "cadre.only",
	.roles = ROLE_CADRE,
	.run = test_router_run_cadre,
	.templates = test_needs_nothing,
};
static const struct handler test_handler_fail = {
	.name = "fails",
	.run = test_router_run_fail,
	.templates = test_needs_nothing,
};
static const struct handler *const test_handlers_roles[] = {
	&test_handler_cadre, &test_handler_fail, &handler_unknown, NULL
};

static void
test_router_route_roles(void **state)
{
	struct test_world *w = *state;
	struct test_outbox t;
	struct store_person p;
	char *path, *cause = NULL;
	int64_t id;

	path = test_router_file("[command accept]\nhandler = cadre.only\n"
	    "pattern = ^(?:受理|SL\\b)\\s*(?<ticket>\\d+)?$\n"
	    "[command fail]\nhandler = fails\npattern = ^FAIL$\n");
	router_free(w->r);
	if ((w->r = router_new(path, test_handlers_roles, w->tpl, &cause)) ==
	    NULL)
		fail_msg("%s", cause);
	unlink(path);
	free(path);

	id = test_router_route(w, STRANGER, "受理12", "refused");
	test_router_reply_is(w, id, STRANGER, "register_first", "", "");
	id = test_router_route(w, RESIDENT, "SL 12", "refused");
	test_router_reply_is(w, id, RESIDENT, "not_allowed", "张三", "");
	assert_int_equal(test_router_cadre_runs, 0);
	id = test_router_route(w, CADRE, "sl 12", "cadre.only");
	test_router_reply_is(w, id, CADRE, "help_cadre", "李主任", "");
	assert_int_equal(test_router_cadre_runs, 1);

	/* A failing handler: rolled back, answered, marked "error". */
	id = test_router_route(w, RESIDENT, "fail", "error");
	test_router_reply_is(w, id, RESIDENT, "error", "张三", "");
	assert_int_equal(store_person_find(w->st, OTHER, &p), 0);
	assert_int_equal(test_router_outbox(w, &t), 4);
}

/* router_extract (issue 7): the SIM balance out of a USSD answer. */
static void
test_router_extract(void **state)
{
	char *out = NULL, *cause = NULL;

	(void)state;
	assert_int_equal(router_extract("余额为?(\\d+(?:\\.\\d+)?)元",
	    "尊敬的客户，您的账户余额为12.50元。", &out, &cause), 1);
	assert_string_equal(out, "12.50");
	free(out);
	assert_int_equal(router_extract("\\d+", "balance 42 CNY", &out,
	    &cause), 1);
	assert_string_equal(out, "42");
	free(out);
	assert_int_equal(router_extract("余额(\\d+)", "查询失败", &out,
	    &cause), 0);
	assert_null(out);
	assert_int_equal(router_extract("(", "x", &out, &cause), -1);
	assert_non_null(strstr(cause, "pattern \"(\""));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_normalise),
		cmocka_unit_test(test_router_table),
		cmocka_unit_test(test_router_errors),
		cmocka_unit_test(test_router_template_length),
		cmocka_unit_test(test_router_extract),
#define WORLD(t) cmocka_unit_test_setup_teardown(t, test_router_setup, \
	test_router_teardown)
		WORLD(test_router_route_help),
		WORLD(test_router_route_unknown),
		WORLD(test_router_route_ignored),
		WORLD(test_router_route_sql),
		WORLD(test_router_route_register),
		WORLD(test_router_route_optout),
		WORLD(test_router_route_roles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
