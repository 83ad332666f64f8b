#!/usr/bin/env python3
"""Routed messages per second per node, SQLite against PostgreSQL: a burst
of N inbound texts, each from its own registered resident, through the
real daemon (build/rel/cungated) on libgammu's dummy-phone modems. Prints
figures; not a test.

Rows (each on a fresh database; the PostgreSQL ones on a private server
that tests/pg/cluster.py starts for the run and stops after):

  sqlite          one daemon, one modem, the database a SQLite file
  pg              one daemon (node = a), one modem, a PostgreSQL database
  pg 2 nodes      two daemons (node = a, node = b), each with its own
                  directory, state_dir and modem, on one PostgreSQL
                  database; the burst split evenly between their modems

Every daemon runs at the shipped defaults except log_level = info,
quiet_hours = off and recipient_hourly_cap raised (so no reply waits on
the cap); each modem is a dummy phone with poll_interval = 1. One township,
one village, N residents (imported with `cungatectl resident import`) and
a cadre. The text is a grievance report, "TS 路灯坏了" (--text to
change): a ticket, the sender's reply and the cadre's alert, in one
transaction per message.

What is measured: the burst's parts are written beside the inbox before
the clock starts, then renamed into DEVICE/sms/1/ one after another (the
clock starts at the first rename); the run ends when every message is
handled (the last "router: ... message N" line, which the daemon logs
after the message's transaction commits; `cungatectl stats --json`
says when all N are stored and none is pending). "msg/s" is N over that
time: it includes up to one poll_interval before a worker first looks
at its inbox, so "after 1st read" is also given, from the first
"received part" line instead. Per node (PostgreSQL): the messages that
node routed, over the time from the first rename to its own last one.
Which node routed each message is counted in the database, not taken
from the logs: the bench gives each daemon's conninfo
application_name = its node and, after the
schema is made, adds a trigger of its own on the message table that
records the session's application_name when a message leaves "new"
(one row insert per message, on both PostgreSQL rows). Then each
message's replies are counted in `cungatectl outbox --json` (rows with
its message_id): two nodes must never answer one message twice.

The machine's other load counts: on two cores, two nodes, their workers
and the server share them, so "pg 2 nodes" shows contention as much as
scaling.

    make bench-pg     (also in make bench; or: python3
                       tests/bench/throughput.py [N] [--only ROW]
                       [--text TEXT] [--keep])
"""
import argparse
import csv
import datetime
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
BUILD = os.environ.get("CUNGATE_BUILD", os.path.join(ROOT, "build", "rel"))
DAEMON = os.path.join(BUILD, "cungated")
CTL = os.path.join(BUILD, "cungatectl")
CLUSTER = os.path.join(ROOT, "tests", "pg", "cluster.py")

ROWS = ("sqlite", "pg", "pg 2 nodes")
TEXT = "TS 路灯坏了"
SENDER = "1370{:07d}"           # one resident per message
CADRE = "13900000003"
DONE_TIMEOUT = 300              # seconds for the whole burst to be handled
ROUTED = re.compile(r"^(\S+)Z .* router: \S+: message (\d+): ")
RECEIVED = re.compile(r"^(\S+)Z .* received part ")


# --- after tests/integration/conftest.py's (not imported: standalone) ---

