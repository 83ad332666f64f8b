"""Who may read the status pages (issue 16): accounts made with cungatectl,
the login form and its session cookie, what a township's and a village's
account may see (403 for the rest), sessions that lapse and end, a login
form that tells nothing about which names exist, the audit of every view,
and /metrics and /healthz open to [http] monitor only."""
import hashlib
import statistics
import subprocess
import time

from conftest import DAEMON, wait_for
from test_http import exchange, http_gateway, log_in, request, add_user

COUNTY = ("wang.xian", "county-officer-pw")
TOWNSHIP = ("li.mizhi", "township-sup-pw")
VILLAGE = ("liu.ljz", "village-clerk-pw")


def two_townships(g):
    """MZ (刘家庄 LJZ, 王家村 WJC) and YJG (杨家沟村 YJGC), a resident in
    LJZ and one in YJGC, and an account of each role."""
    g.seed()
    g.ctl("village", "add", "WJC", "王家村", "--township", "MZ")
    g.ctl("township", "add", "YJG", "杨家沟镇")
    g.ctl("village", "add", "YJGC", "杨家沟村", "--township", "YJG")
    g.ctl("resident", "add", "13900000021", "高文华", "--village", "YJGC")
    add_user(g, COUNTY[0], COUNTY[1], "county")
    add_user(g, TOWNSHIP[0], TOWNSHIP[1], "township", "MZ")
    add_user(g, VILLAGE[0], VILLAGE[1], "village", "LJZ")


def ticket_of(g, phone, text):
    """Report text from phone by SMS: the ticket's code."""
    g.inject(phone, text)
    wait_for(lambda: any(t["reporter"] == phone
                         for t in g.json("grievance", "list")),
             what=f"a ticket from {phone}")
    return next(t["code"] for t in g.json("grievance", "list")
                if t["reporter"] == phone)


def location(headers):
    return headers.get("Location")


