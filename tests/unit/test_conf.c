/* conf and config: INI entries with their lines, errors naming file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/conf.h"
#include "gateway/config.h"
#include "gateway/util.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f;

	snprintf(path, sizeof path, "/tmp/cungate-test-conf-%d.conf",
	    (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct seen {
	struct buf	log;
};

static int
record(const char *section, const char *key, const char *value, int cont,
    int line, void *arg, char **cause)
{
	struct seen *s = arg;

	(void)cause;
	buf_printf(&s->log, "%d:%s:%s=%s%s;", line, section,
	    key ? key : "(section)", value ? value : "", cont ? "+" : "");
	return 0;
}

static void
test_conf_lines_and_continuations(void **state)
{
	struct seen s = { { NULL, 0, 0 } };
	char *cause = NULL;

	(void)state;
	write_file("; comment\n[a]\nx = 1\n\n[b]\nlong = part one\n"
	    "  part two\ny=2\n[empty]\n[c]\ny = ^(a|\n  [bc])\n"
	    "[d]\n  y = 3\n");
	assert_int_equal(conf_parse(path, record, &s, &cause), 0);
	assert_string_equal(s.log.data, "2:a:(section)=;3:a:x=1;"
	    "5:b:(section)=;6:b:long=part one;7:b:long=part two+;8:b:y=2;"
	    "9:empty:(section)=;10:c:(section)=;11:c:y=^(a|;12:c:y=[bc])+;"
	    "13:d:(section)=;14:d:y=3;");
	buf_free(&s.log);
	unlink(path);
}

static int
reject_y(const char *section, const char *key, const char *value, int cont,
    int line, void *arg, char **cause)
{
	(void)section; (void)value; (void)cont; (void)line; (void)arg;
	if (key != NULL && strcmp(key, "y") == 0) {
		*cause = xstrdup("no y here");
		return -1;
	}
	return 0;
}

static void
test_conf_errors(void **state)
{
	char *cause = NULL, want[128], line[400];

	(void)state;
	write_file("[a]\nx = 1\ny = 2\n");
	assert_int_equal(conf_parse(path, reject_y, NULL, &cause), -1);
	snprintf(want, sizeof want, "%s:3: no y here", path);
	assert_string_equal(cause, want);
	free(cause);

	write_file("[a]\nx = 1\nthis line has no equals sign\n");
	assert_int_equal(conf_parse(path, reject_y, NULL, &cause), -1);
	snprintf(want, sizeof want, "%s:3:", path);
	assert_non_null(strstr(cause, want));
	free(cause);

	memset(line, 'v', sizeof line);
	memcpy(line, "k = ", 4);
	line[sizeof line - 1] = '\0';
	write_file("[a]\n");
	{
		FILE *f = fopen(path, "a");
		fprintf(f, "%s\n", line);
		fclose(f);
	}
	assert_int_equal(conf_parse(path, reject_y, NULL, &cause), -1);
	snprintf(want, sizeof want, "%s:2: line too long", path);
	assert_non_null(strstr(cause, want));
	free(cause);

	assert_int_equal(conf_parse("/nonexistent/x.conf", reject_y, NULL,
	    &cause), -1);
	assert_non_null(strstr(cause, "/nonexistent/x.conf"));
	free(cause);
	unlink(path);
}

static void
test_config_load(void **state)
{
	struct config *cf;
	char *cause = NULL;

	(void)state;
	write_file("[gateway]\ndatabase = var/x.db\ntimezone = UTC\n"
	    "log_level = debug\n[modem m1]\ndevice = /dev/ttyUSB0\n"
	    "send_rate = 6\n[modem m2]\ndevice = d\nmodel = dummy\n"
	    "connection = none\n");
	cf = config_load(path, &cause);
	assert_non_null(cf);
	assert_string_equal(cf->database, "/tmp/var/x.db");
	assert_string_equal(cf->timezone, "UTC");
	assert_int_equal(cf->nmodems, 2);
	assert_string_equal(cf->modems[0].name, "m1");
	assert_int_equal(cf->modems[0].send_rate, 6);
	assert_string_equal(cf->modems[0].connection, "at");
	assert_string_equal(cf->modems[1].model, "dummy");
	assert_ptr_equal(config_modem_find(cf, "m2"), &cf->modems[1]);
	assert_null(config_modem_find(cf, "m3"));
	config_free(cf);
	unlink(path);
}

static void
test_config_issue3_keys(void **state)
{
	struct config *cf;
	char *cause = NULL;

	(void)state;
	write_file("[gateway]\nquiet_hours = 22:30-06:15\n"
	    "admin_phones = 13900000009, +8613900000008\n"
	    "[modem m1]\ndevice = x\nprefixes = 134,135,+86150\n"
	    "delivery_reports = no\nhangup_calls = off\n");
	cf = config_load(path, &cause);
	if (cf == NULL)
		fail_msg("%s", cause);
	assert_int_equal(cf->quiet_start, 22 * 60 + 30);
	assert_int_equal(cf->quiet_end, 6 * 60 + 15);
	assert_int_equal(cf->nadmin_phones, 2);
	assert_string_equal(cf->admin_phones[0], "+8613900000009");
	assert_string_equal(cf->admin_phones[1], "+8613900000008");
	assert_int_equal(cf->modems[0].nprefixes, 3);
	assert_string_equal(cf->modems[0].prefixes[0], "+86134");
	assert_string_equal(cf->modems[0].prefixes[2], "+86150");
	assert_int_equal(cf->modems[0].delivery_reports, 0);
	assert_int_equal(cf->modems[0].hangup_calls, 0);
	config_free(cf);
	/* Defaults: 21:00-07:00, reports and hang-ups on. */
	write_file("[modem m1]\ndevice = x\n");
	cf = config_load(path, &cause);
	assert_non_null(cf);
	assert_int_equal(cf->quiet_start, 21 * 60);
	assert_int_equal(cf->quiet_end, 7 * 60);
	assert_int_equal(cf->modems[0].delivery_reports, 1);
	assert_int_equal(cf->modems[0].hangup_calls, 1);
	config_free(cf);
	write_file("[gateway]\nquiet_hours = off\n");
	cf = config_load(path, &cause);
	assert_non_null(cf);
	assert_int_equal(cf->quiet_start, cf->quiet_end);
	config_free(cf);
	unlink(path);
}

