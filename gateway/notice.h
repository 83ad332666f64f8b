/*
 * notice — a cadre's (or county staff's) notice to every resident of a
 * village who has not opted out, queued at the broadcast class so alerts
 * and replies go first. Big notices wait for the sender's confirmation
 * ("1" by SMS, --yes from cungatectl). This file also owns how many SMS
 * parts a text costs: GSM-7 (160, 153 per part when split) when every
 * character is in the GSM 7-bit alphabet, else UCS-2 (70, 67) counted in
 * UTF-16 units.
 */
#ifndef CUNGATE_NOTICE_H
#define CUNGATE_NOTICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/store.h"

struct config;
struct template;

/* Who sends, when, and what message is being answered. */
struct notice_ctx {
	struct store		*st;
	const struct config	*cf;
	const struct template	*tpl;
	time_t			 now;
	const char		*actor;		/* a phone, "cli" or "system" */
	const char		*channel;	/* "sms", "cli", "system" */
	int64_t			 message_id;	/* answered message, 0 if none */
};

#define NOTICE_PROMPT_KIND	"notice_confirm"
#define NOTICE_MAX_CHARS	300	/* of a notice's own text */

/* Is every character of UTF-8 s in the GSM 7-bit alphabet (or its
 * extension table)? 0/1. */
int	 notice_is_gsm7(const char *s);
/* The SMS parts s costs (1 for ""). */
int	 notice_parts(const char *s);
/*
 * text with the opt-out hint appended when that costs no extra part,
 * else text alone. A new string (caller frees).
 */
char	*notice_with_hint(const char *text, const char *hint);

/*
 * Make a notice of text to village v from sender (a phone, or "cli"):
 * the text with the hint (template notice_hint), its recipients (every
 * person of the village with a phone, not opted out, but the sender) and
 * parts. When confirmed, or when it costs no more than the config's
 * confirm_above parts, it is queued at once (1); else it is stored
 * "pending" and, for a phone sender, a notice_confirm prompt is opened
 * for confirm_minutes (0). *out is the notice. -1 on error.
 */
int	 notice_create(struct notice_ctx *, const struct store_village *v,
	    const char *text, const char *sender, int confirmed,
	    struct store_notice *out);
/*
 * Queue pending notice id to its village now. 1 queued (*out updated),
 * 0 when it is no longer pending (sent, expired), -1 on error.
 */
int	 notice_confirm(struct notice_ctx *, int64_t id,
	    struct store_notice *out);
/* When parts queued at now will have gone out, at the modems' rate. */
time_t	 notice_done_at(const struct notice_ctx *, int parts);
/* Expire pending notices past their confirmation window: count or -1. */
int	 notice_sched_run(struct notice_ctx *);

#endif
