"""CoreDNS's Prometheus metrics: one or two scrapes from files or URLs, parsed by prometheus_client.

Prometheus text (0.0.4) and OpenMetrics (recognised by its `# EOF` line or content type) are both
read with prometheus_client's own parsers. One scrape gives counters since CoreDNS started; two
scrapes of the same pod give increases over the interval between them. A counter that went down
between the scrapes was reset (CoreDNS restarted): its increase is then at least its second value,
and the evidence says so.

The time of a scrape comes from the samples' own timestamps when the exposition carries them, from
the moment we fetched it for a URL, or else from the file's modification time (said in the
evidence, since a copied file loses it).
"""

from __future__ import annotations

import math
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as prometheus_families

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns.log_line import duration_text
from dnsdoctor.model import MetricEvidence

Labels = tuple[tuple[str, str], ...]

# Per-upstream series of the forward plugin (CoreDNS >= 1.11 names, then the deprecated ones).
PROXY_DURATION_COUNT = "coredns_proxy_request_duration_seconds_count"  # answered only
PROXY_HEALTHCHECK_FAILURES = "coredns_proxy_healthcheck_failures_total"
FORWARD_DURATION_COUNT = "coredns_forward_request_duration_seconds_count"  # deprecated
FORWARD_REQUESTS = "coredns_forward_requests_total"  # deprecated: every query sent, answered or not
FORWARD_RESPONSES = "coredns_forward_responses_total"  # deprecated: answers by rcode
FORWARD_HEALTHCHECK_FAILURES = "coredns_forward_healthcheck_failures_total"  # deprecated
HEALTHCHECK_BROKEN = "coredns_forward_healthcheck_broken_total"  # all upstreams down
MAX_CONCURRENT_REJECTS = "coredns_forward_max_concurrent_rejects_total"
SERVER_RESPONSES = "coredns_dns_responses_total"
SERVER_REQUESTS = "coredns_dns_requests_total"
PANICS = "coredns_panics_total"
CACHE_HITS = "coredns_cache_hits_total"
CACHE_MISSES = "coredns_cache_misses_total"
CACHE_REQUESTS = "coredns_cache_requests_total"
BUILD_INFO = "coredns_build_info"
PROCESS_START = "process_start_time_seconds"

_FETCH_TIMEOUT_S = 10.0
_MAX_BYTES = 64 << 20
_PARSER_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError, OverflowError)


@dataclass
class Scrape:
    source: str
    taken_at: float | None
    taken_how: str  # "sample timestamps" | "fetched" | "file modified" | "unknown"
    series: dict[tuple[str, Labels], float] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {name for name, _ in self.series}

    def select(self, name: str, **match: str) -> list[tuple[Labels, float]]:
        wanted = set(match.items())
        return [
            (labels, value)
            for (sample, labels), value in self.series.items()
            if sample == name and wanted <= set(labels)
        ]


@dataclass(frozen=True, slots=True)
class Increase:
    name: str
    labels: Labels
    value: float
    reset: bool  # the counter went down between the scrapes


@dataclass
class CorednsMetrics:
    scrapes: list[Scrape]

    @property
    def last(self) -> Scrape:
        return self.scrapes[-1]

    def has(self, name: str) -> bool:
        return any(name in s.names() for s in self.scrapes)

    @property
    def interval_s(self) -> float | None:
        """Seconds between the two scrapes, when both times are known and in order."""
        if len(self.scrapes) < 2:
            return None
        first, last = self.scrapes[0].taken_at, self.scrapes[-1].taken_at
        if first is None or last is None or last <= first:
            return None
        return last - first

    def window(self) -> str:
        if len(self.scrapes) < 2:
            return "since CoreDNS started (one scrape)"
        interval = self.interval_s
        if not interval:
            return "between two scrapes"
        return f"over {duration_text(interval)} between two scrapes"

    def increases(self, name: str, **match: str) -> list[Increase]:
        """Per series: the value since start (one scrape) or the increase between two scrapes."""
        last = self.last.select(name, **match)
        if len(self.scrapes) < 2:
            return [Increase(name, labels, value, False) for labels, value in last]
        before = dict(self.scrapes[0].select(name, **match))
        out = []
        for labels, value in last:
            old = before.get(labels, 0.0)
            reset = value < old
            out.append(Increase(name, labels, value if reset else value - old, reset))
        return out

    def total(self, name: str, **match: str) -> float | None:
        found = self.increases(name, **match)
        return sum(i.value for i in found) if found else None

    def by_label(self, name: str, label: str, **match: str) -> dict[str, float]:
        sums: dict[str, float] = {}
        for inc in self.increases(name, **match):
            key = dict(inc.labels).get(label)
            if key is not None:
                sums[key] = sums.get(key, 0.0) + inc.value
        return sums

    def evidence(self, inc: Increase) -> MetricEvidence:
        detail = self.window()
        if inc.reset:
            detail += "; counter reset between scrapes (CoreDNS restarted)"
        return MetricEvidence(inc.name, inc.labels, inc.value, self.last.source, detail)


