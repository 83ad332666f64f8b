#!/usr/bin/env python3
"""The status pages on a county's worth of rows: milliseconds per GET of
/, /village/CODE, /ticket/CODE, /metrics and /healthz from the real daemon
(build/rel/cungated) on SQLite and on PostgreSQL, and how long SMS
handling waits while the pages are asked for. Prints figures; not a test.

The database (made by `cungatectl`, so the schema is the real one, then
filled in one transaction of INSERT ... SELECT over generated rows):

  15 townships, 300 villages (V1001 the big one: 5,000 of the elders and
  a tenth of the tickets), a cadre per village
  100,000 elders and their persons, 50,000 other residents; check-in rows
  for the last 14 days and today (most checked, some missed, today's
  open ones with their next step hours away)
  1,000,000 messages over 90 days, each with its inbound part and its
  reply in the outbox (sent; one in a thousand failed with an error),
  and 100 rows queued for later
  50,000 tickets over 100 days in every state, with three events each;
  every reminder and escalation already sent, so the daemon's sweeps
  find nothing to do while it is measured

The daemon runs at the shipped defaults except log_level = info and
quiet_hours = off, with [http] on loopback and one dummy-phone modem
(poll_interval = 1). Each page is asked for REQS times (--reqs), one
request at a time after one unmeasured request; min, median, p95 and max
in ms, from the request's start to its body's end.

SMS handling is measured twice, first with nothing else to do, then
while one client asks for / without pause (and another for /metrics):
TEXTS texts (--texts), one every half second, each from its own
resident, are renamed into the modem's inbox; each one's wait is the time
from its first "received part" line to its "router: ... message N" line
(logged after the message's transaction commits). Beside it, "loop": the
longest answer to GET /healthz asked every 20 ms over the same time:
the event loop's longest stall, the page's own time included.

The machine's other load counts: on two shared cores, figures are noisy;
run it again before reading much into a few ms.

    make bench-pages  (also in make bench; or: python3 tests/bench/pages.py
                       [--only sqlite|pg] [--reqs N] [--texts N] [--keep])
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from throughput import (CLUSTER, CTL, Node, psql, smsbackup, start_server,
                        stamp, wait_for, with_dbname)

ROWS = ("sqlite", "pg")
PAGES = ("/", "/village/V1001", "/ticket/{ticket}", "/metrics", "/healthz")
N_TOWNSHIPS = 15
N_VILLAGES = 300
N_ELDERS = 100000
N_RESIDENTS = 50000
N_MESSAGES = 1000000
MESSAGE_DAYS = 90
N_TICKETS = 50000
TICKET_DAYS = 100
CHECKIN_DAYS = 14
N_QUEUED = 100
ZONE = 8 * 3600                 # Asia/Shanghai, the shipped timezone
ROUTED = re.compile(r"^(\S+)Z .* router: (\S+): message \d+: ")
RECEIVED = re.compile(r"^(\S+)Z .* received part \S+ from (\S+)")

# {seq:N}: the integers 1..N as column i, written per engine.
SEQ = {
    "sqlite": "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1"
              " FROM s WHERE i < {n}) SELECT i FROM s)",
    "pg": "(SELECT generate_series(1, {n})::bigint AS i)",
}

# Standard SQL for both engines: integer arithmetic for the spread, no
# random(), so both databases hold the same rows.
SEED = """
INSERT INTO township (id, code, name, created_at)
  SELECT i, 'T' || CAST(10 + i AS TEXT), '乡镇' || CAST(i AS TEXT), {t0}
  FROM {seq_townships} AS s;
INSERT INTO village (id, code, name, township_id, created_at)
  SELECT i, 'V' || CAST(1000 + i AS TEXT), '村' || CAST(i AS TEXT),
    (i - 1) % {townships} + 1, {t0}
  FROM {seq_villages} AS s;
