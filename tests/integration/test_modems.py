"""Real-modem behaviour against the simulated AT modem (tests/modemsim),
driven by libgammu's own AT driver over proxyat: instant receive, send
results and retries, missed calls, health, several modems, faults."""
import os
import signal
import sqlite3
import sys
import time

import pytest

from conftest import ROOT, render, wait_for, worker_pids

sys.path.insert(0, os.path.join(ROOT, "tests", "modemsim"))
import pdu  # noqa: E402

RESIDENT = "+8613900000001"


def sent_to(sim, phone):
    return [s for s in sim.sent() if s["to"] == phone]


def rows_to(gw, phone, state=None):
    return [r for r in gw.outbox(state) if r["recipient"] == phone]


def cmti_to_cmgs(sim, phone):
    """Seconds from the +CMTI of the first SMS to the AT+CMGS answering it."""
    log = sim.log()
    cmti = next(e["time"] for e in log
                if e.get("event") == "urc" and "+CMTI" in e.get("data", ""))
    cmgs = next(s["time"] for s in sim.sent() if s["to"] == phone)
    return cmgs - cmti


def test_cmti_is_answered_without_waiting_for_a_poll(make_gw):
    gw = make_gw(modems=(), sims=("m1",),
                 modem_extra={"m1": ["poll_interval = 60"]})
    gw.seed()
    gw.start()
    sim = gw.sims["m1"]
    sim.inject(RESIDENT, "帮助")
    wait_for(lambda: sent_to(sim, RESIDENT), timeout=20, what="reply PDU")
    [pdu] = sent_to(sim, RESIDENT)
    assert pdu["text"] == render("help", name="王秀英")
    assert pdu["encoding"] == "ucs2"
    delay = cmti_to_cmgs(sim, RESIDENT)
    assert delay < 5, f"+CMTI to AT+CMGS took {delay:.2f}s"
    wait_for(lambda: sim.sim() and sim.sim()["used"] == 0,
             what="message deleted from the SIM")


def test_a_two_part_reply_goes_out_as_two_linked_pdus(make_gw):
    gw = make_gw(modems=(), sims=("m1",))
    gw.seed()
    gw.start()
    text = "村委会通知：" + "本周六上午九点在村委会大院举行义诊，请需要的村民带好医保卡准时参加。" * 2
    gw.ctl("send", RESIDENT, text)
    pdus = wait_for(lambda: len(sent_to(gw.sims["m1"], RESIDENT)) == 2 and
                    sent_to(gw.sims["m1"], RESIDENT), what="two parts")
    assert [p["udh"]["seq"] for p in pdus] == [1, 2]
    assert pdus[0]["udh"]["ref"] == pdus[1]["udh"]["ref"]
    assert "".join(p["text"] for p in pdus) == text
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), what="sent row")
    assert row["parts"] == 2


def test_cms_error_is_retried_while_others_go_and_permanent_stops(make_gw):
    gw = make_gw(modems=(), sims=("m1",), gateway_extra="retry_backoff = 3")
    gw.start()
    sim = gw.sims["m1"]
    sim.faults(**{"AT+CMGS": {"mode": "cms_error", "code": 38, "count": 1}})
    gw.ctl("send", "13900000011", "第一条")
    wait_for(lambda: rows_to(gw, "+8613900000011", "queued") and
             rows_to(gw, "+8613900000011")[0]["attempts"] == 1,
             what="first attempt failed")
    gw.ctl("send", "13900000012", "第二条")
    gw.ctl("send", "13900000013", "第三条")
    wait_for(lambda: sent_to(sim, "+8613900000012") and
             sent_to(sim, "+8613900000013"), what="later messages out")
    # The failed one is still waiting out its backoff, then goes.
    [row] = wait_for(lambda: rows_to(gw, "+8613900000011", "sent"),
                     timeout=30, what="retried message sent")
    assert row["attempts"] == 1
    assert len(sent_to(sim, "+8613900000011")) == 1
    # An unassigned number is not tried again.
    sim.faults(**{"AT+CMGS": {"mode": "cms_error", "code": 1}})
    gw.ctl("send", "13900000014", "坏号码")
    [row] = wait_for(lambda: rows_to(gw, "+8613900000014", "failed"),
                     what="permanent failure")
    assert row["attempts"] == 1
    assert "1" in row["last_error"]
    time.sleep(4)      # longer than the backoff: no second try
    assert rows_to(gw, "+8613900000014")[0]["attempts"] == 1


