"""DD431 upstream-timeouts-without-rate.

What it detects:
An upstream named in CoreDNS error lines (timeouts, refused, unreachable: the query got no
usable answer) for which no metric gives the number of queries sent to it, so no failure rate
can be computed. It reports the count and the time span the lines cover, never "every query".

Why it matters:
The errors plugin logs a failed query once, naming the last upstream tried, and the current
`coredns_proxy_request_duration_seconds` records only answered queries: a timeout leaves no
sample. A few lines can mean 3 failures in 10,000 queries or a dead upstream; the count and
span are what is known, and ranking puts such upstreams after every one with a known rate.

Evidence:
CoreDNS logs (errors plugin, or the old proxy plugin's `unreachable backend` lines).

Example:
10.0.0.2:53: 14 failed queries logged in 3 min (2018-11-21 06:46:01 UTC to 06:48:52 UTC) on 2
pod(s); failure rate unknown: no metrics give this upstream's query count.

Fix:
Add `--metrics` (two scrapes a few minutes apart) for a rate; if the upstream is not one you
expect, remove it where it is configured (the Corefile forward line or the node's resolv.conf).

False positives:
Failures during a network blip or an upstream restart; check the span against your incident.

References:
coredns plugin/errors README; coredns/coredns#5179 (what "i/o timeout" means).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.audit.coredns_join import origins_of, provenance_phrase
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.upstreams import upstream_table
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.coredns._wording import classes_text, counts, failure_sentence, sample_evidence


class UpstreamTimeoutsWithoutRate(CheckRule[CorednsBundle]):
    code = "DD431"
    name = "upstream-timeouts-without-rate"
    severity = Severity.WARNING
    source = "coredns"
    evidence_kinds = ("logs",)

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None:
            yield self.skipped("no --logs")
            return
        for stats in upstream_table(bundle.logs, bundle.metrics):
            if stats.rate is not None or stats.failures == 0:
                continue
            origins = origins_of(bundle, stats.address)
            summary = (
                failure_sentence(stats, "")
                + f" ({classes_text(stats)}); failure rate unknown: {stats.basis}"
                + provenance_phrase(origins)
            )
            yield self.finding(
                summary,
                evidence=(*sample_evidence(stats), *(o.evidence() for o in origins), counts(stats)),
                impact=stats.failures,
                fix="Give two --metrics scrapes for a rate; remove the address where it is "
                "configured if it is not an upstream you expect.",
            )
