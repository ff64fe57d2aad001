"""DD350-DD352 over NodeAudit bundles built from fixture roots and the real musl sampler."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.clock import ClockReport, build_sampler, read_clocksource, run_sampler
from dnsdoctor.evidence.node.libc import LibcInstance, LibcReport, LibcScope, collect_libcs
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.lab.build import build_client
from dnsdoctor.model import Finding, Report, Severity, Skipped
from dnsdoctor.rules.check import run_checks
from dnsdoctor.rules.node.musl_no_tcp_fallback import MuslNoTcpFallback
from dnsdoctor.rules.node.musl_same_id_risk import MuslSameIdRisk
from dnsdoctor.rules.node.musl_version_unknown import MuslVersionUnknown
from dnsdoctor.rules.registry import check_rules
from tests.evidence.node.libc_fixtures import alpine_root, distroless_root, glibc_root


def _libcs(root) -> LibcReport:
    with SafeRoot(root) as safe:
        return collect_libcs(safe, containers=False)


@pytest.fixture(scope="module")
def clocks(tmp_path_factory):
    cache = tmp_path_factory.mktemp("sampler")
    source = read_clocksource()
    plain = run_sampler(build_sampler("plain", cache), 50_000)
    coarse = run_sampler(build_sampler("coarse", cache), 50_000, variant="coarse")
    return ClockReport(source, plain), ClockReport(source, coarse)


def _run(rule, audit) -> list[Finding | Skipped]:
    return list(rule.check(audit))


def test_registry_runs_the_libc_rules_for_node():
    codes = {r.code for r in check_rules("node")}
    assert {"DD350", "DD351", "DD352"} <= codes


def test_dd350_coarse_clock_and_alpine_is_an_error(tmp_path, clocks):
    audit = NodeAudit(str(tmp_path), libcs=_libcs(alpine_root(tmp_path)), clock=clocks[1])
    [finding] = _run(MuslSameIdRisk(), audit)
    assert isinstance(finding, Finding)
    assert finding.severity is Severity.ERROR
    assert "musl 1.2.3-r4" in finding.summary
    assert "of 50000" in finding.summary
    paths = [getattr(e, "path", "") for e in finding.evidence]
    assert any(p.endswith("/lib/apk/db/installed") for p in paths)
    counts = dict(finding.evidence[-1].figures)
    assert counts["samples"] == 50_000
    assert counts["probability"] > 0.99


def test_dd350_fine_clock_is_latent_info(tmp_path, clocks):
    audit = NodeAudit(str(tmp_path), libcs=_libcs(alpine_root(tmp_path)), clock=clocks[0])
    [finding] = _run(MuslSameIdRisk(), audit)
    assert isinstance(finding, Finding)
    assert finding.severity is Severity.INFO  # this host's vDSO clock: collisions are rare


def test_dd350_skips_without_clock_and_says_why(tmp_path):
    libcs = _libcs(alpine_root(tmp_path))
    clock = ClockReport(None, None, "musl-gcc is not installed")
    [skipped] = _run(MuslSameIdRisk(), NodeAudit(str(tmp_path), libcs=libcs, clock=clock))
    assert isinstance(skipped, Skipped)
    assert "musl-gcc is not installed" in skipped.reason
    [skipped] = _run(MuslSameIdRisk(), NodeAudit(str(tmp_path), libcs=libcs))
    assert isinstance(skipped, Skipped)


def test_dd350_glibc_only_is_clean(tmp_path, clocks):
    audit = NodeAudit(str(tmp_path), libcs=_libcs(glibc_root(tmp_path)), clock=clocks[1])
    assert _run(MuslSameIdRisk(), audit) == []


@pytest.mark.parametrize("rule", [MuslSameIdRisk(), MuslNoTcpFallback(), MuslVersionUnknown()])
def test_every_libc_rule_skips_without_libc_evidence(rule):
    [result] = _run(rule, NodeAudit("/"))
    assert isinstance(result, Skipped)
    assert result.code == rule.code


def test_dd351_fires_for_musl_123_only(tmp_path):
    audit = NodeAudit(str(tmp_path), libcs=_libcs(alpine_root(tmp_path)))
    [finding] = _run(MuslNoTcpFallback(), audit)
    assert isinstance(finding, Finding)
    assert finding.severity is Severity.WARNING
    assert "1.2.3-r4" in finding.summary
    assert _run(MuslNoTcpFallback(), NodeAudit("/", libcs=_libcs(glibc_root(tmp_path)))) == []


@pytest.mark.parametrize(
    ("version", "fires"), [("1.2.3", True), ("1.2.4", False), ("1.2.5-r0", False)]
)
def test_dd351_version_boundary(version, fires):
    lib = LibcInstance("musl", "shared", version, ())
    libcs = LibcReport([LibcScope("image x.tar", "image", [lib])])
    assert bool(_run(MuslNoTcpFallback(), NodeAudit("/", libcs=libcs))) is fires


def test_dd352_static_musl_binary_in_distroless(tmp_path):
    root = distroless_root(tmp_path, build_client("gai-musl"))
    [finding] = _run(MuslVersionUnknown(), NodeAudit(str(root), libcs=_libcs(root)))
    assert isinstance(finding, Finding)
    assert finding.summary.startswith("/app/server in root ")
    # No musl version known: neither DD350 nor DD351 claims what it cannot know.
    assert _run(MuslNoTcpFallback(), NodeAudit(str(root), libcs=_libcs(root))) == []
    go_root = distroless_root(tmp_path, build_client("gai-go"), "goserver")
    assert _run(MuslVersionUnknown(), NodeAudit(str(go_root), libcs=_libcs(go_root))) == []


def test_run_checks_collects_all_three(tmp_path, clocks):
    audit = NodeAudit(str(tmp_path), libcs=_libcs(alpine_root(tmp_path)), clock=clocks[1])
    report = run_checks(
        [MuslSameIdRisk(), MuslNoTcpFallback(), MuslVersionUnknown()], audit, Report("node")
    )
    assert sorted(f.code for f in report.findings) == ["DD350", "DD351"]
    assert not report.internal_errors
