/*
 * worker_sms — the receiving side of the modem worker: reading the SIM
 * inbox (the full walk and the locations +CMTI/+CDSI announced), turning
 * parts into PART frames and status reports into REPORT frames, the
 * slots that wait for the daemon's acks, and deleting acked locations.
 * Also the UCS-2 to UTF-8 conversion every part of the worker uses.
 *
 * A location is deleted only after the daemon acked every part in it, so
 * a crash anywhere hands the message over again instead of losing it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gammu.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/util.h"
#include "modems/modem.h"
#include "modems/proto.h"
#include "modems/worker.h"

#define WORKER_DRAIN_MS		1000	/* full SIM drained: read again */
#define WORKER_PENDING_MS	600000	/* forget an unacked part, re-read */
#define WORKER_WALK_MAX		20000	/* GetNextSMS calls per inbox read */

/* UTF-16 units before the first 0x0000, at most max. */
size_t
worker_ucs2_len(const unsigned char *p, size_t max)
{
	size_t n;

	for (n = 0; n < max; n++)
		if (p[2 * n] == 0 && p[2 * n + 1] == 0)
			break;
	return n;
}

/*
 * UTF-16BE (n units) to a new UTF-8 string, with libgammu's locale-free
 * EncodeUTF8; unpaired surrogates become U+FFFD first, so the result is
 * always valid UTF-8.
 */
static char *
worker_utf8(const unsigned char *p, size_t n)
{
	unsigned char *tmp;
	unsigned int c, d;
	size_t i;
	char *out;

	tmp = xmalloc(2 * n + 2);
	memcpy(tmp, p, 2 * n);
	tmp[2 * n] = tmp[2 * n + 1] = 0;
	for (i = 0; i < n; i++) {
		c = (unsigned int)tmp[2 * i] << 8 | tmp[2 * i + 1];
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
			d = (unsigned int)tmp[2 * i + 2] << 8 | tmp[2 * i + 3];
			if (d >= 0xdc00 && d <= 0xdfff) {
				i++;
				continue;
			}
		}
		if (c >= 0xd800 && c <= 0xdfff) {
			tmp[2 * i] = 0xff;
			tmp[2 * i + 1] = 0xfd;
		} else if (c == 0) {
			/* EncodeUTF8 would stop here: a space instead. */
			tmp[2 * i + 1] = ' ';
		}
	}
	out = xmalloc(3 * n + 1);
	EncodeUTF8(out, tmp);
	free(tmp);
	if (!proto_utf8_valid(out, strlen(out))) {
		/* Cannot happen after the repair above; stay safe anyway. */
		out[0] = '\0';
	}
	return out;
}

/* A UCS-2 string ending at 0x0000 or max units as UTF-8; NULL is "". */
char *
worker_ucs2_utf8(const unsigned char *p, size_t max)
{
	return worker_utf8(p, p == NULL ? 0 : worker_ucs2_len(p, max));
}

/*
 * The text of a received SMS. A U+0000 inside it is a character like any
 * other (it becomes a space), not the end: Length says where it ends.
 */
static char *
worker_sms_text(const GSM_SMSMessage *sms)
{
	size_t n = worker_ucs2_len(sms->Text, GSM_MAX_SMS_LENGTH), len = 0;

	if (sms->Length > 0 && sms->Length <= GSM_MAX_SMS_LENGTH)
		len = (size_t)sms->Length;
	while (len > n && sms->Text[2 * (len - 1)] == 0 &&
	    sms->Text[2 * (len - 1) + 1] == 0)
		len--;
	return worker_utf8(sms->Text, len > n ? len : n);
}

/* GSM_DateTime is the sender's local time, Timezone seconds east of UTC. */
static int64_t
worker_time(const GSM_DateTime *dt)
{
	struct tm tm;
	time_t t;

	/* An unreadable stamp is none (0), not some day in 1999. */
	if (dt->Year == 0 || dt->Month < 1 || dt->Month > 12 || dt->Day < 1 ||
	    dt->Day > 31 || dt->Hour > 23 || dt->Minute > 59 ||
	    dt->Second > 60)
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = dt->Year - 1900;
	tm.tm_mon = dt->Month - 1;
	tm.tm_mday = dt->Day;
	tm.tm_hour = dt->Hour;
	tm.tm_min = dt->Minute;
	tm.tm_sec = dt->Second;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return 0;
	return (int64_t)t - dt->Timezone;
}

