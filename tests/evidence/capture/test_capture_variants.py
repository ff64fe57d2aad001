"""The same packets in other file encodings must give the same datagrams and timestamps."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Damage, Datagram

from ._build import pcap, pcap_records, pcapng_section, read_all

pytestmark = pytest.mark.corpus

Corpus = Callable[[str], Path]
DNS_PCAP = "dnscap/src/test/dns.pcap"


def _datagrams(path: Path) -> list[Datagram]:
    return [r for r in read_all(path) if isinstance(r, Datagram)]


def _key(d: Datagram) -> tuple:
    return (d.frame, d.ts, d.src, d.sport, d.dst, d.dport, d.payload, d.checksum_ok)


def test_big_endian_and_nanosecond_pcap(corpus: Corpus, tmp_path: Path) -> None:
    original = corpus(DNS_PCAP)
    expected = _datagrams(original)
    link, records = pcap_records(original.read_bytes())
    variants = {
        "be.pcap": pcap(((s, f, d, o) for s, f, o, d in records), link, ">"),
        "ns.pcap": pcap(((s, f * 1000, d, o) for s, f, o, d in records), link, "<", nano=True),
        "be-ns.pcap": pcap(((s, f * 1000, d, o) for s, f, o, d in records), link, ">", nano=True),
    }
    for name, blob in variants.items():
        path = tmp_path / name
        path.write_bytes(blob)
        assert _datagrams(path) == expected, name


def test_pcapng_sections_byte_orders_and_resolutions(corpus: Corpus, tmp_path: Path) -> None:
    original = corpus(DNS_PCAP)
    expected = _datagrams(original)
    link, records = pcap_records(original.read_bytes())
    half = 60
    first = pcapng_section(
        "<", [(link, None, 0)], [(0, s * 10**6 + f, d) for s, f, _, d in records[:half]]
    )
    later = []
    for i, (sec, usec, _, data) in enumerate(records[half:]):
        if i % 2:  # binary resolution 2^-20 s, offset 1000 s
            later.append((1, round(((sec - 1000) + usec / 1e6) * 2**20), data))
        else:  # nanoseconds
            later.append((0, (sec * 10**6 + usec) * 1000, data))
    second = pcapng_section(">", [(link, 9, 0), (link, 0x80 | 20, 1000)], later)
    path = tmp_path / "two-sections.pcapng"
    path.write_bytes(first + second)
    reader = CaptureReader(path)
    found = [r for r in reader.records() if isinstance(r, Datagram)]
    assert reader.stats.interfaces == 3
    assert reader.stats.packets == len(records)
    assert [(d.frame, d.payload) for d in found] == [(d.frame, d.payload) for d in expected]
    for got, want in zip(found, expected, strict=True):
        if got.interface == 2:
            assert got.ts == pytest.approx(want.ts, abs=1e-6)
        else:
            assert got.ts == want.ts  # decimal resolutions give the very same float
        section_two = want.frame > half
        assert got.interface == (0 if not section_two else 1 + (want.frame - half - 1) % 2)


def _record(calls: list[tuple[int, int]], done: int, total: int) -> None:
    calls.append((done, total))


def test_gzip_input(corpus: Corpus, tmp_path: Path) -> None:
    for relative in (DNS_PCAP, "zeek/testing/btest/Traces/pcapng-multi-interface.pcapng"):
        original = corpus(relative)
        path = tmp_path / (original.name + ".gz")
        path.write_bytes(gzip.compress(original.read_bytes()))
        calls: list[tuple[int, int]] = []
        reader = CaptureReader(path, progress=partial(_record, calls))
        assert list(reader.records()) == read_all(original)
        assert reader.stats.compressed
        assert reader.stats.bytes_read == original.stat().st_size
        assert calls[-1] == (path.stat().st_size, path.stat().st_size)


def test_truncated_gzip_is_fatal_damage(corpus: Corpus, tmp_path: Path) -> None:
    original = corpus(DNS_PCAP)
    blob = gzip.compress(original.read_bytes())
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(blob[: len(blob) // 2])
    records = list(CaptureReader(path).records())
    full = read_all(original)
    assert records[:-1] == full[: len(records) - 1]
    last = records[-1]
    assert isinstance(last, Damage)
    assert last.fatal
    assert last.kind.startswith("truncated")