LONG_NOTICE = "村委会通知：" + \
    "本周六上午九点在村委会大院举行义诊，请需要的村民带好医保卡准时参加。" * 2


def test_a_failed_part_goes_again_alone_under_the_same_reference(make_gw):
    # Part 1 of 2 went; part 2 met +CMS ERROR 38. The retry sends part 2
    # only, with part 1's concatenation reference, so the phone joins it
    # to the part it holds: one whole message, no part twice.
    gw = make_gw(modems=(), sims=("m1",), gateway_extra="retry_backoff = 2")
    gw.start()
    sim = gw.sims["m1"]
    sim.faults(**{"AT+CMGS": {"mode": "cms_error", "code": 38, "count": 1,
                              "after": 1}})
    gw.ctl("send", RESIDENT, LONG_NOTICE)
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=30,
                     what="sent after the retry")
    assert row["attempts"] == 1 and row["parts"] == 2, row
    pdus = sent_to(sim, RESIDENT)
    assert [p["udh"]["seq"] for p in pdus] == [1, 2], pdus
    assert pdus[0]["udh"]["ref"] == pdus[1]["udh"]["ref"]
    assert "".join(p["text"] for p in pdus) == LONG_NOTICE
    assert "sent 1 more part of 2" in gw.logtext()


def test_the_rest_of_a_message_waits_for_the_modem_that_sent_its_start(
        make_gw):
    # Part 1 of 2 went on m1, part 2 met +CMS ERROR 38; then m1 goes
    # away for a while (its worker restarts). The retry must not send the
    # whole message by m2 (part 1 twice, from two numbers): it waits for
    # m1 and sends part 2 there, under the same reference.
    gw = make_gw(modems=(), sims=("m1", "m2"), gateway_extra="retry_backoff = 2",
                 modem_extra={"m1": ["prefixes = 139"]})
    gw.start()
    wait_for(lambda: gw.modem_state("m1") == "up" and
             gw.modem_state("m2") == "up", what="both up")
    m1, m2 = gw.sims["m1"], gw.sims["m2"]
    m1.faults(**{"AT+CMGS": {"mode": "cms_error", "code": 38, "count": 1,
                             "after": 1}})
    gw.ctl("send", RESIDENT, LONG_NOTICE)
    wait_for(lambda: "part 2/2: +CMS ERROR 38" in gw.logtext(),
             what="part 2 failing")
    m1.faults(dead=1)
    wait_for(lambda: gw.modem_state("m1") != "up", timeout=30,
             what="m1 away", interval=0.05)
    time.sleep(8)           # the retry is due; m2 is up
    assert sent_to(m2, RESIDENT) == [], "sent whole by m2"
    m1.faults()
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=90,
                     what="sent by m1 again")
    assert row["parts"] == 2, row
    pdus = sent_to(m1, RESIDENT)
    assert [p["udh"]["seq"] for p in pdus] == [1, 2], pdus
    assert pdus[0]["udh"]["ref"] == pdus[1]["udh"]["ref"]
    assert sent_to(m2, RESIDENT) == []


def test_the_rest_of_a_message_waits_for_its_modem_while_it_rests(make_gw):
    # Part 1 of 2 went on m1; then m1 swallows part 2 twice (no answer to
    # AT+CMGS) and rests out of rotation for a minute. The rest must wait
    # for m1 and go there, not go whole by m2: part 1 twice, from two
    # numbers (only an urgent message goes whole at once).
    gw = make_gw(modems=(), sims=("m1", "m2"),
                 modem_extra={"m1": ["prefixes = 139"]})
    gw.start()
    wait_for(lambda: gw.modem_state("m1") == "up" and
             gw.modem_state("m2") == "up", what="both up")
    m1, m2 = gw.sims["m1"], gw.sims["m2"]
    m1.faults(status_report=True,
              **{"AT+CMGS": {"mode": "silence", "after": 1}})
    gw.ctl("send", RESIDENT, LONG_NOTICE)
    wait_for(lambda: "no send status" in gw.logtext(), timeout=30,
             what="part 2 swallowed")
    # Each new worker's modem lets nothing through now.
    m1.faults(status_report=True, **{"AT+CMGS": {"mode": "silence"}})
    wait_for(lambda: "out of rotation" in gw.logtext(), timeout=120,
             what="m1 resting")
    m1.faults(status_report=True)
    time.sleep(15)
    assert sent_to(m2, RESIDENT) == [], "sent whole by m2"
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=120,
                     what="the rest sent by m1")
    pdus = sent_to(m1, RESIDENT)
    assert [p["udh"]["seq"] for p in pdus] == [1, 2], pdus
    assert sent_to(m2, RESIDENT) == []


