"""A fast, strict reader of the DNS message fields the diagnosis needs.

Why not dnspython here: `dns.message.from_wire` costs ~25-40 µs a message, and the capture path
has a budget of a few µs a packet (see scripts/bench_pcap.py, which prints both). This module
reads the header, the question, the addresses and CNAMEs in the answer section and the EDNS
extended rcode, and walks every other record only to prove the message is well formed (RFC 1035
4.1, compression pointers must point backwards, names at most 255 octets). dnspython is still
used for presentation (type and rcode names) and to word the reason a message is malformed.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
_QFIXED = struct.Struct("!HH")

TYPE_A, TYPE_NS, TYPE_CNAME, TYPE_SOA, TYPE_AAAA, TYPE_OPT = 1, 2, 5, 6, 28, 41
RCODE_NOERROR, RCODE_FORMERR, RCODE_SERVFAIL, RCODE_NXDOMAIN = 0, 1, 2, 3
RCODE_NOTIMP, RCODE_REFUSED = 4, 5

# Bytes that may stand in a label as they are: printable ASCII but the ones dnspython escapes
# (`"().;\\@$`); everything else is escaped as dnspython does (`\\.` or `\\DDD`).
_ESCAPED = frozenset(b'"().;\\@$')
_PLAIN = frozenset(range(0x21, 0x7F)) - _ESCAPED
_PLAIN_OR_DOT = _PLAIN | {ord(".")}


class MalformedMessage(Exception):
    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


@dataclass(slots=True)
class DnsMessage:
    id: int
    flags: int
    qdcount: int
    ancount: int
    nscount: int
    arcount: int
    qname: str | None = None  # lower-cased presentation form with the trailing dot
    qname_wire_case: str | None = None  # as sent (0x20 mixing), only when it differs
    qtype: int | None = None
    qclass: int | None = None
    rcode: int = 0  # including the EDNS extended bits when an OPT record is present
    edns: bool = False
    addresses: tuple[str, ...] = ()  # A and AAAA rdata in the answer section, in order
    cnames: tuple[str, ...] = ()
    ttls: tuple[int, ...] = ()
    has_soa: bool = False  # SOA in authority: a negative answer carries one
    malformed: str | None = None  # why the rest did not parse; header/question may still be set
    malformed_offset: int | None = None

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 0x8000)

    @property
    def opcode(self) -> int:
        return (self.flags >> 11) & 0xF

    @property
    def tc(self) -> bool:
        return bool(self.flags & 0x0200)

    @property
    def aa(self) -> bool:
        return bool(self.flags & 0x0400)

    @property
    def rd(self) -> bool:
        return bool(self.flags & 0x0100)

    @property
    def ra(self) -> bool:
        return bool(self.flags & 0x0080)

    @property
    def z(self) -> int:
        return (self.flags >> 4) & 0x7

    @property
    def question(self) -> tuple[str, int, int] | None:
        if self.qname is None or self.qtype is None or self.qclass is None:
            return None
        return (self.qname, self.qtype, self.qclass)


def _read_name(buf: bytes, pos: int) -> tuple[str, int]:
    """Return (name, offset after the name in the message). Raises MalformedMessage."""
    labels, end = _name_labels(buf, pos)
    return name_text(labels), end


def name_text(labels: list[bytes]) -> str:
    """The presentation form (as dnspython writes it, trailing dot) of a name's labels."""
    if not labels:
        return "."
    joined = b".".join(labels)
    # One check for the whole name; a dot inside a label would hide in the join, hence the count.
    if _PLAIN_OR_DOT.issuperset(joined) and joined.count(46) == len(labels) - 1:
        return joined.decode("ascii") + "."
    return ".".join(_escape(label) for label in labels) + "."


def _skip_name(buf: bytes, pos: int) -> int:
    """Offset after the name at `pos`, checked as strictly as `_read_name` but not decoded:
    owner names of records are only walked (most are a 2-byte pointer to the question)."""
    length = buf[pos] if pos < len(buf) else 0
    if length & 0xC0 == 0xC0 and pos + 1 < len(buf):
        target = ((length & 0x3F) << 8) | buf[pos + 1]
        if target == 12 and target < pos:  # the question name, already proven well formed
            return pos + 2
    return _name_labels(buf, pos)[1]


