"""Which library resolves names: musl (and its version), glibc (and its version), static musl or
Go binaries, for a root directory, every running container, and image tarballs.

Everything is read from file bytes through `SafeRoot` (or `ImageTree` for tarballs): the apk and
dpkg databases, the version strings of musl's loader and glibc's libc.so.6, ELF program headers
(`PT_INTERP`), Go's build info. Nothing found under a scanned root is executed or loaded.

`collect_libcs(root)` is the entry point `dnsdoctor node` calls; it scans the root and, when the
root is the host's `/`, every container found through `/proc/<pid>/root`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MUSL_DISTINCT_IDS = (1, 2, 4)  # "ensure distinct query id for parallel A and AAAA queries"
MUSL_TCP_FALLBACK = (1, 2, 4)  # TCP retry of truncated answers

RISK_SAME_ID = "same-id"
RISK_NO_TCP = "no-tcp-fallback"
RISK_LINE_255 = "line-255"
RISK_VERSION_UNKNOWN = "version-unknown"
RISK_TEXT = {
    RISK_SAME_ID: "musl < 1.2.4 may give the A and AAAA queries of one lookup the same ID "
    "(from the clock); a second answer of one type then makes it drop the other",
    RISK_NO_TCP: "musl < 1.2.4 does not retry truncated (TC) answers over TCP: names whose "
    "answer exceeds 512 bytes fail or come back partial",
    RISK_LINE_255: "musl skips any resolv.conf line of 255 bytes or more (a long search line "
    "loses every search domain), and ignores `rotate` and `single-request`",
    RISK_VERSION_UNKNOWN: "a static musl binary does not record musl's version; if it is "
    "older than 1.2.4 it has the same-ID and no-TCP-fallback problems",
}


@dataclass(frozen=True, slots=True)
class LibcSource:
    """One piece of evidence for a library: where it was read, how, and what it said."""

    path: str  # inside the scope; "file:line" for a database record
    how: str  # "apk database", "dpkg status", "loader version string", "PT_INTERP", ...
    version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "how": self.how, "version": self.version}


@dataclass(frozen=True, slots=True)
class LibcInstance:
    """A resolver implementation present in a scope."""

    family: str  # "musl" | "glibc" | "go"
    linkage: str  # "shared" (a libc others link to) | "static" (one self-contained binary)
    version: str | None
    sources: tuple[LibcSource, ...]
    binary: str | None = None  # for static: the binary's path
    detail: str = ""  # e.g. "CGO_ENABLED=0, module example.com/app"

    @property
    def version_tuple(self) -> tuple[int, ...] | None:
        return version_tuple(self.version)

    def risks(self) -> tuple[str, ...]:
        if self.family != "musl":
            return ()
        found: list[str] = []
        numbers = self.version_tuple
        if numbers is None:
            found.append(RISK_VERSION_UNKNOWN)
        else:
            if numbers < MUSL_DISTINCT_IDS:
                found.append(RISK_SAME_ID)
            if numbers < MUSL_TCP_FALLBACK:
                found.append(RISK_NO_TCP)
        found.append(RISK_LINE_255)
        return tuple(found)

    def label(self) -> str:
        version = self.version or "version unknown"
        where = f" {self.binary}" if self.binary else ""
        return f"{self.family} {version} ({self.linkage}{where})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "linkage": self.linkage,
            "version": self.version,
            "binary": self.binary,
            "detail": self.detail,
            "risks": list(self.risks()),
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass(slots=True)
class LibcScope:
    """One thing scanned: the root, a container (its processes' shared root), or an image."""

    subject: str  # "root /srv/alpine", "container 3f2a...", "image alpine.tar"
    kind: str  # "root" | "container" | "image"
    libcs: list[LibcInstance] = field(default_factory=list)
    linked: dict[str, int] = field(default_factory=dict)  # PT_INTERP -> dynamic binaries seen
    pids: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "pids": list(self.pids),
            "libcs": [lib.to_dict() for lib in self.libcs],
            "linked": dict(self.linked),
            "notes": list(self.notes),
            "refused": list(self.refused),
        }


@dataclass(slots=True)
class LibcReport:
    scopes: list[LibcScope] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # a container or image that could not be read

    def instances(self) -> Iterator[tuple[LibcScope, LibcInstance]]:
        for scope in self.scopes:
            for lib in scope.libcs:
                yield scope, lib

    def with_risk(self, risk: str) -> list[tuple[LibcScope, LibcInstance]]:
        return [(s, lib) for s, lib in self.instances() if risk in lib.risks()]

    def to_dict(self) -> dict[str, Any]:
        return {"scopes": [s.to_dict() for s in self.scopes], "errors": list(self.errors)}


def version_tuple(version: str | None) -> tuple[int, ...] | None:
    """(1, 2, 3) from "1.2.3", "1.2.3-r4" or "2.36-9+deb12u4"; None when no number leads."""
    if not version:
        return None
    match = re.match(r"(\d+(?:\.\d+)*)", version)
    if not match:
        return None
    return tuple(int(part) for part in match.group(1).split(".")[:4])


def collect_libcs(
    root: Any,
    *,
    containers: bool | None = None,
    images: Sequence[str | os.PathLike[str]] = (),
    proc: Path = Path("/proc"),
) -> LibcReport:
    """Scan `root` (a SafeRoot), the running containers (default: when `root` is the host's
    `/`), and any image tarballs given."""
    from dnsdoctor.evidence.node.libc_image import scan_image
    from dnsdoctor.evidence.node.libc_proc import scan_containers
    from dnsdoctor.evidence.node.libc_scan import scan_tree

    report = LibcReport()
    report.scopes.append(scan_tree(root, f"root {root.path}", "root"))
    if containers is None:
        containers = os.path.realpath(root.path) == "/"
    if containers:
        scan_containers(report, proc)
    for image in images:
        scan_image(report, Path(image))
    return report
