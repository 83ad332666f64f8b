/*
 * router — the command table and the matching of a text against it: the
 * only file that includes <pcre2.h>. handlers/route.c takes a stored
 * message to the handler this file finds for it.
 *
 * The command table is config/commands.conf, read with conf_parse:
 *
 *	# Lines starting with # or ; are comments.
 *	[command help]
 *	handler = help
 *	pattern = ^(?:帮助|BZ|HELP|\?)$
 *
 *	[command register]
 *	handler = register
 *	pattern = ^(?:注册|(?:ZC|JOIN)\b)[\s:,.、]*
 *	    (?<village>[A-Za-z0-9]+)?[\s:,.、]*(?<name>.+)?$
 *
 * - Each [command NAME] section is one command; NAME is unique and only
 *   names the command in logs and errors. Commands are tried in file order
 *   and the first whose pattern matches wins.
 * - handler = the name of a handler this build has (handlers/handlers.c).
 *   Several commands may name the same handler.
 * - pattern = a PCRE2 regular expression, matched against the normalised
 *   text (handlers/normalise.h: full-width folded to ASCII, traditional
 *   characters simplified, white space collapsed to single spaces and
 *   dropped between Chinese characters, none at either end). It is
 *   compiled with PCRE2_UTF | PCRE2_CASELESS, without PCRE2_UCP: \b, \w,
 *   \d and \s are ASCII-only, so "HELP\b" ends at a CJK character and \d
 *   is an ASCII digit. Anchor it with ^ and $ yourself. An indented line
 *   continues the pattern and is appended with no separator. pattern may
 *   be given more than once; the command matches when any of them does.
 *   Named groups (?<name>…) are the handler's arguments. (Caseless UTF
 *   matching also folds a few non-ASCII letters onto ASCII, e.g. U+017F
 *   ſ onto s and U+212A K onto k: harmless for keywords.
 *   PCRE2_EXTRA_CASELESS_RESTRICT would stop it but needs PCRE2 10.43.)
 * - senders = who the command is for: any of unknown (not registered),
 *   resident (registered, not a cadre), cadre, elder (enrolled in the
 *   check-in), guardian (of an enrolled elder); without it, anyone. A
 *   command for others is skipped, so the table goes on to the next: this
 *   is how free text means a check-in from an elder, a question from a
 *   guardian and a report from a resident.
 * - set = NAME VALUE gives the argument NAME when the pattern has no such
 *   capture or it took no part (满意 answers a rating as 1 would).
 * - A [define] section names pattern pieces: "num = (?:\d+|[一二]+)" there
 *   makes {num} in any later pattern stand for it, so the word lists and
 *   the forms of a number are written once.
 * - A capture written in Chinese numerals (四十, 六零一零) reaches the
 *   handler as digits; handler_text gives what the sender wrote.
 * - " ;" starts a comment (inih), so a pattern cannot contain it.
 *
 * Every error names file:line: an unknown section or key, a duplicate
 * command, a missing handler or pattern, an unknown handler, a template
 * the handler needs that messages.zh.conf lacks, a pattern that does not
 * compile (with the offset).
 *
 * Text that matches no command goes to the handler "unknown".
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "gateway/conf.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/handler.h"
#include "handlers/normalise.h"
#include "handlers/numeral.h"
#include "handlers/router.h"
#include "handlers/router_int.h"
#include "handlers/template.h"

#define ROUTER_FALLBACK		"unknown"
#define ROUTER_COMPILE_OPTIONS	\
	(PCRE2_UTF | PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C)
/* Bounds on one match: operators write the patterns, anyone the text. */
#define ROUTER_MATCH_LIMIT	1000000
#define ROUTER_DEPTH_LIMIT	10000
#define ROUTER_HEAP_LIMIT	16384		/* KiB */
#define ROUTER_JIT_STACK_MAX	(1024 * 1024)

/* Templates the router itself answers with. */
static const char *const router_templates[] = {
	"register_first", "not_allowed", "error", NULL
};

struct router_pattern {
	char		*src;
	int		 line;
	pcre2_code	*re;
};

struct router_set {
	char	*name;
	char	*value;
};

