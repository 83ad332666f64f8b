/*
 * journal — what the store could not take yet and must not forget: each
 * part the network took (its +CMGS) while the store was busy. Appended and
 * synced to a file beside the database before the daemon goes on, replayed
 * into the store at the next start (or once the store answers), emptied
 * once everything in it is on record. Without it, a part sent during a
 * store outage and a daemon crash would be sent again: its row is in doubt
 * at the restart, and no part of it on record.
 *
 * One line per part: "part JOB SEQ MSGREF AT MODEM". Replaying twice is
 * harmless (a part on record again keeps its report); a line cut short by
 * a crash is skipped.
 */
#ifndef CUNGATE_JOURNAL_H
#define CUNGATE_JOURNAL_H

#include <sys/types.h>

#include <stdint.h>
#include <time.h>

struct journal;

/* A part as the journal keeps it. */
struct journal_part {
	int64_t		 job;
	int		 seq;
	int		 msgref;
	time_t		 at;
	const char	*modem;
};

/* Open (creating it 0600) the journal at path; NULL with *cause (freed by
   the caller). */
struct journal	*journal_open(const char *path, char **cause);
void		 journal_close(struct journal *);
/* Append p, on disk before it returns: 0, or -1 (logged). */
int		 journal_append(struct journal *, const struct journal_part *p);
/*
 * Call fn for each part in the journal, oldest first, until fn returns -1.
 * The number of parts, or -1 (fn failed, or the file could not be read).
 */
int		 journal_replay(struct journal *,
		    int (*fn)(void *, const struct journal_part *), void *arg);
/* Is anything in it? 0/1. */
int		 journal_pending(const struct journal *);
/* Everything in it is in the store: empty it. 0 or -1 (logged). */
int		 journal_clear(struct journal *);

/*
 * Each modem worker keeps its own journal, BASE.parts.NAME (BASE is the
 * config's journal: the SQLite file, or state_dir/NODE), and
 * appends a part to it the moment the network took it, before it tells
 * the daemon: should the daemon die before hearing of the part (its
 * workers die with it), the next start still knows the part went, and
 * its row is not taken for one in doubt. The worker holds the file's
 * lock while it lives; a journal is adopted (read and emptied) only once
 * its worker is gone.
 */
char		*journal_modem_path(const char *base, const char *modem);
/* journal_open, and its lock (waited for up to wait_ms) held until
   journal_close. */
struct journal	*journal_open_locked(const char *path, int wait_ms,
		    char **cause);
off_t		 journal_size(const struct journal *);
/* Keep only parts[0..n-1] (a new file renamed over): 0 or -1 (logged;
   the journal stays as it was). */
int		 journal_rewrite(struct journal *,
		    const struct journal_part *parts, int n);
/*
 * Once its worker is gone (its lock free, waited for up to wait_ms): fn
 * for each part in the journal at path, then empty it. The number of
 * parts (0 if there is no such file), or -1 (logged; kept as it was).
 */
int		 journal_adopt(const char *path, int wait_ms,
		    int (*fn)(void *, const struct journal_part *), void *arg);
/* Every worker journal of base (BASE.parts.MODEM), adopted into the
   journal into (synced before they are emptied): the number of parts, or
   -1. */
int		 journal_adopt_all(const char *base, int wait_ms,
		    struct journal *into);

#endif
