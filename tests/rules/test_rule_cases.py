"""Every rule proven both ways, end to end through the CLI.

Each file tests/rules/cases/<CODE>/<case>.toml names a capture (`samples/...` recorded in the lab,
or `corpus:...` from ../shared/corpus) and says whether the rule fires there, at which severity,
and which frames its evidence must cite. "Silent" means nothing from that rule at or above
warning. Clean corpus captures must produce nothing at or above warning from any rule.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from dnsdoctor.rules.registry import capture_rules

from ..conftest import REPO, require_corpus

CASES_DIR = Path(__file__).parent / "cases"
CASES = sorted(CASES_DIR.glob("*/*.toml"))
CLEAN_CORPUS = [  # MANIFEST "pairing baseline (clean traffic)"
    "zeek/testing/btest/Traces/wikipedia.pcap",
    "zeek/testing/btest/Traces/dns-zero-RRs.pcap",
    "dnscap/src/test/dns.pcap",
    "dnscap/src/test/dnso1tcp.pcap",
    "tcpdump/tests/dns_tcp.pcap",
]


def resolve(capture: str) -> Path:
    if capture.startswith("corpus:"):
        path = require_corpus() / capture.removeprefix("corpus:")
    else:
        path = REPO / capture
    if not path.is_file():
        pytest.fail(f"case capture missing: {path}")
    return path


def run_json(cli, path: Path, options: tuple[str, ...] | list[str] = ()) -> dict:
    result = cli("pcap", "--format", "json", "--fail-on", "never", *options, str(path))
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("case_file", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_rule_case(cli, case_file):
    case = tomllib.loads(case_file.read_text())
    code = case_file.parent.name
    report = run_json(cli, resolve(case["capture"]), case.get("options", []))  # e.g. --client
    mine = [f for f in report["findings"] if f["code"] == code]
    if not case["fires"]:
        loud = [f for f in mine if f["severity"] in ("warning", "error")]
        assert not loud, loud[0]["summary"]
        return
    assert mine, f"{code} did not fire on {case['capture']}"
    severities = {f["severity"] for f in mine}
    assert case["severity"] in severities, f"{code} fired at {severities}"
    cited = {e["frame"] for f in mine for e in f["evidence"] if e.get("frame") is not None}
    missing = set(case.get("frames", [])) - cited
    assert not missing, f"{code} did not cite frames {sorted(missing)} (cited {sorted(cited)})"


def test_every_rule_has_a_firing_and_a_silent_case():
    fires: dict[str, int] = {}
    silent: dict[str, int] = {}
    for case_file in CASES:
        case = tomllib.loads(case_file.read_text())
        bucket = fires if case["fires"] else silent
        bucket[case_file.parent.name] = bucket.get(case_file.parent.name, 0) + 1
    for rule in capture_rules():  # node and CoreDNS rules: tests/rules/{node,coredns}/
        assert fires.get(rule.code), f"{rule.code} has no case where it fires"
        assert silent.get(rule.code), f"{rule.code} has no case where it stays silent"


@pytest.mark.corpus
@pytest.mark.parametrize("capture", CLEAN_CORPUS)
def test_clean_corpus_captures_raise_nothing_at_warning(cli, corpus, capture):
    report = run_json(cli, corpus(capture))
    loud = [f"{f['code']} {f['summary']}" for f in report["findings"] if f["severity"] != "info"]
    assert not loud
