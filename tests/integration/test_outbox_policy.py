"""Outbound policy with several modems: operator prefixes, quiet hours,
alerts about a modem that stays down (libgammu's dummy phone)."""
import datetime
import time
from zoneinfo import ZoneInfo

from conftest import render, wait_for

RESIDENT = "+8613900000001"
ADMIN = "+8613600000009"


def sent(gw, phone=None):
    return [r for r in gw.outbox("sent") if phone is None or r["recipient"] == phone]


def test_prefixes_pick_the_recipients_operator(make_gw):
    gw = make_gw(modems=("m1", "m2"),
                 modem_extra={"m1": ["prefixes = 139"], "m2": ["prefixes = 137,138"]})
    gw.start()
    wait_for(lambda: gw.modem_state("m2") == "up", what="m2 up")
    for i in range(3):
        gw.ctl("send", f"1370000000{i}", f"给137的第{i}条")
        gw.ctl("send", f"1390000000{i}", f"给139的第{i}条")
    wait_for(lambda: len(sent(gw)) == 6, what="six sent")
    for row in sent(gw):
        want = "m1" if row["recipient"].startswith("+86139") else "m2"
        assert row["modem"] == want, row


def test_load_spreads_over_modems_without_prefixes(make_gw):
    gw = make_gw(modems=("m1", "m2"), gateway_extra="recipient_hourly_cap = 1000")
    gw.start()
    wait_for(lambda: gw.modem_state("m2") == "up", what="m2 up")
    for i in range(10):
        gw.ctl("send", f"139000000{i:02d}", f"消息{i}")
    wait_for(lambda: len(sent(gw)) == 10, what="ten sent")
    used = {r["modem"] for r in sent(gw)}
    assert used == {"m1", "m2"}


def test_quiet_hours_hold_broadcasts_not_urgent_nor_direct_replies(make_gw):
    gw = make_gw(gateway_extra="quiet_hours = 00:00-23:59")
    gw.seed()
    gw.start()
    gw.ctl("send", "13900000002", "明天开会", "--class", "broadcast")
    gw.ctl("send", "13900000003", "紧急通知", "--class", "urgent")
    gw.inject(RESIDENT, "帮助")
    wait_for(lambda: sent(gw, RESIDENT), what="direct reply")
    wait_for(lambda: sent(gw, "+8613900000003"), what="urgent")
    [held] = [r for r in gw.outbox() if r["recipient"] == "+8613900000002"]
    assert held["state"] == "queued"
    assert held["waiting"].startswith("quiet hours, until "), held
    assert sent(gw, RESIDENT)[0]["text"] == render("help", name="王秀英")


def test_a_cadres_answers_pass_the_hourly_cap_alerts_do_not(make_gw):
    # recipient_hourly_cap = 2: a cadre's four commands all get their
    # answers at once; a broadcast to the cadre waits, and so does a
    # resident's third reply, each saying why.
    cadre = "+8613900000003"
    gw = make_gw(gateway_extra="recipient_hourly_cap = 2")
    gw.seed()
    gw.start()
    for text in ("待办", "帮助", "菜单", "使用说明"):
        gw.inject(cadre, text)
    wait_for(lambda: len(sent(gw, cadre)) == 4, what="four answers")
    gw.ctl("send", cadre, "明天开会", "--class", "broadcast")
    for text in ("帮助", "菜单", "使用说明"):
        gw.inject(RESIDENT, text)
    wait_for(lambda: len(sent(gw, RESIDENT)) == 2, what="two replies")
    time.sleep(2)
    waiting = [r for r in gw.outbox("queued")]
    assert sorted(r["recipient"] for r in waiting) == [RESIDENT, cadre]
    for r in waiting:
        assert "sent to this phone in the last hour" in r["waiting"], r
    text = gw.ctl("outbox", "--state", "queued").stdout
    assert "recipient_hourly_cap 2" in text


def test_outbox_says_no_modem_up(make_gw):
    gw = make_gw()
    gw.ctl("send", RESIDENT, "没有调制解调器")
    [row] = gw.outbox()
    assert row["waiting"] == "no modem up"


def test_a_modem_down_too_long_is_reported_through_another(make_gw):
    gw = make_gw(modems=("m2",),
                 gateway_extra=f"admin_phones = {ADMIN}\nmodem_down_alert = 10")
    # m1 points at a dummy phone directory that does not exist: it never
    # connects.
    with open(gw.conf, "a") as f:
        f.write(f"[modem m1]\ndevice = {gw.dir}/no/such/dir\n"
                "connection = none\nmodel = dummy\n")
    gw.start()
    wait_for(lambda: (gw.modem("m1") or {}).get("state") == "down",
             what="m1 down")
    # The daemon's own scheduler notices after modem_down_alert seconds.
    rows = wait_for(lambda: sent(gw, ADMIN), timeout=30, what="alert to admin")
    assert rows[0]["modem"] == "m2"
    assert rows[0]["class"] == "urgent"
    assert rows[0]["text"] == render("modem_down", modem="m1",
                                     minutes=rows[0]["text"].split("断开")[1]
                                     .split("分钟")[0])
    later = datetime.datetime.now(ZoneInfo("Asia/Shanghai")) + \
        datetime.timedelta(minutes=5)
    for _ in range(3):      # however often tick runs: one alert
        gw.ctl("tick", "--force", "--at", later.strftime("%Y-%m-%d %H:%M"))
    assert len(gw.outbox()) == 1
