/*
 * worker — the modem worker process (modem_worker_main), the only code
 * that calls libgammu. One process per modem: libgammu is not thread-safe
 * and one call can block for minutes, so the daemon's watchdog must be
 * able to kill us (the supervisor kills our whole process group, so
 * libgammu's proxyat child goes too).
 *
 * A single loop: serve the socket (PING -> PONG at once, ACK and SEND
 * recorded), then do the libgammu work that is due, most urgent first:
 * connect; hang up a ringing call and report it; fetch the SIM locations
 * +CMTI/+CDSI announced; send a job; delete acked parts; the safety-net
 * full inbox read every poll_interval; a health reading every
 * health_interval. libgammu callbacks only record; the work happens after
 * they return (LIBGAMMU.md: hanging up inside the callback stalls).
 *
 * A modem behind a real connection (serial, proxyat, ...) is pumped:
 * between pieces of work the loop alternates GSM_ReadDevice(FALSE), which
 * waits at most ~50 ms for the port, with a non-blocking look at the
 * socket, so a +CMTI is read within ~50 ms and a frame answered within
 * ~50 ms. libgammu's dummy phone fires no notifications: it only sleeps
 * on the socket and reads the inbox every poll_interval.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gammu.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/util.h"
#include "modems/modem.h"
#include "modems/proto.h"

#define WORKER_SERVICE_MS	200	/* longest wait between checks */
#define WORKER_STATUS_MS	60000	/* wait for a part's send status, at
					   most; watchdog_timeout if less */
#define WORKER_NOTED_MAX	64	/* announced locations kept; more:
					   a full read */
#define WORKER_DIRECT_MAX	16	/* messages routed to us, not stored */
#define WORKER_CALLS_MAX	4	/* incoming-call events between turns */
#define WORKER_CALL_QUIET_MS	30000	/* same caller this long: same call */
#define WORKER_REHANGUP_MS	5000	/* still ringing: hang up again */
#define WORKER_PUMP_QUICK_MS	5	/* GSM_ReadDevice back this soon... */
#define WORKER_PUMP_QUICK_MAX	100	/* ...this often with nothing: EOF */
#define WORKER_DRAIN_MS		1000	/* full SIM drained: read again */
#define WORKER_HEALTH_DEFAULT	60	/* s, if the config has none */
#define WORKER_SIM_FULL_DEFAULT	80	/* percent */
#define WORKER_BACKOFF_MAX	60000
#define WORKER_CONNECT_TRIES	20	/* then exit for a fresh process */
#define WORKER_PENDING_MS	600000	/* forget an unacked part, re-read */
#define WORKER_MAX_UNITS	3000	/* UTF-16 units per job: <= 45 parts */
#define WORKER_WALK_MAX		20000	/* GetNextSMS calls per inbox read */

/* One SIM location read and handed over, waiting for the daemon's acks. */
struct worker_slot {
	int			 folder;
	int			 location;
	GSM_SMSMessage		*sms;		/* for GSM_DeleteSMS */
	uint64_t		 first_id;	/* parts are first_id + k */
	int			 nparts;
	uint64_t		 acked;		/* bit k: part k acked */
	int64_t			 sent_ms;
	struct worker_slot	*next;
};

struct worker_job {
	uint64_t		 job;
	char			*number;
	char			*text;
	int			 report;	/* ask for status reports */
	struct worker_job	*next;
};

/* A SIM location a +CMTI or +CDSI announced, to fetch with GSM_GetSMS. */
struct worker_noted {
	int			 folder;
	int			 location;
	GSM_MemoryType		 memory;
};

struct worker {
	const struct config		*cf;
	const struct config_modem	*m;
	const char			*name;
	int				 fd;
	struct proto_reader		 rd;

	GSM_StateMachine	*sm;
	int			 connected;
	int			 connect_fails;
	int			 backoff_ms;
	int64_t			 next_connect_ms;
	char			 down_why[256];

	uint64_t		 next_id;
	struct worker_slot	*slots;
	struct worker_job	*jobs;

	int			 pump;		/* GSM_ReadDevice between jobs */
	int			 pump_quick;	/* empty reads that did not wait */
	int64_t			 next_poll_ms;
	int64_t			 next_health_ms;
	int			 draining;	/* SIM was nearly full: re-read
					   after deletions until a read
					   finds nothing new */
	int64_t			 last_part_ms;

	/* The call being hung up, to report one CALL per call. */
	char			 call_number[PHONE_MAX];
	int64_t			 call_seen_ms;	/* last RING/+CLIP from it */
	int64_t			 call_hangup_ms;

