/*
 * test_journal — the journals of parts (journal.h): a worker's journal cut
 * back to its last parts, adopted only once its worker's lock is free,
 * copied whole into the daemon's journal, a torn last line skipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "gateway/journal.h"
#include "gateway/util.h"

/* A fresh directory with a database path in it. */
struct test_dir {
	char	 dir[64];
	char	*db;
};

static void
test_dir_new(struct test_dir *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/cungate-journal-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->db = xasprintf("%s/cungate.db", t->dir);
}

static void
test_dir_free(struct test_dir *t)
{
	char *cmd = xasprintf("rm -rf '%s'", t->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(t->db);
}

static struct journal_part
part(int64_t job, int seq, int msgref, const char *modem)
{
	struct journal_part p = { job, seq, msgref, 1764000000, modem };

	return p;
}

/* The parts fn saw, as "job/seq/ref@modem " each. */
static char seen[1024];

static int
collect(void *arg, const struct journal_part *p)
{
	size_t len = strlen(seen);

	(void)arg;
	snprintf(seen + len, sizeof seen - len, "%lld/%d/%d@%s ",
	    (long long)p->job, p->seq, p->msgref, p->modem);
	return 0;
}

static void
test_adopted_once_its_worker_is_gone(void **state)
{
	struct test_dir t;
	struct journal *w, *d;
	struct journal_part p;
	char *path, *cause = NULL;

	(void)state;
	test_dir_new(&t);
	path = journal_modem_path(t.db, "m1");
	w = journal_open_locked(path, 0, &cause);
	assert_non_null(w);
	p = part(7, 1, 41, "m1");
	assert_int_equal(journal_append(w, &p), 0);
	p = part(7, 2, 42, "m1");
	assert_int_equal(journal_append(w, &p), 0);

	/* The worker lives: its journal is not taken from under it. */
	seen[0] = '\0';
	assert_int_equal(journal_adopt(path, 0, collect, NULL), -1);
	assert_string_equal(seen, "");
	/* Nor does a second worker get it. */
	assert_null(journal_open_locked(path, 40, &cause));
	assert_non_null(strstr(cause, "held by another process"));
	free(cause);

	journal_close(w);		/* the worker died */
	d = journal_open(t.db, &cause);
	assert_non_null(d);
	assert_int_equal(journal_adopt_all(t.db, 0, d), 2);
	assert_int_equal(journal_pending(d), 1);
	seen[0] = '\0';
	assert_int_equal(journal_replay(d, collect, NULL), 2);
	assert_string_equal(seen, "7/1/41@m1 7/2/42@m1 ");
	/* Emptied: a second adoption finds nothing. */
	assert_int_equal(journal_adopt(path, 0, collect, NULL), 0);
	journal_close(d);
	free(path);
	test_dir_free(&t);
}

static void
test_rewrite_keeps_the_last_parts(void **state)
{
	struct test_dir t;
	struct journal *w;
	struct journal_part keep[2];
	struct stat sb;
	char *path, *tmp, *cause = NULL;
	int i;

	(void)state;
	test_dir_new(&t);
	path = journal_modem_path(t.db, "m2");
	w = journal_open_locked(path, 0, &cause);
	assert_non_null(w);
	for (i = 1; i <= 5; i++) {
		keep[i % 2] = part(i, 1, i, "m2");
		assert_int_equal(journal_append(w, &keep[i % 2]), 0);
	}
	keep[0] = part(4, 1, 4, "m2");
	keep[1] = part(5, 1, 5, "m2");
	assert_int_equal(journal_rewrite(w, keep, 2), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(journal_size(w), sb.st_size);
	tmp = xasprintf("%s.tmp", path);
	assert_int_equal(stat(tmp, &sb), -1);
	/* Still locked after the rename, and appended to where it was. */
	assert_int_equal(journal_adopt(path, 0, collect, NULL), -1);
	keep[0] = part(6, 1, 6, "m2");
	assert_int_equal(journal_append(w, &keep[0]), 0);
	journal_close(w);
	seen[0] = '\0';
	assert_int_equal(journal_adopt(path, 0, collect, NULL), 3);
	assert_string_equal(seen, "4/1/4@m2 5/1/5@m2 6/1/6@m2 ");
	free(tmp);
	free(path);
	test_dir_free(&t);
}

static void
test_a_torn_line_is_skipped(void **state)
{
	struct test_dir t;
	FILE *f;
	char *path;

	(void)state;
	test_dir_new(&t);
	path = journal_modem_path(t.db, "m3");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("part 9 1 200 1764000000 m3\npart 9 2 20", f);
	fclose(f);
	seen[0] = '\0';
	assert_int_equal(journal_adopt(path, 0, collect, NULL), 1);
	assert_string_equal(seen, "9/1/200@m3 ");
	free(path);
	test_dir_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adopted_once_its_worker_is_gone),
		cmocka_unit_test(test_rewrite_keeps_the_last_parts),
		cmocka_unit_test(test_a_torn_line_is_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
