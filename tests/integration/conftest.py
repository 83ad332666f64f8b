"""Black-box harness: a private directory per test with its own config,
database and libgammu dummy-phone modem(s); the real cungated and
cungatectl binaries; waits on conditions with deadlines, never fixed
sleeps. Sanitizer reports in the daemon's log fail the test.

--backend=sqlite (the default) gives each gateway a SQLite file in its
directory; --backend=pg (or CUNGATE_TEST_BACKEND=pg) a fresh database on
one private PostgreSQL server per session: CUNGATE_PG's when set (under
`tests/pg/cluster.py run`), else one tests/pg/cluster.py starts and stops.
Tests marked sqlite_only (they lock, copy or restore the database file)
are skipped there. Write --backend=pg with the "=", or after the paths:
pytest reads this file's options only once it has found the paths."""
import configparser
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("CUNGATE_BUILD", os.path.join(ROOT, "build", "asan"))
DAEMON = os.path.join(BUILD, "cungated")
CTL = os.path.join(BUILD, "cungatectl")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")
CLUSTER = os.path.join(ROOT, "tests", "pg", "cluster.py")
BACKENDS = ("sqlite", "pg")
BACKEND = os.environ.get("CUNGATE_TEST_BACKEND", "sqlite")  # --backend's


# --- the backend ---

def pytest_addoption(parser):
    parser.addoption("--backend", choices=BACKENDS,
                     default=os.environ.get("CUNGATE_TEST_BACKEND", "sqlite"),
                     help="the store under test: sqlite (a file per "
                     "gateway) or pg (a database per gateway on a private "
                     "PostgreSQL server); default $CUNGATE_TEST_BACKEND or "
                     "sqlite")


def pytest_configure(config):
    global BACKEND
    BACKEND = config.getoption("backend")
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test is about SQLite's own "
        "files or locks; skipped with --backend=pg")


def pytest_collection_modifyitems(config, items):
    if BACKEND == "sqlite":
        return
    for item in items:
        mark = item.get_closest_marker("sqlite_only")
        if mark is not None:
            why = mark.args[0] if mark.args else \
                mark.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"sqlite only: {why}"))


def pytest_unconfigure(config):
    pg_stop()


# The session's server: its conninfo, the directory of the one we started
# (None when CUNGATE_PG lent one), the databases made so far, and why it
# would not start (once is enough to say so).
_pg = {"conninfo": None, "dir": None, "n": 0, "error": None}


def psql_bin():
    path = shutil.which("psql")
    if path:
        return path
    try:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                                text=True, check=True).stdout.strip()
        return os.path.join(bindir, "psql")
    except (OSError, subprocess.CalledProcessError):
        return "psql"


def pg_server():
    """The conninfo of the session's PostgreSQL server: CUNGATE_PG's, else
    one started now in a temporary directory (stopped at the end)."""
    if _pg["error"]:
        raise RuntimeError(_pg["error"])
    if _pg["conninfo"] is None:
        if os.environ.get("CUNGATE_PG"):
            _pg["conninfo"] = os.environ["CUNGATE_PG"]
            return _pg["conninfo"]
        _pg["dir"] = tempfile.mkdtemp(prefix="cungate-pg-")
        out = subprocess.run([sys.executable, CLUSTER, "start", _pg["dir"]],
                             capture_output=True, text=True)
        if out.returncode != 0 or not out.stdout.strip():
            _pg["error"] = (f"tests/pg/cluster.py start: exit "
                            f"{out.returncode}: {out.stderr.strip()}")
            raise RuntimeError(_pg["error"])
        _pg["conninfo"] = out.stdout.strip().splitlines()[-1]
    return _pg["conninfo"]


