/*
 * help — what each kind of sender may text, one part each: the help page
 * (帮助) and, for text that was not understood, the hint.
 */
#ifndef CUNGATE_HANDLERS_HELP_H
#define CUNGATE_HANDLERS_HELP_H

struct handler_ctx;

/*
 * Answer the sender with their own help: a cadre's, an elder's, a
 * resident's, a guardian's (about their elder), or how to register. With
 * hint set, a cadre or resident gets the shorter "not understood" hint
 * instead. 0 or -1.
 */
int	 help_reply(struct handler_ctx *, int hint);

/* Template keys help_reply uses, NULL-terminated. */
extern const char *const help_templates[];

#endif
