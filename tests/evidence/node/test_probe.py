"""The probe against real servers on loopback only: Debian's unbound and dnsmasq, and the lab's
fault-injecting server (blackholed, slow, UDP only)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.node.probe import ProbeOptions, ProbeTarget, parse_target, run_probe
from tests.evidence.node.probe_servers import NAME, dnsmasq, lab_server, unbound

FAST = {"count": 2, "timeout": 0.5}


def probe(server, on_result=None, **options):
    return run_probe([parse_target(server)], ProbeOptions(**{**FAST, **options}), on_result)


@pytest.mark.parametrize("make", [unbound, dnsmasq], ids=["unbound", "dnsmasq"])
def test_real_servers_answer_over_udp_and_tcp(tmp_path, make):
    lines = []
    with make(tmp_path) as server:
        report = probe(server, lambda r: lines.append(r), names=(NAME, "elsewhere.example."))
    assert [s.transport for s in report.stats] == ["udp", "tcp"]
    for stats in report.stats:
        assert stats.sent == stats.answered == 2 * 2 * 2  # 2 rounds x 2 names x A, AAAA
        assert stats.rcodes["NOERROR"] == 4  # the local name
        assert stats.rcodes["REFUSED"] == 4  # anything else: local-only, no recursion
        assert 0 < stats.percentile(0.5) <= stats.percentile(0.99) < 0.5
    assert len(lines) == 16
    ok = next(r for r in lines if r.qname == NAME and r.qtype == "AAAA")
    assert (ok.rcode, ok.answers) == ("NOERROR", 1)
    assert ok.line().startswith(f"{server} ")
    assert "time=" in ok.line()


def test_blackholed_server_loses_everything(tmp_path):
    with lab_server(blackhole=True) as server:
        report = probe(server, names=(NAME,), qtypes=("A",), timeout=0.3)
    udp, tcp = report.stats
    assert (udp.sent, udp.answered, udp.lost) == (2, 0, 2)
    assert tcp.answered == 0
    assert tcp.failed == 2
    assert udp.percentile(0.5) is None


def test_slow_server_clusters_near_one_second():
    with lab_server(delay_ms={"A": 1050}) as server:
        report = probe(
            server, names=(NAME,), qtypes=("A",), timeout=3, transports=("udp",), count=3
        )
    (udp,) = report.stats
    assert udp.answered == 3
    assert 1.0 <= udp.percentile(0.5) < 1.4
    assert udp.modes()[1.0] == 3


def test_server_without_tcp_refuses_tcp():
    with lab_server(tcp=False) as server:
        report = probe(server, names=(NAME,), qtypes=("A",))
    udp, tcp = report.stats
    assert udp.answered == 2
    assert tcp.answered == 0
    assert tcp.errors["refused"] == 2


def test_default_question_is_the_root_ns():
    assert ProbeOptions().plan() == [(".", "NS")]
    assert ProbeOptions(names=("a.test",)).plan() == [("a.test.", "A"), ("a.test.", "AAAA")]


def test_no_targets_is_a_skip_not_an_error():
    report = run_probe([], ProbeOptions(), targets_from="/etc/resolv.conf")
    assert report.skipped == "no nameserver to probe in /etc/resolv.conf"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"count": 0}, "--probe-count"),
        ({"timeout": 0}, "--probe-timeout"),
        ({"concurrency": 100}, "--probe-concurrency"),
        ({"count": 10_000, "names": ("a.", "b.")}, "at most"),
        ({"qtypes": ("NOPE",)}, "unknown type"),
    ],
)
def test_bad_options_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        run_probe([ProbeTarget("127.0.0.1", 9)], ProbeOptions(**options))


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("10.96.0.10", ProbeTarget("10.96.0.10", 53)),
        ("127.0.0.1:5353", ProbeTarget("127.0.0.1", 5353)),
        ("::1", ProbeTarget("::1", 53)),
        ("[::1]:5300", ProbeTarget("::1", 5300)),
        ("fe80::1%eth0", ProbeTarget("fe80::1", 53)),
    ],
)
def test_parse_target(text, target):
    assert parse_target(text) == target


@pytest.mark.parametrize("text", ["dns.google", "1.2.3.4:0", "1.2.3.4:x", "[::1]:99999", ""])
def test_bad_targets_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_target(text)


@settings(deadline=None)
@given(st.text(max_size=60))
def test_parse_target_never_crashes(text):
    try:
        target = parse_target(text)
    except UsageError:
        return
    assert 0 < target.port < 65536
    assert parse_target(str(target)) == target
