"""Where `import` finds files: a directory on this machine, or the keys of ConfigMaps.

Paths are those CoreDNS sees inside its container. A Corefile on disk stands for its mount
directory (by default its own directory), and only files under that directory are read: an
import that points elsewhere names a file in the CoreDNS container, not on this machine, and is
reported instead of read. Globs follow Go's `filepath.Glob` as CoreDNS uses it: `*` and `?` stay
within one path component and match dot-files too; more than one `*`, more than one `?`, or a
`[...]` class is refused, as CoreDNS refuses it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

from dnsdoctor.evidence.coredns.corefile_syntax import MAX_FILE_BYTES, SourceFile

NOT_FOUND = "no such file: CoreDNS refuses to start"
NO_MATCH = "no file matches (CoreDNS logs a warning and goes on without it)"


def container_target(pattern: str, importer: str) -> str:
    if pattern.startswith("/"):
        return posixpath.normpath(pattern)
    return posixpath.normpath(posixpath.join(posixpath.dirname(importer) or "/", pattern))


def glob_refused(pattern: str) -> str:
    if pattern.count("*") > 1 or pattern.count("?") > 1 or ("[" in pattern and "]" in pattern):
        return "CoreDNS refuses import patterns with more than one wildcard"
    return ""


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def matches(pattern: str, candidates: Iterable[str]) -> list[str]:
    """Candidates matching `pattern` component by component, sorted as Go's Glob returns them."""
    wanted = pattern.split("/")
    found = []
    for path in candidates:
        parts = path.split("/")
        if len(parts) == len(wanted) and all(map(fnmatchcase, parts, wanted)):
            found.append(path)
    return sorted(found)


class DiskFiles:
    """Imports resolved under one local directory standing for the Corefile's mount directory."""

    def __init__(self, local_dir: Path, mount_dir: str) -> None:
        self.local_dir = local_dir.resolve()
        self.mount_dir = posixpath.normpath(mount_dir)

    def container_path(self, local: Path) -> str:
        relative = local.resolve().relative_to(self.local_dir).as_posix()
        return posixpath.join(self.mount_dir, relative)

    def match(self, pattern: str, importer: str) -> tuple[list[SourceFile], str, bool]:
        target = container_target(pattern, importer)
        refused = glob_refused(target)
        if refused:
            return [], refused, True
        inside = posixpath.relpath(target, self.mount_dir)
        if inside == ".." or inside.startswith("../"):
            where = f"outside {self.mount_dir}, where the Corefile is"
            return [], f"{target} is {where}: not read from this machine", False
        names = matches(inside, self._listing(inside))
        if not names:
            return [], (NO_MATCH if is_glob(pattern) else NOT_FOUND), not is_glob(pattern)
        files, problems = [], []
        for name in names:
            local = self.local_dir / name
            if local.is_dir():
                problems.append(f"{name} is a directory: CoreDNS refuses to start")
                continue
            try:
                files.append(self._read(local, posixpath.join(self.mount_dir, name)))
            except OSError as exc:
                problems.append(f"{local}: {exc.strerror or exc}")
        return files, "; ".join(problems), any("directory" in p for p in problems)

    def _listing(self, inside: str) -> list[str]:
        """Every path under the directory with as many components as the pattern has."""
        depth = inside.count("/") + 1
        paths = [""]
        for _ in range(depth):
            deeper = []
            for prefix in paths:
                folder = self.local_dir / prefix if prefix else self.local_dir
                try:
                    entries = sorted(p.name for p in folder.iterdir())
                except OSError:
                    continue
                deeper += [f"{prefix}/{e}" if prefix else e for e in entries]
            paths = deeper
        return paths

    @staticmethod
    def _read(local: Path, name: str) -> SourceFile:
        with local.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise OSError(0, f"larger than {MAX_FILE_BYTES} bytes")
        return SourceFile(name, str(local), data.decode("utf-8", errors="replace"))


class MappedFiles:
    """Imports resolved among files we were handed by container path (ConfigMap keys)."""

    def __init__(self, files: Iterable[SourceFile]) -> None:
        self.files = {f.name: f for f in files}

    def match(self, pattern: str, importer: str) -> tuple[list[SourceFile], str, bool]:
        target = container_target(pattern, importer)
        refused = glob_refused(target)
        if refused:
            return [], refused, True
        names = matches(target, self.files)
        if not names:
            problem = NO_MATCH if is_glob(pattern) else NOT_FOUND
            known = ", ".join(sorted(self.files)) or "none"
            return [], f"{problem} (files given: {known})", not is_glob(pattern)
        return [self.files[n] for n in names], "", False
