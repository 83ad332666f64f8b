/*
 * report — cungatectl report: the monthly report of the county or of one
 * township, for the month's meeting, on stdout: a printable HTML page
 * (A4), or with --csv the figures behind it. gateway/report_page.c makes
 * both from the store; this file reads the options and says what is
 * wrong with them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/ctl/ctl.h"
#include "gateway/metrics.h"
#include "gateway/report_page.h"
#include "gateway/store.h"
#include "gateway/util.h"

/* --month and --township, as they are read. */
static int
ctl_report_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	int year, month;

	(void)c;
	if (strcmp(opt, "month") == 0 &&
	    report_month_parse(value, &year, &month) == -1) {
		*cause = xasprintf("--month \"%s\": expected YYYY-MM, a month "
		    "from 01 to 12 (2026-11)", value);
		return -1;
	}
	if (strcmp(opt, "township") == 0)
		return ctl_check_code("township", value, cause);
	return 0;
}

static enum ctl_exit
ctl_report(struct ctl *c)
{
	const char *month = ctl_value(c, "month");
	struct pages_env e;
	struct buf b;
	int year, mon, rc;

	if (month == NULL)
		return ctl_usage_fail(c, "which month? --month YYYY-MM");
	(void)report_month_parse(month, &year, &mon);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&e, 0, sizeof e);
	e.cf = c->cf;
	e.st = c->st;
	e.now = now_real();
	e.township = ctl_value(c, "township");
	memset(&b, 0, sizeof b);
	if (ctl_flag(c, "csv"))
		rc = report_csv_write(&b, &e, year, mon);
	else
		rc = report_page_write(&b, &e, year, mon);
	if (rc == 1)
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	if (rc == 0)
		return ctl_fail("no township %s", e.township);
	if (rc == -1)
		return ctl_fail("report: %s", store_error(c->st));
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_report = {
	.name = "report",
	.usage = "--month YYYY-MM [--township CODE] [--csv]",
	.about = "the month's report, a printable HTML page (A4), or its\n"
	    "\t\t\tfigures as CSV, on stdout",
	.args = { "month: township: csv", 0, 0, ctl_report_check },
	.exec = ctl_report
};
