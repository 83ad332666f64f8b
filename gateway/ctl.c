/*
 * cungatectl — administer cungate's database beside the daemon (SQLite WAL
 * lets both write; the daemon picks up queued rows within a second).
 *
 *	cungatectl [-c FILE] COMMAND [ARGS]
 *
 * Like tmux, each command is one entry in ctl_cmds: its name (one or two
 * words), its usage and the function that runs it. A command parses its
 * own options with getopt_long, so options may follow the arguments;
 * the config and the store are opened only when a command first needs
 * them, so `-h` and usage errors work without either.
 *
 * Output: every list command prints aligned columns, or with --json an
 * array of objects (stats: one object). Errors are one line on stderr,
 * "cungatectl: …", exit status 2 for usage errors, 1 for failures.
 * Mutating commands write an audit row (actor "cli", channel "cli").
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <search.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/sched.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "modems/modem.h"

#define CTL_DEFAULT_CONFIG	"config/cungate.conf"
#define CTL_DEFAULT_LIMIT	50
#define CTL_MAX_LIMIT		100000
#define CTL_NAME_MAX		128	/* bytes, as store_person.name */
#define CTL_CODE_MAX		32
#define CTL_CATEGORIES_MAX	256
#define CTL_IMPORT_MAX		(64 * 1024 * 1024)

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,
	CTL_EXIT_USAGE = 2
};

struct ctl_cmd;

struct ctl {
	const char		*conf_path;
	struct config		*cf;
	struct store		*st;
	const struct ctl_cmd	*cmd;
	char			**args;		/* positional ones */
	int			 nargs;
};

struct ctl_cmd {
	const char	*name;		/* "township add" */
	const char	*usage;		/* what follows the name */
	const char	*about;		/* one line for `help` */
	enum ctl_exit	(*exec)(struct ctl *, int, char **);
};

static enum ctl_exit ctl_township_add(struct ctl *, int, char **);
static enum ctl_exit ctl_township_list(struct ctl *, int, char **);
static enum ctl_exit ctl_village_add(struct ctl *, int, char **);
static enum ctl_exit ctl_village_list(struct ctl *, int, char **);
static enum ctl_exit ctl_resident_add(struct ctl *, int, char **);
static enum ctl_exit ctl_resident_list(struct ctl *, int, char **);
static enum ctl_exit ctl_resident_import(struct ctl *, int, char **);
static enum ctl_exit ctl_send(struct ctl *, int, char **);
static enum ctl_exit ctl_outbox(struct ctl *, int, char **);
static enum ctl_exit ctl_messages(struct ctl *, int, char **);
static enum ctl_exit ctl_simulate(struct ctl *, int, char **);
static enum ctl_exit ctl_tick(struct ctl *, int, char **);
static enum ctl_exit ctl_stats(struct ctl *, int, char **);
static enum ctl_exit ctl_help(struct ctl *, int, char **);

static const struct ctl_cmd ctl_cmds[] = {
	{ "township add", "CODE NAME [--supervisor PHONE]...",
	  "add a township and its supervisors", ctl_township_add },
	{ "township list", "[--json]",
	  "list townships", ctl_township_list },
	{ "village add", "CODE NAME [--township CODE]",
	  "add a village (CODE is what villagers text to register)",
	  ctl_village_add },
	{ "village list", "[--json]",
	  "list villages with resident counts", ctl_village_list },
	{ "resident add", "PHONE NAME --village CODE "
	  "[--role resident|cadre|elderly]... [--categories 水,电]",
	  "add a person, or update the one with that phone (keeping\n"
	  "\t\t\ttheir roles and categories unless given)",
	  ctl_resident_add },
	{ "resident list", "[--village CODE] [--json]",
	  "list people", ctl_resident_list },
	{ "resident import", "FILE.csv",
	  "import people from CSV: header phone,name,village[,role]"
	  "[,categories];\n\t\t\tbad rows are reported as FILE:LINE and "
	  "skipped, good rows kept;\n\t\t\texit status 1 if any row was "
	  "rejected", ctl_resident_import },
	{ "send", "PHONE TEXT [--class urgent|reply|reminder|broadcast]",
	  "queue a message (class reply by default); prints its outbox id",
	  ctl_send },
	{ "outbox", "[--state queued|sending|sent|failed|expired] "
	  "[--limit N] [--json]",
	  "outbound messages, newest first", ctl_outbox },
	{ "messages", "[--from PHONE] [--limit N] [--json]",
	  "inbound messages, newest first", ctl_messages },
	{ "simulate", "PHONE TEXT [--modem NAME]",
	  "drop an SMS into a dummy-phone modem's inbox; prints the parts "
	  "written", ctl_simulate },
	{ "tick", "[--at \"YYYY-MM-DD HH:MM\"]",
	  "run the scheduler once, as of that local time (default now)",
	  ctl_tick },
	{ "stats", "[--json]",
	  "counts: messages in and out, queue, people, modems", ctl_stats },
	{ "help", "[COMMAND]", "this list", ctl_help },
};
#define CTL_NCMDS	(sizeof ctl_cmds / sizeof ctl_cmds[0])

static const char *const ctl_class_names[OUTBOX_NCLASSES] = {
	"urgent", "reply", "reminder", "broadcast"
};

/* --- errors --- */

static void ctl_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
static enum ctl_exit ctl_fail(const char *, ...)
    __attribute__((format(printf, 1, 2)));
