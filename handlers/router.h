/*
 * router — turns an inbound message into a handler call: normalise the
 * text, match it against the PCRE2 command table of commands.conf in order,
 * check the sender's role, run the handler in one transaction with its
 * replies. The only file that includes <pcre2.h>.
 */
#ifndef CUNGATE_ROUTER_H
#define CUNGATE_ROUTER_H

#include <stddef.h>
#include <time.h>

struct config;
struct store;
struct template;
struct handler;
struct router;
struct router_match;

/*
 * Load the command table from path (commands.conf), compile each pattern
 * (UTF, caseless, JIT), resolve handler names against handlers (NULL-
 * terminated), and check that tpl defines every template they use.
 * NULL with *cause naming file:line.
 */
struct router *router_new(const char *path,
	    const struct handler *const *handlers, const struct template *tpl,
	    char **cause);
void	 router_free(struct router *);

/*
 * Normalise SMS text: invalid UTF-8 becomes U+FFFD, full-width ASCII
 * (U+FF01–U+FF5E) and the ideographic space fold to ASCII, control
 * characters become spaces, white space is trimmed and collapsed. Returns a
 * new string (caller frees).
 */
char	*router_normalise(const char *text, size_t len);

/*
 * Find the command for normalised text: the handler, or NULL when nothing
 * matches. *match (free with router_match_free) holds the named captures.
 */
const struct handler *router_match(struct router *, const char *text,
	    struct router_match **match);
/* The named capture name, or NULL. */
const char *router_match_arg(const struct router_match *, const char *name);
void	 router_match_free(struct router_match *);

/*
 * Handle the stored inbound message id once: senders that are not mobile
 * numbers are kept and never answered; others are matched and their
 * handler runs (the fallback handler "unknown" when nothing matches) in one
 * transaction that also marks the message done. Returns 0 (handled,
 * including refused or ignored), or -1 when the store failed and the
 * message stays pending.
 */
int	 router_route(struct router *, struct store *, const struct config *,
	    const struct template *, int64_t message_id, time_t now);

#endif
