"""UDP to DNS datagrams (length, checksum, snaplen cuts) and ICMP destination-unreachable errors.

Decisions:
* the UDP length field wins over the IP length (extra bytes are link padding or junk); a UDP
  length larger than the IP payload is `malformed-udp` unless the snaplen cut the packet;
* a UDP payload shorter than a DNS header (12 bytes) is never yielded: it becomes a non-fatal
  `Damage(kind="short-dns-message")` (tcpdump's dns-zlip-1 with UDP length 8 is such a case);
* the checksum is verified whenever the whole datagram is present (also after reassembly):
  IPv4 zero checksum means "not computed" (None); IPv6 zero checksum is invalid (False); a
  field holding just the pseudo-header sum is transmit checksum offload on the capturing host
  (None, no damage) - captures taken on a DNS client show that for every query it sends.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from dnsdoctor.evidence.capture.ip import addr, ipv4, ipv6
from dnsdoctor.evidence.capture.records import Damage, IcmpError

if TYPE_CHECKING:
    from dnsdoctor.evidence.capture.packet import PacketDecoder, Pkt

NAME_SERVICES = {5353: "mdns", 5355: "llmnr", 137: "netbios-ns"}
DNS_HEADER = 12

_PORTS = struct.Struct("!HH")
_UDP = struct.Struct("!HHHH")

ICMP4_KINDS = {
    0: "net-unreachable",
    1: "host-unreachable",
    2: "protocol-unreachable",
    3: "port-unreachable",
    4: "fragmentation-needed",
    5: "source-route-failed",
    6: "net-unknown",
    7: "host-unknown",
    9: "net-prohibited",
    10: "host-prohibited",
    11: "net-unreachable-for-tos",
    12: "host-unreachable-for-tos",
    13: "admin-prohibited",
}
ICMP6_KINDS = {
    0: "net-unreachable",  # no route to destination
    1: "admin-prohibited",
    2: "beyond-scope",
    3: "host-unreachable",  # address unreachable
    4: "port-unreachable",
    5: "source-policy-failed",
    6: "reject-route",
}


def udp_checksum_ok(src: bytes, dst: bytes, segment: bytes) -> bool:
    """One's-complement check of a whole UDP datagram and its pseudo-header.

    The one's-complement sum of 16-bit words is their ordinary sum modulo 0xFFFF, and a big-endian
    integer made of 16-bit words is congruent to the sum of its words modulo 0xFFFF: so one
    `int.from_bytes` per field does the work in C. A correct datagram sums to 0 (mod 0xFFFF).
    """
    body = int.from_bytes(segment, "big")
    if len(segment) & 1:
        body <<= 8
    total = int.from_bytes(src, "big") + int.from_bytes(dst, "big") + 17 + len(segment) + body
    return total % 0xFFFF == 0


def offloaded(src: bytes, dst: bytes, ulen: int, csum: int) -> bool:
    """Was the datagram captured on its way to a NIC that computes the checksum?

    With checksum offload the stack leaves only the pseudo-header sum in the field (Linux
    CHECKSUM_PARTIAL); such a packet was never wrong on the wire, so it is "not verified".
    """
    pseudo = int.from_bytes(src, "big") + int.from_bytes(dst, "big") + 17 + ulen
    return csum != 0 and csum % 0xFFFF == pseudo % 0xFFFF


def dns_udp(
    dec: PacketDecoder, pkt: Pkt, src: bytes, dst: bytes, data: bytes, start: int, end: int
) -> None:
    """A UDP datagram on a DNS port: yield it (possibly truncated) or report why not."""
    sport, dport, ulen, csum = _UDP.unpack_from(data, start)
    out = pkt.out
    if ulen < 8:
        out.append(Damage(pkt.offset, "malformed-udp", f"UDP length {ulen} < 8", pkt.frame))
        return
    avail = end - start
    checksum_ok: bool | None = None
    if ulen > avail:
        if not pkt.cut:
            detail = f"UDP length {ulen} > {avail} bytes of IP payload"
            out.append(Damage(pkt.offset, "malformed-udp", detail, pkt.frame))
            return
        payload = data[start + 8 : end]
        detail = f"snaplen kept {len(payload)} of {ulen - 8} DNS bytes"
        if len(payload) >= DNS_HEADER:
            out.append(dec.datagram(pkt, src, sport, dst, dport, payload, None, truncated=True))
        out.append(Damage(pkt.offset, "snaplen-truncated", detail, pkt.frame))
        return
    payload = data[start + 8 : start + ulen]
    if len(payload) < DNS_HEADER:
        detail = f"UDP payload of {len(payload)} bytes cannot hold a DNS header"
        out.append(Damage(pkt.offset, "short-dns-message", detail, pkt.frame))
        return
    if csum or len(src) == 16:
        checksum_ok = udp_checksum_ok(src, dst, data[start : start + ulen])
        if not checksum_ok and offloaded(src, dst, ulen, csum):
            checksum_ok = None
    out.append(dec.datagram(pkt, src, sport, dst, dport, payload, checksum_ok))
    if checksum_ok is False:
        detail = f"UDP checksum {csum:#06x} does not match the datagram (kept)"
        out.append(Damage(pkt.offset, "bad-udp-checksum", detail, pkt.frame))


def icmp_error(
    dec: PacketDecoder, pkt: Pkt, version: int, reporter: bytes, data: bytes, start: int, end: int
) -> bool:
    """An ICMP(v6) destination unreachable quoting a DNS-port packet: append it, return True."""
    icmp_type, code = data[start], data[start + 1]
    if version == 4:
        if icmp_type != 3:
            return False
        kind = ICMP4_KINDS.get(code) or f"unreachable-code-{code}"
        quoted = data[start + 8 : end]
        proto, qsrc, qdst, qstart, qend, frag = ipv4(quoted, 0, True)
    else:
        if icmp_type != 1:
            return False
        kind = ICMP6_KINDS.get(code) or f"unreachable-code-{code}"
        quoted = data[start + 8 : end]
        proto, qsrc, qdst, qstart, qend, frag = ipv6(quoted, 0, True)
    qend = min(qend, len(quoted))  # the quoted packet is usually cut short
    if proto not in (6, 17) or (frag is not None and frag[1] != 0) or qend - qstart < 4:
        return False
    sport, dport = _PORTS.unpack_from(quoted, qstart)
    ports = dec.ports
    if sport not in ports and dport not in ports:
        return False
    if proto == 17:
        transport, body = "udp", quoted[qstart + 8 : qend]
    else:
        transport, body = "tcp", b""
        if qend - qstart >= 13:
            body = quoted[qstart + (quoted[qstart + 12] >> 4) * 4 : qend]
    pkt.out.append(
        IcmpError(
            pkt.frame,
            pkt.ts,
            addr(reporter),
            kind,
            transport,
            addr(qsrc),
            sport,
            addr(qdst),
            dport,
            body,
            pkt.offset,
            pkt.iface,
        )
    )
    return True
