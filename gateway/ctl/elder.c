/*
 * elder — cungatectl's commands for the elderly check-in: enrolment
 * (elder add, update, list, remove, import; village ladder times) and
 * what operators watch (checkin today, history, stats). Changes go
 * through the store and gateway/checkin.c in one transaction each, with
 * an audit row; each command is an entry in ctl.c's table.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/checkin.h"
#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/ctl/ctl.h"
#include "gateway/store.h"
#include "gateway/util.h"

#define CTL_ELDER_UNSET		INT_MIN
#define CTL_ELDER_GUARDIANS	16

/* What elder add, update and import may set; UNSET / NULL: keep. */
struct ctl_elder_opts {
	const char	*name;
	const char	*village;
	const char	*guardians[CTL_ELDER_GUARDIANS];
	size_t		 nguardians;
	const char	*cadre;
	int		 due;
	int		 guardian_after;
	int		 cadre_after;
	int		 township;
	int		 prompt;	/* -1 off */
	int		 confirm;
	int		 start;
};

/* The options of elder add and update; elder village takes four. */
#define CTL_ELDER_OPTS	"village: name: guardian: cadre: due: " \
			"guardian-after: cadre-after: township: prompt: " \
			"confirm: start:"

static void
ctl_elder_opts_init(struct ctl_elder_opts *o)
{
	memset(o, 0, sizeof *o);
	o->due = o->guardian_after = o->cadre_after = o->township =
	    o->prompt = o->confirm = o->start = CTL_ELDER_UNSET;
}

/* Minutes 0..1440: 0 or -1 with *cause. */
static int
ctl_elder_minutes(const char *what, const char *s, int *out, char **cause)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 1440) {
		*cause = xasprintf("%s \"%s\": expected minutes (0-1440)", what,
		    s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
ctl_elder_clock(const char *what, const char *s, int *out, char **cause)
{
	if (checkin_clock_parse(s, out) == -1) {
		*cause = xasprintf("%s \"%s\": expected HH:MM (local time)",
		    what, s);
		return -1;
	}
	return 0;
}

/* Option opt of elder add/update into o. 0, or -1 with *cause. */
static int
ctl_elder_option(struct ctl_elder_opts *o, const char *opt, const char *arg,
    char **cause)
{
	if (strcmp(opt, "village") == 0)
		o->village = arg;
	else if (strcmp(opt, "name") == 0)
		o->name = arg;
	else if (strcmp(opt, "guardian") == 0) {
		if (o->nguardians == CTL_ELDER_GUARDIANS) {
			*cause = xasprintf("at most %d guardians",
			    CTL_ELDER_GUARDIANS);
			return -1;
		}
		o->guardians[o->nguardians++] = arg;
	} else if (strcmp(opt, "cadre") == 0)
		o->cadre = arg;
	else if (strcmp(opt, "due") == 0)
		return ctl_elder_clock("--due", arg, &o->due, cause);
	else if (strcmp(opt, "guardian-after") == 0)
		return ctl_elder_minutes("--guardian-after", arg,
		    &o->guardian_after, cause);
	else if (strcmp(opt, "cadre-after") == 0)
		return ctl_elder_minutes("--cadre-after", arg, &o->cadre_after,
		    cause);
	else if (strcmp(opt, "township") == 0)
		return ctl_elder_clock("--township", arg, &o->township, cause);
	else if (strcmp(opt, "prompt") == 0 && strcmp(arg, "off") == 0)
		o->prompt = -1;
	else if (strcmp(opt, "prompt") == 0)
		return ctl_elder_clock("--prompt", arg, &o->prompt, cause);
	else if (strcmp(opt, "confirm") == 0) {
		if (strcmp(arg, "yes") != 0 && strcmp(arg, "no") != 0) {
			*cause = xasprintf("--confirm \"%s\": expected yes or "
			    "no", arg);
			return -1;
		}
		o->confirm = arg[0] == 'y';
	} else if (strcmp(opt, "start") == 0 &&
	    checkin_day_parse(arg, &o->start) == -1) {
		*cause = xasprintf("--start \"%s\": expected YYYY-MM-DD", arg);
		return -1;
	}
	return 0;
}

/* elder add and update's options, as they are read. */
static int
ctl_elder_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	struct ctl_elder_opts o;

	ctl_elder_opts_init(&o);
	/* The guardians so far: a 17th is one too many. */
	ctl_values(c, "guardian", &o.nguardians);
	return ctl_elder_option(&o, opt, value, cause);
}

/* elder village takes four of them; the others are refused by name. */
static int
ctl_elder_village_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	if (strcmp(opt, "due") != 0 && strcmp(opt, "guardian-after") != 0 &&
	    strcmp(opt, "cadre-after") != 0 && strcmp(opt, "township") != 0) {
		*cause = xasprintf("--%s is not a village's setting (a "
		    "village has --due, --guardian-after, --cadre-after and "
		    "--township)", opt);
		return -1;
	}
	return ctl_elder_check(c, opt, value, cause);
}

