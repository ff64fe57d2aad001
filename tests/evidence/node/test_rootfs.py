"""The safe root reader: symlinks followed as if chrooted, escapes and special files refused."""

from __future__ import annotations

import os
import stat
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node.rootfs import MAX_SYMLINKS, SafeRoot


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "run/systemd/resolve").mkdir(parents=True)
    (root / "run/systemd/resolve/stub-resolv.conf").write_text("nameserver 127.0.0.53\n")
    return root


def test_absolute_symlink_is_followed_inside_the_root(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/resolv.conf").symlink_to("/run/systemd/resolve/stub-resolv.conf")
    safe = SafeRoot(root)
    resolved = safe.resolve("/etc/resolv.conf")
    assert resolved is not None
    assert resolved.path == "/run/systemd/resolve/stub-resolv.conf"
    assert [(h.link, h.target) for h in resolved.chain] == [
        ("/etc/resolv.conf", "/run/systemd/resolve/stub-resolv.conf")
    ]
    assert safe.read_text("/etc/resolv.conf") == "nameserver 127.0.0.53\n"
    assert safe.refused == []


def test_relative_chain_through_a_directory_link(tmp_path):
    root = make_root(tmp_path)
    (root / "var").mkdir()
    (root / "var/run").symlink_to("../run")
    (root / "etc/resolv.conf").symlink_to("../var/run/systemd/resolve/stub-resolv.conf")
    safe = SafeRoot(root)
    resolved = safe.resolve("etc/resolv.conf")
    assert resolved is not None
    assert resolved.path == "/run/systemd/resolve/stub-resolv.conf"
    assert [h.link for h in resolved.chain] == ["/etc/resolv.conf", "/var/run"]
    assert safe.is_file("/etc/resolv.conf")
    assert safe.is_dir("/var/run")


def test_dangling_symlink_resolves_with_exists_false(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/resolv.conf").symlink_to("/run/resolvconf/resolv.conf")
    safe = SafeRoot(root)
    resolved = safe.resolve("/etc/resolv.conf")
    assert resolved is not None
    assert not resolved.exists
    assert safe.read_text("/etc/resolv.conf") is None
    assert safe.refused == []


def test_absolute_link_to_a_host_file_stays_inside(tmp_path):
    root = make_root(tmp_path)
    secret = tmp_path / "secret"
    secret.write_text("host secret\n")
    (root / "etc/resolv.conf").symlink_to(secret)  # absolute host path: means root/<that path>
    safe = SafeRoot(root)
    assert safe.read_text("/etc/resolv.conf") is None
    resolved = safe.resolve("/etc/resolv.conf")
    assert resolved is not None
    assert resolved.path == str(secret)  # the same path, but inside the root
    assert not resolved.exists


@pytest.mark.parametrize("target", ["../../secret", "../../../../../secret", "/../secret"])
def test_dotdot_escape_is_refused_and_reported(tmp_path, target):
    root = make_root(tmp_path)
    (tmp_path / "secret").write_text("host secret\n")
    (root / "etc/resolv.conf").symlink_to(target)
    safe = SafeRoot(root)
    assert safe.read_text("/etc/resolv.conf") is None
    assert [r.path for r in safe.refused] == ["/etc/resolv.conf"]
    assert "climbs above the root" in safe.refused[0].reason


def test_dotdot_in_the_asked_path_is_refused(tmp_path):
    safe = SafeRoot(make_root(tmp_path))
    assert safe.read_text("/../secret") is None
    assert "climbs above" in safe.refused[0].reason


def test_proc_magic_link_is_refused(tmp_path):
    # On the host root, /proc/self and /proc/self/root are procfs links: never followed by name.
    safe = SafeRoot("/")
    assert safe.read_text("/proc/self/root/etc/hostname") is None
    assert safe.refused
    assert "procfs" in safe.refused[0].reason


def test_symlink_loop_is_refused(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/a").symlink_to("b")
    (root / "etc/b").symlink_to("a")
    safe = SafeRoot(root)
    assert safe.read_text("/etc/a") is None
    assert f"more than {MAX_SYMLINKS} symlinks" in safe.refused[0].reason


def test_fifo_is_refused_without_blocking(tmp_path):
    root = make_root(tmp_path)
    os.mkfifo(root / "etc/resolv.conf")
    safe = SafeRoot(root)
    assert safe.read_text("/etc/resolv.conf") is None
    assert "FIFO" in safe.refused[0].reason
    assert not safe.is_file("/etc/resolv.conf")


@pytest.mark.root
def test_device_node_is_refused(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mknod of a character device needs root")
    root = make_root(tmp_path)
    os.mknod(root / "etc/resolv.conf", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # like /dev/null
    safe = SafeRoot(root)
    assert safe.read_text("/etc/resolv.conf") is None
    assert "character device" in safe.refused[0].reason


def test_oversized_file_is_refused_or_cut_when_partial(tmp_path):
    root = make_root(tmp_path)
    (root / "etc/big").write_bytes(b"x" * 5000)
    safe = SafeRoot(root)
    assert safe.read_text("/etc/big", limit=4096) is None
    assert "over the 4096-byte limit" in safe.refused[0].reason
    assert safe.read_bytes("/etc/big", 100, partial=True) == b"x" * 100


def test_directory_listing_is_bounded_and_the_cut_reported(tmp_path):
    root = make_root(tmp_path)
    for i in range(30):
        (root / "etc" / f"f{i:02}").write_text("")
    safe = SafeRoot(root)
    names = safe.listdir("/etc", limit=10)
    assert names == [f"f{i:02}" for i in range(10)]
    assert "more than 10 entries" in safe.refused[0].reason
    assert safe.listdir("/etc/f00") is None  # a file is not a directory


def test_missing_root_is_a_typed_error(tmp_path):
    with pytest.raises(InputError):
        SafeRoot(tmp_path / "nope")


_names = st.sampled_from(["a", "b", "etc", "x"])
_targets = st.sampled_from(
    ["..", "../..", "../../..", "/", "/etc", "a", "../a", "/../..", "b/../..", "etc/../../x"]
)


@settings(deadline=None)
@given(
    links=st.lists(st.tuples(_names, _targets), max_size=6),
    path=st.lists(st.sampled_from([*string.ascii_lowercase[:2], "etc", "..", "x"]), max_size=6),
)
def test_no_path_ever_reads_outside_the_root(tmp_path_factory, links, path):
    base = tmp_path_factory.mktemp("prop")
    (base / "x").write_text("OUTSIDE\n")
    root = base / "r" / "s"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "inside").write_text("inside\n")
    for name, target in links:
        link = root / "etc" / name
        if not link.exists() and not link.is_symlink():
            link.symlink_to(target)
    safe = SafeRoot(root)
    rel = "/".join(["etc", *path])
    text = safe.read_text(rel)
    assert text in (None, "inside\n")
    resolved = safe.resolve(rel)
    assert resolved is None or resolved.path.startswith("/")
    safe.close()


@pytest.mark.root
def test_proc_mounted_inside_a_container_root_is_not_followed(tmp_path):
    """A container root with a live procfs (as /proc/<pid>/root shows it): a resolv.conf pointing
    through /proc/self/root must be refused, not read from the host."""
    import shutil
    import subprocess
    import sys

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("needs root and unshare")
        pytest.skip("needs root and unshare")
    root = make_root(tmp_path)
    (root / "proc").mkdir()
    (root / "etc/resolv.conf").symlink_to("/proc/self/root/etc/hostname")
    probe = (
        "import sys; from dnsdoctor.evidence.node.rootfs import SafeRoot; "
        "r = SafeRoot(sys.argv[1]); print(r.read_text('/etc/resolv.conf')); "
        "print([str(x) for x in r.refused])"
    )
    script = f'mount -t proc proc "{root}/proc" && "{sys.executable}" -c "{probe}" "{root}"'
    done = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    first, second = done.stdout.splitlines()
    assert first == "None"
    assert "on procfs (a magic link)" in second