	/*
	 * Written by libgammu callbacks only, read and cleared by the loop
	 * after the libgammu call returned.
	 */
	int			 sms_full_read;	/* noted overflowed, or unknown */
	struct worker_noted	 noted[WORKER_NOTED_MAX];
	int			 nnoted;
	GSM_SMSMessage		*direct[WORKER_DIRECT_MAX];	/* +CMT, +CDS */
	int			 ndirect;
	char			 calls[WORKER_CALLS_MAX][PHONE_MAX];
	int			 ncalls;
	int			 status_got;
	int			 status;
	int			 status_ref;
};

static void	worker_service(struct worker *, int timeout_ms);

static void
worker_write(struct worker *w, const struct proto_msg *msg)
{
	struct buf b;

	memset(&b, 0, sizeof b);
	if (proto_encode(&b, msg) != 0) {
		log_error("modem %s: cannot encode %s", w->name,
		    proto_type_name(msg->type));
		buf_free(&b);
		return;
	}
	if (proto_write_all(w->fd, b.data, b.len) != 0) {
		log_info("modem %s: daemon gone: %s", w->name,
		    strerror(errno));
		_exit(0);
	}
	buf_free(&b);
}

static void
worker_state(struct worker *w, int up, const char *why)
{
	struct proto_msg msg;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_STATE;
	msg.up = up;
	msg.why = (char *)why;
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
static void
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

/* Does this error mean the link to the phone is gone? 0/1. */
static int
worker_is_broken(GSM_Error err)
{
	switch (err) {
	case ERR_TIMEOUT:
	case ERR_DEVICEOPENERROR:
	case ERR_DEVICENOTEXIST:
	case ERR_DEVICEBUSY:
	case ERR_DEVICENOPERMISSION:
	case ERR_DEVICENOTWORK:
	case ERR_DEVICEREADERROR:
	case ERR_DEVICEWRITEERROR:
	case ERR_NOTCONNECTED:
	case ERR_ABORTED:
		return 1;
	default:
		return 0;
	}
}

static char	*worker_utf8(const unsigned char *, size_t);
static size_t	 worker_ucs2_len(const unsigned char *, size_t);

/*
 * libgammu callbacks: record only, never call libgammu from here. They
 * run inside GSM_ReadDevice or inside any libgammu call.
 */
static void
worker_cb_status(GSM_StateMachine *sm, int status, int ref, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	w->status_got = 1;
	w->status = status;
	w->status_ref = ref;
}

/*
 * An incoming SMS. With State 0 it is only a notice (+CMTI, +CDSI) of a
 * SIM location: note the location. Otherwise the modem routed the whole
 * message to us without storing it (+CMT, +CDS): keep a copy.
 */
static void
worker_cb_sms(GSM_StateMachine *sm, GSM_SMSMessage *sms, void *arg)
{
	struct worker *w = arg;
	struct worker_noted *n;

	(void)sm;
	if (sms->State == 0) {
		if (w->nnoted == WORKER_NOTED_MAX) {
			w->sms_full_read = 1;
			return;
		}
		n = &w->noted[w->nnoted++];
		n->folder = sms->Folder;
		n->location = sms->Location;
		n->memory = sms->Memory;
		return;
	}
	if (w->ndirect == WORKER_DIRECT_MAX) {
		log_warn("modem %s: routed message dropped: too many at once",
		    w->name);
		return;
	}
	w->direct[w->ndirect] = xmalloc(sizeof *sms);
	*w->direct[w->ndirect++] = *sms;
}

/* An incoming call: note the caller (RING repeats; +CLIP carries it). */
static void
worker_cb_call(GSM_StateMachine *sm, GSM_Call *call, void *arg)
{
	struct worker *w = arg;
	char *number;

	(void)sm;
	if (call->Status != GSM_CALL_IncomingCall ||
	    w->ncalls == WORKER_CALLS_MAX)
		return;
	number = worker_utf8(call->PhoneNumber,
	    worker_ucs2_len(call->PhoneNumber, GSM_MAX_NUMBER_LENGTH));
	snprintf(w->calls[w->ncalls++], PHONE_MAX, "%s", number);
	free(number);
}

/* Children of libgammu's proxyat connection are SIGHUPed, never reaped. */
static void
worker_reap_children(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void
worker_free_sm(struct worker *w)
{
	if (w->sm == NULL)
		return;
	if (GSM_IsConnected(w->sm))
		GSM_TerminateConnection(w->sm);
	/* Close the per-modem debug file even when init failed midway. */
	GSM_SetDebugFileDescriptor(NULL, FALSE, GSM_GetDebug(w->sm));
	GSM_FreeStateMachine(w->sm);	/* frees Device, Connection, DebugFile */
	w->sm = NULL;
	worker_reap_children();
}

static void
worker_schedule_connect(struct worker *w)
{
	w->next_connect_ms = now_ms() + w->backoff_ms;
	w->backoff_ms *= 2;
	if (w->backoff_ms > WORKER_BACKOFF_MAX)
		w->backoff_ms = WORKER_BACKOFF_MAX;
}

/* The link failed with err during what: close it, go down, retry later. */
static void
worker_disconnect(struct worker *w, const char *what, GSM_Error err)
{
	char why[256];

	snprintf(why, sizeof why, "%s: %s", what, GSM_ErrorString(err));
	log_warn("modem %s: %s; reconnecting", w->name, why);
	worker_free_sm(w);
	w->connected = 0;
	w->backoff_ms = 1000;
	worker_schedule_connect(w);
	snprintf(w->down_why, sizeof w->down_why, "%s", why);
	worker_fail_jobs(w, why);
	worker_state(w, 0, why);
}

/* Connecting failed: stay down with why (said once), retry with backoff. */
static void
worker_connect_failed(struct worker *w, const char *why)
{
	worker_free_sm(w);
	w->connect_fails++;
	worker_schedule_connect(w);
	if (strcmp(why, w->down_why) != 0) {
		log_warn("modem %s: %s", w->name, why);
		snprintf(w->down_why, sizeof w->down_why, "%s", why);
		worker_state(w, 0, why);
	}
	worker_fail_jobs(w, why);
	if (w->connect_fails >= WORKER_CONNECT_TRIES) {
		/* A fresh process drops whatever a failed init leaked. */
		log_warn("modem %s: %d failed connects; restarting", w->name,
		    w->connect_fails);
		exit(1);
	}
}

static void
worker_connect(struct worker *w)
{
	GSM_Config *gc;
	GSM_Error err;
	char why[256];
	int i;

	w->sm = GSM_AllocStateMachine();
	if (w->sm == NULL)
		fatal("modem %s: out of memory", w->name);
	gc = GSM_GetConfig(w->sm, 0);
	/* What GSM_ReadConfig would set, by hand: see LIBGAMMU.md. */
	gc->Device = xstrdup(w->m->device);
	gc->Connection = xstrdup(w->m->connection);
	snprintf(gc->Model, sizeof gc->Model, "%s",
	    w->m->model != NULL ? w->m->model : "");
	gc->SyncTime = FALSE;
	gc->LockDevice = FALSE;
	gc->StartInfo = FALSE;
	gc->UseGlobalDebugFile = FALSE;
	if (w->m->debug_log != NULL) {
		gc->DebugFile = xstrdup(w->m->debug_log);
		snprintf(gc->DebugLevel, sizeof gc->DebugLevel, "textall");
	} else {
		gc->DebugFile = NULL;
		gc->DebugLevel[0] = '\0';
	}
	snprintf(gc->TextReminder, sizeof gc->TextReminder, "Reminder");
	snprintf(gc->TextMeeting, sizeof gc->TextMeeting, "Meeting");
	snprintf(gc->TextCall, sizeof gc->TextCall, "Call");
	snprintf(gc->TextBirthday, sizeof gc->TextBirthday, "Birthday");
	snprintf(gc->TextMemo, sizeof gc->TextMemo, "Memo");
	gc->PhoneFeatures[0] = 0;
	for (i = 0; i < 5; i++)
		gc->CNMIParams[i] = -1;
	GSM_SetConfigNum(w->sm, 1);

	err = GSM_InitConnection(w->sm, 1);
	if (err != ERR_NONE) {
		snprintf(why, sizeof why, "connect to %s: %s", w->m->device,
		    GSM_ErrorString(err));
		worker_connect_failed(w, why);
		return;
	}

	/* After init: GSM_InitConnection resets the callbacks. */
	w->pump = GSM_GetUsedConnection(w->sm) != GCT_NONE;
	w->nnoted = 0;
	w->ncalls = 0;
	w->sms_full_read = 0;
	GSM_SetSendSMSStatusCallback(w->sm, worker_cb_status, w);
	GSM_SetIncomingSMSCallback(w->sm, worker_cb_sms, w);
	err = GSM_SetIncomingSMS(w->sm, TRUE);
	if (err != ERR_NONE && w->pump)
		log_info("modem %s: no +CMTI notices (%s): reading the inbox "
		    "every %d s", w->name, GSM_ErrorString(err),
		    w->m->poll_interval);
	if (err != ERR_NONE && worker_is_broken(err))
		goto broken;
	if (w->m->hangup_calls) {
		GSM_SetIncomingCallCallback(w->sm, worker_cb_call, w);
		err = GSM_SetIncomingCall(w->sm, TRUE);
		if (err != ERR_NONE)
			log_info("modem %s: no incoming call notices: %s",
			    w->name, GSM_ErrorString(err));
		if (err != ERR_NONE && worker_is_broken(err))
			goto broken;
	}

	w->connected = 1;
	w->connect_fails = 0;
	w->backoff_ms = 1000;
	w->down_why[0] = '\0';
	w->next_poll_ms = 0;		/* read the inbox now */
	w->next_health_ms = 0;		/* and tell how the modem is */
	log_info("modem %s: connected to %s%s", w->name, w->m->device,
	    w->pump ? "" : " (polling)");
	worker_state(w, 1, "connected");
	return;

broken:
	snprintf(why, sizeof why, "connect to %s: enable notices: %s",
	    w->m->device, GSM_ErrorString(err));
	worker_connect_failed(w, why);
}

/* UTF-16 units before the first 0x0000, at most max. */
static size_t
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

/* GSM_DateTime is the sender's local time, Timezone seconds east of UTC. */
static int64_t
worker_time(const GSM_DateTime *dt)
{
	struct tm tm;
	time_t t;

	if (dt->Year == 0)
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
	size_t n;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_PART;
	msg.id = id;
	n = worker_ucs2_len(sms->Number, GSM_MAX_NUMBER_LENGTH);
	msg.sender = worker_utf8(sms->Number, n);
	n = worker_ucs2_len(sms->SMSC.Number, GSM_MAX_NUMBER_LENGTH);
	msg.smsc = worker_utf8(sms->SMSC.Number, n);
	msg.sent_at = worker_time(&sms->DateTime);
	worker_concat(sms, &msg.ref, &msg.total, &msg.seq);
	if (sms->Coding == SMS_Coding_8bit) {
		/* Binary (WAP push, OTA): nothing to read; deliver so it
		   gets acked and deleted. */
		msg.text = xstrdup("");
	} else {
		n = worker_ucs2_len(sms->Text, GSM_MAX_SMS_LENGTH);
		msg.text = worker_utf8(sms->Text, n);
	}
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

/* A status report as REPORT: which part, to whom, what became of it. */
static void
worker_send_report(struct worker *w, const GSM_SMSMessage *sms)
{
	static const char *names[] = { "delivered", "pending", "failed" };
	struct proto_msg msg;
	char masked[PHONE_MAX];
	int64_t at;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_REPORT;
	msg.msgref = sms->MessageReference;
	msg.number = worker_utf8(sms->Number,
	    worker_ucs2_len(sms->Number, GSM_MAX_NUMBER_LENGTH));
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
 * its status reports as REPORT. The location is deleted when every part
 * has been acked; a location holding only status reports is deleted at
 * once, without an ack: a status report lost in a crash only leaves a
 * message without its delivery confirmation.
 */
static void
worker_take(struct worker *w, GSM_MultiSMSMessage *ms)
{
	struct worker_slot *s;
	int i, n = 0, reports = 0;

	for (i = 0; i < ms->Number && i < GSM_MAX_MULTI_SMS; i++) {
		if (!worker_is_incoming(&ms->SMS[i]))
			continue;
		if (ms->SMS[i].PDU == SMS_Deliver)
			n++;
		else
			reports++;
	}
	if (n == 0 && reports == 0)
		return;
	if (worker_slot_find(w, ms->SMS[0].Location) != NULL)
		return;		/* handed over already, ack pending */

	s = xcalloc(1, sizeof *s);
	s->folder = ms->SMS[0].Folder;
	s->location = ms->SMS[0].Location;
	s->sms = xmalloc(sizeof *s->sms);
	*s->sms = ms->SMS[0];
	s->first_id = w->next_id;
	s->nparts = n;		/* 0: nothing to ack, delete it now */
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
			worker_send_report(w, &ms->SMS[i]);
	}
}

static void
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
			else
				log_warn("modem %s: read inbox: %s", w->name,
				    GSM_ErrorString(err));
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
static void
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
				*sp = s->next;
				free(s->sms);
				free(s);
				continue;
			}
			sp = &s->next;
			continue;
		}
		s->sms->Folder = 0;
		err = GSM_DeleteSMS(w->sm, s->sms);
		if (err != ERR_NONE && err != ERR_EMPTY)
			log_warn("modem %s: delete SMS at %d: %s", w->name,
			    s->location, GSM_ErrorString(err));
		else
			log_debug("modem %s: deleted SMS at %d", w->name,
			    s->location);
		*sp = s->next;
		free(s->sms);
		free(s);
		if (err != ERR_NONE && err != ERR_EMPTY && worker_is_broken(err))
			worker_disconnect(w, "delete SMS", err);
		else if (w->draining) {
			/* Room again: what waited for it may be stored now. */
			if (w->next_poll_ms > now + WORKER_DRAIN_MS)
				w->next_poll_ms = now + WORKER_DRAIN_MS;
		}
	}
}

