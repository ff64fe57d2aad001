"""`dnsdoctor coredns` end to end: the seed's sentence, drift with --node-root and --node-report,
failing names, the query-log rate, --configmap-extra, --env and --pillar, and time spans."""

from __future__ import annotations

import io
import json
import sys

import pytest

STRAY = "10.225.30.181:53"


def _seed(data, *node):
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
        *node,
    ]


def _json(result):
    return json.loads(result.stdout)


def test_seed_story_gives_the_one_sentence_join(cli, data):
    corefile = str(data("coredns/seed/Corefile"))
    result = cli(*_seed(data, "--node-root", str(data("coredns/seed/node"))), "--format", "json")
    assert result.code == 1, result.stderr
    (dd430,) = [f for f in _json(result)["findings"] if f["code"] == "DD430"]
    assert dd430["summary"].startswith(
        f"{STRAY} failed 13 of 15 forwarded queries (87%) over 4 min between two scrapes; "
        f"it comes from {corefile} line 10 (Corefile forward to the pod's resolv.conf), "
        "then /etc/resolv.conf line 3 (node resolv.conf), "
        "then /etc/resolvconf/resolv.conf.d/base line 1 (resolvconf base)"
    )


def test_seed_log_line_itself_reaches_base_line_1(cli, data, monkeypatch):
    """The verbatim line of the incident report, from stdin, with the seed node's files."""
    seed_line = data("coredns/logs/seed-proxy.log").read_text()
    monkeypatch.setattr(sys, "stdin", io.StringIO(seed_line))
    result = cli(
        "coredns", "--logs", "-", "--node-root", str(data("coredns/seed/node")), "--format", "json"
    )
    assert result.code == 1, result.stderr
    doc = _json(result)
    (dd431,) = [f for f in doc["findings"] if f["code"] == "DD431"]
    assert dd431["summary"].startswith(f"{STRAY}: 1 failed queries logged")
    assert "/etc/resolvconf/resolv.conf.d/base line 1" in dd431["summary"]
    assert doc["names"]["top"][0]["name"] == "loginspub.xxxxmobile-inc.net."
    assert doc["drift"]["matched"] == [STRAY]


def test_drift_from_a_saved_node_report(cli, data, tmp_path):
    report = tmp_path / "node.json"
    made = cli(
        "node",
        "--root",
        str(data("coredns/drift/node-after-fix")),
        "--no-libc",
        "--no-clock",
        "--format",
        "json",
        "-o",
        str(report),
        "--fail-on",
        "never",
    )
    assert made.code == 0, made.stderr
    result = cli(*_seed(data, "--node-report", str(report)))
    assert result.code == 1, result.stderr
    text = " ".join(result.stdout.split())
    assert "DD440 upstream-drift" in text
    assert f"CoreDNS still forwards to {STRAY}" in text
    assert "Restart or reload CoreDNS to pick up the change" in text
    assert "10.0.0.3 (/etc/resolv.conf line 3) is listed on the node" in text


def test_node_report_of_the_seed_node_gives_the_same_provenance(cli, data, tmp_path):
    report = tmp_path / "node.json"
    cli(
        "node",
        "--root",
        str(data("coredns/seed/node")),
        "--no-libc",
        "--no-clock",
        "--format",
        "json",
        "-o",
        str(report),
        "--fail-on",
        "never",
    )
    by_root = _json(
        cli(*_seed(data, "--node-root", str(data("coredns/seed/node"))), "--format", "json")
    )
    by_report = _json(cli(*_seed(data, "--node-report", str(report)), "--format", "json"))
    assert by_report["upstreams"][0]["origins"] == by_root["upstreams"][0]["origins"]
    assert {o["path"] for o in by_report["upstreams"][0]["origins"]} >= {
        "/etc/resolvconf/resolv.conf.d/base"
    }


def test_names_in_text_and_json(cli, data):
    result = cli(*_seed(data), "--top-names", "2")
    assert "Failing names, worst first (2 of 3)" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("loginspub"))
    assert row.split()[1] == "7"
    assert f"{STRAY} x7" in row
    doc = _json(cli(*_seed(data), "--format", "json", "--top-names", "2"))
    assert [n["name"] for n in doc["names"]["top"]] == [
        "loginspub.xxxxmobile-inc.net.",
        "accounts.google.com.",
    ]
    stray = next(u for u in doc["upstreams"] if u["address"] == STRAY)
    assert stray["names"] == [
        {"name": "loginspub.xxxxmobile-inc.net.", "failures": 7},
        {"name": "accounts.google.com.", "failures": 6},
    ]


