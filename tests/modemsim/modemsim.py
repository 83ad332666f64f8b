#!/usr/bin/python3
"""A simulated GSM modem for libgammu's AT driver (PDU mode).

libgammu runs it under `connection = proxyat` (the `device` line is run
through the shell) and speaks AT over its stdin/stdout:

    [gammu]
    device = /usr/bin/python3 /abs/tests/modemsim/modemsim.py --state /abs/DIR
    connection = proxyat
    model = at

stdout carries nothing but the AT stream. Everything else goes to the
state directory DIR, which is also how a test drives the modem.

State directory protocol
========================
Write every file the modem reads atomically: write a temporary name
(starting with "." or ending in ".tmp"), then rename() it.

DIR/inject/*.pdu, DIR/inject/*.json -- incoming SMS. Picked up in name
    order by polling (~20 ms) whenever no command is half-received.
    `*.pdu`: one SMS-DELIVER (or STATUS-REPORT) PDU in hex, SMSC field
    included. `*.json`: {"from": "+8613900000001", "text": "...",
    "smsc": "+8613800290500", "encoding": "auto|gsm7|ucs2",
    "class": null|0-3, "time": epoch-seconds, "ref": 12, "total": 2,
    "seq": 1, "ref_bits": 8|16}; only "from" is required. With "ref",
    the text is one part of a concatenated message (total and seq
    required); without it, a text too long for one SMS is split into
    parts with a random reference. Each part is stored on the SIM at the
    lowest free index and announced as `+CMTI: "SM",<index>` if AT+CNMI
    asked for it (mt=1). The file is deleted once stored; a file that
    does not fit the free SIM slots stays queued; an unreadable one is
    renamed to *.bad.
DIR/ring/* -- an incoming call. Content: "<number> [<rings>]" (default 5
    rings) or {"from": "+86...", "rings": N}. The modem sends RING (and
    `+CLIP: "<number>",145,,,,0` after AT+CLIP=1) every 2 s until ATH or
    AT+CHUP, or sends NO CARRIER after the last ring. One call at a time;
    the file is deleted when the call starts.
DIR/ussd.json -- {"*100#": "reply text"} or {"*100#": {"text": "...",
    "status": 1}}: the answer to AT+CUSD=1,"<code>",15, sent as
    `+CUSD: <status>,"<text>",<dcs>` after OK. The text is UCS-2 hex when
    AT+CSCS="UCS2" (dcs 15), else plain if ASCII-safe (dcs 15) or UCS-2
    hex (dcs 72). An unknown code gets `+CUSD: 4`.
DIR/faults.json -- re-read whenever it changes. Per command, keyed by a
    command prefix that must end at a word boundary ("AT+CMGS" matches
    "AT+CMGS=23", "AT+CPMS=?" only the test form):
        {"AT+CMGS": {"mode": "cms_error", "code": 38, "count": 1}}
    modes: "cms_error"/"cme_error" (+CMS/+CME ERROR: code), "error",
    "silence" (no echo, no answer; keep reading), "garbage" (random bytes
    instead of echo and answer), "delay" ("seconds": s; echo, sleep, then
    answer normally). "count" limits how often it fires (default: always);
    "after": N lets the first N matching commands through untouched.
    An AT+CMGS fault fires after the PDU and Ctrl-Z, in place of +CMGS:,
    and the message is not recorded in sent.jsonl. Global keys:
        "sim_capacity": N   SIM holds N messages (+CPMS reports N);
                            injections, and status reports (as inject/
                            report-*.pdu), wait while it is full
        "no_cmti": true     store but never announce (+CMTI, +CDSI)
        "dead": true|secs   answer nothing from now on; exit after secs
                            (true: 5 s)
        "status_report": true   after a sent PDU with TP-SRR, deliver an
                            SMS-STATUS-REPORT (status 0x00) right after
                            +CMGS:, per AT+CNMI ds: 1 -> `+CDS: <len>` + PDU,
                            2 -> stored, `+CDSI: "SM",<index>`,
                            0 -> stored silently
Written by the modem:
DIR/sent.jsonl -- one line per accepted AT+CMGS: {"time", "mr", "pdu",
    "smsc", "to", "text", "udh": {"ref","total","seq","bits"}|null,
    "encoding": "gsm7|ucs2|8bit", "class", "srr", "validity"}.
DIR/log.jsonl -- one line per event, each with "time" (epoch float):
    {"event": "cmd", "cmd", "reply", "reply_time"} for every command;
    "pdu" (the PDU after a prompt), "urc" (unsolicited output, "data"),
    "inject", "fault", "call", "hangup", "error", "dead", "eof", "exit".
DIR/sim.json -- the SIM: {"capacity", "used", "messages": [{"index",
    "stat": "unread|read|unsent|sent", "type", "from", "text", "udh",
    "pdu"}]}, rewritten on every change.
DIR/state.json -- {"received", "stored", "deleted", "sent", "calls",
    "status_reports", "hung_up": [numbers], "missed": [numbers],
    "queued", "next_mr"}, rewritten on every change.
Like a real SIM, sim.json and state.json outlive the process: a modem
started on an existing DIR carries on from them. libgammu ends the
process with SIGHUP whenever it disconnects (logged as "exit").
"""
import argparse
import datetime
import json
import os
import random
import re
import select
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pdu  # noqa: E402  (the modem's own codec, next to this file)

