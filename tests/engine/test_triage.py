"""The capture fast path changes nothing but speed: `dnsdoctor pcap` gives the same report with
and without `--no-fast-path`, on every corpus capture, every bundled sample, and generated
captures crowded around the boundaries its claims depend on (tests/engine/capture_mix.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest

from dnsdoctor import CaptureOptions, analyze_capture
from dnsdoctor.engine import triage

from ..conftest import SAMPLES, require_corpus
from .capture_mix import write_mix, write_taint_then_retry

if not triage.available():
    if os.environ.get("CI") == "true":  # CI installs gcc: a missing build is a failure there
        pytest.fail("the C fast path (engine/_triage) was not built", pytrace=False)
    pytest.skip("the C fast path is not built (no C compiler at install)", allow_module_level=True)


def _report(cli: Any, path: Path, *extra: str) -> dict[str, Any]:
    result = cli("pcap", "--format", "json", "--no-progress", *extra, str(path))
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)


def _same_report(cli: Any, path: Path) -> dict[str, Any]:
    """Both reports; they must be equal but for the fast path's own statistics and the order
    lookups are listed in (the order they finish, which claiming does not preserve)."""
    fast = _report(cli, path)
    slow = _report(cli, path, "--no-fast-path")
    used = fast["stats"].pop("fast_path")
    assert slow["stats"].pop("fast_path") == {"used": False, "why": "turned off"}
    for report in (fast, slow):
        report["lookups"].sort(key=lambda lookup: int(lookup["uid"][1:]))
    assert fast == slow
    return used


def _record_boundaries(data: bytes) -> set[int]:
    """Offsets where a record of this little-endian classic pcap starts (a cut there is clean)."""
    starts, pos = set(), 24
    while pos + 16 <= len(data):
        starts.add(pos)
        pos += 16 + int.from_bytes(data[pos + 8 : pos + 12], "little")
    return starts | {pos}


def _corpus_captures() -> list[Path]:
    root = require_corpus()
    return sorted(p for p in root.rglob("*.pcap*") if p.is_file())


def test_every_corpus_capture_same_report(cli: Any) -> None:
    used = 0
    captures = _corpus_captures()
    for path in captures:
        used += _same_report(cli, path)["used"]
    assert len(captures) > 40
    assert used > 0, "no corpus capture took the fast path"


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.pcap")), ids=lambda p: p.stem)
def test_every_sample_same_report(cli: Any, sample: Path) -> None:
    _same_report(cli, sample)


@pytest.mark.parametrize("seed", range(36))
def test_crowded_capture_same_report(cli: Any, tmp_path: Path, seed: int) -> None:
    link = ("eth", "sll", "sll2", "raw")[seed % 4]
    pcapng = seed % 3 == 1
    path = write_mix(tmp_path / "mix.pcap", seed, link=link, compress=seed % 5 == 0, pcapng=pcapng)
    used = _same_report(cli, path)
    assert used["used"], used
    assert 0 < used["claimed_lookups"] < 250  # some claimed, some left to Python


def test_crowded_captures_hold_every_kind_of_trouble(tmp_path: Path) -> None:
    """The generator really mixes in what the C pass must leave to Python."""
    seen: dict[str, int] = {}
    for seed in range(8):
        path = write_mix(tmp_path / f"mix{seed}.pcap", seed, link=("eth", "sll")[seed % 2])
        stats = analyze_capture(path, CaptureOptions(fast_path=False)).stats
        for key in ("icmp_errors", "tcp_messages", "malformed_messages", "non_dns_packets"):
            seen[key] = seen.get(key, 0) + stats[key]
        for kind, count in stats["damage"]["by_kind"].items():
            seen[kind] = seen.get(kind, 0) + count
    for key in ("icmp_errors", "tcp_messages", "malformed_messages", "non_dns_packets"):
        assert seen[key] > 0, key
    assert seen.get("bad-udp-checksum", 0) > 0, seen


@pytest.mark.parametrize("seed", range(6))
def test_sparse_capture_claims_most(cli: Any, tmp_path: Path, seed: int) -> None:
    """Many clients and names: most lookups are isolated, and clean ones get claimed, the
    NXDOMAIN ones among them listed."""
    path = write_mix(tmp_path / "sparse.pcap", seed, lookups=400, clients=200, names=60, ports=5000)
    used = _same_report(cli, path)
    assert used["claimed_lookups"] > 150
    assert used["listed_lookups"] > 5
    assert used["handed_lookups"] >= 2


def _lookups(path: Path, fast_path: bool) -> dict[int, Any]:
    found: dict[int, Any] = {}
    analyze_capture(
        path, CaptureOptions(on_lookup=lambda lk: found.setdefault(lk.uid, lk), fast_path=fast_path)
    )
    return found


@pytest.mark.parametrize(
    ("seed", "link", "pcapng"), [(0, "eth", False), (5, "sll2", False), (7, "eth", True)]
)
def test_listed_claims_are_the_lookups_python_builds(
    tmp_path: Path, seed: int, link: str, pcapng: bool
) -> None:
    """A claimed NXDOMAIN lookup reaches `on_lookup` as the very Lookup the Python path builds:
    uid, transactions (uids, sends, replies, messages), times, outcome."""
    path = write_mix(
        tmp_path / "mix.pcap",
        seed,
        lookups=400,
        clients=200,
        names=60,
        ports=5000,
        link=link,
        pcapng=pcapng,
    )
    fast, slow = _lookups(path, True), _lookups(path, False)
    listed = [lk for lk in fast.values() if lk.outcome == "nxdomain" and len(lk.names) == 1]
    assert len(listed) > 5
    assert set(fast) <= set(slow)
    for uid, lookup in fast.items():
        assert _comparable(lookup) == _comparable(slow[uid]), uid


def _comparable(lookup: Any) -> tuple[Any, ...]:
    """The lookup's fields, its transactions' colliding partners by uid (they refer back)."""
    txs = [
        {f.name: getattr(tx, f.name) for f in dataclasses.fields(tx) if f.name != "collisions"}
        | {"collisions": [other.uid for other in tx.collisions]}
        for tx in lookup.transactions
    ]
    rest = {f.name: getattr(lookup, f.name) for f in dataclasses.fields(lookup)}
    rest.pop("transactions")
    return rest, txs


def test_no_negative_claims_when_the_replay_reads_resolv_conf(cli: Any, tmp_path: Path) -> None:
    """With --resolv-conf the replay models NXDOMAIN lookups (the search list may go on), so the
    C pass leaves them to Python."""
    path = write_mix(tmp_path / "sparse.pcap", 2, lookups=400, clients=200, names=60, ports=5000)
    conf = tmp_path / "resolv.conf"
    conf.write_text(
        "nameserver 10.96.0.10\nsearch ns1.svc.cluster.local svc.cluster.local\noptions ndots:5\n"
    )
    fast = _report(cli, path, "--resolv-conf", str(conf))
    slow = _report(cli, path, "--resolv-conf", str(conf), "--no-fast-path")
    assert fast["stats"].pop("fast_path")["listed_lookups"] == 0
    slow["stats"].pop("fast_path")
    for report in (fast, slow):
        report["lookups"].sort(key=lambda lookup: int(lookup["uid"][1:]))
    assert fast == slow
    assert fast["replay"]["skipped_negative_lookups"] == 0


@pytest.mark.parametrize("cut", [0.31, 0.5, 0.77, 0.999])
def test_damaged_capture_same_report(cli: Any, tmp_path: Path, cut: float) -> None:
    whole = write_mix(tmp_path / "whole.pcap", 5, lookups=300, clients=50, names=30, ports=900)
    data = whole.read_bytes()
    at = int(len(data) * cut)
    while at in _record_boundaries(data):
        at -= 1
    cut_file = tmp_path / "cut.pcap"
    cut_file.write_bytes(data[:at])
    report = _report(cli, cut_file)
    assert report["damage"]
    assert report["damage"][-1]["fatal"]
    _same_report(cli, cut_file)


def test_reasons_it_stands_aside(cli: Any, tmp_path: Path) -> None:
    mix = write_mix(tmp_path / "mix.pcap", 1)
    assert _report(cli, mix)["stats"]["fast_path"]["used"]
    every = analyze_capture(mix, CaptureOptions(on_transaction=lambda tx: None))
    assert every.stats["fast_path"] == {"used": False, "why": "turned off"}
    assert _report(cli, mix, "--all-lookups")["stats"]["fast_path"] == {
        "used": False,
        "why": "every lookup is listed and replayed",
    }
    pcapng = write_mix(tmp_path / "spb.pcapng", 1, pcapng=True)
    data = bytearray(pcapng.read_bytes())
    first_packet = 28 + struct.unpack_from("<I", data, 32)[0]  # after the SHB and the IDB
    data[first_packet : first_packet + 4] = struct.pack("<I", 2)  # an obsolete packet block
    pcapng.write_bytes(bytes(data))
    assert _report(cli, pcapng)["stats"]["fast_path"] == {
        "used": False,
        "why": "simple or obsolete packet blocks at frame 0",  # frames count EPBs only
    }
    _same_report(cli, pcapng)
    backwards = tmp_path / "backwards.pcap"
    data = bytearray(mix.read_bytes())
    data[24:28] = (2_000_000_000).to_bytes(4, "little")  # the first packet claims 2033
    backwards.write_bytes(bytes(data))
    why = _report(cli, backwards)["stats"]["fast_path"]["why"]
    assert why == "timestamps go backwards at frame 2"
    _same_report(cli, backwards)


@pytest.mark.parametrize("fillers", [6000, 8200, 11000])
def test_early_taint_outlives_table_growth(cli: Any, tmp_path: Path, fillers: int) -> None:
    """A query with a bad checksum (left to Python) and, 20 s later, the same query again from
    the same socket: Python pairs them as one retried transaction, so the later lookup must not
    be claimed, however much other traffic grows (and purges) the C pass's tables meanwhile.
    (With 8,200 fillers a table growth falls between 33 s and 53 s, which dropped the early
    taint before `horizon` outlived the claim window; the other counts move that growth.)"""
    path = write_taint_then_retry(tmp_path / "taint.pcap", fillers)
    assert _same_report(cli, path)["claimed_lookups"] > 1000
    report = _report(cli, path)
    retried = [lookup for lookup in report["lookups"] if lookup["client"] == "10.1.0.1"]
    assert [(lookup["first_frame"], lookup["queries"]) for lookup in retried] == [(1, 2)]
