"""The simulated AT modem (tests/modemsim): its PDU codec against known
vectors from 3GPP TS 23.040 and widely published examples, the modem
driven directly over its pipes, and the modem driven by Debian's `gammu`
CLI -- the real libgammu AT driver -- through `connection = proxyat`."""
import datetime
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "modemsim"))
import pdu  # noqa: E402

MODEMSIM = os.path.join(ROOT, "tests", "modemsim", "modemsim.py")
PYTHON = "/usr/bin/python3"
GAMMU = shutil.which("gammu")
UTC_PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
UTC_PLUS_8 = datetime.timezone(datetime.timedelta(hours=8))


def wait_for(pred, timeout=5.0, what="condition"):
    """Poll pred() until truthy; fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def drop(directory, name, content):
    """Write a file the modem reads: temp name first, then rename()."""
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, "." + name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content if isinstance(content, str)
                else json.dumps(content, ensure_ascii=False))
    os.rename(tmp, os.path.join(directory, name))


def read_jsonl(path):
    """The records of a JSON-lines file ([] if absent)."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def read_json(path):
    """The JSON in path."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# --- the codec ----------------------------------------------------------------

def test_classic_hellohello_submit_vector():
    msg = pdu.decode("0011000B916407281553F80000AA0AE8329BFD4697D9EC37")
    assert msg.type == "submit" and msg.smsc == ""
    assert msg.address == "+46708251358"
    assert msg.text == "hellohello" and msg.encoding == "gsm7"
    assert msg.validity == {"relative_minutes": 4 * 24 * 60}   # TP-VP 0xAA
    assert msg.tpdu_length == 23 and not msg.srr


def test_classic_hellohello_deliver_vector():
    msg = pdu.decode("07917283010010F5040BC87238880900F10000993092516195800A"
                     "E8329BFD4697D9EC37")
    assert msg.type == "deliver" and msg.smsc == "+27381000015"
    assert msg.address == "27838890001" and msg.text == "hellohello"
    assert msg.scts == datetime.datetime(1999, 3, 29, 15, 16, 59,
                                         tzinfo=UTC_PLUS_2)


def test_deliver_encoding_matches_the_vector_fields():
    when = datetime.datetime(1999, 3, 29, 15, 16, 59, tzinfo=UTC_PLUS_2)
    hexpdu, length = pdu.encode_deliver("+46708251358", "hellohello",
                                        smsc="+27381000015", when=when)
    assert hexpdu == ("07917283010010F5" "04" "0B916407281553F8" "00" "00"
                      "99309251619580" "0A" "E8329BFD4697D9EC37")
    assert length == 28


def test_ucs2_chinese_deliver():
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC_PLUS_8)
    hexpdu, _ = pdu.encode_deliver("+8613900000001", "你好世界",
                                   smsc="+8613800290500", when=when)
    assert hexpdu == ("0891683108200905F0" "04" "0D91683109000000F1" "00"
                      "08" "42506070809023" "08" "4F60597D4E16754C")
    msg = pdu.decode(hexpdu)
    assert (msg.text, msg.encoding, msg.scts) == ("你好世界", "ucs2", when)


def test_concatenated_gsm7_udh_and_fill_bit():
    hexpdu, _ = pdu.encode_deliver("+8613900000001", "abc",
                                   concat=(0xCC, 2, 1))
    ud = hexpdu[-18:]
    # UDL 10 septets = 7 for the 6-octet UDH + 3; 'a' after one fill bit.
    assert hexpdu[-20:-18] == "0A"
    assert ud.startswith("050003CC0201") and ud[12:14] == "C2"
    msg = pdu.decode(hexpdu)
    assert msg.concat == {"ref": 0xCC, "total": 2, "seq": 1, "bits": 8}
    assert msg.text == "abc"


@pytest.mark.parametrize("text,encoding", [
    ("x" * 152, "gsm7"), ("数" * 66, "ucs2"), ("[]{}|^~\\€", "gsm7")])
def test_concatenation_16bit_round_trip(text, encoding):
    hexpdu, _ = pdu.encode_deliver("Bank", text, concat=(0x1234, 3, 2, 16),
                                   encoding=encoding)
    msg = pdu.decode(hexpdu)
    assert msg.concat == {"ref": 0x1234, "total": 3, "seq": 2, "bits": 16}
    assert (msg.text, msg.encoding, msg.address) == (text, encoding, "Bank")


def test_gsm7_alphabet_round_trip_and_septet_count():
    text = pdu.GSM7_BASIC.replace("\x1b", "") + "".join(
        pdu.GSM7_EXTENSION.values())
    septets = pdu.gsm7_to_septets(text)
    assert len(septets) == len(text) + len(pdu.GSM7_EXTENSION)
    assert pdu.septets_to_gsm7(septets) == text
    assert pdu.unpack_septets(pdu.pack_septets(septets), len(septets)) == \
        septets
    with pytest.raises(pdu.PduError):
        pdu.gsm7_to_septets("中")


def test_alphanumeric_sender():
    address = pdu.encode_address("Cungate")
    assert address[:2] == bytes([13, 0xD0])       # 49 bits = 13 semi-octets
    assert pdu.decode_address(address, 0) == ("Cungate", len(address))


def test_timestamp_with_negative_zone():
    when = datetime.datetime(2023, 12, 31, 23, 59, 58,
                             tzinfo=datetime.timezone(-datetime.timedelta(hours=5)))
    octets = pdu.encode_timestamp(when)
    assert octets.hex().upper() == "3221133295850A"
    assert pdu.decode_timestamp(octets) == when


def test_status_report_round_trip():
    hexpdu, length = pdu.encode_status_report(42, "+8613900000001",
                                              smsc="+8613800290500")
    msg = pdu.decode(hexpdu)
    assert (msg.type, msg.mr, msg.address, msg.status) == \
        ("status_report", 42, "+8613900000001", 0)
    assert msg.tpdu_length == length


def test_split_text():
    assert [len(p) for p in pdu.split_text("a" * 161, "gsm7")] == [153, 8]
    assert pdu.split_text("a" * 160, "gsm7") == ["a" * 160]
    assert [len(p) for p in pdu.split_text("中" * 71, "ucs2")] == [67, 4]
    # An extension character costs two septets and is never cut.
    parts = pdu.split_text("a" * 152 + "€" + "b" * 7, "gsm7")
    assert parts == ["a" * 152, "€" + "b" * 7]
    assert pdu.choose_encoding("héllo") == "gsm7"
    assert pdu.choose_encoding("中文") == "ucs2"


def test_truncated_pdu_is_rejected():
    with pytest.raises(pdu.PduError):
        pdu.decode("0011000B916407281553F80000AA0AE8329B")


# --- the modem over its pipes ------------------------------------------------------

class Modem:
    """modemsim.py on pipes, talked to like libgammu does (with echo)."""

    def __init__(self, state):
        self.state = str(state)
        self.proc = subprocess.Popen(
            [PYTHON, MODEMSIM, "--state", self.state],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buffer = b""

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_until(self, pred, timeout=3.0):
        """Read output until pred(buffer); return and consume it."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while not pred(self.buffer):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no answer; got {self.buffer!r}")
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise AssertionError(f"modem exited; got {self.buffer!r}")
                self.buffer += chunk
        out, self.buffer = self.buffer, b""
        return out.decode("latin-1")

    def at(self, command):
        """Send a command; return everything up to its final result."""
        self.send(command.encode() + b"\r")
        return self.read_until(
            lambda b: b.endswith((b"OK\r\n", b"ERROR\r\n")) or
            b"ERROR: " in b and b.endswith(b"\r\n"))

    def send_pdu(self, hexpdu):
        """AT+CMGS with the prompt, then the PDU and Ctrl-Z."""
        length = len(hexpdu) // 2 - (int(hexpdu[:2], 16) + 1)
        self.send(f"AT+CMGS={length}\r".encode())
        self.read_until(lambda b: b.endswith(b"> "))
        self.send(hexpdu.encode() + b"\x1a")
        return self.read_until(lambda b: b.endswith(b"\r\n") and (
            b"OK" in b or b"ERROR" in b))

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=5)


