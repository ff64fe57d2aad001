"""The reader against the public corpus. Expected numbers were checked by hand against the
MANIFEST answer keys and TShark 4.0.17 (`tshark -Y "dns && (udp.port==53 || tcp.port==53)"`,
`-T fields -e frame.number -e frame.time_epoch ...`); tests never run tshark themselves.

Where we differ from tshark's per-packet DNS count, on purpose:
* dns-tcp-multirequest-buffer: 40 messages (20 pipelined queries in one segment), tshark 21;
* do1t-nosyn-1nolen: 3 messages (the query whose length prefix came alone), tshark 2;
* gre-sample: tshark counts the 2 ICMP errors quoting DNS as DNS; we yield 2 IcmpError records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Damage, Datagram, IcmpError

from .conftest import require_corpus

pytestmark = pytest.mark.corpus

Corpus = Callable[[str], Path]

# path: (packets, DNS datagrams on :53, ICMP errors, non-fatal damage kinds)
EXPECTED: dict[str, tuple[int, int, int, dict[str, int]]] = {
    "dnscap/src/test/1qtcpnosyn.pcap": (8, 2, 0, {}),
    "dnscap/src/test/dns.pcap": (133, 82, 0, {}),
    "dnscap/src/test/dnso1tcp-midmiss.pcap": (19, 6, 0, {"tcp-gap": 2}),
    "dnscap/src/test/dnso1tcp.pcap": (212, 82, 0, {}),
    "dnscap/src/test/do1t-nosyn-1nolen.pcap": (9, 3, 0, {}),
    "dnscap/src/test/frags.pcap": (495, 82, 0, {}),
    "dnscap/src/test/sll2.pcap": (2, 2, 0, {}),
    "dnscap/src/test/vlan11.pcap": (133, 82, 0, {}),
    "suricata-verify/tests/datasets-06-state-long/input.pcap": (1200, 1200, 0, {}),
    "suricata-verify/tests/dns-reversed-udp-1/input.pcap": (1, 1, 0, {}),
    "suricata-verify/tests/dns-tcp-ts-gap/input.pcap": (15, 5, 0, {"tcp-gap": 1}),
    "suricata-verify/tests/dns-tcp-ts-gap/original.pcap_": (16, 6, 0, {}),
    "suricata-verify/tests/dns-udp-junkrequest-first/input.pcap": (4, 4, 0, {}),
    "suricata-verify/tests/dns-udp-z-flag-fp/suricatafpdnsdecoder.pcap": (4, 4, 0, {}),
    "suricata-verify/tests/dns/bug-1158/input.pcap": (164, 161, 0, {}),
    "suricata-verify/tests/dns/dns-corrupt-additionals/input.pcap": (
        2,
        2,
        0,
        {"bad-udp-checksum": 1},
    ),
    "suricata-verify/tests/dns/dns-invalid-opcode/input.pcap": (2, 2, 0, {}),
    "suricata-verify/tests/dns/dns-sshfp/dns-sshfp.pcap": (2, 2, 0, {"bad-udp-checksum": 2}),
    "suricata-verify/tests/dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap": (
        48,
        40,
        0,
        {},
    ),
    "suricata-verify/tests/dns/dns-udp-double-request-response/dns-udp-double-request-response.pcap": (
        4,
        4,
        0,
        {},
    ),
    "suricata-verify/tests/dns/dns-udp-unsolicited-response/dns-response-2x.pcap": (
        3,
        3,
        0,
        {"bad-udp-checksum": 1},
    ),
    "tcpdump/tests/dns-badcookie.pcap": (4, 4, 0, {}),
    "tcpdump/tests/dns-badlabel.pcap": (1, 1, 0, {"bad-udp-checksum": 1}),
    "tcpdump/tests/dns-zlip-1.pcap": (1, 0, 0, {"short-dns-message": 1}),
    "tcpdump/tests/dns_tcp.pcap": (11, 2, 0, {}),
    "tcpdump/tests/ppp_ip_udp_dns.pcap": (1, 0, 0, {"unknown-ppp-protocol": 1}),
    "zeek/testing/btest/Traces/dns-edns-ecs-weirds.pcap": (5, 5, 0, {"bad-udp-checksum": 5}),
    "zeek/testing/btest/Traces/dns-two-responses.pcap": (3, 3, 0, {}),
    "zeek/testing/btest/Traces/dns-zero-RRs.pcap": (2, 2, 0, {}),
    "zeek/testing/btest/Traces/dns/conn-count-too-large.pcap": (1, 1, 0, {}),
    "zeek/testing/btest/Traces/dns/dns-corrupt.pcap": (2, 2, 0, {"bad-udp-checksum": 2}),
    "zeek/testing/btest/Traces/dns/dns-edns-bad-length.pcap": (1, 1, 0, {}),
    "zeek/testing/btest/Traces/dns/dns_notify2.pcap": (4, 4, 0, {}),
    "zeek/testing/btest/Traces/dns/max-compression-depth.pcap": (1, 1, 0, {}),
    "zeek/testing/btest/Traces/dns/mdns-no-assoc.pcap": (6, 0, 0, {}),
    "zeek/testing/btest/Traces/dns/tkey.pcap": (12, 2, 0, {}),
    "zeek/testing/btest/Traces/dns53.pcap": (1, 1, 0, {}),
    "zeek/testing/btest/Traces/dns_original_case.pcap": (1, 1, 0, {}),
    "zeek/testing/btest/Traces/ipv6-fragmented-dns.pcap": (8, 5, 0, {}),
    "zeek/testing/btest/Traces/pcapng-multi-interface.pcapng": (6, 6, 0, {}),
    "zeek/testing/btest/Traces/tunnels/gre-over-udp-4754.pcap": (14, 4, 0, {}),
    "zeek/testing/btest/Traces/tunnels/gre-sample.pcap": (40, 2, 2, {}),
    "zeek/testing/btest/Traces/wikipedia.pcap": (136, 28, 0, {}),
}


def _read(path: Path, ports: frozenset[int] = frozenset({53})) -> tuple[CaptureReader, list]:
    reader = CaptureReader(path, ports=ports)
    return reader, list(reader.records())


def _datagrams(records: list) -> list[Datagram]:
    return [r for r in records if isinstance(r, Datagram)]


def test_every_corpus_capture_reads_as_expected() -> None:
    root = require_corpus()
    found = sorted(str(p.relative_to(root)) for p in root.glob("**/*.pcap*") if p.is_file())
    assert found == sorted(EXPECTED)
    for relative, (packets, datagrams, icmp, damage) in EXPECTED.items():
        reader, records = _read(root / relative)
        assert all(isinstance(r, Datagram | IcmpError | Damage) for r in records)
        kinds = Counter(r.kind for r in records if isinstance(r, Damage))
        assert not any(r.fatal for r in records if isinstance(r, Damage)), relative
        got = (
            reader.stats.packets,
            len(_datagrams(records)),
            reader.stats.icmp_errors,
            dict(kinds),
        )
        assert got == (packets, datagrams, icmp, damage), relative
        assert reader.stats.dns_datagrams == datagrams
        assert reader.stats.damage == sum(damage.values())
        assert reader.stats.bytes_read == (root / relative).stat().st_size


def test_dns_pcap_frames_and_timestamps_match_tshark(corpus: Corpus) -> None:
    reader, records = _read(corpus("dnscap/src/test/dns.pcap"))
    found = _datagrams(records)
    head = [(d.frame, d.ts, d.src, d.sport, d.dst, d.dport, d.payload[:2].hex()) for d in found[:3]]
    assert head == [
        (
            1,
            pytest.approx(1476976981.075993, abs=1e-7),
            "172.17.0.10",
            53199,
            "8.8.8.8",
            53,
            "e7af",
        ),
        (
            2,
            pytest.approx(1476976981.077982, abs=1e-7),
            "8.8.8.8",
            53,
            "172.17.0.10",
            53199,
            "e7af",
        ),
        (
            5,
            pytest.approx(1476976981.082865, abs=1e-7),
            "172.17.0.10",
            57822,
            "8.8.8.8",
            53,
            "8b51",
        ),
    ]
    assert [(d.frame, d.payload[:2].hex()) for d in found[-3:]] == [
        (128, "e77a"),
        (131, "4524"),
        (132, "4524"),
    ]
    assert found[-1].ts == pytest.approx(1476977066.574350, abs=1e-7)
    assert all(d.transport == "udp" and d.interface == 0 and not d.tunnel for d in found)
    assert reader.stats.file_format == "pcap"
    assert reader.stats.link_types == {"ether": 133}
    assert reader.stats.non_dns_packets == 51
    # queries were captured on the sending host (checksum offload): not verifiable
    assert [d.checksum_ok for d in found[:4]] == [None, True, None, True]
    assert found[0].offset == 24
    assert reader.stats.first_ts == pytest.approx(1476976981.075993, abs=1e-7)


def test_same_traffic_vlan_fragmented_and_tcp(corpus: Corpus) -> None:
    _, plain = _read(corpus("dnscap/src/test/dns.pcap"))
    plain_msgs = [(d.src, d.sport, d.dst, d.dport, d.payload) for d in _datagrams(plain)]
    _, vlan = _read(corpus("dnscap/src/test/vlan11.pcap"))
    assert [(d.src, d.sport, d.dst, d.dport, d.payload) for d in _datagrams(vlan)] == plain_msgs
    frag_reader, frags = _read(corpus("dnscap/src/test/frags.pcap"))
    frag_dgrams = _datagrams(frags)
    assert [(d.src, d.sport, d.dst, d.dport, d.payload) for d in frag_dgrams] == plain_msgs
    assert frag_dgrams[1].frames == (3, 4, 5, 6, 7, 8, 9, 10)
    assert frag_dgrams[1].frame == 10
    assert frag_dgrams[1].checksum_ok is True  # verified after reassembly
    assert frag_reader.stats.reassembled_fragments == 495
    assert frag_reader.stats.link_types == {"ipv4": 495}
    tcp_reader, tcp = _read(corpus("dnscap/src/test/dnso1tcp.pcap"))
    tcp_dgrams = _datagrams(tcp)
    assert all(d.transport == "tcp" for d in tcp_dgrams)
    assert sorted(d.payload[:2] for d in tcp_dgrams) == sorted(m[4][:2] for m in plain_msgs)
    assert tcp_reader.stats.tcp_messages == 82


def test_pipelined_tcp_queries(corpus: Corpus) -> None:
    path = "suricata-verify/tests/dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap"
    _, records = _read(corpus(path))
    found = _datagrams(records)
    queries = [d for d in found if d.dport == 53]
    assert len(queries) == 20
    assert len({d.frame for d in queries}) == 1  # all in one segment
    assert [int.from_bytes(d.payload[:2], "big") for d in queries] == list(range(20))
    assert len([d for d in found if d.sport == 53]) == 20


def test_ipv6_fragments_and_orphan(corpus: Corpus) -> None:
    reader, records = _read(corpus("zeek/testing/btest/Traces/ipv6-fragmented-dns.pcap"))
    found = _datagrams(records)
    assert [len(d.payload) + 8 for d in found] == [81, 331, 82, 82, 3238]
    assert found[-1].frames == (6, 7, 8)
    assert found[-1].checksum_ok is True
    assert reader.orphan_fragments == 1  # the lone trailing fragment of the first response
    assert reader.stats.reassembled_fragments == 3


def test_tcp_midstream_and_split_length(corpus: Corpus) -> None:
    _, records = _read(corpus("dnscap/src/test/1qtcpnosyn.pcap"))
    found = _datagrams(records)
    assert [(d.dport, d.payload[2] >> 7) for d in found] == [(53, 0), (found[1].dport, 1)]
    _, records = _read(corpus("dnscap/src/test/do1t-nosyn-1nolen.pcap"))
    found = _datagrams(records)
    assert [d.frame for d in found] == [3, 7, 9]
    assert found[1].frames == (5, 7)  # the length prefix travelled alone in frame 5
    assert found[1].payload[:2] == found[2].payload[:2] == bytes.fromhex("8b51")


def test_tcp_missing_segment_resyncs(corpus: Corpus) -> None:
    _, records = _read(corpus("dnscap/src/test/dnso1tcp-midmiss.pcap"))
    assert [(type(r).__name__, r.frame) for r in records] == [
        ("Datagram", 6),
        ("Datagram", 8),
        ("Datagram", 12),
        ("Damage", 14),
        ("Datagram", 14),
        ("Damage", 15),
        ("Datagram", 17),
        ("Datagram", 19),
    ]
    gaps = [r for r in records if isinstance(r, Damage)]
    assert all(g.kind == "tcp-gap" and not g.fatal for g in gaps)


def test_tunnels(corpus: Corpus) -> None:
    _, records = _read(corpus("zeek/testing/btest/Traces/tunnels/gre-over-udp-4754.pcap"))
    found = _datagrams(records)
    assert {(d.src, d.dst, d.tunnel) for d in found} == {
        ("172.17.0.2", "1.1.1.1", "gre-udp"),
        ("1.1.1.1", "172.17.0.2", "gre-udp"),
    }
    _, records = _read(corpus("zeek/testing/btest/Traces/tunnels/gre-sample.pcap"))
    assert [(type(r).__name__, r.frame) for r in records] == [
        ("Datagram", 33),
        ("IcmpError", 34),
        ("Datagram", 35),
        ("IcmpError", 36),
    ]
    icmp = records[1]
    assert isinstance(icmp, IcmpError)
    assert (icmp.reporter, icmp.kind, icmp.transport) == ("172.28.2.3", "port-unreachable", "udp")
    assert (icmp.src, icmp.sport, icmp.dst, icmp.dport) == (
        "66.59.111.190",
        37675,
        "172.28.2.3",
        53,
    )
    assert icmp.quoted_payload == records[0].payload
    assert records[0].tunnel == "gre"


def test_link_types_and_interfaces(corpus: Corpus) -> None:
    reader, records = _read(corpus("zeek/testing/btest/Traces/pcapng-multi-interface.pcapng"))
    found = _datagrams(records)
    assert [d.interface for d in found] == [0, 0, 1, 1, 1, 1]
    assert reader.stats.interfaces == 2
    assert reader.stats.file_format == "pcapng"
    assert found[0].ts == pytest.approx(1767663089.500330493, abs=1e-6)  # if_tsresol 9
    assert found[2].ts == pytest.approx(1767663437.111897, abs=1e-6)
    _, records = _read(corpus("dnscap/src/test/sll2.pcap"))
    assert [d.interface for d in _datagrams(records)] == [10, 10]
    reader, records = _read(corpus("tcpdump/tests/dns-badcookie.pcap"))
    assert reader.stats.link_types == {"null": 4}
    assert len(_datagrams(records)) == 4


def test_checksums_length_and_ppp(corpus: Corpus) -> None:
    _, records = _read(corpus("zeek/testing/btest/Traces/dns/dns-corrupt.pcap"))
    assert [d.checksum_ok for d in _datagrams(records)] == [False, False]
    _, records = _read(corpus("tcpdump/tests/dns-zlip-1.pcap"))
    assert [(type(r).__name__, getattr(r, "kind", "")) for r in records] == [
        ("Damage", "short-dns-message")
    ]
    _, records = _read(corpus("tcpdump/tests/ppp_ip_udp_dns.pcap"))
    assert [(r.kind, r.frame, r.fatal) for r in records if isinstance(r, Damage)] == [
        ("unknown-ppp-protocol", 1, False)
    ]


def test_other_name_services(corpus: Corpus) -> None:
    path = corpus("zeek/testing/btest/Traces/wikipedia.pcap")
    reader, records = _read(path)
    assert len(_datagrams(records)) == 28
    assert reader.stats.other_name_services == {"mdns": 4, "llmnr": 8, "netbios-ns": 8}
    reader, records = _read(path, frozenset({53, 5353, 5355, 137}))
    assert len(_datagrams(records)) == 48
    assert reader.stats.other_name_services == {}
