"""Builders for synthetic captures: packets, pcap and pcapng files, and corpus rewriting."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from pathlib import Path

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import CaptureRecord

QUERY = bytes.fromhex("abcd0100000100000000000003777777076578616d706c6503636f6d0000010001")
RESPONSE = bytes.fromhex(
    "abcd8180000100010000000003777777076578616d706c6503636f6d0000010001"
    "c00c000100010000012c00045db8d822"
)

Record = tuple  # (seconds, fraction, packet[, original length])


def checksum(data: bytes) -> int:
    if len(data) & 1:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _raw(address: str) -> bytes:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return socket.inet_pton(family, address)


def ip(src: str, dst: str, proto: int, payload: bytes, ident: int = 1, frag: int = 0) -> bytes:
    """IPv4 or IPv6 (by address family) around a payload; frag = IPv4 flags/offset word."""
    s, d = _raw(src), _raw(dst)
    if len(s) == 16:
        return struct.pack("!IHBB", 0x60000000, len(payload), proto, 64) + s + d + payload
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, s, d)
    return head[:10] + struct.pack("!H", checksum(head)) + head[12:] + payload


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes, *, good: bool = True) -> bytes:
    """An IP packet carrying UDP with a correct (or deliberately wrong) checksum."""
    s, d = _raw(src), _raw(dst)
    ulen = 8 + len(payload)
    segment = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    csum = checksum(s + d + struct.pack("!HH", 17, ulen) + segment) or 0xFFFF
    if not good:
        csum ^= 0x5A5A
    return ip(src, dst, 17, segment[:6] + struct.pack("!H", csum) + segment[8:])


def tcp(
    src: str, dst: str, sport: int, dport: int, seq: int, flags: int, payload: bytes = b""
) -> bytes:
    head = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0)
    return ip(src, dst, 6, head + payload)


def ether(packet: bytes, vlans: Iterable[int] = ()) -> bytes:
    out = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb"
    for vid in vlans:
        out += struct.pack("!HH", 0x8100, vid)
    return out + (b"\x86\xdd" if packet[0] >> 4 == 6 else b"\x08\x00") + packet


def pcap(records: Iterable[Record], link: int = 1, order: str = "<", nano: bool = False) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, link)]
    for sec, frac, data, *orig in records:
        origlen = orig[0] if orig else len(data)
        out.append(struct.pack(order + "IIII", sec, frac, len(data), origlen) + data)
    return b"".join(out)


def _block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", btype, length) + body + struct.pack(order + "I", length)


def _option(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def pcapng_section(
    order: str, interfaces: list[tuple[int, int | None, int]], packets: list[tuple[int, int, bytes]]
) -> bytes:
    """One section: interfaces = [(link, tsresol byte or None, tsoffset)], packets =
    [(interface, timestamp in that interface's units, data)]; adds an unknown block too."""
    out = [_block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for link, tsresol, tsoffset in interfaces:
        options = b""
        if tsresol is not None:
            options += _option(order, 9, bytes([tsresol]))
        if tsoffset:
            options += _option(order, 14, struct.pack(order + "q", tsoffset))
        if options:
            options += _option(order, 0, b"")
        out.append(_block(order, 1, struct.pack(order + "HHI", link, 0, 0) + options))
    out.append(_block(order, 0x0BAD, b"custom block we do not know"))
    for iface, stamp, data in packets:
        head = struct.pack(
            order + "5I", iface, stamp >> 32, stamp & 0xFFFFFFFF, len(data), len(data)
        )
        out.append(_block(order, 6, head + data))
    return b"".join(out)


def read_all(path: Path, ports: frozenset[int] = frozenset({53})) -> list[CaptureRecord]:
    return list(CaptureReader(path, ports=ports).records())


def pcap_records(blob: bytes) -> tuple[int, list[tuple[int, int, int, bytes]]]:
    """(link type, [(sec, usec, origlen, data)]) of a little-endian microsecond pcap."""
    link = struct.unpack_from("<I", blob, 20)[0]
    pos, out = 24, []
    while pos < len(blob):
        sec, frac, caplen, origlen = struct.unpack_from("<IIII", blob, pos)
        out.append((sec, frac, origlen, blob[pos + 16 : pos + 16 + caplen]))
        pos += 16 + caplen
    return link, out
