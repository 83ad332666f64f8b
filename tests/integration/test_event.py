"""Village events and notices (issue 6) over the dummy phone and the
simulated modem: publish, list, sign up until full, the waiting list,
cancel and promotion, the day-before reminder with `tick --at`, refusals,
notices with the cadre's confirmation, opt-out, and an urgent alert
overtaking a broadcast's remainder."""
import csv
import datetime
import io
import os
import re
from zoneinfo import ZoneInfo

from conftest import render, wait_for

R1 = "+8613900000001"       # 王秀英, LJZ
R2 = "+8613900000002"       # 李建国, LJZ
CADRE = "+8613900000003"    # 张明, cadre of LJZ
R4 = "+8613900000004"       # 赵四, LJZ
OTHER = "+8613900000005"    # 钱五, WJC
STRANGER = "+8613700000000"
TZ = ZoneInfo("Asia/Shanghai")


def rows_to(gw, phone):
    return [r for r in gw.outbox() if r["recipient"] == phone]


def ask(gw, phone, text):
    """Send text from phone and return the answer (the next row to it)."""
    n = len(rows_to(gw, phone))
    gw.inject(phone, text)
    return wait_for(lambda: (lambda r: r[n] if len(r) > n else None)(
        rows_to(gw, phone)), what=f"answer to {text!r}")["text"]


def day(offset):
    return (datetime.datetime.now(TZ).date() +
            datetime.timedelta(days=offset))


def seed_more(gw):
    gw.seed()
    gw.ctl("resident", "add", "13900000004", "赵四", "--village", "LJZ")
    gw.ctl("village", "add", "WJC", "王家村", "--township", "MZ")
    gw.ctl("resident", "add", "13900000005", "钱五", "--village", "WJC")


def event(gw, code):
    return gw.json("event", "show", code)


def test_publish_list_signup_full_waiting_cancel_promotion(gw):
    seed_more(gw)
    gw.start()
    d = day(3)
    mmdd = d.strftime("%m%d")
    date = f"{d.month}月{d.day}日"
    answer = ask(gw, CADRE, f"发布{mmdd} 2 免费义诊")
    [ev] = gw.json("event", "list")
    code = ev["code"]
    assert code.isdigit() and 2 <= len(code) <= 4
    assert ev["capacity"] == 2 and ev["title"] == "免费义诊"
    assert ev["starts"].startswith(d.isoformat())
    assert answer == render("event_published", date=date, title="免费义诊",
                            capacity=2, code=code)

    listed = ask(gw, R1, "活动")
    assert listed == render("event_list_head") + render(
        "event_list_item", code=code, date=date, title="免费义诊", left=2)

    assert ask(gw, R1, f"报名{code}") == render(
        "event_signup_ok", date=date, title="免费义诊", number=1, code=code)
    assert ask(gw, R2, f"BM {code}") == render(
        "event_signup_ok", date=date, title="免费义诊", number=2, code=code)
    assert ask(gw, R4, f"bm{code}") == render(
        "event_waiting", date=date, title="免费义诊", position=1)
    ev = event(gw, code)
    assert (ev["confirmed"], ev["waiting"]) == (2, 1)
    assert "余0" in ask(gw, R1, "HD")

    # The cadre's roster: counts and the first names.
    roster = ask(gw, CADRE, f"名单{code}")
    assert roster.startswith(render("event_roster_head", code=code,
                                    title="免费义诊", confirmed=2,
                                    capacity=2, waiting=1))
    assert "王秀英" in roster and "李建国" in roster and len(roster) <= 134

    # A place freed: the first waiting moves up and is told.
    assert ask(gw, R2, f"取消{code}") == render(
        "event_cancel_ok", date=date, title="免费义诊")
    told = wait_for(lambda: [r for r in rows_to(gw, R4) if "好消息" in r["text"]],
                    what="promotion message")
    assert told[0]["text"] == render("event_promoted", date=date,
                                     title="免费义诊", number=2)
    ev = event(gw, code)
    assert (ev["confirmed"], ev["waiting"]) == (2, 0)
    people = {s["phone"]: (s["status"], s["position"]) for s in ev["signups"]}
    assert people == {R1: ("confirmed", 1), R4: ("confirmed", 2),
                      R2: ("cancelled", 0)}

    # Cancelling again: nothing to cancel.
    assert ask(gw, R2, f"QX {code}") == render(
        "event_cancel_none", code=code, title="免费义诊")

    # The CSV export lists participants with phones.
    # With a byte order mark (Excel, WPS) and phones as text ('+86…).
    out = gw.ctl("event", "export", code).stdout
    assert out.startswith("\ufeffcode,")
    rows = list(csv.DictReader(io.StringIO(out[1:])))
    assert [(r["phone"], r["status"], r["position"]) for r in rows] == [
        ("'" + R1, "confirmed", "1"), ("'" + R4, "confirmed", "2"),
        ("'" + R2, "cancelled", "")]
    assert rows[0]["name"] == "王秀英"

    # The reminder: the day before at 18:00 local, once, to the confirmed.
    eve = d - datetime.timedelta(days=1)
    gw.ctl("tick", "--force", "--at", f"{eve} 17:59")
    assert not [r for r in gw.outbox() if "提醒" in r["text"]]
    gw.ctl("tick", "--force", "--at", f"{eve} 18:00")
    gw.ctl("tick", "--force", "--at", f"{eve} 18:00")
    gw.ctl("tick", "--force", "--at", f"{eve} 20:00")
    reminders = [r for r in gw.outbox() if r["text"].startswith("提醒")]
    assert sorted(r["recipient"] for r in reminders) == [R1, R4]
    assert reminders[0]["text"] == render("event_reminder", time="09:00",
                                          title="免费义诊", place="刘家庄")
    assert all(len(r["text"]) <= 70 for r in reminders)
    assert event(gw, code)["reminded"] is True

    # Once it has started it closes; signing up is answered plainly.
    gw.ctl("tick", "--force", "--at", f"{d} 09:00")
    assert event(gw, code)["status"] == "closed"
    before = event(gw, code)
    assert ask(gw, OTHER, f"报名{code}") == render(
        "event_closed", code=code, title="免费义诊")
    assert event(gw, code)["signups"] == before["signups"]


