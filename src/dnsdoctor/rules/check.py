"""Rules over one parsed evidence bundle (a node audit, a CoreDNS bundle), not a packet stream.

A check rule looks at the whole bundle once and returns findings, or `Skipped` when the bundle
lacks what it needs. Rules live in a subpackage per source (`rules/node/`, `rules/coredns/`),
one file each, documented in the module docstring exactly like capture rules; the registry
finds them by convention. Codes are reserved by source: DD3xx node, DD4xx CoreDNS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar, Generic, TypeVar

from dnsdoctor.model import Finding, Report, Severity, Skipped

EvidenceT = TypeVar("EvidenceT")


class CheckRule(Generic[EvidenceT]):
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    source: ClassVar[str]  # "node" | "coredns": which command runs it
    evidence_kinds: ClassVar[tuple[str, ...]] = ()

    def check(self, evidence: EvidenceT) -> Iterable[Finding | Skipped]:
        raise NotImplementedError

    def finding(self, summary: str, **fields: object) -> Finding:
        """A finding with this rule's code, name and default severity."""
        severity = fields.pop("severity", self.severity)
        return Finding(self.code, self.name, severity, summary, **fields)  # type: ignore[arg-type]

    def skipped(self, reason: str) -> Skipped:
        return Skipped(self.code, self.name, reason)


def run_checks(
    rules: Sequence[CheckRule[EvidenceT]], evidence: EvidenceT, report: Report
) -> Report:
    """Run every rule; a rule that crashes is an internal error for its code, and the run goes on."""
    for rule in rules:
        try:
            for result in rule.check(evidence):
                if isinstance(result, Skipped):
                    report.skipped.append(result)
                else:
                    report.findings.append(result)
        except Exception as exc:
            report.internal_errors.append(f"{rule.code} {rule.name}: {type(exc).__name__}: {exc}")
    return report
