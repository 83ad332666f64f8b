"""Config checking and cungatectl: its messages, its exit codes, and the
one scheme of its JSON."""
import json
import os
import re
import subprocess

from conftest import CTL, DAEMON, ROOT, gateway_section, wait_for


def check_config(tmp_path, text):
    path = tmp_path / "bad.conf"
    path.write_text(text)
    return subprocess.run([DAEMON, "-c", str(path), "-n"],
                          capture_output=True, text=True), str(path)


def test_shipped_config_checks(tmp_path):
    proc = subprocess.run([DAEMON, "-c", os.path.join(ROOT, "config",
                                                      "cungate.conf"), "-n"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_unknown_key_names_file_and_line(tmp_path):
    proc, path = check_config(tmp_path, "[gateway]\ntimezone = UTC\n"
                              "colour = blue\n")
    assert proc.returncode != 0
    assert f"{path}:3:" in proc.stderr and "colour" in proc.stderr


def test_unknown_section_names_file_and_line(tmp_path):
    proc, path = check_config(tmp_path, "[gateway]\n\n[printer]\n")
    assert proc.returncode != 0
    assert f"{path}:3:" in proc.stderr and "printer" in proc.stderr


def test_bad_value_names_file_and_line(tmp_path):
    proc, path = check_config(tmp_path, "[modem m1]\ndevice = /dev/null\n"
                              "send_rate = fast\n")
    assert proc.returncode != 0
    assert f"{path}:3:" in proc.stderr


def test_a_key_given_twice_names_both_lines(tmp_path):
    proc, path = check_config(tmp_path, "[gateway]\ntimezone = UTC\n"
                              "tick_interval = 30\ntimezone = Asia/Shanghai\n")
    assert proc.returncode != 0
    assert f"{path}:4:" in proc.stderr and "line 2" in proc.stderr


def test_a_malformed_section_header_is_named_on_its_line(tmp_path):
    proc, path = check_config(tmp_path, "[gateway]\ntimezone = UTC\n"
                              "[checkin\ndue = 09:30\n")
    assert proc.returncode != 0
    assert f"{path}:3:" in proc.stderr and "section" in proc.stderr


def test_tick_refuses_a_day_that_does_not_exist(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(gateway_section(tmp_path, "x.db") +
                    f"commands = {ROOT}/config/commands.conf\n"
                    f"messages = {ROOT}/config/messages.zh.conf\n")
    proc = subprocess.run([CTL, "-c", str(conf), "tick", "--at",
                           "2026-02-30 10:00"], capture_output=True, text=True)
    assert proc.returncode != 0 and "2026-02-30" in proc.stderr
    proc = subprocess.run([CTL, "-c", str(conf), "tick", "--at",
                           "2026-02-28 10:00"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_bad_pattern_in_commands_names_its_line(tmp_path):
    cmds = tmp_path / "commands.conf"
    src = open(os.path.join(ROOT, "config", "commands.conf"),
               encoding="utf-8").read()
    cmds.write_text(src + "\n[command broken]\nhandler = help\n"
                    "pattern = ^(unclosed\n", encoding="utf-8")
    line = src.count("\n") + 4
    proc, _ = check_config(tmp_path, f"[gateway]\ncommands = {cmds}\n"
                           f"messages = {ROOT}/config/messages.zh.conf\n")
    assert proc.returncode != 0
    assert f"{cmds}:{line}:" in proc.stderr, proc.stderr


def ctl(conf, *args):
    return subprocess.run([CTL, "-c", conf, *args], capture_output=True,
                          text=True)


def test_an_option_a_command_does_not_take_is_refused_by_name(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(gateway_section(tmp_path))
    conf = str(conf)
    proc = ctl(conf, "elder", "village", "LJZ", "--name", "王")
    assert proc.returncode == 2 and "--name" in proc.stderr, proc.stderr
    # Counts are whole numbers, not "5 and something".
    for args in (("checkin", "stats", "--days", "5x"),
                 ("checkin", "history", "13900000001", "--limit", "0"),
                 ("outbox", "--limit", "-3")):
        proc = ctl(conf, *args)
        assert proc.returncode == 2 and "expected a number" in proc.stderr, \
            (args, proc.stderr)


def test_csv_import_reports_bad_rows_and_keeps_good_ones(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(gateway_section(tmp_path))
    conf = str(conf)
    assert ctl(conf, "village", "add", "LJZ", "刘家庄").returncode == 0
    csv = tmp_path / "people.csv"
    csv.write_text("phone,name,village,role\n"
                   "13900000001,王秀英,LJZ,resident\n"
                   "12345,坏号码,LJZ,resident\n"
                   "13900000002,\"李, 建国\",LJZ,cadre\n"
                   "13900000004,无村,NOPE,resident\n"
                   "139000000051,多一位,LJZ,resident\n"
                   "02988886666,座机,LJZ,resident\n",
                   encoding="utf-8")
    proc = ctl(conf, "resident", "import", str(csv))
    assert f"{csv}:3:" in proc.stderr
    assert f"{csv}:5:" in proc.stderr
    # A 12-digit number or a landline is no mobile: no SMS would reach it.
    assert f"{csv}:6:" in proc.stderr and f"{csv}:7:" in proc.stderr
    assert proc.returncode != 0
    people = json.loads(ctl(conf, "resident", "list", "--json").stdout)
    phones = {p["phone"]: p for p in people}
    assert set(phones) == {"+8613900000001", "+8613900000002"}
    assert phones["+8613900000002"]["name"] == "李, 建国"


def test_errors_exit_non_zero_with_a_message(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(gateway_section(tmp_path))
    conf = str(conf)
    for args in (("village", "add", "X"),
                 ("resident", "add", "notaphone", "名", "--village", "X"),
                 ("resident", "add", "13900000001", "名", "--village", "NOPE"),
                 ("outbox", "--state", "bogus"),
                 ("frobnicate",),
                 ("simulate", "13900000001", "hi")):
        proc = ctl(conf, *args)
        assert proc.returncode != 0, args
        assert proc.stderr.strip(), args
    assert ctl(conf, "village", "add", "LJZ", "刘家庄").returncode == 0
    dup = ctl(conf, "village", "add", "LJZ", "刘家庄")
    assert dup.returncode != 0 and "LJZ" in dup.stderr


def test_every_list_command_speaks_json(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(gateway_section(tmp_path))
    conf = str(conf)
    ctl(conf, "township", "add", "MZ", "米脂镇")
    ctl(conf, "village", "add", "LJZ", "刘家庄", "--township", "MZ")
    ctl(conf, "resident", "add", "13900000001", "王\"秀\"英", "--village", "LJZ")
    ctl(conf, "send", "13900000001", "第一行\n第二行\t\"引号\"")
    for args in (("township", "list"), ("village", "list"),
                 ("resident", "list"), ("outbox",), ("messages",)):
        proc = ctl(conf, *args, "--json")
        assert proc.returncode == 0, (args, proc.stderr)
        assert isinstance(json.loads(proc.stdout), list), args
    rows = json.loads(ctl(conf, "outbox", "--json").stdout)
    assert rows[0]["text"] == "第一行\n第二行\t\"引号\""
    assert isinstance(json.loads(ctl(conf, "stats", "--json").stdout), dict)


def test_many_processes_opening_a_new_database_at_once(tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text(gateway_section(tmp_path))
    procs = [subprocess.Popen([CTL, "-c", str(conf), "stats", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        json.loads(out)


def test_commands_say_what_they_did_and_empty_lists_say_so(gw):
    gw.seed()
    out = gw.ctl("elder", "add", "13900000010", "王秀珍", "--village", "LJZ",
                 "--guardian", "13900000011:王丽:女儿")
    code = gw.json("elder", "list")[0]["code"]
    assert out.stdout == (f"enrolled +8613900000010 王秀珍 in village LJZ: "
                          f"elder code {code}\n")
    assert gw.ctl("elder", "update", "13900000010", "--due",
                  "08:00").stdout.startswith("updated +8613900000010")
    for cmd in (("outbox",), ("event", "list"), ("grievance", "list"),
                ("notice", "list"), ("calls",)):
        assert gw.ctl(*cmd).stdout == f"{' '.join(cmd)}: none\n", cmd
        assert gw.json(*cmd) == [], cmd
    # An unknown village or phone is an error, with a non-zero exit.
    out = gw.ctl("elder", "add", "13900000013", "李", "--village", "NOPE",
                 "--guardian", "13900000011", check=False)
    assert out.returncode == 1 and "no village NOPE" in out.stderr
    out = gw.ctl("elder", "remove", "13900000099", check=False)
    assert out.returncode == 1 and "not enrolled" in out.stderr


def test_every_json_output_follows_one_scheme(gw):
    # Every command `help` lists with --json, on a database with a bit of
    # everything: keys in snake_case; "code" always a string; times as
    # ISO 8601 with the offset; nothing unset as -1; guardians as objects.
    # The scheme (cungatectl(8), JSON OUTPUT): "state" is where a message
    # or modem is in its handling, "status" what became of a case.
    gw.seed()
    gw.start()
    gw.ctl("elder", "add", "13900000010", "王秀珍", "--village", "LJZ",
           "--guardian", "13900000011:王丽:女儿", "--guardian", "13900000012")
    gw.inject("+8613900000001", "投诉 村口路灯坏了三天了")
    [ticket] = wait_for(lambda: gw.json("grievance", "list"),
                        what="a ticket")
    event = gw.ctl("event", "add", "免费义诊", "--village", "LJZ", "--date",
                   "2031-03-15", "--capacity", "30").stdout.split()[0]
    wait_for(lambda: gw.outbox("sent"), what="a reply sent")
    args = {"grievance show": [ticket["code"]], "event show": [event],
            "checkin history": ["13900000010"]}
    usage = gw.ctl("help").stdout
    commands = [line.split("[")[0].split(" CODE")[0].split(" PHONE")[0]
                .strip() for line in usage.splitlines()
                if line.startswith("  ") and "--json" in line and
                not line.strip().startswith("-")]
    assert len(commands) >= 15, commands
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    looks_like_time = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d")
    key_ok = re.compile(r"^[a-z][a-z0-9_]*$")

    def check(where, v):
        if isinstance(v, dict):
            for k, x in v.items():
                # A by_… object is keyed by data (a category, a status).
                assert key_ok.match(k) or where.rsplit(".", 1)[-1] \
                    .startswith("by_"), (where, k)
                if k == "code":
                    assert isinstance(x, str), (where, k, x)
                if k == "guardians":
                    assert all(isinstance(g, dict) and set(g) ==
                               {"phone", "name", "relation"} for g in x), x
                check(f"{where}.{k}", x)
        elif isinstance(v, list):
            for x in v:
                check(where, x)
        elif isinstance(v, str):
            assert not looks_like_time.match(v) or iso.match(v), (where, v)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            assert v != -1, (where, v)
    seen = 0
    for cmd in commands:
        out = gw.json(*cmd.split(), *args.get(cmd, []))
        check(cmd, out)
        seen += len(out) if isinstance(out, list) else 1
    assert seen >= 15


def test_a_person_is_erased_on_request_and_tickets_keep_their_text(gw):
    resident = "+8613900000001"
    gw.seed()
    gw.ctl("elder", "add", "13900000010", "王秀珍", "--village", "LJZ",
           "--guardian", "13900000001:王秀英:女儿")
    gw.start()
    gw.inject(resident, "投诉 村口路灯坏了三天了")
    [ticket] = wait_for(lambda: gw.json("grievance", "list"),
                        what="a ticket")
    wait_for(lambda: [r for r in gw.outbox("sent")
                      if r["recipient"] == resident], what="the receipt")
    out = gw.ctl("resident", "remove", "13900000001")
    assert out.stdout.startswith("forgot +8613900000001"), out.stdout
    assert not [p for p in gw.json("resident", "list")
                if p["phone"] == resident]
    assert not [m for m in gw.messages() if m["sender"] == resident]
    assert not [r for r in gw.outbox() if r["recipient"] == resident]
    [after] = gw.json("grievance", "list")
    assert after["code"] == ticket["code"]
    assert after["text"] == ticket["text"]
    assert after["reporter"] == "+86139****0001", after
    [elder] = gw.json("elder", "list")
    assert elder["guardians"] == []
    for table, col in (("audit", "object"), ("audit", "actor"),
                       ("inbound_part", "sender"), ("prompt", "phone"),
                       ("elder_guardian", "phone")):
        assert gw.sql(f"SELECT count(*) FROM {table} WHERE {col} = ?",
                      resident) == [(0,)], (table, col)
    # An elder erased with --forget: the enrolment and its days go.
    assert gw.ctl("elder", "remove", "13900000010", "--forget").stdout \
        .startswith("forgot +8613900000010")
    assert gw.json("elder", "list") == []
    assert gw.json("checkin", "today") == []
    # Twice: nothing left to erase is an error.
    out = gw.ctl("resident", "remove", "13900000001", check=False)
    assert out.returncode == 1 and "not on record" in out.stderr
