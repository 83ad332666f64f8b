/*
 * conf — reads INI files with libinih and tells each entry's line, so every
 * config error can name file:line. Used for cungate.conf, commands.conf and
 * the message templates.
 */
#ifndef CUNGATE_CONF_H
#define CUNGATE_CONF_H

/*
 * Called once per "key = value" in file order. section is "" before the
 * first [section]. cont is 1 when the value is an indented continuation of
 * the previous key's value. Return 0 to go on; -1 to stop, with *cause set to
 * a message (conf_parse prefixes it with file:line).
 */
typedef int (*conf_entry_cb)(const char *section, const char *key,
    const char *value, int cont, int line, void *arg, char **cause);

/*
 * Parse path, calling cb per entry. Returns 0, or -1 with *cause (caller
 * frees) naming file:line for syntax errors, over-long lines and errors from
 * cb. A section header with no entries is reported through cb as an entry
 * with key and value NULL, so callers can check section names.
 */
int	conf_parse(const char *path, conf_entry_cb cb, void *arg, char **cause);

#endif
