"""NetworkManager: keyfile profiles, its dhclient leases, NetworkManager.conf dns=/rc-manager=."""

from __future__ import annotations

import shutil

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.nm_sources import _profile_claims, nm_settings, read_networkmanager
from dnsdoctor.evidence.node.provenance import collect_claims, trace
from dnsdoctor.evidence.node.rootfs import SafeRoot

ROOT = "node/roots/nm-keyfile-dns"
PROFILE = "/etc/NetworkManager/system-connections/eth0.nmconnection"


def test_profile_dns_is_traced_to_its_keyfile_line(data):
    root = SafeRoot(data(ROOT))
    prov = trace(root, "/etc/resolv.conf", collect_claims(root))
    assert prov.path == "/run/NetworkManager/resolv.conf"
    assert prov.manager == "NetworkManager"
    (origin,) = prov.nameserver("10.225.30.181").origins
    assert origin.where == f"{PROFILE}:10"
    assert origin.text == "dns=10.225.30.181;"
    assert origin.mechanism == "NetworkManager profile 'eth0' [ipv4] dns= (method=auto)"
    (lease,) = prov.nameserver("172.16.0.2").origins
    assert lease.dynamic
    assert lease.mechanism == "DHCP lease"
    assert lease.path.startswith("/var/lib/NetworkManager/dhclient-")


def test_settings_come_from_the_last_file_that_sets_them(data, tmp_path):
    shutil.copytree(data(ROOT), tmp_path / "root", symlinks=True)
    conf_d = tmp_path / "root/etc/NetworkManager/conf.d"
    (conf_d / "90-dns.conf").write_text("[main]\ndns=none\n")
    root = SafeRoot(tmp_path / "root")
    assert nm_settings(root)["dns"] == ("none", "/etc/NetworkManager/conf.d/90-dns.conf:2")
    prov = trace(root, "/etc/resolv.conf", [])
    assert prov.manager == "NetworkManager (stopped)"
    assert "no longer rewrites" in prov.regenerated


def test_ignore_auto_dns_and_lists_are_read(tmp_path):
    profile = (
        "[connection]\nid=corp wifi\n\n[ipv4]\nmethod=auto\nignore-auto-dns=true\n"
        "dns=10.1.1.1;10.1.1.2;\ndns-search=corp.example;\n\n[ipv6]\ndns=fd00::53;\n"
    )
    claims = _profile_claims("/p", list(enumerate(profile.splitlines(), 1)))
    assert [(c.kind, c.value, c.line) for c in claims] == [
        ("nameserver", "10.1.1.1", 7),
        ("nameserver", "10.1.1.2", 7),
        ("search", "corp.example", 8),
        ("nameserver", "fd00::53", 11),
    ]
    assert "ignore-auto-dns" in claims[0].mechanism
    assert "'corp wifi'" in claims[0].mechanism


def test_internal_client_lease_keys(tmp_path):
    leases = tmp_path / "var/lib/NetworkManager"
    leases.mkdir(parents=True)
    (leases / "internal-1234-eth0.lease").write_text("ADDRESS=10.0.0.5\nDNS=10.0.0.2 10.0.0.3\n")
    claims = read_networkmanager(SafeRoot(tmp_path))
    assert [(c.value, c.line, c.dynamic) for c in claims] == [
        ("10.0.0.2", 2, True),
        ("10.0.0.3", 2, True),
    ]


@settings(deadline=None)
@given(st.text(max_size=400))
def test_no_keyfile_text_crashes_the_reader(text):
    for claim in _profile_claims("/p", list(enumerate(text.splitlines(), 1))):
        assert claim.kind in ("nameserver", "search", "option")
        assert claim.value
