/*
 * util — allocation, buffers, phone numbers and local time.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/log.h"
#include "gateway/util.h"

void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		fatal("out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("out of memory");
	va_end(ap);
	return s;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("out of memory");
	va_end(ap);
	buf_adds(b, s);
	free(s);
}

char *
buf_take(struct buf *b)
{
	char *s;

	s = b->data != NULL ? b->data : xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int
phone_normalise(const char *in, const char *cc, char *out)
{
	char digits[PHONE_MAX];
	size_t n = 0, cclen = strlen(cc);
	int plus = 0;
	const char *p;

	for (p = in; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '+') {
		plus = 1;
		p++;
	}
	for (; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-' || *p == '(' || *p == ')' ||
		    *p == '\t')
			continue;
		if (!isdigit((unsigned char)*p) || n + 1 >= sizeof digits)
			return -1;
		digits[n++] = *p;
	}
	digits[n] = '\0';
	if (n == 0)
		return -1;

	if (!plus && n > 2 && digits[0] == '0' && digits[1] == '0') {
		/* 0086…: international prefix. */
		memmove(digits, digits + 2, n - 1);
		n -= 2;
		plus = 1;
	}
	if (!plus) {
		if (strcmp(cc, "86") == 0 && n == 11 && digits[0] == '1')
			plus = 0;	/* bare mobile: prefix below */
		else if (strncmp(digits, cc, cclen) == 0 && n > cclen + 6) {
			plus = 1;	/* 86139…: already has the country */
		} else if (digits[0] == '0' && n >= 8) {
			/* 029-1234567: trunk prefix, national number */
			memmove(digits, digits + 1, n);
			n--;
		} else if (n < 7)
			return -1;	/* a short code is not a phone */
		if (!plus) {
			if (cclen + n + 1 >= PHONE_MAX)
				return -1;
			out[0] = '+';
			memcpy(out + 1, cc, cclen);
			memcpy(out + 1 + cclen, digits, n + 1);
			return 0;
		}
	}
	if (n < 7 || n > 15)
		return -1;
	out[0] = '+';
	memcpy(out + 1, digits, n + 1);
	return 0;
}

int
phone_is_mobile(const char *sender, const char *cc)
{
	size_t i, n, cclen = strlen(cc);

	if (sender[0] != '+')
		return 0;
	n = strlen(sender + 1);
	for (i = 1; sender[i] != '\0'; i++)
		if (!isdigit((unsigned char)sender[i]))
			return 0;
	if (strncmp(sender + 1, cc, cclen) == 0 && strcmp(cc, "86") == 0) {
		/* Chinese mobiles: 1[3-9] and 11 digits. */
		return n == 13 && sender[3] == '1' && sender[4] >= '3' &&
		    sender[4] <= '9';
	}
	return n >= 8 && n <= 15;
}

const char *
phone_mask(const char *phone, char *buf)
{
	size_t n = strlen(phone);

	if (n < 8) {
		snprintf(buf, PHONE_MAX, "%s", phone);
		return buf;
	}
	snprintf(buf, PHONE_MAX, "%.*s****%s", (int)(n - 8), phone,
	    phone + n - 4);
	return buf;
}

void
phone_set_add(struct phone_set *ps, const char *phone)
{
	size_t i;

	if (phone == NULL || phone[0] == '\0')
		return;
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i], phone) == 0)
			return;
	ps->v = xrealloc(ps->v, (ps->n + 1) * sizeof *ps->v);
	ps->v[ps->n++] = xstrdup(phone);
}

void
phone_set_add_cb(const char *phone, void *arg)
{
	phone_set_add(arg, phone);
}

void
phone_set_free(struct phone_set *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i]);
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}

/* Switch the C library's idea of local time to tz; cached. */
static void
tz_set(const char *tz)
{
	static char current[128];

	if (strcmp(current, tz) == 0)
		return;
	snprintf(current, sizeof current, "%s", tz);
	setenv("TZ", tz, 1);
	tzset();
}

int
tz_parse(const char *tz, const char *s, time_t *out)
{
	struct tm tm, want;
	char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (end == NULL)
		end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (end == NULL)
		return -1;
	if (*end == ':') {
		end = strptime(end, ":%S", &tm);
		if (end == NULL)
			return -1;
	}
	if (*end != '\0')
		return -1;
	tm.tm_isdst = -1;
	want = tm;
	tz_set(tz);
	*out = mktime(&tm);
	/* mktime makes 02-30 into 03-02: a day that does not exist is bad. */
	if (*out == (time_t)-1 || tm.tm_year != want.tm_year ||
	    tm.tm_mon != want.tm_mon || tm.tm_mday != want.tm_mday)
		return -1;
	return 0;
}

int
tz_local(const char *tz, time_t t, struct tm *out)
{
	tz_set(tz);
	return localtime_r(&t, out) == NULL ? -1 : 0;
}

const char *
tz_format(const char *tz, time_t t, char *buf)
{
	struct tm tm;

	if (tz_local(tz, t, &tm) == -1)
		snprintf(buf, 32, "%lld", (long long)t);
	else
		strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *
tz_format_iso(const char *tz, time_t t, char *buf)
{
	struct tm tm;
	long off;

	if (tz_local(tz, t, &tm) == -1) {
		snprintf(buf, 32, "%lld", (long long)t);
		return buf;
	}
	off = tm.tm_gmtoff / 60;
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), 32 - strlen(buf), "%c%02ld:%02ld",
	    off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
	return buf;
}

time_t
now_real(void)
{
	return time(NULL);
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The length of the valid UTF-8 sequence at s, or 0 (RFC 3629). */
static size_t
utf8_seq(const unsigned char *s)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also the NUL at the end */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

char *
utf8_scrub(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;
	size_t n;

	/* At most 3 bytes (U+FFFD) for each byte of s. */
	o = out = xmalloc(3 * strlen(s) + 1);
	while (*p != '\0') {
		if ((n = utf8_seq(p)) > 0) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			p++;
		}
	}
	*o = '\0';
	return out;
}

void
hash_hex(const void *p, size_t n, char *out)
{
	const unsigned char *s = p;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}
