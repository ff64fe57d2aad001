"""DD435 max-concurrent-refused.

What it detects:
Queries forward refused because `max_concurrent` was reached: error lines
`concurrent queries exceeded maximum N` (rcode 5, REFUSED) or a rising
`coredns_forward_max_concurrent_rejects_total`.

Why it matters:
Clients get REFUSED, which glibc and musl treat as a failed server: the lookup fails or moves on
to the next nameserver. It means upstream queries pile up: usually a slow or dead upstream holds
slots for its full timeout (max_concurrent should exceed query rate x upstream latency).

Evidence:
CoreDNS logs or metrics.

Example:
40 queries refused by max_concurrent (concurrent queries exceeded maximum 1000).

Fix:
Find the slow upstream first (DD430/DD431); raise `max_concurrent` only if the rate x latency
product really exceeds it.

False positives:
A deliberate low limit during a query flood is working as designed.

References:
coredns plugin/forward README (max_concurrent); coredns/coredns PR #3640.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.classify import MAX_CONCURRENT
from dnsdoctor.model import CountEvidence, Evidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class MaxConcurrentRefused(CheckRule[CorednsBundle]):
    code = "DD435"
    name = "max-concurrent-refused"
    severity = Severity.WARNING
    source = "coredns"
    evidence_kinds = ("logs", "metrics")

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None and bundle.metrics is None:
            yield self.skipped("no --logs and no --metrics")
            return
        lines = (
            [e for e in bundle.logs.errors if e.cause.cls == MAX_CONCURRENT] if bundle.logs else []
        )
        rejects = bundle.metrics.increases(m.MAX_CONCURRENT_REJECTS) if bundle.metrics else []
        total = sum(i.value for i in rejects)
        if not lines and total <= 0:
            return
        count = max(float(len(lines)), total)
        sample = f" ({lines[0].error})" if lines else ""
        evidence: list[Evidence] = [e.origin.evidence("REFUSED") for e in lines[:3]]
        if bundle.metrics is not None:
            evidence += [bundle.metrics.evidence(i) for i in rejects if i.value > 0]
        evidence.append(
            CountEvidence("max_concurrent", (("log lines", len(lines)), ("rejects", total)))
        )
        yield self.finding(
            f"{count:g} queries refused by forward's max_concurrent{sample}",
            evidence=tuple(evidence),
            impact=count,
            fix="Find and fix the slow upstream holding the slots; raise max_concurrent only if "
            "query rate x upstream latency exceeds it.",
        )
