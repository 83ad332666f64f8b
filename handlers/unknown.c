/*
 * unknown — the fallback for text no command matches: a registered
 * resident gets a hint with the main keywords, anyone else is told how to
 * register. Every input gets a clear answer.
 */
#include <stddef.h>

#include "gateway/store.h"
#include "handlers/handler.h"

static const char *const unknown_templates[] = {
	"hint", "register_how", NULL
};

static int
unknown_run(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;

	if (p != NULL && p->village[0] != '\0')
		return handler_reply(ctx, "hint", "name", p->name,
		    "village", p->village_name, NULL);
	return handler_reply(ctx, "register_how", NULL);
}

const struct handler handler_unknown = {
	.name = "unknown",
	.roles = ROLE_ANYONE,
	.run = unknown_run,
	.templates = unknown_templates,
};
