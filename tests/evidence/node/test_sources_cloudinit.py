"""cloud-init: network config v1/v2 (cloud.cfg.d, seed, network-config.json) and resolv_conf."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.cloudinit_sources import read_cloudinit
from dnsdoctor.evidence.node.provenance import collect_claims, trace
from dnsdoctor.evidence.node.rootfs import SafeRoot

ROOT = "node/roots/cloudinit-resolv-conf"
CFG = "/etc/cloud/cloud.cfg.d/90-node-image-dns.cfg"


def test_resolv_conf_module_file_is_traced(data):
    root = SafeRoot(data(ROOT))
    prov = trace(root, "/etc/resolv.conf", collect_claims(root))
    assert prov.manager == "cloud-init resolv_conf module"
    assert f"manage_resolv_conf: true at {CFG}:2" in prov.regenerated
    (origin,) = prov.nameserver("10.225.30.181").origins
    assert origin.where == f"{CFG}:6"
    search = next(e for e in prov.entries if e.kind == "search")
    assert {o.where for o in search.origins} == {f"{CFG}:8"}


def test_resolv_conf_values_count_only_when_managed(tmp_path):
    cfg = tmp_path / "etc/cloud/cloud.cfg.d"
    cfg.mkdir(parents=True)
    (cfg / "50-dns.cfg").write_text("resolv_conf:\n  nameservers: [10.9.9.9]\n")
    assert read_cloudinit(SafeRoot(tmp_path)) == []
    (cfg / "99-on.cfg").write_text("manage_resolv_conf: true\n")
    (claim,) = read_cloudinit(SafeRoot(tmp_path))
    assert (claim.value, claim.where) == ("10.9.9.9", "/etc/cloud/cloud.cfg.d/50-dns.cfg:2")


def test_network_config_v1_static_subnet_and_global_entry(tmp_path):
    seed = tmp_path / "var/lib/cloud/seed/nocloud"
    seed.mkdir(parents=True)
    (seed / "network-config").write_text(
        "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    subnets:\n"
        "      - type: static\n        address: 10.0.0.5/24\n        dns_nameservers:\n"
        "          - 10.225.30.181\n        dns_search: [corp.example]\n"
        "  - type: nameserver\n    address: [10.0.0.2]\n    search: lab.example\n"
    )
    claims = {(c.kind, c.value, c.line, c.mechanism) for c in read_cloudinit(SafeRoot(tmp_path))}
    static = "cloud-init network config v1 (eth0, static subnet)"
    glob = "cloud-init network config v1 (global nameserver entry)"
    assert claims == {
        ("nameserver", "10.225.30.181", 9, static),
        ("search", "corp.example", 10, static),
        ("nameserver", "10.0.0.2", 12, glob),
        ("search", "lab.example", 13, glob),
    }


def test_network_config_json_v2_keeps_line_numbers(tmp_path):
    instance = tmp_path / "var/lib/cloud/instance"
    instance.mkdir(parents=True)
    (instance / "network-config.json").write_text(
        '{\n "version": 2,\n "ethernets": {\n  "eth0": {\n   "dhcp4": true,\n'
        '   "nameservers": {\n    "addresses": [\n     "10.225.30.181"\n    ]\n   }\n  }\n }\n}\n'
    )
    (claim,) = read_cloudinit(SafeRoot(tmp_path))
    assert claim.where == "/var/lib/cloud/instance/network-config.json:8"
    assert claim.mechanism == "cloud-init network config v2 (eth0, dhcp4)"


@settings(deadline=None)
@given(st.text(max_size=300))
def test_no_cloud_config_text_crashes_the_reader(tmp_path_factory, text):
    root = tmp_path_factory.mktemp("ci")
    (root / "etc/cloud").mkdir(parents=True)
    (root / "etc/cloud/cloud.cfg").write_text("manage_resolv_conf: true\n" + text)
    (root / "var/lib/cloud/seed/nocloud").mkdir(parents=True)
    (root / "var/lib/cloud/seed/nocloud/network-config").write_text(text)
    for claim in read_cloudinit(SafeRoot(root)):
        assert claim.line >= 1
