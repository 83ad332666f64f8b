/*
 * worker_send — the sending side of the modem worker: the queue of SEND
 * jobs from the daemon, encoding a job's text into parts
 * (GSM_EncodeMultiPartSMS), sending them at send_rate, waiting for each
 * part's send status, and the RESULT that tells the outbox what became of
 * the job, with the table of +CMS ERROR codes worth a retry.
 *
 * A part that went to the modem without a status back is neither sent
 * nor failed: the worker exits and the supervisor reports the job lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gammu.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/util.h"
#include "modems/modem.h"
#include "modems/proto.h"
#include "modems/worker.h"

#define WORKER_STATUS_MS	60000	/* wait for a part's send status, at
					   most; watchdog_timeout if less */
#define WORKER_MAX_UNITS	3000	/* UTF-16 units per job: <= 45 parts */

/*
 * The network took part seq of job, with reference msgref: in the journal
 * first, then PART_SENT. The daemon dying now takes this worker with it,
 * and may never read the frame; its next start reads the journal.
 */
static void
worker_part_sent(struct worker *w, uint64_t job, int seq, int32_t msgref)
{
	struct proto_msg msg;
	struct journal_part *p;

	if (w->journal != NULL) {
		if (w->nrecent == WORKER_JOURNAL_KEEP) {
			memmove(&w->recent[0], &w->recent[1],
			    (WORKER_JOURNAL_KEEP - 1) * sizeof w->recent[0]);
			w->nrecent--;
		}
		p = &w->recent[w->nrecent++];
		p->job = (int64_t)job;
		p->seq = seq;
		p->msgref = msgref;
		p->at = now_real();
		p->modem = w->name;
		journal_append(w->journal, p);
		if (journal_size(w->journal) > WORKER_JOURNAL_BYTES)
			journal_rewrite(w->journal, w->recent, w->nrecent);
	}

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_PART_SENT;
	msg.job = job;
	msg.seq = seq;
	msg.msgref = msgref;
	worker_write(w, &msg);
}

/* RESULT for job: parts_sent entries of msgrefs went out (may be NULL). */
static void
worker_result(struct worker *w, uint64_t job, enum modem_result r,
    int parts, int parts_sent, int32_t *msgrefs, int cms, const char *error)
{
	struct proto_msg msg;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_RESULT;
	msg.job = job;
	msg.result = r;
	msg.parts = parts;
	msg.parts_sent = parts_sent;
	msg.msgrefs = msgrefs;
	msg.cms = cms;
	msg.error = (char *)error;
	worker_write(w, &msg);
}

static void
worker_job_free(struct worker_job *j)
{
	free(j->number);
	free(j->text);
	free(j);
}

/* Report every queued job as failed (retry): the modem went away. */
void
worker_fail_jobs(struct worker *w, const char *why)
{
	struct worker_job *j;

	while ((j = w->jobs) != NULL) {
		w->jobs = j->next;
		worker_result(w, j->job, MODEM_FAILED_RETRY, 0, 0, NULL, -1,
		    why);
		worker_job_free(j);
	}
}

void
worker_job_queue(struct worker *w, struct proto_msg *msg)
{
	struct worker_job *j, **jp;

	j = xcalloc(1, sizeof *j);
	j->job = msg->job;
	j->number = msg->number;
	j->text = msg->text;
	j->report = msg->report;
	j->skip = msg->skip;
	msg->number = msg->text = NULL;
	for (jp = &w->jobs; *jp != NULL; jp = &(*jp)->next)
		;
	*jp = j;
}

