#!/usr/bin/env python3
"""USSD callbacks per second and latency percentiles with wrk on loopback
(the release build, one dummy-phone modem, log_level info). Two loads:
"menu" (every request opens a session: the first screen) and "action"
(each session opens, then picks 帮助: an inbound message stored, routed
and its reply queued, committed before END). Prints figures.

    make bench-ussd       (or: python3 tests/bench/ussd.py [SECONDS])
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
os.environ.setdefault("CUNGATE_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rel"))
from conftest import ROOT, Gateway  # noqa: E402

SECRET = "bench-secret-0123"

LUA = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tag", MODE .. threads)
end
local n = 0
local id = 0
request = function()
  n = n + 1
  local text = ""
  if MODE == "menu" then
    id = n %% 1000      -- reopened sessions: the first screen
  elseif n %% 2 == 0 then
    text = "4"          -- 帮助: stored, routed, reply queued
  else
    id = id + 1
  end
  local body = "sessionId=" .. tag .. "-" .. id ..
    "&serviceCode=%%2A384%%2A12%%23&phoneNumber=%%2B86139" ..
    string.format("%%08d", id %% 100000000) .. "&text=" .. text
  return wrk.format("POST", "/ussd", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Cungate-Secret"] = "%s"}, body)
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(url, mode, seconds, tmp):
    script = os.path.join(tmp, f"{mode}.lua")
    with open(script, "w") as f:
        f.write(f'MODE = "{mode}"\n' + LUA % SECRET)
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency",
                          "-s", script, url + "/ussd"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    print(f"  {mode:6s}: {rps:8.0f} callbacks/s   p50 {lat.get('50')}   "
          f"p90 {lat.get('90')}   p99 {lat.get('99')}   non-2xx "
          f"{errors.group(1) if errors else 0}")


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        gw = Gateway(tmp, gateway_extra="\n".join([
            "recipient_hourly_cap = 100000", "[http]",
            f"listen = 127.0.0.1:{port}", f"secret = {SECRET}",
            f"ussd_menu = {ROOT}/config/ussd.zh.conf",
            # Finished sessions are kept for retries until the timeout:
            # short here, so that the action load stays under the cap.
            "ussd_timeout = 5"]))
        with open(gw.conf) as f:
            conf = f.read().replace("log_level = debug", "log_level = info")
        with open(gw.conf, "w") as f:
            f.write(conf)
        gw.start()
        try:
            print(f"USSD callbacks, wrk -t2 -c16 for {seconds} s on "
                  f"127.0.0.1, {os.cpu_count()} CPU(s), release build:")
            url = f"http://127.0.0.1:{port}"
            run(url, "menu", seconds, tmp)
            run(url, "action", seconds, tmp)
            with urllib.request.urlopen(url + "/metrics") as r:
                for line in r.read().decode().splitlines():
                    if line.startswith("cungate_ussd_requests_total"):
                        print("  " + line)
        finally:
            gw.stop()


if __name__ == "__main__":
    main()
