"""The HTTP window (issue 7) with a real HTTP client (urllib): the USSD
callback against the same handlers as SMS, its 4xx answers and session
timeout, /metrics parsed as Prometheus text, /healthz, and the status page
rendered by headless Chromium."""
import datetime
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import (ROOT, Gateway, is_server, render, wait_for,
                      worker_pids)

RESIDENT = "+8613900000001"     # 王秀英, LJZ
RESIDENT2 = "+8613900000002"    # 李建国, LJZ
SECRET = "s3cret-for-tests"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
ARTEFACTS = os.path.join(ROOT, "tests", "artefacts")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_gateway(tmp, timeout=180, **kw):
    port = free_port()
    g = Gateway(tmp, gateway_extra="\n".join([
        "[http]", f"listen = 127.0.0.1:{port}", f"secret = {SECRET}",
        f"ussd_menu = {ROOT}/config/ussd.zh.conf",
        f"ussd_timeout = {timeout}"]), **kw)
    g.url = f"http://127.0.0.1:{port}"
    return g


def request(g, path, data=None, headers=None, method=None):
    """(status, body text) of one request; 4xx/5xx are answers too."""
    req = urllib.request.Request(g.url + path, data=data,
                                 headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def ussd(g, session, phone, text, secret=SECRET):
    body = urllib.parse.urlencode({"sessionId": session,
                                   "serviceCode": "*384*12#",
                                   "phoneNumber": phone,
                                   "text": text}).encode()
    status, answer = request(g, "/ussd", body, {
        "X-Cungate-Secret": secret,
        "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, answer
    assert answer.startswith(("CON ", "END ")), answer
    return answer[:3], answer[4:].rstrip("\n")


def screen_units(s):
    """The gateway's screen measure: UTF-16 units unless plain ASCII."""
    return len(s.encode("utf-16-le")) // 2


def parse_prometheus(text):
    """A small parser of the text format: {(name, labels): value}, checking
    that every sample belongs to a family declared by # TYPE."""
    types, samples = {}, {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? '
                        r'([-+0-9.eE]+|\+Inf|NaN)$')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary",
                            "untyped"), line
            types[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        m = sample.match(line)
        assert m, f"not a sample: {line!r}"
        name, labels = m.group(1), {}
        if m.group(3):
            pos = 0
            for lm in label.finditer(m.group(3)):
                assert lm.start() == pos, line
                labels[lm.group(1)] = lm.group(2)
                pos = lm.end()
            assert pos == len(m.group(3)), line
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or family in types, f"no # TYPE for {name}"
        samples[(name, tuple(sorted(labels.items())))] = float(m.group(4))
    return types, samples


def metric(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def tickets(g, reporter):
    return [t for t in g.json("grievance", "list") if t["reporter"] == reporter]


def replies(g, phone):
    return [r for r in g.outbox() if r["recipient"] == phone]


def comparable(t):
    """A ticket row without what must differ between two reporters."""
    return {k: v for k, v in t.items()
            if k not in ("id", "code", "reporter", "reporter_name",
                         "created_at", "updated_at", "accept_due",
                         "resolve_due", "message_id", "age", "created",
                         "updated", "deadline")}


def test_ussd_session_reaches_the_sms_handlers_with_the_same_records(tmp_path):
    g = http_gateway(tmp_path)
    g.seed()
    g.start()
    try:
        # Screen 1: the menu; screen 2: the prompt; screen 3: END.
        kind, menu = ussd(g, "s-1", "13900000001", "")
        assert kind == "CON" and "1 反映问题" in menu and "2 查询工单" in menu
        assert screen_units(menu) <= 80
        kind, prompt = ussd(g, "s-1", "13900000001", "1")
        assert kind == "CON" and "问题" in prompt
        kind, end = ussd(g, "s-1", "13900000001", "1*路灯坏了，晚上看不见")
        assert kind == "END"
        # Durable before END: the ticket is there the moment END arrives.
        [t] = tickets(g, RESIDENT)
        receipt = render("grievance_receipt", ticket=t["code"], hours=24)
        assert end == receipt[:len(end)] and screen_units(end) <= 80
        # The SMS twin from another resident leaves the same records.
        g.inject(RESIDENT2, "投诉 路灯坏了，晚上看不见")
        t2 = wait_for(lambda: tickets(g, RESIDENT2), what="SMS ticket")[0]
        assert comparable(t) == comparable(t2)
        r1 = wait_for(lambda: replies(g, RESIDENT), what="USSD receipt SMS")
        r2 = wait_for(lambda: replies(g, RESIDENT2), what="SMS receipt")
        assert r1[0]["text"] == receipt
        assert r2[0]["text"] == render("grievance_receipt",
                                       ticket=t2["code"], hours=24)
        assert r1[0]["class"] == r2[0]["class"]
        msgs = {m["sender"]: m for m in g.messages()}
        assert msgs[RESIDENT]["text"] == msgs[RESIDENT2]["text"]
        assert msgs[RESIDENT]["handler"] == msgs[RESIDENT2]["handler"]
        assert msgs[RESIDENT]["modem"] == "ussd"

        # A retried final request answers the same END and files nothing.
        assert ussd(g, "s-1", "13900000001", "1*路灯坏了，晚上看不见") == \
            ("END", end)
        assert len(tickets(g, RESIDENT)) == 1

        # Ticket status: the same reply as the SMS 查询.
        assert ussd(g, "s-2", "13900000001", "")[0] == "CON"
        kind, status = ussd(g, "s-2", "13900000001", "2")
        assert kind == "CON"
        kind, status = ussd(g, "s-2", "13900000001", "2*" + t["code"])
        assert kind == "END"
        # (Not the very same text: that again within repeat_window is
        # kept but not answered.)
        g.inject(RESIDENT, "查询" + t["code"])
        rows = wait_for(lambda: (lambda r: r if len(r) >= 3 else None)(
            replies(g, RESIDENT)), what="SMS status reply")
        assert rows[1]["text"] == rows[2]["text"]
        assert rows[1]["text"].startswith(status)

        # Help, through a page turn and back.
        assert ussd(g, "s-3", "13900000001", "") == ("CON", menu)
        kind, menu0 = ussd(g, "s-3", "13900000001", "0*00")
        assert kind == "CON" and menu0 == menu
        kind, helptext = ussd(g, "s-3", "13900000001", "0*00*4")
        assert kind == "END" and helptext
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_ussd_event_list_and_signup_match_sms(tmp_path):
    g = http_gateway(tmp_path)
    g.seed()
    g.ctl("resident", "add", "13900000004", "赵四", "--village", "LJZ")
    g.start()
    try:
        d = datetime.datetime.now(SHANGHAI).date() + datetime.timedelta(3)
        g.inject("+8613900000003", f"发布{d.strftime('%m%d')} 5 免费义诊")
        [ev] = wait_for(lambda: g.json("event", "list"), what="the event")
        code = str(ev["code"])
        # The list, then a sign-up in three screens.
        assert ussd(g, "e-1", "13900000001", "")[0] == "CON"
        kind, listing = ussd(g, "e-1", "13900000001", "5")
        assert kind == "END" and "义诊" in listing
        assert ussd(g, "e-2", "13900000001", "")[0] == "CON"
        assert ussd(g, "e-2", "13900000001", "6")[0] == "CON"
        kind, end = ussd(g, "e-2", "13900000001", "6*" + code)
        assert kind == "END"
        # The SMS twin.
        g.inject("+8613900000004", "报名" + code)
        twin = wait_for(lambda: (lambda r: r if len(r) >= 1 else None)(
            replies(g, "+8613900000004")), what="SMS sign-up reply")
        mine = [r for r in replies(g, RESIDENT)]
        assert mine[-1]["text"].startswith(end)
        # The same reply but for the place in the list (first, second).
        assert twin[0]["text"].replace("第2位", "第1位") == mine[-1]["text"]
        shown = json.dumps(g.json("event", "show", code), ensure_ascii=False)
        assert "+8613900000001" in shown and "+8613900000004" in shown
        # A slip in the code gets how to sign up, and is never a ticket.
        assert ussd(g, "e-3", "13900000001", "")[0] == "CON"
        assert ussd(g, "e-3", "13900000001", "6")[0] == "CON"
        assert ussd(g, "e-3", "13900000001", "6*abc") == \
            ("END", render("event_signup_how"))
        assert g.json("grievance", "list") == []
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_ussd_refuses_bad_requests_and_sessions_expire(tmp_path):
    g = http_gateway(tmp_path, timeout=2)
    g.seed()
    g.start()
    try:
        form = urllib.parse.urlencode({"sessionId": "x", "phoneNumber":
                                       "13900000001", "text": ""}).encode()
        assert request(g, "/ussd", form)[0] == 401
        assert request(g, "/ussd", form,
                       {"X-Cungate-Secret": "wrong-secret"})[0] == 403
        assert request(g, "/ussd?secret=" + SECRET, form)[0] == 200
        big = b"sessionId=x&phoneNumber=13900000001&text=" + b"1" * 1048576
        assert request(g, "/ussd", big,
                       {"X-Cungate-Secret": SECRET})[0] == 413
        bad = b"sessionId=y&phoneNumber=13900000001&text=%FF%FE"
        assert request(g, "/ussd", bad,
                       {"X-Cungate-Secret": SECRET})[0] == 400
        assert request(g, "/ussd", b"phoneNumber=13900000001&text=",
                       {"X-Cungate-Secret": SECRET})[0] == 400
        assert request(g, "/ussd", b"sessionId=z&phoneNumber=abc",
                       {"X-Cungate-Secret": SECRET})[0] == 400
        # Nothing was filed by any of that.
        assert g.json("grievance", "list") == []

        # An abandoned session expires; its next input gets END.
        assert ussd(g, "gone", "13900000001", "")[0] == "CON"

        def expired():
            _, s = parse_prometheus(request(g, "/metrics")[1])
            return metric(s, "cungate_ussd_sessions") == 0 and \
                metric(s, "cungate_ussd_sessions_expired_total") >= 1
        wait_for(expired, timeout=10, what="session expiry")
        kind, text = ussd(g, "gone", "13900000001", "1")
        if is_server(g.database):
            # Among nodes, a step of a session this node does not have may
            # have begun on another: it goes on from the inputs so far.
            assert kind == "CON", (kind, text)
        else:
            assert kind == "END" and "超时" in text
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_metrics_move_and_healthz_follows_the_modem(tmp_path):
    g = http_gateway(tmp_path)
    g.seed()
    g.start()
    try:
        status, text = request(g, "/metrics")
        assert status == 200
        types, before = parse_prometheus(text)
        assert types["cungate_send_latency_seconds"] == "histogram"
        assert types["cungate_messages_in_total"] == "counter"
        assert metric(before, "cungate_modem_up", modem="m1") == 1
        assert request(g, "/healthz")[0] == 200

        g.inject(RESIDENT, "帮助")
        wait_for(lambda: [r for r in g.outbox() if r["state"] == "sent"],
                 what="the reply sent")

        def moved():
            _, s = parse_prometheus(request(g, "/metrics")[1])
            return s if metric(s, "cungate_messages_in_total", modem="m1") > \
                metric(before, "cungate_messages_in_total", modem="m1") and \
                metric(s, "cungate_messages_out_total", modem="m1",
                       result="sent") >= 1 else None
        after = wait_for(moved, what="metrics to move")
        assert metric(after, "cungate_send_latency_seconds_count") >= 1
        assert metric(after, "cungate_send_latency_seconds_bucket",
                      le="+Inf") == \
            metric(after, "cungate_send_latency_seconds_count")
        assert metric(after, "cungate_tickets_overdue") == 0
        # Prometheus's own checker: one HELP/TYPE per family, no _total on
        # a gauge, no empty label values; before and after traffic.
        for text in (text, request(g, "/metrics")[1]):
            out = subprocess.run(["promtool", "check", "metrics"],
                                 input=text, capture_output=True, text=True)
            assert out.returncode == 0, out.stdout + out.stderr

    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_healthz_turns_503_when_the_only_modem_dies(tmp_path):
    g = http_gateway(tmp_path, modems=(), sims=("s1",))
    g.start()
    try:
        status, why = request(g, "/healthz")
        assert status == 200, why
        g.sims["s1"].faults(dead=True)
        wait_for(lambda: request(g, "/healthz")[0] == 503, timeout=60,
                 what="/healthz 503")
        status, why = request(g, "/healthz")
        assert "no modem up" in why
        _, s = parse_prometheus(request(g, "/metrics")[1])
        assert metric(s, "cungate_modem_up", modem="s1") == 0
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_status_page_renders_in_headless_chromium(tmp_path):
    g = http_gateway(tmp_path / "gw")
    g.seed()
    today = datetime.datetime.now(SHANGHAI).date().isoformat()
    g.ctl("village", "add", "WJC", "王家村", "--township", "MZ")
    for phone, name, village in (("13900000010", "王秀珍", "LJZ"),
                                 ("13900000013", "刘桂兰", "LJZ"),
                                 ("13900000014", "王德福", "WJC")):
        g.ctl("elder", "add", phone, name, "--village", village,
              "--guardian", "13900000011", "--start", today,
              "--due", "23:59")
    g.start()
    try:
        # An elder checks in from the USSD menu: the check-in handler.
        assert ussd(g, "c-1", "13900000010", "")[0] == "CON"
        assert ussd(g, "c-1", "13900000010", "3")[0] == "END"
        rows = {r["phone"]: r for r in g.json("checkin", "today")}
        assert rows["+8613900000010"]["status"] == "checked"
        assert rows["+8613900000013"]["status"] == "open"
        ussd(g, "p-1", "13900000001", "")
        ussd(g, "p-1", "13900000001", "1*水管<b>漏水</b>")
        status, page = request(g, "/")
        assert status == 200
        assert '<meta http-equiv="refresh"' in page
        assert "width:50%" in page and "width:0%" in page   # the bars
        assert "<b>" not in page and "http://" not in page.replace(
            g.url, "") and "src=" not in page
        os.makedirs(ARTEFACTS, exist_ok=True)
        shot = os.path.join(ARTEFACTS, "status.png")
        if os.path.exists(shot):
            os.unlink(shot)
        chromium = shutil.which("chromium")
        assert chromium, "chromium missing: run make deps"
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run([chromium, "--headless", "--no-sandbox",
                            "--disable-gpu", "--disable-quic",
                            "--no-first-run",
                            "--disable-background-networking",
                            "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}",
                            f"--screenshot={shot}", "--window-size=1200,900",
                            g.url + "/"], capture_output=True, timeout=120)
        with open(shot, "rb") as f:
            png = f.read()
        assert png.startswith(b"\x89PNG") and len(png) > 5000
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_suppressions_are_counted_and_ussd_actions_are_paced(tmp_path):
    g = http_gateway(tmp_path)
    g.seed()
    g.start()
    try:
        # Six USSD actions in a minute from one phone: the sixth is not
        # run (ussd_actions_per_minute = 5).
        for i in range(6):
            assert ussd(g, f"p-{i}", "13900000001", "")[0] == "CON"
            assert ussd(g, f"p-{i}", "13900000001", "1")[0] == "CON"
            kind, end = ussd(g, f"p-{i}", "13900000001", f"1*第{i}组路灯坏了")
            assert kind == "END"
        assert end == "线路繁忙，请稍后再拨。"
        ran = [m for m in g.messages() if m["modem"] == "ussd"]
        assert len(ran) == 5
        assert len(g.json("grievance", "list")) == 5
        # An auto-reply and a repeat over SMS.
        g.inject("+8613900000002", "您好，我正在开会，稍后回复您。")
        g.inject("+8613900000002", "你好", when="20261202T100000")
        g.inject("+8613900000002", "你好", when="20261202T100001")
        wait_for(lambda: len([m for m in g.messages()
                              if m["state"] == "done"]) == 8,
                 what="all handled")
        status, body = request(g, "/metrics")
        assert status == 200
        for reason in ("ussd", "autoreply", "repeat"):
            assert re.search(r'^cungate_messages_suppressed_total\{reason="'
                             + reason + r'"\} [1-9]', body, re.M), reason
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


@pytest.mark.sqlite_only("SQLite's write lock on its file stands for an outage")
def test_a_store_locked_by_another_process_stalls_nothing(tmp_path):
    # Another process holds the database's write lock for eight seconds
    # while an SMS comes in. The loop never stands still (HTTP answers at
    # once), the worker is not blamed and killed, and the SMS is answered
    # within seconds of the lock's release, not when the SIM is read
    # again ten minutes later.
    g = http_gateway(tmp_path)
    g.seed()
    g.start()
    try:
        wait_for(lambda: g.modem_state("m1") == "up", what="m1 up")
        [pid] = worker_pids(g.conf, "m1")
        db = sqlite3.connect(g.database, timeout=0,
                             isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        g.inject(RESIDENT, "帮助")
        start = time.monotonic()
        while time.monotonic() - start < 8:
            t = time.monotonic()
            status, why = request(g, "/healthz")
            assert status == 503, (status, why)
            assert time.monotonic() - t < 1.5
        db.execute("COMMIT")
        db.close()
        released = time.monotonic()
        wait_for(lambda: replies(g, RESIDENT), timeout=15,
                 what="the reply after the lock")
        assert time.monotonic() - released < 10
        assert worker_pids(g.conf, "m1") == [pid]
        assert "held part(s) stored" in g.logtext()
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()