INSERT INTO person (id, phone, name, village_id, roles, created_at,
    updated_at)
  SELECT i, '+86' || CAST(13000000000 + i AS TEXT), '老人' || CAST(i AS TEXT),
    CASE WHEN i <= 5000 THEN 1 ELSE i * 7 % {villages} + 1 END, 0, {t0}, {t0}
  FROM {seq_elders} AS s;
INSERT INTO person (id, phone, name, village_id, roles, created_at,
    updated_at)
  SELECT {elders} + i, '+86' || CAST(13500000000 + i AS TEXT),
    '村民' || CAST(i AS TEXT),
    CASE WHEN i <= {villages} THEN i ELSE i * 13 % {villages} + 1 END,
    CASE WHEN i <= {villages} THEN 4 ELSE 0 END, {t0}, {t0}
  FROM {seq_residents} AS s;
INSERT INTO elder (id, person_id, start_day, created_at, updated_at)
  SELECT i, i, {today} - 30, {t0}, {t0} FROM {seq_elders} AS s;
INSERT INTO checkin_run (day, at, elders)
  SELECT {today} - i + 1, {now} - (i - 1) * 86400, {elders}
  FROM {seq_cdays} AS s;
INSERT INTO checkin_day (elder_id, day, status, step, next_at,
    checked_in_at)
  SELECT e.i, {today} - d.i + 1,
    CASE WHEN (e.i * 31 + d.i * 17) % 100 < 70 THEN 'checked'
      WHEN (e.i * 31 + d.i * 17) % 100 < 80 AND d.i > 1 THEN 'checked'
      WHEN (e.i * 31 + d.i * 17) % 100 < 93 AND d.i > 1 THEN 'confirmed'
      WHEN (e.i * 31 + d.i * 17) % 100 < 95 THEN 'paused'
      ELSE 'open' END,
    CASE WHEN (e.i * 31 + d.i * 17) % 100 < 95 THEN 0
      WHEN d.i > 1 THEN 4 ELSE e.i % 4 END,
    CASE WHEN d.i = 1 AND (e.i * 31 + d.i * 17) % 100 >= 95
      THEN {now} + 21600 ELSE NULL END,
    CASE WHEN (e.i * 31 + d.i * 17) % 100 < 93
      THEN {now} - (d.i - 1) * 86400 - 3600 ELSE NULL END
  FROM {seq_elders} AS e CROSS JOIN {seq_cdays} AS d;
INSERT INTO message (id, sender, modem, text, parts, received_at, state,
    handler, handled_at)
  SELECT i, '+86' || CAST(13000000000 + i * 7919 % {elders} + 1 AS TEXT),
    'm1', '帮助 ' || CAST(i AS TEXT), 1,
    {t_msg} + i * {msg_span} / {messages}, 'done', 'help',
    {t_msg} + i * {msg_span} / {messages}
  FROM {seq_messages} AS s;
INSERT INTO inbound_part (id, modem, dedupe_key, sender, received_at, text,
    message_id)
  SELECT id, 'm1', 'bench:' || CAST(id AS TEXT), sender, received_at, text,
    id
  FROM message;
INSERT INTO outbox (id, recipient, text, class, state, attempts,
    created_at, next_attempt_at, expires_at, sent_at, modem, parts,
    last_error, message_id)
  SELECT id, sender, '回复：村务短信帮助，发送"报 内容"反映问题。', 1,
    CASE WHEN id % 1000 = 0 THEN 3 ELSE 2 END, 1, received_at,
    received_at, received_at + 86400,
    CASE WHEN id % 1000 = 0 THEN NULL ELSE received_at + 3 END, 'm1', 1,
    CASE WHEN id % 1000 = 0 THEN '+CMS ERROR 38' ELSE '' END, id
  FROM message;
INSERT INTO outbox (id, recipient, text, class, state, created_at,
    next_attempt_at, expires_at)
  SELECT {messages} + i, '+86' || CAST(13500000000 + i AS TEXT), '通知：明天停水。', 3, 0,
    {now}, {now} + 30 * 86400, {now} + 31 * 86400
  FROM {seq_queued} AS s;
