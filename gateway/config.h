/*
 * config — cungate.conf: [gateway] and one [modem NAME] per modem. Unknown
 * sections and keys are errors naming file:line. Relative paths are taken
 * relative to the directory of the config file.
 */
#ifndef CUNGATE_CONFIG_H
#define CUNGATE_CONFIG_H

#include <stddef.h>

struct config_modem {
	char	*name;
	/* Handed to libgammu as a gammurc section would. */
	char	*device;
	char	*connection;
	char	*model;
	char	*debug_log;	/* libgammu's own log, NULL for none */
	/* Gateway side. */
	int	 send_rate;	/* parts per minute, 0 = as fast as it goes */
	int	 poll_interval;	/* seconds between inbox reads */
	int	 line;		/* where the section starts, for messages */
};

struct config {
	char	*path;		/* the file read, absolute */
	char	*dir;		/* its directory */
	char	*database;
	char	*timezone;
	int	 log_level;	/* enum log_level */
	char	*commands;	/* commands.conf */
	char	*messages;	/* messages.zh.conf */
	char	*country_code;	/* "86" */
	int	 reassembly_timeout;	/* s until a partial message goes on */
	int	 heartbeat_interval;	/* s between pings to a worker */
	int	 watchdog_timeout;	/* s without a pong before a kill */
	int	 recipient_hourly_cap;	/* messages per recipient per hour */
	int	 max_attempts;		/* sends tried before a message fails */
	int	 tick_interval;		/* s between scheduler runs */

	struct config_modem *modems;
	size_t	 nmodems;
};

/*
 * Read and check path. Returns a new config (free with config_free), or NULL
 * with *cause (caller frees) naming file:line.
 */
struct config *config_load(const char *path, char **cause);
void	 config_free(struct config *);
/* The modem called name, or NULL. */
const struct config_modem *config_modem_find(const struct config *,
	    const char *name);

#endif
