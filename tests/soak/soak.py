#!/usr/bin/env python3
"""Soak run: cungated on two simulated AT modems (tests/modemsim) under a
stream of messages and random faults, then an exact reckoning.

For SECONDS (default $SOAK_SECONDS or 600) messages arrive on either modem,
one every 0.3-1.5 s, from ~60 mobile numbers (the seeded village's
residents among them) and from two service numbers (10086, 1069…):
help, register (to a real and to an unknown village), opt out/in, text
that matches no keyword (a registered resident's becomes a case, with a
notice to the cadre), and long texts sent as 2-4 linked parts in a
shuffled order. One number texts at most once per 2 s: two identical
texts from one number in the same second (the SMSC timestamp's
resolution) are one message to the gateway's dedupe key, on purpose. Meanwhile each modem goes through random faults, one at a
time, each on for a while (faults.json): `+CMS ERROR: 38` on a few
AT+CMGS, silence on AT+CMGS, garbage on one command, a SIM of 2-4 slots,
no +CMTI, delivery reports on; and now and then the modem's worker gets
SIGKILL; every 10-30 s the daemon itself gets SIGKILL (its workers die
with it) and is started again, so what was inside AT+CMGS is in doubt at
the restart and must be settled by its status report, not sent twice;
and every 30-60 s another process holds the store's write lock for 2-8 s.

Then faults go off and the gateway drains. The run fails, listing each
discrepancy, unless:
  - every message is stored once with its text, and one from a mobile
    number is answered by exactly one outbox row;
  - every outbox row (replies, and notices such as a cadre's new case) is
    sent, and the PDUs each number got (both modems' sent.jsonl) are
    exactly the parts of its rows: a PDU the modem accepted (+CMGS) and
    that was sent again counts as a duplicate; one a silent modem
    swallowed is not in sent.jsonl at all;
  - no service number got a PDU or an outbox row;
  - `cungatectl stats --json` agrees with the modems' own logs: messages
    and parts in = injected, parts out = PDUs in sent.jsonl, per modem
    parts received / parts sent / messages sent, nothing left queued,
    sending, failed, expired, partial or pending; both SIMs empty;
  - the daemon's log holds no sanitizer report (build/asan, the default).

Settings beyond the harness's (tests/integration/conftest.py: heartbeat
1 s, watchdog 5 s): recipient_hourly_cap high (many replies go to one
number), retry_backoff 5 s and max_attempts 10, so a message unlucky
with faults still gets through within the drain period.

What was injected is kept in the run's directory as injected.jsonl; the
directory stays when the run fails.

    make soak [SOAK_SECONDS=180]
    python3 tests/soak/soak.py [SECONDS] [--seed N] [--keep]
    (CUNGATE_BUILD=build/rel to run the optimised build)
"""
import argparse
import collections
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("CUNGATE_BUILD", os.path.join(ROOT, "build", "asan"))
from conftest import Gateway, wait_for, worker_pids  # noqa: E402

DRAIN_TIMEOUT = 300         # seconds for the queue to empty after faults off
SETTLE = 15                 # seconds more, for anything sent late or twice
GAP = (0.3, 1.5)            # seconds between arrivals
SENDER_GAP = 2              # seconds before one number texts again
FAULT_OFF = (5, 25)         # seconds a modem runs clean between faults
FAULT_ON = (10, 45)         # seconds a fault lasts
KILL_EVERY = (40, 90)       # seconds between worker kills, per modem
DAEMON_KILL_EVERY = (10, 30)    # seconds between kill -9 of cungated itself
LOCK_EVERY = (30, 60)       # seconds between store outages
LOCK_FOR = (2, 8)           # seconds another process holds the write lock
MODEMS = ("m1", "m2")
RESIDENTS = ("+8613900000001", "+8613900000002", "+8613900000003")
MOBILES = RESIDENTS + tuple(f"+86137{i:08d}" for i in range(57))
SERVICE = ("10086", "10690000123")
NAMES = ("王芳", "李强", "张伟", "刘洋", "陈静", "杨磊")
CHATTER = ("今天停水了吗", "路灯坏了", "你好", "什么时候开会", "ok", "123")
LONG = ("村里的路从上个月下雨以后一直有个大坑，晚上看不清很危险，"
        "已经有两个老人摔倒了，希望村委会尽快派人来修一下，谢谢。"
        "另外村东头的垃圾也好几天没人清运了，天热味道很大。")
