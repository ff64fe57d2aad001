"""Link layers: find the network-layer protocol (as an EtherType) and where it starts.

`decode_link` returns ``(ethertype, offset, interface)``. IPv4 is 0x0800 and IPv6 0x86DD
whatever the link says; any other value means "not IP" (ARP, LLDP, PPP control, ...). Short
packets raise IndexError/struct.error, which the packet decoder reports; link types or PPP
protocols we cannot read raise `Malformed`.
"""

from __future__ import annotations

from dnsdoctor.evidence.capture.malformed import Malformed

IPV4, IPV6 = 0x0800, 0x86DD
NOT_IP = -1

LINK_NAMES = {
    0: "null",
    1: "ether",
    9: "ppp",
    12: "raw",
    14: "raw",
    50: "ppp-hdlc",
    101: "raw",
    108: "loop",
    113: "linux-sll",
    228: "ipv4",
    229: "ipv6",
    276: "linux-sll2",
}
SUPPORTED = frozenset(LINK_NAMES)

_VLAN_TAGS = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
_PPPOE_SESSION, _MPLS, _MPLS_MC = 0x8864, 0x8847, 0x8848
_AF_INET6 = frozenset({10, 24, 28, 30})
_PPP_IP = {0x0021: IPV4, 0x0057: IPV6}
_PPP_CONTROL = frozenset({0xC021, 0x8021, 0x8057, 0xC023, 0xC223, 0x80FD, 0x00FD, 0xC025})


def link_name(link: int) -> str:
    return LINK_NAMES.get(link) or f"linktype-{link}"


def decode_link(link: int, data: bytes, sll_ifaces: dict[bytes, int]) -> tuple[int, int, int]:
    """(ethertype, network offset, interface or -1 when the link does not say)."""
    if link == 1:
        et, off = ether_type(data, 0)
        return et, off, -1
    if link in (101, 12, 14, 228, 229):
        return version_type(data, 0), 0, -1
    if link == 276:  # Linux cooked v2: protocol, reserved, ifindex, ...
        et, off = after_ethertype(data, (data[0] << 8) | data[1], 20)
        return et, off, int.from_bytes(data[4:8], "big")
    if link == 113:  # Linux cooked v1: packet type, ARPHRD type, address length, address
        halen = min((data[4] << 8) | data[5], 8)
        key = data[2:4] + data[6 : 6 + halen]
        iface = sll_ifaces.setdefault(key, len(sll_ifaces))
        et, off = after_ethertype(data, (data[14] << 8) | data[15], 16)
        return et, off, iface
    if link in (0, 108):
        return _null_type(data), 4, -1
    if link in (9, 50):
        et, off = ppp_type(data, 0)
        return et, off, -1
    raise Malformed("unknown-link-type", f"link type {link} is not supported")


def ether_type(data: bytes, pos: int) -> tuple[int, int]:
    """Ethernet II / 802.3+SNAP header at pos, through VLAN, QinQ, PPPoE and MPLS."""
    et = (data[pos + 12] << 8) | data[pos + 13]
    if et < 0x0600:  # 802.3 length field: only LLC/SNAP carries IP
        if data[pos + 14 : pos + 17] != b"\xaa\xaa\x03":
            _ = data[pos + 16]
            return NOT_IP, pos + 14
        return after_ethertype(data, (data[pos + 20] << 8) | data[pos + 21], pos + 22)
    return after_ethertype(data, et, pos + 14)


def after_ethertype(data: bytes, et: int, pos: int) -> tuple[int, int]:
    """Follow VLAN tags (any depth up to 8), PPPoE session and MPLS labels to the payload."""
    for _ in range(8):
        if et in _VLAN_TAGS:
            et = (data[pos + 2] << 8) | data[pos + 3]
            pos += 4
        elif et == _PPPOE_SESSION:
            return ppp_type(data, pos + 6)
        elif et in (_MPLS, _MPLS_MC):
            return _mpls(data, pos)
        else:
            return et, pos
    raise Malformed("malformed-link", "more than 8 VLAN tags")


def version_type(data: bytes, pos: int) -> int:
    version = data[pos] >> 4
    if version == 4:
        return IPV4
    if version == 6:
        return IPV6
    raise Malformed("malformed-ip", f"IP version {version} on a raw IP link")


def ppp_type(data: bytes, pos: int) -> tuple[int, int]:
    if data[pos] == 0xFF and data[pos + 1] == 0x03:  # HDLC address and control
        pos += 2
    proto = data[pos]
    if proto & 1:  # protocol field compression: one byte
        pos += 1
    else:
        proto = (proto << 8) | data[pos + 1]
        pos += 2
    if proto in _PPP_IP:
        return _PPP_IP[proto], pos
    if proto in _PPP_CONTROL:
        return NOT_IP, pos
    raise Malformed("unknown-ppp-protocol", f"PPP protocol {proto:#06x}")


def _null_type(data: bytes) -> int:
    family_le = int.from_bytes(data[0:4], "little")
    family_be = int.from_bytes(data[0:4], "big")
    _ = data[3]
    if 2 in (family_le, family_be):
        return IPV4
    if family_le in _AF_INET6 or family_be in _AF_INET6:
        return IPV6
    return NOT_IP


def _mpls(data: bytes, pos: int) -> tuple[int, int]:
    for _ in range(16):
        bottom = data[pos + 2] & 1
        pos += 4
        if bottom:
            version = data[pos] >> 4
            return (IPV4 if version == 4 else IPV6 if version == 6 else NOT_IP), pos
    raise Malformed("malformed-link", "MPLS label stack deeper than 16")
