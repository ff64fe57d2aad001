"""DD109 slow-server.

What it detects:
Nameservers whose answers are slow: response time per server as percentiles (p50, p90, p99) and
as modes. A cluster of answers near 1, 2, 3 or 5 s (at least twice as many as just below it, so a broad
spread of slow answers is not taken for one) is a timeout somewhere behind the server.
Warning when p90 exceeds 500 ms or at least 5% of answers sit in a timeout cluster (at least 3
answers); error when the median exceeds 1 s.

Why it matters:
The application waits for the answer; past the client's timeout (glibc 5 s, musl's 2.5 s retry
interval, `timeout:1`) it re-sends or fails. A mode at ~2 s or ~5 s is the server's own upstream
timing out: CoreDNS `forward` waits for a dead upstream before trying the next, and a recursive
resolver retries an unresponsive authoritative server. The fix is behind the server, not in it.

Evidence:
A packet capture with queries and responses. Response time is measured from the first query of
the transaction sent to that server to its first answer.

Example:
10.96.0.10:53: 200 answers, p50 0.8 ms, p90 2.1 ms, p99 2.00 s; 9 answers (4%) cluster at ~2 s:
an upstream timeout behind the server.

Fix:
Find the slow upstream behind the server (`dnsdoctor coredns` ranks CoreDNS upstreams), remove
dead upstreams from its resolv.conf; add caching (NodeLocal DNSCache).

False positives:
A capture taken far from the client (on the server side of a slow link) measures the link too.
Responses to queries sent before the capture began are not timed.

References:
CoreDNS forward plugin (health checks, `max_fails`); resolv.conf(5) timeout.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.model import CountEvidence, Evidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import CaptureContext, CaptureRule, reply_evidence

if TYPE_CHECKING:
    from dnsdoctor.engine.triage import FoldedServer, FoldedTraffic

MIN_ANSWERS = 3
P90_LIMIT = 0.5
CLUSTER_SHARE = 0.05
TIMEOUT_MODES = (
    (1.0, "a 1 s timeout behind the server"),
    (2.0, "CoreDNS forward's upstream timeout or a 2 s retry behind the server"),
    (3.0, "a 3 s timeout behind the server"),
    (5.0, "a 5 s resolver timeout behind the server (a dead upstream in its list)"),
)
_BUCKETS_PER_DECADE = 40
_MIN_RTT = 1e-6


def _bucket(rtt: float) -> int:
    return max(0, int(math.log10(max(rtt, _MIN_RTT) / _MIN_RTT) * _BUCKETS_PER_DECADE))


def _bucket_value(index: int) -> float:
    return _MIN_RTT * 10 ** ((index + 0.5) / _BUCKETS_PER_DECADE)


class _Latency:
    """A log-bucketed histogram: percentiles within 3% at constant memory."""

    __slots__ = ("buckets", "count", "modes", "shoulders", "slowest")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.modes = [0] * len(TIMEOUT_MODES)
        self.shoulders = [0] * len(TIMEOUT_MODES)  # answers just below each mode: 0.5x-0.9x
        self.slowest: list[tuple[float, FrameEvidence]] = []

    def add(self, rtt: float) -> None:
        index = _bucket(rtt)
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        for i, (centre, _) in enumerate(TIMEOUT_MODES):
            if 0.9 * centre <= rtt <= 1.15 * centre:
                self.modes[i] += 1
            elif 0.5 * centre <= rtt < 0.9 * centre:
                self.shoulders[i] += 1

    def add_folded(self, part: FoldedServer) -> None:
        """Answers the fast path claimed, already bucketed the way `add` buckets them."""
        self.count += part.transactions
        for index, n in part.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + n
        for i in range(len(TIMEOUT_MODES)):
            self.modes[i] += part.modes[i]
            self.shoulders[i] += part.shoulders[i]

    def is_cluster(self, index: int) -> bool:
        """A timeout mode stands out: many answers at it, few just below it (not a broad spread)."""
        count = self.modes[index]
        return count >= max(1, CLUSTER_SHARE * self.count) and count >= 2 * self.shoulders[index]

    def percentile(self, q: float) -> float:
        rank = q * (self.count - 1)
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen > rank:
                return _bucket_value(index)
        return 0.0


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


class SlowServer(CaptureRule):
    code = "DD109"
    name = "slow-server"
    severity = Severity.WARNING

    def __init__(self) -> None:
        self._servers: dict[str, _Latency] = {}

    def on_transaction(self, tx: Transaction) -> None:
        for reply in tx.replies:
            if reply.unexpected_source:
                continue
            send = next((s for s in tx.sends if s.server == reply.server), None)
            if send is None or reply.ts < send.ts:
                continue
            rtt = reply.ts - send.ts
            latency = self._servers.get(reply.server)
            if latency is None:
                latency = self._servers[reply.server] = _Latency()
            latency.add(rtt)
            if rtt >= 0.5:
                latency.slowest.append(
                    (rtt, reply_evidence(tx, reply, f"answered after {_fmt(rtt)}"))
                )
                latency.slowest = sorted(latency.slowest, key=lambda kv: -kv[0])[:3]
            break

    def on_folded(self, folded: FoldedTraffic) -> None:
        for server, part in folded.servers.items():
            latency = self._servers.get(server)
            if latency is None:
                latency = self._servers[server] = _Latency()
            latency.add_folded(part)

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        findings = []
        for server, lat in sorted(self._servers.items()):
            if lat.count < MIN_ANSWERS:
                continue
            p50, p90, p99 = (lat.percentile(q) for q in (0.5, 0.9, 0.99))
            mode_index = max(range(len(TIMEOUT_MODES)), key=lambda i: lat.modes[i])
            clustered = lat.modes[mode_index]
            cluster = lat.is_cluster(mode_index)
            if p90 <= P90_LIMIT and not cluster:
                continue
            severity = Severity.ERROR if p50 > 1.0 else Severity.WARNING
            summary = f"nameserver {server}: {lat.count} answers, p50 {_fmt(p50)}, p90 {_fmt(p90)}, p99 {_fmt(p99)}"
            if cluster:
                centre, cause = TIMEOUT_MODES[mode_index]
                summary += (
                    f"; {clustered} answer(s) ({100 * clustered / lat.count:.0f}%) cluster at "
                    f"~{centre:g} s: likely {cause}"
                )
            figures: tuple[tuple[str, float | int | str], ...] = (
                ("answers", lat.count),
                ("p50 s", round(p50, 6)),
                ("p90 s", round(p90, 6)),
                ("p99 s", round(p99, 6)),
            )
            modes = tuple(
                (f"near {c:g} s", n) for (c, _), n in zip(TIMEOUT_MODES, lat.modes, strict=True)
            )
            evidence: list[Evidence] = [f for _, f in lat.slowest]
            evidence.append(CountEvidence(f"server {server}", figures + modes))
            fix = "Find the slow or dead upstream behind this server and remove it; add a cache."
            impact = clustered if cluster else lat.count * 0.1
            findings.append(
                Finding(self.code, self.name, severity, summary, tuple(evidence), impact, fix)
            )
        return findings
