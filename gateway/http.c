/*
 * http — evhttp on the daemon's loop. Every request is answered within
 * its callback: the USSD action is stored and routed (committed) before
 * END goes out, like an SMS the router handles. USSD sessions live in
 * memory (the aggregator resends every input, so a session only holds its
 * phone, its last use and, once finished, its END text for retries).
 * The status pages and their login are http_pages.c's.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "gateway/config.h"
#include "gateway/http.h"
#include "gateway/http_private.h"
#include "gateway/inbox.h"
#include "gateway/log.h"
#include "gateway/metrics.h"
#include "gateway/store.h"
#include "gateway/ussd.h"
#include "gateway/util.h"
#include "gateway/web.h"
#include "handlers/router.h"
#include "modems/modem.h"

#define HTTP_MAX_SESSIONS	65536
#define HTTP_BUCKETS		8192	/* a power of two */
#define HTTP_SESSION_ID_MAX	64
#define HTTP_EXPIRE_EVERY	600	/* s between sweeps of page sessions */

static const double http_ussd_buckets[] = { 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1 };
#define HTTP_NUSSD	(sizeof http_ussd_buckets / sizeof http_ussd_buckets[0])

enum http_ussd_result {
	HTTP_USSD_CON,
	HTTP_USSD_END,
	HTTP_USSD_ACTION,
	HTTP_USSD_TIMEOUT,
	HTTP_USSD_ERROR,
	HTTP_USSD_DENIED,
	HTTP_USSD_BAD,
	HTTP_USSD_BUSY,
	HTTP_USSD_NRESULTS
};
static const char *const http_ussd_result_names[HTTP_USSD_NRESULTS] = {
	"con", "end", "action", "timeout", "error", "denied", "bad_request",
	"busy"
};

struct http_session {
	struct http_session *next;	/* in its hash bucket */
	char	 id[HTTP_SESSION_ID_MAX + 1];
	char	 phone[PHONE_MAX];
	time_t	 last;
	char	*end;		/* the END answered, once finished */
};

struct http {
	struct http_env		 env;
	struct evhttp		*eh;
	struct event		*sweep;
	struct ussd_menu	*menu;
	struct http_session	*buckets[HTTP_BUCKETS];
	size_t			 nsessions;
	uint64_t		 ussd[HTTP_USSD_NRESULTS];
	uint64_t		 ussd_expired;
	uint64_t		 ussd_hist[HTTP_NUSSD];
	uint64_t		 ussd_count;
	double			 ussd_sum;
	struct http_pace	 pace;		/* of logins */
	time_t			 expired_at;	/* page sessions swept */
};

/* --- the form --- */

static int
http_field(struct evkeyvalq *q, const char *name, int required, char **out,
    char **cause)
{
	const char *v = evhttp_find_header(q, name);

	if (v == NULL) {
		if (required) {
			*cause = xasprintf("%s missing", name);
			return -1;
		}
		v = "";
	}
	if (!ussd_utf8_valid(v, strlen(v))) {
		*cause = xasprintf("%s: bad encoding (not UTF-8)", name);
		return -1;
	}
	*out = xstrdup(v);
	return 0;
}

int
http_ussd_form_parse(const char *body, size_t len,
    struct http_ussd_form *out, char **cause)
{
	struct evkeyvalq q;
	char *s;
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (len == 0 || memchr(body, '\0', len) != NULL) {
		*cause = xasprintf("empty body or NUL in it");
		return -1;
	}
	s = xstrndup(body, len);
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(s, &q) == -1) {
		*cause = xasprintf("malformed form");
		goto out;
	}
	if (http_field(&q, "sessionId", 1, &out->session, cause) == -1 ||
	    http_field(&q, "phoneNumber", 1, &out->phone, cause) == -1 ||
	    http_field(&q, "serviceCode", 0, &out->service, cause) == -1 ||
	    http_field(&q, "text", 0, &out->text, cause) == -1)
		goto out;
	len = strlen(out->session);
	for (i = 0; i < len; i++)
		if (out->session[i] <= ' ' || out->session[i] > '~')
			break;
	if (len == 0 || len > HTTP_SESSION_ID_MAX || i != len) {
		*cause = xasprintf("sessionId: 1-%d printable characters",
		    HTTP_SESSION_ID_MAX);
		goto out;
	}
	rc = 0;
