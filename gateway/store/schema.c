/*
 * store/schema — the schema, as the migrations that build it: entry i
 * moves a database from version i to version i + 1 (store.c runs them,
 * each in its own transaction, and the engine records the version).
 * Never edit an entry: add one.
 *
 * The text is SQLite's; where it is not standard SQL it says so in an
 * ENGINE: comment. PostgreSQL gets a schema of its own beside this one.
 */
#include "gateway/store/private.h"

/* The township of the village phone is registered in (a subquery). */
#define SCHEMA_TOWNSHIP_OF(phone) "(SELECT v.township_id FROM person p"	\
	" JOIN village v ON v.id = p.village_id WHERE p.phone = " phone ")"

/* A tally row's upsert: the count added to the row of the same key. */
#define SCHEMA_TALLY_ADD " ON CONFLICT DO UPDATE SET n = n + excluded.n;"

/*
 * An outbox row's share of the modem tally (migration 19), times sign,
 * where cond holds: its state's count on its modem, and when sent its
 * parts, its latency; and its attempts beyond the first.
 */
#define SCHEMA_OUTBOX_TALLY(row, sign, cond)				\
	"  INSERT INTO modem_tally (what, modem, k, n)"			\
	"  SELECT 3, coalesce(" row ".modem, ''), " row ".state, " sign	\
	"  WHERE " cond SCHEMA_TALLY_ADD				\
	"  INSERT INTO modem_tally (what, modem, k, n)"			\
	"  SELECT 4, coalesce(" row ".modem, ''), 0, " sign " * "	\
	row ".parts WHERE " row ".state = 2 AND " cond SCHEMA_TALLY_ADD	\
	"  INSERT INTO modem_tally (what, modem, k, n)"			\
	"  SELECT 5, '', 0, " sign " * max(" row ".attempts - 1, 0)"	\
	"  WHERE " row ".attempts > 1 AND " cond SCHEMA_TALLY_ADD	\
	"  INSERT INTO modem_tally (what, modem, k, n)"			\
	"  SELECT 6, '', " row ".sent_at - " row ".created_at, " sign	\
	"  WHERE " row ".state = 2 AND " row ".sent_at IS NOT NULL AND "	\
	cond SCHEMA_TALLY_ADD

/* An update changed what the modem tally counts of an outbox row. */
#define SCHEMA_OUTBOX_CHANGED "(OLD.state IS NOT NEW.state"		\
	" OR OLD.modem IS NOT NEW.modem OR OLD.parts IS NOT NEW.parts"	\
	" OR OLD.attempts IS NOT NEW.attempts"				\
	" OR OLD.created_at IS NOT NEW.created_at"			\
	" OR OLD.sent_at IS NOT NEW.sent_at)"

