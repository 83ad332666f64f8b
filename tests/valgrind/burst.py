#!/usr/bin/env python3
"""make check-valgrind: the daemon and its modem workers under valgrind's
memcheck, through a short burst of traffic on libgammu's dummy phone (help,
a report, a registration, an elder's check-in, a repeat, a stranger), then
a clean stop. Every process's log must say 0 errors and nothing definitely
lost. Runs the release build (valgrind and AddressSanitizer do not mix).

How the workers are followed: the daemon execs each worker by its own
path (not /proc/self/exe), so `valgrind --trace-children=yes cungated`
runs them under valgrind too. Run it by hand the same way, with
`regex_jit = no` in [gateway] (memcheck cannot see into PCRE2's JIT code):

    valgrind --trace-children=yes --leak-check=full cungated -c FILE
"""
import glob
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ.setdefault("CUNGATE_BUILD", os.path.join(ROOT, "build", "rel"))
from conftest import Gateway, wait_for  # noqa: E402

RESIDENT = "+8613900000001"
STRANGER = "+8613700000000"
TEXTS = [(RESIDENT, "帮助"), (RESIDENT, "投诉 村口路灯坏了三天了"),
         (RESIDENT, "投诉 村口路灯坏了三天了"), (RESIDENT, "報名 四十"),
         (STRANGER, "你好"), (STRANGER, "注册LJZ 赵四"),
         ("+8613900000010", "平安")]


def main():
    tmp = tempfile.mkdtemp(prefix="cungate-valgrind-")
    # PCRE2's JIT code is beyond memcheck's sight: interpret the patterns.
    gw = Gateway(tmp, gateway_extra="regex_jit = no")
    gw.seed()
    gw.ctl("elder", "add", "13900000010", "王秀珍", "--village", "LJZ",
           "--guardian", "13900000011:王丽:女儿")
    vg = ["valgrind", "--trace-children=yes", "--leak-check=full",
          "--show-leak-kinds=definite", "--errors-for-leak-kinds=definite",
          "--error-exitcode=99", "--track-fds=no",
          f"--log-file={tmp}/valgrind.%p.log"]
    gw.start(wrap=vg, timeout=120)
    for i, (sender, text) in enumerate(TEXTS):
        gw.inject(sender, text, when=f"20261202T1000{i:02d}")
    wait_for(lambda: (lambda m: m if len(m) == len(TEXTS) and all(
        r["state"] == "done" for r in m) else None)(gw.messages()),
        timeout=120, what="every message handled")
    # Everything sent, so the worker is idle when the stop comes.
    wait_for(lambda: (lambda o: o and all(r["state"] == "sent" for r in o))(
        gw.outbox()), timeout=180, what="every reply sent")
    gw.stop()
    logs = sorted(glob.glob(os.path.join(tmp, "valgrind.*.log")))
    bad = 0
    for path in logs:
        with open(path, errors="replace") as f:
            text = f.read()
        errors = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        lost = re.search(r"definitely lost: ([\d,]+) bytes", text)
        n_err = int(errors.group(1)) if errors else -1
        n_lost = int(lost.group(1).replace(",", "")) if lost else 0
        ok = n_err == 0 and n_lost == 0
        bad += not ok
        print(f"valgrind: {os.path.basename(path)}: {n_err} errors, "
              f"{n_lost} bytes definitely lost{'' if ok else '  <- see it'}")
        if not ok:
            print(text[-4000:])
    if len(logs) < 2:
        print(f"valgrind: {len(logs)} log(s): the worker was not followed")
        bad += 1
    print(f"{len(logs) - bad if bad <= len(logs) else 0} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
