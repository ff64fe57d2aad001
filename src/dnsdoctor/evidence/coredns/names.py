"""Which names fail, against which upstream: the errors plugin's lines counted per query name.

A dead upstream fails every name sent to it; a name that fails on every upstream points at the
name's own servers (its authoritative servers time out, or answer garbage) rather than at
CoreDNS's upstreams. Counting per name and per upstream tells the two apart. Probes (the loop
plugin's HINFO, forward's `. NS` checks) are CoreDNS's own queries and are left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from dnsdoctor.evidence.coredns.logs import CorednsLogs, ErrorLine

NO_UPSTREAM = "(no upstream named)"  # e.g. `no healthy proxies`: every upstream was down
DEFAULT_TOP = 10


@dataclass
class NameStats:
    name: str  # lowercased, as logged (fully qualified, with its trailing dot)
    failures: int = 0
    by_upstream: Counter[str] = field(default_factory=Counter)
    by_qtype: Counter[str] = field(default_factory=Counter)
    by_class: Counter[str] = field(default_factory=Counter)
    pods: set[str] = field(default_factory=set)
    first_ts: float | None = None
    last_ts: float | None = None
    sample: ErrorLine | None = None

    def add(self, error: ErrorLine) -> None:
        self.failures += 1
        self.by_upstream[error.cause.upstream or NO_UPSTREAM] += 1
        self.by_qtype[error.qtype] += 1
        self.by_class[error.cause.cls] += 1
        if error.origin.pod:
            self.pods.add(error.origin.pod)
        ts = error.origin.ts
        if ts is not None:
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
        if self.sample is None:
            self.sample = error

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "failures": self.failures,
            "by_upstream": dict(self.by_upstream.most_common()),
            "by_qtype": dict(self.by_qtype.most_common()),
            "by_class": dict(self.by_class.most_common()),
            "pods": sorted(self.pods),
            "first": self.first_ts,
            "last": self.last_ts,
            "sample": self.sample.origin.evidence().to_dict() if self.sample else None,
        }


def failing_names(logs: CorednsLogs, top: int = DEFAULT_TOP) -> tuple[list[NameStats], int]:
    """The `top` names with the most failed client queries, worst first (ties by name), and how
    many distinct names failed in all."""
    table: dict[str, NameStats] = {}
    for error in logs.real_errors():
        name = error.qname.lower()
        table.setdefault(name, NameStats(name)).add(error)
    ranked = sorted(table.values(), key=lambda s: (-s.failures, s.name))
    return ranked[: max(top, 0)], len(table)


def names_per_upstream(
    logs: CorednsLogs, top: int = DEFAULT_TOP
) -> dict[str, list[tuple[str, int]]]:
    """Per upstream address: its `top` failing names with their counts, worst first."""
    counts: dict[str, Counter[str]] = {}
    for error in logs.real_errors():
        upstream = error.cause.upstream or NO_UPSTREAM
        counts.setdefault(upstream, Counter())[error.qname.lower()] += 1
    return {
        upstream: sorted(names.items(), key=lambda item: (-item[1], item[0]))[: max(top, 0)]
        for upstream, names in counts.items()
    }
