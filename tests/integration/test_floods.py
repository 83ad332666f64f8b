"""Loops and floods, black box on the dummy phone: a phone's auto-reply is
never answered, the same text again within repeat_window is kept but not
filed or answered, an unregistered phone keeps at most pending_max
reports, a registered one opens at most reports_per_hour tickets an
hour; each refusal is told once, then silent."""
from conftest import render, wait_for

RESIDENT = "+8613900000001"     # 王秀英, LJZ
CADRE = "+8613900000003"        # 张明, cadre of LJZ
STRANGER = "+8613700000000"


def done(gw, n):
    """Wait until n messages are handled; return them, oldest first."""
    return wait_for(lambda: (lambda m: m if len(m) >= n and all(
        r["state"] == "done" for r in m) else None)(gw.messages()),
        what=f"{n} message(s) handled")


def to(gw, phone):
    return [r for r in gw.outbox() if r["recipient"] == phone]


def test_an_auto_reply_is_never_answered_nor_filed(gw):
    gw.seed()
    gw.start()
    for i in range(4):
        gw.inject(RESIDENT, "我正在开车，稍后回复您",
                  when=f"20261202T1000{i:02d}")
    rows = done(gw, 4)
    assert [r["handler"] for r in rows] == ["quiet"] + ["suppressed"] * 3
    assert to(gw, RESIDENT) == [] and to(gw, CADRE) == []
    assert gw.json("grievance", "list") == []


def test_the_same_text_again_is_kept_not_filed_twice(gw):
    gw.seed()
    gw.start()
    for i in range(3):
        gw.inject(RESIDENT, "村口的路灯坏了三天了", when=f"20261202T1000{i:02d}")
    rows = done(gw, 3)
    assert [r["handler"] for r in rows] == \
        ["grievance.report", "suppressed", "suppressed"]
    assert len(gw.json("grievance", "list")) == 1
    assert len(to(gw, RESIDENT)) == 1            # one receipt
    assert len(to(gw, CADRE)) == 1               # one alert


def test_a_stranger_keeps_at_most_three_reports(gw):
    gw.seed()
    gw.start()
    problems = ["村口路灯坏了", "自来水停了两天", "垃圾没人拉走",
                "路上有个大坑", "低保没发下来"]
    for i, text in enumerate(problems):
        gw.inject(STRANGER, text, when=f"20261202T1000{i:02d}")
    rows = done(gw, 5)
    assert [r["handler"] for r in rows] == ["grievance.report"] * 3 + \
        ["grievance.report/capped"] * 2
    texts = [r["text"] for r in to(gw, STRANGER)]
    assert texts.count(render("grievance_pending")) == 3
    assert texts.count(render("grievance_pending_full")) == 1
    assert len(texts) == 4                       # the fifth: silence
    gw.inject(STRANGER, "注册LJZ 赵四")
    wait_for(lambda: len(gw.json("grievance", "list")) == 3,
             what="the three kept reports filed")
    done(gw, 6)
    assert len(gw.json("grievance", "list")) == 3


def test_a_phone_opens_at_most_five_tickets_an_hour(gw):
    gw.seed()
    gw.start()
    problems = ["村口路灯坏了", "自来水停了两天", "垃圾没人拉走",
                "路上有个大坑", "低保没发下来", "桥上的栏杆断了",
                "水渠堵了"]
    for i, text in enumerate(problems):
        gw.inject(RESIDENT, text, when=f"20261202T1000{i:02d}")
    rows = done(gw, 7)
    assert [r["handler"] for r in rows] == ["grievance.report"] * 5 + \
        ["grievance.report/capped"] * 2
    assert len(gw.json("grievance", "list")) == 5
    texts = [r["text"] for r in to(gw, RESIDENT)]
    assert texts.count(render("grievance_too_many")) == 1
    assert len(texts) == 6                       # five receipts, one notice
