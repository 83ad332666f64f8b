/*
 * ctl_util — what cungatectl's commands share: errors on stderr, writes
 * through the store (begin, audit, commit), UTF-8 and terminal width,
 * JSON text, lists printed as aligned columns or a JSON array of
 * objects, and the checks of what operators type (phone numbers,
 * senders, codes, names) that several commands make.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/ctl.h"
#include "gateway/store.h"
#include "gateway/util.h"

#define CTL_NAME_MAX		128	/* bytes, as store_person.name */
#define CTL_CODE_MAX		32

/* --- errors --- */

static void
ctl_vwarnx(const char *fmt, va_list ap)
{
	fputs("cungatectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarnx(fmt, ap);
	va_end(ap);
}

/* A failure: one line on stderr, exit status 1. */
enum ctl_exit
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarnx(fmt, ap);
	va_end(ap);
	return CTL_EXIT_FAIL;
}

/* Print and free cause: exit status 1. */
enum ctl_exit
ctl_fail_cause(char *cause)
{
	ctl_warnx("%s", cause);
	free(cause);
	return CTL_EXIT_FAIL;
}

/* A usage error in the current command: one line, exit status 2. */
enum ctl_exit
ctl_usage_fail(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cungatectl: %s: ", c->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_USAGE;
}

/* Wrong arguments: the command's usage as the one line. */
enum ctl_exit
ctl_usage_line(struct ctl *c)
{
	fprintf(stderr, "cungatectl: usage: %s %s\n", c->cmd->name,
	    c->cmd->usage);
	return CTL_EXIT_USAGE;
}

/* A usage error from *cause (freed). */
enum ctl_exit
ctl_usage_cause(struct ctl *c, char *cause)
{
	ctl_usage_fail(c, "%s", cause);
	free(cause);
	return CTL_EXIT_USAGE;
}

/* --- writes --- */

/* Begin a write: 0, or -1 having said the database is busy. */
int
ctl_begin(struct ctl *c)
{
	if (store_begin(c->st) == -1) {
		ctl_warnx("database busy: %s", store_error(c->st));
		return -1;
	}
	return 0;
}

/* Audit a change made through the CLI, inside the open transaction. */
int
ctl_audit(struct ctl *c, const char *action, const char *object,
    const char *detail)
{
	return store_audit(c->st, now_real(), "cli", "cli", action, object,
	    detail);
}

/* Audit the change and commit it, or roll back saying "what: why". */
enum ctl_exit
ctl_commit(struct ctl *c, const char *action, const char *object,
    const char *detail, const char *what)
{
	if (ctl_audit(c, action, object, detail) == -1 ||
	    store_commit(c->st) == -1)
		return ctl_store_fail(c, what);
	return CTL_EXIT_OK;
}

/* A failed write: roll back and say so. */
enum ctl_exit
ctl_store_fail(struct ctl *c, const char *what)
{
	ctl_warnx("%s: %s", what, store_error(c->st));
	store_rollback(c->st);
	return CTL_EXIT_FAIL;
}

/* A write the store refused, with cause (freed): roll back and say so. */
enum ctl_exit
ctl_rollback_cause(struct ctl *c, char *cause)
{
	store_rollback(c->st);
	return ctl_fail_cause(cause);
}

/* --- UTF-8, display width, JSON --- */

/*
 * Decode one UTF-8 sequence from s (n bytes left): its length, with the
 * code point in *cp, or 0 when the bytes are not well-formed UTF-8
 * (overlong forms, surrogates and values past U+10FFFF included).
 */
static size_t
ctl_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		v = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		v = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		v = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* Is s well-formed UTF-8? 0/1. */
int
ctl_utf8_is_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t cp;

	while (n > 0) {
		if ((len = ctl_utf8_decode(p, n, &cp)) == 0)
			return 0;
		p += len;
		n -= len;
	}
	return 1;
}

/* Terminal columns taken by code point cp: East Asian wide ones take 2. */
static int
ctl_cp_width(uint32_t cp)
{
	if (cp >= 0x300 && cp <= 0x36f)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) ||
	    (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

/* Terminal columns taken by s, which ctl_cell made well-formed. */
static size_t
ctl_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len, w = 0;
	uint32_t cp;

	while (n > 0) {
		if ((len = ctl_utf8_decode(p, n, &cp)) == 0) {
			len = 1;
			cp = '?';
		}
		w += (size_t)ctl_cp_width(cp);
		p += len;
		n -= len;
	}
	return w;
}

