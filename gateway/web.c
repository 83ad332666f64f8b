/*
 * web — who may read the status pages (see web.h). A password is checked
 * with crypt(3) against its yescrypt hash; an unknown name is checked
 * against a decoy hash made the same way, so that the login form says and
 * spends the same for both. A session's token is 32 bytes of getrandom(2)
 * in the cookie, and only its SHA-256 in the store, so that neither a copy
 * of the database nor its audit logs anyone in. Sessions end when unused
 * for cf->http_session_idle seconds or older than cf->http_session_max.
 */
#include <sys/random.h>

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/page.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "gateway/web.h"

#define WEB_NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789.-_@"

int
web_name_check(const char *name, char **cause)
{
	size_t n = strlen(name);

	if (n == 0 || n > WEB_NAME_MAX || strspn(name, WEB_NAME_CHARS) != n) {
		*cause = xasprintf("account name \"%s\": 1 to %d letters, "
		    "digits, '.', '-', '_' or '@'", name, WEB_NAME_MAX);
		return -1;
	}
	return 0;
}

char *
web_password_hash(const char *password, char **cause)
{
	struct crypt_data *cd;
	char *salt, *out = NULL;
	const char *h;

	if ((salt = crypt_gensalt_ra("$y$", WEB_YESCRYPT_COST, NULL, 0)) == NULL) {
		*cause = xasprintf("yescrypt salt: %s", strerror(errno));
		return NULL;
	}
	cd = xcalloc(1, sizeof *cd);
	h = crypt_r(password, salt, cd);
	if (h == NULL || h[0] == '*')
		*cause = xasprintf("yescrypt: %s", strerror(errno));
	else
		out = xstrdup(h);
	free(cd);
	free(salt);
	return out;
}

/* Does password hash to hash? Compared in time independent of where
   they differ. 1/0. */
static int
web_password_ok(const char *password, const char *hash)
{
	struct crypt_data *cd = xcalloc(1, sizeof *cd);
	const char *h = crypt_r(password, hash, cd);
	size_t i, n = strlen(hash);
	unsigned char d = 0;

	if (h == NULL || h[0] == '*' || strlen(h) != n)
		d = 1;
	else
		for (i = 0; i < n; i++)
			d |= (unsigned char)(h[i] ^ hash[i]);
	free(cd);
	return d == 0;
}

/* The hash an unknown name is checked against: made once (web_prepare),
   of nothing anyone knows. */
static const char *
web_decoy(void)
{
	static char *decoy;
	unsigned char r[16];
	char pw[33], *cause = NULL;
	size_t i;

	if (decoy != NULL)
		return decoy;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0x5a, sizeof r);
	for (i = 0; i < sizeof r; i++)
		snprintf(pw + 2 * i, 3, "%02x", r[i]);
	if ((decoy = web_password_hash(pw, &cause)) == NULL) {
		log_warn("web: %s", cause);
		free(cause);
		decoy = xstrdup("$y$j9T$decoy$");
	}
	return decoy;
}

static void
web_hex(const unsigned char *v, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", v[i]);
}

/* The store's key of a token: its SHA-256 in hex (WEB_TOKEN_MAX). */
static void
web_token_key(const char *token, char *out)
{
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(token), (const uint8_t *)token);
	sha256_digest(&ctx, sizeof d, d);
	web_hex(d, sizeof d, out);
}

void
web_prepare(void)
{
	web_decoy();
}

int
web_login(struct store *st, const char *name, const char *password,
    time_t now, char *token, struct store_account *a)
{
	unsigned char r[32];
	char key[WEB_TOKEN_MAX];
	int found = 0, ok;

	if (strlen(name) <= WEB_NAME_MAX && strlen(password) <=
	    WEB_PASSWORD_MAX && (found = store_account_find(st, name, a)) ==
	    -1)
		return -1;
	ok = web_password_ok(password, found == 1 ? a->hash : web_decoy());
	if (found != 1 || !ok)
		return 0;
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		log_warn("web: getrandom: %s", strerror(errno));
		return -1;
	}
	web_hex(r, sizeof r, token);
	web_token_key(token, key);
	if (store_session_add(st, key, a->id, now) == -1)
		return -1;
	return 1;
}

/* The session's token in a Cookie header into token: 1, or 0. */
static int
web_cookie_token(const char *cookie, char *token)
{
	const char *p = cookie;
	size_t n = strlen(WEB_COOKIE);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " ;");
		if (strncmp(p, WEB_COOKIE, n) == 0 && p[n] == '=' &&
		    strspn(p + n + 1, "0123456789abcdef") ==
		    WEB_TOKEN_MAX - 1) {
			memcpy(token, p + n + 1, WEB_TOKEN_MAX - 1);
			token[WEB_TOKEN_MAX - 1] = '\0';
			return 1;
		}
		p = strchr(p, ';');
	}
	return 0;
}

