"""DD361 conntrack-table-near-full.

What it detects:
The conntrack table is nearly full (`nf_conntrack_count` at 80% of `nf_conntrack_max` or more:
warning; 95%: error), or it has been full: the per-CPU `drop` or `early_drop` counters of
`/proc/net/stat/nf_conntrack` are above zero (new connections were refused or old ones evicted
to make room).

Why it matters:
When the table is full the kernel drops the first packet of every new flow, and every UDP DNS
query from a new source port is a new flow: lookups time out at random, on every libc, and the
kernel logs "nf_conntrack: table full, dropping packet". UDP entries live 30 s
(`nf_conntrack_udp_timeout`) after the last answer, so a busy resolver fills the table fast.

Evidence:
`/proc/sys/net/netfilter/nf_conntrack_count` and `nf_conntrack_max`; per-CPU `drop` and
`early_drop` from `/proc/net/stat/nf_conntrack`.

Example:
conntrack table 95.4% full (250000 of 262144 entries); 3 new connection(s) dropped since boot
(CPU 0: 3).

Fix:
Raise `net.netfilter.nf_conntrack_max` (kube-proxy sets it from `conntrack.maxPerCore`), shorten
`nf_conntrack_udp_timeout`, take DNS out of conntrack with NodeLocal DNSCache (NOTRACK), and find
what opens so many flows.

False positives:
A short burst can fill the table between two reads; drops counted since boot may be old.
Each network namespace has its own count (read the host's for DNATed service traffic).

References:
Linux Documentation/networking/nf_conntrack-sysctl.rst; kube-proxy `conntrack.maxPerCore`.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.kernel import ConntrackStat
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node.conntrack_insert_failures import conntrack_context

WARNING_AT = 0.80
ERROR_AT = 0.95


class ConntrackTableNearFull(CheckRule[NodeAudit]):
    code = "DD361"
    name = "conntrack-table-near-full"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("kernel",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        kernel = evidence.kernel
        if kernel is None:
            return [self.skipped("kernel counters were not read (not the host: give --proc)")]
        count, limit, stat = kernel.conntrack_count, kernel.conntrack_max, kernel.conntrack
        if (count is None or not limit) and stat is None:
            return [self.skipped(kernel.skipped.get("conntrack", "no conntrack counters"))]
        parts, severity, figures = [], Severity.INFO, []
        if count is not None and limit:
            share = count / limit
            figures += [("count", count), ("max", limit), ("share", round(share, 4))]
            if share >= WARNING_AT:
                severity = Severity.ERROR if share >= ERROR_AT else Severity.WARNING
                parts.append(f"conntrack table {share:.1%} full ({count} of {limit} entries)")
        dropped = [(cpu, n) for name in ("drop", "early_drop") for cpu, n in _by_cpu(stat, name)]
        if dropped:
            total = sum(n for _, n in dropped)
            where = ", ".join(f"CPU {cpu}: {n}" for cpu, n in dropped)
            parts.append(f"{total} new connection(s) dropped or evicted since boot ({where})")
            severity = max(severity, Severity.WARNING)
            figures.append(("drop+early_drop", total))
        if not parts:
            return []
        context, extra = conntrack_context(kernel)
        summary = "; ".join(parts) + (f"; {context}" if context else "")
        subject = kernel.path("sys/net/netfilter/nf_conntrack_count")
        return [
            self.finding(
                summary,
                severity=severity,
                evidence=(CountEvidence(subject, tuple(figures)), *extra),
                impact=float(count or 0),
                fix="Raise nf_conntrack_max or take DNS out of conntrack (NodeLocal DNSCache); "
                "see `dnsdoctor explain DD361`.",
            )
        ]


def _by_cpu(stat: ConntrackStat | None, name: str) -> list[tuple[int, int]]:
    return stat.by_cpu(name) if stat is not None and stat.has(name) else []
