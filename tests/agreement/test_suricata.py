"""Filter-by-filter agreement with suricata-verify's checks on DNS eve records (`test.yaml`).

A check `filter: {count: N, match: {field: value, ...}}` asserts that exactly N records of
Suricata's eve.json match every field. We build an eve-like record per DNS message our reader
yields (CaptureReader, port 53: mDNS, LLMNR and NetBIOS-NS stay out as everywhere in dnsdoctor)
and parse_message reads, and count the records each filter matches.

Our record takes the Suricata >= 8 form (eve DNS log version 3: one event per message):
* `event_type` dns; `pcap_cnt` our frame (the packet that completed the message; over TCP
  Suricata logs at the packet acknowledging the data instead, and no TCP filter of the corpus
  matches on pcap_cnt); `proto`; `src_ip`, `src_port`, `dest_ip`, `dest_port` in the packet's
  direction, as Suricata >= 8 logs responses too (bug-856);
* `dns.type` request or response (QR bit), `dns.id`, `dns.opcode` when not 0, and from the first
  question `dns.queries[0].rrname` (its wire bytes: the RFC 1035 escapes of our presentation form
  undone, no final dot) and `dns.queries[0].rrtype` (mnemonic, else the number);
* for responses only, as Suricata logs them: `dns.rcode` (the header's 4 bits, Suricata's names),
  `dns.flags` (the flags word in hex), `dns.qr`, `dns.aa`, `dns.tc`, `dns.rd`, `dns.ra`, `dns.z`
  when set, and `dns.answers.__len` = the answer records we walked (Suricata logs one entry per
  TXT string, so the two differ for multi-string TXT answers; the corpus counts A/CNAME answers).

Forms. A filter gated `requires: lt-version: 8` whose Suricata >= 8 twin (same count, same
fields under the newer names) is in the same file is skipped as superseded, counted and printed;
`requires` is honoured for that choice only. A filter in the older form without such a twin
(dns-reversed-udp-1, whose suricata.yaml asks for eve DNS version 2) is read in that form:
dns.type query or answer, `dns.rrname`/`dns.rrtype` for the question, and addresses in the flow's
direction, the client (the query's sender, the response's receiver) as source, as that test's
own comment says.

Comparable filters are those on event_type dns (or on none: without rules only dns events carry
`dns.type`) whose every field we model; agreed/total counts them. Not comparable, counted and
printed with what stops them: other event types (flow, alert, anomaly) and filters naming a field
we do not model (answer and authority contents, grouped, tx_id, version, ...). A filter of the
latter kind is still checked on its modelled fields as a necessary condition (if we agree with
Suricata there, at least `count` of our records match them), and a failure of that fails too.
Any disagreement fails unless KNOWN_DIFFERENCES lists it with its reason; a listed entry that
agrees now fails as stale.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.rdatatype
import pytest
import yaml

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Datagram
from dnsdoctor.evidence.dns_message import DnsMessage, parse_message

from .keys import agreement_line

_SV = "suricata-verify/tests/"
# every test.yaml of the corpus with filters on DNS eve records (see test_every_key_is_classified)
CASES = [
    f"{_SV}{name}"
    for name in (
        "dns-reversed-udp-1",
        "dns-tcp-ts-gap",
        "dns-udp-junkrequest-first",
        "dns/bug-1158",
        "dns/bug-856",
        "dns/dns-corrupt-additionals",
        "dns/dns-invalid-opcode",
        "dns/dns-sshfp",
        "dns/dns-tcp-multirequest-buffer",
        "dns/dns-udp-double-request-response",
        "dns/dns-udp-unsolicited-response",
    )
]
NO_DNS_EVE_CHECKS = {
    f"{_SV}datasets-06-state-long": (
        "its one check compares Suricata's dataset dump with expected/state.csv in a shell step"
    ),
}
# (test directory, index of the check in test.yaml) -> why Suricata and we differ there
KNOWN_DIFFERENCES: dict[tuple[str, int], str] = {}

MODELLED = frozenset(
    {
        "event_type",
        "pcap_cnt",
        "proto",
        "src_ip",
        "src_port",
        "dest_ip",
        "dest_port",
        "dns.type",
        "dns.id",
        "dns.opcode",
        "dns.queries[0].rrname",
        "dns.queries[0].rrtype",
        "dns.rrname",  # the older form's question
        "dns.rrtype",
        "dns.rcode",
        "dns.flags",
        "dns.qr",
        "dns.aa",
        "dns.tc",
        "dns.rd",
        "dns.ra",
        "dns.z",
        "dns.answers.__len",
    }
)
_OLD_TYPES = {"query": "request", "answer": "response"}
_OLD_FIELDS = {"dns.rrname": "dns.queries[0].rrname", "dns.rrtype": "dns.queries[0].rrtype"}
_RCODE_NAMES = (
    *("NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"),
    *("YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"),
)
_FLAG_BITS = {"dns.qr": 0x8000, "dns.aa": 0x0400, "dns.tc": 0x0200, "dns.rd": 0x0100}
_FLAG_BITS |= {"dns.ra": 0x0080, "dns.z": 0x0040}
_MISSING = object()


# -- Suricata's side ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    index: int  # position of the check in test.yaml
    count: int
    match: dict[str, Any]
    below_8: bool  # gated `requires: lt-version: 8` (or lower)

    @property
    def event_type(self) -> str:
        return str(self.match.get("event_type", "dns"))

    @property
    def old_form(self) -> bool:
        return self.match.get("dns.type") in _OLD_TYPES or bool(
            self.match.keys() & {"dns.rrname", "dns.rrtype"}
        )

    @property
    def unmodelled(self) -> set[str]:
        return set(self.match) - MODELLED

    def in_v3_names(self) -> dict[str, Any]:
        """The match with the older form's names translated (query -> request, rrname -> ...)."""
        match = {_OLD_FIELDS.get(name, name): value for name, value in self.match.items()}
        if match.get("dns.type") in _OLD_TYPES:
            match["dns.type"] = _OLD_TYPES[match["dns.type"]]
        return match