static enum ctl_exit ctl_usage_fail(struct ctl *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
ctl_vwarnx(const char *fmt, va_list ap)
{
	fputs("cungatectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void
ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarnx(fmt, ap);
	va_end(ap);
}

/* A failure: one line on stderr, exit status 1. */
static enum ctl_exit
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarnx(fmt, ap);
	va_end(ap);
	return CTL_EXIT_FAIL;
}

/* Print and free cause: exit status 1. */
static enum ctl_exit
ctl_fail_cause(char *cause)
{
	ctl_warnx("%s", cause);
	free(cause);
	return CTL_EXIT_FAIL;
}

/* A usage error in the current command: one line, exit status 2. */
static enum ctl_exit
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
static enum ctl_exit
ctl_usage_line(struct ctl *c)
{
	fprintf(stderr, "cungatectl: usage: %s %s\n", c->cmd->name,
	    c->cmd->usage);
	return CTL_EXIT_USAGE;
}

/* --- option parsing --- */

#define CTL_OPT_HELP	'h'
#define CTL_OPT_BAD	'?'

/*
 * getopt_long over a command's arguments, argv[0] being its name.
 * Positional arguments are collected into c->args in order (options may
 * come before, between or after them; "--" ends the options). Returns
 * the option's val, -1 at the end, CTL_OPT_HELP for -h/--help, or
 * CTL_OPT_BAD after printing what was wrong.
 */
static int
ctl_getopt(struct ctl *c, int argc, char **argv, const struct option *opts)
{
	int ch;

	if (c->args == NULL) {
		c->args = xcalloc((size_t)argc + 1, sizeof *c->args);
		c->nargs = 0;
		optind = 0;	/* GNU: start afresh */
	}
	opterr = 0;
	for (;;) {
		/* '-': non-options come back as 1, whatever POSIXLY_CORRECT. */
		ch = getopt_long(argc, argv, "-:h", opts, NULL);
		if (ch == 1) {
			c->args[c->nargs++] = optarg;
			continue;
		}
		break;
	}
	switch (ch) {
	case -1:
		while (optind < argc)
			c->args[c->nargs++] = argv[optind++];
		break;
	case '?':
		if (strncmp(argv[optind - 1], "--", 2) == 0)
			ctl_usage_fail(c, "bad option %s", argv[optind - 1]);
		else
			ctl_usage_fail(c, "unknown option -%c", optopt);
		return CTL_OPT_BAD;
	case ':':
		ctl_usage_fail(c, "%s needs a value", argv[optind - 1]);
		return CTL_OPT_BAD;
	}
	return ch;
}

/* For a command's default: case: -h prints its usage, else a bad option. */
static enum ctl_exit
ctl_opt_end(struct ctl *c, int ch)
{
	if (ch == CTL_OPT_HELP) {
		printf("usage: cungatectl %s %s\n", c->cmd->name,
		    c->cmd->usage);
		return CTL_EXIT_OK;
	}
	return CTL_EXIT_USAGE;
}

static const struct option ctl_opts_json[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* --- config and store, opened on first use --- */

static struct config *
ctl_config(struct ctl *c)
{
	char *cause = NULL;

	if (c->cf == NULL) {
		c->cf = config_load(c->conf_path, &cause);
		if (c->cf == NULL) {
			ctl_fail_cause(cause);
			return NULL;
		}
	}
	return c->cf;
}

static struct store *
ctl_store(struct ctl *c)
{
	char *cause = NULL;

	if (c->st == NULL) {
		if (ctl_config(c) == NULL)
			return NULL;
		c->st = store_open(c->cf->database, &cause);
		if (c->st == NULL) {
			ctl_fail_cause(cause);
			return NULL;
		}
	}
	return c->st;
}

/* Audit a change made through the CLI, inside the open transaction. */
static int
ctl_audit(struct ctl *c, const char *action, const char *object,
    const char *detail)
{
	return store_audit(c->st, now_real(), "cli", "cli", action, object,
	    detail);
}

/* A failed write: roll back and say so. */
static enum ctl_exit
ctl_store_fail(struct ctl *c, const char *what)
{
	ctl_warnx("%s: %s", what, store_error(c->st));
	store_rollback(c->st);
	return CTL_EXIT_FAIL;
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
static int
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

/* Does s hold a control character (C0 or DEL)? 0/1. */
static int
ctl_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
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
static void
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

/* A JSON object built key by key. */
struct ctl_obj {
	struct buf	 b;
	int		 n;
};

static void
ctl_obj_key(struct ctl_obj *o, const char *key)
{
	buf_adds(&o->b, o->n++ == 0 ? "{" : ", ");
	ctl_json_str(&o->b, key);
	buf_adds(&o->b, ": ");
}

static void
ctl_obj_int(struct ctl_obj *o, const char *key, int64_t v)
{
	ctl_obj_key(o, key);
	buf_printf(&o->b, "%lld", (long long)v);
}

/* A member whose value is already JSON text. */
static void
ctl_obj_raw(struct ctl_obj *o, const char *key, const char *json)
{
	ctl_obj_key(o, key);
	buf_adds(&o->b, json);
}

/* The object's text (caller frees); o is reset. */
static char *
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

/*
 * A list collects rows, then prints them: with json, one object per row;
 * else a table whose headers are the keys of the cells added, upper case.
 * Each row adds the same fields in the same order.
 */
struct ctl_list {
	int		 json;
	const char	*tz;
	/* Table. */
	char		**heads;
	size_t		 ncols;
	char		**cells;
	size_t		 ncells;
	size_t		 cellcap;
	size_t		 col;
	int		 inrow;
	/* JSON. */
	struct ctl_obj	 obj;
	struct buf	 out;
	size_t		 nrows;
};

static void
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
static void
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
static void
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
static void
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
static void
ctl_list_opt(struct ctl_list *l, const char *key, const char *s)
{
	ctl_list_str(l, key, s[0] != '\0' ? s : NULL);
}

static void
ctl_list_int(struct ctl_list *l, const char *key, int64_t v)
{
	char n[32];

	snprintf(n, sizeof n, "%lld", (long long)v);
	ctl_list_field(l, key, n, n);
}

/* A flag: true/false in JSON, "yes" or nothing in the table. */
static void
ctl_list_bool(struct ctl_list *l, const char *key, int v)
{
	ctl_list_field(l, key, v ? "yes" : "", v ? "true" : "false");
}

/* A time as local "YYYY-MM-DD HH:MM:SS"; 0 is null / empty. */
static void
ctl_list_time(struct ctl_list *l, const char *key, time_t t)
{
	char s[32];

	ctl_list_str(l, key, t == 0 ? NULL : tz_format(l->tz, t, s));
}

/* Free the list without printing it. */
static void
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
static char *
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
static void
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

/* --- checking what operators type --- */

/* ASCII whitespace off both ends of s, in place. */
static char *
ctl_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A phone number to E.164 in out (PHONE_MAX). 0, or -1 with *cause. */
static int
ctl_parse_phone(const struct config *cf, const char *in, char *out,
    char **cause)
{
	if (phone_normalise(in, cf->country_code, out) == 0)
		return 0;
	*cause = xasprintf("\"%s\" is not a phone number (+%s…, %s… or a "
	    "national number)", in, cf->country_code, cf->country_code);
	return -1;
}

/*
 * A sender as the inbox stores it: normalised when it is a phone number,
 * else (short codes like 10086, alphanumeric senders) as given.
 */
static int
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
 * A township or village code: what villagers type on a keypad, so ASCII
 * letters, digits, '-' and '_', at most 32. 0, or -1 with *cause.
 */
static int
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
static int
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
 * Roles from s, names separated by commas, semicolons or spaces, added
 * to *roles: resident, cadre (a resident too), elderly. 0, or -1 with
 * *cause naming the unknown role.
 */
static int
ctl_parse_roles(const char *s, unsigned *roles, char **cause)
{
	char *copy, *word, *next;
	int rc = 0;

	copy = xstrdup(s);
	for (next = copy; (word = strsep(&next, ",; \t")) != NULL;) {
		if (*word == '\0')
			continue;
		if (strcasecmp(word, "resident") == 0)
			*roles |= ROLE_RESIDENT;
		else if (strcasecmp(word, "cadre") == 0)
			*roles |= ROLE_CADRE | ROLE_RESIDENT;
		else if (strcasecmp(word, "elderly") == 0)
			*roles |= ROLE_ELDERLY;
		else {
			*cause = xasprintf("unknown role \"%s\" (resident, "
			    "cadre or elderly)", word);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

/* "resident,cadre" for roles, into buf (32 bytes). */
static const char *
ctl_roles_string(unsigned roles, char *buf)
{
	buf[0] = '\0';
	if (roles & ROLE_RESIDENT)
		strcat(buf, "resident,");
	if (roles & ROLE_CADRE)
		strcat(buf, "cadre,");
	if (roles & ROLE_ELDERLY)
		strcat(buf, "elderly,");
	if (buf[0] != '\0')
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

/*
 * Categories as the store keeps them, "水,电": items split on ',', '，'
 * or '、', trimmed, empty ones dropped. Into out (257 bytes). 0, or -1
 * with *cause.
 */
static int
ctl_parse_categories(const char *s, char *out, char **cause)
{
	struct buf b;
	char *copy, *p, *item;
	int rc = 0;

	if (!ctl_utf8_is_valid(s) || ctl_has_control(s)) {
		*cause = xasprintf("categories \"%s\": not UTF-8 text", s);
		return -1;
	}
	copy = xstrdup(s);
	/* Full-width separators become ASCII commas (same length: pad). */
	while ((p = strstr(copy, "，")) != NULL || (p = strstr(copy, "、")))
		memcpy(p, ",  ", 3);
	memset(&b, 0, sizeof b);
	for (p = copy; (item = strsep(&p, ",")) != NULL;) {
		item = ctl_trim(item);
		if (*item == '\0')
			continue;
		if (b.len > 0)
			buf_adds(&b, ",");
		buf_adds(&b, item);
	}
	free(copy);
	if (b.len > CTL_CATEGORIES_MAX) {
		*cause = xasprintf("categories \"%s\" are longer than %d bytes",
		    s, CTL_CATEGORIES_MAX);
		rc = -1;
	} else
		snprintf(out, CTL_CATEGORIES_MAX + 1, "%s",
		    b.data != NULL ? b.data : "");
	buf_free(&b);
	return rc;
}

/* --limit N. 0, or -1 with *cause. */
static int
ctl_parse_limit(const char *s, int *out, char **cause)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 ||
	    v > CTL_MAX_LIMIT) {
		*cause = xasprintf("--limit \"%s\": expected a number from 1 "
		    "to %d", s, CTL_MAX_LIMIT);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* A usage error from *cause (freed). */
static enum ctl_exit
ctl_usage_cause(struct ctl *c, char *cause)
{
	ctl_usage_fail(c, "%s", cause);
	free(cause);
	return CTL_EXIT_USAGE;
}

/* --- township --- */

static enum ctl_exit
ctl_township_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "supervisor", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char (*phones)[PHONE_MAX], *cause = NULL;
	const char **raw;
	struct buf detail;
	enum ctl_exit rc = CTL_EXIT_FAIL;
	size_t nraw = 0, n = 0, i, j;
	int ch;

	raw = xcalloc((size_t)argc + 1, sizeof *raw);
	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 's':
			raw[nraw++] = optarg;
			break;
		default:
			free(raw);
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 2) {
		free(raw);
		return ctl_usage_line(c);
	}
	if (ctl_check_code("township", c->args[0], &cause) == -1 ||
	    ctl_check_name("township name", c->args[1], 0, &cause) == -1) {
		free(raw);
		return ctl_usage_cause(c, cause);
	}
	if (ctl_store(c) == NULL) {
		free(raw);
		return CTL_EXIT_FAIL;
	}
	phones = xcalloc(nraw + 1, sizeof *phones);
	for (i = 0; i < nraw; i++) {
		if (ctl_parse_phone(c->cf, raw[i], phones[n], &cause) == -1) {
			rc = ctl_usage_cause(c, cause);
			goto out;
		}
		for (j = 0; j < n; j++)
			if (strcmp(phones[j], phones[n]) == 0)
				break;
		if (j == n)
			n++;	/* the same supervisor twice is once */
	}

	memset(&detail, 0, sizeof detail);
	buf_adds(&detail, c->args[1]);
	if (store_begin(c->st) == -1) {
		rc = ctl_fail("database busy: %s", store_error(c->st));
		buf_free(&detail);
		goto out;
	}
	if (store_township_add(c->st, c->args[0], c->args[1], now_real(),
	    &cause) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (store_township_add_supervisor(c->st, c->args[0],
		    phones[i], &cause) == -1)
			goto fail;
		buf_printf(&detail, "%s%s", i == 0 ? "; supervisors " : ",",
		    phones[i]);
	}
	if (ctl_audit(c, "township.add", c->args[0], detail.data) == -1 ||
	    store_commit(c->st) == -1) {
		buf_free(&detail);
		rc = ctl_store_fail(c, "township add");
		goto out;
	}
	buf_free(&detail);
	printf("added township %s %s with %zu supervisor%s\n", c->args[0],
	    c->args[1], n, n == 1 ? "" : "s");
	rc = CTL_EXIT_OK;
	goto out;

fail:
	store_rollback(c->st);
	buf_free(&detail);
	rc = ctl_fail_cause(cause);
out:
	free(phones);
	free(raw);
	return rc;
}

static void
ctl_township_collect(const struct store_township *t, void *arg)
{
	struct buf *b = arg;

	buf_add(b, t, sizeof *t);
}

static void
ctl_township_supervisor(const char *phone, void *arg)
{
	struct buf *b = arg;

	if (b->len > 0)
		buf_adds(b, ",");
	buf_adds(b, phone);
}

static enum ctl_exit
ctl_township_list(struct ctl *c, int argc, char **argv)
{
	struct store_township *t;
	struct ctl_list l;
	struct buf all, sup;
	size_t i, n;
	char *json;
	int ch, js = 0;

	while ((ch = ctl_getopt(c, argc, argv, ctl_opts_json)) != -1) {
		if (ch != 'j')
			return ctl_opt_end(c, ch);
		js = 1;
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	/* Collect first: the supervisors come from another statement. */
	memset(&all, 0, sizeof all);
	if (store_township_list(c->st, ctl_township_collect, &all) == -1) {
		buf_free(&all);
		return ctl_fail("township list: %s", store_error(c->st));
	}
	t = (struct store_township *)all.data;
	n = all.len / sizeof *t;
	ctl_list_init(&l, js, c->cf->timezone);
	for (i = 0; i < n; i++) {
		memset(&sup, 0, sizeof sup);
		if (store_township_supervisors(c->st, t[i].code,
		    ctl_township_supervisor, &sup) == -1) {
			buf_free(&sup);
			buf_free(&all);
			ctl_list_free(&l);
			return ctl_fail("township %s: %s", t[i].code,
			    store_error(c->st));
		}
		ctl_list_row(&l);
		ctl_list_str(&l, "code", t[i].code);
		ctl_list_str(&l, "name", t[i].name);
		ctl_list_int(&l, "villages", t[i].villages);
		json = ctl_json_list(sup.data != NULL ? sup.data : "");
		ctl_list_field(&l, "supervisors",
		    sup.data != NULL ? sup.data : "", json);
		free(json);
		buf_free(&sup);
	}
	buf_free(&all);
	ctl_list_print(&l);
	return CTL_EXIT_OK;
}

/* --- village --- */

static enum ctl_exit
ctl_village_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "township", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *township = NULL;
	char *cause = NULL;
	int ch;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 't')
			return ctl_opt_end(c, ch);
		township = optarg;
	}
	if (c->nargs != 2)
		return ctl_usage_line(c);
	if (ctl_check_code("village", c->args[0], &cause) == -1 ||
	    ctl_check_name("village name", c->args[1], 0, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if (store_begin(c->st) == -1)
		return ctl_fail("database busy: %s", store_error(c->st));
	if (store_village_add(c->st, c->args[0], c->args[1], township,
	    now_real(), &cause) == -1) {
		store_rollback(c->st);
		return ctl_fail_cause(cause);
	}
	if (ctl_audit(c, "village.add", c->args[0], c->args[1]) == -1 ||
	    store_commit(c->st) == -1)
		return ctl_store_fail(c, "village add");
	printf("added village %s %s%s%s\n", c->args[0], c->args[1],
	    township != NULL ? " in township " : "",
	    township != NULL ? township : "");
	return CTL_EXIT_OK;
}

static void
ctl_village_row(const struct store_village *v, int residents, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "code", v->code);
	ctl_list_str(l, "name", v->name);
	ctl_list_opt(l, "township", v->township);
	ctl_list_int(l, "residents", residents);
}

static enum ctl_exit
ctl_village_list(struct ctl *c, int argc, char **argv)
{
	struct ctl_list l;
	int ch, js = 0, rc;

	while ((ch = ctl_getopt(c, argc, argv, ctl_opts_json)) != -1) {
		if (ch != 'j')
			return ctl_opt_end(c, ch);
		js = 1;
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_village_list(c->st, ctl_village_row, &l);
	ctl_list_print(&l);
	if (rc == -1)
		return ctl_fail("village list: %s", store_error(c->st));
	return CTL_EXIT_OK;
}

/* --- residents --- */

static enum ctl_exit
ctl_resident_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "role", required_argument, NULL, 'r' },
		{ "categories", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_village v;
	struct store_person old;
	const char *village = NULL, *categories = NULL;
	char phone[PHONE_MAX], cats[CTL_CATEGORIES_MAX + 1], rs[32];
	char *cause = NULL, *detail;
	unsigned roles = 0;
	int ch, rc, found;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'v':
			village = optarg;
			break;
		case 'r':
			if (ctl_parse_roles(optarg, &roles, &cause) == -1)
				return ctl_usage_cause(c, cause);
			break;
		case 'C':
			categories = optarg;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 2 || village == NULL)
		return ctl_usage_line(c);
	if (ctl_check_name("name", c->args[1], 1, &cause) == -1 ||
	    (categories != NULL &&
	    ctl_parse_categories(categories, cats, &cause) == -1))
		return ctl_usage_cause(c, cause);
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if (store_begin(c->st) == -1)
		return ctl_fail("database busy: %s", store_error(c->st));
	switch (store_village_find(c->st, village, &v)) {
	case -1:
		return ctl_store_fail(c, "resident add");
	case 0:
		store_rollback(c->st);
		return ctl_fail("no village %s", village);
	}
	/*
	 * Updating someone: what was not given is kept, so moving a cadre
	 * to another village does not make them a plain resident.
	 */
	if ((found = store_person_find(c->st, phone, &old)) == -1)
		return ctl_store_fail(c, "resident add");
	if (roles == 0 && found)
		roles = old.roles;
	if (roles == 0)
		roles = ROLE_RESIDENT;
	if (categories == NULL)
		snprintf(cats, sizeof cats, "%s", found ? old.categories : "");
	rc = store_person_put(c->st, phone, c->args[1], v.code, roles, cats,
	    now_real(), &cause);
	if (rc == -1) {
		store_rollback(c->st);
		return ctl_fail_cause(cause);
	}
	ctl_roles_string(roles, rs);
	detail = xasprintf("%s; village %s; %s%s%s", c->args[1], v.code, rs,
	    cats[0] != '\0' ? "; categories " : "", cats);
	if (ctl_audit(c, rc == 1 ? "resident.add" : "resident.update", phone,
	    detail) == -1 || store_commit(c->st) == -1) {
		free(detail);
		return ctl_store_fail(c, "resident add");
	}
	free(detail);
	printf("%s %s %s in village %s (%s)\n", rc == 1 ? "added" : "updated",
	    phone, c->args[1], v.code, rs);
	return CTL_EXIT_OK;
}

static void
ctl_person_row(const struct store_person *p, void *arg)
{
	struct ctl_list *l = arg;
	char rs[32], *json;

	ctl_list_row(l);
	ctl_list_str(l, "phone", p->phone);
	ctl_list_str(l, "name", p->name);
	ctl_list_opt(l, "village", p->village);
	if (l->json)
		ctl_list_opt(l, "village_name", p->village_name);
	ctl_roles_string(p->roles, rs);
	json = ctl_json_list(rs);
	ctl_list_field(l, "roles", rs, json);
	free(json);
	json = ctl_json_list(p->categories);
	ctl_list_field(l, "categories", p->categories, json);
	free(json);
	ctl_list_bool(l, "opted_out", p->opted_out);
}

static enum ctl_exit
ctl_resident_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "village", required_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_village v;
	struct ctl_list l;
	const char *village = NULL;
	int ch, js = 0, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'v':
			village = optarg;
			break;
		case 'j':
			js = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (village != NULL) {
		switch (store_village_find(c->st, village, &v)) {
		case -1:
			return ctl_fail("village %s: %s", village,
			    store_error(c->st));
		case 0:
			return ctl_fail("no village %s", village);
		}
		village = v.code;
	}
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_person_list(c->st, village, ctl_person_row, &l);
	ctl_list_print(&l);
	if (rc == -1)
		return ctl_fail("resident list: %s", store_error(c->st));
	return CTL_EXIT_OK;
}

/* The whole of path ("-" is stdin) into *data. 0, or -1 with *cause. */
static int
ctl_read_file(const char *path, struct buf *data, char **cause)
{
	char chunk[65536];
	FILE *f;
	size_t n;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (data->len + n > CTL_IMPORT_MAX) {
			*cause = xasprintf("%s: larger than %d MB", path,
			    CTL_IMPORT_MAX / (1024 * 1024));
			goto fail;
		}
		buf_add(data, chunk, n);
	}
	if (ferror(f)) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	return 0;
fail:
	if (f != stdin)
		fclose(f);
	return -1;
}

enum ctl_column {
	CTL_COL_PHONE,
	CTL_COL_NAME,
	CTL_COL_VILLAGE,
	CTL_COL_ROLE,
	CTL_COL_CATEGORIES,
	CTL_NCOLUMNS
};
static const char *const ctl_column_names[CTL_NCOLUMNS] = {
	"phone", "name", "village", "role", "categories"
};

/*
 * Map the header's columns: col[CTL_COL_X] is the index of column X in a
 * row, or -1 when the file has none. 0, or -1 with *cause.
 */
static int
ctl_import_header(const struct csv_row *row, int *col, char **cause)
{
	size_t i;
	char *name;
	int k;

	for (k = 0; k < CTL_NCOLUMNS; k++)
		col[k] = -1;
	for (i = 0; i < row->nfields; i++) {
		name = ctl_trim(row->fields[i]);
		for (k = 0; k < CTL_NCOLUMNS; k++)
			if (strcasecmp(name, ctl_column_names[k]) == 0)
				break;
		if (k == CTL_NCOLUMNS) {
			*cause = xasprintf("header: unknown column \"%s\" "
			    "(expected phone,name,village and optionally "
			    "role,categories)", name);
			return -1;
		}
		if (col[k] != -1) {
			*cause = xasprintf("header: column \"%s\" twice", name);
			return -1;
		}
		col[k] = (int)i;
	}
	for (k = CTL_COL_PHONE; k <= CTL_COL_VILLAGE; k++) {
		if (col[k] == -1) {
			*cause = xasprintf("header: no \"%s\" column (expected "
			    "phone,name,village[,role][,categories])",
			    ctl_column_names[k]);
			return -1;
		}
	}
	return 0;
}

struct ctl_import {
	struct ctl		*c;
	const char		*path;
	int			 col[CTL_NCOLUMNS];
	size_t			 ncols;
	struct hsearch_data	 seen;		/* phone -> line */
	char			**keys;		/* seen's keys */
	size_t			 nkeys;
	int			 imported;
	int			 updated;
	int			 rejected;
};

/* The field of column k in row, trimmed; "" when the file has none. */
static char *
ctl_import_field(struct ctl_import *im, struct csv_row *row, int k)
{
	if (im->col[k] == -1)
		return (char *)"";
	return ctl_trim(row->fields[im->col[k]]);
}

/* Is the row empty (a blank line, or a spreadsheet's ",,,")? 0/1. */
static int
ctl_import_is_blank(struct csv_row *row)
{
	size_t i;

	for (i = 0; i < row->nfields; i++)
		if (*ctl_trim(row->fields[i]) != '\0')
			return 0;
	return 1;
}

/* One data row: put the person, or fill *cause. 1 added, 0 updated, -1. */
static int
ctl_import_row(struct ctl_import *im, struct csv_row *row, char **cause)
{
	const struct config *cf = im->c->cf;
	struct store_person old;
	char phone[PHONE_MAX], cats[CTL_CATEGORIES_MAX + 1];
	char *name, *village;
	unsigned roles = 0;
	size_t i;
	ENTRY e, *found;

	if (row->nfields != im->ncols) {
		*cause = xasprintf("expected %zu fields, found %zu", im->ncols,
		    row->nfields);
		return -1;
	}
	for (i = 0; i < row->nfields; i++) {
		if (!ctl_utf8_is_valid(row->fields[i])) {
			*cause = xstrdup("not UTF-8 (save the file as "
			    "\"CSV UTF-8\")");
			return -1;
		}
	}
	if (ctl_parse_phone(cf, ctl_import_field(im, row, CTL_COL_PHONE),
	    phone, cause) == -1)
		return -1;
	name = ctl_import_field(im, row, CTL_COL_NAME);
	if (ctl_check_name("name", name, 1, cause) == -1)
		return -1;
	village = ctl_import_field(im, row, CTL_COL_VILLAGE);
	if (*village == '\0') {
		*cause = xstrdup("no village");
		return -1;
	}
	if (ctl_parse_roles(ctl_import_field(im, row, CTL_COL_ROLE), &roles,
	    cause) == -1 ||
	    ctl_parse_categories(ctl_import_field(im, row,
	    CTL_COL_CATEGORIES), cats, cause) == -1)
		return -1;
	if (roles == 0)
		roles = ROLE_RESIDENT;
	/* A file without a categories column leaves them as they are. */
	if (im->col[CTL_COL_CATEGORIES] == -1) {
		switch (store_person_find(im->c->st, phone, &old)) {
		case -1:
			*cause = xasprintf("%s: %s", phone,
			    store_error(im->c->st));
			return -1;
		case 1:
			snprintf(cats, sizeof cats, "%s", old.categories);
			break;
		}
	}

	/* The same phone twice in a file: say so; the later row wins. */
	e.key = phone;
	e.data = (void *)(intptr_t)row->line;
	if (hsearch_r(e, FIND, &found, &im->seen) != 0 && found != NULL)
		fprintf(stderr, "%s:%d: warning: %s is also on line %d; "
		    "this row replaces it\n", im->path, row->line, phone,
		    (int)(intptr_t)found->data);
	else {
		e.key = im->keys[im->nkeys++] = xstrdup(phone);
		if (hsearch_r(e, ENTER, &found, &im->seen) == 0)
			fatal("import: hash table full");
	}
	return store_person_put(im->c->st, phone, name, village, roles, cats,
	    now_real(), cause);
}

static enum ctl_exit
ctl_resident_import(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_import im;
	struct csv_row row;
	struct csv *csv = NULL;
	struct buf data;
	enum ctl_exit ex = CTL_EXIT_FAIL;
	size_t lines, i;
	char *cause = NULL, *detail;
	int ch, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		return ctl_opt_end(c, ch);
	if (c->nargs != 1)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	memset(&im, 0, sizeof im);
	memset(&row, 0, sizeof row);
	memset(&data, 0, sizeof data);
	im.c = c;
	im.path = strcmp(c->args[0], "-") == 0 ? "<stdin>" : c->args[0];
	if (ctl_read_file(c->args[0], &data, &cause) == -1)
		return ctl_fail_cause(cause);
	csv = csv_new(data.data != NULL ? data.data : "", data.len);

	switch (csv_read(csv, &row, &cause)) {
	case -1:
		ex = ctl_fail("%s:%d: %s", im.path, row.line, cause);
		free(cause);
		goto out;
	case 0:
		ex = ctl_fail("%s: empty file: expected a header "
		    "phone,name,village[,role][,categories]", im.path);
		goto out;
	}
	if (ctl_import_header(&row, im.col, &cause) == -1) {
		ex = ctl_fail("%s:%d: %s", im.path, row.line, cause);
		free(cause);
		goto out;
	}
	im.ncols = row.nfields;

	/* Every record takes at least one line: a bound for the table. */
	for (lines = 1, i = 0; i < data.len; i++)
		lines += data.data[i] == '\n';
	if (hcreate_r(lines * 2 + 16, &im.seen) == 0)
		fatal("import: hcreate: %s", strerror(errno));
	im.keys = xcalloc(lines + 1, sizeof *im.keys);

	if (store_begin(c->st) == -1) {
		ex = ctl_fail("database busy: %s", store_error(c->st));
		goto out;
	}
	while ((rc = csv_read(csv, &row, &cause)) != 0) {
		if (rc == 1 && ctl_import_is_blank(&row))
			continue;
		if (rc == 1)
			rc = ctl_import_row(&im, &row, &cause);
		switch (rc) {
		case -1:
			fprintf(stderr, "%s:%d: %s\n", im.path, row.line,
			    cause);
			free(cause);
			cause = NULL;
			im.rejected++;
			break;
		case 0:
			im.updated++;
			break;
		default:
			im.imported++;
			break;
		}
	}
	detail = xasprintf("imported %d, updated %d, rejected %d",
	    im.imported, im.updated, im.rejected);
	if (ctl_audit(c, "resident.import", im.path, detail) == -1 ||
	    store_commit(c->st) == -1) {
		free(detail);
		ex = ctl_store_fail(c, "resident import: nothing imported");
		goto out;
	}
	printf("%s\n", detail);
	free(detail);
	ex = im.rejected > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;

out:
	if (im.keys != NULL) {
		hdestroy_r(&im.seen);
		for (i = 0; i < im.nkeys; i++)
			free(im.keys[i]);
		free(im.keys);
	}
	csv_row_clear(&row);
	csv_free(csv);
	buf_free(&data);
	return ex;
}

/* --- messages in and out --- */

static enum ctl_exit
ctl_send(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	enum outbox_class class = OUTBOX_REPLY;
	char phone[PHONE_MAX], *cause = NULL, *detail;
	int64_t id;
	int ch, k;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'k')
			return ctl_opt_end(c, ch);
		for (k = 0; k < OUTBOX_NCLASSES; k++)
			if (strcasecmp(optarg, ctl_class_names[k]) == 0)
				break;
		if (k == OUTBOX_NCLASSES)
			return ctl_usage_fail(c, "unknown class \"%s\" "
			    "(urgent, reply, reminder or broadcast)", optarg);
		class = (enum outbox_class)k;
	}
	if (c->nargs != 2)
		return ctl_usage_line(c);
	if (c->args[1][0] == '\0')
		return ctl_usage_fail(c, "empty text");
	if (!ctl_utf8_is_valid(c->args[1]))
		return ctl_usage_fail(c, "text is not UTF-8");
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if (store_begin(c->st) == -1)
		return ctl_fail("database busy: %s", store_error(c->st));
	if ((id = outbox_queue(c->st, phone, c->args[1], class, 0,
	    now_real())) == -1)
		return ctl_store_fail(c, "send");
	detail = xasprintf("outbox %lld, class %s", (long long)id,
	    ctl_class_names[class]);
	if (ctl_audit(c, "send", phone, detail) == -1 ||
	    store_commit(c->st) == -1) {
		free(detail);
		return ctl_store_fail(c, "send");
	}
	free(detail);
	printf("%lld\n", (long long)id);
	return CTL_EXIT_OK;
}

