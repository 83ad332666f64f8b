"""The foundation end to end on libgammu's dummy phone: one SMS in, one
reply out, nothing lost."""
import datetime
import os
import signal
import subprocess
import time
from zoneinfo import ZoneInfo

from conftest import DAEMON, render, wait_for, worker_pids

RESIDENT = "+8613900000001"
CADRE = "+8613900000003"
STRANGER = "+8613700000000"
LONG = ("村东头的路灯已经坏了三个多星期了，晚上老人出门很不方便，"
        "上周还有人摔倒了。希望村委会尽快安排人来修一下，另外村西的水管"
        "也经常漏水，麻烦一起看看，村里的老人和孩子都等着用水。谢谢！")


def sent_to(gw, phone):
    return [r for r in gw.outbox() if r["recipient"] == phone]


def test_two_part_chinese_message_is_reassembled_and_answered(gw):
    assert len(LONG) > 80
    gw.seed()
    gw.start()
    half = 67
    gw.inject(RESIDENT, LONG[:half], ref=42, total=2, seq=1)
    gw.inject(RESIDENT, LONG[half:], ref=42, total=2, seq=2)
    rows = wait_for(lambda: [r for r in sent_to(gw, RESIDENT)
                             if r["state"] == "sent"], what="reply sent")
    msgs = gw.messages()
    assert len(msgs) == 1
    assert msgs[0]["text"] == LONG
    assert msgs[0]["parts"] == 2 and not msgs[0]["partial"]
    assert len(rows) == 1
    # Free text from a resident is a report (issue 4): a receipt.
    [ticket] = gw.json("grievance", "list")
    assert ticket["text"].startswith("村东头的路灯已经坏了三个多星期了")
    assert rows[0]["text"] == render("grievance_receipt",
                                     ticket=ticket["code"], hours=24)
    assert rows[0]["parts"] >= 1 and rows[0]["modem"] == "m1"
    wait_for(lambda: gw.inbox_files() == [], what="parts deleted from SIM")


def test_simulate_drops_a_message_the_daemon_answers(gw):
    gw.seed()
    gw.start()
    out = gw.ctl("simulate", "13900000001", "帮助").stdout
    assert "1" in out
    rows = wait_for(lambda: [r for r in sent_to(gw, RESIDENT)
                             if r["state"] == "sent"], what="help reply")
    assert [r["text"] for r in rows] == [render("help", name="王秀英")]


def test_a_long_simulated_message_arrives_whole(gw):
    gw.seed()
    gw.start()
    gw.ctl("simulate", RESIDENT, LONG)
    wait_for(lambda: gw.messages(), what="message")
    wait_for(lambda: sent_to(gw, RESIDENT), what="reply")
    msgs = gw.messages()
    assert len(msgs) == 1 and msgs[0]["text"] == LONG and msgs[0]["parts"] == 2


def test_the_same_part_twice_is_one_message_and_one_reply(gw):
    gw.seed()
    when = "20261127T101500"
    gw.inject(RESIDENT, "帮助", when=when)
    gw.inject(RESIDENT, "帮助", when=when)
    gw.start()
    wait_for(lambda: gw.inbox_files() == [], what="both copies deleted")
    wait_for(lambda: sent_to(gw, RESIDENT), what="reply")
    # A later, different message proves the first was fully handled.
    gw.inject(RESIDENT, "BZ")
    wait_for(lambda: len(sent_to(gw, RESIDENT)) >= 2, what="second reply")
    assert len(gw.messages()) == 2
    assert len(sent_to(gw, RESIDENT)) == 2