def test_a_worker_lost_between_parts_sends_only_the_rest(make_gw):
    # The modem swallows part 2 (no answer to AT+CMGS): the worker gives
    # up and is replaced, the message in doubt. Part 1's status report
    # proves part 1 only; half a message is not "sent": at the deadline
    # part 2 goes, alone, under the same reference.
    gw = make_gw(modems=(), sims=("m1",))
    gw.start()
    sim = gw.sims["m1"]
    sim.faults(status_report=True,
               **{"AT+CMGS": {"mode": "silence", "count": 1, "after": 1}})
    gw.ctl("send", RESIDENT, LONG_NOTICE)
    wait_for(lambda: "no send status" in gw.logtext(), timeout=30,
             what="the worker giving up on part 2")
    wait_for(lambda: "part " in gw.logtext() and
             rows_to(gw, RESIDENT, "queued"), what="in doubt")
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=60,
                     what="sent whole")
    assert row["parts"] == 2, row
    pdus = sent_to(sim, RESIDENT)
    assert [p["udh"]["seq"] for p in pdus] == [1, 2], pdus
    assert pdus[0]["udh"]["ref"] == pdus[1]["udh"]["ref"]
    time.sleep(3)
    assert len(sent_to(sim, RESIDENT)) == 2


def test_a_silent_modem_is_replaced_and_the_message_goes_by_the_other(make_gw):
    gw = make_gw(modems=(), sims=("m1", "m2"),
                 modem_extra={"m1": ["prefixes = 139"]})
    gw.start()
    wait_for(lambda: gw.modem_state("m2") == "up", what="m2 up")
    m1, m2 = gw.sims["m1"], gw.sims["m2"]
    [old] = worker_pids(gw.conf, "m1")
    m1.faults(**{"AT+CMGS": {"mode": "silence"}})
    gw.ctl("send", RESIDENT, "测试故障切换")
    wait_for(lambda: any(e.get("cmd", "").startswith("AT+CMGS")
                         for e in m1.log()), what="m1 tries")
    # The worker gives up waiting for +CMGS and is replaced; the message,
    # in doubt, waits for a status report that never comes, then goes by m2.
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=60,
                     what="sent through m2")
    assert row["modem"] == "m2"
    assert len(sent_to(m2, RESIDENT)) == 1
    assert sent_to(m1, RESIDENT) == []
    wait_for(lambda: [p for p in worker_pids(gw.conf, "m1") if p != old],
             timeout=30, what="m1's worker replaced")


def test_a_restart_holds_what_was_in_flight_in_doubt(make_gw):
    # The daemon died while a part was inside AT+CMGS: its row is still
    # "sending". The restarted daemon must not send it again at once (the
    # network may have it): it waits for a status report like after a
    # worker's death, and sends it only when none comes by the deadline.
    gw = make_gw(modems=(), sims=("m1",))
    gw.seed()
    gw.ctl("send", RESIDENT, "重启前在途的短信")
    gw.sql("UPDATE outbox SET state = 1, modem = 'm1', sent_at = ?",
           int(time.time()))
    gw.start()
    sim = gw.sims["m1"]
    wait_for(lambda: gw.modem_state("m1") == "up", what="m1 up")
    [row] = rows_to(gw, RESIDENT)
    assert row["state"] == "queued" and row["attempts"] == 1, row
    assert "in doubt" in row["last_error"], row
    assert sent_to(sim, RESIDENT) == []
    # No report comes for it: at least once, after the deadline.
    wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=60,
             what="sent after the deadline")
    assert len(sent_to(sim, RESIDENT)) == 1


