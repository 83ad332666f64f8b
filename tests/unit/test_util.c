/* util: phone numbers, local time, buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/util.h"

static void
test_phone_normalise(void **state)
{
	char out[PHONE_MAX];

	(void)state;
	assert_int_equal(phone_normalise("13912345678", "86", out), 0);
	assert_string_equal(out, "+8613912345678");
	assert_int_equal(phone_normalise("+86 139-1234-5678", "86", out), 0);
	assert_string_equal(out, "+8613912345678");
	assert_int_equal(phone_normalise("8613912345678", "86", out), 0);
	assert_string_equal(out, "+8613912345678");
	assert_int_equal(phone_normalise("008613912345678", "86", out), 0);
	assert_string_equal(out, "+8613912345678");
	assert_int_equal(phone_normalise("029-12345678", "86", out), 0);
	assert_string_equal(out, "+862912345678");
	assert_int_equal(phone_normalise("10086", "86", out), -1);
	assert_int_equal(phone_normalise("China Mobile", "86", out), -1);
	assert_int_equal(phone_normalise("", "86", out), -1);
	assert_int_equal(phone_normalise("+", "86", out), -1);
	assert_int_equal(phone_normalise("+1234567890123456789", "86", out),
	    -1);
}

static void
test_phone_is_mobile(void **state)
{
	(void)state;
	assert_true(phone_is_mobile("+8613912345678", "86"));
	assert_false(phone_is_mobile("10086", "86"));
	assert_false(phone_is_mobile("+8610086", "86"));
	assert_false(phone_is_mobile("+861069012345678", "86"));
	assert_false(phone_is_mobile("+862912345678", "86"));
	assert_false(phone_is_mobile("ICBC", "86"));
	assert_true(phone_is_mobile("+447700900123", "86"));
}

static void
test_phone_mask(void **state)
{
	char buf[PHONE_MAX];

	(void)state;
	assert_string_equal(phone_mask("+8613912345678", buf),
	    "+86139****5678");
	assert_string_equal(phone_mask("10086", buf), "10086");
}

static void
test_tz(void **state)
{
	char buf[32];
	time_t t;

	(void)state;
	assert_int_equal(tz_parse("Asia/Shanghai", "2026-11-27 08:00", &t),
	    0);
	assert_int_equal((long long)t, 1795737600LL);
	assert_string_equal(tz_format("UTC", t, buf), "2026-11-27 00:00:00");
	assert_string_equal(tz_format("Asia/Shanghai", t, buf),
	    "2026-11-27 08:00:00");
	assert_int_equal(tz_parse("UTC", "2026-11-27 08:00:30", &t), 0);
	assert_int_equal((long long)t, 1795766430LL);
	assert_int_equal(tz_parse("UTC", "tomorrow", &t), -1);
	assert_int_equal(tz_parse("UTC", "2026-11-27 08:00 junk", &t), -1);
	/* A day that does not exist is refused, not rolled over. */
	assert_int_equal(tz_parse("Asia/Shanghai", "2026-02-30 10:00", &t), -1);
	assert_int_equal(tz_parse("Asia/Shanghai", "2026-04-31 10:00", &t), -1);
	assert_int_equal(tz_parse("Asia/Shanghai", "2028-02-29 10:00", &t), 0);
}

static void
test_buf(void **state)
{
	struct buf b = { NULL, 0, 0 };
	char *s;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i % 10);
	assert_int_equal(b.len, 2000);
	s = buf_take(&b);
	assert_int_equal(strlen(s), 2000);
	assert_null(b.data);
	free(s);
	s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
}

/* Text as a modem may hand it over, and what the store keeps. */
static void
test_utf8_scrub(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "平安", "平安" },
		{ "ok \xf0\x9f\x98\x80", "ok \xf0\x9f\x98\x80" },	/* U+1F600 */
		{ "bad \xff\xfe utf-8", "bad \xef\xbf\xbd\xef\xbf\xbd utf-8" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd" },				/* > U+10FFFF */
		{ "cut \xe5\xb9", "cut \xef\xbf\xbd\xef\xbf\xbd" },	/* at the end */
		{ "", "" },
	};
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		out = utf8_scrub(cases[i].in);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone_normalise),
		cmocka_unit_test(test_utf8_scrub),
		cmocka_unit_test(test_phone_is_mobile),
		cmocka_unit_test(test_phone_mask),
		cmocka_unit_test(test_tz),
		cmocka_unit_test(test_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
