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

from ...conftest import DATA, REPO

FIXTURES = ["seed-resolvconf-base", "dhclient-prepend", "ifupdown-static", "control-base-dhcp-only"]
SCRIPT = DATA / "node" / "build_resolvconf_fixtures.sh"
# scripts/test fetches the package here (`apt-get download resolvconf`): the test itself sends
# nothing beyond loopback.
DEBS = Path(os.environ.get("DNSDOCTOR_DEBS", REPO / ".cache" / "debs"))


def _need(condition: bool, why: str) -> None:
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    _need(os.geteuid() == 0, "needs root (mount namespace, chroot)")
    _need(shutil.which("unshare") is not None, "needs unshare (util-linux)")
    debs = sorted(DEBS.glob("resolvconf_*.deb"))
    _need(bool(debs), f"no resolvconf_*.deb in {DEBS}: ./scripts/test fetches it")
    work = tmp_path_factory.mktemp("resolvconf")
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
