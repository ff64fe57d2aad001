"""DD430 upstream-failing.

What it detects:
An upstream of the forward (or old proxy) plugin that failed a measurable share of the queries
CoreDNS sent it: at least 3 failed queries and 5% of those sent, where a denominator exists
(the deprecated `coredns_forward_requests_total`, or two scrapes plus timestamped logs). The
finding ties the address to where it is configured: the Corefile's forward line and, with
`--node-root`, the node file that put it in resolv.conf.

Why it matters:
forward picks an upstream at random (by default) and retries the next one only until its
deadline, so a dead upstream among live ones costs clients ~2 s delays and some SERVFAILs,
and every pod on the cluster sees it intermittently. This is part 1 of the incident this
project exists for: a stray nameserver in the node image, inherited by CoreDNS.

Evidence:
CoreDNS metrics with a per-upstream query count, plus logs (errors plugin) for samples and the
failure classes; a Corefile and `--node-root` for provenance.

Example:
10.225.30.181:53 failed 13 of 15 forwarded queries (87%) over 240 s between two scrapes; it
comes from /etc/resolvconf/resolv.conf.d/base line 1 (node file).

Fix:
Remove the address where it comes from (the Corefile forward line, or the node's resolv.conf
source), or make it answer; `dnsdoctor node` explains the node's resolv.conf.

False positives:
A short window with few queries: the rate is over the queries in the window only. Failures
from a brief network outage look the same; compare with the time span given.

References:
coredns plugin/forward README (health checks, policy); ../shared/seed/README.md part 1.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.audit.coredns_join import origins_of, provenance_phrase
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.upstreams import upstream_table
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.coredns._wording import classes_text, counts, failure_sentence, sample_evidence

MIN_FAILED = 3
MIN_RATE = 0.05
ERROR_RATE = 0.2


class UpstreamFailing(CheckRule[CorednsBundle]):
    code = "DD430"
    name = "upstream-failing"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("metrics", "logs", "corefile", "node")

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.metrics is None:
            yield self.skipped("no --metrics: no per-upstream query count to rate failures by")
            return
        window = bundle.metrics.window()
        for stats in upstream_table(bundle.logs, bundle.metrics):
            if stats.rate is None or stats.failed is None:
                continue
            if stats.failed < MIN_FAILED or stats.rate < MIN_RATE:
                continue
            origins = origins_of(bundle, stats.address)
            classes = classes_text(stats)
            summary = failure_sentence(stats, window) + provenance_phrase(origins)
            if classes:
                summary += f". Logged errors: {classes}"
            yield self.finding(
                summary,
                severity=Severity.ERROR if stats.rate >= ERROR_RATE else Severity.WARNING,
                evidence=(*sample_evidence(stats), *(o.evidence() for o in origins), counts(stats)),
                impact=stats.failed,
                fix=f"Remove {stats.address} where it is configured"
                + (f" ({origins[0].path} line {origins[0].line})" if origins else "")
                + ", or make it answer.",
            )
