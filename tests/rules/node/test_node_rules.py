"""Every node rule proven both ways on the fixture roots (library entry point, no CLI)."""

from __future__ import annotations

import os

import pytest

from dnsdoctor.audit.node import NodeOptions, audit_node, parse_expect
from dnsdoctor.errors import UsageError
from dnsdoctor.model import Severity

OFF = {"libc": False, "clock": False}

# fixture root -> the DD30x/DD34x codes that must fire there (and no other of mine)
EXPECTED = {
    "seed-resolvconf-base": {"DD301"},
    "dhclient-prepend": {"DD301"},
    "ifupdown-static": {"DD301"},
    "control-base-dhcp-only": set(),
    "netplan-resolved": {"DD301", "DD306"},
    "resolved-stub-kubelet": {"DD306", "DD307"},
    "pod-long-search": {"DD303", "DD304", "DD305", "DD306"},
}


def run(data, name, **options):
    return audit_node(str(data(f"node/roots/{name}")), NodeOptions(**OFF, **options))


def mine(report):
    return [f for f in report.findings if f.code[:4] in ("DD30", "DD31", "DD34")]


@pytest.mark.parametrize(("name", "codes"), EXPECTED.items())
def test_fixture_gives_its_expected_findings(data, name, codes):
    report, _ = run(data, name)
    assert {f.code for f in mine(report)} == codes
    assert report.internal_errors == []


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("seed-resolvconf-base", "/etc/resolvconf/resolv.conf.d/base:1"),
        ("dhclient-prepend", "/etc/dhcp/dhclient.conf:7"),
        ("ifupdown-static", "/etc/network/interfaces:13"),
        ("netplan-resolved", "/etc/netplan/50-cloud-init.yaml:14"),
    ],
)
def test_stray_sentence_names_address_file_line_and_why(data, name, where):
    report, _ = run(data, name)
    (finding,) = [f for f in report.findings if f.code == "DD301"]
    assert finding.severity == Severity.ERROR
    assert "10.225.30.181" in finding.summary
    assert f"comes from {where}" in finding.summary
    assert "172.16.0.2" in finding.summary  # what DHCP really gives
    assert finding.summary.endswith(".")
    assert "\n" not in finding.summary
    assert any(f"{e.path}:{e.line}" == where for e in finding.evidence)


def test_control_gives_no_stray_sentence(data):
    report, _ = run(data, "control-base-dhcp-only")
    assert not [f for f in report.findings if f.code == "DD301"]


def test_expect_flags_servers_outside_and_accepts_inside(data):
    report, _ = run(data, "seed-resolvconf-base", expect=parse_expect(["172.16.0.0/24"]))
    (finding,) = [f for f in report.findings if f.code == "DD302"]
    assert "10.225.30.181" in finding.summary
    assert "/etc/resolvconf/resolv.conf.d/base:1" in finding.summary
    report, _ = run(data, "seed-resolvconf-base", expect=parse_expect(["172.16.0.2,10.0.0.0/8"]))
    assert not [f for f in report.findings if f.code == "DD302"]


def test_expect_judges_the_uplinks_behind_the_stub(data):
    report, _ = run(data, "netplan-resolved", expect=("172.16.0.2/32",))
    flagged = [f.summary for f in report.findings if f.code == "DD302"]
    assert len(flagged) == 1
    assert "10.225.30.181" in flagged[0]


def test_bad_expect_is_a_usage_error():
    with pytest.raises(UsageError):
        parse_expect(["10.0.0.300"])


def test_musl_line_and_pod_namespace_prediction(data, tmp_path):
    report, _ = run(data, "pod-long-search")
    (line,) = [f for f in report.findings if f.code == "DD303"]
    assert "277 bytes" in line.summary
    # a node whose search list leaves < 63 bytes for the namespace: kubelet's pods are at risk
    (tmp_path / "etc").mkdir()
    domains = " ".join(f"zone{i}.corp.example-enterprise.internal" for i in range(4))
    (tmp_path / "etc/resolv.conf").write_text(f"nameserver 10.0.0.2\nsearch {domains}\n")
    (tmp_path / "var/lib/kubelet").mkdir(parents=True)
    (tmp_path / "var/lib/kubelet/config.yaml").write_text("kind: KubeletConfiguration\n")
    report, _ = audit_node(str(tmp_path), NodeOptions(**OFF))
    (pods,) = [f for f in report.findings if f.code == "DD303"]
    assert "namespaces of" in pods.summary


def test_loopback_for_coredns_cites_kubelet_and_the_line(data):
    report, _ = run(data, "resolved-stub-kubelet")
    (finding,) = [f for f in report.findings if f.code == "DD307"]
    cited = {(e.path, e.line) for e in finding.evidence}
    assert ("/var/lib/kubelet/kubeadm-flags.env", 1) in cited
    assert ("/run/systemd/resolve/stub-resolv.conf", 21) in cited
    report, _ = run(data, "netplan-resolved")  # kubelet points at the uplinks: fine
    assert not [f for f in report.findings if f.code == "DD307"]


def test_escaping_root_is_reported_as_refused(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").symlink_to("../../../../etc/hostname")
    os.mkfifo(tmp_path / "etc/resolvconf_fifo")
    (tmp_path / "etc/resolvconf").mkdir()
    os.mkfifo(tmp_path / "etc/resolvconf/base_fifo")
    (tmp_path / "etc/resolvconf/resolv.conf.d").mkdir()
    os.mkfifo(tmp_path / "etc/resolvconf/resolv.conf.d/base")
    report, audit = audit_node(str(tmp_path), NodeOptions(**OFF))
    refused = " | ".join(audit.refused)
    assert "/etc/resolv.conf: `..` climbs above the root" in refused
    assert "/etc/resolvconf/resolv.conf.d/base: not a regular file (FIFO)" in refused
    (finding,) = [f for f in report.findings if f.code == "DD348"]
    assert finding.severity == Severity.WARNING


def test_effects_follow_each_library(data):
    _, audit = run(data, "seed-resolvconf-base")
    first, second = audit.effects
    assert first.address == "172.16.0.2"
    assert "asked first" in first.glibc
    assert "only after server 1" in second.glibc
    assert "at once" in second.musl
    assert "1/2" in second.coredns
