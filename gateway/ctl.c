/*
 * cungatectl — administer cungate's database beside the daemon (SQLite WAL
 * lets both write; the daemon picks up queued rows within a second).
 *
 *	cungatectl [-c FILE] COMMAND [ARGS]
 *
 * Like tmux, each command is one entry in ctl_cmds: its name (one or two
 * words), its usage and the function that runs it. A command parses its
 * own options with getopt_long, so options may follow the arguments;
 * the config and the store are opened only when a command first needs
 * them, so `-h` and usage errors work without either.
 *
 * Output: every list command prints aligned columns, or with --json an
 * array of objects (stats: one object). Errors are one line on stderr,
 * "cungatectl: …", exit status 2 for usage errors, 1 for failures.
 * Mutating commands write an audit row (actor "cli", channel "cli").
 *
 * This file owns main, the command table, option parsing and opening the
 * config and the store; the commands live in ctl_people.c (townships,
 * villages, residents), ctl_traffic.c (messages, scheduler, counters) and
 * ctl_grievance.c (tickets), ctl_event.c (events and notices),
 * what they share in ctl_util.c, and ctl.h is the interface between them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/ctl.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

#include "build/paths.h"

/* The default config; $CUNGATE_CONFIG names another. */
#define CTL_DEFAULT_CONFIG	CUNGATE_CONFIG