out:
	evhttp_clear_headers(&q);
	free(s);
	if (rc == -1)
		http_ussd_form_clear(out);
	return rc;
}

void
http_ussd_form_clear(struct http_ussd_form *f)
{
	free(f->session);
	free(f->service);
	free(f->phone);
	free(f->text);
	memset(f, 0, sizeof *f);
}

/* --- the request, for http_pages.c (which does not see evhttp) --- */

const char *
http_peer(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port;

	if (c != NULL)
		evhttp_connection_get_peer(c, &addr, &port);
	return addr;
}

const char *
http_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req),
	    name);
}

void
http_add_header(struct evhttp_request *req, const char *name,
    const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), name,
	    value);
}

int
http_form(struct evhttp_request *req, const char *const *names,
    char **values, size_t n)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq q;
	struct evkeyval *kv;
	size_t i, len = evbuffer_get_length(in);
	const char *v;
	char *body;
	int rc = -1;

	for (i = 0; i < n; i++)
		values[i] = NULL;
	if (len > HTTP_MAX_BODY)
		return -1;
	body = xstrndup(len > 0 ? (char *)evbuffer_pullup(in, -1) : "", len);
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(body, &q) == 0) {
		for (i = 0; i < n; i++)
			if ((v = evhttp_find_header(&q, names[i])) != NULL &&
			    ussd_utf8_valid(v, strlen(v)))
				values[i] = xstrdup(v);
		rc = 0;
	}
	/* A password may be among them: no copy of it left in the heap. */
	TAILQ_FOREACH(kv, &q, next)
		explicit_bzero(kv->value, strlen(kv->value));
	evhttp_clear_headers(&q);
	explicit_bzero(body, len);
	free(body);
	return rc;
}

/* --- replies --- */

void
http_reply(struct evhttp_request *req, int code, const char *ctype,
    const char *body)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", ctype);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, NULL, b);
	evbuffer_free(b);
}

void
http_text(struct evhttp_request *req, int code, const char *fmt, ...)
{
	va_list ap;
	char *m, *s;

	va_start(ap, fmt);
	if (vasprintf(&m, fmt, ap) == -1)
		fatal("http: out of memory");
	va_end(ap);
	s = xasprintf("%s\n", m);
	http_reply(req, code, "text/plain; charset=utf-8", s);
	free(m);
	free(s);
}

/* --- USSD --- */

static struct http_session **
http_session_bucket(struct http *h, const char *id)
{
	uint32_t x = 2166136261u;	/* FNV-1a */

	for (; *id != '\0'; id++)
		x = (x ^ (unsigned char)*id) * 16777619u;
	return &h->buckets[x & (HTTP_BUCKETS - 1)];
}

static struct http_session *
http_session_find(struct http *h, const char *id)
{
	struct http_session *s;

	for (s = *http_session_bucket(h, id); s != NULL; s = s->next)
		if (strcmp(s->id, id) == 0)
			return s;
	return NULL;
}

/* Unlink and free *sp, counting it as abandoned when it never ended. */
static void
http_session_drop(struct http *h, struct http_session **sp)
{
	struct http_session *s = *sp;

	if (s->end == NULL)
		h->ussd_expired++;
	*sp = s->next;
	free(s->end);
	free(s);
	h->nsessions--;
}

static int
http_session_expired(struct http *h, const struct http_session *s,
    time_t now)
{
	return s->last + h->env.cf->ussd_timeout <= now;
}

/* Forget sessions idle for longer than ussd_timeout. */
static void
http_sweep(struct http *h, time_t now)
{
	struct http_session **sp;
	size_t i;

	for (i = 0; i < HTTP_BUCKETS; i++) {
		sp = &h->buckets[i];
		while (*sp != NULL) {
			if (http_session_expired(h, *sp, now))
				http_session_drop(h, sp);
			else
				sp = &(*sp)->next;
		}
	}
}