def parse_exposition(
    text: str, source: str
) -> tuple[dict[tuple[str, Labels], float], float | None]:
    """Samples of one exposition, and the latest sample timestamp if any. Raises InputError."""
    openmetrics = text.rstrip().endswith("# EOF")
    parse = openmetrics_families if openmetrics else prometheus_families
    series: dict[tuple[str, Labels], float] = {}
    stamp: float | None = None
    try:
        for family in parse(text):
            for sample in family.samples:
                labels = tuple(sorted((str(k), str(v)) for k, v in sample.labels.items()))
                series[(sample.name, labels)] = float(sample.value)
                if sample.timestamp is not None:
                    ts = float(sample.timestamp)
                    stamp = ts if stamp is None or ts > stamp else stamp
    except _PARSER_ERRORS as exc:
        kind = "OpenMetrics" if openmetrics else "Prometheus text"
        raise InputError(
            f"{source}: not valid {kind} exposition ({exc})",
            path=source,
            hint="give the output of `curl http://<coredns-pod>:9153/metrics`",
        ) from exc
    if stamp is not None and not math.isfinite(stamp):
        stamp = None
    return series, stamp


def load_scrape(ref: str, now: float | None = None) -> Scrape:
    """One scrape from a file or an http(s) URL."""
    if ref.startswith(("http://", "https://")):
        text = _fetch(ref)
        series, stamp = parse_exposition(text, ref)
        taken_at = stamp if stamp is not None else (now if now is not None else time.time())
        how = "sample timestamps" if stamp is not None else "fetched"
        return Scrape(ref, taken_at, how, series)
    try:
        with open(ref, "rb") as handle:
            data = handle.read(_MAX_BYTES)
        mtime = os.path.getmtime(ref)
    except OSError as exc:
        raise InputError(
            f"cannot read metrics {ref}: {exc.strerror or exc}",
            path=ref,
            hint="give a file saved from the metrics endpoint, or its http:// URL",
        ) from exc
    series, stamp = parse_exposition(data.decode("utf-8", errors="replace"), ref)
    if stamp is not None:
        return Scrape(ref, stamp, "sample timestamps", series)
    return Scrape(ref, mtime, "file modified", series)


def _fetch(url: str) -> str:
    request = urllib.request.Request(
        url,
        headers={"Accept": "application/openmetrics-text;q=0.9, text/plain;version=0.0.4;q=0.5"},
    )
    try:
        with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_S) as response:
            body: bytes = response.read(_MAX_BYTES)
            charset = response.headers.get_content_charset() or "utf-8"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason: Any = getattr(exc, "reason", exc)
        raise InputError(
            f"cannot fetch metrics from {url}: {reason}",
            path=url,
            hint="check the address (CoreDNS's prometheus plugin listens on :9153 by default)",
        ) from exc
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # a server naming a charset Python does not know
        return body.decode("utf-8", errors="replace")


def load_metrics(refs: Iterable[str], now: float | None = None) -> CorednsMetrics:
    scrapes = [load_scrape(ref, now) for ref in refs]
    return CorednsMetrics(scrapes)
