/*
 * ussd — the USSD menu: a list of items read from the menu file, each an
 * action (the text of an SMS command, with {input} for what the villager
 * types at the item's prompt). The aggregator sends every input so far on
 * each request, so a step is a pure function of the menu and that text;
 * gateway/http.c keeps the sessions and runs the actions.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/conf.h"
#include "gateway/log.h"
#include "gateway/ussd.h"
#include "gateway/util.h"

#define USSD_GSM_LIMIT	182
#define USSD_UCS2_LIMIT	80
#define USSD_MAX_ITEMS	32

struct ussd_item {
	char	*label;
	char	*prompt;	/* NULL: no input */
	char	*command;	/* the SMS twin, {input} replaced */
	char	*end;		/* NULL: the menu's "done" */
	int	 line;
};

struct ussd_menu {
	char		*title;
	char		*more;		/* "0 更多" */
	char		*back;		/* "00 返回" */
	char		*done;
	char		*timeout;
	char		*error;
	char		*busy;
	struct ussd_item items[USSD_MAX_ITEMS];
	size_t		 nitems;
	int		 in_item;	/* parsing: inside [item ...] */
};

int
ussd_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned c;

	while (i < len) {
		c = p[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, c &= 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, c &= 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, c &= 0x07;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
		    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

size_t
ussd_units(const char *s, size_t *limit)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t units = 0, ascii = 1, i;

	for (i = 0; p[i] != '\0'; i++)
		if (p[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		for (i = 0; p[i] != '\0'; i++)
			units += strchr("^{}\\[~]|", p[i]) != NULL ? 2 : 1;
		*limit = USSD_GSM_LIMIT;
		return units;
	}
	for (i = 0; p[i] != '\0'; i++) {
		if ((p[i] & 0xc0) == 0x80)
			continue;
		units += p[i] >= 0xf0 ? 2 : 1;
	}
	*limit = USSD_UCS2_LIMIT;
	return units;
}

char *
ussd_fit(const char *s)
{
	char *out = xstrdup(s);
	size_t limit, len = strlen(out);

	while (len > 0 && ussd_units(out, &limit) > limit) {
		/* Drop the last character, then its continuation bytes. */
		do
			len--;
		while (len > 0 && ((unsigned char)out[len] & 0xc0) == 0x80);
		out[len] = '\0';
	}
	return out;
}

static int
ussd_fits(const char *s)
{
	size_t limit;

	return ussd_units(s, &limit) <= limit;
}

static int
ussd_entry(const char *section, const char *key, const char *value,
    int cont, int line, void *arg, char **cause)
{
	struct ussd_menu *m = arg;
	struct ussd_item *it;
	char **field = NULL;

	if (key == NULL) {
		if (strcmp(section, "menu") == 0) {
			m->in_item = 0;
			return 0;
		}
		if (strncmp(section, "item ", 5) != 0) {
			*cause = xasprintf("unknown section [%s]", section);
			return -1;
		}
		if (m->nitems == USSD_MAX_ITEMS) {
			*cause = xasprintf("more than %d items",
			    USSD_MAX_ITEMS);
			return -1;
		}
		it = &m->items[m->nitems++];
		it->line = line;
		m->in_item = 1;
		return 0;
	}
	if (cont) {
		*cause = xasprintf("\"%s\" continues on an indented line",
		    key);
		return -1;
	}
	if (!m->in_item) {
		if (section[0] == '\0') {
			*cause = xasprintf("\"%s\" outside any section", key);
			return -1;
		}
		if (strcmp(key, "title") == 0)
			field = &m->title;
		else if (strcmp(key, "more") == 0)
			field = &m->more;
		else if (strcmp(key, "back") == 0)
			field = &m->back;
		else if (strcmp(key, "done") == 0)
			field = &m->done;
		else if (strcmp(key, "timeout") == 0)
			field = &m->timeout;
		else if (strcmp(key, "error") == 0)
			field = &m->error;
		else if (strcmp(key, "busy") == 0)
			field = &m->busy;
		else {
			*cause = xasprintf("unknown key \"%s\" in [menu]", key);
			return -1;
		}
	} else {
		it = &m->items[m->nitems - 1];
		if (strcmp(key, "label") == 0)
			field = &it->label;
		else if (strcmp(key, "prompt") == 0)
			field = &it->prompt;
		else if (strcmp(key, "command") == 0)
			field = &it->command;
		else if (strcmp(key, "end") == 0)
			field = &it->end;
		else {
			*cause = xasprintf("unknown key \"%s\" in [%s]", key,
			    section);
			return -1;
		}
	}
	if (!ussd_fits(value)) {
		*cause = xasprintf("\"%s\" does not fit a USSD screen", key);
		return -1;
	}
	free(*field);
	*field = xstrdup(value);
	return 0;
}

static char *
ussd_default(char *v, const char *def)
{
	return v != NULL ? v : xstrdup(def);
}

struct ussd_menu *
ussd_menu_load(const char *path, char **cause)
{
	struct ussd_menu *m = xcalloc(1, sizeof *m);
	struct ussd_item *it;
	size_t i;

	if (conf_parse(path, ussd_entry, m, cause) != 0)
		goto fail;
	if (m->nitems == 0) {
		*cause = xasprintf("%s: no [item ...] sections", path);
		goto fail;
	}
	for (i = 0; i < m->nitems; i++) {
		it = &m->items[i];
		if (it->label == NULL || it->command == NULL) {
			*cause = xasprintf("%s:%d: an item needs a label and "
			    "a command", path, it->line);
			goto fail;
		}
		if ((strstr(it->command, "{input}") != NULL) !=
		    (it->prompt != NULL)) {
			*cause = xasprintf("%s:%d: an item with a prompt uses "
			    "{input} in its command, and only then", path,
			    it->line);
			goto fail;
		}
	}
	m->title = ussd_default(m->title, "");
	m->more = ussd_default(m->more, "0 more");
	m->back = ussd_default(m->back, "00 back");
	m->done = ussd_default(m->done, "OK");
	m->timeout = ussd_default(m->timeout, "Session timed out.");
	m->error = ussd_default(m->error, "Error, try again later.");
	m->busy = ussd_default(m->busy, "Busy, try again later.");
	return m;
fail:
	ussd_menu_free(m);
	return NULL;
}

void
ussd_menu_free(struct ussd_menu *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nitems; i++) {
		free(m->items[i].label);
		free(m->items[i].prompt);
		free(m->items[i].command);
		free(m->items[i].end);
	}
	free(m->title);
	free(m->more);
	free(m->back);
	free(m->done);
	free(m->timeout);
	free(m->error);
	free(m->busy);
	free(m);
}

const char *
ussd_menu_text(const struct ussd_menu *m, const char *key)
{
	if (strcmp(key, "timeout") == 0)
		return m->timeout;
	if (strcmp(key, "busy") == 0)
		return m->busy;
	return m->error;
}

/*
 * Page page of the item list: the title, then as many items as fit with
 * the "more"/"back" lines they need. *first gets the first item's index,
 * *n how many; returns the screen (caller frees).
 */
static char *
ussd_page(const struct ussd_menu *m, size_t page, size_t *first, size_t *n)
{
	struct buf b;
	char *s = NULL, *line;
	size_t start = 0, p, k;

	for (p = 0;; p++) {
		for (k = 1; start + k <= m->nitems; k++) {
			memset(&b, 0, sizeof b);
			if (m->title[0] != '\0')
				buf_printf(&b, "%s\n", m->title);
			for (size_t j = 0; j < k; j++)
				buf_printf(&b, "%zu %s\n", start + j + 1,
				    m->items[start + j].label);
			if (start + k < m->nitems)
				buf_printf(&b, "%s\n", m->more);
			if (p > 0)
				buf_printf(&b, "%s\n", m->back);
			line = buf_take(&b);
			buf_free(&b);
			line[strlen(line) - 1] = '\0';
			if (!ussd_fits(line) && k > 1) {
				free(line);
				break;
			}
			free(s);
			s = line;
		}
		k--;
		if (k == 0)
			k = 1;	/* one item that does not fit: cut below */
		if (p == page || start + k >= m->nitems) {
			*first = start;
			*n = k;
			line = ussd_fit(s);
			free(s);
			return line;
		}
		start += k;
		free(s);
		s = NULL;
	}
}

void
ussd_menu_step(const struct ussd_menu *m, const char *text,
    struct ussd_step *out)
{
	const char *tok = text, *star;
	struct buf b;
	char *cmd, *input;
	const char *at;
	size_t page = 0, first, n, choice, len;
	struct ussd_item *it;
	char *screen;

	memset(out, 0, sizeof *out);
	for (;;) {
		screen = ussd_page(m, page, &first, &n);
		if (*text == '\0' || tok == NULL) {
			out->kind = USSD_CON;
			out->screen = screen;
			return;
		}
		star = strchr(tok, '*');
		len = star != NULL ? (size_t)(star - tok) : strlen(tok);
		if (len == 1 && tok[0] == '0' && first + n < m->nitems)
			page++;
		else if (len == 2 && strncmp(tok, "00", 2) == 0 && page > 0)
			page--;
		else if (len >= 1 && len <= 2 &&
		    strspn(tok, "0123456789") >= len &&
		    (choice = strtoul(tok, NULL, 10)) >= 1 &&
		    choice <= m->nitems && tok[0] != '0') {
			free(screen);
			it = (struct ussd_item *)&m->items[choice - 1];
			if (it->prompt == NULL) {
				out->kind = USSD_ACTION;
				out->command = xstrdup(it->command);
				out->end = it->end != NULL ? it->end : m->done;
				return;
			}
			/* Everything after the choice is the typed text. */
			input = xstrdup(star != NULL ? star + 1 : "");
			if (input[strspn(input, " *")] == '\0') {
				free(input);
				out->kind = USSD_CON;
				out->screen = ussd_fit(it->prompt);
				return;
			}
			memset(&b, 0, sizeof b);
			at = strstr(it->command, "{input}");
			buf_add(&b, it->command, (size_t)(at - it->command));
			buf_adds(&b, input);
			buf_adds(&b, at + 7);
			cmd = buf_take(&b);
			buf_free(&b);
			free(input);
			out->kind = USSD_ACTION;
			out->command = cmd;
			out->end = it->end != NULL ? it->end : m->done;
			return;
		}
		/* Unknown choice or paging past the ends: ignored. */
		free(screen);
		tok = star != NULL ? star + 1 : NULL;
	}
}

void
ussd_step_clear(struct ussd_step *s)
{
	free(s->screen);
	free(s->command);
	memset(s, 0, sizeof *s);
}
