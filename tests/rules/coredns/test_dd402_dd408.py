"""DD402 no-errors-plugin, DD403 no-cache-plugin, DD404/DD405 forward health checks,
DD406 forward-policy, DD407 deprecated-proxy-plugin, DD408 too-many-upstreams."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.coredns.configmap import load_configmap
from dnsdoctor.model import Severity
from dnsdoctor.rules.coredns.forward_health_check_unusual import go_duration

from .helpers import corefile, findings, run

REAL = [
    "kubeadm-configmap.yaml",
    "k3s-coredns.yaml",
    "aks-coredns.yaml",
    "nodelocaldns.yaml",
    "k8s-docs-stubdomain-configmap.yaml",
]


@pytest.mark.parametrize("name", REAL)
@pytest.mark.parametrize("code", ["DD402", "DD403", "DD404", "DD405", "DD406", "DD407", "DD408"])
def test_real_defaults_are_clean(data, name, code):
    report = run(load_configmap(data(f"coredns/corefiles/{name}")))
    assert not findings(report, code)


def test_no_errors_and_no_cache():
    report = run(
        corefile(". {\n  forward . 10.0.0.2\n}\nexample.org:5300 {\n  errors\n  whoami\n}\n")
    )
    (errors,) = findings(report, "DD402")
    assert errors.severity is Severity.WARNING
    assert errors.evidence[0].line == 1
    (cache,) = findings(report, "DD403")
    assert "Corefile:2" in cache.summary
    assert cache.severity is Severity.INFO


def test_max_fails_zero():
    report = run(corefile(". {\n  forward . 10.0.0.2 10.0.0.3 {\n    max_fails 0\n  }\n}\n"))
    (finding,) = findings(report, "DD404")
    assert finding.summary.startswith("Corefile:3:")
    assert [e.line for e in finding.evidence] == [2, 3]
    assert not findings(report, "DD405")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("max_fails 10\n    health_check 5s", "50 s"),
        ("health_check 1m", "120 s"),
        ("max_fails 1", "one lost health check"),
        ("max_fails 3\n    health_check 500ms", None),
        ("health_check 0.5s", None),
    ],
)
def test_unusual_health_checks(options, expected):
    report = run(corefile(f". {{\n  forward . 10.0.0.2 10.0.0.3 {{\n    {options}\n  }}\n}}\n"))
    found = findings(report, "DD405")
    if expected is None:
        assert not found
    else:
        (finding,) = found
        assert expected in finding.summary


def test_go_durations():
    assert go_duration("500ms") == pytest.approx(0.5)
    assert go_duration("1m30s") == pytest.approx(90)
    assert go_duration("0") == 0
    assert go_duration("5") is None
    assert go_duration("5 s") is None


@pytest.mark.parametrize(
    ("policy", "word"), [("sequential", "first upstream"), ("round_robin", "1/N")]
)
def test_policy_notes(policy, word):
    report = run(
        corefile(f". {{\n  forward . 10.0.0.2 10.0.0.3 {{\n    policy {policy}\n  }}\n}}\n")
    )
    (finding,) = findings(report, "DD406")
    assert word in finding.summary
    assert finding.severity is Severity.INFO


def test_random_policy_is_not_noted():
    report = run(corefile(". {\n  forward . 10.0.0.2 {\n    policy random\n  }\n}\n"))
    assert not findings(report, "DD406")


def test_proxy_is_deprecated(data):
    report = run(load_configmap(data("coredns/corefiles/coredns-1.2-proxy-configmap.yaml")))
    (finding,) = findings(report, "DD407")
    assert "`forward . /etc/resolv.conf`" in finding.summary
    assert finding.evidence[0].line == 17


def test_too_many_upstreams():
    sixteen = " ".join(f"10.0.0.{i}" for i in range(1, 17))
    report = run(corefile(f". {{\n  forward . {sixteen}\n}}\n"))
    (finding,) = findings(report, "DD408")
    assert "16 upstreams" in finding.summary
    assert finding.severity is Severity.ERROR
    fifteen = " ".join(f"10.0.0.{i}" for i in range(1, 16))
    assert not findings(run(corefile(f". {{\n  forward . {fifteen}\n}}\n")), "DD408")
