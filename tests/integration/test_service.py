"""cungated as a service: one daemon per database and modem, systemd's
notify protocol, SIGHUP reload, private files, online backup, the
backup before a schema migration, and what `make install` puts where."""
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import time

import pytest

from conftest import CTL, DAEMON, ROOT, is_server, new_database, wait_for

RESIDENT = "+8613900000001"


def version():
    with open(os.path.join(ROOT, "VERSION")) as f:
        return f.read().strip()


def test_version_and_help():
    for prog, name in ((DAEMON, "cungated"), (CTL, "cungatectl")):
        out = subprocess.run([prog, "--version"], capture_output=True,
                             text=True)
        assert (out.returncode, out.stdout) == (0, f"{name} {version()}\n")
        for flag in ("-h", "--help"):
            out = subprocess.run([prog, flag], capture_output=True,
                                 text=True)
            assert out.returncode == 0 and out.stdout.startswith(
                f"usage: {name}"), out
        out = subprocess.run([prog, "--no-such-option"],
                             capture_output=True, text=True)
        assert out.returncode == 2 and "no-such-option" in out.stderr, out


def test_a_second_daemon_on_the_same_database_or_modem_refuses(make_gw):
    gw = make_gw()
    gw.start()
    # A SQLite file is one daemon's; a server's nodes share it.
    if not is_server(gw.database):
        out = subprocess.run([DAEMON, "-c", gw.conf], capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 1, out
        assert "another cungated is running on the database" in out.stderr
    # Another database, the same modem: refused too.
    other = os.path.join(gw.dir, "other.conf")
    with open(gw.conf) as f:
        text = f.read()
    with open(other, "w") as f:
        f.write(text.replace(
            f"database = {gw.database}\n",
            f"database = {new_database(os.path.join(gw.dir, 'other.db'))}\n"))
    out = subprocess.run([DAEMON, "-c", other], capture_output=True,
                         text=True, timeout=20)
    assert out.returncode == 1, out
    assert "[modem m1]: the device" in out.stderr and "in use" in out.stderr
    # The first runs on; once it stops (even by kill -9) the lock is gone.
    assert gw.proc.poll() is None
    gw.kill9()
    gw.start()


@pytest.mark.sqlite_only("the modes of the SQLite file and its -wal, -shm")
def test_database_files_are_private(make_gw):
    gw = make_gw()
    gw.seed()
    gw.start()
    gw.inject(RESIDENT, "帮助")
    wait_for(lambda: gw.outbox(), what="a reply")
    db = os.path.join(gw.dir, "cungate.db")
    for path in (db, db + "-wal", db + "-shm"):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


def notify_socket(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    return sock, path


def notified(sock, want, timeout=20.0):
    """Every datagram until one containing want; all of them joined."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            continue
        if want in got[-1]:
            return "\n".join(got)
    raise AssertionError(f"no {want!r} from the daemon; got {got!r}")


def test_systemd_notify_ready_watchdog_and_stopping(make_gw, tmp_path):
    sock, path = notify_socket(tmp_path)
    gw = make_gw()
    gw.start(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000"})
    first = notified(sock, "READY=1")
    assert "STATUS=" in first and f"MAINPID={gw.proc.pid}" in first
    # Fed from the event loop at half the watchdog's period.
    t0 = time.monotonic()
    notified(sock, "WATCHDOG=1", timeout=3)
    notified(sock, "WATCHDOG=1", timeout=3)
    assert time.monotonic() - t0 < 2.5
    gw.proc.send_signal(signal.SIGTERM)
    assert "STATUS=stopping" in notified(sock, "STOPPING=1")
    gw.proc.wait(timeout=20)
    assert "killed by signal" not in gw.logtext()
    sock.close()


def test_sighup_reloads_templates_and_keeps_them_on_a_bad_file(make_gw,
                                                                tmp_path):
    messages = tmp_path / "messages.conf"
    shutil.copy(os.path.join(ROOT, "config", "messages.zh.conf"), messages)
    gw = make_gw(gateway_extra=f"messages = {messages}")
    gw.seed()
    gw.start()
    text = messages.read_text()
    assert "help = {name}您好！" in text
    # A brace left open: the file does not load, the old one stays.
    messages.write_text(text.replace("help = {name}您好！",
                                     "help = {name您好！", 1))
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "the running configuration is kept" in gw.logtext(),
             what="the bad file refused")
    refused = [line for line in gw.logtext().splitlines()
               if "the running configuration is kept" in line]
    assert f"{messages}:" in refused[0], refused
    gw.inject(RESIDENT, "帮助")
    [before] = wait_for(lambda: gw.outbox(), what="help with the old file")
    assert before["text"].startswith("王秀英您好！可发"), before
    # A good new file: taken at once, no restart.
    messages.write_text(text.replace("help = {name}您好！",
                                     "help = {name}您好（新）！", 1))
    gw.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "daemon: reloaded" in gw.logtext(), what="reloaded")
    gw.inject(RESIDENT, "菜单")
    rows = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        gw.outbox()), what="help with the new file")
    assert rows[1]["text"].startswith("王秀英您好（新）！可发"), rows
    assert gw.proc.poll() is None


@pytest.mark.sqlite_only("backup and restore copy a SQLite file")
def test_backup_while_the_daemon_runs(make_gw, tmp_path):
    gw = make_gw(gateway_extra="recipient_hourly_cap = 100")
    gw.seed()
    gw.start()
    for i in range(20):
        gw.ctl("send", f"139000001{i:02d}", f"第{i}条通知")
    backup = str(tmp_path / "backup.db")
    out = gw.ctl("backup", backup)
    assert f"to {backup}" in out.stdout
    assert stat.S_IMODE(os.stat(backup).st_mode) & 0o077 == 0
    db = sqlite3.connect(backup)
    assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM person").fetchone()[0] == 3
    db.close()
    # The daemon went on sending.
    wait_for(lambda: len(gw.outbox("sent")) == 20, timeout=60,
             what="20 sent")
    assert [f for f in os.listdir(tmp_path) if ".tmp" in f] == []
    # One self-contained file: no WAL to go with it.
    with open(backup, "rb") as f:
        assert f.read(20)[18:20] == b"\x01\x01"  # rollback journal
    # Not over the database itself.
    out = gw.ctl("backup", os.path.join(gw.dir, "cungate.db"), check=False)
    assert out.returncode == 1
    # A restore: refused while the daemon runs; then the backup's state,
    # and a file that is no database is never put in place.
    out = gw.ctl("restore", backup, check=False)
    assert out.returncode == 1 and "cungated is running" in out.stderr
    gw.stop()
    gw.ctl("resident", "add", "13900000077", "新来的", "--village", "LJZ")
    bad = tmp_path / "bad.db"
    bad.write_text("not a database")
    assert gw.ctl("restore", str(bad), check=False).returncode == 1
    assert len(gw.json("resident", "list")) == 4
    journals = [f for f in os.listdir(gw.dir) if ".db.parts" in f]
    assert journals, "the workers' journals of the 20 sends"
    assert "restored" in gw.ctl("restore", backup).stdout
    assert len(gw.json("resident", "list")) == 3
    # Their rows are gone with the database they spoke of.
    assert [f for f in os.listdir(gw.dir) if ".db.parts" in f] == []
    gw.start()


@pytest.mark.sqlite_only("a SQLite file's user_version and its .bak copy")
def test_a_schema_migration_backs_up_first(make_gw):
    gw = make_gw()
    gw.seed()
    path = os.path.join(gw.dir, "cungate.db")
    db = sqlite3.connect(path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    # The database as the release before last left it: without what the
    # last two migrations added (20: covering ticket indexes; 19: the
    # tally per modem the status page and /metrics read, its triggers).
    for index, col in (("ticket_created", "created_at"),
                       ("ticket_resolved", "resolved_at"),
                       ("ticket_resolve_due", "resolve_due"),
                       ("ticket_status", "status, accept_due, resolve_due")):
        db.execute(f"DROP INDEX {index}")
        db.execute(f"CREATE INDEX {index} ON ticket({col})")
    for trigger in ("message", "part", "call", "out_new", "out",
                    "out_gone"):
        db.execute(f"DROP TRIGGER modem_tally_{trigger}")
    db.execute("DROP TABLE modem_tally")
    db.executemany("INSERT INTO call (modem, number, at) VALUES (?, ?, ?)",
                   [("m1", "+8613900000001", 1), ("m2", "+8613900000001", 2),
                    ("m1", "+8613900000002", 3)])
    db.execute(f"PRAGMA user_version = {version - 2}")
    db.commit()
    db.close()
    # Whoever opens it first (here cungatectl) backs up, and says so.
    out = gw.ctl("stats")
    bak = f"{path}.schema-{version - 2}.bak"
    assert os.path.exists(bak)
    assert f"backed up first to {bak}" in out.stderr, out.stderr
    gw.start()
    db = sqlite3.connect(bak)
    assert db.execute("PRAGMA user_version").fetchone()[0] == version - 2
    assert db.execute("SELECT count(*) FROM person").fetchone()[0] == 3
    db.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == version
    sql = db.execute("SELECT sql FROM sqlite_master"
                     " WHERE name = 'ticket_resolved'").fetchone()[0]
    assert "village_id" in sql, sql
    # The tally made from the rows already there: the calls per modem.
    assert db.execute("SELECT modem, n FROM modem_tally WHERE what = 2"
                      " ORDER BY 1").fetchall() == [("m1", 2), ("m2", 1)]
    db.close()


def test_make_install_puts_everything_in_place(tmp_path):
    dest = tmp_path / "root"
    subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT,
                   check=True, capture_output=True)
    usr = dest / "usr" / "local"
    for rel in ("sbin/cungated", "sbin/cungatectl",
                "share/man/man8/cungated.8", "share/man/man8/cungatectl.8",
                "share/man/man5/cungate.conf.5",
                "lib/systemd/system/cungated.service",
                "share/doc/cungate/examples/60-cungate-modems.rules",
                "share/doc/cungate/examples/sysusers.conf",
                "etc/cungate/cungate.conf", "etc/cungate/commands.conf",
                "etc/cungate/messages.zh.conf", "etc/cungate/ussd.zh.conf"):
        assert (usr / rel).is_file(), rel
    assert os.access(usr / "sbin/cungated", os.X_OK)
    # The demo village and its dummy phone stay in the checkout.
    names = [f for _, _, fs in os.walk(dest) for f in fs]
    assert "demo.csv" not in names
    conf = (usr / "etc/cungate/cungate.conf").read_text()
    assert "database = /var/lib/cungate/cungate.db" in conf
    assert "model = dummy" not in conf and "@" not in conf.split(
        "[gateway]")[1].split("\n[")[0]
    unit = (usr / "lib/systemd/system/cungated.service").read_text()
    assert "@" not in unit
    assert "ExecStart=/usr/local/sbin/cungated -c " \
        "/usr/local/etc/cungate/cungate.conf" in unit
    # The shipped config passes its own check.
    out = subprocess.run([str(usr / "sbin/cungated"), "-n", "-c",
                          str(usr / "etc/cungate/cungate.conf")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    # systemd reads the unit without a complaint (its programs where
    # DESTDIR put them; the man pages are not installed on this system).
    check = tmp_path / "cungated.service"
    check.write_text(unit.replace("/usr/local/", f"{usr}/"))
    out = subprocess.run(["systemd-analyze", "verify", "--man=no",
                          str(check)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr.strip() == "", out.stderr
    # A unit with a mistake is caught: the check can fail.
    check.write_text(unit.replace("/usr/local/", f"{usr}/").replace(
        "Type=notify", "Type=notifyy"))
    out = subprocess.run(["systemd-analyze", "verify", "--man=no",
                          str(check)], capture_output=True, text=True)
    assert out.returncode != 0 or out.stderr.strip() != ""
    # An edited config is never overwritten: the new one lands beside it.
    with open(usr / "etc/cungate/cungate.conf", "a") as f:
        f.write("# edited by the county\n")
    subprocess.run(["make", "-s", "install", f"DESTDIR={dest}"], cwd=ROOT,
                   check=True, capture_output=True)
    assert "edited by the county" in \
        (usr / "etc/cungate/cungate.conf").read_text()
    assert (usr / "etc/cungate/cungate.conf.dist").is_file()
    assert not (usr / "etc/cungate/commands.conf.dist").exists()


def test_man_pages_are_clean():
    pages = [os.path.join(ROOT, "man", p) for p in
             ("cungated.8", "cungatectl.8", "cungate.conf.5")]
    out = subprocess.run(["mandoc", "-Tlint", "-W", "warning", *pages],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout + out.stderr == "", \
        out.stdout + out.stderr


def test_tick_at_another_time_refuses_a_live_database(make_gw):
    gw = make_gw()
    gw.seed()
    gw.ctl("send", RESIDENT, "等发送的短信")
    gw.start()
    out = gw.ctl("tick", "--at", "2031-01-01 09:00", check=False)
    assert out.returncode == 1 and "cungated is running" in out.stderr, out
    wait_for(lambda: gw.outbox("sent"), what="the first sent")
    gw.stop()
    # On a copy (no daemon) it runs; even far ahead it expires nothing
    # that waits to go: that goes by the real clock.
    gw.ctl("send", RESIDENT, "第二条")
    assert "tick at 2031-01-01 09:00" in gw.ctl(
        "tick", "--at", "2031-01-01 09:00").stdout
    assert [r["state"] for r in gw.outbox()] == ["sent", "queued"]


def test_retention_deletes_old_rows_and_keeps_what_came_of_them(make_gw):
    gw = make_gw(gateway_extra="tick_interval = 1\n[retention]\n"
                 "messages = 30\noutbox = 30\naudit = 30")
    gw.seed()
    gw.start()
    gw.inject(RESIDENT, "投诉 村口路灯坏了三天了")
    wait_for(lambda: gw.json("grievance", "list"), what="the ticket")
    wait_for(lambda: gw.outbox("sent"), what="the receipt sent")
    gw.inject(RESIDENT, "帮助")
    wait_for(lambda: len(gw.outbox("sent")) >= 3, what="help sent")
    # The first message, its replies and the audit are 31 days old now.
    old = int(time.time()) - 31 * 86400
    [(first,)] = gw.sql("SELECT min(id) FROM message")
    # One statement at a time, the message last: a tick between them finds
    # its replies and audit old already.
    gw.sql("UPDATE outbox SET created_at = ? WHERE message_id = ?", old, first)
    gw.sql("UPDATE audit SET at = ?", old)
    gw.sql("UPDATE message SET received_at = ? WHERE id = ?", old, first)
    wait_for(lambda: gw.sql("SELECT count(*) FROM message WHERE id = ?",
                            first) == [(0,)],
             what="the old message deleted")
    assert gw.sql("SELECT count(*) FROM message") == [(1,)]
    assert gw.sql("SELECT count(*) FROM outbox WHERE created_at = ?",
                  old) == [(0,)]
    assert gw.sql("SELECT count(*) FROM audit WHERE at = ?", old) == [(0,)]
    # The ticket keeps its text; the newer message and reply are kept.
    [ticket] = gw.json("grievance", "list")
    assert "路灯坏了三天了" in ticket["text"]
    assert [m["text"] for m in gw.messages()] == ["帮助"]
    assert "retention" in gw.logtext()
