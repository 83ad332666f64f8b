"""Grievances (issue 4) end to end over the dummy phone: report, dispatch,
accept, resolve, rate, deadlines with `tick --at`, refusals, the township
return path, operators' commands and figures."""
import csv
import datetime
import io
import subprocess
from zoneinfo import ZoneInfo

from conftest import CTL, render, wait_for

RESIDENT = "+8613900000001"     # 王秀英, LJZ
RESIDENT2 = "+8613900000002"    # 李建国, LJZ
CADRE = "+8613900000003"        # 张明, cadre of LJZ
SUPERVISOR = "+8613900000009"   # township MZ
OTHER_CADRE = "+8613900000004"  # cadre of WJC
WATER = "+8613900000005"        # cadre of LJZ for 水
STRANGER = "+8613700000000"
TZ = ZoneInfo("Asia/Shanghai")


def sent_to(gw, phone):
    return [r for r in gw.outbox() if r["recipient"] == phone]


def wait_n(gw, phone, n, what=None):
    """Wait until phone has at least n outbox rows (any state); return them."""
    return wait_for(lambda: (lambda rows: rows if len(rows) >= n else None)(
        sent_to(gw, phone)), what=what or f"{n} message(s) to {phone}")


def ticket_of(gw, reporter, n=1):
    rows = wait_for(lambda: [t for t in gw.json("grievance", "list")
                             if t["reporter"] == reporter][n - 1:],
                    what="ticket")
    return rows[0]


def local(hours):
    t = datetime.datetime.now(TZ) + datetime.timedelta(hours=hours)
    return t.strftime("%Y-%m-%d %H:%M")


def show(gw, code):
    return gw.json("grievance", "show", code)


def actions(gw, code):
    return [e["action"] for e in show(gw, code)["history"]]


def report(gw, phone, text, n_before=0):
    gw.inject(phone, text)
    rows = wait_n(gw, phone, n_before + 1, "receipt")
    return rows[n_before]


def test_whole_lifecycle_over_sms(gw):
    gw.seed()
    gw.start()
    receipt = report(gw, RESIDENT, "投诉 村口的路灯坏了三天了，晚上老人出门看不见路")
    t = ticket_of(gw, RESIDENT)
    code = t["code"]
    assert code.isdigit() and 4 <= len(code) <= 6
    assert receipt["text"] == render("grievance_receipt", ticket=code, hours=24)
    assert len(receipt["text"]) <= 70 and receipt["class"] == "reply"
    assert t["status"] == "open" and t["category"] == "电"

    [alert] = wait_n(gw, CADRE, 1, "cadre alert")
    assert code in alert["text"] and "王秀英" in alert["text"]
    assert "13900000001" in alert["text"] and "路灯坏了" in alert["text"]
    assert len(alert["text"]) <= 134 and alert["class"] == "reminder"

    gw.inject(CADRE, f"SL{code}")
    told = wait_n(gw, RESIDENT, 2, "resident told of acceptance")[1]
    assert "张明" in told["text"] and code in told["text"]
    assert len(told["text"]) <= 70
    assert show(gw, code)["status"] == "accepted"
    assert code in wait_n(gw, CADRE, 2)[1]["text"]   # the cadre's answer

    gw.inject(CADRE, f"办结 {code} 路灯已换新，请放心")
    answer = wait_n(gw, RESIDENT, 3, "reply with prompt")[2]
    assert "路灯已换新" in answer["text"] and "3不满意" in answer["text"]
    assert show(gw, code)["status"] == "resolved"

    gw.inject(RESIDENT, "3")
    sorry = wait_n(gw, RESIDENT, 4, "reopened")[3]
    assert sorry["text"] == render("grievance_reopened", ticket=code)
    up = wait_n(gw, SUPERVISOR, 1, "township told")[0]
    assert code in up["text"] and "不满意" in up["text"]
    s = show(gw, code)
    assert s["status"] == "reopened" and s["escalation"] == 1
    assert s["rating"] == 3
    assert actions(gw, code) == ["file", "accept", "resolve", "rate",
                                 "escalate.unsatisfied"]
    # The cadre hears of it too, and it is on their list again.
    wait_for(lambda: any("不满意" in r["text"] for r in sent_to(gw, CADRE)),
             what="cadre told")
    # Later: the deadline of the reopened ticket reminds, but it was
    # escalated already, so the township hears nothing more.
    before = len(sent_to(gw, SUPERVISOR))
    gw.ctl("tick", "--force", "--at", local(24 * 8))
    gw.ctl("tick", "--force", "--at", local(24 * 20))
    assert len(sent_to(gw, SUPERVISOR)) == before
    assert actions(gw, code).count("remind.resolve") == 1


