"""dhcpcd: dhcpcd.conf `static` values, `nohook resolv.conf`, and binary BOOTP lease files."""

from __future__ import annotations

import ipaddress
import struct

import dns.name
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.dhcpcd_sources import lease_claims, nohook_line, read_dhcpcd
from dnsdoctor.evidence.node.provenance import collect_claims, trace
from dnsdoctor.evidence.node.rootfs import SafeRoot

LEASE = "node/roots/dhcpcd-static/var/lib/dhcpcd/eth0.lease"


def build_lease(servers=("172.16.0.2",), domain="ec2.internal", search=("ec2.internal",)) -> bytes:
    """A DHCPACK as dhcpcd stores it (the raw BOOTP reply), built field by field after RFC 2131
    and RFC 2132; the search list (option 119) uses name compression as RFC 3397 allows."""
    header = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        2, 1, 6, 0, 0x3903F326, 0, 0,  # BOOTREPLY, Ethernet, hlen 6, hops, xid, secs, flags
        bytes(4), ipaddress.IPv4Address("172.16.0.230").packed,
        ipaddress.IPv4Address("172.16.0.1").packed, bytes(4),
        bytes.fromhex("0a58ac1000e6") + bytes(10), bytes(64), bytes(128),
    )  # fmt: skip
    options = bytearray(b"\x63\x82\x53\x63")
    options += bytes([53, 1, 5])  # DHCPACK
    options += bytes([54, 4]) + ipaddress.IPv4Address("172.16.0.1").packed
    options += bytes([51, 4]) + struct.pack("!I", 86400)
    options += bytes([1, 4, 255, 255, 255, 0, 3, 4, 172, 16, 0, 1])
    packed = b"".join(ipaddress.IPv4Address(s).packed for s in servers)
    options += bytes([6, len(packed)]) + packed
    options += bytes([15, len(domain)]) + domain.encode()
    wire, compress = bytearray(), {}
    for name in search:
        wire += dns.name.from_text(name).to_wire(compress=compress, origin=None)
    options += bytes([119, len(wire)]) + wire + b"\xff"
    return header + bytes(options)


def test_committed_lease_is_what_the_builder_makes(data):
    assert data(LEASE).read_bytes() == build_lease(
        search=("ec2.internal", "cluster.example.internal", "svc.example.internal")
    )


def test_lease_gives_the_servers_domain_and_compressed_search_list(data):
    claims = lease_claims("/var/lib/dhcpcd/eth0.lease", data(LEASE).read_bytes())
    assert [(c.kind, c.value) for c in claims] == [
        ("nameserver", "172.16.0.2"),
        ("search", "ec2.internal"),
        ("search", "ec2.internal"),
        ("search", "cluster.example.internal"),
        ("search", "svc.example.internal"),
    ]
    assert all(c.dynamic and c.mechanism == "DHCP lease" and c.line == 0 for c in claims)
    assert "option 6 at byte" in claims[0].text


def test_static_servers_and_nohook(data, tmp_path):
    root = SafeRoot(data("node/roots/dhcpcd-static"))
    static = [c for c in read_dhcpcd(root) if not c.dynamic]
    assert {(c.value, c.where) for c in static} == {
        ("172.16.0.2", "/etc/dhcpcd.conf:52"),
        ("10.225.30.181", "/etc/dhcpcd.conf:52"),
    }
    assert all(c.mechanism.endswith("(interface eth0)") for c in static)
    assert nohook_line(root) is None
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/dhcpcd.conf").write_text("# keep my own resolv.conf\nnohook resolv.conf\n")
    assert nohook_line(SafeRoot(tmp_path)) == "/etc/dhcpcd.conf:2"


def test_dhcpcd_manager_and_its_stopped_form(data, tmp_path):
    root = SafeRoot(data("node/roots/dhcpcd-static"))
    prov = trace(root, "/etc/resolv.conf", collect_claims(root))
    assert prov.manager == "dhcpcd"
    assert "every lease event" in prov.regenerated
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").write_text(
        data("node/roots/dhcpcd-static/etc/resolv.conf").read_text()
    )
    (tmp_path / "etc/dhcpcd.conf").write_text("nohook resolv.conf\n")
    stopped = trace(SafeRoot(tmp_path), "/etc/resolv.conf", [])
    assert stopped.manager == "dhcpcd (stopped)"
    assert "/etc/dhcpcd.conf:1" in stopped.regenerated


@settings(deadline=None)
@given(st.binary(max_size=600))
def test_no_lease_bytes_crash_the_reader(blob):
    for data in (blob, build_lease()[:240] + blob):
        for claim in lease_claims("/x.lease", data):
            assert claim.kind in ("nameserver", "search")
