/*
 * config_reload — SIGHUP: a freshly read config against the running one.
 * What is read at each use (caps, quiet hours, deadlines, categories,
 * admins, retention, the table files' paths) is taken at once; what the
 * running daemon was built on (the database, the modems, the timers,
 * [http]) only a restart changes, and is named so the log can say so.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/util.h"

#define CONFIG_SWAP(a, b, type) do {	\
	type t_ = (a);				\
	(a) = (b);				\
	(b) = t_;				\
} while (0)

/* Does string a differ from b (either may be NULL)? */
static int
config_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

char *
config_apply_live(struct config *live, struct config *fresh)
{
	char *changed = NULL, *tmp;
	size_t i;
	int modems = live->nmodems != fresh->nmodems;

	/* What the running daemon was built on: only a restart changes it. */
#define CONFIG_FIXED(cond, what) do {					\
	if (cond) {							\
		tmp = xasprintf("%s%s%s", changed != NULL ? changed : "",\
		    changed != NULL ? ", " : "", what);			\
		free(changed);						\
		changed = tmp;						\
	}								\
} while (0)
	for (i = 0; !modems && i < live->nmodems; i++)
		modems = strcmp(live->modems[i].name,
		    fresh->modems[i].name) != 0 ||
		    strcmp(live->modems[i].device, fresh->modems[i].device) ||
		    live->modems[i].send_rate != fresh->modems[i].send_rate ||
		    live->modems[i].delivery_reports !=
		    fresh->modems[i].delivery_reports;
	CONFIG_FIXED(strcmp(live->database, fresh->database) != 0,
	    "database");
	CONFIG_FIXED(strcmp(live->node, fresh->node) != 0, "node");
	CONFIG_FIXED(strcmp(live->journal, fresh->journal) != 0, "state_dir");
	CONFIG_FIXED(strcmp(live->timezone, fresh->timezone) != 0,
	    "timezone");
	CONFIG_FIXED(strcmp(live->country_code, fresh->country_code) != 0,
	    "country_code");
	CONFIG_FIXED(live->heartbeat_interval != fresh->heartbeat_interval ||
	    live->watchdog_timeout != fresh->watchdog_timeout ||
	    live->tick_interval != fresh->tick_interval ||
	    live->health_interval != fresh->health_interval ||
	    live->regex_jit != fresh->regex_jit, "timers");
	CONFIG_FIXED(modems, "[modem] sections");
	CONFIG_FIXED(config_differs(live->http_listen, fresh->http_listen) ||
	    config_differs(live->http_secret, fresh->http_secret), "[http]");
#undef CONFIG_FIXED

	/* What is read at each use: taken now. */
	live->log_level = fresh->log_level;
	live->reassembly_timeout = fresh->reassembly_timeout;
	live->repeat_window = fresh->repeat_window;
	live->recipient_hourly_cap = fresh->recipient_hourly_cap;
	live->max_attempts = fresh->max_attempts;
	live->retry_backoff = fresh->retry_backoff;
	live->modem_down_alert = fresh->modem_down_alert;
	live->sim_full_warn = fresh->sim_full_warn;
	live->quiet_start = fresh->quiet_start;
	live->quiet_end = fresh->quiet_end;
	CONFIG_SWAP(live->admin_phones, fresh->admin_phones, char **);
	CONFIG_SWAP(live->nadmin_phones, fresh->nadmin_phones, size_t);
	CONFIG_SWAP(live->commands, fresh->commands, char *);
	CONFIG_SWAP(live->messages, fresh->messages, char *);
	CONFIG_SWAP(live->ussd_menu, fresh->ussd_menu, char *);
	live->accept_hours = fresh->accept_hours;
	live->resolve_days = fresh->resolve_days;
	live->urgent_resolve_hours = fresh->urgent_resolve_hours;
	live->satisfaction_days = fresh->satisfaction_days;
	live->pending_max = fresh->pending_max;
	live->reports_per_hour = fresh->reports_per_hour;
	live->escalate_percent = fresh->escalate_percent;
	live->checkin_due = fresh->checkin_due;
	live->checkin_guardian_after = fresh->checkin_guardian_after;
	live->checkin_cadre_after = fresh->checkin_cadre_after;
	live->checkin_township = fresh->checkin_township;
	live->checkin_prompt = fresh->checkin_prompt;
	live->checkin_confirm = fresh->checkin_confirm;
	live->checkin_sos_repeat = fresh->checkin_sos_repeat;
	CONFIG_SWAP(live->categories, fresh->categories,
	    struct config_category *);
	CONFIG_SWAP(live->ncategories, fresh->ncategories, size_t);
	live->event_time = fresh->event_time;
	live->event_remind = fresh->event_remind;
	live->event_township_wide = fresh->event_township_wide;
	live->notice_confirm_above = fresh->notice_confirm_above;
	live->notice_confirm_minutes = fresh->notice_confirm_minutes;
	live->notice_rate = fresh->notice_rate;
	live->ussd_timeout = fresh->ussd_timeout;
	live->retain_messages = fresh->retain_messages;
	live->retain_outbox = fresh->retain_outbox;
	live->retain_audit = fresh->retain_audit;
	live->ussd_actions_per_minute = fresh->ussd_actions_per_minute;
	live->http_session_idle = fresh->http_session_idle;
	live->http_session_max = fresh->http_session_max;
	CONFIG_SWAP(live->http_monitor, fresh->http_monitor,
	    struct config_net *);
	CONFIG_SWAP(live->http_nmonitor, fresh->http_nmonitor, size_t);
	return changed;
}