def test_missed_accept_deadline_reminds_then_escalates_once(gw):
    gw.seed()
    gw.start()
    report(gw, RESIDENT, "反映：我家门前的道路塌陷了一个大坑")
    code = ticket_of(gw, RESIDENT)["code"]
    wait_n(gw, CADRE, 1, "alert")

    def reminders():
        return [r for r in sent_to(gw, CADRE) if r["text"].startswith(
            f"提醒：工单{code}")]

    def escalations():
        return [r for r in sent_to(gw, SUPERVISOR) if code in r["text"]]

    gw.ctl("tick", "--force", "--at", local(23))
    assert reminders() == []
    for _ in range(3):
        gw.ctl("tick", "--force", "--at", local(25))    # past 24 h: remind
    assert len(reminders()) == 1 and escalations() == []
    for _ in range(3):
        gw.ctl("tick", "--force", "--at", local(37))    # past 24 h + 50 %: escalate
        gw.ctl("tick", "--force", "--at", local(60))
    assert len(reminders()) == 1
    assert len(escalations()) == 1
    assert "超时未受理" in escalations()[0]["text"]
    s = show(gw, code)
    assert s["escalation"] == 1 and s["status"] == "open"
    assert actions(gw, code) == ["file", "remind.accept", "escalate.accept"]


def test_cadre_steps_from_others_are_refused_and_change_nothing(gw):
    gw.seed()
    gw.ctl("village", "add", "WJC", "王家村", "--township", "MZ")
    gw.ctl("resident", "add", OTHER_CADRE, "赵书记", "--village", "WJC",
           "--role", "cadre")
    gw.start()
    report(gw, RESIDENT, "投诉 低保金这个月还没有发下来")
    code = ticket_of(gw, RESIDENT)["code"]
    wait_n(gw, CADRE, 1)

    gw.inject(RESIDENT2, f"SL{code}")
    r = wait_n(gw, RESIDENT2, 1)[0]
    assert r["text"] == render("not_allowed", name="李建国")
    gw.inject(OTHER_CADRE, f"受理 {code}")
    r = wait_n(gw, OTHER_CADRE, 1)[0]
    assert r["text"] == render("grievance_not_found", ticket=code)
    gw.inject(OTHER_CADRE, f"BJ{code} 已经办好了")
    r = wait_n(gw, OTHER_CADRE, 2)[1]
    assert r["text"] == render("grievance_not_found", ticket=code)
    # Someone else's ticket: not found, no leak.
    gw.inject(RESIDENT2, f"查询{code}")
    r = wait_n(gw, RESIDENT2, 2)[1]
    assert r["text"] == render("grievance_not_found", ticket=code)
    # A bare digit with no open prompt: the hint, not a rating.
    gw.inject(RESIDENT2, "2")
    r = wait_n(gw, RESIDENT2, 3)[2]
    assert r["text"] == render("hint", name="李建国")
    s = show(gw, code)
    assert s["status"] == "open" and s["accepted_by"] is None
    assert actions(gw, code) == ["file"]
    assert len(sent_to(gw, RESIDENT)) == 1

    # The reporter's status fits one part.
    gw.inject(RESIDENT, f"CX {code}")
    r = wait_n(gw, RESIDENT, 2)[1]
    assert code in r["text"] and len(r["text"]) <= 70

    # BJ twice: the second changes nothing and says so. The very same
    # text a third time within repeat_window is kept but not answered.
    gw.inject(CADRE, f"BJ{code} 已补发，请查收")
    wait_n(gw, RESIDENT, 3, "reply")
    gw.inject(CADRE, f"BJ{code} 已补发")
    wait_n(gw, CADRE, 3, "second answer")
    assert "无需重复" in sent_to(gw, CADRE)[2]["text"]
    gw.inject(CADRE, f"BJ{code} 已补发")
    gw.inject(CADRE, "帮助")       # a marker: everything before it is done
    wait_n(gw, CADRE, 4)
    assert len(sent_to(gw, RESIDENT)) == 3
    assert actions(gw, code) == ["file", "resolve"]


