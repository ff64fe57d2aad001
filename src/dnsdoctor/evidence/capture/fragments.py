"""Bounded IPv4/IPv6 fragment reassembly.

Entries live at most `timeout` seconds of capture time after their first fragment; there are at
most `max_entries` of them holding at most `max_bytes` in all (the oldest go first), and one
datagram may have at most MAX_PIECES fragments. A datagram whose fragments never all arrive
is counted in `orphans` (fragment packets thrown away) - it is not damage.
"""

from __future__ import annotations

from dnsdoctor.evidence.capture.malformed import Malformed

MAX_DATAGRAM = 65535
MAX_PIECES = 256
FragKey = tuple[bytes, bytes, int, int]  # src, dst, protocol (0 for IPv6), identification


class _Entry:
    __slots__ = ("first_ts", "frames", "pieces", "proto", "received", "total")

    def __init__(self, ts: float, proto: int) -> None:
        self.first_ts = ts
        self.frames: list[int] = []
        self.pieces: list[tuple[int, bytes]] = []
        self.received = 0
        self.total = -1
        self.proto = proto


class Reassembler:
    def __init__(
        self, timeout: float = 30.0, max_entries: int = 4096, max_bytes: int = 32 << 20
    ) -> None:
        self.timeout = timeout
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.held = 0  # bytes buffered over all entries
        self.entries: dict[FragKey, _Entry] = {}
        self.orphans = 0  # fragment packets discarded because their datagram never completed
        self.reassembled = 0  # fragment packets that went into a complete datagram

    def add(
        self,
        key: FragKey,
        proto: int,
        ts: float,
        frame: int,
        frag: tuple[int, int, bool],
        data: bytes,
    ) -> tuple[int, bytes, tuple[int, ...]] | None:
        """Store one fragment; (protocol, payload, frames) once the datagram is complete."""
        self._expire(ts)
        _ident, offset, more = frag
        end = offset + len(data)
        if end > MAX_DATAGRAM:
            raise Malformed("malformed-fragment", f"fragment ends at {end}, beyond {MAX_DATAGRAM}")
        while self.entries and self.held + len(data) > self.max_bytes:
            self._drop(next(iter(self.entries)))
        entry = self.entries.get(key)
        if entry is None:
            if len(self.entries) >= self.max_entries:
                self._drop(next(iter(self.entries)))
            entry = self.entries[key] = _Entry(ts, proto)
        elif len(entry.pieces) >= MAX_PIECES:
            self._drop(key)
            raise Malformed(
                "malformed-fragment", f"more than {MAX_PIECES} fragments for one datagram"
            )
        entry.frames.append(frame)
        entry.pieces.append((offset, data))
        entry.received += len(data)
        self.held += len(data)
        if offset == 0:
            entry.proto = proto  # IPv6: only the first fragment names the upper layer for sure
        if not more:
            entry.total = end
        if entry.total < 0 or entry.received < entry.total:
            return None
        payload = _assemble(entry.pieces, entry.total)
        if payload is None:
            return None
        del self.entries[key]
        self.held -= entry.received
        self.reassembled += len(entry.frames)
        return entry.proto, payload, tuple(entry.frames)

    def finish(self) -> None:
        """End of capture: whatever is still waiting is orphaned."""
        for key in list(self.entries):
            self._drop(key)

    def _expire(self, now: float) -> None:
        entries = self.entries
        limit = now - self.timeout
        while entries:
            key = next(iter(entries))
            if entries[key].first_ts >= limit:
                return
            self._drop(key)

    def _drop(self, key: FragKey) -> None:
        entry = self.entries.pop(key)
        self.held -= entry.received
        self.orphans += len(entry.frames)


def _assemble(pieces: list[tuple[int, bytes]], total: int) -> bytes | None:
    """The datagram if the pieces cover 0..total without holes (later copies win overlaps)."""
    covered = 0
    for offset, data in sorted(pieces, key=lambda piece: piece[0]):
        if offset > covered:
            return None
        covered = max(covered, offset + len(data))
    if covered < total:
        return None
    out = bytearray(total)
    for offset, data in pieces:
        piece = data[: max(0, total - offset)]
        out[offset : offset + len(piece)] = piece
    return bytes(out)
