/*
 * web — who may read the status pages, and how they show who they are:
 * passwords hashed with libcrypt's yescrypt, session tokens from
 * getrandom(2) kept in the store as their SHA-256 (nettle), the session
 * cookie, the limits of each role, and the login and refusal pages. No
 * evhttp here: gateway/http.c carries the requests and calls these.
 */
#ifndef CUNGATE_WEB_H
#define CUNGATE_WEB_H

#include <time.h>

struct buf;
struct config;
struct store;
struct store_account;

#define WEB_COOKIE	"cungate_session"
#define WEB_TOKEN_MAX	65	/* 32 random bytes in hex, and the NUL */
#define WEB_NAME_MAX	64	/* an account's name, bytes */
#define WEB_PASSWORD_MIN 8	/* a password's least length, bytes */
#define WEB_PASSWORD_MAX 256
/*
 * yescrypt's cost: 3 takes about 20 ms and 4 MiB here, where libxcrypt's
 * default (5) takes 110 ms. A login is checked on the daemon's loop, so
 * the cost is what one login stands SMS handling still; with at most 4
 * logins a second (http.c) that is under 100 ms in any second.
 */
#define WEB_YESCRYPT_COST 3

/*
 * Is name fit for an account (1 to WEB_NAME_MAX bytes of letters,
 * digits, '.', '-', '_' or '@')? 0, or -1 with *cause.
 */
int	 web_name_check(const char *name, char **cause);
/* A new yescrypt hash of password (free it): NULL with *cause. */
char	*web_password_hash(const char *password, char **cause);

/* Make the decoy hash now, so that the first unknown name is not told
   apart by the time it takes. */
void	 web_prepare(void);
/*
 * Log in as name with password at now: 1 with a new session's token in
 * token (for the cookie) and the account in *a; 0 refused, the same for
 * an unknown name as for a wrong password, and after the same work; -1
 * the store failed.
 */
int	 web_login(struct store *, const char *name, const char *password,
	    time_t now, char *token, struct store_account *a);
/*
 * The account of the session the Cookie header cookie carries, if it has
 * been used within cf's idle time and is younger than its longest life:
 * 1 into *a (the session touched), 0 none, -1 the store failed. token
 * gets the session's token when there is one ("" if not).
 */
int	 web_session(struct store *, const struct config *, const char *cookie,
	    time_t now, char *token, struct store_account *a);
/* End the session of token. 0 or -1. */
int	 web_logout(struct store *, const char *token);
/* Forget sessions past cf's limits at now: how many, or -1. */
int	 web_expire(struct store *, const struct config *, time_t now);

/*
 * May a see the village with code, or the ticket with code (ticket 1)?
 * 1 yes, 0 no (the page is another township's or village's), 2 there is
 * no such village or ticket, -1 the store failed.
 */
int	 web_may_see(struct store *, const struct store_account *a,
	    const char *code, int ticket);

/* Who reads the page, and a button to log out; nothing for NULL. */
void	 web_bar(struct buf *, const struct store_account *);
/* The login form, with error (a constant string) or NULL. */
void	 web_login_page(struct buf *, const char *error);
/* "You may not see this" and "try again in a moment". */
void	 web_refusal_page(struct buf *, const char *title, const char *text);
/* A role in Chinese: "县级", "乡镇", "村". */
const char *web_role_name(const char *role);

#endif