struct router_command {
	char			*name;
	int			 line;
	const struct handler	*handler;
	unsigned		 senders;	/* SENDER_* bits; 0 anyone */
	unsigned		 not_senders;	/* never for these */
	struct router_pattern	*patterns;
	size_t			 npatterns;
	struct router_set	*sets;
	size_t			 nsets;
};

/* A [define]d pattern piece. */
struct router_define {
	char	*name;
	char	*value;
};

struct router {
	struct router_command	*commands;
	size_t			 ncommands;
	struct router_define	*defines;
	size_t			 ndefines;
	int			 in_define;	/* while loading */
	const struct handler	*fallback;
	pcre2_match_context	*mctx;
	pcre2_jit_stack		*jit_stack;
};

struct router_arg {
	char	*name;
	char	*value;		/* NULL if the group did not take part */
	char	*text;		/* what the sender wrote there; NULL: value */
};

struct router_match {
	const char		*command;	/* the router's: for logs */
	struct router_arg	*args;
	size_t			 nargs;
};

/* While commands.conf is read. */
struct router_load {
	struct router			*router;
	const struct handler *const	*handlers;
	const struct template		*tpl;
};

static const struct handler *
router_handler_find(const struct handler *const *handlers, const char *name)
{
	size_t i;

	for (i = 0; handlers[i] != NULL; i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return handlers[i];
	return NULL;
}

/* Does tpl define every template h uses? 0, or -1 with *cause. */
static int
router_check_templates(const struct template *tpl, const struct handler *h,
    char **cause)
{
	size_t i;

	if (tpl == NULL || h->templates == NULL)
		return 0;
	for (i = 0; h->templates[i] != NULL; i++) {
		if (!template_has(tpl, h->templates[i])) {
			*cause = xasprintf("handler %s needs template %s, "
			    "which the messages file does not define", h->name,
			    h->templates[i]);
			return -1;
		}
	}
	return 0;
}

static int
router_section(struct router_load *rl, const char *section, int line,
    char **cause)
{
	struct router *r = rl->router;
	struct router_command *c;
	const char *name;
	size_t i;

	r->in_define = strcmp(section, "define") == 0;
	if (r->in_define)
		return 0;
	if (strncmp(section, "command", 7) != 0 ||
	    (section[7] != ' ' && section[7] != '\t')) {
		*cause = xasprintf("unknown section [%s] (expected [define] "
		    "or [command NAME])", section);
		return -1;
	}
	for (name = section + 7; *name == ' ' || *name == '\t'; name++)
		;
	if (*name == '\0' || strpbrk(name, " \t") != NULL) {
		*cause = xasprintf("bad command name in [%s]", section);
		return -1;
	}
	for (i = 0; i < r->ncommands; i++) {
		if (strcmp(r->commands[i].name, name) == 0) {
			*cause = xasprintf("command %s defined twice (first at "
			    "line %d)", name, r->commands[i].line);
			return -1;
		}
	}
	r->commands = xrealloc(r->commands,
	    (r->ncommands + 1) * sizeof *r->commands);
	c = &r->commands[r->ncommands++];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->line = line;
	return 0;
}

/* The sender classes, as commands.conf names them. */
static const struct {
	const char	*name;
	unsigned	 bit;
} router_sender_names[] = {
	{ "unknown", SENDER_UNKNOWN },
	{ "resident", SENDER_RESIDENT },
	{ "cadre", SENDER_CADRE },
	{ "elder", SENDER_ELDER },
	{ "guardian", SENDER_GUARDIAN },
	{ "anyone", 0 },
};

/*
 * senders = a list of classes, separated by spaces or commas; !class
 * excludes (an elder is a resident too: "resident !elder"). 0 or -1.
 */
static int
router_senders_parse(struct router_command *c, const char *value,
    char **cause)
{
	char *copy, *word, *last;
	size_t i, n = sizeof router_sender_names / sizeof router_sender_names[0];
	int not;

	copy = xstrdup(value);
	for (word = strtok_r(copy, " ,\t", &last); word != NULL;
	    word = strtok_r(NULL, " ,\t", &last)) {
		not = *word == '!';
		for (i = 0; i < n; i++)
			if (strcmp(word + not, router_sender_names[i].name) ==
			    0)
				break;
		if (i == n) {
			*cause = xasprintf("command %s: unknown sender \"%s\" "
			    "(expected unknown, resident, cadre, elder, "
			    "guardian or anyone)", c->name, word);
			free(copy);
			return -1;
		}
		if (not)
			c->not_senders |= router_sender_names[i].bit;
		else
			c->senders |= router_sender_names[i].bit;
	}
	free(copy);
	return 0;
}

/* set = NAME VALUE. 0 or -1. */
static int
router_set_parse(struct router_command *c, const char *value, char **cause)
{
	struct router_set *st;
	size_t n = strcspn(value, " \t");

	if (n == 0 || value[n] == '\0') {
		*cause = xasprintf("command %s: set needs a name and a value",
		    c->name);
		return -1;
	}
	c->sets = xrealloc(c->sets, (c->nsets + 1) * sizeof *c->sets);
	st = &c->sets[c->nsets++];
	st->name = xstrndup(value, n);
	value += n + strspn(value + n, " \t");
	st->value = xstrdup(value);
	return 0;
}

/* One entry of [define]; an indented line continues it. 0 or -1. */
static int
router_define(struct router *r, const char *key, const char *value,
    int cont, char **cause)
{
	struct router_define *d;
	char *v;
	size_t i;

	if (cont) {
		d = r->ndefines > 0 ? &r->defines[r->ndefines - 1] : NULL;
		if (d == NULL || strcmp(d->name, key) != 0) {
			*cause = xasprintf("define %s: nothing to continue",
			    key);
			return -1;
		}
		v = xasprintf("%s%s", d->value, value);
		free(d->value);
		d->value = v;
		return 0;
	}
	if (strspn(key, "abcdefghijklmnopqrstuvwxyz_0123456789") !=
	    strlen(key)) {
		*cause = xasprintf("define %s: a name is lower-case letters, "
		    "digits and _", key);
		return -1;
	}
	for (i = 0; i < r->ndefines; i++) {
		if (strcmp(r->defines[i].name, key) == 0) {
			*cause = xasprintf("define %s given twice", key);
			return -1;
		}
	}
	r->defines = xrealloc(r->defines, (r->ndefines + 1) *
	    sizeof *r->defines);
	d = &r->defines[r->ndefines++];
	d->name = xstrdup(key);
	d->value = xstrdup(value);
	return 0;
}

/*
 * src with every {name} of a [define] replaced by its piece (pieces may
 * use earlier ones). A new string (caller frees).
 */
static char *
router_expand(const struct router *r, const char *src, int depth)
{
	struct buf b;
	const char *p, *end;
	char *inner;
	size_t i, n;

	memset(&b, 0, sizeof b);
	for (p = src; *p != '\0'; p++) {
		if (*p != '{' || depth > 8 || (end = strchr(p, '}')) == NULL) {
			buf_add(&b, p, 1);
			continue;
		}
		n = end - p - 1;
		for (i = 0; i < r->ndefines; i++)
			if (strlen(r->defines[i].name) == n &&
			    strncmp(r->defines[i].name, p + 1, n) == 0)
				break;
		if (i == r->ndefines) {
			buf_add(&b, p, 1);
			continue;
		}
		inner = router_expand(r, r->defines[i].value, depth + 1);
		buf_adds(&b, inner);
		free(inner);
		p = end;
	}
	return buf_take(&b);
}

static int
router_entry_cb(const char *section, const char *key, const char *value,
    int cont, int line, void *arg, char **cause)
{
	struct router_load *rl = arg;
	struct router *r = rl->router;
	struct router_command *c;
	struct router_pattern *p;
	char *s;

	if (key == NULL)
		return router_section(rl, section, line, cause);
	if (r->in_define)
		return router_define(r, key, value, cont, cause);
	if (*section == '\0' || r->ncommands == 0) {
		*cause = xasprintf("%s outside a [command NAME] section", key);
		return -1;
	}
	c = &r->commands[r->ncommands - 1];

	if (cont) {
		if (strcmp(key, "pattern") != 0 || c->npatterns == 0) {
			*cause = xasprintf("only a pattern may continue on "
			    "an indented line");
			return -1;
		}
		p = &c->patterns[c->npatterns - 1];
		s = xasprintf("%s%s", p->src, value);
		free(p->src);
		p->src = s;
		return 0;
	}

	if (strcmp(key, "handler") == 0) {
		if (c->handler != NULL) {
			*cause = xasprintf("command %s: handler given twice",
			    c->name);
			return -1;
		}
		c->handler = router_handler_find(rl->handlers, value);
		if (c->handler == NULL) {
			*cause = xasprintf("command %s: unknown handler \"%s\"",
			    c->name, value);
			return -1;
		}
		return router_check_templates(rl->tpl, c->handler, cause);
	}
	if (strcmp(key, "pattern") == 0) {
		if (*value == '\0') {
			*cause = xasprintf("command %s: empty pattern",
			    c->name);
			return -1;
		}
		c->patterns = xrealloc(c->patterns,
		    (c->npatterns + 1) * sizeof *c->patterns);
		p = &c->patterns[c->npatterns++];
		p->src = xstrdup(value);
		p->line = line;
		p->re = NULL;
		return 0;
	}
	if (strcmp(key, "senders") == 0)
		return router_senders_parse(c, value, cause);
	if (strcmp(key, "set") == 0)
		return router_set_parse(c, value, cause);
	*cause = xasprintf("command %s: unknown key %s (expected handler, "
	    "pattern, senders or set)", c->name, key);
	return -1;
}

/* JIT for the routers made from now on (see router.h). */
static int router_jit = 1;

void
router_use_jit(int on)
{
	router_jit = on;
}

/* Compile one pattern, with JIT when the library has it. 0 or -1. */
static int
router_compile(const struct router *r, const char *path,
    struct router_command *c, struct router_pattern *p, char **cause)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	char *src;
	int error, rc;

	src = router_expand(r, p->src, 0);
	p->re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
	    ROUTER_COMPILE_OPTIONS, &error, &offset, NULL);
	free(src);
	if (p->re == NULL) {
		pcre2_get_error_message(error, msg, sizeof msg);
		*cause = xasprintf("%s:%d: command %s: bad pattern at offset "
		    "%zu: %s", path, p->line, c->name, (size_t)offset,
		    (const char *)msg);
		return -1;
	}
	if (router_jit &&
	    (rc = pcre2_jit_compile(p->re, PCRE2_JIT_COMPLETE)) != 0) {
		pcre2_get_error_message(rc, msg, sizeof msg);
		log_debug("router: command %s: no JIT, interpreting: %s",
		    c->name, (const char *)msg);
	}
	return 0;
}

