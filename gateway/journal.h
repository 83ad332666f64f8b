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

#endif