static const struct ctl_cmd ctl_cmds[] = {
	{ "township add", "CODE NAME [--supervisor PHONE]...",
	  "add a township and its supervisors", ctl_township_add },
	{ "township list", "[--json]",
	  "list townships", ctl_township_list },
	{ "village add", "CODE NAME [--township CODE]",
	  "add a village (CODE is what villagers text to register)",
	  ctl_village_add },
	{ "village list", "[--json]",
	  "list villages with resident counts", ctl_village_list },
	{ "resident add", "PHONE NAME --village CODE "
	  "[--role resident|cadre|elderly]... [--categories 水,电]",
	  "add a person, or update the one with that phone (keeping\n"
	  "\t\t\ttheir roles and categories unless given)",
	  ctl_resident_add },
	{ "resident list", "[--village CODE] [--json]",
	  "list people", ctl_resident_list },
	{ "resident remove", "PHONE",
	  "erase a person on request: their messages, the messages to\n"
	  "\t\t\tthem, their enrolments; tickets keep their text, the phone\n"
	  "\t\t\tmasked", ctl_resident_remove },
	{ "resident import", "FILE.csv",
	  "import people from CSV: header phone,name,village[,role]"
	  "[,categories];\n\t\t\tbad rows are reported as FILE:LINE and "
	  "skipped, good rows kept;\n\t\t\texit status 1 if any row was "
	  "rejected", ctl_resident_import },
	{ "send", "PHONE TEXT [--class urgent|reply|reminder|broadcast]",
	  "queue a message (class reply by default); prints its outbox id",
	  ctl_send },
	{ "outbox", "[--state queued|sending|sent|failed|expired|withdrawn] "
	  "[--limit N] [--json]",
	  "outbound messages, newest first", ctl_outbox },
	{ "messages", "[--from PHONE] [--limit N] [--json]",
	  "inbound messages, newest first", ctl_messages },
	{ "calls", "[--limit N] [--json]",
	  "missed calls the modems hung up, newest first", ctl_calls },
	{ "simulate", "PHONE TEXT [--modem NAME]",
	  "drop an SMS into a dummy-phone modem's inbox; prints the parts "
	  "written", ctl_simulate },
	{ "tick", "[--at \"YYYY-MM-DD HH:MM\" [--force]]",
	  "run the scheduler once, as of that local time (default now);\n"
	  "\t\t\t--at while cungated runs on the database needs --force",
	  ctl_tick },
	{ "backup", "FILE",
	  "copy the database to FILE while the daemon runs (checked;\n"
	  "\t\t\tsee restore)", ctl_backup },
	{ "restore", "FILE",
	  "put a backup in place of the database (checked first; only\n"
	  "\t\t\twhile cungated is stopped)", ctl_restore },
	{ "stats", "[--json]",
	  "counts: messages in and out, queue, people, modems", ctl_stats },
	{ "grievance list", "[--village CODE] [--status S] [--json]",
	  "tickets, oldest first (S: open, accepted, resolved, returned,\n"
	  "\t\t\treopened, closed)", ctl_grievance_list },
	{ "grievance show", "CODE [--json]",
	  "one ticket with its assignees and history", ctl_grievance_show },
	{ "grievance assign", "CODE PHONE",
	  "add a cadre of the ticket's village to it (a returned ticket\n"
	  "\t\t\topens again) and alert them", ctl_grievance_assign },
	{ "grievance close", "CODE [--note TEXT]",
	  "close a ticket; with a note, the reporter is told it",
	  ctl_grievance_close },
	{ "grievance export", "[--village CODE]",
	  "every ticket as CSV (RFC 4180) on stdout", ctl_grievance_export },
	{ "grievance stats", "[--village CODE | --township CODE] "
	  "[--at \"YYYY-MM-DD HH:MM\"] [--json]",
	  "accepted in time, resolved in time, satisfied; counts by\n"
	  "\t\t\tstatus and category", ctl_grievance_stats },
	{ "elder add", "PHONE NAME --village CODE "
	  "--guardian PHONE[:NAME[:RELATION]]... [--cadre PHONE]\n"
	  "\t\t\t[--due HH:MM] [--guardian-after MIN] [--cadre-after MIN]\n"
	  "\t\t\t[--township HH:MM] [--prompt HH:MM|off] "
	  "[--confirm yes|no]\n\t\t\t[--start YYYY-MM-DD]",
	  "enrol an elder in the daily check-in (from tomorrow unless\n"
	  "\t\t\t--start says)", ctl_elder_add },
	{ "elder update", "PHONE [--name NAME] [the options of elder add]",
	  "change an enrolment (--guardian replaces the guardians)",
	  ctl_elder_update },
	{ "elder list", "[--village CODE] [--json]",
	  "enrolled elders with their guardians", ctl_elder_list },
	{ "elder remove", "PHONE [--forget]",
	  "end an enrolment (its history is kept); --forget erases\n"
	  "\t\t\tthe person as resident remove does", ctl_elder_remove },
	{ "elder import", "FILE.csv",
	  "enrol from CSV: header phone,name,village,guardians[,cadre][,due];"
	  "\n\t\t\tguardians PHONE:NAME:RELATION separated by \";\"",
	  ctl_elder_import },
	{ "elder village", "CODE [--due HH:MM] [--guardian-after MIN] "
	  "[--cadre-after MIN]\n\t\t\t[--township HH:MM]",
	  "a village's check-in ladder times", ctl_elder_village },
	{ "checkin today", "[--village CODE] [--day YYYY-MM-DD] [--json]",
	  "who has checked in, who has not, where each ladder stands",
	  ctl_checkin_today },
	{ "checkin history", "PHONE|CODE [--limit N] [--json]",
	  "one elder's days, newest first", ctl_checkin_history },
	{ "checkin stats", "[--village CODE] [--days N] [--json]",
	  "per village: check-in rate, alerts, median time to resolution",
	  ctl_checkin_stats },
	{ "event add", "TITLE --village CODE --date YYYY-MM-DD --capacity N "
	  "[--time HH:MM] [--place TEXT] [--announce]",
	  "publish a village event (prints its code); --announce sends\n"
	  "\t\t\tthe village a notice of it", ctl_event_add },
	{ "event list", "[--village CODE] [--all] [--json]",
	  "open events (--all: closed ones too) with places taken",
	  ctl_event_list },
	{ "event show", "CODE [--json]",
	  "one event with its signups in order", ctl_event_show },
	{ "event export", "CODE",
	  "an event's participants as CSV (RFC 4180) on stdout",
	  ctl_event_export },
	{ "notice send", "--village CODE TEXT [--yes]",
	  "a notice to every resident of the village who has not opted\n"
	  "\t\t\tout; above [notice] confirm_above parts only with --yes",
	  ctl_notice_send },
	{ "notice list", "[--village CODE] [--json]",
	  "notices, newest first", ctl_notice_list },
	{ "help", "[COMMAND]", "this list", ctl_help },
};
#define CTL_NCMDS	(sizeof ctl_cmds / sizeof ctl_cmds[0])

