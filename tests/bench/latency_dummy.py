#!/usr/bin/env python3
"""Latency on libgammu's dummy phone: from a part dropped into the modem's
inbox to the reply handed to libgammu (the daemon's "sent on" log line, which
follows GSM_SendSMS's return), one message at a time, "帮助" from one
phone (repeat_window = 0, so each is answered). Prints figures.

    make bench            (or: python3 tests/bench/latency_dummy.py [N])
"""
import datetime
import os
import random
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
os.environ.setdefault("CUNGATE_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rel"))
from conftest import Gateway, wait_for  # noqa: E402

SENT = re.compile(r"^(\S+)Z .* outbox: (\d+): sent on ")
RECEIVED = re.compile(r"^(\S+)Z .* received part ")


def stamp(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def log_times(log, pattern):
    """Wall-clock times of the log lines matching pattern, in order."""
    with open(log, errors="replace") as f:
        return [stamp(m.group(1)) for m in map(pattern.match, f) if m]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        # One sender, one text, again and again: repeat_window off, or
        # every message after the first is kept unanswered.
        gw = Gateway(tmp, gateway_extra="recipient_hourly_cap = 100000\n"
                     "repeat_window = 0")
        # info level: debug lines would slow the run being measured.
        with open(gw.conf) as f:
            conf = f.read().replace("log_level = debug", "log_level = info")
        with open(gw.conf, "w") as f:
            f.write(conf)
        gw.seed()
        gw.start()
        lat, inside = [], []
        rng = random.Random(1)
        try:
            for i in range(n):
                # Arrivals fall anywhere in the worker's poll cycle.
                time.sleep(rng.random())
                t0 = time.time()
                gw.inject("+8613900000001", "帮助", when="20261127T%06d" % i)
                wait_for(lambda: len(log_times(gw.log, SENT)) > i, timeout=30,
                         what=f"reply {i + 1}", interval=0.005)
                sent = log_times(gw.log, SENT)[i]
                lat.append(sent - t0)
                inside.append(sent - log_times(gw.log, RECEIVED)[i])
        finally:
            gw.stop()

    def figures(xs):
        xs = sorted(xs)
        return (f"median {statistics.median(xs) * 1000:.0f} ms, "
                f"p90 {xs[int(len(xs) * 0.9) - 1] * 1000:.0f} ms, "
                f"max {xs[-1] * 1000:.0f} ms")
    print(f"dummy phone, {n} messages one at a time (poll_interval = 1 s):")
    print(f"  part dropped in the inbox -> reply handed to libgammu: {figures(lat)}")
    print(f"  part read by the worker   -> reply handed to libgammu: {figures(inside)}")


if __name__ == "__main__":
    main()
