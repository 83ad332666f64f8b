/*
 * cungated — the daemon: one libevent loop, one store connection (SQLite,
 * or PostgreSQL shared with other nodes: daemon_node.c), no threads. It
 * spawns a worker process per [modem], stores what they read, routes
 * complete messages to handlers, hands the outbox to the modems and runs
 * the scheduler on a timer. What became of each send (outcomes, parts
 * sent, status reports) is daemon_sent.c's.
 *
 *	cungated [-c FILE]	run in the foreground, log to stderr
 *	cungated [-c FILE] -n	check the configuration and exit
 *	cungated -h | --version
 *	cungated -c FILE -W NAME	(internal) the worker of modem NAME
 *
 * SIGTERM and SIGINT stop it cleanly; SIGHUP reloads the keyword table,
 * the reply templates, the USSD menu and the settings read at each use.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/http.h"
#include "gateway/inbox.h"
#include "gateway/journal.h"
#include "gateway/log.h"
#include "gateway/outbox.h"
#include "gateway/oversight.h"
#include "gateway/sched.h"
#include "gateway/service.h"
#include "gateway/store.h"
#include "gateway/ussd.h"
#include "gateway/util.h"
#include "handlers/handler.h"
#include "handlers/router.h"
#include "handlers/template.h"
#include "modems/modem.h"

#include "build/paths.h"

#define DAEMON_ROUTE_BATCH	64
/*
 * The loop waits at most this long for another process's write lock: a
 * store that does not answer is retried each second, never waited on for
 * seconds with HTTP and the modems' frames standing still.
 */
#define DAEMON_BUSY_MS		200
/* The last run's workers die with it: this long at most for them. */
#define DAEMON_ADOPT_WAIT_MS	5000
/* Parts read but not yet stored (the store was busy), retried each second. */
#define DAEMON_HELD_MAX		1024
/* The first number in the balance answer, when no balance_pattern. */
#define DAEMON_BALANCE_PATTERN	"(-?\\d+(?:\\.\\d+)?)"

/* A part the store did not take yet; acked once it does. */
struct daemon_held {
	struct modem		*m;
	uint64_t		 id;
	struct store_part	 p;	/* strings owned */
	struct daemon_held	*next;
};

/* A missed call the store did not take yet: an elder's check-in. */
struct daemon_call {
	char			 modem[33];
	char			 phone[PHONE_MAX];
	time_t			 at;
	int64_t			 id;	/* the call's row, 0 until recorded */
	struct daemon_call	*next;
};

static void	daemon_held_retry(struct daemon *);
static void	daemon_calls_retry(struct daemon *);

static __attribute__((noreturn)) void
daemon_usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: cungated [-n] [-c FILE]\n"
	    "       cungated -h | --version\n"
	    "  -c FILE    the configuration (default %s)\n"
	    "  -n         check the configuration and its tables, then exit\n"
	    "  -h, --help this text\n"
	    "  --version  the version\n", CUNGATE_CONFIG);
	exit(status);
}

/* Route every message waiting in state "new", then feed the modems. */
static void
daemon_work(struct daemon *d)
{
	int64_t ids[DAEMON_ROUTE_BATCH];
	int i, n;

	do {
		n = store_message_pending(d->st, ids, DAEMON_ROUTE_BATCH,
		    now_real());
		for (i = 0; i < n; i++)
			if (router_route(d->router, d->st, d->cf, d->tpl,
			    ids[i], now_real()) == -1)
				return;	/* store trouble: next second */
	} while (n == DAEMON_ROUTE_BATCH);
	if (outbox_pump(d->st, d->cf, d->modems, d->nmodems,
	    now_real()) == -1 && !store_is_away(d->st))
		log_warn("outbox: pump: %s", store_error(d->st));
}

void
daemon_kick(struct daemon *d)
{
	event_active(d->kick, EV_TIMEOUT, 0);
}

