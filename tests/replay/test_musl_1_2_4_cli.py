"""musl >= 1.2.4 end to end: `dnsdoctor pcap --client musl-1.2.4` on real lab recordings.

The recordings (musl_1_2_4_data/README.md) hold what the real musl 1.2.5 binaries returned; the
replayed call of each must equal it: result, EAI code, addresses, elapsed within 10% (50 ms).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "musl_1_2_4_data"
NEW_CLIENTS = ("gai-musl-new", "gai-musl-new-coarse")


def _replay(cli, name: str, client: str) -> list[dict]:
    result = cli(
        "pcap",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--all-lookups",
        "--client",
        client,
        "--resolv-conf",
        str(DATA / f"{name}.resolv.conf"),
        str(DATA / f"{name}.pcap"),
    )
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)["replay"]["calls"]


def _runs(name: str) -> list[dict]:
    record = json.loads((DATA / f"{name}.json").read_text())
    return [c for c in record["clients"] if c["client"] in NEW_CLIENTS]


@pytest.mark.parametrize("name", ["matrix-005", "matrix-056"])
def test_replay_equals_the_real_musl_1_2_5_binary(cli, name: str) -> None:
    calls = _replay(cli, name, "musl-1.2.4")
    runs = _runs(name)
    assert len(runs) == 2
    for run in runs:
        got = run["got"]
        (call,) = [c for c in calls if c["names"][-1] == run["name"] + "."]
        predicted = call["results"]["musl-1.2.4"]
        assert predicted["library"] == "musl 1.2.4"
        assert (predicted["result"], predicted["eai"]) == (got["result"], got["eai"])
        assert sorted(predicted["ipv4"]) == sorted(got["ipv4"])
        assert sorted(predicted["ipv6"]) == sorted(got["ipv6"])
        assert abs(predicted["elapsed_ms"] - got["elapsed_ms"]) <= max(0.1 * got["elapsed_ms"], 50)


def _result(calls: list[dict], name: str, model: str) -> dict:
    return next(c for c in calls if c["names"][-1] == name)["results"][model]


def test_the_two_musl_generations_disagree_on_the_same_packets(cli) -> None:
    """NODATA: 1.2.3 says EAI_NONAME, 1.2.4 EAI_NODATA; truncation: only 1.2.4 uses TCP."""
    nodata_old = _result(_replay(cli, "matrix-005", "musl-1.2.3"), "new.lab.test.", "musl-1.2.3")
    nodata_new = _result(_replay(cli, "matrix-005", "musl-1.2.4"), "new.lab.test.", "musl-1.2.4")
    assert (nodata_old["eai"], nodata_new["eai"]) == ("EAI_NONAME", "EAI_NODATA")
    big_old = _result(_replay(cli, "matrix-056", "musl-1.2.3"), "new.lab.test.", "musl-1.2.3")
    big_new = _result(_replay(cli, "matrix-056", "musl-1.2.4"), "new.lab.test.", "musl-1.2.4")
    assert (len(big_old["ipv4"]), len(big_new["ipv4"])) == (0, 40)
    assert any("TCP" in note for note in big_new["notes"])
