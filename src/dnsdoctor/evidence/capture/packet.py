"""Decode one captured packet into DNS datagrams, ICMP errors and per-packet damage.

`PacketDecoder.decode` first tries a straight-line fast path for the common cases: Ethernet
(optionally one 802.1Q tag), Linux cooked v1/v2 or raw IP, then IPv4 without options or
fragments or IPv6 without extension headers, then either UDP on a DNS port with a correct
checksum (one Datagram, no other object) or UDP/TCP on ports nobody cares about (a counter).
Everything else goes through the layered slow path (link -> IP -> fragments -> tunnels ->
UDP/TCP/ICMP) that builds a small `Pkt` context; it also re-decodes what the fast path doubts
(bad checksum, lengths that disagree), so damage is always reported by the same code.
"""

from __future__ import annotations

import struct

from dnsdoctor.evidence.capture import ip as ip_mod
from dnsdoctor.evidence.capture.fragments import Reassembler
from dnsdoctor.evidence.capture.link import IPV4, IPV6, SUPPORTED, decode_link, link_name
from dnsdoctor.evidence.capture.malformed import Malformed
from dnsdoctor.evidence.capture.records import CaptureRecord, Damage, Datagram
from dnsdoctor.evidence.capture.tcp_stream import TcpReassembler
from dnsdoctor.evidence.capture.transport import NAME_SERVICES, dns_udp, icmp_error
from dnsdoctor.evidence.capture.tunnel import IP_TUNNELS, UDP_TUNNELS, ip_in_ip, udp_tunnel

_UDP = struct.Struct("!HHHH")
_TCP = struct.Struct("!HHI")
_V6_EXT = frozenset({0, 43, 60, 135, 139, 140, 51, 44})
_RAW_LINKS = frozenset({101, 228, 229, 12, 14})
_VERSION_TYPE = {4: IPV4, 6: IPV6}
_names = ip_mod._names
_addr = ip_mod.addr


class Pkt:
    """What the layers of the slow path need to know about the packet being decoded."""

    __slots__ = ("cut", "frame", "frames", "iface", "offset", "out", "ts", "tunnel")

    def __init__(self, frame: int, ts: float, iface: int, offset: int, cut: bool) -> None:
        self.frame = frame
        self.ts = ts
        self.iface = iface
        self.offset = offset
        self.cut = cut
        self.tunnel = ""
        self.frames: tuple[int, ...] = ()
        self.out: list[CaptureRecord] = []


