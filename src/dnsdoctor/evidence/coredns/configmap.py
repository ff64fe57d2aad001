"""The Corefile inside a ConfigMap: `kubectl get cm coredns -n kube-system -o yaml` (or `-o json`,
a `kind: List`, or a multi-document manifest such as nodelocaldns.yaml).

The ConfigMap's `data.Corefile` is the Corefile, at /etc/coredns/Corefile as the Deployment
mounts it; its other keys sit beside it (/etc/coredns/NodeHosts) and a `*-custom` ConfigMap
(AKS's and k3s's `coredns-custom`) under /etc/coredns/custom/, where their `import custom/*.server`
lines look. When the Corefile is a literal block (`Corefile: |`), file:line evidence points
at the YAML file's own lines; otherwise at `FILE (data.KEY)` and the line inside the value.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns.corefile import (
    DEFAULT_MOUNT_DIR,
    Corefile,
    parse_corefile,
    read_text,
)
from dnsdoctor.evidence.coredns.corefile_files import MappedFiles
from dnsdoctor.evidence.coredns.corefile_syntax import SourceFile

PREFERRED_NAMES = ("coredns", "node-local-dns")
CUSTOM_DIR = posixpath.join(DEFAULT_MOUNT_DIR, "custom")


@dataclass(frozen=True)
class ConfigMapData:
    name: str
    namespace: str
    files: tuple[tuple[str, SourceFile], ...]  # (data key, the file as evidence names it)


def load_configmap(
    source: str | Path,
    *,
    extra: Sequence[str | Path] = (),
    name: str | None = None,
    environ: Mapping[str, str] | None = None,
    pillars: Mapping[str, str] | None = None,
) -> Corefile:
    """The Corefile of the ConfigMap named `name` (default: `coredns`, then `node-local-dns`,
    then the first with a Corefile), with imports resolved among every ConfigMap given."""
    maps = read_configmaps(source)
    for more in extra:
        maps += read_configmaps(more)
    main = _choose(maps, name, _label(source))
    files = [_mounted(main, DEFAULT_MOUNT_DIR, key, f) for key, f in main.files]
    for other in maps:
        if other is not main and other.name.endswith("-custom"):
            files += [_mounted(other, CUSTOM_DIR, key, f) for key, f in other.files]
    top = next(f for f in files if f.name == posixpath.join(DEFAULT_MOUNT_DIR, "Corefile"))
    return parse_corefile(top, MappedFiles(files), environ=environ, pillars=pillars)


def read_configmaps(source: str | Path) -> list[ConfigMapData]:
    label = _label(source)
    text = read_text(Path(source)) if _is_path(source) else str(source)
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        raise InputError(
            f"{where}: not YAML or JSON ({getattr(exc, 'problem', None) or exc})",
            path=label,
            hint="give `kubectl get cm coredns -n kube-system -o yaml` output, or the Corefile",
        ) from exc
    found: list[ConfigMapData] = []
    for document in documents:
        for node in _objects(document):
            configmap = _configmap(node, label)
            if configmap is not None:
                found.append(configmap)
    return found


def _is_path(source: str | Path) -> bool:
    return isinstance(source, Path) or ("\n" not in source and ":" not in source.split("/")[-1])


def _label(source: str | Path) -> str:
    return str(source) if _is_path(source) else "<configmap>"


def _objects(node: yaml.Node | None) -> list[yaml.MappingNode]:
    """The Kubernetes objects in one document: itself, or the items of a `kind: List`."""
    if not isinstance(node, yaml.MappingNode):
        return []
    fields = _fields(node)
    items = fields.get("items")
    if _scalar(fields.get("kind")) == "List" and isinstance(items, yaml.SequenceNode):
        return [n for n in items.value if isinstance(n, yaml.MappingNode)]
    return [node]


def _fields(node: yaml.MappingNode) -> dict[str, yaml.Node]:
    return {str(k.value): v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _configmap(node: yaml.MappingNode, label: str) -> ConfigMapData | None:
    fields = _fields(node)
    data = fields.get("data")
    if _scalar(fields.get("kind")) not in ("ConfigMap", "") or not isinstance(
        data, yaml.MappingNode
    ):
        return None
    metadata = fields.get("metadata")
    meta = _fields(metadata) if isinstance(metadata, yaml.MappingNode) else {}
    files = []
    for key, value in _fields(data).items():
        if isinstance(value, yaml.ScalarNode):
            files.append((key, _source(label, key, value)))
    return ConfigMapData(_scalar(meta.get("name")), _scalar(meta.get("namespace")), tuple(files))


def _source(label: str, key: str, value: yaml.ScalarNode) -> SourceFile:
    text = str(value.value)
    if value.style == "|":
        # A literal block keeps every line: line 1 of the value is the line after `KEY: |`.
        return SourceFile(key, label, text, line_offset=value.start_mark.line + 1)
    return SourceFile(key, f"{label} (data.{key})", text)


def _choose(maps: list[ConfigMapData], name: str | None, label: str) -> ConfigMapData:
    with_corefile = [m for m in maps if any(k == "Corefile" for k, _ in m.files)]
    for wanted in (name,) if name else PREFERRED_NAMES:
        for configmap in with_corefile:
            if configmap.name == wanted:
                return configmap
    if with_corefile and not name:
        return with_corefile[0]
    which = f"named {name!r} " if name else ""
    raise InputError(
        f"{label}: no ConfigMap {which}with a data.Corefile key",
        path=label,
        hint="give `kubectl get cm coredns -n kube-system -o yaml` output, or the Corefile itself",
    )


def _mounted(configmap: ConfigMapData, folder: str, key: str, source: SourceFile) -> SourceFile:
    display = source.display
    if source.line_offset == 0 and configmap.name:
        display = display.replace(f"(data.{key})", f"(configmap {configmap.name}, data.{key})")
    return SourceFile(posixpath.join(folder, key), display, source.text, source.line_offset)
