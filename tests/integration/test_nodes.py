"""Several nodes on one PostgreSQL: two daemons, each with its own modem,
sharing one database. A burst to both is answered once; a node killed with
a message in its modem's hands leaves it to the other, which also takes
over the scheduler; the server stopped for 30 s loses nothing. PostgreSQL
only (make check-pg): a SQLite file has one daemon."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import conftest
from conftest import ROOT, Gateway, new_pg_database, wait_for

pytestmark = pytest.mark.skipif(
    conftest.BACKEND != "pg",
    reason="several nodes need a database server: --backend=pg")

CLUSTER = os.path.join(ROOT, "tests", "pg", "cluster.py")
SENDERS = [f"1390000{n:04d}" for n in range(100, 124)]
REPORT = "TS 村口的路灯坏了好几天了晚上看不见路"


def two_nodes(tmp_path, database=None, a_kw=None, b_kw=None):
    """Nodes a (modem a1) and b (modem b1) on one new database, seeded
    with the residents of SENDERS; not started."""
    db = database or new_pg_database()
    a = Gateway(tmp_path / "a", database=db, node="a",
                **(a_kw or {"modems": ("a1",)}))
    b = Gateway(tmp_path / "b", database=db, node="b",
                **(b_kw or {"modems": ("b1",)}))
    a.seed()
    for i, phone in enumerate(SENDERS):
        a.ctl("resident", "add", phone, f"村民{i}", "--village", "LJZ")
    return a, b


def e164(phone):
    return "+86" + phone


def answers(g, senders):
    """{sender (E.164): [outbox rows answering that sender's messages]}."""
    senders = [e164(p) for p in senders]
    msgs = {m["id"]: m["sender"] for m in g.messages()
            if m["sender"] in senders}
    out = {s: [] for s in senders}
    for row in g.outbox():
        if row.get("message_id") in msgs and \
                row["recipient"] == msgs[row["message_id"]]:
            out[row["recipient"]].append(row)
    return out


def all_done(g, n):
    senders = [e164(p) for p in SENDERS]
    msgs = [m for m in g.messages() if m["sender"] in senders]
    return len(msgs) == n and all(m["state"] == "done" for m in msgs)


def assert_each_answered_once(g, timeout, what):
    """Every SENDERS message routed within timeout (what), its answer sent;
    none answered other than once."""
    wait_for(lambda: all_done(g, len(SENDERS)), timeout=timeout, what=what)
    wait_for(lambda: all(r and r[0]["state"] == "sent" for r in
                         answers(g, SENDERS).values()),
             timeout=60, what="every answer sent")
    got = answers(g, SENDERS)
    twice = {s: len(r) for s, r in got.items() if len(r) != 1}
    assert twice == {}, f"answered other than once: {twice}"


def test_two_nodes_answer_a_burst_once(tmp_path):
    a, b = two_nodes(tmp_path)
    try:
        a.start()
        b.start()
        for i, phone in enumerate(SENDERS):
            (a if i % 2 == 0 else b).inject(
                phone, REPORT, modem="a1" if i % 2 == 0 else "b1")
        assert_each_answered_once(a, 60, "every message routed")
        tickets = a.sql("SELECT count(*) FROM ticket")[0][0]
        assert int(tickets) == len(SENDERS)
        # Both nodes routed and sent: the work spread over the county.
        by_node = a.sql("SELECT node, count(*) FROM outbox"
                        " WHERE state = 2 GROUP BY node ORDER BY node")
        assert [r[0] for r in by_node] == ["a", "b"], by_node
        assert "runs the scheduler" in a.logtext()
        assert "another node runs the scheduler" in b.logtext()
    finally:
        b.stop()
        a.stop()
    for g in (a, b):
        assert g.sanitizer_report() == []


def test_a_second_daemon_under_the_same_name_is_refused(tmp_path):
    db = new_pg_database()
    a = Gateway(tmp_path / "a", database=db, node="a", modems=("a1",))
    twin = Gateway(tmp_path / "twin", database=db, node="a",
                   modems=("t1",))
    other = Gateway(tmp_path / "other", database=db, node="c",
                    modems=("a1",))
    try:
        a.start()
        for g, why in ((twin, "node a runs already"),
                       (other, "[modem a1]: another node")):
            proc = subprocess.run([conftest.DAEMON, "-c", g.conf],
                                  capture_output=True, text=True, timeout=30)
            assert proc.returncode == 1
            assert why in proc.stderr, proc.stderr
    finally:
        a.stop()


def test_a_node_killed_leaves_its_work_to_the_other(tmp_path):
    # a's modem (the recipient's operator: prefixes) takes the message and
    # never answers AT+CMGS; a is killed with it in the modem's hands. a1
    # asks for no status reports: none can settle the doubt, so the row
    # goes again once the lease lapses (with reports it would wait for a
    # to come back, up to ten minutes, as for a modem of its own).
    tick = 2
    a, b = two_nodes(
        tmp_path,
        a_kw={"modems": (), "sims": ("a1",),
              "modem_extra": {"a1": ["prefixes = 1390000",
                                     "delivery_reports = off"]},
              "gateway_extra": f"tick_interval = {tick}"},
        b_kw={"modems": ("b1",), "gateway_extra": f"tick_interval = {tick}"})
    a.sims["a1"].faults(**{"AT+CMGS": {"mode": "silence"}})
    try:
        a.start()
        b.start()
        wait_for(lambda: "another node runs the scheduler" in b.logtext(),
                 what="b knows a runs the scheduler")
        oid = int(b.ctl("send", SENDERS[0], "明天上午九点村委会开会").stdout
                  .split()[-1])
        wait_for(lambda: a.sql("SELECT state, node, modem FROM outbox"
                               " WHERE id = ?", oid) == [(1, "a", "a1")],
                 what="the row in a1's hands")
        # b leaves it: a1 is on the recipient's operator and a lives.
        time.sleep(3)
        assert a.sql("SELECT state, node FROM outbox WHERE id = ?",
                     oid) == [(1, "a")]
        killed = time.monotonic()
        a.kill9()
        wait_for(lambda: "node b runs the scheduler" in b.logtext(),
                 timeout=4 * tick, what="b takes the scheduler over")
        took = time.monotonic() - killed
        assert took <= 2 * tick + 1, f"scheduler taken over after {took:.1f}s"
        # The lease lapses; b takes the row as in doubt and sends it.
        wait_for(lambda: a.sql("SELECT state, node, modem FROM outbox"
                               " WHERE id = ?", oid) == [(2, "b", "b1")],
                 timeout=90, what="the row sent by b")
        row = [r for r in b.outbox() if r["id"] == oid][0]
        assert row["attempts"] == 1, row
        assert "gone: in doubt" in b.logtext()
        assert a.sims["a1"].sent() == []   # a1 never took it
        # Restarted, a finds nothing of its own to resend.
        a.start()
        time.sleep(3)
        assert len([r for r in a.outbox()
                    if r["recipient"] == e164(SENDERS[0])
                    and r["state"] in ("queued", "sending")]) == 0
        assert a.sims["a1"].sent() == []
    finally:
        b.stop()
        a.stop()


class Cluster:
    """A private PostgreSQL server of the test's own, to stop and start."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cungate-pg-")
        os.chmod(self.dir, 0o755)

    def _run(self, verb):
        proc = subprocess.run([sys.executable, CLUSTER, verb, self.dir],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip().splitlines()[-1] if proc.stdout else ""

    def start(self):
        return self._run("start")

    def stop(self):
        self._run("stop")

    def remove(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def healthz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",
                                    timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_server_stopped_for_30_s_loses_nothing(tmp_path):
    cluster = Cluster()
    port = free_port()
    a = b = None
    try:
        a, b = two_nodes(tmp_path, database=cluster.start(), a_kw={
            "modems": ("a1",),
            "gateway_extra": f"[http]\nlisten = 127.0.0.1:{port}"})
        a.start()
        b.start()
        first, later = SENDERS[:8], SENDERS[8:]
        for i, phone in enumerate(first):
            (a if i % 2 == 0 else b).inject(
                phone, REPORT, modem="a1" if i % 2 == 0 else "b1")
        wait_for(lambda: all_done(a, len(first)), timeout=60,
                 what="the first messages routed")
        assert healthz(port)[0] == 200
        cluster.stop()
        stopped = time.monotonic()
        for i, phone in enumerate(later):
            (a if i % 2 == 0 else b).inject(
                phone, REPORT, modem="a1" if i % 2 == 0 else "b1")
        # The server is away: /healthz says why, the parts stay on the
        # SIMs (not acknowledged), the daemons' loops still answer.
        wait_for(lambda: healthz(port)[0] == 503, timeout=15,
                 what="/healthz 503")
        status, why = healthz(port)
        assert "store is not writable" in why and "PostgreSQL" in why, why
        time.sleep(max(0, 30 - (time.monotonic() - stopped)))
        assert a.proc.poll() is None and b.proc.poll() is None
        assert len(a.inbox_files("a1")) + len(b.inbox_files("b1")) > 0
        cluster.start()
        assert_each_answered_once(
            a, 90, "every message routed after the server returned")
        assert a.inbox_files("a1") == [] and b.inbox_files("b1") == []
        assert healthz(port)[0] == 200
        assert "a new session" in a.logtext()
    finally:
        for g in (a, b):
            if g is not None:
                g.stop()
        cluster.remove()
    for g in (a, b):
        assert g.sanitizer_report() == []
