"""Damaged files: cut anywhere, or mutated at random, the reader never raises (except
CaptureFormatError for a file that does not even start like a capture) and a cut file yields
every record wholly before the cut, then exactly one fatal Damage."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dnsdoctor.api import analyze_capture
from dnsdoctor.errors import CaptureFormatError
from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Damage, Datagram, IcmpError

from .conftest import require_corpus

pytestmark = pytest.mark.corpus

Corpus = Callable[[str], Path]


def _pcap_bounds(blob: bytes) -> list[int]:
    """Start offsets of every record, then the end of the file."""
    bounds, pos = [], 24
    while pos < len(blob):
        bounds.append(pos)
        pos += 16 + struct.unpack_from("<I", blob, pos + 8)[0]
    return [*bounds, pos]


def _pcapng_bounds(blob: bytes) -> tuple[list[int], list[int]]:
    """(start of every block then end of file, start offsets of the packet blocks)."""
    bounds, packets, pos = [], [], 0
    while pos < len(blob):
        bounds.append(pos)
        btype, length = struct.unpack_from("<II", blob, pos)
        if btype in (2, 3, 6):
            packets.append(pos)
        pos += length
    return [*bounds, pos], packets


def _check_cut(
    path: Path, blob: bytes, cut: int, full: list, packet_starts: list[int], bounds: list[int]
) -> None:
    path.write_bytes(blob[:cut])
    records = list(CaptureReader(path).records())
    whole = sum(1 for i, start in enumerate(packet_starts) if _end_of(start, bounds) <= cut)
    expected = [r for r in full if r.frame is not None and r.frame <= whole]
    assert records[: len(expected)] == expected, cut
    rest = records[len(expected) :]
    if cut in bounds:
        assert rest == [], cut
        return
    assert len(rest) == 1, (cut, rest)
    damage = rest[0]
    assert isinstance(damage, Damage), cut
    assert damage.fatal, (cut, damage)
    assert damage.kind.startswith("truncated-"), (cut, damage)
    assert damage.offset <= cut
    assert damage.offset == max([0, *(b for b in bounds if b <= cut)]), (cut, damage)


def _end_of(start: int, bounds: list[int]) -> int:
    return bounds[bounds.index(start) + 1]


def test_pcap_cut_anywhere(corpus: Corpus, tmp_path: Path) -> None:
    original = corpus("dnscap/src/test/dns.pcap")
    blob = original.read_bytes()
    full = list(CaptureReader(original).records())
    bounds = _pcap_bounds(blob)
    cuts = set(range(1, 45))  # magic, file header, first record header and packet
    for start in bounds[1:12]:
        cuts.update({start - 1, start, start + 1, start + 8, start + 15, start + 16, start + 30})
    cuts.update(range(1000, len(blob), 997))
    assert len(cuts) >= 50
    path = tmp_path / "cut.pcap"
    for cut in sorted(c for c in cuts if c < len(blob)):
        _check_cut(path, blob, cut, full, bounds[:-1], [0, *bounds])


def test_pcapng_cut_anywhere(corpus: Corpus, tmp_path: Path) -> None:
    original = corpus("zeek/testing/btest/Traces/pcapng-multi-interface.pcapng")
    blob = original.read_bytes()
    full = list(CaptureReader(original).records())
    bounds, packets = _pcapng_bounds(blob)
    cuts = set(range(1, len(blob), 5)) | set(bounds[1:-1]) | {b + 3 for b in bounds[:-1]}
    path = tmp_path / "cut.pcapng"
    for cut in sorted(c for c in cuts if 0 < c < len(blob)):
        _check_cut(path, blob, cut, full, packets, bounds)


def test_empty_and_foreign_files_raise(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    with pytest.raises(CaptureFormatError):
        CaptureReader(empty)
    text = tmp_path / "notes.txt"
    text.write_bytes(b"hello, this is not a capture\n")
    with pytest.raises(CaptureFormatError) as info:
        CaptureReader(text)
    assert info.value.offset == 0
    with pytest.raises(CaptureFormatError):
        CaptureReader(tmp_path / "missing.pcap")


def test_absurd_lengths_are_fatal(corpus: Corpus, tmp_path: Path) -> None:
    blob = bytearray(corpus("dnscap/src/test/dns.pcap").read_bytes())
    second = _pcap_bounds(bytes(blob))[1]
    struct.pack_into("<I", blob, second + 8, 300_000)
    path = tmp_path / "huge.pcap"
    path.write_bytes(bytes(blob))
    last = list(CaptureReader(path).records())[-1]
    assert isinstance(last, Damage)
    assert last == Damage(second, "bad-record-length", last.detail, None, True)
    ng = bytearray(corpus("zeek/testing/btest/Traces/pcapng-multi-interface.pcapng").read_bytes())
    bounds, packets = _pcapng_bounds(bytes(ng))
    struct.pack_into("<I", ng, packets[1] + 4, 13)  # not a multiple of 4
    struct.pack_into("<I", ng, packets[3] + 4, 40)  # trailer no longer matches
    for offset, kind in ((packets[1], "bad-block-length"), (packets[3], "block-length-mismatch")):
        copy = bytearray(
            corpus("zeek/testing/btest/Traces/pcapng-multi-interface.pcapng").read_bytes()
        )
        copy[offset + 4 : offset + 8] = ng[offset + 4 : offset + 8]
        path = tmp_path / "bad.pcapng"
        path.write_bytes(bytes(copy))
        records = list(CaptureReader(path).records())
        last = records[-1]
        assert isinstance(last, Damage)
        assert last.fatal
        assert (last.kind, last.offset) == (kind, offset)
    assert bounds


FUZZ_FILES = [
    "dnscap/src/test/dns.pcap",
    "dnscap/src/test/frags.pcap",
    "dnscap/src/test/sll2.pcap",
    "dnscap/src/test/dnso1tcp-midmiss.pcap",
    "dnscap/src/test/do1t-nosyn-1nolen.pcap",
    "suricata-verify/tests/dns/dns-tcp-multirequest-buffer/dns-tcp-multirequest-buffer.pcap",
    "suricata-verify/tests/dns/dns-corrupt-additionals/input.pcap",
    "tcpdump/tests/dns-badcookie.pcap",
    "tcpdump/tests/ppp_ip_udp_dns.pcap",
    "zeek/testing/btest/Traces/ipv6-fragmented-dns.pcap",
    "zeek/testing/btest/Traces/pcapng-multi-interface.pcapng",
    "zeek/testing/btest/Traces/tunnels/gre-sample.pcap",
    "zeek/testing/btest/Traces/tunnels/gre-over-udp-4754.pcap",
    "zeek/testing/btest/Traces/wikipedia.pcap",
]


def _interesting(blob: bytes) -> list[int]:
    """Header bytes: file header, record headers, the first 80 bytes of each packet."""
    if blob[:4] == b"\x0a\x0d\x0d\x0a":
        bounds, _ = _pcapng_bounds(blob)
        return [b + i for b in bounds[:-1] for i in range(0, 110) if b + i < len(blob)]
    spots = list(range(24)) + [
        b + i for b in _pcap_bounds(blob)[:-1] for i in range(0, 96) if b + i < len(blob)
    ]
    # Likely DNS compression pointers (0xC0 0x0C and kin): bend them forwards, into loops, away.
    return spots + [
        i for i in range(24, len(blob) - 1) if blob[i] & 0xC0 == 0xC0 and blob[i + 1] < 0x80
    ]


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    relative = draw(st.sampled_from(FUZZ_FILES))
    blob = bytearray(_BLOBS[relative])
    spots = _SPOTS[relative]
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.one_of(st.sampled_from(spots), st.integers(0, len(blob) - 1)))
        blob[pos] = draw(st.one_of(st.integers(0, 255), st.just(blob[pos] ^ 0x80), st.just(0xFF)))
    if draw(st.booleans()):
        blob = blob[: draw(st.integers(1, len(blob)))]
    return relative, bytes(blob)


_BLOBS: dict[str, bytes] = {}
_SPOTS: dict[str, list[int]] = {}


def _load_fuzz_corpus() -> None:
    root = require_corpus()
    for relative in FUZZ_FILES:
        if relative not in _BLOBS:
            _BLOBS[relative] = (root / relative).read_bytes()
            _SPOTS[relative] = _interesting(_BLOBS[relative])


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _load_fuzz_corpus()
    return tmp_path_factory.mktemp("fuzz") / "mutated.cap"


# max_examples comes from the profile in tests/conftest.py: 1,000 under CI, 100 elsewhere.
@settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=st.data())
def test_mutated_corpus_never_raises(fuzz_file: Path, case: st.DataObject) -> None:
    relative, blob = case.draw(_mutated())
    fuzz_file.write_bytes(blob)
    try:
        reader = CaptureReader(fuzz_file)
        records = list(reader.records())
    except CaptureFormatError:
        assert blob[:4] != _BLOBS[relative][:4] or len(blob) < 4
        return
    for i, record in enumerate(records):
        assert isinstance(record, Datagram | IcmpError | Damage)
        if isinstance(record, Damage):
            assert record.kind != "decoder-error", record
            assert not record.fatal or i == len(records) - 1
    assert reader.stats.packets >= 0
    report = analyze_capture(fuzz_file)  # the whole pipeline: parser, pairing, every rule
    assert report.internal_errors == []