def _name_labels(buf: bytes, pos: int) -> tuple[list[bytes], int]:
    labels: list[bytes] = []
    end = -1
    total = 1
    jumps = 0
    size = len(buf)
    while True:
        if pos >= size:
            raise MalformedMessage("name runs past the end of the message", pos)
        length = buf[pos]
        if length == 0:
            pos += 1
            break
        kind = length & 0xC0
        if kind == 0xC0:
            if pos + 1 >= size:
                raise MalformedMessage("compression pointer cut by the end of the message", pos)
            target = ((length & 0x3F) << 8) | buf[pos + 1]
            if target >= pos:
                raise MalformedMessage(f"compression pointer to {target} does not point back", pos)
            jumps += 1
            if jumps > 63:
                raise MalformedMessage("compression pointer chain too long", pos)
            if end < 0:
                end = pos + 2
            pos = target
            continue
        if kind:
            raise MalformedMessage(f"label type 0x{length:02x} is not supported", pos)
        if pos + 1 + length > size:
            raise MalformedMessage("label runs past the end of the message", pos)
        total += length + 1
        if total > 255:
            raise MalformedMessage("name longer than 255 octets", pos)
        labels.append(buf[pos + 1 : pos + 1 + length])
        pos += 1 + length
    return labels, (end if end >= 0 else pos)


def _escape(label: bytes) -> str:
    out = []
    for byte in label:
        if byte in _PLAIN:
            out.append(chr(byte))
        elif byte in _ESCAPED:
            out.append("\\" + chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def parse_message(buf: bytes) -> DnsMessage:
    """Parse what we need of a DNS message. Raises MalformedMessage only when the 12-byte header
    is missing; later damage is recorded on the returned message (`malformed`)."""
    if len(buf) < 12:
        raise MalformedMessage(f"{len(buf)} bytes is shorter than a DNS header", 0)
    ident, flags, qd, an, ns, ar = _HEADER.unpack_from(buf, 0)
    msg = DnsMessage(ident, flags, qd, an, ns, ar, rcode=flags & 0xF)
    try:
        pos = 12
        if qd:
            name, pos = _read_name(buf, pos)
            if pos + 4 > len(buf):
                raise MalformedMessage("question type and class cut short", pos)
            msg.qtype, msg.qclass = _QFIXED.unpack_from(buf, pos)
            pos += 4
            lowered = name.lower()
            msg.qname = lowered
            if lowered != name:
                msg.qname_wire_case = name
            for _ in range(qd - 1):
                pos = _skip_name(buf, pos)
                pos += 4
                if pos > len(buf):
                    raise MalformedMessage("question cut short", pos)
        if msg.flags & 0x8000 or an or ns or ar:
            _read_records(buf, pos, msg)
    except MalformedMessage as exc:
        msg.malformed = exc.reason
        msg.malformed_offset = exc.offset
    return msg


def _read_records(buf: bytes, pos: int, msg: DnsMessage) -> None:
    addresses: list[str] = []
    cnames: list[str] = []
    ttls: list[int] = []
    try:
        _walk_sections(buf, pos, msg, addresses, cnames, ttls)
    finally:  # what was read before any damage is kept: valid answers, corrupt additionals
        msg.addresses = tuple(addresses)
        msg.cnames = tuple(cnames)
        msg.ttls = tuple(ttls)


def _check_edns_options(buf: bytes, pos: int, end: int) -> None:
    """RFC 6891 6.1.2: OPTION-CODE, OPTION-LENGTH, data; an option may not overrun the RDATA."""
    while pos < end:
        if pos + 4 > end:
            raise MalformedMessage("EDNS option header cut by the end of the OPT record", pos)
        length = (buf[pos + 2] << 8) | buf[pos + 3]
        if pos + 4 + length > end:
            raise MalformedMessage(
                f"EDNS option length {length} runs past the end of the OPT record", pos + 2
            )
        pos += 4 + length


def _walk_sections(
    buf: bytes, pos: int, msg: DnsMessage, addresses: list[str], cnames: list[str], ttls: list[int]
) -> None:
    size = len(buf)
    sections = ((msg.ancount, 0), (msg.nscount, 1), (msg.arcount, 2))
    for count, section in sections:
        for _ in range(count):
            pos = _skip_name(buf, pos)
            if pos + 10 > size:
                raise MalformedMessage("resource record header cut short", pos)
            rtype, _rclass, ttl, rdlen = _RR_FIXED.unpack_from(buf, pos)
            pos += 10
            if pos + rdlen > size:
                raise MalformedMessage(f"rdata length {rdlen} runs past the end", pos - 2)
            if section == 0:
                ttls.append(ttl)
                if rtype == TYPE_A and rdlen == 4:
                    addresses.append(socket.inet_ntop(socket.AF_INET, buf[pos : pos + 4]))
                elif rtype == TYPE_AAAA and rdlen == 16:
                    addresses.append(socket.inet_ntop(socket.AF_INET6, buf[pos : pos + 16]))
                elif rtype == TYPE_CNAME:
                    cnames.append(_read_name(buf, pos)[0].lower())
            elif section == 1 and rtype == TYPE_SOA:
                msg.has_soa = True
            elif section == 2 and rtype == TYPE_OPT:
                msg.edns = True
                msg.rcode = ((ttl >> 24) << 4) | (msg.flags & 0xF)
                _check_edns_options(buf, pos, pos + rdlen)
            pos += rdlen