/*
 * Concatenation info from the UDH bytes (first byte: UDH length), for the
 * 8-bit (IEI 0) and 16-bit (IEI 8) reference elements; libgammu's decoded
 * fields as a fallback. Single messages get ref 0, total 1, seq 1.
 */
static void
worker_concat(const GSM_SMSMessage *sms, int *ref, int *total, int *seq)
{
	const unsigned char *u = sms->UDH.Text;
	size_t len, off, iel;

	*ref = 0;
	*total = 1;
	*seq = 1;
	if (sms->UDH.Type == UDH_NoUDH || sms->UDH.Length < 1)
		return;
	len = (size_t)sms->UDH.Length;
	if (len > sizeof sms->UDH.Text)
		len = sizeof sms->UDH.Text;
	if ((size_t)u[0] + 1 < len)
		len = (size_t)u[0] + 1;
	for (off = 1; off + 2 <= len; off += 2 + iel) {
		iel = u[off + 1];
		if (off + 2 + iel > len)
			break;
		if (u[off] == 0x00 && iel == 3 && u[off + 3] >= 1 &&
		    u[off + 4] >= 1 && u[off + 4] <= u[off + 3]) {
			*ref = u[off + 2];
			*total = u[off + 3];
			*seq = u[off + 4];
			return;
		}
		if (u[off] == 0x08 && iel == 4 && u[off + 4] >= 1 &&
		    u[off + 5] >= 1 && u[off + 5] <= u[off + 4]) {
			*ref = u[off + 2] << 8 | u[off + 3];
			*total = u[off + 4];
			*seq = u[off + 5];
			return;
		}
	}
	if ((sms->UDH.Type == UDH_ConcatenatedMessages ||
	    sms->UDH.Type == UDH_ConcatenatedMessages16bit) &&
	    sms->UDH.AllParts >= 1 && sms->UDH.PartNumber >= 1 &&
	    sms->UDH.PartNumber <= sms->UDH.AllParts) {
		*ref = sms->UDH.Type == UDH_ConcatenatedMessages ?
		    sms->UDH.ID8bit : sms->UDH.ID16bit;
		if (*ref < 0 || *ref > 0xffff)
			*ref = 0;
		*total = sms->UDH.AllParts;
		*seq = sms->UDH.PartNumber;
	}
}

/* Hand one received part to the daemon as PART id. */
static void
worker_send_part(struct worker *w, const GSM_SMSMessage *sms, uint64_t id)
{
	struct proto_msg msg;
	char masked[PHONE_MAX];

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_PART;
	msg.id = id;
	msg.sender = worker_ucs2_utf8(sms->Number, GSM_MAX_NUMBER_LENGTH);
	msg.smsc = worker_ucs2_utf8(sms->SMSC.Number, GSM_MAX_NUMBER_LENGTH);
	msg.sent_at = worker_time(&sms->DateTime);
	msg.location = sms->Location;
	worker_concat(sms, &msg.ref, &msg.total, &msg.seq);
	if (sms->Coding == SMS_Coding_8bit) {
		/* Binary (WAP push, OTA): nothing to read; deliver so it is
		   kept (never answered), acked and deleted. */
		msg.binary = 1;
		msg.text = xstrdup("");
	} else
		msg.text = worker_sms_text(sms);
	log_info("modem %s: received part %d/%d from %s", w->name, msg.seq,
	    msg.total, phone_mask(msg.sender, masked));
	worker_write(w, &msg);
	proto_msg_clear(&msg);
}

/*
 * The slot of a location. Locations are flat in libgammu (the folder is
 * folded in), and the folder a driver reports differs between GetSMS and
 * GetNextSMS, so the location alone is the key.
 */
static struct worker_slot *
worker_slot_find(struct worker *w, int location)
{
	struct worker_slot *s;

	for (s = w->slots; s != NULL; s = s->next)
		if (s->location == location)
			return s;
	return NULL;
}

/* Unlink the slot *sp points at and free it. */
static void
worker_slot_drop(struct worker_slot **sp)
{
	struct worker_slot *s = *sp;

	*sp = s->next;
	free(s->sms);
	free(s);
}

/* TP-Status (23.040 9.2.3.15) as a delivery outcome. */
static enum modem_delivery
worker_delivery(unsigned char st)
{
	if (st < 0x20)		/* 0x00-0x1f: transaction completed */
		return MODEM_DELIVERED;
	if (st < 0x40)		/* 0x20-0x3f: temporary, SC still trying */
		return MODEM_DELIVERY_PENDING;
	/* 0x40-0x5f permanent error, 0x60-0x7f temporary error with the SC
	   no longer trying, reserved values: the message is not delivered. */
	return MODEM_DELIVERY_FAILED;
}

