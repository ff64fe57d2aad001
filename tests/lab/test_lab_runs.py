"""End-to-end lab runs: real resolvers against the fault-injecting server, in a namespace.

Each scenario is recorded once (module-scoped, one namespace at a time, in file order) and
the tests read that recording: the clients' exact outcomes and timeout steps, the analysis of
the fresh capture against the scenario's rule declarations, and the addresses in it.
Skipped (with the reason) when not root or without util-linux unshare / tcpdump / compilers;
under CI=true a missing prerequisite fails instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dnsdoctor.api import analyze_capture
from dnsdoctor.errors import EnvironmentMissingError
from dnsdoctor.lab import runner
from dnsdoctor.lab.scenarios import SCENARIOS

pytestmark = pytest.mark.root

IN_CI = os.environ.get("CI", "").lower() == "true"
HOST_RESOLV = Path("/etc/resolv.conf")
NAMES = list(SCENARIOS)


def _require(condition: bool, reason: str) -> None:
    if condition:
        return
    if IN_CI:
        pytest.fail(f"lab prerequisite missing under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def host_resolv() -> bytes:
    """The host's /etc/resolv.conf as it was before the first lab run of this module."""
    return HOST_RESOLV.read_bytes()


@pytest.fixture(scope="module")
def recorded(
    host_resolv: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], dict[str, Any]]:
    """recorded(name) -> the run record; each scenario runs once, sequentially."""
    _require(os.geteuid() == 0, "lab needs root")
    _require(shutil.which("unshare") is not None, "util-linux unshare missing")
    try:
        runner.check_prerequisites()
        for scenario in SCENARIOS.values():
            runner.check_prerequisites(scenario)
    except EnvironmentMissingError as exc:
        _require(False, f"{exc} ({exc.hint})")
    out = tmp_path_factory.mktemp("lab")
    cache: dict[str, dict[str, Any]] = {}

    def get(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = runner.run_scenario(name, out)
        return cache[name]

    return get


@pytest.mark.parametrize("name", NAMES)
def test_clients_get_what_is_declared(recorded: Callable[[str], dict[str, Any]], name: str) -> None:
    record = recorded(name)
    scenario = SCENARIOS[name]
    assert len(record["clients"]) == len(scenario.clients)
    for spec, client in zip(scenario.clients, record["clients"], strict=True):
        got = client["got"]
        assert client["problems"] == [], (
            f"{name} {spec.client} {spec.name}: declared {spec.expect.describe()}, got "
            f"{got.get('result')} {got.get('eai')} v4={got.get('ipv4')} v6={got.get('ipv6')} "
            f"in {got.get('elapsed_ms')} ms"
        )
        assert client["matches"]
    assert record["all_match"]
    assert record["tcpdump"]["dropped_by_kernel"] == 0
    assert Path(record["record"]).exists()


@pytest.mark.parametrize("name", NAMES)
def test_fresh_capture_diagnosis(recorded: Callable[[str], dict[str, Any]], name: str) -> None:
    """The declared rules fire citing a frame of the declared roles; the others stay quiet."""
    record = recorded(name)
    scenario = SCENARIOS[name]
    report = analyze_capture(record["pcap"])
    assert report.internal_errors == []
    assert runner.rule_problems(scenario, record["pcap"], report) == []


@pytest.mark.parametrize("name", NAMES)
def test_capture_is_loopback_only(recorded: Callable[[str], dict[str, Any]], name: str) -> None:
    pcap = Path(recorded(name)["pcap"])
    addresses = runner.pcap_addresses(pcap)
    assert addresses, f"{pcap}: no IP packets"
    assert all(a.startswith("127.") or a == "::1" for a in addresses), sorted(set(addresses))
    assert runner.non_loopback_addresses(pcap) == []


def test_same_id_queries_share_one_id(recorded: Callable[[str], dict[str, Any]]) -> None:
    """The coarse-clock musl build really sends A and AAAA with one transaction ID."""
    record = recorded("same-id-dup-aaaa")
    events = record["servers"][0]["events"]
    udp = [e for e in events if e["transport"] == "udp"]
    assert {e["qtype"] for e in udp} == {"A", "AAAA"}
    assert len({e["id"] for e in udp}) == 1
    assert record["clients"][0]["got"]["ipv4"] == []


def test_host_resolv_conf_unchanged_by_the_suite(
    recorded: Callable[[str], dict[str, Any]], host_resolv: bytes
) -> None:
    """Runs last in this module: after every scenario ran, the host file is byte-identical."""
    for name in NAMES:
        recorded(name)
    assert HOST_RESOLV.read_bytes() == host_resolv
