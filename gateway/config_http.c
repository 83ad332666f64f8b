/*
 * config_http — the [http] section: where the server listens, the USSD
 * callback's secret and menu, how long a status-page session lasts, and
 * which addresses may read /metrics and /healthz (monitor: addresses and
 * networks, by default the loopback ones).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/config_value.h"
#include "gateway/log.h"
#include "gateway/util.h"

#define CONFIG_MONITOR_DEFAULT	"127.0.0.0/8, ::1"

/* text ("10.1.0.0/16", "::1") into *n: 0, or -1. */
static int
config_net_parse(const char *text, struct config_net *n)
{
	char addr[64], *slash, *end;
	long bits;

	memset(n, 0, sizeof *n);
	if (strlen(text) >= sizeof addr)
		return -1;
	strcpy(addr, text);
	if ((slash = strchr(addr, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, addr, n->addr) == 1) {
		n->family = AF_INET;
		n->bits = 32;
	} else if (inet_pton(AF_INET6, addr, n->addr) == 1) {
		n->family = AF_INET6;
		n->bits = 128;
	} else
		return -1;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 ||
		    bits > n->bits)
			return -1;
		n->bits = (int)bits;
	}
	return 0;
}

/* monitor = a comma-separated list of addresses and networks. */
static int
config_http_monitor(struct config *cf, const char *value, char **cause)
{
	struct config_net *v = NULL;
	char *copy = xstrdup(value), *p = copy, *item;
	size_t n = 0, len;

	while ((item = strsep(&p, ",")) != NULL) {
		item += strspn(item, " \t");
		len = strlen(item);
		while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			item[--len] = '\0';
		if (len == 0)
			continue;
		v = xrealloc(v, (n + 1) * sizeof *v);
		if (config_net_parse(item, &v[n]) == -1) {
			*cause = xasprintf("monitor: \"%s\" is not an address "
			    "or a network (10.0.0.0/8, ::1)", item);
			free(v);
			free(copy);
			return -1;
		}
		n++;
	}
	free(copy);
	if (n == 0) {
		*cause = xasprintf("monitor: no address given");
		return -1;
	}
	free(cf->http_monitor);
	cf->http_monitor = v;
	cf->http_nmonitor = n;
	return 0;
}

void
config_http_defaults(struct config *cf)
{
	char *cause = NULL;

	cf->ussd_menu = config_path(cf, "ussd.zh.conf");
	cf->ussd_timeout = 180;
	cf->ussd_actions_per_minute = 5;
	cf->http_session_idle = 30 * 60;
	cf->http_session_max = 12 * 3600;
	if (config_http_monitor(cf, CONFIG_MONITOR_DEFAULT, &cause) == -1)
		fatal("config: %s", cause);
}

/* Do the first bits of a and b agree? 1/0. */
static int
config_net_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int i;

	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != b[i])
			return 0;
	return bits == 0 || ((a[i] ^ b[i]) & (0xff00 >> bits) & 0xff) == 0;
}

int
config_monitor_allows(const struct config *cf, const char *address)
{
	struct config_net peer;
	const struct config_net *n;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };
	size_t i;

	if (address == NULL || config_net_parse(address, &peer) == -1)
		return 0;
	/* An IPv4 peer on an IPv6 socket: as the IPv4 address it is. */
	if (peer.family == AF_INET6 && memcmp(peer.addr, mapped, 12) == 0) {
		memmove(peer.addr, peer.addr + 12, 4);
		peer.family = AF_INET;
	}
	for (i = 0; i < cf->http_nmonitor; i++) {
		n = &cf->http_monitor[i];
		if (n->family == peer.family &&
		    config_net_match(n->addr, peer.addr, n->bits))
			return 1;
	}
	return 0;
}

int
config_http(struct config *cf, const char *key, const char *value,
    char **cause)
{
	const char *colon;
	int v;

	if (strcmp(key, "listen") == 0) {
		colon = strrchr(value, ':');
		if (colon == NULL || colon == value || colon[1] == '\0' ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1)) {
			*cause = xasprintf("listen \"%s\": expected ADDRESS:PORT",
			    value);
			return -1;
		}
		config_set(&cf->http_listen, xstrdup(value));
	} else if (strcmp(key, "secret") == 0) {
		if (strlen(value) < 8) {
			*cause = xasprintf("secret: at least 8 characters");
			return -1;
		}
		config_set(&cf->http_secret, xstrdup(value));
	} else if (strcmp(key, "ussd_menu") == 0)
		config_set(&cf->ussd_menu, config_path(cf, value));
	else if (strcmp(key, "ussd_timeout") == 0)
		return config_int(value, 1, 3600, &cf->ussd_timeout, cause);
	else if (strcmp(key, "ussd_actions_per_minute") == 0)
		return config_int(value, 1, 1000,
		    &cf->ussd_actions_per_minute, cause);
	else if (strcmp(key, "monitor") == 0)
		return config_http_monitor(cf, value, cause);
	else if (strcmp(key, "session_idle_minutes") == 0) {
		if (config_int(value, 1, 24 * 60, &v, cause) == -1)
			return -1;
		cf->http_session_idle = v * 60;
	} else if (strcmp(key, "session_max_hours") == 0) {
		if (config_int(value, 1, 24 * 30, &v, cause) == -1)
			return -1;
		cf->http_session_max = v * 3600;
	}
	else {
		*cause = xasprintf("unknown key \"%s\" in [http]", key);
		return -1;
	}
	return 0;
}