/*
 * A status report as REPORT id: which part, to whom, what became of it.
 * Acked like a part: it may be all that settles a message in doubt.
 */
static void
worker_send_report(struct worker *w, const GSM_SMSMessage *sms, uint64_t id)
{
	static const char *names[] = { "delivered", "pending", "failed" };
	struct proto_msg msg;
	char masked[PHONE_MAX];
	int64_t at;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_REPORT;
	msg.id = id;
	msg.msgref = sms->MessageReference;
	msg.number = worker_ucs2_utf8(sms->Number, GSM_MAX_NUMBER_LENGTH);
	msg.status = worker_delivery(sms->DeliveryStatus);
	/* SMSCTime is the discharge time, DateTime the SC's time stamp. */
	if ((at = worker_time(&sms->SMSCTime)) == 0 &&
	    (at = worker_time(&sms->DateTime)) == 0)
		at = (int64_t)time(NULL);
	msg.at = at;
	log_info("modem %s: status report for %d to %s: %s (TP-ST 0x%02x)",
	    w->name, msg.msgref, phone_mask(msg.number, masked),
	    names[msg.status], sms->DeliveryStatus);
	worker_write(w, &msg);
	proto_msg_clear(&msg);
}

/* Is this an SMS the inbox read hands over (a part or a report)? 0/1. */
static int
worker_is_incoming(const GSM_SMSMessage *sms)
{
	return sms->InboxFolder && (sms->PDU == SMS_Deliver ||
	    sms->PDU == SMS_Status_Report);
}

/*
 * A location read from the SIM: hand over its parts once, as PART, and
 * its status reports as REPORT, each with an id of the location's slot.
 * The location is deleted when every one has been acked. A status report
 * is kept like a part: when its message was in the air as the daemon or
 * the worker died, the report is what tells it went, and losing it in a
 * crash would send that message twice.
 */
static void
worker_take(struct worker *w, GSM_MultiSMSMessage *ms)
{
	struct worker_slot *s;
	int i, n = 0;

	for (i = 0; i < ms->Number && i < GSM_MAX_MULTI_SMS; i++)
		if (worker_is_incoming(&ms->SMS[i]))
			n++;
	if (n == 0)
		return;
	if (worker_slot_find(w, ms->SMS[0].Location) != NULL)
		return;		/* handed over already, ack pending */

	s = xcalloc(1, sizeof *s);
	s->folder = ms->SMS[0].Folder;
	s->location = ms->SMS[0].Location;
	s->sms = xmalloc(sizeof *s->sms);
	*s->sms = ms->SMS[0];
	s->first_id = w->next_id;
	s->nparts = n;
	s->sent_ms = now_ms();
	w->next_id += (uint64_t)n;
	s->next = w->slots;
	w->slots = s;

	n = 0;
	for (i = 0; i < ms->Number && i < GSM_MAX_MULTI_SMS; i++) {
		if (!worker_is_incoming(&ms->SMS[i]))
			continue;
		if (ms->SMS[i].PDU == SMS_Deliver)
			worker_send_part(w, &ms->SMS[i],
			    s->first_id + (uint64_t)n++);
		else
			worker_send_report(w, &ms->SMS[i],
			    s->first_id + (uint64_t)n++);
	}
}

/*
 * A location libgammu cannot decode (a compressed coding, say): handed to
 * the daemon as a part of its own, kept for the operator and never
 * answered (unknown sender, 8-bit), and deleted once acked like any other,
 * so it blocks nothing behind it and its slot is freed.
 */
/* Is location one libgammu can neither read nor delete? 0/1. */
static int
worker_is_bad_loc(const struct worker *w, int location)
{
	int i;

	for (i = 0; i < w->nbad_locs; i++)
		if (w->bad_locs[i] == location)
			return 1;
	return 0;
}

