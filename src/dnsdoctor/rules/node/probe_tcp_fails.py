"""DD373 probe-tcp-fails.

What it detects:
`--probe` got answers from a nameserver over UDP but none over TCP: every TCP query was refused,
reset or timed out.

Why it matters:
An answer too large for UDP (512 bytes without EDNS, or over the EDNS buffer: many A records,
DNSSEC, long TXT) comes back truncated (TC=1) and the client must retry over TCP. glibc does, and
so does musl from 1.2.4; when TCP is blocked those lookups fail while small ones work - an
intermittent failure that depends on the name. NodeLocal DNSCache and CoreDNS `force_tcp` also
need TCP to their upstreams.

Evidence:
The probe's counts per server: UDP answered, TCP errors (refused) or timeouts.

Example:
127.0.0.1:5300 answers over udp (6 of 6) but not over tcp (6 refused).

Fix:
Open TCP port 53 to the server (firewalls, security groups, NetworkPolicy), or enable TCP in
the server.

False positives:
A server that limits TCP connections per client may refuse a burst of probes: lower
`--probe-concurrency`.

References:
RFC 7766 (DNS over TCP is required of every implementation); RFC 1035 section 4.2.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._probe_common import probe_stats, stats_evidence, why_not_probed


class ProbeTcpFails(CheckRule[NodeAudit]):
    code = "DD373"
    name = "probe-tcp-fails"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("probe",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        reason = why_not_probed(evidence)
        if reason:
            return [self.skipped(reason)]
        all_stats = list(probe_stats(evidence))
        udp = {s.server: s for s in all_stats if s.transport == "udp"}
        findings = []
        for tcp in (s for s in all_stats if s.transport == "tcp"):
            over_udp = udp.get(tcp.server)
            if over_udp is None or not over_udp.answered or tcp.answered or not tcp.sent:
                continue
            causes = [f"{tcp.lost} timed out"] if tcp.lost else []
            causes += [f"{n} {error}" for error, n in sorted(tcp.errors.items())]
            summary = (
                f"{tcp.server} answers over udp ({over_udp.answered} of {over_udp.sent}) but "
                f"not over tcp ({', '.join(causes)})"
            )
            findings.append(
                self.finding(
                    summary,
                    evidence=(stats_evidence(over_udp), stats_evidence(tcp)),
                    impact=float(tcp.sent),
                    fix="Open TCP port 53 to the server or enable TCP in it; truncated answers "
                    "need it.",
                )
            )
        return findings
