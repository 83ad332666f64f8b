/*
 * config — cungate.conf into struct config, through conf_parse: [gateway],
 * [modem NAME]…, [grievance] deadlines and [category NAME]… keyword lists.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gateway/conf.h"
#include "gateway/config.h"
#include "gateway/config_value.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

/* A node's name: what `cungatectl stats` and the outbox rows show. */
#define CONFIG_NODE_MAX		32
#define CONFIG_NODE_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
				"0123456789._-"
/* The journals' directory for a database server, when state_dir is not set. */
#define CONFIG_STATE_DIR	"/var/lib/cungate"

enum config_section {
	CONFIG_NONE,
	CONFIG_GATEWAY,
	CONFIG_MODEM,
	CONFIG_GRIEVANCE,
	CONFIG_CATEGORY,
	CONFIG_CHECKIN,
	CONFIG_EVENT,
	CONFIG_NOTICE,
	CONFIG_HTTP,
	CONFIG_RETENTION
};

/*
 * The categories a config without any [category NAME] gets: what villages
 * complain about most. Names are what `resident add --categories` gives.
 */
static const struct {
	const char	*name;
	const char	*keywords;
	int		 urgent;
} config_default_categories[] = {
	{ "安全", "火灾,着火,失火,漏电,触电,塌方,燃气,煤气,溺水", 1 },
	{ "水", "水管,停水,自来水,漏水,吃水,水井,水泵", 0 },
	{ "电", "停电,电线,电表,电费,没电,断电,路灯", 0 },
	{ "路", "道路,修路,路面,塌陷,桥,坑", 0 },
	{ "低保", "低保,救助,困难补助,五保", 0 },
	{ "医保", "医保,合作医疗,报销,新农合", 0 },
	{ "环境", "垃圾,污水,臭,噪音,污染", 0 },
};

struct config_parse {
	struct config		*cf;
	enum config_section	 in;
	/* The keys of the section being read, to refuse one given twice. */
	char			**keys;
	int			*key_lines;
	size_t			 nkeys;
};

/* Forget the keys seen (a new section begins). */
static void
config_keys_clear(struct config_parse *cp)
{
	size_t i;

	for (i = 0; i < cp->nkeys; i++)
		free(cp->keys[i]);
	free(cp->keys);
	free(cp->key_lines);
	cp->keys = NULL;
	cp->key_lines = NULL;
	cp->nkeys = 0;
}

/* Note key at line; -1 with *cause when the section has it already. */
static int
config_key_once(struct config_parse *cp, const char *section,
    const char *key, int line, char **cause)
{
	size_t i;

	for (i = 0; i < cp->nkeys; i++) {
		if (strcmp(cp->keys[i], key) == 0) {
			*cause = xasprintf("\"%s\" given twice in [%s] (first "
			    "at line %d)", key, section, cp->key_lines[i]);
			return -1;
		}
	}
	cp->keys = xrealloc(cp->keys, (cp->nkeys + 1) * sizeof *cp->keys);
	cp->key_lines = xrealloc(cp->key_lines, (cp->nkeys + 1) *
	    sizeof *cp->key_lines);
	cp->keys[cp->nkeys] = xstrdup(key);
	cp->key_lines[cp->nkeys++] = line;
	return 0;
}

char *
config_path(const struct config *cf, const char *value)
{
	if (value[0] == '/' || strcmp(value, ":memory:") == 0)
		return xstrdup(value);
	return xasprintf("%s/%s", cf->dir, value);
}

int
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

static int
config_bool(const char *value, int *out, char **cause)
{
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
	    strcmp(value, "1") == 0 || strcasecmp(value, "on") == 0)
		*out = 1;
	else if (strcasecmp(value, "no") == 0 ||
	    strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
	    strcasecmp(value, "off") == 0)
		*out = 0;
	else {
		*cause = xasprintf("\"%s\" is not yes or no", value);
		return -1;
	}
	return 0;
}

/* "HH:MM" -> minutes after midnight. */
static int
config_clock(const char *s, int *out)
{
	int h, m, n = 0;

	if (sscanf(s, "%d:%d%n", &h, &m, &n) != 2 || s[n] != '\0' ||
	    h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	*out = h * 60 + m;
	return 0;
}

/* "21:00-07:00", or "off". */
static int
config_quiet(struct config *cf, const char *value, char **cause)
{
	char *copy, *dash;
	int rc = 0;

	if (strcasecmp(value, "off") == 0 || strcasecmp(value, "no") == 0) {
		cf->quiet_start = cf->quiet_end = 0;
		return 0;
	}
	copy = xstrdup(value);
	if ((dash = strchr(copy, '-')) == NULL)
		rc = -1;
	else {
		*dash = '\0';
		if (config_clock(copy, &cf->quiet_start) == -1 ||
		    config_clock(dash + 1, &cf->quiet_end) == -1)
			rc = -1;
	}
	free(copy);
	if (rc == -1)
		*cause = xasprintf("quiet_hours \"%s\": expected HH:MM-HH:MM "
		    "(local time) or off", value);
	return rc;
}

/*
 * A comma-separated list of phone numbers (phones = 1) or number prefixes,
 * each normalised to E.164 ("139" -> "+86139").
 */
static int
config_list(const struct config *cf, const char *value, int phones,
    char ***list, size_t *n, char **cause)
{
	char *copy, *item, *save = NULL, out[PHONE_MAX];
	size_t i;

	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
	copy = xstrdup(value);
	for (item = strtok_r(copy, ", ", &save); item != NULL;
	    item = strtok_r(NULL, ", ", &save)) {
		if (phones) {
			if (phone_normalise(item, cf->country_code, out) ==
			    -1) {
				*cause = xasprintf("\"%s\" is not a phone "
				    "number", item);
				free(copy);
				return -1;
			}
		} else if (item[0] == '+' && strspn(item + 1, "0123456789") ==
		    strlen(item + 1) && item[1] != '\0')
			snprintf(out, sizeof out, "%s", item);
		else if (strspn(item, "0123456789") == strlen(item) &&
		    strlen(item) < 12)
			snprintf(out, sizeof out, "+%s%s", cf->country_code,
			    item);
		else {
			*cause = xasprintf("prefix \"%s\": expected digits "
			    "such as 139 or +86139", item);
			free(copy);
			return -1;
		}
		*list = xrealloc(*list, (*n + 1) * sizeof **list);
		(*list)[(*n)++] = xstrdup(out);
	}
	free(copy);
	return 0;
}

static void
config_list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
config_set(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* A money amount "12", "12.5" or "12.50" as hundredths. */
static int
config_amount(const char *value, int64_t *out, char **cause)
{
	const char *dot = strchr(value, '.');
	size_t n = dot != NULL ? (size_t)(dot - value) : strlen(value);
	size_t f = dot != NULL ? strlen(dot + 1) : 0;
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 9 || strspn(value, "0123456789") != n ||
	    (dot != NULL && (f == 0 || f > 2 ||
	    strspn(dot + 1, "0123456789") != f))) {
		*cause = xasprintf("\"%s\" is not an amount like 10 or 9.50",
		    value);
		return -1;
	}
	for (i = 0; i < n; i++)
		v = v * 10 + (value[i] - '0');
	v *= 100;
	if (f >= 1)
		v += (dot[1] - '0') * 10;
	if (f == 2)
		v += dot[2] - '0';
	*out = v;
	return 0;
}

/* The default node name: the host's, cut to a node name's rules. */
static char *
config_hostname(void)
{
	char host[256], *p;

	if (gethostname(host, sizeof host) == -1 || host[0] == '\0')
		return xstrdup("cungate");
	host[sizeof host - 1] = '\0';
	host[strcspn(host, ".")] = '\0';	/* the host, not its domain */
	host[CONFIG_NODE_MAX] = '\0';
	for (p = host; *p != '\0'; p++)
		if (strchr(CONFIG_NODE_CHARS, *p) == NULL)
			*p = '-';
	return xstrdup(host[0] != '\0' ? host : "cungate");
}

static int
config_gateway(struct config *cf, const char *key, const char *value,
    char **cause)
{
	int level;

	if (strcmp(key, "database") == 0)
		config_set(&cf->database, store_is_server(value) ?
		    xstrdup(value) : config_path(cf, value));
	else if (strcmp(key, "node") == 0) {
		if (*value == '\0' || strlen(value) > CONFIG_NODE_MAX ||
		    strspn(value, CONFIG_NODE_CHARS) != strlen(value)) {
			*cause = xasprintf("node \"%s\": expected a name of 1-%d "
			    "letters, digits, '.', '_' or '-'", value,
			    CONFIG_NODE_MAX);
			return -1;
		}
		config_set(&cf->node, xstrdup(value));
	} else if (strcmp(key, "state_dir") == 0)
		config_set(&cf->state_dir, config_path(cf, value));
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
	else if (strcmp(key, "repeat_window") == 0)
		return config_int(value, 0, 86400, &cf->repeat_window, cause);
	else if (strcmp(key, "regex_jit") == 0)
		return config_bool(value, &cf->regex_jit, cause);
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
	else if (strcmp(key, "retry_backoff") == 0)
		return config_int(value, 1, 3600, &cf->retry_backoff, cause);
	else if (strcmp(key, "tick_interval") == 0)
		return config_int(value, 1, 3600, &cf->tick_interval, cause);
	else if (strcmp(key, "health_interval") == 0)
		return config_int(value, 5, 86400, &cf->health_interval,
		    cause);
	else if (strcmp(key, "modem_down_alert") == 0)
		return config_int(value, 10, 7 * 86400, &cf->modem_down_alert,
		    cause);
	else if (strcmp(key, "sim_full_warn") == 0)
		return config_int(value, 1, 100, &cf->sim_full_warn, cause);
	else if (strcmp(key, "quiet_hours") == 0)
		return config_quiet(cf, value, cause);
	else if (strcmp(key, "admin_phones") == 0)
		return config_list(cf, value, 1, &cf->admin_phones,
		    &cf->nadmin_phones, cause);
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
	else if (strcmp(key, "prefixes") == 0)
		return config_list(cf, value, 0, &m->prefixes, &m->nprefixes,
		    cause);
	else if (strcmp(key, "delivery_reports") == 0)
		return config_bool(value, &m->delivery_reports, cause);
	else if (strcmp(key, "hangup_calls") == 0)
		return config_bool(value, &m->hangup_calls, cause);
	else if (strcmp(key, "balance_ussd") == 0) {
		if (*value == '\0' || strlen(value) > 32 ||
		    strspn(value, "0123456789*#") != strlen(value)) {
			*cause = xasprintf("balance_ussd \"%s\": expected a "
			    "USSD code of digits, * and #", value);
			return -1;
		}
		config_set(&m->balance_ussd, xstrdup(value));
	} else if (strcmp(key, "balance_interval") == 0)
		return config_int(value, 60, 30 * 86400, &m->balance_interval,
		    cause);
	else if (strcmp(key, "balance_pattern") == 0)
		config_set(&m->balance_pattern, xstrdup(value));
	else if (strcmp(key, "balance_threshold") == 0)
		return config_amount(value, &m->balance_threshold, cause);
	else {
		*cause = xasprintf("unknown key \"%s\" in [modem %s]", key,
		    m->name);
		return -1;
	}
	return 0;
}

/* [grievance]: deadlines in hours and days. */
static int
config_grievance(struct config *cf, const char *key, const char *value,
    char **cause)
{
	if (strcmp(key, "accept_hours") == 0)
		return config_int(value, 1, 24 * 30, &cf->accept_hours, cause);
	if (strcmp(key, "resolve_days") == 0)
		return config_int(value, 1, 365, &cf->resolve_days, cause);
	if (strcmp(key, "urgent_resolve_hours") == 0)
		return config_int(value, 1, 24 * 30, &cf->urgent_resolve_hours,
		    cause);
	if (strcmp(key, "satisfaction_days") == 0)
		return config_int(value, 1, 60, &cf->satisfaction_days, cause);
	if (strcmp(key, "escalate_percent") == 0)
		return config_int(value, 0, 1000, &cf->escalate_percent,
		    cause);
	if (strcmp(key, "pending_max") == 0)
		return config_int(value, 1, 100, &cf->pending_max, cause);
	if (strcmp(key, "reports_per_hour") == 0)
		return config_int(value, 1, 1000, &cf->reports_per_hour,
		    cause);
	*cause = xasprintf("unknown key \"%s\" in [grievance]", key);
	return -1;
}

/* [event]: village events (HH:MM local times and a switch). */
static int
config_event(struct config *cf, const char *key, const char *value,
    char **cause)
{
	int *clock;

	if (strcmp(key, "township_wide") == 0)
		return config_bool(value, &cf->event_township_wide, cause);
	if (strcmp(key, "time") == 0)
		clock = &cf->event_time;
	else if (strcmp(key, "remind") == 0)
		clock = &cf->event_remind;
	else {
		*cause = xasprintf("unknown key \"%s\" in [event]", key);
		return -1;
	}
	if (config_clock(value, clock) == -1) {
		*cause = xasprintf("%s \"%s\": expected HH:MM (local time)",
		    key, value);
		return -1;
	}
	return 0;
}

/* [retention]: days kept; 0 keeps for ever. */
static int
config_retention(struct config *cf, const char *key, const char *value,
    char **cause)
{
	if (strcmp(key, "messages") == 0)
		return config_int(value, 0, 36500, &cf->retain_messages,
		    cause);
	if (strcmp(key, "outbox") == 0)
		return config_int(value, 0, 36500, &cf->retain_outbox, cause);
	if (strcmp(key, "audit") == 0)
		return config_int(value, 0, 36500, &cf->retain_audit, cause);
	*cause = xasprintf("unknown key \"%s\" in [retention]", key);
	return -1;
}

/* [notice]: the confirmation threshold and the send rate estimate. */
static int
config_notice(struct config *cf, const char *key, const char *value,
    char **cause)
{
	if (strcmp(key, "confirm_above") == 0)
		return config_int(value, 0, 1000000, &cf->notice_confirm_above,
		    cause);
	if (strcmp(key, "confirm_minutes") == 0)
		return config_int(value, 1, 24 * 60,
		    &cf->notice_confirm_minutes, cause);
	if (strcmp(key, "rate") == 0)
		return config_int(value, 0, 100000, &cf->notice_rate, cause);
	*cause = xasprintf("unknown key \"%s\" in [notice]", key);
	return -1;
}

/* [checkin]: the ladder's times (HH:MM or minutes) and switches. */
static int
config_checkin(struct config *cf, const char *key, const char *value,
    char **cause)
{
	int *clock = NULL;

	if (strcmp(key, "due") == 0)
		clock = &cf->checkin_due;
	else if (strcmp(key, "township") == 0)
		clock = &cf->checkin_township;
	else if (strcmp(key, "prompt") == 0) {
		if (strcasecmp(value, "off") == 0 ||
		    strcasecmp(value, "no") == 0) {
			cf->checkin_prompt = -1;
			return 0;
		}
		clock = &cf->checkin_prompt;
	} else if (strcmp(key, "guardian_after") == 0)
		return config_int(value, 0, 24 * 60,
		    &cf->checkin_guardian_after, cause);
	else if (strcmp(key, "cadre_after") == 0)
		return config_int(value, 0, 24 * 60, &cf->checkin_cadre_after,
		    cause);
	else if (strcmp(key, "confirm") == 0)
		return config_bool(value, &cf->checkin_confirm, cause);
	else if (strcmp(key, "sos_repeat") == 0)
		return config_int(value, 1, 24 * 60, &cf->checkin_sos_repeat,
		    cause);
	else {
		*cause = xasprintf("unknown key \"%s\" in [checkin]", key);
		return -1;
	}
	if (config_clock(value, clock) == -1) {
		*cause = xasprintf("%s \"%s\": expected HH:MM (local time)",
		    key, value);
		return -1;
	}
	return 0;
}

/* Replace c's keywords with a list split at , ， and 、. */
static int
config_keywords(struct config_category *c, const char *value, char **cause)
{
	const char *p = value, *q;
	size_t i, n;

	for (i = 0; i < c->nkeywords; i++)
		free(c->keywords[i]);
	free(c->keywords);
	c->keywords = NULL;
	c->nkeywords = 0;
	for (;;) {
		q = p;
		while (*q != '\0' && *q != ',' && strncmp(q, "，", 3) != 0 &&
		    strncmp(q, "、", 3) != 0)
			q++;
		while (p < q && *p == ' ')
			p++;
		n = (size_t)(q - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0) {
			c->keywords = xrealloc(c->keywords,
			    (c->nkeywords + 1) * sizeof *c->keywords);
			c->keywords[c->nkeywords++] = xstrndup(p, n);
		}
		if (*q == '\0')
			break;
		p = q + (*q == ',' ? 1 : 3);
	}
	if (c->nkeywords == 0) {
		*cause = xasprintf("[category %s]: keywords is empty", c->name);
		return -1;
	}
	return 0;
}

static int
config_category(struct config_category *c, const char *key,
    const char *value, char **cause)
{
	if (strcmp(key, "keywords") == 0)
		return config_keywords(c, value, cause);
	if (strcmp(key, "urgent") == 0)
		return config_bool(value, &c->urgent, cause);
	*cause = xasprintf("unknown key \"%s\" in [category %s]", key,
	    c->name);
	return -1;
}

static struct config_category *
config_category_new(struct config *cf, const char *name, int line)
{
	struct config_category *c;

	cf->categories = xrealloc(cf->categories,
	    (cf->ncategories + 1) * sizeof *cf->categories);
	c = &cf->categories[cf->ncategories++];
	memset(c, 0, sizeof *c);
	c->name = xstrdup(name);
	c->line = line;
	return c;
}

/* [category NAME]: a name of at most 64 bytes, no spaces or commas. */
static int
config_category_section(struct config_parse *cp, const char *name, int line,
    char **cause)
{
	struct config *cf = cp->cf;
	size_t i;

	while (*name == ' ')
		name++;
	if (*name == '\0' || strlen(name) > 64 ||
	    strpbrk(name, " \t,") != NULL || strstr(name, "，") != NULL) {
		*cause = xasprintf("[category %s]: a category name is 1-64 "
		    "bytes without spaces or commas", name);
		return -1;
	}
	for (i = 0; i < cf->ncategories; i++) {
		if (strcmp(cf->categories[i].name, name) == 0) {
			*cause = xasprintf("[category %s] appears twice (first "
			    "at line %d)", name, cf->categories[i].line);
			return -1;
		}
	}
	config_category_new(cf, name, line);
	cp->in = CONFIG_CATEGORY;
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
	if (strcmp(section, "grievance") == 0) {
		cp->in = CONFIG_GRIEVANCE;
		return 0;
	}
	if (strcmp(section, "checkin") == 0) {
		cp->in = CONFIG_CHECKIN;
		return 0;
	}
	if (strcmp(section, "event") == 0) {
		cp->in = CONFIG_EVENT;
		return 0;
	}
	if (strcmp(section, "notice") == 0) {
		cp->in = CONFIG_NOTICE;
		return 0;
	}
	if (strcmp(section, "http") == 0) {
		cp->in = CONFIG_HTTP;
		return 0;
	}
	if (strcmp(section, "retention") == 0) {
		cp->in = CONFIG_RETENTION;
		return 0;
	}
	if (strncmp(section, "category ", 9) == 0)
		return config_category_section(cp, section + 9, line, cause);
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
	m->delivery_reports = 1;
	m->hangup_calls = 1;
	m->balance_interval = 86400;
	m->balance_threshold = 1000;	/* 10.00 */
	m->line = line;
	cp->in = CONFIG_MODEM;
	return 0;
}

static int
config_entry(const char *section, const char *key, const char *value,
    int cont, int line, void *arg, char **cause)
{
	struct config_parse *cp = arg;

	if (key == NULL) {
		config_keys_clear(cp);
		return config_section(cp, section, line, cause);
	}
	if (cont) {
		*cause = xasprintf("\"%s\" continues on an indented line; "
		    "config values fit on one line", key);
		return -1;
	}
	if (cp->in != CONFIG_NONE && config_key_once(cp, section, key, line,
	    cause) != 0)
		return -1;
	switch (cp->in) {
	case CONFIG_GATEWAY:
		return config_gateway(cp->cf, key, value, cause);
	case CONFIG_MODEM:
		return config_modem(cp->cf,
		    &cp->cf->modems[cp->cf->nmodems - 1], key, value, cause);
	case CONFIG_GRIEVANCE:
		return config_grievance(cp->cf, key, value, cause);
	case CONFIG_CHECKIN:
		return config_checkin(cp->cf, key, value, cause);
	case CONFIG_EVENT:
		return config_event(cp->cf, key, value, cause);
	case CONFIG_NOTICE:
		return config_notice(cp->cf, key, value, cause);
	case CONFIG_HTTP:
		return config_http(cp->cf, key, value, cause);
	case CONFIG_RETENTION:
		return config_retention(cp->cf, key, value, cause);
	case CONFIG_CATEGORY:
		return config_category(
		    &cp->cf->categories[cp->cf->ncategories - 1], key, value,
		    cause);
	default:
		*cause = xasprintf("\"%s\" outside any section", key);
		return -1;
	}
}

static void
config_default_categories_add(struct config *cf)
{
	struct config_category *c;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < sizeof config_default_categories /
	    sizeof config_default_categories[0]; i++) {
		c = config_category_new(cf, config_default_categories[i].name,
		    0);
		c->urgent = config_default_categories[i].urgent;
		if (config_keywords(c, config_default_categories[i].keywords,
		    &cause) == -1)
			fatal("config: built-in category: %s", cause);
	}
}

