/*
 * journal — parts the network took, kept on disk while the store is busy.
 * See journal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/journal.h"
#include "gateway/log.h"
#include "gateway/util.h"

#define JOURNAL_LINE_MAX	256

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

int
journal_append(struct journal *j, const struct journal_part *p)
{
	char line[JOURNAL_LINE_MAX];
	int n;

	n = snprintf(line, sizeof line, "part %" PRId64 " %d %d %lld %s\n",
	    p->job, p->seq, p->msgref, (long long)p->at, p->modem);
	if (n < 0 || (size_t)n >= sizeof line) {
		log_warn("journal: %s: part %d of %" PRId64 " too long to keep",
		    j->path, p->seq, p->job);
		return -1;
	}
	if (write(j->fd, line, n) != n || fdatasync(j->fd) == -1) {
		log_warn("journal: %s: %s", j->path, strerror(errno));
		return -1;
	}
	j->size += n;
	return 0;
}

int
journal_replay(struct journal *j, int (*fn)(void *,
    const struct journal_part *), void *arg)
{
	char line[JOURNAL_LINE_MAX], modem[JOURNAL_LINE_MAX];
	struct journal_part p;
	long long at;
	FILE *f;
	int fd, n = 0, rc = 0;

	if (j->size == 0)
		return 0;
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (f = fdopen(fd, "r")) == NULL) {
		log_warn("journal: %s: %s", j->path, strerror(errno));
		if (fd != -1)
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
			    j->path);
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
