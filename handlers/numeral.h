/*
 * numeral — numbers and dates as villagers write them: Chinese numerals
 * (四十, 六零一零, 十五, 两) and dates (0315, 3月15号, 三月十五, 3.15, 12/20).
 * The router turns a capture written in Chinese numerals into digits;
 * handlers that take a date read it here.
 */
#ifndef CUNGATE_NUMERAL_H
#define CUNGATE_NUMERAL_H

/*
 * s written in Chinese numerals only (零〇一二两三四五六七八九十百千):
 * a new string of ASCII digits (caller frees). With 十, 百 or 千 it is read
 * as a number (四十 "40", 一百零五 "105"); without, digit by digit (六零一零
 * "6010", as people read out a ticket number). NULL when s is empty or
 * holds anything else.
 */
char	*numeral_digits(const char *s);

/*
 * A month and day from s: "0315" (MMDD), "3月15日", "3月15号", "3月15",
 * "三月十五号", "3.15", "3/15", "3-15" (white space allowed between the
 * parts). 1 with *month and *day (1–12, 1–31, not checked against the
 * month's length), 0 when s is none of these.
 */
int	 numeral_date(const char *s, int *month, int *day);

/*
 * A number of days from s: "7", "7天", "七天", "3日", "两周", "一个星期",
 * "一个礼拜", "一个月", "半个月" (a week is 7 days, a month 30). The
 * days, or -1 when s is none of these.
 */
int	 numeral_days(const char *s);

#endif