INSERT INTO ticket (id, code, reporter, village_id, category, urgent, text,
    status, created_at, updated_at, accept_due, resolve_due, accepted_by,
    accepted_at, resolved_by, resolved_at, rating, rated_at,
    accept_reminded, accept_escalated, resolve_reminded, resolve_escalated)
  SELECT i, CAST(100000 + i AS TEXT), '+86' || CAST(13500000000 + i AS TEXT),
    CASE WHEN i % 10 = 0 THEN 1 ELSE i * 7 % {villages} + 1 END,
    '路灯', CASE WHEN i % 20 = 0 THEN 1 ELSE 0 END, '路灯坏了',
    st, c, c + 3600, c + 86400, c + 7 * 86400,
    CASE WHEN st = 'open' THEN NULL ELSE '+8613500000001' END,
    CASE WHEN st = 'open' THEN NULL ELSE c + 3600 END,
    CASE WHEN st IN ('resolved', 'closed') THEN '+8613500000001' END,
    CASE WHEN st IN ('resolved', 'closed') THEN
      c + CASE WHEN i % 7 = 0 THEN 9 ELSE 3 END * 86400 END,
    CASE WHEN st = 'closed' THEN 1 + i % 3 END,
    CASE WHEN st = 'closed' THEN c + 10 * 86400 END, 1, 1, 1, 1
  FROM (SELECT i, {t_tk} + i * {tk_span} / {tickets} AS c,
    CASE WHEN i * 37 % 100 < CASE WHEN i > {tickets} * 86 / 100 THEN 10
        ELSE 2 END THEN 'open'
      WHEN i * 37 % 100 < CASE WHEN i > {tickets} * 86 / 100 THEN 25
        ELSE 4 END THEN 'accepted'
      WHEN i * 37 % 100 < CASE WHEN i > {tickets} * 86 / 100 THEN 28
        ELSE 5 END THEN 'reopened'
      WHEN i * 37 % 100 < CASE WHEN i > {tickets} * 86 / 100 THEN 30
        ELSE 6 END THEN 'returned'
      WHEN i * 37 % 100 < CASE WHEN i > {tickets} * 86 / 100 THEN 45
        ELSE 10 END THEN 'resolved'
      ELSE 'closed' END AS st
    FROM {seq_tickets} AS s) AS k;
INSERT INTO ticket_event (ticket_id, at, actor, channel, action, detail)
  SELECT k.id, k.created_at + e.i * 3600, k.reporter, 'sms',
    CASE e.i WHEN 1 THEN 'file' WHEN 2 THEN 'accept' ELSE 'resolve' END, ''
  FROM ticket k CROSS JOIN {seq_3} AS e;
"""

def seed_sql(engine, now):
    """The seeding statements for engine, with now's day and windows."""
    today = (now + ZONE) // 86400
    n = {"townships": N_TOWNSHIPS, "villages": N_VILLAGES,
         "elders": N_ELDERS, "residents": N_RESIDENTS,
         "messages": N_MESSAGES, "tickets": N_TICKETS,
         "cdays": CHECKIN_DAYS + 1, "queued": N_QUEUED, "3": 3}
    words = {"seq_" + k: SEQ[engine].format(n=v) for k, v in n.items()}
    words.update({k: v for k, v in n.items() if k != "3"})
    words.update(now=now, today=today, t0=now - 200 * 86400,
                 t_msg=now - MESSAGE_DAYS * 86400,
                 msg_span=MESSAGE_DAYS * 86400 - 600,
                 t_tk=now - TICKET_DAYS * 86400,
                 tk_span=TICKET_DAYS * 86400 - 600)
    return SEED.format(**words)


