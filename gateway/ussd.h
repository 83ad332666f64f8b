/*
 * ussd — the villagers' USSD menu (issue 7): reads the menu file
 * (ussd.zh.conf) and turns the aggregator's `text` (the inputs so far
 * joined by '*') into the next screen, or into the action to run: the text
 * of the action's SMS twin ("投诉 路灯坏了"), which the HTTP layer stores
 * and routes like an SMS so that both channels leave the same records.
 * Pure: no I/O after loading, no clock; fuzzed by tests/fuzz/fuzz_ussd.c.
 */
#ifndef CUNGATE_USSD_H
#define CUNGATE_USSD_H

#include <stddef.h>

struct ussd_menu;

enum ussd_kind {
	USSD_CON,	/* screen: more to come */
	USSD_END,	/* screen: done, nothing to run */
	USSD_ACTION	/* run command, then answer END */
};

struct ussd_step {
	enum ussd_kind	 kind;
	char		*screen;	/* CON/END: the screen text (owned) */
	char		*command;	/* ACTION: the SMS twin's text (owned) */
	const char	*end;		/* ACTION: the END text when the
					   command gives no reply (menu's) */
};

/*
 * Load the menu at path. Its format is described in config/ussd.zh.conf.
 * NULL with *cause (caller frees) naming file:line.
 */
struct ussd_menu *ussd_menu_load(const char *path, char **cause);
void	 ussd_menu_free(struct ussd_menu *);
/* The menu's fixed texts: "timeout", "error", "busy"; never NULL. */
const char *ussd_menu_text(const struct ussd_menu *, const char *key);

/*
 * The step for text (UTF-8, the inputs joined by '*'; "" for the first
 * request). Menus page with "0" (more) and "00" (back); an unknown choice
 * shows the page again. out is filled (free with ussd_step_clear).
 */
void	 ussd_menu_step(const struct ussd_menu *, const char *text,
	    struct ussd_step *out);
void	 ussd_step_clear(struct ussd_step *);

/* Is s valid UTF-8 (no overlongs, surrogates or NUL)? 0/1. */
int	 ussd_utf8_valid(const char *s, size_t len);
/*
 * The size of s on a USSD screen: GSM-7 characters when s is plain ASCII
 * (the extension characters count 2), else UTF-16 units; *limit gets the
 * screen's limit (182 or 80).
 */
size_t	 ussd_units(const char *s, size_t *limit);
/* s cut (at a character boundary) to fit one screen: a new string. */
char	*ussd_fit(const char *s);

#endif
