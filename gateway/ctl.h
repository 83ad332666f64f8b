/*
 * ctl — what cungatectl's files share. ctl.c owns main, the command
 * table, option parsing and the config and store it opens on first use;
 * ctl_util.c owns output (errors, JSON, aligned lists), writes through
 * the store and the checks several commands make; ctl_people.c and
 * ctl_traffic.c hold the commands themselves.
 */
#ifndef CUNGATE_CTL_H
#define CUNGATE_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/util.h"

struct config;
struct option;
struct store;

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAIL = 1,
	CTL_EXIT_USAGE = 2
};

struct ctl_cmd;

/* One run of cungatectl: what main parsed, and what was opened since. */
struct ctl {
	const char		*conf_path;
	struct config		*cf;
	struct store		*st;
	const struct ctl_cmd	*cmd;
	char			**args;		/* positional ones */
	int			 nargs;
};

/* A command: an entry in ctl.c's table, run with argv[0] its name. */
struct ctl_cmd {
	const char	*name;		/* "township add" */
	const char	*usage;		/* what follows the name */
	const char	*about;		/* one line for `help` */
	enum ctl_exit	(*exec)(struct ctl *, int, char **);
};

/* The commands: ctl_people.c, ctl_traffic.c, ctl_grievance.c, help. */
enum ctl_exit	ctl_calls(struct ctl *, int, char **);
enum ctl_exit	ctl_township_add(struct ctl *, int, char **);
enum ctl_exit	ctl_township_list(struct ctl *, int, char **);
enum ctl_exit	ctl_village_add(struct ctl *, int, char **);
enum ctl_exit	ctl_village_list(struct ctl *, int, char **);
enum ctl_exit	ctl_resident_add(struct ctl *, int, char **);
enum ctl_exit	ctl_resident_list(struct ctl *, int, char **);
enum ctl_exit	ctl_resident_import(struct ctl *, int, char **);
enum ctl_exit	ctl_send(struct ctl *, int, char **);
enum ctl_exit	ctl_outbox(struct ctl *, int, char **);
enum ctl_exit	ctl_messages(struct ctl *, int, char **);
enum ctl_exit	ctl_simulate(struct ctl *, int, char **);
enum ctl_exit	ctl_tick(struct ctl *, int, char **);
enum ctl_exit	ctl_backup(struct ctl *, int, char **);
enum ctl_exit	ctl_restore(struct ctl *, int, char **);
enum ctl_exit	ctl_resident_remove(struct ctl *, int, char **);
enum ctl_exit	ctl_stats(struct ctl *, int, char **);
enum ctl_exit	ctl_help(struct ctl *, int, char **);
/* ctl_grievance.c */
enum ctl_exit	ctl_grievance_list(struct ctl *, int, char **);
enum ctl_exit	ctl_grievance_show(struct ctl *, int, char **);
enum ctl_exit	ctl_grievance_assign(struct ctl *, int, char **);
enum ctl_exit	ctl_grievance_close(struct ctl *, int, char **);
enum ctl_exit	ctl_grievance_export(struct ctl *, int, char **);
enum ctl_exit	ctl_grievance_stats(struct ctl *, int, char **);

/* ctl_elder.c */
enum ctl_exit	ctl_elder_add(struct ctl *, int, char **);
enum ctl_exit	ctl_elder_update(struct ctl *, int, char **);
enum ctl_exit	ctl_elder_remove(struct ctl *, int, char **);
enum ctl_exit	ctl_elder_list(struct ctl *, int, char **);
enum ctl_exit	ctl_elder_import(struct ctl *, int, char **);
enum ctl_exit	ctl_elder_village(struct ctl *, int, char **);
enum ctl_exit	ctl_checkin_today(struct ctl *, int, char **);
enum ctl_exit	ctl_checkin_history(struct ctl *, int, char **);
enum ctl_exit	ctl_checkin_stats(struct ctl *, int, char **);