static void
ctl_outbox_row(const struct store_outbox *o, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_int(l, "id", o->id);
	ctl_list_time(l, "time", o->created_at);
	ctl_list_str(l, "recipient", o->recipient);
	ctl_list_str(l, "state", store_outbox_state_name(o->state));
	ctl_list_str(l, "class", (unsigned)o->class < OUTBOX_NCLASSES ?
	    ctl_class_names[o->class] : "?");
	ctl_list_int(l, "attempts", o->attempts);
	ctl_list_int(l, "parts", o->parts);
	ctl_list_opt(l, "modem", o->modem);
	if (l->json) {
		ctl_list_time(l, "sent_time", o->sent_at);
		ctl_list_time(l, "expires", o->expires_at);
		ctl_list_str(l, "text", o->text);
		ctl_list_opt(l, "last_error", o->last_error);
		if (o->message_id != 0)
			ctl_list_int(l, "message_id", o->message_id);
		else
			ctl_list_field(l, "message_id", NULL, "null");
	} else {
		/* The text last, where its length bothers no column. */
		ctl_list_str(l, "last_error", o->last_error);
		ctl_list_str(l, "text", o->text);
	}
}

static enum ctl_exit
ctl_outbox(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_list l;
	const char *state = NULL;
	char *cause = NULL;
	int ch, js = 0, limit = CTL_DEFAULT_LIMIT, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 's':
			if (store_outbox_state_parse(optarg) == -1)
				return ctl_usage_fail(c, "unknown state \"%s\" "
				    "(queued, sending, sent, failed or "
				    "expired)", optarg);
			state = optarg;
			break;
		case 'n':
			if (ctl_parse_limit(optarg, &limit, &cause) == -1)
				return ctl_usage_cause(c, cause);
			break;
		case 'j':
			js = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_outbox_list(c->st, state, limit, ctl_outbox_row, &l);
	ctl_list_print(&l);
	if (rc == -1)
		return ctl_fail("outbox: %s", store_error(c->st));
	return CTL_EXIT_OK;
}