def test_category_routing_and_urgent_alerts(gw):
    gw.seed()
    gw.ctl("resident", "add", WATER, "刘水生", "--village", "LJZ",
           "--role", "cadre", "--categories", "水")
    gw.start()
    report(gw, RESIDENT, "自来水管爆了，家里停水两天了")
    t = ticket_of(gw, RESIDENT)
    assert t["category"] == "水"
    wait_n(gw, WATER, 1, "water cadre alerted")
    # No cadre for 低保: every cadre of the village.
    report(gw, RESIDENT2, "投诉 我家的低保申请三个月没消息")
    t2 = ticket_of(gw, RESIDENT2)
    assert t2["category"] == "低保"
    wait_for(lambda: len(sent_to(gw, CADRE)) == 1 and
             len(sent_to(gw, WATER)) == 2, what="both alerted")
    assert t["code"] not in sent_to(gw, CADRE)[0]["text"]
    assert show(gw, t["code"])["assignees"] == [WATER]
    # An urgent category goes out urgent and must be resolved in 2 h.
    report(gw, RESIDENT, "村小学旁边的电线漏电了，很危险", n_before=1)
    t3 = ticket_of(gw, RESIDENT, 2)
    assert t3["category"] == "安全" and t3["urgent"]
    alert = wait_for(lambda: [r for r in gw.outbox()
                              if t3["code"] in r["text"] and
                              r["recipient"] == CADRE], what="urgent alert")
    assert alert[0]["class"] == "urgent"
    # DB lists the cadre's open tickets, within two parts.
    gw.inject(CADRE, "DB")
    todo = wait_n(gw, CADRE, 3, "todo")[2]
    assert t2["code"] in todo["text"] and t3["code"] in todo["text"]
    # Most overdue first: both wait for acceptance, t2 the longer.
    assert todo["text"].index(t2["code"]) < todo["text"].index(t3["code"])
    assert len(todo["text"]) <= 134


def test_return_goes_to_the_township_not_the_resident(gw):
    gw.seed()
    gw.start()
    report(gw, RESIDENT, "投诉 镇上的班车已经一个月不来了")
    code = ticket_of(gw, RESIDENT)["code"]
    wait_n(gw, CADRE, 1)
    gw.inject(CADRE, f"退回{code} 班车归镇交管站管")
    up = wait_n(gw, SUPERVISOR, 1, "township told")[0]
    assert code in up["text"] and "交管站" in up["text"] and "张明" in up["text"]
    assert show(gw, code)["status"] == "returned"
    wait_n(gw, CADRE, 2, "cadre's answer")
    assert len(sent_to(gw, RESIDENT)) == 1         # the receipt only
    # The village's deadlines no longer run.
    gw.ctl("tick", "--force", "--at", local(24 * 30))
    assert len(sent_to(gw, SUPERVISOR)) == 1
    # The township gives it back to a cadre: open again, alerted.
    gw.ctl("grievance", "assign", code, "13900000003")
    s = show(gw, code)
    assert s["status"] == "open"
    assert actions(gw, code) == ["file", "return", "assign"]
    assert len([r for r in sent_to(gw, CADRE) if code in r["text"]]) >= 3
    # And an operator closes it, telling the resident.
    gw.ctl("grievance", "close", code, "--note", "班车已恢复")
    assert show(gw, code)["status"] == "closed"
    assert sent_to(gw, RESIDENT)[-1]["text"] == render(
        "grievance_closed", ticket=code, note="班车已恢复")


def test_unregistered_report_is_filed_once_they_register(gw):
    gw.seed()
    gw.start()
    gw.inject(STRANGER, "投诉 村西头的垃圾好久没人清理了")
    r = wait_n(gw, STRANGER, 1)[0]
    assert r["text"] == render("grievance_pending")
    assert gw.json("grievance", "list") == []
    gw.inject(STRANGER, "注册LJZ 赵四")
    rows = wait_n(gw, STRANGER, 3, "registered and receipt")
    code = ticket_of(gw, STRANGER)["code"]
    assert rows[1]["text"] == render("register_ok", village="刘家庄", name="赵四")
    assert rows[2]["text"] == render("grievance_receipt", ticket=code, hours=24)
    assert show(gw, code)["category"] == "环境"