class PacketDecoder:
    def __init__(self, ports: frozenset[int]) -> None:
        self.ports = ports
        self.frags = Reassembler()
        self.tcp = TcpReassembler(self)
        self.sll_ifaces: dict[bytes, int] = {}
        self.non_dns = 0
        self.tcp_messages = 0
        self.name_services: dict[str, int] = {}
        self._unknown_links: set[int] = set()
        self._special = (frozenset(NAME_SERVICES) | frozenset(UDP_TUNNELS)) - ports

    def decode(
        self, frame: int, ts: float, link: int, iface: int, data: bytes, offset: int, cut: bool
    ) -> Datagram | list[CaptureRecord] | None:
        """One packet: a Datagram (fast path), a list of records, or None (nothing to say)."""
        n = len(data)
        if link == 1 and n >= 54:
            et = (data[12] << 8) | data[13]
            ip = 14
            if et == 0x8100:
                et = (data[16] << 8) | data[17]
                ip = 18
        elif link == 113 and n >= 56:
            halen = min((data[4] << 8) | data[5], 8)
            iface = self.sll_ifaces.get(data[2:4] + data[6 : 6 + halen], -1)
            et = (data[14] << 8) | data[15] if iface >= 0 else 0
            ip = 16
        elif link == 276 and n >= 60:
            et = (data[0] << 8) | data[1]
            iface = int.from_bytes(data[4:8], "big")
            ip = 20
        elif link in _RAW_LINKS and n >= 40:
            et = _VERSION_TYPE.get(data[0] >> 4, 0)
            ip = 0
        else:
            et = 0
        if et == 0x0800:
            return self._fast4(frame, ts, link, iface, data, offset, cut, ip)
        if et == 0x86DD:
            return self._fast6(frame, ts, link, iface, data, offset, cut, ip)
        return self.slow(frame, ts, link, iface, data, offset, cut)

    def _fast4(
        self,
        frame: int,
        ts: float,
        link: int,
        iface: int,
        data: bytes,
        offset: int,
        cut: bool,
        ip: int,
    ) -> Datagram | list[CaptureRecord] | None:
        """IPv4 without options or fragments, UDP or TCP: settle the common cases here."""
        proto = data[ip + 9]
        if data[ip] != 0x45 or data[ip + 6] & 0x3F or data[ip + 7] or (proto != 17 and proto != 6):
            return self.slow(frame, ts, link, iface, data, offset, cut)
        u = ip + 20
        sport, dport, ulen, csum = _UDP.unpack_from(data, u)
        ports = self.ports
        if sport not in ports and dport not in ports:
            if sport in self._special or dport in self._special:
                return self.slow(frame, ts, link, iface, data, offset, cut)
            self.non_dns += 1
            return None
        end = ip + ((data[ip + 2] << 8) | data[ip + 3])
        if proto != 17 or ulen < 20 or u + ulen > end or end > len(data):
            return self.slow(frame, ts, link, iface, data, offset, cut)
        ok = None
        if csum:
            body = int.from_bytes(data[u : u + ulen], "big")
            if ulen & 1:
                body <<= 8
            if (int.from_bytes(data[ip + 12 : ip + 20], "big") + 17 + ulen + body) % 0xFFFF:
                return self.slow(frame, ts, link, iface, data, offset, cut)
            ok = True
        src = _names.get(data[ip + 12 : ip + 16]) or _addr(data[ip + 12 : ip + 16])
        dst = _names.get(data[ip + 16 : ip + 20]) or _addr(data[ip + 16 : ip + 20])
        payload = data[u + 8 : u + ulen]
        return Datagram(frame, ts, src, sport, dst, dport, "udp", payload, offset, iface, ok)

    def _fast6(
        self,
        frame: int,
        ts: float,
        link: int,
        iface: int,
        data: bytes,
        offset: int,
        cut: bool,
        ip: int,
    ) -> Datagram | list[CaptureRecord] | None:
        """IPv6 without extension headers, UDP or TCP: settle the common cases here."""
        proto = data[ip + 6]
        u = ip + 40
        if data[ip] >> 4 != 6 or (proto != 17 and proto != 6) or len(data) < u + 8:
            return self.slow(frame, ts, link, iface, data, offset, cut)
        sport, dport, ulen, csum = _UDP.unpack_from(data, u)
        ports = self.ports
        if sport not in ports and dport not in ports:
            if sport in self._special or dport in self._special:
                return self.slow(frame, ts, link, iface, data, offset, cut)
            self.non_dns += 1
            return None
        end = u + ((data[ip + 4] << 8) | data[ip + 5])
        if proto != 17 or ulen < 20 or u + ulen > end or end > len(data) or not csum:
            return self.slow(frame, ts, link, iface, data, offset, cut)
        body = int.from_bytes(data[u : u + ulen], "big")
        if ulen & 1:
            body <<= 8
        if (int.from_bytes(data[ip + 8 : ip + 40], "big") + 17 + ulen + body) % 0xFFFF:
            return self.slow(frame, ts, link, iface, data, offset, cut)
        src = _names.get(data[ip + 8 : ip + 24]) or _addr(data[ip + 8 : ip + 24])
        dst = _names.get(data[ip + 24 : ip + 40]) or _addr(data[ip + 24 : ip + 40])
        payload = data[u + 8 : u + ulen]
        return Datagram(frame, ts, src, sport, dst, dport, "udp", payload, offset, iface, True)

    def slow(
        self, frame: int, ts: float, link: int, iface: int, data: bytes, offset: int, cut: bool
    ) -> list[CaptureRecord]:
        pkt = Pkt(frame, ts, iface, offset, cut)
        if link not in SUPPORTED:
            self.non_dns += 1
            if link not in self._unknown_links:
                self._unknown_links.add(link)
                detail = f"{link_name(link)}: packets on this link type are skipped"
                pkt.out.append(Damage(offset, "unknown-link-type", detail, frame))
            return pkt.out
        try:
            et, pos, link_iface = decode_link(link, data, self.sll_ifaces)
            if link_iface >= 0:
                pkt.iface = link_iface
            if et in (IPV4, IPV6):
                self.network(pkt, et, data, pos, 0)
            else:
                self.non_dns += 1
        except Malformed as exc:
            pkt.out.append(Damage(offset, exc.kind, exc.detail, frame))
        except (IndexError, struct.error):
            kind, why = (
                ("snaplen-truncated", "snaplen") if pkt.cut else ("malformed-packet", "packet")
            )
            pkt.out.append(Damage(offset, kind, f"{why} ends inside a header", frame))
        return pkt.out

    def network(self, pkt: Pkt, et: int, data: bytes, pos: int, depth: int) -> None:
        """An IPv4 or IPv6 packet at data[pos:]."""
        version = 4 if et == IPV4 else 6
        header = (
            ip_mod.ipv4(data, pos, pkt.cut) if version == 4 else ip_mod.ipv6(data, pos, pkt.cut)
        )
        proto, src, dst, start, end, frag = header
        pkt.cut = end > len(data)
        if pkt.cut:
            end = len(data)
        if frag is not None:
            if pkt.cut:
                return  # a cut fragment cannot be reassembled
            key = (src, dst, proto if version == 4 else 0, frag[0])
            done = self.frags.add(key, proto, pkt.ts, pkt.frame, frag, data[start:end])
            if done is None:
                return
            proto, data, pkt.frames = done
            start, end = 0, len(data)
            if version == 6 and proto in _V6_EXT:
                proto, start, frag = ip_mod.v6_extensions(data, proto, 0, end)
                if frag is not None:
                    raise Malformed(
                        "malformed-fragment", "fragment header inside a reassembled datagram"
                    )
        self.transport(pkt, version, proto, src, dst, data, start, end, depth)

    def transport(
        self, pkt: Pkt, version: int, proto: int, src: bytes, dst: bytes,
        data: bytes, start: int, end: int, depth: int,
    ) -> None:  # fmt: skip
        if proto == 17:
            self._udp(pkt, src, dst, data, start, end, depth)
        elif proto == 6:
            self._tcp(pkt, src, dst, data, start, end)
        elif proto == (1 if version == 4 else 58):
            if not icmp_error(self, pkt, version, src, data, start, end):
                self.non_dns += 1
        elif proto in IP_TUNNELS:
            ip_in_ip(self, pkt, proto, data, start, end, depth)
        else:
            self.non_dns += 1

    def _udp(
        self, pkt: Pkt, src: bytes, dst: bytes, data: bytes, start: int, end: int, depth: int
    ) -> None:
        sport, dport, ulen, _csum = _UDP.unpack_from(data, start)
        ports = self.ports
        if sport in ports or dport in ports:
            dns_udp(self, pkt, src, dst, data, start, end)
            return
        name = NAME_SERVICES.get(dport) or NAME_SERVICES.get(sport)
        if name:
            self.name_services[name] = self.name_services.get(name, 0) + 1
        elif dport in UDP_TUNNELS or sport in UDP_TUNNELS:
            port = dport if dport in UDP_TUNNELS else sport
            stop = min(end, start + ulen) if ulen >= 8 else end
            udp_tunnel(self, pkt, port, data[start + 8 : stop], depth)
        else:
            self.non_dns += 1

    def _tcp(self, pkt: Pkt, src: bytes, dst: bytes, data: bytes, start: int, end: int) -> None:
        sport, dport, seq = _TCP.unpack_from(data, start)
        ports = self.ports
        if sport not in ports and dport not in ports:
            name = NAME_SERVICES.get(dport) or NAME_SERVICES.get(sport)
            if name:
                self.name_services[name] = self.name_services.get(name, 0) + 1
            else:
                self.non_dns += 1
            return
        doff = (data[start + 12] >> 4) * 4
        flags = data[start + 13]
        if doff < 20:
            raise Malformed("malformed-tcp", f"TCP header length {doff} < 20")
        if start + doff > end:
            raise IndexError("TCP header cut")
        payload = data[start + doff : end]
        if pkt.cut and payload:
            detail = "snaplen cut a DNS TCP segment: the stream will show a gap"
            pkt.out.append(Damage(pkt.offset, "snaplen-truncated", detail, pkt.frame))
        self.tcp.segment(pkt, (src, sport, dst, dport), seq, flags, payload)

    def datagram(
        self, pkt: Pkt, src: bytes, sport: int, dst: bytes, dport: int,
        payload: bytes, checksum_ok: bool | None, truncated: bool = False,
    ) -> Datagram:  # fmt: skip
        return Datagram(
            pkt.frame,
            pkt.ts,
            _addr(src),
            sport,
            _addr(dst),
            dport,
            "udp",
            payload,
            pkt.offset,
            pkt.iface,
            checksum_ok,
            truncated,
            pkt.tunnel,
            pkt.frames,
        )

    def emit_tcp(
        self, pkt: Pkt, src: bytes, sport: int, dst: bytes, dport: int, message: bytes
    ) -> None:
        self.tcp_messages += 1
        pkt.out.append(
            Datagram(
                pkt.frame,
                pkt.ts,
                _addr(src),
                sport,
                _addr(dst),
                dport,
                "tcp",
                message,
                pkt.offset,
                pkt.iface,
                None,
                False,
                pkt.tunnel,
                pkt.frames,
            )
        )

    def not_dns(self, pkt: Pkt) -> None:
        self.non_dns += 1
