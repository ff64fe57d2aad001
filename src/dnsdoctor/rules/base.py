"""What every capture rule is: a stable code, a name, a severity, hooks, and its documentation.

Rules are fed finished transactions, lookups, orphan responses and malformed messages as the
capture streams past, keep their own bounded aggregates, and return findings at the end. A rule's
docstring holds the sections `dnsdoctor explain` prints (see DOC_SECTIONS); a test fails when one
is missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, ClassVar

import dns.rcode
import dns.rdatatype

from dnsdoctor.engine.transaction import Reply, Send, Transaction, fmt_addr
from dnsdoctor.model import FrameEvidence, Severity

if TYPE_CHECKING:
    from dnsdoctor.engine.lookups import Lookup
    from dnsdoctor.engine.pairing import Orphan
    from dnsdoctor.engine.triage import FoldedTraffic
    from dnsdoctor.evidence.capture.records import Datagram
    from dnsdoctor.evidence.dns_message import DnsMessage
    from dnsdoctor.model import Finding

DOC_SECTIONS = (
    "What it detects",
    "Why it matters",
    "Evidence",
    "Example",
    "Fix",
    "False positives",
    "References",
)
SAMPLE_FRAMES = 6  # evidence frames kept per finding; counts carry the rest


@dataclass(frozen=True, slots=True)
class CaptureContext:
    path: str
    first_ts: float | None
    last_ts: float | None
    packets: int


class CaptureRule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    evidence_kinds: ClassVar[tuple[str, ...]] = ("capture",)

    def on_transaction(self, tx: Transaction) -> None:
        """A transaction is finished (answered, given up, or idle past the linger time)."""

    def on_lookup(self, lookup: Lookup) -> None:
        """A lookup is finished: every transaction in it is."""

    def on_orphan(self, orphan: Orphan) -> None:
        """A response no query in the capture explains."""

    def on_malformed(self, dg: Datagram, msg: DnsMessage | None, reason: str, offset: int) -> None:
        """A DNS message that does not parse; `offset` is inside the DNS payload."""

    def on_folded(self, folded: FoldedTraffic) -> None:
        """The clean lookups the capture fast path claimed, as counts (engine/triage.py).

        A rule that counts every transaction (per server, say) adds these; the claimed lookups
        are never samples: each query was sent once and answered once, NOERROR, quickly.
        """

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        return ()

    @classmethod
    def hooks(cls) -> set[str]:
        names = ("on_transaction", "on_lookup", "on_orphan", "on_malformed", "on_folded")
        return {n for n in names if getattr(cls, n) is not getattr(CaptureRule, n)}


@cache  # dnspython's enum lookup costs ~13 µs; reports name the same few types again and again
def type_text(qtype: int) -> str:
    return dns.rdatatype.to_text(qtype)  # type: ignore[arg-type]


@cache
def rcode_text(rcode: int) -> str:
    try:
        return dns.rcode.to_text(rcode)  # type: ignore[arg-type]
    except ValueError:
        return f"RCODE{rcode}"


def query_summary(tx: Transaction) -> str:
    return f"id 0x{tx.id:04x} {type_text(tx.qtype)}? {tx.qname}"


def reply_summary(tx: Transaction, reply: Reply) -> str:
    msg = reply.message
    parts = [f"id 0x{msg.id:04x} {rcode_text(msg.rcode)}"]
    if msg.qname is not None and msg.qtype is not None:
        parts.append(f"for {type_text(msg.qtype)} {msg.qname}")
    if msg.tc:
        parts.append("TC")
    if msg.addresses:
        parts.append(", ".join(msg.addresses[:4]) + (" ..." if len(msg.addresses) > 4 else ""))
    elif msg.rcode == 0:
        parts.append("no addresses")
    return " ".join(parts)


def send_evidence(tx: Transaction, send: Send, role: str = "query") -> FrameEvidence:
    return FrameEvidence(
        frame=send.frame,
        ts=send.ts,
        src=tx.client,
        sport=tx.cport,
        dst=send.server,
        dport=send.sport,
        transport=tx.transport,
        role=role,
        summary=query_summary(tx),
    )


def reply_evidence(tx: Transaction, reply: Reply, role: str = "response") -> FrameEvidence:
    return FrameEvidence(
        frame=reply.frame,
        ts=reply.ts,
        src=reply.server,
        sport=reply.sport,
        dst=tx.client,
        dport=tx.cport,
        transport=tx.transport,
        role=role,
        summary=reply_summary(tx, reply),
    )


def server_label(address: str, port: int = 53) -> str:
    return fmt_addr(address, port)


def ranked(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """Counts as (label, n) pairs, largest first: the shape CountEvidence figures take."""
    return tuple(sorted(counts.items(), key=lambda kv: kv[1], reverse=True))


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "n/a"
