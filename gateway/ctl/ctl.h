/*
 * ctl — what cungatectl's files share. ctl.c owns main and the table of
 * commands; args.c reads a command's options and arguments as its table
 * entry declares them; list.c writes what the commands print (aligned
 * columns, JSON, CSV); util.c owns errors, writes through the store and
 * the checks several commands make. The commands live, one table entry
 * each, in people.c, traffic.c, grievance.c, elder.c, event.c, report.c
 * and user.c.
 */
#ifndef CUNGATE_CTL_H
#define CUNGATE_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gateway/util.h"

struct config;
struct ctl_opt;
struct store;
struct template;

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
	struct ctl_opt		*opts;		/* args.c: the options given */
	size_t			 nopts;
};

/*
 * Checks one option of a command as it is read (value NULL for one that
 * takes none): 0, or -1 with *cause (freed by the caller) the usage
 * error to print, or with *cause NULL to fail saying nothing.
 */
typedef int (*ctl_check_cb)(struct ctl *, const char *opt,
    const char *value, char **cause);

/*
 * What a command takes, as in a tmux command's entry: its long options,
 * separated by spaces, ':' after each that takes a value ("village:
 * json"); from lower to upper positional arguments (upper -1: any
 * number); and check, or NULL.
 */
struct ctl_args_spec {
	const char	*opts;
	int		 lower;
	int		 upper;
	ctl_check_cb	 check;
};

/* A command: an entry in ctl.c's table, defined after its exec function. */
struct ctl_cmd {
	const char		*name;	/* "township add" */
	const char		*usage;	/* what follows the name */
	const char		*about;	/* one line for `help` */
	struct ctl_args_spec	 args;
	enum ctl_exit		(*exec)(struct ctl *);
};

/* people.c */
extern const struct ctl_cmd ctl_cmd_township_add;
extern const struct ctl_cmd ctl_cmd_township_list;
extern const struct ctl_cmd ctl_cmd_village_add;
extern const struct ctl_cmd ctl_cmd_village_list;
extern const struct ctl_cmd ctl_cmd_resident_add;
extern const struct ctl_cmd ctl_cmd_resident_list;
extern const struct ctl_cmd ctl_cmd_resident_remove;
extern const struct ctl_cmd ctl_cmd_resident_import;
/* traffic.c */
extern const struct ctl_cmd ctl_cmd_send;
extern const struct ctl_cmd ctl_cmd_outbox;
extern const struct ctl_cmd ctl_cmd_messages;
extern const struct ctl_cmd ctl_cmd_calls;
extern const struct ctl_cmd ctl_cmd_simulate;
extern const struct ctl_cmd ctl_cmd_tick;
extern const struct ctl_cmd ctl_cmd_backup;
extern const struct ctl_cmd ctl_cmd_restore;
extern const struct ctl_cmd ctl_cmd_stats;
/* grievance.c */
extern const struct ctl_cmd ctl_cmd_grievance_list;
extern const struct ctl_cmd ctl_cmd_grievance_show;
extern const struct ctl_cmd ctl_cmd_grievance_assign;
extern const struct ctl_cmd ctl_cmd_grievance_close;
extern const struct ctl_cmd ctl_cmd_grievance_export;
extern const struct ctl_cmd ctl_cmd_grievance_stats;
/* elder.c */
extern const struct ctl_cmd ctl_cmd_elder_add;
extern const struct ctl_cmd ctl_cmd_elder_update;
extern const struct ctl_cmd ctl_cmd_elder_list;
extern const struct ctl_cmd ctl_cmd_elder_remove;
extern const struct ctl_cmd ctl_cmd_elder_import;
extern const struct ctl_cmd ctl_cmd_elder_village;
extern const struct ctl_cmd ctl_cmd_checkin_today;
extern const struct ctl_cmd ctl_cmd_checkin_history;
extern const struct ctl_cmd ctl_cmd_checkin_stats;
/* report.c */
extern const struct ctl_cmd ctl_cmd_report;
/* event.c */
extern const struct ctl_cmd ctl_cmd_event_add;
extern const struct ctl_cmd ctl_cmd_event_list;
extern const struct ctl_cmd ctl_cmd_event_show;
extern const struct ctl_cmd ctl_cmd_event_export;
extern const struct ctl_cmd ctl_cmd_notice_send;
extern const struct ctl_cmd ctl_cmd_notice_list;
/* user.c */
extern const struct ctl_cmd ctl_cmd_user_add;
extern const struct ctl_cmd ctl_cmd_user_passwd;
extern const struct ctl_cmd ctl_cmd_user_remove;
extern const struct ctl_cmd ctl_cmd_user_list;

/* --- ctl.c: config and store --- */

/* The config, loaded on first use; NULL having printed why not. */
struct config	*ctl_config(struct ctl *);
/* The store (and config), opened on first use; NULL having said why. */
struct store	*ctl_store(struct ctl *);

/* --- args.c: a command's options and arguments --- */

/*
 * Read a command's arguments (argv[0] its name) as c->cmd's args spec
 * says: the positional ones into c->args, the options for ctl_flag,
 * ctl_value and ctl_values. 0 to run the command; or -1 with *ex the
 * exit status, having printed the usage (-h, --help) or a usage error.
 */
