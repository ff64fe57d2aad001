"""Findings, their severity and their typed evidence: what every report is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


@dataclass(frozen=True, slots=True)
class FrameEvidence:
    """A packet in a capture that shows the problem."""

    frame: int
    ts: float
    src: str
    sport: int
    dst: str
    dport: int
    transport: str
    role: str  # e.g. "query", "response", "duplicate response", "dropped answer"
    summary: str  # "id 0x1a2b A? example.com." or "id 0x1a2b NOERROR A 1.2.3.4"
    kind: str = "frame"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "frame": self.frame,
            "ts": round(self.ts, 6),
            "src": self.src,
            "sport": self.sport,
            "dst": self.dst,
            "dport": self.dport,
            "transport": self.transport,
            "role": self.role,
            "summary": self.summary,
        }


@dataclass(frozen=True, slots=True)
class CountEvidence:
    """A measured quantity behind a finding (per server, socket or pattern)."""

    subject: str  # "server 10.0.0.10:53" / "socket 10.1.2.3:40000/udp"
    figures: tuple[tuple[str, float | int | str], ...]
    kind: str = "counts"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "figures": dict(self.figures)}


@dataclass(frozen=True, slots=True)
class OffsetEvidence:
    """A place in an input file: a byte offset (captures) or a line (text files)."""

    path: str
    offset: int | None
    detail: str
    frame: int | None = None
    kind: str = "offset"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "offset": self.offset,
            "frame": self.frame,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class LineEvidence:
    """A line of a text input: a config file line (file:line) or a log line (pod and line)."""

    path: str  # file name, or "pod coredns-5d78c9869d-abcde" for `kubectl logs` input
    line: int  # 1-based
    text: str  # the line as read (trimmed to a sane length by the producer)
    role: str = ""  # e.g. "nameserver", "forward upstream", "i/o timeout"
    kind: str = "line"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "line": self.line,
            "text": self.text,
            "role": self.role,
        }


@dataclass(frozen=True, slots=True)
class MetricEvidence:
    """One Prometheus sample, or a rate between two scrapes of the same series."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    source: str  # file or URL it was read from
    detail: str = ""  # e.g. "rate over 300 s" or "counter reset between scrapes"
    kind: str = "metric"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "labels": dict(self.labels),
            "value": self.value,
            "source": self.source,
            "detail": self.detail,
        }


Evidence = FrameEvidence | CountEvidence | OffsetEvidence | LineEvidence | MetricEvidence


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    summary: str
    evidence: tuple[Evidence, ...] = ()
    impact: float = 0.0  # ordering key within a severity: affected queries or lookups
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "summary": self.summary,
            "impact": self.impact,
            "fix": self.fix,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """A rule that could not run on the evidence given, and why."""

    code: str
    name: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "reason": self.reason}


@dataclass(slots=True)
class Report:
    source: str
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    damage: list[dict[str, Any]] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)  # rules that crashed; the run went on

    def ordered_findings(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (-f.severity, -f.impact, f.code))

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)
