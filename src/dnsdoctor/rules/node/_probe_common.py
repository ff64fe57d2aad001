"""What the probe rules (DD370-DD374) share: the per-server figures as evidence, and skipping."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dnsdoctor.model import CountEvidence


def probe_stats(audit: Any) -> Iterator[Any]:
    """Every (server, transport) the probe asked; nothing when the probe did not run."""
    probe = audit.probe
    if probe is not None and not probe.skipped:
        yield from probe.stats


def why_not_probed(audit: Any) -> str | None:
    """The reason to skip, or None when there are results to judge."""
    probe = audit.probe
    if probe is None:
        return "not probed (opt-in: --probe)"
    return probe.skipped or None


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def stats_evidence(stats: Any) -> CountEvidence:
    figures: list[tuple[str, float | int | str]] = [
        ("sent", stats.sent),
        ("answered", stats.answered),
        ("lost", stats.lost),
    ]
    figures += [(f"error {k}", v) for k, v in sorted(stats.errors.items())]
    figures += [(f"rcode {k}", v) for k, v in sorted(stats.rcodes.items())]
    for q in (0.5, 0.9, 0.99):
        value = stats.percentile(q)
        if value is not None:
            figures.append((f"p{int(q * 100)} s", round(value, 6)))
    figures += [(f"near {c:g} s", n) for c, n in stats.modes().items()]
    return CountEvidence(f"server {stats.server} over {stats.transport}", tuple(figures))
