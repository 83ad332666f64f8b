/*
 * worker — the modem worker process (modem_worker_main), the only code
 * that calls libgammu. One process per modem: libgammu is not thread-safe
 * and one call can block for minutes, so the daemon's watchdog must be
 * able to kill us.
 *
 * A single loop: serve the socket (PING -> PONG at once, ACK and SEND
 * recorded), then do one piece of libgammu work (connect, delete acked
 * parts, read the inbox, send a job part, pump GSM_ReadDevice). Frames are
 * answered between libgammu calls, including while a job is paced or a
 * send status is awaited; libgammu callbacks only record.
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
#define WORKER_READDEVICE_MS	1000	/* GSM_ReadDevice when idle */
#define WORKER_STATUS_MS	60000	/* wait for a part's send status */
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
	struct worker_job	*next;
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

	int64_t			 next_poll_ms;
	int64_t			 last_part_ms;
	int64_t			 last_readdevice_ms;

	/* Written by libgammu callbacks only. */
	int			 sms_noted;
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

static void
worker_result(struct worker *w, uint64_t job, enum modem_result r,
    int parts, int msgref, const char *error)
{
	struct proto_msg msg;

	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_RESULT;
	msg.job = job;
	msg.result = r;
	msg.parts = parts;
	msg.msgref = msgref;
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
		worker_result(w, j->job, MODEM_FAILED_RETRY, 0, -1, why);
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

/* libgammu callbacks: record only, never call libgammu from here. */
static void
worker_cb_status(GSM_StateMachine *sm, int status, int ref, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	w->status_got = 1;
	w->status = status;
	w->status_ref = ref;
}

static void
worker_cb_sms(GSM_StateMachine *sm, GSM_SMSMessage *sms, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	(void)sms;
	w->sms_noted = 1;
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
		worker_free_sm(w);
		w->connect_fails++;
		worker_schedule_connect(w);
		if (strcmp(why, w->down_why) != 0) {
			log_warn("modem %s: %s", w->name, why);
			snprintf(w->down_why, sizeof w->down_why, "%s", why);
			worker_state(w, 0, why);
		}
		if (w->connect_fails >= WORKER_CONNECT_TRIES) {
			/* A fresh process drops whatever a failed init leaked. */
			log_warn("modem %s: %d failed connects; restarting",
			    w->name, w->connect_fails);
			exit(1);
		}
		return;
	}

	/* After init: GSM_InitConnection resets the callbacks. */
	GSM_SetSendSMSStatusCallback(w->sm, worker_cb_status, w);
	GSM_SetIncomingSMSCallback(w->sm, worker_cb_sms, w);
	err = GSM_SetIncomingSMS(w->sm, TRUE);
	if (err != ERR_NONE)
		log_debug("modem %s: no incoming SMS notices: %s", w->name,
		    GSM_ErrorString(err));

	w->connected = 1;
	w->connect_fails = 0;
	w->backoff_ms = 1000;
	w->down_why[0] = '\0';
	w->next_poll_ms = 0;		/* read the inbox now */
	w->last_readdevice_ms = now_ms();
	log_info("modem %s: connected to %s", w->name, w->m->device);
	worker_state(w, 1, "connected");
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

static struct worker_slot *
worker_slot_find(struct worker *w, int folder, int location)
{
	struct worker_slot *s;

	for (s = w->slots; s != NULL; s = s->next)
		if (s->folder == folder && s->location == location)
			return s;
	return NULL;
}

/* A location read with GetNextSMS: hand over its inbox parts once. */
static void
worker_take(struct worker *w, GSM_MultiSMSMessage *ms)
{
	struct worker_slot *s;
	int i, n = 0;

	for (i = 0; i < ms->Number && i < GSM_MAX_MULTI_SMS; i++)
		if (ms->SMS[i].InboxFolder && ms->SMS[i].PDU == SMS_Deliver)
			n++;
	if (n == 0)
		return;
	if (worker_slot_find(w, ms->SMS[0].Folder, ms->SMS[0].Location) != NULL)
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
		if (!ms->SMS[i].InboxFolder || ms->SMS[i].PDU != SMS_Deliver)
			continue;
		worker_send_part(w, &ms->SMS[i], s->first_id + (uint64_t)n++);
	}
}

