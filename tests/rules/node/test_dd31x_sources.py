"""DD301's sentence for every new provenance source, DD310 and DD311, through the library and
the CLI, on the fixture roots of tests/data/node/roots (see its README for their origins)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from dnsdoctor.audit.node import NodeOptions, audit_node
from dnsdoctor.model import Severity

OFF = {"libc": False, "clock": False}
FAST = ("--no-libc", "--no-clock")
EXPECTED = {
    "nm-keyfile-dns": {"DD301"},
    "dhcpcd-static": {"DD301"},
    "cloudinit-resolv-conf": {"DD301"},
    "docker-daemon-dns": {"DD301"},
    "docker-loopback-host": {"DD310"},
    "containerd-pods": {"DD301"},
}


def run(data, name):
    return audit_node(str(data(f"node/roots/{name}")), NodeOptions(**OFF))


@pytest.mark.parametrize(("name", "codes"), EXPECTED.items())
def test_fixture_gives_its_expected_findings(data, name, codes):
    report, _ = run(data, name)
    assert {f.code for f in report.findings if f.code[:4] in ("DD30", "DD31")} == codes
    assert report.internal_errors == []


@pytest.mark.parametrize(
    ("name", "where", "because"),
    [
        (
            "nm-keyfile-dns",
            "/etc/NetworkManager/system-connections/eth0.nmconnection:10",
            "NetworkManager applies the profile's ipv4 dns= beside the servers of the DHCP lease",
        ),
        ("dhcpcd-static", "/etc/dhcpcd.conf:52", "dhcpcd puts its `static domain_name_servers`"),
        (
            "cloudinit-resolv-conf",
            "/etc/cloud/cloud.cfg.d/90-node-image-dns.cfg:6",
            "cloud-init's resolv_conf module wrote it at the instance's first boot",
        ),
        ("docker-daemon-dns", "/etc/docker/daemon.json:4", "dockerd writes daemon.json's dns"),
    ],
)
def test_stray_sentence_names_each_source(data, name, where, because):
    report, _ = run(data, name)
    (finding,) = [f for f in report.findings if f.code == "DD301"]
    assert "Nameserver 10.225.30.181 in " in finding.summary
    assert f"comes from {where} (" in finding.summary
    assert "(which gives 172.16.0.2)" in finding.summary
    assert because in finding.summary
    assert finding.summary.endswith(".")
    assert "\n" not in finding.summary
    assert any(f"{e.path}:{e.line}" == where for e in finding.evidence)


def test_stray_in_a_container_file_names_the_container(data):
    report, _ = run(data, "docker-daemon-dns")
    (finding,) = [f for f in report.findings if f.code == "DD301"]
    assert "/var/lib/docker/containers/4f3c2b1a09e8" in finding.summary
    assert "(container web (4f3c2b1a09e8))" in finding.summary


def test_public_fallback_finding_and_its_controls(data, tmp_path):
    report, _ = run(data, "docker-loopback-host")
    (finding,) = [f for f in report.findings if f.code == "DD310"]
    assert finding.severity == Severity.WARNING
    assert "127.0.0.1 (line 2)" in finding.summary
    assert "seen in container legacy-app" in finding.summary
    # daemon.json dns replaces the host's servers: no fallback
    root = tmp_path / "root"
    shutil.copytree(data("node/roots/docker-loopback-host"), root)
    (root / "etc/docker/daemon.json").write_text('{"dns": ["10.0.0.2"]}\n')
    report, _ = audit_node(str(root), NodeOptions(**OFF))
    assert not [f for f in report.findings if f.code == "DD310"]
    # a host with a routable server: no fallback either
    report, _ = run(data, "docker-daemon-dns")
    assert not [f for f in report.findings if f.code == "DD310"]


@pytest.mark.root
def test_immutable_resolv_conf_is_a_finding(data, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data("node/roots/dhcpcd-static"), root)
    target = root / "etc/resolv.conf"
    subprocess.run(["chattr", "+i", str(target)], check=True)
    try:
        report, audit = audit_node(str(root), NodeOptions(**OFF))
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    (finding,) = [f for f in report.findings if f.code == "DD311"]
    assert finding.summary.startswith("/etc/resolv.conf is immutable (chattr +i): dhcpcd")
    assert "10.225.30.181" in finding.summary
    assert "immutable (chattr +i)" in audit.provenance[0].regenerated
    report, _ = run(data, "dhcpcd-static")
    assert not [f for f in report.findings if f.code == "DD311"]


def test_cli_text_gives_the_container_sentence_and_exits_1(cli, data):
    result = cli("node", "--root", str(data("node/roots/docker-daemon-dns")), *FAST)
    assert result.code == 1, result.stderr
    text = " ".join(result.stdout.split())  # the panel wraps lines
    assert "comes from /etc/docker/daemon.json:4 (Docker daemon.json dns)" in text


def test_cli_json_carries_containers_owners_and_inode_flags(cli, data):
    root = str(data("node/roots/containerd-pods"))
    result = cli("node", "--root", root, *FAST, "--format", "json")
    assert result.code == 1, result.stderr
    report = json.loads(result.stdout)
    main = report["provenance"][0]
    assert main["inode_flags"]["path"] == "/etc/resolv.conf"
    owners = {f["owner"] for f in main["containers"]["files"]}
    assert any(o.startswith("pod kube-system/coredns-5d78c9869d-abcde") for o in owners)
    assert any(o.startswith("pod shop/web-0") for o in owners)
    (stray,) = [f for f in report["findings"] if f["code"] == "DD301"]
    assert "/etc/dhcp/dhclient.conf:7" in stray["summary"]


def test_cli_fallback_warning_exit_codes(cli, data):
    root = str(data("node/roots/docker-loopback-host"))
    assert cli("node", "--root", root, *FAST).code == 1
    assert cli("node", "--root", root, *FAST, "--fail-on", "error").code == 0