def test_query_log_rate_in_the_ranking(cli, data):
    logs = str(data("coredns/logs/seed-querylog-kubectl.log"))
    result = cli("coredns", "--logs", logs)
    assert result.code == 1, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith(STRAY))
    assert ">= 66.7% (from logs)" in row
    assert "16 of 24" in row
    assert "3 min 55 s" in row


def test_time_span_printed_exactly(cli, data):
    result = cli("coredns", "--logs", str(data("coredns/logs/coredns-2514-proxy-1.3.1.log")))
    text = " ".join(result.stdout.split())
    assert "in 2 min 41 s (2019-01-29 08:13:09 UTC" in text
    assert "3 min" not in text


def _log_naming(tmp_path, address):
    path = tmp_path / "coredns.log"
    path.write_text(
        f"[ERROR] plugin/errors: 2 x.example. A: read udp 10.244.0.5:1234->{address}: i/o timeout\n"
    )
    return str(path)


def test_configmap_extra_feeds_import(cli, data, tmp_path):
    logs = _log_naming(tmp_path, "192.11.0.1:53")
    base = [
        "coredns",
        "--corefile",
        str(data("coredns/corefiles/aks-coredns.yaml")),
        "--logs",
        logs,
    ]
    wanted = "forward ... 192.11.0.1:53"
    without = _json(cli(*base, "--format", "json"))
    assert wanted not in {o["text"] for o in without["upstreams"][0]["origins"]}
    extra = str(data("coredns/corefiles/aks-coredns-custom.yaml"))
    result = cli(*base, "--configmap-extra", extra, "--format", "json")
    (origin,) = [o for o in _json(result)["upstreams"][0]["origins"] if o["text"] == wanted]
    assert origin["path"].startswith(extra)
    assert origin["line"] > 0


def test_env_fills_a_placeholder(cli, tmp_path):
    corefile = tmp_path / "Corefile"
    corefile.write_text(".:53 {\n    errors\n    cache 30\n    forward . {$UPSTREAM}\n}\n")
    logs = _log_naming(tmp_path, "10.9.9.9:53")
    base = ["coredns", "--corefile", str(corefile), "--logs", logs, "--format", "json"]
    without = _json(cli(*base))
    assert "DD409" in {f["code"] for f in without["findings"]}
    filled = _json(cli(*base, "--env", "UPSTREAM=10.9.9.9"))
    assert "DD409" not in {f["code"] for f in filled["findings"]}
    (origin,) = filled["upstreams"][0]["origins"]
    assert (origin["line"], origin["text"]) == (4, "forward ... 10.9.9.9:53")


def test_pillar_fills_nodelocal_placeholders(cli, data, tmp_path):
    logs = _log_naming(tmp_path, "10.0.0.2:53")
    base = ["coredns", "--corefile", str(data("coredns/corefiles/nodelocaldns.yaml"))]
    base += ["--logs", logs, "--format", "json", "--fail-on", "never"]
    pillars = ["UPSTREAM__SERVERS=10.0.0.2", "__PILLAR__CLUSTER__DNS__=10.96.0.10"]
    pillars += ["LOCAL__DNS=169.254.20.10", "DNS__SERVER=10.96.0.10", "DNS__DOMAIN=cluster.local"]
    filled = _json(cli(*base, *[a for p in pillars for a in ("--pillar", p)]))
    assert "DD409" not in {f["code"] for f in filled["findings"]}
    assert any(o["text"] == "forward ... 10.0.0.2:53" for o in filled["upstreams"][0]["origins"])
    without = _json(cli(*base))
    assert "DD409" in {f["code"] for f in without["findings"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--logs", "{log}", "--env", "NOEQUALS"), "expected NAME=VALUE"),
        (("--logs", "{log}", "--pillar", "=x"), "expected NAME=VALUE"),
        (("--logs", "{log}", "--node-root", "/", "--node-report", "r.json"), "both describe"),
        (("--logs", "{log}", "--configmap-extra", "x.yaml"), "needs --corefile"),
        (("--logs", "{log}", "--node-report", "/nonexistent.json"), "cannot read node report"),
        (("--corefile", "{corefile}", "--configmap-extra", "{corefile}"), "plain Corefile"),
        (("--logs", "{log}", "--top-names", "-1"), "--top-names"),
    ],
)
def test_bad_options_are_clear_errors(cli, data, args, message):
    values = {
        "log": str(data("coredns/logs/seed-proxy.log")),
        "corefile": str(data("coredns/seed/Corefile")),
    }
    result = cli("coredns", *(a.format(**values) for a in args))
    assert result.code == 2, result.stdout
    assert result.stderr.startswith("dnsdoctor: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr
