"""The three output formats, end to end through the CLI on the bundled samples.

JSON and JSONL are checked field by field against an independent decoder (tshark) and the samples'
own expectations (samples/expected.json); the terminal report is compared with a golden file
(`pytest --update-golden` rewrites it after a deliberate change: review the diff).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import SAMPLES

GOLDEN = Path(__file__).parent / "golden"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())["samples"]
ZEEK_DNS_FIELDS = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
]
FINDING_KEYS = {"code", "name", "severity", "summary", "evidence"}
FRAME_EVIDENCE_KEYS = {"kind", "frame", "ts", "src", "sport", "dst", "dport", "transport"}


def tshark_frames(path: Path) -> dict[int, dict[str, str]]:
    """frame number -> dns.id, qry.name, qry.type, rcode as tshark decodes them."""
    if shutil.which("tshark") is None:
        pytest.fail("tshark is not installed (scripts/test installs it)")
    fields = ["frame.number", "dns.id", "dns.qry.name", "dns.qry.type", "dns.flags.rcode"]
    argv = ["tshark", "-n", "-r", str(path), "-Y", "dns", "-T", "fields", "-E", "separator=\t"]
    for field in fields:
        argv += ["-e", field]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        number, ident, name, qtype, rcode = line.split("\t")
        rows[int(number)] = {"id": ident, "name": name, "qtype": qtype, "rcode": rcode}
    return rows


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_json_report_schema_and_expected_frames(cli, sample):
    result = cli("pcap", "--format", "json", str(SAMPLES / sample))
    assert result.code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert {"findings", "lookups", "stats", "damage", "skipped"} <= report.keys()
    stats = report["stats"]
    assert stats["packets"] >= stats["dns_messages"] >= stats["queries"] > 0
    assert stats["damage"] == {"records": 0, "by_kind": {}}
    for finding in report["findings"]:
        assert finding.keys() >= FINDING_KEYS
        assert finding["severity"] in ("info", "warning", "error")
        assert finding["evidence"], finding["code"]
        for item in finding["evidence"]:
            assert "kind" in item
            if item["kind"] == "frame":
                assert item.keys() >= FRAME_EVIDENCE_KEYS, item
    serious = [f for f in report["findings"] if f["severity"] != "info"]
    assert result.code == (1 if serious else 0)
    for want in EXPECTED[sample]["must_fire"]:
        cited = {
            item["frame"]
            for f in serious
            if f["name"] == want["rule"]
            for item in f["evidence"]
            if item["kind"] == "frame"
        }
        assert cited & set(want["frames"]), f"{want['rule']} does not cite {want['frames']}"
    fired = {f["name"] for f in serious}
    assert not fired & set(EXPECTED[sample]["must_not_fire"])


@pytest.mark.parametrize("sample", sorted(EXPECTED))
def test_jsonl_records_match_tshark(cli, sample):
    path = SAMPLES / sample
    result = cli("pcap", "--format", "jsonl", str(path))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    *records, summary = lines
    assert summary["record"] == "summary"
    assert summary["stats"]["transactions"] == len(records)
    decoded = tshark_frames(path)
    for record in records:
        assert list(record)[: len(ZEEK_DNS_FIELDS)] == ZEEK_DNS_FIELDS
        # A TCP segment may carry several messages: tshark lists one value per message.
        query = decoded[record["query_frames"][0]]
        assert record["trans_id"] in ids(query)
        assert record["query"] in query["name"].lower().split(",")
        assert str(record["qtype"]) in query["qtype"].split(",")
        for frame in record["response_frames"]:
            assert record["trans_id"] in ids(decoded[frame])
        if record["rcode"] is not None:
            first_reply = decoded[record["response_frames"][0]]
            assert str(record["rcode"]) in first_reply["rcode"].split(",")


def ids(row: dict[str, str]) -> set[int]:
    return {int(value, 16) for value in row["id"].split(",")}


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def test_findings_are_ordered_by_severity_then_impact(cli):
    for sample in sorted(EXPECTED):
        report = json.loads(cli("pcap", "--format", "json", str(SAMPLES / sample)).stdout)
        keys = [(SEVERITY_ORDER[f["severity"]], -f.get("impact", 0)) for f in report["findings"]]
        assert keys == sorted(keys), sample


@pytest.mark.parametrize(
    "sample", ["musl-same-id-ipv6-only.pcap", "ndots5-amplification.pcap", "servfail.pcap"]
)
def test_terminal_report_matches_golden(cli, sample, update_golden, monkeypatch):
    monkeypatch.chdir(SAMPLES.parent)  # the report names the file as given: keep it relative
    result = cli("pcap", f"samples/{sample}")
    assert result.code == 1
    golden = GOLDEN / (Path(sample).stem + ".txt")
    if update_golden:
        golden.write_text(result.stdout)
    assert golden.is_file(), f"{golden} missing: run pytest --update-golden"
    assert result.stdout == golden.read_text()


def test_fail_on_and_min_severity(cli):
    sample = str(SAMPLES / "ndots5-amplification.pcap")  # one warning, no error
    assert cli("pcap", sample).code == 1
    assert cli("pcap", "--fail-on", "error", sample).code == 0
    shown = cli("pcap", sample).stdout
    hidden = cli("pcap", "--min-severity", "error", sample).stdout
    assert "DD107" in shown
    assert "DD107" not in hidden
    assert "1 finding(s) below error not shown" in hidden


def test_output_file_and_rule_selection(cli, tmp_path):
    target = tmp_path / "report.json"
    sample = str(SAMPLES / "musl-same-id-ipv6-only.pcap")
    result = cli("pcap", "--format", "json", "-o", str(target), "--rule", "DD101", sample)
    assert result.stdout == ""
    names = {f["name"] for f in json.loads(target.read_text())["findings"]}
    assert names == {"query-id-collision"}


@pytest.mark.parametrize("ref", ["DD101", "query-id-collision"])
def test_explain_prints_the_rule_documentation(cli, ref):
    result = cli("explain", ref)
    assert result.code == 0
    assert "query-id-collision" in result.stdout
    assert "DD101" in result.stdout
    assert "musl" in result.stdout