static void
worker_read_inbox(struct worker *w)
{
	GSM_MultiSMSMessage *ms;
	GSM_Error err;
	int start = TRUE, ok = FALSE, i, bad_folder = -1, bad_location = -1;

	w->sms_noted = 0;
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

/* Send-status codes (+CMS ERROR) that mean the number is wrong. */
static int
worker_status_permanent(int status)
{
	switch (status) {
	case 1:		/* unassigned (unallocated) number */
	case 28:	/* unidentified subscriber */
	case 30:	/* unknown subscriber */
		return 1;
	default:
		return 0;
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

/* Send the first queued job, all its parts, and report the result. */
static void
worker_send_job(struct worker *w)
{
	GSM_MultiPartSMSInfo *info = NULL;
	GSM_MultiSMSMessage *ms = NULL;
	struct worker_job *j = w->jobs;
	unsigned char *ucs2 = NULL;
	char masked[PHONE_MAX], err_text[256];
	enum modem_result res = MODEM_FAILED_RETRY;
	GSM_Error err;
	size_t len;
	int64_t start;
	int i, msgref = -1, parts = 0;

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
	if (err != ERR_NONE || ms->Number < 1) {
		res = MODEM_FAILED_PERMANENT;
		snprintf(err_text, sizeof err_text, "cannot encode: %s",
		    GSM_ErrorString(err));
		goto done;
	}
	parts = ms->Number;

	for (i = 0; i < ms->Number; i++) {
		worker_pace(w);
		ms->SMS[i].PDU = SMS_Submit;
		ms->SMS[i].SMSC.Location = 1;
		DecodeUTF8(ms->SMS[i].Number, j->number, strlen(j->number));
		w->status_got = 0;
		w->status = -1;
		w->status_ref = -1;
		err = GSM_SendSMS(w->sm, &ms->SMS[i]);
		w->last_part_ms = now_ms();
		if (err != ERR_NONE) {
			snprintf(err_text, sizeof err_text, "part %d/%d: %s",
			    i + 1, parts, GSM_ErrorString(err));
			if (worker_is_broken(err)) {
				worker_result(w, j->job, MODEM_FAILED_RETRY,
				    parts, msgref, err_text);
				log_warn("modem %s: send to %s: %s", w->name,
				    masked, err_text);
				worker_disconnect(w, "send SMS", err);
				goto out;
			}
			goto done;
		}
		/* AT modems report during a later read; dummy already did. */
		start = now_ms();
		while (!w->status_got && now_ms() - start < WORKER_STATUS_MS) {
			GSM_ReadDevice(w->sm, FALSE);
			worker_service(w, w->status_got ? 0 : 20);
		}
		if (!w->status_got) {
			snprintf(err_text, sizeof err_text, "part %d/%d: no send "
			    "status within %d s", i + 1, parts,
			    WORKER_STATUS_MS / 1000);
			goto done;
		}
		if (w->status != 0) {
			if (worker_status_permanent(w->status))
				res = MODEM_FAILED_PERMANENT;
			if (w->status > 0)
				snprintf(err_text, sizeof err_text, "part %d/%d:"
				    " +CMS ERROR: %d", i + 1, parts, w->status);
			else
				snprintf(err_text, sizeof err_text, "part %d/%d:"
				    " send failed", i + 1, parts);
			goto done;
		}
		msgref = w->status_ref;
	}
	res = MODEM_SENT;

done:
	if (res == MODEM_SENT)
		log_info("modem %s: sent %d part%s to %s", w->name, parts,
		    parts == 1 ? "" : "s", masked);
	else
		log_warn("modem %s: send to %s: %s", w->name, masked, err_text);
	worker_result(w, j->job, res, parts, msgref, err_text);
out:
	free(ucs2);
	free(info);
	free(ms);
	worker_job_free(j);
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
		if (w.connected)
			worker_delete_acked(&w);
		if (w.connected && (w.sms_noted || now_ms() >= w.next_poll_ms))
			worker_read_inbox(&w);
		if (w.connected && w.jobs != NULL)
			worker_send_job(&w);
		else if (!w.connected && w.jobs != NULL)
			worker_fail_jobs(&w, w.down_why[0] != '\0' ?
			    w.down_why : "modem not connected");
		if (w.connected &&
		    now_ms() - w.last_readdevice_ms >= WORKER_READDEVICE_MS) {
			GSM_ReadDevice(w.sm, FALSE);
			w.last_readdevice_ms = now_ms();
		}
		worker_reap_children();

		/* Sleep on the socket until the next thing is due. */
		now = now_ms();
		wait = WORKER_SERVICE_MS;
		if (w.jobs != NULL && w.connected)
			wait = 0;
		if (!w.connected && w.next_connect_ms - now < wait)
			wait = w.next_connect_ms - now;
		if (w.connected && w.next_poll_ms - now < wait)
			wait = w.next_poll_ms - now;
		if (wait < 0)
			wait = 0;
		worker_service(&w, (int)wait);
	}
}
