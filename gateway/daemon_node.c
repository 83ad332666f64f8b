/*
 * daemon_node — the daemon as one node of several on one database (a
 * county's township gateways on one PostgreSQL): its name held while it
 * runs, its row beaten every DAEMON_NODE_BEAT seconds with the leases of
 * its rows in SENDING, its modems' names claimed, the scheduler run by
 * the one node that holds that duty, another node's rows taken over when
 * that node is gone, and the store's notifications (rows queued by
 * cungatectl or another node) heard on the loop. On SQLite the daemon is
 * the only node: every duty is its own, and it has nothing to hear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/store.h"
#include "gateway/util.h"

/* s between beats: well inside STORE_NODE_LEASE. */
#define DAEMON_NODE_BEAT	5

static void	daemon_node_watch(struct daemon *);

int
daemon_node_start(struct daemon *d, char **cause)
{
	const struct config_modem *cm;
	time_t now = now_real();
	char host[64], *duty, *prefixes, *t;
	size_t i, k;
	int rc;

	store_set_node(d->st, d->cf->node);
	/* Two daemons under one name would take each other's rows. */
	duty = xasprintf("node:%s", d->cf->node);
	rc = store_node_duty(d->st, duty);
	free(duty);
	if (rc != 1) {
		*cause = rc == 0 ? xasprintf("node %s runs already: another "
		    "cungated on this database has that name ([gateway] node)",
		    d->cf->node) : xasprintf("node %s: %s", d->cf->node,
		    store_error(d->st));
		return -1;
	}
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	if (store_node_register(d->st, host, (int)getpid(), now) == -1) {
		*cause = xasprintf("node %s: %s", d->cf->node,
		    store_error(d->st));
		return -1;
	}
	for (i = 0; i < d->cf->nmodems; i++) {
		cm = &d->cf->modems[i];
		prefixes = xstrdup("");
		for (k = 0; k < cm->nprefixes; k++) {
			t = xasprintf("%s%s%s", prefixes, k > 0 ? "," : "",
			    cm->prefixes[k]);
			free(prefixes);
			prefixes = t;
		}
		rc = store_node_modem_claim(d->st, cm->name, prefixes,
		    cm->delivery_reports, now);
		free(prefixes);
		if (rc != 1) {
			*cause = rc == 0 ? xasprintf("[modem %s]: another node "
			    "on this database drives a modem of that name: "
			    "name each modem once in the county", cm->name) :
			    xasprintf("[modem %s]: %s", cm->name,
			    store_error(d->st));
			return -1;
		}
	}
	if (store_listen(d->st) == -1)
		log_warn("daemon: node %s: not listening for queued rows: %s: "
		    "found each second instead", d->cf->node,
		    store_error(d->st));
	d->notify_fd = -1;
	d->beat_at = now;
	d->store_since = now;
	d->lead = -1;
	return 0;
}

void
daemon_node_stop(struct daemon *d)
{
	if (d->notify != NULL)
		event_free(d->notify);
	d->notify = NULL;
	d->notify_fd = -1;
}

static void
daemon_node_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (store_notified(d->st) > 0)
		daemon_kick(d);
	daemon_node_watch(d);
}

/*
 * Watch the store's socket: a new one with each session, none while the
 * server is away. The old event goes first: its descriptor was closed,
 * and the new session may have its number.
 */
static void
daemon_node_watch(struct daemon *d)
{
	int fd = store_socket(d->st);

	if (fd == d->notify_fd)
		return;
	daemon_node_stop(d);
	if (fd < 0)
		return;
	d->notify = event_new(d->base, fd, EV_READ | EV_PERSIST,
	    daemon_node_notify_cb, d);
	event_add(d->notify, NULL);
	d->notify_fd = fd;
}

void
daemon_node_pass(struct daemon *d)
{
	time_t now = now_real();
	char *duty;
	int rc;

	if (now - d->beat_at >= DAEMON_NODE_BEAT) {
		d->beat_at = now;
		duty = xasprintf("node:%s", d->cf->node);
		if (store_node_beat(d->st, now) == -1 ||
		    (rc = store_node_duty(d->st, duty)) == -1) {
			if (d->store_since != 0)
				log_warn("daemon: node %s: no beat: %s",
				    d->cf->node, store_error(d->st));
			d->store_since = 0;
		} else {
			if (d->store_since == 0) {
				log_info("daemon: node %s: beating again",
				    d->cf->node);
				d->store_since = now;
			}
			if (rc == 0)
				log_error("daemon: node %s: another cungated "
				    "took this node's name while the database "
				    "was away", d->cf->node);
		}
		free(duty);
	}
	/* Read at each pass: a query may have read a notification in. */
	if (store_notified(d->st) > 0)
		daemon_kick(d);
	daemon_node_watch(d);
}

int
daemon_node_lead(struct daemon *d, time_t now)
{
	int rc, n;

	if ((rc = store_node_duty(d->st, "sched")) == -1)
		return 0;	/* the store is away: nothing is due */
	if (rc != d->lead) {
		if (rc == 1)
			log_info("daemon: node %s runs the scheduler",
			    d->cf->node);
		else
			log_info("daemon: node %s: another node runs the "
			    "scheduler", d->cf->node);
		d->lead = rc;
	}
	/*
	 * Other nodes' rows whose leases lapsed: theirs to renew first.
	 * After an outage of the store, every node had a lease's time to
	 * beat again before its rows are taken for a dead node's.
	 */
	if (rc == 1 && d->store_since != 0 &&
	    now - d->store_since >= STORE_NODE_LEASE) {
		if (store_begin(d->st) == -1)
			return rc;
		if ((n = outbox_take_over(d->st, d->cf, now)) == -1 ||
		    store_commit(d->st) == -1) {
			store_rollback(d->st);
			log_warn("outbox: rows of a node gone: %s",
			    store_error(d->st));
		} else if (n > 0) {
			log_info("outbox: %d message(s) in flight on a node "
			    "that is gone: in doubt", n);
			daemon_kick(d);
		}
	}
	return rc;
}