/* For gateway/http.c: a USSD action queued replies. */
static void
daemon_kick_arg(void *arg)
{
	daemon_kick(arg);
}

static void
daemon_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (d->recovered != 1)
		daemon_recover(d);
	if (d->held != NULL)
		daemon_held_retry(d);
	if (d->outcomes != NULL)
		daemon_outcomes_retry(d);
	if (d->reports != NULL)
		daemon_reports_retry(d);
	if (d->calls != NULL)
		daemon_calls_retry(d);
	daemon_work(d);
	daemon_node_pass(d);
}

static void
daemon_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (daemon_node_lead(d, now_real()) == 1 &&
	    sched_run(d->st, d->cf, d->tpl, now_real()) == -1)
		log_warn("sched: %s", store_error(d->st));
	daemon_kick(d);
}

/* Store p from modem m and ack it: 0, or -1 when the store failed. */
static int
daemon_store_part(struct daemon *d, struct modem *m, uint64_t id,
    const struct store_part *p)
{
	int64_t mid;

	if (inbox_store(d->st, d->cf, p, now_real(), &mid) == -1)
		return -1;
	if (d->crash_after_store)
		raise(SIGKILL);	/* stored, not acked: see tests */
	modem_ack(m, id);
	if (mid != 0)
		daemon_kick(d);
	return 0;
}

/*
 * The store did not take a part (another process holds the write lock, the
 * disk is full): keep it and try again each second, so an SOS waits for the
 * store, not for the worker to read the SIM again ten minutes later. Not
 * acked until stored: a crash meanwhile loses nothing.
 */
static void
daemon_hold(struct daemon *d, struct modem *m, uint64_t id,
    const struct store_part *p)
{
	struct daemon_held *h, **tail;

	for (tail = &d->held; *tail != NULL; tail = &(*tail)->next)
		if ((*tail)->m == m && (*tail)->id == id)
			return;		/* offered again: held already */
	if (d->nheld == DAEMON_HELD_MAX)
		return;		/* the worker offers it again later */
	h = xcalloc(1, sizeof *h);
	h->m = m;
	h->id = id;
	h->p = *p;
	h->p.modem = xstrdup(p->modem);
	h->p.sender = xstrdup(p->sender);
	h->p.smsc = xstrdup(p->smsc != NULL ? p->smsc : "");
	h->p.text = xstrdup(p->text);
	*tail = h;
	d->nheld++;
	if (d->nheld == 1)
		log_warn("inbox: store busy: holding parts, retrying each "
		    "second");
}

static void
daemon_held_free(struct daemon_held *h)
{
	free((char *)h->p.modem);
	free((char *)h->p.sender);
	free((char *)h->p.smsc);
	free((char *)h->p.text);
	free(h);
}

/* Store what was held, oldest first, while the store takes them. */
static void
daemon_held_retry(struct daemon *d)
{
	struct daemon_held *h;
	size_t n = d->nheld;

	while ((h = d->held) != NULL) {
		if (daemon_store_part(d, h->m, h->id, &h->p) == -1)
			return;
		d->held = h->next;
		d->nheld--;
		daemon_held_free(h);
	}
	if (n > 0)
		log_info("inbox: store answers again: %zu held part(s) stored",
		    n);
}

static void
daemon_part(struct modem *m, const struct modem_part *mp, void *arg)
{
	struct daemon *d = arg;
	struct store_part p;

	memset(&p, 0, sizeof p);
	p.modem = modem_name(m);
	p.sender = mp->sender;
	p.smsc = mp->smsc;
	p.sent_at = mp->sent_at;
	p.ref = mp->ref;
	p.total = mp->total;
	p.seq = mp->seq;
	p.text = mp->text;
	p.location = mp->location;
	p.binary = mp->binary;
	/* Behind parts held already: their turn first. */
	if (d->held != NULL || daemon_store_part(d, m, mp->id, &p) == -1)
		daemon_hold(d, m, mp->id, &p);
}

