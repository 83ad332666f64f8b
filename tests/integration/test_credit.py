"""SIM credit over the modem's own USSD (issue 7): the simulated modem
answers the balance code from its ussd.json; the amount is extracted with
balance_pattern, shown in /metrics, and a fall below balance_threshold
tells the admins once, not once per reading."""
import json
import os
import signal
import urllib.request

from conftest import Gateway, render, wait_for, worker_pids
from test_http import free_port, metric, parse_prometheus

ADMIN = "+8613900000009"


def set_balance(sim, text):
    tmp = os.path.join(sim.dir, ".ussd.tmp")
    with open(tmp, "w") as f:
        json.dump({"*100#": {"text": text, "status": 0}}, f,
                  ensure_ascii=False)
    os.rename(tmp, os.path.join(sim.dir, "ussd.json"))


def readings(g):
    return g.logtext().count("modem s1: SIM credit ")


def test_low_credit_alerts_once_and_shows_in_metrics(tmp_path):
    port = free_port()
    g = Gateway(tmp_path, modems=(), sims=("s1", "s2"),
                gateway_extra="\n".join([
                    "admin_phones = 13900000009", "[http]",
                    f"listen = 127.0.0.1:{port}"]),
                modem_extra={"s1": [
                    "balance_ussd = *100#", "balance_interval = 3600",
                    r"balance_pattern = 余额为?(\d+(?:\.\d+)?)元",
                    "balance_threshold = 10"]})
    set_balance(g.sims["s1"], "尊敬的客户，您的账户余额为5.20元，请及时充值。")
    g.start()
    url = f"http://127.0.0.1:{port}/metrics"

    def credit():
        with urllib.request.urlopen(url, timeout=10) as r:
            _, s = parse_prometheus(r.read().decode())
        return metric(s, "cungate_modem_credit", modem="s1")

    def alerts():
        return [r for r in g.outbox() if r["recipient"] == ADMIN]

    def reread():
        """Kill s1's worker: the respawned one reads the balance again."""
        n = readings(g)
        for pid in worker_pids(g.conf, "s1"):
            os.kill(pid, signal.SIGKILL)
        wait_for(lambda: readings(g) > n, timeout=60, what="a new reading")

    try:
        wait_for(lambda: credit() == 5.2, timeout=60, what="credit 5.20")
        [alert] = wait_for(alerts, what="the low-credit alert")
        assert alert["text"] == render("credit_low", modem="s1",
                                       credit="5.20", threshold="10.00")
        # Read again, still low: no second alert.
        reread()
        assert credit() == 5.2 and len(alerts()) == 1
        # Topped up, then low again: one more alert.
        set_balance(g.sims["s1"], "您的账户余额为50元。")
        reread()
        assert credit() == 50.0 and len(alerts()) == 1
        set_balance(g.sims["s1"], "您的账户余额为3.5元。")
        reread()
        wait_for(lambda: len(alerts()) == 2, what="the second alert")
        assert credit() == 3.5
        # The modem without a balance code shows no credit.
        with urllib.request.urlopen(url, timeout=10) as r:
            _, s = parse_prometheus(r.read().decode())
        assert ("cungate_modem_credit", (("modem", "s2"),)) not in s
    finally:
        g.stop()
        assert not g.sanitizer_report(), g.sanitizer_report()
