"""The replay's shortcut (replay/driver.py) changes nothing but how many calls are simulated.

Each capture is analysed twice through the CLI: with no call kept (so every call of the
shortcut's shape is counted, not simulated) and with every call kept (so every one is simulated
by the models). Findings and replay counters must agree; only the listed calls differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dnsdoctor.replay import driver

from ..engine.capture_mix import write_mix


def _report(cli: Any, path: Path, monkeypatch: pytest.MonkeyPatch, kept: int) -> dict[str, Any]:
    monkeypatch.setattr(driver, "CALLS_KEPT", kept)
    result = cli("pcap", "--format", "json", "--no-progress", "--no-fast-path", str(path))
    assert result.code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    report["stats"].pop("fast_path")
    return report


@pytest.mark.parametrize("seed", range(6))
def test_shortcut_agrees_with_the_models(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    path = write_mix(tmp_path / "mix.pcap", seed, lookups=500, clients=200, names=60, ports=5000)
    short = _report(cli, path, monkeypatch, kept=0)
    full = _report(cli, path, monkeypatch, kept=10**9)
    assert short["replay"].pop("calls") == []
    simulated = full["replay"].pop("calls")
    shortcut = short["replay"].pop("calls_by_shortcut")
    assert full["replay"].pop("calls_by_shortcut") == 0
    assert shortcut >= 3, "the generated capture has too few calls of the shortcut's shape"
    assert len(simulated) == full["replay"]["replayed_calls"]
    assert short == full
    # the simulated results of the shortcut's shape: EAI_AGAIN under every model, nothing lost
    lost = [c for c in simulated if all(r["eai"] == "EAI_AGAIN" for r in c["results"].values())]
    assert len(lost) >= shortcut


def test_no_shortcut_with_named_models(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_mix(tmp_path / "mix.pcap", 3, lookups=500, clients=200, names=60, ports=5000)
    monkeypatch.setattr(driver, "CALLS_KEPT", 0)
    result = cli(
        "pcap", "--format", "json", "--no-progress", "--client", "go-1.19", "--client",
        "musl-1.2.3", str(path),
    )  # fmt: skip
    assert result.code in (0, 1), result.stderr
    assert json.loads(result.stdout)["replay"]["calls_by_shortcut"] == 0
