/*
 * worker — the private interface between the files of the modem worker
 * process (modem_worker_main in modem.h is its only public entry):
 *
 *   worker.c        the process, the loop, connect and backoff, the
 *                   socket protocol with the daemon, libgammu callbacks
 *   worker_sms.c    receiving: the inbox, parts, acks and deletions,
 *                   status reports, UCS-2 text
 *   worker_send.c   sending: the job queue, encoding, parts, send status,
 *                   the +CMS retry table
 *   worker_phone.c  incoming calls and health readings
 *
 * Everything here runs in the one worker process, single-threaded. The
 * libgammu callbacks (worker.c) only record; of these functions they may
 * call only the text helpers worker_ucs2_len and worker_ucs2_utf8.
 */
#ifndef CUNGATE_WORKER_H
#define CUNGATE_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <gammu.h>

#include "gateway/journal.h"
#include "gateway/util.h"
#include "modems/proto.h"

struct config;
struct config_modem;

#define WORKER_SERVICE_MS	200	/* longest wait between checks */
#define WORKER_NOTED_MAX	64	/* announced locations kept; more:
					   a full read */
#define WORKER_DIRECT_MAX	16	/* messages routed to us, not stored */
#define WORKER_CALLS_MAX	4	/* incoming-call events between turns */

/* One SIM location read and handed over, waiting for the daemon's acks. */
#define WORKER_BAD_LOCS	64
/* The parts journal is cut back to the last WORKER_JOURNAL_KEEP parts
   once it is this long: the daemon has long had the older ones. */
#define WORKER_JOURNAL_BYTES	8192
#define WORKER_JOURNAL_KEEP	32
#define WORKER_JOURNAL_WAIT_MS	10000	/* for the worker before us */

struct worker_slot {
	int			 folder;
	int			 location;
	GSM_SMSMessage		*sms;		/* for GSM_DeleteSMS */
	uint64_t		 first_id;	/* parts, reports: first_id + k */
	int			 nparts;	/* parts and reports in it */
	int			 undecodable;	/* libgammu cannot read it */
	uint64_t		 acked;		/* bit k: part k acked */
	int64_t			 sent_ms;
	struct worker_slot	*next;
};

struct worker_job {
	uint64_t		 job;
	char			*number;
	char			*text;
	int			 report;	/* ask for status reports */
	uint64_t		 skip;		/* parts that went already */
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
	/*
	 * Locations libgammu can neither decode nor delete (its AT driver
	 * reads a message before AT+CMGD): handed over once, then skipped.
	 */
	int			 bad_locs[WORKER_BAD_LOCS];
	int			 nbad_locs;
	struct worker_job	*jobs;

	/* Each part the network took, on disk before the daemon hears of
	   it (journal.h); NULL if it could not be opened. */
	struct journal		*journal;
	struct journal_part	 recent[WORKER_JOURNAL_KEEP];
	int			 nrecent;

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
	/* SIM credit (issue 7): the balance code's answer, by callback. */
	int64_t			 next_balance_ms;
	int			 ussd_got;
	char			*ussd_text;	/* UTF-8, owned */
};

/* worker.c */

/* Send msg to the daemon; exits the process if the daemon is gone. */
void	 worker_write(struct worker *w, const struct proto_msg *msg);
/* Wait up to timeout_ms for frames from the daemon and handle them. */
void	 worker_service(struct worker *w, int timeout_ms);
/* Does this error mean the link to the phone is gone? 0/1. */
int	 worker_is_broken(GSM_Error err);
/* The link failed with err during what: close it, go down, retry later. */
void	 worker_disconnect(struct worker *w, const char *what, GSM_Error err);
/* Let libgammu read the port ~50 ms; 0, or -1 if the link looks gone. */
int	 worker_read_device(struct worker *w);

/* worker_sms.c */

/* UTF-16 units before the first 0x0000, at most max. */
size_t	 worker_ucs2_len(const unsigned char *p, size_t max);
/* A UCS-2 string (ends at 0x0000 or max units; NULL is "") as new UTF-8. */
char	*worker_ucs2_utf8(const unsigned char *p, size_t max);
/* Hand over the locations +CMTI/+CDSI announced (or flag a full read). */
void	 worker_fetch_noted(struct worker *w);
/* Hand over what the modem routed to us without storing (+CMT, +CDS). */
void	 worker_handle_direct(struct worker *w);
/* Walk the whole inbox, hand over what is new; schedules the next poll. */
void	 worker_read_inbox(struct worker *w);
/* Delete the locations whose parts are all acked; forget stale ones. */
void	 worker_delete_acked(struct worker *w);
/* The daemon stored part id: mark it acked (unknown ids are ignored). */
void	 worker_ack(struct worker *w, uint64_t id);

/* worker_send.c */

/* Queue msg's SEND as a job; takes msg->number and msg->text (NULLed). */
void	 worker_job_queue(struct worker *w, struct proto_msg *msg);
/* Send the first queued job and report its RESULT; may disconnect. */
void	 worker_send_job(struct worker *w);
/*
 * text (UTF-8) encoded into ms as a job's parts: the number of parts, or
 * -1 with why in err (too long, not encodable). di may be NULL.
 */
int	 worker_encode(GSM_Debug_Info *di, const char *text,
	    GSM_MultiSMSMessage *ms, char *err, size_t errlen);
/* Report every queued job as failed (retry) with why, and drop them. */
void	 worker_fail_jobs(struct worker *w, const char *why);

/* worker_phone.c */

/* Hang up the calls the callback noted; one CALL per call. */
void	 worker_handle_calls(struct worker *w);
/* Read the modem's health, send HEALTH, start draining a full SIM. */
void	 worker_health(struct worker *w);
/* libgammu's USSD callback: keep the answer for worker_balance. */
void	 worker_cb_ussd(GSM_StateMachine *sm, GSM_USSDMessage *u, void *arg);
/* Dial balance_ussd, wait for the answer, send USSD; may disconnect. */
void	 worker_balance(struct worker *w);

#endif
