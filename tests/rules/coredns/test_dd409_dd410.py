"""DD409 unresolved-placeholder and DD410 corefile-defect."""

from __future__ import annotations

from dnsdoctor.evidence.coredns.configmap import load_configmap
from dnsdoctor.model import Severity

from .helpers import corefile, findings, run


def test_nodelocal_template_domain_placeholder_is_an_error(data):
    report = run(load_configmap(data("coredns/corefiles/nodelocaldns.yaml")))
    by_name = {f.evidence[0].text: f for f in findings(report, "DD409")}
    domain = by_name["__PILLAR__DNS__DOMAIN__"]
    assert domain.severity is Severity.ERROR
    assert domain.evidence[0].line == 57
    for runtime in (
        "__PILLAR__CLUSTER__DNS__",
        "__PILLAR__UPSTREAM__SERVERS__",
        "__PILLAR__LOCAL__DNS__",
    ):
        assert by_name[runtime].severity is Severity.INFO
        assert "node-cache" in by_name[runtime].summary


def test_rendered_nodelocal_is_clean(data):
    pillars = {
        "__PILLAR__DNS__DOMAIN__": "cluster.local",
        "__PILLAR__LOCAL__DNS__": "169.254.20.10",
        "__PILLAR__DNS__SERVER__": "10.96.0.10",
    }
    report = run(load_configmap(data("coredns/corefiles/nodelocaldns.yaml"), pillars=pillars))
    names = {f.evidence[0].text for f in findings(report, "DD409")}
    assert names == {"__PILLAR__CLUSTER__DNS__", "__PILLAR__UPSTREAM__SERVERS__"}
    assert all(f.severity is Severity.INFO for f in findings(report, "DD409"))


def test_env_placeholder_is_info():
    report = run(corefile(". {\n  forward . {$UPSTREAM}\n}\n"))
    (finding,) = findings(report, "DD409")
    assert "UPSTREAM" in finding.summary
    assert finding.severity is Severity.INFO


def test_defects_by_severity(data):
    report = run(load_configmap(data("coredns/corefiles/k3s-coredns.yaml")))
    optional = findings(report, "DD410")
    assert len(optional) == 2
    assert all(f.severity is Severity.INFO for f in optional)
    broken = run(corefile("import missing.conf\n. {\n  errors }\n. {\n}\n"))
    severities = sorted(f.severity for f in findings(broken, "DD410"))
    assert severities == [Severity.ERROR] * 3


def test_clean_corefile_has_no_defects(data):
    report = run(load_configmap(data("coredns/corefiles/kubeadm-configmap.yaml")))
    assert not findings(report, "DD410")
    assert not findings(report, "DD409")
