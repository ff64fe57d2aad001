"""DD350 musl-same-id-risk.

What it detects:
musl older than 1.2.4 resolves names in a root, container or image (as the shared libc, from its
apk/dpkg record or its loader's version string), and the probability that musl gives the A and
AAAA queries of one lookup the same transaction ID was measured on this host with a sampler
linked against real musl. Severity follows the measured probability: error at 1% or more,
warning from 0.01%, info below (latent: the libc has the bug, this host's clock hides it).

Why it matters:
musl 1.2.3 and older derive each query ID from `clock_gettime(CLOCK_REALTIME)` nanoseconds and
build the A and AAAA queries back to back; on a coarse clock both get one ID. musl's `res_msend`
matches answers by ID only, so when a second answer of one type arrives first (two nameservers,
a duplicated response, or musl's own retransmission) the other type's answer is dropped: the
application gets only IPv6 addresses, or "Name does not resolve". glibc and the pure-Go resolver
use random IDs and are not affected. Whether it happens depends on the host: the same image fails
on one hardware type and not on another, as in the seed incident.

Evidence:
`NodeAudit.libcs` (musl's version per scope) and `NodeAudit.clock` (the measured probability,
its sample size and 95% Wilson interval, and the clocksource).

Example:
musl 1.2.3-r4 in container 3f2a00000000 (pids 4121): on this host 99.99% of A/AAAA query pairs
get the same ID (199990 of 200000, 95% CI 99.99-100.00%), clocksource jiffies.

Fix:
Use an image with musl 1.2.4 or later (Alpine 3.18+), or a glibc-based image, or build the
program with a resolver that does not use musl's (Go with CGO_ENABLED=0). On the node, a
clocksource with a fine-grained vDSO clock (tsc, kvm-clock) makes collisions rare; dnsdoctor never
changes it. Keeping one nameserver in resolv.conf removes the most common second answer.

False positives:
The probability is measured for this host's clock now; a container scheduled on another node type
may see another figure. A musl that a scanned image ships but that no running process uses is
still reported. Static musl binaries (version unknown) are reported by DD352 instead.

References:
musl src/network/res_mkquery.c and lookup_name.c (1.2.3); musl commit "ensure distinct query id
for parallel A and AAAA queries in resolver" (2022-06-03, released in 1.2.4); ../shared/seed/README.md part 2.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.libc import RISK_SAME_ID
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._libc_evidence import clock_evidence, instance_evidence, pct

ERROR_AT = 0.01
WARNING_AT = 0.0001


class MuslSameIdRisk(CheckRule[NodeAudit]):
    code = "DD350"
    name = "musl-same-id-risk"
    severity = Severity.ERROR
    source = "node"
    evidence_kinds = ("libc", "clock")

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        if evidence.libcs is None:
            return [self.skipped("which libc resolves was not collected")]
        affected = evidence.libcs.with_risk(RISK_SAME_ID)
        if not affected:
            return []
        clock = evidence.clock
        if clock is None or clock.collision is None:
            why = clock.skipped if clock is not None else "the clock was not examined"
            return [self.skipped(f"musl < 1.2.4 found, but {why}")]
        estimate = clock.collision
        severity = (
            Severity.ERROR
            if estimate.probability >= ERROR_AT
            else Severity.WARNING
            if estimate.probability >= WARNING_AT
            else Severity.INFO
        )
        source = clock.clocksource.current if clock.clocksource else None
        findings = []
        for scope, lib in affected:
            summary = (
                f"musl {lib.version} in {scope.subject}: on this host {pct(estimate.probability)} "
                f"of A/AAAA query pairs get the same ID ({estimate.same_id} of {estimate.samples}, "
                f"95% CI {pct(estimate.low)}-{pct(estimate.high)})"
                + (f", clocksource {source}" if source else "")
            )
            findings.append(
                self.finding(
                    summary,
                    severity=severity,
                    evidence=(*instance_evidence(scope, lib), clock_evidence(clock)),
                    impact=estimate.probability,
                    fix="Move to musl >= 1.2.4 (Alpine 3.18+) or a glibc image; "
                    "see `dnsdoctor explain DD350`.",
                )
            )
        return findings
