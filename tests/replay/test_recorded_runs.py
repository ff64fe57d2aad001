"""Proof by difference on lab records that keep each real client's exact result (data/README.md).

`dnsdoctor pcap --resolv-conf` runs in a separate process on the capture alone; each client run
is matched to the replayed call that starts within 50 ms after the client's wall-clock start,
and the model of its library must give the same result, addresses (with duplicates) and EAI
code, and return within 10% (at least 50 ms) of the real elapsed time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_differential import MODEL_OF, predicted_calls

DATA = Path(__file__).parent / "data"
RECORDS = sorted(DATA.glob("*.json"))


def _call_for(calls: list[dict], started: float) -> dict:
    near = [c for c in calls if -0.01 <= c["start"] - started <= 0.05]
    assert len(near) == 1, f"{len(near)} replayed calls start near {started}"
    return near[0]


@pytest.mark.parametrize("record_path", RECORDS, ids=lambda p: p.stem)
def test_replay_equals_the_recorded_binary(tmp_path: Path, record_path: Path) -> None:
    record = json.loads(record_path.read_text())
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(record["scenario"]["resolv_conf"])
    calls = predicted_calls(record_path.with_suffix(".pcap"), resolv)
    checked = 0
    for client in record["clients"]:
        got = client["got"]
        model = MODEL_OF.get(client["client"])
        if model is None:
            continue
        predicted = _call_for(calls, got["started"])["results"][model]
        assert (predicted["result"], predicted["eai"]) == (got["result"], got["eai"]), client
        assert sorted(predicted["ipv4"]) == sorted(got["ipv4"])
        assert sorted(predicted["ipv6"]) == sorted(got["ipv6"])
        tolerance = max(0.1 * got["elapsed_ms"], 50)
        assert abs(predicted["elapsed_ms"] - got["elapsed_ms"]) <= tolerance, (predicted, got)
        checked += 1
    assert checked