static void
http_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	time_t now = now_real();

	(void)fd;
	(void)what;
	http_sweep(h, now);
	if (now - h->expired_at >= HTTP_EXPIRE_EVERY) {
		h->expired_at = now;
		if (web_expire(h->env.st, h->env.cf, now) > 0)
			log_debug("http: page sessions past their time "
			    "forgotten");
	}
}

struct http_reply_find {
	int64_t	 message_id;
	char	*text;
};

static void
http_reply_find_cb(const struct store_outbox *o, void *arg)
{
	struct http_reply_find *f = arg;

	if (o->message_id == f->message_id && f->text == NULL)
		f->text = xstrdup(o->text);
}

/*
 * Store the action as its SMS twin's text from phone and route it now,
 * audited as "ussd": committed before END. The END text (caller frees):
 * the reply the handler queued, else the item's end text; NULL on error.
 */
static char *
http_ussd_run(struct http *h, const struct http_ussd_form *f,
    const char *phone, const struct ussd_step *step, time_t now)
{
	struct store_part p;
	struct http_reply_find rf;
	char masked[PHONE_MAX];
	int64_t mid, n;
	int rc;

	memset(&p, 0, sizeof p);
	p.modem = "ussd";
	p.sender = phone;
	p.smsc = f->session;
	p.sent_at = now;
	p.ref = 0;
	p.total = 1;
	p.seq = 1;
	p.text = step->command;
	/* A phone running actions faster than a person does: not run. */
	if ((n = store_message_count_since(h->env.st, phone, "ussd",
	    now - 60)) == -1)
		return NULL;
	if (n >= h->env.cf->ussd_actions_per_minute) {
		log_info("http: ussd: %s: action not run: %lld in the last "
		    "minute", phone_mask(phone, masked), (long long)n);
		if (store_counter_add(h->env.st, "suppressed.ussd", 1) == -1)
			return NULL;
		return xstrdup(ussd_menu_text(h->menu, "busy"));
	}
	if ((rc = inbox_store(h->env.st, h->env.cf, &p, now, &mid)) == -1)
		return NULL;
	if (rc == 0 || mid == 0)	/* this session's action, done before */
		return xstrdup(step->end);
	if (router_route_as(h->env.router, h->env.st, h->env.cf, h->env.tpl,
	    mid, now, "ussd") == -1)
		return NULL;
	if (h->env.kick != NULL)
		h->env.kick(h->env.arg);
	memset(&rf, 0, sizeof rf);
	rf.message_id = mid;
	if (store_outbox_list(h->env.st, NULL, 64, http_reply_find_cb,
	    &rf) == -1 || rf.text == NULL)
		return xstrdup(step->end);
	return rf.text;
}

static int
http_secret_ok(struct http *h, struct evhttp_request *req)
{
	const char *given, *want = h->env.cf->http_secret;
	struct evkeyvalq q;
	const struct evhttp_uri *u;
	char *copy = NULL;
	size_t i, n;
	unsigned diff;
	int rc;

	TAILQ_INIT(&q);
	given = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "X-Cungate-Secret");
	if (given == NULL && (u = evhttp_request_get_evhttp_uri(req)) != NULL &&
	    evhttp_uri_get_query(u) != NULL &&
	    evhttp_parse_query_str(evhttp_uri_get_query(u), &q) == 0 &&
	    evhttp_find_header(&q, "secret") != NULL)
		given = copy = xstrdup(evhttp_find_header(&q, "secret"));
	evhttp_clear_headers(&q);
	if (given == NULL)
		return -1;
	/* Constant time in the secret's length. */
	n = strlen(want);
	diff = strlen(given) != n;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^
		    (unsigned char)(given[i < strlen(given) ? i : 0]);
	rc = diff == 0 ? 1 : 0;
	free(copy);
	return rc;
}