/* What the command was given, checked as it was read, into o. 0/-1. */
static int
ctl_elder_given(struct ctl *c, struct ctl_elder_opts *o, char **cause)
{
	static const char *const one[] = {
		"village", "name", "cadre", "due", "guardian-after",
		"cadre-after", "township", "prompt", "confirm", "start"
	};
	const char *const *g;
	const char *v;
	size_t i, n;

	ctl_elder_opts_init(o);
	/* The last of each, as a getopt loop keeps it; every guardian. */
	for (i = 0; i < sizeof one / sizeof one[0]; i++)
		if ((v = ctl_value(c, one[i])) != NULL &&
		    ctl_elder_option(o, one[i], v, cause) == -1)
			return -1;
	g = ctl_values(c, "guardian", &n);
	for (i = 0; i < n; i++)
		if (ctl_elder_option(o, "guardian", g[i], cause) == -1)
			return -1;
	return 0;
}

/* "PHONE[:NAME[:RELATION]]" into g. 0, or -1 with *cause. */
static int
ctl_elder_guardian(struct ctl *c, const char *s, struct store_guardian *g,
    char **cause)
{
	char *copy = xstrdup(s), *name, *rel = NULL;
	int rc = -1;

	memset(g, 0, sizeof *g);
	if ((name = strchr(copy, ':')) != NULL) {
		*name++ = '\0';
		if ((rel = strchr(name, ':')) != NULL)
			*rel++ = '\0';
	}
	if (ctl_parse_phone(c->cf, copy, g->phone, cause) == 0 &&
	    ctl_check_name("guardian name", name != NULL ? name : "", 1,
	    cause) == 0 && ctl_check_name("relation", rel != NULL ? rel : "",
	    1, cause) == 0) {
		snprintf(g->name, sizeof g->name, "%s", name != NULL ? name :
		    "");
		snprintf(g->relation, sizeof g->relation, "%s",
		    rel != NULL ? rel : "");
		rc = 0;
	}
	free(copy);
	return rc;
}

/*
 * Enrol (add 1) or change (add 0) the elder with phone, or either (add 2:
 * import), in the open transaction. 0, or -1 with *cause.
 */
