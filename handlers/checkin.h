/*
 * checkin handlers — what the rest of the router needs of
 * handlers/checkin.c: a bare digit answering a check-in prompt
 * (prompt.c), and any SMS from an enrolled elder counted as the day's
 * check-in (a hook in handlers_inbound, handlers.c: the router calls it
 * after the message's handler ran).
 */
#ifndef CUNGATE_HANDLERS_CHECKIN_H
#define CUNGATE_HANDLERS_CHECKIN_H

#include "gateway/store.h"

struct handler;
struct handler_ctx;

/* The sender answered check-in prompt p with digit: a check-in. 0/-1. */
int	 checkin_prompt_answer(struct handler_ctx *,
	    const struct store_prompt *p, int digit);
/*
 * The message ctx handles (with handler h) came from the sender: if an
 * enrolled elder, it is their check-in (silent: h answers; an SOS is
 * not one). In the router's transaction. 0 or -1.
 */
int	 checkin_inbound(struct handler_ctx *, const struct handler *h);

#endif
