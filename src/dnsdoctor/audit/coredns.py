"""`audit_coredns(...)`: gather a CorednsBundle from the inputs given and run the DD4xx rules.

No printing: the Report carries findings, skipped rules, statistics and the upstream ranking
(`stats["upstreams"]`), and the CLI renders it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from dnsdoctor.audit.coredns_join import audit_node_guarded, load_corefile_guarded, origins_of
from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.logs import KUBECTL_RERUN, CorednsLogs, load_logs
from dnsdoctor.evidence.coredns.metrics import CorednsMetrics, load_metrics
from dnsdoctor.evidence.coredns.upstreams import UpstreamStats, upstream_table
from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Report
from dnsdoctor.rules.check import run_checks
from dnsdoctor.rules.registry import check_rules

MAX_SCRAPES = 2


@dataclass
class CorednsInputs:
    corefile: str | None = None
    logs: Sequence[str] = ()
    metrics: Sequence[str] = ()
    node_root: str | None = None
    stdin: TextIO = field(default_factory=lambda: sys.stdin)


def gather_bundle(inputs: CorednsInputs) -> CorednsBundle:
    if len(inputs.metrics) > MAX_SCRAPES:
        raise UsageError("--metrics takes at most two scrapes (before and after)")
    if list(inputs.logs).count("-") > 1:
        raise UsageError("stdin (-) can be given to --logs only once")
    if not (inputs.corefile or inputs.logs or inputs.metrics or inputs.node_root):
        raise UsageError(
            "nothing to read",
            hint=f"give --logs (e.g. from `{KUBECTL_RERUN}`), --metrics, --corefile or --node-root",
        )
    bundle = CorednsBundle()
    if inputs.corefile:
        bundle.corefile = load_corefile_guarded(inputs.corefile)
    if inputs.logs:
        bundle.logs = load_logs(inputs.logs, inputs.stdin)
    if inputs.metrics:
        bundle.metrics = load_metrics(inputs.metrics)
    if inputs.node_root:
        bundle.node = audit_node_guarded(inputs.node_root) or NodeAudit(root=inputs.node_root)
    return bundle


def audit_coredns(inputs: CorednsInputs | CorednsBundle) -> Report:
    bundle = inputs if isinstance(inputs, CorednsBundle) else gather_bundle(inputs)
    report = Report(source=_source(inputs))
    rules = [rule() for rule in check_rules("coredns")]
    run_checks(rules, bundle, report)
    report.stats = _stats(bundle)
    return report


def _source(inputs: CorednsInputs | CorednsBundle) -> str:
    if isinstance(inputs, CorednsBundle):
        return "coredns"
    parts = [*inputs.logs, *inputs.metrics]
    parts += [p for p in (inputs.corefile, inputs.node_root) if p]
    return ", ".join("stdin" if p == "-" else p for p in parts)


def _stats(bundle: CorednsBundle) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    logs: CorednsLogs | None = bundle.logs
    metrics: CorednsMetrics | None = bundle.metrics
    if logs is not None:
        stats["logs"] = {
            "sources": logs.sources,
            "lines": logs.lines,
            "unrecognised": logs.unrecognised,
            "timestamps": logs.has_timestamps,
            "pods": sorted(logs.pods),
            "errors": len(logs.real_errors()),
            "probe_errors": len(logs.probes()),
            "consolidated": sum(c.count for c in logs.consolidated),
            "loops": len(logs.loops),
            "starts": sum(1 for e in logs.events if e.kind == "start"),
            "queries": logs.queries.total,
            "queries_without_reply": logs.queries.no_reply,
        }
    if metrics is not None:
        stats["metrics"] = {
            "scrapes": [
                {"source": s.source, "taken_at": s.taken_at, "time_from": s.taken_how}
                for s in metrics.scrapes
            ],
            "window": metrics.window(),
            "interval_s": metrics.interval_s,
        }
    table = upstream_table(logs, metrics)
    window = metrics.window() if metrics is not None else ""
    stats["upstreams"] = [_upstream_record(bundle, s, window) for s in table]
    return stats


def _upstream_record(bundle: CorednsBundle, stats: UpstreamStats, window: str) -> dict[str, Any]:
    return {
        "address": stats.address,
        "failures_logged": stats.failures,
        "by_class": dict(stats.by_class),
        "probe_failures": stats.probe_failures,
        "first": stats.first_ts,
        "last": stats.last_ts,
        "pods": sorted(stats.pods),
        "sent": stats.sent,
        "answered": stats.answered,
        "servfail": stats.servfail,
        "healthcheck_failures": stats.healthcheck_failures,
        "failed": stats.failed,
        "rate": stats.rate,
        "rate_basis": stats.basis,
        "window": window if stats.rate is not None else "",
        "origins": [o.evidence().to_dict() for o in origins_of(bundle, stats.address)],
    }
