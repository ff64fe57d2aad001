"""End to end through the CLI: the options, the JSON `replay` section, the findings, the errors."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import SAMPLES

SEED = str(SAMPLES / "musl-same-id-ipv6-only.pcap")


def _json(cli, *argv: str) -> dict:
    result = cli("pcap", "--format", "json", "--fail-on", "never", *argv)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_client_named_makes_the_seed_finding_an_error(cli, tmp_path: Path) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.10\noptions timeout:1 attempts:2\n")
    report = _json(cli, "--client", "musl-1.2.3", "--resolv-conf", str(resolv), SEED)
    replay = report["replay"]
    assert replay["models"] == ["musl-1.2.3"]
    assert replay["resolv_conf"] == str(resolv)
    (call,) = replay["calls"]
    got = call["results"]["musl-1.2.3"]
    assert got["ipv4"] == []
    assert got["ipv6"] == ["2001:db8::10", "2001:db8::10"]
    assert got["discarded"][0]["addresses"] == ["192.0.2.10"]
    codes = {f["code"]: f for f in report["findings"]}
    assert codes["DD201"]["severity"] == "error"
    assert "DD202" not in codes  # one model: nothing to compare


def test_seed_is_inferred_as_musl_and_replayed_only_under_it(cli) -> None:
    report = _json(cli, SEED)
    call = report["replay"]["calls"][0]
    assert set(call["results"]) == {"musl-1.2.3"}
    assert "musl" in str(call["client_library"])
    text = cli("pcap", "--fail-on", "never", SEED).stdout
    assert "answer-discarded-by-client" in text
    assert "libc-dependent-outcome" not in text  # one library: nothing to compare


def test_repeated_client_compares_libraries_and_text_report(cli) -> None:
    both = ("--client", "musl-1.2.3", "--client", "glibc-2.36")
    report = _json(cli, *both, SEED)
    assert set(report["replay"]["calls"][0]["results"]) == {"musl-1.2.3", "glibc-2.36"}
    text = cli("pcap", "--fail-on", "never", *both, SEED)
    assert "libc-dependent-outcome" in text.stdout
    assert "answer-discarded-by-client" in text.stdout


def test_two_server_lookups_are_replayed_and_silent(cli, data) -> None:
    report = _json(cli, str(data("musl-fine-clock-control.pcap")))
    stats = report["replay"]
    # each query went to two servers: not clean, so replayed; both libraries agree
    assert stats["replayed_lookups"] == 2
    assert stats["skipped_clean_lookups"] == 0
    assert not [f for f in report["findings"] if f["code"].startswith("DD2")]


def test_clean_lookups_are_not_replayed(cli, corpus) -> None:
    report = _json(cli, str(corpus("zeek/testing/btest/Traces/wikipedia.pcap")))
    assert report["replay"]["skipped_clean_lookups"] >= 1
    assert not [f for f in report["findings"] if f["code"].startswith("DD2")]


def test_missing_resolv_conf_is_a_clear_error(cli, tmp_path: Path) -> None:
    result = cli("pcap", "--resolv-conf", str(tmp_path / "nope"), SEED)
    assert result.code == 2
    assert "dnsdoctor: error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_client_is_a_usage_error(cli) -> None:
    result = cli("pcap", "--client", "uclibc", SEED)
    assert result.code == 2
