"""DD303 musl-drops-search-line.

What it detects:
A `search` or `domain` line of 255 bytes or more in a resolv.conf under the root, which musl
skips entirely; and, for kubelet's resolvConf, the namespace-name length from which the search
line kubelet writes into `dnsPolicy: ClusterFirst` pods (`<ns>.svc.cluster.local svc.cluster.local
cluster.local` followed by the node's search domains) reaches 255 bytes.

Why it matters:
musl reads resolv.conf with `fgets` into a 256-byte buffer and ignores any line that does not fit.
Alpine pods then have no search domains at all: `my-service` no longer resolves as
`my-service.<ns>.svc.cluster.local`, while glibc pods on the same node work. It depends on the
namespace name, so it looks like a random per-team outage.

Evidence:
resolv.conf under the root (the node's, kubelet's, or a pod's root given with --root).

Example:
/etc/resolv.conf:1: search line of 277 bytes: musl skips it (no search domains in musl
programs); glibc uses 8 domains.

Fix:
Shorten the node's search list (fewer or shorter domains in DHCP options or netplan), or set
`dnsConfig.searches` and `dnsPolicy: None` for musl pods; or use a glibc-based image.

False positives:
Only musl-linked programs are affected; a root without musl (see DD35x libc findings) is not hurt.
The namespace prediction assumes the cluster domain `cluster.local`.

References:
musl src/network/resolvconf.c (`char line[256]`); Kubernetes pkg/kubelet/network/dns/dns.go.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.evidence.node.resolv_conf import MUSL_LINE_MAX
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import kubelet_evidence, kubelet_file, line_evidence, traced_files

CLUSTER_SUFFIXES = ".svc.cluster.local svc.cluster.local cluster.local"
MAX_NAMESPACE = 63


class MuslDropsSearchLine(CheckRule[Any]):
    code = "DD303"
    name = "musl-drops-search-line"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("resolv.conf",)

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        files = list(traced_files(audit))
        if not files:
            yield self.skipped("no resolv.conf could be read under the root")
            return
        for prov in files:
            yield from self._long_lines(prov)
        kubelet = kubelet_file(audit)
        if kubelet is not None:
            yield from self._pod_prediction(audit, kubelet)

    def _long_lines(self, prov: Any) -> Iterable[Finding]:
        for number, text in enumerate(prov.conf.lines, 1):
            words = text.split()
            if not words or words[0] not in ("search", "domain"):
                continue
            size = len(text.encode("utf-8", errors="surrogateescape"))
            if size <= MUSL_LINE_MAX:
                continue
            glibc = len(prov.conf.glibc.search)
            summary = (
                f"{prov.path}:{number}: {words[0]} line of {size} bytes: musl skips it, so musl "
                f"programs get no search domains at all; glibc uses {glibc} domain(s)"
            )
            fix = "Shorten the search list below 255 bytes (fewer or shorter domains)."
            evidence = (line_evidence(prov, number, "search line over 254 bytes"),)
            yield self.finding(summary, evidence=evidence, impact=float(size), fix=fix)

    def _pod_prediction(self, audit: Any, prov: Any) -> Iterable[Finding]:
        host = [s.value for s in prov.conf.glibc.search]
        fixed = len("search ") + len(CLUSTER_SUFFIXES) + sum(len(d) + 1 for d in host)
        longest_ok = MUSL_LINE_MAX - fixed
        if longest_ok >= MAX_NAMESPACE:
            return
        limit = max(longest_ok + 1, 1)
        summary = (
            f"pods with dnsPolicy: ClusterFirst in namespaces of {limit} characters or more get a "
            f"search line of 255 bytes or more from kubelet ({fixed} bytes plus the namespace, "
            f"with this node's search domains {' '.join(host)}): musl pods there lose every "
            "search domain"
        )
        evidence = (
            *kubelet_evidence(audit),
            line_evidence(prov, prov.conf.glibc.search[0].line, "node search domains"),
        )
        fix = "Shorten the node's search domains, or give musl pods an explicit dnsConfig."
        yield self.finding(summary, evidence=evidence, impact=float(fixed), fix=fix)
