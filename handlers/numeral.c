/*
 * numeral — Chinese numerals and date forms (see numeral.h). Plain C over
 * UTF-8: the characters involved are all three bytes long.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/util.h"
#include "handlers/numeral.h"

static const char *const numeral_digit_chars[] = {
	"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"
};

/* The value of the numeral character at s (3 bytes): 0–9, 10, 100, 1000. */
static int
numeral_char(const char *s)
{
	int i;

	for (i = 0; i < 10; i++)
		if (strncmp(s, numeral_digit_chars[i], 3) == 0)
			return i;
	if (strncmp(s, "〇", 3) == 0)
		return 0;
	if (strncmp(s, "两", 3) == 0)
		return 2;
	if (strncmp(s, "十", 3) == 0)
		return 10;
	if (strncmp(s, "百", 3) == 0)
		return 100;
	if (strncmp(s, "千", 3) == 0)
		return 1000;
	return -1;
}

char *
numeral_digits(const char *s)
{
	size_t len = strlen(s), i;
	long value = 0, cur = 0;
	int v, positional = 0;
	struct buf b;

	if (len == 0 || len % 3 != 0)
		return NULL;
	for (i = 0; i < len; i += 3) {
		if ((v = numeral_char(s + i)) == -1)
			return NULL;
		if (v >= 10)
			positional = 1;
	}
	memset(&b, 0, sizeof b);
	if (!positional) {
		for (i = 0; i < len; i += 3)
			buf_printf(&b, "%d", numeral_char(s + i));
		return buf_take(&b);
	}
	for (i = 0; i < len; i += 3) {
		v = numeral_char(s + i);
		if (v < 10) {
			cur = v;
			continue;
		}
		value += (cur != 0 ? cur : 1) * v;
		cur = 0;
	}
	buf_printf(&b, "%ld", value + cur);
	return buf_take(&b);
}

/*
 * A number at *s (ASCII digits, or Chinese numerals), at most 2 digits'
 * worth; advances *s. -1 when there is none.
 */
static int
numeral_part(const char **s)
{
	const char *p = *s;
	char *cn, tmp[16];
	size_t n = 0;
	int v;

	while (*p == ' ')
		p++;
	if (isdigit((unsigned char)*p)) {
		v = 0;
		while (isdigit((unsigned char)*p) && n++ < 3)
			v = v * 10 + (*p++ - '0');
		*s = p;
		return n > 2 ? -1 : v;
	}
	while (n + 3 < sizeof tmp && (unsigned char)p[n] >= 0x80 &&
	    numeral_char(p + n) >= 0 && numeral_char(p + n) <= 10)
		n += 3;
	if (n == 0)
		return -1;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if ((cn = numeral_digits(tmp)) == NULL)
		return -1;
	v = strlen(cn) <= 2 ? atoi(cn) : -1;
	free(cn);
	*s = p + n;
	return v;
}

/* Skip sep (a string) at *s with the spaces around it: 1 skipped, 0 not. */
static int
numeral_skip(const char **s, const char *sep)
{
	const char *p = *s;

	while (*p == ' ')
		p++;
	if (strncmp(p, sep, strlen(sep)) != 0)
		return 0;
	p += strlen(sep);
	while (*p == ' ')
		p++;
	*s = p;
	return 1;
}

int
numeral_date(const char *s, int *month, int *day)
{
	static const char *const seps[] = { "月", ".", "/", "-", NULL };
	const char *p = s;
	int m, d, i;

	while (*p == ' ')
		p++;
	if (strlen(p) >= 4 && isdigit((unsigned char)p[0]) &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    isdigit((unsigned char)p[3]) && !isdigit((unsigned char)p[4])) {
		m = (p[0] - '0') * 10 + (p[1] - '0');
		d = (p[2] - '0') * 10 + (p[3] - '0');
		p += 4;
	} else {
		if ((m = numeral_part(&p)) == -1)
			return 0;
		for (i = 0; seps[i] != NULL; i++)
			if (numeral_skip(&p, seps[i]))
				break;
		if (seps[i] == NULL || (d = numeral_part(&p)) == -1)
			return 0;
		if (!numeral_skip(&p, "日"))
			numeral_skip(&p, "号");
	}
	while (*p == ' ')
		p++;
	if (*p != '\0' || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	*month = m;
	*day = d;
	return 1;
}

int
numeral_days(const char *s)
{
	static const struct {
		const char	*unit;
		int		 days;
	} units[] = {
		{ "个月", 30 }, { "月", 30 }, { "个星期", 7 }, { "星期", 7 },
		{ "个礼拜", 7 }, { "礼拜", 7 }, { "周", 7 }, { "天", 1 },
		{ "日", 1 }, { "", 1 },
	};
	const char *p = s;
	size_t i;
	int n;

	while (*p == ' ')
		p++;
	if (strncmp(p, "半", 3) == 0) {
		p += 3;
		n = -2;		/* half of the unit */
	} else if ((n = numeral_part(&p)) == -1)
		return -1;
	while (*p == ' ')
		p++;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		if (n == -2)
			return units[i].days >= 7 ? units[i].days / 2 : -1;
		return n * units[i].days;
	}
	return -1;
}