static int
ctl_elder_apply(struct ctl *c, const char *phone_in,
    const struct ctl_elder_opts *o, int add, char **cause)
{
	struct store_guardian g[CTL_ELDER_GUARDIANS];
	struct checkin_ctx ck = { c->st, c->cf, NULL, now_real(), "cli", "cli",
	    0 };
	struct store_person p;
	struct store_elder e;
	char phone[PHONE_MAX], cadre[PHONE_MAX];
	const char *village, *name;
	size_t i;
	int64_t id;
	int found, rc;

	if (ctl_parse_phone(c->cf, phone_in, phone, cause) == -1)
		return -1;
	for (i = 0; i < o->nguardians; i++)
		if (ctl_elder_guardian(c, o->guardians[i], &g[i], cause) == -1)
			return -1;
	if (o->cadre != NULL && o->cadre[0] != '\0' &&
	    ctl_parse_phone(c->cf, o->cadre, cadre, cause) == -1)
		return -1;
	if ((found = store_elder_find(c->st, phone, &e)) == -1 ||
	    (rc = store_person_find(c->st, phone, &p)) == -1) {
		*cause = xasprintf("%s: %s", phone, store_error(c->st));
		return -1;
	}
	if (!add && (found == 0 || !e.active)) {
		*cause = xasprintf("%s is not enrolled", phone);
		return -1;
	}
	if (add == 2)
		add = found == 1 && e.active ? 0 : 1;
	if (add && found == 1 && e.active) {
		*cause = xasprintf("%s is already enrolled (elder update "
		    "changes it)", phone);
		return -1;
	}
	if (add && o->nguardians == 0) {
		*cause = xstrdup("an elder needs at least one --guardian");
		return -1;
	}
	village = o->village != NULL ? o->village : rc == 1 ? p.village : NULL;
	name = o->name != NULL ? o->name : rc == 1 ? p.name : NULL;
	if (village == NULL || village[0] == '\0' || name == NULL) {
		*cause = xstrdup("an elder needs a name and --village");
		return -1;
	}
	if (ctl_check_name("name", name, 0, cause) == -1 ||
	    store_person_put(c->st, phone, name, village, (rc == 1 ? p.roles :
	    ROLE_RESIDENT) | ROLE_ELDERLY, rc == 1 ? p.categories : NULL,
	    ck.now, cause) == -1 ||
	    store_person_find(c->st, phone, &p) != 1)
		return -1;
	if (found == 0 || add) {
		/* New, or back after a removal: defaults start again. */
		memset(&e, 0, sizeof e);
		e.due_min = e.guardian_after = e.cadre_after = -1;
		e.township_min = e.confirm = -1;
		e.prompt_min = -2;
		e.start_day = checkin_day_of(c->cf, ck.now) + 1;
	}
	snprintf(e.phone, sizeof e.phone, "%s", phone);
	e.person_id = p.id;
	e.created_at = ck.now;
	if (o->cadre != NULL)
		snprintf(e.cadre, sizeof e.cadre, "%s", o->cadre[0] != '\0' ?
		    cadre : "");
	if (o->due != CTL_ELDER_UNSET)
		e.due_min = o->due;
	if (o->guardian_after != CTL_ELDER_UNSET)
		e.guardian_after = o->guardian_after;
	if (o->cadre_after != CTL_ELDER_UNSET)
		e.cadre_after = o->cadre_after;
	if (o->township != CTL_ELDER_UNSET)
		e.township_min = o->township;
	if (o->prompt != CTL_ELDER_UNSET)
		e.prompt_min = o->prompt;
	if (o->confirm != CTL_ELDER_UNSET)
		e.confirm = o->confirm;
	if (o->start != CTL_ELDER_UNSET)
		e.start_day = o->start;
	if (store_elder_put(c->st, &e, &id) == -1)
		goto fail;
	if (o->nguardians > 0 && store_guardian_clear(c->st, id) == -1)
		goto fail;
	for (i = 0; i < o->nguardians; i++)
		if (store_guardian_put(c->st, id, &g[i]) == -1)
			goto fail;
	if (store_elder_get(c->st, id, &e) != 1 || checkin_refresh(&ck,
	    &e) == -1 || ctl_audit(c, add ? "elder.add" : "elder.update",
	    phone, NULL) == -1)
		goto fail;
	return 0;
fail:
	*cause = xasprintf("%s: %s", phone, store_error(c->st));
	return -1;
}

/* Say what elder add / update did: who, where, the code QR takes. */
static void
ctl_elder_said(struct ctl *c, const char *given, int add)
{
	struct store_elder e;
	char phone[PHONE_MAX];

	if (phone_normalise(given, c->cf->country_code, phone) == -1 ||
	    store_elder_find(c->st, phone, &e) != 1)
		return;
	printf("%s %s %s in village %s: elder code %lld\n",
	    add ? "enrolled" : "updated", e.phone, e.name, e.village,
	    (long long)e.id);
}