int		ctl_args_parse(struct ctl *, int argc, char **argv,
		    enum ctl_exit *ex);
/* Free what ctl_args_parse kept; the options read nothing after. */
void		ctl_args_free(struct ctl *);
/* Was option name (declared by the command) given? 0/1. */
int		ctl_flag(struct ctl *, const char *name);
/* The value option name was last given, or NULL when it was not. */
const char	*ctl_value(struct ctl *, const char *name);
/* Every value option name was given, in order: *n of them. */
const char *const *ctl_values(struct ctl *, const char *name, size_t *n);

/* --- util.c: errors --- */

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

/* --- util.c: writes --- */

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
/* Erase the person with phone on request; what: the command's name. */
enum ctl_exit	ctl_forget(struct ctl *, const char *phone, const char *what);
/* The reply templates, for a command that sends; NULL having said why. */
struct template	*ctl_templates(struct ctl *);

/* --- util.c: checking what operators type --- */

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

/* --- list.c: UTF-8 and JSON text --- */

/* Is s well-formed UTF-8 (no overlongs, surrogates)? 0/1. */
int		ctl_utf8_is_valid(const char *s);
/* s as a JSON string onto b (escaped; bad UTF-8 as U+FFFD). */
void		ctl_json_str(struct buf *, const char *s);

/* A JSON object built key by key; start it zeroed. */
struct ctl_obj {
	struct buf	 b;
	int		 n;
};
/* Add member key with an integer value. */
void		ctl_obj_int(struct ctl_obj *, const char *key, int64_t v);
/* Add member key with a string value (NULL: null). */
void		ctl_obj_str(struct ctl_obj *, const char *key, const char *);
/* Add member key whose value is JSON text json, which is freed. */
void		ctl_obj_json(struct ctl_obj *, const char *key, char *json);
/* The object's text (caller frees); the object is reset for reuse. */
char		*ctl_obj_take(struct ctl_obj *);

/* --- list.c: the row writer, for every list a command prints --- */

enum ctl_list_format {
	CTL_LIST_TEXT,		/* aligned columns, headers from the keys */
	CTL_LIST_JSON,		/* an array of objects */
	CTL_LIST_CSV		/* RFC 4180, a header line first */
};

/*
 * A list collects rows, then prints them. A row is its fields, added
 * with ctl_list_str and the others below in the same order each row;
 * one row function serves every format. A field the table leaves out
 * (text NULL) is left out of CSV too.
 */
struct ctl_list {
	enum ctl_list_format	 format;
	const char		*tz;
	size_t			 nrows;
	int			 inrow;
	/* Text. */
	char			**heads;
	size_t			 ncols;
	char			**cells;
	size_t			 ncells;
	size_t			 cellcap;
	size_t			 col;
	/* JSON, CSV. */
	struct ctl_obj		 obj;
	struct buf		 out;
	const char		*csv_cols;	/* the header; the next key */
	const char		*csv_next;
};

/*
 * Start an empty list for c's command: JSON when it was given --json
 * (which it must declare), else a table; times in the config's zone.
 */
void		ctl_list_init(struct ctl_list *, struct ctl *);
/*
 * Start an empty CSV list with header cols ("code,title"), which are
 * the keys each row adds, in that order.
 */
void		ctl_list_init_csv(struct ctl_list *, struct ctl *,
		    const char *cols);
/* Start a row. */
void		ctl_list_row(struct ctl_list *);
/*
 * Add a field to the row: text (copied) for the table and CSV, NULL to
 * leave it out of them; json (JSON text) for the object, NULL to leave
 * it out.
 */
void		ctl_list_field(struct ctl_list *, const char *key,
		    const char *text, const char *json);
/* A string field; NULL is null in JSON and empty elsewhere. */
void		ctl_list_str(struct ctl_list *, const char *key, const char *);
/* A string field that is null in JSON when empty. */
void		ctl_list_opt(struct ctl_list *, const char *key, const char *);
/* A comma-separated list: as it is in the table, an array in JSON. */
void		ctl_list_strs(struct ctl_list *, const char *key,
		    const char *csv);
/* An integer field. */
void		ctl_list_int(struct ctl_list *, const char *key, int64_t);
/* No value: null in JSON, empty elsewhere. */
void		ctl_list_null(struct ctl_list *, const char *key);
/* A flag: true/false in JSON, yes/no in CSV, "yes" or nothing in a table. */
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
 * Print a list of one row that has a list of its own, sub (a ticket's
 * history): in JSON one object, with sub's array as member key; else
 * the row's table, a blank line and sub's table. Both are freed.
 */
void		ctl_list_print_with(struct ctl_list *, const char *key,
		    struct ctl_list *sub);
/*
 * Print the list a store call filled, then report how the call went (rc
 * its return): CTL_EXIT_OK, or CTL_EXIT_FAIL having printed
 * "what: <store error>".
 */
enum ctl_exit	ctl_list_finish(struct ctl *, struct ctl_list *, int rc,
		    const char *what);

/*
 * An option check (struct ctl_args) for --limit N and --days N: a number
 * from 1 to CTL_MAX_LIMIT; other options pass.
 */
#define CTL_MAX_LIMIT		100000
int	 ctl_count_check(struct ctl *, const char *opt, const char *value,
	    char **cause);

#endif
