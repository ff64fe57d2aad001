"""DD441 upstream-failing-from-logs.

What it detects:
An upstream whose failures, joined to the log plugin's query lines, are at least 3 and 5% of the
queries those CoreDNS pods logged that could go upstream, where no metrics give the upstream's
query count. The rate is derived from logs and is a lower bound.

Why it matters:
Without `--metrics`, the errors plugin's lines alone give no denominator (DD431). When the log
plugin is on too, one failed query leaves a query line (`- - 0 2.001s`: nothing was written, or
SERVFAIL) and an error line naming the upstream; joining them (same pod, name and type, within
the query's duration) counts failures against the queries the same pods logged. A dead upstream
among two shows up as about half the forwarded queries failing.

Evidence:
CoreDNS logs with both the errors and the log plugin (`kubectl logs ... --timestamps --prefix`),
and the Corefile and node files for where the upstream comes from.

Example:
10.225.30.181:53 failed at least 13 of 26 queries the log plugin recorded in 2 pod(s) (50%,
derived from logs, a lower bound) in 4 min.

Fix:
Remove the address where it is configured (the Corefile forward line, or the node's resolv.conf
source), or make it answer. Give two `--metrics` scrapes for an exact rate.

False positives:
Few queries: a handful of failures over a quiet minute reads as a high share. The denominator
counts cache hits and queries to other upstreams, so the true rate is higher, never lower.

References:
coredns plugin/log README (format, `- - 0`), plugin/errors README; docs/coredns.md (the join).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.audit.coredns_join import origins_of, provenance_phrase
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.log_line import duration_text
from dnsdoctor.evidence.coredns.upstreams import upstream_table
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.coredns._wording import classes_text, pct, sample_evidence

MIN_FAILED = 3
MIN_RATE = 0.05
ERROR_RATE = 0.2


class UpstreamFailingFromLogs(CheckRule[CorednsBundle]):
    code = "DD441"
    name = "upstream-failing-from-logs"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("logs", "corefile", "node")

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        logs = bundle.logs
        if logs is None or not logs.queries.total:
            yield self.skipped("no log-plugin query lines in --logs: no denominator from logs")
            return
        for stats in upstream_table(logs, bundle.metrics):
            failed, queries, rate = stats.log_failed, stats.log_queries, stats.log_rate
            if failed is None or not queries or rate is None:
                continue
            if failed < MIN_FAILED or rate < MIN_RATE:
                continue
            origins = origins_of(bundle, stats.address)
            span = f" in {duration_text(stats.span_s)}" if stats.span_s is not None else ""
            summary = (
                f"{stats.address} failed at least {failed} of {queries} queries the log plugin "
                f"recorded in {len(stats.pods) or 1} pod(s) ({pct(failed, queries)}, derived "
                f"from logs, a lower bound){span}" + provenance_phrase(origins)
            )
            classes = classes_text(stats)
            if classes:
                summary += f". Logged errors: {classes}"
            figures = CountEvidence(
                f"upstream {stats.address} (from logs)",
                (("joined failures", failed), ("query lines", queries), ("basis", stats.log_basis)),
            )
            yield self.finding(
                summary,
                severity=Severity.ERROR if rate >= ERROR_RATE else Severity.WARNING,
                evidence=(*sample_evidence(stats), *(o.evidence() for o in origins), figures),
                impact=float(failed),
                fix=f"Remove {stats.address} where it is configured"
                + (f" ({origins[0].path} line {origins[0].line})" if origins else "")
                + ", or make it answer; give two --metrics scrapes for an exact rate.",
            )