static void
worker_take_undecodable(struct worker *w, int location, GSM_Error err)
{
	struct worker_slot *s;
	struct proto_msg msg;

	if (worker_slot_find(w, location) != NULL ||
	    worker_is_bad_loc(w, location))
		return;		/* handed over already */
	log_warn("modem %s: SMS at %d cannot be decoded (%s): kept for the "
	    "operator, then deleted", w->name, location, GSM_ErrorString(err));
	s = xcalloc(1, sizeof *s);
	s->folder = 0;
	s->location = location;
	s->sms = xcalloc(1, sizeof *s->sms);
	s->sms->Folder = 0;
	s->sms->Location = location;
	s->first_id = w->next_id++;
	s->nparts = 1;
	s->undecodable = 1;
	s->sent_ms = now_ms();
	s->next = w->slots;
	w->slots = s;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_PART;
	msg.id = s->first_id;
	msg.sender = xstrdup("unknown");
	msg.smsc = xstrdup("");
	msg.ref = 0;
	msg.total = msg.seq = 1;
	msg.text = xasprintf("[SIM location %d: cannot be decoded: %s]",
	    location, GSM_ErrorString(err));
	msg.location = location;
	msg.binary = 1;
	worker_write(w, &msg);
	proto_msg_clear(&msg);
}

/*
 * The walk of the whole inbox failed (one bad message fails libgammu's
 * listing): read location by location instead, so the rest still come.
 */
static void
worker_read_slots(struct worker *w)
{
	GSM_MultiSMSMessage *ms;
	GSM_SMSMemoryStatus st;
	GSM_Error err;
	int loc, size;

	memset(&st, 0, sizeof st);
	if ((err = GSM_GetSMSStatus(w->sm, &st)) != ERR_NONE ||
	    st.SIMSize <= 0) {
		log_warn("modem %s: SIM size unknown (%s): cannot read slot by "
		    "slot", w->name, GSM_ErrorString(err));
		return;
	}
	size = st.SIMSize;
	log_info("modem %s: reading the SIM slot by slot (%d)", w->name, size);
	ms = xcalloc(1, sizeof *ms);
	for (loc = 1; loc <= size && w->connected; loc++) {
		if (worker_slot_find(w, loc) != NULL ||
		    worker_is_bad_loc(w, loc))
			continue;
		memset(ms, 0, sizeof *ms);
		ms->SMS[0].Folder = 0;
		ms->SMS[0].Location = loc;
		err = GSM_GetSMS(w->sm, ms);
		if (err == ERR_NONE)
			worker_take(w, ms);
		else if (err == ERR_EMPTY || err == ERR_INVALIDLOCATION)
			;
		else if (worker_is_broken(err)) {
			worker_disconnect(w, "read SMS", err);
			break;
		} else
			worker_take_undecodable(w, loc, err);
		worker_service(w, 0);
	}
	free(ms);
}

/* Fetch the locations +CMTI/+CDSI announced, or read everything. */
void
worker_fetch_noted(struct worker *w)
{
	GSM_MultiSMSMessage *ms;
	struct worker_noted nd;
	GSM_Error err;

	ms = xcalloc(1, sizeof *ms);
	while (w->connected && w->nnoted > 0 && !w->sms_full_read) {
		nd = w->noted[0];
		memmove(&w->noted[0], &w->noted[1],
		    (size_t)(w->nnoted - 1) * sizeof w->noted[0]);
		w->nnoted--;
		if (worker_slot_find(w, nd.location) != NULL)
			continue;	/* handed over already */
		memset(ms, 0, sizeof *ms);
		ms->SMS[0].Folder = nd.folder;
		ms->SMS[0].Location = nd.location;
		ms->SMS[0].Memory = nd.memory;
		err = GSM_GetSMS(w->sm, ms);
		if (err == ERR_NONE)
			worker_take(w, ms);
		else if (err == ERR_EMPTY)
			;	/* gone already */
		else if (worker_is_broken(err))
			worker_disconnect(w, "read SMS", err);
		else {
			log_warn("modem %s: read SMS at %d: %s; reading all",
			    w->name, nd.location, GSM_ErrorString(err));
			w->sms_full_read = 1;
		}
		worker_service(w, 0);
	}
	free(ms);
}

/*
 * Messages the modem routed to us without storing them (+CMT, +CDS): a
 * part or a status report goes to the daemon with an id no slot has (its
 * ack finds nothing to delete).
 */
void
worker_handle_direct(struct worker *w)
{
	GSM_SMSMessage *sms;
	int i, n;

	n = w->ndirect;
	w->ndirect = 0;
	for (i = 0; i < n; i++) {
		sms = w->direct[i];
		if (sms->PDU == SMS_Status_Report)
			worker_send_report(w, sms, w->next_id++);
		else if (sms->PDU == SMS_Deliver)
			worker_send_part(w, sms, w->next_id++);
		free(sms);
	}
}