/* elder add / update: PHONE [NAME] and options. */
static enum ctl_exit
ctl_elder_put(struct ctl *c, int add)
{
	struct ctl_elder_opts o;
	char *cause = NULL;

	if (ctl_elder_given(c, &o, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (add)
		o.name = c->args[1];
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if (ctl_elder_apply(c, c->args[0], &o, add, &cause) == -1)
		return ctl_rollback_cause(c, cause);
	if (store_commit(c->st) == -1)
		return ctl_store_fail(c, "elder");
	ctl_elder_said(c, c->args[0], add);
	return CTL_EXIT_OK;
}

static enum ctl_exit
ctl_elder_add(struct ctl *c)
{
	return ctl_elder_put(c, 1);
}

const struct ctl_cmd ctl_cmd_elder_add = {
	.name = "elder add",
	.usage = "PHONE NAME --village CODE "
	    "--guardian PHONE[:NAME[:RELATION]]... [--cadre PHONE]\n"
	    "\t\t\t[--due HH:MM] [--guardian-after MIN] [--cadre-after MIN]\n"
	    "\t\t\t[--township HH:MM] [--prompt HH:MM|off] "
	    "[--confirm yes|no]\n\t\t\t[--start YYYY-MM-DD]",
	.about = "enrol an elder in the daily check-in (from tomorrow unless\n"
	    "\t\t\t--start says)",
	.args = { CTL_ELDER_OPTS, 2, 2, ctl_elder_check },
	.exec = ctl_elder_add
};

static enum ctl_exit
ctl_elder_update(struct ctl *c)
{
	return ctl_elder_put(c, 0);
}

const struct ctl_cmd ctl_cmd_elder_update = {
	.name = "elder update",
	.usage = "PHONE [--name NAME] [the options of elder add]",
	.about = "change an enrolment (--guardian replaces the guardians)",
	.args = { CTL_ELDER_OPTS, 1, 1, ctl_elder_check },
	.exec = ctl_elder_update
};

static enum ctl_exit
ctl_elder_remove(struct ctl *c)
{
	struct store_elder e;
	enum ctl_exit ex;
	char phone[PHONE_MAX], *cause = NULL;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_flag(c, "forget")) {
		if ((rc = store_elder_find(c->st, phone, &e)) == -1)
			return ctl_store_fail(c, "elder remove");
		if (rc == 0)
			return ctl_fail("%s is not enrolled", phone);
		return ctl_forget(c, phone, "elder remove");
	}
	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if ((rc = store_elder_find(c->st, phone, &e)) == -1)
		return ctl_store_fail(c, "elder remove");
	if (rc == 0 || !e.active)
		return ctl_rollback_cause(c, xasprintf("%s is not enrolled",
		    phone));
	/* Kept for the history; their ladders stop at the next tick. */
	if (store_elder_set(c->st, e.id, 0, e.paused_until, now_real()) == -1)
		return ctl_store_fail(c, "elder remove");
	if ((ex = ctl_commit(c, "elder.remove", phone, NULL,
	    "elder remove")) == CTL_EXIT_OK)
		printf("ended the enrolment of %s %s (its history is kept)\n",
		    phone, e.name);
	return ex;
}

const struct ctl_cmd ctl_cmd_elder_remove = {
	.name = "elder remove",
	.usage = "PHONE [--forget]",
	.about = "end an enrolment (its history is kept); --forget erases\n"
	    "\t\t\tthe person as resident remove does",
	.args = { "forget", 1, 1, NULL },
	.exec = ctl_elder_remove
};

/* --- list --- */

struct ctl_elder_row {
	struct ctl	*c;
	struct ctl_list	*l;
};

/* The guardians as a table's PHONE:NAME:RELATION,… */
static void
ctl_elder_guardian_cb(const struct store_guardian *g, void *arg)
{
	struct buf *b = arg;

	if (b->len > 0)
		buf_adds(b, ",");
	buf_printf(b, "%s:%s:%s", g->phone, g->name, g->relation);
}

/* The guardians as JSON objects: [{"phone", "name", "relation"}, …] */
static void
ctl_elder_guardian_json_cb(const struct store_guardian *g, void *arg)
{
	struct buf *b = arg;

	buf_adds(b, b->len > 1 ? ", {\"phone\": " : "{\"phone\": ");
	ctl_json_str(b, g->phone);
	buf_adds(b, ", \"name\": ");
	if (g->name[0] != '\0')
		ctl_json_str(b, g->name);
	else
		buf_adds(b, "null");
	buf_adds(b, ", \"relation\": ");
	if (g->relation[0] != '\0')
		ctl_json_str(b, g->relation);
	else
		buf_adds(b, "null");
	buf_adds(b, "}");
}

/* A setting that may be unset (-1): its number, or null. */
static void
ctl_elder_setting(struct ctl_list *l, const char *key, int v)
{
	if (v < 0)
		ctl_list_null(l, key);
	else
		ctl_list_int(l, key, v);
}

/* HH:MM of minutes into out (8), or "" when -1. */
static const char *
ctl_elder_hhmm(int minutes, char *out)
{
	if (minutes < 0)
		out[0] = '\0';
	else
		snprintf(out, 8, "%02u:%02u", (unsigned)(minutes / 60) % 100,
		    (unsigned)(minutes % 60));
	return out;
}

static void
ctl_elder_list_cb(const struct store_elder *e, void *arg)
{
	struct ctl_elder_row *r = arg;
	struct buf b = { NULL, 0, 0 };
	char hm[8], day[11], code[24];

	if (r->l->format == CTL_LIST_JSON) {
		buf_adds(&b, "[");
		store_guardians(r->c->st, e->id, ctl_elder_guardian_json_cb,
		    &b);
		buf_adds(&b, "]");
	} else
		store_guardians(r->c->st, e->id, ctl_elder_guardian_cb, &b);
	ctl_list_row(r->l);
	snprintf(code, sizeof code, "%lld", (long long)e->id);
	ctl_list_str(r->l, "code", code);
	ctl_list_str(r->l, "phone", e->phone);
	ctl_list_str(r->l, "name", e->name);
	ctl_list_str(r->l, "village", e->village);
	ctl_list_field(r->l, "guardians", b.data != NULL ? b.data : "",
	    b.data);
	ctl_list_opt(r->l, "cadre", e->cadre);
	ctl_list_opt(r->l, "due", ctl_elder_hhmm(e->due_min, hm));
	ctl_list_str(r->l, "start", checkin_day_format(e->start_day, day));
	ctl_list_opt(r->l, "paused_until", e->paused_until > 0 ?
	    checkin_day_format(e->paused_until, day) : "");
	if (r->l->format == CTL_LIST_JSON) {
		ctl_elder_setting(r->l, "guardian_after", e->guardian_after);
		ctl_elder_setting(r->l, "cadre_after", e->cadre_after);
		ctl_list_opt(r->l, "township", ctl_elder_hhmm(e->township_min,
		    hm));
		if (e->confirm < 0)
			ctl_list_null(r->l, "confirm");
		else
			ctl_list_bool(r->l, "confirm", e->confirm);
		ctl_list_opt(r->l, "prompt", e->prompt_min == -1 ? "off" :
		    ctl_elder_hhmm(e->prompt_min, hm));
	}
	buf_free(&b);
}

static enum ctl_exit
ctl_elder_list(struct ctl *c)
{
	struct ctl_elder_row r;
	struct ctl_list l;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	r.c = c;
	r.l = &l;
	rc = store_elder_list(c->st, ctl_value(c, "village"),
	    ctl_elder_list_cb, &r);
	return ctl_list_finish(c, &l, rc, "elder list");
}

const struct ctl_cmd ctl_cmd_elder_list = {
	.name = "elder list",
	.usage = "[--village CODE] [--json]",
	.about = "enrolled elders with their guardians",
	.args = { "village: json", 0, 0, NULL },
	.exec = ctl_elder_list
};

/* --- import --- */

/*
 * elder import FILE.csv: header phone,name,village,guardians[,cadre]
 * [,due]; guardians "PHONE:NAME:RELATION" separated by ";". Bad rows are
 * reported as FILE:LINE and skipped; good rows are kept.
 */
static enum ctl_exit
ctl_elder_import(struct ctl *c)
{
	struct ctl_elder_opts o;
	struct csv_row row;
	struct csv *csv;
	struct buf data = { NULL, 0, 0 };
	char chunk[4096], *cause = NULL, *gs, *tok, *save, *detail;
	FILE *f;
	size_t n;
	int rc, good = 0, bad = 0;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if ((f = fopen(c->args[0], "r")) == NULL)
		return ctl_fail("%s: cannot open", c->args[0]);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&data, chunk, n);
	fclose(f);
	csv = csv_new(data.data != NULL ? data.data : "", data.len);
	memset(&row, 0, sizeof row);
	if (csv_read(csv, &row, &cause) != 1 || row.nfields < 4 ||
	    strcmp(row.fields[0], "phone") != 0 ||
	    strcmp(row.fields[3], "guardians") != 0) {
		free(cause);
		csv_row_clear(&row);
		csv_free(csv);
		buf_free(&data);
		return ctl_fail("%s:1: expected a header phone,name,village,"
		    "guardians[,cadre][,due]", c->args[0]);
	}
	if (ctl_begin(c) == -1) {
		csv_row_clear(&row);
		csv_free(csv);
		buf_free(&data);
		return CTL_EXIT_FAIL;
	}
	while ((rc = csv_read(csv, &row, &cause)) != 0) {
		if (rc == 1 && row.nfields == 1 && row.fields[0][0] == '\0')
			continue;
		ctl_elder_opts_init(&o);
		gs = NULL;
		if (rc == 1 && row.nfields < 4)
			cause = xstrdup("expected phone,name,village,guardians");
		else if (rc == 1) {
			o.name = row.fields[1];
			o.village = row.fields[2];
			gs = xstrdup(row.fields[3]);
			for (tok = strtok_r(gs, ";", &save); tok != NULL &&
			    o.nguardians < CTL_ELDER_GUARDIANS;
			    tok = strtok_r(NULL, ";", &save))
				o.guardians[o.nguardians++] = tok;
			if (row.nfields > 4 && row.fields[4][0] != '\0')
				o.cadre = row.fields[4];
			if (row.nfields > 5 && row.fields[5][0] != '\0' &&
			    ctl_elder_clock("due", row.fields[5], &o.due,
			    &cause) == -1)
				rc = -1;
			if (rc == 1 && ctl_elder_apply(c, row.fields[0], &o,
			    2, &cause) == -1)
				rc = -1;
		}
		free(gs);
		if (cause != NULL) {
			ctl_warnx("%s:%d: %s", c->args[0], row.line, cause);
			free(cause);
			cause = NULL;
			bad++;
		} else
			good++;
	}
	csv_row_clear(&row);
	csv_free(csv);
	buf_free(&data);
	detail = xasprintf("%d enrolled, %d rejected", good, bad);
	printf("%s\n", detail);
	if (ctl_commit(c, "elder.import", c->args[0], detail,
	    "elder import") != CTL_EXIT_OK) {
		free(detail);
		return CTL_EXIT_FAIL;
	}
	free(detail);
	return bad > 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_elder_import = {
	.name = "elder import",
	.usage = "FILE.csv",
	.about = "enrol from CSV: header phone,name,village,guardians[,cadre]"
	    "[,due];\n\t\t\tguardians PHONE:NAME:RELATION separated by "
	    "\";\"",
	.args = { NULL, 1, 1, NULL },
	.exec = ctl_elder_import
};

/* elder village CODE [--due HH:MM] [--guardian-after MIN] ... */
static enum ctl_exit
ctl_elder_village(struct ctl *c)
{
	struct ctl_elder_opts o;
	struct store_checkin_times t;
	struct store_village v;
	char *cause = NULL;
	int rc;

	if (ctl_elder_given(c, &o, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if ((rc = store_village_find(c->st, c->args[0], &v)) != 1)
		return rc == -1 ? ctl_store_fail(c, "elder village") :
		    ctl_fail("no village %s", c->args[0]);
	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if (store_checkin_village_get(c->st, v.id, &t) == -1)
		return ctl_store_fail(c, "elder village");
	if (o.due != CTL_ELDER_UNSET)
		t.due_min = o.due;
	if (o.guardian_after != CTL_ELDER_UNSET)
		t.guardian_after = o.guardian_after;
	if (o.cadre_after != CTL_ELDER_UNSET)
		t.cadre_after = o.cadre_after;
	if (o.township != CTL_ELDER_UNSET)
		t.township_min = o.township;
	if (store_checkin_village_put(c->st, v.id, &t) == -1)
		return ctl_store_fail(c, "elder village");
	if (ctl_commit(c, "elder.village", v.code, NULL, "elder village") !=
	    CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	printf("set the check-in times of village %s %s\n", v.code, v.name);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_elder_village = {
	.name = "elder village",
	.usage = "CODE [--due HH:MM] [--guardian-after MIN] "
	    "[--cadre-after MIN]\n\t\t\t[--township HH:MM]",
	.about = "a village's check-in ladder times",
	.args = { CTL_ELDER_OPTS, 1, 1, ctl_elder_village_check },
	.exec = ctl_elder_village
};

/* --- checkin today, history, stats --- */

static const char *const ctl_checkin_steps[] = {
	"", "prompted", "reminded", "guardians", "cadre", "township"
};

static void
ctl_checkin_day_cb(const struct store_elder *e,
    const struct store_checkin_day *d, void *arg)
{
	struct ctl_list *l = arg;
	char day[11], code[24];

	ctl_list_row(l);
	snprintf(code, sizeof code, "%lld", (long long)e->id);
	ctl_list_str(l, "code", code);
	ctl_list_str(l, "name", e->name);
	ctl_list_str(l, "phone", e->phone);
	ctl_list_str(l, "village", e->village);
	ctl_list_opt(l, "day", d->id != 0 ? checkin_day_format(d->day, day) :
	    "");
	ctl_list_str(l, "status", d->id != 0 ? d->status : "waiting");
	ctl_list_opt(l, "ladder", d->step >= 0 && d->step <= 5 ?
	    ctl_checkin_steps[d->step] : "");
	ctl_list_time(l, "checked_in", d->checked_in_at);
	ctl_list_opt(l, "source", d->source);
	ctl_list_time(l, "resolved", d->resolved_at);
	ctl_list_opt(l, "resolved_by", d->resolved_by);
	if (l->format == CTL_LIST_JSON) {
		ctl_list_time(l, "next", d->next_at);
		ctl_list_opt(l, "note", d->note);
	}
}

static enum ctl_exit
ctl_checkin_today(struct ctl *c)
{
	struct ctl_list l;
	const char *dayarg = ctl_value(c, "day");
	int rc, day;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (dayarg == NULL)
		day = checkin_day_of(c->cf, now_real());
	else if (checkin_day_parse(dayarg, &day) == -1)
		return ctl_usage_fail(c, "--day \"%s\": expected YYYY-MM-DD",
		    dayarg);
	ctl_list_init(&l, c);
	rc = store_checkin_day_list(c->st, day, ctl_value(c, "village"),
	    ctl_checkin_day_cb, &l);
	return ctl_list_finish(c, &l, rc, "checkin today");
}

const struct ctl_cmd ctl_cmd_checkin_today = {
	.name = "checkin today",
	.usage = "[--village CODE] [--day YYYY-MM-DD] [--json]",
	.about = "who has checked in, who has not, where each ladder stands",
	.args = { "village: day: json", 0, 0, NULL },
	.exec = ctl_checkin_today
};

static enum ctl_exit
ctl_checkin_history(struct ctl *c)
{
	struct store_elder e;
	struct ctl_list l;
	const char *given = ctl_value(c, "limit");
	char phone[PHONE_MAX], *cause = NULL;
	int rc, limit = given != NULL ? atoi(given) : 30;

	if (limit < 1)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	/* A phone, or the elder's code. */
	if (strspn(c->args[0], "0123456789") == strlen(c->args[0]) &&
	    strlen(c->args[0]) < 10)
		rc = store_elder_get(c->st, atoll(c->args[0]), &e);
	else if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	else
		rc = store_elder_find(c->st, phone, &e);
	if (rc != 1)
		return rc == -1 ? ctl_store_fail(c, "checkin history") :
		    ctl_fail("%s is not enrolled", c->args[0]);
	ctl_list_init(&l, c);
	rc = store_checkin_day_history(c->st, e.id, limit, ctl_checkin_day_cb,
	    &l);
	return ctl_list_finish(c, &l, rc, "checkin history");
}

const struct ctl_cmd ctl_cmd_checkin_history = {
	.name = "checkin history",
	.usage = "PHONE|CODE [--limit N] [--json]",
	.about = "one elder's days, newest first",
	.args = { "limit: json", 1, 1, ctl_count_check },
	.exec = ctl_checkin_history
};

/* Per village: days counted, checked in, alerts, resolution times. */
struct ctl_checkin_village {
	char	 code[33];
	int	 days, checked, alerted, confirmed;
	int	*waits;		/* seconds from the guardians' alert */
	size_t	 nwaits;
};

struct ctl_checkin_stats {
	struct ctl_checkin_village	*v;
	size_t				 n;
};

static void
ctl_checkin_stats_cb(const struct store_elder *e,
    const struct store_checkin_day *d, void *arg)
{
	struct ctl_checkin_stats *s = arg;
	struct ctl_checkin_village *v;

	if (strcmp(d->status, "paused") == 0)
		return;
	if (s->n == 0 || strcmp(s->v[s->n - 1].code, e->village) != 0) {
		s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
		v = &s->v[s->n++];
		memset(v, 0, sizeof *v);
		snprintf(v->code, sizeof v->code, "%s", e->village);
	}
	v = &s->v[s->n - 1];
	v->days++;
	if (d->checked_in_at != 0 && (d->step < CHECKIN_STEP_GUARDIANS))
		v->checked++;
	if (strcmp(d->status, "confirmed") == 0)
		v->confirmed++;
	if (d->step >= CHECKIN_STEP_GUARDIANS) {
		v->alerted++;
		if (d->resolved_at != 0 && d->resolved_at >= d->guardians_at) {
			v->waits = xrealloc(v->waits, (v->nwaits + 1) *
			    sizeof *v->waits);
			v->waits[v->nwaits++] = (int)(d->resolved_at -
			    d->guardians_at);
		}
	}
}

static int
ctl_checkin_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static enum ctl_exit
ctl_checkin_stats(struct ctl *c)
{
	struct ctl_checkin_stats s = { NULL, 0 };
	struct ctl_checkin_village *v;
	struct ctl_list l;
	const char *given = ctl_value(c, "days");
	char rate[16];
	int rc, days = given != NULL ? atoi(given) : 30, today;
	size_t i;

	if (days < 1)
		return ctl_usage_line(c);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	today = checkin_day_of(c->cf, now_real());
	rc = store_checkin_day_range(c->st, today - days + 1, today,
	    ctl_value(c, "village"), ctl_checkin_stats_cb, &s);
	ctl_list_init(&l, c);
	for (i = 0; i < s.n; i++) {
		v = &s.v[i];
		ctl_list_row(&l);
		ctl_list_str(&l, "village", v->code);
		ctl_list_int(&l, "days", v->days);
		ctl_list_int(&l, "checked_in", v->checked);
		snprintf(rate, sizeof rate, "%.1f", v->days > 0 ?
		    100.0 * v->checked / v->days : 0.0);
		ctl_list_field(&l, "rate_percent", rate, rate);
		ctl_list_int(&l, "alerts", v->alerted);
		ctl_list_int(&l, "confirmed", v->confirmed);
		if (v->nwaits > 0) {
			qsort(v->waits, v->nwaits, sizeof *v->waits,
			    ctl_checkin_int_cmp);
			ctl_list_int(&l, "median_resolve_minutes",
			    v->waits[v->nwaits / 2] / 60);
		} else
			ctl_list_null(&l, "median_resolve_minutes");
		free(v->waits);
	}
	free(s.v);
	return ctl_list_finish(c, &l, rc, "checkin stats");
}

const struct ctl_cmd ctl_cmd_checkin_stats = {
	.name = "checkin stats",
	.usage = "[--village CODE] [--days N] [--json]",
	.about = "per village: check-in rate, alerts, median time to "
	    "resolution",
	.args = { "village: days: json", 0, 0, ctl_count_check },
	.exec = ctl_checkin_stats
};