const char *const store_migrations[] = {
	/* 1: villages, people, inbound parts and messages, outbox, audit */
	/* ENGINE: INTEGER PRIMARY KEY is the rowid, assigned on insert */
	"CREATE TABLE township ("
	"  id INTEGER PRIMARY KEY,"
	/* ENGINE: COLLATE NOCASE */
	"  code TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE township_supervisor ("
	"  township_id INTEGER NOT NULL REFERENCES township(id),"
	"  phone TEXT NOT NULL,"
	"  PRIMARY KEY (township_id, phone));"
	"CREATE TABLE village ("
	"  id INTEGER PRIMARY KEY,"
	/* ENGINE: COLLATE NOCASE */
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
	/* ENGINE: partial index */
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
	/* ENGINE: INTEGER PRIMARY KEY (a rowid: the order added) */
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
	/* ENGINE: partial index */
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
	/* ENGINE: partial index */
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
	/* ENGINE: partial index */
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
	/* ENGINE: partial index */
	"CREATE INDEX checkin_sos_due ON checkin_sos(next_at)"
	"  WHERE resolved_at IS NULL;"
	"CREATE INDEX checkin_sos_elder ON checkin_sos(elder_id);"
	/* Opening a prompt supersedes its object's: 10,000 a morning. */
	/* ENGINE: partial index */
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
	/* ENGINE: partial index (unique) */
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
	/* ENGINE: partial index */
	"CREATE INDEX person_cadre ON person(village_id) WHERE (roles & 4) != 0;",
	/* 9: counters (what was suppressed, and why) for /metrics */
	"CREATE TABLE counter ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL DEFAULT 0);",
	/* 10: 8-bit data parts (WAP push, OTA), kept and never answered */
	/* ENGINE: a column named binary (reserved in PostgreSQL) */
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
	/*
	 * 13: a row in doubt remembers the reference of the last part its
	 * modem had on record when the doubt began: the part that was in
	 * the air took one of the next few, so a report of an unknown
	 * reference is told apart from the reports of older doubts
	 */
	"ALTER TABLE outbox ADD COLUMN doubt_ref INTEGER;",
	/*
	 * 14: the nodes sharing one database (store/node.c): each node's row
	 * and heartbeat; the node that drives each modem, with the modem's
	 * prefixes and whether it asks for status reports, for the other
	 * nodes to go by; the node a row in SENDING was handed to, and how
	 * long its claim holds unless renewed
	 */
	"CREATE TABLE node ("
	"  name TEXT PRIMARY KEY,"
	"  host TEXT NOT NULL DEFAULT '',"
	"  pid INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL,"
	"  seen_at INTEGER NOT NULL);"
	"ALTER TABLE modem ADD COLUMN node TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE modem ADD COLUMN prefixes TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE modem ADD COLUMN reports INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN node TEXT;"
	"ALTER TABLE outbox ADD COLUMN lease_until INTEGER;"
	"CREATE INDEX outbox_node ON outbox(state, node, lease_until);",
	/*
	 * 15: the status pages' trends (store/report.c) read a time window
	 * of messages, sent rows and tickets by the time itself
	 */
	"CREATE INDEX message_received ON message(received_at);"
	"CREATE INDEX outbox_sent ON outbox(sent_at);"
	"CREATE INDEX ticket_created ON ticket(created_at);"
	"CREATE INDEX ticket_resolved ON ticket(resolved_at);"
	"CREATE INDEX ticket_resolve_due ON ticket(resolve_due);",
	/*
	 * 16: the status pages' accounts (store/account.c): a name, its
	 * password's crypt(3) hash, its role and what the role covers (a
	 * township or a village; the county, all); and their sessions,
	 * kept by a hash of the cookie's token, so that a copy of the
	 * database logs no one in
	 */
	"CREATE TABLE account ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  hash TEXT NOT NULL,"
	"  role TEXT NOT NULL,"
	"  township_id INTEGER REFERENCES township(id),"
	"  village_id INTEGER REFERENCES village(id),"
	"  created_at INTEGER NOT NULL,"
	"  login_at INTEGER,"
	"  CHECK ((role = 'county' AND township_id IS NULL AND"
	"    village_id IS NULL) OR (role = 'township' AND township_id IS"
	"    NOT NULL AND village_id IS NULL) OR (role = 'village' AND"
	"    village_id IS NOT NULL AND township_id IS NULL)));"
	"CREATE TABLE web_session ("
	"  token TEXT PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES account(id),"
	"  created_at INTEGER NOT NULL,"
	"  seen_at INTEGER NOT NULL);"
	"CREATE INDEX web_session_account ON web_session(account_id);"
	"CREATE INDEX web_session_seen ON web_session(seen_at);",
	/*
	 * 17 (page tallies): the county page's check-in rates read a tally
	 * of check-in rows per local day, village and status, kept by
	 * triggers as rows come, change status and go, rather than every
	 * elder's row of 14 days (1.4 million for 100,000 elders). The
	 * village is the elder's at the time of the change. Made from the
	 * rows already there.
	 */
	"CREATE TABLE checkin_tally ("
	"  day INTEGER NOT NULL,"
	"  village_id INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (day, village_id, status));"
	"INSERT INTO checkin_tally (day, village_id, status, n)"
	"  SELECT d.day, p.village_id, d.status, count(*) FROM checkin_day d"
	"  JOIN elder e ON e.id = d.elder_id JOIN person p ON p.id = e.person_id"
	"  WHERE p.village_id IS NOT NULL GROUP BY 1, 2, 3;"
	/* ENGINE: a trigger's body (PostgreSQL: a function) */
	"CREATE TRIGGER checkin_tally_add AFTER INSERT ON checkin_day BEGIN"
	"  INSERT INTO checkin_tally (day, village_id, status, n)"
	"  SELECT NEW.day, p.village_id, NEW.status, 1 FROM elder e"
	"  JOIN person p ON p.id = e.person_id"
	"  WHERE e.id = NEW.elder_id AND p.village_id IS NOT NULL"
	"  ON CONFLICT (day, village_id, status)"
	"  DO UPDATE SET n = checkin_tally.n + 1; END;"
	"CREATE TRIGGER checkin_tally_change AFTER UPDATE OF status"
	"  ON checkin_day WHEN OLD.status <> NEW.status BEGIN"
	"  UPDATE checkin_tally SET n = n - 1 WHERE day = OLD.day"
	"  AND status = OLD.status AND village_id = (SELECT p.village_id"
	"  FROM elder e JOIN person p ON p.id = e.person_id"
	"  WHERE e.id = OLD.elder_id);"
	"  INSERT INTO checkin_tally (day, village_id, status, n)"
	"  SELECT NEW.day, p.village_id, NEW.status, 1 FROM elder e"
	"  JOIN person p ON p.id = e.person_id"
	"  WHERE e.id = NEW.elder_id AND p.village_id IS NOT NULL"
	"  ON CONFLICT (day, village_id, status)"
	"  DO UPDATE SET n = checkin_tally.n + 1; END;"
	"CREATE TRIGGER checkin_tally_remove AFTER DELETE ON checkin_day BEGIN"
	"  UPDATE checkin_tally SET n = n - 1 WHERE day = OLD.day"
	"  AND status = OLD.status AND village_id = (SELECT p.village_id"
	"  FROM elder e JOIN person p ON p.id = e.person_id"
	"  WHERE e.id = OLD.elder_id); END;",
	/*
	 * 18 (page tallies): the trends of SMS in and out read a tally per
	 * hour and township (0: the number is registered in no village)
	 * rather than every message and sent row of 30 days (330,000 of
	 * each at a county's volume). A message counts in the township its
	 * sender is registered in as it comes; a sent row in its
	 * recipient's as it is sent, and leaves the tally if it leaves the
	 * sent state. Rows the retention deletes stay counted: it is what
	 * went through. Made from the rows already there.
	 */
	"CREATE TABLE traffic_tally ("
	"  dir INTEGER NOT NULL,"
	"  hour INTEGER NOT NULL,"
	"  township_id INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (dir, hour, township_id));"
	"INSERT INTO traffic_tally (dir, hour, township_id, n)"
	"  SELECT 0, m.received_at / 3600, coalesce(v.township_id, 0),"
	"  count(*) FROM message m LEFT JOIN person p ON p.phone = m.sender"
	"  LEFT JOIN village v ON v.id = p.village_id GROUP BY 1, 2, 3;"
	"INSERT INTO traffic_tally (dir, hour, township_id, n)"
	"  SELECT 1, o.sent_at / 3600, coalesce(v.township_id, 0),"
	"  count(*) FROM outbox o LEFT JOIN person p ON p.phone = o.recipient"
	"  LEFT JOIN village v ON v.id = p.village_id"
	"  WHERE o.state = 2 AND o.sent_at IS NOT NULL GROUP BY 1, 2, 3;"
	/* ENGINE: a trigger's body (PostgreSQL: a function) */
	"CREATE TRIGGER traffic_in AFTER INSERT ON message BEGIN"
	"  INSERT INTO traffic_tally (dir, hour, township_id, n)"
	"  SELECT 0, NEW.received_at / 3600, coalesce("
	    SCHEMA_TOWNSHIP_OF("NEW.sender") ", 0), 1 WHERE 1"
	"  ON CONFLICT (dir, hour, township_id) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER traffic_out_new AFTER INSERT ON outbox"
	"  WHEN NEW.state = 2 AND NEW.sent_at IS NOT NULL BEGIN"
	"  INSERT INTO traffic_tally (dir, hour, township_id, n)"
	"  SELECT 1, NEW.sent_at / 3600, coalesce("
	    SCHEMA_TOWNSHIP_OF("NEW.recipient") ", 0), 1 WHERE 1"
	"  ON CONFLICT (dir, hour, township_id) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER traffic_out AFTER UPDATE OF state, sent_at ON outbox"
	"  WHEN (OLD.state = 2 AND OLD.sent_at IS NOT NULL) OR"
	"  (NEW.state = 2 AND NEW.sent_at IS NOT NULL) BEGIN"
	"  UPDATE traffic_tally SET n = n - 1 WHERE OLD.state = 2"
	"  AND OLD.sent_at IS NOT NULL AND dir = 1"
	"  AND hour = OLD.sent_at / 3600 AND township_id = coalesce("
	    SCHEMA_TOWNSHIP_OF("OLD.recipient") ", 0);"
	"  INSERT INTO traffic_tally (dir, hour, township_id, n)"
	"  SELECT 1, NEW.sent_at / 3600, coalesce("
	    SCHEMA_TOWNSHIP_OF("NEW.recipient") ", 0), 1"
	"  WHERE NEW.state = 2 AND NEW.sent_at IS NOT NULL"
	"  ON CONFLICT (dir, hour, township_id) DO UPDATE SET n = n + 1; END;",
	/*
	 * 19 (modem tallies): what the status page's modem table and
	 * /metrics count per modem, kept by triggers rather than counted
	 * over every message, part, call and outbox row at each view (459 ms
	 * for the modem table alone at a county's volume). A row per what,
	 * modem ('' if none, or for the whole gateway) and k. what: 0
	 * messages in, 1 parts in, 2 calls; 3 outbox rows by state (k);
	 * 4 parts sent; 5 send attempts beyond each row's first ('');
	 * 6 sends by latency in seconds (k, '').
	 * Like the traffic tally, what the retention deletes stays counted;
	 * an outbox row deleted before it had a result leaves its state's
	 * count. Made from the rows already there.
	 */
	"CREATE TABLE modem_tally ("
	"  what INTEGER NOT NULL,"
	"  modem TEXT NOT NULL,"
	"  k INTEGER NOT NULL,"
	"  n INTEGER NOT NULL,"
	"  PRIMARY KEY (what, modem, k));"
	"INSERT INTO modem_tally (what, modem, k, n)"
	"  SELECT 0, modem, 0, count(*) FROM message GROUP BY modem"
	"  UNION ALL SELECT 1, modem, 0, count(*) FROM inbound_part"
	"  GROUP BY modem"
	"  UNION ALL SELECT 2, modem, 0, count(*) FROM call GROUP BY modem"
	"  UNION ALL SELECT 3, coalesce(modem, ''), state, count(*) FROM outbox"
	"  GROUP BY 2, 3"
	"  UNION ALL SELECT 4, coalesce(modem, ''), 0, sum(parts) FROM outbox"
	"  WHERE state = 2 GROUP BY 2"
	"  UNION ALL SELECT 5, '', 0, sum(max(attempts - 1, 0)) FROM outbox"
	"  HAVING count(*) > 0"
	"  UNION ALL SELECT 6, '', sent_at - created_at, count(*) FROM outbox"
	"  WHERE state = 2 AND sent_at IS NOT NULL GROUP BY 3;"
	/* ENGINE: a trigger's body (PostgreSQL: a function) */
	"CREATE TRIGGER modem_tally_message AFTER INSERT ON message BEGIN"
	"  INSERT INTO modem_tally (what, modem, k, n)"
	"  VALUES (0, NEW.modem, 0, 1)" SCHEMA_TALLY_ADD "END;"
	"CREATE TRIGGER modem_tally_part AFTER INSERT ON inbound_part BEGIN"
	"  INSERT INTO modem_tally (what, modem, k, n)"
	"  VALUES (1, NEW.modem, 0, 1)" SCHEMA_TALLY_ADD "END;"
	"CREATE TRIGGER modem_tally_call AFTER INSERT ON call BEGIN"
	"  INSERT INTO modem_tally (what, modem, k, n)"
	"  VALUES (2, NEW.modem, 0, 1)" SCHEMA_TALLY_ADD "END;"
	"CREATE TRIGGER modem_tally_out_new AFTER INSERT ON outbox BEGIN"
	SCHEMA_OUTBOX_TALLY("NEW", "1", "1")
	"END;"
	/* Only what changed: the old row's counts out, the new row's in. */
	"CREATE TRIGGER modem_tally_out AFTER UPDATE OF state, modem, parts,"
	"  attempts, created_at, sent_at ON outbox BEGIN"
	SCHEMA_OUTBOX_TALLY("OLD", "-1", SCHEMA_OUTBOX_CHANGED)
	SCHEMA_OUTBOX_TALLY("NEW", "1", SCHEMA_OUTBOX_CHANGED)
	"END;"
	"CREATE TRIGGER modem_tally_out_gone AFTER DELETE ON outbox"
	"  WHEN OLD.state < 2 BEGIN"
	"  INSERT INTO modem_tally (what, modem, k, n)"
	"  VALUES (3, coalesce(OLD.modem, ''), OLD.state, -1)" SCHEMA_TALLY_ADD
	"END;",
	/*
	 * 20 (covering ticket indexes): the county page's tickets per week,
	 * its grievance rates and its open and overdue count read the
	 * window's tickets from the index alone, not each row from the table
	 * too (the last one from 11 ms to 0.5 ms on 50,000 tickets).
	 */
	"DROP INDEX ticket_created;"
	"CREATE INDEX ticket_created ON ticket(created_at, village_id,"
	"  accepted_at, accept_due, resolved_at, resolve_due, rating);"
	"DROP INDEX ticket_resolved;"
	"CREATE INDEX ticket_resolved ON ticket(resolved_at, village_id);"
	"DROP INDEX ticket_resolve_due;"
	"CREATE INDEX ticket_resolve_due ON ticket(resolve_due, resolved_at,"
	"  village_id);"
	"DROP INDEX ticket_status;"
	"CREATE INDEX ticket_status ON ticket(status, accept_due, resolve_due,"
	"  village_id);",
};

const int store_nmigrations =
    (int)(sizeof store_migrations / sizeof store_migrations[0]);
