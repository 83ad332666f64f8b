/*
 * csv — RFC 4180 records from a buffer. See csv.h.
 *
 * Lenient where spreadsheets are sloppy (a quote inside an unquoted
 * field is kept as text; a lone CR ends a line), strict where the data
 * would be wrong (an unterminated quote, text after a closing quote, NUL
 * bytes, UTF-16 files): those records are reported and skipped.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/csv.h"
#include "gateway/util.h"

struct csv {
	const char	*p;
	const char	*end;
	int		 line;
	int		 started;
};

struct csv *
csv_new(const char *data, size_t len)
{
	struct csv *c;

	c = xcalloc(1, sizeof *c);
	c->p = data;
	c->end = data + len;
	c->line = 1;
	return c;
}

void
csv_free(struct csv *c)
{
	free(c);
}

void
csv_row_clear(struct csv_row *row)
{
	size_t i;

	for (i = 0; i < row->nfields; i++)
		free(row->fields[i]);
	free(row->fields);
	memset(row, 0, sizeof *row);
}

/* Would a spreadsheet take a cell starting so for a formula? */
static int
csv_formula_lead(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

static void
csv_row_push(struct csv_row *row, struct buf *field)
{
	char *f;

	if (row->nfields == row->cap) {
		row->cap = row->cap == 0 ? 8 : row->cap * 2;
		row->fields = xrealloc(row->fields,
		    row->cap * sizeof *row->fields);
	}
	f = buf_take(field);
	/* What csv_write_field neutralised comes back as it was. */
	if (f[0] == '\'' && csv_formula_lead(f + 1))
		memmove(f, f + 1, strlen(f));
	row->fields[row->nfields++] = f;
}

static int
csv_at_eol(const struct csv *c)
{
	return c->p < c->end && (*c->p == '\n' || *c->p == '\r');
}

/* Step over one line ending: LF, CRLF or a lone CR. */
static void
csv_eat_eol(struct csv *c)
{
	if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')
		c->p++;
	c->p++;
	c->line++;
}

/* Skip the rest of a bad record's line. */
static void
csv_skip_line(struct csv *c)
{
	while (c->p < c->end && !csv_at_eol(c))
		c->p++;
	if (c->p < c->end)
		csv_eat_eol(c);
}

/* A quoted field, c->p just past the opening quote. 0 or -1. */
static int
csv_quoted(struct csv *c, struct buf *field, char **cause)
{
	int start = c->line;
	char ch;

	for (;;) {
		if (c->p >= c->end) {
			*cause = xasprintf("quoted field opened on line %d "
			    "is not closed", start);
			return -1;
		}
		ch = *c->p++;
		if (ch == '"') {
			if (c->p < c->end && *c->p == '"') {
				c->p++;
				buf_add(field, "\"", 1);
				continue;
			}
			break;
		}
		if (ch == '\0') {
			*cause = xstrdup("NUL byte in a field");
			csv_skip_line(c);
			return -1;
		}
		if (ch == '\n' ||
		    (ch == '\r' && (c->p >= c->end || *c->p != '\n')))
			c->line++;
		buf_add(field, &ch, 1);
	}
	if (c->p < c->end && *c->p != ',' && !csv_at_eol(c)) {
		*cause = xstrdup("text after a closing quote");
		csv_skip_line(c);
		return -1;
	}
	return 0;
}

/* An unquoted field, up to a comma or the end of the line. 0 or -1. */
static int
csv_plain(struct csv *c, struct buf *field, char **cause)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p != ',' && !csv_at_eol(c)) {
		if (*c->p == '\0') {
			*cause = xstrdup("NUL byte in a field");
			csv_skip_line(c);
			return -1;
		}
		c->p++;
	}
	buf_add(field, start, (size_t)(c->p - start));
	return 0;
}

int
csv_read(struct csv *c, struct csv_row *row, char **cause)
{
	struct buf field;
	size_t left;
	int rc;

	while (row->nfields > 0)
		free(row->fields[--row->nfields]);
	row->line = c->line;
	if (!c->started) {
		c->started = 1;
		left = (size_t)(c->end - c->p);
		if (left >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0)
			c->p += 3;
		else if (left >= 2 && (memcmp(c->p, "\xff\xfe", 2) == 0 ||
		    memcmp(c->p, "\xfe\xff", 2) == 0)) {
			c->p = c->end;
			*cause = xstrdup("the file is UTF-16; save it as "
			    "CSV UTF-8");
			return -1;
		}
	}
	if (c->p >= c->end)
		return 0;

	memset(&field, 0, sizeof field);
	for (;;) {
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			rc = csv_quoted(c, &field, cause);
		} else
			rc = csv_plain(c, &field, cause);
		if (rc == -1) {
			buf_free(&field);
			return -1;
		}
		csv_row_push(row, &field);
		if (c->p >= c->end)
			return 1;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		csv_eat_eol(c);
		return 1;
	}
}

void
csv_write_field(struct buf *b, const char *s, int last)
{
	const char *p;
	int lead = csv_formula_lead(s);

	if (!lead && strpbrk(s, ",\"\r\n") == NULL)
		buf_adds(b, s);
	else {
		buf_adds(b, lead ? "\"'" : "\"");
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				buf_adds(b, "\"");
			buf_add(b, p, 1);
		}
		buf_adds(b, "\"");
	}
	buf_adds(b, last ? "\r\n" : ",");
}