/* ctl_event.c */
enum ctl_exit	ctl_event_add(struct ctl *, int, char **);
enum ctl_exit	ctl_event_list(struct ctl *, int, char **);
enum ctl_exit	ctl_event_show(struct ctl *, int, char **);
enum ctl_exit	ctl_event_export(struct ctl *, int, char **);
enum ctl_exit	ctl_notice_send(struct ctl *, int, char **);
enum ctl_exit	ctl_notice_list(struct ctl *, int, char **);

/* --- ctl.c: options, config and store --- */

#define CTL_OPT_HELP	'h'
#define CTL_OPT_BAD	'?'

/*
 * getopt_long over a command's arguments (argv[0] its name), collecting
 * positional ones into c->args; options may come anywhere, "--" ends
 * them. Returns the option's val, -1 at the end, CTL_OPT_HELP for
 * -h/--help, or CTL_OPT_BAD having printed what was wrong.
 */
int		ctl_getopt(struct ctl *, int, char **, const struct option *);
/* A command's default: case: -h prints its usage (0), else usage error. */
enum ctl_exit	ctl_opt_end(struct ctl *, int ch);
/*
 * Options of a command that takes --json and no arguments: 0 with *json
 * set, or -1 with *ex what the command returns (-h or a usage error).
 */
int		ctl_getopt_json(struct ctl *, int, char **, int *json,
		    enum ctl_exit *ex);
/* The config, loaded on first use; NULL having printed why not. */
struct config	*ctl_config(struct ctl *);
/* The store (and config), opened on first use; NULL having said why. */
struct store	*ctl_store(struct ctl *);

/* --- ctl_util.c: errors --- */

