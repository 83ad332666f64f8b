/*
 * inbox — store first, acknowledge second. See inbox.h.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/inbox.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

int
inbox_store(struct store *st, const struct config *cf,
    const struct store_part *in, time_t now, int64_t *message_id)
{
	struct store_part p = *in;
	char phone[PHONE_MAX], masked[PHONE_MAX];
	int64_t part_id = 0;
	int rc;

	*message_id = 0;
	/* Short codes and alphanumeric senders are kept as they came. */
	if (phone_normalise(in->sender, cf->country_code, phone) == 0)
		p.sender = phone;
	if (p.total < 1 || p.total > 255 || p.seq < 1 || p.seq > p.total) {
		/* A broken UDH: take the part as a message of its own. */
		p.ref = 0;
		p.total = 1;
		p.seq = 1;
	}
	if (p.total == 1)
		p.ref = 0;
	p.received_at = now;
	if (store_begin(st) == -1)
		return -1;
	if ((rc = store_part_insert(st, &p, &part_id)) == 1 &&
	    store_part_complete(st, part_id, now, message_id) == -1)
		rc = -1;
	if (rc == -1 || store_commit(st) == -1) {
		store_rollback(st);
		log_warn("inbox: part from %s: not stored: %s",
		    phone_mask(p.sender, masked), store_error(st));
		*message_id = 0;
		return -1;
	}
	log_debug("inbox: part %d/%d ref %d from %s on %s: %s", p.seq,
	    p.total, p.ref, phone_mask(p.sender, masked), p.modem,
	    rc == 1 ? "stored" : "duplicate");
	return rc;
}
