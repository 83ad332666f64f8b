/*
 * args — cungatectl's one option parser. A command says what it takes
 * in its table entry, as a tmux command does:
 *
 *	.args = { "village: status: json", 0, 0, ctl_grievance_check },
 *
 * its long options (':' after those that take a value), how many
 * positional arguments (lower, upper; -1 for no bound) and a function
 * that checks each option as it is read, so a bad value is reported
 * where getopt meets it. ctl_args_parse reads argv with getopt_long:
 * options may come before, between or after the arguments, may be
 * abbreviated while that is unambiguous, and "--" ends them; -h and
 * --help print the command's usage. The command then asks what it was
 * given with ctl_flag, ctl_value and ctl_values.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ctl/ctl.h"
#include "gateway/log.h"
#include "gateway/util.h"

/* getopt_long's val for the command's option i: clear of 'h', '?', ':'. */
#define CTL_ARGS_VAL(i)		(256 + (int)(i))
#define CTL_ARGS_NONE		SIZE_MAX

/* An option a command declares, and the values it was given. */
struct ctl_opt {
	char		*name;
	int		 has_value;
	const char	**values;	/* in the order given; NULL: a flag */
	size_t		 n;
};

/* The options of template ("village: json") into c->opts. */
static void
ctl_args_template(struct ctl *c, const char *template)
{
	const char *p = template != NULL ? template : "";
	struct ctl_opt *o;
	size_t len;

	for (;;) {
		p += strspn(p, " ");
		if ((len = strcspn(p, " ")) == 0)
			break;
		c->opts = xrealloc(c->opts, (c->nopts + 1) * sizeof *c->opts);
		o = &c->opts[c->nopts++];
		memset(o, 0, sizeof *o);
		o->has_value = p[len - 1] == ':';
		o->name = xstrndup(p, o->has_value ? len - 1 : len);
		p += len;
	}
}

/*
 * Read argv as c->cmd's args spec says. The positional arguments are
 * collected into c->args in order, the options' values onto c->opts,
 * each passed by the command's check first. 0, or -1 with *ex.
 */
int
ctl_args_parse(struct ctl *c, int argc, char **argv, enum ctl_exit *ex)
{
	const struct ctl_args_spec *spec = &c->cmd->args;
	struct option *lo;
	struct ctl_opt *o;
	char *cause;
	size_t i, help = CTL_ARGS_NONE;
	int ch, rc = -1;

	ctl_args_template(c, spec->opts);
	lo = xcalloc(c->nopts + 2, sizeof *lo);
	for (i = 0; i < c->nopts; i++) {
		lo[i].name = c->opts[i].name;
		lo[i].has_arg = c->opts[i].has_value ? required_argument :
		    no_argument;
		lo[i].val = CTL_ARGS_VAL(i);
		if (strcmp(c->opts[i].name, "help") == 0)
			help = i;
	}
	/* -h and --help print the usage, unless --help is declared (help). */
	if (help == CTL_ARGS_NONE) {
		lo[i].name = "help";
		lo[i].has_arg = no_argument;
		lo[i].val = 'h';
	}

	c->args = xcalloc((size_t)argc + 1, sizeof *c->args);
	c->nargs = 0;
	optind = 0;	/* GNU: start afresh */
	opterr = 0;
	/* '-': non-options come back as 1, whatever POSIXLY_CORRECT. */
	while ((ch = getopt_long(argc, argv, "-:h", lo, NULL)) != -1) {
		if (ch == 1) {
			c->args[c->nargs++] = optarg;
			continue;
		}
		if (ch == 'h' && help != CTL_ARGS_NONE)
			ch = CTL_ARGS_VAL(help);
		switch (ch) {
		case 'h':
			printf("usage: cungatectl %s %s\n", c->cmd->name,
			    c->cmd->usage);
			*ex = CTL_EXIT_OK;
			goto out;
		case '?':
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				*ex = ctl_usage_fail(c, "bad option %s",
				    argv[optind - 1]);
			else
				*ex = ctl_usage_fail(c, "unknown option -%c",
				    optopt);
			goto out;
		case ':':
			*ex = ctl_usage_fail(c, "%s needs a value",
			    argv[optind - 1]);
			goto out;
		}
		o = &c->opts[ch - CTL_ARGS_VAL(0)];
		cause = NULL;
		if (spec->check != NULL && spec->check(c, o->name,
		    o->has_value ? optarg : NULL, &cause) == -1) {
			*ex = cause != NULL ? ctl_usage_cause(c, cause) :
			    CTL_EXIT_USAGE;
			goto out;
		}
		o->values = xrealloc(o->values, (o->n + 1) * sizeof *o->values);
		o->values[o->n++] = o->has_value ? optarg : NULL;
	}
	while (optind < argc)
		c->args[c->nargs++] = argv[optind++];
	if (c->nargs < spec->lower ||
	    (spec->upper != -1 && c->nargs > spec->upper)) {
		*ex = ctl_usage_line(c);
		goto out;
	}
	rc = 0;
out:
	free(lo);
	return rc;
}

void
ctl_args_free(struct ctl *c)
{
	size_t i;

	for (i = 0; i < c->nopts; i++) {
		free(c->opts[i].name);
		free(c->opts[i].values);
	}
	free(c->opts);
	free(c->args);
	c->opts = NULL;
	c->nopts = 0;
	c->args = NULL;
	c->nargs = 0;
}

/* The option name, which the command must have declared. */
static struct ctl_opt *
ctl_args_find(struct ctl *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nopts; i++)
		if (strcmp(c->opts[i].name, name) == 0)
			return &c->opts[i];
	fatal("%s: --%s is not in its table entry", c->cmd->name, name);
}

/* Was option name given? 0/1. */
int
ctl_flag(struct ctl *c, const char *name)
{
	return ctl_args_find(c, name)->n > 0;
}

/* The value name was given last (as getopt loops kept it), or NULL. */
const char *
ctl_value(struct ctl *c, const char *name)
{
	struct ctl_opt *o = ctl_args_find(c, name);

	return o->n > 0 ? o->values[o->n - 1] : NULL;
}

/* Every value name was given, in order: *n of them. */
const char *const *
ctl_values(struct ctl *c, const char *name, size_t *n)
{
	struct ctl_opt *o = ctl_args_find(c, name);

	*n = o->n;
	return o->values;
}