struct config *
config_load(const char *path, char **cause)
{
	struct config_parse cp;
	struct config *cf;
	char abs[PATH_MAX], *slash;
	size_t i;
	int rc;

	if (realpath(path, abs) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(abs);
	slash = strrchr(abs, '/');
	cf->dir = xstrndup(abs, slash == abs ? 1 : (size_t)(slash - abs));
	cf->database = config_path(cf, "cungate.db");
	cf->node = config_hostname();
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
	cf->retry_backoff = 30;
	cf->tick_interval = 30;
	cf->health_interval = 60;
	cf->modem_down_alert = 300;
	cf->sim_full_warn = 80;
	cf->quiet_start = 21 * 60;
	cf->quiet_end = 7 * 60;
	cf->accept_hours = 24;
	cf->resolve_days = 7;
	cf->urgent_resolve_hours = 2;
	cf->satisfaction_days = 3;
	cf->escalate_percent = 50;
	cf->checkin_due = 9 * 60 + 30;
	cf->checkin_guardian_after = 60;
	cf->checkin_cadre_after = 180;
	cf->checkin_township = 8 * 60;
	cf->checkin_prompt = -1;
	cf->checkin_confirm = 1;
	cf->checkin_sos_repeat = 30;
	cf->event_time = 9 * 60;
	cf->event_remind = 18 * 60;
	cf->event_township_wide = 0;
	cf->notice_confirm_above = 200;
	cf->notice_confirm_minutes = 10;
	cf->notice_rate = 0;
	config_http_defaults(cf);
	cf->repeat_window = 600;
	cf->regex_jit = 1;
	cf->pending_max = 3;
	cf->reports_per_hour = 5;

	memset(&cp, 0, sizeof cp);
	cp.cf = cf;
	rc = conf_parse(cf->path, config_entry, &cp, cause);
	config_keys_clear(&cp);
	if (rc != 0)
		goto fail;
	for (i = 0; i < cf->nmodems; i++) {
		if (cf->modems[i].device == NULL) {
			*cause = xasprintf("%s:%d: [modem %s] needs a device",
			    cf->path, cf->modems[i].line, cf->modems[i].name);
			goto fail;
		}
	}
	for (i = 0; i < cf->ncategories; i++) {
		if (cf->categories[i].nkeywords == 0) {
			*cause = xasprintf("%s:%d: [category %s] needs keywords",
			    cf->path, cf->categories[i].line,
			    cf->categories[i].name);
			goto fail;
		}
	}
	if (cf->ncategories == 0)
		config_default_categories_add(cf);
	/*
	 * The journals: beside a SQLite file, as they always were; for a
	 * database server, in state_dir (default the service's home), named
	 * for the node, as each node keeps its own.
	 */
	if (cf->state_dir != NULL)
		cf->journal = xasprintf("%s/%s", cf->state_dir, cf->node);
	else if (store_is_server(cf->database))
		cf->journal = xasprintf("%s/%s", CONFIG_STATE_DIR, cf->node);
	else
		cf->journal = xstrdup(cf->database);
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
		free(cf->modems[i].balance_ussd);
		free(cf->modems[i].balance_pattern);
		config_list_free(cf->modems[i].prefixes,
		    cf->modems[i].nprefixes);
	}
	config_list_free(cf->admin_phones, cf->nadmin_phones);
	for (i = 0; i < cf->ncategories; i++) {
		free(cf->categories[i].name);
		config_list_free(cf->categories[i].keywords,
		    cf->categories[i].nkeywords);
	}
	free(cf->categories);
	free(cf->modems);
	free(cf->path);
	free(cf->dir);
	free(cf->database);
	free(cf->node);
	free(cf->state_dir);
	free(cf->journal);
	free(cf->timezone);
	free(cf->commands);
	free(cf->messages);
	free(cf->country_code);
	free(cf->http_listen);
	free(cf->http_secret);
	free(cf->http_monitor);
	free(cf->ussd_menu);
	free(cf);
}

const struct config_category *
config_category_match(const struct config *cf, const char *text)
{
	size_t i, j;

	for (i = 0; i < cf->ncategories; i++)
		for (j = 0; j < cf->categories[i].nkeywords; j++)
			if (strstr(text, cf->categories[i].keywords[j]) != NULL)
				return &cf->categories[i];
	return NULL;
}

const struct config_category *
config_category_find(const struct config *cf, const char *name)
{
	size_t i;

	for (i = 0; i < cf->ncategories; i++)
		if (strcmp(cf->categories[i].name, name) == 0)
			return &cf->categories[i];
	return NULL;
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
