/*
 * notice — notices to a village (see notice.h): counting parts, the
 * opt-out hint, recipients, confirmation of big ones and the estimate of
 * when the last part will have gone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/notice.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"
#include "handlers/template.h"

/* Parts per minute assumed for a modem with no send_rate of its own. */
#define NOTICE_MODEM_RATE	20

/* The GSM 03.38 default alphabet (escape left out), then its extension. */
static const char notice_gsm_basic[] =
	"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
static const char notice_gsm_ext[] = "\f^{}\\[~]|€";

/*
 * The code point at *s, advancing *s; 0xFFFD for a bad byte (it is not
 * GSM-7 either way).
 */
static uint32_t
notice_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	uint32_t c;
	int n, i;

	if (s[0] < 0x80) {
		*sp += 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		c = s[0] & 0x1F;
		n = 1;
	} else if ((s[0] & 0xF0) == 0xE0) {
		c = s[0] & 0x0F;
		n = 2;
	} else if ((s[0] & 0xF8) == 0xF0) {
		c = s[0] & 0x07;
		n = 3;
	} else {
		*sp += 1;
		return 0xFFFD;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*sp += i;
			return 0xFFFD;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	*sp += n + 1;
	return c;
}

/* Is code point c in UTF-8 set? 0/1. */
static int
notice_in(const char *set, uint32_t c)
{
	const char *p = set;

	while (*p != '\0')
		if (notice_next(&p) == c)
			return 1;
	return 0;
}

int
notice_is_gsm7(const char *s)
{
	uint32_t c;

	while (*s != '\0') {
		c = notice_next(&s);
		if (!notice_in(notice_gsm_basic, c) &&
		    !notice_in(notice_gsm_ext, c))
			return 0;
	}
	return 1;
}

int
notice_parts(const char *s)
{
	const char *p = s;
	size_t units = 0;
	uint32_t c;
	int gsm = notice_is_gsm7(s);

	while (*p != '\0') {
		c = notice_next(&p);
		if (gsm)
			units += notice_in(notice_gsm_ext, c) ? 2 : 1;
		else
			units += c > 0xFFFF ? 2 : 1;
	}
	if (gsm)
		return units <= 160 ? 1 : (int)((units + 152) / 153);
	return units <= 70 ? 1 : (int)((units + 66) / 67);
}

char *
notice_with_hint(const char *text, const char *hint)
{
	char *with;

	if (hint == NULL || *hint == '\0')
		return xstrdup(text);
	with = xasprintf("%s%s", text, hint);
	if (notice_parts(with) == notice_parts(text))
		return with;
	free(with);
	return xstrdup(text);
}

time_t
notice_done_at(const struct notice_ctx *nc, int parts)
{
	const struct config *cf = nc->cf;
	long rate = cf->notice_rate, minutes;
	size_t i;

	if (rate <= 0) {
		for (i = 0; i < cf->nmodems; i++)
			rate += cf->modems[i].send_rate > 0 ?
			    cf->modems[i].send_rate : NOTICE_MODEM_RATE;
		if (rate <= 0)
			rate = NOTICE_MODEM_RATE;
	}
	minutes = (parts + rate - 1) / rate;
	if (minutes < 1)
		minutes = 1;
	return nc->now + minutes * 60;
}

/* The recipients of a notice, collected from the village's people. */
struct notice_to {
	const char	*sender;
	char		(*phones)[PHONE_MAX];
	size_t		 n;
};

static void
notice_to_cb(const struct store_person *p, void *arg)
{
	struct notice_to *to = arg;

	if (p->opted_out || p->phone[0] == '\0' ||
	    strcmp(p->phone, to->sender) == 0)
		return;
	to->phones = xrealloc(to->phones, (to->n + 1) * sizeof *to->phones);
	snprintf(to->phones[to->n++], PHONE_MAX, "%s", p->phone);
}

/* Collect village's recipients into *to (free to->phones). 0 or -1. */
static int
notice_recipients(struct notice_ctx *nc, const char *village,
    const char *sender, struct notice_to *to)
{
	memset(to, 0, sizeof *to);
	to->sender = sender;
	return store_person_list(nc->st, village, notice_to_cb, to);
}

/* Queue n's text to its village now; n is updated. 0 or -1. */
static int
notice_queue(struct notice_ctx *nc, struct store_notice *n)
{
	struct notice_to to;
	char detail[64];
	size_t i;
	int rc = 0;

	if (notice_recipients(nc, n->village, n->sender, &to) == -1)
		return -1;
	for (i = 0; i < to.n && rc == 0; i++)
		if (outbox_queue(nc->st, to.phones[i], n->text,
		    OUTBOX_BROADCAST, 0, nc->now) == -1)
			rc = -1;
	n->recipients = (int)to.n;
	free(to.phones);
	if (rc == -1 || store_notice_set(nc->st, n->id, "sent", nc->now) == -1)
		return -1;
	snprintf(n->status, sizeof n->status, "sent");
	n->sent_at = nc->now;
	snprintf(detail, sizeof detail, "%d recipient(s)", n->recipients);
	if (store_audit(nc->st, nc->now, nc->actor, nc->channel,
	    "notice.send", n->village, detail) == -1)
		return -1;
	log_info("notice %lld: village %s: %d recipient(s) queued",
	    (long long)n->id, n->village, n->recipients);
	return 0;
}

int
notice_create(struct notice_ctx *nc, const struct store_village *v,
    const char *text, const char *sender, int confirmed,
    struct store_notice *out)
{
	struct notice_to to;
	char *hint, *full;
	int each;

	hint = template_render(nc->tpl, "notice_hint", NULL);
	full = notice_with_hint(text, hint);
	free(hint);
	if (notice_recipients(nc, v->code, sender, &to) == -1) {
		free(full);
		return -1;
	}
	free(to.phones);
	memset(out, 0, sizeof out[0]);
	out->village_id = v->id;
	snprintf(out->village, sizeof out->village, "%s", v->code);
	snprintf(out->text, sizeof out->text, "%s", full);
	free(full);
	snprintf(out->sender, sizeof out->sender, "%s", sender);
	each = notice_parts(out->text);
	out->recipients = (int)to.n;
	out->parts = out->recipients * each;
	out->created_at = nc->now;
	snprintf(out->status, sizeof out->status, "pending");
	if (store_notice_add(nc->st, out, &out->id) == -1)
		return -1;
	if (!confirmed && out->parts > nc->cf->notice_confirm_above) {
		if (sender[0] == '+' && store_prompt_add(nc->st, sender,
		    NOTICE_PROMPT_KIND, out->id, nc->now, nc->now +
		    60 * nc->cf->notice_confirm_minutes) == -1)
			return -1;
		return store_audit(nc->st, nc->now, nc->actor, nc->channel,
		    "notice.pending", v->code, NULL) == -1 ? -1 : 0;
	}
	return notice_queue(nc, out) == -1 ? -1 : 1;
}

int
notice_confirm(struct notice_ctx *nc, int64_t id, struct store_notice *out)
{
	int rc;

	if ((rc = store_notice_get(nc->st, id, out)) != 1)
		return rc;
	if (strcmp(out->status, "pending") != 0 || out->created_at +
	    60 * nc->cf->notice_confirm_minutes < nc->now)
		return 0;
	return notice_queue(nc, out) == -1 ? -1 : 1;
}

int
notice_sched_run(struct notice_ctx *nc)
{
	return store_notice_expire(nc->st, nc->now -
	    60 * nc->cf->notice_confirm_minutes);
}
