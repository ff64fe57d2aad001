"""Fixture roots and image tarballs for the libc/clock tests, built at test time from real parts.

- musl loader: the real bytes of Debian's `musl` 1.2.3-1 package (`/usr/lib/x86_64-linux-musl/
  libc.so`, which Debian also installs as `/lib/ld-musl-x86_64.so.1`), copied to where Alpine
  keeps it. Needs `apt-get install musl musl-tools`.
- glibc: this host's `/lib/x86_64-linux-gnu/libc.so.6` (Debian 12's libc6).
- binaries: compiled here from the lab's `gai.c` with `musl-gcc` (dynamic and `-static`) and
  `go build` with `CGO_ENABLED=0` (through `dnsdoctor.lab.build`).
- apk database: hand-written in the format of Alpine's `/lib/apk/db/installed` (the `P:`, `V:`,
  `A:`, `T:`, `F:`, `R:` fields as in Alpine 3.16's record for musl 1.2.3-r4); hand-made.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

MUSL_SO = Path("/usr/lib/x86_64-linux-musl/libc.so")
GLIBC_SO = Path("/lib/x86_64-linux-gnu/libc.so.6")
LAB_GAI = Path(__file__).resolve().parents[3] / "src/dnsdoctor/lab/clients/gai.c"

APK_INSTALLED = """\
C:Q1xhnKCfd0cXW9Jp6LNsX3Eb5B4vM=
P:musl
V:1.2.3-r4
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1666009574
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
R:libc.musl-x86_64.so.1

C:Q1ZGjRpGIfa3Ic6oK8Q3vFWq1L1Qs=
P:busybox
V:1.35.0-r17
A:x86_64
T:Size optimized toolbox of many common UNIX utilities
"""

PAUSE_C = r"""
#include <unistd.h>
int main(void) { for (;;) pause(); }
"""


def require_musl() -> None:
    if not MUSL_SO.is_file() or shutil.which("musl-gcc") is None:
        pytest.fail("musl and musl-tools are needed: apt-get install musl musl-tools")


def compile_musl(source: Path, out: Path, *, static: bool) -> Path:
    require_musl()
    command = ["musl-gcc", "-O2", "-o", str(out), str(source)]
    if static:
        command.insert(1, "-static")
    subprocess.run(command, check=True, capture_output=True)
    return out


def alpine_root(base: Path, *, apk: bool = True, binaries: Path | None = None) -> Path:
    """An Alpine-like root: the real musl loader, its libc symlink, an apk db, a musl binary."""
    require_musl()
    root = base / ("alpine" if apk else "alpine-noapk")
    (root / "lib").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "etc").mkdir()
    shutil.copyfile(MUSL_SO, root / "lib/ld-musl-x86_64.so.1")
    os.chmod(root / "lib/ld-musl-x86_64.so.1", 0o755)
    os.symlink("ld-musl-x86_64.so.1", root / "lib/libc.musl-x86_64.so.1")
    if apk:
        (root / "lib/apk/db").mkdir(parents=True)
        (root / "lib/apk/db/installed").write_text(APK_INSTALLED)
    (root / "etc/resolv.conf").write_text("nameserver 10.96.0.10\n")
    work = binaries or base
    source = work / "pause.c"
    source.write_text(PAUSE_C)
    compile_musl(source, root / "bin/pause", static=False)  # PT_INTERP /lib/ld-musl-x86_64.so.1
    return root


def glibc_root(base: Path) -> Path:
    root = base / "debian"
    (root / "lib/x86_64-linux-gnu").mkdir(parents=True)
    shutil.copyfile(GLIBC_SO, root / "lib/x86_64-linux-gnu/libc.so.6")
    return root


def distroless_root(base: Path, binary: Path, name: str = "server") -> Path:
    """Only one static binary under /app, as distroless/static or scratch images hold."""
    root = base / f"distroless-{name}"
    (root / "app").mkdir(parents=True)
    shutil.copyfile(binary, root / "app" / name)
    os.chmod(root / "app" / name, 0o755)
    return root


def layer_bytes(
    root: Path | None, extra: dict[str, bytes] | None = None, *, gz: bool = False
) -> bytes:
    """A layer tar of `root`'s tree (paths relative, as image layers are) plus `extra` entries
    (empty bytes for whiteout markers)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w") as tar:
        if root is not None:
            for path in sorted(root.rglob("*")):
                tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def docker_save(out: Path, layers: list[bytes]) -> Path:
    """A `docker save` (legacy) tarball: manifest.json with Layers, one <n>/layer.tar each."""
    names = [f"{index:02d}/layer.tar" for index in range(len(layers))]
    manifest = [{"Config": "config.json", "RepoTags": ["fixture:latest"], "Layers": names}]
    with tarfile.open(out, "w") as tar:
        _add(tar, "manifest.json", json.dumps(manifest).encode())
        _add(tar, "config.json", b"{}")
        for name, data in zip(names, layers, strict=True):
            _add(tar, name, data)
    return out


def oci_layout(out: Path, layers: list[bytes]) -> Path:
    """An OCI image layout tarball: index.json -> manifest blob -> layer blobs (gzip or not)."""
    import hashlib

    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    descriptors = [
        {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(d), "size": len(d)}
        for d in layers
    ]
    manifest = json.dumps({"schemaVersion": 2, "layers": descriptors}).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest(manifest),
                "size": len(manifest),
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
    with tarfile.open(out, "w") as tar:
        _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        _add(tar, "index.json", json.dumps(index).encode())
        for data in [manifest, *layers]:
            _add(tar, "blobs/sha256/" + digest(data).split(":")[1], data)
    return out


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
