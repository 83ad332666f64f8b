/*
 * help — 帮助 / BZ / HELP / ?: what one can text. Cadres get their own page.
 */
#include <stddef.h>

#include "gateway/store.h"
#include "handlers/handler.h"

static const char *const help_templates[] = {
	"help", "help_cadre", NULL
};

static int
help_run(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;

	if (p != NULL && (p->roles & ROLE_CADRE))
		return handler_reply(ctx, "help_cadre", "name", p->name, NULL);
	return handler_reply(ctx, "help", "name", p != NULL ? p->name : "",
	    NULL);
}

const struct handler handler_help = {
	.name = "help",
	.roles = ROLE_ANYONE,
	.run = help_run,
	.templates = help_templates,
};
