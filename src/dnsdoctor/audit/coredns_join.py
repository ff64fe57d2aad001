"""Where an upstream address comes from: the Corefile's forward line, then the node's files.

The Corefile reader (`evidence/coredns/corefile.py`) and the node audit (`audit/node.py`) are
built separately; both are used when present and this module degrades to what it can read itself
when they are not (a plain scan of the usual resolv.conf sources under `--node-root`).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.coredns.classify import host_of
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
_MAX_BYTES = 1 << 20


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


def load_corefile_guarded(
    path: str,
    extra: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    pillars: Mapping[str, str] | None = None,
) -> Any:
    """The parsed Corefile or ConfigMap, or None when the reader is not part of this build.
    `extra` ConfigMaps (coredns-custom) feed the main one's `import` lines; `environ` and
    `pillars` fill `{$ENV}` and NodeLocal's `__PILLAR__X__` placeholders."""
    configmap = _looks_like_configmap(path)
    if extra and not configmap:
        raise UsageError(
            f"--configmap-extra needs the coredns ConfigMap as --corefile, and {path} is a "
            "plain Corefile",
            hint="kubectl -n kube-system get cm coredns -o yaml > coredns.yaml",
        )
    module_name, function = (
        ("configmap", "load_configmap") if configmap else ("corefile", "load_corefile")
    )
    try:
        module = importlib.import_module(f"dnsdoctor.evidence.coredns.{module_name}")
    except ImportError:
        return None
    loader = getattr(module, function, None)
    if loader is None:
        return None
    options: dict[str, Any] = {"environ": environ, "pillars": pillars}
    if configmap:
        options["extra"] = list(extra)
    return loader(path, **options)


def _looks_like_configmap(path: str) -> bool:
    """`kubectl get cm coredns -o yaml|json` rather than a Corefile (sniffs the first 4 KiB)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False  # the Corefile reader reports the unreadable file
    compact = head.replace(" ", "").replace('"', "")
    return "kind:ConfigMap" in compact or ("apiVersion:" in compact and "Corefile" in compact)


def audit_node_guarded(root: str) -> Any:
    """The node audit of `root`, or None when `audit/node.py` is not part of this build."""
    try:
        module = importlib.import_module("dnsdoctor.audit.node")
    except ImportError:
        return None
    result = module.audit_node(root)
    if isinstance(result, tuple):  # (Report, NodeAudit)
        return next((r for r in result if hasattr(r, "provenance")), None)
    return result


def corefile_origins(corefile: Any, address: str) -> list[Origin]:
    """Forward/proxy lines of the Corefile that name `address`, or read /etc/resolv.conf."""
    found = []
    host = host_of(address)
    specs = _call(corefile, "forward_upstreams") or []
    for spec in specs:
        targets = _first_attr(spec, ("to", "upstreams", "targets")) or ()
        for target in targets:
            text = str(_first_attr(target, ("address", "text", "raw", "host")) or target)
            location = _first_attr(target, ("location", "where")) or _first_attr(
                spec, ("location", "where")
            )
            path = str(_first_attr(location, ("path", "display", "file")) or "Corefile")
            line = int(_first_attr(location, ("line",)) or 0)
            if host in text or text.endswith("resolv.conf"):
                how = (
                    "Corefile forward to the pod's resolv.conf"
                    if "resolv" in text
                    else "Corefile forward"
                )
                found.append(Origin(path, line, f"forward ... {text}", how))
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
    found = []
    real_root = os.path.realpath(root)
    for relative in NODE_SOURCES:
        path = os.path.realpath(os.path.join(real_root, relative))
        if not path.startswith(real_root + os.sep) or not os.path.isfile(path):
            continue  # a symlink out of the root is not the node's file
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read(_MAX_BYTES)
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            words = line.split("#", 1)[0].split()
            if len(words) >= 2 and words[0] == "nameserver" and words[1] == host:
                found.append(Origin("/" + relative, number, line.strip(), "node file"))
    return found


def _call(obj: Any, name: str) -> Any:
    method = getattr(obj, name, None)
    return method() if callable(method) else method


def _first_attr(obj: Any, names: tuple[str, ...]) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


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
