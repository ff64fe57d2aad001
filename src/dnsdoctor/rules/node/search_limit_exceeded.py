"""DD305 search-limit-exceeded.

What it detects:
A search list kubelet will cut: for kubelet's resolvConf, the pods' list (3 cluster domains plus
the node's) over 32 domains or 2048 characters (Kubernetes 1.28 and later), or over 6 domains or
256 characters (older kubelets without ExpandedDNSConfig); and in any resolv.conf under the root,
more than 6 domains (glibc before 2.26 used only 6).

Why it matters:
kubelet drops the domains past its limit and emits a "Search Line limits were exceeded" event;
names that relied on a dropped domain stop resolving in pods but still resolve on the node. Old
glibc (CentOS 7's 2.17) silently used only the first 6.

Evidence:
resolv.conf under the root and kubelet's resolvConf.

Example:
/etc/resolv.conf:1 lists 8 search domains: glibc before 2.26 uses only the first 6.

Fix:
Trim the node's search list (DHCP domain-search, netplan search, resolved Domains=).

False positives:
Hosts with glibc 2.26 or later and kubelet 1.28 or later only hit the larger limits.

References:
Kubernetes pkg/apis/core/validation (MaxDNSSearchPaths 32, MaxDNSSearchListChars 2048; 6/256
before ExpandedDNSConfig); glibc 2.26 NEWS (arbitrary number of search domains).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import kubelet_evidence, kubelet_file, line_evidence, traced_files

OLD_LIMITS = (6, 256)
NEW_LIMITS = (32, 2048)
CLUSTER_DOMAINS = 3  # <ns>.svc.<cd>, svc.<cd>, <cd>
CLUSTER_CHARS = len("namespace.svc.cluster.local svc.cluster.local cluster.local")


class SearchLimitExceeded(CheckRule[Any]):
    code = "DD305"
    name = "search-limit-exceeded"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("resolv.conf", "kubelet resolvConf")

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        files = list(traced_files(audit))
        if not files:
            yield self.skipped("no resolv.conf could be read under the root")
        for prov in files:
            search = prov.conf.glibc.search
            if len(search) > OLD_LIMITS[0]:
                summary = (
                    f"{prov.path}:{search[0].line} lists {len(search)} search domains: glibc "
                    f"before 2.26 uses only the first {OLD_LIMITS[0]}"
                )
                evidence = (line_evidence(prov, search[0].line, "search line"),)
                fix = "Keep at most 6 search domains for old glibc."
                yield self.finding(summary, severity=Severity.INFO, evidence=evidence, fix=fix)
        kubelet = kubelet_file(audit)
        if kubelet is not None:
            yield from self._pods(audit, kubelet)

    def _pods(self, audit: Any, prov: Any) -> Iterable[Finding]:
        host = prov.conf.glibc.search
        if not host:
            return
        count = CLUSTER_DOMAINS + len(host)
        chars = CLUSTER_CHARS + sum(len(s.value) + 1 for s in host)
        for (max_count, max_chars), severity, who in (
            (NEW_LIMITS, Severity.WARNING, "kubelet"),
            (OLD_LIMITS, Severity.INFO, "kubelet before 1.28 (no ExpandedDNSConfig)"),
        ):
            if count > max_count or chars > max_chars:
                summary = (
                    f"ClusterFirst pods get {count} search domains (~{chars} characters) from "
                    f"{prov.path}: {who} cuts the list at {max_count} domains / {max_chars} "
                    "characters and reports 'Search Line limits were exceeded'"
                )
                evidence = (
                    *kubelet_evidence(audit),
                    line_evidence(prov, host[0].line, "node search domains"),
                )
                fix = "Trim the node's search domains."
                yield self.finding(summary, severity=severity, evidence=evidence, fix=fix)
                return