static void
http_ussd_observe(struct http *h, enum http_ussd_result r, int64_t start)
{
	double s = (double)(now_ms() - start) / 1000.0;
	size_t i;

	h->ussd[r]++;
	h->ussd_count++;
	h->ussd_sum += s;
	for (i = 0; i < HTTP_NUSSD; i++)
		if (s <= http_ussd_buckets[i])
			h->ussd_hist[i]++;
}

static void
http_ussd(struct http *h, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct http_ussd_form f;
	struct http_session *s;
	struct ussd_step step;
	char phone[PHONE_MAX], masked[PHONE_MAX], *cause = NULL, *body, *end;
	int64_t start = now_ms();
	time_t now = now_real();
	size_t len;
	int ok;

	if (h->menu == NULL) {
		http_text(req, 404, "no USSD menu: [http] secret not set");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_text(req, 405, "POST only");
		return;
	}
	if ((ok = http_secret_ok(h, req)) != 1) {
		http_ussd_observe(h, HTTP_USSD_DENIED, start);
		http_text(req, ok == -1 ? 401 : 403, "%s", ok == -1 ?
		    "secret required" : "wrong secret");
		return;
	}
	len = evbuffer_get_length(in);
	if (len > HTTP_MAX_BODY) {
		http_ussd_observe(h, HTTP_USSD_BAD, start);
		http_text(req, 413, "body over %d bytes", HTTP_MAX_BODY);
		return;
	}
	body = (char *)evbuffer_pullup(in, -1);
	if (http_ussd_form_parse(body != NULL ? body : "", len, &f,
	    &cause) == -1 ||
	    phone_normalise(f.phone, h->env.cf->country_code, phone) == -1) {
		http_ussd_observe(h, HTTP_USSD_BAD, start);
		http_text(req, 400, "%s", cause != NULL ? cause :
		    "phoneNumber: not a phone number");
		free(cause);
		http_ussd_form_clear(&f);
		return;
	}
	/* The 1 s sweep may not have run yet. */
	if ((s = http_session_find(h, f.session)) != NULL &&
	    http_session_expired(h, s, now)) {
		http_sweep(h, now);
		s = NULL;
	}
	if (s != NULL && strcmp(s->phone, phone) != 0) {
		http_ussd_observe(h, HTTP_USSD_BAD, start);
		http_text(req, 400, "sessionId belongs to another phone");
		http_ussd_form_clear(&f);
		return;
	}
	/*
	 * Inputs for a session we no longer (or never) had. Among nodes the
	 * aggregator may send a session's steps to any of them, and a step
	 * is the menu and the inputs so far alone: the session goes on here
	 * (an action is stored once per session, whichever node runs it).
	 */
	if (s == NULL && f.text[0] != '\0' &&
	    store_is_server(h->env.cf->database))
		log_debug("http: ussd: session %s: begun on another node",
		    f.session);
	else if (s == NULL && f.text[0] != '\0') {
		http_ussd_observe(h, HTTP_USSD_TIMEOUT, start);
		http_text(req, 200, "END %s", ussd_menu_text(h->menu,
		    "timeout"));
		http_ussd_form_clear(&f);
		return;
	}
	if (s == NULL) {
		if (h->nsessions == HTTP_MAX_SESSIONS) {
			http_ussd_observe(h, HTTP_USSD_BUSY, start);
			http_text(req, 200, "END %s",
			    ussd_menu_text(h->menu, "busy"));
			http_ussd_form_clear(&f);
			return;
		}
		s = xcalloc(1, sizeof *s);
		s->next = *http_session_bucket(h, f.session);
		*http_session_bucket(h, f.session) = s;
		h->nsessions++;
		snprintf(s->id, sizeof s->id, "%s", f.session);
		snprintf(s->phone, sizeof s->phone, "%s", phone);
	}
	s->last = now;
	if (s->end != NULL) {
		/* A retry of the finished session: the same END, run once. */
		http_ussd_observe(h, HTTP_USSD_END, start);
		http_text(req, 200, "END %s", s->end);
		http_ussd_form_clear(&f);
		return;
	}
	ussd_menu_step(h->menu, f.text, &step);
	switch (step.kind) {
	case USSD_CON:
		http_ussd_observe(h, HTTP_USSD_CON, start);
		http_text(req, 200, "CON %s", step.screen);
		break;
	case USSD_END:
		http_ussd_observe(h, HTTP_USSD_END, start);
		s->end = xstrdup(step.screen);
		http_text(req, 200, "END %s", step.screen);
		break;
	case USSD_ACTION:
		if ((end = http_ussd_run(h, &f, phone, &step, now)) == NULL) {
			log_warn("http: ussd: %s: action not done",
			    phone_mask(phone, masked));
			http_ussd_observe(h, HTTP_USSD_ERROR, start);
			http_text(req, 200, "END %s",
			    ussd_menu_text(h->menu, "error"));
			break;
		}
		s->end = ussd_fit(end);
		free(end);
		log_info("http: ussd: %s: session %s: action done",
		    phone_mask(phone, masked), s->id);
		http_ussd_observe(h, HTTP_USSD_ACTION, start);
		http_text(req, 200, "END %s", s->end);
		break;
	}
	ussd_step_clear(&step);
	http_ussd_form_clear(&f);
}

