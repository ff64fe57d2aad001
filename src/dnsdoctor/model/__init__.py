"""Frozen records every stage shares: findings, evidence, severities, reports."""

from dnsdoctor.model.finding import (
    CountEvidence,
    Evidence,
    Finding,
    FrameEvidence,
    LineEvidence,
    MetricEvidence,
    OffsetEvidence,
    Report,
    Severity,
    Skipped,
)

__all__ = [
    "CountEvidence",
    "Evidence",
    "Finding",
    "FrameEvidence",
    "LineEvidence",
    "MetricEvidence",
    "OffsetEvidence",
    "Report",
    "Severity",
    "Skipped",
]