def test_login_cookie_views_audited_and_logout(tmp_path):
    g = http_gateway(tmp_path)
    two_townships(g)
    g.start()
    try:
        # No session: to the login form, which is in Chinese.
        status, headers, _ = exchange(g, "/")
        assert status == 303 and location(headers) == "/login"
        status, form = request(g, "/login")
        assert status == 200
        assert "用户名" in form and "密码" in form and 'action="/login"' in form

        status, headers, _ = log_in(g, *COUNTY)
        assert status == 303 and location(headers) == "/"
        cookie = headers["Set-Cookie"]
        for attribute in ("HttpOnly", "SameSite=Strict", "Path=/"):
            assert attribute in cookie, cookie
        # The pages allow nothing beyond themselves: no scripts, no
        # outside assets, no framing.
        status, headers, _ = exchange(g, "/")
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        token = g.cookie.split("=", 1)[1]
        assert len(token) == 64
        # The store keeps the token's hash only.
        rows = g.sql("SELECT token FROM web_session")
        assert [r[0] for r in rows] == [hashlib.sha256(
            token.encode()).hexdigest()]

        status, page = request(g, "/")
        assert status == 200 and COUNTY[0] in page and "县级" in page
        assert 'action="/logout"' in page
        assert request(g, "/village/YJGC")[0] == 200
        # Every view is in the audit log under the account's name.
        views = g.sql("SELECT object FROM audit WHERE actor = ? AND "
                      "action = 'page.view' ORDER BY id", COUNTY[0])
        assert [v[0] for v in views] == ["/", "/", "/village/YJGC"]
        assert g.sql("SELECT count(*) FROM audit WHERE actor = ? AND "
                     "action = 'login'", COUNTY[0])[0][0] == 1
        assert [u["last_login"] is not None
                for u in g.json("user", "list")
                if u["name"] == COUNTY[0]] == [True]

        # Logging out ends the session: the old cookie opens nothing.
        old = g.cookie
        status, headers, _ = exchange(g, "/logout", b"", method="POST")
        assert status == 303 and location(headers) == "/login"
        assert "Max-Age=0" in headers["Set-Cookie"]
        status, headers, _ = exchange(g, "/", headers={"Cookie": old})
        assert status == 303 and location(headers) == "/login"
        assert g.sql("SELECT count(*) FROM web_session")[0][0] == 0
        # No password in the log.
        with open(g.log) as f:
            log = f.read()
        for _, password in (COUNTY, TOWNSHIP, VILLAGE):
            assert password not in log
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_each_role_sees_only_its_own(tmp_path):
    g = http_gateway(tmp_path)
    two_townships(g)
    g.start()
    try:
        ours = ticket_of(g, "+8613900000001", "TS 村口路灯坏了")
        theirs = ticket_of(g, "+8613900000021", "TS 水管冻裂了")

        assert log_in(g, *TOWNSHIP)[0] == 303
        status, page = request(g, "/")
        assert status == 200 and "米脂镇村务短信概览" in page
        # Its own villages only, and none of the county's operations.
        assert "刘家庄" in page and "王家村" in page
        assert "杨家沟" not in page and "高庙山村" not in page
        assert "短信猫" not in page and "发送队列" not in page
        assert request(g, "/village/LJZ")[0] == 200
        assert request(g, "/village/WJC")[0] == 200
        assert request(g, "/ticket/" + ours)[0] == 200
        for path in ("/village/YJGC", "/ticket/" + theirs):
            status, body = request(g, path)
            assert status == 403, path
            assert "无权查看" in body and "高文华" not in body
            assert "水管冻裂" not in body
        # Not there at all: 404, as for anyone.
        assert request(g, "/village/NOPE")[0] == 404

        assert log_in(g, *VILLAGE)[0] == 303
        status, headers, _ = exchange(g, "/")
        assert status == 303 and location(headers) == "/village/LJZ"
        assert request(g, "/village/LJZ")[0] == 200
        assert request(g, "/ticket/" + ours)[0] == 200
        for path in ("/village/WJC", "/village/YJGC", "/ticket/" + theirs):
            assert request(g, path)[0] == 403, path

        assert log_in(g, *COUNTY)[0] == 303
        for path in ("/", "/village/YJGC", "/ticket/" + theirs,
                     "/village/LJZ"):
            assert request(g, path)[0] == 200, path
        # Refusals are audited as views too: who asked for what.
        asked = {r[0] for r in g.sql(
            "SELECT object FROM audit WHERE actor = ? AND action = "
            "'page.view'", VILLAGE[0])}
        assert "/village/YJGC" in asked
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_sessions_lapse_when_idle_or_old_and_accounts_change(tmp_path):
    g = http_gateway(tmp_path)
    two_townships(g)
    g.start()
    try:
        # Unused for longer than session_idle_minutes (30): gone.
        assert log_in(g, *COUNTY)[0] == 303
        assert request(g, "/")[0] == 200
        g.sql("UPDATE web_session SET seen_at = seen_at - 31 * 60")
        status, headers, _ = exchange(g, "/")
        assert status == 303 and location(headers) == "/login"
        # In use, but older than session_max_hours (12): gone.
        assert log_in(g, *COUNTY)[0] == 303
        g.sql("UPDATE web_session SET created_at = created_at - 13 * 3600")
        status, headers, _ = exchange(g, "/")
        assert status == 303 and location(headers) == "/login"
        # A cookie that was never a session's.
        for junk in ("cungate_session=" + "0" * 64, "cungate_session=x",
                     "other=1"):
            status, headers, _ = exchange(g, "/", headers={"Cookie": junk})
            assert status == 303, junk

        # A new password: the old one no longer logs in.
        assert log_in(g, *TOWNSHIP)[0] == 303
        g.ctl("user", "passwd", TOWNSHIP[0], input="a-new-password\n")
        assert log_in(g, TOWNSHIP[0], TOWNSHIP[1])[0] == 401
        assert log_in(g, TOWNSHIP[0], "a-new-password")[0] == 303
        # A removed account's sessions end with it.
        g.ctl("user", "remove", TOWNSHIP[0])
        status, headers, _ = exchange(g, "/")
        assert status == 303 and location(headers) == "/login"
        assert log_in(g, TOWNSHIP[0], "a-new-password")[0] == 401
        names = [u["name"] for u in g.json("user", "list")]
        assert names == sorted([COUNTY[0], VILLAGE[0]])
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_login_form_is_not_a_password_oracle(tmp_path):
    g = http_gateway(tmp_path)
    tries = {"unknown": ("zhang.nobody", "whatever-pw"),
                 "wrong": (COUNTY[0], "not-the-password")}
    two_townships(g)
    g.start()
    try:
        answers, times = {}, {k: [] for k in tries}
        for _ in range(6):
            for kind, (name, password) in tries.items():
                t = time.monotonic()
                status, _, body = log_in(g, name, password, pace=False)
                times[kind].append(time.monotonic() - t)
                answers.setdefault(kind, set()).add((status, body))
                time.sleep(0.3)     # under the pace of 4 a second
        # The same answer, word for word, for both.
        assert answers["unknown"] == answers["wrong"]
        [(status, body)] = answers["unknown"]
        assert status == 401 and "用户名或密码不对" in body
        # And much the same time: each is a yescrypt, not a lookup.
        unknown = statistics.median(times["unknown"])
        wrong = statistics.median(times["wrong"])
        print(f"median login refusal: unknown name {unknown * 1000:.1f} ms, "
              f"wrong password {wrong * 1000:.1f} ms")
        assert min(unknown, wrong) / max(unknown, wrong) > 0.5, \
            (unknown, wrong)
        # A flood of tries is paced (each costs a yescrypt on the loop),
        # and every try gets an answer.
        codes = [log_in(g, COUNTY[0], f"guess-{i}", pace=False)[0]
                 for i in range(12)]
        assert set(codes) <= {401, 429} and 429 in codes, codes
        time.sleep(1.1)
        assert log_in(g, *COUNTY)[0] == 303
        assert g.sql("SELECT count(*) FROM audit WHERE action = "
                     "'login.failed' AND object = 'zhang.nobody'")[0][0] == 6
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()


