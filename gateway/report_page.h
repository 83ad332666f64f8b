/*
 * report_page — the monthly report: one calendar month, in the configured
 * zone, of the county or of one township, as one printable HTML page (A4)
 * with the county page's charts and tables (status_view.c), or as CSV,
 * the figures behind it. `cungatectl report` writes them to stdout.
 */
#ifndef CUNGATE_REPORT_PAGE_H
#define CUNGATE_REPORT_PAGE_H

struct buf;
struct pages_env;

/* "YYYY-MM" (a year from 1970 to 9999, a month from 01 to 12) into
   *year and *month: 0, or -1 for anything else. */
int	 report_month_parse(const char *s, int *year, int *month);
/*
 * The report of month of year into b: of e->township (a code), or of the
 * county when it is NULL; made at e->now, which the page says with its
 * zone. A month after now, or without data, is a page that says so.
 * 1 written, 0 no such township (nothing written), -1 on a store error.
 */
int	 report_page_write(struct buf *b, const struct pages_env *e,
	    int year, int month);
/*
 * The same figures as CSV (UTF-8 with its byte order mark, CRLF), one
 * header row and then one figure a row:
 *	section,date,township,code,name,measure,value
 * section is report, messages, tickets, checkin (a village's day),
 * village (its month) or grievance; date a local YYYY-MM-DD (a week's
 * first day in the month); township, code and name say whose figure it
 * is; measure names it ("received", "opened", "checked", ...). Returns
 * as report_page_write.
 */
int	 report_csv_write(struct buf *b, const struct pages_env *e, int year,
	    int month);

#endif
