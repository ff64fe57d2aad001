"""Proof by difference: the replayed result of each lab capture equals what the real binary got.

Each bundled sample (samples/, recorded in the lab with real musl 1.2.3 and glibc 2.36 clients,
see samples/README.md) is analysed by `dnsdoctor pcap` in a separate process with the
scenario's resolv.conf; the predicted result of each getaddrinfo call must equal the scenario's
declared result for that client (which the real binary returned when the sample was recorded:
`record_samples` refuses a recording that differs), addresses with duplicates, the EAI code, and
the elapsed time must land in the same timeout step. The model code never imports the lab; this
test does, to read the declarations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dnsdoctor.lab.scenarios import SCENARIOS, ClientRun, Scenario

from ..conftest import SAMPLES

MODEL_OF = {"gai-musl": "musl-1.2.3", "gai-musl-coarse": "musl-1.2.3", "gai-glibc": "glibc-2.36"}
WITH_SAMPLES = [s for s in SCENARIOS.values() if s.sample]


def predicted_calls(sample: Path, resolv_conf: Path, client: str | None = None) -> list[dict]:
    """Every lookup replayed (`--all-lookups`), even clean ones, so each client run has a call."""
    argv = [sys.executable, "-m", "dnsdoctor", "pcap", "--format", "json", "--fail-on", "never"]
    argv += ["--all-lookups"]
    argv += ["--resolv-conf", str(resolv_conf), str(sample)]
    if client:
        argv += ["--client", client]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["replay"]["calls"]


def match(runs: tuple[ClientRun, ...], calls: list[dict]) -> list[tuple[ClientRun, dict]]:
    """Client runs in order to calls in order, by name. A call right after a matched call for the
    same name (< 100 ms) is glibc's getaddrinfo asking again inside one call and is skipped."""
    pairs = []
    queue = sorted(calls, key=lambda c: c["start"])
    for run in runs:
        wanted = run.name.rstrip(".") + "."
        while queue and queue[0]["names"][-1] != wanted:
            queue.pop(0)
        assert queue, f"no replayed call for {run.client} {run.name}"
        pairs.append((run, queue.pop(0)))
        while queue and queue[0]["names"][-1] == wanted and _soon_after(pairs[-1][1], queue[0]):
            queue.pop(0)
    return pairs


def _soon_after(first: dict, second: dict) -> bool:
    model = next(iter(first["results"].values()))
    return second["start"] - first["start"] - model["elapsed_ms"] / 1000 < 0.1


def problems(run: ClientRun, call: dict) -> list[str]:
    got = call["results"][MODEL_OF[run.client]]
    want = run.expect
    found = []
    if got["result"] != want.result or got["eai"] != want.eai:
        found.append(f"{got['result']} {got['eai']} != {want.result} {want.eai}")
    found += [
        f"{family} {sorted(got[family])} != {sorted(getattr(want, family))}"
        for family in ("ipv4", "ipv6")
        if sorted(got[family]) != sorted(getattr(want, family))
    ]
    lo, hi = want.elapsed_ms
    if not lo <= got["elapsed_ms"] <= hi:
        found.append(f"elapsed {got['elapsed_ms']} ms not in {want.step.label} [{lo}, {hi}]")
    return found


@pytest.mark.parametrize("scenario", WITH_SAMPLES, ids=lambda s: s.name)
def test_replay_agrees_with_the_real_client(tmp_path: Path, scenario: Scenario) -> None:
    assert scenario.sample is not None
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(scenario.resolv_conf)
    runs = scenario.clients[: scenario.sample_clients]
    runs = tuple(r for r in runs if r.client in MODEL_OF)
    calls = predicted_calls(SAMPLES / scenario.sample, resolv)
    disagreements = [
        f"{run.client} {run.name}: {'; '.join(p)}"
        for run, call in match(runs, calls)
        if (p := problems(run, call))
    ]
    assert not disagreements, disagreements
