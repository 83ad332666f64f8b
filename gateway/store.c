/*
 * store — SQLite behind one connection. Statements are prepared once at
 * open and reset after each use; the schema moves forward by the
 * migrations below, one PRAGMA user_version step at a time.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/util.h"

/* Each entry moves the schema from version i to i + 1. Never edit one. */
static const char *const store_migrations[] = {
	/* 1: villages, people, inbound parts and messages, outbox, audit */
	"CREATE TABLE township ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE township_supervisor ("
	"  township_id INTEGER NOT NULL REFERENCES township(id),"
	"  phone TEXT NOT NULL,"
	"  PRIMARY KEY (township_id, phone));"
	"CREATE TABLE village ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL,"
	"  township_id INTEGER REFERENCES township(id),"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE person ("
	"  id INTEGER PRIMARY KEY,"
	"  phone TEXT NOT NULL UNIQUE,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  village_id INTEGER REFERENCES village(id),"
	"  roles INTEGER NOT NULL DEFAULT 0,"
	"  categories TEXT NOT NULL DEFAULT '',"
	"  opted_out INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX person_village ON person(village_id);"
	"CREATE TABLE message ("
	"  id INTEGER PRIMARY KEY,"
	"  sender TEXT NOT NULL,"
	"  modem TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  parts INTEGER NOT NULL,"
	"  partial INTEGER NOT NULL DEFAULT 0,"
	"  received_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'new',"
	"  handler TEXT,"
	"  handled_at INTEGER);"
	"CREATE INDEX message_state ON message(state, id);"
	"CREATE INDEX message_sender ON message(sender, id);"
	"CREATE TABLE inbound_part ("
	"  id INTEGER PRIMARY KEY,"
	"  modem TEXT NOT NULL,"
	"  dedupe_key TEXT NOT NULL UNIQUE,"
	"  sender TEXT NOT NULL,"
	"  smsc TEXT NOT NULL DEFAULT '',"
	"  sent_at INTEGER NOT NULL DEFAULT 0,"
	"  received_at INTEGER NOT NULL,"
	"  ref INTEGER NOT NULL DEFAULT 0,"
	"  total INTEGER NOT NULL DEFAULT 1,"
	"  seq INTEGER NOT NULL DEFAULT 1,"
	"  text TEXT NOT NULL,"
	"  message_id INTEGER REFERENCES message(id));"
	"CREATE INDEX inbound_part_open ON inbound_part(sender, ref, total)"
	"  WHERE message_id IS NULL;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  recipient TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  class INTEGER NOT NULL,"
	"  state INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  sent_at INTEGER,"
	"  modem TEXT,"
	"  parts INTEGER NOT NULL DEFAULT 0,"
	"  msgref INTEGER NOT NULL DEFAULT -1,"
	"  last_error TEXT NOT NULL DEFAULT '',"
	"  message_id INTEGER REFERENCES message(id));"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt_at, class);"
	"CREATE INDEX outbox_recipient ON outbox(recipient, sent_at);"
	"CREATE TABLE modem ("
	"  name TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '',"
	"  updated_at INTEGER NOT NULL);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  object TEXT,"
	"  detail TEXT);",

	/* 2: real modems: part references and delivery, calls, health */
	"CREATE TABLE outbox_part ("
	"  outbox_id INTEGER NOT NULL REFERENCES outbox(id),"
	"  seq INTEGER NOT NULL,"
	"  modem TEXT NOT NULL,"
	"  msgref INTEGER NOT NULL,"
	"  recipient TEXT NOT NULL,"
	"  sent_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'sent',"
	"  reported_at INTEGER,"
	"  PRIMARY KEY (outbox_id, seq));"
	"CREATE INDEX outbox_part_ref ON outbox_part(modem, msgref);"
	"ALTER TABLE outbox ADD COLUMN delivered_at INTEGER;"
	"ALTER TABLE outbox ADD COLUMN delivery TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX outbox_modem_sent ON outbox(modem, sent_at);"
	"CREATE TABLE call ("
	"  id INTEGER PRIMARY KEY,"
	"  modem TEXT NOT NULL,"
	"  number TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  handled INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX call_number ON call(number, at);"
	"ALTER TABLE modem ADD COLUMN down_since INTEGER;"
	"ALTER TABLE modem ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE modem ADD COLUMN signal INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE modem ADD COLUMN battery INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE modem ADD COLUMN network TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE modem ADD COLUMN operator TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE modem ADD COLUMN sim_used INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE modem ADD COLUMN sim_total INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE modem ADD COLUMN health_at INTEGER;"
	"ALTER TABLE modem ADD COLUMN sim_warned INTEGER NOT NULL DEFAULT 0;",

	/* 3: grievances, their assignees and history; prompts; pending reports */
	"CREATE TABLE ticket ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL UNIQUE,"
	"  reporter TEXT NOT NULL,"
	"  village_id INTEGER NOT NULL REFERENCES village(id),"
	"  category TEXT NOT NULL DEFAULT '',"
	"  urgent INTEGER NOT NULL DEFAULT 0,"
	"  text TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open',"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  accept_due INTEGER NOT NULL,"
	"  resolve_due INTEGER NOT NULL,"
	"  accepted_by TEXT,"
	"  accepted_at INTEGER,"
	"  resolved_by TEXT,"
	"  resolved_at INTEGER,"
	"  reply TEXT NOT NULL DEFAULT '',"
	"  rating INTEGER,"
	"  rated_at INTEGER,"
	"  escalation INTEGER NOT NULL DEFAULT 0,"
	"  accept_reminded INTEGER NOT NULL DEFAULT 0,"
	"  accept_escalated INTEGER NOT NULL DEFAULT 0,"
	"  resolve_reminded INTEGER NOT NULL DEFAULT 0,"
	"  resolve_escalated INTEGER NOT NULL DEFAULT 0,"
	"  message_id INTEGER REFERENCES message(id));"
	"CREATE INDEX ticket_village ON ticket(village_id, status);"
	"CREATE INDEX ticket_reporter ON ticket(reporter, id);"
	"CREATE INDEX ticket_status ON ticket(status, accept_due, resolve_due);"
	"CREATE TABLE ticket_assignee ("
	"  ticket_id INTEGER NOT NULL REFERENCES ticket(id),"
	"  phone TEXT NOT NULL,"
	"  added INTEGER PRIMARY KEY,"
	"  UNIQUE (ticket_id, phone));"
	"CREATE INDEX ticket_assignee_phone ON ticket_assignee(phone);"
	"CREATE TABLE ticket_event ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES ticket(id),"
	"  at INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  channel TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX ticket_event_ticket ON ticket_event(ticket_id, id);"
	"CREATE TABLE prompt ("
	"  id INTEGER PRIMARY KEY,"
	"  phone TEXT NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  object_id INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  answer TEXT,"
	"  answered_at INTEGER);"
	"CREATE INDEX prompt_open ON prompt(phone, id) WHERE state = 'open';"
	"CREATE INDEX prompt_expiry ON prompt(expires_at) WHERE state = 'open';"
	"CREATE TABLE pending_report ("
	"  id INTEGER PRIMARY KEY,"
	"  phone TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  message_id INTEGER REFERENCES message(id),"
	"  ticket_id INTEGER REFERENCES ticket(id),"
	"  filed_at INTEGER);"
	"CREATE INDEX pending_report_phone ON pending_report(phone)"
	"  WHERE filed_at IS NULL;",

	/*
	 * 4: elderly check-in: elders (overrides NULL = the village's, then
	 * the config's), guardians, village ladder times, one row per elder
	 * and local day (its step due times, next_at the next one), who was
	 * alerted, SOS calls. Days are local dates as days since 1970-01-01.
	 */
	"CREATE TABLE elder ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL UNIQUE REFERENCES person(id),"
	"  cadre TEXT NOT NULL DEFAULT '',"
	"  due_min INTEGER,"
	"  guardian_after INTEGER,"
	"  cadre_after INTEGER,"
	"  township_min INTEGER,"
	"  confirm INTEGER,"
	"  prompt_min INTEGER,"
	"  start_day INTEGER NOT NULL,"
	"  paused_until INTEGER NOT NULL DEFAULT 0,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX elder_cadre ON elder(cadre);"
	"CREATE TABLE elder_guardian ("
	"  elder_id INTEGER NOT NULL REFERENCES elder(id),"
	"  phone TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  relation TEXT NOT NULL DEFAULT '',"
	"  PRIMARY KEY (elder_id, phone));"
	"CREATE INDEX elder_guardian_phone ON elder_guardian(phone);"
	"CREATE TABLE checkin_village ("
	"  village_id INTEGER PRIMARY KEY REFERENCES village(id),"
	"  due_min INTEGER,"
	"  guardian_after INTEGER,"
	"  cadre_after INTEGER,"
	"  township_min INTEGER);"
	"CREATE TABLE checkin_run ("
	"  day INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  elders INTEGER NOT NULL);"
	"CREATE TABLE checkin_day ("
	"  id INTEGER PRIMARY KEY,"
	"  elder_id INTEGER NOT NULL REFERENCES elder(id),"
	"  day INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open',"
	"  step INTEGER NOT NULL DEFAULT 0,"
	"  prompt_at INTEGER,"
	"  remind_at INTEGER,"
	"  guardians_at INTEGER,"
	"  cadre_at INTEGER,"
	"  township_at INTEGER,"
	"  next_at INTEGER,"
	"  checked_in_at INTEGER,"
	"  source TEXT NOT NULL DEFAULT '',"
	"  resolved_at INTEGER,"
	"  resolved_by TEXT NOT NULL DEFAULT '',"
	"  note TEXT NOT NULL DEFAULT '',"
	"  UNIQUE (elder_id, day));"
	"CREATE INDEX checkin_day_due ON checkin_day(next_at)"
	"  WHERE status = 'open';"
	"CREATE INDEX checkin_day_open ON checkin_day(elder_id)"
	"  WHERE status = 'open';"
	"CREATE INDEX checkin_day_day ON checkin_day(day);"
	"CREATE TABLE checkin_alert ("
	"  day_id INTEGER NOT NULL REFERENCES checkin_day(id),"
	"  phone TEXT NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  PRIMARY KEY (day_id, phone));"
	"CREATE TABLE checkin_sos ("
	"  id INTEGER PRIMARY KEY,"
	"  elder_id INTEGER NOT NULL REFERENCES elder(id),"
	"  at INTEGER NOT NULL,"
	"  next_at INTEGER NOT NULL,"
	"  repeats INTEGER NOT NULL DEFAULT 0,"
	"  resolved_at INTEGER,"
	"  resolved_by TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX checkin_sos_due ON checkin_sos(next_at)"
	"  WHERE resolved_at IS NULL;"
	"CREATE INDEX checkin_sos_elder ON checkin_sos(elder_id);"
	/* Opening a prompt supersedes its object's: 10,000 a morning. */
	"CREATE INDEX prompt_object ON prompt(kind, object_id)"
	"  WHERE state = 'open';",

	/* 5: expiring queued rows looks them up by lifetime, not by scan */
	"CREATE INDEX outbox_expiry ON outbox(state, expires_at);",
	/*
	 * 6: village events with places and a waiting list, and notices.
	 * A short code is unique among open events only; ord orders
	 * signups within a status (the place or waiting position).
	 */
	"CREATE TABLE event ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  village_id INTEGER NOT NULL REFERENCES village(id),"
	"  title TEXT NOT NULL,"
	"  place TEXT NOT NULL DEFAULT '',"
	"  starts_at INTEGER NOT NULL,"
	"  remind_at INTEGER NOT NULL,"
	"  capacity INTEGER NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'open',"
	"  reminded INTEGER NOT NULL DEFAULT 0,"
	"  created_by TEXT NOT NULL DEFAULT '',"
	"  created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX event_code_open ON event(code)"
	"  WHERE status = 'open';"
	"CREATE INDEX event_village ON event(village_id, starts_at);"
	"CREATE TABLE event_signup ("
	"  id INTEGER PRIMARY KEY,"
	"  event_id INTEGER NOT NULL REFERENCES event(id),"
	"  phone TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  ord INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (event_id, phone));"
	"CREATE TABLE notice ("
	"  id INTEGER PRIMARY KEY,"
	"  village_id INTEGER NOT NULL REFERENCES village(id),"
	"  text TEXT NOT NULL,"
	"  sender TEXT NOT NULL,"
	"  recipients INTEGER NOT NULL,"
	"  parts INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER);"
	"CREATE INDEX notice_status ON notice(status, created_at);",
	/* 7: SIM credit read over the modem's own USSD (issue 7) */
	"CREATE TABLE modem_credit ("
	"  name TEXT PRIMARY KEY,"
	"  credit INTEGER NOT NULL,"	/* hundredths (fen) */
	"  reply TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  low INTEGER NOT NULL DEFAULT 0);",
	/* 8: a village's cadres without reading all its people */
	"CREATE INDEX person_cadre ON person(village_id) WHERE (roles & 4) != 0;",
	/* 9: counters (what was suppressed, and why) for /metrics */
	"CREATE TABLE counter ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL DEFAULT 0);",
	/* 10: 8-bit data parts (WAP push, OTA), kept and never answered */
	"ALTER TABLE inbound_part ADD COLUMN binary INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE message ADD COLUMN binary INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 11: the parts a row's text encodes into, set as it is handed to a
	 * modem: a message in doubt that reports settle part by part
	 */
	"ALTER TABLE outbox ADD COLUMN encoded_parts INTEGER NOT NULL"
	"  DEFAULT 0;",
	/*
	 * 12: why a queued row waits, in words, for `cungatectl outbox`; the
	 * outbox row of each check-in alert, withdrawn if the elder is found
	 * well before it went
	 */
	"ALTER TABLE outbox ADD COLUMN waiting TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE checkin_alert ADD COLUMN outbox_id INTEGER;",
};
#define STORE_NMIGRATIONS \
	((int)(sizeof store_migrations / sizeof store_migrations[0]))

enum store_stmt {
	S_TOWNSHIP_ADD,
	S_TOWNSHIP_ID,
	S_SUPERVISOR_ADD,
	S_SUPERVISORS,
	S_TOWNSHIP_LIST,
	S_VILLAGE_ADD,
	S_VILLAGE_FIND,
	S_VILLAGE_NAMED,
	S_VILLAGE_IN,
	S_VILLAGE_LIST,
	S_PERSON_FIND,
	S_PERSON_INSERT,
	S_PERSON_UPDATE,
	S_PERSON_OPTOUT,
	S_PERSON_LIST,
	S_PERSON_LIST_VILLAGE,
	S_PERSON_CADRES,
	S_PART_INSERT,
	S_PART_GROUP,
	S_PART_OPEN,
	S_PART_LINK,
	S_PART_STALE,
	S_MESSAGE_INSERT,
	S_MESSAGE_PENDING,
	S_MESSAGE_GET,
	S_MESSAGE_DONE,
	S_MESSAGE_LIST,
	S_MESSAGE_LIST_SENDER,
	S_OUTBOX_ADD,
	S_OUTBOX_DUE,
	S_OUTBOX_GET,
	S_OUTBOX_SENDING,
	S_OUTBOX_SENT,
	S_OUTBOX_RETRY,
	S_OUTBOX_FINAL,
	S_OUTBOX_DEFER,
	S_OUTBOX_IN_FLIGHT,
	S_OUTBOX_IN_FLIGHT_TO,
	S_COUNTER_ADD,
	S_MESSAGE_REPEAT,
	S_MESSAGE_COUNT_SINCE,
	S_TICKET_COUNT_SINCE,
	S_PENDING_COUNT,
	S_MESSAGE_OUTCOME_SINCE,
	S_OUTBOX_COUNT_SINCE,
	S_OUTBOX_EXPIRE,
	S_OUTBOX_LIST,
	S_OUTBOX_LIST_STATE,
	S_AUDIT,
	S_MODEM_SET,
	S_MODEM_LIST,
	S_MODEM_HEALTH,
	S_MODEM_DOWN_DUE,
	S_MODEM_ALERTED,
	S_MODEM_SIM_WARNED,
	S_OUTBOX_PART_ADD,
	S_OUTBOX_REPORT,
	S_OUTBOX_DELIVERED,
	S_OUTBOX_PARTS_SINCE,
	S_CALL_ADD,
	S_CALL_LIST,
	S_OUTBOX_SETTLE,
	S_OUTBOX_SETTLE_PART,
	S_OUTBOX_PART_SENT,
	S_OUTBOX_PARTS_TAKEN,
	S_OUTBOX_PARTS_ON_RECORD,
	S_TICKET_INSERT,
	S_TICKET_FIND,
	S_TICKET_GET,
	S_TICKET_UPDATE,
	S_TICKET_LIST,
	S_TICKET_SLA_DUE,
	S_TICKET_ASSIGN,
	S_TICKET_IS_ASSIGNEE,
	S_TICKET_ASSIGNEES,
	S_TICKET_EVENT,
	S_TICKET_EVENTS,
	S_PENDING_ADD,
	S_PENDING_LIST,
	S_PENDING_FILED,
	S_PROMPT_ADD,
	S_PROMPT_SUPERSEDE,
	S_PROMPT_OPEN,
	S_PROMPT_CLOSE,
	S_PROMPT_EXPIRED,
	S_ELDER_PUT,
	S_ELDER_FIND,
	S_ELDER_GET,
	S_ELDER_LIST,
	S_ELDER_SET,
	S_GUARDIAN_PUT,
	S_GUARDIAN_CLEAR,
	S_GUARDIANS,
	S_ELDER_RELATED,
	S_ELDER_RELATED_FIND,
	S_GUARDIAN_IS,
	S_CHECKIN_VILLAGE_PUT,
	S_CHECKIN_VILLAGE_GET,
	S_CHECKIN_RUN_HAS,
	S_CHECKIN_RUN_ADD,
	S_CHECKIN_MATERIALIZE,
	S_CHECKIN_MATERIALIZE_ONE,
	S_CHECKIN_DAY_FIND,
	S_CHECKIN_DAY_GET,
	S_CHECKIN_DAY_INSERT,
	S_CHECKIN_DAY_UPDATE,
	S_CHECKIN_DAY_DUE,
	S_CHECKIN_DAY_OPEN,
	S_CHECKIN_DAY_LIST,
	S_CHECKIN_DAY_HISTORY,
	S_CHECKIN_DAY_RANGE,
	S_CHECKIN_ALERT_ADD,
	S_CHECKIN_ALERTED,
	S_CHECKIN_WITHDRAW,
	S_SOS_ADD,
	S_SOS_DUE,
	S_SOS_REPEAT,
	S_SOS_RESOLVE,
	S_CALL_HANDLED,
	S_EVENT_INSERT,
	S_EVENT_FIND,
	S_EVENT_GET,
	S_EVENT_LIST,
	S_EVENT_LIST_VILLAGE,
	S_EVENT_SET,
	S_EVENT_REMIND_DUE,
	S_EVENT_CLOSE_PAST,
	S_SIGNUP_FIND,
	S_SIGNUP_INSERT,
	S_SIGNUP_UPDATE,
	S_SIGNUP_LIST,
	S_NOTICE_ADD,
	S_NOTICE_GET,
	S_NOTICE_SET,
	S_NOTICE_LIST,
	S_NOTICE_EXPIRE,
	S_NSTMTS
};

