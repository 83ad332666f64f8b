/*
 * http_pages — the status pages' side of gateway/http.c: the login form,
 * its session cookie and logout, who may see which page (gateway/web.c
 * decides; this file answers through http.c), the pages themselves, each
 * view audited, and which addresses may read /metrics and /healthz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/config.h"
#include "gateway/http.h"
#include "gateway/http_private.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "gateway/web.h"

#define HTTP_LOGINS_PER_SECOND	4	/* each a yescrypt on the loop */

void
http_pages_env(const struct http_env *env, struct pages_env *e)
{
	memset(e, 0, sizeof *e);
	e->cf = env->cf;
	e->st = env->st;
	e->modems = env->modems;
	e->nmodems = env->nmodems;
	e->now = now_real();
}

/* May the peer read /metrics and /healthz? 1, or 0 having said 403. */
int
http_monitor_ok(const struct http_env *env, struct evhttp_request *req)
{
	const char *peer = http_peer(req);

	if (config_monitor_allows(env->cf, peer))
		return 1;
	http_text(req, 403, "forbidden: %s is not in [http] monitor",
	    peer != NULL ? peer : "the peer");
	return 0;
}

/*
 * Send the document in b (freed) with code. The pages need nothing but
 * their own inline style and forms to this server: a policy that allows
 * only that, and no framing, stands behind the escaping.
 */
static void
http_html(struct evhttp_request *req, int code, struct buf *b)
{
	char *s = buf_take(b);

	buf_free(b);
	http_add_header(req, "Content-Security-Policy", "default-src 'none'; "
	    "style-src 'unsafe-inline'; form-action 'self'; "
	    "frame-ancestors 'none'; base-uri 'none'");
	http_add_header(req, "X-Content-Type-Options", "nosniff");
	http_add_header(req, "Referrer-Policy", "no-referrer");
	http_reply(req, code, "text/html; charset=utf-8", s);
	free(s);
}

/* A refusal page, in Chinese. */
static void
http_refuse(struct evhttp_request *req, int code, const char *title,
    const char *text)
{
	struct buf b;

	memset(&b, 0, sizeof b);
	web_refusal_page(&b, title, text);
	http_html(req, code, &b);
}

/* 303 to location, setting cookie when not NULL. */
static void
http_redirect(struct evhttp_request *req, const char *location,
    const char *cookie)
{
	http_add_header(req, "Location", location);
	if (cookie != NULL)
		http_add_header(req, "Set-Cookie", cookie);
	http_reply(req, 303, "text/plain; charset=utf-8", "");
}

/* The status page as a's scope allows. */
static void
http_status_page(const struct http_env *env, struct evhttp_request *req,
    const struct store_account *a)
{
	struct pages_env e;
	struct buf b;
	char *loc;
	int rc;

	if (strcmp(a->role, "village") == 0) {
		loc = xasprintf("/village/%s", a->scope);
		http_redirect(req, loc, NULL);
		free(loc);
		return;
	}
	memset(&b, 0, sizeof b);
	http_pages_env(env, &e);
	e.account = a;
	if (strcmp(a->role, "township") == 0)
		e.township = a->scope;
	rc = status_page_write(&b, &e);
	if (rc != 0) {
		buf_free(&b);
		http_text(req, 500, "status: store error");
	} else
		http_html(req, 200, &b);
}

/*
 * GET /village/CODE, /ticket/CODE: the page if a may see it, 403 if not,
 * 404 in Chinese for a code that is not there (or could not be one: 1-32
 * letters, digits, - or _).
 */
