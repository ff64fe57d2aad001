"""Row-by-row agreement with Zeek's dns.log answer keys (`zeek -r <pcap>` output).

Zeek's rows: one per query transmission (a retransmission with the same ID is a row of its own),
and one per response no pending query explains. Per connection (5-tuple), a response pairs with
the oldest pending query of its ID, and a connection whose first message is a response is flipped
so that the client is the originator.

Ours: `--format jsonl` has one record per transaction, every transmission in `query_frames` and
every response in `response_frames`; responses no query explains are DD113 orphan-response
evidence. Each record is expanded into Zeek's rows the way Zeek would: per server socket (Zeek's
connection), in capture order, each response takes the oldest unpaired transmission; a response
from a server the query did not go to is a connection of its own. Per-message facts of a frame
(addresses, ID, rcode) come from our reader, as in the dnscap test. Copies of one datagram seen on
several interfaces (`copy_frames`) stay folded: none of these captures has any.

Both sides are compared as multisets of Row: originator and responder socket, proto, trans_id,
qtype (unset: a response-only row) and rcode (unset: no response paired). Printed as agreed/total
per capture, total counting every row either side produced. Any disagreement fails unless
KNOWN_DIFFERENCES covers it with a reason; an entry that no longer applies fails as stale.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Datagram
from dnsdoctor.evidence.dns_message import DnsMessage, MalformedMessage, parse_message

from .keys import agreement_line

_TRACES = "zeek/testing/btest/Traces/"
_KEYS = "zeek/testing/btest/Baseline/"
# (capture, dns.log) pairs as MANIFEST.md lists them: every dns.log key in the corpus
CASES = [
    (f"{_TRACES}wikipedia.pcap", f"{_KEYS}opt.basic/dns.log"),
    (
        f"{_TRACES}dns-two-responses.pcap",
        f"{_KEYS}scripts.base.protocols.dns.duplicate-reponses/dns.log",
    ),
    (f"{_TRACES}dns-zero-RRs.pcap", f"{_KEYS}scripts.base.protocols.dns.zero-responses/dns.log"),
    (f"{_TRACES}dns53.pcap", f"{_KEYS}scripts.base.protocols.dns.flip/dns.log"),
    (f"{_TRACES}ipv6-fragmented-dns.pcap", f"{_KEYS}core.ipv6-frag/dns.log"),
    (f"{_TRACES}dns/dns_notify2.pcap", f"{_KEYS}scripts.base.protocols.dns.notify/dns.log"),
    (
        f"{_TRACES}dns/mdns-no-assoc.pcap",
        f"{_KEYS}scripts.base.protocols.dns.mdns-no-assoc/dns.log",
    ),
    (
        f"{_TRACES}dns_original_case.pcap",
        f"{_KEYS}scripts.policy.protocols.dns.original_case/dns.log",
    ),
    (f"{_TRACES}tunnels/gre-sample.pcap", f"{_KEYS}core.tunnels.gre/dns.log"),
    (f"{_TRACES}tunnels/gre-over-udp-4754.pcap", f"{_KEYS}core.tunnels.gre-over-udp/dns.log"),
    (f"{_TRACES}dns/tkey.pcap", f"{_KEYS}scripts.base.protocols.dns.tkey/dns.log"),
]


class Row(NamedTuple):
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    proto: str
    trans_id: int
    qtype: int | None  # None: a response no query explains
    rcode: int | None  # None: no response paired with the query


ZEEK, OURS = "zeek", "ours"  # the side a row appears on only


@dataclass(frozen=True)
class KnownDifference:
    """Rows one side has and the other lacks, by port rule (any capture) or one row of a capture."""

    side: str  # ZEEK: rows only Zeek logs; OURS: rows only we produce
    reason: str
    ports: frozenset[int] = frozenset()  # rule: every row with either port in this set
    capture: str = ""
    row: Row | None = None

    def covers(self, capture: str, side: str, row: Row) -> bool:
        if side != self.side:
            return False
        if self.ports:
            return row.orig_p in self.ports or row.resp_p in self.ports
        return capture == self.capture and row == self.row

    def stale(self, capture: str, ours: list[Row], used: bool) -> bool:
        if self.ports:  # we now produce rows on those ports: the rule's premise is gone
            return any(r.orig_p in self.ports or r.resp_p in self.ports for r in ours)
        return capture == self.capture and not used


OTHER_NAME_SERVICE_PORTS = frozenset({5353, 5355, 137})
KNOWN_DIFFERENCES = [
    KnownDifference(
        ZEEK,
        "mDNS (5353), LLMNR (5355) and NetBIOS-NS (137) are counted (stats other_name_services) "
        "but kept out of DNS pairing by design unless their port is asked for with --port; "
        "Zeek's DNS analyzer logs them",
        ports=OTHER_NAME_SERVICE_PORTS,
    ),
]


# -- Zeek's side -------------------------------------------------------------------------------
def read_zeek_log(text: str) -> list[dict[str, str | None]]:
    """A Zeek TSV log, one dict per row: `#fields` names the columns, `#unset_field` (`-`) reads
    as None and `#empty_field` (`(empty)`, an empty set or vector) as ""."""
    fields: list[str] = []
    unset, empty = "-", "(empty)"
    rows = []
    for line in text.splitlines():
        if line.startswith("#"):
            name, _, value = line[1:].partition("\t")
            if name == "fields":
                fields = value.split("\t")
            elif name == "unset_field":
                unset = value
            elif name == "empty_field":
                empty = value
            continue
        assert fields, "a row before the #fields header"
        values = zip(fields, line.split("\t"), strict=True)
        rows.append({f: None if v == unset else "" if v == empty else v for f, v in values})
    return rows


def dns_log_rows(text: str) -> list[Row]:
    rows = []
    for record in read_zeek_log(text):
        text_of = {column: value for column, value in record.items() if value is not None}
        rows.append(
            Row(
                text_of["id.orig_h"],
                int(text_of["id.orig_p"]),
                text_of["id.resp_h"],
                int(text_of["id.resp_p"]),
                text_of["proto"],
                int(text_of["trans_id"]),
                int(text_of["qtype"]) if "qtype" in text_of else None,
                int(text_of["rcode"]) if "rcode" in text_of else None,
            )
        )
    return rows


# -- our side ----------------------------------------------------------------------------------
class MessageIndex:
    """Every DNS message our reader decodes, by the frame that completed it."""

    def __init__(self, path: Path) -> None:
        self._by_frame: dict[int, list[tuple[Datagram, DnsMessage]]] = {}
        for record in CaptureReader(path).records():
            if isinstance(record, Datagram):
                try:
                    msg = parse_message(record.payload)
                except MalformedMessage:
                    continue
                self._by_frame.setdefault(record.frame, []).append((record, msg))

    def get(
        self, frame: int, response: bool, trans_id: int | None = None, src: str | None = None
    ) -> tuple[Datagram, DnsMessage]:
        found = [
            (dg, msg)
            for dg, msg in self._by_frame.get(frame, [])
            if msg.is_response == response and trans_id in (None, msg.id) and src in (None, dg.src)
        ]
        assert len(found) == 1, f"frame {frame}: {len(found)} matching DNS messages"
        return found[0]


def _response_only(dg: Datagram, msg: DnsMessage) -> Row:
    """Zeek flips a connection that starts with a response: the client is the originator."""
    return Row(dg.dst, dg.dport, dg.src, dg.sport, dg.transport, msg.id, None, msg.rcode)


def _transaction_rows(record: dict[str, Any], index: MessageIndex) -> list[Row]:
    client = (record["id.orig_h"], record["id.orig_p"])
    trans_id, proto = record["trans_id"], record["proto"]
    # Zeek's connection is the server socket; within it, messages in capture order
    events: dict[tuple[str, int], list[tuple[int, DnsMessage | None]]] = {}
    for frame in record["query_frames"]:
        dg, _ = index.get(frame, response=False, trans_id=trans_id)
        assert (dg.src, dg.sport) == client, f"frame {frame} is not from {client}"
        events.setdefault((dg.dst, dg.dport), []).append((frame, None))
    answer = next(
        (f for f in record["response_frames"] if f not in record["unexpected_source_frames"]),
        None,
    )
    for frame in record["response_frames"]:
        dg, msg = index.get(frame, response=True, trans_id=trans_id)
        if frame == answer:
            assert record["rcode"] == msg.rcode, f"record rcode vs frame {frame}"
        events.setdefault((dg.src, dg.sport), []).append((frame, msg))
    rows = []
    for (server, port), messages in events.items():
        pending = 0
        for _, response in sorted(messages, key=lambda event: event[0]):
            if response is None:
                pending += 1
                continue
            qtype = record["qtype"] if pending else None
            pending = max(pending - 1, 0)
            rows.append(Row(*client, server, port, proto, trans_id, qtype, response.rcode))
        rows += [Row(*client, server, port, proto, trans_id, record["qtype"], None)] * pending
    for frame in record["mismatched_question_frames"]:
        rows.append(_response_only(*index.get(frame, response=True, trans_id=trans_id)))
    return rows


def _orphan_frames(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """DD113's frame evidence, which must list every orphan response (it keeps a sample)."""
    expected = summary["stats"]["orphan_responses"]
    for finding in summary["findings"]:
        if finding["code"] == "DD113":
            frames = [e for e in finding["evidence"] if e["kind"] == "frame"]
            assert len(frames) == expected, (
                f"DD113 lists {len(frames)} of {expected} orphan responses: too many to compare"
            )
            return frames
    assert not expected, f"{expected} orphan responses but no DD113 finding"
    return []


