/*
 * event — the SMS side of village events and notices. Residents list
 * events (活动/HD), sign up (报名/BM <code>) and cancel (取消/QX <code>);
 * cadres publish (发布/FB <MMDD> <capacity> <title>), see the roster
 * (名单/MD <code>) and send notices to their village (通知/TZ <text>),
 * confirming a big one with a bare "1" (prompt.c). The logic is
 * gateway/event.c and gateway/notice.c; this file reads arguments and
 * answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/event.h"
#include "gateway/grievance.h"
#include "gateway/log.h"
#include "gateway/notice.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/event.h"
#include "handlers/handler.h"
#include "handlers/normalise.h"
#include "handlers/numeral.h"
#include "handlers/template.h"

#define EVENT_TITLE_CHARS	20	/* of a title published by SMS */
#define EVENT_CAPACITY_MAX	9999

static const char *const event_templates[] = {
	"register_first", "event_publish_how", "event_bad_date",
	"event_published", "event_list_none", "event_list_head",
	"event_list_item", "event_list_more", "event_signup_how",
	"event_signup_ok", "event_waiting", "event_signup_already",
	"event_waiting_already", "event_not_found", "event_closed",
	"event_other_village", "event_cancel_how", "event_cancel_ok",
	"event_cancel_none", "event_promoted", "event_reminder",
	"event_roster_how", "event_roster_head", "event_roster_item",
	"event_roster_more", "event_announce", NULL
};

static const char *const notice_templates[] = {
	"notice_how", "notice_too_long", "notice_queued", "notice_confirm",
	"notice_none", "notice_hint", "notice_cancelled", "notice_expired",
	NULL
};

static void
event_ctx_init(struct event_ctx *ec, struct handler_ctx *ctx)
{
	memset(ec, 0, sizeof *ec);
	ec->st = ctx->store;
	ec->cf = ctx->cf;
	ec->tpl = ctx->tpl;
	ec->now = ctx->now;
	ec->actor = ctx->sender;
	ec->channel = ctx->channel;
	ec->message_id = ctx->message_id;
}

/* Answer with template key about e, with one more field. 0 or -1. */
static int
event_answer_event(struct handler_ctx *ctx, const char *key,
    const struct store_event *e, const char *name, const char *value)
{
	struct event_ctx ec;

	event_ctx_init(&ec, ctx);
	return handler_reply_text(ctx, event_message(&ec, key, e, name, value));
}

/* Does the sender belong to a village? If not, answered: 0. 1, or -1. */
static int
event_registered(struct handler_ctx *ctx)
{
	if (ctx->person != NULL && ctx->person->village[0] != '\0')
		return 1;
	return handler_reply(ctx, "register_first", NULL) == -1 ? -1 : 0;
}

struct event_titled {
	const char		*text;
	struct store_event	*e;
	size_t			 best;
};

/* The start of title (at most n bytes, whole characters) in text? 0/1. */
static int
event_title_in(const char *text, const char *title, size_t n)
{
	char *head;
	int in;

	if (strlen(title) < n)
		n = strlen(title);
	while (n > 0 && ((unsigned char)title[n] & 0xc0) == 0x80)
		n--;
	head = xstrndup(title, n);
	in = *head != '\0' && strstr(text, head) != NULL;
	free(head);
	return in;
}

static void
event_titled_cb(const struct store_event *e, void *arg)
{
	struct event_titled *t = arg;
	size_t n = strlen(e->title);

	/* The whole title, else its first three characters (广场舞培训). */
	if (event_title_in(t->text, e->title, n))
		n += 1000;
	else if (n < 6 || !event_title_in(t->text, e->title, 9))
		return;
	if (n > t->best) {
		*t->e = *e;
		t->best = n;
	}
}

/*
 * The event code names, open or not, or the open event of the sender's
 * village whose title the text names (报名义诊); for a cadre only one of
 * their own village. 1 found, 0 answered "not found" (or how), -1 on
 * error.
 */
static int
event_lookup(struct handler_ctx *ctx, const char *how, int cadre,
    struct store_event *e)
{
	const char *code = handler_arg(ctx, "code");
	struct event_titled t;
	int rc;

