/*
 * supervisor — the daemon's side of each modem (modem.h): spawn the
 * worker as "cungated -c FILE -W NAME" with a socketpair on fd 3, read its
 * frames with a bufferevent, ping it, and when it stops answering, exits
 * or breaks the protocol: kill it, reap it (waitpid on its own pid only),
 * report its job as MODEM_LOST and respawn it with backoff.
 *
 * The worker leads its own process group, and a kill goes to the group:
 * libgammu's proxyat connection runs the modem command as the worker's
 * child, which a kill of the worker alone would leave behind. At most one
 * job is in flight per modem, so a MODEM_LOST job is one the worker had
 * started, and no queued work is stranded in a dead worker.
 *
 * One 500 ms timer per modem drives the heartbeat, the watchdog, reaping
 * and respawning. Part ids handed to the daemon carry the worker's
 * generation in the top bits, so an ack that arrives after a respawn is
 * dropped instead of deleting some other part.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "gateway/config.h"
#include "gateway/journal.h"
#include "gateway/log.h"
#include "gateway/util.h"
#include "modems/modem.h"
#include "modems/proto.h"

#define MODEM_TICK_MS		500
#define MODEM_MAX_INFLIGHT	1
#define MODEM_BACKOFF_MIN	1000	/* ms */
#define MODEM_BACKOFF_MAX	60000
#define MODEM_STABLE_MS		60000	/* up this long resets the backoff */
/*
 * Sends lost in a row (the worker gone with a part given and no answer)
 * before the modem is out of rotation: it rests MODEM_REST_MIN, twice as
 * long each time it does it again, until a send goes through.
 */
#define MODEM_LOST_SENDS	2
/* At a stop, how long a worker has to close its modem and exit. */
#define MODEM_STOP_MS		5000
/* The daemon's own loop stood still this long: not the worker's fault. */
#define MODEM_STALL_MS		3000
#define MODEM_REST_MIN		60000	/* ms */
#define MODEM_REST_MAX		3600000
#define MODEM_GEN_SHIFT		40	/* part id = gen << 40 | worker id */
#define MODEM_WORKER_FD		3

struct modem_job {
	uint64_t		 job;
	struct modem_job	*next;
};

struct modem {
	struct event_base		*base;
	const struct config		*cf;
	const struct config_modem	*m;
	struct modem_callbacks		 cb;

	enum modem_state	 state;
	pid_t			 pid;		/* worker, -1 if none */
	pid_t			 pgid;		/* its process group, 0 if none */
	int			 reaped;	/* pid has been waited for */
	char			 why[256];	/* the worker's last STATE why */
	struct bufferevent	*bev;
	struct proto_reader	 rd;
	struct event		*tick;

	uint64_t		 gen;		/* workers spawned so far */
	int64_t			 spawned_ms;
	int64_t			 last_frame_ms;
	int64_t			 last_ping_ms;
	uint32_t		 ping_seq;
	int64_t			 up_ms;		/* when it went up, 0 if not */
	int64_t			 respawn_ms;	/* when to spawn again, 0 if not */
	int			 backoff_ms;
	int			 started;

	struct modem_job	*jobs;
	size_t			 njobs;
	int			 lost_sends;	/* in a row; a sent one resets */
	int64_t			 tick_ms;	/* the last modem_tick */
	/*
	 * This program's path, for the worker's exec: by its name, not
	 * /proc/self/exe, so valgrind --trace-children=yes follows it.
	 */
	char			 self[PATH_MAX];
};

static void	modem_lost(struct modem *, const char *why);
static int	modem_spawn(struct modem *);

static void
modem_set_state(struct modem *md, enum modem_state st, const char *why)
{
	if (st == MODEM_UP && md->state != MODEM_UP)
		md->up_ms = now_ms();
	if (st != MODEM_UP)
		md->up_ms = 0;
	md->state = st;
	if (md->cb.state != NULL)
		md->cb.state(md, st, why, md->cb.arg);
}

static void
modem_send(struct modem *md, const struct proto_msg *msg)
{
	struct buf b;

	if (md->bev == NULL)
		return;
	memset(&b, 0, sizeof b);
	if (proto_encode(&b, msg) != 0) {
		log_warn("modem %s: cannot encode %s", md->m->name,
		    proto_type_name(msg->type));
		return;
	}
	bufferevent_write(md->bev, b.data, b.len);
	buf_free(&b);
}

