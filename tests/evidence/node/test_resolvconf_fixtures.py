"""The committed resolvconf fixtures are what Debian's real resolvconf scripts generate.

Rebuilds every fixture with tests/data/node/build_resolvconf_fixtures.sh (the package's own
hooks and update script, in a chroot inside a private mount namespace) and compares the generated
files with the committed ones, so a hand edit of a "generated" file cannot go unnoticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ...conftest import DATA

FIXTURES = ["seed-resolvconf-base", "dhclient-prepend", "ifupdown-static", "control-base-dhcp-only"]
SCRIPT = DATA / "node" / "build_resolvconf_fixtures.sh"


def _need(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    _need(os.geteuid() == 0, "needs root (mount namespace, chroot)")
    _need(
        shutil.which("unshare") is not None and shutil.which("apt-get") is not None,
        "needs unshare and apt-get",
    )
    work = tmp_path_factory.mktemp("resolvconf")
    fetched = subprocess.run(
        ["apt-get", "download", "resolvconf"], cwd=work, capture_output=True, text=True, timeout=300
    )
    debs = sorted(work.glob("resolvconf_*.deb"))
    _need(
        fetched.returncode == 0 and bool(debs),
        f"apt-get download resolvconf failed: {fetched.stderr[-300:]}",
    )
    out = work / "out"
    subprocess.run(["sh", str(SCRIPT), str(debs[0]), str(out)], check=True, timeout=300)
    return out


@pytest.mark.root
@pytest.mark.parametrize("name", FIXTURES)
def test_generated_files_match_the_real_scripts(rebuilt, name):
    committed = DATA / "node" / "roots" / name
    for rel in ["run/resolvconf/resolv.conf", *_records(committed)]:
        assert (rebuilt / name / rel).read_text() == (committed / rel).read_text(), rel
    assert os.readlink(rebuilt / name / "etc/resolv.conf") == os.readlink(
        committed / "etc/resolv.conf"
    )


def _records(root: Path) -> list[str]:
    return [
        f"run/resolvconf/interface/{p.name}"
        for p in sorted((root / "run/resolvconf/interface").iterdir())
    ]