#define PERSON_COLS \
	"p.id, p.phone, p.name, coalesce(p.village_id, 0)," \
	" coalesce(v.code, ''), coalesce(v.name, ''), p.roles," \
	" p.categories, p.opted_out"
#define OUTBOX_PART_UPSERT \
	"ON CONFLICT (outbox_id, seq) DO UPDATE SET" \
	" status = CASE WHEN outbox_part.modem = excluded.modem" \
	"  AND outbox_part.msgref = excluded.msgref THEN outbox_part.status" \
	"  ELSE 'sent' END," \
	" reported_at = CASE WHEN outbox_part.modem = excluded.modem" \
	"  AND outbox_part.msgref = excluded.msgref" \
	"  THEN outbox_part.reported_at END," \
	" sent_at = CASE WHEN outbox_part.modem = excluded.modem" \
	"  AND outbox_part.msgref = excluded.msgref" \
	"  THEN outbox_part.sent_at ELSE excluded.sent_at END," \
	" modem = excluded.modem, msgref = excluded.msgref," \
	" recipient = excluded.recipient"
#define OUTBOX_COLS \
	"id, recipient, text, class, state, attempts, created_at," \
	" next_attempt_at, expires_at, coalesce(sent_at, 0)," \
	" coalesce(modem, ''), parts, msgref, last_error," \
	" coalesce(message_id, 0), delivery, coalesce(delivered_at, 0)," \
	" waiting, encoded_parts"
#define MESSAGE_COLS \
	"id, sender, modem, text, parts, partial, received_at, state," \
	" coalesce(handler, ''), binary"

#define TICKET_COLS \
	"k.id, k.code, k.reporter, coalesce(p.name, ''), k.village_id," \
	" v.code, v.name, coalesce(t.code, ''), k.category, k.urgent, k.text," \
	" k.reply, k.status, k.created_at, k.updated_at, k.accept_due," \
	" k.resolve_due, coalesce(k.accepted_by, '')," \
	" coalesce(k.accepted_at, 0), coalesce(k.resolved_by, '')," \
	" coalesce(k.resolved_at, 0), coalesce(k.rating, 0)," \
	" coalesce(k.rated_at, 0), k.escalation, k.accept_reminded," \
	" k.accept_escalated, k.resolve_reminded, k.resolve_escalated," \
	" coalesce(k.message_id, 0)"
#define TICKET_FROM \
	" FROM ticket k JOIN village v ON v.id = k.village_id" \
	" LEFT JOIN township t ON t.id = v.township_id" \
	" LEFT JOIN person p ON p.phone = k.reporter"
#define PROMPT_COLS \
	"id, phone, kind, object_id, created_at, expires_at, state"
/* Elderly check-in: an elder with person and village; a day's row. */
#define ELDER_COLS \
	"e.id, e.person_id, p.phone, p.name, coalesce(p.village_id, 0)," \
	" coalesce(v.code, ''), coalesce(v.name, ''), coalesce(t.code, '')," \
	" e.cadre, coalesce(e.due_min, -1), coalesce(e.guardian_after, -1)," \
	" coalesce(e.cadre_after, -1), coalesce(e.township_min, -1)," \
	" coalesce(e.confirm, -1), coalesce(e.prompt_min, -2), e.start_day," \
	" e.paused_until, e.active, e.created_at"
#define ELDER_FROM \
	" FROM elder e JOIN person p ON p.id = e.person_id" \
	" LEFT JOIN village v ON v.id = p.village_id" \
	" LEFT JOIN township t ON t.id = v.township_id"
#define CHECKIN_DAY_COLS \
	"coalesce(d.id, 0), coalesce(d.elder_id, 0), coalesce(d.day, 0)," \
	" coalesce(d.status, ''), coalesce(d.step, 0)," \
	" coalesce(d.prompt_at, 0), coalesce(d.remind_at, 0)," \
	" coalesce(d.guardians_at, 0), coalesce(d.cadre_at, 0)," \
	" coalesce(d.township_at, 0), coalesce(d.next_at, 0)," \
	" coalesce(d.checked_in_at, 0), coalesce(d.source, '')," \
	" coalesce(d.resolved_at, 0), coalesce(d.resolved_by, '')," \
	" coalesce(d.note, '')"
/*
 * A day's rows for the elders selected by the WHERE that follows: each
 * step's time from the elder's override, else the village's, else the
 * config's (?4 due, ?5 guardians and ?6 cadre minutes after it, ?7
 * township the next day, ?8 morning prompt, -1 none); ?1 the day, ?2 its
 * local midnight, ?3 the next one. A prompt only counts before the due
 * time; without one the ladder starts at step 1. Rows already there
 * (a check-in came first) are kept.
 */
#define CHECKIN_MATERIALIZE \
	"INSERT OR IGNORE INTO checkin_day (elder_id, day, status, step," \
	" prompt_at, remind_at, guardians_at, cadre_at, township_at, next_at)" \
	" SELECT id, ?1, st, CASE WHEN pm >= 0 AND pm < dm THEN 0 ELSE 1 END," \
	" CASE WHEN pm >= 0 AND pm < dm THEN ?2 + 60 * pm END, ?2 + 60 * dm," \
	" ?2 + 60 * (dm + g), ?2 + 60 * (dm + c), ?3 + 60 * tm," \
	" CASE WHEN pm >= 0 AND pm < dm THEN ?2 + 60 * pm ELSE ?2 + 60 * dm END" \
	" FROM (SELECT e.id AS id, CASE WHEN e.paused_until >= ?1" \
	"  THEN 'paused' ELSE 'open' END AS st," \
	"  coalesce(e.due_min, cv.due_min, ?4) AS dm," \
	"  coalesce(e.guardian_after, cv.guardian_after, ?5) AS g," \
	"  coalesce(e.cadre_after, cv.cadre_after, ?6) AS c," \
	"  coalesce(e.township_min, cv.township_min, ?7) AS tm," \
	"  coalesce(e.prompt_min, ?8) AS pm" \
	"  FROM elder e JOIN person p ON p.id = e.person_id" \
	"  LEFT JOIN checkin_village cv ON cv.village_id = p.village_id" \
	"  WHERE e.active AND e.start_day <= ?1"

#define EVENT_COLS \
	"e.id, e.code, e.village_id, v.code, v.name, coalesce(t.code, '')," \
	" e.title, e.place, e.starts_at, e.remind_at, e.capacity, e.status," \
	" e.reminded, e.created_by, e.created_at," \
	" (SELECT count(*) FROM event_signup s WHERE s.event_id = e.id" \
	"  AND s.status = 'confirmed')," \
	" (SELECT count(*) FROM event_signup s WHERE s.event_id = e.id" \
	"  AND s.status = 'waiting')" \
	" FROM event e JOIN village v ON v.id = e.village_id" \
	" LEFT JOIN township t ON t.id = v.township_id"
#define SIGNUP_COLS \
	"s.id, s.event_id, s.phone, coalesce(p.name, ''), s.status, s.ord," \
	" s.created_at, s.updated_at FROM event_signup s" \
	" LEFT JOIN person p ON p.phone = s.phone"
#define NOTICE_COLS \
	"n.id, n.village_id, v.code, n.text, n.sender, n.recipients, n.parts," \
	" n.status, n.created_at, coalesce(n.sent_at, 0)" \
	" FROM notice n JOIN village v ON v.id = n.village_id"

