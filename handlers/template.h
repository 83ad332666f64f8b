/*
 * template — reply texts from config/messages.zh.conf, so a county can
 * localise them without touching C. Each entry of [messages] is a template
 * with named fields: "您的工单 {ticket} 已受理". "{{" and "}}" are literal braces.
 * A long template continues on indented lines (joined without a space).
 */
#ifndef CUNGATE_TEMPLATE_H
#define CUNGATE_TEMPLATE_H

#include <stdarg.h>

struct template;

/* Load path. NULL with *cause (file:line) on error. */
struct template *template_load(const char *path, char **cause);
void	 template_free(struct template *);
/* Is key defined? 0/1. */
int	 template_has(const struct template *, const char *key);
/*
 * Render key with fields given as name, value, …, NULL. A field the
 * template names but the caller did not give renders as "". Returns a new
 * string (caller frees), or NULL when key is not defined.
 */
char	*template_render(const struct template *, const char *key, ...)
	    __attribute__((sentinel));
char	*template_vrender(const struct template *, const char *key, va_list);

#endif