def superseded(f: Filter, filters: list[Filter]) -> bool:
    """A filter for Suricata < 8 whose Suricata >= 8 twin (same count, same fields in the newer
    names) is in the same file: the twin is compared, this one skipped."""
    twin = f.in_v3_names()
    return f.below_8 and any(
        not other.below_8 and other.count == f.count and other.match == twin for other in filters
    )


def _field(name: str) -> str:
    """`dns.queries.0.rrname` and `dns.queries[0].rrname` are one field."""
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", name)


def _major(version: Any) -> int:
    return int(str(version).split(".")[0])


def _below_8(requires: dict[str, Any]) -> bool:
    unknown = set(requires) - {"min-version", "lt-version"}
    assert not unknown, f"requires {unknown}: decide how to read them"
    return "lt-version" in requires and _major(requires["lt-version"]) <= 8


def read_filters(test: dict[str, Any]) -> list[Filter]:
    filters = []
    for index, check in enumerate(test.get("checks") or []):
        if "filter" not in check:
            continue
        spec = check["filter"]
        match = {_field(name): value for name, value in spec["match"].items()}
        gated = _below_8(spec.get("requires") or {})
        filters.append(Filter(index, int(spec["count"]), match, gated))
    return filters


def capture_of(test_yaml: Path, test: dict[str, Any]) -> Path:
    if "pcap" in test:
        path = (test_yaml.parent / test["pcap"]).resolve()
        assert path.is_file(), f"{test_yaml}: pcap {test['pcap']} missing"
        return path
    found = sorted(test_yaml.parent.glob("*.pcap"))
    assert len(found) == 1, f"{test_yaml}: {len(found)} pcaps"
    return found[0]


# -- our side ----------------------------------------------------------------------------------
def eve_name(presentation: str) -> str:
    """Our presentation form as Suricata logs a name: the wire bytes, dots between labels."""
    if presentation == ".":
        return "<root>"
    raw = re.sub(
        rb"\\(\d{3}|.)",
        lambda m: bytes([int(m.group(1))]) if m.group(1).isdigit() else m.group(1),
        presentation.encode("latin-1"),
    )
    return raw[:-1].decode("latin-1")


def rrtype_name(rrtype: int) -> str:
    text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rrtype))
    return str(rrtype) if text.startswith("TYPE") else text.replace("-", "")


def eve_record(dg: Datagram, msg: DnsMessage) -> dict[str, Any]:
    """The Suricata >= 8 (eve DNS v3) fields we model, as Suricata would log this message."""
    record: dict[str, Any] = {
        "event_type": "dns",
        "pcap_cnt": dg.frame,
        "proto": dg.transport.upper(),
        "src_ip": dg.src,
        "src_port": dg.sport,
        "dest_ip": dg.dst,
        "dest_port": dg.dport,
        "dns.type": "response" if msg.is_response else "request",
        "dns.id": msg.id,
    }
    if msg.opcode:
        record["dns.opcode"] = msg.opcode
    if msg.qname is not None and msg.qtype is not None:
        record["dns.queries[0].rrname"] = eve_name(msg.qname_wire_case or msg.qname)
        record["dns.queries[0].rrtype"] = rrtype_name(msg.qtype)
    if msg.is_response:
        rcode = msg.flags & 0xF
        record["dns.rcode"] = _RCODE_NAMES[rcode] if rcode < len(_RCODE_NAMES) else str(rcode)
        record["dns.flags"] = f"{msg.flags:x}"
        record |= {name: True for name, bit in _FLAG_BITS.items() if msg.flags & bit}
        if msg.ttls:
            record["dns.answers.__len"] = len(msg.ttls)
    return record


def old_form(record: dict[str, Any]) -> dict[str, Any]:
    """The same message in the older form (eve DNS v2): flow direction, v2 names."""
    old = dict(record)
    response = record["dns.type"] == "response"
    old["dns.type"] = "answer" if response else "query"
    for name in ("rrname", "rrtype"):
        if f"dns.queries[0].{name}" in old:
            old[f"dns.{name}"] = old.pop(f"dns.queries[0].{name}")
    if response:  # the client, the response's receiver, is the flow's source
        old["src_ip"], old["dest_ip"] = record["dest_ip"], record["src_ip"]
        old["src_port"], old["dest_port"] = record["dest_port"], record["src_port"]
    return old


