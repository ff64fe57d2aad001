"""DD360 conntrack-insert-failures.

What it detects:
The kernel's conntrack statistics (`/proc/net/stat/nf_conntrack`, one row per CPU) count
`insert_failed` above zero: a new connection's entry lost the race to be inserted into the
conntrack table, and the packet that created it was dropped. Counters are summed over CPUs and
cited per CPU. Warning from 1, error from 100 (counted since boot, or since the module loaded).

Why it matters:
glibc and musl send a lookup's A and AAAA queries from one UDP socket at the same moment. When
both are DNATed to a service address (kube-proxy in iptables or ipvs mode) their conntrack
entries are created in parallel on two CPUs, and the second insert fails: one of the two queries
is dropped. The application waits for its timeout (5 s on glibc, 2.5 s musl's retry) and the
lookup is slow or fails, intermittently and only under load. Kernels since 5.0 resolve most of
these clashes (`clash_resolve`, the `clashres` column); those that are still counted here were
lost.

Evidence:
`/proc/net/stat/nf_conntrack` (per CPU `insert_failed`, `drop`, `clashres`), the uptime that
gives the counters a time base, kube-proxy's mode, and whether NodeLocal DNSCache NOTRACK rules
exist (from `--iptables-save` or `iptables-save` on the host).

Example:
45 conntrack inserts failed on this node since boot (CPU 0: 42, CPU 1: 3; 18 clashes resolved
by the kernel); kube-proxy mode iptables; no NodeLocal DNSCache NOTRACK rules.

Fix:
Deploy NodeLocal DNSCache: its NOTRACK rules take pods' UDP DNS out of conntrack and it talks
TCP to CoreDNS. Otherwise `options single-request-reopen` (glibc: A and AAAA from separate
sockets; musl ignores it), or `use-vc`/TCP, or a kernel with clash resolution (5.0+).

False positives:
insert_failed counts every protocol, not only DNS, and every network namespace has its own
counters (read the host's, where the DNAT happens, or give `--proc` of the right namespace).
Old counters since boot may describe a problem already fixed: compare two runs.

References:
Linux net/netfilter/nf_conntrack_core.c (`__nf_conntrack_confirm`, `nf_ct_resolve_clash`);
weave.works "Racy conntrack and DNS lookup timeouts" (2018); kubernetes/kubernetes#56903;
Kubernetes docs "Using NodeLocal DNSCache in Kubernetes Clusters".
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.kernel_netfilter import notrack_addresses
from dnsdoctor.model import CountEvidence, Evidence, Finding, LineEvidence, Severity, Skipped
from dnsdoctor.rules.check import CheckRule

ERROR_AT = 100


def conntrack_context(kernel: object) -> tuple[str, list[Evidence]]:
    """kube-proxy's mode and the NOTRACK rules, as a clause and as evidence (shared by DD36x)."""
    mode = getattr(kernel, "kube_proxy", None)
    rules = getattr(kernel, "notrack", [])
    clauses: list[str] = []
    evidence: list[Evidence] = []
    if mode is not None:
        clauses.append(f"kube-proxy mode {mode.mode} ({mode.source}:{mode.line})")
        evidence.append(LineEvidence(mode.source, mode.line, mode.detail, "kube-proxy mode"))
    addresses = notrack_addresses(rules)
    if addresses:
        clauses.append(f"DNS to {', '.join(addresses)} skips conntrack (NOTRACK)")
        evidence.extend(LineEvidence(r.source, r.line, r.text, "NOTRACK") for r in rules[:4])
    elif getattr(kernel, "iptables_source", None):
        clauses.append("no NodeLocal DNSCache NOTRACK rules")
    return "; ".join(clauses), evidence


class ConntrackInsertFailures(CheckRule[NodeAudit]):
    code = "DD360"
    name = "conntrack-insert-failures"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("kernel",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        kernel = evidence.kernel
        if kernel is None:
            return [self.skipped("kernel counters were not read (not the host: give --proc)")]
        stat = kernel.conntrack
        if stat is None:
            return [self.skipped(kernel.skipped.get("conntrack", "no conntrack statistics"))]
        if not stat.has("insert_failed"):
            return [self.skipped(f"{stat.path} has no insert_failed column")]
        failed = stat.total("insert_failed")
        if failed == 0:
            return []
        per_cpu = ", ".join(f"CPU {cpu}: {n}" for cpu, n in stat.by_cpu("insert_failed"))
        resolved = stat.total("clashres") if stat.has("clashres") else None
        since = f" in {kernel.uptime / 3600:.1f} h since boot" if kernel.uptime else " since boot"
        summary = f"{failed} conntrack insert(s) failed on this node{since} ({per_cpu}"
        summary += f"; {resolved} clashes resolved by the kernel)" if resolved else ")"
        context, extra = conntrack_context(kernel)
        if context:
            summary += f"; {context}"
        figures = tuple(
            (f"cpu{cpu} {name}", row.get(name, 0))
            for cpu, row in enumerate(stat.per_cpu)
            for name in ("insert_failed", "drop", "clashres")
            if row.get(name)
        )
        counts = CountEvidence(stat.path, (("insert_failed", failed), *figures))
        return [
            self.finding(
                summary,
                severity=Severity.ERROR if failed >= ERROR_AT else Severity.WARNING,
                evidence=(counts, *extra),
                impact=float(failed),
                fix="Deploy NodeLocal DNSCache (NOTRACK for pod DNS), or `options "
                "single-request-reopen` for glibc pods; see `dnsdoctor explain DD360`.",
            )
        ]
