"""DD104 unanswered-query.

What it detects:
Queries that got no DNS response at all (no reply from any server the query went to), and were
not sent in the last seconds of the capture ("in flight at end" is not counted). Aggregated per
nameserver. A query answered by ICMP unreachable is counted separately.

Why it matters:
Every unanswered query costs the application a resolver timeout (glibc 5 s, musl 2.5 s retry
interval by default) or a failed lookup. Scattered losses point at the path (conntrack races,
rate limits, overloaded upstreams); losses concentrated on one server point at that server
(see DD103).

Evidence:
A packet capture that sees both directions of the client's traffic.

Example:
3 of 40 queries to 10.96.0.10:53 were never answered (frames 17, 203, 488).

Fix:
See which server and which query types are lost: AAAA-only loss on one socket points at the
conntrack race (DD105); loss on one server at that server (DD103).

False positives:
A capture filter that dropped responses, or a capture on only one interface of a multi-homed
host.

References:
RFC 1035 section 4.2.1; kubernetes/kubernetes#56903.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.transaction import ICMP_ERROR, UNANSWERED, Transaction
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext, CaptureRule, send_evidence


class UnansweredQuery(CaptureRule):
    code = "DD104"
    name = "unanswered-query"
    severity = Severity.WARNING

    def __init__(self) -> None:
        self._total = 0
        self._by_server: dict[str, list[int]] = {}  # server -> [unanswered, icmp]
        self._frames: list[FrameEvidence] = []

    def on_transaction(self, tx: Transaction) -> None:
        if tx.outcome not in (UNANSWERED, ICMP_ERROR):
            return
        self._total += 1
        for server in {s.server for s in tx.sends}:
            counts = self._by_server.setdefault(server, [0, 0])
            counts[1 if tx.outcome == ICMP_ERROR else 0] += 1
        if len(self._frames) < SAMPLE_FRAMES:
            role = "answered by ICMP unreachable" if tx.outcome == ICMP_ERROR else "never answered"
            self._frames.append(send_evidence(tx, tx.sends[0], role))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._total:
            return []
        counts = tuple(
            CountEvidence(f"server {s}", (("unanswered", c[0]), ("icmp unreachable", c[1])))
            for s, c in sorted(self._by_server.items(), key=lambda kv: -sum(kv[1]))
        )
        frames = ", ".join(str(f.frame) for f in self._frames)
        servers = ", ".join(sorted(self._by_server)[:4])
        summary = (
            f"{self._total} quer{'y' if self._total == 1 else 'ies'} got no DNS response "
            f"(to {servers}; frames {frames}{' ...' if self._total > len(self._frames) else ''})"
        )
        fix = "See DD103 for a silent server and DD105 for retries and conntrack-race stalls."
        return [
            Finding(
                self.code,
                self.name,
                self.severity,
                summary,
                (*self._frames, *counts),
                self._total,
                fix,
            )
        ]