static void
ctl_message_row(const struct store_message *m, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_int(l, "id", m->id);
	ctl_list_time(l, "time", m->received_at);
	ctl_list_str(l, "sender", m->sender);
	if (l->json)
		ctl_list_str(l, "modem", m->modem);
	ctl_list_int(l, "parts", m->parts);
	ctl_list_bool(l, "partial", m->partial);
	ctl_list_str(l, "state", m->state);
	ctl_list_opt(l, "handler", m->handler);
	ctl_list_str(l, "text", m->text != NULL ? m->text : "");
}

static enum ctl_exit
ctl_messages(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl_list l;
	const char *from = NULL;
	char sender[PHONE_MAX], *cause = NULL;
	int ch, js = 0, limit = CTL_DEFAULT_LIMIT, rc;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 'n':
			if (ctl_parse_limit(optarg, &limit, &cause) == -1)
				return ctl_usage_cause(c, cause);
			break;
		case 'j':
			js = 1;
			break;
		default:
			return ctl_opt_end(c, ch);
		}
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (from != NULL &&
	    ctl_parse_sender(c->cf, from, sender, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_message_list(c->st, from != NULL ? sender : NULL, limit,
	    ctl_message_row, &l);
	ctl_list_print(&l);
	if (rc == -1)
		return ctl_fail("messages: %s", store_error(c->st));
	return CTL_EXIT_OK;
}

static enum ctl_exit
ctl_simulate(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "modem", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const struct config_modem *m = NULL;
	const char *name = NULL;
	char sender[PHONE_MAX], *cause = NULL;
	size_t i;
	int ch, n;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'm')
			return ctl_opt_end(c, ch);
		name = optarg;
	}
	if (c->nargs != 2)
		return ctl_usage_line(c);
	if (!ctl_utf8_is_valid(c->args[1]))
		return ctl_usage_fail(c, "text is not UTF-8");
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_sender(c->cf, c->args[0], sender, &cause) == -1)
		return ctl_usage_cause(c, cause);

	if (name != NULL) {
		if ((m = config_modem_find(c->cf, name)) == NULL)
			return ctl_fail("%s: no [modem %s]", c->cf->path, name);
		if (m->model == NULL || strcasecmp(m->model, "dummy") != 0)
			return ctl_fail("modem %s is not a dummy phone "
			    "(model = %s)", name,
			    m->model != NULL ? m->model : "");
	} else {
		for (i = 0; i < c->cf->nmodems && m == NULL; i++)
			if (c->cf->modems[i].model != NULL &&
			    strcasecmp(c->cf->modems[i].model, "dummy") == 0)
				m = &c->cf->modems[i];
		if (m == NULL)
			return ctl_fail("%s: no [modem] with model = dummy",
			    c->cf->path);
	}
	if ((n = modem_simulate(c->cf, m, sender, c->args[1], &cause)) == -1)
		return ctl_fail("simulate: modem %s: %s", m->name, cause);
	printf("%d\n", n);
	return CTL_EXIT_OK;
}

