"""Classic libpcap files: both byte orders, micro- and nanosecond magic, Kuznetzov's variant.

`PcapFile.packets()` yields one tuple per record,
``(offset, ts, link_type, interface, data, cut)`` where `cut` says the snaplen cut the packet,
and ends with at most one fatal Damage when the file is cut or a record length is absurd.

Records the capture fast path claimed (`claims`, engine/triage.py) are counted in `count`
(frame_count.py) but not yielded. The C scanner (engine/_triage) slices the
whole records of each chunk; the Python loop below handles what straddles a chunk boundary
and the damage, so both paths report a cut file the same way.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from dnsdoctor.evidence.capture.frame_count import FrameCount
from dnsdoctor.evidence.capture.records import Damage
from dnsdoctor.evidence.capture.source import ByteSource
from dnsdoctor.evidence.capture.window import refill

try:
    from dnsdoctor.engine._triage import scan as _scan
except ImportError:  # built without a C compiler
    _scan = None  # type: ignore[assignment]

RawPacket = tuple[int, float, int, int, bytes, bool]

MAX_CAPLEN = 256 * 1024
FILE_HEADER_LEN = 24

# magic as it appears on disk -> (struct byte order, fraction units, record header length)
MAGICS: dict[bytes, tuple[str, int, int]] = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000, 16),
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000, 16),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000, 16),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000, 16),
    b"\x34\xcd\xb2\xa1": ("<", 1_000_000, 24),  # Alexey Kuznetzov's patched libpcap
    b"\xa1\xb2\xcd\x34": (">", 1_000_000, 24),
}


class PcapFile:
    """Streams the records of a classic pcap file from a ByteSource positioned at its start."""

    file_format = "pcap"

    def __init__(self, src: ByteSource, head: bytes, claims: bytes = b"") -> None:
        self.src = src
        self._head = head  # the first bytes already read from src
        self.consumed = 0  # stream offset just past the last whole record
        self.link_type = -1
        self.count = FrameCount(claims)

    def link_counts(self, packets: int) -> dict[int, int]:
        return {self.link_type: packets} if packets else {}

    def packets(self) -> Iterator[RawPacket | Damage]:
        buf, _ = refill(self.src, self._head, 0, 0, FILE_HEADER_LEN)
        self._head = b""
        order, units, rec_len = MAGICS[buf[:4]]
        if len(buf) < FILE_HEADER_LEN:
            yield Damage(
                0, "truncated-file-header", "file ends inside the pcap file header", fatal=True
            )
            return
        self.link_type = link = struct.unpack_from(order + "I", buf, 20)[0] & 0xFFFF
        yield from self._records(buf, FILE_HEADER_LEN, order, units, rec_len, link)

    def _records(
        self, buf: bytes, pos: int, order: str, units: int, rec_len: int, link: int
    ) -> Iterator[RawPacket | Damage]:
        unpack = struct.Struct(order + "IIII").unpack_from
        src = self.src
        base = 0
        n = len(buf)
        big = order == ">"
        count = self.count
        while True:
            if _scan is not None and pos + rec_len <= n:
                items, pos, frames, txs, lookups, first, last = _scan(
                    buf, pos, count.frames, count.claims, big, units, rec_len,
                    count.claimed_tx, count.claimed_lookups,
                )  # fmt: skip
                if count.first_ts is None:
                    count.first_ts = first
                if last is not None:
                    count.last_ts = last
                for at, ts, data, cut, frame, txs_before, lookups_before in items:
                    count.frame, count.claimed_tx = frame, txs_before
                    count.claimed_lookups = lookups_before
                    self.consumed = base + at + rec_len + len(data)
                    yield (base + at, ts, link, 0, data, cut)
                count.frames, count.claimed_tx, count.claimed_lookups = frames, txs, lookups
                self.consumed = base + pos
            if pos + rec_len > n:
                buf, base = refill(src, buf, base, pos, rec_len)
                pos, n = 0, len(buf)
                if n < rec_len:
                    self.consumed = base
                    if n:
                        yield _cut(base, "truncated-record-header", "inside a record header", src)
                    return
            sec, frac, caplen, origlen = unpack(buf, pos)
            if caplen > MAX_CAPLEN:
                self.consumed = base + pos
                yield Damage(
                    base + pos,
                    "bad-record-length",
                    f"record claims {caplen} captured bytes (limit {MAX_CAPLEN})",
                    fatal=True,
                )
                return
            start = pos + rec_len
            end = start + caplen
            if end > n:
                buf, base = refill(src, buf, base, pos, rec_len + caplen)
                pos, n = 0, len(buf)
                start, end = rec_len, rec_len + caplen
                if end > n:
                    self.consumed = base
                    yield _cut(base, "truncated-record", "inside a packet record", src)
                    return
            self.consumed = base + end
            pos = end
            ts = sec + frac / units
            if count.claimed(ts):
                continue
            yield (base + start - rec_len, ts, link, 0, buf[start:end], caplen < origlen)


def _cut(offset: int, kind: str, where: str, src: ByteSource) -> Damage:
    why = f" ({src.error})" if src.error else ""
    return Damage(offset, kind, f"file ends {where}{why}", fatal=True)
