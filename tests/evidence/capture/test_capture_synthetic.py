"""Link layers, tunnels, ICMP, TCP and pcapng blocks the corpus lacks, on hand-built packets."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import CaptureRecord, Damage, Datagram, IcmpError

from ._build import QUERY, RESPONSE, ether, ip, pcap, pcapng_section, read_all, tcp, udp

C4, S4 = "192.0.2.1", "198.51.100.53"
C6, S6 = "2001:db8::1", "2001:db8::53"
FIN, SYN, RST, PSH_ACK = 0x01, 0x02, 0x04, 0x18


def _read(tmp_path: Path, packets: list[bytes], link: int = 1, **kw: object) -> list[CaptureRecord]:
    path = tmp_path / "synthetic.pcap"
    path.write_bytes(pcap([(1000 + i, 0, p) for i, p in enumerate(packets)], link))
    return read_all(path, **kw)  # type: ignore[arg-type]


def _only_datagram(records: list[CaptureRecord]) -> Datagram:
    assert len(records) == 1, records
    assert isinstance(records[0], Datagram)
    return records[0]


def _kinds(records: list[CaptureRecord]) -> list[str]:
    return [r.kind for r in records if isinstance(r, Damage)]


def _mac(n: int) -> bytes:
    return bytes([2, 0, 0, 0, 0, n])


def test_ethernet_vlan_stacks(tmp_path: Path) -> None:
    packet = udp(C4, S4, 40000, 53, QUERY)
    qinq = b"\x00" * 12 + struct.pack("!HHHH", 0x88A8, 100, 0x8100, 200) + b"\x08\x00" + packet
    records = _read(tmp_path, [ether(packet, [11]), qinq, ether(udp(C6, S6, 40000, 53, QUERY))])
    assert [(d.src, d.dst, d.payload, d.checksum_ok) for d in records] == [  # type: ignore[union-attr]
        (C4, S4, QUERY, True),
        (C4, S4, QUERY, True),
        (C6, S6, QUERY, True),
    ]


@pytest.mark.parametrize(
    ("link", "header"),
    [
        (0, struct.pack("<I", 2)),  # BSD null, host order
        (0, struct.pack(">I", 2)),
        (108, struct.pack(">I", 2)),  # OpenBSD loop
        (101, b""),
        (12, b""),
        (14, b""),
        (228, b""),
        (9, b"\xff\x03\x00\x21"),  # PPP with HDLC framing
        (9, b"\x00\x21"),
        (113, struct.pack("!HHH", 0, 1, 6) + _mac(1) + b"\0\0" + b"\x08\x00"),
        (276, struct.pack("!HHIHBB", 0x0800, 0, 7, 1, 0, 6) + _mac(1) + b"\0\0"),
    ],
)
def test_ipv4_link_types(tmp_path: Path, link: int, header: bytes) -> None:
    found = _only_datagram(_read(tmp_path, [header + udp(C4, S4, 40000, 53, QUERY)], link))
    assert (found.src, found.dport, found.payload) == (C4, 53, QUERY)
    assert found.interface == (7 if link == 276 else 0)


@pytest.mark.parametrize(
    ("link", "header"),
    [
        (0, struct.pack("<I", 24)),
        (0, struct.pack("<I", 28)),
        (0, struct.pack(">I", 30)),
        (108, struct.pack(">I", 24)),
        (229, b""),
        (101, b""),
        (9, b"\x00\x57"),
    ],
)
def test_ipv6_link_types(tmp_path: Path, link: int, header: bytes) -> None:
    found = _only_datagram(_read(tmp_path, [header + udp(C6, S6, 40000, 53, QUERY)], link))
    assert (found.src, found.dst, found.checksum_ok) == (C6, S6, True)


def test_sll_v1_interfaces_and_unknown_links(tmp_path: Path) -> None:
    def sll(n: int) -> bytes:
        return struct.pack("!HHH", 0, 1, 6) + _mac(n) + b"\0\0\x08\x00" + udp(C4, S4, 1, 53, QUERY)

    records = _read(tmp_path, [sll(1), sll(2), sll(1), sll(3)], 113)
    assert [r.interface for r in records] == [0, 1, 0, 2]  # type: ignore[union-attr]
    records = _read(tmp_path, [b"\x00" * 60, b"\x00" * 60], 147)
    assert _kinds(records) == ["unknown-link-type"]  # reported once per link type
    records = _read(
        tmp_path, [b"\xff\x03\xc0\x21" + b"\0" * 20, b"\xff\x03\x80\x31" + b"\0" * 40], 9
    )
    assert _kinds(records) == ["unknown-ppp-protocol"]  # LCP is quietly not DNS


def test_tunnels(tmp_path: Path) -> None:
    inner = udp(C4, S4, 40000, 53, QUERY)
    inner_eth = ether(inner)
    outer = ("10.0.0.1", "10.0.0.2")
    gre_teb = struct.pack("!HHII", 0x3000, 0x6558, 42, 7) + inner_eth  # key and sequence
    geneve = struct.pack("!BBHI", 2, 0, 0x6558, 0x100) + b"\x01\x02\x03\x04" * 2 + inner_eth
    packets = [
        ether(udp(*outer, 55555, 4789, b"\x08\0\0\0\0\0\x01\0" + inner_eth)),
        ether(udp(*outer, 55555, 8472, b"\x08\0\0\0\0\0\x01\0" + inner_eth)),
        ether(udp(*outer, 55555, 6081, geneve)),
        ether(udp(*outer, 55555, 4754, struct.pack("!HH", 0, 0x0800) + inner)),
        ether(ip(*outer, 47, gre_teb)),
        ether(ip(*outer, 4, inner)),
        ether(ip(*outer, 41, udp(C6, S6, 40000, 53, QUERY))),
        ether(ip("2001:db8::a", "2001:db8::b", 4, inner)),
        ether(ip(*outer, 4, ip(*outer, 47, struct.pack("!HH", 0, 0x0800) + inner))),
    ]
    records = _read(tmp_path, packets)
    assert [(r.tunnel, r.payload) for r in records] == [  # type: ignore[union-attr]
        ("vxlan", QUERY),
        ("vxlan", QUERY),
        ("geneve", QUERY),
        ("gre-udp", QUERY),
        ("gre", QUERY),
        ("ipip", QUERY),
        ("6in4", QUERY),
        ("ipip", QUERY),
        ("ipip", QUERY),
    ]


def test_icmp_errors(tmp_path: Path) -> None:
    quoted4 = udp(C4, S4, 40000, 53, QUERY)[:36]  # IP header + UDP header + 8 DNS bytes
    quoted6 = udp(C6, S6, 40000, 53, QUERY)
    tcp_quoted = tcp(C4, S4, 40001, 53, 1, PSH_ACK, b"\x00\x21" + QUERY)
    packets = [
        ether(ip(S4, C4, 1, struct.pack("!BBHI", 3, 3, 0, 0) + quoted4)),
        ether(ip("203.0.113.1", C4, 1, struct.pack("!BBHI", 3, 13, 0, 0) + tcp_quoted[:28])),
        ether(ip(S6, C6, 58, struct.pack("!BBHI", 1, 4, 0, 0) + quoted6)),
        ether(ip(S4, C4, 1, struct.pack("!BBHI", 3, 3, 0, 0) + udp(C4, S4, 1, 9, QUERY))),
        ether(ip(S4, C4, 1, struct.pack("!BBHI", 11, 0, 0, 0) + quoted4)),
    ]
    records = _read(tmp_path, packets)
    assert all(isinstance(r, IcmpError) for r in records)
    got = [(r.frame, r.reporter, r.kind, r.transport, r.src, r.dport) for r in records]  # type: ignore[union-attr]
    assert got == [
        (1, S4, "port-unreachable", "udp", C4, 53),
        (2, "203.0.113.1", "admin-prohibited", "tcp", C4, 53),
        (3, S6, "port-unreachable", "udp", C6, 53),
    ]
    assert records[0].quoted_payload == QUERY[:8]  # type: ignore[union-attr]
    assert records[2].quoted_payload == QUERY  # type: ignore[union-attr]


def test_udp_length_checksum_and_snaplen(tmp_path: Path) -> None:
    bad = ether(udp(C4, S4, 40000, 53, QUERY, good=False))
    padded = ether(udp(C4, S4, 40000, 53, QUERY)) + b"\0" * 20  # link padding after the IP packet
    v6_zero = bytearray(ether(udp(C6, S6, 40000, 53, QUERY)))
    v6_zero[14 + 40 + 6 : 14 + 40 + 8] = b"\0\0"
    records = _read(tmp_path, [bad, padded, bytes(v6_zero)])
    assert [(type(r).__name__, getattr(r, "kind", ""), r.frame) for r in records] == [
        ("Datagram", "", 1),
        ("Damage", "bad-udp-checksum", 1),
        ("Datagram", "", 2),
        ("Datagram", "", 3),
        ("Damage", "bad-udp-checksum", 3),
    ]
    assert [getattr(r, "checksum_ok", "-") for r in records] == [False, "-", True, False, "-"]
    assert records[2].payload == QUERY  # type: ignore[union-attr]
    full = ether(udp(C4, S4, 53, 40000, RESPONSE))
    path = tmp_path / "snap.pcap"
    path.write_bytes(pcap([(1, 0, full[:60], len(full)), (2, 0, full[:40], len(full))]))
    records = read_all(path)
    assert [(type(r).__name__, getattr(r, "kind", "")) for r in records] == [
        ("Datagram", ""),
        ("Damage", "snaplen-truncated"),
        ("Damage", "snaplen-truncated"),
    ]
    first = records[0]
    assert isinstance(first, Datagram)
    assert first.truncated
    assert first.checksum_ok is None
    assert first.payload == RESPONSE[:18]


def test_other_name_services_only_when_asked(tmp_path: Path) -> None:
    packets = [ether(udp(C4, "224.0.0.251", 5353, 5353, QUERY)), ether(udp(C4, S4, 1, 5355, QUERY))]
    assert _read(tmp_path, packets) == []
    records = _read(tmp_path, packets, ports=frozenset({53, 5353}))
    assert [r.dport for r in records] == [5353]  # type: ignore[union-attr]


def test_ipv4_fragments_timeout_and_overlap(tmp_path: Path) -> None:
    body = udp(C4, S4, 53, 40000, RESPONSE)[20:]
    first = ether(ip(S4, C4, 17, body[:24], ident=9, frag=0x2000))
    second = ether(ip(S4, C4, 17, body[24:], ident=9, frag=3))
    path = tmp_path / "frags.pcap"
    path.write_bytes(pcap([(1, 0, first), (2, 0, first), (3, 0, second)]))
    found = _only_datagram(read_all(path))
    assert (found.payload, found.frames, found.checksum_ok) == (RESPONSE, (1, 2, 3), True)
    path.write_bytes(pcap([(1, 0, first), (40, 0, second)]))  # 39 s later: timed out
    reader = CaptureReader(path)
    assert list(reader.records()) == []
    assert reader.orphan_fragments == 2
    assert reader.stats.reassembled_fragments == 0


def _flow(seq: int, payload: bytes, flags: int = PSH_ACK, *, back: bool = False) -> bytes:
    if back:
        return ether(tcp(S4, C4, 53, 40000, seq, flags, payload))
    return ether(tcp(C4, S4, 40000, 53, seq, flags, payload))


def test_tcp_framing(tmp_path: Path) -> None:
    msg = struct.pack("!H", len(QUERY)) + QUERY
    packets = [
        _flow(100, b"", SYN),
        _flow(101, msg[:2]),  # length prefix alone
        _flow(103, msg[2:10]),
        _flow(103, msg[2:10]),  # retransmission
        _flow(107, msg[6:]),  # overlapping retransmission with new bytes
        _flow(101 + len(msg), msg + msg),  # two messages in one segment
        _flow(101 + 3 * len(msg) + 50, msg),  # 50 bytes lost: gap, resync here
        _flow(101 + 4 * len(msg) + 50, msg[:5], FIN | PSH_ACK),
    ]
    records = _read(tmp_path, packets)
    assert [(type(r).__name__, r.frame, getattr(r, "kind", "")) for r in records] == [
        ("Datagram", 5, ""),
        ("Datagram", 6, ""),
        ("Datagram", 6, ""),
        ("Damage", 7, "tcp-gap"),
        ("Datagram", 7, ""),
        ("Damage", 8, "tcp-incomplete-message"),
    ]
    first = records[0]
    assert isinstance(first, Datagram)
    assert (first.payload, first.frames, first.transport) == (QUERY, (2, 3, 5), "tcp")


def test_tcp_midstream_rst_and_desync(tmp_path: Path) -> None:
    msg = struct.pack("!H", len(RESPONSE)) + RESPONSE
    packets = [
        _flow(5000, RESPONSE[10:], back=True),  # tail of an earlier message: skipped
        _flow(5000 + len(RESPONSE) - 10, msg, back=True),  # plausible start: synchronise
        _flow(5000 + len(RESPONSE) - 10 + len(msg), b"\x00\x03abc", back=True),  # length 3
        _flow(9000, msg, back=True),
        _flow(9000 + len(msg), b"", RST, back=True),
        _flow(9000 + len(msg), msg[1:], back=True),  # after RST: not a plausible start
    ]
    records = _read(tmp_path, packets)
    assert [(type(r).__name__, r.frame, getattr(r, "kind", "")) for r in records] == [
        ("Datagram", 2, ""),
        ("Damage", 3, "tcp-desync"),
        ("Datagram", 4, ""),
    ]


def test_pcapng_simple_and_obsolete_packet_blocks(tmp_path: Path) -> None:
    data = ether(udp(C4, S4, 40000, 53, QUERY))
    section = pcapng_section("<", [(1, None, 0)], [(0, 5_000_000, data)])
    spb_body = struct.pack("<I", len(data)) + data + b"\0" * (-len(data) % 4)
    spb = (
        struct.pack("<II", 3, 12 + len(spb_body)) + spb_body + struct.pack("<I", 12 + len(spb_body))
    )
    pb_body = struct.pack("<HHIIII", 0, 0, 0, 7_000_000, len(data), len(data)) + data
    pb_body += b"\0" * (-len(data) % 4)
    pb = struct.pack("<II", 2, 12 + len(pb_body)) + pb_body + struct.pack("<I", 12 + len(pb_body))
    path = tmp_path / "blocks.pcapng"
    path.write_bytes(section + spb + pb)
    records = read_all(path)
    assert [(r.frame, r.ts, r.payload) for r in records] == [  # type: ignore[union-attr]
        (1, 5.0, QUERY),
        (2, 0.0, QUERY),  # a simple packet block carries no timestamp
        (3, 7.0, QUERY),
    ]


def test_kuznetzov_pcap_and_progress(tmp_path: Path) -> None:
    data = ether(udp(C4, S4, 40000, 53, QUERY))
    head = struct.pack("<IHHiIII", 0xA1B2CD34, 2, 4, 0, 0, 65535, 1)
    record = struct.pack("<IIII", 9, 500_000, len(data), len(data)) + b"\0" * 8 + data
    path = tmp_path / "kuznetzov.pcap"
    path.write_bytes(head + record)
    assert [(r.ts, r.payload) for r in read_all(path)] == [(9.5, QUERY)]  # type: ignore[union-attr]
    big = b"\0" * 200_000  # not IP: only bytes to stream through
    path.write_bytes(pcap([(1, 0, big)] * 45))
    calls: list[tuple[int, int]] = []
    reader = CaptureReader(path, progress=lambda done, total: calls.append((done, total)))
    assert list(reader.records()) == []
    size = path.stat().st_size
    assert calls[-1] == (size, size)
    assert 2 <= len(calls) <= size // (4 << 20) + 2
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    assert reader.stats.non_dns_packets == 45
