/*
 * outbox — outbound policy: what goes next, on which modem, and what
 * happens when it fails. Priority classes (urgent > reply > reminder >
 * broadcast), a TTL per class, bounded retries with backoff, a cap per
 * recipient per hour; one failing message never blocks the others.
 */
#ifndef CUNGATE_OUTBOX_H
#define CUNGATE_OUTBOX_H

#include <stdint.h>
#include <time.h>

#include <stddef.h>

#include "gateway/store.h"

struct config;

/*
 * Queue text to recipient (E.164) in class, answering message_id (0 if
 * none). The TTL comes from the class. Returns the row id or -1. Runs
 * inside the caller's transaction if one is open.
 */
int64_t	 outbox_queue(struct store *, const char *recipient, const char *text,
	    enum outbox_class, int64_t message_id, time_t now);

/* How long a message of class may wait before it is dropped, in s. */
int	 outbox_ttl(enum outbox_class);
/*
 * Delay before attempt number attempts+1 after a failure, in s:
 * cf->retry_backoff doubled per attempt, at most an hour.
 */
int	 outbox_backoff(const struct config *, int attempts);

/*
 * Policy for one due row at now: 1 when it may go now; 0 when it was
 * deferred (quiet hours, cap reached) or finished (expired) instead. -1
 * on error. Quiet hours hold every class below urgent, except a reply to
 * someone who texted within the hour.
 */
int	 outbox_admit(struct store *, const struct config *,
	    const struct store_outbox *, time_t now);

/*
 * A status report matched a part of row id on record: if the row is in
 * doubt (its worker died with it), the parts on record went: mark it sent
 * with them and return 1; 0 otherwise; -1 on error.
 */
int	 outbox_part_reported(struct store *, int64_t id, time_t at);
/*
 * Part seq of row id went on modem, reference msgref, before the job's
 * result: on record at once, so that a report finds it and a worker that
 * dies now leaves no doubt about it. 0 or -1.
 */
int	 outbox_part_sent(struct store *, int64_t id, int seq,
	    const char *modem, int msgref, time_t now);
/*
 * The outcome of a send. sent: mark sent on modem, keeping each part's
 * network reference for status reports. retry: back off and try again
 * unless attempts are used up. permanent: fail now. lost (the modem died):
 * queue again at once without counting an attempt. 0 or -1.
 */
int	 outbox_sent(struct store *, int64_t id, const char *modem, int parts,
	    const int *msgrefs, int nrefs, time_t now);
int	 outbox_failed(struct store *, const struct config *, int64_t id,
	    int permanent, const char *error, time_t now);
int	 outbox_lost(struct store *, const struct config *, int64_t id,
	    time_t now);

/*
 * At start: every row a previous run left SENDING is in doubt, as after
 * a worker's death (outbox_lost): held for its status report, sent again
 * only when none comes by the deadline. The number of rows, or -1.
 */
int	 outbox_recover(struct store *, const struct config *, time_t now);
/*
 * Another node's rows in SENDING whose lease lapsed (that node is gone):
 * in doubt, as outbox_recover's. The number of rows, or -1.
 */
int	 outbox_take_over(struct store *, const struct config *, time_t now);

/*
 * A status report from modem to recipient matched no part on record. If
 * a row to that recipient is held in doubt after its worker (or the
 * daemon) died while sending it (outbox_lost), the report says it went:
 * mark it sent, with the report's part, and return 2 with *id. If it is
 * another part of a long message such a report settled (its reference
 * next to that part's), add the part and return 3 with *id. 0 if
 * neither, -1 on error.
 */
int	 outbox_settle(struct store *, const char *modem,
	    const char *recipient, int msgref, const char *status, time_t at,
	    int64_t *id);

struct modem;
/*
 * Hand due rows to modems that can take them: the most urgent class first,
 * each to a modem on the recipient's operator (prefixes) if one is up,
 * not the one that just failed it, under its send rate, least loaded.
 * Among nodes: a row another node's modem should send (its operator's,
 * while none of ours is; the rest of a message or a doubt on its modem)
 * is left to that node while it lives.
 * Stops when no modem can take more. Returns the number handed over, or -1 on a store error.
 */
int	 outbox_pump(struct store *, const struct config *,
	    struct modem *const *modems, size_t nmodems, time_t now);

#endif
