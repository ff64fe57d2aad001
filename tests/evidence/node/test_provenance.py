"""Provenance: which file and line put each value into resolv.conf, on real and hand-made roots."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.kubelet import find_kubelet_resolv
from dnsdoctor.evidence.node.provenance import collect_claims, trace
from dnsdoctor.evidence.node.rootfs import SafeRoot


def traced(data, name: str, asked: str = "/etc/resolv.conf"):
    root = SafeRoot(data(f"node/roots/{name}"))
    return trace(root, asked, collect_claims(root))


def origins(prov, value):
    entry = prov.nameserver(value)
    assert entry is not None, f"{value} not in {prov.path}"
    return {(o.where, o.mechanism) for o in entry.origins}


def test_seed_tree_follows_the_symlink_and_names_base(data):
    prov = traced(data, "seed-resolvconf-base")
    assert prov.path == "/run/resolvconf/resolv.conf"
    assert [(h.link, h.target) for h in prov.resolved.chain] == [
        ("/etc/resolv.conf", "../run/resolvconf/resolv.conf")
    ]
    assert prov.manager == "resolvconf"
    assert origins(prov, "10.225.30.181") == {
        ("/etc/resolvconf/resolv.conf.d/base:1", "resolvconf base")
    }
    dhcp = origins(prov, "172.16.0.2")
    assert ("/var/lib/dhcp/dhclient.eth0.leases:7", "DHCP lease") in dhcp
    assert any(w.startswith("/run/resolvconf/interface/eth0.dhclient:") for w, _ in dhcp)


def test_dhclient_prepend_and_ifupdown_are_traced_to_their_lines(data):
    prov = traced(data, "dhclient-prepend")
    assert ("/etc/dhcp/dhclient.conf:7", "dhclient.conf prepend") in origins(prov, "10.225.30.181")
    prov = traced(data, "ifupdown-static")
    found = origins(prov, "10.225.30.181")
    assert ("/etc/network/interfaces:13", "ifupdown dns-nameservers (eth1 inet static)") in found


def test_stub_is_traced_to_the_uplink_file_and_netplan(data):
    prov = traced(data, "netplan-resolved")
    assert prov.path == "/run/systemd/resolve/stub-resolv.conf"
    assert prov.manager == "systemd-resolved stub"
    assert prov.upstream is not None
    assert prov.upstream.path == "/run/systemd/resolve/resolv.conf"
    found = origins(prov.upstream, "10.225.30.181")
    assert ("/etc/netplan/50-cloud-init.yaml:14", "netplan nameservers (eth0)") in found
    assert ("/run/systemd/netif/leases/2:9", "networkd DHCP lease") in origins(
        prov.upstream, "172.16.0.2"
    )


def test_kubelet_resolv_conf_from_config_and_flag(data, tmp_path):
    kubelet = find_kubelet_resolv(SafeRoot(data("node/roots/netplan-resolved")))
    assert kubelet.path == "/run/systemd/resolve/resolv.conf"
    assert kubelet.source == "/var/lib/kubelet/config.yaml:7"
    kubelet = find_kubelet_resolv(SafeRoot(data("node/roots/resolved-stub-kubelet")))
    assert kubelet.path == "/etc/resolv.conf"
    assert kubelet.source == "/var/lib/kubelet/kubeadm-flags.env:1"
    # a systemd drop-in flag wins over the config file
    dropin = tmp_path / "etc/systemd/system/kubelet.service.d"
    dropin.mkdir(parents=True)
    (dropin / "20-dns.conf").write_text(
        '[Service]\nEnvironment="KUBELET_EXTRA_ARGS=--resolv-conf /etc/kubelet-resolv.conf"\n'
    )
    config = tmp_path / "var/lib/kubelet"
    config.mkdir(parents=True)
    (config / "config.yaml").write_text("kind: KubeletConfiguration\nresolvConf: /x\n")
    kubelet = find_kubelet_resolv(SafeRoot(tmp_path))
    assert kubelet.path == "/etc/kubelet-resolv.conf"
    assert kubelet.source == "/etc/systemd/system/kubelet.service.d/20-dns.conf:2"


def test_no_kubelet_means_the_default_and_not_found(tmp_path):
    kubelet = find_kubelet_resolv(SafeRoot(tmp_path))
    assert (kubelet.path, kubelet.source, kubelet.kubelet_found) == (
        "/etc/resolv.conf",
        None,
        False,
    )


def test_a_value_written_by_hand_has_no_origin(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").write_text("nameserver 192.0.2.1\n")
    root = SafeRoot(tmp_path)
    prov = trace(root, "/etc/resolv.conf", collect_claims(root))
    assert prov.manager == "plain file"
    assert prov.nameserver("192.0.2.1").origins == ()


SOURCE_FILES = [
    "etc/resolv.conf",
    "etc/resolvconf/resolv.conf.d/base",
    "run/resolvconf/interface/eth0.dhclient",
    "etc/dhcp/dhclient.conf",
    "var/lib/dhcp/dhclient.eth0.leases",
    "etc/network/interfaces",
    "etc/netplan/01.yaml",
    "etc/systemd/resolved.conf",
    "run/systemd/resolve/resolv.conf",
    "run/systemd/netif/leases/2",
    "etc/systemd/network/10.network",
    "var/lib/kubelet/config.yaml",
    "var/lib/kubelet/kubeadm-flags.env",
]


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(SOURCE_FILES), st.text(max_size=400), min_size=1))
def test_no_source_file_content_crashes_the_readers(tmp_path_factory, files):
    base: Path = tmp_path_factory.mktemp("src")
    for rel, text in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    root = SafeRoot(base)
    prov = trace(root, "/etc/resolv.conf", collect_claims(root))
    prov.to_dict()
    find_kubelet_resolv(root).to_dict()
    root.close()