@pytest.fixture
def modem(tmp_path):
    m = Modem(tmp_path / "modem")
    yield m
    if m.proc.poll() is None:
        m.close()


SUBMIT = "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"


def test_echo_errors_and_escape(modem):
    assert modem.at("AT") == "AT\r\r\nOK\r\n"
    assert modem.at("AT+MODE=2").endswith("\r\nERROR\r\n")
    modem.send(b"\x1b\rATE0\r")
    assert modem.read_until(lambda b: b.endswith(b"OK\r\n")) == \
        "ATE0\r\r\nOK\r\n"
    assert modem.at("AT+CSQ") == "\r\n+CSQ: 21,99\r\n\r\nOK\r\n"
    assert modem.at("AT+CPMS=\"SM\",\"SM\"") == \
        "\r\n+CPMS: 0,30,0,30,0,30\r\n\r\nOK\r\n"


def test_submit_fault_then_success(modem, tmp_path):
    drop(modem.state, "faults.json",
         {"AT+CMGS": {"mode": "cms_error", "code": 38, "count": 1}})
    modem.at("ATE0")
    assert modem.send_pdu(SUBMIT) == "\r\n+CMS ERROR: 38\r\n"
    assert modem.send_pdu(SUBMIT) == "\r\n+CMGS: 0\r\n\r\nOK\r\n"
    sent = read_jsonl(os.path.join(modem.state, "sent.jsonl"))
    assert [(s["mr"], s["to"], s["text"]) for s in sent] == \
        [(0, "+46708251358", "hellohello")]
    # a PDU whose length disagrees with AT+CMGS is refused
    modem.send(b"AT+CMGS=22\r")
    modem.read_until(lambda b: b.endswith(b"> "))
    modem.send(SUBMIT.encode() + b"\x1a")
    assert "+CMS ERROR: 304" in modem.read_until(lambda b: b"ERROR" in b)