def our_rows(
    records: list[dict[str, Any]], summary: dict[str, Any], index: MessageIndex
) -> list[Row]:
    rows = [row for record in records for row in _transaction_rows(record, index)]
    for evidence in _orphan_frames(summary):
        dg, msg = index.get(evidence["frame"], response=True, src=evidence["src"])
        assert (dg.sport, dg.dst, dg.dport) == (
            evidence["sport"],
            evidence["dst"],
            evidence["dport"],
        )
        rows.append(_response_only(dg, msg))
    return rows


# -- comparison --------------------------------------------------------------------------------
@dataclass
class Comparison:
    agreed: int
    known: int = 0
    unlisted: list[tuple[str, Row]] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.agreed + self.known + len(self.unlisted)


def compare(capture: str, zeek: list[Row], ours: list[Row]) -> Comparison:
    theirs_count, ours_count = Counter(zeek), Counter(ours)
    result = Comparison(sum((theirs_count & ours_count).values()))
    residual = [(ZEEK, r) for r in (theirs_count - ours_count).elements()]
    residual += [(OURS, r) for r in (ours_count - theirs_count).elements()]
    used: set[int] = set()
    for side, row in residual:
        entry = next(
            (i for i, k in enumerate(KNOWN_DIFFERENCES) if k.covers(capture, side, row)), None
        )
        if entry is None:
            result.unlisted.append((side, row))
        else:
            result.known += 1
            used.add(entry)
    result.stale = [
        k.reason for i, k in enumerate(KNOWN_DIFFERENCES) if k.stale(capture, ours, i in used)
    ]
    return result