/* --- option parsing --- */

/*
 * getopt_long over a command's arguments, argv[0] being its name.
 * Positional arguments are collected into c->args in order (options may
 * come before, between or after them; "--" ends the options). Returns
 * the option's val, -1 at the end, CTL_OPT_HELP for -h/--help, or
 * CTL_OPT_BAD after printing what was wrong.
 */
int
ctl_getopt(struct ctl *c, int argc, char **argv, const struct option *opts)
{
	int ch;

	if (c->args == NULL) {
		c->args = xcalloc((size_t)argc + 1, sizeof *c->args);
		c->nargs = 0;
		optind = 0;	/* GNU: start afresh */
	}
	opterr = 0;
	for (;;) {
		/* '-': non-options come back as 1, whatever POSIXLY_CORRECT. */
		ch = getopt_long(argc, argv, "-:h", opts, NULL);
		if (ch == 1) {
			c->args[c->nargs++] = optarg;
			continue;
		}
		break;
	}
	switch (ch) {
	case -1:
		while (optind < argc)
			c->args[c->nargs++] = argv[optind++];
		break;
	case '?':
		if (strncmp(argv[optind - 1], "--", 2) == 0)
			ctl_usage_fail(c, "bad option %s", argv[optind - 1]);
		else
			ctl_usage_fail(c, "unknown option -%c", optopt);
		return CTL_OPT_BAD;
	case ':':
		ctl_usage_fail(c, "%s needs a value", argv[optind - 1]);
		return CTL_OPT_BAD;
	}
	return ch;
}

/* For a command's default: case: -h prints its usage, else a bad option. */
enum ctl_exit
ctl_opt_end(struct ctl *c, int ch)
{
	if (ch == CTL_OPT_HELP) {
		printf("usage: cungatectl %s %s\n", c->cmd->name,
		    c->cmd->usage);
		return CTL_EXIT_OK;
	}
	return CTL_EXIT_USAGE;
}

/* --json and no arguments: 0 and *json, or -1 and *ex to return. */
int
ctl_getopt_json(struct ctl *c, int argc, char **argv, int *json,
    enum ctl_exit *ex)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	*json = 0;
	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (ch != 'j') {
			*ex = ctl_opt_end(c, ch);
			return -1;
		}
		*json = 1;
	}
	if (c->nargs != 0) {
		*ex = ctl_usage_line(c);
		return -1;
	}
	return 0;
}

/* --- config and store, opened on first use --- */

/* The config, loaded on first use; NULL having said why not. */
struct config *
ctl_config(struct ctl *c)
{
	char *cause = NULL;

	if (c->cf == NULL) {
		c->cf = config_load(c->conf_path, &cause);
		if (c->cf == NULL) {
			ctl_fail_cause(cause);
			return NULL;
		}
	}
	return c->cf;
}

/* The store (and the config), opened on first use; NULL if not. */
struct store *
ctl_store(struct ctl *c)
{
	char *cause = NULL;

	if (c->st == NULL) {
		if (ctl_config(c) == NULL)
			return NULL;
		c->st = store_open(c->cf->database, &cause);
		if (c->st == NULL) {
			ctl_fail_cause(cause);
			return NULL;
		}
	}
	return c->st;
}

/* --- help and main --- */

