"""DD439 coredns-panics.

What it detects:
A non-zero `coredns_panics_total` (over the window of the scrapes given): a plugin panicked
while handling a query and CoreDNS recovered.

Why it matters:
The query that triggered it got no answer (the client times out and retries), and a panic is a
bug in CoreDNS or a plugin; repeated panics on one query name can look like an upstream failure.

Evidence:
CoreDNS metrics.

Example:
coredns_panics_total rose by 2 over 300 s between two scrapes.

Fix:
Look for the panic's stack trace in the CoreDNS logs around that time; upgrade CoreDNS or report
it with the query that triggers it.

False positives:
One scrape counts since CoreDNS started: an old panic shows until the pod restarts.

References:
coredns plugin/metrics README (coredns_panics_total).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class CorednsPanics(CheckRule[CorednsBundle]):
    code = "DD439"
    name = "coredns-panics"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("metrics",)

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        metrics = bundle.metrics
        if metrics is None or not metrics.has(m.PANICS):
            yield self.skipped("no coredns_panics_total in --metrics")
            return
        rises = [i for i in metrics.increases(m.PANICS) if i.value > 0]
        total = sum(i.value for i in rises)
        if total <= 0:
            return
        yield self.finding(
            f"{m.PANICS} rose by {total:g} {metrics.window()}",
            evidence=tuple(metrics.evidence(i) for i in rises),
            impact=total,
            fix="Find the stack trace in the CoreDNS logs; upgrade CoreDNS or report the query "
            "that triggers it.",
        )
