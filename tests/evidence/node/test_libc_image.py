"""Image tarballs: layers applied in order, whiteouts and opaque directories honoured."""

from __future__ import annotations

import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node.libc import LibcReport
from dnsdoctor.evidence.node.libc_image import ImageTree, scan_image
from tests.evidence.node.libc_fixtures import (
    alpine_root,
    docker_save,
    glibc_root,
    layer_bytes,
    oci_layout,
)


def _families(scope):
    return {(lib.family, lib.linkage) for lib in scope.libcs}


@pytest.fixture
def layers(tmp_path):
    lower = layer_bytes(alpine_root(tmp_path))
    upper = layer_bytes(
        glibc_root(tmp_path),
        {"lib/.wh.ld-musl-x86_64.so.1": b"", "lib/apk/db/.wh..wh..opq": b""},
    )
    return lower, upper


@pytest.mark.parametrize("packer", [docker_save, oci_layout])
def test_lower_layer_alone_is_musl(tmp_path, layers, packer):
    report = LibcReport()
    scan_image(report, packer(tmp_path / "image.tar", [layers[0]]))
    assert not report.errors
    [scope] = report.scopes
    [musl] = scope.libcs
    assert (musl.family, musl.version) == ("musl", "1.2.3-r4")
    assert scope.linked == {"/lib/ld-musl-x86_64.so.1": 1}


@pytest.mark.parametrize("packer", [docker_save, oci_layout])
def test_whiteout_in_upper_layer_deletes_lower_libc(tmp_path, layers, packer):
    report = LibcReport()
    scan_image(report, packer(tmp_path / "image.tar", list(layers)))
    assert not report.errors
    [scope] = report.scopes
    assert _families(scope) == {("glibc", "shared")}
    # The musl binary of the lower layer is still there, its loader is not.
    assert any("musl loader that is not in this tree" in n for n in scope.notes)


def test_gzip_layers_and_symlinks_inside_the_image(tmp_path):
    lower = layer_bytes(alpine_root(tmp_path), gz=True)
    image = oci_layout(tmp_path / "image.tar", [lower])
    with ImageTree(image) as tree:
        resolved = tree.resolve("/lib/libc.musl-x86_64.so.1")
        assert resolved is not None
        assert resolved.path == "/lib/ld-musl-x86_64.so.1"
        assert tree.is_file("/lib/libc.musl-x86_64.so.1")
        assert "ld-musl-x86_64.so.1" in tree.listdir("/lib")


def test_a_later_layer_readds_a_whited_out_file(tmp_path, layers):
    again = layer_bytes(
        None, {"lib/ld-musl-x86_64.so.1": b"musl libc (x86_64)\x00/proc/self/fd/\x001.2.5\x00"}
    )
    report = LibcReport()
    scan_image(report, docker_save(tmp_path / "image.tar", [*layers, again]))
    [scope] = report.scopes
    [musl] = [lib for lib in scope.libcs if lib.family == "musl"]
    assert musl.version == "1.2.5"
    assert musl.risks() == ("line-255",)


def test_member_escaping_the_root_is_refused(tmp_path):
    evil = layer_bytes(None, {"../../etc/evil": b"x", "lib/ok": b"y"})
    with ImageTree(docker_save(tmp_path / "image.tar", [evil])) as tree:
        assert "/lib/ok" in tree.entries
        assert not any("evil" in k for k in tree.entries)
        assert any("escapes the image root" in r for r in tree.refused)


def test_not_an_image_is_an_input_error(tmp_path):
    path = tmp_path / "plain.tar"
    with tarfile.open(path, "w"):
        pass
    with pytest.raises(InputError, match=r"neither manifest\.json nor index\.json"):
        ImageTree(path)
    report = LibcReport()
    scan_image(report, path)
    assert report.errors
    assert not report.scopes


@settings(deadline=None)
@given(st.binary(max_size=4096))
def test_garbage_tarball_never_crashes(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("garbage") / "image.tar"
    path.write_bytes(blob)
    report = LibcReport()
    scan_image(report, path)
    assert report.errors or report.scopes