/*
 * Load the command table from path and check it against handlers and tpl
 * (tpl NULL skips the template check). A new router, or NULL with *cause
 * (caller frees) naming file:line.
 */
struct router *
router_new(const char *path, const struct handler *const *handlers,
    const struct template *tpl, char **cause)
{
	struct router *r;
	struct router_load rl;
	struct router_command *c;
	char *msg;
	size_t i, j;

	if (normalise_init(cause) != 0)
		return NULL;
	r = xcalloc(1, sizeof *r);
	rl.router = r;
	rl.handlers = handlers;
	rl.tpl = tpl;
	if (conf_parse(path, router_entry_cb, &rl, cause) != 0)
		goto fail;

	for (i = 0; i < r->ncommands; i++) {
		c = &r->commands[i];
		if (c->handler == NULL || c->npatterns == 0) {
			*cause = xasprintf("%s:%d: command %s: no %s", path,
			    c->line, c->name,
			    c->handler == NULL ? "handler" : "pattern");
			goto fail;
		}
		for (j = 0; j < c->npatterns; j++)
			if (router_compile(r, path, c, &c->patterns[j],
			    cause) != 0)
				goto fail;
	}

	r->fallback = router_handler_find(handlers, ROUTER_FALLBACK);
	if (r->fallback == NULL) {
		*cause = xasprintf("%s: this build has no handler \"%s\" for "
		    "unmatched messages", path, ROUTER_FALLBACK);
		goto fail;
	}
	if (router_check_templates(tpl, r->fallback, cause) != 0) {
		msg = *cause;
		*cause = xasprintf("%s: %s", path, msg);
		free(msg);
		goto fail;
	}
	for (i = 0; tpl != NULL && router_templates[i] != NULL; i++) {
		if (!template_has(tpl, router_templates[i])) {
			*cause = xasprintf("%s: the router needs template %s, "
			    "which the messages file does not define", path,
			    router_templates[i]);
			goto fail;
		}
	}

	r->mctx = pcre2_match_context_create(NULL);
	if (r->mctx == NULL)
		fatal("out of memory");
	pcre2_set_match_limit(r->mctx, ROUTER_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, ROUTER_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, ROUTER_HEAP_LIMIT);
	/* NULL when the library has no JIT: then nothing to assign. */
	r->jit_stack = pcre2_jit_stack_create(32 * 1024, ROUTER_JIT_STACK_MAX,
	    NULL);
	if (r->jit_stack != NULL)
		pcre2_jit_stack_assign(r->mctx, NULL, r->jit_stack);
	return r;

fail:
	router_free(r);
	return NULL;
}