def seed(row, node, conninfo):
    """Fill the database node's config names; seconds it took."""
    t = time.monotonic()
    now = int(time.time())
    if row == "sqlite":
        db = sqlite3.connect(os.path.join(node.dir, "cungate.db"))
        db.executescript("BEGIN;\n" + seed_sql("sqlite", now) +
                         "COMMIT;\nANALYZE;\n")
        db.close()
    else:
        tables = ("township", "village", "person", "elder", "checkin_day",
                  "message", "inbound_part", "outbox", "ticket",
                  "ticket_event")
        after = "".join(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'),"
                        f" (SELECT max(id) FROM {t}));\n" for t in tables)
        psql(conninfo, "BEGIN;\n" + seed_sql("pg", now) + after +
             "COMMIT;\n")
        psql(conninfo, "VACUUM ANALYZE")
    return time.monotonic() - t


# --- asking ---

PASSWORD = "bench-county-pw"


def log_in(port):
    """The session cookie of the bench's county account, as the login
    form gives it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/login", f"name=bench&password={PASSWORD}",
                 {"Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    r.read()
    conn.close()
    if r.status != 303 or not r.getheader("Set-Cookie"):
        raise SystemExit(f"POST /login: {r.status}")
    return r.getheader("Set-Cookie").split(";")[0]


class Client:
    """One keep-alive connection to the daemon's [http] port, logged in
    as the bench's county account (COOKIE)."""
    COOKIE = None

    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path):
        """(status, ms) of one GET, the body read to its end."""
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1",
                                                       self.port, timeout=60)
            t = time.perf_counter()
            try:
                self.conn.request("GET", path, headers={
                    "Cookie": Client.COOKIE} if Client.COOKIE else {})
                r = self.conn.getresponse()
                r.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            ms = (time.perf_counter() - t) * 1000
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r.status, ms


