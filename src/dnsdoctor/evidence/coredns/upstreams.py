"""Per-upstream figures joined from logs and metrics, and the ranking by failure rate.

A failure rate needs a denominator, and CoreDNS gives one only in some cases:

- The deprecated `coredns_forward_requests_total{to}` counts every query sent to an upstream,
  answered or not, and `coredns_forward_responses_total{to}` the answers: failed = sent - answered.
- The current `coredns_proxy_request_duration_seconds_count{to,rcode}` is recorded only when an
  upstream answered, so a timeout leaves no sample there. With two scrapes and timestamped logs,
  failures logged between the scrapes over (those + answered) is a rate, and a lower bound: the
  errors plugin logs a failed query once, naming the last upstream it tried.
- Otherwise the rate is unknown, and the upstream is ranked after every one with a known rate
  (3 timeouts in 10,000 queries must not outrank an upstream failing half its queries).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.classify import UPSTREAM_FAILURES
from dnsdoctor.evidence.coredns.logs import CorednsLogs, ErrorLine
from dnsdoctor.evidence.coredns.querylog import join_query_log
from dnsdoctor.model import MetricEvidence

_SAMPLES = 3


@dataclass
class UpstreamStats:
    address: str  # as CoreDNS printed it: "10.0.0.2:53", "[2001:db8::1]:53"
    failures: int = 0  # client queries whose error names this upstream (probes excluded)
    by_class: Counter[str] = field(default_factory=Counter)
    probe_failures: int = 0  # loop-plugin HINFO and `. NS` health checks
    first_ts: float | None = None
    last_ts: float | None = None
    undated: int = 0
    pods: set[str] = field(default_factory=set)
    samples: list[ErrorLine] = field(default_factory=list)
    probe_samples: list[ErrorLine] = field(default_factory=list)
    sent: float | None = None
    answered: float | None = None
    servfail: float | None = None
    healthcheck_failures: float | None = None
    metric_evidence: list[MetricEvidence] = field(default_factory=list)
    failed: float | None = None  # failures over the rate's window (not always `failures`)
    rate: float | None = None
    basis: str = ""  # how the rate was computed, or why it is unknown
    # Without a metrics rate: failures joined to the log plugin's query lines, over those lines
    # (querylog.py). A lower bound, and said to be derived from logs wherever it is shown.
    log_failed: int | None = None
    log_queries: int | None = None
    log_rate: float | None = None
    log_basis: str = ""

    @property
    def ranking_rate(self) -> float | None:
        """The rate the ranking uses: from metrics, else the lower bound from logs."""
        return self.rate if self.rate is not None else self.log_rate

    @property
    def span_s(self) -> float | None:
        if self.first_ts is None or self.last_ts is None:
            return None
        return self.last_ts - self.first_ts

    def errors_in(self, logs: CorednsLogs) -> list[ErrorLine]:
        """Every client-query failure in `logs` that names this upstream."""
        return [
            e
            for e in logs.real_errors()
            if e.cause.upstream == self.address and e.cause.cls in UPSTREAM_FAILURES
        ]

    def add_error(self, error: ErrorLine) -> None:
        if error.probe is not None:
            self.probe_failures += 1
            if len(self.probe_samples) < _SAMPLES:
                self.probe_samples.append(error)
            return
        self.failures += 1
        self.by_class[error.cause.cls] += 1
        if error.origin.pod:
            self.pods.add(error.origin.pod)
        ts = error.origin.ts
        if ts is None:
            self.undated += 1
        else:
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        if len(self.samples) < _SAMPLES:
            self.samples.append(error)


def upstream_table(
    logs: CorednsLogs | None, metrics: m.CorednsMetrics | None
) -> list[UpstreamStats]:
    """Every upstream seen in logs or metrics, ranked worst first."""
    table: dict[str, UpstreamStats] = {}

    def get(address: str) -> UpstreamStats:
        return table.setdefault(address, UpstreamStats(address))

    if logs is not None:
        for error in logs.errors:
            if error.cause.upstream and error.cause.cls in UPSTREAM_FAILURES:
                get(error.cause.upstream).add_error(error)
    if metrics is not None:
        _add_metrics(metrics, get)
        for stats in table.values():
            _rate(stats, logs, metrics)
    for stats in table.values():
        if stats.rate is None and not stats.basis:
            stats.basis = "no metrics give this upstream's query count"
    if logs is not None:
        _rate_from_query_log(table, logs)
    return rank(list(table.values()))


def rank(table: list[UpstreamStats]) -> list[UpstreamStats]:
    """Known rates first (from metrics, else the lower bound from logs), worst first; then
    unknown rates by failure count."""
    known = sorted(
        (s for s in table if s.ranking_rate is not None),
        key=lambda s: (
            -(s.ranking_rate or 0.0),
            -(s.failed if s.failed is not None else s.log_failed or 0.0),
            s.address,
        ),
    )
    unknown = sorted(
        (s for s in table if s.ranking_rate is None), key=lambda s: (-s.failures, s.address)
    )
    return known + unknown


def _rate_from_query_log(table: dict[str, UpstreamStats], logs: CorednsLogs) -> None:
    for address, found in join_query_log(logs).items():
        stats = table.get(address)
        if stats is None or stats.rate is not None or not found.queries:
            continue
        stats.log_failed = found.joined
        stats.log_queries = found.queries
        stats.log_rate = found.rate
        unjoined = (
            f"; {found.unjoined} more error(s) matched no query line" if found.unjoined else ""
        )
        stats.log_basis = (
            f"derived from logs: {found.joined} errors joined to the log plugin's query lines, "
            f"over the {found.queries} query lines of the same {len(found.pods)} pod(s) that "
            "could go upstream (all but authoritative answers); a lower bound, since cache hits "
            f"and queries to other upstreams are counted too{unjoined}"
        )
        stats.basis += f"; from the query log, at least {100 * (found.rate or 0.0):.1f}% failed"


def _add_metrics(metrics: m.CorednsMetrics, get: Callable[[str], UpstreamStats]) -> None:
    answered_series = m.PROXY_DURATION_COUNT
    if not metrics.has(answered_series) and metrics.has(m.FORWARD_DURATION_COUNT):
        answered_series = m.FORWARD_DURATION_COUNT
    for inc in metrics.increases(answered_series):
        labels = dict(inc.labels)
        if "to" not in labels:
            continue
        stats = get(labels["to"])
        stats.answered = (stats.answered or 0.0) + inc.value
        if labels.get("rcode") == "SERVFAIL":
            stats.servfail = (stats.servfail or 0.0) + inc.value
        stats.metric_evidence.append(metrics.evidence(inc))
    for name, attr in (
        (m.FORWARD_REQUESTS, "sent"),
        (m.PROXY_HEALTHCHECK_FAILURES, "healthcheck_failures"),
        (m.FORWARD_HEALTHCHECK_FAILURES, "healthcheck_failures"),
    ):
        for inc in metrics.increases(name):
            to = dict(inc.labels).get("to")
            if to is None:
                continue
            stats = get(to)
            setattr(stats, attr, (getattr(stats, attr) or 0.0) + inc.value)
            stats.metric_evidence.append(metrics.evidence(inc))
    _answers_from_responses(metrics, get)
    hc_known = metrics.has(m.PROXY_HEALTHCHECK_FAILURES) or metrics.has(
        m.FORWARD_HEALTHCHECK_FAILURES
    )
    # Every upstream the scrape names is listed, even one named only in duration buckets (a
    # pasted or grep'd excerpt): its rate is then unknown, and the table says so.
    for stats in [get(a) for a in sorted(_addresses(metrics))]:
        if hc_known and stats.healthcheck_failures is None:
            stats.healthcheck_failures = 0.0  # an absent series of a known family: no failures


def _answers_from_responses(metrics: m.CorednsMetrics, get: Callable[[str], UpstreamStats]) -> None:
    """Answers from the deprecated `coredns_forward_responses_total{to,rcode}` for each upstream
    the duration series gave none for (no `_count` line for it: a scrape cut short or grep'd)."""
    by_upstream: dict[str, list[m.Increase]] = {}
    for inc in metrics.increases(m.FORWARD_RESPONSES):
        to = dict(inc.labels).get("to")
        if to is not None:
            by_upstream.setdefault(to, []).append(inc)
    for to, increases in by_upstream.items():
        stats = get(to)
        if stats.answered is not None:
            continue
        stats.answered = sum(inc.value for inc in increases)
        servfail = [inc.value for inc in increases if dict(inc.labels).get("rcode") == "SERVFAIL"]
        if servfail:
            stats.servfail = sum(servfail)
        stats.metric_evidence.extend(metrics.evidence(inc) for inc in increases)


def _addresses(metrics: m.CorednsMetrics) -> set[str]:
    found = set()
    for _, labels in metrics.last.series:
        to = dict(labels).get("to")
        if to:
            found.add(to)
    return found


def _rate(stats: UpstreamStats, logs: CorednsLogs | None, metrics: m.CorednsMetrics) -> None:
    window = metrics.window()
    if stats.sent is not None and stats.sent > 0 and stats.answered is not None:
        stats.failed = max(stats.sent - stats.answered, 0.0)
        stats.rate = stats.failed / stats.sent
        stats.basis = f"{m.FORWARD_REQUESTS} minus answers, {window}"
        return
    interval = metrics.interval_s
    if stats.answered is None or interval is None or logs is None or not logs.has_timestamps:
        stats.basis = _no_rate_basis(stats, metrics)
        return
    start, end = metrics.scrapes[0].taken_at, metrics.scrapes[-1].taken_at
    failed = sum(
        1
        for e in stats.errors_in(logs)
        if e.origin.ts is not None and start is not None and end is not None
        if start <= e.origin.ts <= end
    )
    total = failed + stats.answered
    if total <= 0:
        stats.basis = "no query reached this upstream between the scrapes"
        return
    stats.failed = float(failed)
    stats.rate = failed / total
    stats.basis = (
        f"errors logged between the scrapes / (those + answered), {window}; a lower bound "
        "(the errors plugin names only the last upstream a failed query tried)"
    )


def _no_rate_basis(stats: UpstreamStats, metrics: m.CorednsMetrics) -> str:
    """Why the metrics give no rate for this upstream, naming what the scrape does count."""
    if stats.answered is not None:
        return (
            "answered queries are counted, but timeouts leave no sample in "
            f"{m.PROXY_DURATION_COUNT}; give two scrapes and timestamped logs for a rate"
        )
    if stats.sent is not None:
        return f"{m.FORWARD_REQUESTS} counts {stats.sent:g} sent, but no series counts the answers"
    named = sorted(
        {name for name, labels in metrics.last.series if dict(labels).get("to") == stats.address}
    )
    if not named:
        return "no metrics give this upstream's query count"
    return "no metrics give this upstream's query count (the scrape names it only in " + (
        ", ".join(named) + ")"
    )