/*
 * s made fit for one table cell (caller frees): line breaks shown as
 * "\n", other control characters as spaces, bad UTF-8 as U+FFFD.
 */
static char *
ctl_cell(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	size_t n = strlen(s), len;
	uint32_t cp;

	memset(&b, 0, sizeof b);
	while (n > 0) {
		if ((len = ctl_utf8_decode(p, n, &cp)) == 0) {
			buf_adds(&b, "\xef\xbf\xbd");
			len = 1;
		} else if (cp == '\n')
			buf_adds(&b, "\\n");
		else if (cp == '\r')
			buf_adds(&b, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			buf_adds(&b, " ");
		else
			buf_add(&b, p, len);
		p += len;
		n -= len;
	}
	return buf_take(&b);
}

/*
 * Append s to b as a JSON string: quote and backslash escaped, control
 * characters as \u00XX, UTF-8 passed through, bad UTF-8 as \ufffd.
 */
void
ctl_json_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t cp;

	buf_add(b, "\"", 1);
	while (n > 0) {
		if ((len = ctl_utf8_decode(p, n, &cp)) == 0) {
			buf_adds(b, "\\ufffd");
			len = 1;
		} else if (cp == '"')
			buf_adds(b, "\\\"");
		else if (cp == '\\')
			buf_adds(b, "\\\\");
		else if (cp < 0x20)
			buf_printf(b, "\\u%04x", (unsigned)cp);
		else
			buf_add(b, p, len);
		p += len;
		n -= len;
	}
	buf_add(b, "\"", 1);
}

static void
ctl_obj_key(struct ctl_obj *o, const char *key)
{
	buf_adds(&o->b, o->n++ == 0 ? "{" : ", ");
	ctl_json_str(&o->b, key);
	buf_adds(&o->b, ": ");
}

void
ctl_obj_int(struct ctl_obj *o, const char *key, int64_t v)
{
	ctl_obj_key(o, key);
	buf_printf(&o->b, "%lld", (long long)v);
}

/* Add member key with a string value (NULL: null). */
void
ctl_obj_str(struct ctl_obj *o, const char *key, const char *s)
{
	ctl_obj_key(o, key);
	if (s == NULL)
		buf_adds(&o->b, "null");
	else
		ctl_json_str(&o->b, s);
}

/* A member whose value is already JSON text. */
static void
ctl_obj_raw(struct ctl_obj *o, const char *key, const char *json)
{
	ctl_obj_key(o, key);
	buf_adds(&o->b, json);
}

/* A member whose value is JSON text the object takes, and frees. */
void
ctl_obj_json(struct ctl_obj *o, const char *key, char *json)
{
	ctl_obj_raw(o, key, json);
	free(json);
}

/* The object's text (caller frees); o is reset. */
char *
ctl_obj_take(struct ctl_obj *o)
{
	if (o->n == 0)
		buf_adds(&o->b, "{");
	buf_adds(&o->b, "}");
	o->n = 0;
	return buf_take(&o->b);
}

/* A JSON array of strings from a comma-separated list ("" is []). */
static char *
ctl_json_list(const char *csv)
{
	struct buf b;
	const char *p, *comma;
	char *item;
	int n = 0;

	memset(&b, 0, sizeof b);
	buf_adds(&b, "[");
	for (p = csv; *p != '\0'; p = *comma == ',' ? comma + 1 : comma) {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		if (comma == p)
			continue;
		item = xstrndup(p, (size_t)(comma - p));
		if (n++ > 0)
			buf_adds(&b, ", ");
		ctl_json_str(&b, item);
		free(item);
	}
	buf_adds(&b, "]");
	return buf_take(&b);
}

/* --- lists: aligned columns, or a JSON array of objects --- */

void
ctl_list_init(struct ctl_list *l, int json, const char *tz)
{
	memset(l, 0, sizeof *l);
	l->json = json;
	l->tz = tz;
}

static void
ctl_list_endrow(struct ctl_list *l)
{
	char *o;

	if (!l->inrow)
		return;
	l->inrow = 0;
	if (l->json) {
		o = ctl_obj_take(&l->obj);
		buf_adds(&l->out, l->nrows > 1 ? ",\n  " : "[\n  ");
		buf_adds(&l->out, o);
		free(o);
	} else if (l->nrows == 1)
		l->ncols = l->col;
}

/* Start a row. */
void
ctl_list_row(struct ctl_list *l)
{
	ctl_list_endrow(l);
	l->nrows++;
	l->col = 0;
	l->inrow = 1;
}

/*
 * Add a field to the row: text (copied) for the table, NULL to leave it
 * out of the table; json (JSON text) for the object, NULL to leave it out.
 */