static void
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

static void
worker_frame(struct worker *w, struct proto_msg *msg)
{
	struct proto_msg pong;
	struct worker_job *j, **jp;

	switch (msg->type) {
	case PROTO_PING:
		memset(&pong, 0, sizeof pong);
		pong.type = PROTO_PONG;
		pong.ping = msg->ping;
		worker_write(w, &pong);
		break;
	case PROTO_ACK:
		worker_ack(w, msg->id);
		break;
	case PROTO_SEND:
		j = xcalloc(1, sizeof *j);
		j->job = msg->job;
		j->number = msg->number;
		j->text = msg->text;
		j->report = msg->report;
		msg->number = msg->text = NULL;
		for (jp = &w->jobs; *jp != NULL; jp = &(*jp)->next)
			;
		*jp = j;
		break;
	default:
		log_error("modem %s: unexpected %s frame from the daemon",
		    w->name, proto_type_name(msg->type));
		exit(1);
	}
}

/* Wait up to timeout_ms for frames from the daemon and handle them. */
static void
worker_service(struct worker *w, int timeout_ms)
{
	struct proto_msg msg;
	int rc;

	do {
		rc = proto_read_some(w->fd, &w->rd, timeout_ms);
		if (rc == -1) {
			if (errno != 0)
				log_warn("modem %s: read from daemon: %s",
				    w->name, strerror(errno));
			/* The daemon is gone: so are we. */
			worker_free_sm(w);
			exit(0);
		}
		while ((rc = proto_reader_next(&w->rd, &msg)) == 1) {
			worker_frame(w, &msg);
			proto_msg_clear(&msg);
		}
		if (rc == -1) {
			log_error("modem %s: protocol error from the daemon",
			    w->name);
			exit(1);
		}
		timeout_ms = 0;		/* drain what is there, then return */
	} while (rc > 0);
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
 * Let libgammu read the port for up to ~50 ms, so notifications reach the
 * callbacks. 0, or -1 if the link looks gone: a read error, or reads that
 * end at once with nothing, again and again, which is end of file (the
 * proxy command exited, the USB device went away).
 */
static int
worker_read_device(struct worker *w)
{
	int64_t start = now_ms();
	int n;

	n = GSM_ReadDevice(w->sm, FALSE);
	if (n > 0 || now_ms() - start >= WORKER_PUMP_QUICK_MS) {
		w->pump_quick = 0;
		return 0;
	}
	if (n < 0 || ++w->pump_quick >= WORKER_PUMP_QUICK_MAX) {
		w->pump_quick = 0;
		return -1;
	}
	return 0;
}

/* Pump the port between jobs; a dead link is closed and retried. */
static void
worker_pump(struct worker *w)
{
	if (worker_read_device(w) != 0)
		worker_disconnect(w, "read device: end of file",
		    ERR_DEVICEREADERROR);
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
 * Send the first queued job, all its parts, and report the result: the
 * network's reference of each part sent and, on failure, the +CMS code.
 * Parts stop at the first failure; the parts sent before it are counted,
 * so the outbox knows what the recipient already has.
 */
static void
worker_send_job(struct worker *w)
{
	GSM_MultiPartSMSInfo *info = NULL;
	GSM_MultiSMSMessage *ms = NULL;
	struct worker_job *j = w->jobs;
	unsigned char *ucs2 = NULL;
	char masked[PHONE_MAX], err_text[256];
	enum modem_result res = MODEM_FAILED_RETRY;
	int32_t msgrefs[GSM_MAX_MULTI_SMS];
	GSM_Error err;
	size_t len;
	int i, parts = 0, sent = 0, cms = -1, broken = 0;

	w->jobs = j->next;
	phone_mask(j->number, masked);
	err_text[0] = '\0';

	if (!worker_number_ok(j->number)) {
		res = MODEM_FAILED_PERMANENT;
		snprintf(err_text, sizeof err_text, "invalid number");
		goto done;
	}
	len = strlen(j->text);
	ucs2 = xmalloc(2 * len + 4);
	DecodeUTF8(ucs2, j->text, len);
	if (UnicodeLength(ucs2) > WORKER_MAX_UNITS) {
		res = MODEM_FAILED_PERMANENT;
		snprintf(err_text, sizeof err_text, "text too long (%zu units,"
		    " at most %d)", (size_t)UnicodeLength(ucs2),
		    WORKER_MAX_UNITS);
		goto done;
	}
	info = xcalloc(1, sizeof *info);
	ms = xcalloc(1, sizeof *ms);
	GSM_ClearMultiPartSMSInfo(info);
	info->EntriesNum = 1;
	info->UnicodeCoding = FALSE;
	info->Entries[0].ID = SMS_ConcatenatedAutoTextLong;
	info->Entries[0].Buffer = ucs2;
	err = GSM_EncodeMultiPartSMS(GSM_GetDebug(w->sm), info, ms);
	info->Entries[0].Buffer = NULL;	/* ours, not libgammu's to free */
	if (err != ERR_NONE || ms->Number < 1 ||
	    ms->Number > GSM_MAX_MULTI_SMS) {
		res = MODEM_FAILED_PERMANENT;
		snprintf(err_text, sizeof err_text, "cannot encode: %s",
		    GSM_ErrorString(err));
		goto done;
	}
	parts = ms->Number;

	for (i = 0; i < ms->Number; i++) {
		worker_pace(w);
		/* SMS_Status_Report on a submit sets TP-SRR (gsmsms.c). */
		ms->SMS[i].PDU = j->report ? SMS_Status_Report : SMS_Submit;
		ms->SMS[i].SMSC.Location = 1;
		DecodeUTF8(ms->SMS[i].Number, j->number, strlen(j->number));
		w->status_got = 0;
		w->status = -1;
		w->status_ref = -1;
		err = GSM_SendSMS(w->sm, &ms->SMS[i]);
		w->last_part_ms = now_ms();
		if (err != ERR_NONE) {
			/* A +CMS ERROR to AT+CMGS= itself comes both ways. */
			if (w->status_got && w->status > 0) {
				cms = w->status;
				if (!worker_cms_retry(cms))
					res = MODEM_FAILED_PERMANENT;
			}
			if (cms > 0)
				snprintf(err_text, sizeof err_text, "part %d/%d:"
				    " +CMS ERROR %d", i + 1, parts, cms);
			else
				snprintf(err_text, sizeof err_text, "part %d/%d:"
				    " %s", i + 1, parts, GSM_ErrorString(err));
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
			if (w->status > 0) {
				cms = w->status;
				if (!worker_cms_retry(cms))
					res = MODEM_FAILED_PERMANENT;
				snprintf(err_text, sizeof err_text, "part %d/%d:"
				    " +CMS ERROR %d", i + 1, parts, cms);
			} else
				snprintf(err_text, sizeof err_text, "part %d/%d:"
				    " send failed", i + 1, parts);
			goto done;
		}
		msgrefs[sent++] = w->status_ref;
	}
	res = MODEM_SENT;

done:
	if (res == MODEM_SENT)
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
	free(ucs2);
	free(info);
	free(ms);
	worker_job_free(j);
}

/* GSM_NetworkInfo_State as the word HEALTH carries. */
static const char *
worker_network_state(GSM_NetworkInfo_State st)
{
	switch (st) {
	case GSM_HomeNetwork:
		return "home";
	case GSM_RoamingNetwork:
		return "roaming";
	case GSM_RequestingNetwork:
		return "searching";
	case GSM_RegistrationDenied:
		return "denied";
	case GSM_NoNetwork:
		return "none";
	default:
		return "";
	}
}

/*
 * One health call's error: 0 to go on (the field stays unknown), -1 when
 * the link is gone (disconnected then).
 */
static int
worker_health_err(struct worker *w, const char *what, GSM_Error err)
{
	if (err == ERR_NONE)
		return 0;
	if (worker_is_broken(err)) {
		worker_disconnect(w, what, err);
		return -1;
	}
	log_debug("modem %s: %s: %s", w->name, what, GSM_ErrorString(err));
	return 0;
}

/*
 * Read signal, battery, network and SIM storage, send HEALTH, and drain
 * a SIM that is nearly full. What the phone cannot tell is -1 or "".
 */
static void
worker_health(struct worker *w)
{
	GSM_SignalQuality sq;
	GSM_BatteryCharge bc;
	GSM_NetworkInfo ni;
	GSM_SMSMemoryStatus st;
	struct proto_msg msg;
	const unsigned char *name;
	char code[sizeof ni.NetworkCode];
	GSM_Error err;
	size_t i, n;
	int warn, interval;

	interval = w->cf->health_interval > 0 ? w->cf->health_interval :
	    WORKER_HEALTH_DEFAULT;
	w->next_health_ms = now_ms() + (int64_t)interval * 1000;
	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_HEALTH;
	msg.signal = msg.battery = msg.sim_used = msg.sim_total = -1;

	memset(&sq, 0, sizeof sq);
	err = GSM_GetSignalQuality(w->sm, &sq);
	if (worker_health_err(w, "signal quality", err) != 0)
		return;
	if (err == ERR_NONE && sq.SignalPercent >= 0 && sq.SignalPercent <= 100)
		msg.signal = sq.SignalPercent;
	worker_service(w, 0);

	memset(&bc, 0, sizeof bc);
	err = GSM_GetBatteryCharge(w->sm, &bc);
	if (worker_health_err(w, "battery charge", err) != 0)
		return;
	if (err == ERR_NONE && bc.BatteryPercent >= 0 &&
	    bc.BatteryPercent <= 100)
		msg.battery = bc.BatteryPercent;
	worker_service(w, 0);

	memset(&ni, 0, sizeof ni);
	err = GSM_GetNetworkInfo(w->sm, &ni);
	if (worker_health_err(w, "network info", err) != 0)
		return;
	if (err == ERR_NONE) {
		msg.network = xstrdup(worker_network_state(ni.State));
		/* libgammu writes "460 00"; HEALTH carries "46000". */
		ni.NetworkCode[sizeof ni.NetworkCode - 1] = '\0';
		for (i = n = 0; ni.NetworkCode[i] != '\0'; i++)
			if (ni.NetworkCode[i] >= '0' && ni.NetworkCode[i] <= '9')
				code[n++] = ni.NetworkCode[i];
		code[n] = '\0';
		msg.op_code = xstrdup(code);
		/* UCS-2, not always terminated within its 20 characters. */
		n = worker_ucs2_len(ni.NetworkName, sizeof ni.NetworkName / 2);
		if (n == 0 && ni.NetworkCode[0] != '\0') {
			/* libgammu's own table, by "460 00". */
			name = GSM_GetNetworkName(ni.NetworkCode);
			msg.op_name = worker_utf8(name, name == NULL ? 0 :
			    worker_ucs2_len(name, 64));
		} else
			msg.op_name = worker_utf8(ni.NetworkName, n);
	}
	worker_service(w, 0);

	memset(&st, 0, sizeof st);
	err = GSM_GetSMSStatus(w->sm, &st);
	if (worker_health_err(w, "SMS status", err) != 0) {
		proto_msg_clear(&msg);
		return;
	}
	if (err == ERR_NONE && st.SIMSize > 0) {
		msg.sim_used = st.SIMUsed;
		msg.sim_total = st.SIMSize;
	}

	worker_write(w, &msg);
	warn = w->cf->sim_full_warn > 0 ? w->cf->sim_full_warn :
	    WORKER_SIM_FULL_DEFAULT;
	if (msg.sim_total > 0 &&
	    (int64_t)msg.sim_used * 100 >= (int64_t)msg.sim_total * warn) {
		log_warn("modem %s: SIM storage %d of %d used: reading it now",
		    w->name, msg.sim_used, msg.sim_total);
		w->next_poll_ms = 0;
		w->draining = 1;
	}
	proto_msg_clear(&msg);
}

/*
 * Hang up the calls the callback noted and report each call once: RING
 * and +CLIP repeat every few seconds while a call rings, so a caller heard
 * within WORKER_CALL_QUIET_MS of the last ring is the same call (hung up
 * again if still ringing WORKER_REHANGUP_MS after our hang-up).
 */
static void
worker_handle_calls(struct worker *w)
{
	struct proto_msg msg;
	char calls[WORKER_CALLS_MAX][PHONE_MAX];
	char number[PHONE_MAX], masked[PHONE_MAX];
	GSM_Error err;
	int64_t now;
	int i, n, same;

	/* A copy: hanging up reads the port, and the callback may note more. */
	n = w->ncalls;
	memcpy(calls, w->calls, sizeof calls);
	w->ncalls = 0;
	for (i = 0; i < n && w->connected; i++) {
		memcpy(number, calls[i], sizeof number);
		number[sizeof number - 1] = '\0';
		now = now_ms();
		same = strcmp(number, w->call_number) == 0 &&
		    now - w->call_seen_ms < WORKER_CALL_QUIET_MS;
		w->call_seen_ms = now;
		if (same && now - w->call_hangup_ms < WORKER_REHANGUP_MS)
			continue;
		if (!same)
			snprintf(w->call_number, sizeof w->call_number, "%s",
			    number);
		err = GSM_CancelCall(w->sm, 0, TRUE);
		w->call_hangup_ms = now_ms();
		if (err != ERR_NONE)
			log_warn("modem %s: hang up call from %s: %s", w->name,
			    phone_mask(number, masked), GSM_ErrorString(err));
		if (!same) {
			log_info("modem %s: call from %s hung up", w->name,
			    phone_mask(number, masked));
			memset(&msg, 0, sizeof msg);
			msg.type = PROTO_CALL;
			msg.number = number;
			msg.at = (int64_t)time(NULL);
			worker_write(w, &msg);
		}
		if (err != ERR_NONE && worker_is_broken(err)) {
			worker_disconnect(w, "hang up", err);
			return;
		}
	}
}

/* Fetch the locations +CMTI/+CDSI announced, or read everything. */
static void
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
 * part goes to the daemon with an id no slot has (its ack finds nothing
 * to delete), a status report as REPORT.
 */
static void
worker_handle_direct(struct worker *w)
{
	GSM_SMSMessage *sms;
	int i, n;

	n = w->ndirect;
	w->ndirect = 0;
	for (i = 0; i < n; i++) {
		sms = w->direct[i];
		if (sms->PDU == SMS_Status_Report)
			worker_send_report(w, sms);
		else if (sms->PDU == SMS_Deliver)
			worker_send_part(w, sms, w->next_id++);
		free(sms);
	}
}

/*
 * The libgammu work that is due, most urgent first: a ringing call, what
 * the modem announced or routed to us, the full read, a job, deletions,
 * a health reading.
 */
static void
worker_turn(struct worker *w)
{
	if (w->connected && w->ncalls > 0)
		worker_handle_calls(w);
	if (w->connected && w->ndirect > 0)
		worker_handle_direct(w);
	if (w->connected && w->nnoted > 0 && !w->sms_full_read)
		worker_fetch_noted(w);
	if (w->connected && (w->sms_full_read || now_ms() >= w->next_poll_ms))
		worker_read_inbox(w);
	if (w->connected && w->jobs != NULL)
		worker_send_job(w);
	else if (!w->connected && w->jobs != NULL)
		worker_fail_jobs(w, w->down_why[0] != '\0' ? w->down_why :
		    "modem not connected");
	if (w->connected)
		worker_delete_acked(w);
	if (w->connected && now_ms() >= w->next_health_ms)
		worker_health(w);
}

/* Block what we do not handle: see LIBGAMMU.md on signals and the port. */
static void
worker_block_signals(void)
{
	sigset_t set;

	sigfillset(&set);
	/* Faults must stay deliverable; SIGHUP too, because libgammu's
	   proxyat child inherits this mask and is stopped with SIGHUP. */
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGFPE);
	sigdelset(&set, SIGILL);
	sigdelset(&set, SIGABRT);
	sigdelset(&set, SIGTRAP);
	sigdelset(&set, SIGSYS);
	sigdelset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

void
modem_worker_main(const struct config *cf, const struct config_modem *m,
    int fd)
{
	struct worker w;
	struct proto_msg hello;
	int64_t now, wait;

	log_init(xasprintf("cungate-modem-%s", m->name),
	    (enum log_level)cf->log_level);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		exit(0);	/* the daemon died before we got here */
	worker_block_signals();
	if (chdir(cf->dir) == -1)
		fatal("modem %s: chdir %s: %s", m->name, cf->dir,
		    strerror(errno));
	fcntl(fd, F_SETFD, FD_CLOEXEC);	/* not for proxyat's children */
	GSM_InitLocales(NULL);

	memset(&w, 0, sizeof w);
	w.cf = cf;
	w.m = m;
	w.name = m->name;
	w.fd = fd;
	w.next_id = 1;
	w.backoff_ms = 1000;

	memset(&hello, 0, sizeof hello);
	hello.type = PROTO_HELLO;
	hello.pid = (uint32_t)getpid();
	worker_write(&w, &hello);

	for (;;) {
		now = now_ms();
		if (!w.connected && now >= w.next_connect_ms)
			worker_connect(&w);
		worker_turn(&w);
		worker_reap_children();

		if (w.connected && w.pump) {
			worker_pump(&w);
			worker_service(&w, 0);
			continue;
		}
		/* Sleep on the socket until the next thing is due. */
		now = now_ms();
		wait = WORKER_SERVICE_MS;
		if (w.jobs != NULL && w.connected)
			wait = 0;
		if (!w.connected && w.next_connect_ms - now < wait)
			wait = w.next_connect_ms - now;
		if (w.connected && w.next_poll_ms - now < wait)
			wait = w.next_poll_ms - now;
		if (w.connected && w.next_health_ms - now < wait)
			wait = w.next_health_ms - now;
		if (wait < 0)
			wait = 0;
		worker_service(&w, (int)wait);
	}
}
