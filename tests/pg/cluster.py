#!/usr/bin/env python3
"""A private PostgreSQL server for tests: its own data directory, a Unix
socket in that directory, no TCP, trust authentication, a database and a
superuser both named cungate.

  cluster.py start DIR       initdb DIR/data, start it, createdb; print the
                             conninfo (host=DIR port=PORT dbname=cungate
                             user=cungate); a DIR stopped before is
                             started again as it was
  cluster.py stop DIR        stop it (the files stay)
  cluster.py run -- CMD...   start one in a fresh temporary directory, run
                             CMD with CUNGATE_PG=<conninfo>, stop it, remove
                             the directory; exit with CMD's status

initdb refuses to run as root: as root, DIR is given to the postgres user
(Debian's postgresql package makes it) and the server's programs run
through runuser. DIR's parents must be searchable by that user (a temporary
directory is); the socket stays reachable by root's tests.
"""
import glob
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile

SERVER_USER = "postgres"


def bindir():
    """The directory of initdb and pg_ctl: pg_config's, else Debian's."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                             text=True, check=True).stdout.strip()
        if os.path.exists(os.path.join(out, "initdb")):
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    for b in ["/usr/lib/postgresql/15/bin"] + sorted(
            glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(b, "initdb")):
            return b
    sys.exit("cluster.py: no initdb: apt-get install postgresql "
             "(make deps)")


def as_server(cmd):
    """cmd as the server's user: root cannot run initdb or postgres."""
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--"] + cmd
    return cmd


def run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"cluster.py: {' '.join(cmd)}: exit {proc.returncode}")
    return proc


def conninfo(d, port):
    return f"host={d} port={port} dbname=cungate user=cungate"


def serve(b, d, port):
    """Start the server of d's data on port: a socket in d, no TCP."""
    run(as_server([os.path.join(b, "pg_ctl"), "start", "-w", "-t", "60",
                   "-D", os.path.join(d, "data"),
                   "-l", os.path.join(d, "server.log"),
                   "-o", f"-k {shlex.quote(d)} -c listen_addresses='' "
                   f"-p {port}"]), cwd=d)


def start(d):
    """Start a server in d (made if need be); return its conninfo."""
    d = os.path.abspath(d)
    os.makedirs(d, exist_ok=True)
    if os.geteuid() == 0:
        pw = pwd.getpwnam(SERVER_USER)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o700)
    b = bindir()
    # One port per directory's server: the socket's name, no TCP.
    port = 20000 + os.getpid() % 20000
    data = os.path.join(d, "data")
    if os.path.exists(os.path.join(data, "PG_VERSION")):
        # Started before and stopped: the same server again, same port.
        with open(os.path.join(d, "port")) as f:
            port = int(f.read())
        serve(b, d, port)
        return conninfo(d, port)
    run(as_server([os.path.join(b, "initdb"), "-D", data, "--auth=trust",
                   "-U", "cungate", "-E", "UTF8", "--locale=C.UTF-8"]), cwd=d)
    serve(b, d, port)
    with open(os.path.join(d, "port"), "w") as f:
        f.write(f"{port}\n")
    run([os.path.join(b, "createdb"), "-h", d, "-p", str(port), "-U",
         "cungate", "cungate"])
    return conninfo(d, port)


def stop(d):
    d = os.path.abspath(d)
    data = os.path.join(d, "data")
    if not os.path.exists(os.path.join(data, "postmaster.pid")):
        return
    run(as_server([os.path.join(bindir(), "pg_ctl"), "stop", "-w", "-m",
                   "fast", "-D", data]), cwd=d)


def main(argv):
    if len(argv) == 2 and argv[0] == "start":
        print(start(argv[1]))
        return 0
    if len(argv) == 2 and argv[0] == "stop":
        stop(argv[1])
        return 0
    if len(argv) >= 3 and argv[0] == "run" and argv[1] == "--":
        d = tempfile.mkdtemp(prefix="cungate-pg-")
        try:
            info = start(d)
            env = dict(os.environ, CUNGATE_PG=info)
            return subprocess.run(argv[2:], env=env).returncode
        finally:
            try:
                stop(d)
            finally:
                shutil.rmtree(d, ignore_errors=True)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
