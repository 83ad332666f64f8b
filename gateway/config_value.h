/*
 * config_value — what config.c and the readers of its sections in other
 * files (config_http.c) share: a value read as a path, a number or a
 * string to keep, and the sections those files read.
 */
#ifndef CUNGATE_CONFIG_VALUE_H
#define CUNGATE_CONFIG_VALUE_H

struct config;

/* A path from the file: relative ones are relative to the file's dir. */
char	*config_path(const struct config *, const char *value);
/* value as a number from min to max into *out: 0, or -1 with *cause. */
int	 config_int(const char *value, int min, int max, int *out,
	    char **cause);
/* Free *field and keep value (owned) there. */
void	 config_set(char **field, char *value);

/* [http]: one key. 0, or -1 with *cause. */
int	 config_http(struct config *, const char *key, const char *value,
	    char **cause);
/* [http]'s defaults, set before the file is read. */
void	 config_http_defaults(struct config *);

#endif
