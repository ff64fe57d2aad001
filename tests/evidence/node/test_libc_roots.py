"""Which libc a root directory holds, read from file bytes through SafeRoot."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.node.libc import (
    RISK_LINE_255,
    RISK_NO_TCP,
    RISK_SAME_ID,
    RISK_VERSION_UNKNOWN,
    collect_libcs,
    version_tuple,
)
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.lab.build import build_client
from tests.evidence.node.libc_fixtures import alpine_root, distroless_root, glibc_root


def _scan(root):
    with SafeRoot(root) as safe:
        report = collect_libcs(safe, containers=False)
    assert len(report.scopes) == 1
    return report.scopes[0]


def test_alpine_root_musl_version_from_apk_db_and_real_loader(tmp_path):
    scope = _scan(alpine_root(tmp_path))
    [musl] = [lib for lib in scope.libcs if lib.family == "musl"]
    assert musl.version == "1.2.3-r4"  # the apk database wins
    hows = {s.how: s for s in musl.sources}
    assert hows["apk database"].path == "/lib/apk/db/installed:2"
    # The real loader bytes of Debian's musl package carry "1.2.3".
    assert hows["loader version string"].version == "1.2.3"
    assert hows["loader version string"].path == "/lib/ld-musl-x86_64.so.1"
    assert set(musl.risks()) == {RISK_SAME_ID, RISK_NO_TCP, RISK_LINE_255}
    assert scope.linked == {"/lib/ld-musl-x86_64.so.1": 1}
    assert not scope.notes


def test_root_without_apk_db_takes_the_loader_version(tmp_path):
    scope = _scan(alpine_root(tmp_path, apk=False))
    [musl] = scope.libcs
    assert musl.version == "1.2.3"
    assert [s.how for s in musl.sources] == ["loader version string"]
    assert RISK_SAME_ID in musl.risks()


def test_glibc_root_reads_the_libc_banner(tmp_path):
    scope = _scan(glibc_root(tmp_path))
    [glibc] = scope.libcs
    assert glibc.family == "glibc"
    assert version_tuple(glibc.version) >= (2, 17)
    assert glibc.risks() == ()


def test_distroless_static_musl_binary(tmp_path):
    scope = _scan(distroless_root(tmp_path, build_client("gai-musl")))
    [lib] = scope.libcs
    assert (lib.family, lib.linkage, lib.binary) == ("musl", "static", "/app/server")
    assert lib.version is None
    assert RISK_VERSION_UNKNOWN in lib.risks()
    assert RISK_SAME_ID not in lib.risks()


def test_distroless_static_go_binary(tmp_path):
    scope = _scan(distroless_root(tmp_path, build_client("gai-go"), "goserver"))
    [lib] = scope.libcs
    assert (lib.family, lib.linkage, lib.binary) == ("go", "static", "/app/goserver")
    assert lib.version is not None
    assert lib.version.startswith("go1.")
    assert "CGO_ENABLED=0" in lib.detail
    assert lib.risks() == ()


def test_dynamic_binary_without_its_loader_is_noted(tmp_path):
    root = alpine_root(tmp_path, apk=False)
    (root / "lib/ld-musl-x86_64.so.1").unlink()
    scope = _scan(root)
    assert not [lib for lib in scope.libcs if lib.family == "musl"]
    assert any("musl loader that is not in this tree" in n for n in scope.notes)


def test_escaping_symlink_is_refused_not_followed(tmp_path):
    root = alpine_root(tmp_path)
    (root / "lib/x86_64-linux-gnu").symlink_to("../../../../../../lib/x86_64-linux-gnu")
    scope = _scan(root)
    assert not [lib for lib in scope.libcs if lib.family == "glibc"]  # the host's is not read
    assert any("climbs above the root" in r for r in scope.refused)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.2.3-r4", (1, 2, 3)), ("2.36-9+deb12u4", (2, 36)), ("go1.19", None), (None, None)],
)
def test_version_tuple(text, expected):
    assert version_tuple(text) == expected
