"""IPv4 and IPv6 headers (with IPv6 extension headers) and textual addresses.

`ipv4`/`ipv6` return ``(proto, src, dst, start, end, frag)``: the upper-layer protocol, the raw
address bytes, where the payload starts and ends in `data`, and for fragments
``(ident, offset, more)`` (else None). A header that lies raises `Malformed`; a packet cut
short by the snaplen (`cut` says that is possible) keeps its declared end, past the data.
"""

from __future__ import annotations

import socket

from dnsdoctor.evidence.capture.malformed import Malformed

Frag = tuple[int, int, bool]
IpHeader = tuple[int, bytes, bytes, int, int, Frag | None]

_V6_EXT_8 = frozenset({0, 43, 60, 135, 139, 140})  # length in 8-octet units, not counting 8
_AH, _FRAGMENT = 51, 44
_MAX_EXT = 16

_names: dict[bytes, str] = {}
_MAX_NAMES = 1 << 16


def addr(raw: bytes) -> str:
    """Text of a 4- or 16-byte address, cached: captures repeat few addresses many times."""
    name = _names.get(raw)
    if name is None:
        if len(_names) >= _MAX_NAMES:
            _names.clear()
        if len(raw) == 4:
            name = f"{raw[0]}.{raw[1]}.{raw[2]}.{raw[3]}"
        else:
            name = socket.inet_ntop(socket.AF_INET6, raw)
        _names[raw] = name
    return name


def ipv4(data: bytes, pos: int, cut: bool) -> IpHeader:
    vihl = data[pos]
    ihl = (vihl & 15) * 4
    if vihl >> 4 != 4 or ihl < 20:
        raise Malformed("malformed-ip", f"IPv4 header: version {vihl >> 4}, length {ihl}")
    total = (data[pos + 2] << 8) | data[pos + 3]
    avail = len(data) - pos
    if total == 0:  # segmentation offload on the capturing host: length not filled in
        total = avail
    elif total < ihl:
        raise Malformed("malformed-ip", f"IPv4 total length {total} < header length {ihl}")
    if total > avail and not cut:
        raise Malformed("malformed-ip", f"IPv4 total length {total} > {avail} bytes in packet")
    if ihl > avail:
        raise IndexError("IPv4 header cut")
    flags = (data[pos + 6] << 8) | data[pos + 7]
    frag: Frag | None = None
    if flags & 0x3FFF:
        ident = (data[pos + 4] << 8) | data[pos + 5]
        frag = (ident, (flags & 0x1FFF) * 8, bool(flags & 0x2000))
    src = data[pos + 12 : pos + 16]
    dst = data[pos + 16 : pos + 20]
    return data[pos + 9], src, dst, pos + ihl, pos + total, frag


def ipv6(data: bytes, pos: int, cut: bool) -> IpHeader:
    if data[pos] >> 4 != 6:
        raise Malformed("malformed-ip", f"IPv6 header with version {data[pos] >> 4}")
    plen = (data[pos + 4] << 8) | data[pos + 5]
    end = pos + 40 + plen
    if plen == 0:  # jumbogram or offload: take what is there
        end = len(data)
    elif end > len(data) and not cut:
        raise Malformed("malformed-ip", f"IPv6 payload length {plen} > bytes in packet")
    src = data[pos + 8 : pos + 24]
    dst = data[pos + 24 : pos + 40]
    if len(data) < pos + 40:
        raise IndexError("IPv6 header cut")
    nh, start, frag = v6_extensions(data, data[pos + 6], pos + 40, min(end, len(data)))
    return nh, src, dst, start, end, frag


def v6_extensions(data: bytes, nh: int, pos: int, end: int) -> tuple[int, int, Frag | None]:
    """Skip extension headers; stop after a fragment header (the rest is fragment data)."""
    for _ in range(_MAX_EXT):
        if nh in _V6_EXT_8:
            length = (data[pos + 1] + 1) * 8
        elif nh == _AH:
            length = (data[pos + 1] + 2) * 4
        elif nh == _FRAGMENT:
            if pos + 8 > end:
                raise IndexError("IPv6 fragment header cut")
            word = (data[pos + 2] << 8) | data[pos + 3]
            ident = int.from_bytes(data[pos + 4 : pos + 8], "big")
            return data[pos], pos + 8, (ident, word & 0xFFF8, bool(word & 1))
        else:
            return nh, pos, None
        nh = data[pos]
        pos += length
        if pos > end:
            raise IndexError("IPv6 extension header cut")
    raise Malformed("malformed-ip", f"more than {_MAX_EXT} IPv6 extension headers")
