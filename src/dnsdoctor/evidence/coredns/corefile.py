"""A CoreDNS Corefile, parsed with file:line for every server block, plugin and argument.

    corefile = load_corefile("Corefile")                    # a file; imports read beside it
    corefile = load_corefile(text, path="<stdin>")          # text
    corefile = load_configmap("coredns-cm.yaml")            # `kubectl get cm coredns -o yaml`
    for fwd in corefile.forward_upstreams(): ...            # forward/proxy: from, to, file:line

Placeholders: `{$VAR}` is resolved only from `environ` when given (we do not know CoreDNS's
environment); NodeLocal DNSCache's `__PILLAR__X__` only from `pillars`. Unresolved ones stay in
the text and are listed in `placeholders`, so the analysis says what it could not know.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns.corefile_files import DiskFiles, MappedFiles
from dnsdoctor.evidence.coredns.corefile_forward import ForwardSpec, Upstream, forward_specs
from dnsdoctor.evidence.coredns.corefile_syntax import (
    MAX_FILE_BYTES,
    CorefileError,
    Defect,
    FileSet,
    ImportRecord,
    LexContext,
    Location,
    Placeholder,
    SourceFile,
    lex,
)
from dnsdoctor.evidence.coredns.corefile_tree import Directive, ServerBlock, ServerKey, TreeParser

# What fills each NodeLocal DNSCache placeholder (kubernetes/dns cmd/node-cache/app/configmap.go
# and the NodeLocal DNSCache task page): the admin's sed before `kubectl apply`, or node-cache.
PILLAR_FILLED_BY = {
    "__PILLAR__DNS__DOMAIN__": "you, with sed, before applying nodelocaldns.yaml (node-cache never fills it)",
    "__PILLAR__LOCAL__DNS__": "node-cache at start, from its -localip flag (usually 169.254.20.10)",
    "__PILLAR__DNS__SERVER__": "node-cache at start (removed when left), or you with sed (kube-dns IP)",
    "__PILLAR__CLUSTER__DNS__": "node-cache at start: the kube-dns-upstream Service's ClusterIP",
    "__PILLAR__UPSTREAM__SERVERS__": "node-cache at start: upstreamNameservers of the kube-dns ConfigMap, else /etc/resolv.conf",
}
NODELOCAL_ADDRESS = "169.254.20.10"
DEFAULT_MOUNT_DIR = "/etc/coredns"


@dataclass(frozen=True)
class Corefile:
    path: str  # how evidence names the top file
    servers: tuple[ServerBlock, ...]
    snippets: Mapping[str, Location]
    imports: tuple[ImportRecord, ...]
    placeholders: tuple[Placeholder, ...]
    defects: tuple[Defect, ...]

    def forward_upstreams(self) -> list[ForwardSpec]:
        """Per server block, each forward/proxy plugin: its `from` zone, its `to` targets with
        file:line, and its options. What the log/metric join ties a failing upstream to."""
        return forward_specs(self.servers)

    def plugins(self, name: str) -> list[tuple[ServerBlock, Directive]]:
        return [(s, p) for s in self.servers for p in s.plugins_named(name)]

    def unresolved(self, kind: str | None = None) -> list[Placeholder]:
        return [p for p in self.placeholders if p.value is None and kind in (None, p.kind)]

    @property
    def is_nodelocal(self) -> bool:
        """NodeLocal DNSCache's Corefile: its placeholders, or a bind on its link-local address."""
        if any(p.kind == "pillar" for p in self.placeholders):
            return True
        return any(NODELOCAL_ADDRESS in b.arg_texts for _, b in self.plugins("bind"))


def load_corefile(
    source: str | Path,
    *,
    path: str | None = None,
    environ: Mapping[str, str] | None = None,
    pillars: Mapping[str, str] | None = None,
    mount_dir: str | None = None,
) -> Corefile:
    """Parse a Corefile from a file path (a `Path`, or a `str` naming an existing file) or from
    text (a `str` with a newline, or with `path=` naming it). Imports are read from the file's
    directory, which stands for `mount_dir` in the container (default: the directory itself)."""
    if isinstance(source, Path) or (path is None and "\n" not in source and "{" not in source):
        local = Path(source)
        text = read_text(local)
        if looks_like_kubernetes_object(text):
            return load_configmap(local, environ=environ, pillars=pillars)
        folder = local.resolve().parent
        files = DiskFiles(folder, mount_dir or folder.as_posix())
        top = SourceFile(files.container_path(local), str(local), text)
        return parse_corefile(top, files, environ=environ, pillars=pillars)
    name = posixpath.join(mount_dir or DEFAULT_MOUNT_DIR, "Corefile")
    top = SourceFile(name, path or "<text>", source)
    return parse_corefile(top, MappedFiles([]), environ=environ, pillars=pillars)


def load_configmap(source: str | Path, **options: Any) -> Corefile:
    """The Corefile inside a ConfigMap: see `configmap.load_configmap` (also here so that one
    module offers both loaders)."""
    from dnsdoctor.evidence.coredns.configmap import load_configmap as load

    return load(source, **options)


def looks_like_kubernetes_object(text: str) -> bool:
    """A ConfigMap in YAML or JSON: no Corefile starts with `apiVersion:`/`kind:` or a JSON `{`."""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped == "---":
            continue
        if stripped.startswith(("apiVersion:", "kind:", "metadata:", "data:")):
            return True
        return stripped.startswith("{") and '"kind"' in text[:100_000]
    return False


def parse_corefile(
    top: SourceFile,
    files: FileSet,
    *,
    environ: Mapping[str, str] | None = None,
    pillars: Mapping[str, str] | None = None,
) -> Corefile:
    ctx = LexContext(environ, pillars)
    result = TreeParser(lex(top, ctx), files, ctx).parse()
    _check_duplicate_keys(result.servers, ctx)
    return Corefile(
        top.display,
        tuple(result.servers),
        dict(result.snippets),
        tuple(result.imports),
        tuple(ctx.placeholders),
        tuple(ctx.defects),
    )


def read_text(local: Path) -> str:
    try:
        with local.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(
            f"cannot read {local}: {exc.strerror or exc}",
            path=str(local),
            hint="give the Corefile's path, or the ConfigMap YAML with --configmap",
        ) from exc
    if len(data) > MAX_FILE_BYTES:
        raise CorefileError(f"{local} is larger than {MAX_FILE_BYTES} bytes", path=str(local))
    return data.decode("utf-8", errors="replace")


def _check_duplicate_keys(servers: list[ServerBlock], ctx: LexContext) -> None:
    """CoreDNS refuses to serve one zone on one port twice, unless `bind` separates them."""
    seen: dict[tuple[str, int | None, tuple[str, ...]], ServerKey] = {}
    for server in servers:
        binds = tuple(sorted(a for b in server.plugins_named("bind") for a in b.arg_texts))
        for key in server.keys:
            ident = (key.zone, key.port, binds)
            if ident in seen:
                first = seen[ident]
                message = f"{key.text} is served twice (first at {first.location}): CoreDNS refuses to start"
                ctx.defects.append(Defect(key.location, message, fatal=True))
            else:
                seen[ident] = key


__all__ = [
    "Corefile",
    "CorefileError",
    "Defect",
    "Directive",
    "ForwardSpec",
    "ImportRecord",
    "Location",
    "Placeholder",
    "ServerBlock",
    "ServerKey",
    "Upstream",
    "load_configmap",
    "load_corefile",
    "parse_corefile",
]
