"""`dnsdoctor coredns` end to end: text, JSON, stdin, a metrics URL, errors and exit codes."""

from __future__ import annotations

import http.server
import io
import json
import sys
import threading

import pytest


def _seed_args(data):
    return [
        "coredns",
        "--logs",
        str(data("coredns/seed/coredns-kubectl.log")),
        "--metrics",
        str(data("coredns/metrics/seed-before.prom")),
        "--metrics",
        str(data("coredns/metrics/seed-after.prom")),
        "--corefile",
        str(data("coredns/seed/Corefile")),
        "--node-root",
        str(data("coredns/seed/node")),
    ]


def test_text_report_ranks_and_joins(cli, data):
    result = cli(*_seed_args(data))
    assert result.code == 1, result.stderr
    assert "Upstreams, worst first" in result.stdout
    first_row = next(line for line in result.stdout.splitlines() if line.startswith("10."))
    assert first_row.startswith("10.225.30.181:53")
    assert "86.7%" in first_row
    assert "DD430 upstream-failing" in result.stdout
    assert "resolv.conf.d/base line 1" in " ".join(result.stdout.split())


def test_json_report_shape(cli, data, tmp_path):
    out = tmp_path / "r.json"
    result = cli(*_seed_args(data), "--format", "json", "-o", str(out), "--fail-on", "never")
    assert result.code == 0
    assert result.stdout == ""
    doc = json.loads(out.read_text())
    assert list(doc)[:6] == [
        "schema_version",
        "source",
        "findings",
        "skipped",
        "internal_errors",
        "stats",
    ]
    top = doc["upstreams"][0]
    assert top["address"] == "10.225.30.181:53"
    assert top["rate"] == pytest.approx(13 / 15)
    assert top["failed"] == 13
    assert {o["path"] for o in top["origins"]} >= {"/etc/resolvconf/resolv.conf.d/base"}
    dd430 = next(f for f in doc["findings"] if f["code"] == "DD430")
    kinds = {e["kind"] for e in dd430["evidence"]}
    assert {"line", "metric", "counts"} <= kinds
    line = next(e for e in dd430["evidence"] if e["kind"] == "line" and "pod" in e["path"])
    assert line["line"] > 0
    assert "10.225.30.181" in line["text"]


def test_stdin_logs_without_timestamps(cli, data, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(data("coredns/logs/seed-proxy.log").read_text()))
    result = cli("coredns", "--logs", "-", "--format", "json")
    assert result.code == 1, result.stderr
    doc = json.loads(result.stdout)
    codes = {f["code"] for f in doc["findings"]}
    assert {"DD431", "DD437"} <= codes
    assert doc["upstreams"][0]["rate"] is None
    assert doc["stats"]["logs"]["timestamps"] is False


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_metrics_from_a_local_url(cli, data):
    _Handler.body = data("coredns/metrics/current-hc-passes.prom").read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        result = cli("coredns", "--metrics", url, "--format", "json", "--fail-on", "error")
    finally:
        server.shutdown()
        server.server_close()
    assert result.code == 1, result.stderr  # DD439 panics is an error
    doc = json.loads(result.stdout)
    assert doc["stats"]["metrics"]["scrapes"][0]["time_from"] == "fetched"
    assert {"DD435", "DD439"} <= {f["code"] for f in doc["findings"]}


def test_probe_noise_only_exits_zero(cli, data):
    result = cli("coredns", "--logs", str(data("coredns/logs/deployment-225-startup-1.6.7.log")))
    assert result.code == 0, result.stderr
    assert "DD436 startup-probe-noise" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to read"),
        (("--metrics", "a", "--metrics", "b", "--metrics", "c"), "at most two"),
        (("--logs", "/nonexistent/coredns.log"), "cannot read logs"),
        (("--metrics", "/nonexistent.prom"), "cannot read metrics"),
    ],
)
def test_bad_input_is_a_clear_error(cli, args, message):
    result = cli("coredns", *args)
    assert result.code == 2
    assert result.stderr.startswith("dnsdoctor: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_configmap_corefile_gives_the_forward_line(cli, data):
    pytest.importorskip("dnsdoctor.evidence.coredns.configmap")  # the Corefile part of issue 6
    result = cli(
        "coredns",
        "--corefile",
        str(data("coredns/corefiles/kubeadm-configmap.yaml")),
        "--logs",
        str(data("coredns/logs/coredns-2284-proxy.log")),
        "--format",
        "json",
    )
    assert result.code == 1, result.stderr
    (upstream,) = json.load(io.StringIO(result.stdout))["upstreams"]
    assert upstream["address"] == "10.0.0.2:53"
    (origin,) = upstream["origins"]
    assert origin["path"].endswith("kubeadm-configmap.yaml")
    assert origin["text"] == "forward ... /etc/resolv.conf"
    assert origin["line"] > 0
