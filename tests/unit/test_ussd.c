/* ussd: menu steps, paging within the screen limit, the form parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/http.h"
#include "gateway/ussd.h"
#include "gateway/util.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof path, "/tmp/cungate-test-ussd-%d.conf",
	    (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static size_t
units(const char *s)
{
	size_t limit;

	return ussd_units(s, &limit);
}

static void
expect(const struct ussd_menu *m, const char *text, enum ussd_kind kind,
    const char *want)
{
	struct ussd_step st;
	size_t limit;

	ussd_menu_step(m, text, &st);
	assert_int_equal(st.kind, kind);
	if (kind == USSD_ACTION)
		assert_string_equal(st.command, want);
	else {
		if (strstr(st.screen, want) == NULL)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", text,
			    st.screen, want);
		assert_true(ussd_units(st.screen, &limit) <= limit);
	}
	ussd_step_clear(&st);
}

static void
test_ussd_shipped_menu(void **state)
{
	struct ussd_menu *m;
	char *cause = NULL;

	(void)state;
	m = ussd_menu_load("config/ussd.zh.conf", &cause);
	if (m == NULL)
		fail_msg("%s", cause);
	expect(m, "", USSD_CON, "1 反映问题\n2 查询工单");
	expect(m, "1", USSD_CON, "请输入");
	expect(m, "1*路灯坏了", USSD_ACTION, "投诉 路灯坏了");
	expect(m, "1*路灯*坏了", USSD_ACTION, "投诉 路灯*坏了");
	expect(m, "2*12", USSD_ACTION, "查询 12");
	expect(m, "3", USSD_ACTION, "平安");
	/* Unknown choices show the menu again; paging past the end too. */
	expect(m, "9", USSD_CON, "1 反映问题");
	expect(m, "0*00*x", USSD_CON, "1 反映问题");
	expect(m, "9*4", USSD_ACTION, "帮助");
	ussd_menu_free(m);
}

static void
test_ussd_paging(void **state)
{
	struct ussd_menu *m;
	struct buf b;
	char *cause = NULL, *text;
	int i;

	(void)state;
	memset(&b, 0, sizeof b);
	buf_adds(&b, "[menu]\ntitle = 请选择服务项目\nmore = 0 更多\n"
	    "back = 00 返回\n");
	for (i = 1; i <= 12; i++)
		buf_printf(&b, "[item i%d]\nlabel = 第%d项村务服务内容\n"
		    "command = 帮助 %d\n", i, i, i);
	text = buf_take(&b);
	buf_free(&b);
	write_file(text);
	free(text);
	m = ussd_menu_load(path, &cause);
	if (m == NULL)
		fail_msg("%s", cause);
	expect(m, "", USSD_CON, "0 更多");
	expect(m, "0", USSD_CON, "00 返回");
	expect(m, "0*00", USSD_CON, "1 第1项");
	expect(m, "0*0*0*0*0*0*0*0", USSD_CON, "12 第12项");
	expect(m, "0*0*0*0*0*0*0*0*12", USSD_ACTION, "帮助 12");
	ussd_menu_free(m);
	unlink(path);
}

static void
expect_menu_error(const char *text, const char *want)
{
	char *cause = NULL;

	write_file(text);
	assert_null(ussd_menu_load(path, &cause));
	if (strstr(cause, want) == NULL)
		fail_msg("got \"%s\", want \"%s\"", cause, want);
	free(cause);
	unlink(path);
}

static void
test_ussd_menu_errors(void **state)
{
	(void)state;
	expect_menu_error("[menu]\ntitle = x\n", "no [item");
	expect_menu_error("[menu]\ncolour = x\n", ":2: unknown key");
	expect_menu_error("[item a]\nlabel = x\n", ":1: an item needs");
	expect_menu_error("[item a]\nlabel = x\nprompt = y\ncommand = 帮助\n",
	    ":1: an item with a prompt");
	expect_menu_error("[sub]\n", ":1: unknown section");
}

static void
test_ussd_text(void **state)
{
	char *s;

	(void)state;
	assert_true(ussd_utf8_valid("平安 ok", strlen("平安 ok")));
	assert_false(ussd_utf8_valid("\xff", 1));
	assert_false(ussd_utf8_valid("\xc0\xaf", 2));		/* overlong */
	assert_false(ussd_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	assert_false(ussd_utf8_valid("\xe5\xb9", 2));		/* cut */
	assert_false(ussd_utf8_valid("a\0b", 3));
	assert_int_equal(units("abc{"), 5);
	assert_int_equal(units("平安😀"), 4);
	s = ussd_fit("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
	    "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
	    "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十");
	assert_int_equal(units(s), 80);
	free(s);
}

static void
test_ussd_form(void **state)
{
	struct http_ussd_form f;
	char *cause = NULL;
	const char *ok = "sessionId=ATU-1&serviceCode=%2A384%2A12%23"
	    "&phoneNumber=%2B8613900000001&text=1%2A%E8%B7%AF+x";

	(void)state;
	assert_int_equal(http_ussd_form_parse(ok, strlen(ok), &f, &cause), 0);
	assert_string_equal(f.session, "ATU-1");
	assert_string_equal(f.service, "*384*12#");
	assert_string_equal(f.phone, "+8613900000001");
	assert_string_equal(f.text, "1*路 x");
	http_ussd_form_clear(&f);
#define BAD(body) do {							\
	assert_int_equal(http_ussd_form_parse(body, sizeof body - 1, &f,	\
	    &cause), -1);						\
	free(cause);							\
	cause = NULL;							\
} while (0)
	BAD("sessionId=a&phoneNumber=1&text=%FF");
	BAD("phoneNumber=1&text=");
	BAD("sessionId=a");
	BAD("sessionId=a%20b&phoneNumber=1");
	BAD("sessionId=a&phoneNumber=1\0x");
	BAD("");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ussd_shipped_menu),
		cmocka_unit_test(test_ussd_paging),
		cmocka_unit_test(test_ussd_menu_errors),
		cmocka_unit_test(test_ussd_text),
		cmocka_unit_test(test_ussd_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