def wait_for(pred, timeout=20.0, what="condition", interval=0.05):
    """Poll pred() until it returns something truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def smsbackup(sender, text, when=None, smsc="+8613800290500"):
    """One incoming part as a Gammu smsbackup file: UTF-16BE hex text, 200
    hex digits per TextNN line."""
    when = when or time.strftime("%Y%m%dT%H%M%S")
    hexed = text.encode("utf-16-be").hex().upper()
    lines = ["[SMSBackup000]", f'SMSC = "{smsc}"', "PDU = Deliver",
             f"DateTime = {when}", "State = UnRead", f'Number = "{sender}"']
    chunks = [hexed[i:i + 200] for i in range(0, len(hexed), 200)] or [""]
    for i, chunk in enumerate(chunks):
        lines.append(f"Text{i:02d} = {chunk}")
    lines += ["Coding = Unicode_No_Compression", "Folder = 1", "Class = -1",
              ""]
    return "\r\n".join(lines)


def psql(conninfo, command):
    """Run command (one or more statements) on conninfo; its rows, each a
    list of strings."""
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v",
                          "ON_ERROR_STOP=1", "-d", conninfo, "-c", command],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"psql: {out.stderr.strip()}\n{command}")
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def with_dbname(conninfo, dbname):
    """A key=value conninfo naming dbname instead."""
    words = re.sub(r"(^|\s)dbname\s*=\s*\S+", " ", conninfo).split()
    return " ".join(words + [f"dbname={dbname}"])


# --- the gateway ---

def stamp(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


class Node:
    """One cungated: its directory, config, log and dummy-phone modem."""

    def __init__(self, directory, database, node=None, modem="m1"):
        self.dir = directory
        self.modem = modem
        self.conf = os.path.join(directory, "cungate.conf")
        self.log = os.path.join(directory, "daemon.log")
        self.device = os.path.join(directory, "modem-" + modem)
        self.inbox = os.path.join(self.device, "sms", "1")
        self.staging = os.path.join(self.device, "staging")
        self.proc = None
        os.makedirs(self.inbox)
        os.makedirs(self.staging)
        server = node is not None
        conf = ["[gateway]", f"database = {database}"]
        if server:
            conf += [f"state_dir = {directory}", f"node = {node}"]
        conf += [f"commands = {ROOT}/config/commands.conf",
                 f"messages = {ROOT}/config/messages.zh.conf",
                 "log_level = info", "quiet_hours = off",
                 "recipient_hourly_cap = 100000", "",
                 f"[modem {modem}]", f"device = {self.device}",
                 "connection = none", "model = dummy", "poll_interval = 1"]
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")

    def ctl(self, *args):
        proc = subprocess.run([CTL, "-c", self.conf, *args],
                              capture_output=True, text=True,
                              errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"cungatectl {' '.join(args)}: exit "
                             f"{proc.returncode}: {proc.stderr.strip()}")
        return proc.stdout

    def json(self, *args):
        return json.loads(self.ctl(*args, "--json"))

    def stage(self, parts):
        """Write parts (smsbackup texts) beside the inbox; the names to
        rename into it, in order."""
        staged = []
        for i, part in enumerate(parts):
            path = os.path.join(self.staging, str(i + 1))
            with open(path, "w") as f:
                f.write(part)
            staged.append((path, os.path.join(self.inbox, str(i + 1))))
        return staged

    def start(self):
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen([DAEMON, "-c", self.conf],
                                     stdout=self.logf, stderr=self.logf)
        wait_for(lambda: self.up() or self.proc.poll() is not None,
                 timeout=30, what=f"modem {self.modem} up")
        if self.proc.poll() is not None:
            raise SystemExit(f"cungated exited {self.proc.returncode}:\n"
                             + self.tail())

    def up(self):
        proc = subprocess.run([CTL, "-c", self.conf, "stats", "--json"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return False
        return any(m["name"] == self.modem and m["state"] == "up"
                   for m in json.loads(proc.stdout).get("modems", []))

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                print(f"  {self.dir}: cungated did not stop on SIGTERM",
                      file=sys.stderr)
        self.proc = None
        self.logf.close()

    def tail(self, n=20):
        with open(self.log, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def times(self, pattern):
        """pattern's matches in the log, as (wall-clock time, match)."""
        with open(self.log, errors="replace") as f:
            return [(stamp(m.group(1)), m) for m in map(pattern.match, f)
                    if m]


