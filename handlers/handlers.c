/*
 * handlers — the table of every handler this build has, and what handlers
 * share: their arguments, and replies rendered from templates and queued
 * in the outbox inside the router's transaction.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/checkin.h"
#include "handlers/handler.h"
#include "handlers/router.h"
#include "handlers/template.h"

extern const struct handler handler_help;
extern const struct handler handler_register;
extern const struct handler handler_optout;
extern const struct handler handler_optin;
extern const struct handler handler_unknown;
extern const struct handler handler_quiet;
extern const struct handler handler_grievance_report;
extern const struct handler handler_grievance_ask;
extern const struct handler handler_grievance_accept;
extern const struct handler handler_grievance_resolve;
extern const struct handler handler_grievance_return;
extern const struct handler handler_grievance_status;
extern const struct handler handler_grievance_todo;
extern const struct handler handler_answer;
extern const struct handler handler_checkin_ok;
extern const struct handler handler_checkin_any;
extern const struct handler handler_checkin_sos;
extern const struct handler handler_checkin_confirm;
extern const struct handler handler_checkin_pause;
extern const struct handler handler_checkin_resume;
extern const struct handler handler_checkin_status;
extern const struct handler handler_event_publish;
extern const struct handler handler_event_list;
extern const struct handler handler_event_signup;
extern const struct handler handler_event_cancel;
extern const struct handler handler_event_roster;
extern const struct handler handler_notice_send;

const struct handler *const handlers_all[] = {
	&handler_help,
	&handler_register,
	&handler_optout,
	&handler_optin,
	&handler_grievance_report,
	&handler_grievance_ask,
	&handler_grievance_accept,
	&handler_grievance_resolve,
	&handler_grievance_return,
	&handler_grievance_status,
	&handler_grievance_todo,
	&handler_checkin_ok,
	&handler_checkin_any,
	&handler_checkin_sos,
	&handler_checkin_confirm,
	&handler_checkin_pause,
	&handler_checkin_resume,
	&handler_checkin_status,
	&handler_event_publish,
	&handler_event_list,
	&handler_event_signup,
	&handler_event_cancel,
	&handler_event_roster,
	&handler_notice_send,
	&handler_answer,
	&handler_quiet,
	&handler_unknown,
	NULL
};

const handler_inbound_fn handlers_inbound[] = {
	checkin_inbound,
	NULL
};

/* The named capture name of the command; NULL if it took no part. */
const char *
handler_arg(const struct handler_ctx *ctx, const char *name)
{
	return router_match_arg(ctx->match, name);
}

/*
 * Render key with the fields in ap and queue it to to in class, answering
 * ctx's message. 0, or -1 (logged) when the template is missing or the
 * store failed.
 */
static int
handler_vqueue(struct handler_ctx *ctx, const char *to,
    enum outbox_class class, const char *key, va_list ap)
{
	char *text, sm[PHONE_MAX];
	int64_t id;

	if ((text = template_vrender(ctx->tpl, key, ap)) == NULL) {
		log_error("handlers: template %s: not defined", key);
		return -1;
	}
	id = outbox_queue(ctx->store, to, text, class, ctx->message_id,
	    ctx->now);
	if (id == -1)
		log_warn("handlers: %s: queue %s: %s", phone_mask(to, sm), key,
		    store_error(ctx->store));
	free(text);
	return id == -1 ? -1 : 0;
}

int
handler_reply_text(struct handler_ctx *ctx, char *text)
{
	char sm[PHONE_MAX];
	int64_t id;

	if (text == NULL)
		return -1;
	id = outbox_queue(ctx->store, ctx->sender, text, OUTBOX_REPLY,
	    ctx->message_id, ctx->now);
	if (id == -1)
		log_warn("handlers: %s: queue a reply: %s",
		    phone_mask(ctx->sender, sm), store_error(ctx->store));
	free(text);
	return id == -1 ? -1 : 0;
}

int
handler_suppressed(struct handler_ctx *ctx, const char *reason)
{
	char *name;
	int rc;

	name = xasprintf("suppressed.%s", reason);
	rc = store_counter_add(ctx->store, name, 1);
	free(name);
	return rc;
}

const char *
handler_text(const struct handler_ctx *ctx, const char *name)
{
	return router_match_text(ctx->match, name);
}

int
handler_how(struct handler_ctx *ctx, const char *key, ...)
{
	va_list ap;
	int rc;

	ctx->outcome = "how";
	va_start(ap, key);
	rc = handler_vqueue(ctx, ctx->sender, OUTBOX_REPLY, key, ap);
	va_end(ap);
	return rc;
}

/* Reply to the sender with template key (see handler.h). 0 or -1. */
int
handler_reply(struct handler_ctx *ctx, const char *key, ...)
{
	va_list ap;
	int rc;

	va_start(ap, key);
	rc = handler_vqueue(ctx, ctx->sender, OUTBOX_REPLY, key, ap);
	va_end(ap);
	return rc;
}

/*
 * Send template key to another recipient in class. A broadcast to someone
 * who opted out is skipped (and is not an error). 0 or -1.
 */
int
handler_send(struct handler_ctx *ctx, const char *to,
    enum outbox_class class, const char *key, ...)
{
	struct store_person p;
	va_list ap;
	int rc;

	if (class == OUTBOX_BROADCAST) {
		if ((rc = store_person_find(ctx->store, to, &p)) == -1)
			return -1;
		if (rc == 1 && p.opted_out)
			return 0;
	}
	va_start(ap, key);
	rc = handler_vqueue(ctx, to, class, key, ap);
	va_end(ap);
	return rc;
}