def our_records(path: Path) -> list[dict[str, Any]]:
    return [
        eve_record(rec, parse_message(rec.payload))
        for rec in CaptureReader(path).records()
        if isinstance(rec, Datagram)
    ]


# -- comparison --------------------------------------------------------------------------------
def _same(want: Any, have: Any) -> bool:
    if have is _MISSING:
        return False
    if isinstance(want, bool) or isinstance(have, bool):
        return want is have
    return str(want) == str(have)


def matching(records: list[dict[str, Any]], match: dict[str, Any]) -> int:
    return sum(
        all(_same(value, rec.get(name, _MISSING)) for name, value in match.items())
        for rec in records
    )


@dataclass
class Comparison:
    agreed: int = 0
    total: int = 0
    partial: int = 0  # filters naming fields we do not model
    partial_consistent: int = 0
    partial_exact: int = 0  # of those, matched by exactly `count` of our records
    unmodelled: set[str] = field(default_factory=set)
    other_events: Counter[str] = field(default_factory=Counter)
    superseded: int = 0
    known: list[int] = field(default_factory=list)
    unlisted: list[tuple[int, str]] = field(default_factory=list)

    def lines(self, case: str) -> list[str]:
        fields = sorted({re.sub(r"\[\d+\]", "[i]", name) for name in self.unmodelled})
        lines = [agreement_line("suricata", case, self.agreed, self.total)]
        if self.partial:
            lines.append(
                f"  not comparable: {self.partial} filters on fields we do not model "
                f"({', '.join(fields)}); on their modelled fields "
                f"{self.partial_consistent}/{self.partial} consistent, "
                f"{self.partial_exact} of them matched exactly `count` times"
            )
        if self.other_events:
            events = ", ".join(f"{k} {v}" for k, v in sorted(self.other_events.items()))
            lines.append(f"  not comparable: filters on other event types ({events})")
        if self.superseded:
            lines.append(f"  superseded: {self.superseded} filters in the Suricata < 8 form")
        return lines


def compare(case: str, filters: list[Filter], records: list[dict[str, Any]]) -> Comparison:
    result = Comparison()
    old_records = [old_form(r) for r in records]
    for f in filters:
        if superseded(f, filters):
            result.superseded += 1
            continue
        if f.event_type != "dns":
            result.other_events[f.event_type] += 1
            continue
        pool = old_records if f.old_form else records
        unmodelled = f.unmodelled
        if unmodelled:
            result.partial += 1
            result.unmodelled |= unmodelled
            modelled = {k: v for k, v in f.match.items() if k not in unmodelled}
            ours = matching(pool, modelled)
            if ours >= f.count:
                result.partial_consistent += 1
                result.partial_exact += ours == f.count
                continue
            problem = f"on modelled fields {modelled}: Suricata >= {f.count}, ours {ours}"
        else:
            result.total += 1
            ours = matching(pool, f.match)
            if ours == f.count:
                result.agreed += 1
                continue
            problem = f"{f.match}: Suricata {f.count}, ours {ours}"
        if (case, f.index) in KNOWN_DIFFERENCES:
            result.known.append(f.index)
        else:
            result.unlisted.append((f.index, problem))
    return result


@pytest.mark.corpus
@pytest.mark.parametrize("case", CASES, ids=[c.removeprefix(_SV) for c in CASES])
def test_agrees_with_suricata_per_filter(corpus, case):
    test_yaml = corpus(f"{case}/test.yaml")
    test = yaml.safe_load(test_yaml.read_text())
    filters = read_filters(test)
    records = our_records(capture_of(test_yaml, test))
    result = compare(case, filters, records)
    for line in result.lines(case):
        print(line)
    for index in result.known:
        print(f"  known difference, check {index}: {KNOWN_DIFFERENCES[case, index]}")
    stale = [i for c, i in KNOWN_DIFFERENCES if c == case and i not in result.known]
    line = result.lines(case)[0]
    assert result.total or result.partial, f"{case}: no filter on DNS eve records"
    assert not result.unlisted, f"{line}; unlisted disagreements (check, what): {result.unlisted}"
    assert not stale, f"{line}; stale KNOWN_DIFFERENCES entries (checks that now agree): {stale}"


@pytest.mark.corpus
def test_every_key_is_classified(corpus):
    """Every test.yaml of the corpus is compared or set aside with a reason, none forgotten."""
    tests = corpus("suricata-verify/LICENSE.txt").parent / "tests"
    found = {str(p.parent.relative_to(tests.parent.parent)) for p in tests.rglob("test.yaml")}
    assert found == set(CASES) | set(NO_DNS_EVE_CHECKS)
    for case in NO_DNS_EVE_CHECKS:
        test = yaml.safe_load(corpus(f"{case}/test.yaml").read_text())
        assert not read_filters(test), f"{case} has filters now: compare it"
    assert all(case in CASES for case, _ in KNOWN_DIFFERENCES)
