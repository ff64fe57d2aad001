"""The `dnsdoctor coredns` report: what was read, the upstream ranking, then the findings.

JSON reuses the capture report's shape (schema_version, source, findings, skipped,
internal_errors, stats) and adds `upstreams`: the ranking, worst first, each with its rate (or
null and why), its counts, its time span and where it is configured.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dnsdoctor.evidence.coredns.log_line import duration_text
from dnsdoctor.model import Report, Severity
from dnsdoctor.render.json_report import SCHEMA_VERSION
from dnsdoctor.render.terminal import render_findings


def write_json(report: Report, out: TextIO) -> None:
    stats = dict(report.stats)
    upstreams = stats.pop("upstreams", [])
    names = stats.pop("names", None)
    drift = stats.pop("drift", None)
    document = {
        "schema_version": SCHEMA_VERSION,
        "source": report.source,
        "findings": [f.to_dict() for f in report.ordered_findings()],
        "skipped": [s.to_dict() for s in report.skipped],
        "internal_errors": report.internal_errors,
        "stats": stats,
        "upstreams": upstreams,
        "names": names,  # failing names, worst first, and per upstream (null without logs)
        "drift": drift,  # upstreams used vs the node's resolv.conf now (null without logs/metrics)
    }
    out.write(json.dumps(document, indent=1))
    out.write("\n")


def render_text(report: Report, console: Console, min_severity: Severity) -> None:
    stats = report.stats
    logs = stats.get("logs")
    if logs:
        pods = f" from {len(logs['pods'])} pod(s)" if logs["pods"] else ""
        when = "with timestamps" if logs["timestamps"] else "without timestamps"
        console.print(
            f"[bold]logs[/]: {logs['lines']} lines{pods} {when}; {logs['errors']} client-query "
            f"errors, {logs['probe_errors']} probe errors, {logs['queries']} query-log lines, "
            f"{logs['unrecognised']} unrecognised"
        )
    metrics = stats.get("metrics")
    if metrics:
        sources = ", ".join(s["source"] for s in metrics["scrapes"])
        console.print(f"[bold]metrics[/]: {sources} ({metrics['window']})")
    upstreams = stats.get("upstreams", [])
    if upstreams:
        console.print(_ranking_table(upstreams))
        _unknown_rates(upstreams, console)
    names = stats.get("names") or {}
    if names.get("top"):
        console.print(_names_table(names))
    render_findings(report, console, min_severity, nothing="No CoreDNS problems found.")


def _ranking_table(upstreams: list[dict[str, Any]]) -> Table:
    table = Table(title="Upstreams, worst first", title_justify="left", box=None, pad_edge=False)
    for column in ("upstream", "failure rate", "failed", "logged errors", "span", "configured at"):
        table.add_column(column, no_wrap=column != "configured at")
    for row in upstreams:
        rate = _rate_text(row["rate"])
        failed = f"{row['failed']:g}" if row["failed"] is not None else "-"
        if row["rate"] is None and row.get("log_rate") is not None:
            rate = f">= {_rate_text(row['log_rate'])} (from logs)"
            failed = f"{row['log_failed']} of {row['log_queries']}"
        span = "-"
        if row["first"] is not None and row["last"] is not None:
            span = duration_text(row["last"] - row["first"])
        origins = "; ".join(f"{o['path']}:{o['line']}" for o in row["origins"][:2]) or "-"
        table.add_row(row["address"], rate, failed, str(row["failures_logged"]), span, origins)
    return table


def _unknown_rates(upstreams: list[dict[str, Any]], console: Console) -> None:
    """Say why a rate is unknown, so "rate unknown" is never a dead end."""
    for row in upstreams:
        if row["rate"] is None and row.get("log_rate") is None and row.get("rate_basis"):
            console.print(
                f"[dim]{escape(row['address'])}: rate unknown: {escape(row['rate_basis'])}[/]"
            )


def _names_table(names: dict[str, Any]) -> Table:
    shown, distinct = len(names["top"]), names["distinct"]
    table = Table(
        title=f"Failing names, worst first ({shown} of {distinct})",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    for column in ("name", "failures", "types", "upstreams"):
        table.add_column(column, no_wrap=column != "upstreams")
    for row in names["top"]:
        types = ", ".join(f"{t} x{n}" for t, n in row["by_qtype"].items())
        upstreams = ", ".join(f"{a} x{n}" for a, n in row["by_upstream"].items())
        table.add_row(escape(row["name"]), str(row["failures"]), types, escape(upstreams))
    return table


def _rate_text(rate: float | None) -> str:
    if rate is None:
        return "rate unknown"
    return f"{100 * rate:.2f}%" if 0 < rate < 0.01 else f"{100 * rate:.1f}%"
