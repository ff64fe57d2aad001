"""DD370 probe-server-unreachable.

What it detects:
`--probe` asked a nameserver over UDP and TCP and got no answer at all: every query timed out or
was refused. (A server that answers over UDP only is DD373; partial loss is DD371.)

Why it matters:
glibc tries its nameservers in order and waits `timeout` seconds (5 by default) on a dead first
server for every lookup; musl asks all at once, so a dead one costs nothing until it is the only
one; a CoreDNS `forward` inheriting the file sends about 1/N of its queries to it and fails them
until its health check marks it down. A dead nameserver in a node's resolv.conf is the classic
cause of "DNS is slow on some nodes".

Evidence:
The probe's counts per server and transport: sent, answered, lost (timeouts), errors (refused).

Example:
127.0.0.66:53 did not answer any of 12 queries (udp: 6 timed out; tcp: 6 timed out).

Fix:
Remove the server from resolv.conf (and from the file that puts it there: `dnsdoctor node`
traces it), or make it reachable; check firewalls between the node and it.

False positives:
A server that answers only some clients (ACLs, `allow-query`), or that is down only now. A
firewall dropping the probe's source port.

References:
resolv.conf(5) timeout and attempts; CoreDNS forward plugin `health_check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._probe_common import probe_stats, stats_evidence, why_not_probed


class ProbeServerUnreachable(CheckRule[NodeAudit]):
    code = "DD370"
    name = "probe-server-unreachable"
    severity = Severity.ERROR
    source = "node"
    evidence_kinds = ("probe",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        reason = why_not_probed(evidence)
        if reason:
            return [self.skipped(reason)]
        by_server: dict[str, list[Any]] = {}
        for stats in probe_stats(evidence):
            by_server.setdefault(stats.server, []).append(stats)
        findings = []
        for server, per_transport in by_server.items():
            sent = sum(s.sent for s in per_transport)
            if sent == 0 or any(s.answered for s in per_transport):
                continue
            causes = [f"{s.transport}: " + ", ".join(_causes(s)) for s in per_transport if s.sent]
            summary = f"{server} did not answer any of {sent} queries ({'; '.join(causes)})"
            findings.append(
                self.finding(
                    summary,
                    evidence=tuple(stats_evidence(s) for s in per_transport),
                    impact=float(sent),
                    fix="Remove the dead nameserver (trace it with `dnsdoctor node`) or make "
                    "it reachable.",
                )
            )
        return findings


def _causes(stats: Any) -> list[str]:
    causes = [f"{stats.lost} timed out"] if stats.lost else []
    return causes + [f"{n} {error}" for error, n in sorted(stats.errors.items())]
