"""Elderly daily check-in, black box: the ladder with `tick --at`, a
missed call through the simulated modem, late check-in, SOS in quiet
hours, pause, and QR from a stranger.

The ladder days are tomorrow and later (Asia/Shanghai): the daemon's own
ticks at the real time never reach them, and rows a `tick --at T` queues
wait until T, so these tests look at outbox rows in any state."""
import datetime
import sqlite3
import time

import pytest

from conftest import render, wait_for

ELDER = "+8613900000010"
DAUGHTER = "+8613900000011"
SON = "+8613900000012"
CADRE = "+8613900000003"
SUPERVISOR = "+8613900000009"
STRANGER = "+8613900000099"
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))


def day(offset=0):
    return (datetime.datetime.now(SHANGHAI).date() +
            datetime.timedelta(days=offset)).isoformat()


def enrol(gw, *extra):
    gw.seed()
    gw.ctl("elder", "add", "13900000010", "王秀珍", "--village", "LJZ",
           "--guardian", "13900000011:王丽:女儿",
           "--guardian", "13900000012:王强:儿子",
           "--cadre", "13900000003", *extra)
    return gw.json("elder", "list")[0]["code"]


def fields(code):
    return dict(elder="王秀珍", village="刘家庄", phone="13900000010",
                code=str(code), date=day(1)[5:])


def rows_to(gw, phone, text):
    return [r for r in gw.outbox() if r["recipient"] == phone
            and r["text"] == text]


def test_whole_ladder_once_then_qr_all_clear(gw):
    code = enrol(gw)
    gw.start()
    f = fields(code)
    steps = [("09:00", None), ("09:30", (ELDER, "checkin_remind")),
             ("10:30", (DAUGHTER, "checkin_alert_guardian")),
             ("12:30", (CADRE, "checkin_alert_cadre"))]
    for hhmm, _ in steps + steps:              # every tick twice
        gw.ctl("tick", "--force", "--at", f"{day(1)} {hhmm}")
    for _ in range(2):
        gw.ctl("tick", "--force", "--at", f"{day(2)} 08:00")
    expect = {ELDER: "checkin_remind", DAUGHTER: "checkin_alert_guardian",
              SON: "checkin_alert_guardian", CADRE: "checkin_alert_cadre",
              SUPERVISOR: "checkin_alert_township"}
    for phone, key in expect.items():
        assert len(rows_to(gw, phone, render(key, **f))) == 1, (phone, key)
    assert len(gw.outbox()) == len(expect)
    st = gw.json("checkin", "today", "--day", day(1))[0]
    assert st["status"] == "open" and st["ladder"] == "township"

    gw.inject(DAUGHTER, f"QR 王秀珍 已打通电话")
    clear = render("checkin_allclear", **f, by="女儿王丽")
    wait_for(lambda: len(rows_to(gw, SUPERVISOR, clear)) == 1,
             what="all-clear to the township")
    for phone in (SON, CADRE, SUPERVISOR):
        assert len(rows_to(gw, phone, clear)) == 1, phone
    assert rows_to(gw, DAUGHTER, render("checkin_confirm_ok", **f))
    assert not rows_to(gw, DAUGHTER, clear)    # she asked: a reply instead
    assert not rows_to(gw, ELDER, clear)
    st = gw.json("checkin", "today", "--day", day(1))[0]
    assert st["status"] == "confirmed" and st["resolved_by"] == DAUGHTER
    # Resolved: later ticks change nothing.
    n = len(gw.outbox())
    gw.ctl("tick", "--force", "--at", f"{day(2)} 09:00")
    assert len([r for r in gw.outbox() if "平安提醒" in r["text"]]) == 3


def test_missed_call_checks_in_and_no_ladder(make_gw):
    # The daemon ticks only at start: the test moves time itself.
    gw = make_gw(modems=(), sims=("m1",), gateway_extra="tick_interval = 3600")
    gw.start()
    code = enrol(gw, "--start", day(0))
    sim = gw.sims["m1"]
    wait_for(lambda: any("AT+CLIP=1" in str(e) for e in sim.log()),
             what="caller id on")
    sim.ring("13900000010")
    wait_for(lambda: gw.json("checkin", "today")[0]["status"] == "checked",
             what="the call to check the elder in")
    st = gw.json("checkin", "today")[0]
    assert st["source"] == "call"
    calls = gw.json("calls")
    assert calls and calls[0]["number"] == ELDER
    assert calls[0]["handled"]
    wait_for(lambda: "13900000010" in sim.state().get("hung_up", []),
             what="the call hung up")
    ok = render("checkin_ok", elder="王秀珍")
    wait_for(lambda: rows_to(gw, ELDER, ok), what="the confirmation")
    for hhmm in ("09:30", "10:30", "12:30", "23:59"):
        gw.ctl("tick", "--force", "--at", f"{day(0)} {hhmm}")
    gw.ctl("tick", "--force", "--at", f"{day(1)} 08:00")
    assert [r["recipient"] for r in gw.outbox()] == [ELDER]