void
worker_read_inbox(struct worker *w)
{
	GSM_MultiSMSMessage *ms;
	GSM_Error err;
	uint64_t first_id = w->next_id;
	struct worker_slot *slots = w->slots;
	int start = TRUE, ok = FALSE, i, bad_folder = -1, bad_location = -1;

	/* This read covers every location announced so far. */
	w->sms_full_read = 0;
	w->nnoted = 0;
	w->next_poll_ms = now_ms() + (int64_t)w->m->poll_interval * 1000;
	ms = xcalloc(1, sizeof *ms);
	for (i = 0; i < WORKER_WALK_MAX; i++) {
		/*
		 * After a good read the location is flat (folder folded in),
		 * as gammu-smsd passes it; after a bad one the cursor is left
		 * exactly as libgammu set it, or the walk would not move on.
		 */
		if (ok)
			ms->SMS[0].Folder = 0;
		err = GSM_GetNextSMS(w->sm, ms, start);
		start = FALSE;
		ok = err == ERR_NONE;
		if (err == ERR_EMPTY)
			break;
		if (err == ERR_FILENOTSUPPORTED || err == ERR_CORRUPTED) {
			if (ms->SMS[0].Folder == bad_folder &&
			    ms->SMS[0].Location == bad_location)
				break;	/* the cursor is stuck: give up */
			bad_folder = ms->SMS[0].Folder;
			bad_location = ms->SMS[0].Location;
			log_warn("modem %s: unreadable SMS at folder %d location "
			    "%d: %s", w->name, bad_folder, bad_location,
			    GSM_ErrorString(err));
			continue;
		}
		if (err != ERR_NONE) {
			if (worker_is_broken(err))
				worker_disconnect(w, "read inbox", err);
			else {
				log_warn("modem %s: read inbox: %s", w->name,
				    GSM_ErrorString(err));
				worker_read_slots(w);
			}
			break;
		}
		worker_take(w, ms);
		/* Answer pings between locations: a SIM read is slow. */
		worker_service(w, 0);
	}
	free(ms);
	if (w->next_id == first_id && w->slots == slots)
		w->draining = 0;	/* nothing new: drained */
}

/* Delete the locations whose parts are all acked; forget stale ones. */
void
worker_delete_acked(struct worker *w)
{
	struct worker_slot **sp, *s;
	uint64_t all;
	GSM_Error err;
	int64_t now = now_ms();

	sp = &w->slots;
	while (w->connected && (s = *sp) != NULL) {
		all = s->nparts >= 64 ? ~UINT64_C(0) :
		    (UINT64_C(1) << s->nparts) - 1;
		if (s->acked != all) {
			if (now - s->sent_ms > WORKER_PENDING_MS) {
				/* Never acked: let the next read hand it over. */
				worker_slot_drop(sp);
				continue;
			}
			sp = &s->next;
			continue;
		}
		s->sms->Folder = 0;
		err = GSM_DeleteSMS(w->sm, s->sms);
		if (err != ERR_NONE && err != ERR_EMPTY && s->undecodable &&
		    !worker_is_broken(err)) {
			/* libgammu reads before AT+CMGD: skip it from now on. */
			log_warn("modem %s: SMS at %d cannot be deleted either "
			    "(%s): skipped; free it by hand with AT+CMGD=%d",
			    w->name, s->location, GSM_ErrorString(err),
			    s->location);
			if (w->nbad_locs < WORKER_BAD_LOCS)
				w->bad_locs[w->nbad_locs++] = s->location;
			err = ERR_NONE;
		} else if (err != ERR_NONE && err != ERR_EMPTY)
			log_warn("modem %s: delete SMS at %d: %s", w->name,
			    s->location, GSM_ErrorString(err));
		else
			log_debug("modem %s: deleted SMS at %d", w->name,
			    s->location);
		worker_slot_drop(sp);
		if (err != ERR_NONE && err != ERR_EMPTY && worker_is_broken(err))
			worker_disconnect(w, "delete SMS", err);
		else if (w->draining) {
			/* Room again: what waited for it may be stored now. */
			if (w->next_poll_ms > now + WORKER_DRAIN_MS)
				w->next_poll_ms = now + WORKER_DRAIN_MS;
		}
	}
}

void
worker_ack(struct worker *w, uint64_t id)
{
	struct worker_slot *s;

	for (s = w->slots; s != NULL; s = s->next) {
		if (id >= s->first_id && id < s->first_id + (uint64_t)s->nparts) {
			s->acked |= UINT64_C(1) << (id - s->first_id);
			return;
		}
	}
	log_debug("modem %s: ack for unknown part %llu", w->name,
	    (unsigned long long)id);
}

