"""An SMS PDU codec (3GPP TS 23.040 / 23.038), written independently of
libgammu so that the simulated modem and libgammu check each other.

It encodes what a network delivers to a modem -- SMS-DELIVER and
SMS-STATUS-REPORT -- and decodes all three TPDU types a modem stores or
is handed (DELIVER, SUBMIT, STATUS-REPORT). Every PDU here is hex text
with the SMSC address in front, as `AT+CMGR` shows it and `AT+CMGS`
receives it.

Supported: GSM 7-bit default alphabet with the extension table, UCS-2
(UTF-16 in practice), 8-bit data; a user data header with 8- and 16-bit
concatenation elements (other elements are carried through untouched);
semi-octet and alphanumeric addresses; TP-VP in all three formats;
TP-SRR/TP-SRI; service-centre time stamps with a time zone.
"""
import datetime
from dataclasses import dataclass, field

# --- GSM 7-bit default alphabet (TS 23.038 6.2.1) -------------------------

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
                  0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
GSM7_ESCAPE = 0x1B
_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM7_BASIC) if i != GSM7_ESCAPE}
_EXTENSION_INDEX = {ch: code for code, ch in GSM7_EXTENSION.items()}

# TP-MTI values (the two low bits of the first octet), seen from the modem.
MTI_DELIVER, MTI_SUBMIT, MTI_STATUS_REPORT = 0, 1, 2
TYPE_NAMES = {MTI_DELIVER: "deliver", MTI_SUBMIT: "submit",
              MTI_STATUS_REPORT: "status_report"}

# Information element identifiers for concatenation (TS 23.040 9.2.3.24).
IEI_CONCAT_8 = 0x00
IEI_CONCAT_16 = 0x08

# Single-part capacity and per-part capacity with an 8/16-bit concat UDH.
CAPACITY = {"gsm7": (160, 153, 152), "ucs2": (70, 67, 66),
            "8bit": (140, 134, 133)}


class PduError(ValueError):
    """A PDU that cannot be decoded (truncated, bad hex, bad field)."""


def gsm7_encodable(text):
    """True if every character of text exists in the GSM 7-bit alphabet
    (basic table or extension table)."""
    return all(ch in _BASIC_INDEX or ch in _EXTENSION_INDEX for ch in text)


def gsm7_to_septets(text):
    """Text to a list of septet values; extension characters become
    ESC + code. Raises PduError for characters outside the alphabet."""
    septets = []
    for ch in text:
        if ch in _BASIC_INDEX:
            septets.append(_BASIC_INDEX[ch])
        elif ch in _EXTENSION_INDEX:
            septets += [GSM7_ESCAPE, _EXTENSION_INDEX[ch]]
        else:
            raise PduError(f"character {ch!r} is not in the GSM 7-bit alphabet")
    return septets


def septets_to_gsm7(septets):
    """A list of septet values to text. An escape followed by a code the
    extension table lacks reads as the basic character (TS 23.038 note)."""
    out, escaped = [], False
    for s in septets:
        if escaped:
            out.append(GSM7_EXTENSION.get(s, GSM7_BASIC[s]))
            escaped = False
        elif s == GSM7_ESCAPE:
            escaped = True
        else:
            out.append(GSM7_BASIC[s])
    if escaped:        # a trailing lone escape: show it as a space
        out.append(" ")
    return "".join(out)


