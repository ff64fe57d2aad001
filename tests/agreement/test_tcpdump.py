"""Frame-by-frame agreement with tcpdump's answer keys (`tcpdump -n -r <pcap> [options]` output).

tcpdump prints one packet a line (continuation lines, with -v, start with whitespace), numbered
from 1: packet N is our frame N. On a DNS port it prints the message's summary (print-domain.c):

    query     ID[ opcode][+][%][ [b2&3=0x..]][ [Na]][ [Nq]][ [Nn]][ [Nau]] TYPE[ CLASS]? NAME ... (LEN)
    response  ID[ opcode][ RCODE][*][-][|][$][ [Nq]][ q: TYPE[ CLASS]? NAME] AN/NS/AR ... (LEN)

`+` RD, `%` CD, `[b2&3=...]` the flags word when any of 0x06cf is set in a query; `*` AA, `-` no
RA, `|` TC, `$` AD in a response; RCODE includes the EDNS extended bits and is omitted for
NOERROR; `[Nq]` etc. only when a count differs from the usual; `q:` only with -vv; `[|domain]`
where the printer stopped (nothing after it is compared); `[udp sum ok]`/`[bad udp cksum ...]`
only with -vv. `domain [length 0 < 12] (invalid)` is tcpdump refusing the message.

Per frame on our ports (53) we compare what tcpdump printed and nothing it did not: addresses and
ports, ID, QR, opcode, the flags it shows, the counts, the first question (type, class, name as
on the wire), the rcode, the message length, and the UDP checksum verdict. The frames compared
are every frame tcpdump decoded as DNS or refused as invalid DNS on our ports, plus every frame we
yield a DNS message for: a frame one side saw as DNS and the other did not is a disagreement (a
refusal agrees only with a frame we reported as damage and yielded no message for). Printed as
agreed/total per key; any disagreement fails unless listed, with its reason, in
KNOWN_DIFFERENCES, and a listed entry that no longer disagrees fails as stale.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import dns.rdatatype
import pytest

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Damage, Datagram
from dnsdoctor.evidence.dns_message import parse_message

from .keys import agreement_line

_T = "tcpdump/tests/"
# (capture, key, tcpdump options): every .out key in the corpus; options per MANIFEST.md (none
# where it names none, which the keys' one-line-a-packet form confirms)
CASES = [
    (f"{_T}dns_tcp.pcap", f"{_T}dns_tcp.out", ""),
    (f"{_T}dns_tcp.pcap", f"{_T}dns_tcp-vv.out", "-vv"),
    (f"{_T}dns-badcookie.pcap", f"{_T}dns-badcookie.out", ""),
    (f"{_T}dns-zlip-1.pcap", f"{_T}dns-zlip-1.out", ""),
    (f"{_T}dns-badlabel.pcap", f"{_T}dns-badlabel.out", "-vv"),
    (f"{_T}ppp_ip_udp_dns.pcap", f"{_T}ppp_ip_udp_dns.out", "-vv"),
]
PORTS = frozenset({53})
# (key, frame) -> why tcpdump and we differ there
KNOWN_DIFFERENCES: dict[tuple[str, int], str] = {
    (f"{_T}dns-badlabel.out", 1): (
        "fuzzed question section (64259 questions claimed): the first name is longer than 255 "
        "octets; tcpdump prints it cut, marks it <DOMAIN NAME TOO LONG> and still prints the "
        "type and class after it (Type0, Class 4347); we refuse the name (RFC 1035 2.3.4), keep "
        "no question type or class and report the message as malformed (DD110). Both find the "
        "name unreadable; header, flags, rcode and question count agree"
    ),
    (f"{_T}ppp_ip_udp_dns.out", 1): (
        "fuzzed PPP-in-HDLC frame (link type 50, address 0xff, control 0x5f instead of 0x03, then "
        "0x7e08): tcpdump's ppp_hdlc_if_print ignores the control byte, takes 0x7e08 for an HDLC "
        "escape and re-reads the bytes from one octet back as EtherType 0x0800, then decodes an "
        "IPv4 header whose total length (49441) exceeds the captured bytes; we read RFC 1662 "
        "framing, find PPP protocol 0x00ff and report unknown-ppp-protocol damage, no DNS"
    ),
}

# -- tcpdump's side ----------------------------------------------------------------------------
_PACKET = re.compile(r"^\s*(\d+)  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (.*)$")
_SOCKETS = re.compile(r" (\S+)\.(\d+) > (\S+)\.(\d+): ")
_UDP_SUM = re.compile(r"\[(?:(?P<ok>udp sum ok)|(?P<bad>bad udp cksum [^\]]*)|no cksum)\] ")
_TCP_LENGTH = re.compile(r", length (\d+)(?: |$)")
_OPCODES = (
    *("inv_q", "stat", "op3", "notify", "update", "op6", "op7", "op8"),
    *("updateA", "updateD", "updateDA", "updateM", "updateMA", "zoneInit", "zoneRef"),
)
_RCODES = (
    *("FormErr", "ServFail", "NXDomain", "NotImp", "Refused", "YXDomain", "YXRRSet", "NXRRSet"),
    *("NotAuth", "NotZone", "Resp11", "Resp12", "Resp13", "Resp14", "NoChange", "BadVers"),
)
_RCODE_VALUE = {name: value for value, name in enumerate(_RCODES, 1)} | {"BadCookie": 23}
_HEAD = re.compile(
    r"(?P<id>\d+)"
    rf"(?: (?P<opcode>{'|'.join(_OPCODES)}))?"
    rf"(?: ?(?P<rcode>{'|'.join(_RCODE_VALUE)}|Resp\d+))?"
    r"(?P<flags>[+%*|$-]*)(?= |$)"
)
_BRACKET = re.compile(r" \[(?:b2&3=0x(?P<b2>[0-9a-f]+)|(?P<n>\d+)(?P<what>q|a|n|au))\]")
_QUESTION = re.compile(
    r" (?P<type>Type\d+|[A-Z][A-Z0-9_-]*)"
    r"(?: (?P<cls>\(Class \d+\)|IN|CHAOS|HS|ANY))?\? "
    r"(?P<name>(?:<DOMAIN NAME TOO LONG>|<BAD LABEL TYPE>|[^\s,]|,(?! q:))+)"
)
_COUNTS = re.compile(r" (\d+)/(\d+)/(\d+)(?= |$)")
_RESPONSE_NEXT = re.compile(r" (?:q:|\d+/\d+/\d+)")
_LENGTH = re.compile(r" \((\d+)\)$")
_MORE_QUESTIONS = re.compile(rf"^(?:, q:{_QUESTION.pattern})+")
_CLASSES = {"IN": 1, "CHAOS": 3, "HS": 4, "ANY": 255}
_UNREADABLE = ("<BAD LABEL TYPE>", "<BAD PTR>", "<LOOP>", "<ELT", "<DOMAIN NAME TOO LONG>")
UNREADABLE = "<unreadable>"


def read_packets(text: str) -> dict[int, str]:
    """Packet number -> its text, continuation lines joined with one space."""
    packets: dict[int, str] = {}
    current = 0
    for line in text.splitlines():
        head = _PACKET.match(line)
        if head:
            current = int(head.group(1))
            packets[current] = head.group(2)
        elif line.strip():
            assert current, f"a continuation line before any packet: {line[:60]!r}"
            assert line[:1].isspace(), f"neither a packet nor a continuation: {line[:60]!r}"
            packets[current] += " " + line.strip()
    assert list(packets) == list(range(1, len(packets) + 1)), "packet numbers are not 1..N"
    return packets


def tcpdump_verdict(text: str) -> tuple[str, dict[str, Any]] | None:
    """("dns", fields tcpdump printed) | ("invalid", {}) for a packet on our ports; else None."""
    sockets = list(_SOCKETS.finditer(text))
    if not sockets:
        return None
    where = sockets[-1]  # the innermost header: tunnels print the outer one first
    src, sport, dst, dport = (
        where.group(1),
        int(where.group(2)),
        where.group(3),
        int(where.group(4)),
    )
    if sport not in PORTS and dport not in PORTS:
        return None
    body = text[where.end() :]
    fields: dict[str, Any] = {"src": src, "sport": sport, "dst": dst, "dport": dport}
    if body.startswith("Flags ["):  # TCP: the DNS text follows the segment's length
        length = _TCP_LENGTH.search(body)
        if length is None or length.group(1) == "0":
            return None
        body = body[length.end() :]
    else:
        udp_sum = _UDP_SUM.match(body)
        if udp_sum:
            ok, bad = udp_sum.group("ok"), udp_sum.group("bad")
            fields["udp_checksum"] = "ok" if ok else "bad" if bad else "none"
            body = body[udp_sum.end() :]
    if "(invalid)" in body and not _HEAD.match(body):
        return "invalid", {}
    summary = parse_summary(body)
    return None if summary is None else ("dns", fields | summary)


def parse_summary(text: str) -> dict[str, Any] | None:
    """The fields a DNS summary prints, in order, up to the first thing it did not print."""
    head = _HEAD.match(text)
    if head is None:
        return None
    flags = set(head.group("flags"))
    out: dict[str, Any] = {"id": int(head.group("id"))}
    out["opcode"] = _OPCODES.index(head.group("opcode")) + 1 if head.group("opcode") else 0
    pos, brackets, b2 = head.end(), {}, 0
    while bracket := _BRACKET.match(text, pos):
        if bracket.group("b2"):
            b2 = int(bracket.group("b2"), 16)
        else:
            brackets[bracket.group("what")] = int(bracket.group("n"))
        pos = bracket.end()
    rest = text[pos:]
    response = bool(head.group("rcode") or flags & set("*-|$") or _RESPONSE_NEXT.match(rest))
    query_marks = flags & set("+%") or b2 or brackets.keys() & {"a", "n", "au"}
    assert not (response and query_marks), f"query and response marks at once: {text[:80]!r}"
    out["qr"] = int(response)
    if response:
        rcode = head.group("rcode") or ""
        out["rcode"] = _RCODE_VALUE.get(rcode) or int(rcode[4:] or 0)
        out |= {"aa": "*" in flags, "ra": "-" not in flags, "tc": "|" in flags}
        out |= {"ad": "$" in flags, "qdcount": brackets.get("q", 1)}
        question = _QUESTION.match(rest, 3) if rest.startswith(" q:") else None
    else:
        out |= {"rd": "+" in flags, "cd": "%" in flags, "b2": b2 & 0x06CF}
        out |= {"qdcount": brackets.get("q", 1), "ancount": brackets.get("a", 0)}
        out |= {"nscount": brackets.get("n", 0), "arcount": brackets.get("au", 0)}
        question = _QUESTION.match(rest)
    if question:
        out |= _question(question)
        rest = _MORE_QUESTIONS.sub("", rest[question.end() :])
    counts = _COUNTS.match(rest) if response else None
    if counts:
        out |= dict(zip(("ancount", "nscount", "arcount"), map(int, counts.groups()), strict=True))
    length = _LENGTH.search(text)
    if length and not text.endswith("[|domain]"):
        out["length"] = int(length.group(1))
    return out


def _question(found: re.Match[str]) -> dict[str, Any]:
    kind, cls, name = found.group("type"), found.group("cls"), found.group("name")
    if kind.startswith("Type"):
        qtype = int(kind[4:])
    else:
        qtype = int(dns.rdatatype.from_text(kind.replace("_", "-")))
    if cls is None:
        qclass = 1
    elif cls.startswith("(Class"):
        qclass = int(cls[7:-1])
    else:
        qclass = _CLASSES[cls]
    unreadable = any(mark in name for mark in _UNREADABLE)
    return {"qtype": qtype, "qclass": qclass, "qname": UNREADABLE if unreadable else name}


# -- our side ----------------------------------------------------------------------------------
def tcpdump_name(presentation: str) -> str:
    """Our presentation form (RFC 1035 escapes undone: the wire bytes) as tcpdump prints names:
    labels joined by dots, a byte above 0x7f as `M-` and its low 7 bits, a control byte as `^X`."""
    if presentation == ".":
        return "."
    raw = re.sub(
        rb"\\(\d{3}|.)",
        lambda m: bytes([int(m.group(1))]) if m.group(1).isdigit() else m.group(1),
        presentation.encode("latin-1"),
    )
    out = []
    for byte in raw:
        text = "M-" if byte & 0x80 else ""
        low = byte & 0x7F
        text += "^" + chr(low ^ 0x40) if low < 0x20 or low == 0x7F else chr(low)
        out.append(text)
    return "".join(out)


def our_fields(dg: Datagram) -> dict[str, Any]:
    msg = parse_message(dg.payload)
    flags = msg.flags
    fields: dict[str, Any] = {
        "src": dg.src,
        "sport": dg.sport,
        "dst": dg.dst,
        "dport": dg.dport,
        "udp_checksum": {True: "ok", False: "bad", None: "none"}[dg.checksum_ok],
        "id": msg.id,
        "qr": int(msg.is_response),
        "opcode": msg.opcode,
        "rcode": msg.rcode,
        "aa": msg.aa,
        "tc": msg.tc,
        "rd": msg.rd,
        "ra": msg.ra,
        "ad": bool(flags & 0x0020),
        "cd": bool(flags & 0x0010),
        "b2": flags & 0x06CF,
        "qdcount": msg.qdcount,
        "ancount": msg.ancount,
        "nscount": msg.nscount,
        "arcount": msg.arcount,
        "qtype": msg.qtype,
        "qclass": msg.qclass,
        "qname": None,
        "length": len(dg.payload),
    }
    name = msg.qname_wire_case or msg.qname
    if name is not None:
        fields["qname"] = tcpdump_name(name)
    elif msg.qdcount:
        fields["qname"] = UNREADABLE
    return fields


def our_frames(path: Path) -> tuple[dict[int, list[Datagram]], set[int]]:
    """Our DNS messages by the frame that completed them, and the frames we reported damage in."""
    messages: dict[int, list[Datagram]] = {}
    damaged: set[int] = set()
    for record in CaptureReader(path, PORTS).records():
        if isinstance(record, Datagram):
            messages.setdefault(record.frame, []).append(record)
        elif isinstance(record, Damage) and record.frame is not None:
            damaged.add(record.frame)
    return messages, damaged


# -- comparison --------------------------------------------------------------------------------
def compare_frame(
    verdict: tuple[str, dict[str, Any]] | None, ours: list[Datagram], damaged: bool
) -> str | None:
    """None when both sides agree on the frame; else what differs."""
    if verdict is None:
        return f"tcpdump saw no DNS here, we decoded {len(ours)} message(s)" if ours else None
    kind, theirs = verdict
    if kind == "invalid":
        if ours:
            return f"tcpdump refused the DNS message, we decoded {len(ours)}"
        return None if damaged else "tcpdump refused the DNS message, we reported nothing"
    if len(ours) != 1:
        return f"tcpdump decoded one DNS message, we decoded {len(ours)}"
    have = our_fields(ours[0])
    differ = {k: (v, have[k]) for k, v in theirs.items() if have[k] != v}
    return f"(tcpdump, ours) differ: {differ}" if differ else None


def check_options(key: str, verdicts: dict[int, Any], options: str) -> None:
    """The key reads as its options say: -vv prints the question of a response, else not."""
    for frame, verdict in verdicts.items():
        if verdict and verdict[0] == "dns" and verdict[1]["qr"] and "ancount" in verdict[1]:
            has_question = "qtype" in verdict[1] or verdict[1]["qdcount"] == 0
            assert has_question == ("-vv" in options), f"{key} frame {frame} vs options {options}"


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("capture", "key", "options"), CASES, ids=[Path(k).stem for _, k, _ in CASES]
)
def test_agrees_with_tcpdump_per_frame(corpus, capture, key, options):
    packets = read_packets(corpus(key).read_text(errors="replace"))
    verdicts = {n: tcpdump_verdict(text) for n, text in packets.items()}
    check_options(key, verdicts, options)
    messages, damaged = our_frames(corpus(capture))
    assert max(messages, default=0) <= len(packets), "we decoded frames tcpdump never printed"
    frames = sorted({n for n, v in verdicts.items() if v is not None} | set(messages))
    agreed, known, unlisted = 0, [], []
    for frame in frames:
        problem = compare_frame(verdicts.get(frame), messages.get(frame, []), frame in damaged)
        if problem is None:
            agreed += 1
        elif (key, frame) in KNOWN_DIFFERENCES:
            known.append(frame)
            print(f"  known difference, frame {frame}: {problem}")
            print(f"    reason: {KNOWN_DIFFERENCES[key, frame]}")
        else:
            unlisted.append((frame, problem))
    stale = [f for k, f in KNOWN_DIFFERENCES if k == key and f not in known]
    line = agreement_line("tcpdump", key, agreed, len(frames))
    print(line)
    assert not unlisted, f"{line}; unlisted disagreements (frame, what): {unlisted}"
    assert not stale, f"{line}; stale KNOWN_DIFFERENCES entries (frames that now agree): {stale}"


def test_every_tcpdump_key_is_compared(corpus):
    keys = {key for _, key, _ in CASES}
    directory = corpus(CASES[0][1]).parent
    assert {f"{_T}{p.name}" for p in directory.glob("*.out")} == keys
    assert all(key in keys for key, _ in KNOWN_DIFFERENCES)
