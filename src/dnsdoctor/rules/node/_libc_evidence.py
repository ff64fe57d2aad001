"""Evidence records shared by the libc and clock rules (DD35x); not a rule itself."""

from __future__ import annotations

from typing import Any

from dnsdoctor.model import CountEvidence, LineEvidence


def pct(value: float) -> str:
    """A percentage that keeps tiny interval bounds visible: 0.00038%, not 0.00%."""
    percent = value * 100
    return f"{percent:.2f}%" if percent >= 0.01 or percent == 0 else f"{percent:.2g}%"


def instance_evidence(scope: Any, lib: Any) -> tuple[CountEvidence | LineEvidence, ...]:
    """Where a library was seen: each source as file(:line), plus the scope's pids."""
    records: list[CountEvidence | LineEvidence] = []
    for source in lib.sources:
        path, _, line = source.path.rpartition(":")
        if line.isdigit():
            text = f"{source.how}: version {source.version or 'unknown'}"
            records.append(LineEvidence(f"{scope.subject}: {path}", int(line), text, lib.family))
        else:
            records.append(
                CountEvidence(
                    f"{scope.subject}: {source.path}",
                    (("read from", source.how), ("version", source.version or "unknown")),
                )
            )
    if scope.pids:
        pids = ", ".join(str(p) for p in scope.pids[:10])
        records.append(CountEvidence(scope.subject, (("pids", pids),)))
    return tuple(records)


def clock_evidence(clock: Any) -> CountEvidence:
    estimate = clock.collision
    figures: list[tuple[str, float | int | str]] = [
        ("samples", estimate.samples),
        ("same id", estimate.same_id),
        ("probability", round(estimate.probability, 6)),
        ("ci95 low", round(estimate.low, 6)),
        ("ci95 high", round(estimate.high, 6)),
        ("smallest clock step ns", estimate.min_step_ns if estimate.min_step_ns else "none seen"),
    ]
    if clock.clocksource is not None:
        figures.append(("clocksource", clock.clocksource.current or "unknown"))
        figures.append(("available", " ".join(clock.clocksource.available)))
    return CountEvidence("musl A/AAAA same-ID sampler (real musl, this host)", tuple(figures))