/*
 * Does a failed send deserve another try? 0 give up, 1 retry. status is
 * what libgammu's send-status callback gave: the +CMS ERROR code
 * (27.005 3.2.5), -1 for a bare ERROR. The rule: a fault of the
 * recipient's number or of the message itself is permanent; a fault of
 * the network, of our SIM or subscription, or of this modem is worth a
 * retry (on another modem, if the outbox has one); unknown codes retry,
 * as max_attempts bounds them.
 *
 *   0-127   RP-Cause, 24.011 E.2 / 8.2.5.4:
 *     1 unassigned number, 28 unidentified subscriber,
 *     30 unknown subscriber                              permanent
 *     21 short message transfer rejected                  permanent
 *     95 semantically incorrect, 96 invalid mandatory
 *     information, 97 message type non-existent,
 *     99 information element non-existent                permanent
 *     8 operator determined barring, 10 call barred,
 *     50 facility not subscribed (our SIM: no credit,
 *     no SMS service), 27 destination out of order,
 *     29 facility rejected, 38 network out of order,
 *     41 temporary failure, 42 congestion, 47 resources
 *     unavailable, 69 not implemented, 81 invalid
 *     reference, 98 wrong state, 111 protocol error,
 *     127 interworking, others                            retry
 *   128-255 TP-Failure-Cause, 23.040 9.2.3.22:
 *     0x80-0x8f TP-PID, 0x90-0x9f TP-DCS,
 *     0xa0-0xaf TP-Command errors, 0xb0 TPDU not
 *     supported, 0xc3 invalid SME address, 0xc4
 *     destination SME barred, 0xc5 duplicate rejected
 *     (the first one arrived), 0xc6/0xc7 TP-VP(F)
 *     not supported                                      permanent
 *     0xc0 SC busy, 0xc1 no SC subscription, 0xc2 SC
 *     system failure, 0xd0-0xd5 (U)SIM errors, 0xe0-0xff
 *     application specific and unspecified               retry
 *   300-   27.005 3.2.5 ME and SIM errors:
 *     304 invalid PDU mode parameter, 305 invalid text
 *     mode parameter                                     permanent
 *     300 ME failure, 301 SMS service reserved, 302 not
 *     allowed, 303 not supported, 310-318 SIM missing,
 *     PIN, busy or wrong, 320-322 memory, 330 SMSC
 *     address unknown, 331 no network service, 332
 *     network timeout, 340, 500 unknown, 512- vendor     retry
 */
static int
worker_cms_retry(int status)
{
	switch (status) {
	case 1:
	case 21:
	case 28:
	case 30:
	case 95:
	case 96:
	case 97:
	case 99:
	case 0xb0:
	case 0xc3:
	case 0xc4:
	case 0xc5:
	case 0xc6:
	case 0xc7:
	case 304:
	case 305:
		return 0;
	default:
		if (status >= 0x80 && status <= 0xaf)
			return 0;
		return 1;
	}
}

