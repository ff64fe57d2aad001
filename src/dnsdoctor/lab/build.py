"""Build and cache the lab's resolver clients.

Binaries go to ``~/.cache/dnsdoctor/lab/<key>/`` where ``<key>`` hashes the client sources,
the compiler versions and musl's ``libc.a``; a changed source or toolchain gives a new directory.

* ``gai-musl``: ``musl-gcc -static -O2 gai.c`` (Debian musl 1.2.3).
* ``gai-musl-coarse``: the same, plus ``clockwrap.c`` and ``-Wl,--wrap=clock_gettime``, so
  every CLOCK_REALTIME reading is rounded down to ``DNSDOCTOR_CLOCK_QUANTUM_MS`` (default 4) ms.
  musl 1.2.3 computes a query ID in ``__res_mkquery`` as
  ``ts.tv_nsec + ts.tv_nsec/65536 & 0xffff`` from ``clock_gettime(CLOCK_REALTIME)``; with a
  quantized clock the A and AAAA queries that ``name_from_dns`` builds back to back get the
  same ID (and 1.2.3 does nothing to make them distinct), as on hosts with a coarse clock.

  How the wrap reaches libc: ``--wrap`` rewrites undefined references to ``clock_gettime``.
  In Debian's ``libc.a`` the member ``res_mkquery.lo`` holds such an undefined reference
  (``nm``: ``U clock_gettime``; the definition is the weak alias in ``clock_gettime.lo``,
  other members use ``__clock_gettime`` and are not affected). With GNU ld 2.40 the wrap
  applies to archive members too, but to not depend on that we extract ``res_mkquery.lo``
  with ``ar x`` and put it on the command line before libc, so its reference is certainly
  rewritten. After linking we check with ``objdump -d`` that ``__res_mkquery`` calls
  ``__wrap_clock_gettime``; the build fails otherwise. ``res_msend.lo`` also reads
  CLOCK_REALTIME (for its timeout loop) and sees the quantized clock; 4 ms does not matter
  against 500 ms retry steps. The lab's recorded capture of ``same-id-*`` scenarios checks
  the outcome: the A and AAAA queries carry one ID.
* ``gai-glibc``: ``gcc -O2 gai.c`` (dynamic, the host's glibc).
* ``gai-musl-new``: ``python -m ziglang cc -target x86_64-linux-musl -static -O2 gai.c``: the
  musl that the ``ziglang`` wheel bundles and compiles from source (ziglang 0.17.1 on PyPI:
  musl 1.2.5, ``lib/libc/musl/src/internal/version.h``), for the musl >= 1.2.4 model. Zig's
  caches go under the cache dir. The build fails unless the bundled musl is 1.2.4 or newer.
* ``gai-musl-new-coarse``: the same plus ``clockwrap.c`` and ``-Wl,--wrap=clock_gettime``;
  zig links its libc from objects, so the wrap reaches ``res_mkquery`` (checked with
  ``objdump`` as for ``gai-musl-coarse``). 1.2.4's ``mtime()`` reads CLOCK_MONOTONIC, which
  the wrap passes through. A and AAAA then get one clock reading and musl >= 1.2.4 bumps the
  AAAA ID's high byte: the +0x100 fingerprint.
* ``gai-go``: ``gai.go`` built with ``CGO_ENABLED=0`` (pure-Go resolver), standard library
  only, ``GOTOOLCHAIN=local GOPROXY=off GOFLAGS=`` and GOCACHE/GOPATH under the cache dir,
  so nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dnsdoctor.errors import EnvironmentMissingError

CLIENTS_DIR = Path(__file__).resolve().parent / "clients"
MUSL_LIBC_CANDIDATES = (
    Path("/usr/lib/x86_64-linux-musl/libc.a"),
    Path("/usr/lib/musl/lib/libc.a"),
    Path("/usr/local/musl/lib/libc.a"),
)
CLIENT_NAMES = (
    "gai-musl",
    "gai-musl-coarse",
    "gai-glibc",
    "gai-go",
    "gai-musl-new",
    "gai-musl-new-coarse",
)
_TOOLS = {
    "gai-musl": ("musl-gcc", "apt-get install musl-tools"),
    "gai-musl-coarse": ("musl-gcc", "apt-get install musl-tools"),
    "gai-glibc": ("gcc", "apt-get install gcc libc6-dev"),
    "gai-go": ("go", "apt-get install golang-go"),
    "gai-musl-new": (sys.executable, "pip install ziglang (the [test] extra)"),
    "gai-musl-new-coarse": (sys.executable, "pip install ziglang (the [test] extra)"),
}
ZIG = [sys.executable, "-m", "ziglang"]


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dnsdoctor" / "lab"


def musl_libc() -> Path:
    for cand in MUSL_LIBC_CANDIDATES:
        if cand.exists():
            return cand
    raise EnvironmentMissingError(
        "musl libc.a missing", hint="apt-get install musl-tools (provides musl-gcc and libc.a)"
    )


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "absent"
    return (out.stdout + out.stderr).strip().splitlines()[0] if out.stdout or out.stderr else ""


def require_tool(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise EnvironmentMissingError(f"{tool} missing", hint=hint)
    return path


def cache_key() -> str:
    h = hashlib.sha256()
    for src in sorted(CLIENTS_DIR.iterdir()):
        if src.suffix in (".c", ".go"):
            h.update(src.name.encode() + b"\0" + src.read_bytes())
    h.update(Path(__file__).read_bytes())
    for cmd in (
        ["gcc", "--version"],
        ["musl-gcc", "--version"],
        ["go", "version"],
        [*ZIG, "version"],
    ):
        h.update(_version(cmd).encode())
    for cand in MUSL_LIBC_CANDIDATES:
        if cand.exists():
            h.update(hashlib.sha256(cand.read_bytes()).digest())
            break
    return h.hexdigest()[:16]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"build step failed: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def _build_musl(out: Path, work: Path) -> None:
    _run(["musl-gcc", "-static", "-O2", "-o", str(out), str(CLIENTS_DIR / "gai.c")], work)


def _build_musl_coarse(out: Path, work: Path) -> None:
    libc = musl_libc()
    _run(["ar", "x", str(libc), "res_mkquery.lo"], work)
    obj = work / "res_mkquery.lo"
    syms = _run(["nm", str(obj)], work)
    if not any(line.split()[-2:] == ["U", "clock_gettime"] for line in syms.splitlines()):
        raise RuntimeError(f"{libc}: res_mkquery.lo has no undefined clock_gettime:\n{syms}")
    _run(
        [
            "musl-gcc",
            "-static",
            "-O2",
            "-o",
            str(out),
            str(CLIENTS_DIR / "gai.c"),
            str(CLIENTS_DIR / "clockwrap.c"),
            str(obj),
            "-Wl,--wrap=clock_gettime",
        ],
        work,
    )
    verify_coarse(out)


def verify_coarse(binary: Path, function: str = "__res_mkquery") -> None:
    """Fail unless `function` (musl's query builder) in `binary` calls __wrap_clock_gettime."""
    dis = _run(["objdump", "-d", "--no-show-raw-insn", str(binary)], binary.parent)
    in_fn = False
    calls: list[str] = []
    for line in dis.splitlines():
        if line.endswith(f"<{function}>:"):
            in_fn = True
        elif in_fn and not line.strip():
            break
        elif in_fn and "call" in line:
            calls.append(line.strip())
    if not any("<__wrap_clock_gettime>" in c for c in calls):
        raise RuntimeError(f"{function} does not call __wrap_clock_gettime: {calls}")


def _build_glibc(out: Path, work: Path) -> None:
    _run(["gcc", "-O2", "-o", str(out), str(CLIENTS_DIR / "gai.c")], work)


def _build_go(out: Path, work: Path) -> None:
    gocache = out.parent / "go"
    env = dict(os.environ)
    env.update(
        CGO_ENABLED="0",
        GOCACHE=str(gocache / "cache"),
        GOPATH=str(gocache / "path"),
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOFLAGS="",
        GO111MODULE="off",
        GOTELEMETRY="off",
    )
    shutil.copy(CLIENTS_DIR / "gai.go", work / "main.go")
    _run(["go", "build", "-trimpath", "-o", str(out), "main.go"], work, env)


def zig_musl_version() -> str:
    """The version of the musl sources bundled with the installed ziglang wheel."""
    try:
        import ziglang
    except ImportError as exc:
        raise EnvironmentMissingError(
            "ziglang missing", hint="pip install ziglang (the [test] extra)"
        ) from exc
    header = Path(ziglang.__file__).parent / "lib/libc/musl/src/internal/version.h"
    text = header.read_text() if header.exists() else ""
    return text.split('"')[1] if text.count('"') >= 2 else "unknown"


def _build_musl_new(out: Path, work: Path, coarse: bool = False) -> None:
    version = zig_musl_version()
    if tuple(int(p) for p in version.split(".")[:3] if p.isdigit()) < (1, 2, 4):
        raise RuntimeError(f"ziglang bundles musl {version}; gai-musl-new needs 1.2.4 or newer")
    env = dict(os.environ)
    env.update(
        ZIG_GLOBAL_CACHE_DIR=str(out.parents[2] / "zig-cache"),  # shared by every key: libc is slow
        ZIG_LOCAL_CACHE_DIR=str(work / "zig-local"),
    )
    cmd = [*ZIG, "cc", "-target", "x86_64-linux-musl", "-static", "-O2", "-o", str(out)]
    if not coarse:
        _run([*cmd, str(CLIENTS_DIR / "gai.c")], work, env)
        return
    wrap = [str(CLIENTS_DIR / "clockwrap.c"), "-Wl,--wrap=clock_gettime"]
    _run([*cmd, str(CLIENTS_DIR / "gai.c"), *wrap], work, env)
    verify_coarse(out, "res_mkquery")  # zig's libc names the function without the __ alias


def _build_musl_new_coarse(out: Path, work: Path) -> None:
    _build_musl_new(out, work, coarse=True)


_BUILDERS = {
    "gai-musl": _build_musl,
    "gai-musl-coarse": _build_musl_coarse,
    "gai-glibc": _build_glibc,
    "gai-go": _build_go,
    "gai-musl-new": _build_musl_new,
    "gai-musl-new-coarse": _build_musl_new_coarse,
}


def build_client(name: str, root: Path | None = None) -> Path:
    """Return the path of client `name`, building it into the cache if needed."""
    if name not in _BUILDERS:
        raise ValueError(f"unknown lab client {name!r}; known: {', '.join(CLIENT_NAMES)}")
    tool, hint = _TOOLS[name]
    require_tool(tool, hint)
    if name == "gai-musl-coarse":
        require_tool("ar", "apt-get install binutils")
        require_tool("objdump", "apt-get install binutils")
    directory = (root or cache_root()) / cache_key()
    target = directory / name
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=f".{name}-") as tmp:
        tmp_out = Path(tmp) / name
        _BUILDERS[name](tmp_out, Path(tmp))
        os.replace(tmp_out, target)
    return target


def build_all(names: tuple[str, ...] = CLIENT_NAMES) -> dict[str, Path]:
    return {name: build_client(name) for name in names}


if __name__ == "__main__":
    for client, path in build_all().items():
        print(client, path)
