"""DD370-DD374 on probe results: each fires on its pattern and stays quiet on the others."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.probe import ProbeOptions, ProbeReport, ProbeResult, ProbeStats
from dnsdoctor.model import Report, Severity
from dnsdoctor.rules.check import run_checks
from dnsdoctor.rules.node.probe_error_rcode import ProbeErrorRcode
from dnsdoctor.rules.node.probe_loss import ProbeLoss
from dnsdoctor.rules.node.probe_server_unreachable import ProbeServerUnreachable
from dnsdoctor.rules.node.probe_slow import ProbeSlow
from dnsdoctor.rules.node.probe_tcp_fails import ProbeTcpFails

RULES = [ProbeServerUnreachable(), ProbeLoss(), ProbeSlow(), ProbeTcpFails(), ProbeErrorRcode()]
S = "127.0.0.9:53"


def stats(transport, outcomes):
    """outcomes: rtt seconds (answered NOERROR), an rcode string, "timeout" or "refused"."""
    result = ProbeStats(S, transport)
    for seq, outcome in enumerate(outcomes):
        if isinstance(outcome, float):
            r = ProbeResult(S, transport, "a.test.", "A", seq, outcome, "NOERROR", 1)
        elif outcome in ("timeout", "refused"):
            r = ProbeResult(S, transport, "a.test.", "A", seq, None, error=outcome)
        else:
            r = ProbeResult(S, transport, "a.test.", "A", seq, 0.001, outcome)
        result.add(r)
    return result


def judge(*all_stats):
    audit = NodeAudit(root="/")
    audit.probe = ProbeReport(ProbeOptions(), [S], "--probe-server", list(all_stats))
    report = run_checks(RULES, audit, Report(source="test"))
    assert report.internal_errors == []
    return {f.code: f for f in report.findings}


FAST = [0.001] * 10


@pytest.mark.parametrize(
    ("udp", "tcp", "codes"),
    [
        (FAST, FAST, set()),
        (["timeout"] * 4, ["timeout"] * 4, {"DD370"}),
        ([*FAST[:9], "timeout"], FAST, {"DD371"}),
        (FAST, ["refused"] * 10, {"DD373"}),
        (["timeout"] * 10, FAST, {"DD371"}),  # UDP blocked, TCP works: all UDP lost
        ([2.0] * 10, FAST, {"DD372"}),
        ([0.002] * 8 + [1.01, 1.02], FAST, {"DD372"}),  # a cluster near 1 s, fast median
        (["SERVFAIL", *FAST[:9]], FAST, {"DD374"}),
    ],
)
def test_each_pattern_fires_its_rule_only(udp, tcp, codes):
    assert set(judge(stats("udp", udp), stats("tcp", tcp))) == codes


def test_severities_follow_magnitude():
    assert judge(stats("udp", [*FAST[:9], "timeout"]))["DD371"].severity is Severity.ERROR
    assert judge(stats("udp", [*FAST * 2, "timeout"]))["DD371"].severity is Severity.WARNING
    assert judge(stats("udp", [2.0] * 5))["DD372"].severity is Severity.ERROR
    assert judge(stats("udp", [0.3] * 8 + [0.6, 0.7]))["DD372"].severity is Severity.WARNING
    assert judge(stats("udp", ["REFUSED"] * 3))["DD374"].severity is Severity.ERROR


def test_slow_summary_names_the_timeout_cluster():
    summary = judge(stats("udp", [2.0] * 4))["DD372"].summary
    assert "4 (100%) near 2 s" in summary
    assert "p50 2.00 s" in summary


def test_broad_spread_is_not_a_cluster():
    # as many answers just below 1 s as at it: slow (p90) but no timeout mode
    summary = judge(stats("udp", [0.6, 0.7, 0.8, 0.95, 1.0, 1.05]))["DD372"].summary
    assert "near" not in summary


def test_not_probed_is_skipped():
    audit = NodeAudit(root="/")
    report = run_checks(RULES, audit, Report(source="test"))
    assert {s.code for s in report.skipped} == {"DD370", "DD371", "DD372", "DD373", "DD374"}
    assert all("--probe" in s.reason for s in report.skipped)