/* --- scheduler and counters --- */

static enum ctl_exit
ctl_tick(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *at = NULL;
	char when[32], *detail;
	time_t now;
	int ch, n;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'a')
			return ctl_opt_end(c, ch);
		at = optarg;
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (at == NULL)
		now = now_real();
	else if (tz_parse(c->cf->timezone, at, &now) == -1)
		return ctl_usage_fail(c, "--at \"%s\": expected \"YYYY-MM-DD "
		    "HH:MM\" (local time, %s)", at, c->cf->timezone);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	/* The scheduler logs what it does at info: let that through. */
	log_init("cungatectl", LOG_LEVEL_INFO);
	n = sched_run(c->st, c->cf, now);
	log_init("cungatectl", LOG_LEVEL_WARN);
	if (n == -1)
		return ctl_fail("tick: %s", store_error(c->st));
	tz_format(c->cf->timezone, now, when);
	detail = xasprintf("at %s %s: %d done", when, c->cf->timezone, n);
	/* sched_run has committed; the audit row is its own write. */
	if (n > 0 && ctl_audit(c, "tick", NULL, detail) == -1)
		ctl_warnx("tick: audit: %s", store_error(c->st));
	printf("tick %s\n", detail);
	free(detail);
	return CTL_EXIT_OK;
}