static void
test_config_grievance(void **state)
{
	const struct config_category *c;
	struct config *cf;
	char *cause = NULL;

	(void)state;
	write_file("[grievance]\naccept_hours = 12\nresolve_days = 5\n"
	    "urgent_resolve_hours = 4\nsatisfaction_days = 2\n"
	    "escalate_percent = 0\n"
	    "[category 水]\nkeywords = 水管, 停水，自来水、漏水\n"
	    "[category 安全]\nkeywords = 漏电\nurgent = yes\n");
	cf = config_load(path, &cause);
	if (cf == NULL)
		fail_msg("%s", cause);
	assert_int_equal(cf->accept_hours, 12);
	assert_int_equal(cf->resolve_days, 5);
	assert_int_equal(cf->urgent_resolve_hours, 4);
	assert_int_equal(cf->satisfaction_days, 2);
	assert_int_equal(cf->escalate_percent, 0);
	assert_int_equal(cf->ncategories, 2);
	assert_int_equal(cf->categories[0].nkeywords, 4);
	assert_string_equal(cf->categories[0].keywords[1], "停水");
	assert_string_equal(cf->categories[0].keywords[3], "漏水");
	assert_false(cf->categories[0].urgent);
	assert_true(cf->categories[1].urgent);
	c = config_category_match(cf, "家里自来水停了");
	assert_non_null(c);
	assert_string_equal(c->name, "水");
	assert_null(config_category_match(cf, "路灯坏了"));
	assert_ptr_equal(config_category_find(cf, "安全"), &cf->categories[1]);
	config_free(cf);
	/* Defaults: 24 h, 7 days, 2 h, 3 days, 50 %, built-in categories. */
	write_file("[gateway]\n");
	cf = config_load(path, &cause);
	assert_non_null(cf);
	assert_int_equal(cf->accept_hours, 24);
	assert_int_equal(cf->resolve_days, 7);
	assert_int_equal(cf->urgent_resolve_hours, 2);
	assert_int_equal(cf->satisfaction_days, 3);
	assert_int_equal(cf->escalate_percent, 50);
	assert_true(cf->ncategories >= 5);
	c = config_category_match(cf, "村口路灯坏了");
	assert_non_null(c);
	assert_string_equal(c->name, "电");
	config_free(cf);
	unlink(path);
}

