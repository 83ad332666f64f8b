/*
 * log — timestamps, levels and the program name on every line to stderr.
 * Under systemd (stderr is the journal's stream, $JOURNAL_STREAM names
 * it) each line starts with its syslog priority, "<3>" for an error, and
 * carries no time stamp of its own: the journal adds one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/log.h"

static const char *log_name = "cungate";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_journal = -1;	/* -1: not looked yet */

/* Is stderr the journal's stream ($JOURNAL_STREAM is "device:inode")? */
static int
log_to_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &sb) == -1)
		return 0;
	return (unsigned long long)sb.st_dev == dev &&
	    (unsigned long long)sb.st_ino == ino;
}

void
log_init(const char *name, enum log_level level)
{
	log_name = name;
	log_level = level;
	if (log_journal == -1)
		log_journal = log_to_journal();
}

int
log_level_parse(const char *s)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	static const char *tags[] = { "error", "warn", "info", "debug" };
	static const int prio[] = { 3, 4, 6, 7 };	/* syslog's */
	char stamp[32], line[4096];
	struct timespec ts;
	int n, m;
	struct tm tm;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	/*
	 * One write per line: the daemon and its workers share stderr, and
	 * pieces of their lines must not interleave.
	 */
	if (log_journal == 1)
		n = snprintf(line, sizeof line, "<%d>%s[%ld] %s: ",
		    prio[level], log_name, (long)getpid(), tags[level]);
	else
		n = snprintf(line, sizeof line, "%s.%03ldZ %s[%ld] %s: ",
		    stamp, ts.tv_nsec / 1000000, log_name, (long)getpid(),
		    tags[level]);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	m = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (m < 0)
		m = 0;
	n = (size_t)m >= sizeof line - n - 1 ? (int)sizeof line - 2 : n + m;
	line[n++] = '\n';
	while (write(STDERR_FILENO, line, n) == -1 && errno == EINTR)
		;
}

#define LOG_FN(fn, level)				\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_vwrite(level, fmt, ap);			\
	va_end(ap);					\
}
LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
