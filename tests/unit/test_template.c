/*
 * test_template — loading messages files and rendering templates: fields,
 * missing fields, literal braces, continuation lines, and errors that
 * name file:line.
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

#include "gateway/util.h"
#include "handlers/template.h"

/* Write text to a new temp file; the caller unlinks and frees the path. */
static char *
test_template_file(const char *text)
{
	char *path = xstrdup("/tmp/cungate-test-tpl-XXXXXX");
	int fd;

	fd = mkstemp(path);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static struct template *
test_template_load(const char *text, char **cause)
{
	struct template *tpl;
	char *path;

	path = test_template_file(text);
	*cause = NULL;
	tpl = template_load(path, cause);
	unlink(path);
	free(path);
	return tpl;
}

/* Loading text fails with a cause at line whose message has what. */
static void
test_template_fails(const char *text, int line, const char *what)
{
	struct template *tpl;
	char *cause, want[32];

	tpl = test_template_load(text, &cause);
	assert_null(tpl);
	assert_non_null(cause);
	snprintf(want, sizeof want, ":%d: ", line);
	if (strstr(cause, want) == NULL || strstr(cause, what) == NULL)
		fail_msg("cause \"%s\": want \"%s\" and \"%s\"", cause, want,
		    what);
	assert_true(strncmp(cause, "/tmp/cungate-test-tpl-", 22) == 0);
	free(cause);
}

static void
test_template_fields(void **state)
{
	struct template *tpl;
	char *cause, *s;

	(void)state;
	tpl = test_template_load("[messages]\n"
	    "ok = {name}您好，已登记为{village}村民。\n"
	    "twice = {a}-{a}-{b}\n"
	    "plain = 没有字段\n", &cause);
	assert_non_null(tpl);
	assert_true(template_has(tpl, "ok"));
	assert_false(template_has(tpl, "nope"));

	s = template_render(tpl, "ok", "village", "李家庄村", "name", "张三",
	    NULL);
	assert_string_equal(s, "张三您好，已登记为李家庄村村民。");
	free(s);
	s = template_render(tpl, "twice", "a", "x", "b", "y", NULL);
	assert_string_equal(s, "x-x-y");
	free(s);
	s = template_render(tpl, "plain", "unused", "z", NULL);
	assert_string_equal(s, "没有字段");
	free(s);
	assert_null(template_render(tpl, "nope", NULL));
	template_free(tpl);
	template_free(NULL);
}

static void
test_template_missing_field(void **state)
{
	struct template *tpl;
	char *cause, *s;

	(void)state;
	tpl = test_template_load("[messages]\nok = {name}您好{x}！\n",
	    &cause);
	assert_non_null(tpl);
	s = template_render(tpl, "ok", NULL);
	assert_string_equal(s, "您好！");
	free(s);
	s = template_render(tpl, "ok", "name", NULL, NULL);
	assert_string_equal(s, "您好！");
	free(s);
	template_free(tpl);
}

static void
test_template_braces(void **state)
{
	struct template *tpl;
	char *cause, *s;

	(void)state;
	tpl = test_template_load("[messages]\n"
	    "b = {{literal}} {{{name}}} }}{{\n", &cause);
	assert_non_null(tpl);
	s = template_render(tpl, "b", "name", "v", NULL);
	assert_string_equal(s, "{literal} {v} }{");
	free(s);
	template_free(tpl);
}

static void
test_template_continuation(void **state)
{
	struct template *tpl;
	char *cause, *s;

	(void)state;
	tpl = test_template_load("# comment\n"
	    "[messages]\n"
	    "long = 第一行，\n"
	    "    {name}第二行；\n"
	    "\t第三行\n"
	    "next = 下一个\n", &cause);
	assert_non_null(tpl);
	s = template_render(tpl, "long", "name", "张三", NULL);
	assert_string_equal(s, "第一行，张三第二行；第三行");
	free(s);
	s = template_render(tpl, "next", NULL);
	assert_string_equal(s, "下一个");
	free(s);
	template_free(tpl);
}

static void
test_template_errors(void **state)
{
	char *cause;

	(void)state;
	test_template_fails("[messages]\nok = fine\nbad = 您好{name\n", 3,
	    "unterminated '{'");
	test_template_fails("[messages]\nbad = 您好{na me}\n", 2,
	    "unterminated '{'");
	/* A field may not span lines: the error is on the first. */
	test_template_fails("[messages]\nbad = 您好{na\n    me}\n", 2,
	    "unterminated '{'");
	test_template_fails("[messages]\nbad = 您好 }\n", 2, "single '}'");
	test_template_fails("[messages]\nbad = {}\n", 2, "empty field");
	test_template_fails("[messages]\na = x\n\n[other]\nb = y\n", 4,
	    "unknown section [other]");
	test_template_fails("a = x\n[messages]\n", 1,
	    "a before the [messages] section");
	test_template_fails("[messages]\na = x\nb = y\na = z\n", 4,
	    "template a defined twice (first at line 2)");
	test_template_fails("[messages]\na =\n", 2, "empty");
	test_template_fails("[messages]\nno equals sign here\n", 2,
	    "syntax error");

	cause = NULL;
	assert_null(template_load("/nonexistent/messages.conf", &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent/messages.conf"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_fields),
		cmocka_unit_test(test_template_missing_field),
		cmocka_unit_test(test_template_braces),
		cmocka_unit_test(test_template_continuation),
		cmocka_unit_test(test_template_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
