/*
 * checkin — the elderly check-in over SMS: 平安/PA/OK from an elder
 * checks in (so does any SMS from them: checkin_inbound, and a digit
 * answering the reminder); 求助/QZ/SOS raises an urgent alert; a guardian
 * or cadre confirms with 已确认/QR <elder> [note], pauses with
 * 暂停/ZT <elder> <days> and resumes with 恢复/HF <elder>. <elder> is the
 * elder's name or code; whoever is neither guardian nor cadre of that
 * elder is told "not found" and nothing changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/checkin.h"
#include "handlers/handler.h"

#define CHECKIN_RELATED_MAX	64
#define CHECKIN_PAUSE_MAX	90

static const char *const checkin_templates[] = {
	"checkin_ok", "checkin_prompt", "checkin_remind",
	"checkin_alert_guardian", "checkin_alert_cadre",
	"checkin_alert_township", "checkin_allclear", "checkin_confirm_ok",
	"checkin_sos_alert", "checkin_sos_repeat", "checkin_sos_ok",
	"checkin_sos_none", "checkin_pause_ok", "checkin_resume_ok",
	"checkin_not_found", "checkin_pause_how", "hint", "register_how",
	NULL
};

extern const struct handler handler_checkin_sos;

static void
checkin_ctx_init(struct checkin_ctx *c, struct handler_ctx *ctx)
{
	c->st = ctx->store;
	c->cf = ctx->cf;
	c->tpl = ctx->tpl;
	c->now = ctx->now;
	c->actor = ctx->sender;
	c->channel = ctx->channel;
	c->message_id = ctx->message_id;
}

/* The sender as an active elder: -1 / 0 / 1. */
static int
checkin_sender(struct handler_ctx *ctx, struct store_elder *e)
{
	int rc;

	if ((rc = store_elder_find(ctx->store, ctx->sender, e)) != 1)
		return rc;
	return e->active ? 1 : 0;
}

/* What the fallback would say: the hint, or how to register. */
static int
checkin_hint(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;

	if (p != NULL && p->village[0] != '\0')
		return handler_reply(ctx, "hint", "name", p->name,
		    "village", p->village_name, NULL);
	return handler_reply(ctx, "register_how", NULL);
}

/* Reply key about e (its name, code, village). 0 or -1. */
static int
checkin_reply(struct handler_ctx *ctx, const char *key,
    const struct store_elder *e, const char *days, const char *date)
{
	char code[24];

	snprintf(code, sizeof code, "%lld", (long long)e->id);
	return handler_reply(ctx, key, "elder", e->name, "code", code,
	    "village", e->village_name, "days", days != NULL ? days : "",
	    "date", date != NULL ? date : "", NULL);
}

/* 平安 · PA · OK: the elder is well today. */
static int
checkin_ok_run(struct handler_ctx *ctx)
{
	struct checkin_ctx c;
	struct store_elder e;
	int rc;

	if ((rc = checkin_sender(ctx, &e)) != 1)
		return rc == -1 ? -1 : checkin_hint(ctx);
	checkin_ctx_init(&c, ctx);
	if ((rc = checkin_record(&c, &e, "keyword", 1)) == -1)
		return -1;
	/* The first was confirmed by checkin_record; later ones too. */
	if (rc == 0 && checkin_confirms(ctx->cf, &e))
		return checkin_reply(ctx, "checkin_ok", &e, NULL, NULL);
	return 0;
}

/* 求助 · QZ · SOS: urgent to guardians and cadre, repeated. */
static int
checkin_sos_run(struct handler_ctx *ctx)
{
	struct checkin_ctx c;
	struct store_elder e;
	int rc;

	if ((rc = checkin_sender(ctx, &e)) == -1)
		return -1;
	if (rc == 0)
		return handler_reply(ctx, "checkin_sos_none", NULL);
	checkin_ctx_init(&c, ctx);
	if (checkin_sos(&c, &e) == -1)
		return -1;
	return checkin_reply(ctx, "checkin_sos_ok", &e, NULL, NULL);
}

/*
 * The elder the sender means by arg (name or code; NULL: the only one
 * they have), among those they are guardian or cadre of. -1 / 0 / 1.
 */
static int
checkin_related(struct handler_ctx *ctx, const char *arg,
    struct store_elder *out)
{
	int64_t ids[CHECKIN_RELATED_MAX];
	char code[24];
	int n, i, rc;