/* --- /healthz --- */

static size_t
http_modems_up(struct http *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->env.nmodems; i++)
		if (modem_get_state(h->env.modems[i]) == MODEM_UP)
			n++;
	return n;
}

static void
http_healthz(struct http *h, struct evhttp_request *req)
{
	size_t up = http_modems_up(h);

	if (!store_is_writable(h->env.st))
		http_text(req, 503, "unhealthy: the store is not writable: %s",
		    store_error(h->env.st));
	else if (up == 0)
		http_text(req, 503, "unhealthy: no modem up (of %zu)",
		    h->env.nmodems);
	else
		http_text(req, 200, "ok: store writable, %zu of %zu modem(s) "
		    "up", up, h->env.nmodems);
}

/* --- /metrics --- */

static void
http_metrics(struct http *h, struct evhttp_request *req)
{
	struct pages_env e;
	struct buf b;
	size_t i;
	char *s;
	int rc;

	memset(&b, 0, sizeof b);
	http_pages_env(&h->env, &e);
	rc = metrics_write(&b, &e);
	metrics_family(&b, "cungate_ussd_requests_total", "counter",
	    "USSD callbacks by result.");
	for (i = 0; i < HTTP_USSD_NRESULTS; i++)
		buf_printf(&b, "cungate_ussd_requests_total{result=\"%s\"} "
		    "%llu\n", http_ussd_result_names[i],
		    (unsigned long long)h->ussd[i]);
	metrics_family(&b, "cungate_ussd_sessions", "gauge",
	    "USSD sessions in memory.");
	buf_printf(&b, "cungate_ussd_sessions %zu\n", h->nsessions);
	metrics_family(&b, "cungate_ussd_sessions_expired_total", "counter",
	    "USSD sessions abandoned before an END.");
	buf_printf(&b, "cungate_ussd_sessions_expired_total %llu\n",
	    (unsigned long long)h->ussd_expired);
	metrics_family(&b, "cungate_ussd_latency_seconds", "histogram",
	    "Time to answer a USSD callback.");
	for (i = 0; i < HTTP_NUSSD; i++)
		buf_printf(&b, "cungate_ussd_latency_seconds_bucket{le=\"%g\"} "
		    "%llu\n", http_ussd_buckets[i],
		    (unsigned long long)h->ussd_hist[i]);
	buf_printf(&b, "cungate_ussd_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "cungate_ussd_latency_seconds_sum %g\n"
	    "cungate_ussd_latency_seconds_count %llu\n",
	    (unsigned long long)h->ussd_count, h->ussd_sum,
	    (unsigned long long)h->ussd_count);
	s = buf_take(&b);
	buf_free(&b);
	if (rc != 0)
		http_text(req, 500, "metrics: store error");
	else
		http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8",
		    s);
	free(s);
}

/* --- dispatch --- */

