"""DD108 truncated-without-tcp-retry.

What it detects:
A UDP answer with the TC (truncated) bit set that is not followed, within 5 s, by a TCP query
from the same client for the same question.

Why it matters:
A truncated answer tells the client to ask again over TCP. glibc does; musl before 1.2.4 never
does and uses what fit in 512 bytes (often nothing): large answers (many A records, long CNAME
chains, DNSSEC) fail only in Alpine pods. A client that cannot reach the server over TCP (a
firewall allowing only UDP 53) fails the same way.

Evidence:
A packet capture near the client that would also see its TCP connections to port 53.

Example:
Frame 12: 0x51c0 NOERROR for A big.example.com. TC; no TCP query followed.

Fix:
Upgrade musl to 1.2.4+ (Alpine 3.18+) or use a glibc image; allow TCP 53 to the nameserver;
shrink the answer (fewer records, no ANY).

False positives:
A capture that only shows UDP (a `udp port 53` filter) hides a TCP retry that happened.

References:
RFC 7766 (DNS over TCP); RFC 1035 section 4.2.1; musl 1.2.4 release notes; Kubernetes DNS
debugging docs (Alpine <= 3.17 note).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.transaction import Reply, Transaction
from dnsdoctor.model import Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext, CaptureRule, reply_evidence

TCP_RETRY_WINDOW = 5.0


class TruncatedWithoutTcpRetry(CaptureRule):
    code = "DD108"
    name = "truncated-without-tcp-retry"
    severity = Severity.WARNING

    def __init__(self) -> None:
        # (client, qname, qtype) -> truncated UDP answers still waiting for a TCP query. UDP
        # transactions finish before the TCP retry that follows them, so this holds only TC answers.
        self._waiting: dict[tuple[str, str, int], list[tuple[Transaction, Reply]]] = {}
        self._retried = 0

    def on_transaction(self, tx: Transaction) -> None:
        key = (tx.client, tx.qname, tx.qtype)
        if tx.transport == "tcp":
            items = self._waiting.get(key)
            if items:
                start = tx.first_ts
                keep = [(t, r) for t, r in items if not 0 <= start - r.ts <= TCP_RETRY_WINDOW]
                self._retried += len(items) - len(keep)
                self._waiting[key] = keep
            return
        for reply in tx.replies:
            if reply.message.tc:
                self._waiting.setdefault(key, []).append((tx, reply))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        missing = [item for items in self._waiting.values() for item in items]
        if not missing:
            return []
        frames: list[FrameEvidence] = [
            reply_evidence(tx, r, "truncated answer, no TCP retry")
            for tx, r in missing[:SAMPLE_FRAMES]
        ]
        first = frames[0]
        summary = (
            f"{len(missing)} truncated UDP answer(s) were not followed by a TCP query for the same "
            f"question (first: frame {first.frame}, {first.summary}); "
            f"{self._retried} truncated answer(s) were retried over TCP"
        )
        fix = "musl < 1.2.4 never retries over TCP: upgrade it, or allow TCP 53 to the server."
        return [
            Finding(self.code, self.name, self.severity, summary, tuple(frames), len(missing), fix)
        ]