/* "cungatectl: …" on stderr. */
void		ctl_warnx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* A failure: one line on stderr, returns CTL_EXIT_FAIL. */
enum ctl_exit	ctl_fail(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* Print and free cause: returns CTL_EXIT_FAIL. */
enum ctl_exit	ctl_fail_cause(char *cause);
/* A usage error in the current command, one line: CTL_EXIT_USAGE. */
enum ctl_exit	ctl_usage_fail(struct ctl *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* A usage error from cause (freed): CTL_EXIT_USAGE. */
enum ctl_exit	ctl_usage_cause(struct ctl *, char *cause);
/* Wrong arguments: the command's usage as the one line, CTL_EXIT_USAGE. */
enum ctl_exit	ctl_usage_line(struct ctl *);

/* --- ctl_util.c: writes --- */

/* Begin a write transaction: 0, or -1 having said the database is busy. */
int		ctl_begin(struct ctl *);
/* Audit a change (actor and channel "cli") in the open transaction. 0/-1. */
int		ctl_audit(struct ctl *, const char *action, const char *object,
		    const char *detail);
/*
 * Audit the change and commit: CTL_EXIT_OK, or CTL_EXIT_FAIL having
 * printed "what: <store error>" and rolled back.
 */
enum ctl_exit	ctl_commit(struct ctl *, const char *action,
		    const char *object, const char *detail, const char *what);
/* A failed write: print "what: <store error>", roll back; CTL_EXIT_FAIL. */
enum ctl_exit	ctl_store_fail(struct ctl *, const char *what);
/* A refused write: roll back, print and free cause; CTL_EXIT_FAIL. */
enum ctl_exit	ctl_rollback_cause(struct ctl *, char *cause);

/* --- ctl_util.c: checking what operators type --- */

/* Is s well-formed UTF-8 (no overlongs, surrogates)? 0/1. */
int		ctl_utf8_is_valid(const char *s);
/* Does s hold a control character (C0 or DEL)? 0/1. */
int		ctl_has_control(const char *s);
/* A mobile number to E.164 in out (PHONE_MAX). 0, or -1 with *cause. */
int		ctl_parse_phone(const struct config *, const char *in,
		    char *out, char **cause);
/*
 * A sender as the inbox stores it, into out (PHONE_MAX): a phone number
 * normalised, a short code or alphanumeric sender as given. 0, or -1
 * with *cause.
 */
int		ctl_parse_sender(const struct config *, const char *in,
		    char *out, char **cause);
/*
 * A township or village code (what names "what" in the message): 1 to 32
 * ASCII letters, digits, '-' or '_'. 0, or -1 with *cause.
 */
int		ctl_check_code(const char *what, const char *s, char **cause);
/*
 * A name: UTF-8, no control characters, at most 128 bytes, and not empty
 * unless empty_ok. 0, or -1 with *cause.
 */
int		ctl_check_name(const char *what, const char *s, int empty_ok,
		    char **cause);

/* --- ctl_util.c: JSON objects --- */

/* A JSON object built key by key; start it zeroed. */
struct ctl_obj {
	struct buf	 b;
	int		 n;
};
/* Add member key with an integer value. */
void		ctl_obj_int(struct ctl_obj *, const char *key, int64_t v);
/* Add member key with a string value (NULL: null). */
void		ctl_obj_str(struct ctl_obj *, const char *key, const char *);
/* s as a JSON string onto b (escaped; bad UTF-8 as U+FFFD). */
void		ctl_json_str(struct buf *, const char *s);
/* Erase the person with phone on request; what: the command's name. */
enum ctl_exit	ctl_forget(struct ctl *, const char *phone, const char *what);
/* Add member key whose value is JSON text json, which is freed. */
void		ctl_obj_json(struct ctl_obj *, const char *key, char *json);
/* The object's text (caller frees); the object is reset for reuse. */
char		*ctl_obj_take(struct ctl_obj *);

/* --- ctl_util.c: lists, as aligned columns or a JSON array --- */

/*
 * A list collects rows, then prints them: with json, one object per row;
 * else a table whose headers are the keys of the cells added, upper case.
 * Each row adds the same fields in the same order.
 */
struct ctl_list {
	int		 json;
	const char	*tz;
	/* Table. */
	char		**heads;
	size_t		 ncols;
	char		**cells;
	size_t		 ncells;
	size_t		 cellcap;
	size_t		 col;
	int		 inrow;
	/* JSON. */
	struct ctl_obj	 obj;
	struct buf	 out;
	size_t		 nrows;
};

/* Start an empty list; times are shown in time zone tz. */
void		ctl_list_init(struct ctl_list *, int json, const char *tz);
/* Start a row. */
void		ctl_list_row(struct ctl_list *);
/*
 * Add a field to the row: text (copied) for the table, NULL to leave it
 * out of the table; json (JSON text) for the object, NULL to leave it out.
 */
void		ctl_list_field(struct ctl_list *, const char *key,
		    const char *text, const char *json);
/* A string field; NULL is null in JSON and empty in the table. */
void		ctl_list_str(struct ctl_list *, const char *key, const char *);
/* A string field that is null in JSON when empty. */
void		ctl_list_opt(struct ctl_list *, const char *key, const char *);
/* A comma-separated list: as it is in the table, an array in JSON. */
void		ctl_list_strs(struct ctl_list *, const char *key,
		    const char *csv);
/* An integer field. */
void		ctl_list_int(struct ctl_list *, const char *key, int64_t);
/* A flag: true/false in JSON, "yes" or nothing in the table. */
void		ctl_list_bool(struct ctl_list *, const char *key, int);
/* A time as local "YYYY-MM-DD HH:MM:SS"; 0 is null / empty. */
void		ctl_list_time(struct ctl_list *, const char *key, time_t);
/* Free the list without printing it. */
void		ctl_list_free(struct ctl_list *);
/* A json list's array as text (caller frees); the list is freed. */
char		*ctl_list_take_json(struct ctl_list *);
/* Print the list to stdout and free it. */
void		ctl_list_print(struct ctl_list *);
/*
 * Print the list a store call filled, then report how the call went (rc
 * its return): CTL_EXIT_OK, or CTL_EXIT_FAIL having printed
 * "what: <store error>".
 */
enum ctl_exit	ctl_list_finish(struct ctl *, struct ctl_list *, int rc,
		    const char *what);

#endif
