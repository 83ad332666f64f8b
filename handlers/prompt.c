/*
 * prompt — a bare digit 1–9 answers the newest prompt still open to the
 * sender (a satisfaction survey after a ticket is resolved; the elderly
 * check-in adds its own kind; a cadre confirms a big notice). Each kind
 * of prompt is one entry in prompt_kinds. With no open prompt the digit
 * means nothing: the sender gets the hint, and nothing changes.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/checkin.h"
#include "handlers/event.h"
#include "handlers/grievance.h"
#include "handlers/handler.h"
#include "handlers/help.h"

#define prompt_templates help_templates

/* What answers a prompt of kind: the handler's ctx, the prompt, 1–9. */
static const struct {
	const char	*kind;
	int		(*answer)(struct handler_ctx *,
			    const struct store_prompt *, int);
} prompt_kinds[] = {
	{ "rating", grievance_prompt_rating },
	{ "report", grievance_prompt_report },
	{ "checkin", checkin_prompt_answer },
	{ "notice_confirm", notice_prompt_confirm },
};

/* The hint, as the fallback handler gives it. 0 or -1. */
static int
prompt_hint(struct handler_ctx *ctx)
{
	return help_reply(ctx, 1);
}

static int
prompt_run(struct handler_ctx *ctx)
{
	const char *digit = handler_arg(ctx, "digit");
	struct store_prompt p;
	char sm[PHONE_MAX];
	size_t i;
	int rc;

	if (digit == NULL || digit[0] < '1' || digit[0] > '9')
		return prompt_hint(ctx);
	if ((rc = store_prompt_open(ctx->store, ctx->sender, ctx->now,
	    &p)) == -1)
		return -1;
	if (rc == 0)
		return prompt_hint(ctx);
	for (i = 0; i < sizeof prompt_kinds / sizeof prompt_kinds[0]; i++)
		if (strcmp(prompt_kinds[i].kind, p.kind) == 0)
			return prompt_kinds[i].answer(ctx, &p, digit[0] - '0');
	log_warn("prompt: %s: prompt %lld: no handler for kind %s",
	    phone_mask(ctx->sender, sm), (long long)p.id, p.kind);
	return prompt_hint(ctx);
}

const struct handler handler_answer = {
	.name = "answer",
	.roles = ROLE_ANYONE,
	.run = prompt_run,
	.templates = prompt_templates,
};
