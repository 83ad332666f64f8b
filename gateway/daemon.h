/*
 * daemon — what cungated's two halves share: the loop and its modems'
 * parts, calls and health (daemon.c), and what became of each send, its
 * parts and their status reports, kept while the store is busy and
 * journalled where a crash must not lose them (daemon_sent.c). Private to
 * those two files.
 */
#ifndef CUNGATE_DAEMON_H
#define CUNGATE_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "modems/modem.h"

struct config;
struct event;
struct event_base;
struct http;
struct journal;
struct router;
struct store;
struct template;
struct daemon_held;
struct daemon_outcome;
struct daemon_report;
struct daemon_call;

struct daemon {
	struct config		*cf;
	struct store		*st;
	struct template		*tpl;
	struct router		*router;
	struct event_base	*base;
	struct modem		**modems;
	size_t			 nmodems;
	struct event		*second;	/* routing + outbox, 1 s */
	struct event		*tick;		/* scheduler */
	struct event		*kick;		/* run now, once */
	int			 crash_after_store;	/* fault injection */
	struct http		*http;		/* [http], NULL when off */
	struct daemon_held	*held;		/* oldest first */
	size_t			 nheld;
	struct daemon_outcome	*outcomes;	/* oldest first */
	struct daemon_report	*reports;	/* oldest first */
	struct daemon_call	*calls;		/* oldest first */
	struct journal		*journal;	/* parts the store lacks */
	int			 recovered;	/* the last run's rows settled:
						   1; 0 not yet, -1 said so */
	/* Among nodes (daemon_node.c). */
	struct event		*notify;	/* the store's socket, or NULL */
	int			 notify_fd;
	time_t			 beat_at;	/* the last beat tried */
	time_t			 store_since;	/* beating since, 0 not */
	int			 lead;		/* runs the scheduler: 0/1,
						   -1 not known yet */
};

/*
 * This node among the nodes on its database (daemon_node.c): at start,
 * its name (refused, -1 with *cause, if another live daemon has it), its
 * row and its modems' names (refused if another live node has one);
 * at each pass, its beat and the store's socket; at each tick, 1 if it
 * runs the scheduler (taking over the rows of nodes gone), else 0.
 */
int	 daemon_node_start(struct daemon *, char **cause);
void	 daemon_node_pass(struct daemon *);
int	 daemon_node_lead(struct daemon *, time_t now);
void	 daemon_node_stop(struct daemon *);

/* Run the loop's work now (route, pump), once. */
void	 daemon_kick(struct daemon *);

/* The modems' callbacks for sends (arg is the daemon). */
void	 daemon_result(struct modem *, const struct modem_send_result *,
	    void *);
void	 daemon_part_sent(struct modem *, uint64_t job, int seq, int msgref,
	    void *);
void	 daemon_report(struct modem *, uint64_t id, int msgref,
	    const char *number, enum modem_delivery, time_t at, void *);
/*
 * The last run's loose ends (its journal of parts, its rows left
 * "sending"); tried again each second until the store takes them.
 */
void	 daemon_recover(struct daemon *);
/* What the store did not take yet, tried again, oldest first. */
void	 daemon_outcomes_retry(struct daemon *);
void	 daemon_reports_retry(struct daemon *);
/* At the stop: drop what was kept (rows stay "sending", reports on the
   SIM; the next start settles both). */
void	 daemon_sent_drop(struct daemon *);

#endif