static void
ctl_modem_row(const struct store_modem *m, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "name", m->name);
	ctl_list_str(l, "state", m->state);
	ctl_list_time(l, "since", m->updated_at);
	ctl_list_int(l, "sent", m->messages_sent);
	ctl_list_int(l, "parts_sent", m->parts_sent);
	ctl_list_int(l, "parts_received", m->parts_received);
	ctl_list_str(l, "detail", m->detail);
}

static enum ctl_exit
ctl_stats(struct ctl *c, int argc, char **argv)
{
	static const char *const states[5] = {
		"queued", "sending", "sent", "failed", "expired"
	};
	struct store_stats s;
	struct ctl_list l;
	struct ctl_obj o, sub;
	char *json;
	int ch, js = 0, i, rc;

	while ((ch = ctl_getopt(c, argc, argv, ctl_opts_json)) != -1) {
		if (ch != 'j')
			return ctl_opt_end(c, ch);
		js = 1;
	}
	if (c->nargs != 0)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	memset(&s, 0, sizeof s);
	if (store_stats(c->st, &s) == -1)
		return ctl_fail("stats: %s", store_error(c->st));

	ctl_list_init(&l, js, c->cf->timezone);
	rc = store_modem_list(c->st, ctl_modem_row, &l);
	if (rc == -1) {
		ctl_list_free(&l);
		return ctl_fail("stats: modems: %s", store_error(c->st));
	}

	if (!js) {
		printf("messages in   %lld parts, %lld messages, %lld partial, "
		    "%lld pending\n", (long long)s.parts_in,
		    (long long)s.messages_in, (long long)s.messages_partial,
		    (long long)s.messages_pending);
		printf("outbox       ");
		for (i = 0; i < 5; i++)
			printf(" %lld %s%s", (long long)s.outbox[i], states[i],
			    i < 4 ? "," : "\n");
		printf("queued       ");
		for (i = 0; i < OUTBOX_NCLASSES; i++)
			printf(" %lld %s%s", (long long)s.queued_by_class[i],
			    ctl_class_names[i], i < OUTBOX_NCLASSES - 1 ?
			    "," : "\n");
		printf("parts out     %lld\n", (long long)s.parts_out);
		printf("people        %lld\n", (long long)s.people);
		printf("villages      %lld\n", (long long)s.villages);
		if (l.nrows > 0)
			printf("\n");
		ctl_list_print(&l);
		return CTL_EXIT_OK;
	}

	memset(&o, 0, sizeof o);
	memset(&sub, 0, sizeof sub);
	ctl_obj_int(&sub, "parts", s.parts_in);
	ctl_obj_int(&sub, "messages", s.messages_in);
	ctl_obj_int(&sub, "partial", s.messages_partial);
	ctl_obj_int(&sub, "pending", s.messages_pending);
	json = ctl_obj_take(&sub);
	ctl_obj_raw(&o, "messages_in", json);
	free(json);
	for (i = 0; i < 5; i++)
		ctl_obj_int(&sub, states[i], s.outbox[i]);
	json = ctl_obj_take(&sub);
	ctl_obj_raw(&o, "outbox", json);
	free(json);
	for (i = 0; i < OUTBOX_NCLASSES; i++)
		ctl_obj_int(&sub, ctl_class_names[i], s.queued_by_class[i]);
	json = ctl_obj_take(&sub);
	ctl_obj_raw(&o, "queued_by_class", json);
	free(json);
	ctl_obj_int(&o, "parts_out", s.parts_out);
	ctl_obj_int(&o, "people", s.people);
	ctl_obj_int(&o, "villages", s.villages);
	json = ctl_list_take_json(&l);
	ctl_obj_raw(&o, "modems", json);
	free(json);
	json = ctl_obj_take(&o);
	printf("%s\n", json);
	free(json);
	return CTL_EXIT_OK;
}