def test_signup_refusals_change_nothing(gw):
    seed_more(gw)
    gw.start()
    d = day(5)
    ask(gw, CADRE, f"FB {d.strftime('%m%d')} 5 村民大会")
    code = gw.json("event", "list")[0]["code"]
    date = f"{d.month}月{d.day}日"
    ask(gw, R1, f"报名{code}")
    before = event(gw, code)

    # Twice: answered, not counted twice.
    assert ask(gw, R1, f"报名 {code}") == render(
        "event_signup_already", date=date, title="村民大会", number=1)
    # Unknown code.
    unknown = "1" if code != "1" else "2"
    unknown = unknown * 5
    assert ask(gw, R2, f"报名{unknown}") == render("event_not_found",
                                                   code=unknown)
    # Another village.
    assert ask(gw, OTHER, f"报名{code}") == render(
        "event_other_village", code=code, village="刘家庄")
    # Unregistered.
    assert ask(gw, STRANGER, f"报名{code}") == render("register_first")
    # Bad date.
    assert ask(gw, CADRE, "发布1340 5 会") == render("event_bad_date",
                                                     date="1340")
    assert ask(gw, CADRE, "发布") == render("event_publish_how")
    after = event(gw, code)
    assert after["signups"] == before["signups"]
    assert after["confirmed"] == 1 and after["waiting"] == 0
    assert len(gw.json("event", "list", "--all")) == 1


def test_cadre_commands_refused_for_residents(gw):
    seed_more(gw)
    gw.start()
    d = day(2)
    refused = render("not_allowed", name="王秀英")
    assert ask(gw, R1, f"发布{d.strftime('%m%d')} 3 义诊") == refused
    assert ask(gw, R1, "通知 明天停水") == refused
    assert ask(gw, R1, "名单12") == refused
    assert gw.json("event", "list", "--all") == []
    assert gw.json("notice", "list") == []
    # Nothing but the three answers went anywhere.
    assert [r["recipient"] for r in gw.outbox()] == [R1, R1, R1]


def test_small_notice_goes_at_once_to_non_opted_out(gw):
    seed_more(gw)
    gw.start()
    assert ask(gw, R2, "退订") == render("optout_ok")
    answer = ask(gw, CADRE, "通知 明早8点村部开会")
    [n] = gw.json("notice", "list")
    assert n["status"] == "sent" and n["recipients"] == 2
    assert answer.startswith(render("notice_queued", recipients=2, parts=2,
                                    done="")[:14])
    text = "明早8点村部开会" + render("notice_hint")
    got = wait_for(lambda: [r for r in gw.outbox() if r["text"] == text],
                   what="notice rows")
    assert sorted(r["recipient"] for r in got) == [R1, R4]
    assert all(r["class"] == "broadcast" for r in got)