def test_a_report_unread_on_a_restarting_modem_still_settles(make_gw):
    # The daemon died while a part was inside AT+CMGS on m1; its status
    # report is on m1's SIM, but m1 cannot list its SIM for half a minute
    # (garbage answers to AT+CMGL, no +CDSI): its worker restarts again
    # and again. The message must wait for m1, not go again by m2 at its
    # 20 s deadline: once m1 reads its SIM, the report settles it.
    gw = make_gw(modems=(), sims=("m1", "m2"))
    gw.seed()
    gw.ctl("send", RESIDENT, "重启前在途的短信")
    gw.sql("UPDATE outbox SET state = 1, modem = 'm1', encoded_parts = 1,"
           " sent_at = ?", int(time.time()))
    m1, m2 = gw.sims["m1"], gw.sims["m2"]
    m1.faults(no_cmti=True, **{"AT+CMGL": {"mode": "garbage"}})
    hexpdu, _ = pdu.encode_status_report(77, RESIDENT, smsc="+8613800290500")
    m1._drop("inject", "report.pdu", hexpdu)
    gw.start()
    wait_for(lambda: gw.modem_state("m2") == "up", what="m2 up")
    time.sleep(35)
    assert sent_to(m1, RESIDENT) + sent_to(m2, RESIDENT) == [], \
        "sent again while its report waited on m1's SIM"
    m1.faults()
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=60,
                     what="settled by its report")
    assert row["delivery"] == "delivered", row
    assert sent_to(m1, RESIDENT) + sent_to(m2, RESIDENT) == []


@pytest.mark.sqlite_only("SQLite's write lock on its file stands for an outage")
def test_reports_settle_a_long_message_in_doubt_across_a_crash(make_gw):
    # A two-part message goes out while another process holds the store's
    # write lock, so its outcome cannot be recorded; its parts' status
    # reports reach the SIM, and the daemon dies before recording them
    # either. The reports stay on the SIM until recorded, so the next run
    # reads them, settles the message as sent in both its parts, and
    # never sends it again.
    gw = make_gw(modems=(), sims=("m1",))
    gw.seed()
    sim = gw.sims["m1"]
    sim.faults(**{"AT+CMGS": {"mode": "delay", "seconds": 1}})
    gw.start()
    text = "村里通知：" + "明天上午九点在村委会院子里开会，请各家派一人参加。" * 3
    gw.ctl("send", RESIDENT, text)
    wait_for(lambda: any(e.get("cmd", "").startswith("AT+CMGS")
                         for e in sim.log()), what="the first part going")
    db = sqlite3.connect(gw.database, timeout=5, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        parts = wait_for(lambda: (lambda p: p if len(p) == 2 else None)(
            sent_to(sim, RESIDENT)), what="both parts taken")
        wait_for(lambda: "result not recorded yet" in gw.logtext(),
                 what="the outcome kept")
        for n, p in enumerate(parts):
            hexpdu, _ = pdu.encode_status_report(p["mr"], RESIDENT,
                                                 smsc="+8613800290500")
            sim._drop("inject", f"{n}-report.pdu", hexpdu)
        wait_for(lambda: gw.logtext().count("status report for") >= 2,
                 what="both reports read")
        wait_for(lambda: "keeping status reports" in gw.logtext(),
                 what="the reports kept")
        assert (sim.sim() or {}).get("used") == 2, sim.sim()
        gw.kill9()
    finally:
        db.execute("COMMIT")
        db.close()
    gw.start()
    [row] = wait_for(lambda: [r for r in rows_to(gw, RESIDENT, "sent")
                              if r.get("delivery") == "delivered"],
                     timeout=30, what="settled by its reports")
    assert row["parts"] == 2, row
    wait_for(lambda: (sim.sim() or {}).get("used") == 0, what="SIM empty")
    # Past the deadline a report had: nothing went again.
    time.sleep(22)
    assert len(sent_to(sim, RESIDENT)) == 2
    assert [r["state"] for r in rows_to(gw, RESIDENT)] == ["sent"]


def long_notice_going(make_gw, seconds):
    """A gateway on one modem without status reports, each AT+CMGS taking
    seconds, and a two-part notice whose first part is going: (gw, sim)."""
    gw = make_gw(modems=(), sims=("m1",),
                 modem_extra={"m1": ["delivery_reports = no"]})
    gw.seed()
    gw.start()
    sim = gw.sims["m1"]
    sim.faults(**{"AT+CMGS": {"mode": "delay", "seconds": seconds}})
    gw.ctl("send", RESIDENT, LONG_NOTICE)
    wait_for(lambda: any(e.get("cmd", "").startswith("AT+CMGS")
                         for e in sim.log()), what="the first part going")
    return gw, sim


@pytest.mark.sqlite_only("SQLite's write lock on its file stands for an outage")
def test_parts_sent_during_a_store_outage_survive_a_crash(make_gw):
    # Both parts of a message go while another process holds the store's
    # write lock, and the daemon dies before the store answers. No status
    # report will come (the modem does not ask for them): only the
    # journal of parts beside the database tells the next run that the
    # message went. It must not go again.
    gw, sim = long_notice_going(make_gw, 0.5)
    db = sqlite3.connect(gw.database, timeout=5, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        wait_for(lambda: len(sent_to(sim, RESIDENT)) == 2,
                 what="both parts taken")
        wait_for(lambda: "result not recorded yet" in gw.logtext(),
                 what="the outcome kept")
        journal = gw.journal_path()
        assert os.path.getsize(journal) > 0
        gw.kill9()
    finally:
        db.execute("COMMIT")
        db.close()
    gw.start()
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=30,
                     what="settled from the journal")
    assert row["parts"] == 2, row
    assert "on record from the journal" in gw.logtext()
    assert os.path.getsize(journal) == 0
    time.sleep(8)           # past a lost job's 5 s retry
    assert len(sent_to(sim, RESIDENT)) == 2


def test_parts_the_daemon_never_heard_of_survive_its_crash(make_gw):
    # The daemon stands still (SIGSTOP) while its worker sends both parts
    # of a message: the network takes them, the worker says so, and the
    # daemon, killed before it reads a word, never hears of them (its
    # worker dies with it). No status report will come: only the worker's
    # own journal tells the next run that the message went.
    gw, sim = long_notice_going(make_gw, 1)
    gw.proc.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: len(sent_to(sim, RESIDENT)) == 2,
                 what="both parts taken")
        journal = gw.journal_path("m1")
        wait_for(lambda: os.path.getsize(journal) >= 2 * 20,
                 what="both parts in the worker's journal")
    finally:
        gw.kill9()
    assert not rows_to(gw, RESIDENT, "sent")
    gw.start()
    [row] = wait_for(lambda: rows_to(gw, RESIDENT, "sent"), timeout=60,
                     what="settled")
    assert row["parts"] == 2, row
    time.sleep(25)          # past the deadline of a message in doubt
    assert len(sent_to(sim, RESIDENT)) == 2
    assert "in the modem workers' journals" in gw.logtext()


