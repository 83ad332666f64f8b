/*
 * router_int — what the two halves of the router share and nobody else
 * sees: handlers/router.c (the command table and PCRE2, the only file
 * with <pcre2.h>) and handlers/route.c (from a stored message to a
 * handler call).
 */
#ifndef CUNGATE_ROUTER_INT_H
#define CUNGATE_ROUTER_INT_H

#include <stddef.h>

struct handler;
struct router;
struct router_match;

/* What one match is matched against. */
struct router_subject {
	const char	*text;		/* normalised */
	const char	*orig;		/* what was sent; NULL: text */
	const size_t	*map;		/* text offset -> orig offset */
	unsigned	 senders;	/* SENDER_* of the sender; 0 anyone */
};

/*
 * The first command for sj's senders whose pattern matches sj's text: its
 * handler and *match (captures mapped back to the original); NULL and
 * *match NULL when none does.
 */
const struct handler *router_match_subject(struct router *,
	    const struct router_subject *sj, struct router_match **match);
/* The handler for text no command took ("unknown"). */
const struct handler *router_fallback(const struct router *);
/* The command m matched, for logs; "(none)" for NULL. */
const char *router_match_command(const struct router_match *);

#endif
