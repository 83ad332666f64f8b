/*
 * inbox — inbound parts into the store: each part is committed with its
 * dedupe key before the worker may delete it from the SIM, and parts of a
 * concatenated message are put together per (sender, ref, total). A
 * complete message is left in state "new" for the router.
 */
#ifndef CUNGATE_INBOX_H
#define CUNGATE_INBOX_H

#include <stdint.h>
#include <time.h>

struct config;
struct store;
struct store_part;

/*
 * Store one part (sender is normalised to E.164 when it is a phone
 * number) in its own transaction, and complete its message when every
 * part is there. Returns 1 when the part was new, 0 when it was a
 * duplicate (already stored: safe to delete), -1 when nothing could be
 * stored (do not ack). *message_id is set when a message was completed,
 * else 0.
 */
int	 inbox_store(struct store *, const struct config *,
	    const struct store_part *, time_t now, int64_t *message_id);

#endif
