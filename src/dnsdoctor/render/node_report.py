"""`dnsdoctor node` output: the terminal report and the JSON document.

JSON keeps the capture report's shared keys (schema_version, source, findings, skipped,
internal_errors, stats) and adds the node sections: kubelet, resolv_conf (per file, as glibc and
musl read it), provenance (the tree: file -> symlinks -> entries -> origins), effects, refused,
and whatever the libc and clock collectors returned.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.console import Console
from rich.markup import escape

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Report, Severity
from dnsdoctor.render.json_report import SCHEMA_VERSION
from dnsdoctor.render.node_kernel_probe import render_kernel, render_probe
from dnsdoctor.render.terminal import render_findings


def node_json(report: Report, audit: NodeAudit) -> dict[str, Any]:
    provenance = audit.provenance or []
    return {
        "schema_version": SCHEMA_VERSION,
        "source": report.source,
        "findings": [f.to_dict() for f in report.ordered_findings()],
        "skipped": [s.to_dict() for s in report.skipped],
        "internal_errors": report.internal_errors,
        "stats": report.stats,
        "root": audit.root,
        "kubelet": audit.kubelet.to_dict() if audit.kubelet else None,
        "resolv_conf": [p.conf.to_dict() for p in _files(provenance)],
        "provenance": [p.to_dict() for p in provenance],
        "effects": [e.to_dict() for e in audit.effects or []],
        "expect": list(audit.expect),
        "refused": audit.refused,
        "libcs": _plain(audit.libcs),
        "clock": _plain(audit.clock),
        "kernel": _plain(audit.kernel),
        "probe": _plain(audit.probe),
    }


def _files(provenance: list[Any]) -> list[Any]:
    found = []
    for prov in provenance:
        for item in (prov, prov.upstream):
            if item is not None and item.conf is not None and item not in found:
                found.append(item)
    return found


def _plain(value: Any) -> Any:
    """Another collector's result as JSON data: its to_dict(), a dataclass, or its repr."""
    if value is None:
        return None
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return repr(value)


def render_node_terminal(
    report: Report, audit: NodeAudit, console: Console, min_severity: Severity
) -> None:
    console.print(f"[bold]dnsdoctor node[/]: {escape(audit.root)}")
    _kubelet_line(audit, console)
    shown: set[str] = set()
    for prov in audit.provenance or []:
        if prov.path not in shown:  # kubelet's file may already be the stub's uplinks
            _provenance(prov, console, indent="")
        shown |= {prov.path, prov.upstream.path if prov.upstream else prov.path}
    _container_files(audit, console)
    if audit.effects:
        kubelet = audit.kubelet is not None and audit.kubelet.kubelet_found
        which = "kubelet's resolvConf, what CoreDNS inherits" if kubelet else "/etc/resolv.conf"
        console.print(f"[bold]Effect of each nameserver[/] (in {which}):")
        for effect in audit.effects:
            console.print(f"  {effect.address} (line {effect.line})")
            console.print(f"    glibc:   {escape(effect.glibc)}")
            console.print(f"    musl:    {escape(effect.musl)}")
            console.print(f"    CoreDNS: {escape(effect.coredns)}")
    render_kernel(audit.kernel, console)
    render_probe(audit.probe, console)
    for refusal in audit.refused:
        console.print(f"[yellow]refused[/] {escape(refusal)}")
    render_findings(report, console, min_severity, nothing="No DNS problems found on this node.")


def _container_files(audit: NodeAudit, console: Console) -> None:
    """Containers' and pods' own resolv.conf files, each traced like the host's."""
    scan = getattr(audit.provenance[0], "containers", None) if audit.provenance else None
    files = getattr(scan, "files", None) or []
    if files:
        console.print(f"[bold]Container and pod resolv.conf files[/] ({len(files)}):")
    for found in files:
        edited = " (edited inside the container)" if found.edited else ""
        console.print("  " + escape(f"{found.owner} ({found.runtime}, {found.network}){edited}"))
        _provenance(found.prov, console, indent="    ")


def _kubelet_line(audit: NodeAudit, console: Console) -> None:
    kubelet = audit.kubelet
    if kubelet is None:
        return
    if not kubelet.kubelet_found:
        console.print("kubelet resolvConf: no kubelet configuration under this root")
        return
    where = kubelet.source or "kubelet's default"
    shown = kubelet.path or '"" (no resolv.conf: Default pods get no nameservers)'
    console.print(f"[bold]kubelet resolvConf: {escape(shown)}[/] (from {escape(where)})")


def _provenance(prov: Any, console: Console, indent: str) -> None:
    chain = (
        " -> ".join([prov.asked, *(h.target for h in prov.resolved.chain)])
        if prov.resolved
        else prov.asked
    )
    console.print(f"{indent}[bold]{escape(chain)}[/]")
    console.print(f"{indent}  {escape(prov.manager)}: {escape(prov.regenerated)}")
    if prov.conf is None:
        console.print(f"{indent}  [yellow]not readable under this root[/]")
        return
    for note_view in (prov.conf.glibc, prov.conf.musl):
        for note in note_view.notes:
            console.print(f"{indent}  line {note.line} ({note_view.libc}): {escape(note.note)}")
    for entry in prov.entries:
        console.print(f"{indent}  line {entry.line}: {entry.kind} {escape(entry.value)}")
        if not entry.origins:
            console.print(f"{indent}    <- {_no_origin(prov.manager)}")
        for origin in entry.origins:
            console.print(f"{indent}    <- {escape(origin.where)} ({escape(origin.mechanism)})")
    if prov.upstream is not None:
        console.print(f"{indent}  the stub forwards to the servers in:")
        _provenance(prov.upstream, console, indent + "    ")


def _no_origin(manager: str) -> str:
    if manager.startswith("systemd-resolved"):
        return "systemd-resolved's own (its stub address or options)"
    if manager == "plain file":
        return "no source file found: written into the file itself"
    return "no source file found under this root"