def test_send_rate_is_the_pace_from_one_start_to_the_next(make_gw):
    # send_rate = 60: a part a second from the start of one to the start
    # of the next, not a second of rest after each send (which gave 35 a
    # minute), so the notice's "will have gone by" estimate holds.
    gw = make_gw(modems=(), sims=("m1",),
                 modem_extra={"m1": ["send_rate = 60"]})
    gw.seed()
    to = [f"1380000{i:04d}" for i in range(8)]
    for phone in to:
        gw.ctl("send", phone, "通知：明天上午停水")
    gw.start()
    sim = gw.sims["m1"]
    wait_for(lambda: len(sim.sent()) == len(to), timeout=60,
             what="every part sent")
    times = sorted(s["time"] for s in sim.sent())
    rate = (len(times) - 1) / (times[-1] - times[0]) * 60
    assert 0.9 * 60 <= rate <= 1.02 * 60, rate


def test_data_sms_is_kept_unanswered_and_a_nul_cuts_no_text(make_gw):
    # An 8-bit data SMS (WAP push, OTA settings) from a mobile number is
    # kept for the operator and never answered; a U+0000 inside a UCS-2
    # text is a character, not its end.
    gw = make_gw(modems=(), sims=("m1",))
    gw.seed()
    gw.start()
    sim = gw.sims["m1"]
    hexpdu, _ = pdu.encode_deliver(RESIDENT, "", encoding="8bit",
                                   data=bytes(range(1, 40)))
    sim._drop("inject", "0-data.pdu", hexpdu)
    wait_for(lambda: [m for m in gw.messages() if m["state"] == "done"],
             what="the data SMS handled")
    sim.inject(RESIDENT, "投诉 村口\u0000路灯坏了三天了", encoding="ucs2")
    rows = wait_for(lambda: (lambda m: m if len(m) == 2 and all(
        r["state"] == "done" for r in m) else None)(gw.messages()),
        what="both handled")
    assert rows[0]["handler"] == "ignored"
    assert "村口" in rows[1]["text"] and "路灯坏了三天了" in rows[1]["text"]
    [ticket] = gw.json("grievance", "list")
    assert "路灯坏了三天了" in ticket["text"]
    wait_for(lambda: len(rows_to(gw, RESIDENT)) == 1, what="one receipt")