POLL_INTERVAL = 0.02
RING_INTERVAL = 2.0
DEFAULT_RINGS = 5
DEFAULT_CAPACITY = 30
DEFAULT_DEAD_EXIT = 5.0
USSD_DELAY = 0.1
DEFAULT_SMSC = "+8613800290500"
CHARSETS = ("GSM", "UCS2", "IRA")
CTRL_Z, ESC, BACKSPACE = 0x1A, 0x1B, 0x08
STAT_NAMES = ("unread", "read", "unsent", "sent")
IDENTITY = {"+CGMI": "Cungate", "+CGMM": "ModemSim", "+CGMR": "1.0",
            "+CGSN": "861234567890123", "+CIMI": "460001234567890"}
NETWORK = {"code": "46000", "name": "CHINA MOBILE", "lac": "1A2B",
           "cid": "00C3D4E5", "rssi": 21, "ber": 99, "battery": 100}


class AtError(Exception):
    """A command failed; the argument is the final result line."""


class StateDir:
    """The files of the state directory (see the module docstring)."""

    def __init__(self, root):
        """Create root, root/inject and root/ring if missing."""
        self.root = root
        self.inject = os.path.join(root, "inject")
        self.ring = os.path.join(root, "ring")
        for d in (root, self.inject, self.ring):
            os.makedirs(d, exist_ok=True)

    def path(self, name):
        """Absolute path of a file in the state directory."""
        return os.path.join(self.root, name)

    def append(self, name, record):
        """Append one JSON line to name and flush it to the file."""
        with open(self.path(name), "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")

    def log(self, event, **fields):
        """One line in log.jsonl; 'time' defaults to now."""
        record = {"time": fields.pop("time", time.time()), "event": event}
        record.update(fields)
        self.append("log.jsonl", record)

    def write_json(self, name, obj):
        """Replace name atomically with obj as JSON."""
        tmp = self.path(f".{name}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, ensure_ascii=False, indent=1, default=str)
        os.replace(tmp, self.path(name))

    def read_json(self, name, default):
        """The JSON in name, or default if absent or unreadable."""
        try:
            with open(self.path(name), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return default

    def signature(self, name):
        """A value that changes whenever name is replaced or rewritten."""
        try:
            st = os.stat(self.path(name))
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)


class Faults:
    """faults.json, re-read when it changes, with per-command counts."""

    def __init__(self, state):
        """Start with no faults; refresh() loads the file."""
        self.state = state
        self.sig = None
        self.config = {}

    def refresh(self):
        """Reload faults.json if it changed (a new file resets counts)."""
        sig = self.state.signature("faults.json")
        if sig != self.sig:
            self.sig = sig
            self.config = self.state.read_json("faults.json", {})
            if not isinstance(self.config, dict):
                self.config = {}

    def get(self, key, default=None):
        """A global setting such as sim_capacity or no_cmti."""
        return self.config.get(key, default)

    def take(self, command):
        """The fault for a command line (longest matching key), consuming
        one use of its count; None if no fault applies."""
        upper = command.upper()
        keys = [k for k, v in self.config.items()
                if k.upper().startswith("AT") and isinstance(v, dict) and
                upper.startswith(k.upper()) and
                not upper[len(k):len(k) + 1].isalnum()]
        if not keys:
            return None
        key = max(keys, key=len)
        fault = self.config[key]
        if fault.get("after", 0) > 0:
            fault["after"] -= 1
            return None
        count = fault.get("count")
        if count is not None:
            if count <= 0:
                return None
            fault["count"] = count - 1
        return dict(fault, key=key)


class Sim:
    """The simulated SIM's message store: index -> slot dict with the
    PDU hex, its TPDU length and the 27.005 <stat> (0 unread ... 3 sent)."""

    def __init__(self, faults, saved):
        """The SIM as last saved to sim.json (a SIM outlives the modem
        process: libgammu kills it on every disconnect); its capacity
        follows faults.json."""
        self.faults = faults
        self.slots = {}
        for entry in saved.get("messages", []):
            try:
                length = pdu.decode(entry["pdu"]).tpdu_length
            except (KeyError, pdu.PduError):
                continue
            self.slots[entry["index"]] = {
                "pdu": entry["pdu"], "length": length,
                "stat": STAT_NAMES.index(entry.get("stat", "unread"))}

    @property
    def capacity(self):
        """Number of messages the SIM holds (the sim_capacity fault)."""
        return int(self.faults.get("sim_capacity", DEFAULT_CAPACITY))

    def free_slots(self):
        """How many more messages fit."""
        return max(0, self.capacity - len(self.slots))

    def store(self, hexpdu, tpdu_length, stat=0):
        """Store at the lowest free index; return it, or None if full."""
        if not self.free_slots():
            return None
        index = next(i for i in range(1, self.capacity + 1)
                     if i not in self.slots)
        self.slots[index] = {"pdu": hexpdu, "length": tpdu_length,
                             "stat": stat}
        return index

    def snapshot(self):
        """The SIM as written to sim.json, with each PDU decoded."""
        messages = []
        for index in sorted(self.slots):
            slot = self.slots[index]
            entry = {"index": index, "stat": STAT_NAMES[slot["stat"]],
                     "pdu": slot["pdu"]}
            try:
                msg = pdu.decode(slot["pdu"])
                entry.update(type=msg.type, text=msg.text,
                             udh=msg.concat, status=msg.status, mr=msg.mr)
                entry["from"] = msg.address
            except pdu.PduError as exc:
                entry["error"] = str(exc)
            messages.append(entry)
        return {"capacity": self.capacity, "used": len(self.slots),
                "messages": messages}


def split_args(text):
    """Split AT arguments at commas outside quotes; strip the quotes."""
    args, current, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    args.append("".join(current).strip())
    return args


def int_arg(args, i, default=None, allowed=None):
    """args[i] as an int (default if missing/empty); ERROR if invalid."""
    if i >= len(args) or args[i] == "":
        if default is None:
            raise AtError("ERROR")
        return default
    try:
        value = int(args[i])
    except ValueError:
        raise AtError("ERROR") from None
    if allowed is not None and value not in allowed:
        raise AtError("ERROR")
    return value


def ascii_safe(text):
    """True if text reads the same in ASCII and in the GSM alphabet, so a
    modem in GSM charset can send it as-is over the AT stream."""
    return all(ch in pdu.GSM7_BASIC and pdu.GSM7_BASIC.index(ch) == ord(ch)
               for ch in text)


class Modem:
    """The AT command interpreter, its unsolicited output and the
    state-directory side: injections, calls, faults, records."""

    def __init__(self, state):
        """A freshly powered modem (echo on, GSM charset, no URCs) with
        the SIM and counters a previous run left in the state directory."""
        self.state = state
        self.faults = Faults(state)
        self.faults.refresh()
        self.sim = Sim(self.faults, state.read_json("sim.json", {}))
        self.line = bytearray()       # command being received
        self.submit = None            # {"length", "fault"} while in PDU entry
        self.pdu_buffer = bytearray()
        self.echo = True
        self.cmee = 0
        self.charset = "GSM"
        self.cnmi = [0, 0, 0, 0, 0]
        self.reg = {"+CREG": 0, "+CGREG": 0}
        self.cops_format = 0
        self.clip = 0
        self.cusd = 0
        self.smsc = DEFAULT_SMSC
        self.call = None              # {"number", "rings_left", "next"}
        self.urcs = []                # unsolicited output waiting for idle
        self.timers = []              # [(due, callable)]
        self.counters = {"received": 0, "stored": 0, "deleted": 0,
                         "sent": 0, "calls": 0, "status_reports": 0,
                         "hung_up": [], "missed": [], "queued": 0,
                         "next_mr": 0}
        self.counters.update(state.read_json("state.json", {}))
        self.handlers = {
            "": self.at_plain, "E": self.at_echo, "H": self.at_hangup,
            "+CHUP": self.at_chup, "+CFUN": self.at_cfun,
            "+CMEE": self.at_cmee, "+CSCS": self.at_cscs,
            "+CPIN": self.at_cpin,
            "+CPMS": self.at_cpms, "+CMGF": self.at_cmgf,
            "+CNMI": self.at_cnmi, "+CMGL": self.at_cmgl,
            "+CMGR": self.at_cmgr, "+CMGD": self.at_cmgd,
            "+CSCA": self.at_csca, "+CMGS": self.at_cmgs,
            "+CSQ": self.at_csq, "+CBC": self.at_cbc,
            "+CREG": self.registration("+CREG"),
            "+CGREG": self.registration("+CGREG"),
            "+CGATT": self.at_cgatt, "+COPS": self.at_cops,
            "+CUSD": self.at_cusd, "+CLIP": self.at_clip,
            "+CRC": self.at_crc, "+CLCC": self.at_clcc,
        }
        self.handlers.update((name, self.identity(value))
                             for name, value in IDENTITY.items())
        self.save_sim()
        self.save_counters()

    # --- output -------------------------------------------------------------

    @staticmethod
    def write(data):
        """Write bytes (or ASCII text) to the AT stream, all of it."""
        if isinstance(data, str):
            data = data.encode("latin-1", errors="replace")
        while data:
            n = os.write(sys.stdout.fileno(), data)
            data = data[n:]

    def urc(self, text):
        """Queue unsolicited output; it goes out when the line is idle."""
        self.urcs.append(text)

    def flush_urcs(self):
        """Send queued unsolicited output if no command is in progress."""
        while self.urcs and self.idle():
            text = self.urcs.pop(0)
            self.write(f"\r\n{text}\r\n")
            self.state.log("urc", data=text)

    def idle(self):
        """No command is half-received and no PDU is being entered."""
        return not self.line and self.submit is None

    def quote(self, text):
        """A string argument of a response in the current charset."""
        if self.charset == "UCS2":
            return '"' + text.encode("utf-16-be").hex().upper() + '"'
        return f'"{text}"'

    def unquote(self, text):
        """A string argument of a command, decoded from the current
        charset (UCS2: hex of UTF-16BE when it looks like that)."""
        if self.charset == "UCS2" and len(text) % 4 == 0 and text and \
                all(c in "0123456789abcdefABCDEF" for c in text):
            return bytes.fromhex(text).decode("utf-16-be", errors="replace")
        return text

    # --- persistence ---------------------------------------------------------

    def save_sim(self):
        """Rewrite sim.json."""
        self.state.write_json("sim.json", self.sim.snapshot())

    def save_counters(self):
        """Rewrite state.json."""
        self.state.write_json("state.json", self.counters)

    # --- input ---------------------------------------------------------------

    def feed(self, data):
        """Consume bytes from libgammu: command lines, or a PDU after the
        prompt. ESC abandons either; a stray Ctrl-Z abandons a line."""
        for byte in data:
            if self.submit is not None:
                if byte == CTRL_Z:
                    self.finish_submit()
                elif byte == ESC:
                    self.state.log("pdu", cancelled=True,
                                   pdu=self.pdu_buffer.decode("latin-1"))
                    self.submit = None
                    self.pdu_buffer.clear()
                elif chr(byte) in "0123456789abcdefABCDEF":
                    self.pdu_buffer.append(byte)
            elif byte in (ESC, CTRL_Z):
                self.line.clear()
            elif byte == BACKSPACE:
                del self.line[-1:]
            elif byte == 0x0D:
                line = bytes(self.line)
                self.line.clear()
                self.command_line(line)
            elif byte != 0x0A:
                self.line.append(byte)

    def command_line(self, raw):
        """Run one received line (without its CR)."""
        text = raw.decode("latin-1").strip()
        start = text.upper().find("AT")
        if start < 0:
            return                      # noise, an empty line, or "A/"
        command = text[start:]
        received = time.time()
        fault = self.faults.take(command)
        if fault and not command.upper().startswith("AT+CMGS="):
            out = self.faulty_reply(raw, command, fault)
        else:
            out = (raw + b"\r").decode("latin-1") if self.echo else ""
            out += self.execute(command, fault)
        self.write(out)
        self.state.log("cmd", time=received, cmd=command, reply=out,
                       reply_time=time.time())

    def faulty_reply(self, raw, command, fault):
        """Output for a command hit by a fault (see the docstring): delay
        and error modes echo, silence and garbage replace the echo too."""
        mode = fault.get("mode", "error")
        self.state.log("fault", cmd=command, **fault)
        echo = (raw + b"\r").decode("latin-1") if self.echo else ""
        if mode == "delay":
            self.write(echo)
            time.sleep(float(fault.get("seconds", 1)))
            return self.execute(command, None)
        if mode in ("silence", "garbage"):
            return self.fault_output(fault)
        return echo + self.fault_output(fault)

    def fault_output(self, fault):
        """What a silence, garbage or error fault sends instead of a
        command's response."""
        mode = fault.get("mode", "error")
        if mode == "silence":
            return ""
        if mode == "garbage":
            return os.urandom(random.randint(8, 64)).decode("latin-1")
        if mode == "cms_error":
            return self.final(f"+CMS ERROR: {fault.get('code', 500)}")
        if mode == "cme_error":
            return self.final(f"+CME ERROR: {fault.get('code', 100)}")
        return self.final("ERROR")

    def final(self, result):
        """A final result code as sent (verbose format)."""
        if result.startswith("+CME ERROR") and self.cmee == 0:
            result = "ERROR"
        return f"\r\n{result}\r\n"

    def execute(self, command, fault):
        """Dispatch a command; return its response and final result."""
        body = command[2:]
        m = re.match(r"([+$^*#%&][A-Za-z0-9]+|[A-Za-z&]?)(.*)$", body)
        name, rest = m.group(1).upper(), m.group(2)
        handler = self.handlers.get(name)
        if handler is None:
            return self.final("ERROR")
        if name and name[0].isalpha():
            form, args = "basic", [rest]
        elif rest == "":
            form, args = "exec", []
        elif rest == "?":
            form, args = "read", []
        elif rest == "=?":
            form, args = "test", []
        elif rest.startswith("="):
            form, args = "set", split_args(rest[1:])
        else:
            return self.final("ERROR")
        try:
            if name == "+CMGS":
                return handler(form, args, fault)
            lines = handler(form, args)
        except AtError as exc:
            return self.final(str(exc))
        except Exception:                # a modem bug: say ERROR, keep going
            self.state.log("error", cmd=command,
                           traceback=traceback.format_exc())
            return self.final("ERROR")
        return "".join(f"\r\n{line}\r\n" for line in lines) + \
            self.final("OK")

    # --- general commands ----------------------------------------------------

    def at_plain(self, form, args):
        """AT: OK."""
        return []

    def at_echo(self, form, args):
        """ATE0 / ATE1."""
        self.echo = int_arg(args, 0, 0, (0, 1)) == 1
        return []

    def at_cfun(self, form, args):
        """AT+CFUN: always fully functional."""
        if form == "read":
            return ["+CFUN: 1"]
        if form == "test":
            return ["+CFUN: (0,1,4),(0,1)"]
        if form == "set":
            int_arg(args, 0, allowed=(0, 1, 4))
            return []
        raise AtError("ERROR")

    def at_cmee(self, form, args):
        """AT+CMEE: numeric (1) or textual (2) +CME ERROR, or plain ERROR."""
        if form == "read":
            return [f"+CMEE: {self.cmee}"]
        if form == "test":
            return ["+CMEE: (0-2)"]
        if form == "set":
            self.cmee = int_arg(args, 0, 0, (0, 1, 2))
            return []
        raise AtError("ERROR")

    def at_cscs(self, form, args):
        """AT+CSCS: the TE character set for string arguments."""
        if form == "read":
            return [f"+CSCS: {self.quote(self.charset)}"]
        if form == "test":
            return ["+CSCS: (" + ",".join(f'"{c}"' for c in CHARSETS) + ")"]
        if form == "set":
            charset = self.unquote(args[0]).upper()
            if charset not in CHARSETS:
                raise AtError("ERROR")
            self.charset = charset
            return []
        raise AtError("ERROR")

    @staticmethod
    def identity(value):
        """A handler for AT+CGMI/CGMM/CGMR/CGSN/CIMI answering value."""
        def handler(form, args):
            if form == "test":
                return []
            if form != "exec":
                raise AtError("ERROR")
            return [value]
        return handler

    def at_cpin(self, form, args):
        """AT+CPIN?: the SIM needs no PIN."""
        if form == "read":
            return ["+CPIN: READY"]
        raise AtError("ERROR")

    # --- SMS -----------------------------------------------------------------

    def at_cmgf(self, form, args):
        """AT+CMGF: PDU mode only."""
        if form == "read":
            return ["+CMGF: 0"]
        if form == "test":
            return ["+CMGF: (0)"]
        if form == "set":
            int_arg(args, 0, 0, (0,))
            return []
        raise AtError("ERROR")

    def at_cpms(self, form, args):
        """AT+CPMS: one memory, the SIM ("SM"), for read, write, receive."""
        if form == "test":
            return ['+CPMS: ("SM"),("SM"),("SM")']
        used, total = len(self.sim.slots), self.sim.capacity
        if form == "read":
            return [f'+CPMS: "SM",{used},{total},"SM",{used},{total},'
                    f'"SM",{used},{total}']
        if form == "set":
            if any(self.unquote(a).upper() != "SM" for a in args):
                raise AtError("+CMS ERROR: 302")
            return ["+CPMS: " + ",".join([f"{used},{total}"] * 3)]
        raise AtError("ERROR")

    def at_cnmi(self, form, args):
        """AT+CNMI: mode, mt (1 = +CMTI), bm, ds (1 = +CDS, 2 = +CDSI), bfr."""
        if form == "test":
            return ["+CNMI: (0-2),(0,1),(0,2),(0-2),(0,1)"]
        if form == "read":
            return ["+CNMI: " + ",".join(map(str, self.cnmi))]
        if form == "set":
            allowed = [(0, 1, 2), (0, 1), (0, 2), (0, 1, 2), (0, 1)]
            self.cnmi = [int_arg(args, i, 0, allowed[i]) for i in range(5)]
            return []
        raise AtError("ERROR")

    def slot_lines(self, prefix, index):
        """The two lines describing a stored message (header, PDU)."""
        slot = self.sim.slots[index]
        head = f"{index}," if prefix == "+CMGL" else ""
        return [f"{prefix}: {head}{slot['stat']},,{slot['length']}",
                slot["pdu"]]

    def mark_read(self, index):
        """A received unread message becomes read once shown."""
        if self.sim.slots[index]["stat"] == 0:
            self.sim.slots[index]["stat"] = 1
            return True
        return False

    def at_cmgl(self, form, args):
        """AT+CMGL=<stat>: list messages (4 = all), marking them read."""
        if form == "test":
            return ["+CMGL: (0-4)"]
        if form not in ("exec", "set"):
            raise AtError("ERROR")
        wanted = int_arg(args, 0, 0, range(5))
        lines, changed = [], False
        for index in sorted(self.sim.slots):
            if wanted == 4 or self.sim.slots[index]["stat"] == wanted:
                lines += self.slot_lines("+CMGL", index)
                changed |= self.mark_read(index)
        if changed:
            self.save_sim()
        return lines

    def at_cmgr(self, form, args):
        """AT+CMGR=<index>: read one message, marking it read."""
        if form == "test":
            return []
        if form != "set":
            raise AtError("ERROR")
        index = int_arg(args, 0)
        if index not in self.sim.slots:
            raise AtError("+CMS ERROR: 321")
        lines = self.slot_lines("+CMGR", index)
        if self.mark_read(index):
            self.save_sim()
        return lines

    def at_cmgd(self, form, args):
        """AT+CMGD=<index>[,<delflag>]: delete one message, or by flag
        (1 read, 2 read+sent, 3 read+sent+unsent, 4 all)."""
        if form == "test":
            used = ",".join(map(str, sorted(self.sim.slots)))
            return [f"+CMGD: ({used}),(0-4)"]
        if form != "set":
            raise AtError("ERROR")
        index = int_arg(args, 0, 0)
        flag = int_arg(args, 1, 0, range(5))
        if flag:
            doomed = [i for i, slot in self.sim.slots.items()
                      if flag == 4 or slot["stat"] in
                      {1: (1,), 2: (1, 3), 3: (1, 2, 3)}[flag]]
        elif 1 <= index <= max(self.sim.capacity, max(self.sim.slots,
                                                     default=0)):
            doomed = [index] if index in self.sim.slots else []
        else:
            raise AtError("+CMS ERROR: 321")
        for i in doomed:
            del self.sim.slots[i]
        if doomed:
            self.counters["deleted"] += len(doomed)
            self.save_sim()
            self.save_counters()
        return []

    def at_csca(self, form, args):
        """AT+CSCA: the SMSC number."""
        if form == "read":
            toa = 145 if self.smsc.startswith("+") else 129
            return [f"+CSCA: {self.quote(self.smsc)},{toa}"]
        if form == "set":
            self.smsc = self.unquote(args[0])
            return []
        raise AtError("ERROR")

    def at_cmgs(self, form, args, fault):
        """AT+CMGS=<length>: prompt for a PDU; the result follows Ctrl-Z
        (finish_submit). A fault on AT+CMGS fires after the PDU."""
        if form == "test":
            return self.final("OK")
        if form != "set":
            return self.final("ERROR")
        try:
            length = int_arg(args, 0)
        except AtError as exc:
            return self.final(str(exc))
        if not 7 <= length <= 164:
            return self.final("+CMS ERROR: 304")
        self.submit = {"length": length, "fault": fault}
        self.pdu_buffer.clear()
        return "\r\n> "

    def finish_submit(self):
        """Ctrl-Z ended a PDU: check it, apply an AT+CMGS fault, else
        record it in sent.jsonl and answer +CMGS: <mr> (then, if asked
        for, the status report)."""
        received = time.time()
        submit, hexpdu = self.submit, self.pdu_buffer.decode("ascii").upper()
        self.submit = None
        self.pdu_buffer.clear()
        fault, record = submit["fault"], None
        try:
            msg = pdu.decode(hexpdu)
            smsc_octets = int(hexpdu[:2], 16) + 1
            if msg.type != "submit" or \
                    len(hexpdu) // 2 - smsc_octets != submit["length"]:
                raise pdu.PduError("not a SUBMIT of the announced length")
        except pdu.PduError as exc:
            self.state.log("error", pdu=hexpdu, error=str(exc))
            out = self.final("+CMS ERROR: 304")
        else:
            if fault:
                self.state.log("fault", cmd="AT+CMGS", **fault)
                if fault.get("mode") == "delay":
                    time.sleep(float(fault.get("seconds", 1)))
                    fault = None
            if fault:
                out = self.fault_output(fault)
            else:
                record = {"time": received, "mr": self.counters["next_mr"],
                          "pdu": hexpdu, "smsc": msg.smsc, "to": msg.address,
                          "text": msg.text, "udh": msg.concat,
                          "encoding": msg.encoding, "class": msg.msg_class,
                          "srr": msg.srr, "validity": msg.validity}
                self.counters["next_mr"] = (record["mr"] + 1) % 256
                out = f"\r\n+CMGS: {record['mr']}\r\n" + self.final("OK")
        if record:                    # on disk before libgammu hears of it
            self.state.append("sent.jsonl", record)
            self.counters["sent"] += 1
            self.save_counters()
        self.write(out)
        self.state.log("pdu", time=received, pdu=hexpdu, reply=out,
                       reply_time=time.time())
        if record and record["srr"] and self.faults.get("status_report"):
            self.status_report(record["mr"], record["to"])

    def status_report(self, mr, recipient):
        """Deliver an SMS-STATUS-REPORT for mr the way AT+CNMI ds says."""
        hexpdu, length = pdu.encode_status_report(mr, recipient,
                                                  smsc=self.smsc)
        self.counters["status_reports"] += 1
        ds = self.cnmi[3]
        if ds == 1:
            self.urc(f"+CDS: {length}\r\n{hexpdu}")
        else:
            index = self.sim.store(hexpdu, length)
            if index is None:
                # As a network does with "memory capacity exceeded": the
                # SMSC keeps the report and delivers it once a slot is
                # free, the same way as a waiting SMS-DELIVER.
                name = f"report-{time.time_ns():020d}-{mr:03d}.pdu"
                tmp = os.path.join(self.state.inject, "." + name)
                with open(tmp, "w", encoding="ascii") as f:
                    f.write(hexpdu + "\n")
                os.replace(tmp, os.path.join(self.state.inject, name))
                self.state.log("held", error="SIM full, status report held",
                               mr=mr)
            else:
                self.counters["stored"] += 1
                self.save_sim()
                if ds == 2 and not self.faults.get("no_cmti"):
                    self.urc(f'+CDSI: "SM",{index}')
        self.save_counters()

    # --- network -------------------------------------------------------------

    def at_csq(self, form, args):
        """AT+CSQ: signal quality."""
        if form == "test":
            return ["+CSQ: (0-31,99),(0-7,99)"]
        return [f"+CSQ: {NETWORK['rssi']},{NETWORK['ber']}"]

    def at_cbc(self, form, args):
        """AT+CBC: powered by the battery, full."""
        return [f"+CBC: 0,{NETWORK['battery']}"]

    def registration(self, name):
        """A handler for AT+CREG or AT+CGREG (registered, home network);
        the <n> setting lives in self.reg[name]."""
        def handler(form, args):
            if form == "test":
                return [f"{name}: (0-2)"]
            if form == "set":
                self.reg[name] = int_arg(args, 0, 0, (0, 1, 2))
                return []
            if form == "read":
                n = self.reg[name]
                if n == 2:
                    return [f'{name}: 2,1,"{NETWORK["lac"]}",'
                            f'"{NETWORK["cid"]}"']
                return [f"{name}: {n},1"]
            raise AtError("ERROR")
        return handler

    def at_cgatt(self, form, args):
        """AT+CGATT?: attached to GPRS."""
        if form == "read":
            return ["+CGATT: 1"]
        if form == "test":
            return ["+CGATT: (0,1)"]
        raise AtError("ERROR")

    def at_cops(self, form, args):
        """AT+COPS: automatic selection of the one network; AT+COPS=3,<f>
        picks the format of AT+COPS? (0 long name, 2 numeric)."""
        if form == "test":
            return [f'+COPS: (2,"{NETWORK["name"]}","CMCC",'
                    f'"{NETWORK["code"]}"),,(0-4),(0-2)']
        if form == "read":
            if self.cops_format == 2:
                return [f'+COPS: 0,2,"{NETWORK["code"]}"']
            return [f"+COPS: 0,{self.cops_format},"
                    f"{self.quote(NETWORK['name'])}"]
        if form == "set":
            mode = int_arg(args, 0, 0, range(5))
            if mode == 3:
                self.cops_format = int_arg(args, 1, 0, (0, 1, 2))
            return []
        raise AtError("ERROR")

    # --- USSD ----------------------------------------------------------------

    def at_cusd(self, form, args):
        """AT+CUSD=<n>[,"<code>"[,<dcs>]]: the reply from ussd.json comes
        as an unsolicited +CUSD shortly after OK."""
        if form == "test":
            return ["+CUSD: (0-2)"]
        if form == "read":
            return [f"+CUSD: {self.cusd}"]
        if form != "set":
            raise AtError("ERROR")
        n = int_arg(args, 0, 0, (0, 1, 2))
        if n != 2:
            self.cusd = n
        if len(args) > 1:
            code = self.unquote(args[1])
            self.after(USSD_DELAY, lambda: self.ussd_reply(code))
        return []

    def ussd_reply(self, code):
        """Send the configured answer to a USSD code as +CUSD."""
        replies = self.state.read_json("ussd.json", {})
        reply = replies.get(code) if isinstance(replies, dict) else None
        if reply is None:
            self.urc("+CUSD: 4")
            return
        if isinstance(reply, dict):
            status, text = int(reply.get("status", 0)), reply.get("text", "")
        else:
            status, text = 0, str(reply)
        if self.charset == "UCS2" or not ascii_safe(text):
            encoded = text.encode("utf-16-be").hex().upper()
            dcs = 15 if self.charset == "UCS2" else 72
        else:
            encoded, dcs = text, 15
        self.urc(f'+CUSD: {status},"{encoded}",{dcs}')

    # --- calls ---------------------------------------------------------------

    def at_clip(self, form, args):
        """AT+CLIP: caller id presentation after RING."""
        if form == "test":
            return ["+CLIP: (0,1)"]
        if form == "read":
            return [f"+CLIP: {self.clip},1"]
        if form == "set":
            self.clip = int_arg(args, 0, 0, (0, 1))
            return []
        raise AtError("ERROR")

    def at_crc(self, form, args):
        """AT+CRC: accepted, RING stays plain RING."""
        if form == "set":
            int_arg(args, 0, 0, (0, 1))
            return []
        if form == "test":
            return ["+CRC: (0,1)"]
        raise AtError("ERROR")

    def at_clcc(self, form, args):
        """AT+CLCC: the ringing incoming call, if any."""
        if form == "test":
            return []
        if self.call is None:
            return []
        number = self.call["number"]
        toa = 145 if number.startswith("+") else 129
        return [f"+CLCC: 1,1,4,0,0,{self.quote(number)},{toa}"]

    def at_hangup(self, form, args):
        """ATH: hang up the ringing call (OK without one too)."""
        self.hang_up()
        return []

    def at_chup(self, form, args):
        """AT+CHUP: hang up; AT+CHUP=? says it is supported."""
        if form == "exec":
            self.hang_up()
        elif form != "test":
            raise AtError("ERROR")
        return []

    def hang_up(self):
        """End the current call, recording who was hung up on."""
        if self.call is None:
            return
        number = self.call["number"]
        self.call = None
        self.counters["hung_up"].append(number)
        self.save_counters()
        self.state.log("hangup", number=number)

    def start_call(self, name):
        """Start the call described by DIR/ring/name."""
        path = os.path.join(self.state.ring, name)
        try:
            with open(path, encoding="utf-8") as f:
                content = f.read().strip()
            os.unlink(path)
        except OSError:
            return
        try:
            if content.startswith("{"):
                spec = json.loads(content)
                number, rings = spec["from"], int(spec.get("rings",
                                                           DEFAULT_RINGS))
            else:
                words = content.split()
                number = words[0]
                rings = int(words[1]) if len(words) > 1 else DEFAULT_RINGS
        except (ValueError, KeyError, IndexError) as exc:
            self.state.log("error", file=name, error=repr(exc))
            return
        self.call = {"number": number, "rings_left": rings,
                     "next": time.monotonic()}
        self.counters["calls"] += 1
        self.save_counters()
        self.state.log("call", number=number, rings=rings)

    def ring(self):
        """RING (+CLIP) when due; NO CARRIER once the caller gives up."""
        call = self.call
        if time.monotonic() < call["next"]:
            return
        if call["rings_left"] <= 0:
            self.call = None
            self.counters["missed"].append(call["number"])
            self.save_counters()
            self.urc("NO CARRIER")
            return
        call["rings_left"] -= 1
        call["next"] = time.monotonic() + RING_INTERVAL
        if self.clip:
            self.urc(f"RING\r\n\r\n+CLIP: {self.quote(call['number'])},"
                     f"{145 if call['number'].startswith('+') else 129},,,,0")
        else:
            self.urc("RING")

    # --- injection -----------------------------------------------------------

    def inject_parts(self, path):
        """The (hex PDU, TPDU length) parts an inject file stands for."""
        with open(path, encoding="utf-8") as f:
            content = f.read()
        if path.endswith(".pdu"):
            hexpdu = "".join(content.split()).upper()
            return [(hexpdu, pdu.decode(hexpdu).tpdu_length)]
        spec = json.loads(content)
        text = spec.get("text", "")
        encoding = pdu.choose_encoding(text, spec.get("encoding", "auto"))
        when = datetime.datetime.fromtimestamp(
            spec.get("time", time.time())).astimezone()
        bits = int(spec.get("ref_bits", 8))
        common = {"smsc": spec.get("smsc", self.smsc), "when": when,
                  "encoding": encoding, "msg_class": spec.get("class")}
        if spec.get("ref") is not None:
            concat = (spec["ref"], spec["total"], spec["seq"], bits)
            return [pdu.encode_deliver(spec["from"], text, concat=concat,
                                       **common)]
        chunks = pdu.split_text(text, encoding, bits)
        if len(chunks) == 1:
            return [pdu.encode_deliver(spec["from"], text, **common)]
        ref = random.randrange(256 if bits == 8 else 65536)
        return [pdu.encode_deliver(spec["from"], chunk,
                                   concat=(ref, len(chunks), seq, bits),
                                   **common)
                for seq, chunk in enumerate(chunks, 1)]

    def poll_inject(self):
        """Store waiting inject files on the SIM, in name order, while
        they fit; announce each part."""
        names = sorted(n for n in os.listdir(self.state.inject)
                       if n.endswith((".pdu", ".json")))
        queued = 0
        for name in names:
            path = os.path.join(self.state.inject, name)
            try:
                parts = self.inject_parts(path)
            except (OSError, ValueError, KeyError, TypeError,
                    pdu.PduError) as exc:
                self.state.log("error", file=name, error=repr(exc))
                os.replace(path, path + ".bad")
                continue
            if len(parts) > self.sim.free_slots():
                queued += 1
                continue
            indexes = [self.sim.store(hexpdu, length)
                       for hexpdu, length in parts]
            os.unlink(path)
            self.counters["received"] += len(parts)
            self.counters["stored"] += len(parts)
            self.state.log("inject", file=name, indexes=indexes)
            if self.cnmi[0] and self.cnmi[1] == 1 and \
                    not self.faults.get("no_cmti"):
                for index in indexes:
                    self.urc(f'+CMTI: "SM",{index}')
            self.save_sim()
            self.save_counters()
        if queued != self.counters["queued"]:
            self.counters["queued"] = queued
            self.save_counters()

    # --- main loop -----------------------------------------------------------

    def after(self, delay, action):
        """Run action after delay seconds (from the main loop)."""
        self.timers.append((time.monotonic() + delay, action))

    def run_timers(self):
        """Run every timer that is due."""
        now = time.monotonic()
        due = [t for t in self.timers if t[0] <= now]
        self.timers = [t for t in self.timers if t[0] > now]
        for _, action in sorted(due, key=lambda t: t[0]):
            action()

    def tick(self):
        """Periodic work between reads."""
        self.run_timers()
        if self.idle():
            self.poll_inject()
            if self.call is None:
                waiting = sorted(n for n in os.listdir(self.state.ring)
                                 if not n.startswith(".") and
                                 not n.endswith(".tmp"))
                if waiting:
                    self.start_call(waiting[0])
            if self.call is not None:
                self.ring()
        self.flush_urcs()

    def play_dead(self):
        """The dead fault: swallow input, answer nothing, then exit."""
        setting = self.faults.get("dead")
        delay = DEFAULT_DEAD_EXIT if setting is True else float(setting)
        self.state.log("dead", exit_after=delay)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            ready, _, _ = select.select([sys.stdin.fileno()], [], [],
                                        deadline - time.monotonic())
            if ready and not os.read(sys.stdin.fileno(), 4096):
                break
        self.state.log("exit", reason="dead")

    def run(self):
        """Serve the AT stream until stdin closes or the modem dies."""
        stdin = sys.stdin.fileno()
        while True:
            self.faults.refresh()
            if self.faults.get("dead"):
                self.play_dead()
                return
            ready, _, _ = select.select([stdin], [], [], POLL_INTERVAL)
            if ready:
                data = os.read(stdin, 4096)
                if not data:
                    self.state.log("eof")
                    return
                self.feed(data)
            self.tick()


def on_sighup(signum, frame):
    """libgammu ends the proxy command with SIGHUP: exit cleanly."""
    raise SystemExit(0)


def main():
    """Parse --state and run the modem; a crash is logged, not printed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state", required=True,
                        help="state directory (created if missing)")
    args = parser.parse_args()
    state = StateDir(os.path.abspath(args.state))
    state.log("start", pid=os.getpid())
    signal.signal(signal.SIGHUP, on_sighup)
    try:
        Modem(state).run()
    except SystemExit:
        state.log("exit", reason="SIGHUP")
    except Exception:
        state.log("crash", traceback=traceback.format_exc())
        sys.exit(1)


if __name__ == "__main__":
    main()