def test_full_sim_queues_and_cmti(modem):
    drop(modem.state, "faults.json", {"sim_capacity": 1})
    modem.at("ATE0")
    modem.at("AT+CNMI=2,1,0,2,0")
    inject = os.path.join(modem.state, "inject")
    drop(inject, "1.json", {"from": "+8613900000001", "text": "one"})
    drop(inject, "2.json", {"from": "+8613900000002", "text": "two"})
    assert modem.read_until(lambda b: b.endswith(b"\r\n")) == \
        '\r\n+CMTI: "SM",1\r\n'
    wait_for(lambda: read_json(os.path.join(modem.state, "state.json"))
             ["queued"] == 1, what="second message queued")
    assert os.listdir(inject) == ["2.json"]
    assert modem.at("AT+CMGD=1") == "\r\nOK\r\n"
    assert modem.read_until(lambda b: b.endswith(b"\r\n")) == \
        '\r\n+CMTI: "SM",1\r\n'
    listing = modem.at("AT+CMGL=4")
    assert listing.startswith("\r\n+CMGL: 1,0,,")
    sim = read_json(os.path.join(modem.state, "sim.json"))
    assert [(m["from"], m["text"], m["stat"]) for m in sim["messages"]] == \
        [("+8613900000002", "two", "read")]


def test_ring_and_hang_up(modem):
    modem.at("ATE0")
    modem.at("AT+CLIP=1")
    drop(os.path.join(modem.state, "ring"), "call", "+8613900000009 3")
    assert modem.read_until(lambda b: b.endswith(b",,,,0\r\n")) == \
        '\r\nRING\r\n\r\n+CLIP: "+8613900000009",145,,,,0\r\n'
    assert modem.at("AT+CLCC") == \
        '\r\n+CLCC: 1,1,4,0,0,"+8613900000009",145\r\n\r\nOK\r\n'
    assert modem.at("AT+CHUP") == "\r\nOK\r\n"
    state = read_json(os.path.join(modem.state, "state.json"))
    assert state["hung_up"] == ["+8613900000009"] and state["calls"] == 1


def test_silence_then_dead(modem):
    drop(modem.state, "faults.json", {"AT+CSQ": {"mode": "silence"}})
    modem.at("ATE0")
    modem.send(b"AT+CSQ\r")
    assert modem.at("AT+CBC") == "\r\n+CBC: 0,100\r\n\r\nOK\r\n"
    drop(modem.state, "faults.json", {"dead": 0.2})
    modem.proc.wait(timeout=3)
    events = [r["event"] for r in
              read_jsonl(os.path.join(modem.state, "log.jsonl"))]
    assert "dead" in events and events[-1] == "exit"


# --- the modem under the real libgammu (gammu CLI, proxyat) -------------------

needs_gammu = pytest.mark.skipif(GAMMU is None, reason="gammu CLI missing "
                                 "(Debian package gammu, see make deps)")


@pytest.fixture
def gammu(tmp_path):
    """Run `gammu -c RC args…` against a modem on tmp_path/modem."""
    state = tmp_path / "modem"
    rc = tmp_path / "gammurc"
    rc.write_text(f"[gammu]\ndevice = {PYTHON} {MODEMSIM} --state {state}\n"
                  "connection = proxyat\nmodel = at\n")
    env = dict(os.environ, LC_ALL="C.UTF-8")

    def run(*args, timeout=15):
        proc = subprocess.run([GAMMU, "-c", str(rc), *args], env=env,
                              capture_output=True, text=True,
                              timeout=timeout)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout
    def start(*args):
        """A long-running gammu (monitor, getussd), line-buffered."""
        return subprocess.Popen(["stdbuf", "-oL", GAMMU, "-c", str(rc),
                                 *args], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    run.state = str(state)
    run.start = start
    return run


def expect(proc, *texts, timeout=6.0):
    """Read a running gammu's output until it holds every text; then end
    it (its SIGINT handler aborts libgammu and lingers)."""
    out, deadline = b"", time.monotonic() + timeout
    fd = proc.stdout.fileno()
    try:
        while not all(t.encode() in out for t in texts):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"gammu never said {texts}: {out!r}")
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise AssertionError(f"gammu exited: {out!r}")
                out += chunk
    finally:
        proc.kill()
        proc.wait(timeout=5)
    return out.decode()


