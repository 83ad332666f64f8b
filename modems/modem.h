/*
 * modem — the main process's side of one modem: it spawns the modem's
 * worker process (the only code that talks to libgammu), speaks the framed
 * protocol over a socketpair, pings it, kills and respawns it with backoff
 * when it stops answering, and turns its frames into callbacks.
 *
 * Everything runs in the daemon's libevent loop; no call here blocks.
 * Callbacks run inside that loop and must not call modem_free. The daemon
 * must ignore SIGPIPE; each modem reaps its own worker (waitpid on that
 * pid only), so other children are left to their owners.
 */
#ifndef CUNGATE_MODEM_H
#define CUNGATE_MODEM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;
struct config;
struct config_modem;
struct modem;

enum modem_state {
	MODEM_STARTING,		/* worker spawned, not connected yet */
	MODEM_UP,		/* connected to the phone, takes jobs */
	MODEM_DOWN		/* cannot reach the phone; retrying */
};

/* One SMS part as read from the SIM. Strings are owned by the modem. */
struct modem_part {
	uint64_t	 id;		/* the worker's handle, for modem_ack */
	const char	*sender;	/* as the network gave it */
	const char	*smsc;		/* "" if unknown */
	time_t		 sent_at;	/* SMSC time stamp, 0 if unknown */
	int		 ref;		/* concatenation ref, 0 if single */
	int		 total;		/* parts in the message, 1 if single */
	int		 seq;		/* this part's number, 1-based */
	const char	*text;		/* UTF-8 */
	int		 location;	/* the SIM location it was read from */
	int		 binary;	/* 8-bit data (WAP push, OTA): 0/1 */
};

enum modem_result {
	MODEM_SENT,		/* every part accepted by the network */
	MODEM_FAILED_RETRY,	/* failed; another try may work */
	MODEM_FAILED_PERMANENT,	/* failed; do not try again */
	MODEM_LOST		/* worker died with it in flight: unknown */
};

/* The outcome of one job. Pointers are valid during the callback only. */
struct modem_send_result {
	uint64_t		 job;
	enum modem_result	 result;
	int			 parts;		/* parts of the message */
	int			 parts_sent;	/* accepted by the network */
	const int		*msgrefs;	/* per sent part, in order */
	int			 cms;		/* +CMS ERROR code, -1 if none */
	const char		*error;		/* "" if none */
};

/* What the worker last read of the modem's health; -1 / "" unknown. */
struct modem_health {
	int		 signal;	/* percent */
	int		 battery;	/* percent */
	const char	*network;	/* "home", "roaming", "searching",
					   "denied", "none", "" */
	const char	*operator_code;	/* "46000" */
	const char	*operator_name;	/* "China Mobile" */
	int		 sim_used;	/* messages stored on the SIM */
	int		 sim_total;
};

/* A delivery report for a part this modem sent. */
enum modem_delivery {
	MODEM_DELIVERED,
	MODEM_DELIVERY_PENDING,		/* the network is still trying */
	MODEM_DELIVERY_FAILED
};

struct modem_callbacks {
	/*
	 * A part arrived. The callee stores it and then calls modem_ack; only
	 * then does the worker delete it from the SIM. Not acking is safe: the
	 * part is read again by the next worker.
	 */
	void	(*part)(struct modem *, const struct modem_part *, void *);
	/*
	 * Part seq (from 1) of job went: the network took it, with reference
	 * msgref. Comes before the job's result, as each part goes; if the
	 * worker dies before the result, these are the parts that went.
	 */
	void	(*part_sent)(struct modem *, uint64_t job, int seq, int msgref,
		    void *);
	/* The outcome of a job given to modem_submit. */
	void	(*result)(struct modem *, const struct modem_send_result *,
		    void *);
	/* The modem changed state (MODEM_UP means jobs can go to it). */
	void	(*state)(struct modem *, enum modem_state, const char *why,
		    void *);
	/* A call came in from number and was hung up unanswered. */
	void	(*call)(struct modem *, const char *number, time_t at, void *);
	/* A health reading (every health interval, and at connect). */
	void	(*health)(struct modem *, const struct modem_health *, void *);
	/*
	 * A status report: the part with network reference msgref, sent by
	 * this modem to number, reached status at time at. Acked like a
	 * part (modem_ack with id) once recorded; until then it stays on the
	 * SIM and a later worker reads it again.
	 */
	void	(*report)(struct modem *, uint64_t id, int msgref,
		    const char *number, enum modem_delivery, time_t at, void *);
	/*
	 * The network's answer to the modem's balance_ussd code (issue 7);
	 * text "" and error why when it gave none.
	 */
	void	(*ussd)(struct modem *, const char *text, const char *error,
		    void *);
	void	*arg;
};

