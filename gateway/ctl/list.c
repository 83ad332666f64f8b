/*
 * list — cungatectl's one row writer. Every list a command prints is a
 * struct ctl_list that a row function fills field by field; the list
 * prints those rows as aligned columns (headers from the keys, cells
 * made safe for a terminal), as a JSON array of objects (--json), or as
 * RFC 4180 CSV for a spreadsheet (the export commands). With it, the
 * UTF-8, display width and JSON text it rests on.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/ctl/ctl.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

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

/* --- lists: aligned columns, a JSON array of objects, or CSV --- */

void
ctl_list_init(struct ctl_list *l, struct ctl *c)
{
	memset(l, 0, sizeof *l);
	l->format = ctl_flag(c, "json") ? CTL_LIST_JSON : CTL_LIST_TEXT;
	l->tz = c->cf->timezone;
}

void
ctl_list_init_csv(struct ctl_list *l, struct ctl *c, const char *cols)
{
	memset(l, 0, sizeof *l);
	l->format = CTL_LIST_CSV;
	l->tz = c->cf->timezone;
	l->csv_cols = l->csv_next = cols;
	buf_adds(&l->out, CSV_BOM);
	buf_adds(&l->out, cols);
	buf_adds(&l->out, "\r\n");
}

/* CSV: key must be the header's next column, or the row function errs. */
static void
ctl_list_csv_key(struct ctl_list *l, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(l->csv_next, key, n) != 0 ||
	    (l->csv_next[n] != ',' && l->csv_next[n] != '\0'))
		fatal("csv: column %s where the header has %s", key,
		    l->csv_next);
	l->csv_next += n + (l->csv_next[n] == ',');
}

static void
ctl_list_endrow(struct ctl_list *l)
{
	char *o;

	if (!l->inrow)
		return;
	l->inrow = 0;
	switch (l->format) {
	case CTL_LIST_JSON:
		o = ctl_obj_take(&l->obj);
		buf_adds(&l->out, l->nrows > 1 ? ",\n  " : "[\n  ");
		buf_adds(&l->out, o);
		free(o);
		break;
	case CTL_LIST_CSV:
		if (*l->csv_next != '\0')
			fatal("csv: a row without %s", l->csv_next);
		l->out.len--;	/* the last field's ',' */
		buf_adds(&l->out, "\r\n");
		break;
	case CTL_LIST_TEXT:
		if (l->nrows == 1)
			l->ncols = l->col;
		break;
	}
}

/* Start a row. */
void
ctl_list_row(struct ctl_list *l)
{
	ctl_list_endrow(l);
	l->nrows++;
	l->col = 0;
	l->csv_next = l->csv_cols;
	l->inrow = 1;
}

/*
 * Add a field to the row: text (copied) for the table and CSV, NULL to
 * leave it out of them; json (JSON text) for the object, NULL to leave
 * it out.
 */
void
ctl_list_field(struct ctl_list *l, const char *key, const char *text,
    const char *json)
{
	char *h;
	size_t i;

	if (l->format == CTL_LIST_JSON) {
		if (json != NULL)
			ctl_obj_raw(&l->obj, key, json);
		return;
	}
	if (text == NULL)
		return;
	if (l->format == CTL_LIST_CSV) {
		ctl_list_csv_key(l, key);
		csv_write_field(&l->out, text, 0);
		return;
	}
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

/* A string field; NULL is null in JSON and empty elsewhere. */
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

/* No value: null in JSON, empty elsewhere. */
void
ctl_list_null(struct ctl_list *l, const char *key)
{
	ctl_list_field(l, key, "", "null");
}

/* A flag: true/false in JSON, yes/no in CSV, "yes" or nothing in a table. */
void
ctl_list_bool(struct ctl_list *l, const char *key, int v)
{
	ctl_list_field(l, key, v ? "yes" : l->format == CTL_LIST_CSV ? "no" :
	    "", v ? "true" : "false");
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

	/* JSON: ISO 8601 with the offset; elsewhere the local time alone. */
	ctl_list_str(l, key, t == 0 ? NULL : l->format == CTL_LIST_JSON ?
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

/* The rows as aligned columns, headers first, on stdout. */
static void
ctl_list_print_table(struct ctl_list *l)
{
	size_t *w, r, i, nrows;
	const char *cell;
	struct buf line;

	if (l->ncols == 0)
		return;
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

/* Print the list to stdout and free it. */
void
ctl_list_print(struct ctl_list *l)
{
	char *s;

	switch (l->format) {
	case CTL_LIST_JSON:
		s = ctl_list_take_json(l);
		printf("%s\n", s);
		free(s);
		return;
	case CTL_LIST_CSV:
		ctl_list_endrow(l);
		fwrite(l->out.data, 1, l->out.len, stdout);
		break;
	case CTL_LIST_TEXT:
		ctl_list_endrow(l);
		ctl_list_print_table(l);
		break;
	}
	ctl_list_free(l);
}

/* One row with a list of its own: one JSON object, or two tables. */
void
ctl_list_print_with(struct ctl_list *l, const char *key,
    struct ctl_list *sub)
{
	char *s;

	if (l->format != CTL_LIST_JSON) {
		ctl_list_print(l);
		printf("\n");
		ctl_list_print(sub);
		return;
	}
	s = ctl_list_take_json(sub);
	ctl_list_field(l, key, NULL, s);
	free(s);
	/* The row's object alone, not an array of one. */
	s = ctl_obj_take(&l->obj);
	printf("%s\n", s);
	free(s);
	ctl_list_free(l);
}

/* Print the list, then fail with "what: why" if filling it failed. */
enum ctl_exit
ctl_list_finish(struct ctl *c, struct ctl_list *l, int rc, const char *what)
{
	int empty = l->format == CTL_LIST_TEXT && l->nrows == 0;

	/* A table shows the rows read; a CSV file is whole or not at all. */
	if (rc == -1 && l->format == CTL_LIST_CSV)
		ctl_list_free(l);
	else
		ctl_list_print(l);
	if (rc == -1)
		return ctl_fail("%s: %s", what, store_error(c->st));
	/* An empty table says so; an empty JSON array is [] already. */
	if (empty)
		printf("%s: none\n", what);
	return CTL_EXIT_OK;
}
