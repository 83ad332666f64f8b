/*
 * route — from a stored inbound message to a handler call, the other half
 * of the router (handlers/router.c holds the command table and PCRE2).
 * Who the sender is (resident, cadre, elder, guardian, stranger) is looked
 * up once; a non-mobile sender, 8-bit data and a repeat within
 * repeat_window are kept and never answered; else the text is normalised
 * (with a map back to what was sent), matched, checked against the
 * handler's roles and run in one transaction with the message's done
 * mark, so a crash at any point loses nothing and answers nothing twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/handler.h"
#include "handlers/normalise.h"
#include "handlers/router.h"
#include "handlers/router_int.h"

/*
 * Finish a message without running a handler: mark it done as handled,
 * audit it when action is set, answer with template reply when set; one
 * transaction. 0, or -1 when the store failed (rolled back).
 */
static int
router_close(struct handler_ctx *ctx, const char *handled,
    const char *reply, const char *action, const char *object,
    const char *detail)
{
	const char *name;
	int rc;

	if (store_begin(ctx->store) != 0)
		return -1;
	if ((rc = store_message_claim(ctx->store, ctx->message_id)) != 1) {
		store_rollback(ctx->store);
		return rc;	/* 0: done, or another node's to route */
	}
	if (reply != NULL) {
		name = ctx->person != NULL ? ctx->person->name : "";
		if (handler_reply(ctx, reply, "name", name, NULL) != 0)
			goto fail;
	}
	if (action != NULL && store_audit(ctx->store, ctx->now, ctx->sender,
	    ctx->channel, action, object, detail) != 0)
		goto fail;
	if (action != NULL && strcmp(action, "message.suppressed") == 0 &&
	    handler_suppressed(ctx, detail) != 0)
		goto fail;
	if (store_message_done(ctx->store, ctx->message_id, handled,
	    ctx->now) != 0)
		goto fail;
	if (store_commit(ctx->store) != 0)
		goto fail;
	return 0;
fail:
	store_rollback(ctx->store);
	return -1;
}

/* May person use h? 0/1. */
static int
router_allowed(const struct handler *h, const struct store_person *person)
{
	if (h->roles == ROLE_ANYONE)
		return 1;
	return person != NULL && person->village[0] != '\0' &&
	    (person->roles & h->roles) != 0;
}

/*
 * Run h in one transaction with the message marked done. 0, 1 when the
 * handler failed (rolled back), 2 when the message was done or another
 * node's to route already (nothing run), -1 when the store failed.
 */
static int
router_run(struct handler_ctx *ctx, const struct handler *h)
{
	const handler_inbound_fn *hook;
	char *handled;
	int rc;

	if (store_begin(ctx->store) != 0)
		return -1;
	if ((rc = store_message_claim(ctx->store, ctx->message_id)) != 1) {
		store_rollback(ctx->store);
		return rc == 0 ? 2 : -1;
	}
	rc = h->run(ctx);
	/* Then whoever hears of every message (an elder's check-in). */
	for (hook = handlers_inbound; rc == 0 && *hook != NULL; hook++)
		rc = (*hook)(ctx, h);
	if (rc != 0) {
		store_rollback(ctx->store);
		return 1;
	}
	/* A handler that only said how to use it is marked so. */
	handled = ctx->outcome != NULL ? xasprintf("%s/%s", h->name,
	    ctx->outcome) : xstrdup(h->name);
	rc = store_message_done(ctx->store, ctx->message_id, handled,
	    ctx->now);
	free(handled);
	if (rc != 0 || store_commit(ctx->store) != 0) {
		store_rollback(ctx->store);
		return -1;
	}
	return 0;
}

/*
 * What the sender is, as commands.conf's senders = names it: SENDER_*
 * bits, or -1 when the store failed.
 */
static int
router_senders(struct handler_ctx *ctx)
{
	const struct store_person *p = ctx->person;
	struct store_elder e;
	unsigned senders = 0;
	int rc;

	if (p == NULL || p->village[0] == '\0')
		senders |= SENDER_UNKNOWN;
	else if (p->roles & ROLE_CADRE)
		senders |= SENDER_CADRE;
	else
		senders |= SENDER_RESIDENT;
	if (p != NULL && (p->roles & ROLE_ELDERLY)) {
		if ((rc = store_elder_find(ctx->store, ctx->sender, &e)) == -1)
			return -1;
		if (rc == 1 && e.active)
			senders |= SENDER_ELDER;
	}
	if ((rc = store_guardian_is(ctx->store, ctx->sender)) == -1)
		return -1;
	if (rc == 1)
		senders |= SENDER_GUARDIAN;
	return (int)senders;
}

