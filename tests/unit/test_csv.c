/*
 * test_csv — the RFC 4180 reader behind `cungatectl resident import`:
 * quoting, line endings, a byte order mark, line numbers, and malformed
 * records that are reported and skipped while reading goes on (run under
 * ASan: nothing reads past the buffer, which is not NUL-terminated here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gateway/csv.h"
#include "gateway/util.h"

/* A reader over an exact copy of s, with no NUL after it. */
struct test_csv {
	char		*data;
	struct csv	*csv;
	struct csv_row	 row;
};

static void
test_csv_open(struct test_csv *t, const char *s, size_t len)
{
	memset(t, 0, sizeof *t);
	t->data = xmalloc(len > 0 ? len : 1);
	memcpy(t->data, s, len);
	t->csv = csv_new(t->data, len);
}

static void
test_csv_close(struct test_csv *t)
{
	csv_row_clear(&t->row);
	csv_free(t->csv);
	free(t->data);
}

/* Read one record and check it: its line and its fields. */
static void
test_csv_expect(struct test_csv *t, int line, size_t n, ...)
{
	char *cause = NULL;
	va_list ap;
	size_t i;

	assert_int_equal(csv_read(t->csv, &t->row, &cause), 1);
	assert_null(cause);
	assert_int_equal(t->row.line, line);
	assert_int_equal(t->row.nfields, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(t->row.fields[i], va_arg(ap, const char *));
	va_end(ap);
}

/* Read one malformed record: -1 at line, with a cause. */
static void
test_csv_expect_bad(struct test_csv *t, int line)
{
	char *cause = NULL;

	assert_int_equal(csv_read(t->csv, &t->row, &cause), -1);
	assert_non_null(cause);
	assert_int_equal(t->row.line, line);
	free(cause);
}

static void
test_csv_expect_end(struct test_csv *t)
{
	char *cause = NULL;

	assert_int_equal(csv_read(t->csv, &t->row, &cause), 0);
	assert_null(cause);
}

#define OPEN(t, s)	test_csv_open((t), (s), sizeof(s) - 1)

static void
test_csv_plain(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "phone,name,village\n13900000001,张三,V1\n");
	test_csv_expect(&t, 1, 3, "phone", "name", "village");
	test_csv_expect(&t, 2, 3, "13900000001", "张三", "V1");
	test_csv_expect_end(&t);
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

/* No newline at the end; empty fields, a trailing comma. */
static void
test_csv_edges(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "a,,c\n,\nx,y,");
	test_csv_expect(&t, 1, 3, "a", "", "c");
	test_csv_expect(&t, 2, 2, "", "");
	test_csv_expect(&t, 3, 3, "x", "y", "");
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

/* Quoted commas, doubled quotes and a line break inside a field. */
static void
test_csv_quoted(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\nnext,\"\"\n");
	test_csv_expect(&t, 1, 3, "a,b", "say \"hi\"", "two\nlines");
	test_csv_expect(&t, 3, 2, "next", "");
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

/* CRLF, a lone CR, a blank line; a UTF-8 BOM is not part of a field. */
static void
test_csv_line_endings(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "\xef\xbb\xbfphone,name\r\n1,\"x\r\ny\"\r\n\r\n2,b\r3,c");
	test_csv_expect(&t, 1, 2, "phone", "name");
	test_csv_expect(&t, 2, 2, "1", "x\r\ny");
	test_csv_expect(&t, 4, 1, "");
	test_csv_expect(&t, 5, 2, "2", "b");
	test_csv_expect(&t, 6, 2, "3", "c");
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

/* A quote inside an unquoted field is text, as spreadsheets write it. */
static void
test_csv_stray_quote(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "5\"2,x\n");
	test_csv_expect(&t, 1, 2, "5\"2", "x");
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

/* Bad records are reported with their line; the next one is read. */
static void
test_csv_bad_records(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "ok,1\n\"bad\"x,2\nok,3\na\0b,4\nok,5\n"
	    "\"open,6\nnever closed");
	test_csv_expect(&t, 1, 2, "ok", "1");
	test_csv_expect_bad(&t, 2);
	test_csv_expect(&t, 3, 2, "ok", "3");
	test_csv_expect_bad(&t, 4);
	test_csv_expect(&t, 5, 2, "ok", "5");
	test_csv_expect_bad(&t, 6);
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

/* A file saved as UTF-16 is refused in one line, not as garbage rows. */
static void
test_csv_utf16(void **state)
{
	struct test_csv t;

	(void)state;
	OPEN(&t, "\xff\xfep\0h\0o\0n\0e\0\n\0");
	test_csv_expect_bad(&t, 1);
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

static void
test_csv_empty(void **state)
{
	struct test_csv t;

	(void)state;
	test_csv_open(&t, "", 0);
	test_csv_expect_end(&t);
	test_csv_close(&t);
	OPEN(&t, "\xef\xbb\xbf");
	test_csv_expect_end(&t);
	test_csv_close(&t);
}

static void
test_write_field(void **state)
{
	struct buf b = { NULL, 0, 0 };

	(void)state;
	csv_write_field(&b, "王秀英", 0);
	csv_write_field(&b, "a,b", 0);
	csv_write_field(&b, "say \"hi\"", 0);
	csv_write_field(&b, "line\nbreak", 1);
	assert_string_equal(b.data,
	    "王秀英,\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\"\r\n");
	buf_free(&b);
}

/* Cells a spreadsheet would run as formulas go out as text, and back. */
static void
test_write_formula_cells(void **state)
{
	static const char *cells[] = { "=HYPERLINK(\"http://x\",\"点\")",
	    "+8613900000001", "-1+1", "@SUM(A1)", "\t=1", "a=1", "" };
	struct buf b;
	struct csv *c;
	struct csv_row row;
	char *cause = NULL;
	size_t i, n = sizeof cells / sizeof cells[0];

	(void)state;
	memset(&b, 0, sizeof b);
	for (i = 0; i < n; i++)
		csv_write_field(&b, cells[i], i == n - 1);
	assert_string_equal(b.data,
	    "\"'=HYPERLINK(\"\"http://x\"\",\"\"点\"\")\","
	    "\"'+8613900000001\",\"'-1+1\",\"'@SUM(A1)\",\"'\t=1\",a=1,\r\n");
	c = csv_new(b.data, b.len);
	memset(&row, 0, sizeof row);
	assert_int_equal(csv_read(c, &row, &cause), 1);
	assert_int_equal(row.nfields, n);
	for (i = 0; i < n; i++)
		assert_string_equal(row.fields[i], cells[i]);
	csv_row_clear(&row);
	csv_free(c);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_field),
		cmocka_unit_test(test_write_formula_cells),
		cmocka_unit_test(test_csv_plain),
		cmocka_unit_test(test_csv_edges),
		cmocka_unit_test(test_csv_quoted),
		cmocka_unit_test(test_csv_line_endings),
		cmocka_unit_test(test_csv_stray_quote),
		cmocka_unit_test(test_csv_bad_records),
		cmocka_unit_test(test_csv_utf16),
		cmocka_unit_test(test_csv_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
