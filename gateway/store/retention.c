/*
 * store/retention — rows that go: a person erased on request (what they
 * sent and were sent, their enrolments; tickets and audit keep their
 * text with the phone masked), and old rows pruned a batch at a time.
 * Ad-hoc statements, prepared as they run: these are rare.
 */
#include <stdint.h>

#include "gateway/store.h"
#include "gateway/store/private.h"

int
store_person_forget(struct store *st, const char *phone, const char *masked)
{
	static const char *sql[] = {
		/* What they sent, and the parts of it. */
		"CREATE TEMP TABLE IF NOT EXISTS forget_ids (id BIGINT"
		"  PRIMARY KEY)",
		"DELETE FROM forget_ids",
		"INSERT INTO forget_ids SELECT id FROM message WHERE"
		"  sender = ?1",
		"UPDATE outbox SET message_id = NULL WHERE message_id IN"
		"  (SELECT id FROM forget_ids)",
		"UPDATE ticket SET message_id = NULL WHERE message_id IN"
		"  (SELECT id FROM forget_ids)",
		"DELETE FROM pending_report WHERE phone = ?1 OR message_id IN"
		"  (SELECT id FROM forget_ids)",
		"DELETE FROM inbound_part WHERE sender = ?1",
		"DELETE FROM message WHERE sender = ?1",
		/* What was sent to them (a row in a modem's hands stays). */
		"DELETE FROM outbox_part WHERE outbox_id IN (SELECT id FROM"
		"  outbox WHERE recipient = ?1 AND state != 1)",
		"UPDATE checkin_alert SET outbox_id = NULL WHERE outbox_id IN"
		"  (SELECT id FROM outbox WHERE recipient = ?1 AND state != 1)",
		"DELETE FROM outbox WHERE recipient = ?1 AND state != 1",
		/* Tickets keep their text; the phone is masked. */
		"UPDATE ticket SET reporter = ?2 WHERE reporter = ?1",
		"UPDATE ticket SET accepted_by = ?2 WHERE accepted_by = ?1",
		"UPDATE ticket SET resolved_by = ?2 WHERE resolved_by = ?1",
		"UPDATE ticket_event SET actor = ?2 WHERE actor = ?1",
		"DELETE FROM ticket_assignee WHERE phone = ?1",
		"DELETE FROM prompt WHERE phone = ?1",
		"DELETE FROM call WHERE number = ?1",
		"DELETE FROM event_signup WHERE phone = ?1",
		"DELETE FROM township_supervisor WHERE phone = ?1",
		/* Their enrolment as an elder, and as anyone's guardian. */
		"DELETE FROM checkin_alert WHERE phone = ?1 OR day_id IN"
		"  (SELECT d.id FROM checkin_day d JOIN elder e ON"
		"  e.id = d.elder_id JOIN person p ON p.id = e.person_id"
		"  WHERE p.phone = ?1)",
		"DELETE FROM checkin_day WHERE elder_id IN (SELECT e.id FROM"
		"  elder e JOIN person p ON p.id = e.person_id WHERE"
		"  p.phone = ?1)",
		"DELETE FROM checkin_sos WHERE elder_id IN (SELECT e.id FROM"
		"  elder e JOIN person p ON p.id = e.person_id WHERE"
		"  p.phone = ?1)",
		"DELETE FROM elder_guardian WHERE phone = ?1 OR elder_id IN"
		"  (SELECT e.id FROM elder e JOIN person p ON"
		"  p.id = e.person_id WHERE p.phone = ?1)",
		"DELETE FROM elder WHERE person_id IN (SELECT id FROM person"
		"  WHERE phone = ?1)",
		"UPDATE elder SET cadre = '' WHERE cadre = ?1",
		"UPDATE audit SET object = ?2 WHERE object = ?1",
		"UPDATE audit SET actor = ?2 WHERE actor = ?1",
		"DELETE FROM person WHERE phone = ?1",
	};
	struct db_stmt *s;
	size_t i;
	int rc, person = 0;

	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		if ((s = db_prepare(st->db, sql[i], 0)) == NULL)
			return -1;
		if (db_bind_count(s) >= 1)
			db_bind_text(s, 1, phone);
		if (db_bind_count(s) >= 2)
			db_bind_text(s, 2, masked);
		while ((rc = db_step(s)) == DB_ROW)
			;
		db_finalize(s);
		if (rc != DB_DONE)
			return -1;
		if (i == sizeof sql / sizeof sql[0] - 1)
			person = db_changes(st->db);
	}
	return person;
}