	if (code == NULL && ctx->person != NULL &&
	    ctx->person->village[0] != '\0') {
		t.text = ctx->text;
		t.e = e;
		t.best = 0;
		if (store_event_list(ctx->store, ctx->person->village, 1,
		    event_titled_cb, &t) == -1)
			return -1;
		if (t.best > 0)
			return 1;
	}
	if (code == NULL)
		return handler_how(ctx, how, NULL) == -1 ? -1 : 0;
	rc = strlen(code) < STORE_EVENT_CODE_MAX ?
	    store_event_find(ctx->store, code, e) : 0;
	if (rc == -1)
		return -1;
	if (rc == 1 && (!cadre || strcasecmp(e->village,
	    ctx->person->village) == 0))
		return 1;
	return handler_reply(ctx, "event_not_found", "code", code, NULL) ==
	    -1 ? -1 : 0;
}

/* --- a cadre publishes --- */

/* Words of a 发布 text that are neither date, places nor title. */
static const char *const event_publish_noise[] = {
	"发布一下", "发布", "发活动", "活动", "一下", NULL
};

/*
 * A number of places in word w: 30, 30人, 三十人, 名额50, 限一百人,
 * 15个名额. -1 when w is none of these.
 */
static int
event_places(const char *w)
{
	static const char *const pre[] = { "名额", "限", "共", "招", NULL };
	static const char *const post[] = {
		"个名额", "名额", "个人", "人", "名", "位", "个", NULL
	};
	char *s, *digits;
	size_t i, n;
	int v = -1;

	s = xstrdup(w);
	for (i = 0; pre[i] != NULL; i++)
		if (strncmp(s, pre[i], strlen(pre[i])) == 0) {
			memmove(s, s + strlen(pre[i]), strlen(s) -
			    strlen(pre[i]) + 1);
			break;
		}
	for (i = 0; post[i] != NULL; i++) {
		n = strlen(post[i]);
		if (strlen(s) > n && strcmp(s + strlen(s) - n, post[i]) == 0) {
			s[strlen(s) - n] = '\0';
			break;
		}
	}
	if (*s != '\0' && strspn(s, "0123456789") == strlen(s))
		v = atoi(s);
	else if ((digits = numeral_digits(s)) != NULL) {
		v = atoi(digits);
		free(digits);
	}
	free(s);
	return v;
}

/*
 * Read a 发布 text whose parts come in any order (发活动：五月一号 老年人
 * 体检 名额五十 · 四月二十五号 秧歌排练 四十人 发布一下): the date, the
 * places and the title (what is left). 0, or -1 when one is missing.
 */
static int
event_publish_read(const char *text, int *month, int *day, int *places,
    struct buf *title)
{
	char *words, *w, *last;
	size_t i;
	int n, noise;

	*month = *day = 0;
	*places = -1;
	words = normalise_words(text, strlen(text));
	/* 、 and 。 end words too (other punctuation is ASCII by now). */
	while ((w = strstr(words, "、")) != NULL ||
	    (w = strstr(words, "。")) != NULL)
		memset(w, ' ', 3);
	for (w = strtok_r(words, " :,;.!?", &last); w != NULL;
	    w = strtok_r(NULL, " :,;.!?", &last)) {
		for (noise = 0, i = 0; event_publish_noise[i] != NULL; i++)
			noise |= strcmp(w, event_publish_noise[i]) == 0;
		if (noise)
			continue;
		if (*month == 0 && numeral_date(w, month, day))
			continue;
		if (*places == -1 && (n = event_places(w)) > 0) {
			*places = n;
			continue;
		}
		if (title->len > 0)
			buf_add(title, " ", 1);
		buf_adds(title, w);
	}
	free(words);
	return *month == 0 || *places <= 0 || title->len == 0 ? -1 : 0;
}

static int
event_publish_run(struct handler_ctx *ctx)
{
	const char *date = handler_arg(ctx, "date");
	const char *cap = handler_arg(ctx, "capacity");
	const char *title = handler_text(ctx, "title");
	const char *rest = handler_text(ctx, "rest");
	struct store_village v;
	struct store_event e;
	struct event_ctx ec;
	struct buf tb;
	time_t at;
	char *t;
	int rc, capacity = 0, month = 0, day = 0;

	memset(&tb, 0, sizeof tb);
	/* 0315, 3月15号, 三月十五, 3.15: the date as people write it. */
	if (date != NULL && cap != NULL && title != NULL && *title != '\0' &&
	    strlen(cap) <= 4) {
		capacity = atoi(cap);
		if (!numeral_date(date, &month, &day))
			month = 0;
	} else if (rest != NULL && event_publish_read(rest, &month, &day,
	    &capacity, &tb) == 0)
		title = tb.data;
	if (capacity < 1 || capacity > EVENT_CAPACITY_MAX)
		rc = handler_how(ctx, "event_publish_how", NULL);
	else if (month == 0 || event_date(ctx->cf, ctx->now, month, day,
	    ctx->cf->event_time, &at) == -1)
		rc = handler_reply(ctx, "event_bad_date", "date",
		    date != NULL ? date : "", NULL);
	else if ((rc = store_village_find(ctx->store, ctx->person->village,
	    &v)) != 1)
		rc = rc == 0 ? handler_reply(ctx, "register_first", NULL) : -1;
	else {
		event_ctx_init(&ec, ctx);
		t = grievance_cut(title, EVENT_TITLE_CHARS);
		rc = event_publish(&ec, &v, at, capacity, t, NULL, &e);
		free(t);
		if (rc != -1)
			rc = event_answer_event(ctx, "event_published", &e,
			    NULL, NULL);
	}
	buf_free(&tb);
	return rc;
}

