/*
 * util — what cungatectl's commands share besides their options and
 * their lists: errors on stderr, writes through the store (begin, audit,
 * commit), and the checks of what operators type (phone numbers,
 * senders, codes, names) that several commands make.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/ctl/ctl.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

#define CTL_NAME_MAX		128	/* bytes, as store_person.name */
#define CTL_CODE_MAX		32

/* --- errors --- */

static void
ctl_vwarnx(const char *fmt, va_list ap)
{
	fputs("cungatectl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarnx(fmt, ap);
	va_end(ap);
}

/* A failure: one line on stderr, exit status 1. */
enum ctl_exit
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vwarnx(fmt, ap);
	va_end(ap);
	return CTL_EXIT_FAIL;
}

/* Print and free cause: exit status 1. */
enum ctl_exit
ctl_fail_cause(char *cause)
{
	ctl_warnx("%s", cause);
	free(cause);
	return CTL_EXIT_FAIL;
}

/* A usage error in the current command: one line, exit status 2. */
enum ctl_exit
ctl_usage_fail(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cungatectl: %s: ", c->cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_USAGE;
}

/* Wrong arguments: the command's usage as the one line. */
enum ctl_exit
ctl_usage_line(struct ctl *c)
{
	fprintf(stderr, "cungatectl: usage: %s %s\n", c->cmd->name,
	    c->cmd->usage);
	return CTL_EXIT_USAGE;
}

/* A usage error from *cause (freed). */
enum ctl_exit
ctl_usage_cause(struct ctl *c, char *cause)
{
	ctl_usage_fail(c, "%s", cause);
	free(cause);
	return CTL_EXIT_USAGE;
}

/* --- writes --- */

/* Begin a write: 0, or -1 having said the database is busy. */
int
ctl_begin(struct ctl *c)
{
	if (store_begin(c->st) == -1) {
		ctl_warnx("database busy: %s", store_error(c->st));
		return -1;
	}
	return 0;
}

/* Audit a change made through the CLI, inside the open transaction. */
int
ctl_audit(struct ctl *c, const char *action, const char *object,
    const char *detail)
{
	return store_audit(c->st, now_real(), "cli", "cli", action, object,
	    detail);
}

/* Audit the change and commit it, or roll back saying "what: why". */
enum ctl_exit
ctl_commit(struct ctl *c, const char *action, const char *object,
    const char *detail, const char *what)
{
	if (ctl_audit(c, action, object, detail) == -1 ||
	    store_commit(c->st) == -1)
		return ctl_store_fail(c, what);
	return CTL_EXIT_OK;
}

/* A failed write: roll back and say so. */
enum ctl_exit
ctl_store_fail(struct ctl *c, const char *what)
{
	ctl_warnx("%s: %s", what, store_error(c->st));
	store_rollback(c->st);
	return CTL_EXIT_FAIL;
}

/* A write the store refused, with cause (freed): roll back and say so. */
enum ctl_exit
ctl_rollback_cause(struct ctl *c, char *cause)
{
	store_rollback(c->st);
	return ctl_fail_cause(cause);
}

/* The templates, for a command that sends messages; NULL if not. */
struct template *
ctl_templates(struct ctl *c)
{
	struct template *tpl;
	char *cause = NULL;

	if ((tpl = template_load(c->cf->messages, &cause)) == NULL)
		ctl_fail_cause(cause);
	return tpl;
}

/* --- checking what operators type --- */

/* A mobile number to E.164 in out (PHONE_MAX). 0, or -1 with *cause. */
int
ctl_parse_phone(const struct config *cf, const char *in, char *out,
    char **cause)
{
	if (phone_normalise(in, cf->country_code, out) == 0 &&
	    phone_is_mobile(out, cf->country_code))
		return 0;
	/* People get SMS: a landline or a mistyped 12-digit one will not. */
	*cause = xasprintf("\"%s\" is not a mobile number (+%s…, %s… or a "
	    "national mobile number)", in, cf->country_code, cf->country_code);
	return -1;
}

/* Does s hold a control character (C0 or DEL)? 0/1. */
int
ctl_has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * A township or village code: what villagers type on a keypad, so ASCII
 * letters, digits, '-' and '_', at most 32. 0, or -1 with *cause.
 */
int
ctl_check_code(const char *what, const char *s, char **cause)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			break;
	if (*s == '\0' || *p != '\0' || p - s > CTL_CODE_MAX) {
		*cause = xasprintf("%s code \"%s\": expected 1 to %d letters, "
		    "digits, '-' or '_'", what, s, CTL_CODE_MAX);
		return -1;
	}
	return 0;
}

/* A name: UTF-8, no control characters, at most 128 bytes. */
int
ctl_check_name(const char *what, const char *s, int empty_ok, char **cause)
{
	if (!ctl_utf8_is_valid(s))
		*cause = xasprintf("%s is not UTF-8", what);
	else if (ctl_has_control(s))
		*cause = xasprintf("%s has a line break or control "
		    "character", what);
	else if (!empty_ok && *s == '\0')
		*cause = xasprintf("%s is empty", what);
	else if (strlen(s) > CTL_NAME_MAX)
		*cause = xasprintf("%s \"%s\" is longer than %d bytes", what,
		    s, CTL_NAME_MAX);
	else
		return 0;
	return -1;
}

/*
 * A sender as the inbox stores it: normalised when it is a phone number,
 * else (short codes like 10086, alphanumeric senders) as given.
 */
int
ctl_parse_sender(const struct config *cf, const char *in, char *out,
    char **cause)
{
	const char *p;

	if (phone_normalise(in, cf->country_code, out) == 0)
		return 0;
	for (p = in; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '+')
			break;
	if (*in == '\0' || *p != '\0' || strlen(in) >= PHONE_MAX) {
		*cause = xasprintf("\"%s\" is neither a phone number nor a "
		    "short code", in);
		return -1;
	}
	snprintf(out, PHONE_MAX, "%s", in);
	return 0;
}

/*
 * Erase phone's person on request (resident remove, elder remove
 * --forget), in one transaction, and say so. The audit keeps that it was
 * done, with the phone masked.
 */
enum ctl_exit
ctl_forget(struct ctl *c, const char *phone, const char *what)
{
	char masked[PHONE_MAX];
	int rc;

	phone_mask(phone, masked);
	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if ((rc = store_person_forget(c->st, phone, masked)) == -1)
		return ctl_store_fail(c, what);
	if (rc == 0)
		return ctl_rollback_cause(c, xasprintf("%s is not on record",
		    phone));
	if (ctl_commit(c, "person.forget", masked, NULL, what) !=
	    CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	printf("forgot %s: their messages, the messages to them and their "
	    "enrolments are erased; tickets keep their text as from %s\n",
	    phone, masked);
	return CTL_EXIT_OK;
}

int
ctl_count_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	char *end;
	long v;

	(void)c;
	if (strcmp(opt, "limit") != 0 && strcmp(opt, "days") != 0)
		return 0;
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < 1 ||
	    v > CTL_MAX_LIMIT) {
		*cause = xasprintf("--%s \"%s\": expected a number from 1 to %d",
		    opt, value, CTL_MAX_LIMIT);
		return -1;
	}
	return 0;
}