/*
 * Retention, at most 500 rows of each kind a call, so that a tick never
 * holds the loop long; what is older goes at the next ticks. The ids go
 * through a temporary table: the rows that refer to them first.
 */
int
store_prune(struct store *st, time_t messages_before, time_t outbox_before,
    time_t audit_before)
{
	static const char *outbox_sql[] = {
		"CREATE TEMP TABLE IF NOT EXISTS prune_ids (id BIGINT"
		"  PRIMARY KEY)",
		"DELETE FROM prune_ids",
		/* Rows done with: sent, failed, expired, withdrawn. */
		"INSERT INTO prune_ids SELECT id FROM outbox WHERE state >= 2"
		"  AND created_at < ?1 ORDER BY id LIMIT 500",
		"DELETE FROM outbox_part WHERE outbox_id IN (SELECT id FROM"
		"  prune_ids)",
		"UPDATE checkin_alert SET outbox_id = NULL WHERE outbox_id IN"
		"  (SELECT id FROM prune_ids)",
		"DELETE FROM outbox WHERE id IN (SELECT id FROM prune_ids)",
	};
	static const char *message_sql[] = {
		"CREATE TEMP TABLE IF NOT EXISTS prune_ids (id BIGINT"
		"  PRIMARY KEY)",
		"DELETE FROM prune_ids",
		/* Handled messages; what came of them keeps its own text. */
		"INSERT INTO prune_ids SELECT id FROM message WHERE"
		"  state = 'done' AND received_at < ?1 ORDER BY id LIMIT 500",
		"UPDATE outbox SET message_id = NULL WHERE message_id IN"
		"  (SELECT id FROM prune_ids)",
		"UPDATE ticket SET message_id = NULL WHERE message_id IN"
		"  (SELECT id FROM prune_ids)",
		"UPDATE pending_report SET message_id = NULL WHERE message_id"
		"  IN (SELECT id FROM prune_ids)",
		"DELETE FROM inbound_part WHERE message_id IN (SELECT id FROM"
		"  prune_ids)",
		"DELETE FROM message WHERE id IN (SELECT id FROM prune_ids)",
	};
	static const char *audit_sql[] = {
		"DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE"
		"  at < ?1 ORDER BY id LIMIT 500)",
	};
	const struct {
		const char *const	*sql;
		size_t			 n;
		time_t			 before;
	} kinds[] = {
		{ outbox_sql, 6, outbox_before },
		{ message_sql, 8, messages_before },
		{ audit_sql, 1, audit_before },
	};
	struct db_stmt *s;
	size_t k, i;
	int total = 0, rc;

	for (k = 0; k < 3; k++) {
		if (kinds[k].before <= 0)
			continue;
		for (i = 0; i < kinds[k].n; i++) {
			if ((s = db_prepare(st->db, kinds[k].sql[i], 0)) ==
			    NULL)
				return -1;
			if (db_bind_count(s) > 0)
				db_bind_int64(s, 1, (int64_t)kinds[k].before);
			while ((rc = db_step(s)) == DB_ROW)
				;
			db_finalize(s);
			if (rc != DB_DONE)
				return -1;
			if (i == kinds[k].n - 1)	/* the delete */
				total += db_changes(st->db);
		}
	}
	return total;
}
