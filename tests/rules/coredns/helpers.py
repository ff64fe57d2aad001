"""Run the CoreDNS check rules on a Corefile the way `dnsdoctor coredns` will."""

from __future__ import annotations

from types import SimpleNamespace

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile, load_corefile
from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Finding, Report
from dnsdoctor.rules.check import run_checks
from dnsdoctor.rules.registry import check_rules


def run(corefile: Corefile | None, node: NodeAudit | None = None) -> Report:
    rules = [rule() for rule in check_rules("coredns")]
    report = run_checks(rules, CorednsBundle(corefile=corefile, node=node), Report("test"))
    assert not report.internal_errors
    return report


def findings(report: Report, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


def corefile(text: str) -> Corefile:
    return load_corefile(text, path="Corefile")


def node_with(path: str, *addresses: str) -> NodeAudit:
    """Stand-in for the node audit's kubelet resolvConf evidence (its module is not built yet):
    the attributes the Corefile rules read, nothing more."""
    servers = [SimpleNamespace(address=a, path=path, line=i) for i, a in enumerate(addresses, 1)]
    return NodeAudit(root="/", kubelet=SimpleNamespace(path=path, nameservers=servers))
