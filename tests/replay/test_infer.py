"""Which library is the client? Scored on every lab capture with a known client, plus the
formulas the clues rest on and the CLI's `client_library` section.

Ground truth: the bundled samples (samples/, one library per sample: the scenario's first
`sample_clients` runs) and the lab records (data/*.json, data/go/*.json: each client's
wall-clock start and elapsed time). Accuracy is printed (`pytest -s`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnsdoctor.api import CaptureOptions, analyze_capture
from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.lab.scenarios import SCENARIOS
from dnsdoctor.replay.infer import Verdict, client_calls, coarse_tick, glibc_ids_fit, musl_id
from dnsdoctor.replay.steps import address_transactions

from ..conftest import SAMPLES

DATA = Path(__file__).parent / "data"
FAMILY = {
    "gai-musl": "musl",
    "gai-musl-coarse": "musl",
    "gai-musl-new": "musl",
    "gai-musl-new-coarse": "musl",
    "gai-glibc": "glibc",
    "gai-go": "go",
}


def inferred_calls(pcap: Path) -> list[tuple[float, Verdict]]:
    lookups: list[Lookup] = []
    analyze_capture(str(pcap), CaptureOptions(on_lookup=lookups.append))
    found = []
    for lookup in lookups:
        txs = address_transactions(lookup)
        for group, verdict in client_calls(txs or []):
            found.append((group[0].first_ts, verdict))
    return found


def sample_truth() -> list[tuple[str, str, Verdict]]:
    scored = []
    for scenario in SCENARIOS.values():
        if scenario.sample is None:
            continue
        runs = scenario.clients[: scenario.sample_clients]
        (family,) = {FAMILY[r.client] for r in runs}  # one library per sample
        for _, verdict in inferred_calls(SAMPLES / scenario.sample):
            scored.append((scenario.sample, family, verdict))
    return scored


def record_truth() -> list[tuple[str, str, Verdict]]:
    scored = []
    for path in sorted([*DATA.glob("*.json"), *DATA.glob("go/*.json")]):
        runs = json.loads(path.read_text())["clients"]
        for start, verdict in inferred_calls(path.with_suffix(".pcap")):
            owners = {
                FAMILY[r["client"]]
                for r in runs
                if r["got"]["started"] - 0.01
                <= start
                <= r["got"]["started"] + r["got"]["elapsed_ms"] / 1000 + 0.05
            }
            assert len(owners) == 1, f"{path.name}: call at {start} belongs to {owners}"
            scored.append((path.name, owners.pop(), verdict))
    return scored


def test_inference_accuracy_on_every_lab_capture() -> None:
    scored = sample_truth() + record_truth()
    paired = [(f, t, v) for f, t, v in scored if v.library != "unknown"]
    right = [(f, t, v) for f, t, v in paired if v.library == t]
    confident = [(f, t, v) for f, t, v in paired if v.confident]
    wrong_confident = [(f, t, v.library) for f, t, v in confident if v.library != t]
    print(
        f"\nclient inference: {len(scored)} calls, {len(scored) - len(paired)} unknown "
        f"(no A/AAAA pair); best guess right {len(right)}/{len(paired)} "
        f"({len(right) / len(paired):.1%}); confident (>= 95%) {len(confident)}/{len(paired)}, "
        f"of which right {len(confident) - len(wrong_confident)}/{len(confident)}"
    )
    for family in ("musl", "glibc", "go"):
        mine = [v for _, t, v in paired if t == family]
        ok = sum(v.library == family for v in mine)
        print(f"  {family}: {ok}/{len(mine)} right, {sum(v.confident for v in mine)} confident")
    assert {t for _, t, _ in paired} == {"musl", "glibc", "go"}
    assert not wrong_confident
    assert len(right) / len(paired) >= 0.9
    assert len(confident) / len(paired) >= 0.8


def test_musl_formula_matches_the_seed_coarse_clock() -> None:
    # the seed sample: A and AAAA both 0x5f0f, built on a 4 ms CLOCK_REALTIME tick
    calls = inferred_calls(SAMPLES / "musl-same-id-ipv6-only.pcap")
    ((_, verdict),) = calls
    assert (verdict.library, verdict.version) == ("musl", "<= 1.2.3")
    assert verdict.confident
    assert "4 ms clock tick" in verdict.key_clue
    assert musl_id(4_000_000) == (4_000_000 + 4_000_000 // 65536) & 0xFFFF


def test_coarse_tick_rejects_an_id_the_clock_cannot_give() -> None:
    ts = 1795644602.153100
    ns = round((ts % 1) * 1e9)
    good = musl_id(ns // 4_000_000 * 4_000_000)
    assert coarse_tick(good, ts) is not None
    assert coarse_tick((good + 0x1234) & 0xFFFF, ts) is None


@pytest.mark.parametrize(
    ("a", "b", "fits"),
    [(0xFB6B, 0xB66D, True), (0xB1B4, 0xB1A9, True), (0x345D, 0x34EA, False)],
)
def test_glibc_random_bits_relation(a: int, b: int, fits: bool) -> None:
    """Lab glibc pairs fit random_bits() built < 1 µs apart; a musl pair does not."""
    assert glibc_ids_fit(a, b) is fits


def test_cli_reports_the_inference_and_replays_only_that_library(cli) -> None:
    go = DATA / "go" / "go-aaaa-dropped.pcap"
    result = cli("pcap", "--format", "json", "--fail-on", "never", "--all-lookups", str(go))
    assert result.code == 0, result.stderr
    (call,) = json.loads(result.stdout)["replay"]["calls"]
    assert call["client_library"]["library"] == "go"
    assert call["client_library"]["confident"]
    assert set(call["results"]) == {"go-1.19"}
    assert call["results"]["go-1.19"]["ipv4"] == ["192.0.2.10"]


def test_client_option_overrides_the_inference(cli) -> None:
    seed = SAMPLES / "musl-same-id-ipv6-only.pcap"
    argv = ("pcap", "--format", "json", "--fail-on", "never", "--client", "glibc-2.36")
    result = cli(*argv, str(seed))
    (call,) = json.loads(result.stdout)["replay"]["calls"]
    assert call["client_library"]["library"] == "musl"
    assert set(call["results"]) == {"glibc-2.36"}
