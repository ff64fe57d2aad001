"""Metrics scrapes: Prometheus text and OpenMetrics, one or two scrapes, counter resets, URLs.

The fixtures (tests/data/coredns/metrics/) are written in the exposition format with CoreDNS's
metric names and labels (no CoreDNS binary runs here; see the README there).
"""

from __future__ import annotations

import http.server
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.logs import parse_lines
from dnsdoctor.evidence.coredns.upstreams import upstream_table


def test_two_scrapes_give_increases_over_the_interval(data):
    metrics = m.load_metrics(
        [
            str(data("coredns/metrics/seed-before.prom")),
            str(data("coredns/metrics/seed-after.prom")),
        ]
    )
    assert metrics.interval_s == pytest.approx(240.0)
    assert metrics.by_label(m.FORWARD_REQUESTS, "to") == {
        "10.225.30.181:53": 15.0,
        "10.0.0.2:53": 10000.0,
    }
    assert metrics.scrapes[0].taken_how == "sample timestamps"


def test_openmetrics_and_counter_reset(data):
    metrics = m.load_metrics(
        [
            str(data("coredns/metrics/openmetrics-reset-a.txt")),
            str(data("coredns/metrics/openmetrics-reset-b.txt")),
        ]
    )
    (inc,) = metrics.increases(m.FORWARD_REQUESTS)
    assert inc.reset
    assert inc.value == 40.0
    assert metrics.interval_s == pytest.approx(300.0)
    assert "counter reset" in metrics.evidence(inc).detail


def test_one_scrape_is_since_start(data):
    metrics = m.load_metrics([str(data("coredns/metrics/current-hc-passes.prom"))])
    assert metrics.interval_s is None
    assert "since CoreDNS started" in metrics.window()
    answered = metrics.by_label(m.PROXY_DURATION_COUNT, "to")
    assert answered == {"10.116.102.247:53": 50.0, "10.0.0.2:53": 1000.0}


def test_ranking_puts_known_rates_before_unknown_ones(data):
    """3 timeouts in 10,000 queries rank below an upstream failing 87%, and an upstream with
    failures but no denominator comes after both, marked rate unknown."""
    metrics = m.load_metrics(
        [
            str(data("coredns/metrics/seed-before.prom")),
            str(data("coredns/metrics/seed-after.prom")),
        ]
    )
    extra = "[ERROR] plugin/errors: 2 x.example. A: read udp 1.2.3.4:5->192.0.2.9:53: i/o timeout"
    logs = parse_lines([extra] * 50, "extra")
    table = upstream_table(logs, metrics)
    assert [s.address for s in table] == ["10.225.30.181:53", "10.0.0.2:53", "192.0.2.9:53"]
    assert table[0].rate == pytest.approx(13 / 15)
    assert table[1].rate == pytest.approx(3 / 10000)
    assert table[2].rate is None
    assert table[2].failures == 50
    assert "no metrics" in table[2].basis


def test_current_duration_series_alone_gives_no_rate(data):
    metrics = m.load_metrics([str(data("coredns/metrics/current-hc-passes.prom"))])
    line = (
        "[ERROR] plugin/errors: 2 k.example. A: read udp 1.2.3.4:5->10.116.102.247:53: i/o timeout"
    )
    table = upstream_table(parse_lines([line] * 4, "t"), metrics)
    stats = next(s for s in table if s.address == "10.116.102.247:53")
    assert stats.rate is None
    assert stats.answered == 50.0
    assert "timeouts leave no sample" in stats.basis
    assert stats.healthcheck_failures == 0.0  # family present, no series for it: zero


def test_two_scrapes_and_timestamped_logs_give_a_lower_bound_rate(tmp_path):
    before = tmp_path / "a.prom"
    after = tmp_path / "b.prom"
    series = 'coredns_proxy_request_duration_seconds_count{proxy_name="forward",rcode="NOERROR",to="10.0.0.9:53"}'
    before.write_text(f"{series} 10 1714557600000\n")
    after.write_text(f"{series} 40 1714557900000\n")
    lines = [
        f"2024-05-01T10:0{i}:00Z [ERROR] plugin/errors: 2 a.example. A: read udp 1.2.3.4:5->10.0.0.9:53: i/o timeout"
        for i in range(7)  # 10:00..10:06; the scrapes cover 10:00..10:05
    ]
    table = upstream_table(parse_lines(lines, "t"), m.load_metrics([str(before), str(after)]))
    (stats,) = table
    assert stats.failed == 6
    assert stats.rate == pytest.approx(6 / 36)
    assert "lower bound" in stats.basis


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def metrics_server(data):
    _Handler.body = data("coredns/metrics/current-hc-passes.prom").read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    server.shutdown()
    server.server_close()


def test_scrape_from_a_url(metrics_server):
    scrape = m.load_scrape(metrics_server, now=1714557600.0)
    assert scrape.taken_how == "fetched"
    assert scrape.taken_at == 1714557600.0
    assert m.PANICS in scrape.names()


def test_unreachable_url_and_bad_text_are_typed_errors(tmp_path):
    with pytest.raises(InputError, match="cannot fetch metrics"):
        m.load_scrape("http://127.0.0.1:9/metrics")
    bad = tmp_path / "bad.prom"
    bad.write_text('coredns_x{to="a" 1\n')
    with pytest.raises(InputError, match="not valid Prometheus text"):
        m.load_scrape(str(bad))


@settings(deadline=None)
@given(st.text(max_size=300))
def test_exposition_parser_gives_data_or_a_typed_error(text):
    try:
        series, _ = m.parse_exposition(text, "fuzz")
    except InputError:
        return
    assert all(isinstance(v, float) for v in series.values())
