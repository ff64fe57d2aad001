"""Log wrappers, formats and fixtures (tests/data/coredns/logs/README.md names their origins)."""

from __future__ import annotations

import io

import pytest

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns import classify as c
from dnsdoctor.evidence.coredns.log_line import unwrap
from dnsdoctor.evidence.coredns.logs import LOOP_PROBE, load_logs, parse_lines


def test_kubectl_prefix_and_timestamps_are_peeled():
    line = (
        "[pod/coredns-5d78c9869d-abcde/coredns] 2024-05-01T10:00:20.123456789Z "
        "[ERROR] plugin/errors: 2 a.example. A: read udp 1.2.3.4:5->10.0.0.2:53: i/o timeout"
    )
    wrapped = unwrap(line)
    assert wrapped.pod == "coredns-5d78c9869d-abcde"
    assert wrapped.ts == pytest.approx(1714557620.123456)
    assert wrapped.level == "ERROR"
    assert wrapped.body.startswith("plugin/errors: 2 a.example. A:")


def test_stern_prefix_and_go_time_of_2018_forward_healthcheck(data):
    # coredns/coredns PR #1493: the 2018 forward plugin's health-check line, as a log tool shows it
    line = (
        "default/coredns-deployment-7d575fbd9-kbmzn[coredns]: 2018/02/07 18:39:51 [INFO] healtheck "
        "of 192.168.1.1:53 failed with read udp 10.244.1.67:45004->192.168.1.1:53: i/o timeout"
    )
    (error,) = parse_lines([line], "pr1493").errors
    assert error.origin.pod == "coredns-deployment-7d575fbd9-kbmzn"
    assert error.origin.ts == pytest.approx(1518028791.0)
    assert error.probe == "health-check"
    assert error.cause.upstream == "192.168.1.1:53"


def test_seed_line_parses(data):
    logs = load_logs([str(data("coredns/logs/seed-proxy.log"))], io.StringIO())
    (error,) = logs.errors
    assert error.cause.cls == c.READ_TIMEOUT
    assert error.cause.upstream == "10.225.30.181:53"
    assert error.cause.proxy_wording
    assert not logs.has_timestamps


def test_old_proxy_lines_of_coredns_1_2(data):
    logs = load_logs([str(data("coredns/logs/coredns-2284-proxy.log"))], io.StringIO())
    probe, real = logs.errors
    assert probe.probe == LOOP_PROBE
    assert probe.cause.cls == c.NO_HEALTHY_UPSTREAMS
    assert real.probe is None
    assert real.cause.upstream == "10.0.0.2:53"
    assert logs.has_timestamps
    assert real.origin.ts - probe.origin.ts == pytest.approx(1.0)


def test_coredns_1_3_iso_times_and_reload(data):
    logs = load_logs([str(data("coredns/logs/coredns-2514-proxy-1.3.1.log"))], io.StringIO())
    assert [e.kind for e in logs.events] == ["config"]
    assert {e.cause.upstream for e in logs.errors} == {"10.116.102.247:53"}
    span = logs.errors[1].origin.ts - logs.errors[0].origin.ts
    assert span == pytest.approx(161.223, abs=0.001)


def test_startup_banner_and_hinfo_noise(data):
    logs = load_logs([str(data("coredns/logs/deployment-225-startup-1.6.7.log"))], io.StringIO())
    assert {e.kind for e in logs.events} == {"listen", "config", "start", "banner"}
    assert len(logs.probes()) == 7
    assert not logs.real_errors()
    assert logs.unrecognised == 0


def test_loop_messages_new_and_old(data):
    logs = load_logs([str(data("coredns/logs/loop-fatal.log"))], io.StringIO())
    assert len(logs.loops) == 2
    assert "172.31.0.2:60606 -> :53" in logs.loops[0].detail
    assert "2050421060481615995" in logs.loops[1].detail


def test_query_log_formats_and_consolidate(data):
    logs = load_logs([str(data("coredns/logs/query-log-formats.log"))], io.StringIO())
    q = logs.queries
    assert q.total == 4
    assert q.by_rcode == {"NOERROR": 1, "NXDOMAIN": 1, "-": 1, "SERVFAIL": 1}
    assert q.no_reply == 1
    assert q.slow == 1
    (summary,) = logs.consolidated
    assert summary.count == 2
    assert summary.window == "30s"
    assert summary.pattern == "^read udp .* i/o timeout$"


def test_old_query_log_time_counts_as_a_timestamp():
    line = (
        '172.17.0.18:41675 - [07/Sep/2018:15:29:11 +0000] 59925 "A IN '
        'kubernetes.default.svc.cluster.local. udp 54 false 512" NOERROR qr,aa,rd,ra 106 0.000066649s'
    )
    logs = parse_lines([line], "k8s-docs")
    assert logs.queries.total == 1
    assert logs.timestamped == 1


def test_several_inputs_and_stdin(data):
    stdin = io.StringIO(data("coredns/logs/seed-proxy.log").read_text())
    logs = load_logs([str(data("coredns/logs/coredns-2284-proxy.log")), "-"], stdin)
    assert logs.sources[-1] == "-"
    assert len(logs.errors) == 3
    assert logs.errors[-1].origin.source == "-"


def test_missing_file_and_non_log_input_are_typed_errors(tmp_path):
    with pytest.raises(InputError, match="cannot read logs"):
        load_logs([str(tmp_path / "nope.log")], io.StringIO())
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\nworld\n")
    with pytest.raises(InputError, match="none of its 2 lines"):
        load_logs([str(junk)], io.StringIO())
