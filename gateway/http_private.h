/*
 * http_private — what gateway/http.c (the server, USSD, /metrics,
 * /healthz) and gateway/http_pages.c (the status pages and their login)
 * share. The only other file that includes <event2/http.h>.
 */
#ifndef CUNGATE_HTTP_PRIVATE_H
#define CUNGATE_HTTP_PRIVATE_H

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