def pg_stop():
    """Stop the server pg_server started, if it did, and remove it."""
    d, _pg["dir"], _pg["conninfo"] = _pg["dir"], None, None
    if d is None:
        return
    try:
        subprocess.run([sys.executable, CLUSTER, "stop", d],
                       capture_output=True, text=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def is_server(database):
    """Does database name a server, as the store decides (a postgres URI
    or a libpq conninfo), rather than a SQLite file?"""
    return database.startswith(("postgresql://", "postgres://")) or \
        re.match(r"[ \t]*[A-Za-z_]\w*[ \t]*=", database, re.A) is not None


def pg_with_dbname(conninfo, dbname):
    """conninfo (a URI or key=value words) naming dbname instead."""
    if conninfo.startswith(("postgresql://", "postgres://")):
        return urllib.parse.urlunsplit(
            urllib.parse.urlsplit(conninfo)._replace(path="/" + dbname))
    words = re.sub(r"(^|\s)dbname\s*=\s*\S+", " ", conninfo).split()
    return " ".join(words + [f"dbname={dbname}"])


def psql(conninfo, script, variables=()):
    """Run script through psql on conninfo (stopping at the first error);
    its unaligned, tuples-only output. variables: (name, value) pairs the
    script interpolates as :'name' (a quoted literal)."""
    cmd = [psql_bin(), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
           "-d", conninfo, "-f", "-"]
    for name, value in variables:
        cmd[-2:-2] = ["-v", f"{name}={value}"]
    proc = subprocess.run(cmd, input=script, capture_output=True, text=True,
                          env=dict(os.environ, PGCLIENTENCODING="UTF8"))
    if proc.returncode != 0:
        raise AssertionError(f"psql: {proc.stderr.strip()}\n{script}")
    return proc.stdout


def new_pg_database():
    """The conninfo of a new, empty database (gw_<pid>_<n>) on the
    session's server; the store makes its schema on first open. Two
    Gateways given the same one are two nodes of one county."""
    server = pg_server()
    _pg["n"] += 1
    name = f"gw_{os.getpid()}_{_pg['n']}"
    psql(server, f"CREATE DATABASE {name};\n")
    return pg_with_dbname(server, name)


def new_database(sqlite_path):
    """A database for a new gateway on the session's backend: the SQLite
    file sqlite_path, or a new PostgreSQL database."""
    return new_pg_database() if BACKEND == "pg" else str(sqlite_path)


def gateway_section(directory, name="db"):
    """A config's [gateway] lines for a database of its own: the SQLite
    file directory/name, or a new PostgreSQL database with directory as
    its state_dir."""
    database = new_database(os.path.join(str(directory), name))
    lines = ["[gateway]", f"database = {database}"]
    if is_server(database):
        lines.append(f"state_dir = {directory}")
    return "\n".join(lines) + "\n"


def sql_placeholders(query, params):
    """query with each ? outside quotes made :'pN' (a str, quoted by psql),
    the number itself or NULL; and the (pN, str) variables psql needs."""
    out, variables, i, quote = [], [], 0, None
    params = list(params)
    for ch in query:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            if i >= len(params):
                raise ValueError(f"too few parameters for {query!r}")
            v = params[i]
            i += 1
            if v is None:
                ch = "NULL"
            elif isinstance(v, bool):
                ch = str(int(v))
            elif isinstance(v, (int, float)):
                ch = repr(v)
            elif isinstance(v, str):
                variables.append((f"p{i}", v))
                ch = f":'p{i}'"
            else:
                raise TypeError(f"sql parameter {v!r}: not str, number or "
                                "None")
        out.append(ch)
    if i != len(params):
        raise ValueError(f"{len(params)} parameters for {i} ? in {query!r}")
    return "".join(out), variables


def sql(database, query, *params):
    """The rows (tuples) of one statement with ? parameters on database,
    a SQLite file or a PostgreSQL conninfo, committed. On PostgreSQL (by
    psql: no driver to install) a SELECT's values come back as JSON types:
    numbers as int or float, NULL as None, the rest as str."""
    if not is_server(database):
        db = sqlite3.connect(database, timeout=10)
        try:
            rows = db.execute(query, params).fetchall()
            db.commit()
            return rows
        finally:
            db.close()
    query, variables = sql_placeholders(query.strip().rstrip(";"), params)
    if not re.match(r"(?is)\s*(select|with|values)\b", query):
        psql(database, query + ";\n", variables)
        return []
    out = psql(database, f"SELECT row_to_json(q) FROM ({query}) q;\n",
               variables)
    return [json.loads(line, object_pairs_hook=lambda kv: tuple(
        v for _, v in kv)) for line in out.splitlines() if line]


def wait_for(pred, timeout=20.0, what="condition", interval=0.05):
    """Poll pred() until it returns something truthy; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def smsbackup(sender, text, ref=None, total=1, seq=1, when=None,
              smsc="+8613800290500", raw_utf16=None):
    """One incoming part as a Gammu smsbackup file, written independently of
    libgammu: UTF-16BE hex text, 200 hex digits per TextNN line."""
    when = when or time.strftime("%Y%m%dT%H%M%S")
    hexed = raw_utf16.hex().upper() if raw_utf16 is not None else \
        text.encode("utf-16-be").hex().upper()
    lines = ["[SMSBackup000]", f'SMSC = "{smsc}"', "PDU = Deliver",
             f"DateTime = {when}", "State = UnRead", f'Number = "{sender}"']
    if total > 1:
        lines.append("UDH = 050003%02X%02X%02X" % (ref, total, seq))
    chunks = [hexed[i:i + 200] for i in range(0, len(hexed), 200)] or [""]
    for i, chunk in enumerate(chunks):
        lines.append(f"Text{i:02d} = {chunk}")
    lines += ["Coding = Unicode_No_Compression", "Folder = 1", "Class = -1",
              ""]
    return "\r\n".join(lines)


MODEMSIM = os.path.join(ROOT, "tests", "modemsim", "modemsim.py")


class Sim:
    """The test's side of one simulated AT modem (tests/modemsim): its
    state directory."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(os.path.join(directory, "inject"), exist_ok=True)
        os.makedirs(os.path.join(directory, "ring"), exist_ok=True)
        self.n = 0

    def _drop(self, sub, name, content):
        self.n += 1
        tmp = os.path.join(self.dir, sub, f".tmp-{os.getpid()}-{self.n}")
        with open(tmp, "w") as f:
            f.write(content)
        os.rename(tmp, os.path.join(self.dir, sub, name))

    def inject(self, sender, text, **kw):
        """An SMS from sender: stored on the SIM and announced (+CMTI). Its
        SMSC time stamp is now, when the network took it, not when a full
        SIM finally had room for it."""
        self.n += 1
        fields = {"time": time.time()}
        fields.update(kw, **{"from": sender, "text": text})
        self._drop("inject", f"{time.time():.6f}-{self.n}.json",
                   json.dumps(fields))

    def ring(self, number):
        self._drop("ring", f"{self.n}", number)

    def faults(self, **faults):
        tmp = os.path.join(self.dir, ".faults.tmp")
        with open(tmp, "w") as f:
            json.dump(faults, f)
        os.rename(tmp, os.path.join(self.dir, "faults.json"))

    def _jsonl(self, name):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return []
        with open(path, errors="replace") as f:
            return [json.loads(line) for line in f if line.strip()]

    def sent(self):
        """Every PDU submitted with AT+CMGS, decoded by the simulator."""
        return self._jsonl("sent.jsonl")

    def log(self):
        return self._jsonl("log.jsonl")

    def state(self):
        path = os.path.join(self.dir, "state.json")
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def sim(self):
        try:
            with open(os.path.join(self.dir, "sim.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


def overridden(base, extra):
    """A section's lines with extra's after them; a key extra sets (before
    any section header of its own) replaces base's: the config reader
    refuses a key given twice."""
    keys = set()
    for line in extra:
        if line.lstrip().startswith("["):
            break
        if "=" in line:
            keys.add(line.split("=", 1)[0].strip())
    return [line for line in base
            if "=" not in line or line.split("=", 1)[0].strip() not in keys
            ] + [line for line in extra if line != ""]


class Gateway:
    def __init__(self, tmp, modems=("m1",), gateway_extra="", sims=(),
                 modem_extra=None, database=None, node=None):
        """modems: dummy-phone modems by name; sims: simulated AT modems
        (libgammu's AT driver over proxyat); modem_extra: {name: [lines]};
        database: a SQLite path or PostgreSQL conninfo (default: a new one
        on the session's backend); node: this daemon's name among several
        on one database (default: the config's)."""
        self.dir = str(tmp)
        os.makedirs(self.dir, exist_ok=True)
        self.database = database or new_database(
            os.path.join(self.dir, "cungate.db"))
        self.node = node
        self.conf = os.path.join(self.dir, "cungate.conf")
        self.log = os.path.join(self.dir, "daemon.log")
        self.modems = list(modems)
        self.proc = None
        self._logf = None
        self.part_seq = 0
        where = [f"database = {self.database}"]
        if node is not None:
            where.append(f"node = {node}")
        if is_server(self.database):
            # The daemon's journals: NODE.parts, NODE.parts.MODEM.
            where.append(f"state_dir = {self.dir}")
        conf = overridden(["[gateway]", *where,
                f"commands = {ROOT}/config/commands.conf",
                f"messages = {ROOT}/config/messages.zh.conf",
                "log_level = debug",
                "heartbeat_interval = 1",
                "watchdog_timeout = 5",
                "tick_interval = 1",
                # Tests run at any hour; those about quiet hours set them.
                "quiet_hours = off"], gateway_extra.split("\n"))
        self.sims = {}
        for name in self.modems:
            os.makedirs(self.modem_dir(name), exist_ok=True)
            conf += overridden([f"[modem {name}]",
                                f"device = {self.modem_dir(name)}",
                                "connection = none", "model = dummy",
                                "poll_interval = 1"],
                               (modem_extra or {}).get(name, []))
        for name in sims:
            sim = Sim(os.path.join(self.dir, "sim-" + name))
            self.sims[name] = sim
            conf += [f"[modem {name}]",
                     f"device = /usr/bin/python3 {MODEMSIM} --state {sim.dir}",
                     "connection = proxyat", "model = at",
                     f"debug_log = {self.dir}/gammu-{name}.log"]
            conf += (modem_extra or {}).get(name, [])
        self.modems += list(sims)
        with open(self.conf, "w") as f:
            f.write("\n".join(conf) + "\n")

    def modem_dir(self, name="m1"):
        return os.path.join(self.dir, "modem-" + name)

    def inbox_dir(self, name="m1"):
        return os.path.join(self.modem_dir(name), "sms", "1")

    # --- the store ---
    def sql(self, query, *params):
        """Rows of one SQL statement (? parameters) on the gateway's
        database, either engine: see sql()."""
        return sql(self.database, query, *params)

    def journal_path(self, modem=None):
        """The daemon's journal of parts the network took (modem None), or
        modem's worker's: beside a SQLite database as DB.parts[.MODEM]; on
        PostgreSQL in state_dir (our directory) as NODE.parts[.MODEM]."""
        suffix = ".parts" + (f".{modem}" if modem else "")
        if not is_server(self.database):
            return self.database + suffix
        if self.node is not None:
            return os.path.join(self.dir, self.node + suffix)
        # The default node's name is the daemon's to choose; one node per
        # state_dir here, so the one journal there is ours.
        found = glob.glob(os.path.join(glob.escape(self.dir), "*" + suffix))
        assert len(found) == 1, f"journals *{suffix} in {self.dir}: {found}"
        return found[0]

    # --- cungatectl ---
    def ctl(self, *args, check=True, input=None):
        proc = subprocess.run([CTL, "-c", self.conf, *args], input=input,
                              capture_output=True, text=True, errors="replace")
        if check and proc.returncode != 0:
            raise AssertionError(f"cungatectl {' '.join(args)} exited "
                                 f"{proc.returncode}: {proc.stderr}")
        return proc

    def json(self, *args):
        return json.loads(self.ctl(*args, "--json").stdout)

    def outbox(self, state=None):
        rows = self.json("outbox", "--limit", "100000",
                         *(["--state", state] if state else []))
        return sorted(rows, key=lambda r: r["id"])

    def messages(self):
        return sorted(self.json("messages", "--limit", "100000"),
                      key=lambda r: r["id"])

    def seed(self):
        """One township, one village, two residents and a cadre."""
        self.ctl("township", "add", "MZ", "米脂镇", "--supervisor", "13900000009")
        self.ctl("village", "add", "LJZ", "刘家庄", "--township", "MZ")
        self.ctl("resident", "add", "13900000001", "王秀英", "--village", "LJZ")
        self.ctl("resident", "add", "13900000002", "李建国", "--village", "LJZ")
        self.ctl("resident", "add", "13900000003", "张明", "--village", "LJZ",
                 "--role", "cadre")

    # --- the dummy phone ---
    def inject(self, sender, text="", modem="m1", **kw):
        """Drop one part into the modem's inbox (temp name, then rename)."""
        d = self.inbox_dir(modem)
        os.makedirs(d, exist_ok=True)
        self.part_seq += 1
        tmp = os.path.join(d, f".inject-{os.getpid()}-{self.part_seq}")
        with open(tmp, "w") as f:
            f.write(smsbackup(sender, text, **kw))
        n = 1
        while True:
            dest = os.path.join(d, str(n))
            try:
                os.link(tmp, dest)
                break
            except FileExistsError:
                n += 1
        os.unlink(tmp)
        return dest

    def inbox_files(self, modem="m1"):
        d = self.inbox_dir(modem)
        if not os.path.isdir(d):
            return []
        return [f for f in os.listdir(d) if not f.startswith(".")]

    # --- the daemon ---
    def start(self, env=None, wrap=(), timeout=20.0):
        """Start the daemon (behind the command wrap, e.g. valgrind) and
        wait until its first modem is up."""
        self._logf = open(self.log, "a")
        self.proc = subprocess.Popen([*wrap, DAEMON, "-c", self.conf],
                                     stdout=self._logf, stderr=self._logf,
                                     env=dict(os.environ, **(env or {})))
        first = self.modems[0] if self.modems else None
        wait_for(lambda: first is None or self.modem_state(first) == "up"
                 or self.proc.poll() is not None, timeout=timeout,
                 what=f"modem {first} up")
        assert self.proc.poll() is None, self.logtext()
        return self.proc

    def modem(self, name="m1"):
        """The modem's row in `cungatectl stats --json`, or None."""
        st = self.ctl("stats", "--json", check=False)
        if st.returncode != 0:
            return None
        for m in json.loads(st.stdout).get("modems", []):
            if m["name"] == name:
                return m
        return None

    def modem_state(self, name="m1"):
        m = self.modem(name)
        return m["state"] if m else None

    def logtext(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("cungated did not stop on SIGTERM")
        self.proc = None
        self._logf.close()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._logf.close()

    def sanitizer_report(self):
        text = self.logtext() if os.path.exists(self.log) else ""
        return [line for line in text.splitlines()
                if any(mark in line for mark in SANITIZER_MARKS)]


def load_templates(path=os.path.join(ROOT, "config", "messages.zh.conf")):
    """The shipped reply templates, read with Python's own INI parser."""
    cp = configparser.ConfigParser(interpolation=None, delimiters=("=",),
                                   comment_prefixes=(";", "#"),
                                   inline_comment_prefixes=(";",))
    cp.optionxform = str
    cp.read(path, encoding="utf-8")
    return {k: v.replace("\n", "") for k, v in cp["messages"].items()}


def render(key, **fields):
    """Render a shipped template the way the gateway documents it."""
    text = load_templates()[key]
    out, i = [], 0
    while i < len(text):
        if text.startswith("{{", i):
            out.append("{"); i += 2
        elif text.startswith("}}", i):
            out.append("}"); i += 2
        elif text[i] == "{":
            j = text.index("}", i)
            out.append(str(fields.get(text[i + 1:j], ""))); i = j + 1
        else:
            out.append(text[i]); i += 1
    return "".join(out)


def worker_pids(conf, name="m1"):
    """Pids of the worker processes of modem name for this config."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if conf.encode() in argv and b"-W" in argv and name.encode() in argv:
            pids.append(int(pid))
    return pids


@pytest.fixture
def gw(tmp_path):
    g = Gateway(tmp_path)
    yield g
    try:
        g.stop()
    finally:
        report = g.sanitizer_report()
        assert not report, "sanitizer report in daemon log:\n" + "\n".join(report)


@pytest.fixture
def pg_database():
    """A new() that makes a new PostgreSQL database and gives its conninfo,
    for tests of several nodes on one database (Gateway(database=,
    node=)); the test is skipped on SQLite."""
    if BACKEND != "pg":
        pytest.skip("needs --backend=pg")
    return new_pg_database


@pytest.fixture
def make_gw(tmp_path):
    made = []

    def make(**kw):
        g = Gateway(tmp_path / f"gw{len(made)}", **kw)
        made.append(g)
        return g
    yield make
    for g in made:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()
