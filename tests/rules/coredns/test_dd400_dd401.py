"""DD400 forward-to-resolv-conf and DD401 forward-loop-risk."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.coredns.configmap import load_configmap
from dnsdoctor.model import Severity

from .helpers import corefile, findings, node_with, run

CODES = ("DD400", "DD401")


@pytest.mark.parametrize("code", CODES)
def test_skipped_without_a_corefile(code):
    report = run(None)
    assert not findings(report, code)
    assert any(s.code == code and "Corefile" in s.reason for s in report.skipped)


def test_kubeadm_default_without_node_evidence(data):
    report = run(load_configmap(data("coredns/corefiles/kubeadm-configmap.yaml")))
    (info,) = findings(report, "DD400")
    assert info.severity is Severity.INFO
    assert "kubeadm-configmap.yaml:20" in info.summary
    assert info.evidence[0].line == 20
    assert info.evidence[0].text.startswith("forward . /etc/resolv.conf")
    (hint,) = findings(report, "DD401")
    assert hint.severity is Severity.WARNING
    assert "--node-root" in hint.summary
    assert "CrashLoopBackOff" in hint.summary


def test_hint_without_loop_plugin_says_queries_bounce():
    report = run(corefile(". {\n  forward . /etc/resolv.conf\n}\n"))
    (hint,) = findings(report, "DD401")
    assert "bounce" in hint.summary


def test_node_evidence_names_each_upstream_and_its_share(data):
    node = node_with("/etc/resolv.conf", "10.0.0.2", "10.225.30.181", "10.0.0.3")
    report = run(load_configmap(data("coredns/corefiles/coredns-1.2-proxy-configmap.yaml")), node)
    (info,) = findings(report, "DD400")
    assert "10.0.0.2, 10.225.30.181, 10.0.0.3" in info.summary
    assert "1/3" not in info.summary  # proxy has no forward policy default to reason about
    lines = [(e.path, e.line, e.text) for e in info.evidence[1:]]
    assert lines[1] == ("/etc/resolv.conf", 2, "nameserver 10.225.30.181")
    assert not findings(report, "DD401")  # no loopback nameserver: no loop risk


def test_forward_random_policy_share_is_computed_from_the_node_file():
    node = node_with("/run/systemd/resolve/resolv.conf", "10.0.0.2", "10.0.0.3")
    report = run(corefile(". {\n  forward . /etc/resolv.conf\n}\n"), node)
    (info,) = findings(report, "DD400")
    assert "about 1/2 of forwarded queries" in info.summary


def test_loopback_in_the_node_file_is_an_error():
    node = node_with("/etc/resolv.conf", "127.0.0.53")
    report = run(corefile(". {\n  errors\n  forward . /etc/resolv.conf\n  loop\n}\n"), node)
    (loop,) = findings(report, "DD401")
    assert loop.severity is Severity.ERROR
    assert "127.0.0.53" in loop.summary
    assert [(e.path, e.line) for e in loop.evidence] == [("Corefile", 3), ("/etc/resolv.conf", 1)]


def test_loopback_upstream_written_in_the_corefile():
    report = run(
        corefile(". {\n  forward . 10.0.0.2 127.0.0.1:5353\n}\n"),
        node_with("/etc/resolv.conf", "10.0.0.2"),
    )
    (loop,) = findings(report, "DD401")
    assert "127.0.0.1:5353" in loop.summary
    assert loop.severity is Severity.ERROR
    assert not findings(report, "DD400")


def test_nodelocal_upstream_placeholder_counts_as_resolv_conf(data):
    node = node_with("/etc/resolv.conf", "127.0.0.53")
    report = run(load_configmap(data("coredns/corefiles/nodelocaldns.yaml")), node)
    (info,) = findings(report, "DD400")
    assert "__PILLAR__UPSTREAM__SERVERS__" in info.summary
    (loop,) = findings(report, "DD401")
    assert loop.severity is Severity.WARNING  # hostNetwork: 127.0.0.53 is the node's stub


def test_explicit_upstreams_are_not_flagged(data):
    report = run(load_configmap(data("coredns/corefiles/k8s-docs-stubdomain-configmap.yaml")))
    assert not findings(report, "DD400")
    assert not findings(report, "DD401")


@pytest.mark.parametrize("code", CODES)
def test_explain_through_the_cli(cli, code):
    result = cli("explain", code)
    assert result.code == 0
    assert result.stdout.startswith(code)
    if code == "DD400":
        assert "kubelet" in result.stdout
        assert "up to 15" in result.stdout
        assert "search` and `options` lines are ignored" in result.stdout
