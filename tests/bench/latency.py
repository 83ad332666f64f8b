#!/usr/bin/env python3
"""Receive-to-reply latency on the simulated AT modem (tests/modemsim),
cungate against gammu-smsd 1.42. Prints figures; not a test.

For every message: the time from the modem's `+CMTI` (log.jsonl "urc") to
the `AT+CMGS` command that starts the reply (log.jsonl "cmd"). Each message
comes from its own number, so a reply is matched to its message by
recipient. Messages arrive paced, one every 1-2 s (random; --gap to
change), not all at once: each message costs the simulated modem's line
~0.75 s (libgammu alone waits ~0.6 s between AT+CMGS and the PDU), so
arrivals much faster than that measure the line's queue, not the gateway.
Systems:

  cungate         build/rel binaries, one [modem] with connection = proxyat
                  on modemsim, shipped defaults (poll_interval 30 s,
                  heartbeat, watchdog, tick), log_level = info,
                  recipient_hourly_cap raised so no reply waits on the cap
  cungate pg      the same config with the database on PostgreSQL 15: a
                  fresh database on a private server on a Unix socket
                  (tests/pg/cluster.py, started for the run and stopped
                  after), state_dir the run's directory, node = bench
  gammu-smsd      Debian's gammu-smsd 1.42, SQL service (driver sqlite3,
                  schema from the package's examples/sqlite.sql),
                  RunOnReceive a shell script that queues the reply with
                  gammu-smsd-inject; every interval at its default
                  (ReceiveFrequency 15 s, CommTimeout 30 s, StatusFrequency
                  15 s, LoopSleep 1 s)
  gammu-smsd 1s   the same with ReceiveFrequency, CommTimeout,
                  StatusFrequency and LoopSleep all 1 s

Neither side writes libgammu's debug log. gammu-smsd's defaults take ~30 s
per message; their run, like the others, pipelines, and N is cut to
what fits in five minutes of arrivals (the N column says how many were
measured).

    make bench        (or: python3 tests/bench/latency.py [N] [--only NAME] [--gap MIN MAX])
    make bench-pg     (the cungate pg row alone, with the throughput bench)
"""
import argparse
import gzip
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
os.environ.setdefault("CUNGATE_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rel"))
# The cungate row is SQLite's whatever the test suite's backend; cungate pg
# names its database itself.
os.environ["CUNGATE_TEST_BACKEND"] = "sqlite"
from conftest import MODEMSIM, Gateway, Sim, wait_for  # noqa: E402

GAP = (1.0, 2.0)            # default seconds between arrivals, uniform
ARRIVAL_BUDGET = 300        # seconds of arrivals at most per system
DRAIN_TIMEOUT = 120         # seconds to wait for the last replies
SENDER = "+86138{:08d}"     # one number per message
SQLITE_SCHEMA = "/usr/share/doc/gammu-smsd/examples/sqlite.sql"
CLUSTER = os.path.join(os.path.dirname(__file__), "..", "pg", "cluster.py")
GAMMU_REPLY = "收到，谢谢。"
CUNGATE = ["cungate", "cungate pg"]
GAMMU_INTERVALS = {"gammu-smsd": {},
                   "gammu-smsd 1s": {"ReceiveFrequency": 1, "CommTimeout": 1,
                                     "StatusFrequency": 1, "LoopSleep": 1}}