static void
expect_config_error(const char *text, const char *want)
{
	struct config *cf;
	char *cause = NULL, full[256];

	write_file(text);
	cf = config_load(path, &cause);
	assert_null(cf);
	snprintf(full, sizeof full, "%s:%s", path, want);
	if (strstr(cause, full) == NULL)
		fail_msg("got \"%s\", want \"%s\"", cause, full);
	free(cause);
	unlink(path);
}

static void
test_config_errors(void **state)
{
	(void)state;
	expect_config_error("[gateway]\nfoo = 1\n", "2: unknown key \"foo\"");
	expect_config_error("[gateway]\n[gatway]\n", "2: unknown section");
	expect_config_error("x = 1\n", "1: \"x\" outside any section");
	expect_config_error("[modem m1]\ndevice=a\n[modem m1]\n",
	    "3: [modem m1] appears twice");
	expect_config_error("[modem bad name!]\n", "1: [modem bad name!]");
	expect_config_error("[modem m1]\nmodel = at\n", "1: [modem m1] needs");
	expect_config_error("[gateway]\nwatchdog_timeout = 0\n", "2: \"0\"");
	expect_config_error("[gateway]\nlog_level = loud\n", "2: log_level");
	expect_config_error("[gateway]\nquiet_hours = 25:00-07:00\n",
	    "2: quiet_hours");
	expect_config_error("[gateway]\nadmin_phones = 139, nobody\n",
	    "2: \"139\" is not a phone");
	expect_config_error("[modem m1]\ndevice = x\nprefixes = 13x\n",
	    "3: prefix \"13x\"");
	expect_config_error("[modem m1]\ndevice = x\nhangup_calls = maybe\n",
	    "3: \"maybe\" is not yes or no");
	expect_config_error("[grievance]\naccept = 1\n",
	    "2: unknown key \"accept\" in [grievance]");
	expect_config_error("[grievance]\nresolve_days = 0\n", "2: \"0\"");
	expect_config_error("[category 水]\ncolour = blue\n",
	    "2: unknown key \"colour\" in [category 水]");
	expect_config_error("[category 水]\nkeywords = a\n[category 水]\n",
	    "3: [category 水] appears twice");
	expect_config_error("[category 水]\nurgent = yes\n",
	    "1: [category 水] needs keywords");
	expect_config_error("[category a b]\n", "1: [category a b]");
	/* A key given twice is an error, not a silent override. */
	expect_config_error("[gateway]\ndatabase = a.db\ntimezone = UTC\n"
	    "database = b.db\n", "4: \"database\" given twice in [gateway] "
	    "(first at line 2)");
	expect_config_error("[modem m1]\ndevice = x\ndevice = y\n",
	    "3: \"device\" given twice");
	/* A malformed section header is reported on its own line. */
	expect_config_error("[gateway]\ndatabase = a.db\n[checkin\ndue = 09:30\n",
	    "3: malformed section header");
	expect_config_error("[gateway\ndatabase = a.db\n",
	    "1: malformed section header");
}