def test_daemon_killed_between_store_and_delete_loses_nothing(gw):
    gw.seed()
    gw.inject(RESIDENT, "帮助", when="20261127T101500")
    gw._logf = open(gw.log, "a")
    env = dict(os.environ, CUNGATE_FAULT="crash_after_store")
    proc = subprocess.Popen([DAEMON, "-c", gw.conf], stdout=gw._logf,
                            stderr=gw._logf, env=env)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    gw._logf.close()
    # The part is stored but still on the SIM.
    assert gw.inbox_files() != []
    assert len(gw.messages()) == 1
    wait_for(lambda: worker_pids(gw.conf) == [], what="worker gone")
    gw.start()
    wait_for(lambda: gw.inbox_files() == [], what="part deleted after restart")
    wait_for(lambda: [r for r in sent_to(gw, RESIDENT) if r["state"] == "sent"],
             what="reply")
    gw.inject(RESIDENT, "HELP")     # a marker: everything before it is done
    wait_for(lambda: len(sent_to(gw, RESIDENT)) >= 2, what="marker reply")
    assert len(gw.messages()) == 2
    assert len(sent_to(gw, RESIDENT)) == 2


def test_killed_worker_is_respawned_and_queued_replies_go(gw):
    gw.seed()
    gw.start()
    [pid] = wait_for(lambda: worker_pids(gw.conf), what="worker")
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    gw.ctl("send", CADRE, "测试消息")
    new = wait_for(lambda: [p for p in worker_pids(gw.conf) if p != pid],
                   what="new worker", timeout=15)
    assert new
    rows = wait_for(lambda: [r for r in sent_to(gw, CADRE) if r["state"] == "sent"],
                    what="queued message sent", timeout=20)
    assert rows[0]["text"] == "测试消息"
    assert time.monotonic() - t0 < 20


def test_stopped_worker_is_killed_by_the_watchdog(gw):
    gw.seed()
    gw.start()
    [pid] = wait_for(lambda: worker_pids(gw.conf), what="worker")
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: [p for p in worker_pids(gw.conf) if p != pid],
                 what="replacement worker", timeout=30)
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
    gw.inject(RESIDENT, "帮助")
    wait_for(lambda: [r for r in sent_to(gw, RESIDENT) if r["state"] == "sent"],
             what="reply after respawn")


def test_greeting_from_resident_gets_the_residents_help(gw):
    # A greeting is not a report: the resident's own help, no ticket. A
    # problem files a ticket (tests/integration/test_grievance.py).
    gw.seed()
    gw.start()
    gw.inject(RESIDENT, "你好，在吗？")
    rows = wait_for(lambda: sent_to(gw, RESIDENT), what="help")
    assert [r["text"] for r in rows] == [render("help", name="王秀英")]
    assert gw.json("grievance", "list") == []


def test_unknown_sender_is_told_how_to_register(gw):
    gw.seed()
    gw.start()
    gw.inject(STRANGER, "你好")
    rows = wait_for(lambda: sent_to(gw, STRANGER), what="register hint")
    assert [r["text"] for r in rows] == [render("register_how")]


def test_operator_and_short_code_senders_are_kept_never_answered(gw):
    gw.seed()
    gw.start()
    gw.inject("10086", "尊敬的客户，您本月话费余额为5.00元。")
    gw.inject("1069012345678", "【某银行】验证码123456")
    gw.inject("+8613900000001", "帮助")      # a marker after them
    wait_for(lambda: sent_to(gw, RESIDENT), what="marker reply")
    wait_for(lambda: len(gw.messages()) == 3, what="all three stored")
    senders = {m["sender"] for m in gw.messages()}
    assert "10086" in senders
    assert all(r["recipient"] == RESIDENT for r in gw.outbox())
    from_op = gw.json("messages", "--from", "10086")
    assert len(from_op) == 1 and "话费" in from_op[0]["text"]


def test_malformed_input_is_answered_and_nothing_crashes(gw):
    gw.seed()
    gw.start()
    # A lone UTF-16 surrogate: not valid text in any encoding.
    gw.inject(RESIDENT, raw_utf16=b"\xd8\x00\x00A")
    # No text at all.
    gw.inject("+8613900000002", "")
    # SQL in the text is just text.
    sql = "'); DROP TABLE message; --"
    gw.inject(STRANGER, sql)
    wait_for(lambda: len(gw.outbox()) >= 3, what="three replies")
    assert gw.proc.poll() is None
    by = {r["recipient"]: r["text"] for r in gw.outbox()}
    assert by[RESIDENT] == render("hint", name="王秀英")
    assert by["+8613900000002"] == render("hint", name="李建国")
    assert by[STRANGER] == render("register_how")
    assert any(m["text"] == sql for m in gw.messages())


