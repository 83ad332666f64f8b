/*
 * journal — parts the network took, kept on disk while the store is busy.
 * See journal.h.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/journal.h"
#include "gateway/log.h"
#include "gateway/util.h"

#define JOURNAL_LINE_MAX	256
#define JOURNAL_ADOPT_POLL_MS	20	/* a locked journal is tried this often */

struct journal {
	char	*path;
	int	 fd;
	off_t	 size;
};

struct journal *
journal_open(const char *path, char **cause)
{
	struct journal *j;
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC,
	    0600)) == -1 || fstat(fd, &sb) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path);
	j->fd = fd;
	j->size = sb.st_size;
	return j;
}

void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	close(j->fd);
	free(j->path);
	free(j);
}

/* p as one line in line[JOURNAL_LINE_MAX]: its length, or -1. */
static int
journal_format(const char *path, const struct journal_part *p, char *line)
{
	int n;

	n = snprintf(line, JOURNAL_LINE_MAX, "part %" PRId64 " %d %d %lld "
	    "%s\n", p->job, p->seq, p->msgref, (long long)p->at, p->modem);
	if (n < 0 || n >= JOURNAL_LINE_MAX) {
		log_warn("journal: %s: part %d of %" PRId64 " too long to keep",
		    path, p->seq, p->job);
		return -1;
	}
	return n;
}

int
journal_append(struct journal *j, const struct journal_part *p)
{
	char line[JOURNAL_LINE_MAX];
	int n;

	if ((n = journal_format(j->path, p, line)) == -1)
		return -1;
	/* One write: lines of a journal are never interleaved or torn but
	   by a crash, and the reader skips a torn one. */
	if (write(j->fd, line, n) != n || fdatasync(j->fd) == -1) {
		log_warn("journal: %s: %s", j->path, strerror(errno));
		return -1;
	}
	j->size += n;
	return 0;
}

/* fn for each whole line of the open file fd: the count, or -1. */
static int
journal_read(int fd, const char *path, int (*fn)(void *,
    const struct journal_part *), void *arg)
{
	char line[JOURNAL_LINE_MAX], modem[JOURNAL_LINE_MAX];
	struct journal_part p;
	long long at;
	FILE *f;
	int n = 0, rc = 0;

	if ((f = fdopen(fd, "r")) == NULL) {
		log_warn("journal: %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		/* Cut short by a crash while it was written: never synced,
		   so nothing was sent on its word. */
		if (line[strcspn(line, "\n")] != '\n')
			continue;
		if (sscanf(line, "part %" SCNd64 " %d %d %lld %255s", &p.job,
		    &p.seq, &p.msgref, &at, modem) != 5) {
			log_warn("journal: %s: line not understood, skipped",
			    path);
			continue;
		}
		p.at = (time_t)at;
		p.modem = modem;
		if ((rc = fn(arg, &p)) == 0)
			n++;
	}
	fclose(f);
	return rc == -1 ? -1 : n;
}

int
journal_replay(struct journal *j, int (*fn)(void *,
    const struct journal_part *), void *arg)
{
	int fd;

	if (j->size == 0)
		return 0;
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("journal: %s: %s", j->path, strerror(errno));
		return -1;
	}
	return journal_read(fd, j->path, fn, arg);
}

int
journal_pending(const struct journal *j)
{
	return j->size > 0;
}

int
journal_clear(struct journal *j)
{
	if (j->size == 0)
		return 0;
	if (ftruncate(j->fd, 0) == -1 || fdatasync(j->fd) == -1) {
		log_warn("journal: %s: %s", j->path, strerror(errno));
		return -1;
	}
	j->size = 0;
	return 0;
}

/* --- the journals of modem workers --- */

char *
journal_modem_path(const char *base, const char *modem)
{
	return xasprintf("%s.parts.%s", base, modem);
}

struct journal *
journal_open_locked(const char *path, int wait_ms, char **cause)
{
	struct timespec ts = { 0, JOURNAL_ADOPT_POLL_MS * 1000000L };
	struct journal *j;
	int waited = 0;

	if ((j = journal_open(path, cause)) == NULL)
		return NULL;
	/* Held only by an adoption under way, or a worker before us that
	   is not gone yet. */
	while (flock(j->fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK || waited >= wait_ms) {
			*cause = xasprintf("%s: lock: %s", path,
			    errno == EWOULDBLOCK ? "held by another process" :
			    strerror(errno));
			journal_close(j);
			return NULL;
		}
		nanosleep(&ts, NULL);
		waited += JOURNAL_ADOPT_POLL_MS;
	}
	return j;
}

off_t
journal_size(const struct journal *j)
{
	return j->size;
}