def test_late_checkin_sends_all_clear(gw):
    code = enrol(gw)
    gw.start()
    f = fields(code)
    gw.ctl("tick", "--force", "--at", f"{day(1)} 09:30")
    gw.ctl("tick", "--force", "--at", f"{day(1)} 10:30")
    assert rows_to(gw, SON, render("checkin_alert_guardian", **f))
    gw.inject(ELDER, "平安")
    clear = render("checkin_allclear", **f, by="王秀珍")
    wait_for(lambda: rows_to(gw, SON, clear) and rows_to(gw, DAUGHTER, clear),
             what="all-clear to both guardians")
    assert not rows_to(gw, CADRE, clear)       # the cadre was never alerted
    assert rows_to(gw, ELDER, render("checkin_ok", elder="王秀珍"))
    gw.ctl("tick", "--force", "--at", f"{day(1)} 12:30")
    gw.ctl("tick", "--force", "--at", f"{day(2)} 08:00")
    assert not [r for r in gw.outbox() if r["recipient"] in (CADRE,
                                                             SUPERVISOR)]


def test_any_sms_from_the_elder_is_a_checkin(gw):
    enrol(gw, "--start", day(0), "--due", "23:59")
    gw.start()
    gw.inject(ELDER, "你好")
    wait_for(lambda: gw.json("checkin", "today")[0]["status"] == "checked",
             what="the SMS to count")
    assert gw.json("checkin", "today")[0]["source"] == "sms"


def test_sos_reaches_everyone_in_quiet_hours(make_gw):
    gw = make_gw(gateway_extra="quiet_hours = 00:00-23:59")
    code = enrol(gw)
    gw.start()
    gw.inject(ELDER, "求助")
    alert = render("checkin_sos_alert", **fields(code))
    wait_for(lambda: all(rows_to(gw, p, alert) and
                         rows_to(gw, p, alert)[0]["state"] == "sent"
                         for p in (DAUGHTER, SON, CADRE)),
             what="urgent SOS sent despite quiet hours")
    assert all(r["class"] == "urgent" for r in gw.outbox()
               if r["text"] == alert)
    # Repeated to the cadre until someone confirms.
    now = datetime.datetime.now(SHANGHAI) + datetime.timedelta(minutes=31)
    gw.ctl("tick", "--force", "--at", now.strftime("%Y-%m-%d %H:%M"))
    rep = [r for r in gw.outbox() if r["recipient"] == CADRE
           and r["text"].startswith("求助未确认")]
    assert len(rep) == 1
    gw.inject(CADRE, f"QR {code}")
    wait_for(lambda: rows_to(gw, DAUGHTER, render(
        "checkin_allclear", **fields(code), by="张明")),
        what="all-clear after the SOS")
    now += datetime.timedelta(minutes=31)
    gw.ctl("tick", "--force", "--at", now.strftime("%Y-%m-%d %H:%M"))
    assert len([r for r in gw.outbox() if r["recipient"] == CADRE
                and r["text"].startswith("求助未确认")]) == 1


def test_paused_elder_gets_no_reminder(gw):
    code = enrol(gw)
    gw.start()
    gw.inject(SON, "ZT 王秀珍 3")
    wait_for(lambda: rows_to(gw, SON, render(
        "checkin_pause_ok", **dict(fields(code), days=3, date=day(2)[5:]))),
        what="pause confirmed")
    for hhmm in ("09:30", "10:30", "12:30"):
        gw.ctl("tick", "--force", "--at", f"{day(1)} {hhmm}")
    assert not [r for r in gw.outbox() if r["recipient"] != SON]
    assert gw.json("checkin", "today", "--day", day(1))[0]["status"] == \
        "paused"
    # 恢复 ends it: the day after next has a ladder again.
    gw.inject(SON, "HF 王秀珍")
    wait_for(lambda: rows_to(gw, SON, render("checkin_resume_ok",
                                             **fields(code))),
             what="resume confirmed")
    gw.ctl("tick", "--force", "--at", f"{day(2)} 09:30")
    assert rows_to(gw, ELDER, render("checkin_remind", **fields(code)))