def seed(node, n, tmp):
    """One township, one village, n residents and a cadre."""
    node.ctl("township", "add", "MZ", "米脂镇", "--supervisor", "13900000009")
    node.ctl("village", "add", "LJZ", "刘家庄", "--township", "MZ")
    node.ctl("resident", "add", CADRE, "张明", "--village", "LJZ", "--role",
             "cadre")
    path = os.path.join(tmp, "residents.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["phone", "name", "village"])
        for i in range(n):
            w.writerow([SENDER.format(i), f"居民{i}", "LJZ"])
    node.ctl("resident", "import", path)


def burst(nodes, n, text):
    """Stage n parts, one per sender, split evenly between the nodes'
    modems; rename them into the inboxes interleaved. The time of the
    first rename."""
    when = time.strftime("%Y%m%dT%H%M%S")
    staged = [nodes[k].stage([smsbackup("+86" + SENDER.format(i), text, when)
                              for i in range(k, n, len(nodes))])
              for k in range(len(nodes))]
    order = [s for group in itertools.zip_longest(*staged) for s in group
             if s is not None]
    t0 = time.time()
    for src, dst in order:
        os.rename(src, dst)
    return t0


def all_handled(node, n):
    st = node.json("stats")["messages_in"]
    return st["messages"] >= n and st["pending"] == 0


def replies(node, n):
    """(reply rows, messages answered more than once, messages not
    answered): outbox rows that name a message, by message."""
    per = {m["id"]: 0 for m in node.json("messages", "--limit", str(n))}
    rows = 0
    for r in node.json("outbox", "--limit", "100000"):
        if r.get("message_id") is not None:
            rows += 1
            per[r["message_id"]] = per.get(r["message_id"], 0) + 1
    return (rows, sum(c > 1 for c in per.values()),
            sum(c == 0 for c in per.values()))


# The bench's own record on PostgreSQL, made after the schema: which
# session (application_name: the node) marked each message done, and when.
WHO_ROUTED = """
CREATE TABLE bench_routed (message_id BIGINT, node TEXT, at DOUBLE PRECISION);
CREATE FUNCTION bench_routed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
  INSERT INTO bench_routed VALUES (NEW.id, current_setting('application_name'),
    extract(epoch FROM clock_timestamp()));
  RETURN NULL; END $$;
CREATE TRIGGER bench_routed AFTER UPDATE OF state ON message FOR EACH ROW
  WHEN (OLD.state = 'new' AND NEW.state <> 'new')
  EXECUTE FUNCTION bench_routed();
"""


def run(row, n, text, tmp, server):
    """One row: the figures as a dict."""
    conninfo = None
    if row == "sqlite":
        nodes = [Node(os.path.join(tmp, "a"), os.path.join(tmp, "a",
                                                           "cungate.db"))]
    else:
        db = "bench_" + row.replace(" ", "_")
        psql(server, f"CREATE DATABASE {db}")
        conninfo = with_dbname(server, db)
        names = ("a", "b") if row == "pg 2 nodes" else ("a",)
        nodes = [Node(os.path.join(tmp, name),
                      f"{conninfo} application_name={name}", node=name,
                      modem=name + "1") for name in names]
    seed(nodes[0], n, tmp)
    if conninfo is not None:
        psql(conninfo, WHO_ROUTED)
    try:
        for node in nodes:
            node.start()
        t0 = burst(nodes, n, text)
        wait_for(lambda: all_handled(nodes[0], n), timeout=DONE_TIMEOUT,
                 what=f"{n} messages handled", interval=0.25)
        polled = time.time()
        got = replies(nodes[0], n)
    finally:
        for node in nodes:
            node.stop()
    # The end: the last message's line, logged after its commit. (A node
    # that finds a message claimed by the other logs the same line: the
    # last one is still the end.)
    last, first_read = 0.0, None
    for node in nodes:
        last = max([last] + [t for t, _ in node.times(ROUTED)])
        reads = node.times(RECEIVED)
        if reads:
            first_read = min(first_read or reads[0][0], reads[0][0])
    if last <= t0:
        last = polled        # no router lines: the poll's time instead
    per_node = []
    if conninfo is not None:
        for name, k, end in psql(conninfo, "SELECT node, count(*), max(at) "
                                 "FROM bench_routed GROUP BY node "
                                 "ORDER BY node"):
            per_node.append((name, int(k), float(end) - t0))
    return {"row": row, "n": n, "secs": last - t0,
            "after_read": last - (first_read or t0),
            "per_node": per_node, "replies": got}


def start_server(tmp):
    d = os.path.join(tmp, "server")
    os.mkdir(d, 0o755)
    out = subprocess.run([sys.executable, CLUSTER, "start", d],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"tests/pg/cluster.py start: exit {out.returncode}:"
                         f" {out.stderr.strip()}")
    return d, out.stdout.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=1000,
                    help="messages in the burst (default 1000)")
    ap.add_argument("--only", action="append", choices=ROWS,
                    help="measure only this row (repeatable)")
    ap.add_argument("--text", default=TEXT,
                    help=f'the text every resident sends (default "{TEXT}")')
    ap.add_argument("--keep", action="store_true",
                    help="keep the private directory (printed)")
    args = ap.parse_args()
    rows = args.only or list(ROWS)
    tmp = tempfile.mkdtemp(prefix="cungate-bench-")
    # The server's user must reach its directory inside this one.
    os.chmod(tmp, 0o755)
    pgdir = None
    results = []
    try:
        server = None
        if any(r != "sqlite" for r in rows):
            pgdir, server = start_server(tmp)
        for row in rows:
            print(f"{row}: {args.n} messages ...", file=sys.stderr,
                  flush=True)
            d = os.path.join(tmp, "row-" + row.replace(" ", "-"))
            os.mkdir(d)
            results.append(run(row, args.n, args.text, d, server))
    finally:
        if pgdir is not None:
            subprocess.run([sys.executable, CLUSTER, "stop", pgdir],
                           capture_output=True)
        if args.keep:
            print(f"  kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f'A burst of {args.n} texts "{args.text}", each from its own '
          "resident, on dummy phones (poll_interval 1 s):\nseconds from the "
          "first part in an inbox to the last message routed and committed")
    print(f"{'rows':<14}{'node':>5}{'routed':>8}{'seconds':>9}{'msg/s':>8}"
          f"{'after 1st read':>16}")
    for r in results:
        print(f"{r['row']:<14}{'all':>5}{r['n']:>8}{r['secs']:>9.2f}"
              f"{r['n'] / r['secs']:>8.0f}"
              f"{r['n'] / r['after_read']:>16.0f}")
        if len(r["per_node"]) > 1:
            for name, k, secs in r["per_node"]:
                print(f"{'':<14}{name:>5}{k:>8}{secs:>9.2f}"
                      f"{k / secs if secs > 0 else 0:>8.0f}")
    for r in results:
        rows_, twice, none = r["replies"]
        print(f"{r['row']}: replies: {rows_} for {r['n']} messages, "
              f"{twice} twice" + (f", {none} none" if none else ""))


if __name__ == "__main__":
    main()
