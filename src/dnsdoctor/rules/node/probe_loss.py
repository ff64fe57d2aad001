"""DD371 probe-loss.

What it detects:
`--probe` got answers from a nameserver, but some queries over one transport were lost (timed
out) or failed: warning for any loss, error when 10% or more were lost. A server that never
answered is DD370; one that answers UDP but never TCP is DD373.

Why it matters:
Every lost UDP query costs the client its whole timeout before it retries: glibc 5 s by default,
musl's retry after 2.5 s (of `timeout:5`, 2 attempts). Intermittent loss to one server is the
pattern of an overloaded server, a conntrack race on the path (DD360), a full conntrack table
(DD361) or dropped datagrams (DD362).

Evidence:
The probe's counts per server and transport: sent, answered, lost, errors, latency.

Example:
127.0.0.1:5300 lost 3 of 20 queries over udp (15%): 3 timed out.

Fix:
Look at the node-side counters this run also reads (DD360-DD362), at the server's load and at
the path; NodeLocal DNSCache avoids conntrack for pod DNS.

False positives:
A probe with few queries: one loss of 6 is 17%. A rate limit on the server (RRL, `ratelimit`)
may drop the probe's bursts: lower `--probe-concurrency`.

References:
resolv.conf(5) timeout and attempts; musl src/network/res_msend.c (retry interval).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._probe_common import probe_stats, stats_evidence, why_not_probed

ERROR_SHARE = 0.10


class ProbeLoss(CheckRule[NodeAudit]):
    code = "DD371"
    name = "probe-loss"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("probe",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        reason = why_not_probed(evidence)
        if reason:
            return [self.skipped(reason)]
        all_stats = list(probe_stats(evidence))
        answering = {s.server for s in all_stats if s.answered}
        findings = []
        for stats in all_stats:
            if not stats.failed or stats.server not in answering:
                continue  # no answer on any transport: DD370
            if not stats.answered and stats.transport == "tcp":
                continue  # answers over UDP, none over TCP: DD373
            share = stats.failed / stats.sent
            causes = [f"{stats.lost} timed out"] if stats.lost else []
            causes += [f"{n} {error}" for error, n in sorted(stats.errors.items())]
            summary = (
                f"{stats.server} lost {stats.failed} of {stats.sent} queries over "
                f"{stats.transport} ({share:.0%}): {', '.join(causes)}"
            )
            findings.append(
                self.finding(
                    summary,
                    severity=Severity.ERROR if share >= ERROR_SHARE else Severity.WARNING,
                    evidence=(stats_evidence(stats),),
                    impact=float(stats.failed),
                    fix="Check the kernel counters (DD360-DD362), the server's load and the "
                    "path; see `dnsdoctor explain DD371`.",
                )
            )
        return findings
