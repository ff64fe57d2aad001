"""Where an upstream address comes from: the Corefile's forward line, then the node's files.

The node's side comes from the node audit (`audit/node.py`); a node report read back from JSON
(`--node-report`) or a root the audit cannot use falls back to a plain scan of the usual
resolv.conf sources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dnsdoctor.audit.node import audit_node
from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.coredns.classify import host_of
from dnsdoctor.evidence.coredns.configmap import load_configmap
from dnsdoctor.evidence.coredns.corefile import Corefile, load_corefile
from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.model import LineEvidence

# Files that put nameservers into a node's resolv.conf (what kubelet hands CoreDNS with
# dnsPolicy: Default), checked by the fallback scan when the node audit is not available.
NODE_SOURCES = (
    "etc/resolv.conf",
    "run/systemd/resolve/resolv.conf",
    "run/resolvconf/resolv.conf",
    "etc/resolvconf/resolv.conf.d/head",
    "etc/resolvconf/resolv.conf.d/base",
    "etc/resolvconf/resolv.conf.d/tail",
    "etc/resolvconf/resolv.conf.d/original",
)


@dataclass(frozen=True, slots=True)
class Origin:
    path: str
    line: int
    text: str
    how: str  # "Corefile forward", "node file", or the node audit's mechanism

    def evidence(self) -> LineEvidence:
        return LineEvidence(self.path, self.line, self.text, self.how)

    def phrase(self) -> str:
        return f"{self.path} line {self.line} ({self.how})"


def load_corefile_input(
    path: str,
    extra: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    pillars: Mapping[str, str] | None = None,
) -> Corefile:
    """The parsed Corefile, from a Corefile or the coredns ConfigMap (sniffed from the content).
    `extra` ConfigMaps (coredns-custom) feed the main one's `import` lines; `environ` and
    `pillars` fill `{$ENV}` and NodeLocal's `__PILLAR__X__` placeholders."""
    configmap = _looks_like_configmap(path)
    if extra and not configmap:
        raise UsageError(
            f"--configmap-extra needs the coredns ConfigMap as --corefile, and {path} is a "
            "plain Corefile",
            hint="kubectl -n kube-system get cm coredns -o yaml > coredns.yaml",
        )
    options: dict[str, Any] = {"environ": environ, "pillars": pillars}
    if configmap:
        return load_configmap(path, extra=list(extra), **options)
    return load_corefile(path, **options)


def _looks_like_configmap(path: str) -> bool:
    """`kubectl get cm coredns -o yaml|json` rather than a Corefile (sniffs the first 4 KiB)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False  # the Corefile reader reports the unreadable file
    compact = head.replace(" ", "").replace('"', "")
    return "kind:ConfigMap" in compact or ("apiVersion:" in compact and "Corefile" in compact)


def node_audit_of(root: str) -> NodeAudit:
    """The node audit of `root` (its findings belong to `dnsdoctor node`; only the evidence is kept)."""
    return audit_node(root)[1]


def corefile_origins(corefile: Corefile, address: str) -> list[Origin]:
    """Forward/proxy lines of the Corefile that name `address`, or read /etc/resolv.conf."""
    found = []
    host = host_of(address)
    for spec in corefile.forward_upstreams():
        for target in spec.to:
            text = target.address
            if host in text or text.endswith("resolv.conf"):
                how = (
                    "Corefile forward to the pod's resolv.conf"
                    if "resolv" in text
                    else "Corefile forward"
                )
                where = target.location
                found.append(Origin(where.path, where.line, f"forward ... {text}", how))
    return found


def node_origins(node: Any, root: str | None, address: str) -> list[Origin]:
    """Lines on the node that put `address` into resolv.conf: the node audit's traced entries
    (the effective file's line, then the files that put it there), else a scan of NODE_SOURCES
    under `root`."""
    host = host_of(address)
    found: list[Origin] = []
    for prov in _iter(getattr(node, "provenance", None)):
        asked = str(getattr(prov, "asked", "/etc/resolv.conf"))
        for entry in _iter(getattr(prov, "entries", None)):
            if getattr(entry, "kind", "") != "nameserver" or getattr(entry, "value", "") != host:
                continue
            found.append(Origin(asked, int(entry.line), f"nameserver {host}", "node resolv.conf"))
            found += [
                Origin(
                    str(claim.path),
                    int(claim.line),
                    str(getattr(claim, "text", "")),
                    str(getattr(claim, "mechanism", "node file")),
                )
                for claim in _iter(getattr(entry, "origins", None))
            ]
    if found or root is None:
        return found
    return scan_node_files(root, host)


def scan_node_files(root: str, host: str) -> list[Origin]:
    """`nameserver host` lines in NODE_SOURCES, read through the node audit's safe root reader
    (symlinks followed as if chrooted, nothing outside the root)."""
    found = []
    with SafeRoot(root) as safe:
        for relative in NODE_SOURCES:
            text = safe.read_text("/" + relative)
            for number, line in enumerate((text or "").splitlines(), start=1):
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and words[0] == "nameserver" and words[1] == host:
                    found.append(Origin("/" + relative, number, line.strip(), "node file"))
    return found


def _iter(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [
            c for group in value.values() for c in (group if isinstance(group, list) else [group])
        ]
    try:
        return list(value)
    except TypeError:
        return []


def origins_of(bundle: Any, address: str) -> list[Origin]:
    """Corefile lines first (how CoreDNS reaches the address), then the node's files."""
    found: list[Origin] = []
    if getattr(bundle, "corefile", None) is not None:
        found += corefile_origins(bundle.corefile, address)
    node = getattr(bundle, "node", None)
    if node is not None:
        found += node_origins(node, getattr(node, "root", None), address)
    return found


def provenance_phrase(origins: list[Origin]) -> str:
    if not origins:
        return ""
    return "; it comes from " + ", then ".join(o.phrase() for o in origins[:3])