static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
	time_t now = now_real();

	if (path == NULL || *path == '\0')
		path = "/";
	if (strcmp(path, "/ussd") == 0)
		http_ussd(h, req);
	else if (strcmp(path, "/login") == 0 && cmd == EVHTTP_REQ_POST)
		http_login_post(&h->env, &h->pace, req, now);
	else if (strcmp(path, "/logout") == 0 && cmd == EVHTTP_REQ_POST)
		http_logout(&h->env, req, now);
	else if (!get)
		http_text(req, 405, "GET only");
	else if (strcmp(path, "/healthz") == 0) {
		if (http_monitor_ok(&h->env, req))
			http_healthz(h, req);
	} else if (strcmp(path, "/metrics") == 0) {
		if (http_monitor_ok(&h->env, req))
			http_metrics(h, req);
	} else if (strcmp(path, "/login") == 0)
		http_login_form(req);
	else if (strcmp(path, "/") == 0 ||
	    strncmp(path, "/village/", 9) == 0 ||
	    strncmp(path, "/ticket/", 8) == 0)
		http_page(&h->env, req, path, now);
	else
		http_text(req, 404, "not found");
}

void
http_set_tables(struct http *h, struct router *router,
    const struct template *tpl, struct ussd_menu *menu)
{
	if (h == NULL) {
		ussd_menu_free(menu);
		return;
	}
	h->env.router = router;
	h->env.tpl = tpl;
	if (menu != NULL) {
		ussd_menu_free(h->menu);
		h->menu = menu;
	}
}

struct http *
http_new(struct event_base *base, const struct http_env *env, char **cause)
{
	struct timeval sec = { 1, 0 };
	struct evhttp_bound_socket *bound = NULL;
	struct http *h;
	char *addr, *colon;
	long port;
	int one = 1;

	h = xcalloc(1, sizeof *h);
	h->env = *env;
	web_prepare();
	if (env->cf->http_secret != NULL &&
	    (h->menu = ussd_menu_load(env->cf->ussd_menu, cause)) == NULL) {
		free(h);
		return NULL;
	}
	addr = xstrdup(env->cf->http_listen);
	colon = strrchr(addr, ':');
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (addr[0] == '[' && colon[-1] == ']') {
		colon[-1] = '\0';
		memmove(addr, addr + 1, strlen(addr));
	}
	if ((h->eh = evhttp_new(base)) == NULL || port < 0 || port > 65535 ||
	    (bound = evhttp_bind_socket_with_handle(h->eh, addr,
	    (uint16_t)port)) == NULL) {
		*cause = xasprintf("http: cannot listen on %s",
		    env->cf->http_listen);
		free(addr);
		http_free(h);
		return NULL;
	}
	free(addr);
	/*
	 * No Nagle: an answer goes out as its headers, then its body, and
	 * the body would wait for the client's delayed ACK of the headers
	 * (40 ms on Linux). Accepted sockets inherit it from the listener.
	 */
	if (setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP,
	    TCP_NODELAY, &one, sizeof one) == -1)
		log_warn("http: TCP_NODELAY: %s", strerror(errno));
	evhttp_set_max_body_size(h->eh, HTTP_MAX_BODY);
	/* Read an oversized body before answering 413, or clients see RST. */
	evhttp_set_flags(h->eh, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_max_headers_size(h->eh, 16384);
	evhttp_set_timeout(h->eh, 10);
	evhttp_set_allowed_methods(h->eh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_gencb(h->eh, http_dispatch, h);
	h->sweep = event_new(base, -1, EV_PERSIST, http_sweep_cb, h);
	event_add(h->sweep, &sec);
	log_info("http: listening on %s%s", env->cf->http_listen,
	    h->menu != NULL ? " (USSD menu on)" : "");
	return h;
}

void
http_free(struct http *h)
{
	size_t i;

	if (h == NULL)
		return;
	if (h->sweep != NULL)
		event_free(h->sweep);
	if (h->eh != NULL)
		evhttp_free(h->eh);
	for (i = 0; i < HTTP_BUCKETS; i++)
		while (h->buckets[i] != NULL)
			http_session_drop(h, &h->buckets[i]);
	ussd_menu_free(h->menu);
	free(h);
}
