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
#include "handlers/help.h"
#include "handlers/numeral.h"

#define CHECKIN_PAUSE_MAX	90

static const char *const checkin_templates[] = {
	"checkin_ok", "checkin_prompt", "checkin_remind",
	"checkin_alert_guardian", "checkin_alert_cadre",
	"checkin_alert_township", "checkin_allclear", "checkin_confirm_ok",
	"checkin_sos_alert", "checkin_sos_repeat", "checkin_sos_ok",
	"checkin_sos_none", "checkin_pause_ok", "checkin_resume_ok",
	"checkin_not_found", "checkin_pause_how", "checkin_status_checked",
	"checkin_status_confirmed", "checkin_status_open",
	"checkin_status_alerted", "checkin_status_paused", "checkin_status_none",
	"hint", "register_how", NULL
};

extern const struct handler handler_checkin_sos;
extern const struct handler handler_quiet;

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

/* What the fallback would say: the sender's hint. */
static int
checkin_hint(struct handler_ctx *ctx)
{
	return help_reply(ctx, 1);
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

/* How to pause, about e: the sender's arguments did not parse. */
static int
checkin_how(struct handler_ctx *ctx, const struct store_elder *e)
{
	return handler_how(ctx, "checkin_pause_how", "elder", e->name, NULL);
}

/* The elder is well today, as source tells; confirmed. 0 or -1. */
static int
checkin_well(struct handler_ctx *ctx, const char *source)
{
	struct checkin_ctx c;
	struct store_elder e;
	int rc;

	if ((rc = checkin_sender(ctx, &e)) != 1)
		return rc == -1 ? -1 : checkin_hint(ctx);
	checkin_ctx_init(&c, ctx);
	if ((rc = checkin_record(&c, &e, source, 1)) == -1)
		return -1;
	/* The first was confirmed by checkin_record; later ones too. */
	if (rc == 0 && checkin_confirms(ctx->cf, &e))
		return checkin_reply(ctx, "checkin_ok", &e, NULL, NULL);
	return 0;
}

/* 平安 · PA · OK: the elder is well today. */
static int
checkin_ok_run(struct handler_ctx *ctx)
{
	return checkin_well(ctx, "keyword");
}

/* Any other text from an elder (没事, 收到, 吃了): a sign of life. */
static int
checkin_any_run(struct handler_ctx *ctx)
{
	return checkin_well(ctx, "sms");
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
 * The elder the sender means by arg, among those they are guardian or
 * cadre of, whatever their number: the one whose name arg holds or whose
 * code it starts with; with no arg (or none named), their only one.
 * -1 / 0 / 1.
 */
static int
checkin_related(struct handler_ctx *ctx, const char *arg,
    struct store_elder *out)
{
	int64_t ids[2];
	int n, rc;

	if (arg != NULL && *arg != '\0') {
		rc = store_elder_related_find(ctx->store, ctx->sender, arg, out);
		if (rc != 0)
			return rc;
	}
	if ((n = store_elder_related(ctx->store, ctx->sender, ids, 2)) != 1)
		return n == -1 ? -1 : 0;
	return store_elder_get(ctx->store, ids[0], out);
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
	const char *arg = handler_arg(ctx, "elder"), *note;
	struct checkin_ctx c;
	struct store_elder e;
	char *by;
	int rc;

	if ((rc = checkin_related(ctx, arg, &e)) != 1)
		return rc == -1 ? -1 : handler_reply(ctx, "checkin_not_found",
		    "name", arg != NULL ? arg : "", NULL);
	checkin_ctx_init(&c, ctx);
	by = checkin_by_name(ctx, &e);
	note = handler_text(ctx, "note");
	if (note == NULL)
		note = handler_text(ctx, "elder");
	if (note == NULL)
		note = ctx->raw;
	rc = checkin_confirm(&c, &e, ctx->sender, by, note);
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
	d = days != NULL ? numeral_days(days) : 0;
	if (d < 1 || d > CHECKIN_PAUSE_MAX)
		return checkin_how(ctx, &e);
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

	/* Not a distress text, nor a phone's auto-reply: the elder wrote. */
	if (h == &handler_checkin_sos || h == &handler_quiet ||
	    ctx->person == NULL ||
	    !(ctx->person->roles & ROLE_ELDERLY))
		return 0;
	if ((rc = checkin_sender(ctx, &e)) != 1)
		return rc;
	checkin_ctx_init(&c, ctx);
	return checkin_record(&c, &e, "sms", 0) == -1 ? -1 : 0;
}

/* Local "HH:MM" of t into out (8 bytes). */
static const char *
checkin_clock(const struct config *cf, time_t t, char *out)
{
	struct tm tm;

	if (tz_local(cf->timezone, t, &tm) != 0)
		snprintf(out, 8, "--:--");
	else
		snprintf(out, 8, "%02d:%02d", tm.tm_hour, tm.tm_min);
	return out;
}

/* 我妈今天报平安了没有: where the elder's day stands, for a guardian. */
static int
checkin_status_run(struct handler_ctx *ctx)
{
	struct store_checkin_day d;
	struct store_elder e;
	char clock[8], date[11];
	const char *key;
	time_t at = 0;
	int rc, day;

	if ((rc = checkin_related(ctx, handler_arg(ctx, "elder"), &e)) != 1)
		return rc == -1 ? -1 : handler_reply(ctx, "checkin_not_found",
		    "name", "", NULL);
	day = checkin_day_of(ctx->cf, ctx->now);
	if (e.paused_until >= day) {
		checkin_day_format(e.paused_until, date);
		return handler_reply(ctx, "checkin_status_paused",
		    "elder", e.name, "date", date + 5, NULL);
	}
	if ((rc = store_checkin_day_find(ctx->store, e.id, day, &d)) == -1)
		return -1;
	if (rc == 0)
		key = "checkin_status_none";
	else if (strcmp(d.status, "checked") == 0) {
		key = "checkin_status_checked";
		at = d.checked_in_at;
	} else if (strcmp(d.status, "confirmed") == 0) {
		key = "checkin_status_confirmed";
		at = d.resolved_at;
	} else if (strcmp(d.status, "paused") == 0) {
		checkin_day_format(day, date);
		return handler_reply(ctx, "checkin_status_paused",
		    "elder", e.name, "date", date + 5, NULL);
	} else if (d.step > 0 || (d.remind_at != 0 && d.remind_at <=
	    ctx->now))
		key = "checkin_status_alerted";
	else {
		key = "checkin_status_open";
		at = d.remind_at;
	}
	checkin_clock(ctx->cf, at, clock);
	return handler_reply(ctx, key, "elder", e.name, "time", clock,
	    "code", "", NULL);
}

const struct handler handler_checkin_status = {
	.name = "checkin.status",
	.roles = ROLE_ANYONE,
	.run = checkin_status_run,
	.templates = checkin_templates,
};

const struct handler handler_checkin_any = {
	.name = "checkin.any",
	.roles = ROLE_ANYONE,
	.run = checkin_any_run,
	.templates = checkin_templates,
};

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