void
ctl_list_field(struct ctl_list *l, const char *key, const char *text,
    const char *json)
{
	char *h;
	size_t i;

	if (l->json) {
		if (json != NULL)
			ctl_obj_raw(&l->obj, key, json);
		return;
	}
	if (text == NULL)
		return;
	if (l->nrows == 1) {
		h = xstrdup(key);
		for (i = 0; h[i] != '\0'; i++)
			h[i] = h[i] == '_' ? ' ' : toupper((unsigned char)h[i]);
		l->heads = xrealloc(l->heads, (l->col + 1) * sizeof *l->heads);
		l->heads[l->col] = h;
	}
	if (l->ncells == l->cellcap) {
		l->cellcap = l->cellcap == 0 ? 64 : l->cellcap * 2;
		l->cells = xrealloc(l->cells, l->cellcap * sizeof *l->cells);
	}
	l->cells[l->ncells++] = ctl_cell(text);
	l->col++;
}

/* A string field; NULL is null in JSON and empty in the table. */
void
ctl_list_str(struct ctl_list *l, const char *key, const char *s)
{
	struct buf b;

	memset(&b, 0, sizeof b);
	if (s == NULL)
		buf_adds(&b, "null");
	else
		ctl_json_str(&b, s);
	ctl_list_field(l, key, s != NULL ? s : "", b.data);
	buf_free(&b);
}

/* A string field that is null in JSON when empty. */
void
ctl_list_opt(struct ctl_list *l, const char *key, const char *s)
{
	ctl_list_str(l, key, s[0] != '\0' ? s : NULL);
}

void
ctl_list_int(struct ctl_list *l, const char *key, int64_t v)
{
	char n[32];

	snprintf(n, sizeof n, "%lld", (long long)v);
	ctl_list_field(l, key, n, n);
}

/* A flag: true/false in JSON, "yes" or nothing in the table. */
void
ctl_list_bool(struct ctl_list *l, const char *key, int v)
{
	ctl_list_field(l, key, v ? "yes" : "", v ? "true" : "false");
}

/* A comma-separated list: as it is in the table, an array in JSON. */
void
ctl_list_strs(struct ctl_list *l, const char *key, const char *csv)
{
	char *json;

	json = ctl_json_list(csv);
	ctl_list_field(l, key, csv, json);
	free(json);
}

/* A time as local "YYYY-MM-DD HH:MM:SS"; 0 is null / empty. */
void
ctl_list_time(struct ctl_list *l, const char *key, time_t t)
{
	char s[32];

	/* JSON: ISO 8601 with the offset; a table: the local time alone. */
	ctl_list_str(l, key, t == 0 ? NULL : l->json ?
	    tz_format_iso(l->tz, t, s) : tz_format(l->tz, t, s));
}

/* Free the list without printing it. */
void
ctl_list_free(struct ctl_list *l)
{
	size_t i;

	buf_free(&l->out);
	buf_free(&l->obj.b);
	for (i = 0; i < l->ncols; i++)
		free(l->heads[i]);
	free(l->heads);
	for (i = 0; i < l->ncells; i++)
		free(l->cells[i]);
	free(l->cells);
	memset(l, 0, sizeof *l);
}

/* A json list's array as text (caller frees); the list is freed. */
char *
ctl_list_take_json(struct ctl_list *l)
{
	char *s;

	ctl_list_endrow(l);
	if (l->nrows == 0)
		s = xstrdup("[]");
	else {
		buf_adds(&l->out, "\n]");
		s = buf_take(&l->out);
	}
	ctl_list_free(l);
	return s;
}

/* Print the list to stdout and free it. */
void
ctl_list_print(struct ctl_list *l)
{
	size_t *w, r, i, nrows;
	const char *cell;
	struct buf line;
	char *s;

	if (l->json) {
		s = ctl_list_take_json(l);
		printf("%s\n", s);
		free(s);
		return;
	}
	ctl_list_endrow(l);
	if (l->ncols > 0) {
		nrows = l->ncells / l->ncols;
		w = xcalloc(l->ncols, sizeof *w);
		for (i = 0; i < l->ncols; i++)
			w[i] = ctl_width(l->heads[i]);
		for (r = 0; r < nrows * l->ncols; r++)
			if (ctl_width(l->cells[r]) > w[r % l->ncols])
				w[r % l->ncols] = ctl_width(l->cells[r]);
		memset(&line, 0, sizeof line);
		for (r = 0; r <= nrows; r++) {
			for (i = 0; i < l->ncols; i++) {
				cell = r == 0 ? l->heads[i] :
				    l->cells[(r - 1) * l->ncols + i];
				buf_adds(&line, cell);
				if (i + 1 < l->ncols)
					buf_printf(&line, "%*s", (int)(w[i] -
					    ctl_width(cell) + 2), "");
			}
			while (line.len > 0 && line.data[line.len - 1] == ' ')
				line.data[--line.len] = '\0';
			printf("%s\n", line.data);
			line.len = 0;
		}
		buf_free(&line);
		free(w);
	}
	ctl_list_free(l);
}

