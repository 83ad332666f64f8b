/*
 * unknown — the fallback for text no rule of commands.conf took. The
 * rules already made free text a check-in (elders), help (chat), a report
 * or a question about one (residents); what is left gets the sender's
 * own hint: a cadre's mistyped command the cadre's, a guardian what they
 * may ask, a stranger how to register. Every input gets a clear answer
 * and nothing else changes.
 *
 * quiet — the one exception: a phone's auto-reply (我正在开车，稍后回复您)
 * is kept and counted but never answered, since answering it starts a
 * loop that costs money.
 */
#include <stddef.h>

#include "handlers/handler.h"
#include "handlers/help.h"

static int
unknown_run(struct handler_ctx *ctx)
{
	return help_reply(ctx, 1);
}

const struct handler handler_unknown = {
	.name = "unknown",
	.roles = ROLE_ANYONE,
	.run = unknown_run,
	.templates = help_templates,
};

/* An auto-reply (我正在开车，稍后回复您): kept, counted, never answered. */
static int
quiet_run(struct handler_ctx *ctx)
{
	return handler_suppressed(ctx, "autoreply");
}

const struct handler handler_quiet = {
	.name = "quiet",
	.roles = ROLE_ANYONE,
	.run = quiet_run,
	.templates = NULL,
};
