/*
 * web: accounts and their scope in the store, logging in (a yescrypt
 * hash; the same refusal for an unknown name as for a wrong password),
 * sessions that lapse when idle or old, what each role may see, on either
 * engine (tests/unit/testdb.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/config.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "gateway/web.h"
#include "tests/unit/testdb.h"

#define NOW	1795737600	/* 2026-11-27 00:00 UTC */

struct world {
	struct store	*st;
	struct config	 cf;
	char		*ticket_mz;	/* a ticket of LJZ (MZ) */
	char		*ticket_yjg;	/* a ticket of GMS (YJG) */
};

static void
account(struct world *w, const char *name, const char *password,
    const char *role, const char *scope)
{
	char *hash, *cause = NULL;

	if ((hash = web_password_hash(password, &cause)) == NULL)
		fail_msg("%s", cause);
	assert_true(strncmp(hash, "$y$", 3) == 0);
	if (store_account_add(w->st, name, hash, role, scope, NOW,
	    &cause) == -1)
		fail_msg("%s", cause);
	free(hash);
}

static void
ticket(struct world *w, const char *code, const char *village)
{
	struct store_village v;
	struct store_ticket t;
	int64_t id;

	assert_int_equal(store_village_find(w->st, village, &v), 1);
	memset(&t, 0, sizeof t);
	snprintf(t.code, sizeof t.code, "%s", code);
	snprintf(t.reporter, sizeof t.reporter, "+8613900000001");
	t.village_id = v.id;
	t.text = (char *)"路灯坏了";
	t.reply = (char *)"";
	snprintf(t.status, sizeof t.status, "open");
	t.created_at = t.updated_at = NOW;
	t.accept_due = NOW + 86400;
	t.resolve_due = NOW + 3 * 86400;
	assert_int_equal(store_ticket_insert(w->st, &t, &id), 1);
}

static int
setup(void **state)
{
	struct world *w = xcalloc(1, sizeof *w);
	char *cause = NULL;

	if ((w->st = store_open(test_db(), &cause)) == NULL)
		fail_msg("%s", cause);
	w->cf.http_session_idle = 30 * 60;
	w->cf.http_session_max = 12 * 3600;
	assert_int_equal(store_township_add(w->st, "MZ", "米脂镇", NOW,
	    &cause), 0);
	assert_int_equal(store_township_add(w->st, "YJG", "杨家沟镇", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "LJZ", "刘家庄", "MZ", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "WJC", "王家村", "MZ", NOW,
	    &cause), 0);
	assert_int_equal(store_village_add(w->st, "GMS", "高庙山村", "YJG",
	    NOW, &cause), 0);
	assert_int_equal(store_person_put(w->st, "+8613900000001", "王秀英",
	    "LJZ", ROLE_RESIDENT, NULL, NOW, &cause), 1);
	ticket(w, "T1", "LJZ");
	ticket(w, "T2", "GMS");
	account(w, "county", "county-password", "county", "");
	account(w, "mz", "township-password", "township", "MZ");
	account(w, "ljz", "village-password", "village", "LJZ");
	*state = w;
	return 0;
}

static int
teardown(void **state)
{
	struct world *w = *state;

	store_close(w->st);
	free(w);
	return 0;
}

static void
test_accounts_keep_their_scope(void **state)
{
	struct world *w = *state;
	struct store_account a;
	char *cause = NULL;

	assert_int_equal(store_account_find(w->st, "mz", &a), 1);
	assert_string_equal(a.role, "township");
	assert_string_equal(a.scope, "MZ");
	assert_string_equal(a.scope_name, "米脂镇");
	assert_int_equal(store_account_find(w->st, "ljz", &a), 1);
	assert_string_equal(a.scope, "LJZ");
	assert_string_equal(a.scope_name, "刘家庄");
	assert_int_equal(store_account_find(w->st, "county", &a), 1);
	assert_string_equal(a.scope, "");
	assert_int_equal(store_account_find(w->st, "nobody", &a), 0);
	/* What cannot be kept is refused, and says why. */
	assert_int_equal(store_account_add(w->st, "x", "$y$", "township",
	    "NOPE", NOW, &cause), -1);
	assert_string_equal(cause, "no township NOPE");
	free(cause);
	assert_int_equal(store_account_add(w->st, "x", "$y$", "village",
	    "MZ", NOW, &cause), -1);
	assert_string_equal(cause, "no village MZ");
	free(cause);
	assert_int_equal(store_account_add(w->st, "x", "$y$", "mayor", "",
	    NOW, &cause), -1);
	free(cause);
	assert_int_equal(store_account_add(w->st, "mz", "$y$", "county", "",
	    NOW, &cause), -1);
	assert_non_null(strstr(cause, "already exists"));
	free(cause);
}

