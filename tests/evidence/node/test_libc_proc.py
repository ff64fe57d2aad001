"""Running containers found through /proc/<pid>/root and grouped through /proc/<pid>/cgroup."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from dnsdoctor.evidence.node.libc import collect_libcs
from dnsdoctor.evidence.node.libc_proc import container_id, read_cgroup
from dnsdoctor.evidence.node.rootfs import SafeRoot
from tests.evidence.node.libc_fixtures import alpine_root

DOCKER_ID = "3f2a" + "0" * 58 + "ab"


@pytest.mark.parametrize(
    "path",
    [
        f"/system.slice/docker-{DOCKER_ID}.scope",
        f"/kubepods/burstable/pod1234/{DOCKER_ID}",
        f"/kubepods.slice/kubepods-pod1.slice/cri-containerd-{DOCKER_ID}.scope",
        f"/machine.slice/libpod-{DOCKER_ID}.scope",
        f"/docker/{DOCKER_ID}",
    ],
)
def test_container_id_from_cgroup_paths(path):
    assert container_id(path) == DOCKER_ID


def test_no_container_id_in_a_plain_cgroup():
    assert container_id("/user.slice/user-0.slice/session-3.scope") is None


def test_read_cgroup_prefers_the_v2_line():
    text = "12:pids:/docker/abc\n0::/system.slice/x.scope\n"
    assert read_cgroup(text) == "/system.slice/x.scope"
    assert read_cgroup("4:memory:/a\n") == "/a"
    assert read_cgroup("garbage") == ""


def _wait_for_chroot(unshare_pid: int, root: Path) -> int:
    """The pid (in our namespace) of the process whose root is `root`."""
    want = os.stat(root)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                st = os.stat(f"/proc/{entry}/root")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) == (want.st_dev, want.st_ino):
                return int(entry)
        time.sleep(0.05)
    pytest.fail(f"no process chrooted into {root} appeared (unshare pid {unshare_pid})")


@pytest.mark.root
def test_chrooted_process_in_new_namespaces_is_found_and_scanned(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and util-linux unshare")
    root = alpine_root(tmp_path)
    # /bin/pause is dynamically linked: it runs only because the fixture's musl loader is real.
    proc = subprocess.Popen(
        ["unshare", "--mount", "--pid", "--fork", "--kill-child", "chroot", str(root), "/bin/pause"]
    )
    try:
        pid = _wait_for_chroot(proc.pid, root)
        with SafeRoot(tmp_path / "alpine" / "etc") as elsewhere:  # a root that is not `/`
            report = collect_libcs(elsewhere, containers=True)
        scopes = [s for s in report.scopes if pid in s.pids]
        assert len(scopes) == 1, [s.subject for s in report.scopes]
        [scope] = scopes
        assert scope.kind == "container"
        [musl] = [lib for lib in scope.libcs if lib.family == "musl"]
        assert musl.version == "1.2.3-r4"
        assert scope.linked == {"/lib/ld-musl-x86_64.so.1": 1}
    finally:
        proc.kill()
        proc.wait(timeout=10)