RECEIPT = "已收到您反映的问题"   # grievance_receipt's first words
PART_CHARS = 60             # UCS-2 characters per injected part (max 67)


class Traffic:
    """The message stream and what was injected: per sender, the texts."""

    def __init__(self, gw, rng):
        self.gw, self.rng = gw, rng
        self.texts = collections.defaultdict(list)   # sender -> [text]
        self.parts = collections.Counter()           # modem -> parts
        self.refs = collections.Counter()            # sender -> last ref
        self.last = {}                               # sender -> monotonic
        self.record = os.path.join(gw.dir, "injected.jsonl")

    def text(self, sender):
        """A random text of a random kind (long ones may be multi-part)."""
        r = self.rng
        kind = r.choices(("help", "register", "nowhere", "optout", "chatter",
                          "long"), weights=(3, 2, 1, 1, 3, 2))[0]
        if sender in SERVICE:
            kind = r.choice(("chatter", "long"))
        if kind == "help":
            return r.choice(("帮助", "BZ", "help", "？"))
        if kind == "register":
            return f"注册LJZ {r.choice(NAMES)}"
        if kind == "nowhere":
            return "ZC XYZ"
        if kind == "optout":
            return r.choice(("退订", "订阅"))
        if kind == "chatter":
            return r.choice(CHATTER)
        cut = r.randrange(len(LONG) // 2, len(LONG))
        return f"{r.randrange(1000)}号：{LONG[cut:]}{LONG[:cut]}"

    def inject_one(self):
        """One message from a random sender on a random modem; a long text
        goes as linked parts with the sender's next ref, shuffled."""
        r = self.rng
        now = time.monotonic()
        while True:
            sender = r.choice(SERVICE) if r.random() < 0.08 else \
                r.choice(MOBILES)
            if now - self.last.get(sender, -SENDER_GAP) >= SENDER_GAP:
                break
        self.last[sender] = now
        text = self.text(sender)
        name = r.choice(MODEMS)
        sim = self.gw.sims[name]
        chunks = [text[i:i + PART_CHARS]
                  for i in range(0, len(text), PART_CHARS)]
        if len(chunks) == 1:
            sim.inject(sender, text, encoding="ucs2")
        else:
            self.refs[sender] = self.refs[sender] % 255 + 1
            order = list(enumerate(chunks, 1))
            r.shuffle(order)
            for seq, chunk in order:
                sim.inject(sender, chunk, encoding="ucs2",
                           ref=self.refs[sender], total=len(chunks), seq=seq)
        self.texts[sender].append(text)
        self.parts[name] += len(chunks)
        with open(self.record, "a") as f:
            f.write(json.dumps({"time": time.time(), "from": sender,
                                "modem": name, "parts": len(chunks),
                                "text": text}, ensure_ascii=False) + "\n")

    def messages(self):
        """How many messages were injected, service numbers' included."""
        return sum(len(t) for t in self.texts.values())


class Faults:
    """Per modem, a timeline of random faults, one at a time, plus worker
    kills; `events` counts what was done. The network delivers status
    reports throughout, as real ones do: they are how the gateway settles
    a message whose worker was killed between the modem taking it and
    reporting it (otherwise it would be sent again)."""

    KINDS = ("cms38", "silence", "garbage", "sim_small", "no_cmti")
    BASE = {"status_report": True}

    def __init__(self, gw, rng, start):
        self.gw, self.rng = gw, rng
        self.on = {m: None for m in MODEMS}            # modem -> (kind, until)
        self.next = {m: start + rng.uniform(*FAULT_OFF) for m in MODEMS}
        self.kill_at = {m: start + rng.uniform(*KILL_EVERY) for m in MODEMS}
        self.daemon_at = start + rng.uniform(*DAEMON_KILL_EVERY)
        self.lock_at = start + rng.uniform(*LOCK_EVERY)
        self.lock = None                                # (db, until)
        self.events = collections.Counter()
        for m in MODEMS:
            gw.sims[m].faults(**self.BASE)

    def fault(self, kind):
        """The faults.json content for one fault."""
        r = self.rng
        if kind == "cms38":
            return {"AT+CMGS": {"mode": "cms_error", "code": 38,
                                "count": r.randint(1, 3)}}
        if kind == "silence":
            return {"AT+CMGS": {"mode": "silence"}}
        if kind == "garbage":
            return {r.choice(("AT+CMGS", "AT+CMGR", "AT+CMGL", "AT+CSQ")):
                    {"mode": "garbage", "count": r.randint(1, 2)}}
        if kind == "sim_small":
            return {"sim_capacity": r.randint(2, 4)}
        return {kind: True}

    def step(self, now):
        """End a fault whose time is up, start one that is due, and kill a
        worker that is due (monotonic time now)."""
        for m in MODEMS:
            if self.on[m] and now >= self.on[m][1]:
                self.gw.sims[m].faults(**self.BASE)
                self.on[m] = None
                self.next[m] = now + self.rng.uniform(*FAULT_OFF)
            if self.on[m] is None and now >= self.next[m]:
                kind = self.rng.choice(self.KINDS)
                self.gw.sims[m].faults(**self.fault(kind), **self.BASE)
                self.on[m] = (kind, now + self.rng.uniform(*FAULT_ON))
                self.events[kind] += 1
            if now >= self.kill_at[m] and self.gw.proc is not None:
                for pid in worker_pids(self.gw.conf, m):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        self.events["kill -9"] += 1
                    except ProcessLookupError:
                        pass
                self.kill_at[m] = now + self.rng.uniform(*KILL_EVERY)
        self.store_step(now)
        if now >= self.daemon_at and self.lock is None:
            # The daemon itself, in the middle of whatever it does; its
            # workers die with it. What was inside AT+CMGS is in doubt at
            # the restart, settled by its status report.
            self.gw.kill9()
            self.events["daemon kill -9"] += 1
            self.gw.start(timeout=60)
            self.daemon_at = time.monotonic() + \
                self.rng.uniform(*DAEMON_KILL_EVERY)

    def store_step(self, now):
        """Another process takes the store's write lock for a while."""
        if self.lock is not None and now >= self.lock[1]:
            self.lock[0].execute("COMMIT")
            self.lock[0].close()
            self.lock = None
            self.lock_at = now + self.rng.uniform(*LOCK_EVERY)
        elif self.lock is None and now >= self.lock_at:
            db = sqlite3.connect(os.path.join(self.gw.dir, "cungate.db"),
                                 timeout=10, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            self.lock = (db, now + self.rng.uniform(*LOCK_FOR))
            self.events["store locked"] += 1

    def clear(self):
        """Every fault off, on both modems; the store unlocked."""
        for m in MODEMS:
            self.gw.sims[m].faults(**self.BASE)
            self.on[m] = None
        if self.lock is not None:
            self.lock[0].execute("COMMIT")
            self.lock[0].close()
            self.lock = None


def drained(gw, traffic):
    """Everything injected is stored, handled and answered, both SIMs and
    inject queues empty."""
    s = gw.json("stats")
    for m in MODEMS:
        sim = gw.sims[m]
        if os.listdir(os.path.join(sim.dir, "inject")) or \
                (sim.sim() or {}).get("used"):
            return False
    return (s["messages_in"]["messages"] == traffic.messages() and
            s["messages_in"]["pending"] == 0 and
            s["outbox"]["queued"] == 0 and s["outbox"]["sending"] == 0)


def injected_parts(sim):
    """Parts the simulated modem stored from inject/ (its log.jsonl); not
    the status reports a full SIM held back (inject/report-*.pdu)."""
    return sum(len(e["indexes"]) for e in sim.log()
               if e["event"] == "inject" and
               not e["file"].startswith("report-"))


def cut_off(sim):
    """{PDU time: ms} for each accepted PDU after which the modem saw no
    further command, only its line closing: the worker was killed between
    the modem's +CMGS and reporting the part sent (libgammu sleeps 100 ms
    after Ctrl-Z before it reads the answer)."""
    out, last = {}, None
    for e in sim.log():
        if e["event"] == "pdu":
            last = e["time"]
        elif e["event"] == "cmd":
            last = None
        elif e["event"] == "eof" and last is not None:
            out[last] = round((e["time"] - last) * 1000)
            last = None
    return out


def match_pdus(rows, pdus):
    """Claim for each sent row the PDUs that carry it: its text whole, or
    parts 1..n under its concatenation reference (the row id's low byte)
    whose texts, in order, make its text. Returns (rows no PDUs carry,
    PDUs no row claimed)."""
    free = list(pdus)
    missing = []
    for r in sorted(rows, key=lambda r: r["id"]):
        if r["parts"] == 1:
            hit = next((x for x in free if x[1]["udh"] is None and
                        x[1]["text"] == r["text"]), None)
            if hit is None:
                missing.append(r)
            else:
                free.remove(hit)
            continue
        claimed, pos = [], 0
        for seq in range(1, r["parts"] + 1):
            hit = next((x for x in free if x[1]["udh"] and
                        x[1]["udh"]["ref"] == r["id"] % 256 and
                        x[1]["udh"]["total"] == r["parts"] and
                        x[1]["udh"]["seq"] == seq and
                        r["text"].startswith(x[1]["text"], pos)), None)
            if hit is None:
                break
            claimed.append(hit)
            pos += len(hit[1]["text"])
        if len(claimed) == r["parts"] and pos == len(r["text"]):
            for x in claimed:
                free.remove(x)
        else:
            missing.append(r)
    return missing, free


def reckon(gw, traffic):
    """Every discrepancy between what was injected, what the modems sent
    and what the gateway says, as a list of lines; and the stats."""
    bad = []
    s = gw.json("stats")
    outbox = gw.outbox()
    pdus = collections.defaultdict(list)        # recipient -> [(modem, pdu)]
    for m in MODEMS:
        for p in gw.sims[m].sent():
            pdus[p["to"]].append((m, p))
    rows_to = collections.defaultdict(list)     # recipient -> [row]
    for row in outbox:
        rows_to[row["recipient"]].append(row)
    replies = collections.defaultdict(list)     # message id -> [row]
    for row in outbox:
        if row["message_id"] is not None:
            replies[row["message_id"]].append(row)
    msgs_from = collections.defaultdict(list)   # sender -> [message]
    for msg in gw.messages():
        msgs_from[msg["sender"]].append(msg)
    # The gateway stores a bare 106… number with the country code; 10086,
    # too short for a phone, as given.
    for m in SERVICE:
        for table in (msgs_from, rows_to, pdus):
            table[m] += table.pop("+86" + m, [])

    # Each message stored once, and answered once unless from a service
    # number.
    for sender, texts in sorted(traffic.texts.items()):
        got = sorted(msg["text"] for msg in msgs_from[sender])
        if got != sorted(texts):
            bad.append(f"{sender}: stored texts differ: injected "
                       f"{sorted(texts)!r}, stored {got!r}")
        for msg in msgs_from[sender]:
            rows = replies.pop(msg["id"], [])
            # A registration also files the reports the number sent
            # before (problem words from a stranger are kept): their
            # receipts answer it too.
            if msg["text"].startswith("注册"):
                rows = [r for r in rows if not r["text"].startswith(
                    RECEIPT)]
            want = 0 if sender in SERVICE else 1
            if len(rows) != want or any(r["recipient"] != sender
                                        for r in rows):
                bad.append(f"{sender}: message {msg['id']} "
                           f"{msg['text'][:12]!r}: {len(rows)} replies "
                           f"(want {want}): "
                           f"{[(r['id'], r['recipient']) for r in rows]}")
    for mid, rows in replies.items():
        bad.append(f"outbox rows {[r['id'] for r in rows]} answer message "
                   f"{mid}, which nobody injected")

    # Every row sent, and each recipient's PDUs exactly the parts of its
    # rows (replies and notifications such as a cadre's new case).
    cut = {m: cut_off(gw.sims[m]) for m in MODEMS}

    def describe(m, p):
        t = time.strftime("%H:%M:%S", time.localtime(p["time"]))
        note = f" [worker gone {cut[m][p['time']]} ms after +CMGS]" \
            if p["time"] in cut[m] else ""
        return f"{m} {t} mr={p['mr']} udh={p['udh']} {p['text'][:12]!r}{note}"
    for recipient in sorted(set(rows_to) | set(pdus)):
        rows = rows_to[recipient]
        unsent = [(r["id"], r["state"], r["last_error"]) for r in rows
                  if r["state"] != "sent"]
        if unsent:
            bad.append(f"{recipient}: rows not sent: {unsent}")
        want = sum(r["parts"] for r in rows if r["state"] == "sent")
        if len(pdus[recipient]) != want:
            listing = "; ".join(describe(m, p) for m, p in pdus[recipient])
            bad.append(f"{recipient}: {len(pdus[recipient])} PDUs for "
                       f"{want} parts of sent rows: {listing}")
        # By content too: one message sent twice and another never sent
        # leave the count right.
        missing, extra = match_pdus(
            [r for r in rows if r["state"] == "sent"], pdus[recipient])
        for r in missing:
            bad.append(f"{recipient}: row {r['id']} {r['text'][:12]!r} "
                       f"is sent but no PDU carries it")
        for m, p in extra:
            bad.append(f"{recipient}: PDU of no row or a second time: "
                       f"{describe(m, p)}")

    # The gateway's counters against the modems' own logs.
    def agree(what, gateway, modems):
        if gateway != modems:
            bad.append(f"stats {what} = {gateway}, modems/injected: {modems}")
    agree("messages_in.messages", s["messages_in"]["messages"],
          traffic.messages())
    agree("messages_in.parts", s["messages_in"]["parts"],
          sum(traffic.parts.values()))
    agree("outbox.sent", s["outbox"]["sent"], len(outbox))
    agree("parts_out", s["parts_out"],
          sum(len(gw.sims[m].sent()) for m in MODEMS))
    for key in ("partial", "pending"):
        agree(f"messages_in.{key}", s["messages_in"][key], 0)
    for key in ("queued", "sending", "failed", "expired"):
        agree(f"outbox.{key}", s["outbox"][key], 0)
    by_name = {m["name"]: m for m in s["modems"]}
    for m in MODEMS:
        sim, row = gw.sims[m], by_name[m]
        agree(f"{m} injected parts", injected_parts(sim), traffic.parts[m])
        agree(f"{m}.parts_received", row["parts_received"],
              injected_parts(sim))
        agree(f"{m}.parts_sent", row["parts_sent"], len(sim.sent()))
        agree(f"{m}.sent", row["sent"],
              sum(1 for r in outbox if r["state"] == "sent" and
                  r.get("modem") == m))
        agree(f"{m} SIM used", (sim.sim() or {}).get("used"), 0)
    bad += [f"sanitizer: {line}" for line in gw.sanitizer_report()]
    return bad, s


def kill_leftovers(marker):
    """SIGKILL any process whose command line mentions marker (the run's
    private directory), e.g. a modem simulator a killed worker left."""
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seconds", nargs="?", type=float,
                    default=float(os.environ.get("SOAK_SECONDS", 600)),
                    help="seconds of traffic and faults (default 600)")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", action="store_true",
                    help="keep the private directory")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tmp = tempfile.mkdtemp(prefix="cungate-soak-")
    print(f"soak: {args.seconds:.0f} s, seed {args.seed}, build {os.environ['CUNGATE_BUILD']},"
          f" dir {tmp}", flush=True)
    # The message path, not the flood policy: a random stream repeats
    # itself, so the repeat window and the report caps are off.
    gw = Gateway(tmp, modems=(), sims=MODEMS, gateway_extra="\n".join((
        "recipient_hourly_cap = 100000", "retry_backoff = 5",
        "max_attempts = 10", "repeat_window = 0", "[grievance]",
        "reports_per_hour = 1000", "pending_max = 100")))
    traffic = Traffic(gw, rng)
    failed = True
    try:
        gw.seed()
        gw.start()
        wait_for(lambda: gw.modem_state("m2") == "up", what="m2 up")
        t0 = time.monotonic()
        faults = Faults(gw, rng, t0)
        next_msg = t0
        while (now := time.monotonic()) < t0 + args.seconds:
            if now >= next_msg:
                traffic.inject_one()
                next_msg = now + rng.uniform(*GAP)
            faults.step(now)
            time.sleep(0.05)
        faults.clear()
        print(f"traffic over: {traffic.messages()} messages, "
              f"{sum(traffic.parts.values())} parts; faults "
              f"{dict(faults.events)}; draining", flush=True)
        t1 = time.monotonic()
        try:
            wait_for(lambda: drained(gw, traffic), timeout=DRAIN_TIMEOUT,
                     what="drain", interval=1)
            print(f"drained in {time.monotonic() - t1:.0f} s", flush=True)
        except AssertionError as exc:
            print(f"not drained: {exc}", flush=True)
        time.sleep(SETTLE)
        bad, s = reckon(gw, traffic)
        print(f"messages in {s['messages_in']}, outbox {s['outbox']}, "
              f"parts out {s['parts_out']}")
        for m in s["modems"]:
            print(f"  {m['name']}: {m['state']}, sent {m['sent']}, parts "
                  f"sent {m['parts_sent']}, parts received "
                  f"{m['parts_received']}")
        for line in bad:
            print(f"DISCREPANCY {line}")
        print(f"soak {'FAILED: %d discrepancies' % len(bad) if bad else 'ok'}")
        failed = bool(bad)
    finally:
        try:
            gw.stop()
        finally:
            kill_leftovers(tmp)
        if args.keep or failed:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