/* Remove job from the in-flight list: 0, or -1 if it was not there. */
static int
modem_job_remove(struct modem *md, uint64_t job)
{
	struct modem_job **jp, *j;

	for (jp = &md->jobs; (j = *jp) != NULL; jp = &j->next) {
		if (j->job == job) {
			*jp = j->next;
			free(j);
			md->njobs--;
			return 0;
		}
	}
	return -1;
}

/* Kill the worker's process group (the worker and its modem command). */
static void
modem_kill(struct modem *md)
{
	if (md->pgid > 0 && kill(-md->pgid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("modem %s: kill group %ld: %s", md->m->name,
		    (long)md->pgid, strerror(errno));
	if (md->pid != -1 && !md->reaped)
		kill(md->pid, SIGKILL);
}

static void
modem_msg(struct modem *md, struct proto_msg *msg)
{
	struct modem_part part;
	struct modem_send_result res;
	struct modem_health health;
	char masked[PHONE_MAX];

	switch (msg->type) {
	case PROTO_HELLO:
		log_debug("modem %s: worker %ld says hello", md->m->name,
		    (long)msg->pid);
		break;
	case PROTO_PONG:
		break;
	case PROTO_STATE:
		log_info("modem %s: %s: %s", md->m->name,
		    msg->up ? "up" : "down", msg->why);
		snprintf(md->why, sizeof md->why, "%s", msg->up ? "" : msg->why);
		modem_set_state(md, msg->up ? MODEM_UP : MODEM_DOWN, msg->why);
		break;
	case PROTO_PART:
		if (msg->id >> MODEM_GEN_SHIFT != 0) {
			modem_lost(md, "part id out of range");
			break;
		}
		memset(&part, 0, sizeof part);
		part.id = (md->gen << MODEM_GEN_SHIFT) | msg->id;
		part.sender = msg->sender;
		part.smsc = msg->smsc;
		part.sent_at = (time_t)msg->sent_at;
		part.ref = msg->ref;
		part.total = msg->total;
		part.seq = msg->seq;
		part.text = msg->text;
		part.location = msg->location;
		part.binary = msg->binary;
		log_debug("modem %s: part %d/%d ref %d from %s", md->m->name,
		    part.seq, part.total, part.ref,
		    phone_mask(part.sender, masked));
		if (md->cb.part != NULL)
			md->cb.part(md, &part, md->cb.arg);
		break;
	case PROTO_RESULT:
		/* MODEM_LOST is ours to say, never the worker's. */
		if (msg->result != MODEM_SENT &&
		    msg->result != MODEM_FAILED_RETRY &&
		    msg->result != MODEM_FAILED_PERMANENT) {
			modem_lost(md, "bad result from worker");
			break;
		}
		if (modem_job_remove(md, msg->job) != 0) {
			log_warn("modem %s: result for unknown job %llu",
			    md->m->name, (unsigned long long)msg->job);
			break;
		}
		memset(&res, 0, sizeof res);
		res.job = msg->job;
		res.result = (enum modem_result)msg->result;
		if (res.result == MODEM_SENT)
			md->lost_sends = 0;
		res.parts = msg->parts;
		res.parts_sent = msg->parts_sent;
		res.msgrefs = msg->msgrefs;	/* int32_t is int here */
		res.cms = msg->cms;
		res.error = msg->error;
		if (md->cb.result != NULL)
			md->cb.result(md, &res, md->cb.arg);
		break;
	case PROTO_CALL:
		log_debug("modem %s: call from %s", md->m->name,
		    phone_mask(msg->number, masked));
		if (md->cb.call != NULL)
			md->cb.call(md, msg->number, (time_t)msg->at,
			    md->cb.arg);
		break;
	case PROTO_HEALTH:
		memset(&health, 0, sizeof health);
		health.signal = msg->signal;
		health.battery = msg->battery;
		health.network = msg->network;
		health.operator_code = msg->op_code;
		health.operator_name = msg->op_name;
		health.sim_used = msg->sim_used;
		health.sim_total = msg->sim_total;
		log_debug("modem %s: health: signal %d%%, battery %d%%, "
		    "network %s %s %s, SIM %d/%d", md->m->name, health.signal,
		    health.battery, health.network, health.operator_code,
		    health.operator_name, health.sim_used, health.sim_total);
		if (md->cb.health != NULL)
			md->cb.health(md, &health, md->cb.arg);
		break;
	case PROTO_REPORT:
		log_debug("modem %s: report for %d to %s: %d", md->m->name,
		    (int)msg->msgref, phone_mask(msg->number, masked),
		    msg->status);
		if (md->cb.report != NULL)
			md->cb.report(md, (md->gen << MODEM_GEN_SHIFT) |
			    msg->id, (int)msg->msgref, msg->number,
			    (enum modem_delivery)msg->status, (time_t)msg->at,
			    md->cb.arg);
		break;
	case PROTO_PART_SENT:
		if (md->cb.part_sent != NULL)
			md->cb.part_sent(md, msg->job, msg->seq,
			    (int)msg->msgref, md->cb.arg);
		break;
	case PROTO_USSD:
		log_debug("modem %s: USSD answer: %s%s", md->m->name,
		    msg->text, msg->error);
		if (md->cb.ussd != NULL)
			md->cb.ussd(md, msg->text, msg->error, md->cb.arg);
		break;
	default:
		modem_lost(md, "unexpected frame from worker");
		break;
	}
}

static void
modem_read_cb(struct bufferevent *bev, void *arg)
{
	struct modem *md = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct proto_msg msg;
	unsigned char tmp[8192];
	uint64_t gen = md->gen;
	int n, rc;

	while ((n = evbuffer_remove(in, tmp, sizeof tmp)) > 0)
		proto_reader_feed(&md->rd, tmp, (size_t)n);
	md->last_frame_ms = now_ms();
	/* A callback may lead to modem_lost: stop when the worker changed. */
	while (md->bev == bev && md->gen == gen) {
		rc = proto_reader_next(&md->rd, &msg);
		if (rc == 0)
			break;
		if (rc == -1) {
			modem_lost(md, "protocol error from worker");
			break;
		}
		modem_msg(md, &msg);
		proto_msg_clear(&msg);
	}
}

static void
modem_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct modem *md = arg;

	char why[128];

	(void)bev;
	if (what & BEV_EVENT_EOF)
		modem_lost(md, "worker exited");
	else if (what & BEV_EVENT_ERROR) {
		snprintf(why, sizeof why, "worker connection: %s",
		    strerror(EVUTIL_SOCKET_ERROR()));
		modem_lost(md, why);
	}
}

static int
modem_adopt_part(void *arg, const struct journal_part *p)
{
	struct modem *md = arg;

	if (md->cb.part_sent != NULL && p->job > 0)
		md->cb.part_sent(md, (uint64_t)p->job, p->seq, p->msgref,
		    md->cb.arg);
	return 0;
}

/*
 * The parts a worker now gone wrote in its journal (journal.h): most of
 * them it told us of, but one may have gone between its journal and its
 * frame. Told again, they are on record once (the outbox ignores a part
 * it has).
 */
static void
modem_adopt_journal(struct modem *md)
{
	char *path;

	path = journal_modem_path(md->cf->journal, md->m->name);
	journal_adopt(path, 0, modem_adopt_part, md);
	free(path);
}

/* Try to reap the worker without blocking. 1 if it is gone, else 0. */
static int
modem_reap(struct modem *md)
{
	pid_t rc;
	int status;

	if (md->pid == -1 || md->reaped)
		return 1;
	rc = waitpid(md->pid, &status, WNOHANG);
	if (rc == 0)
		return 0;
	if (rc == -1 && errno != ECHILD)
		return 0;
	if (rc == md->pid) {
		if (WIFSIGNALED(status))
			log_info("modem %s: worker %ld killed by signal %d",
			    md->m->name, (long)md->pid, WTERMSIG(status));
		else if (WIFEXITED(status))
			log_info("modem %s: worker %ld exited with %d",
			    md->m->name, (long)md->pid, WEXITSTATUS(status));
	}
	/* ECHILD: someone else reaped it (SIGCHLD ignored): gone either way. */
	md->reaped = 1;
	md->pid = -1;
	modem_adopt_journal(md);
	return 1;
}

/*
 * The worker is gone or must go: kill it, report its jobs as lost and
 * plan the respawn. Safe to call more than once.
 */
static void
modem_lost(struct modem *md, const char *why)
{
	struct modem_send_result res;
	struct modem_job *j;
	int64_t now = now_ms(), rest;
	char state_why[512];
	int i;

	if (md->bev == NULL)
		return;
	log_warn("modem %s: worker %ld lost: %s", md->m->name, (long)md->pid,
	    why);
	modem_kill(md);
	bufferevent_free(md->bev);	/* closes the socket */
	md->bev = NULL;
	proto_reader_free(&md->rd);

	if (md->up_ms != 0 && now - md->up_ms >= MODEM_STABLE_MS)
		md->backoff_ms = MODEM_BACKOFF_MIN;
	md->respawn_ms = now + md->backoff_ms;
	md->backoff_ms *= 2;
	if (md->backoff_ms > MODEM_BACKOFF_MAX)
		md->backoff_ms = MODEM_BACKOFF_MAX;
	/*
	 * A modem that takes a part and never answers (silent on AT+CMGS)
	 * would come back up and take the next one: after a few in a row it
	 * rests, out of rotation, longer each time; the admins hear of it as
	 * of any modem down that long.
	 */
	if (md->njobs > 0)
		md->lost_sends++;
	if (md->lost_sends >= MODEM_LOST_SENDS) {
		rest = MODEM_REST_MIN;
		for (i = MODEM_LOST_SENDS; i < md->lost_sends &&
		    rest < MODEM_REST_MAX; i++)
			rest *= 2;
		if (rest > MODEM_REST_MAX)
			rest = MODEM_REST_MAX;
		md->respawn_ms = now + rest;
		log_warn("modem %s: %d sends in a row without an answer: out "
		    "of rotation for %lld s", md->m->name, md->lost_sends,
		    (long long)(rest / 1000));
	}
	log_info("modem %s: respawn in %lld ms", md->m->name,
	    (long long)(md->respawn_ms - now));

	/* The state first, so a result callback does not submit again. A
	   worker that gave up connecting says why it was down. */
	if (md->lost_sends >= MODEM_LOST_SENDS)
		snprintf(state_why, sizeof state_why, "%s (%d sends without "
		    "an answer: out of rotation for %lld s)", why,
		    md->lost_sends, (long long)((md->respawn_ms - now) / 1000));
	else if (md->why[0] != '\0')
		snprintf(state_why, sizeof state_why, "%s (%s)", why, md->why);
	else if (md->state == MODEM_STARTING)
		snprintf(state_why, sizeof state_why, "%s (connecting to %s)",
		    why, md->m->device);
	else
		snprintf(state_why, sizeof state_why, "%s", why);
	modem_set_state(md, MODEM_DOWN, state_why);
	while ((j = md->jobs) != NULL) {
		md->jobs = j->next;
		md->njobs--;
		memset(&res, 0, sizeof res);
		res.job = j->job;
		res.result = MODEM_LOST;
		res.cms = -1;
		res.error = why;
		free(j);
		if (md->cb.result != NULL)
			md->cb.result(md, &res, md->cb.arg);
	}
	modem_reap(md);
}

static void
modem_tick(evutil_socket_t fd, short what, void *arg)
{
	struct modem *md = arg;
	struct proto_msg msg;
	int64_t now = now_ms();

	(void)fd;
	(void)what;
	if (md->tick_ms != 0 && now - md->tick_ms > MODEM_STALL_MS &&
	    md->bev != NULL) {
		/*
		 * Our loop stood still (a slow disk, a long store call): the
		 * worker's frames wait unread. Give it a fresh watchdog budget
		 * instead of killing a healthy worker for our own stall.
		 */
		log_warn("modem %s: the daemon stood still for %lld ms: the "
		    "watchdog starts again", md->m->name,
		    (long long)(now - md->tick_ms));
		md->last_frame_ms = now;
	}
	md->tick_ms = now;
	if (md->bev != NULL) {
		if (now - md->last_frame_ms >
		    (int64_t)md->cf->watchdog_timeout * 1000) {
			modem_lost(md, "no answer within watchdog_timeout");
			return;
		}
		if (now - md->last_ping_ms >=
		    (int64_t)md->cf->heartbeat_interval * 1000) {
			memset(&msg, 0, sizeof msg);
			msg.type = PROTO_PING;
			msg.ping = ++md->ping_seq;
			modem_send(md, &msg);
			md->last_ping_ms = now;
		}
		return;
	}
	if (!modem_reap(md)) {
		if (now >= md->respawn_ms && md->respawn_ms != 0) {
			/* Unkillable (stuck in the kernel on the device?). */
			log_warn("modem %s: worker %ld not dead yet",
			    md->m->name, (long)md->pid);
			md->respawn_ms = now + 5000;
		}
		return;
	}
	if (md->respawn_ms != 0 && now >= md->respawn_ms) {
		md->respawn_ms = 0;
		if (modem_spawn(md) != 0)
			md->respawn_ms = now + md->backoff_ms;
	}
}

struct modem *
modem_new(struct event_base *base, const struct config *cf,
    const struct config_modem *m, const struct modem_callbacks *cb)
{
	struct modem *md;
	ssize_t n;

	md = xcalloc(1, sizeof *md);
	md->base = base;
	md->cf = cf;
	md->m = m;
	if (cb != NULL)
		md->cb = *cb;
	md->state = MODEM_STARTING;
	md->pid = -1;
	md->reaped = 1;
	md->backoff_ms = MODEM_BACKOFF_MIN;
	/* valgrind answers this with the program it runs, not itself. */
	n = readlink("/proc/self/exe", md->self, sizeof md->self - 1);
	if (n <= 0)
		fatal("modem %s: readlink /proc/self/exe: %s", m->name,
		    strerror(errno));
	md->self[n] = '\0';
	return md;
}

/* Fork and exec one worker; the modem has none now. */
static int
modem_spawn(struct modem *md)
{
	struct timeval tv;
	pid_t pid, parent = getpid();
	int sv[2], fd;
	char *argv[6];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("modem %s: socketpair: %s", md->m->name,
		    strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		log_error("modem %s: fork: %s", md->m->name, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until execv. Its own
		   process group, for modem_kill; the parent sets it too, so
		   neither order of the two races. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (sv[1] == MODEM_WORKER_FD)
			fcntl(sv[1], F_SETFD, 0);	/* dup2 would not */
		else if (dup2(sv[1], MODEM_WORKER_FD) == -1)
			_exit(1);
		if (close_range(MODEM_WORKER_FD + 1, ~0U, 0) == -1) {
			for (fd = MODEM_WORKER_FD + 1; fd < 1024; fd++)
				close(fd);
		}
		argv[0] = (char *)"cungated";
		argv[1] = (char *)"-c";
		argv[2] = md->cf->path;
		argv[3] = (char *)"-W";
		argv[4] = md->m->name;
		argv[5] = NULL;
		execv(md->self, argv);
		_exit(127);
	}

	/* EACCES: the child has exec'd, and so has set it itself. */
	if (setpgid(pid, pid) == -1 && errno != EACCES)
		log_warn("modem %s: setpgid: %s", md->m->name, strerror(errno));
	close(sv[1]);
	evutil_make_socket_nonblocking(sv[0]);
	md->bev = bufferevent_socket_new(md->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	if (md->bev == NULL)
		fatal("modem %s: bufferevent_socket_new failed", md->m->name);
	bufferevent_setcb(md->bev, modem_read_cb, NULL, modem_event_cb, md);
	bufferevent_enable(md->bev, EV_READ | EV_WRITE);

	md->pid = pid;
	md->pgid = pid;
	md->reaped = 0;
	md->why[0] = '\0';
	md->gen++;
	md->spawned_ms = md->last_frame_ms = md->last_ping_ms = now_ms();
	memset(&md->rd, 0, sizeof md->rd);
	log_info("modem %s: worker %ld started", md->m->name, (long)pid);
	if (md->state != MODEM_STARTING)
		modem_set_state(md, MODEM_STARTING, "worker started");

	if (md->tick == NULL) {
		md->tick = event_new(md->base, -1, EV_PERSIST, modem_tick, md);
		tv.tv_sec = MODEM_TICK_MS / 1000;
		tv.tv_usec = (MODEM_TICK_MS % 1000) * 1000;
		event_add(md->tick, &tv);
	}
	return 0;
}

int
modem_start(struct modem *md)
{
	if (md->started)
		return 0;
	if (modem_spawn(md) != 0)
		return -1;
	md->started = 1;
	return 0;
}

void
modem_free(struct modem *md)
{
	struct modem_job *j;
	int i;

	if (md == NULL)
		return;
	if (md->tick != NULL)
		event_free(md->tick);
	if (md->bev != NULL) {
		/*
		 * EOF for the worker now: bufferevent_free may close the socket
		 * only when the (stopped) loop runs its deferred callbacks.
		 */
		shutdown(bufferevent_getfd(md->bev), SHUT_RDWR);
		bufferevent_free(md->bev);
	}
	proto_reader_free(&md->rd);
	/*
	 * A clean stop: at the EOF the worker closes its modem and exits (it
	 * blocks signals, for libgammu's sake). Only one stuck in a libgammu
	 * call for longer than MODEM_STOP_MS is killed.
	 */
	for (i = 0; i < MODEM_STOP_MS / 10 && md->pid != -1 &&
	    !modem_reap(md); i++)
		usleep(10000);
	modem_kill(md);
	if (md->pid != -1 && !md->reaped) {
		/* Bounded: a worker stuck in the kernel is left to init. */
		for (i = 0; i < 200 && !modem_reap(md); i++)
			usleep(10000);
		if (!md->reaped)
			log_warn("modem %s: worker %ld did not die",
			    md->m->name, (long)md->pid);
	}
	while ((j = md->jobs) != NULL) {
		md->jobs = j->next;
		free(j);
	}
	free(md);
}

const char *
modem_name(const struct modem *md)
{
	return md->m->name;
}

enum modem_state
modem_get_state(const struct modem *md)
{
	return md->state;
}

int64_t
modem_up_for_ms(const struct modem *md)
{
	return md->state == MODEM_UP ? now_ms() - md->up_ms : 0;
}

int
modem_resting(const struct modem *md)
{
	return md->state != MODEM_UP && md->lost_sends >= MODEM_LOST_SENDS;
}

int
modem_can_take(const struct modem *md)
{
	return md->bev != NULL && md->state == MODEM_UP &&
	    md->njobs < MODEM_MAX_INFLIGHT;
}

size_t
modem_inflight(const struct modem *md)
{
	return md->njobs;
}

int
modem_submit(struct modem *md, uint64_t job, const char *number,
    const char *text, int want_report, uint64_t skip)
{
	struct proto_msg msg;
	struct modem_job *j, **jp;
	struct buf b;

	if (!modem_can_take(md))
		return -1;
	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_SEND;
	msg.job = job;
	msg.number = (char *)number;
	msg.text = (char *)text;
	msg.report = want_report != 0;
	msg.skip = skip;
	memset(&b, 0, sizeof b);
	if (proto_encode(&b, &msg) != 0) {
		log_warn("modem %s: job %llu: text too long to hand over",
		    md->m->name, (unsigned long long)job);
		buf_free(&b);
		return -1;
	}
	bufferevent_write(md->bev, b.data, b.len);
	buf_free(&b);

	j = xcalloc(1, sizeof *j);
	j->job = job;
	for (jp = &md->jobs; *jp != NULL; jp = &(*jp)->next)
		;
	*jp = j;
	md->njobs++;
	return 0;
}

void
modem_ack(struct modem *md, uint64_t part_id)
{
	struct proto_msg msg;

	if (part_id >> MODEM_GEN_SHIFT != md->gen || md->bev == NULL) {
		/* An earlier worker's part: the next read finds it again. */
		log_debug("modem %s: stale ack %llx dropped", md->m->name,
		    (unsigned long long)part_id);
		return;
	}
	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_ACK;
	msg.id = part_id & ((UINT64_C(1) << MODEM_GEN_SHIFT) - 1);
	modem_send(md, &msg);
}