/* Free r and its compiled patterns; NULL is a no-op. */
void
router_free(struct router *r)
{
	struct router_command *c;
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->ncommands; i++) {
		c = &r->commands[i];
		for (j = 0; j < c->npatterns; j++) {
			free(c->patterns[j].src);
			pcre2_code_free(c->patterns[j].re);
		}
		free(c->patterns);
		for (j = 0; j < c->nsets; j++) {
			free(c->sets[j].name);
			free(c->sets[j].value);
		}
		free(c->sets);
		free(c->name);
	}
	free(r->commands);
	for (i = 0; i < r->ndefines; i++) {
		free(r->defines[i].name);
		free(r->defines[i].value);
	}
	free(r->defines);
	pcre2_match_context_free(r->mctx);
	if (r->jit_stack != NULL)
		pcre2_jit_stack_free(r->jit_stack);
	free(r);
}

/* --- normalising --- */

/* The matching copy of text (see router.h and handlers/normalise.h). */
char *
router_normalise(const char *text, size_t len)
{
	return normalise(text, len, NULL);
}

/* --- matching --- */


/* Capture [from, to) of the subject: its value and original words. */
static void
router_arg_fill(struct router_arg *a, const struct router_subject *sj,
    size_t from, size_t to)
{
	char *digits;

	a->value = xstrndup(sj->text + from, to - from);
	if ((digits = numeral_digits(a->value)) != NULL) {
		free(a->value);
		a->value = digits;
	}
	if (sj->orig != NULL && sj->map != NULL)
		a->text = normalise_clean(sj->orig + sj->map[from],
		    sj->map[to] - sj->map[from]);
}

