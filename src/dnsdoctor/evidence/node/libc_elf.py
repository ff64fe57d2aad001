"""What an ELF file's bytes say about the C library (or Go runtime) that resolves names for it.

Only bytes are read: the ELF header and program headers (is there a `PT_INTERP`, and which
loader does it name), version strings in a loader or libc (musl's dynamic loader keeps its
version next to `/proc/self/fd/`; glibc's `libc.so.6` carries "GNU C Library ... release
version X.Y"), Go's build info (the `\\xff Go buildinf:` blob), and, for a static binary
without Go build info, which resolver's strings it holds: musl's resolv.conf parser knows
`attempts:` but not `single-request`, glibc's knows both and links in `GLIBC_` markers.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

ELF_MAGIC = b"\x7fELF"
PT_INTERP = 3
GO_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_GLIBC_BANNER = re.compile(rb"GNU C Library \(([^)\n]{1,80})\)[^\n]{0,80}?version (\d+\.\d+[\w.]*)")
# musl's dynamic loader: `__libc_version` sits in .rodata right after "/proc/self/fd/" (the
# string before it in src/ldso/dynlink.c's pool) in every build we have seen; the fallback is
# the first lone "N.N.N" string after the "musl libc (" banner.
_MUSL_VERSION_NEAR_FD = re.compile(rb"/proc/self/fd/\x00(\d+\.\d+\.\d+[\w.+-]{0,16})\x00")
_MUSL_BANNER = b"musl libc ("
_LONE_VERSION = re.compile(rb"\x00(\d+\.\d+\.\d+)\x00")


@dataclass(frozen=True, slots=True)
class ElfInfo:
    is_elf: bool
    interp: str | None = (
        None  # PT_INTERP: "/lib/ld-musl-x86_64.so.1", "/lib64/ld-linux-x86-64.so.2"
    )
    machine: int = 0
    elf_type: int = 0
    truncated: bool = False  # the program headers lay beyond the bytes read

    @property
    def static(self) -> bool:
        return self.is_elf and self.interp is None and not self.truncated


def parse_elf_header(data: bytes) -> ElfInfo:
    """Header and PT_INTERP from the first bytes of a file; never raises on malformed input."""
    if len(data) < 52 or not data.startswith(ELF_MAGIC):
        return ElfInfo(False)
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        return ElfInfo(False)
    end = "<" if ei_data == 1 else ">"
    wide = ei_class == 2
    try:
        e_type, e_machine = struct.unpack_from(end + "HH", data, 16)
        if wide:
            e_phoff = struct.unpack_from(end + "Q", data, 32)[0]
            e_phentsize, e_phnum = struct.unpack_from(end + "HH", data, 54)
        else:
            e_phoff = struct.unpack_from(end + "I", data, 28)[0]
            e_phentsize, e_phnum = struct.unpack_from(end + "HH", data, 42)
    except struct.error:
        return ElfInfo(False)
    if e_phnum == 0:
        return ElfInfo(True, None, e_machine, e_type)
    if e_phentsize < (56 if wide else 32) or e_phoff + e_phentsize * e_phnum > len(data):
        return ElfInfo(True, None, e_machine, e_type, truncated=True)
    interp = _interp(data, end, wide, e_phoff, e_phentsize, e_phnum)
    return ElfInfo(True, interp, e_machine, e_type)


def _interp(data: bytes, end: str, wide: bool, phoff: int, entsize: int, count: int) -> str | None:
    for index in range(min(count, 256)):
        base = phoff + index * entsize
        p_type = struct.unpack_from(end + "I", data, base)[0]
        if p_type != PT_INTERP:
            continue
        if wide:
            offset, _va, _pa, size = struct.unpack_from(end + "QQQQ", data, base + 8)
        else:
            offset, _va, _pa, size = struct.unpack_from(end + "IIII", data, base + 4)
        raw = data[offset : offset + min(size, 4096)]
        if not raw:
            return "(beyond the bytes read)"
        return raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return None


def loader_family(interp: str) -> str | None:
    """Which libc a PT_INTERP path belongs to."""
    leaf = interp.rsplit("/", 1)[-1]
    if leaf.startswith("ld-musl-"):
        return "musl"
    if leaf.startswith(("ld-linux", "ld64.so", "ld.so")):
        return "glibc"
    return None


def musl_version(data: bytes) -> str | None:
    """musl's version from its dynamic loader / libc.so bytes, or None."""
    match = _MUSL_VERSION_NEAR_FD.search(data)
    if match:
        return match.group(1).decode("ascii")
    banner = data.find(_MUSL_BANNER)
    if banner < 0:
        return None
    lone = _LONE_VERSION.search(data, banner)
    return lone.group(1).decode("ascii") if lone else None


def glibc_version(data: bytes) -> tuple[str, str] | None:
    """(version, build description) from glibc's libc.so.6 banner, or None."""
    match = _GLIBC_BANNER.search(data)
    if not match:
        return None
    return match.group(2).decode("ascii", "replace").rstrip("."), match.group(1).decode(
        "ascii", "replace"
    )


@dataclass(frozen=True, slots=True)
class GoBuild:
    version: str | None  # "go1.19.8"; None for pre-1.18 layouts we do not decode
    cgo: bool | None  # from the build settings ("build\tCGO_ENABLED=0"), None when absent
    path: str | None  # main module or package path


def go_build_info(data: bytes) -> GoBuild | None:
    """Go's build info blob (Go >= 1.18 inline layout; older ones give version None)."""
    at = data.find(GO_BUILDINFO_MAGIC)
    if at < 0 or len(data) < at + 32:
        return None
    flags = data[at + 15]
    if not flags & 0x2:  # pre-1.18: pointers into the data segment, not decoded here
        return GoBuild(None, None, None)
    pos = at + 32
    version, pos = _varint_string(data, pos)
    modinfo, _ = _varint_string(data, pos)
    cgo: bool | None = None
    path: str | None = None
    for line in (modinfo or "").splitlines():
        fields = line.split("\t")
        if fields[0] == "build" and len(fields) > 1 and fields[1].startswith("CGO_ENABLED="):
            cgo = fields[1].endswith("=1")
        elif fields[0] == "path" and len(fields) > 1:
            path = fields[1]
    return GoBuild(version, cgo, path)


def _varint_string(data: bytes, pos: int) -> tuple[str | None, int]:
    length, shift = 0, 0
    while pos < len(data) and shift < 35:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    else:
        return None, pos
    if length > 1 << 20 or pos + length > len(data):
        return None, pos
    return data[pos : pos + length].decode("utf-8", "replace"), pos + length


def static_resolver(data: bytes) -> str | None:
    """Which libc's resolver a static, non-Go ELF carries: "glibc", "musl", or None (none seen:
    no resolver linked in, or musl's own loader, which is evidence for shared musl instead)."""
    if b"/etc/resolv.conf" not in data or _MUSL_BANNER in data:
        return None
    if b"GLIBC_" in data or b"GNU C Library" in data:
        return "glibc"
    if b"attempts:" in data and b"single-request" not in data:
        return "musl"
    return None