/* A number libgammu can take: optional '+', 1 to 20 digits. */
static int
worker_number_ok(const char *s)
{
	size_t i = 0, n = 0;

	if (s[0] == '+')
		i++;
	for (; s[i] != '\0'; i++, n++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n >= 1 && n <= 20;
}

/* Wait, answering frames, until the next part may go (send_rate). */
static void
worker_pace(struct worker *w)
{
	int64_t gap, due, now;

	if (w->m->send_rate <= 0 || w->last_part_ms == 0)
		return;
	gap = 60000 / w->m->send_rate;
	due = w->last_part_ms + gap;
	while ((now = now_ms()) < due)
		worker_service(w, (int)(due - now > WORKER_SERVICE_MS ?
		    WORKER_SERVICE_MS : due - now));
}

/*
 * Wait, pumping the port and answering frames, until the send-status
 * callback fired. 0, or -1 if the link died or no status came within the
 * budget of one call: the daemon's watchdog_timeout (at most
 * WORKER_STATUS_MS).
 */
static int
worker_wait_status(struct worker *w)
{
	int64_t start = now_ms(), budget;

	budget = (int64_t)w->cf->watchdog_timeout * 1000;
	if (budget <= 0 || budget > WORKER_STATUS_MS)
		budget = WORKER_STATUS_MS;
	while (!w->status_got) {
		if (now_ms() - start >= budget)
			return -1;
		/* AT modems report during a later read; dummy already did. */
		if (worker_read_device(w) != 0)
			return -1;
		worker_service(w, w->pump ? 0 : 20);
	}
	return 0;
}

/*
 * Part i of parts failed. status > 0 is a +CMS ERROR code: it goes to
 * *cms and decides *res; otherwise the error text says detail.
 */
static void
worker_part_failed(int status, const char *detail, int i, int parts,
    int *cms, enum modem_result *res, char *err_text, size_t len)
{
	if (status > 0) {
		*cms = status;
		if (!worker_cms_retry(status))
			*res = MODEM_FAILED_PERMANENT;
		snprintf(err_text, len, "part %d/%d: +CMS ERROR %d", i + 1,
		    parts, status);
	} else
		snprintf(err_text, len, "part %d/%d: %s", i + 1, parts, detail);
}

/*
 * Encode text (UTF-8) into ms as the worker sends it: GSM-7 when every
 * character has a place in it, UCS-2 otherwise, in linked parts as needed
 * (GSM_EncodeMultiPartSMS). The number of parts, or -1 with why in err.
 */
int
worker_encode(GSM_Debug_Info *di, const char *text, GSM_MultiSMSMessage *ms,
    char *err, size_t errlen)
{
	GSM_MultiPartSMSInfo *info;
	unsigned char *ucs2;
	GSM_Error e;
	size_t len = strlen(text);
	int rc = -1;

	ucs2 = xmalloc(2 * len + 4);
	DecodeUTF8(ucs2, text, len);
	if (UnicodeLength(ucs2) > WORKER_MAX_UNITS) {
		snprintf(err, errlen, "text too long (%zu units, at most %d)",
		    (size_t)UnicodeLength(ucs2), WORKER_MAX_UNITS);
		free(ucs2);
		return -1;
	}
	info = xcalloc(1, sizeof *info);
	GSM_ClearMultiPartSMSInfo(info);
	info->EntriesNum = 1;
	info->UnicodeCoding = FALSE;
	info->Entries[0].ID = SMS_ConcatenatedAutoTextLong;
	info->Entries[0].Buffer = ucs2;
	e = GSM_EncodeMultiPartSMS(di, info, ms);
	info->Entries[0].Buffer = NULL;	/* ours, not libgammu's to free */
	if (e != ERR_NONE || ms->Number < 1 || ms->Number > GSM_MAX_MULTI_SMS)
		snprintf(err, errlen, "cannot encode: %s", GSM_ErrorString(e));
	else
		rc = ms->Number;
	free(info);
	free(ucs2);
	return rc;
}

/*
 * A long message's concatenation reference follows from its job (the
 * outbox row) instead of the clock: the same on every attempt, so that
 * the parts sent again join those the recipient's phone holds already.
 */
static void
worker_concat_ref(GSM_Debug_Info *di, GSM_MultiSMSMessage *ms, uint64_t job)
{
	GSM_UDHHeader *u;
	int i;

	for (i = 0; i < ms->Number; i++) {
		u = &ms->SMS[i].UDH;
		if (u->Type != UDH_ConcatenatedMessages &&
		    u->Type != UDH_ConcatenatedMessages16bit)
			continue;
		u->ID8bit = (int)(job & 0xff);
		u->ID16bit = (int)(job & 0xffff);
		GSM_EncodeUDHHeader(di, u);
	}
}

int
modem_parts(const char *text)
{
	GSM_MultiSMSMessage *ms;
	char err[128];
	int n;

	ms = xcalloc(1, sizeof *ms);
	/* No debug handle: libgammu's global one, silent unless enabled. */
	n = worker_encode(NULL, text, ms, err, sizeof err);
	free(ms);
	return n;
}

/*
 * Send the first queued job, all its parts but those it says went before,
 * and report the result: the network's reference of each part sent (-1 for
 * one skipped) and, on failure, the +CMS code. Parts stop at the first
 * failure; the parts sent before it are counted, so the outbox knows what
 * the recipient already has.
 */
void
worker_send_job(struct worker *w)
{
	GSM_MultiSMSMessage *ms = NULL;
	struct worker_job *j = w->jobs;
	char masked[PHONE_MAX], err_text[256];
	enum modem_result res = MODEM_FAILED_RETRY;
	int32_t msgrefs[GSM_MAX_MULTI_SMS];
	GSM_Error err = ERR_NONE;
	int i, parts = 0, sent = 0, skipped = 0, cms = -1, broken = 0;

	w->jobs = j->next;
	phone_mask(j->number, masked);
	err_text[0] = '\0';

	if (!worker_number_ok(j->number)) {
		res = MODEM_FAILED_PERMANENT;
		snprintf(err_text, sizeof err_text, "invalid number");
		goto done;
	}
	ms = xcalloc(1, sizeof *ms);
	if (worker_encode(GSM_GetDebug(w->sm), j->text, ms, err_text,
	    sizeof err_text) == -1) {
		res = MODEM_FAILED_PERMANENT;
		goto done;
	}
	parts = ms->Number;
	worker_concat_ref(GSM_GetDebug(w->sm), ms, j->job);

	for (i = 0; i < ms->Number; i++) {
		if (i < 64 && (j->skip & UINT64_C(1) << i)) {
			/* It went on an earlier attempt: not twice. */
			msgrefs[sent++] = -1;
			skipped++;
			continue;
		}
		worker_pace(w);
		/* SMS_Status_Report on a submit sets TP-SRR (gsmsms.c). */
		ms->SMS[i].PDU = j->report ? SMS_Status_Report : SMS_Submit;
		ms->SMS[i].SMSC.Location = 1;
		DecodeUTF8(ms->SMS[i].Number, j->number, strlen(j->number));
		w->status_got = 0;
		w->status = -1;
		w->status_ref = -1;
		/* The pace runs from each part's start, not its end. */
		w->last_part_ms = now_ms();
		err = GSM_SendSMS(w->sm, &ms->SMS[i]);
		if (err != ERR_NONE) {
			/* A +CMS ERROR to AT+CMGS= itself comes both ways. */
			worker_part_failed(w->status_got ? w->status : -1,
			    GSM_ErrorString(err), i, parts, &cms, &res,
			    err_text, sizeof err_text);
			broken = worker_is_broken(err);
			goto done;
		}
		if (worker_wait_status(w) != 0) {
			/*
			 * The part went to the modem and nothing came back:
			 * whether it was sent, nobody can tell. Only the
			 * supervisor may say so (MODEM_LOST), and a fresh
			 * worker is the cure for a stuck modem: exit without
			 * a result. The supervisor kills our process group,
			 * and with it the modem command of a proxyat link.
			 */
			log_warn("modem %s: send to %s: part %d/%d: no send "
			    "status; restarting the worker", w->name, masked,
			    i + 1, parts);
			exit(1);
		}
		if (w->status != 0) {
			worker_part_failed(w->status, "send failed", i, parts,
			    &cms, &res, err_text, sizeof err_text);
			goto done;
		}
		msgrefs[sent++] = w->status_ref;
		/* At once: if we die before RESULT, this part is not in doubt. */
		worker_part_sent(w, j->job, i + 1, w->status_ref);
	}
	res = MODEM_SENT;

done:
	if (res == MODEM_SENT && skipped > 0)
		log_info("modem %s: sent %d more part%s of %d to %s (ref %d)",
		    w->name, parts - skipped, parts - skipped == 1 ? "" : "s",
		    parts, masked, (int)msgrefs[sent - 1]);
	else if (res == MODEM_SENT)
		log_info("modem %s: sent %d part%s to %s (ref %d%s)", w->name,
		    parts, parts == 1 ? "" : "s", masked, (int)msgrefs[0],
		    parts > 1 ? ", ..." : "");
	else
		log_warn("modem %s: send to %s: %s (%s)", w->name, masked,
		    err_text, res == MODEM_FAILED_PERMANENT ? "permanent" :
		    "will retry");
	worker_result(w, j->job, res, parts, sent, sent > 0 ? msgrefs : NULL,
	    cms, err_text);
	if (broken)
		worker_disconnect(w, "send SMS", err);
	free(ms);
	worker_job_free(j);
}

