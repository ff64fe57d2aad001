"""DD360-DD362 on copies of real /proc files and their hand-edited variants (see the README)."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.kernel import KernelSources, collect_kernel
from dnsdoctor.model import Finding, Report, Severity, Skipped
from dnsdoctor.rules.check import run_checks
from dnsdoctor.rules.node.conntrack_insert_failures import ConntrackInsertFailures
from dnsdoctor.rules.node.conntrack_table_near_full import ConntrackTableNearFull
from dnsdoctor.rules.node.udp_receive_buffer_errors import UdpReceiveBufferErrors

RULES = [ConntrackInsertFailures(), ConntrackTableNearFull(), UdpReceiveBufferErrors()]


def judge(kernel):
    audit = NodeAudit(root="/")
    audit.kernel = kernel
    report = run_checks(RULES, audit, Report(source="test"))
    assert report.internal_errors == []
    return report


def run(data, name, **sources):
    proc = str(data(f"node/proc/{name}"))
    return judge(collect_kernel(KernelSources(proc=proc, **sources)))


def by_code(report):
    return {f.code: f for f in report.findings}


@pytest.mark.parametrize("name", ["host-6.18", "netns-loopback"])
def test_real_quiet_counters_give_no_finding(data, name):
    report = run(data, name)
    assert report.findings == []
    assert report.skipped == []


def test_edited_counters_fire_all_three_with_their_figures(data):
    notrack = str(data("node/iptables/kube-proxy-iptables-no-notrack.save"))
    found = by_code(run(data, "insert-failed-edited", iptables_save=notrack))
    dd360 = found["DD360"]
    assert dd360.severity is Severity.WARNING  # 45 < 100
    assert "45 conntrack insert(s) failed" in dd360.summary
    assert "CPU 0: 42, CPU 1: 3" in dd360.summary
    assert "18 clashes resolved" in dd360.summary
    assert "kube-proxy mode iptables" in dd360.summary
    assert "no NodeLocal DNSCache NOTRACK rules" in dd360.summary
    counts = dict(dd360.evidence[0].figures)
    assert counts["cpu0 insert_failed"] == 42
    assert counts["cpu1 insert_failed"] == 3
    assert found["DD361"].severity is Severity.ERROR  # 95.4% full
    assert "95.4% full (250000 of 262144 entries)" in found["DD361"].summary
    assert "3 new connection(s) dropped" in found["DD361"].summary
    assert found["DD362"].severity is Severity.WARNING  # 132 of 102000: below 1%
    assert "RcvbufErrors 120 (IPv4), 7 (IPv6)" in found["DD362"].summary


def test_notrack_rules_are_named_in_the_finding(data):
    rules = str(data("node/iptables/nodelocaldns-kube-proxy-iptables.save"))
    dd360 = by_code(run(data, "insert-failed-edited", iptables_save=rules))["DD360"]
    assert "DNS to 10.96.0.10, 169.254.20.10 skips conntrack (NOTRACK)" in dd360.summary
    lines = [e for e in dd360.evidence if getattr(e, "role", "") == "NOTRACK"]
    assert lines
    assert all("-j NOTRACK" in e.text for e in lines)


def test_severity_grows_with_magnitude(data):
    kernel = collect_kernel(KernelSources(proc=str(data("node/proc/insert-failed-edited"))))
    kernel.conntrack.per_cpu[0]["insert_failed"] = 500
    kernel.conntrack_count = 1000
    kernel.udp = {**kernel.udp, "InErrors": 5000, "InDatagrams": 10000}
    found = by_code(judge(kernel))
    assert found["DD360"].severity is Severity.ERROR
    assert found["DD361"].severity is Severity.WARNING  # only the drops remain
    assert found["DD362"].severity is Severity.ERROR


def test_older_kernel_format_fires_insert_failures(data):
    found = by_code(run(data, "kernel-4.19-format"))
    assert "8 conntrack insert(s) failed" in found["DD360"].summary
    assert "clashes" not in found["DD360"].summary  # no clashres column before 5.x


def test_unreadable_evidence_is_skipped_with_a_reason(data):
    report = run(data, "no-conntrack")
    skipped = {s.code: s.reason for s in report.skipped}
    assert "nf_conntrack is not loaded" in skipped["DD360"]
    assert "DD361" in skipped
    assert "DD362" not in skipped
    nothing = judge(None)
    assert {s.code for s in nothing.skipped} == {"DD360", "DD361", "DD362"}
    assert all(isinstance(r, Skipped) for r in nothing.skipped)
    assert not any(isinstance(r, Finding) for r in nothing.skipped)