def test_a_modem_silent_on_every_send_is_taken_out_of_rotation(make_gw):
    # m1 takes parts and never answers. After two such sends in a row it
    # rests, out of rotation, and what comes next goes by m2 at once
    # instead of hanging on m1 for the watchdog's budget each time.
    gw = make_gw(modems=(), sims=("m1", "m2"),
                 modem_extra={"m1": ["prefixes = 139"]})
    gw.start()
    wait_for(lambda: gw.modem_state("m1") == "up" and
             gw.modem_state("m2") == "up", what="both up")
    m1, m2 = gw.sims["m1"], gw.sims["m2"]
    m1.faults(**{"AT+CMGS": {"mode": "silence"}})

    def cmgs(sim):
        return len([e for e in sim.log() if e["event"] == "cmd" and
                    e.get("cmd", "").startswith("AT+CMGS")])
    gw.ctl("send", "13900000001", "第一条")
    wait_for(lambda: cmgs(m1) == 1, what="m1 takes the first")
    wait_for(lambda: gw.modem_state("m1") != "up", timeout=30,
             what="m1's worker gives up", interval=0.01)
    wait_for(lambda: gw.modem_state("m1") == "up", timeout=30,
             what="m1 back up")
    gw.ctl("send", "13900000002", "第二条")
    wait_for(lambda: cmgs(m1) == 2, timeout=60, what="m1 takes the second")
    wait_for(lambda: "out of rotation" in
             (gw.modem("m1") or {}).get("detail", ""), timeout=30,
             what="m1 out of rotation")
    gw.ctl("send", "13900000003", "第三条")
    wait_for(lambda: sent_to(m2, "+8613900000003"), timeout=15,
             what="the third by m2 at once")
    assert cmgs(m1) == 2 and gw.modem_state("m1") == "down"
    for phone in ("+8613900000001", "+8613900000002"):
        wait_for(lambda: sent_to(m2, phone), timeout=60,
                 what=f"{phone} by m2 in the end")
    assert sent_to(m1, "+8613900000001") == []


def with_dcs(hexpdu, dcs):
    """The SMS-DELIVER hexpdu with its TP-DCS octet replaced."""
    b = bytes.fromhex(hexpdu)
    i = 1 + b[0] + 1                     # past the SMSC and the first octet
    i += 2 + (b[i] + 1) // 2             # past the originating address
    i += 1                               # past TP-PID
    return (b[:i] + bytes([dcs]) + b[i + 1:]).hex().upper()


def test_an_undecodable_sms_blocks_nothing_behind_it(make_gw):
    # A compressed part (DCS 0x28) that libgammu cannot decode made every
    # inbox read fail: the messages behind it were never read. Now the
    # rest are read slot by slot, and it is kept once for the operator
    # (never answered). libgammu cannot delete it (its AT driver reads a
    # message before AT+CMGD): its slot is skipped, and the log says how
    # to free it.
    gw = make_gw(modems=(), sims=("m1",),
                 modem_extra={"m1": ["poll_interval = 1"]})
    gw.seed()
    sim = gw.sims["m1"]
    hexpdu, _ = pdu.encode_deliver("+8613900000002", "", encoding="8bit",
                                   data=bytes(range(10, 30)))
    sim._drop("inject", "0-compressed.pdu", with_dcs(hexpdu, 0x28))
    for i in range(5):
        sim.inject(RESIDENT, f"帮助{i}")
    gw.start()
    rows = wait_for(lambda: (lambda m: m if len(m) == 6 and all(
        r["state"] == "done" for r in m) else None)(gw.messages()),
        timeout=60, what="all six kept and handled")
    bad = [r for r in rows if r["sender"] == "unknown"]
    assert len(bad) == 1 and bad[0]["handler"] == "ignored"
    wait_for(lambda: len(rows_to(gw, RESIDENT)) == 5, what="five answers")
    wait_for(lambda: sim.state().get("deleted", 0) == 5, timeout=30,
             what="the readable slots freed")
    wait_for(lambda: "AT+CMGD=1" in gw.logtext(), what="how to free it")
    # Polls go on; the bad slot is not handed over again.
    n = gw.logtext().count("reading the SIM slot by slot")
    wait_for(lambda: gw.logtext().count("reading the SIM slot by slot") >=
             n + 2, timeout=30, what="two more polls")
    assert len([m for m in gw.messages() if m["sender"] == "unknown"]) == 1


