"""DD107 search-path-amplification.

What it detects:
Lookups that walked the resolv.conf search list: the names tried, how many answered NXDOMAIN (or
NODATA) before the name that exists, and the queries sent per lookup. Warning when lookups try 3
or more names that do not exist before the answer (the Kubernetes `ndots:5` pattern for external
names); one or two extra names are reported as info.

Why it matters:
With `ndots:5` and the Kubernetes search list (`<ns>.svc.cluster.local svc.cluster.local
cluster.local` plus the node's), a lookup of `api.example.com` sends A and AAAA for four to six
names before the real one: 8-12 queries, each a chance for loss, a conntrack race or a slow
upstream, and load on CoreDNS. Every negative answer adds a round trip to the application's wait.

Evidence:
A packet capture near the client. Without the client's resolv.conf the chain is inferred from
names that share their first label (see the engine's lookup grouping).

Example:
api.example.com: tried api.example.com.default.svc.cluster.local., ...svc.cluster.local.,
...cluster.local. (NXDOMAIN each) before api.example.com. - 8 queries, 12 ms.

Fix:
Use fully qualified names with a trailing dot in application config (`api.example.com.`), lower
`ndots` in the pod's `dnsConfig` (ndots:2 is common), or trim the search list. NodeLocal
DNSCache answers the negative names from cache.

False positives:
Two unrelated names with the same first label, looked up by one client within seconds while the
first does not exist, are grouped as one chain.

References:
resolv.conf(5) ndots and search; Kubernetes "DNS for Services and Pods" (dnsConfig);
../shared/reference/kubernetes-dns.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext, CaptureRule, send_evidence

WARN_NEGATIVE_NAMES = 3


class SearchPathAmplification(CaptureRule):
    code = "DD107"
    name = "search-path-amplification"
    severity = Severity.WARNING

    def __init__(self) -> None:
        self._chains = 0
        self._long_chains = 0
        self._queries = 0
        self._max = 0
        self._example = ""
        self._frames: list[FrameEvidence] = []

    def on_lookup(self, lookup: Lookup) -> None:
        negatives = lookup.negative_names()
        if len(lookup.names) < 2 or not negatives:
            return
        self._chains += 1
        self._queries += lookup.queries
        self._long_chains += len(negatives) >= WARN_NEGATIVE_NAMES
        if len(negatives) > self._max:
            self._max = len(negatives)
            final = lookup.names[-1]
            self._example = (
                f"{final} was tried as {', '.join(negatives)} (each answered as nonexistent) "
                f"first: {lookup.queries} queries, {lookup.duration * 1000:.1f} ms, "
                f"outcome {lookup.outcome}"
            )
            self._frames = [
                send_evidence(tx, tx.sends[0], "search-list query")
                for tx in lookup.transactions[:SAMPLE_FRAMES]
            ]

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._chains:
            return []
        severity = Severity.WARNING if self._long_chains else Severity.INFO
        summary = (
            f"{self._chains} lookup(s) walked the search list before their answer "
            f"({self._queries / self._chains:.1f} queries per lookup, up to {self._max} nonexistent "
            f"names); e.g. {self._example}"
        )
        counts = CountEvidence(
            "search-list lookups",
            (
                ("lookups", self._chains),
                (f"with >= {WARN_NEGATIVE_NAMES} nonexistent names", self._long_chains),
                ("queries", self._queries),
            ),
        )
        fix = "Use fully qualified names (trailing dot) or lower ndots in the pod's dnsConfig."
        return [
            Finding(
                self.code, self.name, severity, summary, (*self._frames, counts), self._queries, fix
            )
        ]