def kill_leftovers(marker):
    """SIGKILL every process whose command line mentions marker (the run's
    private directory): modem simulators, RunOnReceive scripts."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read()
        except OSError:
            continue
        if marker.encode() in argv:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass


def inject_paced(sim, n, rng, gap):
    """n messages, each from its own number, one every gap seconds
    (uniform between gap[0] and gap[1])."""
    senders = [SENDER.format(i) for i in range(n)]
    for i, sender in enumerate(senders):
        if i:
            time.sleep(rng.uniform(*gap))
        sim.inject(sender, "帮助")
    return senders


def replied(sim, senders):
    """Number of senders that have a reply PDU in sent.jsonl."""
    to = {s["to"] for s in sim.sent()}
    return sum(s in to for s in senders)


def latencies(sim, senders):
    """Seconds from each message's +CMTI to its reply's AT+CMGS, in the
    modem's own log. The k-th "inject" event is the k-th message (the
    simulator takes inject files in name order, which is arrival order);
    its +CMTI is the first announcing the index it was stored at."""
    cmti, waiting = [], {}          # waiting: SIM index -> message number
    cmgs_at, reply_at = None, {}    # reply_at: PDU time -> AT+CMGS time
    for e in sim.log():
        ev = e["event"]
        if ev == "inject":
            [index] = e["indexes"]
            waiting[index] = len(cmti)
            cmti.append(None)
        elif ev == "urc" and e["data"].startswith("+CMTI:"):
            index = int(e["data"].rsplit(",", 1)[1])
            if index in waiting:
                cmti[waiting.pop(index)] = e["time"]
        elif ev == "cmd" and e["cmd"].startswith("AT+CMGS="):
            cmgs_at = e["time"]
        elif ev == "pdu" and cmgs_at is not None:
            reply_at[e["time"]] = cmgs_at
            cmgs_at = None
    first = {}
    for s in sim.sent():
        first.setdefault(s["to"], reply_at[s["time"]])
    return [first[s] - cmti[k] for k, s in enumerate(senders)
            if s in first and cmti[k] is not None]


def pg_start(d):
    """A private PostgreSQL server in d/server (cluster.py); its conninfo.
    Not in the run's directory: kill_leftovers would take it."""
    # The server's user must reach its directory.
    os.chmod(d, 0o755)
    out = subprocess.run([sys.executable, CLUSTER, "start",
                          os.path.join(d, "server")],
                         capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        raise SystemExit(f"tests/pg/cluster.py start: exit {out.returncode}:"
                         f" {out.stderr.strip()}")
    return out.stdout.strip().splitlines()[-1]


def pg_database(server, name):
    """A new database name on server; its conninfo."""
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server,
                    "-c", f"CREATE DATABASE {name}"], check=True,
                   capture_output=True, text=True)
    words = [w for w in server.split() if not w.startswith("dbname=")]
    return " ".join(words + [f"dbname={name}"])


def run_cungate(tmp, n, rng, gap, database=None):
    """cungated on one simulated modem, its database a SQLite file or the
    PostgreSQL conninfo database; returns the latencies."""
    extra = ["recipient_hourly_cap = 100000"]
    if database is not None:
        extra += [f"database = {database}", f"state_dir = {tmp}",
                  "node = bench"]
    gw = Gateway(tmp, modems=(), sims=("m1",),
                 gateway_extra="\n".join(extra))
    # Shipped defaults except quiet hours and the cap: drop the test
    # harness's short intervals, debug level and libgammu debug log.
    test_only = ("heartbeat_interval", "watchdog_timeout", "tick_interval",
                 "debug_log")
    with open(gw.conf) as f:
        lines = [ln for ln in f.read().splitlines()
                 if not ln.startswith(test_only)]
    with open(gw.conf, "w") as f:
        f.write("\n".join(lines).replace("log_level = debug",
                                         "log_level = info") + "\n")
    sim = gw.sims["m1"]
    try:
        gw.start()
        senders = inject_paced(sim, n, rng, gap)
        wait_for(lambda: replied(sim, senders) == n, timeout=DRAIN_TIMEOUT,
                 what="every reply", interval=0.2)
    finally:
        gw.stop()
        kill_leftovers(tmp)
    return latencies(sim, senders)


def gammu_schema():
    """The SQL of gammu-smsd's SQLite schema (the example may be gzipped)."""
    for path in (SQLITE_SCHEMA, SQLITE_SCHEMA + ".gz"):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:
                return f.read()
    raise SystemExit(f"{SQLITE_SCHEMA}: missing; install gammu-smsd")


