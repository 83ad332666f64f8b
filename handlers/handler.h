/*
 * handler — what a capability looks like to the router. A handler is a
 * table entry in its own file (handlers/help.c, …), listed once in
 * handlers/handlers.c and reached through patterns in config/commands.conf
 * that name it.
 */
#ifndef CUNGATE_HANDLER_H
#define CUNGATE_HANDLER_H

#include <stdint.h>
#include <time.h>

#include "gateway/store.h"

struct config;
struct template;
struct router_match;
struct handler_ctx;

/*
 * Run a command. The router has begun a transaction: every write and every
 * reply (handler_reply) commits together when run returns 0, and is rolled
 * back when it returns -1 (log why first).
 */
typedef int (*handler_run_cb)(struct handler_ctx *);

struct handler {
	const char		*name;		/* named by commands.conf */
	unsigned		 roles;		/* ROLE_* bits, any of; 0 = anyone */
	handler_run_cb		 run;
	/* Template keys it uses, NULL-terminated; checked at start-up. */
	const char *const	*templates;
};

/*
 * What a sender is, for commands.conf's senders = (a person may be
 * several): not registered, a registered resident who is not a cadre, a
 * cadre, an enrolled elder, a guardian of one.
 */
#define SENDER_UNKNOWN		0x01
#define SENDER_RESIDENT		0x02
#define SENDER_CADRE		0x04
#define SENDER_ELDER		0x08
#define SENDER_GUARDIAN		0x10

/* Everything a handler may touch while it runs. */
struct handler_ctx {
	struct store		*store;
	const struct config	*cf;
	const struct template	*tpl;
	time_t			 now;
	const char		*channel;	/* "sms", "cli", … for audit */
	int64_t			 message_id;	/* inbound message, 0 if none */
	const char		*sender;	/* E.164 */
	const struct store_person *person;	/* NULL if unknown number */
	unsigned		 senders;	/* SENDER_* bits */
	const char		*text;		/* normalised text */
	const char		*raw;		/* what was sent (cleaned) */
	const struct router_match *match;	/* named captures */
	/* What came of it, when not the handler's work: "how" (only how to
	 * use the command), "capped" (over a phone's cap, not filed). */
	const char		*outcome;
};

/* The handlers this build has, NULL-terminated (handlers/handlers.c). */
extern const struct handler *const handlers_all[];

/*
 * Hooks of the capabilities that hear of every message a person sends,
 * whatever command it was (an elder's SMS is also their check-in),
 * NULL-terminated (handlers/handlers.c). The router calls each in the
 * handler's transaction after h ran: 0, or non-zero to roll it back.
 */
typedef int (*handler_inbound_fn)(struct handler_ctx *,
    const struct handler *h);
extern const handler_inbound_fn handlers_inbound[];

/*
 * The named capture from the command's pattern; NULL if it did not take
 * part (or the handler runs as the fallback, with no match).
 */
const char *handler_arg(const struct handler_ctx *, const char *name);

/* The same capture as the sender wrote it: for texts that are kept. */
const char *handler_text(const struct handler_ctx *, const char *name);

/*
 * Render template key with fields (name, value pairs, NULL-terminated) and
 * queue it to the sender as a reply to this message. 0 or -1.
 */
int	 handler_reply(struct handler_ctx *, const char *key, ...)
	    __attribute__((sentinel));
/*
 * Count a text kept but neither filed nor answered, for reason ("repeat",
 * "autoreply", "pending", "reports"): /metrics shows it. 0 or -1.
 */
int	 handler_suppressed(struct handler_ctx *, const char *reason);

/*
 * handler_reply for a reply that only says how to use the command (its
 * arguments did not parse): the message is marked "<handler>/how".
 */
int	 handler_how(struct handler_ctx *, const char *key, ...)
	    __attribute__((sentinel));
/*
 * Queue text, already made (and freed here), to the sender as the reply
 * to this message. NULL text (a failed render) is -1. 0 or -1.
 */
int	 handler_reply_text(struct handler_ctx *, char *text);
/*
 * The same to another recipient, in class. A broadcast (OUTBOX_BROADCAST)
 * to a person who opted out is skipped and returns 0. 0 or -1.
 */
int	 handler_send(struct handler_ctx *, const char *to,
	    enum outbox_class, const char *key, ...) __attribute__((sentinel));

#endif
