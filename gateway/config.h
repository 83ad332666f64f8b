/*
 * config — cungate.conf: [gateway], one [modem NAME] per modem, [grievance]
 * and one [category NAME] per grievance category. Unknown
 * sections and keys are errors naming file:line. Relative paths are taken
 * relative to the directory of the config file.
 */
#ifndef CUNGATE_CONFIG_H
#define CUNGATE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

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
	char	**prefixes;	/* preferred recipients' prefixes, E.164 */
	size_t	 nprefixes;
	int	 delivery_reports;	/* ask for status reports: 0/1 */
	int	 hangup_calls;	/* report and hang up incoming calls: 0/1 */
	/* SIM credit (issue 7): dial balance_ussd every balance_interval. */
	char	*balance_ussd;		/* "*100#", NULL: never */
	int	 balance_interval;	/* s */
	char	*balance_pattern;	/* PCRE2; capture 1 is the amount */
	int64_t	 balance_threshold;	/* in hundredths (fen); alert below */
	int	 line;		/* where the section starts, for messages */
};

/* A grievance category: [category NAME] with keywords found in the text. */
struct config_category {
	char	*name;		/* "水": what person.categories names */
	char	**keywords;	/* substrings of the report's text */
	size_t	 nkeywords;
	int	 urgent;	/* resolve within urgent_resolve_hours: 0/1 */
	int	 line;
};

struct config {
	char	*path;		/* the file read, absolute */
	char	*dir;		/* its directory */
	char	*database;
	char	*node;		/* this daemon's name among the nodes */
	char	*state_dir;	/* where the journals are, NULL: default */
	char	*journal;	/* the journals' common start: .parts... */
	char	*timezone;
	int	 log_level;	/* enum log_level */
	char	*commands;	/* commands.conf */
	char	*messages;	/* messages.zh.conf */
	char	*country_code;	/* "86" */
	int	 reassembly_timeout;	/* s until a partial message goes on */
	int	 repeat_window;		/* s a repeated text is not answered */
	int	 regex_jit;		/* compile the command table with JIT */
	int	 heartbeat_interval;	/* s between pings to a worker */
	int	 watchdog_timeout;	/* s without a pong before a kill */
	int	 recipient_hourly_cap;	/* messages per recipient per hour */
	int	 max_attempts;		/* sends tried before a message fails */
	int	 retry_backoff;		/* s before the first retry, doubling */
	int	 tick_interval;		/* s between scheduler runs */
	int	 health_interval;	/* s between modem health readings */
	int	 modem_down_alert;	/* s down before admins are told */
	int	 sim_full_warn;		/* percent of SIM storage */
	int	 quiet_start;		/* minutes after local midnight, */
	int	 quiet_end;		/* start == end: no quiet hours */
	char	**admin_phones;		/* E.164 */
	size_t	 nadmin_phones;

	struct config_modem *modems;
	size_t	 nmodems;

	/* [grievance]: deadlines. */
	int	 accept_hours;		/* a new ticket is accepted within */
	int	 resolve_days;		/* an accepted one resolved within */
	int	 urgent_resolve_hours;	/* the same for urgent categories */
	int	 satisfaction_days;	/* the rating prompt stays open */
	int	 pending_max;		/* reports kept for one unregistered phone */
	int	 reports_per_hour;	/* tickets one phone may open an hour */
	int	 escalate_percent;	/* of a window, after its deadline */
	/* [checkin]: the elderly check-in ladder's defaults. */
	int	 checkin_due;		/* minutes after local midnight */
	int	 checkin_guardian_after;	/* minutes after due */
	int	 checkin_cadre_after;	/* minutes after due */
	int	 checkin_township;	/* minutes after the next midnight */
	int	 checkin_prompt;	/* morning prompt, minutes; -1 off */
	int	 checkin_confirm;	/* confirm the day's first check-in */
	int	 checkin_sos_repeat;	/* minutes between SOS repeats */
	/* [category NAME], in file order; built-in ones when none given. */
	struct config_category *categories;
	size_t	 ncategories;
	/* [event]: village events. */
	int	 event_time;		/* start of an SMS-published event, min */
	int	 event_remind;		/* the day before, minutes after midnight */
	int	 event_township_wide;	/* anyone of the township may sign up */
	/* [notice]: notices to a village. */
	int	 notice_confirm_above;	/* messages (parts) needing a "1" */
	int	 notice_confirm_minutes;	/* the "1" must come within */
	int	 notice_rate;		/* parts/min in all; 0: the modems' */
	/* [http] (issue 7): the HTTP server; off when listen is NULL. */
	char	*http_listen;		/* "127.0.0.1:8080" */
	char	*http_secret;		/* required by /ussd; NULL: /ussd off */
	char	*ussd_menu;		/* ussd.zh.conf */
	int	 ussd_timeout;		/* s a USSD session lives */
	int	 ussd_actions_per_minute; /* actions one phone may run */
	int	 http_session_idle;	/* s a page session lives unused */
	int	 http_session_max;	/* s a page session lives at most */
	struct config_net *http_monitor; /* may read /metrics, /healthz */
	size_t	 http_nmonitor;
	/* [retention]: days kept, 0 for ever. */
	int	 retain_messages;	/* handled inbound messages */
	int	 retain_outbox;		/* outbound rows done with */
	int	 retain_audit;		/* audit rows */
};

/* An address or a network (address/bits) of [http] monitor. */
struct config_net {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];
	int		 bits;
};
/*
 * Is address (text, as a socket gives it: "10.0.0.5", "::1",
 * "::ffff:10.0.0.5") among [http] monitor? 1/0.
 */
int	 config_monitor_allows(const struct config *, const char *address);

/*
 * Read and check path. Returns a new config (free with config_free), or NULL
 * with *cause (caller frees) naming file:line.
 */
struct config *config_load(const char *path, char **cause);
void	 config_free(struct config *);
/*
 * SIGHUP: take into live the settings of fresh (the file read again) that
 * are read at each use (caps, hours, deadlines, categories, admins, the
 * table files' names); fresh keeps live's old ones, for config_free. The
 * settings only a restart can change are left as they are: a new string
 * naming those that differ ("database, [modem] sections"), or NULL.
 */
char	*config_apply_live(struct config *live, struct config *fresh);
/*
 * The first category (in file order) one of whose keywords text contains,
 * or NULL.
 */
const struct config_category *config_category_match(const struct config *,
	    const char *text);
/* The category called name, or NULL. */
const struct config_category *config_category_find(const struct config *,
	    const char *name);
/* The modem called name, or NULL. */
const struct config_modem *config_modem_find(const struct config *,
	    const char *name);

#endif