/* --- help and main --- */

static void
ctl_usage(FILE *f, const char *only)
{
	size_t i, n = only != NULL ? strlen(only) : 0;
	const char *name;

	fprintf(f, "usage: cungatectl [-c FILE] COMMAND [ARGS]\n\n");
	for (i = 0; i < CTL_NCMDS; i++) {
		name = ctl_cmds[i].name;
		if (only != NULL && (strncmp(name, only, n) != 0 ||
		    (name[n] != '\0' && name[n] != ' ')))
			continue;
		fprintf(f, "  %s %s\n\t\t\t%s\n", ctl_cmds[i].name,
		    ctl_cmds[i].usage, ctl_cmds[i].about);
	}
	fprintf(f, "\n  -c FILE\tthe configuration (default %s)\n"
	    "  PHONE\t\t+86…, 86… or an 11-digit mobile number\n"
	    "  --json\tlist commands print a JSON array of objects\n"
	    "  exit status\t0 done, 1 failed, 2 usage error\n",
	    CTL_DEFAULT_CONFIG);
}

static enum ctl_exit
ctl_help(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		if (ch != 'h')
			return ctl_opt_end(c, ch);
	ctl_usage(stdout, c->nargs > 0 ? c->args[0] : NULL);
	return CTL_EXIT_OK;
}