def test_a_ring_is_recorded_and_hung_up(make_gw):
    gw = make_gw(modems=(), sims=("m1",))
    gw.seed()
    gw.start()
    sim = gw.sims["m1"]
    # libgammu reports calls from +CLIP, which it turns on after connecting.
    wait_for(lambda: any(e.get("cmd", "").startswith("AT+CLIP=1")
                         for e in sim.log()), what="caller id enabled")
    sim.ring(RESIDENT)
    calls = wait_for(lambda: gw.json("calls"), what="call recorded")
    assert [c["number"] for c in calls] == [RESIDENT]
    wait_for(lambda: RESIDENT in sim.state().get("hung_up", []),
             what="hung up")
    assert sim.state().get("missed", []) == []
    assert gw.outbox() == []        # a missed call costs nobody anything


def test_a_full_sim_loses_nothing(make_gw):
    gw = make_gw(modems=(), sims=("m1",))
    gw.seed()
    sim = gw.sims["m1"]
    sim.faults(sim_capacity=3)
    for i in range(10):
        sim.inject(f"+861370000{i:04d}", f"第{i}条")
    gw.start()
    wait_for(lambda: len(gw.messages()) == 10, timeout=60, what="ten messages")
    wait_for(lambda: len(gw.outbox("sent")) == 10, timeout=60, what="ten replies")
    assert sorted(m["text"] for m in gw.messages()) == \
        sorted(f"第{i}条" for i in range(10))
    wait_for(lambda: sim.sim()["used"] == 0, what="SIM drained")


def test_no_cmti_still_delivers_within_the_safety_net_poll(make_gw):
    gw = make_gw(modems=(), sims=("m1",),
                 modem_extra={"m1": ["poll_interval = 3"]})
    gw.seed()
    sim = gw.sims["m1"]
    sim.faults(no_cmti=True)
    gw.start()
    t0 = time.time()
    sim.inject(RESIDENT, "帮助")
    wait_for(lambda: sent_to(sim, RESIDENT), timeout=20, what="reply")
    assert time.time() - t0 < 10


def test_health_and_delivery_reports(make_gw):
    gw = make_gw(modems=(), sims=("m1",), gateway_extra="health_interval = 5")
    gw.start()
    sim = gw.sims["m1"]
    sim.faults(status_report=True)
    m = wait_for(lambda: (gw.modem("m1") or {}).get("signal") is not None
                 and gw.modem("m1"), what="health reading")
    assert 0 <= m["signal"] <= 100
    assert m["sim_total"] > 0
    assert m["operator"]
    gw.ctl("send", RESIDENT, "请回执")
    [row] = wait_for(lambda: [r for r in rows_to(gw, RESIDENT)
                              if r.get("delivery") == "delivered"],
                     timeout=20, what="delivered")
    assert row["state"] == "sent"
    assert sent_to(sim, RESIDENT)[0]["srr"]


def test_killing_the_worker_leaves_no_modem_process(make_gw):
    gw = make_gw(modems=(), sims=("m1",))
    gw.start()
    [pid] = worker_pids(gw.conf, "m1")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: [p for p in worker_pids(gw.conf, "m1") if p != pid],
             what="respawn")
    wait_for(lambda: gw.modem_state("m1") == "up", what="up again")
    sims = [p for p in os.listdir("/proc") if p.isdigit() and
            _cmdline_has(p, gw.sims["m1"].dir)]
    assert len(sims) == 1, sims


def _cmdline_has(pid, text):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return any(a.endswith(b"modemsim.py") for a in argv) and \
        text.encode() in argv
