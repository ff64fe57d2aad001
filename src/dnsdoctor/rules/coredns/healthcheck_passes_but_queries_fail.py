"""DD432 healthcheck-passes-but-queries-fail.

What it detects:
An upstream whose real queries fail (errors logged naming it, failures counted by metrics, or
at least 20% SERVFAIL answers; with a known rate, at least 5% of its queries) while CoreDNS's health check never failed for it: its
`coredns_proxy_healthcheck_failures_total` (or the deprecated forward one) is zero over the
same window. forward never marks such an upstream down and keeps sending it queries.

Why it matters:
forward's health check asks `. IN NS` and counts any reply, even SERVFAIL or REFUSED, as
healthy. An upstream that answers that but times out or fails on real names (a broken
recursor, a firewall that passes only some names, an overloaded forwarder) stays in rotation
forever: `max_fails` never trips, and clients keep hitting it at random.

Evidence:
CoreDNS metrics with a health-check failure series, plus logs or per-upstream metrics showing
real failures.

Example:
10.0.0.2:53: 14 failed queries logged in 3 min, yet 0 health-check failures
(coredns_proxy_healthcheck_failures_total): forward never marks it down.

Fix:
Remove or repair that upstream; `health_check 0.5s domain <a-name-it-must-resolve>` makes the
check ask a real name, and `policy sequential` keeps a healthy first upstream in front.

False positives:
Metrics from a different pod than the logs: the health check runs per CoreDNS instance.

References:
coredns plugin/forward README (health_check, max_fails); plugin/pkg/proxy/health.go;
coredns/coredns#7184 (SERVFAIL counts as healthy).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.upstreams import upstream_table
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.coredns._wording import counts, failure_sentence, pct, sample_evidence

SERVFAIL_SHARE = 0.2
MIN_FAILED = 3
MIN_RATE = 0.05  # with a known rate: 3 failures in 10,000 queries is not "failing"


class HealthcheckPassesButQueriesFail(CheckRule[CorednsBundle]):
    code = "DD432"
    name = "healthcheck-passes-but-queries-fail"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("metrics", "logs")

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        metrics = bundle.metrics
        if metrics is None or not (
            metrics.has(m.PROXY_HEALTHCHECK_FAILURES) or metrics.has(m.FORWARD_HEALTHCHECK_FAILURES)
        ):
            yield self.skipped("no health-check failure series in --metrics")
            return
        for stats in upstream_table(bundle.logs, metrics):
            if stats.healthcheck_failures != 0:
                continue
            failed = stats.failed if stats.failed is not None else float(stats.failures)
            servfail = stats.servfail or 0.0
            answered = stats.answered or 0.0
            bad_answers = servfail >= MIN_FAILED and servfail >= SERVFAIL_SHARE * answered
            failing = failed >= MIN_FAILED and (stats.rate is None or stats.rate >= MIN_RATE)
            if not failing and not bad_answers:
                continue
            what = (
                failure_sentence(stats, metrics.window())
                if failing
                else f"{stats.address} answered {servfail:g} of {answered:g} queries with "
                f"SERVFAIL ({pct(servfail, answered)}) {metrics.window()}"
            )
            yield self.finding(
                f"{what}, yet its health check never failed (0 health-check failures "
                f"{metrics.window()}): forward never marks it down and keeps sending it queries",
                evidence=(*sample_evidence(stats), counts(stats)),
                impact=max(failed, servfail),
                fix=f"Remove or repair {stats.address}; make the check ask a real name "
                "(`health_check 0.5s domain <name>`), or put a healthy upstream first with "
                "`policy sequential`.",
            )
