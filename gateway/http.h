/*
 * http — the operator's and the aggregator's window (issue 7): an evhttp
 * server on the daemon's event_base serving POST /ussd (the villagers'
 * USSD menu, called by an operator or aggregator), GET /metrics
 * (Prometheus text), GET /healthz and GET / (a status page). The only file
 * that includes <event2/http.h>.
 */
#ifndef CUNGATE_HTTP_H
#define CUNGATE_HTTP_H

#include <stddef.h>

struct event_base;
struct config;
struct store;
struct router;
struct template;
struct modem;
struct http;
struct ussd_menu;

/* What the server reads and runs; all borrowed, outliving the server. */
struct http_env {
	const struct config	*cf;
	struct store		*st;
	struct router		*router;
	const struct template	*tpl;
	struct modem		**modems;
	size_t			 nmodems;
	void			(*kick)(void *);	/* outbox has work */
	void			*arg;
};

/*
 * Listen on cf->http_listen and load cf->ussd_menu when cf->http_secret is
 * set (/ussd answers 404 otherwise). NULL with *cause (caller frees).
 */
struct http *http_new(struct event_base *, const struct http_env *,
	    char **cause);
/* NULL is a no-op. */
void	 http_free(struct http *);
/*
 * After a reload (SIGHUP): answer with these tables from now on; menu,
 * when not NULL, replaces the USSD menu (and is the server's to free).
 */
void	 http_set_tables(struct http *, struct router *,
	    const struct template *, struct ussd_menu *);

/* A decoded USSD callback body. */
struct http_ussd_form {
	char	*session;	/* sessionId: 1-64 printable ASCII */
	char	*service;	/* serviceCode, "" if absent */
	char	*phone;		/* phoneNumber as sent */
	char	*text;		/* text, "" if absent; valid UTF-8 */
};
/*
 * Parse an application/x-www-form-urlencoded body of len bytes with
 * evhttp's query parser. 0, or -1 with *cause (caller frees) for a
 * malformed form, bad encoding or a missing field.
 */
int	 http_ussd_form_parse(const char *body, size_t len,
	    struct http_ussd_form *out, char **cause);
void	 http_ussd_form_clear(struct http_ussd_form *);

#endif