/* --- residents --- */

static int
event_list_run(struct handler_ctx *ctx)
{
	struct event_ctx ec;
	int rc;

	if ((rc = event_registered(ctx)) != 1)
		return rc;
	event_ctx_init(&ec, ctx);
	return handler_reply_text(ctx, event_list_text(&ec, ctx->person->village));
}

static int
event_signup_run(struct handler_ctx *ctx)
{
	struct store_event e;
	struct event_ctx ec;
	char pos[16];
	int rc, n = 0;

	if ((rc = event_registered(ctx)) != 1)
		return rc;
	if ((rc = event_lookup(ctx, "event_signup_how", 0, &e)) != 1)
		return rc;
	if (strcmp(e.status, "open") != 0)
		return event_answer_event(ctx, "event_closed", &e, NULL,
		    NULL);
	event_ctx_init(&ec, ctx);
	if ((rc = event_may_join(&ec, &e, ctx->person)) != 1)
		return rc == -1 ? -1 : event_answer_event(ctx,
		    "event_other_village", &e, NULL, NULL);
	if ((rc = event_signup(&ec, &e, ctx->sender, &n)) == -1)
		return -1;
	snprintf(pos, sizeof pos, "%d", n);
	switch (rc) {
	case EVENT_CONFIRMED:
		return event_answer_event(ctx, "event_signup_ok", &e, "number",
		    pos);
	case EVENT_WAITING:
		return event_answer_event(ctx, "event_waiting", &e,
		    "position", pos);
	case EVENT_ALREADY_CONFIRMED:
		return event_answer_event(ctx, "event_signup_already", &e,
		    "number", pos);
	default:
		return event_answer_event(ctx, "event_waiting_already", &e,
		    "position", pos);
	}
}

static int
event_cancel_run(struct handler_ctx *ctx)
{
	struct store_event e;
	struct event_ctx ec;
	int rc;

	if ((rc = event_registered(ctx)) != 1)
		return rc;
	if ((rc = event_lookup(ctx, "event_cancel_how", 0, &e)) != 1)
		return rc;
	if (strcmp(e.status, "open") != 0)
		return event_answer_event(ctx, "event_closed", &e, NULL,
		    NULL);
	event_ctx_init(&ec, ctx);
	if ((rc = event_cancel(&ec, &e, ctx->sender)) == -1)
		return -1;
	return event_answer_event(ctx, rc == 1 ? "event_cancel_ok" :
	    "event_cancel_none", &e, NULL, NULL);
}

/* --- a cadre's roster --- */

static int
event_roster_run(struct handler_ctx *ctx)
{
	struct store_event e;
	struct event_ctx ec;
	int rc;

	if ((rc = event_lookup(ctx, "event_roster_how", 1, &e)) != 1)
		return rc;
	event_ctx_init(&ec, ctx);
	return handler_reply_text(ctx, event_roster_text(&ec, &e));
}

/* --- notices --- */

static void
notice_ctx_init(struct notice_ctx *nc, struct handler_ctx *ctx)
{
	memset(nc, 0, sizeof *nc);
	nc->st = ctx->store;
	nc->cf = ctx->cf;
	nc->tpl = ctx->tpl;
	nc->now = ctx->now;
	nc->actor = ctx->sender;
	nc->channel = ctx->channel;
	nc->message_id = ctx->message_id;
}