def commands_sent(state):
    """The AT commands libgammu sent, from the modem's log."""
    return [r["cmd"] for r in read_jsonl(os.path.join(state, "log.jsonl"))
            if r["event"] == "cmd"]


@needs_gammu
def test_gammu_identify(gammu):
    out = gammu("identify")
    assert "Cungate" in out and "861234567890123" in out
    assert "460001234567890" in out
    assert "AT+CFUN=1" in commands_sent(gammu.state)


@needs_gammu
def test_gammu_reads_injected_sms(gammu):
    inject = os.path.join(gammu.state, "inject")
    drop(inject, "1.json", {"from": "+8613900000001",
                            "text": "你好世界，余额查询"})
    drop(inject, "2.json", {"from": "+8613900000002", "text": "[x]€ " * 45})
    drop(inject, "3.pdu", "07917283010010F5040BC87238880900F10000993092516195"
                          "800AE8329BFD4697D9EC37")
    out = gammu("getallsms")
    assert "你好世界，余额查询" in out and '"+8613900000001"' in out
    assert "ID (8 bit)" in out and "part 3 of 3" in out
    assert "hellohello" in out and "5 SMS parts" in out
    # libgammu lists with AT+CMGL, or reads location by location with
    # AT+CMGR when a listing did not answer in time (seen on a busy machine).
    # The modem writes its log as it goes: on a busy machine the lines may
    # land a moment after gammu has exited.
    wait_for(lambda: any(c.startswith(("AT+CMGL=4", "AT+CMGR="))
                         for c in commands_sent(gammu.state)), timeout=10,
             what="AT+CMGL or AT+CMGR in the modem's log")


@needs_gammu
def test_gammu_sends_unicode_sms(gammu):
    out = gammu("sendsms", "TEXT", "+8613900000001", "-unicode",
                "-text", "你好世界")
    assert "message reference=0" in out
    sent = read_jsonl(os.path.join(gammu.state, "sent.jsonl"))
    assert [(s["to"], s["text"], s["encoding"]) for s in sent] == \
        [("+8613900000001", "你好世界", "ucs2")]


@needs_gammu
def test_gammu_status_report(gammu):
    drop(gammu.state, "faults.json", {"status_report": True})
    gammu("sendsms", "TEXT", "+8613900000003", "-report", "-text", "hi")
    sent = read_jsonl(os.path.join(gammu.state, "sent.jsonl"))
    assert sent[0]["srr"] is True
    out = gammu("getallsms")
    assert "SMS status report" in out and "Delivered" in out
    assert '"+8613900000003"' in out


@needs_gammu
def test_gammu_networkinfo_monitor_ussd(gammu):
    out = gammu("networkinfo")
    assert "460 00" in out and "CHINA MOBILE" in out and "1A2B" in out
    out = gammu("monitor", "1")
    assert "Battery level        : 100 percent" in out
    assert "SIM SMS status       : 0 used, 0 unread, 30 locations" in out


@needs_gammu
def test_gammu_ussd(gammu):
    drop(gammu.state, "ussd.json", {"*100#": "您的余额为12.50元"})
    proc = gammu.start("getussd", "*100#")   # lingers 10 s for more replies
    expect(proc, '"您的余额为12.50元"')
    assert 'AT+CUSD=1,"002A0031003000300023",15' in commands_sent(gammu.state)


@needs_gammu
def test_gammu_monitor_sees_cmti_and_call(gammu):
    mon = gammu.start("monitor", "100000")
    # Its first reading (AT+CBC) follows the last notification it enables:
    # a call ringing before then (at AT+CLIP=1, say) can go unreported.
    wait_for(lambda: "AT+CBC" in commands_sent(gammu.state),
             what="monitor to enable notifications")
    drop(os.path.join(gammu.state, "inject"), "1.json",
         {"from": "+8613900000001", "text": "ping"})
    drop(os.path.join(gammu.state, "ring"), "call", "+8613900000009 1")
    expect(mon, 'incoming call from "+8613900000009"', "call end from remote",
           "SMS message received", "ping")
    state = read_json(os.path.join(gammu.state, "state.json"))
    assert state["missed"] == ["+8613900000009"] and state["received"] == 1
