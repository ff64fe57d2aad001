"""`dnsdoctor coredns --corefile FILE` end to end: a Corefile or a ConfigMap in, Corefile lint out
(DD400-DD410), with file:line evidence, exit codes and JSON."""

from __future__ import annotations

import json

FIXTURES = "coredns/corefiles"


def test_kubeadm_configmap_text_report(cli, data):
    result = cli("coredns", "--corefile", str(data(f"{FIXTURES}/kubeadm-configmap.yaml")))
    assert result.code == 1  # DD401 is a warning without node evidence
    assert "DD400 forward-to-resolv-conf" in result.stdout
    assert "kubeadm-configmap.yaml:20" in result.stdout
    assert result.stderr == ""


def test_json_configmap_and_fail_on_error(cli, data):
    path = str(data(f"{FIXTURES}/eks-coredns.json"))
    result = cli("coredns", "--corefile", path, "--format", "json", "--fail-on", "error")
    assert result.code == 0
    report = json.loads(result.stdout)
    codes = {f["code"] for f in report["findings"]}
    assert {"DD400", "DD401"} <= codes
    dd400 = next(f for f in report["findings"] if f["code"] == "DD400")
    (line,) = [e for e in dd400["evidence"] if e["kind"] == "line"]
    assert line["line"] == 12
    assert line["text"] == "forward . /etc/resolv.conf"


def test_nodelocal_template_flags_the_domain_placeholder(cli, data):
    result = cli(
        "coredns", "--corefile", str(data(f"{FIXTURES}/nodelocaldns.yaml")), "--format", "json"
    )
    assert result.code == 1
    findings = json.loads(result.stdout)["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["DD409"]
    assert "__PILLAR__DNS__DOMAIN__" in errors[0]["summary"]


def test_proxy_corefile(cli, data):
    result = cli("coredns", "--corefile", str(data(f"{FIXTURES}/coredns-1.2-proxy-configmap.yaml")))
    assert result.code == 1
    assert "DD407 deprecated-proxy-plugin" in result.stdout


def test_broken_corefile_is_a_clear_error(cli, data):
    path = str(data(f"{FIXTURES}/coredns-deployment.Corefile.sed"))
    result = cli("coredns", "--corefile", path)
    assert result.code == 2
    assert result.stderr.startswith(f"dnsdoctor: error: {path}:1: this '{{' is never closed")
    assert "Traceback" not in result.stderr


def test_missing_corefile_is_a_clear_error(cli, tmp_path):
    result = cli("coredns", "--corefile", str(tmp_path / "nope"))
    assert result.code == 2
    assert "cannot read" in result.stderr


def test_lint_of_a_written_corefile(cli, tmp_path):
    corefile = tmp_path / "Corefile"
    corefile.write_text(
        ". {\n    forward . 10.0.0.2 10.0.0.3 {\n        max_fails 0\n        policy sequential\n    }\n}\n"
    )
    result = cli("coredns", "--corefile", str(corefile), "--format", "json")
    codes = sorted(f["code"] for f in json.loads(result.stdout)["findings"])
    assert codes == ["DD402", "DD403", "DD404", "DD406"]


def test_node_root_gives_the_upstreams_behind_resolv_conf(cli, data):
    """With the node's files, the Corefile rules name the servers CoreDNS really forwards to."""
    result = cli(
        "coredns",
        "--corefile",
        str(data("coredns/seed/Corefile")),
        "--node-root",
        str(data("coredns/seed/node")),
        "--format",
        "json",
    )
    report = json.loads(result.stdout)
    dd400 = next(f for f in report["findings"] if f["code"] == "DD400")
    assert "10.0.0.2, 10.225.30.181" in dd400["summary"]
    lines = {(e["path"], e["line"]) for e in dd400["evidence"] if e["kind"] == "line"}
    assert ("/etc/resolv.conf", 3) in lines
    assert all(f["code"] != "DD401" for f in report["findings"])  # no loopback server there