/* Tell the sender notice n was queued (or had nobody to go to). */
static int
notice_answer_queued(struct handler_ctx *ctx, struct notice_ctx *nc,
    const struct store_notice *n)
{
	struct tm tm;
	char who[16], parts[16], done[32];

	if (n->recipients == 0)
		return handler_reply(ctx, "notice_none", NULL);
	memset(&tm, 0, sizeof tm);
	tz_local(ctx->cf->timezone, notice_done_at(nc, n->parts), &tm);
	snprintf(done, sizeof done, "%d月%d日%02d:%02d", tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour % 100, tm.tm_min % 100);
	snprintf(who, sizeof who, "%d", n->recipients);
	snprintf(parts, sizeof parts, "%d", n->parts);
	return handler_reply(ctx, "notice_queued", "recipients", who,
	    "parts", parts, "done", done, NULL);
}

static int
notice_send_run(struct handler_ctx *ctx)
{
	const char *text = handler_text(ctx, "text");
	struct store_village v;
	struct store_notice n;
	struct notice_ctx nc;
	char who[16], parts[16], minutes[24], limit[16], max[16];
	long m;
	int rc;

	if (text == NULL || *text == '\0')
		return handler_how(ctx, "notice_how", NULL);
	if (grievance_chars(text) > NOTICE_MAX_CHARS) {
		snprintf(max, sizeof max, "%d", NOTICE_MAX_CHARS);
		return handler_reply(ctx, "notice_too_long", "max", max, NULL);
	}
	if ((rc = store_village_find(ctx->store, ctx->person->village,
	    &v)) != 1)
		return rc == 0 ? handler_reply(ctx, "register_first", NULL) :
		    -1;
	notice_ctx_init(&nc, ctx);
	if ((rc = notice_create(&nc, &v, text, ctx->sender, 0, &n)) == -1)
		return -1;
	if (rc == 1)
		return notice_answer_queued(ctx, &nc, &n);
	m = (long)(notice_done_at(&nc, n.parts) - ctx->now) / 60;
	snprintf(who, sizeof who, "%d", n.recipients);
	snprintf(parts, sizeof parts, "%d", n.parts);
	snprintf(minutes, sizeof minutes, "%ld", m);
	snprintf(limit, sizeof limit, "%d", ctx->cf->notice_confirm_minutes);
	return handler_reply(ctx, "notice_confirm", "recipients", who,
	    "parts", parts, "minutes", minutes, "limit", limit, NULL);
}

int
notice_prompt_confirm(struct handler_ctx *ctx, const struct store_prompt *p,
    int digit)
{
	struct store_notice n;
	struct notice_ctx nc;
	int rc;

	notice_ctx_init(&nc, ctx);
	if (digit != 1) {
		if (store_prompt_close(ctx->store, p->id, "answered", "cancel",
		    ctx->now) == -1 || store_notice_set(ctx->store,
		    p->object_id, "cancelled", 0) == -1 ||
		    store_audit(ctx->store, ctx->now, ctx->sender,
		    ctx->channel, "notice.cancel", NULL, NULL) == -1)
			return -1;
		return handler_reply(ctx, "notice_cancelled", NULL);
	}
	if ((rc = notice_confirm(&nc, p->object_id, &n)) == -1)
		return -1;
	if (store_prompt_close(ctx->store, p->id, rc == 1 ? "answered" :
	    "expired", "1", ctx->now) == -1)
		return -1;
	if (rc == 0)
		return handler_reply(ctx, "notice_expired", NULL);
	return notice_answer_queued(ctx, &nc, &n);
}

const struct handler handler_event_publish = {
	.name = "event.publish",
	.roles = ROLE_CADRE,
	.run = event_publish_run,
	.templates = event_templates,
};

const struct handler handler_event_list = {
	.name = "event.list",
	.roles = ROLE_ANYONE,	/* unregistered: told to register */
	.run = event_list_run,
	.templates = event_templates,
};

const struct handler handler_event_signup = {
	.name = "event.signup",
	.roles = ROLE_ANYONE,
	.run = event_signup_run,
	.templates = event_templates,
};

const struct handler handler_event_cancel = {
	.name = "event.cancel",
	.roles = ROLE_ANYONE,
	.run = event_cancel_run,
	.templates = event_templates,
};

const struct handler handler_event_roster = {
	.name = "event.roster",
	.roles = ROLE_CADRE,
	.run = event_roster_run,
	.templates = event_templates,
};

const struct handler handler_notice_send = {
	.name = "notice.send",
	.roles = ROLE_CADRE,
	.run = notice_send_run,
	.templates = notice_templates,
};
