"""DD430-DD439 on real log fixtures and scrapes: each fires on its case and stays silent on a
clean one (run through the library; the CLI end-to-end tests are in tests/cli)."""

from __future__ import annotations

import io

from dnsdoctor.audit.coredns import CorednsInputs, audit_coredns
from dnsdoctor.model import LineEvidence, MetricEvidence, Severity


def _run(data, logs=(), metrics=(), corefile=None, node=None, stdin=""):
    inputs = CorednsInputs(
        corefile=str(data(corefile)) if corefile else None,
        logs=tuple(p if p == "-" else str(data(p)) for p in logs),
        metrics=tuple(str(data(p)) for p in metrics),
        node_root=str(data(node)) if node else None,
        stdin=io.StringIO(stdin),
    )
    return audit_coredns(inputs)


def _codes(report):
    return {f.code for f in report.findings}


SEED = {
    "logs": ["coredns/seed/coredns-kubectl.log"],
    "metrics": ["coredns/metrics/seed-before.prom", "coredns/metrics/seed-after.prom"],
}


def test_dd430_names_the_seed_upstream_its_rate_and_its_origin(data):
    report = _run(data, **SEED, corefile="coredns/seed/Corefile", node="coredns/seed/node")
    (finding,) = [f for f in report.findings if f.code == "DD430"]
    assert finding.severity == Severity.ERROR
    assert finding.summary.startswith("10.225.30.181:53 failed 13 of 15 forwarded queries (87%)")
    assert "/etc/resolvconf/resolv.conf.d/base line 1" in finding.summary
    assert any(isinstance(e, MetricEvidence) for e in finding.evidence)
    pods = {e.path for e in finding.evidence if isinstance(e, LineEvidence) and "pod" in e.path}
    assert len(pods) == 2
    assert "DD431" not in _codes(report)  # every failing upstream has a rate here


def test_dd430_silent_on_3_in_10000(data):
    report = _run(data, **SEED)
    flagged = [f.summary for f in report.findings if f.code in {"DD430", "DD432"}]
    assert not any(s.startswith("10.0.0.2") for s in flagged)


def test_dd431_count_and_span_without_rate(data):
    report = _run(data, logs=["coredns/logs/coredns-2514-proxy-1.3.1.log"])
    (finding,) = [f for f in report.findings if f.code == "DD431"]
    assert finding.summary.startswith(
        "10.116.102.247:53: 2 failed queries logged in 2 min 41 s (2019-01-29 08:13:09 UTC to"
    )
    assert "failure rate unknown" in finding.summary
    assert "every" not in finding.summary


def test_dd431_and_dd437_without_timestamps(data):
    report = _run(data, logs=["coredns/logs/seed-proxy.log"])
    dd431 = next(f for f in report.findings if f.code == "DD431")
    assert "no timestamps" in dd431.summary
    dd437 = next(f for f in report.findings if f.code == "DD437")
    assert "kubectl logs -n kube-system -l k8s-app=kube-dns --timestamps --prefix" in dd437.summary
    assert dd437.severity == Severity.INFO


def test_dd437_silent_with_timestamps(data):
    assert "DD437" not in _codes(_run(data, **SEED))


def test_dd432_healthcheck_passes_but_queries_fail(data):
    report = _run(
        data,
        logs=["coredns/logs/coredns-2514-proxy-1.3.1.log", "coredns/logs/seed-proxy.log"],
        metrics=["coredns/metrics/current-hc-passes.prom"],
    )
    assert "DD432" not in _codes(report)  # 2 failures: below the 3-failure floor
    lines = "\n".join(
        "[ERROR] plugin/errors: 2 k.example. A: read udp 1.2.3.4:5->10.0.0.2:53: i/o timeout"
        for _ in range(5)
    )
    report = _run(data, logs=["-"], metrics=["coredns/metrics/current-hc-passes.prom"], stdin=lines)
    (finding,) = [f for f in report.findings if f.code == "DD432"]
    assert finding.summary.startswith("10.0.0.2:53: 5 failed queries logged")
    assert "never marks it down" in finding.summary


def test_dd432_silent_when_health_checks_fail(data):
    report = _run(data, **SEED)
    assert not any(
        f.code == "DD432" and f.summary.startswith("10.225.30.181") for f in report.findings
    )


def test_dd433_loop(data):
    report = _run(data, logs=["coredns/logs/loop-fatal.log"])
    (finding,) = [f for f in report.findings if f.code == "DD433"]
    assert "172.31.0.2:60606 -> :53" in finding.summary
    assert "DD433" not in _codes(_run(data, logs=["coredns/logs/seed-proxy.log"]))


def test_dd434_all_upstreams_down_from_proxy_wording(data):
    report = _run(data, logs=["coredns/logs/coredns-2284-proxy.log"])
    (finding,) = [f for f in report.findings if f.code == "DD434"]
    assert finding.summary.startswith("1 queries failed with no healthy upstream left, 1 of them")
    assert "DD434" not in _codes(_run(data, **SEED))


def test_dd435_max_concurrent_from_metrics(data):
    report = _run(data, metrics=["coredns/metrics/current-hc-passes.prom"])
    (finding,) = [f for f in report.findings if f.code == "DD435"]
    assert finding.summary.startswith("4 queries refused")
    assert "DD435" not in _codes(_run(data, **SEED))


def test_dd436_probe_noise_is_info_and_not_a_failure(data):
    report = _run(data, logs=["coredns/logs/deployment-225-startup-1.6.7.log"])
    assert _codes(report) == {"DD436"}
    (finding,) = report.findings
    assert finding.severity == Severity.INFO
    assert "6 start-up loop-probe (HINFO) error(s) to 172.23.83.11:53" in finding.summary


def test_dd438_malformed(data):
    report = _run(data, logs=["coredns/logs/error-classes.log"])
    (finding,) = [f for f in report.findings if f.code == "DD438"]
    assert finding.summary.startswith("2 upstream replies could not be unpacked")
    assert "DD438" not in _codes(_run(data, **SEED))


def test_dd439_panics(data):
    report = _run(data, metrics=["coredns/metrics/current-hc-passes.prom"])
    assert any(f.code == "DD439" for f in report.findings)
    assert "DD439" not in _codes(_run(data, **SEED))  # 0 -> 0 between scrapes
