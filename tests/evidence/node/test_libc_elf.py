"""ELF, version-string and Go build-info readers: real binaries, and no input crashes them."""

from __future__ import annotations

import io
import json
import tarfile

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.libc import LibcReport
from dnsdoctor.evidence.node.libc_elf import (
    glibc_version,
    go_build_info,
    loader_family,
    musl_version,
    parse_elf_header,
    static_resolver,
)
from dnsdoctor.evidence.node.libc_image import scan_image
from dnsdoctor.evidence.node.libc_scan import _stanzas
from dnsdoctor.lab.build import build_client
from tests.evidence.node.libc_fixtures import GLIBC_SO, MUSL_SO, require_musl


def test_real_musl_loader_and_glibc():
    require_musl()
    assert musl_version(MUSL_SO.read_bytes()) == "1.2.3"
    version, build = glibc_version(GLIBC_SO.read_bytes())
    assert version.startswith("2.")
    assert "GLIBC" in build


def test_dynamic_and_static_headers():
    dynamic = parse_elf_header(GLIBC_SO.read_bytes()[:4096])
    assert dynamic.is_elf
    musl_static = build_client("gai-musl").read_bytes()
    info = parse_elf_header(musl_static[:4096])
    assert info.static
    assert static_resolver(musl_static) == "musl"
    assert go_build_info(musl_static) is None
    glibc_dynamic = build_client("gai-glibc").read_bytes()
    interp = parse_elf_header(glibc_dynamic[:4096]).interp
    assert interp is not None
    assert loader_family(interp) == "glibc"
    assert loader_family("/lib/ld-musl-aarch64.so.1") == "musl"


def test_go_build_info_of_a_cgo_disabled_build():
    build = go_build_info(build_client("gai-go").read_bytes())
    assert build is not None
    assert build.version is not None
    assert build.version.startswith("go1.")


@settings(deadline=None)
@given(st.binary(max_size=2048), st.binary(max_size=64))
def test_readers_never_crash_on_any_bytes(blob, prefix):
    for data in (blob, b"\x7fELF" + blob, prefix + b"\xff Go buildinf:" + blob):
        info = parse_elf_header(data)
        assert info.is_elf in (True, False)
        musl_version(data)
        glibc_version(data)
        go_build_info(data)
        static_resolver(data)


@settings(deadline=None)
@given(st.text(max_size=500))
def test_package_database_parser_never_crashes(text):
    for name, _version, line in _stanzas(text, "P:", "V:"):
        assert line >= 1
        assert isinstance(name, str)


@settings(deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.text(max_size=20) | st.integers(),
            lambda c: (
                st.lists(c, max_size=3)
                | st.dictionaries(
                    st.sampled_from(["Layers", "manifests", "digest", "layers", "platform"]),
                    c,
                    max_size=3,
                )
            ),
            max_leaves=10,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_any_manifest_content_is_an_error_not_a_crash(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("manifest") / "image.tar"
    with tarfile.open(path, "w") as tar:
        for name in ("manifest.json", "index.json"):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    report = LibcReport()
    scan_image(report, path)
    assert report.errors or report.scopes