def run_ours(cli, path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    result = cli("pcap", "--format", "jsonl", str(path))
    assert result.code in (0, 1), result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    summary = records.pop()
    assert summary.get("record") == "summary"
    return records, summary


@pytest.mark.corpus
@pytest.mark.parametrize(("capture", "key"), CASES, ids=[Path(c).stem for c, _ in CASES])
def test_agrees_with_zeek_per_row(cli, corpus, capture, key):
    zeek = dns_log_rows(corpus(key).read_text())
    records, summary = run_ours(cli, corpus(capture))
    ours = our_rows(records, summary, MessageIndex(corpus(capture)))
    result = compare(capture, zeek, ours)
    line = agreement_line("zeek", capture, result.agreed, result.total, result.known)
    print(line)
    assert not result.unlisted, f"{line}; unlisted disagreements (side, row): {result.unlisted}"
    assert not result.stale, f"{line}; stale KNOWN_DIFFERENCES entries: {result.stale}"
    # Zeek rows kept out by the port rule stand for messages we saw and set aside, not lost ones
    set_aside = sum(summary["stats"]["other_name_services"].values())
    ports = OTHER_NAME_SERVICE_PORTS
    ruled_out = sum(r.orig_p in ports or r.resp_p in ports for r in zeek)
    assert ruled_out <= set_aside, f"{line}; {ruled_out} rows on those ports, {set_aside} messages"


def test_known_differences_name_compared_captures():
    captures = {c for c, _ in CASES}
    assert all(k.ports or k.capture in captures for k in KNOWN_DIFFERENCES)