def percentile(xs, p):
    """The p-th percentile, nearest rank."""
    xs = sorted(xs)
    return xs[max(0, -(-len(xs) * p // 100) - 1)]


def time_pages(port, ticket, reqs):
    """{path: [ms, ...]}: each page asked for reqs times after one."""
    c = Client(port)
    out = {}
    for page in PAGES:
        path = page.format(ticket=ticket)
        status, _ = c.get(path)
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
        out[page] = [c.get(path)[1] for _ in range(reqs)]
    return out


class Hammer(threading.Thread):
    """Asks for path without pause until stopped; counts the answers."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.client, self.path = Client(port), path
        self.stop, self.n = threading.Event(), 0

    def run(self):
        while not self.stop.is_set():
            self.client.get(self.path)
            self.n += 1


class Probe(threading.Thread):
    """GET /healthz every 20 ms until stopped; the longest answer."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.client = Client(port)
        self.stop, self.worst = threading.Event(), 0.0

    def run(self):
        while not self.stop.wait(0.02):
            self.worst = max(self.worst, self.client.get("/healthz")[1])


def texts(node, port, n, first, hammer):
    """n texts into the inbox one every half second, the pages asked for
    meanwhile if hammer; ([ms read -> routed per text], the loop's
    longest stall in ms, pages answered meanwhile)."""
    when = time.strftime("%Y%m%dT%H%M%S")
    # Each from its own resident; the log masks all but the last 4 digits.
    senders = ["+86" + str(13500000000 + 1000 + first + k) for k in range(n)]
    tails = {s[-4:] for s in senders}
    staged = node.stage([smsbackup(s, "帮助", when) for s in senders])
    workers = [Hammer(port, "/"), Hammer(port, "/metrics")] if hammer else []
    probe = Probe(port)
    for w in workers + [probe]:
        w.start()
    time.sleep(1)
    for k, (src, _) in enumerate(staged):
        os.rename(src, os.path.join(node.inbox, str(first + k + 1)))
        time.sleep(0.5)

    def seen(pattern):
        """{sender's last 4 digits: the first time of pattern's line}"""
        out = {}
        for t, m in node.times(pattern):
            if m.group(2)[-4:] in tails:
                out.setdefault(m.group(2)[-4:], t)
        return out

    wait_for(lambda: len(seen(ROUTED)) == n, timeout=120,
             what=f"{n} texts routed", interval=0.25)
    for w in workers + [probe]:
        w.stop.set()
    for w in workers + [probe]:
        w.join()
    read, routed = seen(RECEIVED), seen(ROUTED)
    waits = [(routed[k] - read[k]) * 1000 for k in routed if k in read]
    return waits, probe.worst, sum(w.n for w in workers)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(row, tmp, server, reqs, ntexts):
    """One engine's figures."""
    port = free_port()
    conninfo = None
    if row == "sqlite":
        node = Node(os.path.join(tmp, row), os.path.join(tmp, row,
                                                         "cungate.db"))
    else:
        psql(server, "CREATE DATABASE bench_pages")
        conninfo = with_dbname(server, "bench_pages")
        node = Node(os.path.join(tmp, row), conninfo, node="a")
    with open(node.conf, "a") as f:
        f.write(f"\n[http]\nlisten = 127.0.0.1:{port}\n")
    node.ctl("stats")               # the schema, made by the store itself
    # The pages are behind a login: a county account to read them with.
    subprocess.run([CTL, "-c", node.conf, "user", "add", "bench", "--role",
                    "county"], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True)
    print(f"{row}: seeding ...", file=sys.stderr, flush=True)
    secs = seed(row, node, conninfo)
    print(f"{row}: seeded in {secs:.0f} s", file=sys.stderr, flush=True)
    ticket = str(100000 + N_TICKETS - 7)    # recent, open
    try:
        node.start()
        Client.COOKIE = log_in(port)
        pages = time_pages(port, ticket, reqs)
        idle = texts(node, port, ntexts, 0, False)
        busy = texts(node, port, ntexts, ntexts, True)
    finally:
        node.stop()
    return {"row": row, "seed": secs, "pages": pages, "idle": idle,
            "busy": busy}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", action="append", choices=ROWS,
                    help="measure only this engine (repeatable)")
    ap.add_argument("--reqs", type=int, default=20,
                    help="requests per page (default 20)")
    ap.add_argument("--texts", type=int, default=10,
                    help="texts per SMS run (default 10)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the private directory (printed)")
    args = ap.parse_args()
    rows = args.only or list(ROWS)
    tmp = tempfile.mkdtemp(prefix="cungate-bench-pages-")
    os.chmod(tmp, 0o755)        # the server's user must reach its directory
    pgdir, server, results = None, None, []
    try:
        if "pg" in rows:
            pgdir, server = start_server(tmp)
        for row in rows:
            results.append(run(row, tmp, server, args.reqs, args.texts))
    finally:
        if pgdir is not None:
            subprocess.run([sys.executable, CLUSTER, "stop", pgdir],
                           capture_output=True)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"GET on loopback, ms, {args.reqs} requests each; "
          f"{N_MESSAGES:,} messages, {N_ELDERS:,} elders, "
          f"{N_TICKETS:,} tickets")
    print(f"{'engine':<8}{'page':<18}{'min':>8}{'median':>8}{'p95':>8}"
          f"{'max':>8}")
    for r in results:
        for page, ms in r["pages"].items():
            print(f"{r['row']:<8}{page.format(ticket='CODE'):<18}"
                  f"{min(ms):>8.1f}{statistics.median(ms):>8.1f}"
                  f"{percentile(ms, 95):>8.1f}{max(ms):>8.1f}")
    print(f"SMS handling, ms from a text's first read to its message "
          f"routed ({args.texts} texts), and the loop's longest stall "
          f"(GET /healthz every 20 ms)")
    print(f"{'engine':<8}{'pages asked':<14}{'median':>8}{'max':>8}"
          f"{'loop max':>10}{'pages':>7}")
    for r in results:
        for name, (waits, worst, n) in (("none", r["idle"]),
                                        ("without pause", r["busy"])):
            print(f"{r['row']:<8}{name:<14}"
                  f"{statistics.median(waits) if waits else 0:>8.0f}"
                  f"{max(waits) if waits else 0:>8.0f}{worst:>10.0f}"
                  f"{n:>7}")
    for r in results:
        print(f"{r['row']}: seeded in {r['seed']:.0f} s")


if __name__ == "__main__":
    main()
