"""Run the CoreDNS check rules on a Corefile the way `dnsdoctor coredns` will."""

from __future__ import annotations

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile, load_corefile
from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.resolv_conf import parse_resolv_conf
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
    """A node audit whose pod resolv.conf (what CoreDNS gets) lists `addresses`, one per line."""
    text = "".join(f"nameserver {a}\n" for a in addresses)
    return NodeAudit(root="/", pod_resolv=parse_resolv_conf(text, path))
