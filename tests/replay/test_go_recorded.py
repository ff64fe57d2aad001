"""Proof by difference for the Go 1.19 model: lab recordings of the real pure-Go client.

`dnsdoctor pcap --client go-1.19 --resolv-conf` runs in a separate process on each capture in
data/go/ (recorded with data/go/record.py; see data/README.md); each `gai-go` run is matched to
the replayed call that starts within 50 ms after its wall-clock start, and the model must give
the real binary's result, EAI code and addresses, returning within 10% (at least 50 ms) of the
real elapsed time. Agreement per outcome class is printed (`pytest -s`).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from .test_differential import predicted_calls

DATA = Path(__file__).parent / "data" / "go"
RECORDS = sorted(DATA.glob("*.json"))
AGREEMENT: Counter[tuple[str, bool]] = Counter()


def outcome_class(got: dict) -> str:
    if got["result"] != "ok":
        return str(got["eai"])
    if got["ipv4"] and got["ipv6"]:
        return "both families"
    return "IPv4 only" if got["ipv4"] else "IPv6 only"


def go_runs(record: dict) -> list[dict]:
    return [c for c in record["clients"] if c["client"] == "gai-go"]


def disagreement(predicted: dict, got: dict) -> list[str]:
    found = []
    if (predicted["result"], predicted["eai"]) != (got["result"], got["eai"]):
        found.append(f"{predicted['result']} {predicted['eai']} != {got['result']} {got['eai']}")
    found += [
        f"{family} {sorted(predicted[family])} != {sorted(got[family])}"
        for family in ("ipv4", "ipv6")
        if sorted(predicted[family]) != sorted(got[family])
    ]
    tolerance = max(0.1 * got["elapsed_ms"], 50)
    if abs(predicted["elapsed_ms"] - got["elapsed_ms"]) > tolerance:
        found.append(f"elapsed {predicted['elapsed_ms']} ms, real {got['elapsed_ms']} ms")
    return found


def test_every_recording_has_a_go_run() -> None:
    assert len(RECORDS) >= 10
    assert all(go_runs(json.loads(p.read_text())) for p in RECORDS)


@pytest.mark.parametrize("record_path", RECORDS, ids=lambda p: p.stem)
def test_go_model_equals_the_recorded_binary(tmp_path: Path, record_path: Path) -> None:
    record = json.loads(record_path.read_text())
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(record["scenario"]["resolv_conf"])
    calls = predicted_calls(record_path.with_suffix(".pcap"), resolv, client="go-1.19")
    problems = []
    for run in go_runs(record):
        got = run["got"]
        near = [c for c in calls if -0.01 <= c["start"] - got["started"] <= 0.05]
        assert len(near) == 1, f"{len(near)} replayed calls start near {got['started']}"
        found = disagreement(near[0]["results"]["go-1.19"], got)
        AGREEMENT[(outcome_class(got), not found)] += 1
        if found:
            problems.append(f"{run['name']}: {'; '.join(found)}")
    assert not problems, problems


def test_print_agreement_per_outcome_class() -> None:
    """Runs last in this file: the per-class figures for the note (`pytest -s`)."""
    classes = sorted({cls for cls, _ in AGREEMENT})
    for cls in classes:
        good, bad = AGREEMENT[(cls, True)], AGREEMENT[(cls, False)]
        print(f"Go 1.19 agreement, {cls}: {good}/{good + bad}")
    if AGREEMENT:
        assert sum(AGREEMENT.values()) >= len(RECORDS)
