"""DD372 probe-slow.

What it detects:
`--probe` answers from a nameserver are slow: p90 above 500 ms (warning), the median above 1 s
(error), or answers cluster near 1, 2 or 5 s (at least 2 answers and 5% of them, and at least
twice as many as just below: 0.5x-0.9x) - a timeout behind the server.

Why it matters:
The application waits for the answer. A cluster at ~2 s is CoreDNS `forward`'s upstream timeout
or a resolver retrying, at ~5 s a dead upstream in the server's own resolv.conf: the fault is
behind the server, and every client of it pays.

Evidence:
The probe's latency per server and transport: p50, p90, p99 and the counts near each timeout.

Example:
127.0.0.1:5300 over udp: 12 answers, p50 2.01 s, p90 2.02 s, p99 2.02 s; 12 (100%) near 2 s: a
timeout behind the server.

Fix:
Find the slow or dead upstream behind the server (`dnsdoctor coredns` ranks CoreDNS upstreams),
remove it; add caching (NodeLocal DNSCache).

False positives:
The first query for a name not in the server's cache is slow by nature (recursion): probe a
name the server answers itself, or raise `--probe-count` so the cache warms.

References:
CoreDNS forward plugin (`expire`, health checks); DD109 slow-server (the same for captures).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.probe import ProbeStats
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._probe_common import fmt, probe_stats, stats_evidence, why_not_probed

P90_LIMIT = 0.5
MEDIAN_ERROR = 1.0
CLUSTER_SHARE = 0.05
MIN_CLUSTER = 2


class ProbeSlow(CheckRule[NodeAudit]):
    code = "DD372"
    name = "probe-slow"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("probe",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        reason = why_not_probed(evidence)
        if reason:
            return [self.skipped(reason)]
        findings = []
        for stats in probe_stats(evidence):
            p50, p90, p99 = (stats.percentile(q) for q in (0.5, 0.9, 0.99))
            if p50 is None or p90 is None:
                continue
            cluster = _cluster(stats)
            if p90 <= P90_LIMIT and cluster is None:
                continue
            summary = (
                f"{stats.server} over {stats.transport}: {stats.answered} answers, "
                f"p50 {fmt(p50)}, p90 {fmt(p90)}, p99 {fmt(p99)}"
            )
            if cluster is not None:
                centre, count = cluster
                summary += (
                    f"; {count} ({count / stats.answered:.0%}) near {centre:g} s: "
                    "a timeout behind the server"
                )
            findings.append(
                self.finding(
                    summary,
                    severity=Severity.ERROR if p50 > MEDIAN_ERROR else Severity.WARNING,
                    evidence=(stats_evidence(stats),),
                    impact=float(stats.answered),
                    fix="Find the slow or dead upstream behind this server and remove it; "
                    "see `dnsdoctor explain DD372`.",
                )
            )
        return findings


def _cluster(stats: ProbeStats) -> tuple[float, int] | None:
    """The timeout mode with the most answers, when it stands out from its shoulder."""
    rtts = stats.rtts
    best = None
    for centre, count in stats.modes().items():
        shoulder = sum(0.5 * centre <= r < 0.9 * centre for r in rtts)
        enough = count >= max(MIN_CLUSTER, CLUSTER_SHARE * len(rtts))
        if enough and count >= 2 * shoulder and (best is None or count > best[1]):
            best = (centre, count)
    return best
