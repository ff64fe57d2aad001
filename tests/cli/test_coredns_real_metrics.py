"""`dnsdoctor coredns --metrics FILE|URL` end to end on real public scrapes.

The fixtures are CoreDNS /metrics text pasted in GitHub threads
(tests/data/coredns/metrics/README.md, "Real scrapes"). Expected addresses and counts are read
from the fixture text with a small regex here, not written into the test.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from pathlib import Path

import pytest

_TO = re.compile(r'\bto="([^"]+)"')
_COUNTER = re.compile(r"^(coredns_forward_(?:requests|responses)_total)\{([^}]*)\}\s+(\S+)$")


def _upstreams_named(path: Path) -> set[str]:
    return set(_TO.findall(path.read_text()))


def _forward_counts(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    sent: dict[str, float] = {}
    answered: dict[str, float] = {}
    for line in path.read_text().splitlines():
        match = _COUNTER.match(line)
        if not match:
            continue
        (to,) = _TO.findall(match[2])
        target = sent if match[1].startswith("coredns_forward_requests") else answered
        target[to] = target.get(to, 0.0) + float(match[3])
    return sent, answered


def _json(cli, *refs: str) -> dict:
    args = ["coredns"]
    for ref in refs:
        args += ["--metrics", ref]
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def _row(stdout: str, address: str) -> str:
    rows = [line for line in stdout.splitlines() if line.startswith(address + " ")]
    assert len(rows) == 1, stdout
    return rows[0]


def test_requests_and_responses_give_each_upstream_a_rate(cli, data):
    path = data("coredns/metrics/real/k8s-dns-453-rtheis-forward.prom")
    sent, answered = _forward_counts(path)
    assert sent
    assert set(sent) == set(answered)
    doc = _json(cli, str(path))
    rows = {u["address"]: u for u in doc["upstreams"]}
    assert set(rows) == _upstreams_named(path)
    for address, count in sent.items():
        row = rows[address]
        assert row["sent"] == count
        assert row["answered"] == answered[address]
        assert row["failed"] == count - answered[address]
        assert row["rate"] == pytest.approx((count - answered[address]) / count)
        assert row["rate_source"] == "metrics"
        assert row["rate_basis"].startswith("coredns_forward_requests_total minus answers")
    text = cli("coredns", "--metrics", str(path))
    assert text.code == 0, text.stderr
    for address, count in sent.items():
        expected = f"{100 * (count - answered[address]) / count:.1f}%"
        assert expected in _row(text.stdout, address)
    assert "rate unknown" not in text.stdout


@pytest.mark.parametrize(
    "name",
    [
        "coredns-3498-futurefangyuan-forward-buckets.prom",
        "datadog-21657-art3mk-node-cache-1.22.28.prom",
    ],
)
def test_duration_buckets_alone_say_rate_unknown(cli, data, name):
    path = data(f"coredns/metrics/real/{name}")
    named = _upstreams_named(path)
    assert named
    doc = _json(cli, str(path))
    assert {u["address"] for u in doc["upstreams"]} == named
    for row in doc["upstreams"]:
        assert row["rate"] is None
        assert row["sent"] is None
        assert row["answered"] is None
        assert "no metrics give this upstream's query count" in row["rate_basis"]
    text = cli("coredns", "--metrics", str(path))
    assert text.code == 0, text.stderr
    for address in named:
        assert "rate unknown" in _row(text.stdout, address)


@pytest.mark.parametrize(
    "name",
    [
        "coredns-4726-tantalor93-1.8.4.prom",
        "coredns-3498-futurefangyuan-1.6.5.prom",
        "k8s-dns-453-rtheis-responses.prom",
        "k8s-110589-younaman-request-size.prom",
    ],
)
def test_scrapes_without_upstream_series_rank_nothing(cli, data, name):
    """A timed-out upstream (coredns/coredns#4726) or a scrape piece without forward series
    names no upstream: the report invents none."""
    path = data(f"coredns/metrics/real/{name}")
    assert not _upstreams_named(path)
    doc = _json(cli, str(path))
    assert doc["upstreams"] == []
    (scrape,) = doc["stats"]["metrics"]["scrapes"]
    assert scrape["source"] == str(path)
    text = cli("coredns", "--metrics", str(path))
    assert text.code == 0, text.stderr
    assert "Upstreams, worst first" not in text.stdout


def test_a_real_scrape_served_over_http(cli, data):
    """The same real text fetched from a local HTTP server on 127.0.0.1 gives the same rates."""
    path = data("coredns/metrics/real/k8s-dns-453-rtheis-forward.prom")
    body = path.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        from_url = _json(cli, url)
    finally:
        server.shutdown()
        server.server_close()
    from_file = _json(cli, str(path))
    assert from_url["stats"]["metrics"]["scrapes"][0]["time_from"] == "fetched"
    key = ("address", "sent", "answered", "rate")
    assert [tuple(u[k] for k in key) for u in from_url["upstreams"]] == [
        tuple(u[k] for k in key) for u in from_file["upstreams"]
    ]