def test_metrics_and_healthz_only_for_the_monitoring_network(tmp_path):
    # The default: the loopback addresses.
    g = http_gateway(tmp_path / "a")
    g.seed()
    g.start()
    try:
        assert request(g, "/metrics")[0] == 200
        assert request(g, "/healthz")[0] in (200, 503)
    finally:
        g.stop()
    # A monitoring network that is not ours: 403, the pages unaffected.
    g = http_gateway(tmp_path / "b",
                     http_extra=["monitor = 10.20.0.0/16, 192.0.2.7"])
    g.seed()
    g.start()
    try:
        for path in ("/metrics", "/healthz"):
            status, body = request(g, path)
            assert status == 403, path
            assert "127.0.0.1" in body and "monitor" in body
        status, headers, _ = exchange(g, "/")
        assert status == 303 and location(headers) == "/login"
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()
    # A list that is not addresses: the config check names the line.
    g = http_gateway(tmp_path / "c", http_extra=["monitor = 10.0.0.0/33"])
    out = subprocess.run([DAEMON, "-c", g.conf, "-n"], capture_output=True,
                         text=True)
    assert out.returncode != 0
    assert "cungate.conf:" in out.stderr and "10.0.0.0/33" in out.stderr


def test_user_add_refuses_what_it_cannot_keep(tmp_path):
    g = http_gateway(tmp_path)
    g.seed()
    cases = [
        (("x.y", "--role", "township", "NOPE"), "long-enough-pw\n",
         "no township NOPE"),
        (("x.y", "--role", "village"), "long-enough-pw\n", "needs"),
        (("x.y", "--role", "county", "MZ"), "long-enough-pw\n", "no CODE"),
        (("x.y", "--role", "mayor"), "long-enough-pw\n", "county, township"),
        (("x y", "--role", "county"), "long-enough-pw\n", "account name"),
        (("x.y", "--role", "county"), "short\n", "8 to 256"),
        (("x.y", "--role", "county"), "", "no password"),
    ]
    for args, stdin, said in cases:
        out = g.ctl("user", "add", *args, input=stdin, check=False)
        assert out.returncode != 0, args
        assert said in out.stderr, (args, out.stderr)
    assert g.json("user", "list") == []
    g.ctl("user", "add", "x.y", "--role", "village", "LJZ",
          input="long-enough-pw\n")
    out = g.ctl("user", "add", "x.y", "--role", "county",
                input="long-enough-pw\n", check=False)
    assert out.returncode != 0 and "already exists" in out.stderr
    [u] = g.json("user", "list")
    assert (u["role"], u["scope"], u["scope_name"]) == ("village", "LJZ",
                                                        "刘家庄")
    # The hash is yescrypt's, and the password is nowhere in the store.
    [(h,)] = g.sql("SELECT hash FROM account")
    assert h.startswith("$y$") and "long-enough-pw" not in h
