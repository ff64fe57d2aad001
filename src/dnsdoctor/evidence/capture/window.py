"""A sliding window over a ByteSource: whole records are sliced out of large chunks."""

from __future__ import annotations

from dnsdoctor.evidence.capture.source import CHUNK, ByteSource


def refill(src: ByteSource, buf: bytes, base: int, pos: int, need: int) -> tuple[bytes, int]:
    """Keep buf[pos:], append reads until `need` bytes are there or the stream ends.

    Returns the new buffer (starting at what was buf[pos]) and its stream offset.
    """
    parts = [buf[pos:]]
    have = len(parts[0])
    while have < need:
        more = src.read(max(CHUNK, need - have))
        if not more:
            break
        parts.append(more)
        have += len(more)
    return b"".join(parts), base + pos
