/*
 * optout — 退订 / TD / STOP / T: no more broadcasts (notices, events) to
 * this phone; 订阅 / DY / START: again. Replies to the phone's own
 * commands and urgent messages are not broadcasts and still go.
 * Anyone may opt out, known or not: an unknown number is recorded as a
 * person with no village and no roles so the flag has a row to live on.
 */
#include <stdlib.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/handler.h"

static const char *const optout_templates[] = { "optout_ok", NULL };
static const char *const optin_templates[] = { "optin_ok", NULL };

static int
optout_run(struct handler_ctx *ctx)
{
	char *cause = NULL, sm[PHONE_MAX];

	if (ctx->person == NULL && store_person_put(ctx->store, ctx->sender,
	    "", NULL, 0, NULL, ctx->now, &cause) == -1) {
		log_warn("optout: %s: add: %s", phone_mask(ctx->sender, sm),
		    cause != NULL ? cause : "failed");
		free(cause);
		return -1;
	}
	if (store_person_set_opted_out(ctx->store, ctx->sender, 1,
	    ctx->now) != 1)
		return -1;
	if (store_audit(ctx->store, ctx->now, ctx->sender, ctx->channel,
	    "person.optout", ctx->sender, NULL) != 0)
		return -1;
	return handler_reply(ctx, "optout_ok", NULL);
}

static int
optin_run(struct handler_ctx *ctx)
{
	/* An unknown number was never opted out: nothing to record. */
	if (ctx->person != NULL && ctx->person->opted_out) {
		if (store_person_set_opted_out(ctx->store, ctx->sender, 0,
		    ctx->now) != 1)
			return -1;
		if (store_audit(ctx->store, ctx->now, ctx->sender,
		    ctx->channel, "person.optin", ctx->sender, NULL) != 0)
			return -1;
	}
	return handler_reply(ctx, "optin_ok", NULL);
}

const struct handler handler_optout = {
	.name = "optout",
	.roles = ROLE_ANYONE,
	.run = optout_run,
	.templates = optout_templates,
};

const struct handler handler_optin = {
	.name = "optin",
	.roles = ROLE_ANYONE,
	.run = optin_run,
	.templates = optin_templates,
};
