"""DD304 nameserver-limit-exceeded.

What it detects:
A resolv.conf under the root with more than 3 `nameserver` lines.

Why it matters:
glibc and musl both use the first 3 (MAXNS) and silently ignore the rest; kubelet also keeps 3
for the pods it configures and logs "Nameserver limits were exceeded". CoreDNS, reading the same
file with `forward . /etc/resolv.conf`, uses every line, so pods and CoreDNS disagree on which
servers exist: a server that only CoreDNS uses, or the reverse, makes failures depend on the path.

Evidence:
resolv.conf under the root.

Example:
/etc/resolv.conf has 4 nameservers; glibc and musl ignore 10.96.0.13 (line 5).

Fix:
Keep at most 3 nameservers; put a local cache in front if more upstreams are needed.

False positives:
None for the libraries; a program with its own resolver (Go's pure resolver, CoreDNS) may use
more on purpose.

References:
glibc resolv/res_init.c and musl src/network/resolvconf.c (MAXNS 3); Kubernetes
pkg/kubelet/network/dns/dns.go (validation.MaxDNSNameservers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.evidence.node.resolv_conf import MAXNS
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import line_evidence, traced_files


class NameserverLimitExceeded(CheckRule[Any]):
    code = "DD304"
    name = "nameserver-limit-exceeded"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("resolv.conf",)

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        files = list(traced_files(audit))
        if not files:
            yield self.skipped("no resolv.conf could be read under the root")
        for prov in files:
            declared = prov.conf.declared_nameservers()
            if len(declared) <= MAXNS:
                continue
            extra = declared[MAXNS:]
            names = ", ".join(f"{s.value} (line {s.line})" for s in extra)
            summary = (
                f"{prov.path} has {len(declared)} nameservers; glibc, musl and kubelet use the "
                f"first {MAXNS} and ignore {names}, while CoreDNS forwarding to this file uses all"
            )
            evidence = tuple(line_evidence(prov, s.line, "ignored nameserver") for s in extra)
            fix = f"Keep at most {MAXNS} nameserver lines."
            yield self.finding(summary, evidence=evidence, impact=float(len(extra)), fix=fix)