def pack_septets(septets, fill_bits=0):
    """Pack septets LSB-first into octets, after fill_bits zero bits (the
    padding that aligns text after a user data header)."""
    acc, nbits, out = 0, fill_bits, bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data, count, fill_bits=0):
    """Read count septets from packed octets, skipping fill_bits first."""
    value = int.from_bytes(data, "little")
    if fill_bits + 7 * count > 8 * len(data):
        raise PduError("7-bit user data shorter than its length says")
    return [(value >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


# --- Addresses --------------------------------------------------------------

_SEMI_OCTET_DIGITS = "0123456789*#abc"


def _encode_semi_octets(digits):
    """Digit string to swapped semi-octets, padded with F."""
    nibbles = [_SEMI_OCTET_DIGITS.index(d) for d in digits]
    if len(nibbles) % 2:
        nibbles.append(0xF)
    return bytes(nibbles[i] | (nibbles[i + 1] << 4)
                 for i in range(0, len(nibbles), 2))


def _decode_semi_octets(data, ndigits=None):
    """Swapped semi-octets to a digit string (stops at F padding)."""
    digits = []
    for b in data:
        for nib in (b & 0x0F, b >> 4):
            if nib != 0xF:
                digits.append(_SEMI_OCTET_DIGITS[nib])
    text = "".join(digits)
    return text if ndigits is None else text[:ndigits]


def _is_phone_number(address):
    """True for '+' followed by dialable digits, or dialable digits alone."""
    body = address[1:] if address.startswith("+") else address
    return bool(body) and all(c in "0123456789*#" for c in body)


def encode_address(address):
    """A TP address (originating, destination, recipient): length in
    useful semi-octets, type of address, value. '+…' is international
    (0x91), other digit strings unknown/ISDN (0x81), anything else is an
    alphanumeric sender (0xD0, GSM 7-bit packed, at most 11 characters)."""
    if _is_phone_number(address):
        international = address.startswith("+")
        digits = address.lstrip("+")
        toa = 0x91 if international else 0x81
        return bytes([len(digits), toa]) + _encode_semi_octets(digits)
    septets = gsm7_to_septets(address)
    if len(septets) > 11:
        raise PduError("alphanumeric address longer than 11 septets")
    packed = pack_septets(septets)
    return bytes([(len(septets) * 7 + 3) // 4, 0xD0]) + packed


def decode_address(data, pos):
    """Decode a TP address at data[pos]; return (text, next_pos)."""
    ndigits, toa = data[pos], data[pos + 1]
    nbytes = (ndigits + 1) // 2
    value = data[pos + 2:pos + 2 + nbytes]
    if len(value) < nbytes:
        raise PduError("address runs past the end of the PDU")
    if (toa & 0x70) == 0x50:     # alphanumeric
        text = septets_to_gsm7(unpack_septets(value, ndigits * 4 // 7))
    else:
        text = _decode_semi_octets(value, ndigits)
        if (toa & 0x70) == 0x10:
            text = "+" + text
    return text, pos + 2 + nbytes


def encode_smsc(number):
    """The SMSC address field in front of a PDU: length in octets
    (type byte included) or 00 for 'use the default'."""
    if not number:
        return b"\x00"
    digits = number.lstrip("+")
    body = bytes([0x91 if number.startswith("+") else 0x81]) + \
        _encode_semi_octets(digits)
    return bytes([len(body)]) + body


def decode_smsc(data):
    """Decode the SMSC field at data[0]; return (number or '', next_pos)."""
    length = data[0]
    if length == 0:
        return "", 1
    if length + 1 > len(data):
        raise PduError("SMSC address runs past the end of the PDU")
    toa = data[1]
    digits = _decode_semi_octets(data[2:1 + length])
    return ("+" + digits if (toa & 0x70) == 0x10 else digits), 1 + length


# --- Time stamps -------------------------------------------------------------

def encode_timestamp(when):
    """An aware datetime to the 7-octet TP-SCTS form: yy mm dd hh mm ss tz,
    each swapped BCD; tz in quarter hours with bit 3 as the minus sign."""
    offset = when.utcoffset() or datetime.timedelta(0)
    quarters = int(offset.total_seconds()) // 900
    fields = [when.year % 100, when.month, when.day, when.hour, when.minute,
              when.second]
    out = bytearray((v % 10) << 4 | (v // 10) for v in fields)
    q = abs(quarters)
    tz = (q % 10) << 4 | (q // 10)
    out.append(tz | (0x08 if quarters < 0 else 0))
    return bytes(out)


def decode_timestamp(data):
    """The 7-octet TP-SCTS form to an aware datetime."""
    if len(data) < 7:
        raise PduError("time stamp runs past the end of the PDU")

    def bcd(b):
        return (b & 0x0F) * 10 + (b >> 4)
    year, month, day, hour, minute, second = (bcd(b) for b in data[:6])
    quarters = (data[6] & 0x07) * 10 + (data[6] >> 4)
    if data[6] & 0x08:
        quarters = -quarters
    tz = datetime.timezone(datetime.timedelta(minutes=15 * quarters))
    try:
        century = 1900 if year >= 70 else 2000
        return datetime.datetime(century + year, month, day, hour, minute,
                                 second, tzinfo=tz)
    except ValueError as exc:
        raise PduError(f"bad time stamp: {exc}") from None


# --- Data coding scheme ------------------------------------------------------

def encode_dcs(encoding, msg_class=None):
    """TP-DCS for an encoding ('gsm7', 'ucs2', '8bit') and optional class
    0-3 (general data coding group, uncompressed)."""
    alphabet = {"gsm7": 0x00, "8bit": 0x04, "ucs2": 0x08}[encoding]
    if msg_class is None:
        return alphabet
    return 0x10 | alphabet | (msg_class & 0x03)


def decode_dcs(dcs):
    """TP-DCS to (encoding, class or None). Reserved or compressed codings
    read as 8-bit, which keeps the octets intact."""
    group = dcs >> 4
    if group <= 0x3:                       # general data coding
        if dcs & 0x20:
            return "8bit", (dcs & 0x03) if dcs & 0x10 else None
        alphabet = (dcs >> 2) & 0x03
        encoding = {0: "gsm7", 1: "8bit", 2: "ucs2"}.get(alphabet, "8bit")
        return encoding, (dcs & 0x03) if dcs & 0x10 else None
    if group in (0xC, 0xD):                # message waiting, GSM 7-bit
        return "gsm7", None
    if group == 0xE:                       # message waiting, UCS-2
        return "ucs2", None
    if group == 0xF:                       # data coding / message class
        return ("8bit" if dcs & 0x04 else "gsm7"), dcs & 0x03
    return "8bit", None


# --- User data header --------------------------------------------------------

def encode_udh(elements):
    """A list of (iei, bytes) to a UDH with its length octet."""
    body = b"".join(bytes([iei, len(data)]) + data for iei, data in elements)
    return bytes([len(body)]) + body


def decode_udh(data):
    """A UDH (length octet first) to a list of (iei, bytes)."""
    length = data[0]
    body = data[1:1 + length]
    if len(body) < length:
        raise PduError("UDH runs past the end of the user data")
    elements, pos = [], 0
    while pos + 2 <= len(body):
        iei, ielen = body[pos], body[pos + 1]
        elements.append((iei, bytes(body[pos + 2:pos + 2 + ielen])))
        pos += 2 + ielen
    return elements


def concat_element(ref, total, seq, bits=8):
    """A concatenation information element (8- or 16-bit reference)."""
    if bits == 16:
        return IEI_CONCAT_16, bytes([ref >> 8, ref & 0xFF, total, seq])
    return IEI_CONCAT_8, bytes([ref & 0xFF, total, seq])


def find_concat(elements):
    """The concatenation of a UDH as {'ref','total','seq','bits'} or None."""
    for iei, data in elements:
        if iei == IEI_CONCAT_8 and len(data) == 3:
            return {"ref": data[0], "total": data[1], "seq": data[2],
                    "bits": 8}
        if iei == IEI_CONCAT_16 and len(data) == 4:
            return {"ref": data[0] << 8 | data[1], "total": data[2],
                    "seq": data[3], "bits": 16}
    return None


# --- User data ---------------------------------------------------------------

def encode_user_data(text, encoding, udh_elements=(), data=None):
    """TP-UDL and TP-UD for text (or raw data for '8bit'), with an
    optional UDH. Returns (udl, user_data_bytes)."""
    udh = encode_udh(udh_elements) if udh_elements else b""
    if encoding == "gsm7":
        septets = gsm7_to_septets(text)
        udh_septets = (len(udh) * 8 + 6) // 7
        fill = udh_septets * 7 - len(udh) * 8
        return udh_septets + len(septets), udh + pack_septets(septets, fill)
    if encoding == "ucs2":
        payload = text.encode("utf-16-be")
    else:
        payload = data if data is not None else text.encode("latin-1")
    return len(udh) + len(payload), udh + payload


def decode_user_data(ud, udl, encoding, has_udh):
    """TP-UD to (udh_elements, text, raw_bytes). For 8-bit data the text
    is the octets read as Latin-1."""
    elements, udh_len = [], 0
    if has_udh:
        if not ud:
            raise PduError("UDHI set but no user data")
        elements = decode_udh(ud)
        udh_len = ud[0] + 1
    if encoding == "gsm7":
        udh_septets = (udh_len * 8 + 6) // 7
        fill = udh_septets * 7 - udh_len * 8
        count = udl - udh_septets
        if count < 0:
            raise PduError("UDL smaller than the UDH")
        septets = unpack_septets(ud[udh_len:], count, fill)
        raw = bytes(septets)
        return elements, septets_to_gsm7(septets), raw
    raw = bytes(ud[udh_len:udl])
    if len(raw) < udl - udh_len:
        raise PduError("user data shorter than TP-UDL")
    if encoding == "ucs2":
        return elements, raw.decode("utf-16-be", errors="replace"), raw
    return elements, raw.decode("latin-1"), raw


def choose_encoding(text, encoding="auto"):
    """'auto' picks GSM 7-bit when every character fits, else UCS-2."""
    if encoding == "auto":
        return "gsm7" if gsm7_encodable(text) else "ucs2"
    return encoding


def split_text(text, encoding, ref_bits=8):
    """Split text into the parts of a concatenated message: a list of
    strings, one element when it fits a single SMS. An extension
    character (two septets) and a UTF-16 surrogate pair are never cut."""
    single, per_part8, per_part16 = CAPACITY[encoding]
    per_part = per_part16 if ref_bits == 16 else per_part8

    def cost(ch):
        if encoding == "gsm7":
            return 2 if ch in _EXTENSION_INDEX else 1
        if encoding == "ucs2":
            return 2 if ord(ch) > 0xFFFF else 1
        return len(ch.encode("latin-1"))
    if sum(cost(ch) for ch in text) <= single:
        return [text]
    parts, current, used = [], [], 0
    for ch in text:
        if used + cost(ch) > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost(ch)
    parts.append("".join(current))
    return parts


# --- Messages ----------------------------------------------------------------

@dataclass
class Pdu:
    """One decoded PDU. 'address' is the originator of a DELIVER, the
    destination of a SUBMIT and the recipient of a STATUS-REPORT."""
    type: str
    smsc: str = ""
    first_octet: int = 0
    address: str = ""
    mr: int = None
    pid: int = 0
    dcs: int = 0
    encoding: str = "gsm7"
    msg_class: int = None
    scts: datetime.datetime = None
    discharge: datetime.datetime = None
    status: int = None
    validity: object = None
    srr: bool = False
    udh: list = field(default_factory=list)
    concat: dict = None
    text: str = ""
    data: bytes = b""          # septets (gsm7), UTF-16BE or raw octets
    tpdu_length: int = 0


def encode_deliver(sender, text, smsc="", when=None, encoding="auto",
                   msg_class=None, concat=None, data=None, pid=0,
                   more_messages=False, status_report_indication=False):
    """An SMS-DELIVER PDU as hex, SMSC field included. concat is
    (ref, total, seq) or (ref, total, seq, bits). For '8bit' pass data
    (bytes). Returns (hex, tpdu_length)."""
    encoding = choose_encoding(text, encoding)
    when = when or datetime.datetime.now().astimezone()
    elements = [concat_element(*concat)] if concat else []
    udl, ud = encode_user_data(text, encoding, elements, data)
    if len(ud) > 140:
        raise PduError(f"user data of {len(ud)} octets exceeds 140")
    first = MTI_DELIVER | (0 if more_messages else 0x04)
    if elements:
        first |= 0x40
    if status_report_indication:
        first |= 0x20
    tpdu = (bytes([first]) + encode_address(sender) +
            bytes([pid, encode_dcs(encoding, msg_class)]) +
            encode_timestamp(when) + bytes([udl]) + ud)
    return (encode_smsc(smsc) + tpdu).hex().upper(), len(tpdu)


def encode_status_report(mr, recipient, smsc="", scts=None, discharge=None,
                         status=0x00):
    """An SMS-STATUS-REPORT PDU as hex, SMSC field included; status 0x00 is
    'received by the SME'. Returns (hex, tpdu_length)."""
    now = datetime.datetime.now().astimezone()
    first = MTI_STATUS_REPORT | 0x04     # no more messages waiting
    tpdu = (bytes([first, mr & 0xFF]) + encode_address(recipient) +
            encode_timestamp(scts or now) +
            encode_timestamp(discharge or now) + bytes([status]))
    return (encode_smsc(smsc) + tpdu).hex().upper(), len(tpdu)


def _decode_validity(vpf, data, pos):
    """TP-VP per TP-VPF; returns (validity, next_pos). Relative validity
    is given in minutes, absolute as a datetime, enhanced as hex."""
    if vpf == 0:
        return None, pos
    if vpf == 2:                          # relative, one octet
        v = data[pos]
        if v <= 143:
            minutes = (v + 1) * 5
        elif v <= 167:
            minutes = 12 * 60 + (v - 143) * 30
        elif v <= 196:
            minutes = (v - 166) * 24 * 60
        else:
            minutes = (v - 192) * 7 * 24 * 60
        return {"relative_minutes": minutes}, pos + 1
    if vpf == 3:                          # absolute
        return {"absolute": decode_timestamp(data[pos:pos + 7])}, pos + 7
    return {"enhanced": bytes(data[pos:pos + 7]).hex().upper()}, pos + 7


def decode(hexpdu):
    """Decode a PDU (hex, SMSC field first) of any of the three types."""
    try:
        data = bytes.fromhex(hexpdu.strip())
    except ValueError:
        raise PduError("PDU is not hex") from None
    try:
        return _decode(data)
    except IndexError:
        raise PduError("PDU is truncated") from None


def _decode(data):
    """decode() on bytes; IndexError means truncation."""
    smsc, pos = decode_smsc(data)
    tpdu_start = pos
    first = data[pos]
    pos += 1
    mti = first & 0x03
    if mti not in TYPE_NAMES:
        raise PduError(f"reserved TP-MTI {mti}")
    msg = Pdu(type=TYPE_NAMES[mti], smsc=smsc, first_octet=first)
    if mti == MTI_STATUS_REPORT:
        msg.mr = data[pos]
        msg.address, pos = decode_address(data, pos + 1)
        msg.scts = decode_timestamp(data[pos:pos + 7])
        msg.discharge = decode_timestamp(data[pos + 7:pos + 14])
        msg.status = data[pos + 14]
        msg.tpdu_length = pos + 15 - tpdu_start
        return msg
    if mti == MTI_SUBMIT:
        msg.mr = data[pos]
        msg.srr = bool(first & 0x20)
        msg.address, pos = decode_address(data, pos + 1)
    else:
        msg.srr = bool(first & 0x20)      # TP-SRI on a DELIVER
        msg.address, pos = decode_address(data, pos)
    msg.pid, msg.dcs = data[pos], data[pos + 1]
    pos += 2
    msg.encoding, msg.msg_class = decode_dcs(msg.dcs)
    if mti == MTI_SUBMIT:
        msg.validity, pos = _decode_validity((first >> 3) & 0x03, data, pos)
    else:
        msg.scts = decode_timestamp(data[pos:pos + 7])
        pos += 7
    udl = data[pos]
    ud = data[pos + 1:]
    msg.udh, msg.text, msg.data = decode_user_data(
        ud, udl, msg.encoding, bool(first & 0x40))
    msg.concat = find_concat(msg.udh)
    if msg.encoding == "gsm7":
        ud_octets = (udl * 7 + 7) // 8
    else:
        ud_octets = udl
    if ud_octets > len(ud):
        raise PduError("user data shorter than TP-UDL")
    msg.tpdu_length = pos + 1 + ud_octets - tpdu_start
    return msg