/* Print the list, then fail with "what: why" if filling it failed. */
enum ctl_exit
ctl_list_finish(struct ctl *c, struct ctl_list *l, int rc, const char *what)
{
	int empty = !l->json && l->nrows == 0;

	ctl_list_print(l);
	if (rc == -1)
		return ctl_fail("%s: %s", what, store_error(c->st));
	/* An empty table says so; an empty JSON array is [] already. */
	if (empty)
		printf("%s: none\n", what);
	return CTL_EXIT_OK;
}

/* --- checking what operators type --- */

/* A mobile number to E.164 in out (PHONE_MAX). 0, or -1 with *cause. */
int
ctl_parse_phone(const struct config *cf, const char *in, char *out,
    char **cause)
{
	if (phone_normalise(in, cf->country_code, out) == 0 &&
	    phone_is_mobile(out, cf->country_code))
		return 0;
	/* People get SMS: a landline or a mistyped 12-digit one will not. */
	*cause = xasprintf("\"%s\" is not a mobile number (+%s…, %s… or a "
	    "national mobile number)", in, cf->country_code, cf->country_code);
	return -1;
}

/* Does s hold a control character (C0 or DEL)? 0/1. */
int
ctl_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * A township or village code: what villagers type on a keypad, so ASCII
 * letters, digits, '-' and '_', at most 32. 0, or -1 with *cause.
 */
int
ctl_check_code(const char *what, const char *s, char **cause)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			break;
	if (*s == '\0' || *p != '\0' || p - s > CTL_CODE_MAX) {
		*cause = xasprintf("%s code \"%s\": expected 1 to %d letters, "
		    "digits, '-' or '_'", what, s, CTL_CODE_MAX);
		return -1;
	}
	return 0;
}

/* A name: UTF-8, no control characters, at most 128 bytes. */
int
ctl_check_name(const char *what, const char *s, int empty_ok, char **cause)
{
	if (!ctl_utf8_is_valid(s))
		*cause = xasprintf("%s is not UTF-8", what);
	else if (ctl_has_control(s))
		*cause = xasprintf("%s has a line break or control "
		    "character", what);
	else if (!empty_ok && *s == '\0')
		*cause = xasprintf("%s is empty", what);
	else if (strlen(s) > CTL_NAME_MAX)
		*cause = xasprintf("%s \"%s\" is longer than %d bytes", what,
		    s, CTL_NAME_MAX);
	else
		return 0;
	return -1;
}

/*
 * A sender as the inbox stores it: normalised when it is a phone number,
 * else (short codes like 10086, alphanumeric senders) as given.
 */
int
ctl_parse_sender(const struct config *cf, const char *in, char *out,
    char **cause)
{
	const char *p;

	if (phone_normalise(in, cf->country_code, out) == 0)
		return 0;
	for (p = in; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '+')
			break;
	if (*in == '\0' || *p != '\0' || strlen(in) >= PHONE_MAX) {
		*cause = xasprintf("\"%s\" is neither a phone number nor a "
		    "short code", in);
		return -1;
	}
	snprintf(out, PHONE_MAX, "%s", in);
	return 0;
}

/*
 * Erase phone's person on request (resident remove, elder remove
 * --forget), in one transaction, and say so. The audit keeps that it was
 * done, with the phone masked.
 */
enum ctl_exit
ctl_forget(struct ctl *c, const char *phone, const char *what)
{
	char masked[PHONE_MAX];
	int rc;

	phone_mask(phone, masked);
	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if ((rc = store_person_forget(c->st, phone, masked)) == -1)
		return ctl_store_fail(c, what);
	if (rc == 0)
		return ctl_rollback_cause(c, xasprintf("%s is not on record",
		    phone));
	if (ctl_commit(c, "person.forget", masked, NULL, what) !=
	    CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	printf("forgot %s: their messages, the messages to them and their "
	    "enrolments are erased; tickets keep their text as from %s\n",
	    phone, masked);
	return CTL_EXIT_OK;
}
