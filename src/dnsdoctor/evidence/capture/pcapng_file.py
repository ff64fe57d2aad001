"""pcapng files: sections with their own byte order, many interfaces, EPB/SPB/obsolete PB.

`PcapngFile.packets()` yields the same raw tuples as `PcapFile.packets()`; the interface number
is global (IDBs counted across all sections). Unknown block types are skipped. Damage to the
block structure (bad or mismatched block length, cut file, packet claiming more bytes than its
block holds, unknown interface) is fatal, as it is for Wireshark.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from dnsdoctor.evidence.capture.frame_count import FrameCount
from dnsdoctor.evidence.capture.pcap_file import RawPacket
from dnsdoctor.evidence.capture.records import Damage
from dnsdoctor.evidence.capture.source import ByteSource
from dnsdoctor.evidence.capture.window import refill

MAGIC = b"\x0a\x0d\x0d\x0a"
MAX_BLOCK = 16 << 20
_SHB, _IDB, _PB, _SPB, _EPB = 0x0A0D0D0A, 1, 2, 3, 6
_BOM = 0x1A2B3C4D
_OPT_TSRESOL, _OPT_TSOFFSET = 9, 14


class _Iface:
    __slots__ = ("link", "number", "offset", "packets", "snaplen", "units")

    def __init__(self, link: int, snaplen: int, units: int, offset: int, number: int) -> None:
        self.link = link
        self.snaplen = snaplen
        self.units = units
        self.offset = offset
        self.number = number
        self.packets = 0


class _Fatal(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class PcapngFile:
    """Streams the packets of a pcapng file from a ByteSource positioned at its start."""

    file_format = "pcapng"

    def __init__(self, src: ByteSource, head: bytes, claims: bytes = b"") -> None:
        self.src = src
        self._head = head
        self.consumed = 0
        self.count = FrameCount(claims)  # frames the fast path claimed are not yielded
        self.interfaces = 0  # IDBs seen so far, over all sections
        self._section: list[_Iface] = []
        self._all: list[_Iface] = []
        self._order = "<"

    def link_counts(self, packets: int) -> dict[int, int]:
        counts: dict[int, int] = {}
        for ifc in self._all:
            if ifc.packets:
                counts[ifc.link] = counts.get(ifc.link, 0) + ifc.packets
        return counts

    def packets(self) -> Iterator[RawPacket | Damage]:
        buf, base, pos = self._head, 0, 0
        self._head = b""
        while True:
            if pos + 12 > len(buf):
                buf, base = refill(self.src, buf, base, pos, 12)
                pos = 0
                if len(buf) < 12:
                    self.consumed = base
                    if buf:
                        yield self._cut(base, "inside a block header")
                    return
            try:
                btype, blen = self._block_header(buf, pos)
            except _Fatal as exc:
                yield Damage(base + pos, exc.kind, exc.detail, fatal=True)
                return
            if pos + blen > len(buf):
                buf, base = refill(self.src, buf, base, pos, blen)
                pos = 0
                if blen > len(buf):
                    self.consumed = base
                    yield self._cut(base, f"inside a block of type {btype:#x}")
                    return
            try:
                packet = self._block(btype, buf, pos, blen, base + pos)
            except _Fatal as exc:
                yield Damage(base + pos, exc.kind, exc.detail, fatal=True)
                return
            pos += blen
            self.consumed = base + pos
            if packet is not None:
                yield packet

    def _cut(self, offset: int, where: str) -> Damage:
        kind = "truncated-file-header" if offset == 0 else "truncated-block"
        why = f" ({self.src.error})" if self.src.error else ""
        return Damage(offset, kind, f"file ends {where}{why}", fatal=True)

    def _block_header(self, buf: bytes, pos: int) -> tuple[int, int]:
        order = self._order
        btype = struct.unpack_from(order + "I", buf, pos)[0]
        if btype == _SHB:
            bom = buf[pos + 8 : pos + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise _Fatal(
                    "bad-section-header", "section header with an unknown byte-order magic"
                )
            self._order = order
        blen = struct.unpack_from(order + "I", buf, pos + 4)[0]
        if blen < 12 or blen % 4 or blen > MAX_BLOCK:
            raise _Fatal("bad-block-length", f"block of type {btype:#x} claims length {blen}")
        return btype, blen

    def _block(self, btype: int, buf: bytes, pos: int, blen: int, offset: int) -> RawPacket | None:
        order = self._order
        if struct.unpack_from(order + "I", buf, pos + blen - 4)[0] != blen:
            raise _Fatal(
                "block-length-mismatch", f"block of type {btype:#x}: trailer length differs"
            )
        if btype == _EPB:
            if blen < 32:
                raise _Fatal("bad-block-length", f"enhanced packet block of length {blen}")
            iface, hi, lo, caplen, origlen = struct.unpack_from(order + "5I", buf, pos + 8)
            return self._packet(buf, pos + 28, blen - 32, iface, hi, lo, caplen, origlen, offset)
        if btype == _SPB:
            return self._simple_packet(buf, pos, blen, offset)
        if btype == _PB:
            if blen < 32:
                raise _Fatal("bad-block-length", f"packet block of length {blen}")
            iface, _drops, hi, lo, caplen, origlen = struct.unpack_from(
                order + "HH4I", buf, pos + 8
            )
            return self._packet(buf, pos + 28, blen - 32, iface, hi, lo, caplen, origlen, offset)
        if btype == _IDB:
            self._interface(buf, pos, blen)
        elif btype == _SHB:
            self._section = []
        return None

    def _packet(  # None: the fast path claimed it
        self,
        buf: bytes,
        start: int,
        room: int,
        iface: int,
        hi: int,
        lo: int,
        caplen: int,
        origlen: int,
        offset: int,
    ) -> RawPacket | None:
        if iface >= len(self._section):
            raise _Fatal(
                "unknown-interface", f"packet on interface {iface} that was never described"
            )
        if caplen > room:
            raise _Fatal(
                "bad-packet-length", f"packet claims {caplen} bytes, its block holds {room}"
            )
        ifc = self._section[iface]
        ifc.packets += 1
        sec, frac = divmod((hi << 32) | lo, ifc.units)
        ts = (sec + ifc.offset) + frac / ifc.units
        if self.count.claimed(ts):
            return None
        return (offset, ts, ifc.link, ifc.number, buf[start : start + caplen], caplen < origlen)

    def _simple_packet(self, buf: bytes, pos: int, blen: int, offset: int) -> RawPacket:
        if not self._section:
            raise _Fatal("unknown-interface", "simple packet block before any interface")
        if blen < 16:
            raise _Fatal("bad-block-length", f"simple packet block of length {blen}")
        ifc = self._section[0]
        ifc.packets += 1
        origlen = struct.unpack_from(self._order + "I", buf, pos + 8)[0]
        caplen = min(origlen, blen - 16)
        if ifc.snaplen:
            caplen = min(caplen, ifc.snaplen)
        data = buf[pos + 12 : pos + 12 + caplen]
        self.count.claimed(0.0)  # never claimed: the fast path stands aside for these blocks
        return (offset, 0.0, ifc.link, ifc.number, data, caplen < origlen)

    def _interface(self, buf: bytes, pos: int, blen: int) -> None:
        if blen < 20:
            raise _Fatal("bad-block-length", f"interface description block of length {blen}")
        order = self._order
        link, _reserved, snaplen = struct.unpack_from(order + "HHI", buf, pos + 8)
        units, tsoffset = 1_000_000, 0
        for code, value in _options(buf, pos + 16, pos + blen - 4, order):
            if code == _OPT_TSRESOL and value:
                exp = value[0]
                units = 1 << (exp & 0x7F) if exp & 0x80 else 10**exp
            elif code == _OPT_TSOFFSET and len(value) >= 8:
                tsoffset = struct.unpack_from(order + "q", value)[0]
        ifc = _Iface(link, snaplen, units, tsoffset, self.interfaces)
        self._section.append(ifc)
        self._all.append(ifc)
        self.interfaces += 1


def _options(buf: bytes, pos: int, end: int, order: str) -> Iterator[tuple[int, bytes]]:
    """(code, value) of each option until opt_endofopt or the end of the block."""
    hdr = struct.Struct(order + "HH")
    while pos + 4 <= end:
        code, length = hdr.unpack_from(buf, pos)
        if code == 0 or pos + 4 + length > end:
            return
        yield code, buf[pos + 4 : pos + 4 + length]
        pos += 4 + ((length + 3) & ~3)
