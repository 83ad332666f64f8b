/*
 * http_private — what gateway/http.c (the server, USSD, /metrics,
 * /healthz) and gateway/http_pages.c (the status pages and their login)
 * share, so that http.c alone includes <event2/http.h>: http_pages.c
 * reads and answers a request through the functions below.
 */
#ifndef CUNGATE_HTTP_PRIVATE_H
#define CUNGATE_HTTP_PRIVATE_H

#include <stddef.h>
#include <time.h>

struct evhttp_request;
struct http_env;
struct pages_env;

#define HTTP_MAX_BODY	8192

/* Logins tried in the current second, for their pace. */
struct http_pace {
	time_t	 second;
	int	 logins;
};

/* http.c: answer req with code and body (a string) of type ctype. */
void	 http_reply(struct evhttp_request *, int code, const char *ctype,
	    const char *body);
/* The same, text/plain, one line from fmt. */
void	 http_text(struct evhttp_request *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The peer's address as text, or NULL. */
const char *http_peer(struct evhttp_request *);
/* The request's header name, or NULL. */
const char *http_header(struct evhttp_request *, const char *name);
/* Add header name: value to the answer. */
void	 http_add_header(struct evhttp_request *, const char *name,
	    const char *value);
/*
 * The url-encoded form in the request's body (at most HTTP_MAX_BODY
 * bytes): values[i] the field names[i] as UTF-8 text (caller frees), or
 * NULL if missing or not UTF-8. 0, or -1 (too long or malformed: all NULL).
 */
int	 http_form(struct evhttp_request *, const char *const *names,
	    char **values, size_t n);

/* http_pages.c: what a page is drawn from, now. */
void	 http_pages_env(const struct http_env *, struct pages_env *);
/* May the peer read /metrics and /healthz? 1, or 0 having said 403. */
int	 http_monitor_ok(const struct http_env *, struct evhttp_request *);
/* GET /login, POST /login, POST /logout. */
void	 http_login_form(struct evhttp_request *);
void	 http_login_post(const struct http_env *, struct http_pace *,
	    struct evhttp_request *, time_t now);
void	 http_logout(const struct http_env *, struct evhttp_request *,
	    time_t now);
/* GET /, /village/CODE, /ticket/CODE for the session's account. */
void	 http_page(const struct http_env *, struct evhttp_request *,
	    const char *path, time_t now);

#endif
