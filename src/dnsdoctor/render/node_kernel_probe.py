"""The kernel counters and the probe's figures in `dnsdoctor node`'s text report."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from dnsdoctor.evidence.node.kernel_netfilter import notrack_addresses

CONNTRACK_SHOWN = ("insert_failed", "drop", "early_drop", "clashres", "invalid")


def render_kernel(kernel: Any, console: Console) -> None:
    if kernel is None:
        return
    release = kernel.release or "unknown"
    console.print(f"[bold]Kernel[/] {escape(release)} (counters from {escape(kernel.proc)}):")
    stat = kernel.conntrack
    if stat is not None:
        shown = [c for c in CONNTRACK_SHOWN if stat.has(c)]
        totals = ", ".join(f"{c} {stat.total(c)}" for c in shown)
        console.print(f"  conntrack since boot: {totals} ({len(stat.per_cpu)} CPUs)")
        for cpu, row in enumerate(stat.per_cpu):
            nonzero = [f"{c} {row[c]}" for c in shown if row.get(c)]
            if nonzero:
                console.print(f"    CPU {cpu}: {', '.join(nonzero)}")
    if kernel.conntrack_count is not None and kernel.conntrack_max:
        share = kernel.conntrack_count / kernel.conntrack_max
        console.print(
            f"  conntrack table: {kernel.conntrack_count} of {kernel.conntrack_max} ({share:.1%})"
        )
    for family, counters in (("UDP", kernel.udp), ("UDP6", kernel.udp6)):
        if counters:
            figures = ", ".join(
                f"{k} {counters.get(k, 0)}" for k in ("InDatagrams", "InErrors", "RcvbufErrors")
            )
            console.print(f"  {family}: {figures}")
    mode = kernel.kube_proxy
    if mode is not None:
        where = f"{mode.source}:{mode.line}" if mode.line else mode.source
        console.print(f"  kube-proxy mode: {mode.mode} ({escape(mode.detail)}; {escape(where)})")
    addresses = notrack_addresses(kernel.notrack)
    if addresses:
        console.print(f"  NodeLocal DNSCache NOTRACK for: {escape(', '.join(addresses))}")
    elif kernel.iptables_source:
        console.print(f"  no DNS NOTRACK rules in {escape(kernel.iptables_source)}")
    for item, reason in kernel.skipped.items():
        console.print(f"  [dim]{item}: {escape(reason)}[/]")


def render_probe(probe: Any, console: Console) -> None:
    if probe is None:
        return
    if probe.skipped:
        console.print(f"[bold]Probe[/]: {escape(probe.skipped)}")
        return
    questions = ", ".join(f"{n} {t}" for n, t in probe.options.plan())
    console.print(
        f"[bold]Probe[/] of {escape(', '.join(probe.targets))} (from "
        f"{escape(probe.targets_from)}): {escape(questions)} x{probe.options.count}, "
        f"timeout {probe.options.timeout:g} s"
    )
    for stats in probe.stats:
        p50, p90, p99 = (stats.percentile(q) for q in (0.5, 0.9, 0.99))
        rcodes = ", ".join(f"{k} {v}" for k, v in sorted(stats.rcodes.items())) or "-"
        failed = f"lost {stats.lost}" + "".join(
            f", {error} {n}" for error, n in sorted(stats.errors.items())
        )
        console.print(
            f"  {escape(stats.server)} {stats.transport}: {stats.answered}/{stats.sent} answered "
            f"({escape(failed)}); p50 {_ms(p50)} p90 {_ms(p90)} p99 {_ms(p99)}; {rcodes}"
        )


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"
