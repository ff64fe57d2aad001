"""The resolv.conf files container runtimes write on a host, each traced like the host's own.

Docker writes `<data-root>/containers/<id>/resolv.conf` (`docker_sources.py`); kubelet, through
containerd's CRI plugin, writes `/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/<id>/
resolv.conf` for every pod sandbox (`cri_sources.py`). Both are built from the host's file, so
their claims include the host file's lines *and* those lines' own origins: a stray server in a
pod's file leads back to the node image's file:line, not only to "copied from the host".

A claim whose mechanism starts with "written by" is the runtime's own doing (its embedded DNS,
its public fallback, a copy): never taken for a static configuration file by DD301.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.evidence.node.sources import Claim

MAX_JSON = 1 << 20
LOOPBACK_V4 = "127."

Tracer = Callable[..., Any]  # provenance.trace(root, asked, claims, depth) -> Provenance


@dataclass(slots=True)
class ContainerFile:
    """One runtime-written resolv.conf and whom it belongs to."""

    runtime: str  # "docker" | "containerd"
    ident: str  # container or sandbox id
    owner: str  # "container web-1" / "pod kube-system/coredns-5d78c9869d-abcde"
    network: str  # "default bridge", "user-defined network app_net", "host", "pod network"
    prov: Any  # provenance.Provenance of the file, owner set
    edited: bool | None = None  # Docker: changed since dockerd wrote it (resolv.conf.hash)

    def to_dict(self) -> dict[str, object]:
        return {
            "runtime": self.runtime,
            "id": self.ident,
            "owner": self.owner,
            "network": self.network,
            "edited_since_written": self.edited,
            "provenance": self.prov.to_dict(),
        }


@dataclass(slots=True)
class ContainerScan:
    """What the runtimes on this root do with DNS; rules DD301 and DD310 read it."""

    docker_found: bool = False
    docker_reads: str = ""  # the host file dockerd builds containers' files from
    loopback_only: bool = False  # that file has no usable (non-loopback IPv4) server
    loopback_lines: list[Claim] = field(default_factory=list)  # its loopback nameserver lines
    daemon_dns: list[Claim] = field(default_factory=list)  # daemon.json dns / dns-search / opts
    files: list[ContainerFile] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "docker_found": self.docker_found,
            "docker_reads": self.docker_reads,
            "docker_host_loopback_only": self.loopback_only,
            "daemon_dns": [c.to_dict() for c in self.daemon_dns],
            "files": [f.to_dict() for f in self.files],
        }


@dataclass(frozen=True, slots=True)
class JsonDoc:
    """A JSON file parsed twice: as data, and as a YAML node tree for line numbers."""

    path: str
    data: Any
    node: Any
    lines: list[str]

    def claims(self, key: str, kind: str, how: str) -> list[Claim]:
        """One claim per string in the top-level list (or string) `key`, with its line."""
        if not isinstance(self.node, yaml.MappingNode):
            return []
        found = []
        for k, value in self.node.value:
            if getattr(k, "value", None) != key:
                continue
            items = value.value if isinstance(value, yaml.SequenceNode) else [value]
            for item in items:
                if isinstance(item, yaml.ScalarNode) and item.value:
                    number = item.start_mark.line + 1
                    text = self.lines[number - 1].strip() if number <= len(self.lines) else ""
                    found.append(Claim(kind, str(item.value), self.path, number, text, how))
        return found

    def line_of(self, key: str) -> int:
        if isinstance(self.node, yaml.MappingNode):
            for k, _value in self.node.value:
                if getattr(k, "value", None) == key:
                    return int(k.start_mark.line) + 1
        return 0


def read_json(root: SafeRoot, path: str) -> JsonDoc | None:
    text = root.read_text(path, MAX_JSON)
    if text is None:
        return None
    try:
        data = json.loads(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (ValueError, yaml.YAMLError):
        return None  # damaged runtime metadata: the file is traced without it
    return JsonDoc(path, data, node, text.splitlines())


def copied_claims(prov: Any, how: str) -> list[Claim]:
    """The lines of a traced host file as a runtime copies them, plus their own origins."""
    claims: list[Claim] = []
    if prov is None or prov.conf is None:
        return claims
    for entry in prov.entries:
        text = prov.conf.line_text(entry.line)
        claims.append(Claim(entry.kind, entry.value, prov.path, entry.line, text, how))
        claims += list(entry.origins)
    return claims


def is_loopback(address: str) -> bool:
    return address.startswith(LOOPBACK_V4) or address in ("::1", "0:0:0:0:0:0:0:1")


def collect(root: SafeRoot, host: Any, trace: Tracer) -> ContainerScan:
    """Every runtime-written resolv.conf under the root, traced (never raises)."""
    from dnsdoctor.evidence.node import cri_sources, docker_sources  # they import this module

    result = ContainerScan()
    docker_sources.scan(root, host, trace, result)
    result.files += cri_sources.scan(root, host, trace)
    return result
