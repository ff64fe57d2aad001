"""DD434 all-upstreams-down.

What it detects:
Moments when CoreDNS had no healthy upstream left: forward's `no healthy proxies` error (with
`failfast_all_unhealthy_upstreams`), the old proxy plugin's `unreachable backend: no upstream
host`, or a rising `coredns_forward_healthcheck_broken_total` (every upstream down, so forward
sprays queries to a random one).

Why it matters:
With every upstream marked down, external names fail for every pod (SERVFAIL) or are sent to a
random upstream that just failed its checks. It points at the network path from the CoreDNS pods
(egress firewall, routing, a node-wide outage) more than at one bad upstream.

Evidence:
CoreDNS logs or metrics.

Example:
12 queries failed with no healthy upstream (no upstream host) in 2 min; coredns_forward_
healthcheck_broken_total rose by 3 between two scrapes.

Fix:
Check the path from the CoreDNS pods to each upstream (`kubectl exec` a debug pod on the same
node and query each address); fix the network or the upstream list.

False positives:
The loop plugin's start-up probe can hit this during a short outage at boot (marked as a probe).

References:
coredns plugin/forward README (failfast_all_unhealthy_upstreams, healthcheck_broken_total);
coredns/coredns#2284, #3010 (no upstream host).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.classify import NO_HEALTHY_UPSTREAMS
from dnsdoctor.model import CountEvidence, Evidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class AllUpstreamsDown(CheckRule[CorednsBundle]):
    code = "DD434"
    name = "all-upstreams-down"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("logs", "metrics")

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None and bundle.metrics is None:
            yield self.skipped("no --logs and no --metrics")
            return
        lines = []
        if bundle.logs is not None:
            lines = [e for e in bundle.logs.errors if e.cause.cls == NO_HEALTHY_UPSTREAMS]
        broken = bundle.metrics.increases(m.HEALTHCHECK_BROKEN) if bundle.metrics else []
        broken_total = sum(i.value for i in broken)
        if not lines and broken_total <= 0:
            return
        parts = []
        if lines:
            probes = sum(1 for e in lines if e.probe)
            note = f", {probes} of them start-up probes" if probes else ""
            parts.append(f"{len(lines)} queries failed with no healthy upstream left{note}")
        if broken_total > 0 and bundle.metrics is not None:
            parts.append(
                f"{m.HEALTHCHECK_BROKEN} rose by {broken_total:g} {bundle.metrics.window()}"
            )
        evidence: list[Evidence] = [e.origin.evidence(e.error) for e in lines[:3]]
        evidence += (
            [bundle.metrics.evidence(i) for i in broken if i.value > 0] if bundle.metrics else []
        )
        evidence.append(
            CountEvidence(
                "all upstreams down", (("log lines", len(lines)), ("broken", broken_total))
            )
        )
        yield self.finding(
            "; ".join(parts),
            evidence=tuple(evidence),
            impact=len(lines) + broken_total,
            fix="Test each upstream from a pod on the CoreDNS node; fix the network path or the "
            "upstream list.",
        )