int
journal_rewrite(struct journal *j, const struct journal_part *parts, int n)
{
	char line[JOURNAL_LINE_MAX], *tmp;
	int fd, i, len;

	tmp = xasprintf("%s.tmp", j->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || flock(fd, LOCK_EX) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((len = journal_format(tmp, &parts[i], line)) != -1 &&
		    write(fd, line, len) != len)
			goto fail;
	}
	if (fdatasync(fd) == -1 || rename(tmp, j->path) == -1 ||
	    fcntl(fd, F_SETFL, O_APPEND) == -1)
		goto fail;
	close(j->fd);
	j->fd = fd;
	j->size = lseek(fd, 0, SEEK_END);
	free(tmp);
	return 0;
fail:
	/* The long file stays in use: nothing in it is lost. */
	log_warn("journal: %s: %s", tmp, strerror(errno));
	if (fd != -1) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return -1;
}

/*
 * Lock path's file in *fdp, waiting up to wait_ms for the worker that
 * holds it to be gone (the file may have been renamed over while we
 * waited: then the new one). 1, 0 if there is no such file, or -1.
 */
static int
journal_lock_gone(const char *path, int wait_ms, int *fdp)
{
	struct timespec ts = { 0, JOURNAL_ADOPT_POLL_MS * 1000000L };
	struct stat sb, now;
	int fd, waited = 0, saved;

	for (;;) {
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
			return errno == ENOENT ? 0 : -1;
		while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
			if (errno != EWOULDBLOCK || waited >= wait_ms) {
				saved = errno == EWOULDBLOCK ? EBUSY : errno;
				close(fd);
				errno = saved;
				return -1;
			}
			nanosleep(&ts, NULL);
			waited += JOURNAL_ADOPT_POLL_MS;
		}
		if (fstat(fd, &sb) == 0 && stat(path, &now) == 0 &&
		    sb.st_ino == now.st_ino && sb.st_dev == now.st_dev) {
			*fdp = fd;
			return 1;
		}
		close(fd);		/* renamed over: the new one */
	}
}

/* fn for each part at path once its worker is gone; into (if not NULL)
   synced before path is emptied. */
static int
journal_take(const char *path, int wait_ms, int (*fn)(void *,
    const struct journal_part *), void *arg, struct journal *into)
{
	int fd, rfd, n;

	if ((n = journal_lock_gone(path, wait_ms, &fd)) != 1) {
		if (n == -1)
			log_warn("journal: %s: %s", path, strerror(errno));
		return n;
	}
	if ((rfd = dup(fd)) == -1 || lseek(rfd, 0, SEEK_SET) == -1) {
		log_warn("journal: %s: %s", path, strerror(errno));
		if (rfd != -1)
			close(rfd);
		close(fd);
		return -1;
	}
	/* journal_read closes rfd; fd keeps the lock until emptied. */
	if ((n = journal_read(rfd, path, fn, arg)) == -1 ||
	    (into != NULL && n > 0 && fdatasync(into->fd) == -1) ||
	    ftruncate(fd, 0) == -1 || fdatasync(fd) == -1) {
		if (n != -1)
			log_warn("journal: %s: %s", path, strerror(errno));
		n = -1;
	}
	close(fd);
	return n;
}

int
journal_adopt(const char *path, int wait_ms, int (*fn)(void *,
    const struct journal_part *), void *arg)
{
	return journal_take(path, wait_ms, fn, arg, NULL);
}

/* Append p to the journal arg, unsynced: journal_take syncs it. */
static int
journal_copy(void *arg, const struct journal_part *p)
{
	struct journal *into = arg;
	char line[JOURNAL_LINE_MAX];
	int n;

	if ((n = journal_format(into->path, p, line)) == -1)
		return 0;	/* skipped, as a reader would */
	if (write(into->fd, line, n) != n) {
		log_warn("journal: %s: %s", into->path, strerror(errno));
		return -1;
	}
	into->size += n;
	return 0;
}

int
journal_adopt_all(const char *base, int wait_ms, struct journal *into)
{
	glob_t g;
	char *pattern;
	size_t i, len;
	int n, total = 0;

	pattern = xasprintf("%s.parts.*", base);
	memset(&g, 0, sizeof g);
	n = glob(pattern, GLOB_NOSORT, NULL, &g);
	free(pattern);
	if (n == GLOB_NOMATCH)
		return 0;
	if (n != 0)
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		len = strlen(g.gl_pathv[i]);
		if (len > 4 && strcmp(g.gl_pathv[i] + len - 4, ".tmp") == 0)
			continue;	/* a rewrite cut short: the old is whole */
		n = journal_take(g.gl_pathv[i], wait_ms, journal_copy, into,
		    into);
		if (n == -1)
			total = -1;
		else if (total != -1)
			total += n;
	}
	globfree(&g);
	return total;
}
