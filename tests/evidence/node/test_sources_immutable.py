"""chattr +i on the effective resolv.conf, read with FS_IOC_GETFLAGS (needs root and ext4/xfs)."""

from __future__ import annotations

import contextlib
import subprocess

import pytest

from dnsdoctor.evidence.node.immutable import inode_flags
from dnsdoctor.evidence.node.rootfs import SafeRoot

pytestmark = pytest.mark.root


@contextlib.contextmanager
def chattr(path, flag):
    subprocess.run(["chattr", f"+{flag}", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", f"-{flag}", str(path)], check=True)


def test_immutable_flag_is_read_through_the_symlink_inside_the_root(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "run").mkdir()
    target = tmp_path / "run/resolv.conf"
    target.write_text("nameserver 10.0.0.2\n")
    (tmp_path / "etc/resolv.conf").symlink_to("/run/resolv.conf")  # absolute: inside the root
    root = SafeRoot(tmp_path)
    before = inode_flags(root, "/etc/resolv.conf")
    assert (before.path, before.immutable, before.append_only) == ("/run/resolv.conf", False, False)
    with chattr(target, "i"):
        after = inode_flags(root, "/etc/resolv.conf")
    assert after.immutable is True
    with chattr(target, "a"):
        assert inode_flags(root, "/etc/resolv.conf").append_only is True


def test_a_link_leaving_the_root_is_never_opened(tmp_path):
    outside = tmp_path / "outside.conf"
    outside.write_text("nameserver 10.9.9.9\n")
    root_dir = tmp_path / "root"
    (root_dir / "etc").mkdir(parents=True)
    (root_dir / "etc/resolv.conf").symlink_to("../../outside.conf")
    with chattr(outside, "i"):
        flags = inode_flags(SafeRoot(root_dir), "/etc/resolv.conf")
    assert flags.immutable is None
    assert flags.note.startswith("not checked")


def test_roots_through_proc_are_not_checked():
    flags = inode_flags(SafeRoot("/proc/self/root"), "/etc/hostname")
    assert flags.immutable is None
    assert "through /proc" in flags.note