def test_a_forty_part_message_is_one_message_and_one_reply(gw):
    gw.seed()
    gw.start()
    parts = [f"第{i:02d}段" + "内容" * 30 for i in range(1, 41)]
    for i, text in enumerate(parts, 1):
        gw.inject(RESIDENT, text, ref=7, total=40, seq=i)
    wait_for(lambda: gw.messages(), what="the message", timeout=40)
    wait_for(lambda: sent_to(gw, RESIDENT), what="reply", timeout=20)
    wait_for(lambda: gw.inbox_files() == [], what="all parts deleted", timeout=20)
    msgs = gw.messages()
    assert len(msgs) == 1 and msgs[0]["parts"] == 40
    assert msgs[0]["text"] == "".join(parts)
    assert len(sent_to(gw, RESIDENT)) == 1


def test_missing_part_goes_on_as_partial_after_the_timeout(gw):
    gw.seed()
    gw.start()
    gw.inject(RESIDENT, LONG[:67], ref=9, total=2, seq=1)
    wait_for(lambda: gw.inbox_files() == [], what="part stored")
    assert gw.messages() == []
    later = datetime.datetime.now(ZoneInfo("Asia/Shanghai")) + \
        datetime.timedelta(hours=1)
    gw.ctl("tick", "--force", "--at", later.strftime("%Y-%m-%d %H:%M"))
    msgs = wait_for(lambda: gw.messages(), what="partial message")
    assert msgs[0]["partial"] and msgs[0]["text"].startswith(LONG[:67])
    wait_for(lambda: sent_to(gw, RESIDENT), what="reply to partial")


def test_register_help_and_opt_out_over_sms(gw):
    gw.seed()
    gw.start()
    gw.inject(STRANGER, "注册LJZ 赵四")
    rows = wait_for(lambda: sent_to(gw, STRANGER), what="register reply")
    people = {p["phone"]: p for p in gw.json("resident", "list")}
    assert people[STRANGER]["name"] == "赵四"
    assert people[STRANGER]["village"] == "LJZ"
    assert rows[0]["text"] == render("register_ok", village="刘家庄", name="赵四")
    gw.inject(STRANGER, "ＴＤ")        # full-width letters fold to ASCII
    wait_for(lambda: len(sent_to(gw, STRANGER)) == 2, what="opt-out reply")
    people = {p["phone"]: p for p in gw.json("resident", "list")}
    assert people[STRANGER]["opted_out"]
    gw.inject(STRANGER, "zc nosuch")
    wait_for(lambda: len(sent_to(gw, STRANGER)) == 3, what="bad village reply")
    assert sent_to(gw, STRANGER)[2]["text"] == \
        render("register_no_village", code="NOSUCH") or \
        sent_to(gw, STRANGER)[2]["text"] == render("register_no_village", code="nosuch")


def test_repeats_without_a_readable_time_stamp_are_all_kept(make_gw):
    # Four identical reports whose SMSC time stamp cannot be read: each is
    # a message of its own (the SIM slot and the time stored stand in for
    # the stamp), none is dropped as a duplicate of the first.
    gw = make_gw(gateway_extra="repeat_window = 0")
    gw.seed()
    for _ in range(4):
        gw.inject(RESIDENT, "投诉 村口路灯坏了", when="00000000T000000")
    gw.start()
    rows = wait_for(lambda: (lambda m: m if len(m) == 4 and all(
        r["state"] == "done" for r in m) else None)(gw.messages()),
        what="four messages handled")
    assert [r["handler"] for r in rows] == ["grievance.report"] * 4
    assert len(gw.json("grievance", "list")) == 4


def test_an_ordinary_stop_lets_the_worker_close_its_modem(gw):
    gw.seed()
    gw.start()
    gw.inject(RESIDENT, "帮助")
    wait_for(lambda: sent_to(gw, RESIDENT), what="a reply")
    gw.stop()
    log = gw.logtext()
    assert "exited with 0" in log and "killed by signal" not in log, log
