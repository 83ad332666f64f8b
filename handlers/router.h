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
 * Compile the patterns of routers made from now on with PCRE2's JIT (on
 * by default) or not: off where the memory may not be both writable and
 * executable (systemd's MemoryDenyWriteExecute) or under valgrind, which
 * cannot follow JIT code ([gateway] regex_jit = no).
 */
void	 router_use_jit(int on);

/*
 * Load the command table from path (commands.conf; its format is described
 * at the top of router.c and in config/commands.conf), compile each pattern
 * (UTF, caseless, JIT when available), resolve handler names against
 * handlers (NULL-terminated, which must hold the fallback "unknown"), and
 * check that tpl defines every template they and the router use (tpl NULL
 * skips that check). NULL with *cause (caller frees) naming file:line.
 */
struct router *router_new(const char *path,
	    const struct handler *const *handlers, const struct template *tpl,
	    char **cause);
void	 router_free(struct router *);

/*
 * The copy of SMS text the command table sees: normalise() of
 * handlers/normalise.h. A new valid UTF-8 string (caller frees).
 */
char	*router_normalise(const char *text, size_t len);

/*
 * Find the first command (in file order) matching normalised text: its
 * handler, with *match (free with router_match_free) holding the named
 * captures; or NULL, with *match NULL, when nothing matches.
 */
const struct handler *router_match(struct router *, const char *text,
	    struct router_match **match);
/*
 * The same for a sender of these SENDER_* classes (handler.h): commands
 * whose senders = names none of them are skipped. router_match matches
 * as nobody in particular (0): only commands for anyone.
 */
const struct handler *router_match_as(struct router *, const char *text,
	    unsigned senders, struct router_match **match);
/*
 * The named capture name, Chinese numerals turned into digits, or a set =
 * value; NULL if absent, if it took no part, or m NULL.
 */
const char *router_match_arg(const struct router_match *, const char *name);
/* The same capture as the sender wrote it (original characters). */
const char *router_match_text(const struct router_match *,
	    const char *name);
/* NULL is a no-op. */
void	 router_match_free(struct router_match *);

/*
 * Handle the stored inbound message id once: senders that are not mobile
 * numbers are kept and never answered (handler "ignored"); others are
 * matched and their handler runs (the fallback handler "unknown" when
 * nothing matches) in one transaction that also marks the message done.
 * A sender without the handler's role is answered "register_first" or
 * "not_allowed" (handler "refused"); a handler that fails is rolled back
 * and answered "error" (handler "error"). Returns 0 (handled, including
 * ignored, refused, failed, already done or not found), or -1 when the
 * store failed and the message stays "new".
 */
int	 router_route(struct router *, struct store *, const struct config *,
	    const struct template *, int64_t message_id, time_t now);
/*
 * The same, audited as arriving on channel ("ussd": a USSD menu's action
 * stored as the text of its SMS twin, so both leave the same records).
 */
int	 router_route_as(struct router *, struct store *,
	    const struct config *, const struct template *,
	    int64_t message_id, time_t now, const char *channel);

/*
 * Match pattern (PCRE2, UTF) against text once: 1 with *out (caller frees)
 * the first capture group, or the whole match when it has none; 0 when it
 * does not match; -1 with *cause (caller frees) for a bad pattern. For the
 * SIM balance in a USSD answer, compiled per call (rare).
 */
int	 router_extract(const char *pattern, const char *text, char **out,
	    char **cause);

#endif
