/*
 * unknown — the fallback for text no command matches. From a registered
 * resident, text long enough to be a report (grievance_is_report: not "你好"
 * or "在吗") is filed as one, as 投诉 would; anything shorter or garbled
 * gets a hint with the main keywords. Cadres get the hint too, so a
 * mistyped command never files a ticket. Anyone else is told how to
 * register. Every input gets a clear answer.
 */
#include <stddef.h>

#include "gateway/store.h"
#include "handlers/grievance.h"
#include "handlers/handler.h"

static const char *const unknown_templates[] = {
	"hint", "register_how", "grievance_receipt", "grievance_alert", NULL
};

static int
unknown_run(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;

	if (p != NULL && p->village[0] != '\0' && (p->roles & ROLE_RESIDENT) &&
	    !(p->roles & ROLE_CADRE) && grievance_is_report(ctx->text))
		return grievance_report_text(ctx, ctx->text);
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
