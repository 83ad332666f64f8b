/*
 * config — cungate.conf into struct config, through conf_parse.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/conf.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/util.h"

enum config_section {
	CONFIG_NONE,
	CONFIG_GATEWAY,
	CONFIG_MODEM
};

struct config_parse {
	struct config		*cf;
	enum config_section	 in;
};

/* A path from the file: relative ones are relative to the file's dir. */
static char *
config_path(const struct config *cf, const char *value)
{
	if (value[0] == '/' || strcmp(value, ":memory:") == 0)
		return xstrdup(value);
	return xasprintf("%s/%s", cf->dir, value);
}

static int
config_int(const char *value, int min, int max, int *out, char **cause)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
		*cause = xasprintf("\"%s\" is not a number from %d to %d",
		    value, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static void
config_set(char **field, char *value)
{
	free(*field);
	*field = value;
}

static int
config_gateway(struct config *cf, const char *key, const char *value,
    char **cause)
{
	int level;

	if (strcmp(key, "database") == 0)
		config_set(&cf->database, config_path(cf, value));
	else if (strcmp(key, "timezone") == 0)
		config_set(&cf->timezone, xstrdup(value));
	else if (strcmp(key, "log_level") == 0) {
		if ((level = log_level_parse(value)) == -1) {
			*cause = xasprintf("log_level \"%s\": expected error, "
			    "warn, info or debug", value);
			return -1;
		}
		cf->log_level = level;
	} else if (strcmp(key, "commands") == 0)
		config_set(&cf->commands, config_path(cf, value));
	else if (strcmp(key, "messages") == 0)
		config_set(&cf->messages, config_path(cf, value));
	else if (strcmp(key, "country_code") == 0) {
		if (strspn(value, "0123456789") != strlen(value) ||
		    strlen(value) < 1 || strlen(value) > 3) {
			*cause = xasprintf("country_code \"%s\": expected 1-3 "
			    "digits such as 86", value);
			return -1;
		}
		config_set(&cf->country_code, xstrdup(value));
	} else if (strcmp(key, "reassembly_timeout") == 0)
		return config_int(value, 1, 86400, &cf->reassembly_timeout,
		    cause);
	else if (strcmp(key, "heartbeat_interval") == 0)
		return config_int(value, 1, 3600, &cf->heartbeat_interval,
		    cause);
	else if (strcmp(key, "watchdog_timeout") == 0)
		return config_int(value, 2, 86400, &cf->watchdog_timeout,
		    cause);
	else if (strcmp(key, "recipient_hourly_cap") == 0)
		return config_int(value, 1, 100000, &cf->recipient_hourly_cap,
		    cause);
	else if (strcmp(key, "max_attempts") == 0)
		return config_int(value, 1, 100, &cf->max_attempts, cause);
	else if (strcmp(key, "tick_interval") == 0)
		return config_int(value, 1, 3600, &cf->tick_interval, cause);
	else {
		*cause = xasprintf("unknown key \"%s\" in [gateway]", key);
		return -1;
	}
	return 0;
}

static int
config_modem(struct config *cf, struct config_modem *m, const char *key,
    const char *value, char **cause)
{
	if (strcmp(key, "device") == 0)
		config_set(&m->device, xstrdup(value));
	else if (strcmp(key, "connection") == 0)
		config_set(&m->connection, xstrdup(value));
	else if (strcmp(key, "model") == 0)
		config_set(&m->model, xstrdup(value));
	else if (strcmp(key, "debug_log") == 0)
		config_set(&m->debug_log, config_path(cf, value));
	else if (strcmp(key, "send_rate") == 0)
		return config_int(value, 0, 6000, &m->send_rate, cause);
	else if (strcmp(key, "poll_interval") == 0)
		return config_int(value, 1, 3600, &m->poll_interval, cause);
	else {
		*cause = xasprintf("unknown key \"%s\" in [modem %s]", key,
		    m->name);
		return -1;
	}
	return 0;
}

static int
config_section(struct config_parse *cp, const char *section, int line,
    char **cause)
{
	struct config *cf = cp->cf;
	struct config_modem *m;
	const char *name;
	size_t i;

	if (strcmp(section, "gateway") == 0) {
		cp->in = CONFIG_GATEWAY;
		return 0;
	}
	if (strncmp(section, "modem ", 6) != 0) {
		*cause = xasprintf("unknown section [%s]", section);
		return -1;
	}
	name = section + 6;
	while (*name == ' ')
		name++;
	if (*name == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != strlen(name) ||
	    strlen(name) > 32) {
		*cause = xasprintf("[%s]: a modem name is 1-32 letters, digits, "
		    "_ or -", section);
		return -1;
	}
	for (i = 0; i < cf->nmodems; i++) {
		if (strcmp(cf->modems[i].name, name) == 0) {
			*cause = xasprintf("[modem %s] appears twice (first at "
			    "line %d)", name, cf->modems[i].line);
			return -1;
		}
	}
	cf->modems = xrealloc(cf->modems, (cf->nmodems + 1) * sizeof *m);
	m = &cf->modems[cf->nmodems++];
	memset(m, 0, sizeof *m);
	m->name = xstrdup(name);
	m->connection = xstrdup("at");
	m->model = xstrdup("");
	m->poll_interval = 30;
	m->line = line;
	cp->in = CONFIG_MODEM;
	return 0;
}

static int
config_entry(const char *section, const char *key, const char *value,
    int cont, int line, void *arg, char **cause)
{
	struct config_parse *cp = arg;

	if (key == NULL)
		return config_section(cp, section, line, cause);
	if (cont) {
		*cause = xasprintf("\"%s\" continues on an indented line; "
		    "config values fit on one line", key);
		return -1;
	}
	switch (cp->in) {
	case CONFIG_GATEWAY:
		return config_gateway(cp->cf, key, value, cause);
	case CONFIG_MODEM:
		return config_modem(cp->cf,
		    &cp->cf->modems[cp->cf->nmodems - 1], key, value, cause);
	default:
		*cause = xasprintf("\"%s\" outside any section", key);
		return -1;
	}
}

struct config *
config_load(const char *path, char **cause)
{
	struct config_parse cp;
	struct config *cf;
	char abs[PATH_MAX], *slash;
	size_t i;

	if (realpath(path, abs) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(abs);
	slash = strrchr(abs, '/');
	cf->dir = xstrndup(abs, slash == abs ? 1 : (size_t)(slash - abs));
	cf->database = config_path(cf, "cungate.db");
	cf->timezone = xstrdup("Asia/Shanghai");
	cf->log_level = LOG_LEVEL_INFO;
	cf->commands = config_path(cf, "commands.conf");
	cf->messages = config_path(cf, "messages.zh.conf");
	cf->country_code = xstrdup("86");
	cf->reassembly_timeout = 600;
	cf->heartbeat_interval = 5;
	cf->watchdog_timeout = 60;
	cf->recipient_hourly_cap = 10;
	cf->max_attempts = 5;
	cf->tick_interval = 30;

	memset(&cp, 0, sizeof cp);
	cp.cf = cf;
	if (conf_parse(cf->path, config_entry, &cp, cause) != 0)
		goto fail;
	for (i = 0; i < cf->nmodems; i++) {
		if (cf->modems[i].device == NULL) {
			*cause = xasprintf("%s:%d: [modem %s] needs a device",
			    cf->path, cf->modems[i].line, cf->modems[i].name);
			goto fail;
		}
	}
	if (cf->watchdog_timeout <= cf->heartbeat_interval) {
		*cause = xasprintf("%s: watchdog_timeout (%d) must be longer "
		    "than heartbeat_interval (%d)", cf->path,
		    cf->watchdog_timeout, cf->heartbeat_interval);
		goto fail;
	}
	return cf;
fail:
	config_free(cf);
	return NULL;
}

void
config_free(struct config *cf)
{
	size_t i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->nmodems; i++) {
		free(cf->modems[i].name);
		free(cf->modems[i].device);
		free(cf->modems[i].connection);
		free(cf->modems[i].model);
		free(cf->modems[i].debug_log);
	}
	free(cf->modems);
	free(cf->path);
	free(cf->dir);
	free(cf->database);
	free(cf->timezone);
	free(cf->commands);
	free(cf->messages);
	free(cf->country_code);
	free(cf);
}

const struct config_modem *
config_modem_find(const struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->nmodems; i++)
		if (strcmp(cf->modems[i].name, name) == 0)
			return &cf->modems[i];
	return NULL;
}