static int
router_dispatch(struct router *r, struct handler_ctx *ctx,
    const struct router_subject *sj, const char *sm)
{
	const struct handler *h;
	struct router_match *m;
	const char *cmd;
	int rc, unregistered;

	if ((h = router_match_subject(r, sj, &m)) == NULL)
		h = router_fallback(r);
	ctx->match = m;
	cmd = router_match_command(m);
	log_debug("router: %s: message %lld: text \"%s\"", sm,
	    (long long)ctx->message_id, ctx->text);

	if (!router_allowed(h, ctx->person)) {
		unregistered = ctx->person == NULL ||
		    ctx->person->village[0] == '\0';
		log_info("router: %s: message %lld: command %s: refused: %s",
		    sm, (long long)ctx->message_id, cmd, unregistered ?
		    "not registered" : "lacks the role");
		rc = router_close(ctx, "refused", unregistered ?
		    "register_first" : "not_allowed", "message.refused",
		    h->name, NULL);
		goto out;
	}

	if ((rc = router_run(ctx, h)) == 0) {
		log_info("router: %s: message %lld: command %s: handler %s",
		    sm, (long long)ctx->message_id, cmd, h->name);
		goto out;
	}
	if (rc == 2) {
		log_debug("router: %s: message %lld: routed by another node",
		    sm, (long long)ctx->message_id);
		rc = 0;
		goto out;
	}
	if (rc == -1)
		goto out;
	log_warn("router: %s: message %lld: handler %s failed; answered "
	    "with the error template", sm, (long long)ctx->message_id,
	    h->name);
	rc = router_close(ctx, "error", "error", "message.error", h->name,
	    NULL);
out:
	if (rc == -1)
		log_warn("router: %s: message %lld: store failed, left for "
		    "a retry: %s", sm, (long long)ctx->message_id,
		    store_error(ctx->store));
	ctx->match = NULL;
	router_match_free(m);
	return rc;
}

/*
 * Handle stored message id once (see router.h). 0 when handled, ignored,
 * refused, answered with the error template, already done or gone; -1
 * when the store failed and the message stays "new".
 */
int
router_route(struct router *r, struct store *store, const struct config *cf,
    const struct template *tpl, int64_t id, time_t now)
{
	return router_route_as(r, store, cf, tpl, id, now, "sms");
}

int
router_route_as(struct router *r, struct store *store,
    const struct config *cf, const struct template *tpl, int64_t id,
    time_t now, const char *channel)
{
	struct store_message msg;
	struct store_person person;
	struct handler_ctx ctx;
	struct router_subject sj;
	char sm[PHONE_MAX], *raw;
	const char *ignore;
	size_t len, *map;
	int found, senders, rc = -1;

	memset(&msg, 0, sizeof msg);
	if ((found = store_message_get(store, id, &msg)) != 1) {
		if (found == 0) {
			log_warn("router: message %lld: not found",
			    (long long)id);
			return 0;
		}
		log_warn("router: message %lld: %s", (long long)id,
		    store_error(store));
		return -1;
	}
	phone_mask(msg.sender, sm);
	if (strcmp(msg.state, "new") != 0) {
		log_debug("router: %s: message %lld: already %s", sm,
		    (long long)id, msg.state);
		store_message_clear(&msg);
		return 0;
	}

	memset(&ctx, 0, sizeof ctx);
	ctx.store = store;
	ctx.cf = cf;
	ctx.tpl = tpl;
	ctx.now = now;
	ctx.channel = channel;
	ctx.message_id = id;
	ctx.sender = msg.sender;

	/*
	 * Kept, never answered: 8-bit data (WAP push, OTA settings) is for
	 * the phone, not words; and an auto-reply loop with 10086 costs money.
	 */
	ignore = msg.binary ? "8-bit data" : !phone_is_mobile(msg.sender,
	    cf->country_code) ? "not a mobile number" : NULL;
	if (ignore != NULL) {
		log_info("router: %s: message %lld: ignored: %s", sm,
		    (long long)id, ignore);
		rc = router_close(&ctx, "ignored", NULL, "message.ignored",
		    NULL, ignore);
		if (rc != 0)
			log_warn("router: %s: message %lld: store failed: %s",
			    sm, (long long)id, store_error(store));
		goto out;
	}

	if ((found = store_person_find(store, msg.sender, &person)) == -1) {
		log_warn("router: %s: message %lld: %s", sm, (long long)id,
		    store_error(store));
		goto out;
	}
	ctx.person = found ? &person : NULL;
	if ((senders = router_senders(&ctx)) == -1) {
		log_warn("router: %s: message %lld: %s", sm, (long long)id,
		    store_error(store));
		goto out;
	}
	ctx.senders = senders;
	/* The same text again within the window: kept, not answered. */
	if (cf->repeat_window > 0 && (found = store_message_repeat(store, id,
	    msg.sender, msg.text != NULL ? msg.text : "",
	    now - cf->repeat_window)) != 0) {
		if (found == -1) {
			log_warn("router: %s: message %lld: %s", sm,
			    (long long)id, store_error(store));
			goto out;
		}
		log_info("router: %s: message %lld: suppressed: the same text "
		    "again within %d s", sm, (long long)id, cf->repeat_window);
		rc = router_close(&ctx, "suppressed", NULL,
		    "message.suppressed", "repeat", "repeat");
		goto out;
	}
	len = msg.text != NULL ? strlen(msg.text) : 0;
	memset(&sj, 0, sizeof sj);
	sj.orig = msg.text != NULL ? msg.text : "";
	sj.text = ctx.text = normalise(sj.orig, len, &map);
	sj.map = map;
	sj.senders = senders;
	ctx.raw = raw = normalise_clean(sj.orig, len);
	rc = router_dispatch(r, &ctx, &sj, sm);
	free((char *)ctx.text);
	free(raw);
	free(map);
out:
	store_message_clear(&msg);
	return rc;
}