def test_free_text_is_a_report_but_greetings_get_help(gw):
    gw.seed()
    gw.start()
    gw.inject(RESIDENT, "你好！")
    r = wait_n(gw, RESIDENT, 1)[0]
    assert r["text"] == render("help", name="王秀英")
    gw.inject(RESIDENT, "医保报销的钱什么时候能到账")
    r = wait_n(gw, RESIDENT, 2)[1]
    code = ticket_of(gw, RESIDENT)["code"]
    assert r["text"] == render("grievance_receipt", ticket=code, hours=24)
    # A cadre's free text never files a ticket: a command without its
    # ticket number is told how, anything else gets the cadre's hint.
    gw.inject(CADRE, "受理了那个路灯的问题")
    wait_for(lambda: [r for r in sent_to(gw, CADRE)
                      if r["text"] == render("grievance_accept_how")],
             what="how to accept")
    gw.inject(CADRE, "那个路灯村里再看看")
    wait_for(lambda: [r for r in sent_to(gw, CADRE)
                      if r["text"] == render("hint_cadre", name="张明")],
             what="cadre hint")
    assert len(gw.json("grievance", "list")) == 1


def test_stats_export_and_show_on_a_seeded_set(gw):
    gw.seed()
    gw.start()
    report(gw, RESIDENT, "投诉 村口路灯坏了好几天")                 # A
    a = ticket_of(gw, RESIDENT)["code"]
    report(gw, RESIDENT2, "投诉 家里自来水管漏水了")              # B
    b = ticket_of(gw, RESIDENT2)["code"]
    wait_n(gw, CADRE, 2)
    gw.inject(CADRE, f"SL{a}")
    wait_n(gw, RESIDENT, 2)
    gw.inject(CADRE, f"BJ{a} 已修好")
    wait_n(gw, RESIDENT, 3)
    gw.inject(RESIDENT, "1")
    assert wait_n(gw, RESIDENT, 4)[3]["text"] == render("grievance_thanks",
                                                        ticket=a)
    gw.inject(CADRE, f"BJ{b} 已换水管")
    wait_n(gw, RESIDENT2, 2)
    gw.inject(RESIDENT2, "3")
    wait_n(gw, RESIDENT2, 3)
    report(gw, RESIDENT, "投诉 村里的道路坑坑洼洼", n_before=4)        # C
    c = ticket_of(gw, RESIDENT, 2)["code"]
    gw.inject(CADRE, f"受理{c}")
    wait_n(gw, RESIDENT, 6)
    report(gw, RESIDENT2, "投诉 低保的事情一直没人管", n_before=3)      # D
    st = gw.json("grievance", "stats", "--at", local(48))
    assert st["tickets"] == 4
    assert (st["accepted_in_time"], st["accept_counted"]) == (3, 4)
    assert st["accepted_in_time_rate"] == 75.0
    assert (st["resolved_in_time"], st["resolve_counted"]) == (2, 2)
    assert st["resolved_in_time_rate"] == 100.0
    assert (st["satisfied"], st["rated"]) == (1, 2)
    assert st["satisfied_rate"] == 50.0
    assert st["by_status"] == {"open": 1, "accepted": 1, "resolved": 0,
                               "returned": 0, "reopened": 1, "closed": 1}
    assert st["by_category"] == {"电": 1, "水": 1, "路": 1, "低保": 1}
    assert gw.json("grievance", "stats", "--township", "MZ", "--at",
                   local(48))["tickets"] == 4
    assert gw.json("grievance", "stats", "--village", "NONE")["tickets"] == 0
    assert gw.json("grievance", "stats")["accepted_in_time_rate"] == 100.0

    out = gw.ctl("grievance", "export", "--village", "LJZ").stdout
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"),
                                           newline="")))
    assert [r["code"] for r in rows] == [a, b, c, gw.json(
        "grievance", "list", "--status", "open")[0]["code"]]
    assert rows[0]["reply"] == "已修好" and rows[0]["rating"] == "1"
    raw = subprocess.run([CTL, "-c", gw.conf, "grievance", "export"],
                         capture_output=True, check=True).stdout
    assert raw.startswith(b"\xef\xbb\xbfcode,created,")
    assert raw.count(b"\r\n") == 5
    assert [t["code"] for t in gw.json("grievance", "list", "--status",
                                       "closed")] == [a]
    text = gw.ctl("grievance", "show", a).stdout
    assert "accept" in text and "rate" in text
    assert gw.ctl("grievance", "show", "99999999", check=False).returncode == 1
    assert gw.ctl("grievance", "list", "--status", "nosuch",
                  check=False).returncode == 2
