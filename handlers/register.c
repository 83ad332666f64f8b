/*
 * register — 注册 / ZC / JOIN <village> [name]: put the sender in a
 * village as a resident. The village is its code (LJZ) or its name, with
 * or without 村 (注册东庄村 王小红, 我想加入王家沟 叫冯小燕). A new number is added; a resident of another
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

/* Words before a name that are not the name: 叫冯小燕, 姓名张三. */
static const char *const register_name_leads[] = {
	"想登记一下", "想注册一下", "想登记", "想注册", "登记一下", "注册一下",
	"登记", "注册", "我叫", "名叫", "叫", "姓名", "名字", "我是", "是", "想",
	"要", "的", NULL
};
/* Words after a name that are not the name: 刘海 注册. */
static const char *const register_name_tails[] = {
	"注册", "登记", "一下", "吧", "谢谢", "了", NULL
};

/* Cut the tails off name (in place). */
static void
register_trim(char *name)
{
	size_t i, n, t;
	int again = 1;

	while (again) {
		again = 0;
		n = strlen(name);
		while (n > 0 && strchr(" ,.!?", name[n - 1]) != NULL)
			name[--n] = '\0';
		for (i = 0; register_name_tails[i] != NULL; i++) {
			t = strlen(register_name_tails[i]);
			if (n > t && strcmp(name + n - t,
			    register_name_tails[i]) == 0) {
				name[n - t] = '\0';
				again = 1;
				break;
			}
		}
	}
}

/* Skip separators and a name's lead-in words at s. */
static const char *
register_skip(const char *s)
{
	size_t i;
	int again = 1;

	while (again) {
		again = 0;
		s += strspn(s, " :,.;~-#");
		for (i = 0; register_name_leads[i] != NULL; i++) {
			if (strncmp(s, register_name_leads[i],
			    strlen(register_name_leads[i])) == 0) {
				s += strlen(register_name_leads[i]);
				again = 1;
				break;
			}
		}
		if (strncmp(s, "、", 3) == 0 || strncmp(s, "。", 3) == 0) {
			s += 3;
			again = 1;
		}
	}
	return s;
}

/*
 * The village rest starts with (its code, or its name with or without
 * 村), and where the rest goes on: -1 / 0 / 1.
 */
static int
register_village(struct handler_ctx *ctx, const char *rest,
    struct store_village *v, const char **after)
{
	size_t n, len;
	char *code;
	int rc;

	n = strspn(rest, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789");
	if (n > 0) {
		code = xstrndup(rest, n);
		rc = store_village_find(ctx->store, code, v);
		free(code);
		if (rc != 0) {
			*after = rest + n;
			return rc;
		}
	}
	if ((rc = store_village_named(ctx->store, rest, v)) != 1)
		return rc;
	len = strlen(v->name);
	if (strncmp(rest, v->name, len) != 0)
		len -= strlen("村");
	*after = rest + len;
	return 1;
}

/*
 * The village named anywhere in text (我是刘家庄的 叫刘海 注册), and where
 * the text goes on after its name: -1 / 0 / 1.
 */
static int
register_village_in(struct handler_ctx *ctx, const char *text,
    struct store_village *v, const char **after)
{
	const char *p;
	char *bare;
	int rc;

	if ((rc = store_village_in(ctx->store, text, v)) != 1)
		return rc;
	if ((p = strstr(text, v->name)) != NULL) {
		*after = p + strlen(v->name);
		return 1;
	}
	bare = xstrdup(v->name);
	if (strlen(bare) > strlen("村"))
		bare[strlen(bare) - strlen("村")] = '\0';
	if ((p = strstr(text, bare)) != NULL)
		*after = p + strlen(bare);
	else if ((p = strcasestr(text, v->code)) != NULL)
		*after = p + strlen(v->code);
	else
		*after = "";
	free(bare);
	return 1;
}

static int
register_run(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;
	const char *rest, *after = "";
	struct store_village v;
	char name[129], code[40], *detail;
	int rc;

	rest = handler_arg(ctx, "village");
	rc = 0;
	if (rest != NULL && *rest != '\0' &&
	    (rc = register_village(ctx, rest, &v, &after)) == -1)
		return -1;
	if (rc == 0 && (rc = register_village_in(ctx, ctx->text, &v,
	    &after)) == -1)
		return -1;
	if (rc == 0 && (rest == NULL || *rest == '\0'))
		return handler_how(ctx, "register_how", NULL);
	if (rc == 0) {
		/* Quote what they wrote, a word of it. */
		register_name(rest, code, sizeof code);
		code[strcspn(code, " ,.:")] = '\0';
		return handler_reply(ctx, "register_no_village", "code", code,
		    NULL);
	}
	register_name(register_skip(after), name, sizeof name);
	register_trim(name);

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
