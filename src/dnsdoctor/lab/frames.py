"""Recompute a scenario's frames of interest from a capture, by role (`scenarios.Role`).

A fresh recording can differ from a bundled sample in query IDs, and racing packets (a late
answer and the ICMP error for it, two servers' answers) can come in another order, so the
lab never declares frame numbers: it declares roles ("queries to 127.0.0.10", "resent
queries", "SERVFAIL responses") and this module finds the frames that play them, 1-based as
``tshark -r FILE`` numbers them. It has its own small pcap walk (classic pcap, as tcpdump
writes on ``lo``) and decodes DNS with dnspython; it does not use `dnsdoctor.evidence`, so
the lab checks the analysis engine against an independent reading.
"""

from __future__ import annotations

import ipaddress
import struct
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from dnsdoctor.lab.scenarios import Role


@dataclass(frozen=True)
class Packet:
    frame: int
    kind: str  # "query" | "response" | "icmp" | "other"
    src: str
    dst: str
    sport: int = 0
    id: int = -1
    qname: str = ""
    qtype: str = ""
    rcode: str = ""
    tc: bool = False


def _records(path: Path) -> Iterator[tuple[int, bytes]]:
    """(frame number, IP packet) for every record of a classic pcap file."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    skip = {1: 14, 113: 16, 276: 20, 12: 0, 101: 0, 0: 4}.get(linktype)
    if skip is None:
        raise ValueError(f"{path}: unexpected link type {linktype}")
    offset, frame = 24, 0
    while offset + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[offset + 8 : offset + 12])[0]
        record = data[offset + 16 : offset + 16 + incl]
        offset += 16 + incl
        frame += 1
        yield frame, record[skip:]


def _messages(payload: bytes, transport: str) -> list[dns.message.Message]:
    chunks = [payload]
    if transport == "tcp":
        chunks = []
        while len(payload) >= 2:
            size = int.from_bytes(payload[:2], "big")
            chunks.append(payload[2 : 2 + size])
            payload = payload[2 + size :]
    out = []
    for chunk in chunks:
        try:
            out.append(dns.message.from_wire(chunk))
        except (dns.exception.DNSException, ValueError):
            continue
    return out


def packets(path: str | Path) -> list[Packet]:
    """Every DNS message (one per message, so a TCP segment may give two) and ICMP error."""
    out: list[Packet] = []
    for frame, ip in _records(Path(path)):
        if not ip:
            continue
        version = ip[0] >> 4
        if version == 4 and len(ip) >= 20:
            ihl = (ip[0] & 15) * 4
            proto = ip[9]
            src, dst = str(ipaddress.IPv4Address(ip[12:16])), str(ipaddress.IPv4Address(ip[16:20]))
            body = ip[ihl:]
            icmp = proto == 1
        elif version == 6 and len(ip) >= 40:
            proto = ip[6]
            src, dst = str(ipaddress.IPv6Address(ip[8:24])), str(ipaddress.IPv6Address(ip[24:40]))
            body = ip[40:]
            icmp = proto == 58
        else:
            continue
        if icmp:
            out.append(Packet(frame, "icmp", src, dst))
            continue
        if proto == 17 and len(body) >= 8:
            transport, sport, dport = "udp", *struct.unpack(">HH", body[:4])
            payload = body[8:]
        elif proto == 6 and len(body) >= 20:
            transport, sport, dport = "tcp", *struct.unpack(">HH", body[:4])
            payload = body[(body[12] >> 4) * 4 :]
        else:
            continue
        if 53 not in (sport, dport) or not payload:
            continue
        for msg in _messages(payload, transport):
            q = msg.question[0] if msg.question else None
            out.append(
                Packet(
                    frame,
                    "response" if msg.flags & dns.flags.QR else "query",
                    src,
                    dst,
                    sport,
                    msg.id,
                    q.name.to_text().lower() if q is not None else "",
                    dns.rdatatype.to_text(q.rdtype) if q is not None else "",
                    dns.rcode.to_text(msg.rcode()),
                    bool(msg.flags & dns.flags.TC),
                )
            )
    return out


def _matches(role: Role, p: Packet, all_packets: list[Packet]) -> bool:
    if p.kind != role.kind:
        return False
    if role.server is not None and (p.dst if p.kind == "query" else p.src) != role.server:
        return False
    if role.qname_suffix is not None and not p.qname.endswith(role.qname_suffix.lower()):
        return False
    if role.rcode is not None and p.rcode != role.rcode:
        return False
    if role.truncated is not None and p.tc != role.truncated:
        return False
    responses = [r for r in all_packets if r.kind == "response"]
    queries = [q for q in all_packets if q.kind == "query"]
    if role.got_truncated and not any(
        r.tc and (r.id, r.qtype) == (p.id, p.qtype) for r in responses
    ):
        return False
    if role.resent:
        sent = Counter((q.id, q.qname, q.qtype) for q in queries)
        if sent[(p.id, p.qname, p.qtype)] < 2:
            return False
    if role.shares_id and not any(
        (q.src, q.sport, q.id) == (p.src, p.sport, p.id) and q.qtype != p.qtype for q in queries
    ):
        return False
    return not (
        role.unanswered
        and any((r.id, r.qname, r.qtype) == (p.id, p.qname, p.qtype) for r in responses)
    )


def select(path: str | Path, roles: Iterable[Role]) -> list[int]:
    """The sorted frame numbers of `path` that play any of `roles`."""
    all_packets = packets(path)
    roles = list(roles)
    return sorted({p.frame for p in all_packets if any(_matches(r, p, all_packets) for r in roles)})


__all__ = ["Packet", "packets", "select"]