int
web_session(struct store *st, const struct config *cf, const char *cookie,
    time_t now, char *token, struct store_account *a)
{
	char key[WEB_TOKEN_MAX];
	time_t created;
	int rc;

	token[0] = '\0';
	if (cookie == NULL || !web_cookie_token(cookie, token))
		return 0;
	web_token_key(token, key);
	rc = store_session_find(st, key, now - cf->http_session_max,
	    now - cf->http_session_idle, a, &created);
	if (rc == 1 && store_session_touch(st, key, now) == -1)
		return -1;
	return rc;
}

int
web_logout(struct store *st, const char *token)
{
	char key[WEB_TOKEN_MAX];

	web_token_key(token, key);
	return store_session_remove(st, key) == -1 ? -1 : 0;
}

int
web_expire(struct store *st, const struct config *cf, time_t now)
{
	return store_session_expire(st, now - cf->http_session_max,
	    now - cf->http_session_idle);
}

/* A village's code and its township's, as STORE_REPORT_VILLAGE finds. */
struct web_village {
	char	code[33];
	char	township[33];
	int	found;
};

static void
web_village_cb(const struct store_report_row *r, void *arg)
{
	struct web_village *v = arg;

	snprintf(v->code, sizeof v->code, "%s", r->t[1]);
	snprintf(v->township, sizeof v->township, "%s", r->t[3]);
	v->found = 1;
}

int
web_may_see(struct store *st, const struct store_account *a,
    const char *code, int ticket)
{
	struct store_ticket t;
	struct web_village v;
	int rc;

	memset(&v, 0, sizeof v);
	if (ticket) {
		if ((rc = store_ticket_find(st, code, &t)) != 1)
			return rc == 0 ? 2 : -1;
		snprintf(v.code, sizeof v.code, "%s", t.village);
		snprintf(v.township, sizeof v.township, "%s", t.township);
		v.found = 1;
		store_ticket_clear(&t);
	} else
		rc = store_report(st, STORE_REPORT_VILLAGE, NULL, 0, code,
		    web_village_cb, &v);
	if (rc == -1)
		return -1;
	if (!v.found)
		return 2;
	if (strcmp(a->role, "county") == 0)
		return 1;
	if (strcmp(a->role, "township") == 0)
		return strcmp(v.township, a->scope) == 0;
	return strcmp(v.code, a->scope) == 0;
}

const char *
web_role_name(const char *role)
{
	if (strcmp(role, "county") == 0)
		return "县级";
	if (strcmp(role, "township") == 0)
		return "乡镇";
	return "村";
}

void
web_bar(struct buf *b, const struct store_account *a)
{
	if (a == NULL)
		return;
	buf_adds(b, "<form class=\"who noprint\" method=\"post\" "
	    "action=\"/logout\">");
	page_html(b, a->name);
	buf_printf(b, "（%s", web_role_name(a->role));
	if (a->scope_name[0] != '\0') {
		buf_adds(b, " · ");
		page_html(b, a->scope_name);
	}
	buf_adds(b, "）<button type=\"submit\">退出登录</button></form>\n");
}

void
web_login_page(struct buf *b, const char *error)
{
	page_head(b, "登录 · 村务短信", 0);
	buf_adds(b, "<h1>村务短信 · 登录</h1>\n");
	if (error != NULL)
		buf_printf(b, "<p class=\"bad\">%s</p>\n", error);
	buf_adds(b, "<form method=\"post\" action=\"/login\" class=\"box\" "
	    "style=\"max-width:340px\">\n"
	    "<p><label>用户名<br><input name=\"name\" autocomplete=\"username\" "
	    "required autofocus style=\"width:100%\"></label></p>\n"
	    "<p><label>密码<br><input name=\"password\" type=\"password\" "
	    "autocomplete=\"current-password\" required style=\"width:100%\">"
	    "</label></p>\n<p><button type=\"submit\">登录</button></p>\n"
	    "</form>\n<p class=\"note\">账号由县里的管理员开设。忘记密码请找"
	    "管理员重设。</p>\n");
	page_foot(b);
}

void
web_refusal_page(struct buf *b, const char *title, const char *text)
{
	page_head(b, title, 0);
	buf_printf(b, "<h1>%s</h1>\n<p>%s</p>\n<p><a href=\"/\">回到首页</a>"
	    "</p>\n", title, text);
	page_foot(b);
}
