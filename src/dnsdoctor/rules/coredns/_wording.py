"""Shared wording for the CoreDNS upstream rules: one sentence per upstream, with its numbers."""

from __future__ import annotations

from dnsdoctor.evidence.coredns.log_line import duration_text, utc_text
from dnsdoctor.evidence.coredns.upstreams import UpstreamStats
from dnsdoctor.model import CountEvidence, Evidence


def pct(part: float, whole: float) -> str:
    if not whole:
        return "n/a"
    share = 100.0 * part / whole
    return f"{share:.2f}%" if 0 < share < 1 else f"{share:.0f}%"


def logged_span(stats: UpstreamStats) -> str:
    """'in 4 min (2018-11-21 06:48:52 UTC to ...)' or why there is no span."""
    span = stats.span_s
    if span is None:
        return "(the log lines carry no timestamps, so no time span)"
    first = utc_text(stats.first_ts or 0.0)
    last = utc_text(stats.last_ts or 0.0)
    undated = f"; {stats.undated} more without a timestamp" if stats.undated else ""
    return f"in {duration_text(span)} ({first} to {last}{undated})"


def failure_sentence(stats: UpstreamStats, window: str) -> str:
    if stats.rate is not None and stats.failed is not None:
        whole = stats.sent if stats.sent is not None else stats.failed + (stats.answered or 0.0)
        return (
            f"{stats.address} failed {stats.failed:g} of {whole:g} forwarded queries "
            f"({pct(stats.failed, whole)}) {window}"
        )
    pods = f" on {len(stats.pods)} pod(s)" if stats.pods else ""
    return f"{stats.address}: {stats.failures} failed queries logged {logged_span(stats)}{pods}"


def classes_text(stats: UpstreamStats) -> str:
    return ", ".join(f"{cls} x{n}" for cls, n in stats.by_class.most_common())


def counts(stats: UpstreamStats) -> CountEvidence:
    figures: list[tuple[str, float | int | str]] = [("failures logged", stats.failures)]
    for label, value in (
        ("queries sent (metrics)", stats.sent),
        ("answered (metrics)", stats.answered),
        ("SERVFAIL answers (metrics)", stats.servfail),
        ("health-check failures (metrics)", stats.healthcheck_failures),
    ):
        if value is not None:
            figures.append((label, value))
    figures.append(("rate", pct(stats.rate, 1.0) if stats.rate is not None else "unknown"))
    figures.append(("basis", stats.basis))
    return CountEvidence(f"upstream {stats.address}", tuple(figures))


def sample_evidence(stats: UpstreamStats) -> list[Evidence]:
    out: list[Evidence] = [e.origin.evidence(e.cause.cls) for e in stats.samples]
    out += stats.metric_evidence[:4]
    return out
