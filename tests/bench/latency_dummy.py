#!/usr/bin/env python3
"""Latency on libgammu's dummy phone: from a part dropped into the modem's
inbox to the reply handed to libgammu (the daemon's "sent on" log line, which
follows GSM_SendSMS's return), one message at a time. Prints figures.

    make bench            (or: python3 tests/bench/latency_dummy.py [N])
"""
import datetime
import os
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


def sent_times(log):
    """Outbox id -> wall-clock time of its "sent on" line."""
    out = {}
    with open(log, errors="replace") as f:
        for line in f:
            m = SENT.match(line)
            if m:
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f")
                out[int(m.group(2))] = t.replace(
                    tzinfo=datetime.timezone.utc).timestamp()
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        gw = Gateway(tmp, gateway_extra="recipient_hourly_cap = 100000")
        # info level: debug lines would slow the run being measured.
        with open(gw.conf) as f:
            conf = f.read().replace("log_level = debug", "log_level = info")
        with open(gw.conf, "w") as f:
            f.write(conf)
        gw.seed()
        gw.start()
        lat = []
        try:
            for i in range(n):
                t0 = time.time()
                gw.inject("+8613900000001", "帮助", when="20261127T%06d" % i)
                wait_for(lambda: len(sent_times(gw.log)) > i, timeout=30,
                         what=f"reply {i + 1}", interval=0.005)
                lat.append(sent_times(gw.log)[max(sent_times(gw.log))] - t0)
        finally:
            gw.stop()
    lat.sort()
    print(f"dummy phone, {n} messages, part dropped -> reply handed to libgammu:")
    print(f"  median {statistics.median(lat) * 1000:.0f} ms, "
          f"p90 {lat[int(n * 0.9) - 1] * 1000:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms, min {lat[0] * 1000:.0f} ms")
    print("  (the worker reads the dummy inbox every poll_interval = 1 s, so "
          "the median is dominated by that poll)")


if __name__ == "__main__":
    main()
