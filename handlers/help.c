/*
 * help — 帮助 / BZ / HELP / ? and chat: what one can text, by who asks.
 * A cadre gets the cadre's commands, an enrolled elder how to check in
 * and call for help, a registered resident the resident's commands, an
 * elder's guardian what they may ask about their elder, anyone else how
 * to register. Never "register" to someone registered.
 */
#include <stddef.h>

#include "gateway/store.h"
#include "handlers/handler.h"
#include "handlers/help.h"

const char *const help_templates[] = {
	"help", "help_cadre", "help_elder", "help_guardian", "hint",
	"hint_cadre", "register_how", NULL
};

/* The name of the guardian's elder when they have one, else "老人". */
static int
help_guardian(struct handler_ctx *ctx)
{
	struct store_elder e;
	int64_t ids[2];
	int n, rc = 0;

	if ((n = store_elder_related(ctx->store, ctx->sender, ids, 2)) == -1)
		return -1;
	if (n == 1 && (rc = store_elder_get(ctx->store, ids[0], &e)) == -1)
		return -1;
	return handler_reply(ctx, "help_guardian", "elder", n == 1 && rc == 1 ?
	    e.name : "老人", NULL);
}

int
help_reply(struct handler_ctx *ctx, int hint)
{
	const struct store_person *p = ctx->person;
	const char *name = p != NULL ? p->name : "";

	if (ctx->senders & SENDER_CADRE)
		return handler_reply(ctx, hint ? "hint_cadre" : "help_cadre",
		    "name", name, NULL);
	if (ctx->senders & SENDER_ELDER)
		return handler_reply(ctx, "help_elder", "name", name, NULL);
	if (ctx->senders & SENDER_RESIDENT)
		return handler_reply(ctx, hint ? "hint" : "help", "name", name,
		    "village", p->village_name, NULL);
	if (ctx->senders & SENDER_GUARDIAN)
		return help_guardian(ctx);
	return handler_reply(ctx, "register_how", NULL);
}

static int
help_run(struct handler_ctx *ctx)
{
	return help_reply(ctx, 0);
}

const struct handler handler_help = {
	.name = "help",
	.roles = ROLE_ANYONE,
	.run = help_run,
	.templates = help_templates,
};