/* Record a send's outcome r at now: 0, or -1 when the store failed. */
/* A part from the journal, on record. */
/* Record the kept outcomes, oldest first, while the store takes them. */
static void
daemon_state(struct modem *m, enum modem_state state, const char *why,
    void *arg)
{
	static const char *names[] = { "starting", "up", "down" };
	struct daemon *d = arg;

	if (store_modem_set(d->st, modem_name(m), names[state], why,
	    now_real()) == -1)
		log_warn("modem %s: recording state: %s", modem_name(m),
		    store_error(d->st));
	daemon_kick(d);
}

/*
 * A missed call from an enrolled elder is the day's check-in (free for
 * them): record it and its confirmation in one transaction.
 */
static int
daemon_checkin_call(struct daemon *d, const char *phone, int64_t id,
    time_t at)
{
	struct checkin_ctx c = { d->st, d->cf, d->tpl, at, phone, "call", 0 };
	char masked[PHONE_MAX];
	int rc;

	if (store_begin(d->st) == -1)
		return -1;
	if ((rc = checkin_call(&c, phone)) == -1 ||
	    (rc == 1 && store_call_handled(d->st, id) == -1)) {
		store_rollback(d->st);
		log_warn("checkin: call from %s: %s", phone_mask(phone, masked),
		    store_error(d->st));
		return -1;
	}
	if (store_commit(d->st) == -1)
		return -1;
	if (rc == 1) {
		log_info("checkin: %s checked in by a missed call",
		    phone_mask(phone, masked));
		daemon_kick(d);
	}
	return 0;
}

/* Record call c and what it means (a check-in): 0, or -1 to try again. */
static int
daemon_call_record(struct daemon *d, struct daemon_call *c)
{
	if (c->id == 0 &&
	    (c->id = store_call_add(d->st, c->modem, c->phone, c->at)) == -1) {
		c->id = 0;
		return -1;
	}
	return daemon_checkin_call(d, c->phone, c->id, c->at);
}

/* Record the kept calls, oldest first, while the store takes them. */
static void
daemon_calls_retry(struct daemon *d)
{
	struct daemon_call *c;

	while ((c = d->calls) != NULL) {
		if (daemon_call_record(d, c) == -1)
			return;
		d->calls = c->next;
		free(c);
	}
}