static struct router_match *
router_match_make(const struct router_command *c, const pcre2_code *re,
    pcre2_match_data *md, int rc, const struct router_subject *sj)
{
	struct router_match *m;
	PCRE2_SIZE *ov;
	PCRE2_SPTR table;
	uint32_t count, size, i, n;
	size_t k;

	m = xcalloc(1, sizeof *m);
	m->command = c->name;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	m->args = xcalloc(count + c->nsets + 1, sizeof *m->args);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	ov = pcre2_get_ovector_pointer(md);
	for (i = 0; i < count; i++, table += size) {
		n = (table[0] << 8) | table[1];
		m->args[i].name = xstrdup((const char *)table + 2);
		if ((int)n < rc && ov[2 * n] != PCRE2_UNSET)
			router_arg_fill(&m->args[i], sj, ov[2 * n],
			    ov[2 * n + 1]);
	}
	m->nargs = count;
	for (k = 0; k < c->nsets; k++) {
		for (i = 0; i < count; i++)
			if (strcmp(m->args[i].name, c->sets[k].name) == 0)
				break;
		if (i == count) {
			m->args[m->nargs].name = xstrdup(c->sets[k].name);
			i = m->nargs++;
		}
		if (m->args[i].value == NULL)
			m->args[i].value = xstrdup(c->sets[k].value);
	}
	return m;
}

/* The first command for these senders whose pattern matches. */
const struct handler *
router_match_subject(struct router *r, const struct router_subject *sj,
    struct router_match **match)
{
	const struct router_command *c;
	const struct router_pattern *p;
	pcre2_match_data *md;
	PCRE2_UCHAR msg[256];
	size_t i, j, len = strlen(sj->text);
	int rc;

