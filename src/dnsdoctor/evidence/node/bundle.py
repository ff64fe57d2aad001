"""What one `dnsdoctor node` run collected: the bundle every node rule (DD3xx) reads.

Each collector fills its own field and leaves the others alone; a field left None means that
evidence was not collected (the rules that need it report `Skipped`, never guess).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class NodeAudit:
    root: str  # "/" for the host, or a container root / unpacked image
    # resolv.conf as glibc and musl read it (resolv_conf.ResolvConf for /etc/resolv.conf)
    resolv: Any = None
    # provenance.Provenance per file traced: /etc/resolv.conf first, then kubelet's resolvConf
    # when it is another file
    provenance: Any = None
    kubelet: Any = None  # kubelet.KubeletResolv: what dnsPolicy: Default pods (CoreDNS) get
    # resolv_conf.ResolvConf a dnsPolicy: Default pod (CoreDNS) gets: kubelet's resolvConf when
    # kubelet is configured under the root, else /etc/resolv.conf (kubelet's default)
    pod_resolv: Any = None
    expect: tuple[str, ...] = ()  # --expect: allowed nameserver addresses or CIDRs
    libcs: Any = None  # which C library (and version) resolves, per root/container/image
    clock: Any = None  # clocksource and measured same-ID probability for musl
    kernel: Any = None  # conntrack and UDP drop counters
    probe: Any = None  # --probe results per nameserver
    refused: list[str] = field(default_factory=list)  # paths the safe root reader refused, why
    effects: Any = None  # effects.NameserverEffect list for the file CoreDNS inherits (or /etc's)
