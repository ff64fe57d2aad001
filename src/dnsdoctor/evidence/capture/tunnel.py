"""Encapsulations: GRE (keys, sequence numbers, transparent Ethernet, ERSPAN, PPTP), GRE over
UDP (4754), VXLAN (4789, 8472), Geneve (6081 with options), IP-in-IP (4) and IPv6-in-IPv4 (41).

Each function strips its header and hands the inner packet back to the decoder; the outermost
encapsulation names the tunnel of every datagram found inside.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dnsdoctor.evidence.capture.link import IPV4, IPV6, NOT_IP, ether_type, ppp_type
from dnsdoctor.evidence.capture.malformed import Malformed

if TYPE_CHECKING:
    from dnsdoctor.evidence.capture.packet import PacketDecoder, Pkt

MAX_DEPTH = 4
UDP_TUNNELS = {4789: "vxlan", 8472: "vxlan", 6081: "geneve", 4754: "gre-udp"}
IP_TUNNELS = {4: "ipip", 41: "6in4", 47: "gre"}

_TEB, _ERSPAN2, _ERSPAN3, _PPP = 0x6558, 0x88BE, 0x22EB, 0x880B


def _enter(
    dec: PacketDecoder, pkt: Pkt, name: str, et: int, inner: bytes, pos: int, depth: int
) -> None:
    if depth >= MAX_DEPTH:
        raise Malformed("tunnel-depth", f"more than {MAX_DEPTH} nested encapsulations")
    if not pkt.tunnel:
        pkt.tunnel = name
    if et in (IPV4, IPV6):
        dec.network(pkt, et, inner, pos, depth + 1)
    else:
        dec.not_dns(pkt)


def ip_in_ip(
    dec: PacketDecoder, pkt: Pkt, proto: int, data: bytes, start: int, end: int, depth: int
) -> None:
    """IPIP (4), IPv6-in-IP (41) and GRE (47) directly over IPv4/IPv6."""
    if proto == 47:
        gre(dec, pkt, "gre", data[start:end], depth)
    else:
        _enter(dec, pkt, IP_TUNNELS[proto], IPV4 if proto == 4 else IPV6, data[start:end], 0, depth)


def gre(dec: PacketDecoder, pkt: Pkt, name: str, data: bytes, depth: int) -> None:
    flags = (data[0] << 8) | data[1]
    proto = (data[2] << 8) | data[3]
    version = flags & 7
    pos = 4
    if version == 0:
        if flags & 0x4000:
            raise Malformed("malformed-tunnel", "GRE with source routing")
        pos += 4 * (bool(flags & 0x8000) + bool(flags & 0x2000) + bool(flags & 0x1000))
    elif version == 1:  # PPTP enhanced GRE: key always, sequence and acknowledgment optional
        pos += 4 + 4 * (bool(flags & 0x1000) + bool(flags & 0x0080))
    else:
        raise Malformed("malformed-tunnel", f"GRE version {version}")
    if pos > len(data):
        raise IndexError("GRE header cut")
    if proto in (IPV4, IPV6):
        _enter(dec, pkt, name, proto, data, pos, depth)
        return
    if proto == _ERSPAN2 and flags & 0x1000:
        pos += 8
    elif proto == _ERSPAN3:
        pos += 12 + (8 if data[pos + 11] & 1 else 0)
    elif proto == _PPP:
        et, pos = ppp_type(data, pos)
        _enter(dec, pkt, name, et, data, pos, depth)
        return
    elif proto not in (_TEB, _ERSPAN2):
        _enter(dec, pkt, name, NOT_IP, data, pos, depth)
        return
    et, pos = ether_type(data, pos)
    _enter(dec, pkt, name, et, data, pos, depth)


def udp_tunnel(dec: PacketDecoder, pkt: Pkt, port: int, payload: bytes, depth: int) -> None:
    name = UDP_TUNNELS[port]
    if name == "gre-udp":
        gre(dec, pkt, name, payload, depth)
        return
    if name == "vxlan":
        et, pos = ether_type(payload, 8)
        _enter(dec, pkt, name, et, payload, pos, depth)
        return
    # Geneve: version and option length, flags, protocol type, VNI, options
    pos = 8 + (payload[0] & 0x3F) * 4
    proto = (payload[2] << 8) | payload[3]
    if pos > len(payload):
        raise IndexError("Geneve options cut")
    if proto == _TEB:
        et, pos = ether_type(payload, pos)
    else:
        et = proto if proto in (IPV4, IPV6) else NOT_IP
    _enter(dec, pkt, name, et, payload, pos, depth)