	if ((n = store_elder_related(ctx->store, ctx->sender, ids,
	    CHECKIN_RELATED_MAX)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((rc = store_elder_get(ctx->store, ids[i], out)) == -1)
			return -1;
		if (rc == 0)
			continue;
		snprintf(code, sizeof code, "%lld", (long long)out->id);
		if ((arg == NULL && n == 1) || (arg != NULL &&
		    (strcmp(arg, out->name) == 0 || strcmp(arg, code) == 0)))
			return 1;
	}
	return 0;
}

static void
checkin_by_cb(const struct store_guardian *g, void *arg)
{
	char **by = arg;

	if (strcmp(g->phone, by[0]) == 0 && by[1] == NULL)
		by[1] = xasprintf("%s%s", g->relation, g->name);
}

/* How the sender is named to others about e (caller frees). */
static char *
checkin_by_name(struct handler_ctx *ctx, const struct store_elder *e)
{
	char *by[2] = { (char *)ctx->sender, NULL };
	char national[PHONE_MAX];
	size_t n = strlen(ctx->cf->country_code);

	if (store_guardians(ctx->store, e->id, checkin_by_cb, by) == 0 &&
	    by[1] != NULL && by[1][0] != '\0')
		return by[1];
	free(by[1]);
	if (ctx->person != NULL && ctx->person->name[0] != '\0')
		return xstrdup(ctx->person->name);
	if (ctx->sender[0] == '+' &&
	    strncmp(ctx->sender + 1, ctx->cf->country_code, n) == 0)
		snprintf(national, sizeof national, "%s", ctx->sender + 1 + n);
	else
		snprintf(national, sizeof national, "%s", ctx->sender);
	return xstrdup(national);
}

/* 已确认 · QR <elder> [note]: a guardian or cadre says all is well. */
static int
checkin_confirm_run(struct handler_ctx *ctx)
{
	const char *arg = handler_arg(ctx, "elder");
	struct checkin_ctx c;
	struct store_elder e;
	char *by;
	int rc;

	if ((rc = checkin_related(ctx, arg, &e)) != 1)
		return rc == -1 ? -1 : handler_reply(ctx, "checkin_not_found",
		    "name", arg != NULL ? arg : "", NULL);
	checkin_ctx_init(&c, ctx);
	by = checkin_by_name(ctx, &e);
	rc = checkin_confirm(&c, &e, ctx->sender, by, handler_arg(ctx,
	    "note"));
	free(by);
	if (rc == -1)
		return -1;
	return checkin_reply(ctx, "checkin_confirm_ok", &e, NULL, NULL);
}

/* 暂停 · ZT <elder> <days>: no ladder for those days. */
static int
checkin_pause_run(struct handler_ctx *ctx)
{
	const char *arg = handler_arg(ctx, "elder");
	const char *days = handler_arg(ctx, "days");
	struct checkin_ctx c;
	struct store_elder e;
	char date[11], n[16];
	int rc, d;

	if ((rc = checkin_related(ctx, arg, &e)) != 1)
		return rc == -1 ? -1 : handler_reply(ctx, "checkin_not_found",
		    "name", arg != NULL ? arg : "", NULL);
	d = days != NULL ? atoi(days) : 0;
	if (d < 1 || d > CHECKIN_PAUSE_MAX)
		return checkin_reply(ctx, "checkin_pause_how", &e, NULL, NULL);
	checkin_ctx_init(&c, ctx);
	if (checkin_pause(&c, &e, d) == -1)
		return -1;
	snprintf(n, sizeof n, "%d", d);
	checkin_day_format(checkin_day_of(ctx->cf, ctx->now) + d - 1, date);
	return checkin_reply(ctx, "checkin_pause_ok", &e, n, date + 5);
}

/* 恢复 · HF <elder>: the pause ends. */
static int
checkin_resume_run(struct handler_ctx *ctx)
{
	const char *arg = handler_arg(ctx, "elder");
	struct checkin_ctx c;
	struct store_elder e;
	int rc;

	if ((rc = checkin_related(ctx, arg, &e)) != 1)
		return rc == -1 ? -1 : handler_reply(ctx, "checkin_not_found",
		    "name", arg != NULL ? arg : "", NULL);
	checkin_ctx_init(&c, ctx);
	if (checkin_resume(&c, &e) == -1)
		return -1;
	return checkin_reply(ctx, "checkin_resume_ok", &e, NULL, NULL);
}

int
checkin_prompt_answer(struct handler_ctx *ctx, const struct store_prompt *p,
    int digit)
{
	struct checkin_ctx c;
	struct store_elder e;
	int rc;

	(void)digit;	/* any answer is a sign of life */
	if ((rc = checkin_sender(ctx, &e)) != 1) {
		if (rc == -1 || store_prompt_close(ctx->store, p->id,
		    "expired", NULL, ctx->now) == -1)
			return -1;
		return checkin_hint(ctx);
	}
	checkin_ctx_init(&c, ctx);
	if ((rc = checkin_record(&c, &e, "prompt", 1)) == -1)
		return -1;
	if (rc == 0 && checkin_confirms(ctx->cf, &e))
		return checkin_reply(ctx, "checkin_ok", &e, NULL, NULL);
	return 0;
}

int
checkin_inbound(struct handler_ctx *ctx, const struct handler *h)
{
	struct checkin_ctx c;
	struct store_elder e;
	int rc;

	if (h == &handler_checkin_sos || ctx->person == NULL ||
	    !(ctx->person->roles & ROLE_ELDERLY))
		return 0;
	if ((rc = checkin_sender(ctx, &e)) != 1)
		return rc;
	checkin_ctx_init(&c, ctx);
	return checkin_record(&c, &e, "sms", 0) == -1 ? -1 : 0;
}

const struct handler handler_checkin_ok = {
	.name = "checkin.ok",
	.roles = ROLE_ANYONE,
	.run = checkin_ok_run,
	.templates = checkin_templates,
};

const struct handler handler_checkin_sos = {
	.name = "checkin.sos",
	.roles = ROLE_ANYONE,
	.run = checkin_sos_run,
	.templates = checkin_templates,
};

const struct handler handler_checkin_confirm = {
	.name = "checkin.confirm",
	.roles = ROLE_ANYONE,
	.run = checkin_confirm_run,
	.templates = checkin_templates,
};

const struct handler handler_checkin_pause = {
	.name = "checkin.pause",
	.roles = ROLE_ANYONE,
	.run = checkin_pause_run,
	.templates = checkin_templates,
};

const struct handler handler_checkin_resume = {
	.name = "checkin.resume",
	.roles = ROLE_ANYONE,
	.run = checkin_resume_run,
	.templates = checkin_templates,
};