static void
daemon_call(struct modem *m, const char *number, time_t at, void *arg)
{
	struct daemon *d = arg;
	struct daemon_call *c, **tail;
	char phone[PHONE_MAX], masked[PHONE_MAX];

	if (phone_normalise(number, d->cf->country_code, phone) == -1)
		snprintf(phone, sizeof phone, "%s", number);
	log_info("modem %s: missed call from %s", modem_name(m),
	    phone_mask(phone, masked));
	c = xcalloc(1, sizeof *c);
	snprintf(c->modem, sizeof c->modem, "%s", modem_name(m));
	snprintf(c->phone, sizeof c->phone, "%s", phone);
	c->at = at;
	/*
	 * An elder's missed call is the day's check-in, and the ring is gone:
	 * when the store is busy the call is kept and recorded within a
	 * second of it answering, like a part.
	 */
	if (d->calls == NULL && daemon_call_record(d, c) == 0) {
		free(c);
		return;
	}
	log_warn("modem %s: call from %s not recorded yet: kept, tried "
	    "again each second", modem_name(m), phone_mask(phone, masked));
	for (tail = &d->calls; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
}

static void
daemon_health(struct modem *m, const struct modem_health *h, void *arg)
{
	struct daemon *d = arg;
	struct store_modem sm;
	char *text, used[16], total[16];
	int full, rc;

	memset(&sm, 0, sizeof sm);
	sm.signal = h->signal;
	sm.battery = h->battery;
	snprintf(sm.network, sizeof sm.network, "%s", h->network);
	snprintf(sm.operator_name, sizeof sm.operator_name, "%s",
	    h->operator_name[0] != '\0' ? h->operator_name : h->operator_code);
	sm.sim_used = h->sim_used;
	sm.sim_total = h->sim_total;
	if (store_modem_health(d->st, modem_name(m), &sm, now_real()) == -1) {
		log_warn("modem %s: recording health: %s", modem_name(m),
		    store_error(d->st));
		return;
	}
	full = h->sim_total > 0 &&
	    h->sim_used * 100 >= h->sim_total * d->cf->sim_full_warn;
	/* Warn once as it fills; again only after it has drained. */
	if ((rc = store_modem_set_sim_warned(d->st, modem_name(m), full)) != 1 ||
	    !full)
		return;
	log_warn("modem %s: SIM storage %d/%d used: draining", modem_name(m),
	    h->sim_used, h->sim_total);
	snprintf(used, sizeof used, "%d", h->sim_used);
	snprintf(total, sizeof total, "%d", h->sim_total);
	text = template_render(d->tpl, "sim_full", "modem", modem_name(m),
	    "used", used, "total", total, NULL);
	if (text == NULL || oversight_tell_admins(d->st, d->cf, text,
	    now_real()) == -1)
		log_warn("modem %s: SIM warning not queued", modem_name(m));
	free(text);
	daemon_kick(d);
}

/* "12", "12.5", "-3.20" (the first number in s) as hundredths: 0 or -1. */
static int
daemon_amount(const char *s, int64_t *out)
{
	int64_t v = 0;
	int neg = 0, digits = 0, frac = -1;

	while (*s != '\0' && *s != '-' && (*s < '0' || *s > '9'))
		s++;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s != '\0'; s++) {
		if (*s >= '0' && *s <= '9') {
			if (frac == 2 || v > INT64_MAX / 100)
				break;
			if (frac >= 0 || digits < 12) {
				v = v * 10 + (*s - '0');
				digits++;
				if (frac >= 0)
					frac++;
			}
		} else if (*s == '.' && frac == -1)
			frac = 0;
		else
			break;
	}
	if (digits == 0)
		return -1;
	while (frac < 2) {
		v *= 10;
		frac = frac < 0 ? 1 : frac + 1;
	}
	*out = neg ? -v : v;
	return 0;
}

/* The SIM's credit as the network answered the modem's balance code. */
static void
daemon_ussd(struct modem *m, const char *text, const char *error, void *arg)
{
	struct daemon *d = arg;
	const struct config_modem *cm = config_modem_find(d->cf,
	    modem_name(m));
	char *found = NULL, *cause = NULL, *alert, credit[32], threshold[32];
	int64_t fen;
	int rc;

	if (cm == NULL || cm->balance_ussd == NULL)
		return;
	if (error[0] != '\0') {
		log_warn("modem %s: balance %s: %s", modem_name(m),
		    cm->balance_ussd, error);
		return;
	}
	rc = router_extract(cm->balance_pattern != NULL ? cm->balance_pattern :
	    DAEMON_BALANCE_PATTERN, text, &found, &cause);
	if (rc != 1 || daemon_amount(found, &fen) == -1) {
		log_warn("modem %s: balance %s: no amount in \"%s\"%s%s",
		    modem_name(m), cm->balance_ussd, text,
		    cause != NULL ? ": " : "", cause != NULL ? cause : "");
		free(found);
		free(cause);
		return;
	}
	free(found);
	rc = store_credit_set(d->st, modem_name(m), fen, text,
	    cm->balance_threshold, now_real());
	snprintf(credit, sizeof credit, "%s%lld.%02lld", fen < 0 ? "-" : "",
	    (long long)(fen < 0 ? -fen : fen) / 100,
	    (long long)(fen < 0 ? -fen : fen) % 100);
	snprintf(threshold, sizeof threshold, "%lld.%02lld",
	    (long long)cm->balance_threshold / 100,
	    (long long)cm->balance_threshold % 100);
	log_info("modem %s: SIM credit %s (alert below %s)", modem_name(m),
	    credit, threshold);
	if (rc == -1) {
		log_warn("modem %s: recording the credit: %s", modem_name(m),
		    store_error(d->st));
		return;
	}
	if (rc == 0)
		return;
	/* Once per fall below the threshold; urgent, through any modem up. */
	log_warn("modem %s: SIM credit %s below %s: telling the admins",
	    modem_name(m), credit, threshold);
	alert = template_render(d->tpl, "credit_low", "modem", modem_name(m),
	    "credit", credit, "threshold", threshold, NULL);
	if (alert == NULL || oversight_tell_admins(d->st, d->cf, alert,
	    now_real()) == -1)
		log_warn("modem %s: credit alert not queued", modem_name(m));
	free(alert);
	daemon_kick(d);
}

