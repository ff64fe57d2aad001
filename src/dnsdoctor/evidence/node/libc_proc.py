"""Running containers, found through `/proc/<pid>/root` and grouped through `/proc/<pid>/cgroup`.

A process whose root is not the host's root belongs to a container (or a chroot). Processes are
grouped by the container ID in their cgroup path (docker, containerd/CRI, CRI-O, podman) when
there is one, else by their cgroup path; within a group, by the root directory they see
(device and inode of `/proc/<pid>/root`), so a chroot beside a container is its own scope. Each
group's root is scanned once, through `SafeRoot` on one of its processes' `/proc/<pid>/root`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from dnsdoctor.errors import DoctorError
from dnsdoctor.evidence.node.libc import LibcReport

MAX_PIDS = 8192
MAX_GROUPS = 256
_CONTAINER_ID = re.compile(r"(?:docker|cri-containerd|crio|libpod|containerd)[-/:]?([0-9a-f]{64})")
_BARE_ID = re.compile(r"/([0-9a-f]{64})(?:\.scope)?$")


@dataclass(frozen=True, slots=True)
class ProcessRoot:
    pid: int
    cgroup: str  # the unified (or first) cgroup path
    container: str | None  # a 64-hex container ID found in the cgroup path
    root_key: tuple[int, int]  # st_dev, st_ino of /proc/<pid>/root


def container_id(cgroup_path: str) -> str | None:
    match = _CONTAINER_ID.search(cgroup_path) or _BARE_ID.search(cgroup_path)
    return match.group(1) if match else None


def read_cgroup(text: str) -> str:
    """The cgroup path from /proc/<pid>/cgroup: the v2 line ("0::/path"), else the first one."""
    paths = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            if parts[0] == "0" and parts[1] == "":
                return parts[2]
            paths.append(parts[2])
    return paths[0] if paths else ""


def foreign_roots(proc: Path = Path("/proc")) -> list[ProcessRoot]:
    """Processes whose root directory differs from the host's (ours, as `proc/self/root`)."""
    try:
        own = os.stat(proc / "self" / "root")
        entries = sorted((e for e in os.listdir(proc) if e.isdigit()), key=int)[:MAX_PIDS]
    except OSError:
        return []
    found = []
    for entry in entries:
        pid = int(entry)
        try:
            st = os.stat(proc / entry / "root")
            with open(proc / entry / "cgroup", "rb") as handle:
                cgroup = read_cgroup(handle.read(65536).decode("utf-8", "replace"))
        except OSError:
            continue  # gone, a kernel thread, or not ours to read
        if (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino):
            continue
        found.append(ProcessRoot(pid, cgroup, container_id(cgroup), (st.st_dev, st.st_ino)))
    return found


def group_roots(roots: list[ProcessRoot]) -> dict[tuple[str, tuple[int, int]], list[ProcessRoot]]:
    groups: dict[tuple[str, tuple[int, int]], list[ProcessRoot]] = {}
    for item in roots:
        key = (item.container or item.cgroup, item.root_key)
        groups.setdefault(key, []).append(item)
    return groups


def scan_containers(report: LibcReport, proc: Path = Path("/proc")) -> None:
    """Add one scope per container (or chroot) seen in `proc` to `report`."""
    from dnsdoctor.evidence.node.libc_scan import scan_tree
    from dnsdoctor.evidence.node.rootfs import SafeRoot

    groups = group_roots(foreign_roots(proc))
    for index, members in enumerate(groups.values()):
        if index >= MAX_GROUPS:
            report.errors.append(f"more than {MAX_GROUPS} containers; the rest were not scanned")
            break
        first = members[0]
        pids = tuple(m.pid for m in members)
        subject = (
            f"container {first.container[:12]}"
            if first.container
            else f"process root of pid {first.pid} (cgroup {first.cgroup or '?'})"
        )
        try:
            with SafeRoot(proc / str(first.pid) / "root") as root:
                scope = scan_tree(root, subject, "container")
        except DoctorError as exc:
            report.errors.append(f"{subject}: {exc}")
            continue
        scope.pids = pids
        report.scopes.append(scope)
