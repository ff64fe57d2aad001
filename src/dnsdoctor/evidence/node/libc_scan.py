"""Scan one file tree (a `SafeRoot`, or an `ImageTree` over image layers) for resolver libraries.

Order of evidence, best first: the package database (apk's `lib/apk/db/installed`, dpkg's
`var/lib/dpkg/status` and distroless' `status.d/`), then the version strings in musl's loader and
glibc's libc.so.6, then executables: dynamic ones are counted per `PT_INTERP`, static ones are
classified (Go build info, else which libc's resolver strings they carry). Every read is bounded.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from dnsdoctor.evidence.node.libc import LibcInstance, LibcScope, LibcSource
from dnsdoctor.evidence.node.libc_elf import (
    glibc_version,
    go_build_info,
    loader_family,
    musl_version,
    parse_elf_header,
    static_resolver,
)

DB_LIMIT = 8 << 20
LIBC_LIMIT = 16 << 20  # read at most this much of a loader or libc.so.6
HEADER_BYTES = 4096
STATIC_LIMIT = 64 << 20  # a static binary is read up to here (Go build info sits early)
MAX_STATIC = 64  # static binaries fully read per scope
LIST_LIMIT = 2000
LIB_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")
EXEC_DIRS = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/app", "/")
APK_DB = "/lib/apk/db/installed"
DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_STATUS_D = "/var/lib/dpkg/status.d"
APK_LIBCS = {"musl": "musl", "glibc": "glibc"}  # apk package name -> family
DPKG_LIBCS = {"libc6": "glibc", "musl": "musl"}


class Tree(Protocol):
    path: str
    refused: list[Any]

    def read_bytes(self, rel: str, limit: int, *, partial: bool = False) -> bytes | None: ...
    def listdir(self, rel: str, limit: int = ...) -> list[str] | None: ...
    def is_file(self, rel: str) -> bool: ...
    def resolve(self, rel: str) -> Any: ...


def scan_tree(tree: Tree, subject: str, kind: str) -> LibcScope:
    scope = LibcScope(subject, kind)
    packages = _package_records(tree)
    shared = {"musl": _musl_loaders(tree), "glibc": _glibc_libs(tree)}
    for family in ("musl", "glibc"):
        sources = packages.get(family, []) + shared[family]
        if sources:
            version = next((s.version for s in sources if s.version), None)
            scope.libcs.append(LibcInstance(family, "shared", version, tuple(sources)))
    _scan_executables(tree, scope)
    for family in sorted(f for f in map(loader_family, scope.linked) if f is not None):
        if not any(lib.family == family and lib.linkage == "shared" for lib in scope.libcs):
            scope.notes.append(f"binaries ask for a {family} loader that is not in this tree")
    if not scope.libcs and not scope.linked:
        scope.notes.append("no C library, Go binary or dynamic executable found")
    scope.refused = [str(r) for r in tree.refused]
    return scope


def _package_records(tree: Tree) -> dict[str, list[LibcSource]]:
    found: dict[str, list[LibcSource]] = {}
    text = _text(tree, APK_DB)
    if text is not None:
        for name, version, line in _stanzas(text, "P:", "V:"):
            if name in APK_LIBCS:
                source = LibcSource(f"{APK_DB}:{line}", "apk database", version)
                found.setdefault(APK_LIBCS[name], []).append(source)
    for path in _dpkg_files(tree):
        text = _text(tree, path)
        if text is None:
            continue
        for name, version, line in _stanzas(text, "Package:", "Version:"):
            if name in DPKG_LIBCS:
                source = LibcSource(f"{path}:{line}", "dpkg status", version)
                found.setdefault(DPKG_LIBCS[name], []).append(source)
    return found


def _dpkg_files(tree: Tree) -> list[str]:
    files = [DPKG_STATUS] if tree.is_file(DPKG_STATUS) else []
    names = tree.listdir(DPKG_STATUS_D, LIST_LIMIT) or []
    return files + [f"{DPKG_STATUS_D}/{name}" for name in names]


def _stanzas(text: str, name_key: str, version_key: str) -> list[tuple[str, str | None, int]]:
    """(package, version, line of the name field) per blank-line separated record."""
    records: list[tuple[str, str | None, int]] = []
    name: str | None = None
    version: str | None = None
    line_no = 0
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if not line.strip():
            if name is not None:
                records.append((name, version, line_no))
            name, version = None, None
        elif line.startswith(name_key):
            name, line_no = line[len(name_key) :].strip(), number
        elif line.startswith(version_key):
            version = line[len(version_key) :].strip() or None
    return records


def _musl_loaders(tree: Tree) -> list[LibcSource]:
    sources: list[LibcSource] = []
    seen: set[str] = set()
    for directory in LIB_DIRS:
        for name in tree.listdir(directory, LIST_LIMIT) or []:
            if not re.fullmatch(r"ld-musl-[\w]+\.so\.1", name):
                continue
            path = f"{directory}/{name}"
            real = _real(tree, path)
            if real in seen or not tree.is_file(path):
                continue
            seen.add(real)
            data = tree.read_bytes(path, LIBC_LIMIT, partial=True)
            version = musl_version(data) if data else None
            sources.append(LibcSource(path, "loader version string", version))
    return sources


def _glibc_libs(tree: Tree) -> list[LibcSource]:
    candidates: list[str] = []
    for directory in LIB_DIRS:
        candidates.append(f"{directory}/libc.so.6")
        names = tree.listdir(directory, LIST_LIMIT) or []
        candidates += [
            f"{directory}/{name}/libc.so.6"
            for name in names
            if re.fullmatch(r"[\w]+-linux-gnu\w*", name)
        ]
    sources: list[LibcSource] = []
    seen: set[str] = set()
    for path in candidates:
        real = _real(tree, path)
        if real in seen or not tree.is_file(path):
            continue
        seen.add(real)
        data = tree.read_bytes(path, LIBC_LIMIT, partial=True)
        found = glibc_version(data) if data else None
        sources.append(LibcSource(path, "libc.so.6 version string", found[0] if found else None))
    return sources


def _scan_executables(tree: Tree, scope: LibcScope) -> None:
    seen: set[str] = set()
    static_read = 0
    for directory in EXEC_DIRS:
        for name in tree.listdir(directory, LIST_LIMIT) or []:
            path = f"{directory.rstrip('/')}/{name}"
            real = _real(tree, path)
            if real in seen or not tree.is_file(path):
                continue
            seen.add(real)
            header = tree.read_bytes(path, HEADER_BYTES, partial=True)
            info = parse_elf_header(header or b"")
            if not info.is_elf:
                continue
            if info.interp is not None:
                scope.linked[info.interp] = scope.linked.get(info.interp, 0) + 1
            elif info.static and info.elf_type in (2, 3):  # ET_EXEC, or ET_DYN static-pie
                if static_read >= MAX_STATIC:
                    scope.notes.append(f"more than {MAX_STATIC} static binaries; the rest unread")
                    return
                static_read += 1
                _classify_static(tree, path, scope)


def _classify_static(tree: Tree, path: str, scope: LibcScope) -> None:
    data = tree.read_bytes(path, STATIC_LIMIT, partial=True)
    if not data:
        return
    go = go_build_info(data)
    if go is not None:
        detail = {
            True: "CGO_ENABLED=1: may call a libc resolver linked in",
            False: "CGO_ENABLED=0: pure-Go resolver",
            None: "cgo setting not recorded",
        }[go.cgo] + (f"; {go.path}" if go.path else "")
        source = LibcSource(path, "Go build info", go.version)
        scope.libcs.append(LibcInstance("go", "static", go.version, (source,), path, detail))
        return
    family = static_resolver(data)
    if family is None:
        return  # a static binary with no resolver in it does not resolve names
    how = "static ELF, glibc markers" if family == "glibc" else "static ELF, musl resolver strings"
    scope.libcs.append(LibcInstance(family, "static", None, (LibcSource(path, how),), path))


def _real(tree: Tree, path: str) -> str:
    resolved = tree.resolve(path)
    return str(getattr(resolved, "path", path)) if resolved is not None else path


def _text(tree: Tree, path: str) -> str | None:
    data = tree.read_bytes(path, DB_LIMIT)
    return None if data is None else data.decode("utf-8", "replace")
