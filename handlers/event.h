/*
 * event handlers — what the other handlers need of handlers/event.c: a
 * cadre's "1" confirming a big notice, answered through prompt.c.
 */
#ifndef CUNGATE_HANDLERS_EVENT_H
#define CUNGATE_HANDLERS_EVENT_H

#include "gateway/store.h"

struct handler_ctx;

/*
 * The sender answered notice_confirm prompt p with digit: 1 queues the
 * notice (if it is still pending), any other digit drops it. 0 or -1.
 */
int	 notice_prompt_confirm(struct handler_ctx *,
	    const struct store_prompt *p, int digit);

#endif