	*match = NULL;
	for (i = 0; i < r->ncommands; i++) {
		c = &r->commands[i];
		if ((c->senders != 0 && (c->senders & sj->senders) == 0) ||
		    (c->not_senders & sj->senders) != 0)
			continue;
		for (j = 0; j < c->npatterns; j++) {
			p = &c->patterns[j];
			md = pcre2_match_data_create_from_pattern(p->re, NULL);
			if (md == NULL)
				fatal("out of memory");
			rc = pcre2_match(p->re, (PCRE2_SPTR)sj->text, len, 0,
			    0, md, r->mctx);
			if (rc > 0) {
				*match = router_match_make(c, p->re, md, rc,
				    sj);
				pcre2_match_data_free(md);
				return c->handler;
			}
			pcre2_match_data_free(md);
			if (rc != PCRE2_ERROR_NOMATCH) {
				pcre2_get_error_message(rc, msg, sizeof msg);
				log_warn("router: command %s: match failed: %s",
				    c->name, (const char *)msg);
			}
		}
	}
	return NULL;
}

/*
 * The handler of the first command matching the normalised text, with its
 * named captures in *match (free with router_match_free); NULL and *match
 * NULL when nothing matches.
 */
const struct handler *
router_match(struct router *r, const char *text, struct router_match **match)
{
	return router_match_as(r, text, 0, match);
}

const struct handler *
router_match_as(struct router *r, const char *text, unsigned senders,
    struct router_match **match)
{
	struct router_subject sj;

	memset(&sj, 0, sizeof sj);
	sj.text = text;
	sj.senders = senders;
	return router_match_subject(r, &sj, match);
}

static const struct router_arg *
router_match_find(const struct router_match *m, const char *name)
{
	size_t i;

	for (i = 0; m != NULL && i < m->nargs; i++)
		if (strcmp(m->args[i].name, name) == 0)
			return &m->args[i];
	return NULL;
}

const struct handler *
router_fallback(const struct router *r)
{
	return r->fallback;
}

const char *
router_match_command(const struct router_match *m)
{
	return m != NULL ? m->command : "(none)";
}

/* The capture called name: NULL when absent or it took no part. */
const char *
router_match_arg(const struct router_match *m, const char *name)
{
	const struct router_arg *a = router_match_find(m, name);

	return a != NULL ? a->value : NULL;
}

/* The capture called name as the sender wrote it; NULL as above. */
const char *
router_match_text(const struct router_match *m, const char *name)
{
	const struct router_arg *a = router_match_find(m, name);

	if (a == NULL)
		return NULL;
	return a->text != NULL ? a->text : a->value;
}

/* Free m; NULL is a no-op. */
void
router_match_free(struct router_match *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nargs; i++) {
		free(m->args[i].name);
		free(m->args[i].value);
		free(m->args[i].text);
	}
	free(m->args);
	free(m);
}

int
router_extract(const char *pattern, const char *text, char **out,
    char **cause)
{
	pcre2_code *re;
	pcre2_match_data *md;
	PCRE2_SIZE erroff, *ov;
	PCRE2_UCHAR msg[128];
	int err, rc, group;

	*out = NULL;
	re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	    PCRE2_UTF | PCRE2_UCP, &err, &erroff, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof msg);
		*cause = xasprintf("pattern \"%s\": %s at offset %zu", pattern,
		    (char *)msg, (size_t)erroff);
		return -1;
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	rc = pcre2_match(re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
	if (rc < 0) {
		pcre2_match_data_free(md);
		pcre2_code_free(re);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		pcre2_get_error_message(rc, msg, sizeof msg);
		*cause = xasprintf("pattern \"%s\": %s", pattern, (char *)msg);
		return -1;
	}
	ov = pcre2_get_ovector_pointer(md);
	group = rc > 1 ? 1 : 0;
	if (ov[2 * group] == PCRE2_UNSET)
		group = 0;
	*out = xstrndup(text + ov[2 * group], ov[2 * group + 1] -
	    ov[2 * group]);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 1;
}
