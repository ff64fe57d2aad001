"""Image tarballs (`docker save`, OCI image layout) read as one merged tree, never extracted.

The layers are applied in order into an in-memory index (path -> layer and member). A
`.wh.NAME` entry deletes NAME (and everything below it) from the lower layers, a
`.wh..wh..opq` entry hides every lower-layer entry of its directory; both apply before the
layer's own entries. Member names are normalised and any with `..` is refused. `ImageTree`
then offers the small read API of `SafeRoot` (symlinks resolved inside the image, bounded
reads, regular files only), so the same scanner reads a directory root and an image.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node.libc import LibcReport

MAX_LAYERS = 128
MAX_MEMBERS = 500_000  # entries across all layers
MAX_SYMLINKS = 40
MAX_JSON = 4 << 20
WHITEOUT = ".wh."
# What a damaged archive or layer raises while being read.
DAMAGE = (tarfile.TarError, OSError, EOFError, zlib.error)
OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True, slots=True)
class Entry:
    layer: int
    member: tarfile.TarInfo


@dataclass(frozen=True, slots=True)
class ImagePath:
    path: str


class ImageTree:
    """The merged file tree of an image tarball's layers."""

    def __init__(self, tarball: Path) -> None:
        self.path = str(tarball)
        self.refused: list[str] = []
        try:
            self._outer = tarfile.open(tarball, "r:*")  # noqa: SIM115 - closed in close()
        except (OSError, tarfile.TarError) as exc:
            raise InputError(
                f"{tarball}: not a readable tar archive ({exc})",
                path=str(tarball),
                hint="give a `docker save` tarball or an OCI image layout packed with tar",
            ) from exc
        self._layers: list[tarfile.TarFile] = []
        self.entries: dict[str, Entry] = {}
        try:
            for name in layer_names(self._outer, tarball):
                self._apply(self._open_layer(name, tarball))
        except DAMAGE as exc:
            self.close()
            raise InputError(f"{tarball}: damaged archive ({exc})", path=str(tarball)) from exc
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        for layer in self._layers:
            layer.close()
        self._outer.close()

    def __enter__(self) -> ImageTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open_layer(self, name: str, tarball: Path) -> tarfile.TarFile:
        if len(self._layers) >= MAX_LAYERS:
            raise InputError(f"{tarball}: more than {MAX_LAYERS} layers", path=str(tarball))
        raw = _member_file(self._outer, name, tarball)
        try:
            layer = tarfile.open(fileobj=raw, mode="r:*")  # noqa: SIM115 - closed in close()
        except tarfile.TarError as exc:
            raise InputError(f"{tarball}: layer {name} is not a tar ({exc})") from exc
        self._layers.append(layer)
        return layer

    def _apply(self, layer: tarfile.TarFile) -> None:
        index = len(self._layers) - 1
        own: dict[str, Entry] = {}
        for member in layer:
            if len(self.entries) + len(own) >= MAX_MEMBERS:
                self.refused.append(f"more than {MAX_MEMBERS} entries; the rest ignored")
                break
            path = _normalise(member.name)
            if path is None:
                self.refused.append(f"{member.name}: escapes the image root; ignored")
                continue
            directory, leaf = posixpath.split(path)
            if leaf == OPAQUE:
                self._delete_below(directory)
            elif leaf.startswith(WHITEOUT):
                self._delete(posixpath.join(directory, leaf[len(WHITEOUT) :]))
            else:
                own[path] = Entry(index, member)
        self.entries.update(own)

    def _delete(self, path: str) -> None:
        self.entries.pop(path, None)
        self._delete_below(path)

    def _delete_below(self, directory: str) -> None:
        prefix = directory.rstrip("/") + "/"
        for key in [k for k in self.entries if k.startswith(prefix)]:
            del self.entries[key]

    # -- the SafeRoot-like read API -------------------------------------------------------------

    def resolve(self, rel: str) -> ImagePath | None:
        path = self._follow(rel)
        return None if path is None else ImagePath(path)

    def is_file(self, rel: str) -> bool:
        entry = self._final(rel)
        return entry is not None and (entry.member.isfile() or entry.member.islnk())

    def read_bytes(self, rel: str, limit: int, *, partial: bool = False) -> bytes | None:
        entry = self._final(rel)
        hops = 0
        while entry is not None and entry.member.islnk() and hops < MAX_SYMLINKS:
            hops += 1  # a hard link names another member of the image
            entry = self.entries.get(_normalise(entry.member.linkname) or "")
        if entry is None or not entry.member.isfile():
            return None
        if entry.member.size > limit and not partial:
            self.refused.append(f"{rel}: {entry.member.size} bytes, over the {limit}-byte limit")
            return None
        handle = self._layers[entry.layer].extractfile(entry.member)
        return handle.read(limit) if handle is not None else None

    def listdir(self, rel: str, limit: int = 1000) -> list[str] | None:
        path = self._follow(rel)
        if path is None:
            return None
        prefix = "" if path == "/" else path + "/"
        names = sorted(
            {k[len(prefix) :].split("/", 1)[0] for k in self.entries if k.startswith(prefix)} - {""}
        )
        return names[:limit] if names or path == "/" or path in self.entries else None

    def _final(self, rel: str) -> Entry | None:
        path = self._follow(rel)
        return None if path is None else self.entries.get(path)

    def _follow(self, rel: str) -> str | None:
        """Resolve every symlink on the way, inside the image; `..` stops at the root."""
        pending = [p for p in rel.split("/") if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            current = "/" + "/".join([*done, part])
            entry = self.entries.get(current)
            if entry is not None and entry.member.issym():
                hops += 1
                if hops > MAX_SYMLINKS:
                    self.refused.append(f"{rel}: more than {MAX_SYMLINKS} symlinks")
                    return None
                target = entry.member.linkname
                if target.startswith("/"):
                    done = []
                pending[:0] = [p for p in target.split("/") if p not in ("", ".")]
                continue
            done.append(part)
        return "/" + "/".join(done)


def _normalise(name: str) -> str | None:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/" + "/".join(parts)


def _member_file(outer: tarfile.TarFile, name: str, tarball: Path) -> IO[bytes]:
    try:
        member = outer.getmember(name)
        handle = outer.extractfile(member)
    except (KeyError, tarfile.TarError) as exc:
        raise InputError(f"{tarball}: {name} is listed but not in the archive") from exc
    if handle is None:
        raise InputError(f"{tarball}: {name} is not a regular file")
    return handle


def _json(outer: tarfile.TarFile, name: str, tarball: Path) -> Any:
    handle = _member_file(outer, name, tarball)
    try:
        return json.loads(handle.read(MAX_JSON))
    except ValueError as exc:
        raise InputError(f"{tarball}: {name} is not valid JSON ({exc})") from exc


def layer_names(outer: tarfile.TarFile, tarball: Path) -> list[str]:
    """The layer members, lowest first: from `manifest.json` (docker save) or `index.json` (OCI)."""
    names = set(outer.getnames())
    if "manifest.json" in names:
        manifest = _json(outer, "manifest.json", tarball)
        if isinstance(manifest, list) and manifest and isinstance(manifest[0], dict):
            layers = manifest[0].get("Layers")
            if isinstance(layers, list) and all(isinstance(x, str) for x in layers):
                return layers
    if "index.json" in names:
        return _oci_layers(outer, tarball, _json(outer, "index.json", tarball), depth=0)
    raise InputError(
        f"{tarball}: neither manifest.json nor index.json found",
        path=str(tarball),
        hint="give a `docker save` tarball or an OCI image layout packed with tar",
    )


def _oci_layers(outer: tarfile.TarFile, tarball: Path, index: Any, depth: int) -> list[str]:
    manifests = index.get("manifests") if isinstance(index, dict) else None
    if not isinstance(manifests, list) or not manifests or depth > 2:
        raise InputError(f"{tarball}: index.json lists no manifest")
    described = [m for m in manifests if isinstance(m, dict)]
    if not described:
        raise InputError(f"{tarball}: index.json lists no manifest")
    chosen = next(
        (m for m in described if _architecture(m) == "amd64"),
        described[0],
    )
    document = _json(outer, _blob(chosen.get("digest")), tarball)
    if isinstance(document, dict) and "manifests" in document:  # nested (multi-platform)
        return _oci_layers(outer, tarball, document, depth + 1)
    layers = document.get("layers") if isinstance(document, dict) else None
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise InputError(f"{tarball}: manifest {chosen.get('digest')} has no layers")
    return [_blob(layer.get("digest")) for layer in layers]


def _architecture(descriptor: dict[str, Any]) -> Any:
    platform = descriptor.get("platform")
    return platform.get("architecture") if isinstance(platform, dict) else None


def _blob(digest: object) -> str:
    algorithm, _, hexdigest = str(digest).partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def scan_image(report: LibcReport, tarball: Path) -> None:
    """Add the image's scope to `report` (an unreadable image is an error entry, not a crash)."""
    from dnsdoctor.evidence.node.libc_scan import scan_tree

    try:
        with ImageTree(tarball) as tree:
            report.scopes.append(scan_tree(tree, f"image {tarball.name}", "image"))
    except InputError as exc:
        report.errors.append(str(exc))
    except DAMAGE as exc:  # a layer damaged past the index, found while reading a file
        report.errors.append(f"{tarball}: damaged archive ({exc})")