static void
test_login_refuses_alike_and_sessions_lapse(void **state)
{
	struct world *w = *state;
	struct store_account a;
	char token[WEB_TOKEN_MAX], again[WEB_TOKEN_MAX], *cookie;

	assert_int_equal(web_login(w->st, "mz", "wrong-password", NOW, token,
	    &a), 0);
	assert_int_equal(web_login(w->st, "nobody", "township-password", NOW,
	    token, &a), 0);
	assert_int_equal(web_login(w->st, "", "", NOW, token, &a), 0);
	assert_int_equal(web_login(w->st, "mz", "township-password", NOW,
	    token, &a), 1);
	assert_int_equal(strlen(token), WEB_TOKEN_MAX - 1);
	assert_string_equal(a.name, "mz");

	/* The cookie among others, as a browser sends it. */
	cookie = xasprintf("lang=zh; " WEB_COOKIE "=%s; x=1", token);
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 60, again,
	    &a), 1);
	assert_string_equal(again, token);
	assert_string_equal(a.scope, "MZ");
	/* Used 29 minutes later, then 29 more: alive, as each use renews. */
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 29 * 60,
	    again, &a), 1);
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 58 * 60,
	    again, &a), 1);
	/* Unused for 31 minutes: gone. */
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 89 * 60,
	    again, &a), 0);
	free(cookie);

	/* Used every 20 minutes, but 12 hours old: gone. */
	assert_int_equal(web_login(w->st, "county", "county-password", NOW,
	    token, &a), 1);
	cookie = xasprintf(WEB_COOKIE "=%s", token);
	for (int m = 20; m < 12 * 60; m += 20)
		assert_int_equal(web_session(w->st, &w->cf, cookie,
		    NOW + m * 60, again, &a), 1);
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 12 * 3600,
	    again, &a), 0);
	/* Both lapsed sessions are swept, no live one. */
	assert_int_equal(web_login(w->st, "ljz", "village-password",
	    NOW + 12 * 3600, token, &a), 1);
	assert_int_equal(web_expire(w->st, &w->cf, NOW + 12 * 3600 + 60), 2);
	free(cookie);

	/* Logging out ends it; removing an account ends its sessions. */
	cookie = xasprintf(WEB_COOKIE "=%s", token);
	assert_int_equal(web_logout(w->st, token), 0);
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 12 * 3600,
	    again, &a), 0);
	assert_int_equal(web_login(w->st, "ljz", "village-password",
	    NOW + 12 * 3600, token, &a), 1);
	free(cookie);
	cookie = xasprintf(WEB_COOKIE "=%s", token);
	assert_int_equal(store_account_remove(w->st, "ljz"), 1);
	assert_int_equal(web_session(w->st, &w->cf, cookie, NOW + 12 * 3600,
	    again, &a), 0);
	assert_int_equal(store_account_remove(w->st, "ljz"), 0);
	free(cookie);
	/* Nothing that is not a token of ours. */
	assert_int_equal(web_session(w->st, &w->cf, WEB_COOKIE "=zz", NOW,
	    again, &a), 0);
	assert_int_equal(web_session(w->st, &w->cf, NULL, NOW, again, &a), 0);
}

static void
test_each_role_sees_its_own(void **state)
{
	struct world *w = *state;
	struct store_account county, mz, ljz;

	assert_int_equal(store_account_find(w->st, "county", &county), 1);
	assert_int_equal(store_account_find(w->st, "mz", &mz), 1);
	assert_int_equal(store_account_find(w->st, "ljz", &ljz), 1);
	assert_int_equal(web_may_see(w->st, &county, "GMS", 0), 1);
	assert_int_equal(web_may_see(w->st, &county, "T2", 1), 1);
	assert_int_equal(web_may_see(w->st, &mz, "LJZ", 0), 1);
	assert_int_equal(web_may_see(w->st, &mz, "WJC", 0), 1);
	assert_int_equal(web_may_see(w->st, &mz, "T1", 1), 1);
	assert_int_equal(web_may_see(w->st, &mz, "GMS", 0), 0);
	assert_int_equal(web_may_see(w->st, &mz, "T2", 1), 0);
	assert_int_equal(web_may_see(w->st, &ljz, "LJZ", 0), 1);
	assert_int_equal(web_may_see(w->st, &ljz, "T1", 1), 1);
	assert_int_equal(web_may_see(w->st, &ljz, "WJC", 0), 0);
	assert_int_equal(web_may_see(w->st, &ljz, "T2", 1), 0);
	assert_int_equal(web_may_see(w->st, &mz, "NOPE", 0), 2);
	assert_int_equal(web_may_see(w->st, &ljz, "T9", 1), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_accounts_keep_their_scope,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_login_refuses_alike_and_sessions_lapse, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_each_role_sees_its_own,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