def test_qr_from_a_stranger_changes_nothing(gw):
    code = enrol(gw)
    gw.ctl("resident", "add", "13900000099", "路人", "--village", "LJZ")
    gw.start()
    f = fields(code)
    gw.ctl("tick", "--force", "--at", f"{day(1)} 10:30")
    before = gw.json("checkin", "today", "--day", day(1))
    gw.inject(STRANGER, f"QR {code}")
    gw.inject(STRANGER, "QR 王秀珍")
    nf = render("checkin_not_found", name="王秀珍")
    wait_for(lambda: rows_to(gw, STRANGER, nf), what="not found")
    wait_for(lambda: len([r for r in gw.outbox()
                          if r["recipient"] == STRANGER]) == 2,
             what="both answered")
    assert gw.json("checkin", "today", "--day", day(1)) == before
    assert not [r for r in gw.outbox() if "平安：" in r["text"]]
    gw.ctl("tick", "--force", "--at", f"{day(1)} 12:30")
    assert rows_to(gw, CADRE, render("checkin_alert_cadre", **f))


def test_distress_from_the_elder_alerts_at_once_and_is_no_checkin(gw):
    # Not a keyword: the elder's own words. The SOS goes to the family and
    # the cadre at once; the day stays open, so the ladder goes on as for
    # silence until someone confirms.
    code = enrol(gw, "--start", day(0))
    gw.start()
    f = fields(code)
    gw.inject(ELDER, "我摔倒了 起不来 快来人")
    alert = render("checkin_sos_alert", **f)
    wait_for(lambda: rows_to(gw, DAUGHTER, alert) and
             rows_to(gw, SON, alert) and rows_to(gw, CADRE, alert),
             what="SOS to the family and the cadre")
    assert rows_to(gw, ELDER, render("checkin_sos_ok", **f))
    assert not rows_to(gw, ELDER, render("checkin_ok", **f))
    gw.ctl("tick", "--force", "--at", f"{day(0)} 12:31")
    st = gw.json("checkin", "today")[0]
    assert st["status"] == "open", st
    assert rows_to(gw, DAUGHTER, render("checkin_alert_guardian", **f))
    assert rows_to(gw, CADRE, render("checkin_alert_cadre", **f))
    # Plain words from the elder afterwards are her check-in, confirmed.
    gw.inject(ELDER, "好着哩")
    wait_for(lambda: rows_to(gw, ELDER, render("checkin_ok", **f)),
             what="check-in confirmed")


def test_a_cadre_reaches_every_elder_of_a_big_village(gw, tmp_path):
    # Seventy elders in one village: the cadre's 已确认 for the last one
    # finds her by name (the elders were once looked up through a list
    # of 64).
    gw.seed()
    rows = ["phone,name,village,guardians"]
    for i in range(1, 71):
        rows.append(f"1370000{i:04d},张老汉{i:02d},LJZ,"
                    f"1380000{i:04d}:张{i:02d}:儿子")
    path = tmp_path / "elders.csv"
    path.write_text("\n".join(rows) + "\n")
    gw.ctl("elder", "import", str(path))
    assert len(gw.json("elder", "list")) == 70
    gw.start()
    gw.inject(CADRE, "已确认 张老汉70 去看过了")
    want = render("checkin_confirm_ok", elder="张老汉70")
    wait_for(lambda: rows_to(gw, CADRE, want), what="confirmation")
    gw.inject(CADRE, "暂停张老汉66 3天")
    wait_for(lambda: [r for r in gw.outbox() if r["recipient"] == CADRE
                      and r["text"].startswith("已暂停张老汉66的平安提醒3天")],
             what="pause of the 66th")


@pytest.mark.sqlite_only("SQLite's write lock on its file stands for an outage")
def test_a_missed_call_while_the_store_is_locked_still_checks_in(make_gw):
    # The ring is gone once hung up: a call the store cannot take at once
    # is kept and recorded, with its check-in, when the store answers.
    gw = make_gw(modems=(), sims=("m1",), gateway_extra="tick_interval = 3600")
    gw.start()
    enrol(gw, "--start", day(0))
    sim = gw.sims["m1"]
    wait_for(lambda: any("AT+CLIP=1" in str(e) for e in sim.log()),
             what="caller id on")
    db = sqlite3.connect(gw.database, timeout=0,
                         isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        sim.ring("13900000010")
        wait_for(lambda: "13900000010" in sim.state().get("hung_up", []),
                 what="the call hung up")
        wait_for(lambda: "not recorded yet" in gw.logtext(),
                 what="the call kept")
    finally:
        db.execute("COMMIT")
        db.close()
    wait_for(lambda: gw.json("checkin", "today")[0]["status"] == "checked",
             what="the check-in once the store answers")
    assert gw.json("checkin", "today")[0]["source"] == "call"
    assert [c["number"] for c in gw.json("calls")] == [ELDER]
