"""DD103 server-not-responding.

What it detects:
A nameserver that left most of the queries sent to it without a reply: at least 2 queries
(retransmissions count once per transaction; A and AAAA are two) and at most 50% of them
answered (the rest unanswered or answered with ICMP unreachable). Queries still in flight when the capture ended are not counted.

Why it matters:
glibc asks nameservers in order: a dead first nameserver costs every lookup its `timeout`
(5 s by default) before the second is tried, and with `attempts` the wait repeats. musl asks every
nameserver at once, so a dead one among live ones is harmless to musl, but a CoreDNS `forward`
inheriting the same list sends about 1/N of its queries there and answers SERVFAIL or late.
This is part 1 of the incident this project exists for: a stray nameserver in the node image.

Evidence:
A packet capture that sees queries leave for the nameserver.

Example:
server 10.225.30.181:53: 15 queries, 0 answered (0%); 10.0.0.2:53: 15 queries, 15 answered.

Fix:
Remove the address from the resolv.conf it comes from (`dnsdoctor node` traces which file puts it
there), or make the server answer. For CoreDNS, fix the node's resolv.conf kubelet hands it.

False positives:
A capture that sees only one direction (asymmetric routing, a filter on source) shows every
server as silent: check that responses appear for other servers in the same capture.

References:
resolv.conf(5); musl src/network/res_msend.c; ../shared/seed/README.md part 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dnsdoctor.engine.transaction import ICMP_ERROR, IN_FLIGHT, Transaction
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import CaptureContext, CaptureRule, pct, send_evidence

if TYPE_CHECKING:
    from dnsdoctor.engine.triage import FoldedTraffic

MIN_QUERIES = 2
MAX_ANSWERED_SHARE = 0.5


@dataclass(slots=True)
class _Server:
    sent: int = 0
    answered: int = 0
    icmp: int = 0
    samples: list[FrameEvidence] = field(default_factory=list)


class ServerNotResponding(CaptureRule):
    code = "DD103"
    name = "server-not-responding"
    severity = Severity.ERROR

    def __init__(self) -> None:
        self._servers: dict[str, _Server] = {}

    def on_transaction(self, tx: Transaction) -> None:
        if tx.outcome == IN_FLIGHT:
            return
        answered_by = {r.server for r in tx.replies}
        for server in {s.server for s in tx.sends}:
            stats = self._servers.get(server)
            if stats is None:
                stats = self._servers[server] = _Server()
            stats.sent += 1
            if server in answered_by:
                stats.answered += 1
            elif tx.outcome == ICMP_ERROR or any(n.server == server for n in tx.icmp):
                stats.icmp += 1
            if server not in answered_by and len(stats.samples) < 3:
                send = next(s for s in tx.sends if s.server == server)
                stats.samples.append(send_evidence(tx, send, "unanswered query"))

    def on_folded(self, folded: FoldedTraffic) -> None:
        for server, part in folded.servers.items():
            stats = self._servers.get(server)
            if stats is None:
                stats = self._servers[server] = _Server()
            stats.sent += part.transactions
            stats.answered += part.transactions

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        findings = []
        for server, st in sorted(self._servers.items(), key=lambda kv: (-kv[1].sent, kv[0])):
            if st.sent < MIN_QUERIES or st.answered > st.sent * MAX_ANSWERED_SHARE:
                continue
            silent = st.sent - st.answered
            how = f", {st.icmp} with ICMP unreachable" if st.icmp else ""
            others = [s for s, o in self._servers.items() if s != server and o.answered]
            context = (
                f"; {', '.join(sorted(others)[:3])} answered in the same capture" if others else ""
            )
            summary = (
                f"nameserver {server} answered {st.answered} of {st.sent} queries sent to it "
                f"({pct(st.answered, st.sent)}; {silent} unanswered{how}){context}"
            )
            counts = CountEvidence(
                f"server {server}",
                (
                    ("queries", st.sent),
                    ("answered", st.answered),
                    ("icmp unreachable", st.icmp),
                    ("threshold", f">= {MIN_QUERIES} queries and <= 50% answered"),
                ),
            )
            fix = (
                f"Find which file puts {server} in resolv.conf (`dnsdoctor node`) and remove it, "
                "or make it answer."
            )
            findings.append(
                Finding(
                    self.code, self.name, self.severity, summary, (*st.samples, counts), silent, fix
                )
            )
        return findings
