"""DD440 upstream-drift and DD441 upstream-failing-from-logs: each fires on its case and stays
silent on a clean one (through the library; CLI runs are in tests/cli/test_coredns_more.py)."""

from __future__ import annotations

import io

from dnsdoctor.audit.coredns import CorednsInputs, audit_coredns
from dnsdoctor.model import LineEvidence, MetricEvidence, Severity

SEED_LOGS = ("coredns/seed/coredns-kubectl.log",)
SEED_METRICS = ("coredns/metrics/seed-before.prom", "coredns/metrics/seed-after.prom")


def _run(data, logs=(), metrics=(), corefile=None, node=None):
    return audit_coredns(
        CorednsInputs(
            corefile=str(data(corefile)) if corefile else None,
            logs=tuple(str(data(p)) for p in logs),
            metrics=tuple(str(data(p)) for p in metrics),
            node_root=str(data(node)) if node else None,
            stdin=io.StringIO(""),
        )
    )


def _found(report, code):
    return [f for f in report.findings if f.code == code]


def test_dd440_stale_and_unused_after_the_node_was_fixed(data):
    report = _run(
        data,
        SEED_LOGS,
        SEED_METRICS,
        corefile="coredns/seed/Corefile",
        node="coredns/drift/node-after-fix",
    )
    stale, unused = _found(report, "DD440")
    assert stale.severity == Severity.WARNING
    assert stale.summary.startswith("CoreDNS still forwards to 10.225.30.181:53 (13 error line(s)")
    assert "no longer lists it" in stale.summary
    assert "Restart or reload CoreDNS to pick up the change" in stale.summary
    assert "assuming" not in stale.summary  # the Corefile says /etc/resolv.conf
    assert any(isinstance(e, MetricEvidence) for e in stale.evidence)
    assert any(isinstance(e, LineEvidence) and "pod" in e.path for e in stale.evidence)
    assert unused.severity == Severity.INFO
    assert unused.summary.startswith("10.0.0.3 (/etc/resolv.conf line 3) is listed on the node")
    assert report.stats["drift"]["stale"] == ["10.225.30.181:53"]


def test_dd440_silent_when_the_node_matches(data):
    report = _run(data, SEED_LOGS, SEED_METRICS, node="coredns/seed/node")
    assert _found(report, "DD440") == []
    assert report.stats["drift"]["judged"] is True


def test_dd440_skipped_without_node(data):
    report = _run(data, SEED_LOGS)
    assert any(s.code == "DD440" and "--node-root" in s.reason for s in report.skipped)


def test_dd441_rate_from_the_query_log(data):
    report = _run(data, ("coredns/logs/seed-querylog-kubectl.log",), node="coredns/seed/node")
    (finding,) = _found(report, "DD441")
    assert finding.severity == Severity.ERROR
    assert finding.summary.startswith(
        "10.225.30.181:53 failed at least 16 of 24 queries the log plugin recorded in 2 pod(s) "
        "(67%, derived from logs, a lower bound) in 3 min 55 s"
    )
    assert "/etc/resolvconf/resolv.conf.d/base line 1" in finding.summary
    (row,) = report.stats["upstreams"]
    assert row["rate"] is None
    assert row["rate_source"] == "logs (lower bound)"


def test_dd441_silent_without_query_lines_or_with_a_metrics_rate(data):
    report = _run(data, SEED_LOGS, SEED_METRICS)
    assert _found(report, "DD441") == []
    assert any(s.code == "DD441" for s in report.skipped)
    clean = _run(data, ("coredns/logs/query-log-formats.log",))
    assert _found(clean, "DD441") == []