static void
http_item_page(const struct http_env *env, struct evhttp_request *req,
    const struct store_account *a, const char *code, int ticket)
{
	struct pages_env e;
	struct buf b;
	size_t n = strlen(code);
	int rc = 2;

	memset(&b, 0, sizeof b);
	http_pages_env(env, &e);
	e.account = a;
	if (n > 0 && n <= 32 && strspn(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == n)
		rc = web_may_see(env->st, a, code, ticket);
	if (rc == 0) {
		http_refuse(req, 403, "无权查看", ticket ? "这张工单不在您的"
		    "管辖范围内。" : "这个村不在您的管辖范围内。");
		return;
	}
	if (rc == 1)
		rc = ticket ? status_page_ticket(&b, &e, code) :
		    status_page_village(&b, &e, code);
	else if (rc == 2)
		rc = 0;
	if (rc == 0) {
		buf_free(&b);
		status_page_missing(&b, ticket ? "该工单" : "该村");
	}
	if (rc == -1) {
		buf_free(&b);
		http_text(req, 500, "status: store error");
	} else
		http_html(req, rc == 0 ? 404 : 200, &b);
}

/* The Set-Cookie of a session with token, or of none ("" : removed). */
static char *
http_cookie(const char *token)
{
	return xasprintf("%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
	    WEB_COOKIE, token, token[0] == '\0' ? "; Max-Age=0" : "");
}

void
http_login_form(struct evhttp_request *req)
{
	struct buf b;

	memset(&b, 0, sizeof b);
	web_login_page(&b, NULL);
	http_html(req, 200, &b);
}

/* POST /login: the same answer for an unknown name as a wrong password. */
void
http_login_post(const struct http_env *env, struct http_pace *pace,
    struct evhttp_request *req, time_t now)
{
	static const char *const fields[] = { "name", "password" };
	struct store_account a;
	struct buf b;
	char token[WEB_TOKEN_MAX], *v[2], *cookie, *cause = NULL;
	int rc = -2;

	if (pace->second != now) {
		pace->second = now;
		pace->logins = 0;
	}
	if (++pace->logins > HTTP_LOGINS_PER_SECOND) {
		http_refuse(req, 429, "请稍后再试", "登录的人太多，请过一会儿"
		    "再试。");
		return;
	}
	if (http_form(req, fields, v, 2) == 0 && v[0] != NULL &&
	    v[1] != NULL && *v[0] != '\0' && *v[1] != '\0')
		rc = web_login(env->st, v[0], v[1], now, token, &a);
	memset(&b, 0, sizeof b);
	if (rc == 1 && store_audit(env->st, now, a.name, "web", "login",
	    NULL, http_peer(req)) == 0) {
		cookie = http_cookie(token);
		http_redirect(req, "/", cookie);
		free(cookie);
	} else if (rc == 0 || rc == -2) {
		if (rc == 0)
			store_audit(env->st, now, "web", "web",
			    "login.failed", web_name_check(v[0], &cause) == 0 ?
			    v[0] : "?", http_peer(req));
		free(cause);
		web_login_page(&b, rc == 0 ? "用户名或密码不对。" :
		    "请填写用户名和密码。");
		http_html(req, rc == 0 ? 401 : 400, &b);
	} else
		http_refuse(req, 503, "暂时无法登录", "系统的数据库暂时不可用，"
		    "请过几分钟再试。");
	free(v[0]);
	if (v[1] != NULL)
		explicit_bzero(v[1], strlen(v[1]));
	free(v[1]);
}

/* POST /logout: the session ends; back to the login form. */
void
http_logout(const struct http_env *env, struct evhttp_request *req, time_t now)
{
	struct store_account a;
	char token[WEB_TOKEN_MAX], *cookie;

	if (web_session(env->st, env->cf, http_header(req,
	    "Cookie"), now, token, &a) == 1)
		store_audit(env->st, now, a.name, "web", "logout", NULL,
		    NULL);
	if (token[0] != '\0')
		web_logout(env->st, token);
	cookie = http_cookie("");
	http_redirect(req, "/login", cookie);
	free(cookie);
}

/*
 * The pages behind the login: /, /village/CODE, /ticket/CODE, each view
 * in the audit log under the account's name.
 */
void
http_page(const struct http_env *env, struct evhttp_request *req, const char *path,
    time_t now)
{
	struct store_account a;
	char token[WEB_TOKEN_MAX];
	int rc;

	rc = web_session(env->st, env->cf, http_header(req,
	    "Cookie"), now, token, &a);
	if (rc == 0) {
		http_redirect(req, "/login", NULL);
		return;
	}
	if (rc == -1 || store_audit(env->st, now, a.name, "web",
	    "page.view", path, NULL) == -1) {
		http_refuse(req, 503, "暂时无法查看", "系统的数据库暂时不可用，"
		    "请过几分钟再试。");
		return;
	}
	if (strcmp(path, "/") == 0)
		http_status_page(env, req, &a);
	else if (strncmp(path, "/village/", 9) == 0)
		http_item_page(env, req, &a, path + 9, 0);
	else
		http_item_page(env, req, &a, path + 8, 1);
}