static void
ctl_usage(FILE *f, const char *only)
{
	size_t i, n = only != NULL ? strlen(only) : 0;
	const char *name;

	fprintf(f, "usage: cungatectl [-c FILE] COMMAND [ARGS]\n"
	    "       cungatectl -h | --help | --version\n\n");
	for (i = 0; i < CTL_NCMDS; i++) {
		name = ctl_cmds[i].name;
		if (only != NULL && (strncmp(name, only, n) != 0 ||
		    (name[n] != '\0' && name[n] != ' ')))
			continue;
		fprintf(f, "  %s %s\n\t\t\t%s\n", ctl_cmds[i].name,
		    ctl_cmds[i].usage, ctl_cmds[i].about);
	}
	fprintf(f, "\n  -c FILE\tthe configuration (default $CUNGATE_CONFIG, "
	    "else %s)\n"
	    "  PHONE\t\t+86…, 86… or an 11-digit mobile number\n"
	    "  --json\tlist commands print a JSON array of objects\n"
	    "  exit status\t0 done, 1 failed, 2 usage error\n",
	    CTL_DEFAULT_CONFIG);
}

enum ctl_exit
ctl_help(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = ctl_getopt(c, argc, argv, opts)) != -1)
		if (ch != 'h')
			return ctl_opt_end(c, ch);
	ctl_usage(stdout, c->nargs > 0 ? c->args[0] : NULL);
	return CTL_EXIT_OK;
}

/*
 * The command named by argv (one word, or two for "township add"), with
 * *words set to how many it took; NULL when there is none.
 */
static const struct ctl_cmd *
ctl_find(int argc, char **argv, int *words)
{
	const char *name, *space;
	size_t i, n;

	for (i = 0; i < CTL_NCMDS; i++) {
		name = ctl_cmds[i].name;
		if ((space = strchr(name, ' ')) == NULL) {
			if (strcmp(name, argv[0]) == 0) {
				*words = 1;
				return &ctl_cmds[i];
			}
			continue;
		}
		n = (size_t)(space - name);
		if (strlen(argv[0]) == n && strncmp(name, argv[0], n) == 0 &&
		    argc > 1 && strcmp(space + 1, argv[1]) == 0) {
			*words = 2;
			return &ctl_cmds[i];
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl c;
	const struct ctl_cmd *cmd;
	enum ctl_exit ex;
	size_t i, n;
	int ch, words;

	memset(&c, 0, sizeof c);
	c.conf_path = getenv("CUNGATE_CONFIG") != NULL ?
	    getenv("CUNGATE_CONFIG") : CTL_DEFAULT_CONFIG;
	log_init("cungatectl", LOG_LEVEL_WARN);
	/* What it writes (exports, backups) is for its user alone. */
	umask(077);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'V':
			printf("cungatectl %s\n", CUNGATE_VERSION);
			return CTL_EXIT_OK;
		case 'c':
			c.conf_path = optarg;
			break;
		case 'h':
			ctl_usage(stdout, NULL);
			return CTL_EXIT_OK;
		case ':':
			ctl_warnx("-%c needs a value", optopt);
			return CTL_EXIT_USAGE;
		default:
			if (optopt != 0)
				ctl_warnx("unknown option -%c; try cungatectl "
				    "help", optopt);
			else
				ctl_warnx("unknown option %s; try cungatectl "
				    "help", argv[optind - 1]);
			return CTL_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		ctl_usage(stderr, NULL);
		return CTL_EXIT_USAGE;
	}

	if ((cmd = ctl_find(argc, argv, &words)) == NULL) {
		n = strlen(argv[0]);
		for (i = 0; i < CTL_NCMDS; i++)
			if (strncmp(ctl_cmds[i].name, argv[0], n) == 0 &&
			    ctl_cmds[i].name[n] == ' ')
				break;
		if (i < CTL_NCMDS && argc > 1)
			ctl_warnx("%s: unknown subcommand \"%s\"; try "
			    "cungatectl help %s", argv[0], argv[1], argv[0]);
		else if (i < CTL_NCMDS)
			ctl_warnx("%s: which? try cungatectl help %s",
			    argv[0], argv[0]);
		else
			ctl_warnx("unknown command \"%s\"; try cungatectl "
			    "help", argv[0]);
		return CTL_EXIT_USAGE;
	}
	c.cmd = cmd;
	ex = cmd->exec(&c, argc - (words - 1), argv + (words - 1));

	free(c.args);
	store_close(c.st);
	config_free(c.cf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_warnx("stdout: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return ex;
}