static void	daemon_reload(struct daemon *);

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		daemon_reload(d);
		return;
	}
	log_info("daemon: %s: stopping", sig == SIGTERM ? "SIGTERM" :
	    "SIGINT");
	service_stopping(sig == SIGTERM ? "stopping (SIGTERM)" :
	    "stopping (SIGINT)");
	event_base_loopbreak(d->base);
}

/*
 * The tables named by the config (keyword table, reply templates, each
 * modem's balance pattern, and the USSD menu when the HTTP server answers
 * USSD): all of them into *router, *tpl and *menu, or -1 with *cause and
 * nothing loaded.
 */
static int
daemon_tables(const struct config *cf, struct router **router,
    struct template **tpl, struct ussd_menu **menu, char **cause)
{
	char *out = NULL;
	size_t i;

	*router = NULL;
	*menu = NULL;
	if ((*tpl = template_load(cf->messages, cause)) == NULL)
		return -1;
	router_use_jit(cf->regex_jit);
	if ((*router = router_new(cf->commands, handlers_all, *tpl,
	    cause)) == NULL)
		goto fail;
	for (i = 0; i < cf->nmodems; i++) {
		if (cf->modems[i].balance_pattern == NULL)
			continue;
		if (router_extract(cf->modems[i].balance_pattern, "", &out,
		    cause) == -1) {
			out = *cause;
			*cause = xasprintf("%s:%d: [modem %s] balance_pattern: "
			    "%s", cf->path, cf->modems[i].line,
			    cf->modems[i].name, out);
			free(out);
			goto fail;
		}
		free(out);
	}
	if (cf->http_listen != NULL && cf->http_secret != NULL &&
	    (*menu = ussd_menu_load(cf->ussd_menu, cause)) == NULL)
		goto fail;
	return 0;
fail:
	router_free(*router);
	template_free(*tpl);
	*router = NULL;
	*tpl = NULL;
	return -1;
}

/*
 * SIGHUP: read the config file and its tables again. Nothing is taken
 * unless all of them load; a bad file keeps the running ones and says
 * file:line. Settings only a restart can change are named, not taken.
 */
static void
daemon_reload(struct daemon *d)
{
	struct config *fresh;
	struct router *router;
	struct template *tpl;
	struct ussd_menu *menu;
	char *cause = NULL, *fixed;

	log_info("daemon: SIGHUP: reloading %s", d->cf->path);
	if ((fresh = config_load(d->cf->path, &cause)) == NULL) {
		log_warn("daemon: reload: %s: the running configuration is "
		    "kept", cause);
		free(cause);
		return;
	}
	if (daemon_tables(fresh, &router, &tpl, &menu, &cause) == -1) {
		log_warn("daemon: reload: %s: the running configuration is "
		    "kept", cause);
		free(cause);
		config_free(fresh);
		return;
	}
	fixed = config_apply_live(d->cf, fresh);
	config_free(fresh);
	log_init("cungated", d->cf->log_level);
	http_set_tables(d->http, router, tpl, menu);
	router_free(d->router);
	template_free(d->tpl);
	d->router = router;
	d->tpl = tpl;
	if (fixed != NULL)
		log_warn("daemon: reload: changed settings that take effect "
		    "only at a restart: %s", fixed);
	log_info("daemon: reloaded: keyword table %s, templates %s%s%s",
	    d->cf->commands, d->cf->messages, menu != NULL ?
	    ", USSD menu " : "", menu != NULL ? d->cf->ussd_menu : "");
	free(fixed);
}

