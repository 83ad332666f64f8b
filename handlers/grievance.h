/*
 * grievance handlers — what the other handlers need of handlers/grievance.c:
 * free text from a resident filed as a report (unknown.c), reports kept
 * from before registration filed (register.c), and a rating prompt
 * answered by a bare digit (prompt.c).
 */
#ifndef CUNGATE_HANDLERS_GRIEVANCE_H
#define CUNGATE_HANDLERS_GRIEVANCE_H

#include "gateway/store.h"

struct handler_ctx;

/*
 * Is this free text a report rather than a greeting? 0/1: at least
 * GRIEVANCE_REPORT_MIN letters, digits or ideographs (punctuation and
 * spaces do not count), and no U+FFFD (garbled text gets the hint).
 */
#define GRIEVANCE_REPORT_MIN	5
int	 grievance_is_report(const char *text);
/*
 * File text as the sender's report and answer with the receipt; an
 * unregistered sender's text is kept and they are told to register. 0/-1.
 */
int	 grievance_report_text(struct handler_ctx *, const char *text);
/*
 * File the reports the sender sent before registering, answering each
 * with a receipt. 0 or -1.
 */
int	 grievance_file_pending(struct handler_ctx *);
/*
 * The sender answered prompt p ("回1提交" about the message p->object_id):
 * 1 files that message's text as their report, another digit drops it.
 * 0 or -1.
 */
int	 grievance_prompt_report(struct handler_ctx *,
	    const struct store_prompt *p, int digit);
/* The sender answered rating prompt p with digit. 0 or -1. */
int	 grievance_prompt_rating(struct handler_ctx *,
	    const struct store_prompt *p, int digit);
/* Template keys the grievance handlers use, NULL-terminated. */
extern const char *const grievance_templates[];

#endif
