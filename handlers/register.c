/*
 * register — 注册 / ZC / JOIN <village code> [name]: put the sender in a
 * village as a resident. A new number is added; a resident of another
 * village is moved there; a cadre is not (the county moves cadres with
 * cungatectl). Every change is audited. Reports the number sent before
 * it was registered (grievance.report keeps them) are filed now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/grievance.h"
#include "handlers/handler.h"

#define REGISTER_NAME_MAX	20	/* characters, not bytes */

static const char *const register_templates[] = {
	"register_ok", "register_already", "register_no_village",
	"register_cadre_fixed", "register_how", "grievance_receipt", NULL
};

/*
 * Copy name (valid UTF-8) into out, cut at a character boundary after
 * REGISTER_NAME_MAX characters or when out is full.
 */
static void
register_name(const char *name, char *out, size_t size)
{
	size_t i, chars = 0;

	for (i = 0; name[i] != '\0'; i++) {
		if (((unsigned char)name[i] & 0xc0) != 0x80 &&
		    (++chars > REGISTER_NAME_MAX || i + 4 >= size))
			break;
		out[i] = name[i];
	}
	out[i] = '\0';
}

static int
register_put(struct handler_ctx *ctx, const char *name, const char *village,
    unsigned roles, const char *categories, const char *action,
    const char *detail)
{
	char *cause = NULL, sm[PHONE_MAX];

	if (store_person_put(ctx->store, ctx->sender, name, village, roles,
	    categories, ctx->now, &cause) == -1) {
		log_warn("register: %s: %s", phone_mask(ctx->sender, sm),
		    cause != NULL ? cause : "failed");
		free(cause);
		return -1;
	}
	return store_audit(ctx->store, ctx->now, ctx->sender, ctx->channel,
	    action, ctx->sender, detail);
}

static int
register_run(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;
	const char *code, *arg;
	struct store_village v;
	char name[129], *detail;
	int rc;

	code = handler_arg(ctx, "village");
	if (code == NULL || *code == '\0')
		return handler_reply(ctx, "register_how", NULL);
	if ((rc = store_village_find(ctx->store, code, &v)) == -1)
		return -1;
	if (rc == 0)
		return handler_reply(ctx, "register_no_village", "code", code,
		    NULL);

	arg = handler_arg(ctx, "name");
	register_name(arg != NULL ? arg : "", name, sizeof name);

	if (p == NULL || p->village[0] == '\0') {
		/* New, or known only from an opt-out. */
		if (*name == '\0' && p != NULL)
			snprintf(name, sizeof name, "%s", p->name);
		if (register_put(ctx, name, v.code,
		    (p != NULL ? p->roles : 0) | ROLE_RESIDENT,
		    p != NULL ? p->categories : NULL, "person.register",
		    v.code) != 0)
			return -1;
		if (handler_reply(ctx, "register_ok", "name", name,
		    "village", v.name, "code", v.code, NULL) != 0)
			return -1;
		return grievance_file_pending(ctx);
	}

	if (strcasecmp(p->village, v.code) == 0) {
		if (*name != '\0' && strcmp(name, p->name) != 0) {
			if (register_put(ctx, name, v.code, p->roles,
			    p->categories, "person.rename", name) != 0)
				return -1;
		} else
			snprintf(name, sizeof name, "%s", p->name);
		return handler_reply(ctx, "register_already", "name", name,
		    "village", v.name, "code", v.code, NULL);
	}

	if (p->roles & ROLE_CADRE)
		return handler_reply(ctx, "register_cadre_fixed",
		    "name", p->name, "village", p->village_name,
		    "code", p->village, NULL);

	if (*name == '\0')
		snprintf(name, sizeof name, "%s", p->name);
	detail = xasprintf("%s -> %s", p->village, v.code);
	rc = register_put(ctx, name, v.code, p->roles | ROLE_RESIDENT,
	    p->categories, "person.move", detail);
	free(detail);
	if (rc != 0)
		return -1;
	return handler_reply(ctx, "register_ok", "name", name,
	    "village", v.name, "code", v.code, NULL);
}

const struct handler handler_register = {
	.name = "register",
	.roles = ROLE_ANYONE,
	.run = register_run,
	.templates = register_templates,
};
