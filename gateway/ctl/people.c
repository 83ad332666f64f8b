/*
 * people — cungatectl's commands about who is reached: townships (and
 * their supervisors), villages, and residents, added one by one or
 * imported from a spreadsheet's CSV. Each is an entry in ctl.c's table;
 * what they share with the other commands is in util.c and list.c.
 */
#include <ctype.h>
#include <errno.h>
#include <search.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/config.h"
#include "gateway/csv.h"
#include "gateway/ctl/ctl.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

#define CTL_CATEGORIES_MAX	256
#define CTL_IMPORT_MAX		(64 * 1024 * 1024)

/* --- checking what operators type --- */

/* ASCII whitespace off both ends of s, in place. */
static char *
ctl_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * Roles from s, names separated by commas, semicolons or spaces, added
 * to *roles: resident, cadre (a resident too), elderly. 0, or -1 with
 * *cause naming the unknown role.
 */
static int
ctl_parse_roles(const char *s, unsigned *roles, char **cause)
{
	char *copy, *word, *next;
	int rc = 0;

	copy = xstrdup(s);
	for (next = copy; (word = strsep(&next, ",; \t")) != NULL;) {
		if (*word == '\0')
			continue;
		if (strcasecmp(word, "resident") == 0)
			*roles |= ROLE_RESIDENT;
		else if (strcasecmp(word, "cadre") == 0)
			*roles |= ROLE_CADRE | ROLE_RESIDENT;
		else if (strcasecmp(word, "elderly") == 0)
			*roles |= ROLE_ELDERLY;
		else {
			*cause = xasprintf("unknown role \"%s\" (resident, "
			    "cadre or elderly)", word);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

/* "resident,cadre" for roles, into buf (32 bytes). */
static const char *
ctl_roles_string(unsigned roles, char *buf)
{
	buf[0] = '\0';
	if (roles & ROLE_RESIDENT)
		strcat(buf, "resident,");
	if (roles & ROLE_CADRE)
		strcat(buf, "cadre,");
	if (roles & ROLE_ELDERLY)
		strcat(buf, "elderly,");
	if (buf[0] != '\0')
		buf[strlen(buf) - 1] = '\0';
	return buf;
}

/*
 * Categories as the store keeps them, "水,电": items split on ',', '，'
 * or '、', trimmed, empty ones dropped. Into out (257 bytes). 0, or -1
 * with *cause.
 */
static int
ctl_parse_categories(const char *s, char *out, char **cause)
{
	struct buf b;
	char *copy, *p, *item;
	int rc = 0;

	if (!ctl_utf8_is_valid(s) || ctl_has_control(s)) {
		*cause = xasprintf("categories \"%s\": not UTF-8 text", s);
		return -1;
	}
	copy = xstrdup(s);
	/* Full-width separators become ASCII commas (same length: pad). */
	while ((p = strstr(copy, "，")) != NULL || (p = strstr(copy, "、")))
		memcpy(p, ",  ", 3);
	memset(&b, 0, sizeof b);
	for (p = copy; (item = strsep(&p, ",")) != NULL;) {
		item = ctl_trim(item);
		if (*item == '\0')
			continue;
		if (b.len > 0)
			buf_adds(&b, ",");
		buf_adds(&b, item);
	}
	free(copy);
	if (b.len > CTL_CATEGORIES_MAX) {
		*cause = xasprintf("categories \"%s\" are longer than %d bytes",
		    s, CTL_CATEGORIES_MAX);
		rc = -1;
	} else
		snprintf(out, CTL_CATEGORIES_MAX + 1, "%s",
		    b.data != NULL ? b.data : "");
	buf_free(&b);
	return rc;
}

/* --- township --- */

static enum ctl_exit
ctl_township_add(struct ctl *c)
{
	char (*phones)[PHONE_MAX] = NULL, *cause = NULL;
	const char *const *raw;
	struct buf detail;
	enum ctl_exit rc;
	size_t nraw, n = 0, i, j;

	if (ctl_check_code("township", c->args[0], &cause) == -1 ||
	    ctl_check_name("township name", c->args[1], 0, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	rc = CTL_EXIT_FAIL;
	memset(&detail, 0, sizeof detail);
	raw = ctl_values(c, "supervisor", &nraw);
	phones = xcalloc(nraw + 1, sizeof *phones);
	for (i = 0; i < nraw; i++) {
		if (ctl_parse_phone(c->cf, raw[i], phones[n], &cause) == -1) {
			rc = ctl_usage_cause(c, cause);
			goto out;
		}
		for (j = 0; j < n; j++)
			if (strcmp(phones[j], phones[n]) == 0)
				break;
		if (j == n)
			n++;	/* the same supervisor twice is once */
	}

	if (ctl_begin(c) == -1)
		goto out;
	if (store_township_add(c->st, c->args[0], c->args[1], now_real(),
	    &cause) == -1)
		goto refused;
	buf_adds(&detail, c->args[1]);
	for (i = 0; i < n; i++) {
		if (store_township_add_supervisor(c->st, c->args[0],
		    phones[i], &cause) == -1)
			goto refused;
		buf_printf(&detail, "%s%s", i == 0 ? "; supervisors " : ",",
		    phones[i]);
	}
	rc = ctl_commit(c, "township.add", c->args[0], detail.data,
	    "township add");
	if (rc == CTL_EXIT_OK)
		printf("added township %s %s with %zu supervisor%s\n",
		    c->args[0], c->args[1], n, n == 1 ? "" : "s");
	goto out;

refused:
	rc = ctl_rollback_cause(c, cause);
out:
	buf_free(&detail);
	free(phones);
	return rc;
}

const struct ctl_cmd ctl_cmd_township_add = {
	.name = "township add",
	.usage = "CODE NAME [--supervisor PHONE]...",
	.about = "add a township and its supervisors",
	.args = { "supervisor:", 2, 2, NULL },
	.exec = ctl_township_add
};

static void
ctl_township_collect(const struct store_township *t, void *arg)
{
	struct buf *b = arg;

	buf_add(b, t, sizeof *t);
}

static void
ctl_township_supervisor(const char *phone, void *arg)
{
	struct buf *b = arg;

	if (b->len > 0)
		buf_adds(b, ",");
	buf_adds(b, phone);
}

static enum ctl_exit
ctl_township_list(struct ctl *c)
{
	struct store_township *t;
	struct ctl_list l;
	struct buf all, sup;
	size_t i, n;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	/* Collect first: the supervisors come from another statement. */
	memset(&all, 0, sizeof all);
	if (store_township_list(c->st, ctl_township_collect, &all) == -1) {
		buf_free(&all);
		return ctl_fail("township list: %s", store_error(c->st));
	}
	t = (struct store_township *)all.data;
	n = all.len / sizeof *t;
	ctl_list_init(&l, c);
	for (i = 0; i < n; i++) {
		memset(&sup, 0, sizeof sup);
		if (store_township_supervisors(c->st, t[i].code,
		    ctl_township_supervisor, &sup) == -1) {
			buf_free(&sup);
			buf_free(&all);
			ctl_list_free(&l);
			return ctl_fail("township %s: %s", t[i].code,
			    store_error(c->st));
		}
		ctl_list_row(&l);
		ctl_list_str(&l, "code", t[i].code);
		ctl_list_str(&l, "name", t[i].name);
		ctl_list_int(&l, "villages", t[i].villages);
		ctl_list_strs(&l, "supervisors",
		    sup.data != NULL ? sup.data : "");
		buf_free(&sup);
	}
	buf_free(&all);
	ctl_list_print(&l);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_township_list = {
	.name = "township list",
	.usage = "[--json]",
	.about = "list townships",
	.args = { "json", 0, 0, NULL },
	.exec = ctl_township_list
};

/* --- village --- */

static enum ctl_exit
ctl_village_add(struct ctl *c)
{
	const char *township = ctl_value(c, "township");
	char *cause = NULL;

	if (ctl_check_code("village", c->args[0], &cause) == -1 ||
	    ctl_check_name("village name", c->args[1], 0, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	if (store_village_add(c->st, c->args[0], c->args[1], township,
	    now_real(), &cause) == -1)
		return ctl_rollback_cause(c, cause);
	if (ctl_commit(c, "village.add", c->args[0], c->args[1],
	    "village add") != CTL_EXIT_OK)
		return CTL_EXIT_FAIL;
	printf("added village %s %s%s%s\n", c->args[0], c->args[1],
	    township != NULL ? " in township " : "",
	    township != NULL ? township : "");
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_village_add = {
	.name = "village add",
	.usage = "CODE NAME [--township CODE]",
	.about = "add a village (CODE is what villagers text to register)",
	.args = { "township:", 2, 2, NULL },
	.exec = ctl_village_add
};

static void
ctl_village_row(const struct store_village *v, int residents, void *arg)
{
	struct ctl_list *l = arg;

	ctl_list_row(l);
	ctl_list_str(l, "code", v->code);
	ctl_list_str(l, "name", v->name);
	ctl_list_opt(l, "township", v->township);
	ctl_list_int(l, "residents", residents);
}

static enum ctl_exit
ctl_village_list(struct ctl *c)
{
	struct ctl_list l;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	ctl_list_init(&l, c);
	rc = store_village_list(c->st, ctl_village_row, &l);
	return ctl_list_finish(c, &l, rc, "village list");
}

const struct ctl_cmd ctl_cmd_village_list = {
	.name = "village list",
	.usage = "[--json]",
	.about = "list villages with resident counts",
	.args = { "json", 0, 0, NULL },
	.exec = ctl_village_list
};

/* --- residents --- */

/* resident add's --role, as it is read: known roles only. */
static int
ctl_resident_check(struct ctl *c, const char *opt, const char *value,
    char **cause)
{
	unsigned roles = 0;

	(void)c;
	if (strcmp(opt, "role") == 0)
		return ctl_parse_roles(value, &roles, cause);
	return 0;
}

static enum ctl_exit
ctl_resident_add(struct ctl *c)
{
	struct store_village v;
	struct store_person old;
	const char *village = ctl_value(c, "village");
	const char *categories = ctl_value(c, "categories");
	const char *const *given;
	char phone[PHONE_MAX], cats[CTL_CATEGORIES_MAX + 1], rs[32];
	char *cause = NULL, *detail;
	enum ctl_exit ex;
	unsigned roles = 0;
	size_t ngiven, i;
	int rc, found;

	given = ctl_values(c, "role", &ngiven);
	for (i = 0; i < ngiven; i++)
		if (ctl_parse_roles(given[i], &roles, &cause) == -1)
			return ctl_usage_cause(c, cause);
	if (village == NULL)
		return ctl_usage_line(c);
	if (ctl_check_name("name", c->args[1], 1, &cause) == -1 ||
	    (categories != NULL &&
	    ctl_parse_categories(categories, cats, &cause) == -1))
		return ctl_usage_cause(c, cause);
	if (ctl_config(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	if (ctl_begin(c) == -1)
		return CTL_EXIT_FAIL;
	switch (store_village_find(c->st, village, &v)) {
	case -1:
		return ctl_store_fail(c, "resident add");
	case 0:
		return ctl_rollback_cause(c, xasprintf("no village %s",
		    village));
	}
	/*
	 * Updating someone: what was not given is kept, so moving a cadre
	 * to another village does not make them a plain resident.
	 */
	if ((found = store_person_find(c->st, phone, &old)) == -1)
		return ctl_store_fail(c, "resident add");
	if (roles == 0 && found)
		roles = old.roles;
	if (roles == 0)
		roles = ROLE_RESIDENT;
	if (categories == NULL)
		snprintf(cats, sizeof cats, "%s", found ? old.categories : "");
	rc = store_person_put(c->st, phone, c->args[1], v.code, roles, cats,
	    now_real(), &cause);
	if (rc == -1)
		return ctl_rollback_cause(c, cause);
	ctl_roles_string(roles, rs);
	detail = xasprintf("%s; village %s; %s%s%s", c->args[1], v.code, rs,
	    cats[0] != '\0' ? "; categories " : "", cats);
	ex = ctl_commit(c, rc == 1 ? "resident.add" : "resident.update",
	    phone, detail, "resident add");
	free(detail);
	if (ex != CTL_EXIT_OK)
		return ex;
	printf("%s %s %s in village %s (%s)\n", rc == 1 ? "added" : "updated",
	    phone, c->args[1], v.code, rs);
	return CTL_EXIT_OK;
}

const struct ctl_cmd ctl_cmd_resident_add = {
	.name = "resident add",
	.usage = "PHONE NAME --village CODE "
	    "[--role resident|cadre|elderly]... [--categories 水,电]",
	.about = "add a person, or update the one with that phone (keeping\n"
	    "\t\t\ttheir roles and categories unless given)",
	.args = { "village: role: categories:", 2, 2, ctl_resident_check },
	.exec = ctl_resident_add
};

static void
ctl_person_row(const struct store_person *p, void *arg)
{
	struct ctl_list *l = arg;
	char rs[32];

	ctl_list_row(l);
	ctl_list_str(l, "phone", p->phone);
	ctl_list_str(l, "name", p->name);
	ctl_list_opt(l, "village", p->village);
	if (l->format == CTL_LIST_JSON)
		ctl_list_opt(l, "village_name", p->village_name);
	ctl_list_strs(l, "roles", ctl_roles_string(p->roles, rs));
	ctl_list_strs(l, "categories", p->categories);
	ctl_list_bool(l, "opted_out", p->opted_out);
}

static enum ctl_exit
ctl_resident_list(struct ctl *c)
{
	struct store_village v;
	struct ctl_list l;
	const char *village = ctl_value(c, "village");
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (village != NULL) {
		switch (store_village_find(c->st, village, &v)) {
		case -1:
			return ctl_fail("village %s: %s", village,
			    store_error(c->st));
		case 0:
			return ctl_fail("no village %s", village);
		}
		village = v.code;
	}
	ctl_list_init(&l, c);
	rc = store_person_list(c->st, village, ctl_person_row, &l);
	return ctl_list_finish(c, &l, rc, "resident list");
}

const struct ctl_cmd ctl_cmd_resident_list = {
	.name = "resident list",
	.usage = "[--village CODE] [--json]",
	.about = "list people",
	.args = { "village: json", 0, 0, NULL },
	.exec = ctl_resident_list
};

/* The whole of path ("-" is stdin) into *data. 0, or -1 with *cause. */
static int
ctl_read_file(const char *path, struct buf *data, char **cause)
{
	char chunk[65536];
	FILE *f;
	size_t n;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (data->len + n > CTL_IMPORT_MAX) {
			*cause = xasprintf("%s: larger than %d MB", path,
			    CTL_IMPORT_MAX / (1024 * 1024));
			goto fail;
		}
		buf_add(data, chunk, n);
	}
	if (ferror(f)) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	return 0;
fail:
	if (f != stdin)
		fclose(f);
	return -1;
}

enum ctl_column {
	CTL_COL_PHONE,
	CTL_COL_NAME,
	CTL_COL_VILLAGE,
	CTL_COL_ROLE,
	CTL_COL_CATEGORIES,
	CTL_NCOLUMNS
};
static const char *const ctl_column_names[CTL_NCOLUMNS] = {
	"phone", "name", "village", "role", "categories"
};

/*
 * Map the header's columns: col[CTL_COL_X] is the index of column X in a
 * row, or -1 when the file has none. 0, or -1 with *cause.
 */
static int
ctl_import_header(const struct csv_row *row, int *col, char **cause)
{
	size_t i;
	char *name;
	int k;

	for (k = 0; k < CTL_NCOLUMNS; k++)
		col[k] = -1;
	for (i = 0; i < row->nfields; i++) {
		name = ctl_trim(row->fields[i]);
		for (k = 0; k < CTL_NCOLUMNS; k++)
			if (strcasecmp(name, ctl_column_names[k]) == 0)
				break;
		if (k == CTL_NCOLUMNS) {
			*cause = xasprintf("header: unknown column \"%s\" "
			    "(expected phone,name,village and optionally "
			    "role,categories)", name);
			return -1;
		}
		if (col[k] != -1) {
			*cause = xasprintf("header: column \"%s\" twice", name);
			return -1;
		}
		col[k] = (int)i;
	}
	for (k = CTL_COL_PHONE; k <= CTL_COL_VILLAGE; k++) {
		if (col[k] == -1) {
			*cause = xasprintf("header: no \"%s\" column (expected "
			    "phone,name,village[,role][,categories])",
			    ctl_column_names[k]);
			return -1;
		}
	}
	return 0;
}

struct ctl_import {
	struct ctl		*c;
	const char		*path;
	int			 col[CTL_NCOLUMNS];
	size_t			 ncols;
	struct hsearch_data	 seen;		/* phone -> line */
	char			**keys;		/* seen's keys */
	size_t			 nkeys;
	int			 imported;
	int			 updated;
	int			 rejected;
};

/* The field of column k in row, trimmed; "" when the file has none. */
static char *
ctl_import_field(struct ctl_import *im, struct csv_row *row, int k)
{
	if (im->col[k] == -1)
		return (char *)"";
	return ctl_trim(row->fields[im->col[k]]);
}

/* Is the row empty (a blank line, or a spreadsheet's ",,,")? 0/1. */
static int
ctl_import_is_blank(struct csv_row *row)
{
	size_t i;

	for (i = 0; i < row->nfields; i++)
		if (*ctl_trim(row->fields[i]) != '\0')
			return 0;
	return 1;
}

/* One data row: put the person, or fill *cause. 1 added, 0 updated, -1. */
static int
ctl_import_row(struct ctl_import *im, struct csv_row *row, char **cause)
{
	const struct config *cf = im->c->cf;
	struct store_person old;
	char phone[PHONE_MAX], cats[CTL_CATEGORIES_MAX + 1];
	char *name, *village;
	unsigned roles = 0;
	size_t i;
	ENTRY e, *found;

	if (row->nfields != im->ncols) {
		*cause = xasprintf("expected %zu fields, found %zu", im->ncols,
		    row->nfields);
		return -1;
	}
	for (i = 0; i < row->nfields; i++) {
		if (!ctl_utf8_is_valid(row->fields[i])) {
			*cause = xstrdup("not UTF-8 (save the file as "
			    "\"CSV UTF-8\")");
			return -1;
		}
	}
	if (ctl_parse_phone(cf, ctl_import_field(im, row, CTL_COL_PHONE),
	    phone, cause) == -1)
		return -1;
	name = ctl_import_field(im, row, CTL_COL_NAME);
	if (ctl_check_name("name", name, 1, cause) == -1)
		return -1;
	village = ctl_import_field(im, row, CTL_COL_VILLAGE);
	if (*village == '\0') {
		*cause = xstrdup("no village");
		return -1;
	}
	if (ctl_parse_roles(ctl_import_field(im, row, CTL_COL_ROLE), &roles,
	    cause) == -1 ||
	    ctl_parse_categories(ctl_import_field(im, row,
	    CTL_COL_CATEGORIES), cats, cause) == -1)
		return -1;
	if (roles == 0)
		roles = ROLE_RESIDENT;
	/* A file without a categories column leaves them as they are. */
	if (im->col[CTL_COL_CATEGORIES] == -1) {
		switch (store_person_find(im->c->st, phone, &old)) {
		case -1:
			*cause = xasprintf("%s: %s", phone,
			    store_error(im->c->st));
			return -1;
		case 1:
			snprintf(cats, sizeof cats, "%s", old.categories);
			break;
		}
	}

	/* The same phone twice in a file: say so; the later row wins. */
	e.key = phone;
	e.data = (void *)(intptr_t)row->line;
	if (hsearch_r(e, FIND, &found, &im->seen) != 0 && found != NULL)
		fprintf(stderr, "%s:%d: warning: %s is also on line %d; "
		    "this row replaces it\n", im->path, row->line, phone,
		    (int)(intptr_t)found->data);
	else {
		e.key = im->keys[im->nkeys++] = xstrdup(phone);
		if (hsearch_r(e, ENTER, &found, &im->seen) == 0)
			fatal("import: hash table full");
	}
	return store_person_put(im->c->st, phone, name, village, roles, cats,
	    now_real(), cause);
}

static enum ctl_exit
ctl_resident_import(struct ctl *c)
{
	struct ctl_import im;
	struct csv_row row;
	struct csv *csv = NULL;
	struct buf data;
	enum ctl_exit ex = CTL_EXIT_FAIL;
	size_t lines, i;
	char *cause = NULL, *detail;
	int rc;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;

	memset(&im, 0, sizeof im);
	memset(&row, 0, sizeof row);
	memset(&data, 0, sizeof data);
	im.c = c;
	im.path = strcmp(c->args[0], "-") == 0 ? "<stdin>" : c->args[0];
	if (ctl_read_file(c->args[0], &data, &cause) == -1)
		return ctl_fail_cause(cause);
	csv = csv_new(data.data != NULL ? data.data : "", data.len);

	switch (csv_read(csv, &row, &cause)) {
	case -1:
		ex = ctl_fail("%s:%d: %s", im.path, row.line, cause);
		free(cause);
		goto out;
	case 0:
		ex = ctl_fail("%s: empty file: expected a header "
		    "phone,name,village[,role][,categories]", im.path);
		goto out;
	}
	if (ctl_import_header(&row, im.col, &cause) == -1) {
		ex = ctl_fail("%s:%d: %s", im.path, row.line, cause);
		free(cause);
		goto out;
	}
	im.ncols = row.nfields;

	/* Every record takes at least one line: a bound for the table. */
	for (lines = 1, i = 0; i < data.len; i++)
		lines += data.data[i] == '\n';
	if (hcreate_r(lines * 2 + 16, &im.seen) == 0)
		fatal("import: hcreate: %s", strerror(errno));
	im.keys = xcalloc(lines + 1, sizeof *im.keys);

	if (ctl_begin(c) == -1)
		goto out;
	while ((rc = csv_read(csv, &row, &cause)) != 0) {
		if (rc == 1 && ctl_import_is_blank(&row))
			continue;
		if (rc == 1)
			rc = ctl_import_row(&im, &row, &cause);
		switch (rc) {
		case -1:
			fprintf(stderr, "%s:%d: %s\n", im.path, row.line,
			    cause);
			free(cause);
			cause = NULL;
			im.rejected++;
			break;
		case 0:
			im.updated++;
			break;
		default:
			im.imported++;
			break;
		}
	}
	detail = xasprintf("imported %d, updated %d, rejected %d",
	    im.imported, im.updated, im.rejected);
	ex = ctl_commit(c, "resident.import", im.path, detail,
	    "resident import: nothing imported");
	if (ex == CTL_EXIT_OK) {
		printf("%s\n", detail);
		if (im.rejected > 0)
			ex = CTL_EXIT_FAIL;
	}
	free(detail);

out:
	if (im.keys != NULL) {
		hdestroy_r(&im.seen);
		for (i = 0; i < im.nkeys; i++)
			free(im.keys[i]);
		free(im.keys);
	}
	csv_row_clear(&row);
	csv_free(csv);
	buf_free(&data);
	return ex;
}

const struct ctl_cmd ctl_cmd_resident_import = {
	.name = "resident import",
	.usage = "FILE.csv",
	.about = "import people from CSV: header phone,name,village[,role]"
	    "[,categories];\n\t\t\tbad rows are reported as FILE:LINE and "
	    "skipped, good rows kept;\n\t\t\texit status 1 if any row was "
	    "rejected",
	.args = { NULL, 1, 1, NULL },
	.exec = ctl_resident_import
};

static enum ctl_exit
ctl_resident_remove(struct ctl *c)
{
	char phone[PHONE_MAX], *cause = NULL;

	if (ctl_store(c) == NULL)
		return CTL_EXIT_FAIL;
	if (ctl_parse_phone(c->cf, c->args[0], phone, &cause) == -1)
		return ctl_usage_cause(c, cause);
	return ctl_forget(c, phone, "resident remove");
}

const struct ctl_cmd ctl_cmd_resident_remove = {
	.name = "resident remove",
	.usage = "PHONE",
	.about = "erase a person on request: their messages, the messages to\n"
	    "\t\t\tthem, their enrolments; tickets keep their text, the phone\n"
	    "\t\t\tmasked",
	.args = { NULL, 1, 1, NULL },
	.exec = ctl_resident_remove
};
