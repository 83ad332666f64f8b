"""The HTTP window (issue 7) with a real HTTP client (urllib): the USSD
callback against the same handlers as SMS, its 4xx answers and session
timeout, /metrics parsed as Prometheus text, /healthz, and the status page
rendered by headless Chromium."""
import csv
import datetime
import html
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from browser import Browser
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


def http_gateway(tmp, timeout=180, http_extra=(), **kw):
    port = free_port()
    g = Gateway(tmp, gateway_extra="\n".join([
        "[http]", f"listen = 127.0.0.1:{port}", f"secret = {SECRET}",
        f"ussd_menu = {ROOT}/config/ussd.zh.conf",
        f"ussd_timeout = {timeout}", *http_extra]), **kw)
    g.url = f"http://127.0.0.1:{port}"
    return g


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def exchange(g, path, data=None, headers=None, method=None):
    """(status, headers, body text) of one request, not following
    redirects, with g's session cookie (g.cookie) if it has one; 3xx, 4xx
    and 5xx are answers too."""
    headers = dict(headers or {})
    if getattr(g, "cookie", None) and "Cookie" not in headers:
        headers["Cookie"] = g.cookie
    req = urllib.request.Request(g.url + path, data=data, headers=headers,
                                 method=method)
    try:
        with OPENER.open(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode("utf-8", "replace")


def request(g, path, data=None, headers=None, method=None):
    """(status, body text) of one request, as exchange."""
    status, _, body = exchange(g, path, data, headers, method)
    return status, body


def add_user(g, name, password, *role):
    """An account of the status pages (role: "county", or "township",
    CODE, or "village", CODE), its password typed on standard input."""
    g.ctl("user", "add", name, "--role", *role, input=password + "\n")


def log_in(g, name, password, pace=True):
    """POST the login form: (status, headers, body); on success g.cookie
    is the session's cookie, as a browser would send it back. Paced
    under the daemon's 4 tries a second unless pace is False."""
    if pace:
        time.sleep(0.26)
    status, headers, body = exchange(
        g, "/login", urllib.parse.urlencode(
            {"name": name, "password": password}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"}, "POST")
    cookie = headers.get("Set-Cookie", "")
    if status == 303 and cookie:
        g.cookie = cookie.split(";")[0]
    return status, headers, body


COUNTY_PASSWORD = "county-officer-pw"


def county_session(g):
    """A county account, logged in."""
    add_user(g, "county", COUNTY_PASSWORD, "county")
    assert log_in(g, "county", COUNTY_PASSWORD)[0] == 303


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


MARKUP_NAME = "李<b>markup</b>"


def seed_county(g):
    """Two townships, four villages, their people and elders through
    cungatectl; then 30 days of messages, 12 weeks of tickets with their
    history and 14 days of check-ins as rows (minutes of SMS traffic
    otherwise). Returns what the pages must show."""
    g.seed()
    now = int(time.time())
    today = datetime.datetime.now(SHANGHAI).date()
    start = (today - datetime.timedelta(30)).isoformat()
    g.ctl("township", "add", "YJG", "杨家沟镇", "--supervisor", "13900000019")
    for code, name, town in (("WJC", "王家村", "MZ"), ("YJGC", "杨家沟村", "YJG"),
                             ("GMS", "高庙山村", "YJG")):
        g.ctl("village", "add", code, name, "--township", town)
    for phone, name, village, role in (
            ("13900000020", MARKUP_NAME, "WJC", "resident"),
            ("13900000021", "赵桂芳", "WJC", "resident"),
            ("13900000022", "王建军", "WJC", "cadre"),
            ("13900000023", "杨志强", "YJGC", "cadre"),
            ("13900000024", "高红梅", "GMS", "cadre")):
        g.ctl("resident", "add", phone, name, "--village", village,
              "--role", role)
    elders = (("13900000010", "王秀珍", "LJZ"), ("13900000013", "刘桂兰", "LJZ"),
              ("13900000014", "王德福", "WJC"), ("13900000015", "李凤英", "WJC"),
              ("13900000016", "杨玉兰", "YJGC"), ("13900000017", "杨占山", "YJGC"),
              ("13900000018", "高明堂", "GMS"))
    for phone, name, village in elders:
        g.ctl("elder", "add", phone, name, "--village", village,
              "--guardian", "13900000011:王小军:儿子", "--start", start,
              "--due", "23:59")
    db = sqlite3.connect(os.path.join(g.dir, "cungate.db"))
    vid = dict(db.execute("SELECT code, id FROM village"))
    eid = dict(db.execute("SELECT p.phone, e.id FROM elder e"
                          " JOIN person p ON p.id = e.person_id"))
    midnight = int(datetime.datetime.combine(
        today, datetime.time(), SHANGHAI).timestamp())
    day = (now + 8 * 3600) // 86400          # the local day, as the store
    # Check-ins: LJZ always, GMS nearly, YJGC often, WJC half the days.
    miss = {"LJZ": 99, "GMS": 7, "YJGC": 3, "WJC": 2}
    for phone, name, village in elders:
        for back in range(1, 14):
            ok = (back + int(phone[-1])) % miss[village] != 0
            db.execute("INSERT INTO checkin_day (elder_id, day, status, step,"
                       " checked_in_at, next_at) VALUES (?, ?, ?, ?, ?, NULL)",
                       (eid["+86" + phone], day - back,
                        "checked" if ok else "open", 0 if ok else 4,
                        midnight - back * 86400 + 8 * 3600 if ok else None))
    # Today: two of 王家村 not yet, up the ladder; one of 杨家沟村 not yet.
    for phone, status, step in (("13900000014", "open", 3),
                                ("13900000015", "open", 2),
                                ("13900000017", "open", 0),
                                ("13900000010", "checked", 0),
                                ("13900000013", "checked", 0),
                                ("13900000016", "checked", 0),
                                ("13900000018", "checked", 0)):
        # (cungatectl made today's rows as it enrolled them.)
        db.execute("INSERT INTO checkin_day (elder_id, day, status, step,"
                   " next_at, checked_in_at) VALUES (?, ?, ?, ?, ?, ?)"
                   " ON CONFLICT (elder_id, day) DO UPDATE SET"
                   " status = excluded.status, step = excluded.step,"
                   " next_at = excluded.next_at,"
                   " checked_in_at = excluded.checked_in_at",
                   (eid["+86" + phone], day, status, step,
                    now + 6 * 3600 if status == "open" else None,
                    now - 600 if status == "checked" else None))
    # Traffic: every day of 30, in and out.
    total_in = total_out = 0
    for back in range(29, -1, -1):
        base = midnight - back * 86400
        n_in, n_out = 6 + (back * 7) % 11, 9 + (back * 5) % 13
        for k in range(n_in):
            at = min(base + 8 * 3600 + k * 300, now - 60)
            db.execute("INSERT INTO message (sender, modem, text, parts,"
                       " received_at, state, handler, handled_at)"
                       " VALUES (?, 'm1', '平安', 1, ?, 'done', 'checkin', ?)",
                       ("+86139000000%02d" % (10 + k % 8), at, at))
        for k in range(n_out):
            at = min(base + 9 * 3600 + k * 300, now - 60)
            db.execute("INSERT INTO outbox (recipient, text, class, state,"
                       " created_at, next_attempt_at, expires_at, sent_at,"
                       " modem, parts) VALUES (?, '收到', 1, 2, ?, ?, ?, ?,"
                       " 'm1', 1)", ("+8613900000011", at, at, at + 86400, at))
        total_in += n_in
        total_out += n_out
    # Tickets: one a week in each village for 12 weeks, all closed, some
    # late; then the open ones of 王家村.
    reporters = {"LJZ": "+8613900000001", "WJC": "+8613900000021",
                 "YJGC": "+8613900000023", "GMS": "+8613900000024"}
    code = 5000
    for week in range(12):
        for n, village in enumerate(("LJZ", "WJC", "YJGC", "GMS")):
            code += 1
            created = now - (84 - 7 * week) * 86400 + n * 3600
            late = village == "WJC" and week % 2 == 0
            accepted = created + (30 * 3600 if late else 2 * 3600)
            resolved = created + (6 * 86400 if late else 2 * 86400)
            rating = 3 if late else 1 + week % 2
            db.execute("INSERT INTO ticket (code, reporter, village_id,"
                       " category, text, status, created_at, updated_at,"
                       " accept_due, resolve_due, accepted_by, accepted_at,"
                       " resolved_by, resolved_at, reply, rating, rated_at)"
                       " VALUES (?, ?, ?, '路灯', '路灯坏了', 'closed', ?, ?,"
                       " ?, ?, ?, ?, ?, ?, '已修好', ?, ?)",
                       (str(code), reporters[village], vid[village], created,
                        resolved, created + 86400, created + 3 * 86400,
                        "+8613900000022", accepted, "+8613900000022",
                        resolved, rating, resolved + 3600))
    opened = []
    for back, reporter, text, status in (
            (5, "+8613900000020", "村口水管<b>漏水</b>，请联系13912345678",
             "accepted"),
            (3, "+8613900000021", "低保没发", "open"),
            (1, "+8613900000001", "路灯坏了", "open")):
        code += 1
        created = now - back * 86400
        village = "LJZ" if reporter == "+8613900000001" else "WJC"
        cur = db.execute(
            "INSERT INTO ticket (code, reporter, village_id, category, text,"
            " status, created_at, updated_at, accept_due, resolve_due,"
            " accepted_by, accepted_at, accept_reminded, accept_escalated,"
            " resolve_reminded, resolve_escalated)"
            " VALUES (?, ?, ?, '水', ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, 1, 1)",
            (str(code), reporter, vid[village], text, status, created,
             created, created + 86400, created + 3 * 86400,
             "+8613900000022" if status == "accepted" else None,
             created + 7200 if status == "accepted" else None))
        opened.append((str(code), cur.lastrowid, village, back))
    tid = opened[0][1]
    for at, actor, channel, action, detail in (
            (now - 5 * 86400, "+8613900000020", "sms", "file",
             "category 水; 1 cadre(s)"),
            (now - 5 * 86400 + 1, "system", "system", "assign",
             "+8613900000022"),
            (now - 5 * 86400 + 7200, "+8613900000022", "sms", "accept",
             "王建军"),
            (now - 2 * 86400, "system", "system", "escalate.resolve",
             "township MZ: 1 told")):
        db.execute("INSERT INTO ticket_event (ticket_id, at, actor, channel,"
                   " action, detail) VALUES (?, ?, ?, ?, ?, ?)",
                   (tid, at, actor, channel, action, detail))
    db.execute("INSERT INTO event (code, village_id, title, place, starts_at,"
               " remind_at, capacity, created_by, created_at)"
               " VALUES ('88', ?, '免费义诊', '村委会', ?, ?, 30, 'cli', ?)",
               (vid["WJC"], now + 3 * 86400, now + 2 * 86400, now))
    db.commit()
    db.close()
    return {"in_today": 6, "out_today": 9, "total_in": total_in,
            "total_out": total_out, "open": opened}


def visible_text(page):
    """The words a reader sees (and a screen reader reads): no tags,
    styles or attribute values."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]*>", " ", page))


def english_words(page, allowed):
    words = set(re.findall(r"[A-Za-z]{2,}", visible_text(page)))
    return sorted(words - set(allowed))


def artefact(name):
    """tests/artefacts/name, made afresh."""
    os.makedirs(ARTEFACTS, exist_ok=True)
    path = os.path.join(ARTEFACTS, name)
    if os.path.exists(path):
        os.unlink(path)
    return path


def screenshot(browser, g, path, name, width, height):
    """The browser's picture of g's page path at width x height, kept as
    tests/artefacts/name."""
    browser.size(width, height)
    assert browser.open(g.url + path) == g.url + path
    shot = browser.screenshot(artefact(name))
    with open(shot, "rb") as f:
        png = f.read()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    # The PNG's own size (IHDR): what was asked for.
    assert int.from_bytes(png[16:20], "big") == width
    return shot


def printed(browser, g, path, name):
    """The browser's print of g's page path to PDF, kept as
    tests/artefacts/name: the page prints (its @media print)."""
    assert browser.open(g.url + path) == g.url + path
    return pdf_checked(browser.pdf(artefact(name)))


def printed_url(url, name):
    """A new browser's print of url (a file) to PDF, kept as
    tests/artefacts/name."""
    with Browser() as browser:
        browser.open(url)
        return pdf_checked(browser.pdf(artefact(name)))


def pdf_checked(pdf):
    with open(pdf, "rb") as f:
        data = f.read()
    assert data.startswith(b"%PDF") and len(data) > 20000
    return pdf


# Latin letters a page may show: the zone's name, codes, modem names, and
# what residents wrote ("markup" in a name), the account's name and the
# dummy phone's network ("GammuT…", once the modem is up).
ALLOWED = ("Asia", "Shanghai", "UTC", "USSD", "SIM", "LJZ", "WJC", "YJGC",
           "GMS", "MZ", "YJG", "m1", "markup", "county", "GammuT")


@pytest.mark.sqlite_only("its 30 days of rows are seeded through sqlite3 "
                         "(minutes through psql); the pages' queries run "
                         "on PostgreSQL in tests/unit/test_report.c")
def test_county_village_and_ticket_pages_in_headless_chromium(tmp_path):
    g = http_gateway(tmp_path / "gw")
    facts = seed_county(g)
    g.start()
    browser = Browser()
    try:
        # The county officer logs in through the form, in the browser.
        add_user(g, "county", COUNTY_PASSWORD, "county")
        assert browser.log_in(g.url + "/", "county", COUNTY_PASSWORD) == \
            g.url + "/"
        assert browser.js("document.cookie") == "", "the cookie is HttpOnly"
        assert log_in(g, "county", COUNTY_PASSWORD)[0] == 303
        status, page = request(g, "/")
        assert status == 200
        assert '<meta http-equiv="refresh"' in page
        # Chinese labels, local time with its zone; no English left.
        for label in ("全县村务短信概览", "短信收发（近30天", "工单（近12周",
                      "老人平安签到率", "诉求办理", "按时受理率", "按时办结率",
                      "满意率", "全县平均", "短信猫", "发送队列", "北京时间",
                      "UTC+08:00"):
            assert label in page, label
        assert english_words(page, ALLOWED) == []
        # Villages by name with their township, worst check-in rate first.
        for name in ("刘家庄", "王家村", "杨家沟村", "高庙山村", "米脂镇",
                     "杨家沟镇"):
            assert name in page
        multi = page[page.index("老人平安签到率"):page.index("诉求办理")]
        order = [multi.index(n) for n in ("王家村", "杨家沟村", "高庙山村",
                                          "刘家庄")]
        assert order == sorted(order), order
        assert 'href="/village/WJC"' in page
        # Four charts of days and weeks, inline, and no outside asset.
        assert page.count("<svg") >= 2 + 4 + 3
        assert "<script" not in page and "src=" not in page
        assert "http://" not in page.replace(g.url, "")
        assert "今日收到短信" in page
        assert "<b>markup</b>" not in page
        for width, height in ((390, 3200), (1280, 2400)):
            screenshot(browser, g, "/", f"county-{width}.png", width,
                       height)
        printed(browser, g, "/", "county.pdf")

        status, village = request(g, "/village/WJC")
        assert status == 200
        assert "王家村" in village and "米脂镇" in village
        # Open tickets, oldest first, with their age; escaped markup.
        codes = [c for c, _, v, _ in facts["open"] if v == "WJC"]
        assert village.index(codes[0]) < village.index(codes[1])
        assert "5天" in village and "3天" in village
        assert "&lt;b&gt;漏水&lt;/b&gt;" in village
        assert "<b>漏水" not in village
        assert "13912345678" not in village and "139****5678" in village
        # Elders not checked in today, with the ladder's step, masked.
        assert "王德福" in village and "已通知监护人" in village
        assert "李凤英" in village and "已发催签短信" in village
        assert "王秀珍" not in village
        assert "+8613900000014" not in village
        assert "+86139****0014" in village
        assert "免费义诊" in village
        assert english_words(village, ALLOWED) == []
        for width, height in ((390, 1800), (1280, 1200)):
            screenshot(browser, g, "/village/WJC", f"village-{width}.png",
                       width, height)

        status, ticket = request(g, "/ticket/" + codes[0])
        assert status == 200
        assert "办理记录" in ticket and "村干部受理" in ticket
        assert "超期未办结，报乡镇督办" in ticket and "王建军" in ticket
        assert "&lt;b&gt;" in ticket and "<b>" not in ticket
        assert "李&lt;b&gt;markup&lt;/b&gt;" in ticket
        assert not re.search(r"\+?86139\d{8}|139\d{8}", ticket), \
            "a full phone number on the ticket page"
        assert "+86139****0020" in ticket
        assert english_words(ticket, ALLOWED) == []

        for path in ("/village/NOPE", "/ticket/999999", "/village/%3Cx%3E"):
            status, body = request(g, path)
            assert status == 404, path
            assert "未找到" in body and "<x>" not in body
        # /metrics and /healthz as they were.
        assert request(g, "/healthz")[0] == 200
        assert "cungate_messages_in_total" in request(g, "/metrics")[1] or \
            request(g, "/metrics")[0] == 200
    finally:
        browser.close()
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_status_page_counts_todays_checkins_and_escapes(tmp_path):
    """The county page of a new database: today's check-in from the USSD
    menu shows in its village, a reported text with markup is escaped."""
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
        assert ussd(g, "c-1", "13900000010", "")[0] == "CON"
        assert ussd(g, "c-1", "13900000010", "3")[0] == "END"
        rows = {r["phone"]: r for r in g.json("checkin", "today")}
        assert rows["+8613900000010"]["status"] == "checked"
        assert rows["+8613900000013"]["status"] == "open"
        ussd(g, "p-1", "13900000001", "")
        ussd(g, "p-1", "13900000001", "1*水管<b>漏水</b>")
        county_session(g)
        status, page = request(g, "/")
        assert status == 200
        assert "今日 1/2" in page and "今日 0/1" in page
        # The page's own labels may be bold; the villager's markup never.
        assert "<b>漏水" not in page and "src=" not in page
        assert english_words(page, ALLOWED) == []
        status, village = request(g, "/village/ljz")
        assert status == 200 and "刘桂兰" in village
        assert "&lt;b&gt;漏水&lt;/b&gt;" in village
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


def local(y, m, d, hh=9, mm=0):
    """The epoch seconds of a Shanghai wall-clock time."""
    return int(datetime.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)
               .timestamp())


def seed_october(g):
    """Two townships over October 2026: 米脂镇 (LJZ) with 6 messages in,
    4 out and 2 tickets, 杨家沟镇 (GMS, a name with markup) with 3 in and
    1 ticket; an elder of each, LJZ's checked in every day, GMS's on 20
    of 31; and rows either side of the month that must not count."""
    g.seed()
    g.ctl("township", "add", "YJG", "杨家沟镇")
    g.ctl("village", "add", "GMS", "高庙<b>山</b>村", "--township", "YJG")
    g.ctl("resident", "add", "13900000024", "高红梅", "--village", "GMS")
    for phone, name, village in (("13900000010", "王秀珍", "LJZ"),
                                 ("13900000018", "高明堂", "GMS")):
        g.ctl("elder", "add", phone, name, "--village", village,
              "--guardian", "13900000011:王小军:儿子")
    eid = dict(g.sql("SELECT p.phone, e.id FROM elder e"
                     " JOIN person p ON p.id = e.person_id"))
    vid = dict(g.sql("SELECT code, id FROM village"))
    oct1 = (datetime.date(2026, 10, 1) - datetime.date(1970, 1, 1)).days
    rows, params = [], []
    for back in range(31):
        for phone, ok in (("+8613900000010", True),
                          ("+8613900000018", back % 3 != 0)):
            rows.append("(?, ?, ?, 0, ?, NULL)")
            params += [eid[phone], oct1 + back,
                       "checked" if ok else "open",
                       local(2026, 10, 1 + back) if ok else None]
    g.sql("INSERT INTO checkin_day (elder_id, day, status, step,"
          " checked_in_at, next_at) VALUES " + ", ".join(rows) +
          " ON CONFLICT (elder_id, day) DO NOTHING", *params)
    msgs = [("+8613900000001", local(2026, 10, 10, 9, k)) for k in range(5)]
    msgs += [("+8613900000024", local(2026, 10, 20, 10, k)) for k in range(3)]
    msgs += [("+8613900000001", local(2026, 10, 31, 23, 30)),
             ("+8613900000001", local(2026, 11, 1, 0, 30)),
             ("+8613900000024", local(2026, 9, 30, 23, 30))]
    g.sql("INSERT INTO message (sender, modem, text, parts, received_at,"
          " state) VALUES " + ", ".join(["(?, 'm1', '平安', 1, ?, 'done')"]
                                        * len(msgs)),
          *[v for m in msgs for v in m])
    sent = [local(2026, 10, 11, 8, k) for k in range(4)]
    g.sql("INSERT INTO outbox (recipient, text, class, state, created_at,"
          " next_attempt_at, expires_at, sent_at, modem, parts) VALUES " +
          ", ".join(["('+8613900000001', '收到', 1, 2, ?, ?, ?, ?, 'm1', 1)"]
                    * len(sent)),
          *[v for t in sent for v in (t, t, t + 86400, t)])
    # (village, code, created, accepted after h, resolved after h, rating)
    tickets = (("LJZ", "7001", local(2026, 10, 5), 2, 48, 1),
               ("LJZ", "7002", local(2026, 10, 28), None, None, None),
               ("GMS", "7003", local(2026, 10, 15), 30, 150, 3),
               ("GMS", "7004", local(2026, 9, 15), 2, 48, 1))
    for village, code, created, acc, res, rating in tickets:
        g.sql("INSERT INTO ticket (code, reporter, village_id, category,"
              " text, status, created_at, updated_at, accept_due,"
              " resolve_due, accepted_by, accepted_at, resolved_by,"
              " resolved_at, reply, rating, rated_at) VALUES (?, ?, ?,"
              " '路灯', '路灯坏了', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              code, "+8613900000001" if village == "LJZ" else
              "+8613900000024", vid[village],
              "closed" if res else "open", created, created,
              created + 86400, created + 3 * 86400,
              "+8613900000003" if acc else None,
              created + acc * 3600 if acc else None,
              "+8613900000003" if res else None,
              created + res * 3600 if res else None,
              "已修好" if res else "", rating or 0,
              created + res * 3600 + 60 if res else None)


def report(g, *args, check=True):
    return g.ctl("report", *args, check=check)


def report_csv(g, *args):
    out = report(g, *args, "--csv").stdout
    assert out.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(out[1:])))
    assert rows[0] == ["section", "date", "township", "code", "name",
                       "measure", "value"]
    return rows[1:]


def figure(rows, section, measure, code=None, township=None):
    """The sum of a CSV's figures of section and measure (of code, of
    township when given)."""
    return sum(int(r[6]) for r in rows if r[0] == section and
               r[5] == measure and (code is None or r[3] == code) and
               (township is None or r[2] == township))


def test_monthly_report_by_township_as_html_csv_and_pdf(tmp_path):
    g = Gateway(tmp_path / "gw")
    seed_october(g)
    page = report(g, "--month", "2026-10").stdout
    assert "<title>全县 2026年10月 村务短信月报</title>" in page
    assert "统计期间 2026-10-01 至 2026-10-31" in page
    assert "生成于" in page and "北京时间" in page and "UTC+08:00" in page
    assert "@page{size:A4" in page and "break-inside:avoid" in page
    for card in ("9</b>收到短信", "4</b>发出短信", "3</b>新建工单",
                 "2</b>办结工单"):
        assert card in page, card
    # The village with markup escaped, worst check-in rate first.
    assert "高庙&lt;b&gt;山&lt;/b&gt;村" in page and "<b>山</b>" not in page
    multi = page[page.index("老人平安签到率"):page.index("诉求办理")]
    assert multi.index("高庙") < multi.index("刘家庄")
    assert "20/31 人次" in page and "31/31 人次" in page
    assert "米脂镇" in page and "杨家沟镇" in page and "全县" in page
    assert "<script" not in page and "href=" not in page
    assert english_words(page, ALLOWED) == []
    rows = report_csv(g, "--month", "2026-10")
    assert figure(rows, "messages", "received") == 9
    assert figure(rows, "messages", "sent") == 4
    assert figure(rows, "tickets", "opened") == 3
    assert figure(rows, "grievance", "tickets", "MZ") == 2
    assert figure(rows, "grievance", "tickets", "YJG") == 1
    assert figure(rows, "grievance", "tickets", "", "全县") == 3
    assert figure(rows, "village", "checked", "GMS") == 20
    assert figure(rows, "village", "due", "GMS") == 31
    assert ["village", "", "杨家沟镇", "GMS", "高庙<b>山</b>村", "rate",
            "64.5"] in rows
    assert figure(rows, "checkin", "checked", "LJZ") == 31
    # The page's rate is the CSV's, rounded.
    assert "65%" in page

    # --township: that township alone, beside the county's average.
    town = report(g, "--month", "2026-10", "--township", "mz").stdout
    assert "<title>米脂镇 2026年10月 村务短信月报</title>" in town
    for card in ("6</b>收到短信", "4</b>发出短信", "2</b>新建工单"):
        assert card in town, card
    assert "高庙" not in town and "杨家沟镇" not in town
    assert "刘家庄" in town and "全县平均" in town
    rows = report_csv(g, "--month", "2026-10", "--township", "MZ")
    assert figure(rows, "messages", "received") == 6
    assert figure(rows, "tickets", "opened") == 2
    assert figure(rows, "grievance", "tickets", "MZ") == 2
    assert figure(rows, "grievance", "tickets", "", "全县") == 3
    assert not [r for r in rows if "GMS" in r or "YJG" in r]

    # Printed: an A4 PDF of some pages.
    html_path = tmp_path / "report.html"
    html_path.write_text(page, encoding="utf-8")
    pdf = printed_url("file://" + str(html_path), "report-2026-10.pdf")
    with open(pdf, "rb") as f:
        data = f.read()
    assert data.count(b"/Type /Page") >= 2 or data.count(b"/Type/Page") >= 2

    # Months to come or without rows: a page that says so.
    assert "该月尚未开始" in report(g, "--month", "2099-01").stdout
    assert "本月没有数据" in report(g, "--month", "2026-08").stdout
    # Bad input: a message and a non-zero exit, nothing on stdout.
    for args in (("--month", "2026-13"), ("--month", "26-11"), (),
                 ("--month", "2026-10", "--township", "NOPE"),
                 ("--month", "2026-10", "--township", "<x>")):
        proc = report(g, *args, check=False)
        assert proc.returncode != 0, args
        assert proc.stdout == "", args
        assert proc.stderr.startswith("cungatectl: "), args
    assert "no township NOPE" in report(
        g, "--month", "2026-10", "--township", "NOPE", check=False).stderr
    assert "YYYY-MM" in report(g, "--month", "2026-13", check=False).stderr
