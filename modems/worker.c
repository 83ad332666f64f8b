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
 *
 * This file owns the process, the loop, connecting with backoff, the
 * socket protocol with the daemon, signals and the libgammu callbacks;
 * the work itself is in worker_sms.c (receiving), worker_send.c (jobs)
 * and worker_phone.c (calls, health), behind worker.h.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gammu.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/util.h"
#include "modems/modem.h"
#include "modems/proto.h"
#include "modems/worker.h"

#define WORKER_PUMP_QUICK_MS	5	/* GSM_ReadDevice back this soon... */
#define WORKER_PUMP_QUICK_MAX	100	/* ...this often with nothing: EOF */
#define WORKER_BACKOFF_MAX	60000
#define WORKER_CONNECT_TRIES	20	/* then exit for a fresh process */

void
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

/* Does this error mean the link to the phone is gone? 0/1. */
int
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
	number = worker_ucs2_utf8(call->PhoneNumber, GSM_MAX_NUMBER_LENGTH);
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
void
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

	if (w->m->balance_ussd != NULL) {
		/* Without this libgammu drops the network's +CUSD answer. */
		GSM_SetIncomingUSSDCallback(w->sm, worker_cb_ussd, w);
		err = GSM_SetIncomingUSSD(w->sm, TRUE);
		if (err != ERR_NONE)
			log_info("modem %s: no USSD answers: %s", w->name,
			    GSM_ErrorString(err));
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

/*
 * Let libgammu read the port for up to ~50 ms, so notifications reach the
 * callbacks. 0, or -1 if the link looks gone: a read error, or reads that
 * end at once with nothing, again and again, which is end of file (the
 * proxy command exited, the USB device went away).
 */
int
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

static void
worker_frame(struct worker *w, struct proto_msg *msg)
{
	struct proto_msg pong;

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
		worker_job_queue(w, msg);
		break;
	default:
		log_error("modem %s: unexpected %s frame from the daemon",
		    w->name, proto_type_name(msg->type));
		exit(1);
	}
}

/* Wait up to timeout_ms for frames from the daemon and handle them. */
void
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
	if (w->connected && w->m->balance_ussd != NULL &&
	    now_ms() >= w->next_balance_ms)
		worker_balance(w);
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
	char *journal, *cause;
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
	journal = journal_modem_path(cf->journal, m->name);
	if ((w.journal = journal_open_locked(journal,
	    WORKER_JOURNAL_WAIT_MS, &cause)) == NULL) {
		log_warn("modem %s: %s: a daemon crash may send again what "
		    "was in flight", m->name, cause);
		free(cause);
	}
	free(journal);
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
		if (w.connected && w.m->balance_ussd != NULL &&
		    w.next_balance_ms - now < wait)
			wait = w.next_balance_ms - now;
		if (wait < 0)
			wait = 0;
		worker_service(&w, (int)wait);
	}
}