/*
 * A modem for the [modem] section m of cf, on base. Nothing runs until
 * modem_start. cf and m must outlive the modem.
 */
struct modem *modem_new(struct event_base *base, const struct config *cf,
	    const struct config_modem *m, const struct modem_callbacks *cb);
/* Spawn the worker (and keep it running). 0, or -1 if it could not fork. */
int	 modem_start(struct modem *);
/* Kill the worker and free the modem; modem_free(NULL) is a no-op. */
void	 modem_free(struct modem *);

const char *modem_name(const struct modem *);
enum modem_state modem_get_state(const struct modem *);
/* How long it has been up without a break, in ms; 0 while not up. */
int64_t	 modem_up_for_ms(const struct modem *);
/* Is it out of rotation (sends went unanswered), resting? 0/1. */
int	 modem_resting(const struct modem *);
/* Is the modem up with room for another job? 0/1. */
int	 modem_can_take(const struct modem *);
/* Jobs handed to the worker and not yet reported. */
size_t	 modem_inflight(const struct modem *);

/*
 * Give the worker a message to send: text (UTF-8) to number (E.164). The
 * worker encodes it (GSM-7 or UCS-2, split into parts as needed) and sends
 * all parts; the outcome comes through cb->result with this job id.
 * want_report asks the network for a delivery report of each part. skip
 * names the parts an earlier attempt on this modem sent (bit i: part i + 1):
 * they are not sent again, and the parts that are carry the same
 * concatenation reference (it follows from job), so the recipient's phone
 * joins them with the ones it has. Returns 0, or -1 if the modem cannot
 * take it now (nothing was sent).
 * The worker fails a text over 3000 UTF-16 units (45 parts) or a number
 * that is not [+]digits with MODEM_FAILED_PERMANENT.
 */
int	 modem_submit(struct modem *, uint64_t job, const char *number,
	    const char *text, int want_report, uint64_t skip);
/*
 * The number of parts the worker will send text in (the same encoding),
 * or -1 if it cannot be sent (too long).
 */
int	 modem_parts(const char *text);
/*
 * The part with this id is stored: the worker may delete it. An id from an
 * earlier worker (the modem was respawned since) is dropped: that worker's
 * parts are read again by the new one and arrive as duplicates.
 */
void	 modem_ack(struct modem *, uint64_t part_id);

/*
 * The worker process's main: connect to the phone for the [modem] section
 * m, serve the protocol on fd. Never returns. The daemon runs it as
 * "cungated -c FILE -W NAME" with the socket on fd 3.
 */
void	 modem_worker_main(const struct config *cf,
	    const struct config_modem *m, int fd) __attribute__((noreturn));

/*
 * For tests and demos: drop an incoming SMS from sender with text (UTF-8)
 * into the inbox of the dummy-phone modem m, as libgammu's smsbackup files,
 * one file per part (written to a temporary name, then renamed). Returns
 * the number of parts written, or -1 with *cause.
 */
int	 modem_simulate(const struct config *cf, const struct config_modem *m,
	    const char *sender, const char *text, char **cause);

#endif
