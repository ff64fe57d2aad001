"""The report a person reads at 3 a.m.: worst first, each finding with its frames and its fix."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from dnsdoctor.model import (
    CountEvidence,
    Finding,
    FrameEvidence,
    LineEvidence,
    MetricEvidence,
    OffsetEvidence,
    Report,
    Severity,
)

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%H:%M:%S.%f")


def _frames_table(frames: list[FrameEvidence]) -> Table:
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="dim")
    for column in ("frame", "time (UTC)", "from", "to", "what"):
        table.add_column(column, no_wrap=column != "what")
    for f in frames:
        table.add_row(
            str(f.frame),
            _time(f.ts),
            f"{f.src}:{f.sport}",
            f"{f.dst}:{f.dport}/{f.transport}",
            f"{f.role}: {f.summary}",
        )
    return table


def _finding_panel(finding: Finding) -> Panel:
    parts: list[RenderableType] = [Text(finding.summary)]
    frames = [e for e in finding.evidence if isinstance(e, FrameEvidence)]
    if frames:
        parts.append(_frames_table(frames))
    for e in finding.evidence:
        if isinstance(e, CountEvidence):
            figures = ", ".join(f"{k}: {v}" for k, v in e.figures)
            parts.append(Text(f"{e.subject} - {figures}", style="dim"))
        elif isinstance(e, OffsetEvidence):
            where = f"frame {e.frame}, file offset {e.offset}" if e.frame else f"offset {e.offset}"
            parts.append(Text(f"{where}: {e.detail}", style="dim"))
        elif isinstance(e, LineEvidence):
            role = f" ({e.role})" if e.role else ""
            parts.append(Text(f"{e.path}:{e.line}{role}: {e.text}", style="dim"))
        elif isinstance(e, MetricEvidence):
            labels = ",".join(f'{k}="{v}"' for k, v in e.labels)
            detail = f" ({e.detail})" if e.detail else ""
            parts.append(Text(f"{e.name}{{{labels}}} = {e.value:g}{detail}", style="dim"))
    if finding.fix:
        parts.append(Text(f"Fix: {finding.fix}", style="green"))
    title = Text.assemble(
        (f"{finding.severity.label.upper()} ", _STYLE[finding.severity]),
        (f"{finding.code} {finding.name}", "bold"),
    )
    return Panel(
        Group(*parts), title=title, title_align="left", border_style=_STYLE[finding.severity]
    )


def render_terminal(
    report: Report, console: Console, min_severity: Severity = Severity.INFO
) -> None:
    stats = report.stats
    console.print(
        f"[bold]{report.source}[/]: {stats.get('packets', 0)} packets, "
        f"{stats.get('dns_messages', 0)} DNS messages, {stats.get('transactions', 0)} transactions, "
        f"{stats.get('lookups', 0)} lookups over {stats.get('duration_s', 0.0):.1f} s"
    )
    render_findings(report, console, min_severity, nothing="No DNS problems found in this capture.")
    for damage in report.damage:
        if damage["fatal"]:
            console.print(
                f"[bold red]Capture damaged[/] at byte offset {damage['offset']}: {damage['detail']} "
                "- everything before it was analysed."
            )
    kinds = stats.get("damage", {}).get("by_kind", {})
    other = {
        k: n
        for k, n in kinds.items()
        if not any(d["fatal"] and d["kind"] == k for d in report.damage)
    }
    if other:
        console.print(
            "[dim]Packet defects: "
            + ", ".join(f"{k} x{n}" for k, n in sorted(other.items()))
            + "[/]"
        )


def render_findings(report: Report, console: Console, min_severity: Severity, nothing: str) -> None:
    """The findings part every command's terminal report shares: panels, worst first."""
    shown = [f for f in report.ordered_findings() if f.severity >= min_severity]
    if not shown:
        console.print(f"[green]{nothing}[/]")
    for finding in shown:
        console.print(_finding_panel(finding))
    hidden = len(report.findings) - len(shown)
    if hidden:
        console.print(
            f"[dim]{hidden} finding(s) below {min_severity.label} not shown (--min-severity).[/]"
        )
    by_reason: dict[str, list[str]] = {}
    for skipped in report.skipped:  # one line per missing piece of evidence, not per rule
        by_reason.setdefault(skipped.reason, []).append(skipped.code)
    for reason, codes in by_reason.items():
        console.print(f"[dim]not checked ({escape(reason)}): {', '.join(codes)}[/]")
    for error in report.internal_errors:
        console.print(
            f"[bold red]internal error in rule[/] {error} - other rules ran; please report it"
        )
