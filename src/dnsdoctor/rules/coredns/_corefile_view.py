"""What the Corefile rules share: evidence lines, and the node's view of resolv.conf.

The node evidence (`bundle.node`, a NodeAudit) is read by duck typing, so that these rules work
with whatever the node audit attaches: `node.kubelet` (kubelet's resolvConf: what a pod with
dnsPolicy Default, such as CoreDNS, gets) or else `node.resolv`, each exposing `path` and
`nameservers` (strings, or objects with `address` and optionally `path` and `line`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile, Directive, ServerBlock
from dnsdoctor.evidence.coredns.corefile_syntax import Location
from dnsdoctor.model import Finding, LineEvidence, Skipped
from dnsdoctor.rules.check import CheckRule

NO_COREFILE = "no Corefile given: --corefile FILE takes a Corefile or the coredns ConfigMap"
KUBELET_NAMESERVER_LIMIT = 3  # kubelet keeps 3 nameserver lines in a pod's resolv.conf


def corefile_of(bundle: Any) -> Corefile | None:
    corefile = getattr(bundle, "corefile", None)
    return corefile if isinstance(corefile, Corefile) else None


class CorefileRule(CheckRule[CorednsBundle]):
    """A Corefile lint rule: skipped without a Corefile, else `check_corefile` sees the parsed one
    (and the bundle, for the node evidence some rules use)."""

    source = "coredns"
    evidence_kinds: ClassVar[tuple[str, ...]] = ("corefile",)

    def check(self, evidence: CorednsBundle) -> Iterable[Finding | Skipped]:
        corefile = corefile_of(evidence)
        if corefile is None:
            yield self.skipped(NO_COREFILE)
            return
        yield from self.check_corefile(corefile, evidence)

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        raise NotImplementedError


def line(where: Location, text: str, role: str) -> LineEvidence:
    return LineEvidence(where.path, where.line, text[:200], role)


def directive_line(directive: Directive, role: str) -> LineEvidence:
    return line(directive.location, directive.text(), role)


def server_line(server: ServerBlock, role: str = "server block") -> LineEvidence:
    return line(server.location, server.label + (" {" if server.braces else ""), role)


@dataclass(frozen=True)
class NodeNameserver:
    address: str
    path: str
    line: int  # 0 when the node evidence does not say

    @property
    def is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.address.split("%", 1)[0]).is_loopback
        except ValueError:
            return False

    def evidence(self, role: str) -> LineEvidence:
        return LineEvidence(self.path, self.line, f"nameserver {self.address}", role)


def node_nameservers(node: Any) -> tuple[str, list[NodeNameserver]] | None:
    """(file, nameservers) of the resolv.conf a dnsPolicy Default pod gets, or None if unknown.

    `node` is a NodeAudit; its `pod_resolv` is the parsed file (kubelet's resolvConf, else
    /etc/resolv.conf). Every nameserver line counts for CoreDNS, as glibc's reading lists them
    before its own 3-server limit: CoreDNS takes up to 15.
    """
    conf = getattr(node, "pod_resolv", None)
    if conf is None:
        return None
    servers = [NodeNameserver(s.value, conf.path, s.line) for s in conf.declared_nameservers()]
    return conf.path, servers


def is_loopback_address(text: str | None) -> bool:
    if not text:
        return False
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False