def test_notice_hint_only_when_it_fits(gw):
    seed_more(gw)
    long_text = "村" * 69
    gw.ctl("notice", "send", "--village", "LJZ", long_text)
    gw.ctl("notice", "send", "--village", "LJZ", "water off")
    texts = {r["text"] for r in gw.outbox()}
    assert long_text in texts
    assert "water off" + render("notice_hint") in texts


def write_residents(gw, n):
    path = os.path.join(gw.dir, "residents.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("phone,name,village,role\n")
        for i in range(n):
            f.write(f"+86135{i:08d},村民{i},LJZ,resident\n")
    gw.ctl("resident", "import", path)
    return [f"+86135{i:08d}" for i in range(n)]


def test_big_notice_without_confirmation_sends_nothing(gw):
    seed_more(gw)
    write_residents(gw, 300)
    gw.start()
    answer = ask(gw, CADRE, "通知 周六上午全村大扫除")
    assert "回复1确认" in answer and "303人" in answer
    [n] = gw.json("notice", "list")
    assert n["status"] == "pending"
    # Ten minutes on, the "1" means nothing: the prompt ran out.
    later = (datetime.datetime.now(TZ) + datetime.timedelta(minutes=11))
    gw.ctl("tick", "--force", "--at", later.strftime("%Y-%m-%d %H:%M"))
    assert gw.json("notice", "list")[0]["status"] == "expired"
    assert [r for r in gw.outbox() if r["class"] == "broadcast"] == []
    # The CLI needs --yes too.
    proc = gw.ctl("notice", "send", "--village", "LJZ", "停水", check=False)
    assert proc.returncode == 1 and "--yes" in proc.stderr
    assert [r for r in gw.outbox() if r["class"] == "broadcast"] == []


def sent_ids(gw):
    """Outbox ids in the order the daemon logged them sent."""
    return [int(m) for m in re.findall(r"outbox: (\d+): sent on ",
                                       gw.logtext())]


def test_big_notice_confirmed_reaches_everyone_once_alert_first(gw):
    seed_more(gw)
    phones = write_residents(gw, 300)
    gw.start()
    assert ask(gw, R2, "T") == render("optout_ok")
    question = ask(gw, CADRE, "TZ 周六上午全村大扫除")
    assert question == render("notice_confirm", recipients=302, parts=302,
                              minutes=16, limit=10)
    assert [r for r in gw.outbox() if r["class"] == "broadcast"] == []
    gw.inject(CADRE, "1")
    # The broadcast under way: an urgent alert is queued beside it.
    wait_for(lambda: len(gw.outbox("sent")) >= 8, timeout=30,
             what="the broadcast under way")
    gw.ctl("send", "13900000009", "紧急：水库水位超警戒", "--class", "urgent")
    k = len(sent_ids(gw))       # it is queued by now
    text = "周六上午全村大扫除" + render("notice_hint")
    expect = set(phones) | {R1, R4}
    wait_for(lambda: len([r for r in gw.outbox("sent") if r["text"] == text])
             == len(expect), timeout=120, what="the whole notice sent")
    rows = gw.outbox()
    got = [r["recipient"] for r in rows if r["text"] == text]
    assert sorted(got) == sorted(expect)            # each once
    assert R2 not in got and CADRE not in got
    [urgent] = [r for r in rows if r["class"] == "urgent"]
    assert urgent["state"] == "sent"
    # Sent order: once it was queued, at most the job then in flight went
    # before it, and the broadcast's remainder after it.
    broadcast = {r["id"] for r in rows if r["text"] == text}
    order = sent_ids(gw)
    u = order.index(urgent["id"])
    assert u <= k + 1, order[k:u + 1]
    assert len([i for i in order[u + 1:] if i in broadcast]) >= 20
    [n] = gw.json("notice", "list")
    assert n["status"] == "sent" and n["recipients"] == len(expect)
    confirmed = rows_to(gw, CADRE)[-1]["text"]
    assert confirmed.startswith(render("notice_queued", recipients=302,
                                       parts=302, done="")[:20])
