"""`audit_coredns(...)`: gather a CorednsBundle from the inputs given and run the DD4xx rules.

No printing: the Report carries findings, skipped rules, statistics and the upstream ranking
(`stats["upstreams"]`), and the CLI renders it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from dnsdoctor.audit.coredns_join import load_corefile_input, node_audit_of, origins_of
from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.drift import Drift, upstream_drift
from dnsdoctor.evidence.coredns.logs import KUBECTL_RERUN, CorednsLogs, load_logs
from dnsdoctor.evidence.coredns.metrics import CorednsMetrics, load_metrics
from dnsdoctor.evidence.coredns.names import DEFAULT_TOP, failing_names, names_per_upstream
from dnsdoctor.evidence.coredns.node_report import load_node_report
from dnsdoctor.evidence.coredns.upstreams import UpstreamStats, upstream_table
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
    node_report: str | None = None  # a saved `dnsdoctor node --format json`
    configmap_extra: Sequence[str] = ()  # other ConfigMaps (coredns-custom) for `import`
    environ: Mapping[str, str] | None = None  # `{$ENV}` values of CoreDNS's container
    pillars: Mapping[str, str] | None = None  # NodeLocal DNSCache `__PILLAR__X__` values
    top_names: int = DEFAULT_TOP


def gather_bundle(inputs: CorednsInputs) -> CorednsBundle:
    if len(inputs.metrics) > MAX_SCRAPES:
        raise UsageError("--metrics takes at most two scrapes (before and after)")
    if list(inputs.logs).count("-") > 1:
        raise UsageError("stdin (-) can be given to --logs only once")
    _check_usage(inputs)
    bundle = CorednsBundle()
    if inputs.corefile:
        bundle.corefile = load_corefile_input(
            inputs.corefile,
            extra=inputs.configmap_extra,
            environ=inputs.environ,
            pillars=inputs.pillars,
        )
    if inputs.logs:
        bundle.logs = load_logs(inputs.logs, inputs.stdin)
    if inputs.metrics:
        bundle.metrics = load_metrics(inputs.metrics)
    if inputs.node_root:
        bundle.node = node_audit_of(inputs.node_root)
    elif inputs.node_report:
        bundle.node = load_node_report(inputs.node_report)
    return bundle


def _check_usage(inputs: CorednsInputs) -> None:
    node = inputs.node_root or inputs.node_report
    if not (inputs.corefile or inputs.logs or inputs.metrics or node):
        raise UsageError(
            "nothing to read",
            hint=f"give --logs (e.g. from `{KUBECTL_RERUN}`), --metrics, --corefile, "
            "--node-root or --node-report",
        )
    if inputs.node_root and inputs.node_report:
        raise UsageError(
            "--node-root and --node-report both describe the node",
            hint="give one: the node's files, or a saved `dnsdoctor node --format json`",
        )
    if inputs.configmap_extra and not inputs.corefile:
        raise UsageError(
            "--configmap-extra needs --corefile",
            hint="give the coredns ConfigMap with --corefile; the extra one only feeds `import`",
        )


def audit_coredns(inputs: CorednsInputs | CorednsBundle) -> Report:
    bundle = inputs if isinstance(inputs, CorednsBundle) else gather_bundle(inputs)
    top = inputs.top_names if isinstance(inputs, CorednsInputs) else DEFAULT_TOP
    report = Report(source=_source(inputs))
    rules = [rule() for rule in check_rules("coredns")]
    run_checks(rules, bundle, report)
    report.stats = _stats(bundle, top)
    return report


def _source(inputs: CorednsInputs | CorednsBundle) -> str:
    if isinstance(inputs, CorednsBundle):
        return "coredns"
    parts = [*inputs.logs, *inputs.metrics]
    parts += [p for p in (inputs.corefile, *inputs.configmap_extra) if p]
    parts += [p for p in (inputs.node_root, inputs.node_report) if p]
    return ", ".join("stdin" if p == "-" else p for p in parts)


def _stats(bundle: CorednsBundle, top: int) -> dict[str, Any]:
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
    per_upstream = names_per_upstream(logs, top) if logs is not None else {}
    stats["upstreams"] = [
        _upstream_record(bundle, s, window, per_upstream.get(s.address, [])) for s in table
    ]
    if logs is not None:
        names, distinct = failing_names(logs, top)
        stats["names"] = {
            "distinct": distinct,
            "top": [n.to_dict() for n in names],
            "by_upstream": {
                a: [{"name": n, "failures": c} for n, c in v] for a, v in per_upstream.items()
            },
        }
    drift = upstream_drift(logs, metrics, bundle.node, bundle.corefile)
    if logs is not None or metrics is not None:
        stats["drift"] = _drift_record(drift)
    return stats


def _drift_record(drift: Drift | str) -> dict[str, Any]:
    if isinstance(drift, str):
        return {"judged": False, "why": drift}
    return {
        "judged": True,
        "node_file": drift.node_file,
        "node_root": drift.node_root,
        "matched": drift.matched,
        "stale": [u.address for u in drift.stale],
        "unused": [{"address": s.address, "line": s.line} for s in drift.unused],
        "unused_not_judged": drift.unused_not_judged,
        "assumed_resolv_conf": drift.assumed_resolv_conf,
    }


def _upstream_record(
    bundle: CorednsBundle, stats: UpstreamStats, window: str, names: list[tuple[str, int]]
) -> dict[str, Any]:
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
        # without a metrics rate: the lower bound joined from the log plugin's query lines
        "log_rate": stats.log_rate,
        "log_failed": stats.log_failed,
        "log_queries": stats.log_queries,
        "log_rate_basis": stats.log_basis,
        "rate_source": "metrics"
        if stats.rate is not None
        else ("logs (lower bound)" if stats.log_rate is not None else None),
        "names": [{"name": n, "failures": c} for n, c in names],
        "origins": [o.evidence().to_dict() for o in origins_of(bundle, stats.address)],
    }