/*
 * The command named by argv (one word, or two for "township add"), with
 * *words set to how many it took; NULL when there is none.
 */
static const struct ctl_cmd *
ctl_find(int argc, char **argv, int *words)
{
	const char *name, *space;
	size_t i, n;

	for (i = 0; i < CTL_NCMDS; i++) {
		name = ctl_cmds[i].name;
		if ((space = strchr(name, ' ')) == NULL) {
			if (strcmp(name, argv[0]) == 0) {
				*words = 1;
				return &ctl_cmds[i];
			}
			continue;
		}
		n = (size_t)(space - name);
		if (strlen(argv[0]) == n && strncmp(name, argv[0], n) == 0 &&
		    argc > 1 && strcmp(space + 1, argv[1]) == 0) {
			*words = 2;
			return &ctl_cmds[i];
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	const struct ctl_cmd *cmd;
	enum ctl_exit ex;
	size_t i, n;
	int ch, words;

	memset(&c, 0, sizeof c);
	c.conf_path = CTL_DEFAULT_CONFIG;
	log_init("cungatectl", LOG_LEVEL_WARN);

	opterr = 0;
	while ((ch = getopt(argc, argv, "+:c:h")) != -1) {
		switch (ch) {
		case 'c':
			c.conf_path = optarg;
			break;
		case 'h':
			ctl_usage(stdout, NULL);
			return CTL_EXIT_OK;
		case ':':
			ctl_warnx("-%c needs a value", optopt);
			return CTL_EXIT_USAGE;
		default:
			ctl_warnx("unknown option -%c; try cungatectl help",
			    optopt);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage(stderr, NULL);
		return CTL_EXIT_USAGE;
	}

	if ((cmd = ctl_find(argc, argv, &words)) == NULL) {
		n = strlen(argv[0]);
		for (i = 0; i < CTL_NCMDS; i++)
			if (strncmp(ctl_cmds[i].name, argv[0], n) == 0 &&
			    ctl_cmds[i].name[n] == ' ')
				break;
		if (i < CTL_NCMDS && argc > 1)
			ctl_warnx("%s: unknown subcommand \"%s\"; try "
			    "cungatectl help %s", argv[0], argv[1], argv[0]);
		else if (i < CTL_NCMDS)
			ctl_warnx("%s: which? try cungatectl help %s",
			    argv[0], argv[0]);
		else
			ctl_warnx("unknown command \"%s\"; try cungatectl "
			    "help", argv[0]);
		return CTL_EXIT_USAGE;
	}
	c.cmd = cmd;
	ex = cmd->exec(&c, argc - (words - 1), argv + (words - 1));

	free(c.args);
	store_close(c.st);
	config_free(c.cf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_warnx("stdout: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return ex;
}
