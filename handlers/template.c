/*
 * template — reply texts read from messages.zh.conf through conf_parse.
 *
 *	[messages]
 *	register_ok = {name}您好，已登记为{village}村民。
 *	help = 村务短信：发“注册+村代码+姓名”登记，
 *	    如“注册LJZ 张三”。
 *
 * One section, [messages]; each key is a template. An indented line
 * continues the value above it and is appended with no separator: Chinese
 * needs none, and inih strips the white space at both ends of a line
 * anyway. " ;" starts a comment (inih), so write the full-width "；".
 * {field} is replaced when rendering; {{ and }} are literal braces. A
 * field is a name of letters, digits and '_' and may not be split across
 * lines, so every brace error is caught at load and names file:line.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/conf.h"
#include "gateway/util.h"
#include "handlers/template.h"

#define TEMPLATE_SECTION	"messages"
#define TEMPLATE_MAXFIELDS	64

struct template_entry {
	char	*key;
	char	*text;
	int	 line;
};

struct template {
	struct template_entry	*entries;
	size_t			 n;
	size_t			 cap;
};

static struct template_entry *
template_find(const struct template *tpl, const char *key)
{
	size_t i;

	for (i = 0; i < tpl->n; i++)
		if (strcmp(tpl->entries[i].key, key) == 0)
			return &tpl->entries[i];
	return NULL;
}

static int
template_is_name(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/* Check the braces of one line of a template. 0, or -1 with *cause. */
static int
template_check(const char *s, char **cause)
{
	const char *p, *q;

	for (p = s; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{') {
			p++;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			p++;
			continue;
		}
		if (*p == '}') {
			*cause = xasprintf("single '}' (write '}}' for a "
			    "literal brace)");
			return -1;
		}
		if (*p != '{')
			continue;
		for (q = p + 1; template_is_name(*q); q++)
			;
		if (*q != '}') {
			*cause = xasprintf("unterminated '{' (a field is "
			    "{name} on one line; write '{{' for a literal "
			    "brace)");
			return -1;
		}
		if (q == p + 1) {
			*cause = xasprintf("empty field '{}'");
			return -1;
		}
		p = q;
	}
	return 0;
}

static int
template_entry_cb(const char *section, const char *key, const char *value,
    int cont, int line, void *arg, char **cause)
{
	struct template *tpl = arg;
	struct template_entry *e;
	char *s;

	if (*section == '\0' && key != NULL) {
		*cause = xasprintf("%s before the [%s] section", key,
		    TEMPLATE_SECTION);
		return -1;
	}
	if (strcmp(section, TEMPLATE_SECTION) != 0) {
		*cause = xasprintf("unknown section [%s] (expected [%s])",
		    section, TEMPLATE_SECTION);
		return -1;
	}
	if (key == NULL)
		return 0;
	if (template_check(value, cause) != 0)
		return -1;
	if (cont) {
		e = &tpl->entries[tpl->n - 1];
		s = xasprintf("%s%s", e->text, value);
		free(e->text);
		e->text = s;
		return 0;
	}
	if ((e = template_find(tpl, key)) != NULL) {
		*cause = xasprintf("template %s defined twice (first at line "
		    "%d)", key, e->line);
		return -1;
	}
	if (*value == '\0') {
		*cause = xasprintf("template %s is empty", key);
		return -1;
	}
	if (tpl->n == tpl->cap) {
		tpl->cap = tpl->cap == 0 ? 16 : tpl->cap * 2;
		tpl->entries = xrealloc(tpl->entries,
		    tpl->cap * sizeof *tpl->entries);
	}
	e = &tpl->entries[tpl->n++];
	e->key = xstrdup(key);
	e->text = xstrdup(value);
	e->line = line;
	return 0;
}

/*
 * Load the templates of path. Returns a new template set (free with
 * template_free), or NULL with *cause (caller frees) naming file:line.
 */
struct template *
template_load(const char *path, char **cause)
{
	struct template *tpl;

	tpl = xcalloc(1, sizeof *tpl);
	if (conf_parse(path, template_entry_cb, tpl, cause) != 0) {
		template_free(tpl);
		return NULL;
	}
	return tpl;
}

/* Free tpl and its texts; NULL is a no-op. */
void
template_free(struct template *tpl)
{
	size_t i;

	if (tpl == NULL)
		return;
	for (i = 0; i < tpl->n; i++) {
		free(tpl->entries[i].key);
		free(tpl->entries[i].text);
	}
	free(tpl->entries);
	free(tpl);
}

/* Is key defined? 0/1. */
int
template_has(const struct template *tpl, const char *key)
{
	return template_find(tpl, key) != NULL;
}

/*
 * Render key with name, value pairs from ap (NULL-terminated; a NULL value
 * renders as ""). A new string, or NULL when key is not defined.
 */
char *
template_vrender(const struct template *tpl, const char *key, va_list ap)
{
	const struct template_entry *e;
	const char *names[TEMPLATE_MAXFIELDS], *values[TEMPLATE_MAXFIELDS];
	const char *p, *q, *name;
	struct buf b;
	size_t n = 0, i, len;

	while ((name = va_arg(ap, const char *)) != NULL) {
		if (n == TEMPLATE_MAXFIELDS)
			abort();	/* a caller bug, not input */
		names[n] = name;
		values[n] = va_arg(ap, const char *);
		n++;
	}
	if ((e = template_find(tpl, key)) == NULL)
		return NULL;

	memset(&b, 0, sizeof b);
	for (p = e->text; *p != '\0'; p = q) {
		if ((p[0] == '{' && p[1] == '{') ||
		    (p[0] == '}' && p[1] == '}')) {
			buf_add(&b, p, 1);
			q = p + 2;
			continue;
		}
		if (*p != '{') {
			for (q = p; *q != '\0' && *q != '{' && *q != '}'; q++)
				;
			if (q == p)
				q++;	/* cannot happen: checked at load */
			buf_add(&b, p, q - p);
			continue;
		}
		p++;
		for (q = p; *q != '\0' && *q != '}'; q++)
			;
		len = q - p;
		for (i = 0; i < n; i++) {
			if (strlen(names[i]) == len &&
			    memcmp(names[i], p, len) == 0) {
				if (values[i] != NULL)
					buf_adds(&b, values[i]);
				break;
			}
		}
		if (*q == '}')
			q++;
	}
	return buf_take(&b);
}

/* template_vrender with the fields as arguments. */
char *
template_render(const struct template *tpl, const char *key, ...)
{
	va_list ap;
	char *s;

	va_start(ap, key);
	s = template_vrender(tpl, key, ap);
	va_end(ap);
	return s;
}