static const char *const store_sql[S_NSTMTS] = {
	[S_TOWNSHIP_ADD] = "INSERT INTO township (code, name, created_at)"
	    " VALUES (?, ?, ?)",
	[S_TOWNSHIP_ID] = "SELECT id FROM township WHERE code = ?",
	[S_SUPERVISOR_ADD] = "INSERT OR IGNORE INTO township_supervisor"
	    " (township_id, phone) VALUES (?, ?)",
	[S_SUPERVISORS] = "SELECT s.phone FROM township_supervisor s"
	    " JOIN township t ON t.id = s.township_id WHERE t.code = ?"
	    " ORDER BY s.phone",
	[S_TOWNSHIP_LIST] = "SELECT t.id, t.code, t.name,"
	    " (SELECT count(*) FROM township_supervisor s"
	    "   WHERE s.township_id = t.id),"
	    " (SELECT count(*) FROM village v WHERE v.township_id = t.id)"
	    " FROM township t ORDER BY t.code",
	[S_VILLAGE_ADD] = "INSERT INTO village (code, name, township_id,"
	    " created_at) VALUES (?, ?, ?, ?)",
	[S_VILLAGE_FIND] = "SELECT v.id, v.code, v.name, coalesce(t.code, '')"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE v.code = ? COLLATE NOCASE",
	/* The longest village name, or name less its 村, that text starts with. */
	[S_VILLAGE_NAMED] = "SELECT v.id, v.code, v.name, coalesce(t.code, '')"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE instr(?1, v.name) = 1 OR (v.name LIKE '%村'"
	    "  AND length(v.name) > 2"
	    "  AND instr(?1, substr(v.name, 1, length(v.name) - 1)) = 1)"
	    " ORDER BY length(v.name) DESC LIMIT 1",
	/* The same anywhere in text, or a code of 3 or more. */
	[S_VILLAGE_IN] = "SELECT v.id, v.code, v.name, coalesce(t.code, '')"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " WHERE instr(?1, v.name) > 0 OR (v.name LIKE '%村'"
	    "  AND length(v.name) > 2"
	    "  AND instr(?1, substr(v.name, 1, length(v.name) - 1)) > 0)"
	    "  OR (length(v.code) >= 3 AND instr(upper(?1), upper(v.code)) > 0)"
	    " ORDER BY length(v.name) DESC LIMIT 1",
	[S_VILLAGE_LIST] = "SELECT v.id, v.code, v.name, coalesce(t.code, ''),"
	    " (SELECT count(*) FROM person p WHERE p.village_id = v.id)"
	    " FROM village v LEFT JOIN township t ON t.id = v.township_id"
	    " ORDER BY v.code",
	[S_PERSON_FIND] = "SELECT " PERSON_COLS " FROM person p"
	    " LEFT JOIN village v ON v.id = p.village_id WHERE p.phone = ?",
	[S_PERSON_INSERT] = "INSERT INTO person (phone, name, village_id,"
	    " roles, categories, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_PERSON_UPDATE] = "UPDATE person SET name = ?, village_id = ?,"
	    " roles = ?, categories = ?, updated_at = ? WHERE phone = ?",
	[S_PERSON_OPTOUT] = "UPDATE person SET opted_out = ?, updated_at = ?"
	    " WHERE phone = ?",
	[S_PERSON_LIST] = "SELECT " PERSON_COLS " FROM person p"
	    " LEFT JOIN village v ON v.id = p.village_id"
	    " ORDER BY v.code, p.name, p.phone",
	[S_PERSON_CADRES] = "SELECT " PERSON_COLS " FROM person p"
	    " JOIN village v ON v.id = p.village_id WHERE v.code = ?"
	    " AND (p.roles & 4) != 0 ORDER BY p.name, p.phone",
	[S_PERSON_LIST_VILLAGE] = "SELECT " PERSON_COLS " FROM person p"
	    " JOIN village v ON v.id = p.village_id WHERE v.code = ?"
	    " ORDER BY p.name, p.phone",
	[S_PART_INSERT] = "INSERT OR IGNORE INTO inbound_part (modem,"
	    " dedupe_key, sender, smsc, sent_at, received_at, ref, total, seq,"
	    " text, binary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_PART_GROUP] = "SELECT sender, ref, total, modem FROM inbound_part"
	    " WHERE id = ? AND message_id IS NULL",
	/* One row per seq (the first stored), in order. */
	[S_PART_OPEN] = "SELECT min(id), seq, text, min(received_at),"
	    " max(binary)"
	    " FROM inbound_part WHERE sender = ? AND ref = ? AND total = ?"
	    " AND message_id IS NULL GROUP BY seq ORDER BY seq",
	[S_PART_LINK] = "UPDATE inbound_part SET message_id = ?"
	    " WHERE sender = ? AND ref = ? AND total = ?"
	    " AND message_id IS NULL",
	[S_PART_STALE] = "SELECT sender, ref, total, min(modem)"
	    " FROM inbound_part WHERE message_id IS NULL"
	    " GROUP BY sender, ref, total HAVING min(received_at) < ?"
	    " LIMIT 100",
	[S_MESSAGE_INSERT] = "INSERT INTO message (sender, modem, text, parts,"
	    " partial, received_at, binary) VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_MESSAGE_PENDING] = "SELECT id FROM message WHERE state = 'new'"
	    " ORDER BY id LIMIT ?",
	[S_MESSAGE_GET] = "SELECT " MESSAGE_COLS " FROM message WHERE id = ?",
	[S_MESSAGE_DONE] = "UPDATE message SET state = 'done', handler = ?,"
	    " handled_at = ? WHERE id = ?",
	[S_MESSAGE_LIST] = "SELECT " MESSAGE_COLS " FROM message"
	    " ORDER BY id DESC LIMIT ?",
	[S_MESSAGE_LIST_SENDER] = "SELECT " MESSAGE_COLS " FROM message"
	    " WHERE sender = ? ORDER BY id DESC LIMIT ?",
	[S_OUTBOX_ADD] = "INSERT INTO outbox (recipient, text, class,"
	    " created_at, next_attempt_at, expires_at, message_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)",
	[S_OUTBOX_DUE] = "SELECT id FROM outbox WHERE state = 0"
	    " AND next_attempt_at <= ? ORDER BY class, id LIMIT ?",
	[S_OUTBOX_GET] = "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?",
	[S_OUTBOX_SENDING] = "UPDATE outbox SET state = 1, modem = ?,"
	    " sent_at = ?, encoded_parts = ?, waiting = '' WHERE id = ?"
	    " AND state = 0",
	[S_OUTBOX_SENT] = "UPDATE outbox SET state = 2, parts = ?, msgref = ?,"
	    " sent_at = ?, last_error = '' WHERE id = ?",
	[S_OUTBOX_RETRY] = "UPDATE outbox SET state = 0, sent_at = NULL,"
	    " attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
	    " WHERE id = ?",
	[S_OUTBOX_FINAL] = "UPDATE outbox SET state = ?, last_error = ?,"
	    " sent_at = NULL, attempts = attempts + ? WHERE id = ?",
	[S_OUTBOX_DEFER] = "UPDATE outbox SET next_attempt_at = ?,"
	    " waiting = ? WHERE id = ? AND state = 0",
	[S_OUTBOX_IN_FLIGHT_TO] = "SELECT count(*) FROM outbox WHERE state = 1"
	    " AND modem = ? AND recipient = ?",
	[S_OUTBOX_IN_FLIGHT] = "SELECT id FROM outbox WHERE state = 1"
	    " ORDER BY id LIMIT ?",
	[S_COUNTER_ADD] = "INSERT INTO counter (name, value) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET value = value + ?2",
	/* The same text from the same sender handled a moment ago. */
	[S_MESSAGE_REPEAT] = "SELECT 1 FROM message WHERE sender = ?1"
	    " AND id < ?2 AND received_at >= ?3 AND text = ?4"
	    " AND state = 'done' AND coalesce(handler, '') <> 'error' LIMIT 1",
	[S_MESSAGE_COUNT_SINCE] = "SELECT count(*) FROM message"
	    " WHERE sender = ? AND modem = ? AND received_at >= ?",
	[S_TICKET_COUNT_SINCE] = "SELECT count(*) FROM ticket"
	    " WHERE reporter = ? AND created_at >= ?",
	[S_PENDING_COUNT] = "SELECT count(*) FROM pending_report"
	    " WHERE phone = ? AND filed_at IS NULL",
	[S_MESSAGE_OUTCOME_SINCE] = "SELECT count(*) FROM message"
	    " WHERE sender = ?1 AND received_at >= ?3 AND state = 'done'"
	    " AND handler LIKE '%/' || ?2",
	/* Sending rows carry the time they were handed over in sent_at. */
	[S_OUTBOX_COUNT_SINCE] = "SELECT count(*) FROM outbox"
	    " WHERE recipient = ? AND state IN (1, 2) AND sent_at >= ?",
	[S_OUTBOX_EXPIRE] = "UPDATE outbox SET state = 4, last_error ="
	    " CASE WHEN last_error = '' THEN 'expired' ELSE last_error END"
	    " WHERE state = 0 AND expires_at <= ?",
	[S_OUTBOX_LIST] = "SELECT " OUTBOX_COLS " FROM outbox"
	    " ORDER BY id DESC LIMIT ?",
	[S_OUTBOX_LIST_STATE] = "SELECT " OUTBOX_COLS " FROM outbox"
	    " WHERE state = ? ORDER BY id DESC LIMIT ?",
	/*
	 * down_since: when it last stopped being up; cleared when it is up or
	 * was stopped on purpose (which also forgets an alert).
	 */
	[S_MODEM_SET] = "INSERT INTO modem (name, state, detail, updated_at,"
	    " down_since) VALUES (?1, ?2, ?3, ?4,"
	    " CASE WHEN ?2 IN ('up', 'stopped') THEN NULL ELSE ?4 END)"
	    " ON CONFLICT (name) DO UPDATE SET state = ?2, detail = ?3,"
	    " updated_at = ?4, down_since = CASE WHEN ?2 IN ('up', 'stopped')"
	    " THEN NULL ELSE coalesce(down_since, ?4) END,"
	    " alerted = CASE WHEN ?2 = 'stopped' THEN 0 ELSE alerted END",
	[S_MODEM_HEALTH] = "UPDATE modem SET signal = ?2, battery = ?3,"
	    " network = ?4, operator = ?5, sim_used = ?6, sim_total = ?7,"
	    " health_at = ?8 WHERE name = ?1",
	[S_MODEM_DOWN_DUE] = "SELECT name, down_since, alerted, detail"
	    " FROM modem WHERE (down_since IS NOT NULL AND down_since <= ?1"
	    " AND alerted = 0) OR (down_since IS NULL AND alerted = 1)",
	[S_MODEM_ALERTED] = "UPDATE modem SET alerted = ?2 WHERE name = ?1",
	[S_MODEM_SIM_WARNED] = "UPDATE modem SET sim_warned = ?2"
	    " WHERE name = ?1 AND sim_warned <> ?2",
	/*
	 * A part on record again (the result after the part's own word, or a
	 * new attempt): the same part keeps its report, another starts anew.
	 */
	[S_OUTBOX_PART_ADD] = "INSERT INTO outbox_part (outbox_id, seq,"
	    " modem, msgref, recipient, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " " OUTBOX_PART_UPSERT,
	[S_OUTBOX_PART_SENT] = "INSERT INTO outbox_part (outbox_id, seq,"
	    " modem, msgref, recipient, sent_at) SELECT ?1, ?2, ?3, ?4,"
	    " recipient, ?5 FROM outbox WHERE id = ?1 " OUTBOX_PART_UPSERT,
	[S_OUTBOX_PARTS_TAKEN] = "SELECT count(*) FROM outbox_part"
	    " WHERE outbox_id = ? AND sent_at >= ?",
	[S_OUTBOX_PARTS_ON_RECORD] = "SELECT seq, modem FROM outbox_part"
	    " WHERE outbox_id = ? ORDER BY sent_at DESC, seq DESC",
	/* The newest part with that reference: references wrap at 256. */
	[S_OUTBOX_REPORT] = "UPDATE outbox_part SET status = ?1,"
	    " reported_at = ?2 WHERE rowid = (SELECT rowid FROM outbox_part"
	    " WHERE modem = ?3 AND msgref = ?4 AND (?5 = '' OR recipient = ?5)"
	    " ORDER BY sent_at DESC, outbox_id DESC LIMIT 1)"
	    " RETURNING outbox_id",
	/* An outbox row is delivered when every part is; failed if any is. */
	[S_OUTBOX_DELIVERED] = "UPDATE outbox SET delivery = CASE"
	    " WHEN (SELECT count(*) FROM outbox_part p WHERE p.outbox_id = ?1"
	    "   AND p.status = 'failed') > 0 THEN 'failed'"
	    " WHEN (SELECT count(*) FROM outbox_part p WHERE p.outbox_id = ?1"
	    "   AND p.status = 'delivered') >= parts THEN 'delivered'"
	    " ELSE 'pending' END,"
	    " delivered_at = CASE WHEN (SELECT count(*) FROM outbox_part p"
	    "   WHERE p.outbox_id = ?1 AND p.status = 'delivered') >= parts"
	    "   THEN ?2 ELSE delivered_at END WHERE id = ?1",
	[S_OUTBOX_PARTS_SINCE] = "SELECT coalesce(sum(parts), 0) FROM outbox"
	    " WHERE modem = ? AND state IN (1, 2) AND sent_at >= ?",
	/*
	 * The row in doubt a report of reference ?4 may be a part of: none
	 * of its parts on record has ?4, or lies further from it than the
	 * row has parts (a modem numbers a message's parts one after
	 * another, modulo 256). One with parts on record first: it was in
	 * the air; then the oldest.
	 */
	[S_OUTBOX_SETTLE] = "SELECT o.id FROM outbox o WHERE o.state = 0"
	    " AND o.modem = ?1 AND o.recipient = ?2 AND o.last_error = ?3"
	    " AND NOT EXISTS (SELECT 1 FROM outbox_part p"
	    "  WHERE p.outbox_id = o.id AND (p.msgref = ?4"
	    "  OR min((?4 - p.msgref + 256) % 256, (p.msgref - ?4 + 256) % 256)"
	    "  >= max(o.encoded_parts, 1)))"
	    " ORDER BY EXISTS (SELECT 1 FROM outbox_part p"
	    "  WHERE p.outbox_id = o.id) DESC, o.id LIMIT 1",
	/*
	 * A row settled by one part's report, with fewer parts proven than it
	 * encodes into, whose proven parts all have references near ?3: a
	 * modem numbers the parts of one message one after another (TP-MR,
	 * modulo 256), so all its references lie within encoded_parts - 1 of
	 * each other, and ?3 is another part of it.
	 */
	[S_OUTBOX_SETTLE_PART] = "UPDATE outbox SET parts = parts + 1"
	    " WHERE id = (SELECT o.id FROM outbox o WHERE o.recipient = ?2"
	    " AND o.sent_at >= ?4 AND o.state = 2 AND o.modem = ?1"
	    " AND o.parts < o.encoded_parts AND o.parts > 0 AND NOT EXISTS"
	    " (SELECT 1 FROM outbox_part p WHERE p.outbox_id = o.id"
	    " AND (p.msgref = ?3 OR min((?3 - p.msgref + 256) % 256,"
	    " (p.msgref - ?3 + 256) % 256) >= o.encoded_parts))"
	    " ORDER BY o.id DESC LIMIT 1) RETURNING id, parts, sent_at",
	[S_CALL_ADD] = "INSERT INTO call (modem, number, at) VALUES (?, ?, ?)",
	[S_CALL_LIST] = "SELECT id, modem, number, at, handled FROM call"
	    " ORDER BY id DESC LIMIT ?",
	[S_MODEM_LIST] = "SELECT m.name, m.state, m.detail, m.updated_at,"
	    " (SELECT count(*) FROM outbox o WHERE o.modem = m.name"
	    "   AND o.state = 2),"
	    " (SELECT coalesce(sum(o.parts), 0) FROM outbox o"
	    "   WHERE o.modem = m.name AND o.state = 2),"
	    " (SELECT count(*) FROM inbound_part i WHERE i.modem = m.name),"
	    " m.signal, m.battery, m.network, m.operator, m.sim_used,"
	    " m.sim_total, coalesce(m.health_at, 0), coalesce(m.down_since, 0),"
	    " (SELECT count(*) FROM call c WHERE c.modem = m.name)"
	    " FROM modem m ORDER BY m.name",
	[S_AUDIT] = "INSERT INTO audit (at, actor, channel, action, object,"
	    " detail) VALUES (?, ?, ?, ?, ?, ?)",
	[S_TICKET_INSERT] = "INSERT OR IGNORE INTO ticket (code, reporter,"
	    " village_id, category, urgent, text, status, created_at,"
	    " updated_at, accept_due, resolve_due, message_id)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	[S_TICKET_FIND] = "SELECT " TICKET_COLS TICKET_FROM
	    " WHERE k.code = ?",
	[S_TICKET_GET] = "SELECT " TICKET_COLS TICKET_FROM " WHERE k.id = ?",
	[S_TICKET_UPDATE] = "UPDATE ticket SET status = ?2, category = ?3,"
	    " urgent = ?4, accept_due = ?5, resolve_due = ?6,"
	    " accepted_by = nullif(?7, ''), accepted_at = nullif(?8, 0),"
	    " resolved_by = nullif(?9, ''), resolved_at = nullif(?10, 0),"
	    " reply = ?11, rating = nullif(?12, 0), rated_at = nullif(?13, 0),"
	    " escalation = ?14, accept_reminded = ?15, accept_escalated = ?16,"
	    " resolve_reminded = ?17, resolve_escalated = ?18,"
	    " updated_at = ?19 WHERE id = ?1",
	[S_TICKET_LIST] = "SELECT " TICKET_COLS TICKET_FROM
	    " WHERE (?1 IS NULL OR v.code = ?1)"
	    " AND (?2 IS NULL OR t.code = ?2)"
	    " AND (?3 IS NULL OR k.status = ?3)"
	    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM ticket_assignee a"
	    "   WHERE a.ticket_id = k.id AND a.phone = ?4))"
	    " AND (?5 IS NULL OR k.reporter = ?5)"
	    " AND (?6 = 0 OR k.status IN ('open', 'accepted', 'reopened'))"
	    " ORDER BY k.id",
	[S_TICKET_SLA_DUE] = "SELECT id FROM ticket WHERE"
	    " (status = 'open' AND ((accept_reminded = 0 AND accept_due <= ?1)"
	    "  OR (accept_escalated = 0 AND accept_due + ?2 <= ?1)))"
	    " OR (status IN ('accepted', 'reopened')"
	    "  AND ((resolve_reminded = 0 AND resolve_due <= ?1)"
	    "  OR (resolve_escalated = 0 AND resolve_due + CASE WHEN urgent"
	    "  THEN ?4 ELSE ?3 END <= ?1)))"
	    " ORDER BY id LIMIT ?5",
	[S_TICKET_ASSIGN] = "INSERT OR IGNORE INTO ticket_assignee"
	    " (ticket_id, phone) VALUES (?, ?)",
	[S_TICKET_IS_ASSIGNEE] = "SELECT 1 FROM ticket_assignee"
	    " WHERE ticket_id = ? AND phone = ?",
	[S_TICKET_ASSIGNEES] = "SELECT phone FROM ticket_assignee"
	    " WHERE ticket_id = ? ORDER BY added",
	[S_TICKET_EVENT] = "INSERT INTO ticket_event (ticket_id, at, actor,"
	    " channel, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
	[S_TICKET_EVENTS] = "SELECT id, at, actor, channel, action, detail"
	    " FROM ticket_event WHERE ticket_id = ? ORDER BY id",
	[S_PENDING_ADD] = "INSERT INTO pending_report (phone, text,"
	    " received_at, message_id) VALUES (?, ?, ?, ?)",
	[S_PENDING_LIST] = "SELECT id, text, received_at,"
	    " coalesce(message_id, 0) FROM pending_report"
	    " WHERE phone = ? AND filed_at IS NULL ORDER BY id",
	[S_PENDING_FILED] = "UPDATE pending_report SET ticket_id = ?,"
	    " filed_at = ? WHERE id = ?",
	[S_PROMPT_ADD] = "INSERT INTO prompt (phone, kind, object_id,"
	    " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
	[S_PROMPT_SUPERSEDE] = "UPDATE prompt SET state = ?3,"
	    " answered_at = ?4 WHERE kind = ?1 AND object_id = ?2"
	    " AND state = 'open'",
	[S_PROMPT_OPEN] = "SELECT " PROMPT_COLS " FROM prompt"
	    " WHERE phone = ? AND state = 'open' AND expires_at > ?"
	    " ORDER BY id DESC LIMIT 1",
	[S_PROMPT_CLOSE] = "UPDATE prompt SET state = ?, answer = ?,"
	    " answered_at = ? WHERE id = ?",
	[S_PROMPT_EXPIRED] = "SELECT " PROMPT_COLS " FROM prompt"
	    " WHERE state = 'open' AND expires_at <= ? ORDER BY id LIMIT ?",
	/* -1 (-2 for prompt_min, where -1 means off) stores NULL: default. */
	[S_ELDER_PUT] = "INSERT INTO elder (person_id, cadre, due_min,"
	    " guardian_after, cadre_after, township_min, confirm, prompt_min,"
	    " start_day, created_at, updated_at) VALUES (?1, ?2,"
	    " nullif(?3, -1), nullif(?4, -1), nullif(?5, -1), nullif(?6, -1),"
	    " nullif(?7, -1), nullif(?8, -2), ?9, ?10, ?10)"
	    " ON CONFLICT (person_id) DO UPDATE SET cadre = ?2,"
	    " due_min = nullif(?3, -1), guardian_after = nullif(?4, -1),"
	    " cadre_after = nullif(?5, -1), township_min = nullif(?6, -1),"
	    " confirm = nullif(?7, -1), prompt_min = nullif(?8, -2),"
	    " start_day = ?9, active = 1, updated_at = ?10",
	[S_ELDER_FIND] = "SELECT " ELDER_COLS ELDER_FROM " WHERE p.phone = ?",
	[S_ELDER_GET] = "SELECT " ELDER_COLS ELDER_FROM " WHERE e.id = ?",
	[S_ELDER_LIST] = "SELECT " ELDER_COLS ELDER_FROM
	    " WHERE e.active AND (?1 IS NULL OR v.code = ?1)"
	    " ORDER BY v.code, p.name, p.phone",
	[S_ELDER_SET] = "UPDATE elder SET active = ?2, paused_until = ?3,"
	    " updated_at = ?4 WHERE id = ?1",
	[S_GUARDIAN_PUT] = "INSERT OR REPLACE INTO elder_guardian (elder_id,"
	    " phone, name, relation) VALUES (?, ?, ?, ?)",
	[S_GUARDIAN_CLEAR] = "DELETE FROM elder_guardian WHERE elder_id = ?",
	[S_GUARDIANS] = "SELECT phone, name, relation FROM elder_guardian"
	    " WHERE elder_id = ? ORDER BY rowid",
	/* Whom phone may confirm: as guardian, responsible or village cadre. */
	[S_ELDER_RELATED] = "SELECT id FROM elder WHERE cadre = ?1 AND active"
	    " UNION SELECT e.id FROM elder_guardian g JOIN elder e"
	    "  ON e.id = g.elder_id WHERE g.phone = ?1 AND e.active"
	    " UNION SELECT e.id FROM person c JOIN person p"
	    "  ON p.village_id = c.village_id JOIN elder e ON e.person_id = p.id"
	    "  WHERE c.phone = ?1 AND (c.roles & 4) != 0 AND e.active",
	/* The same elders: the one whose name text holds (the longest), or
	 * whose code text is or starts with. */
	[S_ELDER_RELATED_FIND] = "SELECT " ELDER_COLS ELDER_FROM
	    " WHERE e.active AND e.id IN (SELECT id FROM elder WHERE cadre = ?1"
	    "  UNION SELECT g.elder_id FROM elder_guardian g WHERE g.phone = ?1"
	    "  UNION SELECT x.id FROM person c JOIN person q"
	    "   ON q.village_id = c.village_id JOIN elder x ON x.person_id = q.id"
	    "   WHERE c.phone = ?1 AND (c.roles & 4) != 0)"
	    " AND ((p.name != '' AND instr(?2, p.name) > 0)"
	    "  OR ?2 = CAST(e.id AS TEXT)"
	    "  OR ?2 GLOB CAST(e.id AS TEXT) || '[^0-9]*')"
	    " ORDER BY ?2 GLOB CAST(e.id AS TEXT) || '*' DESC,"
	    "  length(p.name) DESC, e.id LIMIT 1",
	[S_GUARDIAN_IS] = "SELECT 1 FROM elder_guardian g JOIN elder e"
	    " ON e.id = g.elder_id WHERE g.phone = ? AND e.active LIMIT 1",
	[S_CHECKIN_VILLAGE_PUT] = "INSERT INTO checkin_village (village_id,"
	    " due_min, guardian_after, cadre_after, township_min) VALUES (?1,"
	    " nullif(?2, -1), nullif(?3, -1), nullif(?4, -1), nullif(?5, -1))"
	    " ON CONFLICT (village_id) DO UPDATE SET due_min = nullif(?2, -1),"
	    " guardian_after = nullif(?3, -1), cadre_after = nullif(?4, -1),"
	    " township_min = nullif(?5, -1)",
	[S_CHECKIN_VILLAGE_GET] = "SELECT coalesce(due_min, -1),"
	    " coalesce(guardian_after, -1), coalesce(cadre_after, -1),"
	    " coalesce(township_min, -1) FROM checkin_village"
	    " WHERE village_id = ?",
	[S_CHECKIN_RUN_HAS] = "SELECT 1 FROM checkin_run WHERE day = ?",
	[S_CHECKIN_RUN_ADD] = "INSERT OR IGNORE INTO checkin_run (day, at,"
	    " elders) VALUES (?, ?, ?)",
	[S_CHECKIN_MATERIALIZE] = CHECKIN_MATERIALIZE ")",
	[S_CHECKIN_MATERIALIZE_ONE] = CHECKIN_MATERIALIZE " AND e.id = ?9)",
	[S_CHECKIN_DAY_FIND] = "SELECT " CHECKIN_DAY_COLS
	    " FROM checkin_day d WHERE d.elder_id = ? AND d.day = ?",
	[S_CHECKIN_DAY_GET] = "SELECT " CHECKIN_DAY_COLS
	    " FROM checkin_day d WHERE d.id = ?",
	[S_CHECKIN_DAY_INSERT] = "INSERT INTO checkin_day (elder_id, day,"
	    " status, step, checked_in_at, source, resolved_at, resolved_by,"
	    " note) VALUES (?, ?, ?, ?, nullif(?, 0), ?, nullif(?, 0), ?, ?)",
	[S_CHECKIN_DAY_UPDATE] = "UPDATE checkin_day SET status = ?2,"
	    " step = ?3, next_at = nullif(?4, 0), checked_in_at = nullif(?5, 0),"
	    " source = ?6, resolved_at = nullif(?7, 0), resolved_by = ?8,"
	    " note = ?9 WHERE id = ?1",
	/* Every step of every ladder, from one partial index on next_at. */
	[S_CHECKIN_DAY_DUE] = "SELECT id FROM checkin_day"
	    " WHERE status = 'open' AND next_at <= ? ORDER BY next_at, id"
	    " LIMIT ?",
	[S_CHECKIN_DAY_OPEN] = "SELECT id FROM checkin_day"
	    " WHERE elder_id = ? AND status = 'open' ORDER BY day",
	[S_CHECKIN_DAY_LIST] = "SELECT " ELDER_COLS ", " CHECKIN_DAY_COLS
	    ELDER_FROM " LEFT JOIN checkin_day d ON d.elder_id = e.id"
	    " AND d.day = ?1 WHERE e.active AND (?2 IS NULL OR v.code = ?2)"
	    " ORDER BY v.code, p.name, p.phone",
	[S_CHECKIN_DAY_HISTORY] = "SELECT " ELDER_COLS ", " CHECKIN_DAY_COLS
	    ELDER_FROM " JOIN checkin_day d ON d.elder_id = e.id"
	    " WHERE e.id = ?1 ORDER BY d.day DESC LIMIT ?2",
	[S_CHECKIN_DAY_RANGE] = "SELECT " ELDER_COLS ", " CHECKIN_DAY_COLS
	    ELDER_FROM " JOIN checkin_day d ON d.elder_id = e.id"
	    " WHERE d.day BETWEEN ?1 AND ?2 AND (?3 IS NULL OR v.code = ?3)"
	    " ORDER BY v.code, d.day",
	[S_CHECKIN_ALERT_ADD] = "INSERT OR IGNORE INTO checkin_alert (day_id,"
	    " phone, step, at, outbox_id) VALUES (?, ?, ?, ?, ?)",
	/* Who was (or may have been) told: not those whose alert was
	   withdrawn before it went. */
	[S_CHECKIN_ALERTED] = "SELECT a.phone FROM checkin_alert a"
	    " LEFT JOIN outbox o ON o.id = a.outbox_id WHERE a.day_id = ?"
	    " AND (o.state IS NULL OR o.state != 5) ORDER BY a.step, a.rowid",
	[S_CHECKIN_WITHDRAW] = "UPDATE outbox SET state = 5, waiting = '',"
	    " last_error = 'withdrawn: the elder was found well before it went'"
	    " WHERE state = 0 AND attempts = 0 AND next_attempt_at <= ?2"
	    " AND id IN (SELECT outbox_id FROM checkin_alert"
	    " WHERE day_id = ?1)",
	[S_SOS_ADD] = "INSERT INTO checkin_sos (elder_id, at, next_at)"
	    " VALUES (?, ?, ?)",
	[S_SOS_DUE] = "SELECT id, elder_id, at, next_at, repeats"
	    " FROM checkin_sos WHERE resolved_at IS NULL AND next_at <= ?"
	    " ORDER BY next_at, id LIMIT ?",
	[S_SOS_REPEAT] = "UPDATE checkin_sos SET next_at = ?,"
	    " repeats = repeats + 1 WHERE id = ?",
	[S_SOS_RESOLVE] = "UPDATE checkin_sos SET resolved_at = ?2,"
	    " resolved_by = ?3 WHERE elder_id = ?1 AND resolved_at IS NULL",
	[S_CALL_HANDLED] = "UPDATE call SET handled = 1 WHERE id = ?",
	[S_EVENT_INSERT] = "INSERT INTO event (code, village_id, title, place,"
	    " starts_at, remind_at, capacity, created_by, created_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
	/* The open event with that code, else the newest one. */
	[S_EVENT_FIND] = "SELECT " EVENT_COLS " WHERE e.code = ?"
	    " ORDER BY e.status = 'open' DESC, e.id DESC LIMIT 1",
	[S_EVENT_GET] = "SELECT " EVENT_COLS " WHERE e.id = ?",
	[S_EVENT_LIST] = "SELECT " EVENT_COLS
	    " WHERE (?1 = 0 OR e.status = 'open') ORDER BY e.starts_at, e.id",
	[S_EVENT_LIST_VILLAGE] = "SELECT " EVENT_COLS
	    " WHERE (?1 = 0 OR e.status = 'open') AND v.code = ?2"
	    " ORDER BY e.starts_at, e.id",
	[S_EVENT_SET] = "UPDATE event SET status = ?, reminded = ?"
	    " WHERE id = ?",
	[S_EVENT_REMIND_DUE] = "SELECT id FROM event WHERE status = 'open'"
	    " AND reminded = 0 AND remind_at <= ?1 AND starts_at > ?1"
	    " ORDER BY id LIMIT ?2",
	[S_EVENT_CLOSE_PAST] = "UPDATE event SET status = 'closed'"
	    " WHERE status = 'open' AND starts_at <= ?",
	[S_SIGNUP_FIND] = "SELECT " SIGNUP_COLS
	    " WHERE s.event_id = ? AND s.phone = ?",
	[S_SIGNUP_INSERT] = "INSERT INTO event_signup (event_id, phone,"
	    " status, ord, created_at, updated_at) VALUES (?1, ?2, ?3,"
	    " (SELECT coalesce(max(ord), 0) + 1 FROM event_signup"
	    "  WHERE event_id = ?1), ?4, ?4)",
	[S_SIGNUP_UPDATE] = "UPDATE event_signup SET status = ?3,"
	    " ord = (SELECT coalesce(max(ord), 0) + 1 FROM event_signup"
	    "  WHERE event_id = ?1), updated_at = ?4"
	    " WHERE event_id = ?1 AND phone = ?2",
	/* Confirmed, then waiting, then cancelled; each in order. */
	[S_SIGNUP_LIST] = "SELECT " SIGNUP_COLS " WHERE s.event_id = ?"
	    " ORDER BY CASE s.status WHEN 'confirmed' THEN 0"
	    " WHEN 'waiting' THEN 1 ELSE 2 END, s.ord",
	[S_NOTICE_ADD] = "INSERT INTO notice (village_id, text, sender,"
	    " recipients, parts, status, created_at, sent_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
	[S_NOTICE_GET] = "SELECT " NOTICE_COLS " WHERE n.id = ?",
	[S_NOTICE_SET] = "UPDATE notice SET status = ?, sent_at = ?"
	    " WHERE id = ?",
	[S_NOTICE_LIST] = "SELECT " NOTICE_COLS
	    " WHERE (?1 IS NULL OR v.code = ?1) ORDER BY n.id DESC",
	[S_NOTICE_EXPIRE] = "UPDATE notice SET status = 'expired'"
	    " WHERE status = 'pending' AND created_at <= ?",
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*stmt[S_NSTMTS];
	int		 busy_ms;	/* how long a statement waits */
};

static const char *const store_state_names[] = {
	"queued", "sending", "sent", "failed", "expired", "withdrawn"
};

/* The statement for id, reset and unbound, ready for binding. */
static sqlite3_stmt *
store_stmt(struct store *st, enum store_stmt id)
{
	sqlite3_stmt *s = st->stmt[id];

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

/* Bind ?1.. from a format: s text (NULL -> NULL), i int, l int64. */
static void
store_bind(sqlite3_stmt *s, const char *fmt, ...)
{
	va_list ap;
	const char *str;
	int i;

	va_start(ap, fmt);
	for (i = 1; *fmt != '\0'; fmt++, i++) {
		switch (*fmt) {
		case 's':
			str = va_arg(ap, const char *);
			if (str == NULL)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_text(s, i, str, -1,
				    SQLITE_TRANSIENT);
			break;
		case 'i':
			sqlite3_bind_int(s, i, va_arg(ap, int));
			break;
		case 'l':
			sqlite3_bind_int64(s, i, va_arg(ap, int64_t));
			break;
		case 'n':	/* int64, 0 binds NULL (optional references) */
		{
			int64_t v = va_arg(ap, int64_t);
			if (v == 0)
				sqlite3_bind_null(s, i);
			else
				sqlite3_bind_int64(s, i, v);
			break;
		}
		}
	}
	va_end(ap);
	/* A format that does not fit the statement is a bug: stop here. */
	if (i - 1 != sqlite3_bind_parameter_count(s))
		fatal("store: %d values bound to \"%s\"", i - 1,
		    sqlite3_sql(s));
}

/* Run a statement that returns no rows. 0 or -1 (logged). */
static int
store_exec_stmt(struct store *st, sqlite3_stmt *s)
{
	int rc;

	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warn("store: %s: %s", sqlite3_sql(s),
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

static void
store_copy(char *dst, size_t n, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, n, "%s", t != NULL ? (const char *)t : "");
}

static int
store_exec(struct store *st, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf("%s", err != NULL ? err :
		    sqlite3_errmsg(st->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
store_user_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
store_backup(struct store *st, const char *path, char **cause)
{
	static const char *suffix[] = { "", "-wal", "-shm" };
	sqlite3 *to = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s;
	char *tmp, *ok = NULL;
	int i, rc;

	/*
	 * One step: a read transaction over the whole copy, a consistent
	 * snapshot, while the daemon goes on writing (WAL). Into path.tmp.PID
	 * (the daemon and cungatectl may back up at once), checked, then
	 * renamed: path is a whole backup or none.
	 */
	tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", tmp, to != NULL ?
		    sqlite3_errmsg(to) : "cannot open");
		goto fail;
	}
	if ((b = sqlite3_backup_init(to, "main", st->db, "main")) == NULL) {
		*cause = xasprintf("%s: %s", tmp, sqlite3_errmsg(to));
		goto fail;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			usleep(100 * 1000);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", tmp, sqlite3_errstr(rc));
		goto fail;
	}
	if (sqlite3_prepare_v2(to, "PRAGMA quick_check", -1, &s, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			ok = xstrdup((const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	if (ok == NULL || strcmp(ok, "ok") != 0) {
		*cause = xasprintf("%s: the copy does not check: %s", tmp,
		    ok != NULL ? ok : sqlite3_errmsg(to));
		goto fail;
	}
	/* One self-contained file, whatever mode the database runs in. */
	if (sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", tmp, sqlite3_errmsg(to));
		goto fail;
	}
	if (sqlite3_close(to) != SQLITE_OK || rename(tmp, path) == -1) {
		to = NULL;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	free(ok);
	free(tmp);
	return 0;
fail:
	sqlite3_close(to);
	free(ok);
	for (i = 0; i < 3; i++) {
		ok = xasprintf("%s%s", tmp, suffix[i]);
		unlink(ok);
		free(ok);
	}
	free(tmp);
	return -1;
}

int
store_restore(const char *backup, const char *path, char **cause)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_backup *b;
	sqlite3_stmt *s;
	const char *ok;
	char *journal;
	int rc = -1, step;

	if (sqlite3_open_v2(backup, &from, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		*cause = xasprintf("%s: %s", backup, from != NULL ?
		    sqlite3_errmsg(from) : "cannot open");
		goto done;
	}
	/* A backup that does not check is never put in place. */
	if (sqlite3_prepare_v2(from, "PRAGMA quick_check", -1, &s, NULL) !=
	    SQLITE_OK) {
		*cause = xasprintf("%s: %s", backup, sqlite3_errmsg(from));
		goto done;
	}
	ok = sqlite3_step(s) == SQLITE_ROW ?
	    (const char *)sqlite3_column_text(s, 0) : NULL;
	if (ok == NULL || strcmp(ok, "ok") != 0) {
		*cause = xasprintf("%s: not a sound cungate database (%s)",
		    backup, ok != NULL ? ok : sqlite3_errmsg(from));
		sqlite3_finalize(s);
		goto done;
	}
	sqlite3_finalize(s);
	if (sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, to != NULL ?
		    sqlite3_errmsg(to) : "cannot open");
		goto done;
	}
	sqlite3_busy_timeout(to, 5000);
	/* The backup API writes the pages and the WAL, in one go. */
	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL) {
		*cause = xasprintf("%s: %s", path, sqlite3_errmsg(to));
		goto done;
	}
	step = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		*cause = xasprintf("%s: %s", path, sqlite3_errstr(step));
		goto done;
	}
	/* The replaced database's journal of parts speaks of its rows. */
	journal = xasprintf("%s.parts", path);
	unlink(journal);
	free(journal);
	rc = 0;
done:
	sqlite3_close(to);
	sqlite3_close(from);
	return rc;
}

/*
 * Before the first migration of a database that has rows already: a
 * backup beside it, path.schema-V.bak, and a line in the log saying so.
 */
static int
store_backup_before_migrating(struct store *st, char **cause)
{
	const char *path = sqlite3_db_filename(st->db, "main");
	char *bak, *err = NULL;
	int v = store_user_version(st);

	if (v <= 0 || v >= STORE_NMIGRATIONS || path == NULL || *path == '\0')
		return 0;
	bak = xasprintf("%s.schema-%d.bak", path, v);
	if (store_backup(st, bak, &err) == -1) {
		*cause = xasprintf("backup before migrating from schema %d: %s",
		    v, err);
		free(err);
		free(bak);
		return -1;
	}
	/* Warn: cungatectl shows it too, whoever opens it first. */
	log_warn("store: schema %d to %d: the database was backed up first "
	    "to %s", v, STORE_NMIGRATIONS, bak);
	free(bak);
	return 0;
}

/*
 * Run every migration past the database's version, each in its own
 * transaction. The version is read again under the write lock: the daemon
 * and cungatectl may open a new database at the same moment.
 */
static int
store_migrate(struct store *st, char **cause)
{
	char *sql, *err = NULL;
	int v;

	for (;;) {
		if (store_exec(st, "BEGIN IMMEDIATE", &err) == -1)
			break;
		if ((v = store_user_version(st)) == -1) {
			err = xasprintf("reading user_version: %s",
			    sqlite3_errmsg(st->db));
			break;
		}
		if (v >= STORE_NMIGRATIONS) {
			if (store_exec(st, "COMMIT", &err) == -1)
				break;
			if (v > STORE_NMIGRATIONS) {
				*cause = xasprintf("database schema %d is "
				    "newer than this build knows (%d)", v,
				    STORE_NMIGRATIONS);
				return -1;
			}
			return 0;
		}
		sql = xasprintf("%s PRAGMA user_version = %d; COMMIT;",
		    store_migrations[v], v + 1);
		if (store_exec(st, sql, &err) == -1) {
			free(sql);
			*cause = xasprintf("migration to schema %d: %s", v + 1,
			    err);
			free(err);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		free(sql);
		log_debug("store: migrated to schema %d", v + 1);
	}
	*cause = xasprintf("migrating: %s", err);
	free(err);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Switch to WAL. On a new database this needs a lock the busy handler
 * does not wait for, and the daemon and cungatectl may be opening it at
 * the same moment: try again for a few seconds. 0, or -1 with *cause.
 */
static int
store_wal(struct store *st, char **cause)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL,
		    NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == 100)
			break;
		usleep(50 * 1000);
	}
	*cause = xasprintf("journal_mode = WAL: %s", sqlite3_errmsg(st->db));
	return -1;
}

struct store *
store_open(const char *path, char **cause)
{
	struct store *st;
	char *err = NULL;
	int i;

	st = xcalloc(1, sizeof *st);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path, st->db != NULL ?
		    sqlite3_errmsg(st->db) : "cannot open");
		goto fail;
	}
	store_set_busy_timeout(st, 5000);
	if (store_wal(st, &err) == -1 || store_exec(st,
	    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
	    &err) == -1 || store_backup_before_migrating(st, &err) == -1 ||
	    store_migrate(st, &err) == -1) {
		*cause = xasprintf("%s: %s", path, err);
		free(err);
		goto fail;
	}
	for (i = 0; i < S_NSTMTS; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) !=
		    SQLITE_OK) {
			*cause = xasprintf("%s: preparing %s: %s", path,
			    store_sql[i], sqlite3_errmsg(st->db));
			goto fail;
		}
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < S_NSTMTS; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st);
}

int
store_schema_version(struct store *st)
{
	return store_user_version(st);
}

const char *
store_error(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

void
store_set_busy_timeout(struct store *st, int ms)
{
	st->busy_ms = ms;
	sqlite3_busy_timeout(st->db, ms);
}

int
store_begin(struct store *st)
{
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_warn("store: begin: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
store_commit(struct store *st)
{
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_warn("store: commit: %s", sqlite3_errmsg(st->db));
		store_rollback(st);
		return -1;
	}
	return 0;
}

void
store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Step a one-row lookup: -1 error, 0 no row, 1 row (left unreset). */
static int
store_step_row(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	log_warn("store: %s: %s", sqlite3_sql(s), sqlite3_errmsg(st->db));
	return -1;
}

/* Fill *cause from a failed insert, telling a duplicate apart. */
static void
store_insert_cause(struct store *st, const char *what, const char *code,
    char **cause)
{
	if (sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_UNIQUE ||
	    sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		*cause = xasprintf("%s %s already exists", what, code);
	else
		*cause = xasprintf("%s %s: %s", what, code,
		    sqlite3_errmsg(st->db));
}

/*
 * Call cb with column 0 of every row of the bound statement s: phone
 * numbers, collected first, since callbacks may queue messages through
 * the store. 0 or -1.
 */
static int
store_phones(struct store *st, sqlite3_stmt *s,
    void (*cb)(const char *, void *), void *arg)
{
	struct phone_set ps = { NULL, 0 };
	size_t i;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		phone_set_add(&ps, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		log_warn("store: %s: %s", sqlite3_sql(s),
		    sqlite3_errmsg(st->db));
	for (i = 0; rc == SQLITE_DONE && i < ps.n; i++)
		cb(ps.v[i], arg);
	phone_set_free(&ps);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- townships and villages --- */

int
store_township_add(struct store *st, const char *code, const char *name,
    time_t now, char **cause)
{
	sqlite3_stmt *s = store_stmt(st, S_TOWNSHIP_ADD);

	store_bind(s, "ssl", code, name, (int64_t)now);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_insert_cause(st, "township", code, cause);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* The id of township code: -1 / 0 / 1. */
static int
store_township_id(struct store *st, const char *code, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_TOWNSHIP_ID);
	int rc;

	store_bind(s, "s", code);
	if ((rc = store_step_row(st, s)) == 1) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_township_add_supervisor(struct store *st, const char *code,
    const char *phone, char **cause)
{
	sqlite3_stmt *s;
	int64_t id;

	switch (store_township_id(st, code, &id)) {
	case -1:
		*cause = xasprintf("township %s: %s", code, store_error(st));
		return -1;
	case 0:
		*cause = xasprintf("no township %s", code);
		return -1;
	}
	s = store_stmt(st, S_SUPERVISOR_ADD);
	store_bind(s, "ls", id, phone);
	if (store_exec_stmt(st, s) == -1) {
		*cause = xasprintf("township %s: %s", code, store_error(st));
		return -1;
	}
	return 0;
}

int
store_township_supervisors(struct store *st, const char *code,
    void (*cb)(const char *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_SUPERVISORS);

	store_bind(s, "s", code);
	return store_phones(st, s, cb, arg);
}

int
store_township_list(struct store *st,
    void (*cb)(const struct store_township *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_TOWNSHIP_LIST);
	struct store_township t;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&t, 0, sizeof t);
		t.id = sqlite3_column_int64(s, 0);
		store_copy(t.code, sizeof t.code, s, 1);
		store_copy(t.name, sizeof t.name, s, 2);
		t.supervisors = sqlite3_column_int(s, 3);
		t.villages = sqlite3_column_int(s, 4);
		cb(&t, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_village_add(struct store *st, const char *code, const char *name,
    const char *township, time_t now, char **cause)
{
	sqlite3_stmt *s;
	int64_t tid = 0;

	if (township != NULL) {
		switch (store_township_id(st, township, &tid)) {
		case -1:
			*cause = xasprintf("township %s: %s", township,
			    store_error(st));
			return -1;
		case 0:
			*cause = xasprintf("no township %s", township);
			return -1;
		}
	}
	s = store_stmt(st, S_VILLAGE_ADD);
	store_bind(s, "ssnl", code, name, tid, (int64_t)now);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_insert_cause(st, "village", code, cause);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

static void
store_village_row(sqlite3_stmt *s, struct store_village *v)
{
	memset(v, 0, sizeof *v);
	v->id = sqlite3_column_int64(s, 0);
	store_copy(v->code, sizeof v->code, s, 1);
	store_copy(v->name, sizeof v->name, s, 2);
	store_copy(v->township, sizeof v->township, s, 3);
}

/* The village statement which finds for arg: -1 / 0 / 1. */
static int
store_village_one(struct store *st, enum store_stmt which, const char *arg,
    struct store_village *out)
{
	sqlite3_stmt *s = store_stmt(st, which);
	int rc;

	store_bind(s, "s", arg);
	if ((rc = store_step_row(st, s)) == 1) {
		store_village_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_village_find(struct store *st, const char *code,
    struct store_village *out)
{
	return store_village_one(st, S_VILLAGE_FIND, code, out);
}

int
store_village_named(struct store *st, const char *text,
    struct store_village *out)
{
	return store_village_one(st, S_VILLAGE_NAMED, text, out);
}

int
store_village_in(struct store *st, const char *text,
    struct store_village *out)
{
	return store_village_one(st, S_VILLAGE_IN, text, out);
}

int
store_village_list(struct store *st,
    void (*cb)(const struct store_village *, int, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_VILLAGE_LIST);
	struct store_village v;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_village_row(s, &v);
		cb(&v, sqlite3_column_int(s, 4), arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- people --- */

static void
store_person_row(sqlite3_stmt *s, struct store_person *p)
{
	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(s, 0);
	store_copy(p->phone, sizeof p->phone, s, 1);
	store_copy(p->name, sizeof p->name, s, 2);
	p->village_id = sqlite3_column_int64(s, 3);
	store_copy(p->village, sizeof p->village, s, 4);
	store_copy(p->village_name, sizeof p->village_name, s, 5);
	p->roles = (unsigned)sqlite3_column_int(s, 6);
	store_copy(p->categories, sizeof p->categories, s, 7);
	p->opted_out = sqlite3_column_int(s, 8);
}

int
store_person_find(struct store *st, const char *phone,
    struct store_person *out)
{
	sqlite3_stmt *s = store_stmt(st, S_PERSON_FIND);
	int rc;

	store_bind(s, "s", phone);
	if ((rc = store_step_row(st, s)) == 1) {
		store_person_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_person_put(struct store *st, const char *phone, const char *name,
    const char *village, unsigned roles, const char *categories,
    time_t now, char **cause)
{
	struct store_village v;
	struct store_person p;
	sqlite3_stmt *s;
	int64_t vid = 0;
	int found;

	if (village != NULL) {
		switch (store_village_find(st, village, &v)) {
		case -1:
			*cause = xasprintf("village %s: %s", village,
			    store_error(st));
			return -1;
		case 0:
			*cause = xasprintf("no village %s", village);
			return -1;
		}
		vid = v.id;
	}
	if ((found = store_person_find(st, phone, &p)) == -1) {
		*cause = xasprintf("%s: %s", phone, store_error(st));
		return -1;
	}
	if (found) {
		s = store_stmt(st, S_PERSON_UPDATE);
		store_bind(s, "snisls", name, vid, (int)roles,
		    categories != NULL ? categories : "", (int64_t)now, phone);
	} else {
		s = store_stmt(st, S_PERSON_INSERT);
		store_bind(s, "ssnisll", phone, name, vid, (int)roles,
		    categories != NULL ? categories : "", (int64_t)now,
		    (int64_t)now);
	}
	if (store_exec_stmt(st, s) == -1) {
		*cause = xasprintf("%s: %s", phone, store_error(st));
		return -1;
	}
	return found ? 0 : 1;
}

int
store_person_set_opted_out(struct store *st, const char *phone,
    int opted_out, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_PERSON_OPTOUT);

	store_bind(s, "ils", opted_out ? 1 : 0, (int64_t)now, phone);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

/* The rows of s, bound, each to cb. 0 or -1. */
static int
store_person_rows(sqlite3_stmt *s,
    void (*cb)(const struct store_person *, void *), void *arg)
{
	struct store_person p;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_person_row(s, &p);
		cb(&p, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_person_cadres(struct store *st, const char *village,
    void (*cb)(const struct store_person *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_PERSON_CADRES);

	store_bind(s, "s", village);
	return store_person_rows(s, cb, arg);
}

int
store_person_list(struct store *st, const char *village,
    void (*cb)(const struct store_person *, void *), void *arg)
{
	sqlite3_stmt *s;

	if (village != NULL) {
		s = store_stmt(st, S_PERSON_LIST_VILLAGE);
		store_bind(s, "s", village);
	} else
		s = store_stmt(st, S_PERSON_LIST);
	return store_person_rows(s, cb, arg);
}

/* --- inbound --- */

int
store_part_insert(struct store *st, const struct store_part *p, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_PART_INSERT);
	char hash[17], *key;
	int rc;

	hash_hex(p->text, strlen(p->text), hash);
	/*
	 * The SMSC time stamp tells a repeat from a part read twice. Without
	 * one (0: unreadable), the SIM location and the time it was stored
	 * stand in, so a second identical 平安 is a message of its own.
	 */
	if (p->sent_at != 0)
		key = xasprintf("%s|%s|%lld|%d/%d/%d|%s", p->modem, p->sender,
		    (long long)p->sent_at, p->ref, p->total, p->seq, hash);
	else
		key = xasprintf("%s|%s|L%d@%lld|%d/%d/%d|%s", p->modem,
		    p->sender, p->location, (long long)p->received_at, p->ref,
		    p->total, p->seq, hash);
	store_bind(s, "sssslliiisi", p->modem, key, p->sender,
	    p->smsc != NULL ? p->smsc : "", (int64_t)p->sent_at,
	    (int64_t)p->received_at, p->ref, p->total, p->seq, p->text,
	    p->binary);
	rc = store_exec_stmt(st, s);
	free(key);
	if (rc == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	*id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

/*
 * Make a message of the open group (sender, ref, total): the parts it has
 * in seq order, "…" where one is missing when partial. Returns the message
 * id or -1; *have gets how many distinct parts were there.
 */
static int64_t
store_group_close(struct store *st, const char *sender, int ref, int total,
    const char *modem, int partial, time_t now, int *have)
{
	sqlite3_stmt *s = store_stmt(st, S_PART_OPEN);
	struct buf text = { NULL, 0, 0 };
	int64_t mid;
	int rc, seq, expect = 1, n = 0, binary = 0;

	store_bind(s, "sii", sender, ref, total);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int(s, 1);
		binary |= sqlite3_column_int(s, 4);
		if (seq != expect)
			buf_adds(&text, "…");
		buf_adds(&text, (const char *)sqlite3_column_text(s, 2));
		expect = seq + 1;
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		buf_free(&text);
		return -1;
	}
	if (partial && expect <= total)
		buf_adds(&text, "…");
	*have = n;
	if (!partial && n < total) {
		buf_free(&text);
		return 0;
	}
	s = store_stmt(st, S_MESSAGE_INSERT);
	store_bind(s, "sssiili", sender, modem, text.data != NULL ?
	    text.data : "", total, partial, (int64_t)now, binary);
	rc = store_exec_stmt(st, s);
	buf_free(&text);
	if (rc == -1)
		return -1;
	mid = sqlite3_last_insert_rowid(st->db);
	s = store_stmt(st, S_PART_LINK);
	store_bind(s, "lsii", mid, sender, ref, total);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return mid;
}

int
store_part_complete(struct store *st, int64_t part_id, time_t now,
    int64_t *message_id)
{
	sqlite3_stmt *s = store_stmt(st, S_PART_GROUP);
	char sender[PHONE_MAX * 2], modem[64];
	int64_t mid;
	int rc, ref, total, have = 0;

	store_bind(s, "l", part_id);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;	/* -1, or 0: already part of a message */
	store_copy(sender, sizeof sender, s, 0);
	ref = sqlite3_column_int(s, 1);
	total = sqlite3_column_int(s, 2);
	store_copy(modem, sizeof modem, s, 3);
	sqlite3_reset(s);
	if ((mid = store_group_close(st, sender, ref, total, modem, 0, now,
	    &have)) <= 0)
		return mid == 0 ? 0 : -1;
	*message_id = mid;
	return 1;
}

int
store_part_flush_stale(struct store *st, time_t cutoff, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_PART_STALE);
	struct stale {
		char	sender[PHONE_MAX * 2];
		char	modem[64];
		int	ref, total;
	} *groups = NULL;
	size_t n = 0, i;
	int rc, have, made = 0;

	store_bind(s, "l", (int64_t)cutoff);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		groups = xrealloc(groups, (n + 1) * sizeof *groups);
		store_copy(groups[n].sender, sizeof groups[n].sender, s, 0);
		groups[n].ref = sqlite3_column_int(s, 1);
		groups[n].total = sqlite3_column_int(s, 2);
		store_copy(groups[n].modem, sizeof groups[n].modem, s, 3);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(groups);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (store_group_close(st, groups[i].sender, groups[i].ref,
		    groups[i].total, groups[i].modem, 1, now, &have) < 0) {
			free(groups);
			return -1;
		}
		made++;
	}
	free(groups);
	return made;
}

int
store_message_pending(struct store *st, int64_t *ids, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_MESSAGE_PENDING);
	int rc, n = 0;

	store_bind(s, "i", max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

static void
store_message_row(sqlite3_stmt *s, struct store_message *m)
{
	memset(m, 0, sizeof *m);
	m->id = sqlite3_column_int64(s, 0);
	store_copy(m->sender, sizeof m->sender, s, 1);
	store_copy(m->modem, sizeof m->modem, s, 2);
	m->text = xstrdup((const char *)sqlite3_column_text(s, 3));
	m->parts = sqlite3_column_int(s, 4);
	m->partial = sqlite3_column_int(s, 5);
	m->received_at = (time_t)sqlite3_column_int64(s, 6);
	store_copy(m->state, sizeof m->state, s, 7);
	store_copy(m->handler, sizeof m->handler, s, 8);
	m->binary = sqlite3_column_int(s, 9);
}

int
store_message_get(struct store *st, int64_t id, struct store_message *out)
{
	sqlite3_stmt *s = store_stmt(st, S_MESSAGE_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_message_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

void
store_message_clear(struct store_message *m)
{
	free(m->text);
	m->text = NULL;
}

int
store_message_done(struct store *st, int64_t id, const char *handler,
    time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_MESSAGE_DONE);

	store_bind(s, "sll", handler, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int
store_message_list(struct store *st, const char *sender, int max,
    void (*cb)(const struct store_message *, void *), void *arg)
{
	struct store_message m;
	sqlite3_stmt *s;
	int rc;

	if (sender != NULL) {
		s = store_stmt(st, S_MESSAGE_LIST_SENDER);
		store_bind(s, "si", sender, max);
	} else {
		s = store_stmt(st, S_MESSAGE_LIST);
		store_bind(s, "i", max);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_message_row(s, &m);
		cb(&m, arg);
		store_message_clear(&m);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- outbound --- */

int64_t
store_outbox_add(struct store *st, const char *recipient, const char *text,
    enum outbox_class class, time_t not_before, time_t expires,
    int64_t message_id, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_ADD);

	store_bind(s, "ssillln", recipient, text, (int)class, (int64_t)now,
	    (int64_t)not_before, (int64_t)expires, message_id);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_outbox_due(struct store *st, time_t now, int64_t *ids, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_DUE);
	int rc = SQLITE_DONE, n = 0;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return n;
}

static void
store_outbox_row(sqlite3_stmt *s, struct store_outbox *o)
{
	memset(o, 0, sizeof *o);
	o->id = sqlite3_column_int64(s, 0);
	store_copy(o->recipient, sizeof o->recipient, s, 1);
	o->text = xstrdup((const char *)sqlite3_column_text(s, 2));
	o->class = sqlite3_column_int(s, 3);
	o->state = sqlite3_column_int(s, 4);
	o->attempts = sqlite3_column_int(s, 5);
	o->created_at = sqlite3_column_int64(s, 6);
	o->next_attempt_at = sqlite3_column_int64(s, 7);
	o->expires_at = sqlite3_column_int64(s, 8);
	o->sent_at = sqlite3_column_int64(s, 9);
	store_copy(o->modem, sizeof o->modem, s, 10);
	o->parts = sqlite3_column_int(s, 11);
	o->msgref = sqlite3_column_int(s, 12);
	store_copy(o->last_error, sizeof o->last_error, s, 13);
	o->message_id = sqlite3_column_int64(s, 14);
	store_copy(o->delivery, sizeof o->delivery, s, 15);
	o->delivered_at = sqlite3_column_int64(s, 16);
	store_copy(o->waiting, sizeof o->waiting, s, 17);
	o->encoded_parts = sqlite3_column_int(s, 18);
}

int
store_outbox_get(struct store *st, int64_t id, struct store_outbox *out)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_outbox_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

void
store_outbox_clear(struct store_outbox *o)
{
	free(o->text);
	o->text = NULL;
}

int
store_outbox_mark_sending(struct store *st, int64_t id, const char *modem,
    int parts, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_SENDING);

	store_bind(s, "slil", modem, (int64_t)now, parts, id);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db) == 1 ? 0 : -1;
}

int
store_outbox_mark_sent(struct store *st, int64_t id, int parts, int msgref,
    time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_SENT);

	store_bind(s, "iill", parts, msgref, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_mark_retry(struct store *st, int64_t id, time_t next,
    const char *error)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_RETRY);

	store_bind(s, "lsl", (int64_t)next, error, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_mark_final(struct store *st, int64_t id,
    enum outbox_state state, const char *error, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_FINAL);

	(void)now;
	store_bind(s, "isil", (int)state, error != NULL ? error : "",
	    state == OUTBOX_FAILED ? 1 : 0, id);
	return store_exec_stmt(st, s);
}

int
store_outbox_defer(struct store *st, int64_t id, time_t next,
    const char *why)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_DEFER);

	store_bind(s, "lsl", (int64_t)next, why, id);
	return store_exec_stmt(st, s);
}

static int	 store_ids(struct store *, sqlite3_stmt *, int64_t *, int);

int
store_outbox_sending(struct store *st, int64_t *ids, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_IN_FLIGHT);

	store_bind(s, "i", max);
	return store_ids(st, s, ids, max);
}

static int64_t	store_count_of(struct store *, sqlite3_stmt *);

int
store_outbox_part_sent(struct store *st, int64_t id, int seq,
    const char *modem, int msgref, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_PART_SENT);

	store_bind(s, "lisil", id, seq, modem, msgref, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_outbox_parts_taken(struct store *st, int64_t id, time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_PARTS_TAKEN);

	store_bind(s, "ll", id, (int64_t)since);
	return (int)store_count_of(st, s);
}

int
store_outbox_parts_on_record(struct store *st, int64_t id, char *modem,
    size_t len, uint64_t *mask)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_PARTS_ON_RECORD);
	const char *m;
	int rc, seq, n = 0;

	*mask = 0;
	modem[0] = '\0';
	store_bind(s, "l", id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		seq = sqlite3_column_int(s, 0);
		m = (const char *)sqlite3_column_text(s, 1);
		if (n++ == 0)
			snprintf(modem, len, "%s", m != NULL ? m : "");
		if (m != NULL && strcmp(m, modem) == 0 && seq >= 1 &&
		    seq <= 64)
			*mask |= UINT64_C(1) << (seq - 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_warn("store: %s: %s", sqlite3_sql(s),
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return n;
}

int
store_outbox_in_flight_to(struct store *st, const char *modem,
    const char *recipient)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_IN_FLIGHT_TO);

	store_bind(s, "ss", modem, recipient);
	return (int)store_count_of(st, s);
}

int
store_outbox_count_since(struct store *st, const char *recipient,
    time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_COUNT_SINCE);
	int rc, n;

	store_bind(s, "sl", recipient, (int64_t)since);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? 0 : -1;
	n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

/* The count s (bound) gives: the number, or -1. */
static int64_t
store_count_of(struct store *st, sqlite3_stmt *s)
{
	int64_t n;
	int rc;

	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? 0 : -1;
	n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return n;
}

int
store_counter_add(struct store *st, const char *name, int64_t n)
{
	sqlite3_stmt *s = store_stmt(st, S_COUNTER_ADD);

	store_bind(s, "sl", name, n);
	return store_exec_stmt(st, s);
}

int
store_message_repeat(struct store *st, int64_t id, const char *sender,
    const char *text, time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_MESSAGE_REPEAT);
	int rc;

	store_bind(s, "slls", sender, id, (int64_t)since, text);
	if ((rc = store_step_row(st, s)) == 1)
		sqlite3_reset(s);
	return rc;
}

int64_t
store_message_count_since(struct store *st, const char *sender,
    const char *modem, time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_MESSAGE_COUNT_SINCE);

	store_bind(s, "ssl", sender, modem, (int64_t)since);
	return store_count_of(st, s);
}

int64_t
store_ticket_count_since(struct store *st, const char *reporter,
    time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_COUNT_SINCE);

	store_bind(s, "sl", reporter, (int64_t)since);
	return store_count_of(st, s);
}

int64_t
store_message_outcome_since(struct store *st, const char *sender,
    const char *outcome, time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_MESSAGE_OUTCOME_SINCE);

	store_bind(s, "ssl", sender, outcome, (int64_t)since);
	return store_count_of(st, s);
}

int64_t
store_pending_count(struct store *st, const char *phone)
{
	sqlite3_stmt *s = store_stmt(st, S_PENDING_COUNT);

	store_bind(s, "s", phone);
	return store_count_of(st, s);
}

int
store_outbox_expire(struct store *st, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_EXPIRE);

	store_bind(s, "l", (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_outbox_list(struct store *st, const char *state, int max,
    void (*cb)(const struct store_outbox *, void *), void *arg)
{
	struct store_outbox o;
	sqlite3_stmt *s;
	int rc, sv;

	if (state != NULL) {
		if ((sv = store_outbox_state_parse(state)) == -1)
			return -1;
		s = store_stmt(st, S_OUTBOX_LIST_STATE);
		store_bind(s, "ii", sv, max);
	} else {
		s = store_stmt(st, S_OUTBOX_LIST);
		store_bind(s, "i", max);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_outbox_row(s, &o);
		cb(&o, arg);
		store_outbox_clear(&o);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

const char *
store_outbox_state_name(enum outbox_state state)
{
	if ((unsigned)state >= sizeof store_state_names /
	    sizeof store_state_names[0])
		return "unknown";
	return store_state_names[state];
}

int
store_outbox_state_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof store_state_names /
	    sizeof store_state_names[0]; i++)
		if (strcmp(name, store_state_names[i]) == 0)
			return (int)i;
	return -1;
}

/* --- audit and counters --- */

int
store_audit(struct store *st, time_t now, const char *actor,
    const char *channel, const char *action, const char *object,
    const char *detail)
{
	sqlite3_stmt *s = store_stmt(st, S_AUDIT);

	store_bind(s, "lsssss", (int64_t)now, actor, channel, action, object,
	    detail);
	return store_exec_stmt(st, s);
}

int
store_modem_set(struct store *st, const char *name, const char *state,
    const char *detail, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_MODEM_SET);

	store_bind(s, "sssl", name, state, detail != NULL ? detail : "",
	    (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_modem_list(struct store *st,
    void (*cb)(const struct store_modem *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_MODEM_LIST);
	struct store_modem m;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		store_copy(m.name, sizeof m.name, s, 0);
		store_copy(m.state, sizeof m.state, s, 1);
		store_copy(m.detail, sizeof m.detail, s, 2);
		m.updated_at = sqlite3_column_int64(s, 3);
		m.messages_sent = sqlite3_column_int64(s, 4);
		m.parts_sent = sqlite3_column_int64(s, 5);
		m.parts_received = sqlite3_column_int64(s, 6);
		m.signal = sqlite3_column_int(s, 7);
		m.battery = sqlite3_column_int(s, 8);
		store_copy(m.network, sizeof m.network, s, 9);
		store_copy(m.operator_name, sizeof m.operator_name, s, 10);
		m.sim_used = sqlite3_column_int(s, 11);
		m.sim_total = sqlite3_column_int(s, 12);
		m.health_at = sqlite3_column_int64(s, 13);
		m.down_since = sqlite3_column_int64(s, 14);
		m.calls = sqlite3_column_int64(s, 15);
		cb(&m, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_modem_health(struct store *st, const char *name,
    const struct store_modem *h, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_MODEM_HEALTH);

	store_bind(s, "siissiil", name, h->signal, h->battery, h->network,
	    h->operator_name, h->sim_used, h->sim_total, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_modem_alerts_due(struct store *st, time_t down_before,
    void (*cb)(const char *, time_t, int, const char *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_MODEM_DOWN_DUE);
	struct due {
		char	name[33], detail[129];
		time_t	since;
		int	alerted;
	} *rows = NULL;
	size_t n = 0, i;
	int rc;

	/* Collect first: the callback writes to the same table. */
	store_bind(s, "l", (int64_t)down_before);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		store_copy(rows[n].name, sizeof rows[n].name, s, 0);
		rows[n].since = sqlite3_column_int64(s, 1);
		rows[n].alerted = sqlite3_column_int(s, 2);
		store_copy(rows[n].detail, sizeof rows[n].detail, s, 3);
		n++;
	}
	sqlite3_reset(s);
	for (i = 0; rc == SQLITE_DONE && i < n; i++)
		cb(rows[i].name, rows[i].since, rows[i].alerted,
		    rows[i].detail, arg);
	free(rows);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_modem_set_alerted(struct store *st, const char *name, int alerted)
{
	sqlite3_stmt *s = store_stmt(st, S_MODEM_ALERTED);

	store_bind(s, "si", name, alerted);
	return store_exec_stmt(st, s);
}

int
store_modem_set_sim_warned(struct store *st, const char *name, int warned)
{
	sqlite3_stmt *s = store_stmt(st, S_MODEM_SIM_WARNED);

	store_bind(s, "si", name, warned);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int
store_outbox_add_part(struct store *st, int64_t id, int seq,
    const char *modem, int msgref, const char *recipient, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_PART_ADD);

	store_bind(s, "lisisl", id, seq, modem, msgref, recipient,
	    (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_outbox_report(struct store *st, const char *modem, int msgref,
    const char *recipient, const char *status, time_t at, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_REPORT);
	int rc;

	store_bind(s, "slsis", status, (int64_t)at, modem, msgref,
	    recipient != NULL ? recipient : "");
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	s = store_stmt(st, S_OUTBOX_DELIVERED);
	store_bind(s, "ll", *id, (int64_t)at);
	return store_exec_stmt(st, s) == -1 ? -1 : 1;
}

int
store_outbox_parts_since(struct store *st, const char *modem, time_t since)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_PARTS_SINCE);
	int rc, n;

	store_bind(s, "sl", modem, (int64_t)since);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == 0 ? 0 : -1;
	n = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return n;
}

int
store_outbox_marked(struct store *st, const char *modem,
    const char *recipient, const char *marker, int msgref, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_SETTLE);
	int rc;

	store_bind(s, "sssi", modem, recipient, marker, msgref);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 1;
}

int
store_outbox_settle_part(struct store *st, const char *modem,
    const char *recipient, int msgref, time_t since, int64_t *id, int *seq,
    time_t *sent_at)
{
	sqlite3_stmt *s = store_stmt(st, S_OUTBOX_SETTLE_PART);
	int rc;

	store_bind(s, "ssil", modem, recipient, msgref, (int64_t)since);
	if ((rc = store_step_row(st, s)) != 1)
		return rc;
	*id = sqlite3_column_int64(s, 0);
	*seq = sqlite3_column_int(s, 1);
	*sent_at = (time_t)sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	return 1;
}

int
store_person_forget(struct store *st, const char *phone, const char *masked)
{
	static const char *sql[] = {
		/* What they sent, and the parts of it. */
		"CREATE TEMP TABLE IF NOT EXISTS forget_ids (id INTEGER"
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
	sqlite3_stmt *s;
	size_t i;
	int rc, person = 0;

	for (i = 0; i < sizeof sql / sizeof sql[0]; i++) {
		if (sqlite3_prepare_v2(st->db, sql[i], -1, &s, NULL) !=
		    SQLITE_OK)
			return -1;
		if (sqlite3_bind_parameter_count(s) >= 1)
			sqlite3_bind_text(s, 1, phone, -1, SQLITE_STATIC);
		if (sqlite3_bind_parameter_count(s) >= 2)
			sqlite3_bind_text(s, 2, masked, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			;
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return -1;
		if (i == sizeof sql / sizeof sql[0] - 1)
			person = sqlite3_changes(st->db);
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
		"CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER"
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
		"CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER"
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
	sqlite3_stmt *s;
	size_t k, i;
	int total = 0, rc;

	for (k = 0; k < 3; k++) {
		if (kinds[k].before <= 0)
			continue;
		for (i = 0; i < kinds[k].n; i++) {
			if (sqlite3_prepare_v2(st->db, kinds[k].sql[i], -1, &s,
			    NULL) != SQLITE_OK)
				return -1;
			if (sqlite3_bind_parameter_count(s) > 0)
				sqlite3_bind_int64(s, 1,
				    (int64_t)kinds[k].before);
			while ((rc = sqlite3_step(s)) == SQLITE_ROW)
				;
			sqlite3_finalize(s);
			if (rc != SQLITE_DONE)
				return -1;
			if (i == kinds[k].n - 1)	/* the delete */
				total += sqlite3_changes(st->db);
		}
	}
	return total;
}

int64_t
store_call_add(struct store *st, const char *modem, const char *number,
    time_t at)
{
	sqlite3_stmt *s = store_stmt(st, S_CALL_ADD);

	store_bind(s, "ssl", modem, number, (int64_t)at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_call_list(struct store *st, int max,
    void (*cb)(const struct store_call *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_CALL_LIST);
	struct store_call c;
	int rc;

	store_bind(s, "i", max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&c, 0, sizeof c);
		c.id = sqlite3_column_int64(s, 0);
		store_copy(c.modem, sizeof c.modem, s, 1);
		store_copy(c.number, sizeof c.number, s, 2);
		c.at = sqlite3_column_int64(s, 3);
		c.handled = sqlite3_column_int(s, 4);
		cb(&c, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One integer from an ad-hoc counting query (stats only, not hot). */
static int
store_count(struct store *st, const char *sql, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_stats(struct store *st, struct store_stats *out)
{
	sqlite3_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_count(st, "SELECT count(*) FROM inbound_part",
	    &out->parts_in) == -1 ||
	    store_count(st, "SELECT count(*) FROM message",
	    &out->messages_in) == -1 ||
	    store_count(st, "SELECT count(*) FROM message WHERE partial",
	    &out->messages_partial) == -1 ||
	    store_count(st, "SELECT count(*) FROM message WHERE state = 'new'",
	    &out->messages_pending) == -1 ||
	    store_count(st, "SELECT coalesce(sum(parts), 0) FROM outbox"
	    " WHERE state = 2", &out->parts_out) == -1 ||
	    store_count(st, "SELECT count(*) FROM person",
	    &out->people) == -1 ||
	    store_count(st, "SELECT count(*) FROM village",
	    &out->villages) == -1)
		return -1;
	if (sqlite3_prepare_v2(st->db, "SELECT state, class, count(*)"
	    " FROM outbox GROUP BY state, class", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);
		int class = sqlite3_column_int(s, 1);
		int64_t n = sqlite3_column_int64(s, 2);

		if (state >= 0 && state < OUTBOX_NSTATES)
			out->outbox[state] += n;
		if (state == OUTBOX_QUEUED && class >= 0 &&
		    class < OUTBOX_NCLASSES)
			out->queued_by_class[class] += n;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* --- grievances --- */

int
store_ticket_insert(struct store *st, const struct store_ticket *t,
    int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_INSERT);

	store_bind(s, "sslsisslllln", t->code, t->reporter, t->village_id,
	    t->category, t->urgent, t->text, t->status, (int64_t)t->created_at,
	    (int64_t)t->updated_at, (int64_t)t->accept_due,
	    (int64_t)t->resolve_due, t->message_id);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return 0;
	*id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

static void
store_ticket_row(sqlite3_stmt *s, struct store_ticket *t)
{
	const unsigned char *v;

	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(s, 0);
	store_copy(t->code, sizeof t->code, s, 1);
	store_copy(t->reporter, sizeof t->reporter, s, 2);
	store_copy(t->reporter_name, sizeof t->reporter_name, s, 3);
	t->village_id = sqlite3_column_int64(s, 4);
	store_copy(t->village, sizeof t->village, s, 5);
	store_copy(t->village_name, sizeof t->village_name, s, 6);
	store_copy(t->township, sizeof t->township, s, 7);
	store_copy(t->category, sizeof t->category, s, 8);
	t->urgent = sqlite3_column_int(s, 9);
	v = sqlite3_column_text(s, 10);
	t->text = xstrdup(v != NULL ? (const char *)v : "");
	v = sqlite3_column_text(s, 11);
	t->reply = xstrdup(v != NULL ? (const char *)v : "");
	store_copy(t->status, sizeof t->status, s, 12);
	t->created_at = sqlite3_column_int64(s, 13);
	t->updated_at = sqlite3_column_int64(s, 14);
	t->accept_due = sqlite3_column_int64(s, 15);
	t->resolve_due = sqlite3_column_int64(s, 16);
	store_copy(t->accepted_by, sizeof t->accepted_by, s, 17);
	t->accepted_at = sqlite3_column_int64(s, 18);
	store_copy(t->resolved_by, sizeof t->resolved_by, s, 19);
	t->resolved_at = sqlite3_column_int64(s, 20);
	t->rating = sqlite3_column_int(s, 21);
	t->rated_at = sqlite3_column_int64(s, 22);
	t->escalation = sqlite3_column_int(s, 23);
	t->accept_reminded = sqlite3_column_int(s, 24);
	t->accept_escalated = sqlite3_column_int(s, 25);
	t->resolve_reminded = sqlite3_column_int(s, 26);
	t->resolve_escalated = sqlite3_column_int(s, 27);
	t->message_id = sqlite3_column_int64(s, 28);
}

int
store_ticket_find(struct store *st, const char *code, struct store_ticket *out)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_FIND);
	int rc;

	store_bind(s, "s", code);
	if ((rc = store_step_row(st, s)) == 1) {
		store_ticket_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_ticket_get(struct store *st, int64_t id, struct store_ticket *out)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_ticket_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

void
store_ticket_clear(struct store_ticket *t)
{
	free(t->text);
	free(t->reply);
	t->text = t->reply = NULL;
}

int
store_ticket_update(struct store *st, const struct store_ticket *t)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_UPDATE);

	store_bind(s, "lssillslslsiliiiiil", t->id, t->status, t->category,
	    t->urgent, (int64_t)t->accept_due, (int64_t)t->resolve_due,
	    t->accepted_by, (int64_t)t->accepted_at, t->resolved_by,
	    (int64_t)t->resolved_at, t->reply != NULL ? t->reply : "",
	    t->rating, (int64_t)t->rated_at, t->escalation,
	    t->accept_reminded, t->accept_escalated, t->resolve_reminded,
	    t->resolve_escalated, (int64_t)t->updated_at);
	return store_exec_stmt(st, s);
}

int
store_ticket_list(struct store *st, const struct store_ticket_filter *f,
    void (*cb)(const struct store_ticket *, void *), void *arg)
{
	static const struct store_ticket_filter all;
	sqlite3_stmt *s = store_stmt(st, S_TICKET_LIST);
	struct store_ticket t;
	int rc;

	if (f == NULL)
		f = &all;
	store_bind(s, "sssssi", f->village, f->township, f->status,
	    f->assignee, f->reporter, f->open_only);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_ticket_row(s, &t);
		cb(&t, arg);
		store_ticket_clear(&t);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_ticket_sla_due(struct store *st, time_t now, int accept_grace,
    int resolve_grace, int urgent_grace, int64_t *ids, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_SLA_DUE);
	int rc = SQLITE_DONE, n = 0;

	store_bind(s, "liiii", (int64_t)now, accept_grace, resolve_grace,
	    urgent_grace, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return n;
}

int
store_ticket_assign(struct store *st, int64_t ticket, const char *phone)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_ASSIGN);

	store_bind(s, "ls", ticket, phone);
	return store_exec_stmt(st, s);
}

int
store_ticket_is_assignee(struct store *st, int64_t ticket, const char *phone)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_IS_ASSIGNEE);
	int rc;

	store_bind(s, "ls", ticket, phone);
	if ((rc = store_step_row(st, s)) == 1)
		sqlite3_reset(s);
	return rc;
}

int
store_ticket_assignees(struct store *st, int64_t ticket,
    void (*cb)(const char *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_ASSIGNEES);
	store_bind(s, "l", ticket);
	return store_phones(st, s, cb, arg);
}

int
store_ticket_event(struct store *st, int64_t ticket, time_t at,
    const char *actor, const char *channel, const char *action,
    const char *detail)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_EVENT);

	store_bind(s, "llssss", ticket, (int64_t)at, actor, channel, action,
	    detail != NULL ? detail : "");
	return store_exec_stmt(st, s);
}

int
store_ticket_events(struct store *st, int64_t ticket,
    void (*cb)(const struct store_ticket_event *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_TICKET_EVENTS);
	struct store_ticket_event e;
	int rc;

	store_bind(s, "l", ticket);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&e, 0, sizeof e);
		e.id = sqlite3_column_int64(s, 0);
		e.at = sqlite3_column_int64(s, 1);
		store_copy(e.actor, sizeof e.actor, s, 2);
		store_copy(e.channel, sizeof e.channel, s, 3);
		store_copy(e.action, sizeof e.action, s, 4);
		e.detail = xstrdup((const char *)sqlite3_column_text(s, 5));
		cb(&e, arg);
		free(e.detail);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_pending_add(struct store *st, const char *phone, const char *text,
    int64_t message_id, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_PENDING_ADD);

	store_bind(s, "ssln", phone, text, (int64_t)now, message_id);
	return store_exec_stmt(st, s);
}

int
store_pending_list(struct store *st, const char *phone,
    void (*cb)(const struct store_pending *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_PENDING_LIST);
	struct store_pending *rows = NULL;
	size_t n = 0, i;
	int rc;

	/* Collect first: filing a report writes through the store. */
	store_bind(s, "s", phone);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		rows[n].id = sqlite3_column_int64(s, 0);
		rows[n].text = xstrdup((const char *)sqlite3_column_text(s, 1));
		rows[n].received_at = sqlite3_column_int64(s, 2);
		rows[n].message_id = sqlite3_column_int64(s, 3);
		n++;
	}
	sqlite3_reset(s);
	for (i = 0; i < n; i++) {
		if (rc == SQLITE_DONE)
			cb(&rows[i], arg);
		free(rows[i].text);
	}
	free(rows);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_pending_filed(struct store *st, int64_t id, int64_t ticket, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_PENDING_FILED);

	store_bind(s, "nll", ticket, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int64_t
store_prompt_add(struct store *st, const char *phone, const char *kind,
    int64_t object_id, time_t now, time_t expires)
{
	sqlite3_stmt *s;

	if (store_prompt_close_object(st, kind, object_id, "superseded",
	    now) == -1)
		return -1;
	s = store_stmt(st, S_PROMPT_ADD);
	store_bind(s, "sslll", phone, kind, object_id, (int64_t)now,
	    (int64_t)expires);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

static void
store_prompt_row(sqlite3_stmt *s, struct store_prompt *p)
{
	memset(p, 0, sizeof *p);
	p->id = sqlite3_column_int64(s, 0);
	store_copy(p->phone, sizeof p->phone, s, 1);
	store_copy(p->kind, sizeof p->kind, s, 2);
	p->object_id = sqlite3_column_int64(s, 3);
	p->created_at = sqlite3_column_int64(s, 4);
	p->expires_at = sqlite3_column_int64(s, 5);
	store_copy(p->state, sizeof p->state, s, 6);
}

int
store_prompt_open(struct store *st, const char *phone, time_t now,
    struct store_prompt *out)
{
	sqlite3_stmt *s = store_stmt(st, S_PROMPT_OPEN);
	int rc;

	store_bind(s, "sl", phone, (int64_t)now);
	if ((rc = store_step_row(st, s)) == 1) {
		store_prompt_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_prompt_close(struct store *st, int64_t id, const char *state,
    const char *answer, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_PROMPT_CLOSE);

	store_bind(s, "ssll", state, answer, (int64_t)now, id);
	return store_exec_stmt(st, s);
}

int
store_prompt_close_object(struct store *st, const char *kind,
    int64_t object_id, const char *state, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_PROMPT_SUPERSEDE);

	store_bind(s, "slsl", kind, object_id, state, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_prompt_expired(struct store *st, time_t now, struct store_prompt *out,
    int max)
{
	sqlite3_stmt *s = store_stmt(st, S_PROMPT_EXPIRED);
	int rc = SQLITE_DONE, n = 0;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		store_prompt_row(s, &out[n++]);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return n;
}

/* --- elderly check-in --- */

/* An elder from ELDER_COLS starting at column c. */
static void
store_elder_row(sqlite3_stmt *s, int c, struct store_elder *e)
{
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(s, c + 0);
	e->person_id = sqlite3_column_int64(s, c + 1);
	store_copy(e->phone, sizeof e->phone, s, c + 2);
	store_copy(e->name, sizeof e->name, s, c + 3);
	e->village_id = sqlite3_column_int64(s, c + 4);
	store_copy(e->village, sizeof e->village, s, c + 5);
	store_copy(e->village_name, sizeof e->village_name, s, c + 6);
	store_copy(e->township, sizeof e->township, s, c + 7);
	store_copy(e->cadre, sizeof e->cadre, s, c + 8);
	e->due_min = sqlite3_column_int(s, c + 9);
	e->guardian_after = sqlite3_column_int(s, c + 10);
	e->cadre_after = sqlite3_column_int(s, c + 11);
	e->township_min = sqlite3_column_int(s, c + 12);
	e->confirm = sqlite3_column_int(s, c + 13);
	e->prompt_min = sqlite3_column_int(s, c + 14);
	e->start_day = sqlite3_column_int(s, c + 15);
	e->paused_until = sqlite3_column_int(s, c + 16);
	e->active = sqlite3_column_int(s, c + 17);
	e->created_at = sqlite3_column_int64(s, c + 18);
}
#define STORE_ELDER_NCOLS	19

/* A day's row from CHECKIN_DAY_COLS starting at column c. */
static void
store_checkin_day_row(sqlite3_stmt *s, int c, struct store_checkin_day *d)
{
	memset(d, 0, sizeof *d);
	d->id = sqlite3_column_int64(s, c + 0);
	d->elder_id = sqlite3_column_int64(s, c + 1);
	d->day = sqlite3_column_int(s, c + 2);
	store_copy(d->status, sizeof d->status, s, c + 3);
	d->step = sqlite3_column_int(s, c + 4);
	d->prompt_at = sqlite3_column_int64(s, c + 5);
	d->remind_at = sqlite3_column_int64(s, c + 6);
	d->guardians_at = sqlite3_column_int64(s, c + 7);
	d->cadre_at = sqlite3_column_int64(s, c + 8);
	d->township_at = sqlite3_column_int64(s, c + 9);
	d->next_at = sqlite3_column_int64(s, c + 10);
	d->checked_in_at = sqlite3_column_int64(s, c + 11);
	store_copy(d->source, sizeof d->source, s, c + 12);
	d->resolved_at = sqlite3_column_int64(s, c + 13);
	store_copy(d->resolved_by, sizeof d->resolved_by, s, c + 14);
	store_copy(d->note, sizeof d->note, s, c + 15);
}

int
store_elder_put(struct store *st, const struct store_elder *e, int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_PUT);
	struct store_elder got;

	store_bind(s, "lsiiiiiiil", e->person_id, e->cadre, e->due_min,
	    e->guardian_after, e->cadre_after, e->township_min, e->confirm,
	    e->prompt_min, e->start_day, (int64_t)e->created_at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	s = store_stmt(st, S_ELDER_FIND);
	/* The row's id: rowid is not the upsert's on an update. */
	store_bind(s, "s", e->phone);
	if (store_step_row(st, s) != 1)
		return -1;
	store_elder_row(s, 0, &got);
	sqlite3_reset(s);
	*id = got.id;
	return 0;
}

/* Run a one-elder lookup prepared in s. -1 / 0 / 1. */
static int
store_elder_one(struct store *st, sqlite3_stmt *s, struct store_elder *out)
{
	int rc;

	if ((rc = store_step_row(st, s)) == 1) {
		store_elder_row(s, 0, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_elder_find(struct store *st, const char *phone,
    struct store_elder *out)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_FIND);

	store_bind(s, "s", phone);
	return store_elder_one(st, s, out);
}

int
store_elder_get(struct store *st, int64_t id, struct store_elder *out)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_GET);

	store_bind(s, "l", id);
	return store_elder_one(st, s, out);
}

int
store_elder_list(struct store *st, const char *village,
    void (*cb)(const struct store_elder *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_LIST);
	struct store_elder e;
	int rc;

	store_bind(s, "s", village);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_elder_row(s, 0, &e);
		cb(&e, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_elder_set(struct store *st, int64_t id, int active, int paused_until,
    time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_SET);

	store_bind(s, "liil", id, active, paused_until, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_guardian_put(struct store *st, int64_t elder,
    const struct store_guardian *g)
{
	sqlite3_stmt *s = store_stmt(st, S_GUARDIAN_PUT);

	store_bind(s, "lsss", elder, g->phone, g->name, g->relation);
	return store_exec_stmt(st, s);
}

int
store_guardian_clear(struct store *st, int64_t elder)
{
	sqlite3_stmt *s = store_stmt(st, S_GUARDIAN_CLEAR);

	store_bind(s, "l", elder);
	return store_exec_stmt(st, s);
}

int
store_guardians(struct store *st, int64_t elder,
    void (*cb)(const struct store_guardian *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_GUARDIANS);
	struct store_guardian *rows = NULL;
	size_t n = 0, i;
	int rc;

	/* Collect first: callbacks may queue messages through the store. */
	store_bind(s, "l", elder);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows = xrealloc(rows, (n + 1) * sizeof *rows);
		memset(&rows[n], 0, sizeof rows[n]);
		store_copy(rows[n].phone, sizeof rows[n].phone, s, 0);
		store_copy(rows[n].name, sizeof rows[n].name, s, 1);
		store_copy(rows[n].relation, sizeof rows[n].relation, s, 2);
		n++;
	}
	sqlite3_reset(s);
	for (i = 0; rc == SQLITE_DONE && i < n; i++)
		cb(&rows[i], arg);
	free(rows);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Collect up to max ids from s (bound). Count or -1. */
static int
store_ids(struct store *st, sqlite3_stmt *s, int64_t *ids, int max)
{
	int rc = SQLITE_DONE, n = 0;

	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warn("store: %s: %s", sqlite3_sql(s),
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return n;
}

int
store_elder_related(struct store *st, const char *phone, int64_t *ids,
    int max)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_RELATED);

	store_bind(s, "s", phone);
	return store_ids(st, s, ids, max);
}

int
store_elder_related_find(struct store *st, const char *phone,
    const char *arg, struct store_elder *out)
{
	sqlite3_stmt *s = store_stmt(st, S_ELDER_RELATED_FIND);

	store_bind(s, "ss", phone, arg);
	return store_elder_one(st, s, out);
}

int
store_guardian_is(struct store *st, const char *phone)
{
	sqlite3_stmt *s = store_stmt(st, S_GUARDIAN_IS);
	int rc;

	store_bind(s, "s", phone);
	if ((rc = store_step_row(st, s)) == 1)
		sqlite3_reset(s);
	return rc;
}

int
store_checkin_village_put(struct store *st, int64_t village,
    const struct store_checkin_times *t)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_VILLAGE_PUT);

	store_bind(s, "liiii", village, t->due_min, t->guardian_after,
	    t->cadre_after, t->township_min);
	return store_exec_stmt(st, s);
}

int
store_checkin_village_get(struct store *st, int64_t village,
    struct store_checkin_times *out)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_VILLAGE_GET);
	int rc;

	memset(out, 0xff, sizeof *out);		/* every field -1 */
	store_bind(s, "l", village);
	if ((rc = store_step_row(st, s)) != 1)
		return rc == -1 ? -1 : 0;
	out->due_min = sqlite3_column_int(s, 0);
	out->guardian_after = sqlite3_column_int(s, 1);
	out->cadre_after = sqlite3_column_int(s, 2);
	out->township_min = sqlite3_column_int(s, 3);
	sqlite3_reset(s);
	return 0;
}

int
store_checkin_materialize(struct store *st, int day, time_t midnight,
    time_t next_midnight, const struct store_checkin_times *t,
    int64_t elder_id, time_t now)
{
	sqlite3_stmt *s;
	int rc, made;

	if (elder_id == 0) {
		s = store_stmt(st, S_CHECKIN_RUN_HAS);
		store_bind(s, "i", day);
		if ((rc = store_step_row(st, s)) != 0) {
			if (rc == 1)
				sqlite3_reset(s);
			return rc == 1 ? 0 : -1;
		}
		s = store_stmt(st, S_CHECKIN_MATERIALIZE);
		store_bind(s, "illiiiii", day, (int64_t)midnight,
		    (int64_t)next_midnight, t->due_min, t->guardian_after,
		    t->cadre_after, t->township_min, t->prompt_min);
	} else {
		s = store_stmt(st, S_CHECKIN_MATERIALIZE_ONE);
		store_bind(s, "illiiiiil", day, (int64_t)midnight,
		    (int64_t)next_midnight, t->due_min, t->guardian_after,
		    t->cadre_after, t->township_min, t->prompt_min, elder_id);
	}
	if (store_exec_stmt(st, s) == -1)
		return -1;
	made = sqlite3_changes(st->db);
	if (elder_id != 0)
		return made;
	s = store_stmt(st, S_CHECKIN_RUN_ADD);
	store_bind(s, "ili", day, (int64_t)now, made);
	return store_exec_stmt(st, s) == -1 ? -1 : made;
}

/* Run a one-row day lookup prepared in s. -1 / 0 / 1. */
static int
store_checkin_day_one(struct store *st, sqlite3_stmt *s,
    struct store_checkin_day *out)
{
	int rc;

	if ((rc = store_step_row(st, s)) == 1) {
		store_checkin_day_row(s, 0, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_checkin_day_find(struct store *st, int64_t elder, int day,
    struct store_checkin_day *out)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_FIND);

	store_bind(s, "li", elder, day);
	return store_checkin_day_one(st, s, out);
}

int
store_checkin_day_get(struct store *st, int64_t id,
    struct store_checkin_day *out)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_GET);

	store_bind(s, "l", id);
	return store_checkin_day_one(st, s, out);
}

int
store_checkin_day_insert(struct store *st, const struct store_checkin_day *d,
    int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_INSERT);

	store_bind(s, "lisilslss", d->elder_id, d->day, d->status, d->step,
	    (int64_t)d->checked_in_at, d->source, (int64_t)d->resolved_at,
	    d->resolved_by, d->note);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
store_checkin_day_update(struct store *st, const struct store_checkin_day *d)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_UPDATE);

	store_bind(s, "lsillslss", d->id, d->status, d->step,
	    (int64_t)d->next_at, (int64_t)d->checked_in_at, d->source,
	    (int64_t)d->resolved_at, d->resolved_by, d->note);
	return store_exec_stmt(st, s);
}

int
store_checkin_day_due(struct store *st, time_t now, int64_t *ids, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_DUE);

	store_bind(s, "li", (int64_t)now, max);
	return store_ids(st, s, ids, max);
}

int
store_checkin_day_open(struct store *st, int64_t elder, int64_t *ids,
    int max)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_OPEN);

	store_bind(s, "l", elder);
	return store_ids(st, s, ids, max);
}

/* Call cb for each (elder, day) row of s (bound). 0 or -1. */
static int
store_checkin_rows(sqlite3_stmt *s, store_checkin_cb cb, void *arg)
{
	struct store_elder e;
	struct store_checkin_day d;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_elder_row(s, 0, &e);
		store_checkin_day_row(s, STORE_ELDER_NCOLS, &d);
		cb(&e, &d, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_checkin_day_list(struct store *st, int day, const char *village,
    store_checkin_cb cb, void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_LIST);

	store_bind(s, "is", day, village);
	return store_checkin_rows(s, cb, arg);
}

int
store_checkin_day_history(struct store *st, int64_t elder, int max,
    store_checkin_cb cb, void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_HISTORY);

	store_bind(s, "li", elder, max);
	return store_checkin_rows(s, cb, arg);
}

int
store_checkin_day_range(struct store *st, int from, int to,
    const char *village, store_checkin_cb cb, void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_DAY_RANGE);

	store_bind(s, "iis", from, to, village);
	return store_checkin_rows(s, cb, arg);
}

int
store_checkin_alert_add(struct store *st, int64_t day_id, const char *phone,
    int step, time_t now, int64_t outbox_id)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_ALERT_ADD);

	store_bind(s, "lsill", day_id, phone, step, (int64_t)now, outbox_id);
	return store_exec_stmt(st, s);
}

int
store_checkin_withdraw(struct store *st, int64_t day_id, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_WITHDRAW);

	store_bind(s, "ll", day_id, (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_checkin_alerted(struct store *st, int64_t day_id,
    void (*cb)(const char *, void *), void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_CHECKIN_ALERTED);
	store_bind(s, "l", day_id);
	return store_phones(st, s, cb, arg);
}

int64_t
store_sos_add(struct store *st, int64_t elder, time_t at, time_t next_at)
{
	sqlite3_stmt *s = store_stmt(st, S_SOS_ADD);

	store_bind(s, "lll", elder, (int64_t)at, (int64_t)next_at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int
store_sos_due(struct store *st, time_t now, struct store_sos *out, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_SOS_DUE);
	int rc = SQLITE_DONE, n = 0;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		out[n].id = sqlite3_column_int64(s, 0);
		out[n].elder_id = sqlite3_column_int64(s, 1);
		out[n].at = sqlite3_column_int64(s, 2);
		out[n].next_at = sqlite3_column_int64(s, 3);
		out[n].repeats = sqlite3_column_int(s, 4);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	return n;
}

int
store_sos_repeat(struct store *st, int64_t id, time_t next_at)
{
	sqlite3_stmt *s = store_stmt(st, S_SOS_REPEAT);

	store_bind(s, "ll", (int64_t)next_at, id);
	return store_exec_stmt(st, s);
}

int
store_sos_resolve(struct store *st, int64_t elder, const char *by,
    time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_SOS_RESOLVE);

	store_bind(s, "lls", elder, (int64_t)now, by);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_call_handled(struct store *st, int64_t id)
{
	sqlite3_stmt *s = store_stmt(st, S_CALL_HANDLED);

	store_bind(s, "l", id);
	return store_exec_stmt(st, s);
}

/* --- metrics (issue 7): fixed queries, read by gateway/http.c --- */

static const char *const store_metric_sql[STORE_METRIC_N] = {
	[STORE_METRIC_IN_BY_MODEM] = "SELECT modem, '', count(*) FROM message"
	    " GROUP BY modem",
	[STORE_METRIC_OUT_BY_MODEM] = "SELECT coalesce(modem, ''), state,"
	    " count(*) FROM outbox GROUP BY 1, 2",
	[STORE_METRIC_RETRIES] = "SELECT '', '', coalesce(sum(max(attempts - 1,"
	    " 0)), 0) FROM outbox",
	[STORE_METRIC_SEND_LATENCY] = "SELECT '', '', sent_at - created_at"
	    " FROM outbox WHERE state = 2 AND sent_at IS NOT NULL",
	[STORE_METRIC_TICKETS] = "SELECT status, '', count(*) FROM ticket"
	    " GROUP BY status",
	[STORE_METRIC_TICKETS_OVERDUE] = "SELECT '', '', count(*) FROM ticket"
	    " WHERE (status = 'open' AND accept_due < ?1) OR"
	    " (status = 'accepted' AND resolve_due < ?1)",
	[STORE_METRIC_CHECKINS] = "SELECT v.code, d.status, count(*)"
	    " FROM checkin_day d JOIN elder e ON e.id = d.elder_id"
	    " JOIN person p ON p.id = e.person_id"
	    " JOIN village v ON v.id = p.village_id WHERE d.day = ?1"
	    " GROUP BY 1, 2",
	[STORE_METRIC_CREDIT] = "SELECT name, '', credit FROM modem_credit",
	[STORE_METRIC_LADDER_ALERTS] = "SELECT '', '', count(*)"
	    " FROM checkin_alert",
	[STORE_METRIC_SUPPRESSED] = "SELECT substr(name, 12), '', value"
	    " FROM counter WHERE name LIKE 'suppressed.%' ORDER BY name",
	[STORE_METRIC_ERRORS] = "SELECT recipient, last_error, updated FROM"
	    " (SELECT recipient, last_error, coalesce(sent_at,"
	    " next_attempt_at) AS updated, id FROM outbox"
	    " WHERE last_error <> '' ORDER BY id DESC LIMIT 10)",
};

int
store_metric(struct store *st, enum store_metric which, int64_t param,
    store_metric_cb cb, void *arg)
{
	sqlite3_stmt *s;
	const char *a, *b;
	int rc;

	if (which < 0 || which >= STORE_METRIC_N)
		fatal("store: metric %d: no such query", (int)which);
	if (sqlite3_prepare_v2(st->db, store_metric_sql[which], -1, &s,
	    NULL) != SQLITE_OK) {
		log_warn("store: metric %d: %s", (int)which,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, param);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a = (const char *)sqlite3_column_text(s, 0);
		b = (const char *)sqlite3_column_text(s, 1);
		cb(a != NULL ? a : "", b != NULL ? b : "",
		    sqlite3_column_int64(s, 2), arg);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warn("store: metric %d: %s", (int)which,
		    sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

int
store_is_writable(struct store *st)
{
	int rc;

	/* A probe: it answers at once, it does not wait out the lock. */
	sqlite3_busy_timeout(st->db, 0);
	rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(st->db, st->busy_ms);
	if (rc != SQLITE_OK)
		return 0;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return 1;
}

/* --- events and notices --- */

static void
store_event_row(sqlite3_stmt *s, struct store_event *e)
{
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(s, 0);
	store_copy(e->code, sizeof e->code, s, 1);
	e->village_id = sqlite3_column_int64(s, 2);
	store_copy(e->village, sizeof e->village, s, 3);
	store_copy(e->village_name, sizeof e->village_name, s, 4);
	store_copy(e->township, sizeof e->township, s, 5);
	store_copy(e->title, sizeof e->title, s, 6);
	store_copy(e->place, sizeof e->place, s, 7);
	e->starts_at = sqlite3_column_int64(s, 8);
	e->remind_at = sqlite3_column_int64(s, 9);
	e->capacity = sqlite3_column_int(s, 10);
	store_copy(e->status, sizeof e->status, s, 11);
	e->reminded = sqlite3_column_int(s, 12);
	store_copy(e->created_by, sizeof e->created_by, s, 13);
	e->created_at = sqlite3_column_int64(s, 14);
	e->confirmed = sqlite3_column_int(s, 15);
	e->waiting = sqlite3_column_int(s, 16);
}

int
store_event_insert(struct store *st, const struct store_event *e,
    int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_EVENT_INSERT);

	store_bind(s, "slssllisl", e->code, e->village_id, e->title, e->place,
	    (int64_t)e->starts_at, (int64_t)e->remind_at, e->capacity,
	    e->created_by, (int64_t)e->created_at);
	if (sqlite3_step(s) != SQLITE_DONE) {
		sqlite3_reset(s);
		if (sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			return 0;
		log_warn("store: event insert: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	sqlite3_reset(s);
	*id = sqlite3_last_insert_rowid(st->db);
	return 1;
}

/* One event row from statement s, bound: -1 / 0 / 1. */
static int
store_event_one(struct store *st, sqlite3_stmt *s, struct store_event *out)
{
	int rc;

	if ((rc = store_step_row(st, s)) == 1) {
		store_event_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_event_find(struct store *st, const char *code, struct store_event *out)
{
	sqlite3_stmt *s = store_stmt(st, S_EVENT_FIND);

	store_bind(s, "s", code);
	return store_event_one(st, s, out);
}

int
store_event_get(struct store *st, int64_t id, struct store_event *out)
{
	sqlite3_stmt *s = store_stmt(st, S_EVENT_GET);

	store_bind(s, "l", id);
	return store_event_one(st, s, out);
}

int
store_event_list(struct store *st, const char *village, int open_only,
    void (*cb)(const struct store_event *, void *), void *arg)
{
	struct store_event e;
	sqlite3_stmt *s;
	int rc;

	if (village != NULL) {
		s = store_stmt(st, S_EVENT_LIST_VILLAGE);
		store_bind(s, "is", open_only ? 1 : 0, village);
	} else {
		s = store_stmt(st, S_EVENT_LIST);
		store_bind(s, "i", open_only ? 1 : 0);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_event_row(s, &e);
		cb(&e, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_event_set(struct store *st, int64_t id, const char *status,
    int reminded)
{
	sqlite3_stmt *s = store_stmt(st, S_EVENT_SET);

	store_bind(s, "sil", status, reminded, id);
	return store_exec_stmt(st, s);
}

int
store_event_remind_due(struct store *st, time_t now, int64_t *ids, int max)
{
	sqlite3_stmt *s = store_stmt(st, S_EVENT_REMIND_DUE);
	int n = 0, rc;

	store_bind(s, "li", (int64_t)now, max);
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return n;
}

int
store_event_close_past(struct store *st, time_t now)
{
	sqlite3_stmt *s = store_stmt(st, S_EVENT_CLOSE_PAST);

	store_bind(s, "l", (int64_t)now);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

static void
store_signup_row(sqlite3_stmt *s, struct store_signup *g)
{
	memset(g, 0, sizeof *g);
	g->id = sqlite3_column_int64(s, 0);
	g->event_id = sqlite3_column_int64(s, 1);
	store_copy(g->phone, sizeof g->phone, s, 2);
	store_copy(g->name, sizeof g->name, s, 3);
	store_copy(g->status, sizeof g->status, s, 4);
	g->ord = sqlite3_column_int(s, 5);
	g->created_at = sqlite3_column_int64(s, 6);
	g->updated_at = sqlite3_column_int64(s, 7);
}

int
store_signup_find(struct store *st, int64_t event, const char *phone,
    struct store_signup *out)
{
	sqlite3_stmt *s = store_stmt(st, S_SIGNUP_FIND);
	int rc;

	store_bind(s, "ls", event, phone);
	if ((rc = store_step_row(st, s)) == 1) {
		store_signup_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_signup_put(struct store *st, int64_t event, const char *phone,
    const char *status, time_t now)
{
	struct store_signup g;
	sqlite3_stmt *s;
	int rc;

	if ((rc = store_signup_find(st, event, phone, &g)) == -1)
		return -1;
	s = store_stmt(st, rc == 1 ? S_SIGNUP_UPDATE : S_SIGNUP_INSERT);
	store_bind(s, "lssl", event, phone, status, (int64_t)now);
	return store_exec_stmt(st, s);
}

int
store_signup_list(struct store *st, int64_t event,
    void (*cb)(const struct store_signup *, void *), void *arg)
{
	struct store_signup g;
	sqlite3_stmt *s = store_stmt(st, S_SIGNUP_LIST);
	int rc;

	store_bind(s, "l", event);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_signup_row(s, &g);
		cb(&g, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_notice_add(struct store *st, const struct store_notice *n,
    int64_t *id)
{
	sqlite3_stmt *s = store_stmt(st, S_NOTICE_ADD);

	store_bind(s, "lssiisln", n->village_id, n->text, n->sender,
	    n->recipients, n->parts, n->status, (int64_t)n->created_at,
	    (int64_t)n->sent_at);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static void
store_notice_row(sqlite3_stmt *s, struct store_notice *n)
{
	memset(n, 0, sizeof *n);
	n->id = sqlite3_column_int64(s, 0);
	n->village_id = sqlite3_column_int64(s, 1);
	store_copy(n->village, sizeof n->village, s, 2);
	store_copy(n->text, sizeof n->text, s, 3);
	store_copy(n->sender, sizeof n->sender, s, 4);
	n->recipients = sqlite3_column_int(s, 5);
	n->parts = sqlite3_column_int(s, 6);
	store_copy(n->status, sizeof n->status, s, 7);
	n->created_at = sqlite3_column_int64(s, 8);
	n->sent_at = sqlite3_column_int64(s, 9);
}

int
store_notice_get(struct store *st, int64_t id, struct store_notice *out)
{
	sqlite3_stmt *s = store_stmt(st, S_NOTICE_GET);
	int rc;

	store_bind(s, "l", id);
	if ((rc = store_step_row(st, s)) == 1) {
		store_notice_row(s, out);
		sqlite3_reset(s);
	}
	return rc;
}

int
store_notice_set(struct store *st, int64_t id, const char *status,
    time_t sent_at)
{
	sqlite3_stmt *s = store_stmt(st, S_NOTICE_SET);

	store_bind(s, "snl", status, (int64_t)sent_at, id);
	return store_exec_stmt(st, s);
}

int
store_notice_list(struct store *st, const char *village,
    void (*cb)(const struct store_notice *, void *), void *arg)
{
	struct store_notice n;
	sqlite3_stmt *s = store_stmt(st, S_NOTICE_LIST);
	int rc;

	store_bind(s, "s", village);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		store_notice_row(s, &n);
		cb(&n, arg);
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_notice_expire(struct store *st, time_t cutoff)
{
	sqlite3_stmt *s = store_stmt(st, S_NOTICE_EXPIRE);

	store_bind(s, "l", (int64_t)cutoff);
	if (store_exec_stmt(st, s) == -1)
		return -1;
	return sqlite3_changes(st->db);
}

int
store_credit_set(struct store *st, const char *name, int64_t credit,
    const char *reply, int64_t threshold, time_t now)
{
	sqlite3_stmt *s;
	int was_low = 0, low = credit < threshold, rc;

	if (sqlite3_prepare_v2(st->db, "SELECT low FROM modem_credit"
	    " WHERE name = ?", -1, &s, NULL) != SQLITE_OK)
		return -1;
	store_bind(s, "s", name);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		was_low = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO modem_credit"
	    " (name, credit, reply, at, low) VALUES (?, ?, ?, ?, ?)", -1, &s,
	    NULL) != SQLITE_OK)
		return -1;
	store_bind(s, "slsli", name, credit, reply, (int64_t)now, low);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_warn("store: modem_credit: %s", sqlite3_errmsg(st->db));
		return -1;
	}
	return low && !was_low;
}
