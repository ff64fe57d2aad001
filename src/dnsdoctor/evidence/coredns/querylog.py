"""Join the log plugin's query lines to the errors plugin's lines, for a denominator from logs.

The errors plugin names the upstream of a failed query but says nothing of the queries that
went well; the log plugin writes one line per query but names no upstream. Where a pod runs both,
one failed query leaves two lines: the log plugin's, written when forward returned with nothing
written (`- - 0 2.001s`) or SERVFAIL, and right after it the errors plugin's (`errors` wraps
`log` in CoreDNS's plugin order). They are the same query when they come from the same pod,
with the same name and type, and the error's time falls within the query's duration window
(from its start, `time - duration`, to its end, with `SLACK_S` for the clocks of two writes).
Without timestamps, two lines of the same input at most `ADJACENT_LINES` apart are joined.

What it gives per upstream, when no metrics count its queries: the joined failures over the
query lines of the same pods that could have gone upstream (every line but authoritative `aa`
answers). That is a lower bound of the upstream's failure rate: cache hits and queries to the
other upstreams are in the denominator too. Rates built this way say "derived from logs".
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from dnsdoctor.evidence.coredns.classify import UPSTREAM_FAILURES
from dnsdoctor.evidence.coredns.logs import CorednsLogs, ErrorLine, QueryEntry

SLACK_S = 1.0  # two log writes of one query, seconds apart at most
ADJACENT_LINES = 3  # without timestamps: the error line follows its query line closely
MAX_DURATION_S = 60.0  # longer than any forward deadline; bounds the window scanned per error


@dataclass
class LogDenominator:
    """One upstream's failures joined to query lines, over the query lines of the same pods."""

    address: str
    joined: int = 0  # errors naming it that match a query line
    unjoined: int = 0  # errors naming it with no matching query line (outside the query log)
    queries: int = 0  # forwardable query lines of the pods where it was joined
    pods: set[str] = field(default_factory=set)
    pairs: list[tuple[QueryEntry, ErrorLine]] = field(default_factory=list)  # a few samples

    @property
    def rate(self) -> float | None:
        return self.joined / self.queries if self.queries else None


class _Candidates:
    """Query lines of one (pod, name, type), sorted so that a lookup scans only its window."""

    def __init__(self) -> None:
        self.dated: list[tuple[float, int, QueryEntry]] = []
        self.undated: list[tuple[str, int, QueryEntry]] = []

    def add(self, entry: QueryEntry) -> None:
        if entry.origin.ts is not None:
            self.dated.append((entry.origin.ts, len(self.dated), entry))
        else:
            self.undated.append((entry.origin.source, entry.origin.line, entry))

    def sort(self) -> None:
        self.dated.sort(key=lambda item: (item[0], item[1]))
        self.undated.sort(key=lambda item: (item[0], item[1]))

    def window(self, error: ErrorLine) -> list[QueryEntry]:
        ts = error.origin.ts
        if ts is not None:
            low = bisect.bisect_left(self.dated, ts - SLACK_S, key=lambda item: item[0])
            high = bisect.bisect_right(self.dated, ts + MAX_DURATION_S, key=lambda item: item[0])
            return [item[2] for item in self.dated[low:high]]
        where = (error.origin.source, error.origin.line)
        low = bisect.bisect_left(
            self.undated, (where[0], where[1] - ADJACENT_LINES), key=lambda item: item[:2]
        )
        high = bisect.bisect_right(
            self.undated, (where[0], where[1] + ADJACENT_LINES), key=lambda item: item[:2]
        )
        return [item[2] for item in self.undated[low:high]]


def join_query_log(logs: CorednsLogs, samples: int = 3) -> dict[str, LogDenominator]:
    """Per upstream address, its errors joined to query lines; empty without query lines."""
    if not logs.queries.candidates:
        return {}
    index: dict[tuple[str, str, str], _Candidates] = defaultdict(_Candidates)
    for entry in logs.queries.candidates:
        index[(entry.origin.pod or "", entry.qname, entry.qtype)].add(entry)
    for candidates in index.values():
        candidates.sort()
    used: set[int] = set()
    out: dict[str, LogDenominator] = {}
    for error in logs.real_errors():
        address = error.cause.upstream
        if address is None or error.cause.cls not in UPSTREAM_FAILURES:
            continue
        found = out.setdefault(address, LogDenominator(address))
        pod = error.origin.pod or ""
        bucket = index.get((pod, error.qname.lower(), error.qtype))
        query = _match(error, bucket.window(error) if bucket else [], used)
        if query is None:
            found.unjoined += 1
            continue
        used.add(id(query))
        found.joined += 1
        found.pods.add(pod)
        if len(found.pairs) < samples:
            found.pairs.append((query, error))
    forwardable: Counter[str] = logs.queries.forwardable_by_pod
    for found in out.values():
        found.queries = sum(forwardable[pod] for pod in found.pods)
    return {a: d for a, d in out.items() if d.joined}


def _match(error: ErrorLine, entries: list[QueryEntry], used: set[int]) -> QueryEntry | None:
    """The closest unused query line that can be this error's query."""
    best: tuple[float, QueryEntry] | None = None
    for entry in entries:
        if id(entry) in used:
            continue
        distance = _distance(error, entry)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, entry)
    return best[1] if best else None


def _distance(error: ErrorLine, entry: QueryEntry) -> float | None:
    ets, qts = error.origin.ts, entry.origin.ts
    if ets is not None and qts is not None:
        start = qts - min(entry.duration_s, MAX_DURATION_S) - SLACK_S
        if start <= ets <= qts + SLACK_S:
            return abs(ets - qts)
        return None
    if ets is None and qts is None and error.origin.source == entry.origin.source:
        gap = abs(error.origin.line - entry.origin.line)
        return float(gap) if gap <= ADJACENT_LINES else None
    return None  # one dated, one not: no way to tell they are the same query