/* [http] (issue 7): off by default, keys checked, errors with file:line. */
static void
test_config_http(void **state)
{
	struct config *cf;
	char *cause = NULL;

	(void)state;
	write_file("[gateway]\n");
	cf = config_load(path, &cause);
	assert_non_null(cf);
	assert_null(cf->http_listen);
	assert_null(cf->http_secret);
	assert_int_equal(cf->ussd_timeout, 180);
	assert_non_null(strstr(cf->ussd_menu, "/ussd.zh.conf"));
	config_free(cf);
	write_file("[http]\nlisten = 127.0.0.1:8080\nsecret = abcdefgh12\n"
	    "ussd_menu = /etc/menu.conf\nussd_timeout = 30\n");
	cf = config_load(path, &cause);
	if (cf == NULL)
		fail_msg("%s", cause);
	assert_string_equal(cf->http_listen, "127.0.0.1:8080");
	assert_string_equal(cf->http_secret, "abcdefgh12");
	assert_string_equal(cf->ussd_menu, "/etc/menu.conf");
	assert_int_equal(cf->ussd_timeout, 30);
	config_free(cf);
	unlink(path);
	expect_config_error("[http]\nport = 80\n",
	    "2: unknown key \"port\" in [http]");
	expect_config_error("[http]\nlisten = localhost\n", "2: listen");
	expect_config_error("[http]\nlisten = :80\n", "2: listen");
	expect_config_error("[http]\n\nsecret = short\n", "3: secret");
	expect_config_error("[http]\nussd_timeout = 0\n", "2: \"0\"");
	expect_config_error("[http]\nmonitor = 10.0.0.0/33\n", "2: monitor");
	expect_config_error("[http]\nmonitor = intranet\n", "2: monitor");
	expect_config_error("[http]\nmonitor = ,\n", "2: monitor");
	expect_config_error("[http]\nsession_idle_minutes = 0\n", "2: \"0\"");
	/* Sessions and the monitoring addresses: by default loopback. */
	write_file("[gateway]\n");
	cf = config_load(path, &cause);
	assert_non_null(cf);
	assert_int_equal(cf->http_session_idle, 30 * 60);
	assert_int_equal(cf->http_session_max, 12 * 3600);
	assert_true(config_monitor_allows(cf, "127.0.0.1"));
	assert_true(config_monitor_allows(cf, "127.8.9.10"));
	assert_true(config_monitor_allows(cf, "::1"));
	assert_true(config_monitor_allows(cf, "::ffff:127.0.0.1"));
	assert_false(config_monitor_allows(cf, "10.0.0.1"));
	assert_false(config_monitor_allows(cf, "::2"));
	assert_false(config_monitor_allows(cf, NULL));
	assert_false(config_monitor_allows(cf, "not an address"));
	config_free(cf);
	write_file("[http]\nmonitor = 10.20.0.0/14 , 192.0.2.7, fd00::/8\n"
	    "session_idle_minutes = 5\nsession_max_hours = 2\n");
	cf = config_load(path, &cause);
	if (cf == NULL)
		fail_msg("%s", cause);
	assert_int_equal(cf->http_session_idle, 300);
	assert_int_equal(cf->http_session_max, 7200);
	assert_true(config_monitor_allows(cf, "10.23.255.1"));
	assert_false(config_monitor_allows(cf, "10.24.0.1"));
	assert_true(config_monitor_allows(cf, "::ffff:10.20.0.9"));
	assert_true(config_monitor_allows(cf, "192.0.2.7"));
	assert_false(config_monitor_allows(cf, "192.0.2.8"));
	assert_true(config_monitor_allows(cf, "fd12:3456::1"));
	assert_false(config_monitor_allows(cf, "fe80::1"));
	assert_false(config_monitor_allows(cf, "127.0.0.1"));
	config_free(cf);
	unlink(path);
	/* [modem] balance keys. */
	write_file("[modem m1]\ndevice = x\nbalance_ussd = *100#\n"
	    "balance_interval = 3600\nbalance_pattern = 余额(\\d+)\n"
	    "balance_threshold = 9.5\n[modem m2]\ndevice = y\n");
	cf = config_load(path, &cause);
	if (cf == NULL)
		fail_msg("%s", cause);
	assert_string_equal(cf->modems[0].balance_ussd, "*100#");
	assert_int_equal(cf->modems[0].balance_interval, 3600);
	assert_string_equal(cf->modems[0].balance_pattern, "余额(\\d+)");
	assert_int_equal(cf->modems[0].balance_threshold, 950);
	assert_null(cf->modems[1].balance_ussd);
	assert_int_equal(cf->modems[1].balance_threshold, 1000);
	config_free(cf);
	unlink(path);
	expect_config_error("[modem m1]\ndevice = x\nbalance_interval = 100\n"
	    "balance_ussd = *1#;\n", "4: balance_ussd");
	expect_config_error("[modem m1]\ndevice = x\nbalance_threshold = "
	    "1.234\n", "3: \"1.234\" is not an amount");
	expect_config_error("[modem m1]\ndevice = x\nbalance_interval = 5\n",
	    "3: \"5\"");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_lines_and_continuations),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_config_load),
		cmocka_unit_test(test_config_issue3_keys),
		cmocka_unit_test(test_config_grievance),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_http),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