int
main(int argc, char **argv)
{
	const struct modem_callbacks cbs = {
		.part = daemon_part,
		.result = daemon_result,
		.part_sent = daemon_part_sent,
		.state = daemon_state,
		.call = daemon_call,
		.health = daemon_health,
		.report = daemon_report,
		.ussd = daemon_ussd,
	};
	struct modem_callbacks mcb = cbs;
	struct event *sigs[3];
	struct timeval sec = { 1, 0 }, tickv = { 0, 0 };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = CUNGATE_CONFIG, *worker = NULL;
	struct ussd_menu *menu = NULL;
	const struct config_modem *cm;
	struct daemon d;
	struct daemon_held *h;
	struct daemon_call *c;
	char masked[PHONE_MAX], *cause = NULL, *journal;
	int ch, n, check = 0;
	size_t i;

	memset(&d, 0, sizeof d);
	while ((ch = getopt_long(argc, argv, "c:hnW:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			daemon_usage(0);
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("cungated %s\n", CUNGATE_VERSION);
			return 0;
		case 'W':
			worker = optarg;
			break;
		default:
			daemon_usage(2);
		}
	}
	if (optind != argc)
		daemon_usage(2);
	/* Files it creates (the database, its WAL) are for its user alone. */
	umask(077);
	log_init("cungated", LOG_LEVEL_INFO);
	if ((d.cf = config_load(path, &cause)) == NULL) {
		fprintf(stderr, "cungated: %s\n", cause);
		free(cause);
		return 1;
	}
	log_init("cungated", d.cf->log_level);
	if (worker != NULL) {
		if ((cm = config_modem_find(d.cf, worker)) == NULL)
			fatal("no [modem %s] in %s", worker, d.cf->path);
		modem_worker_main(d.cf, cm, 3);
	}
	if (daemon_tables(d.cf, &d.router, &d.tpl, &menu, &cause) == -1) {
		fprintf(stderr, "cungated: %s\n", cause);
		free(cause);
		config_free(d.cf);
		return 1;
	}
	if (check) {
		printf("%s: ok (%zu modem%s)\n", d.cf->path, d.cf->nmodems,
		    d.cf->nmodems == 1 ? "" : "s");
		ussd_menu_free(menu);
		router_free(d.router);
		template_free(d.tpl);
		config_free(d.cf);
		return 0;
	}
	if (service_lock(d.cf, &cause) == -1) {
		log_error("daemon: not started: %s", cause);
		free(cause);
		return 1;
	}
	if (d.cf->nmodems == 0)
		log_warn("daemon: no [modem] sections: nothing will be sent");
	if ((d.st = store_open(d.cf->database, &cause)) == NULL)
		fatal("store: %s", cause);
	/* Before anything is taken for this node's: its name is its own. */
	if (daemon_node_start(&d, &cause) == -1) {
		log_error("daemon: not started: %s", cause);
		return 1;
	}
	journal = xasprintf("%s.parts", d.cf->journal);
	if ((d.journal = journal_open(journal, &cause)) == NULL)
		fatal("journal: %s", cause);
	free(journal);
	/* What the last run's workers sent, maybe unheard of: ours now. The
	   workers die with the daemon; wait a little for the last of them. */
	if ((n = journal_adopt_all(d.cf->journal, DAEMON_ADOPT_WAIT_MS,
	    d.journal)) > 0)
		log_info("outbox: %d part(s) in the modem workers' journals", n);
	/* Rows a previous run handed to a worker: in doubt, not resent. */
	daemon_recover(&d);
	store_set_busy_timeout(d.st, DAEMON_BUSY_MS);
	d.crash_after_store = getenv("CUNGATE_FAULT") != NULL &&
	    strcmp(getenv("CUNGATE_FAULT"), "crash_after_store") == 0;

	signal(SIGPIPE, SIG_IGN);
	if ((d.base = event_base_new()) == NULL)
		fatal("daemon: event_base_new failed");
	sigs[0] = evsignal_new(d.base, SIGINT, daemon_signal_cb, &d);
	sigs[1] = evsignal_new(d.base, SIGTERM, daemon_signal_cb, &d);
	sigs[2] = evsignal_new(d.base, SIGHUP, daemon_signal_cb, &d);
	for (i = 0; i < 3; i++)
		evsignal_add(sigs[i], NULL);
	d.second = event_new(d.base, -1, EV_PERSIST, daemon_kick_cb, &d);
	d.kick = event_new(d.base, -1, 0, daemon_kick_cb, &d);
	d.tick = event_new(d.base, -1, EV_PERSIST, daemon_tick_cb, &d);
	event_add(d.second, &sec);
	tickv.tv_sec = d.cf->tick_interval;
	event_add(d.tick, &tickv);

	mcb.arg = &d;
	d.nmodems = d.cf->nmodems;
	d.modems = xcalloc(d.nmodems, sizeof *d.modems);
	for (i = 0; i < d.nmodems; i++) {
		d.modems[i] = modem_new(d.base, d.cf, &d.cf->modems[i], &mcb);
		if (modem_start(d.modems[i]) == -1)
			fatal("modem %s: cannot start its worker",
			    d.cf->modems[i].name);
	}
	if (d.cf->http_listen != NULL) {
		struct http_env he = { d.cf, d.st, d.router, d.tpl, d.modems,
		    d.nmodems, daemon_kick_arg, &d };

		if ((d.http = http_new(d.base, &he, &cause)) == NULL)
			fatal("%s", cause);
	}
	http_set_tables(d.http, d.router, d.tpl, menu);
	/* A conninfo may hold a password: not in the log. */
	log_info("daemon: cungated %s started on %s: %zu modem(s), database "
	    "%s, node %s", CUNGATE_VERSION, d.cf->path, d.nmodems,
	    store_is_server(d.cf->database) ? "on a PostgreSQL server" :
	    d.cf->database, d.cf->node);
	daemon_tick_cb(-1, 0, &d);	/* catch up on what was due */
	service_ready(d.base, "running");
	event_base_dispatch(d.base);

	http_free(d.http);
	for (i = 0; i < d.nmodems; i++) {
		store_modem_set(d.st, modem_name(d.modems[i]), "stopped",
		    "cungated stopped", now_real());
		modem_free(d.modems[i]);
	}
	free(d.modems);
	for (i = 0; i < 3; i++)
		event_free(sigs[i]);
	while ((c = d.calls) != NULL) {
		log_warn("modem %s: missed call from %s at %lld never recorded: "
		    "the store did not answer before the stop", c->modem,
		    phone_mask(c->phone, masked), (long long)c->at);
		d.calls = c->next;
		free(c);
	}
	daemon_sent_drop(&d);
	while (d.held != NULL) {
		/* Not acked: the workers' next read finds them again. */
		h = d.held;
		d.held = h->next;
		daemon_held_free(h);
	}
	daemon_node_stop(&d);
	store_node_stopped(d.st);
	event_free(d.second);
	event_free(d.kick);
	event_free(d.tick);
	event_base_free(d.base);
	router_free(d.router);
	template_free(d.tpl);
	store_close(d.st);
	journal_close(d.journal);
	config_free(d.cf);
	log_info("daemon: stopped");
	return 0;
}
