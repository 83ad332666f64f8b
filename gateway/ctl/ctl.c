/*
 * cungatectl — administer cungate's database beside the daemon (SQLite WAL
 * lets both write; the daemon picks up queued rows within a second).
 *
 *	cungatectl [-c FILE] COMMAND [ARGS]
 *
 * Like tmux, each command is one entry in ctl_cmds, defined in the file
 * of its group: its name (one or two words), its usage, what it takes
 * (options, how many arguments) and the function that runs it. main
 * finds the entry, args.c reads the command's arguments as the entry
 * says, and only then does the command run; the config and the store
 * are opened only when a command first needs them, so `-h` and usage
 * errors work without either.
 *
 * Output: every list command prints aligned columns, or with --json an
 * array of objects (stats: one object), through list.c. Errors are one
 * line on stderr, "cungatectl: …", exit status 2 for usage errors, 1 for
 * failures. Mutating commands write an audit row (actor "cli", channel
 * "cli").
 *
 * This file owns main, the command table, help, and opening the config
 * and the store; the commands live in people.c (townships, villages,
 * residents), traffic.c (messages, scheduler, counters, backups),
 * grievance.c (tickets), elder.c (the check-in), event.c (events and
 * notices), report.c (the monthly report) and user.c (the status
 * pages' accounts); ctl.h is the interface between them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/ctl/ctl.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

#include "build/paths.h"

/* The default config; $CUNGATE_CONFIG names another. */
#define CTL_DEFAULT_CONFIG	CUNGATE_CONFIG

static enum ctl_exit	ctl_help(struct ctl *);

static const struct ctl_cmd ctl_cmd_help = {
	.name = "help",
	.usage = "[COMMAND]",
	.about = "this list",
	/* --help is help's own: help -h is help. */
	.args = { "help", 0, -1, NULL },
	.exec = ctl_help
};

/* The commands, in the order help lists them. */
static const struct ctl_cmd *const ctl_cmds[] = {
	&ctl_cmd_township_add,
	&ctl_cmd_township_list,
	&ctl_cmd_village_add,
	&ctl_cmd_village_list,
	&ctl_cmd_resident_add,
	&ctl_cmd_resident_list,
	&ctl_cmd_resident_remove,
	&ctl_cmd_resident_import,
	&ctl_cmd_send,
	&ctl_cmd_outbox,
	&ctl_cmd_messages,
	&ctl_cmd_calls,
	&ctl_cmd_simulate,
	&ctl_cmd_tick,
	&ctl_cmd_backup,
	&ctl_cmd_restore,
	&ctl_cmd_stats,
	&ctl_cmd_grievance_list,
	&ctl_cmd_grievance_show,
	&ctl_cmd_grievance_assign,
	&ctl_cmd_grievance_close,
	&ctl_cmd_grievance_export,
	&ctl_cmd_grievance_stats,
	&ctl_cmd_elder_add,
	&ctl_cmd_elder_update,
	&ctl_cmd_elder_list,
	&ctl_cmd_elder_remove,
	&ctl_cmd_elder_import,
	&ctl_cmd_elder_village,
	&ctl_cmd_checkin_today,
	&ctl_cmd_checkin_history,
	&ctl_cmd_checkin_stats,
	&ctl_cmd_event_add,
	&ctl_cmd_event_list,
	&ctl_cmd_event_show,
	&ctl_cmd_event_export,
	&ctl_cmd_notice_send,
	&ctl_cmd_notice_list,
	&ctl_cmd_user_add,
	&ctl_cmd_user_passwd,
	&ctl_cmd_user_remove,
	&ctl_cmd_user_list,
	&ctl_cmd_report,
	&ctl_cmd_help,
};
#define CTL_NCMDS	(sizeof ctl_cmds / sizeof ctl_cmds[0])

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
		name = ctl_cmds[i]->name;
		if (only != NULL && (strncmp(name, only, n) != 0 ||
		    (name[n] != '\0' && name[n] != ' ')))
			continue;
		fprintf(f, "  %s %s\n\t\t\t%s\n", ctl_cmds[i]->name,
		    ctl_cmds[i]->usage, ctl_cmds[i]->about);
	}
	fprintf(f, "\n  -c FILE\tthe configuration (default $CUNGATE_CONFIG, "
	    "else %s)\n"
	    "  PHONE\t\t+86…, 86… or an 11-digit mobile number\n"
	    "  --json\tlist commands print a JSON array of objects\n"
	    "  exit status\t0 done, 1 failed, 2 usage error\n",
	    CTL_DEFAULT_CONFIG);
}

static enum ctl_exit
ctl_help(struct ctl *c)
{
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
		name = ctl_cmds[i]->name;
		if ((space = strchr(name, ' ')) == NULL) {
			if (strcmp(name, argv[0]) == 0) {
				*words = 1;
				return ctl_cmds[i];
			}
			continue;
		}
		n = (size_t)(space - name);
		if (strlen(argv[0]) == n && strncmp(name, argv[0], n) == 0 &&
		    argc > 1 && strcmp(space + 1, argv[1]) == 0) {
			*words = 2;
			return ctl_cmds[i];
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
			if (strncmp(ctl_cmds[i]->name, argv[0], n) == 0 &&
			    ctl_cmds[i]->name[n] == ' ')
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
	if (ctl_args_parse(&c, argc - (words - 1), argv + (words - 1),
	    &ex) == 0)
		ex = cmd->exec(&c);

	ctl_args_free(&c);
	store_close(c.st);
	config_free(c.cf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_warnx("stdout: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return ex;
}

