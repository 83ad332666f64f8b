/*
 * ctl/user — the accounts of the status pages: `user add NAME --role
 * county|township CODE|village CODE`, `user passwd NAME`, `user remove
 * NAME` and `user list`. A password is read from the terminal without
 * echo (twice), or as one line from standard input when that is not a
 * terminal (for scripts), and only its yescrypt hash is stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "gateway/ctl/ctl.h"
#include "gateway/store.h"
#include "gateway/ussd.h"
#include "gateway/util.h"
#include "gateway/web.h"

/* One line of at most WEB_PASSWORD_MAX bytes from f, without its '\n'. */
static int
ctl_user_line(FILE *f, char *out, size_t n)
{
	size_t len;

	if (fgets(out, (int)n, f) == NULL)
		return -1;
	len = strlen(out);
	if (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	else if (!feof(f))
		return -1;	/* longer than a password may be */
	return 0;
}

/* Prompt on the terminal with echo off and read a line: 0 or -1. */
static int
ctl_user_ask(const char *prompt, char *out, size_t n)
{
	struct termios t, quiet;
	int rc;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &t) == -1)
		return -1;
	quiet = t;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	rc = ctl_user_line(stdin, out, n);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	fputc('\n', stderr);
	return rc;
}

/* The new password's hash (free it), or NULL having said why not. */
static char *
ctl_user_password(void)
{
	char pw[WEB_PASSWORD_MAX + 2], again[WEB_PASSWORD_MAX + 2];
	char *hash = NULL, *cause = NULL;
	size_t n;

	if (isatty(STDIN_FILENO)) {
		if (ctl_user_ask("password: ", pw, sizeof pw) == -1 ||
		    ctl_user_ask("again: ", again, sizeof again) == -1) {
			ctl_warnx("no password read");
			goto out;
		}
		if (strcmp(pw, again) != 0) {
			ctl_warnx("the passwords differ");
			goto out;
		}
	} else if (ctl_user_line(stdin, pw, sizeof pw) == -1) {
		ctl_warnx("no password on standard input (one line, at most "
		    "%d bytes)", WEB_PASSWORD_MAX);
		goto out;
	}
	n = strlen(pw);
	if (n < WEB_PASSWORD_MIN || n > WEB_PASSWORD_MAX ||
	    !ussd_utf8_valid(pw, n) || ctl_has_control(pw))
		ctl_warnx("a password is %d to %d bytes of text",
		    WEB_PASSWORD_MIN, WEB_PASSWORD_MAX);
	else if ((hash = web_password_hash(pw, &cause)) == NULL) {
		ctl_warnx("%s", cause);
		free(cause);
	}
out:
	explicit_bzero(pw, sizeof pw);
	explicit_bzero(again, sizeof again);
	return hash;
}

static enum ctl_exit
ctl_user_add(struct ctl *c)
{
	const char *role = ctl_value(c, "role");
	const char *scope = c->nargs > 1 ? c->args[1] : "";
	char *hash, *cause = NULL, *detail;
	enum ctl_exit rc;

	if (web_name_check(c->args[0], &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (role == NULL)
		return ctl_usage_fail(c, "--role county|township CODE|village "
		    "CODE is required");
	if (strcmp(role, "county") == 0) {
		if (c->nargs > 1)
			return ctl_usage_fail(c, "a county account covers every "
			    "township: no CODE");
	} else if (strcmp(role, "township") == 0 ||
	    strcmp(role, "village") == 0) {
		if (c->nargs < 2)
			return ctl_usage_fail(c, "--role %s needs the %s's CODE",
			    role, role);
		if (ctl_check_code(role, scope, &cause) == -1)
			return ctl_usage_cause(c, cause);
	} else
		return ctl_usage_fail(c, "--role: county, township or village");
	if (ctl_store(c) == NULL || (hash = ctl_user_password()) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1) {
		free(hash);
		return CTL_EXIT_FAIL;
	}
	if (store_account_add(c->st, c->args[0], hash, role, scope,
	    now_real(), &cause) == -1) {
		free(hash);
		return ctl_rollback_cause(c, cause);
	}
	free(hash);
	detail = xasprintf("%s%s%s", role, *scope != '\0' ? " " : "", scope);
	rc = ctl_commit(c, "user.add", c->args[0], detail, "user add");
	if (rc == CTL_EXIT_OK)
		printf("added user %s (%s)\n", c->args[0], detail);
	free(detail);
	return rc;
}

const struct ctl_cmd ctl_cmd_user_add = {
	.name = "user add",
	.usage = "NAME --role county|township CODE|village CODE",
	.about = "add an account of the status pages",
	.args = { "role:", 1, 2, NULL },
	.exec = ctl_user_add
};

static enum ctl_exit
ctl_user_passwd(struct ctl *c)
{
	char *hash;
	int rc;

	if (ctl_store(c) == NULL || (hash = ctl_user_password()) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1) {
		free(hash);
		return CTL_EXIT_FAIL;
	}
	rc = store_account_password(c->st, c->args[0], hash);
	free(hash);
	if (rc == -1)
		return ctl_store_fail(c, "user passwd");
	if (rc == 0)
		return ctl_rollback_cause(c, xasprintf("no user %s",
		    c->args[0]));
	if (ctl_commit(c, "user.passwd", c->args[0], NULL, "user passwd") !=
	    CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	printf("new password for %s\n", c->args[0]);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_user_passwd = {
	.name = "user passwd",
	.usage = "NAME",
	.about = "set an account's password (its sessions go on)",
	.args = { "", 1, 1, NULL },
	.exec = ctl_user_passwd
};

static enum ctl_exit
ctl_user_remove(struct ctl *c)
{
	int rc;

	if (ctl_store(c) == NULL || ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if ((rc = store_account_remove(c->st, c->args[0])) == -1)
		return ctl_store_fail(c, "user remove");
	if (rc == 0)
		return ctl_rollback_cause(c, xasprintf("no user %s",
		    c->args[0]));
	if (ctl_commit(c, "user.remove", c->args[0], NULL, "user remove") !=
	    CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	printf("removed user %s and ended its sessions\n", c->args[0]);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_user_remove = {
	.name = "user remove",
	.usage = "NAME",
	.about = "remove an account and end its sessions",
	.args = { "", 1, 1, NULL },
	.exec = ctl_user_remove
};

static void
ctl_user_collect(const struct store_account *a, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "name", a->name);
	ctl_list_str(l, "role", a->role);
	ctl_list_opt(l, "scope", a->scope);
	ctl_list_opt(l, "scope_name", a->scope_name);
	ctl_list_time(l, "created", (time_t)a->created_at);
	ctl_list_time(l, "last_login", (time_t)a->login_at);
}

static enum ctl_exit
ctl_user_list(struct ctl *c)
{
	struct ctl_list l;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	if (store_account_list(c->st, ctl_user_collect, &l) == -1) {
		ctl_list_free(&l);
		return ctl_fail("user list: %s", store_error(c->st));
	}
	ctl_list_print(&l);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_user_list = {
	.name = "user list",
	.usage = "[--json]",
	.about = "list the accounts of the status pages",
	.args = { "json", 0, 0, NULL },
	.exec = ctl_user_list
};
