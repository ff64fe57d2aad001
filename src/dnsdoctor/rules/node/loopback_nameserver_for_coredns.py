"""DD307 loopback-nameserver-for-coredns.

What it detects:
kubelet's resolvConf (what `dnsPolicy: Default` pods, CoreDNS included, get) lists a loopback
nameserver: systemd-resolved's stub 127.0.0.53, a local dnsmasq at 127.0.0.1, or ::1.

Why it matters:
Inside the CoreDNS pod, loopback is the pod itself. `forward . /etc/resolv.conf` then sends
queries to CoreDNS's own port: CoreDNS's `loop` plugin detects it and the pod crash-loops
("Loop ... detected for zone"), or, without it, queries go round until they time out. This is why
kubeadm points kubelet at /run/systemd/resolve/resolv.conf on systemd-resolved hosts.

Evidence:
kubelet's configuration (`resolvConf`, `--resolv-conf`) and the file it names.

Example:
kubelet hands /etc/resolv.conf (-> /run/systemd/resolve/stub-resolv.conf) to CoreDNS, and its
nameserver 127.0.0.53 (line 21) is loopback inside the pod.

Fix:
Set kubelet's `resolvConf: /run/systemd/resolve/resolv.conf` (or `--resolv-conf`), restart
kubelet, then restart CoreDNS.

False positives:
A CoreDNS Corefile that does not forward to /etc/resolv.conf (it names upstreams itself) is not
affected; other `dnsPolicy: Default` pods still are.

References:
CoreDNS loop plugin README ("Troubleshooting loops in Kubernetes clusters"); kubeadm
implementation details (resolvConf on systemd-resolved hosts).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import kubelet_evidence, kubelet_file, line_evidence


class LoopbackNameserverForCoredns(CheckRule[Any]):
    code = "DD307"
    name = "loopback-nameserver-for-coredns"
    severity = Severity.ERROR
    source = "node"
    evidence_kinds = ("kubelet resolvConf", "resolv.conf")

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        prov = kubelet_file(audit)
        if prov is None:
            yield self.skipped("no kubelet configuration (or its resolv.conf) under the root")
            return
        for entry in prov.entries:
            if entry.kind != "nameserver" or not _loopback(entry.value):
                continue
            via = f" (-> {prov.path})" if prov.path != prov.asked else ""
            summary = (
                f"kubelet hands {prov.asked}{via} to dnsPolicy: Default pods such as CoreDNS, and "
                f"its nameserver {entry.value} (line {entry.line}) is loopback inside the pod: "
                "CoreDNS would forward to itself"
            )
            evidence = (*kubelet_evidence(audit), line_evidence(prov, entry.line, "loopback"))
            fix = (
                "Point kubelet's resolvConf at a file with the real upstreams "
                "(/run/systemd/resolve/resolv.conf on systemd-resolved hosts)."
            )
            yield self.finding(summary, evidence=evidence, impact=1.0, fix=fix)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
