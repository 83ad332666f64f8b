/*
 * conf — libinih with a line-counting reader. Debian's libinih is built
 * without INI_HANDLER_LINENO and with 200-byte lines, so the reader counts
 * lines itself (the handler runs right after the reader returns its line)
 * and refuses a line that would not fit instead of letting inih split it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "gateway/conf.h"
#include "gateway/util.h"

struct conf_state {
	FILE		*f;
	const char	*path;
	int		 line;
	int		 indented;	/* current raw line starts with blank */
	char		 prev_key[256];
	conf_entry_cb	 cb;
	void		*arg;
	char		*cause;
};

/* Tell the callback about each [section] header, entries or not. */
static void
conf_section(struct conf_state *cs, const char *line)
{
	const char *p, *end;
	char *name, *cause = NULL;

	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p != '[')
		return;
	if ((end = strchr(p, ']')) == NULL) {
		/* Said here, on its own line, not at the next entry. */
		cs->cause = xasprintf("%s:%d: malformed section header "
		    "(expected [NAME])", cs->path, cs->line);
		return;
	}
	name = xstrndup(p + 1, end - p - 1);
	cs->prev_key[0] = '\0';	/* inih forgets its key at a section */
	if (cs->cb(name, NULL, NULL, 0, cs->line, cs->arg, &cause) != 0) {
		cs->cause = xasprintf("%s:%d: %s", cs->path, cs->line,
		    cause != NULL ? cause : "invalid section");
		free(cause);
	}
	free(name);
}

static char *
conf_reader(char *str, int num, void *arg)
{
	struct conf_state *cs = arg;
	size_t n;

	if (cs->cause != NULL)
		return NULL;
	if (fgets(str, num, cs->f) == NULL)
		return NULL;
	cs->line++;
	n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(cs->f)) {
		cs->cause = xasprintf("%s:%d: line too long (at most %d bytes; "
		    "continue a long value on indented lines)", cs->path,
		    cs->line, num - 2);
		return NULL;
	}
	cs->indented = (str[0] == ' ' || str[0] == '\t');
	/* inih takes an indented line after a key as its continuation. */
	if (!cs->indented || cs->prev_key[0] == '\0')
		conf_section(cs, str);
	return str;
}

static int
conf_handler(void *arg, const char *section, const char *key,
    const char *value)
{
	struct conf_state *cs = arg;
	char *cause = NULL;
	int cont;

	if (cs->cause != NULL)
		return 0;
	cont = cs->indented && strcmp(key, cs->prev_key) == 0;
	snprintf(cs->prev_key, sizeof cs->prev_key, "%s", key);
	if (cs->cb(section, key, value, cont, cs->line, cs->arg, &cause) != 0) {
		cs->cause = xasprintf("%s:%d: %s", cs->path, cs->line,
		    cause != NULL ? cause : "invalid entry");
		free(cause);
		return 0;
	}
	return 1;
}

int
conf_parse(const char *path, conf_entry_cb cb, void *arg, char **cause)
{
	struct conf_state cs;
	int rc;

	memset(&cs, 0, sizeof cs);
	cs.path = path;
	cs.cb = cb;
	cs.arg = arg;
	if ((cs.f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(conf_reader, &cs, conf_handler, &cs);
	fclose(cs.f);
	if (cs.cause != NULL) {
		*cause = cs.cause;
		return -1;
	}
	if (rc != 0) {
		*cause = xasprintf("%s:%d: syntax error (expected [section] "
		    "or key = value)", path, rc > 0 ? rc : cs.line);
		return -1;
	}
	return 0;
}
