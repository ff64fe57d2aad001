"""Record-by-record agreement with dnscap's answer keys (`dnscap -g -r <pcap>` output).

Per DNS message: addresses and ports, ID, opcode, rcode, flags and the four section counts, and
the question. Printed as agreed/total per capture; any disagreement fails unless listed, with its
reason, in KNOWN_DIFFERENCES.
"""

from __future__ import annotations

import re

import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import pytest

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Datagram
from dnsdoctor.evidence.dns_message import parse_message

from .keys import agreement_line

# (capture, gold) pairs; frags.pcap is dns.pcap fragmented (upstream test3.sh compares it to dns.gold)
CASES = [
    ("dnscap/src/test/dns.pcap", "dnscap/src/test/dns.gold"),
    ("dnscap/src/test/vlan11.pcap", "dnscap/src/test/vlan11.gold"),
    ("dnscap/src/test/frags.pcap", "dnscap/src/test/dns.gold"),
    ("dnscap/src/test/sll2.pcap", "dnscap/src/test/sll2.gold"),
]
KNOWN_DIFFERENCES: dict[tuple[str, int], str] = {}

_FLAG_BITS = {
    "qr": 0x8000,
    "aa": 0x0400,
    "tc": 0x0200,
    "rd": 0x0100,
    "ra": 0x0080,
    "ad": 0x0020,
    "cd": 0x0010,
}
_HEAD = re.compile(r"^\[(\d+)\] \S+ \S+ \[#(\d+) (\S+) (\d+)\]")
_ADDR = re.compile(r"^\[([^\]]+)\]\.(\d+) \[([^\]]+)\]\.(\d+)")


def parse_gold(text: str) -> list[dict]:
    """dnscap -g records: continuation lines end in ' \\'; a record starts with '[len]'."""
    records: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("["):
            records.append([])
        if records:
            records[-1].append(line.rstrip("\\").strip())
    result = []
    for lines in records:
        addr = _ADDR.match(lines[1])
        assert addr, lines
        record = {
            "src": addr.group(1),
            "sport": int(addr.group(2)),
            "dst": addr.group(3),
            "dport": int(addr.group(4)),
        }
        if len(lines) > 2 and lines[2].startswith("dns "):
            opcode, rcode, ident, flags = lines[2][4:].split(",", 3)
            tokens = " ".join(lines[3:]).split()
            counts, pos, question = [], 0, None
            for section in range(4):
                n = int(tokens[pos])
                if section == 0 and n:
                    question = tokens[pos + 1]
                counts.append(n)
                pos += 1 + n
            record.update(
                opcode=opcode,
                rcode=rcode,
                id=int(ident),
                flags=sorted(f for f in flags.split("|") if f),
                counts=counts,
                question=_question_key(question),
            )
        result.append(record)
    return result


def _question_key(text: str | None) -> tuple | None:
    """Name as wire labels: dnscap escapes a comma (`\\,`), dnspython-style text does not."""
    if text is None:
        return None
    name, qclass, qtype = text.rsplit(",", 2)
    return (dns.name.from_text(name).to_wire(), qclass, qtype)


def ours(path) -> list[dict]:
    result = []
    for rec in CaptureReader(path).records():
        if not isinstance(rec, Datagram):
            continue
        msg = parse_message(rec.payload)
        flags = sorted(name for name, bit in _FLAG_BITS.items() if msg.flags & bit)
        question = None
        if msg.qname is not None:
            name = msg.qname_wire_case or msg.qname
            question = _question_key(
                f"{name},{dns.rdataclass.to_text(msg.qclass)},{dns.rdatatype.to_text(msg.qtype)}"
            )
        result.append(
            {
                "src": rec.src,
                "sport": rec.sport,
                "dst": rec.dst,
                "dport": rec.dport,
                "opcode": dns.opcode.to_text(msg.opcode),
                "rcode": dns.rcode.to_text(msg.flags & 0xF),
                "id": msg.id,
                "flags": flags,
                "counts": [msg.qdcount, msg.ancount, msg.nscount, msg.arcount],
                "question": question,
            }
        )
    return result


@pytest.mark.corpus
@pytest.mark.parametrize(("capture", "gold"), CASES, ids=[c for c, _ in CASES])
def test_agrees_with_dnscap_per_message(corpus, capture, gold):
    expected = [r for r in parse_gold(corpus(gold).read_text()) if "id" in r]
    got = ours(corpus(capture))
    agreed = 0
    disagreements = []
    for index, (want, have) in enumerate(zip(expected, got, strict=False)):
        if want == have:
            agreed += 1
        elif (capture, index) not in KNOWN_DIFFERENCES:
            disagreements.append((index, want, have))
    print(agreement_line("dnscap", capture, agreed, len(expected)))
    assert len(got) == len(expected), f"{len(got)} DNS messages, dnscap decoded {len(expected)}"
    assert not disagreements, disagreements[:3]