def run_gammu(tmp, n, rng, gap, intervals):
    """gammu-smsd on one simulated modem; returns the latencies."""
    sim = Sim(os.path.join(tmp, "sim"))
    rc = os.path.join(tmp, "smsdrc")
    db = sqlite3.connect(os.path.join(tmp, "smsd.db"))
    db.executescript(gammu_schema())
    db.close()
    script = os.path.join(tmp, "reply.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\n"
                "# RunOnReceive: queue the answer to the first sender.\n"
                f'exec gammu-smsd-inject -c {rc} TEXT "$SMS_1_NUMBER" '
                f'-text "{GAMMU_REPLY}" -unicode >/dev/null 2>&1\n')
    os.chmod(script, 0o755)
    conf = ["[gammu]",
            f"device = /usr/bin/python3 {MODEMSIM} --state {sim.dir}",
            "connection = proxyat", "model = at", "",
            "[smsd]", "Service = sql", "Driver = sqlite3",
            "Database = smsd.db", f"DBDir = {tmp}",
            f"LogFile = {tmp}/smsd.log", "DebugLevel = 0",
            f"RunOnReceive = {script}"]
    conf += [f"{k} = {v}" for k, v in intervals.items()]
    with open(rc, "w") as f:
        f.write("\n".join(conf) + "\n")
    with open(os.path.join(tmp, "smsd.out"), "w") as out:
        # Its own process group: the shell and modemsim it starts, and any
        # RunOnReceive script, go with it.
        proc = subprocess.Popen(["gammu-smsd", "-c", rc], stdout=out,
                                stderr=out, start_new_session=True)
    try:
        wait_for(lambda: any(e["event"] == "cmd" and
                             e["cmd"].startswith("AT+CNMI=")
                             for e in sim.log()) or proc.poll() is not None,
                 timeout=30, what="gammu-smsd connected")
        if proc.poll() is not None:
            raise SystemExit(f"gammu-smsd exited {proc.returncode}; "
                             f"see {tmp}/smsd.log")
        senders = inject_paced(sim, n, rng, gap)
        wait_for(lambda: replied(sim, senders) == n, timeout=DRAIN_TIMEOUT,
                 what="every reply", interval=0.2)
    finally:
        # SIGTERM to gammu-smsd alone (with its modem gone first it hangs),
        # then SIGKILL to whatever is left of its process group.
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        kill_leftovers(tmp)
    return latencies(sim, senders)


def percentile(xs, p):
    """The p-th percentile, nearest rank."""
    xs = sorted(xs)
    return xs[max(0, -(-len(xs) * p // 100) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=200,
                    help="messages per system (default 200)")
    ap.add_argument("--only", action="append",
                    choices=CUNGATE + list(GAMMU_INTERVALS),
                    help="measure only this system (repeatable)")
    ap.add_argument("--gap", nargs=2, type=float, default=GAP,
                    metavar=("MIN", "MAX"),
                    help="seconds between arrivals (default %g %g)" % GAP)
    ap.add_argument("--keep", action="store_true",
                    help="keep the private directories (printed)")
    args = ap.parse_args()
    systems = args.only or CUNGATE + list(GAMMU_INTERVALS)
    if any(s.startswith("gammu") for s in systems) and \
            not shutil.which("gammu-smsd"):
        raise SystemExit("gammu-smsd missing: make bench installs it as root")
    # Replies pipeline, so the arrivals are what must fit the budget.
    n_max = int(ARRIVAL_BUDGET / statistics.mean(args.gap))
    rows = []
    for name in systems:
        n = args.n if name != "gammu-smsd" else min(args.n, n_max)
        tmp = tempfile.mkdtemp(prefix="cungate-bench-")
        rng = random.Random(1)
        t0 = time.monotonic()
        print(f"{name}: {n} messages ...", file=sys.stderr, flush=True)
        pgdir = None
        try:
            if name == "cungate":
                lat = run_cungate(tmp, n, rng, args.gap)
            elif name == "cungate pg":
                pgdir = tempfile.mkdtemp(prefix="cungate-bench-pg-")
                server = pg_start(pgdir)
                lat = run_cungate(tmp, n, rng, args.gap,
                                  pg_database(server, "bench_latency"))
            else:
                lat = run_gammu(tmp, n, rng, args.gap, GAMMU_INTERVALS[name])
        finally:
            if pgdir is not None:
                subprocess.run([sys.executable, CLUSTER, "stop",
                                os.path.join(pgdir, "server")],
                               capture_output=True)
                shutil.rmtree(pgdir, ignore_errors=True)
            if args.keep:
                print(f"  kept {tmp}", file=sys.stderr)
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        print(f"  done in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        rows.append((name, len(lat), statistics.median(lat),
                     percentile(lat, 90), percentile(lat, 99), max(lat)))
    print("+CMTI -> reply's AT+CMGS on the simulated modem, seconds; "
          f"arrivals every {args.gap[0]:g}-{args.gap[1]:g} s")
    print(f"{'system':<16}{'N':>5}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    for name, n, med, p90, p99, mx in rows:
        print(f"{name:<16}{n:>5}{med:>9.2f}{p90:>9.2f}{p99:>9.2f}{mx:>9.2f}")


if __name__ == "__main__":
    main()
