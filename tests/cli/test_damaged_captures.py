"""A cut capture is analysed up to the cut, the cut is reported with its offset, and nothing before
it is lost: every transaction wholly before the cut is reported exactly as for the whole file.

Each corpus capture in classic pcap format is cut at 50+ offsets (inside the file header, inside
record headers, mid-packet) and run through the CLI in-process (`--format jsonl`).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from ..conftest import corpus_root, require_corpus

MIN_CUTS = 50
# Structural cuts are taken around this many records spread over the file, so a capture with
# thousands of packets is still cut at every kind of place without thousands of runs.
RECORDS_CUT_AROUND = 12
# Fields that legitimately depend on what comes after the cut: whether an unanswered query was
# still in flight when the capture ended, and same-ID partners sent later.
AFTER_CUT_FIELDS = ("outcome", "same_id_in_flight")


def classic_pcaps() -> list[str]:
    root = corpus_root()
    if not root.is_dir():
        return ["(corpus missing)"]
    found = []
    for path in sorted(p for p in root.rglob("*.pcap*") if p.is_file()):
        head = path.read_bytes()[:4]
        if head in (
            b"\xd4\xc3\xb2\xa1",
            b"\xa1\xb2\xc3\xd4",
            b"\x4d\x3c\xb2\xa1",
            b"\xa1\xb2\x3c\x4d",
        ):
            found.append(str(path.relative_to(root)))
    return found


def record_ends(blob: bytes) -> list[int]:
    """End offset of each packet record (index = frame - 1)."""
    order = "<" if blob[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    ends, pos = [], 24
    while pos + 16 <= len(blob):
        caplen = struct.unpack_from(order + "I", blob, pos + 8)[0]
        pos += 16 + caplen
        ends.append(pos)
    return ends


def cut_offsets(blob: bytes, ends: list[int]) -> list[int]:
    structural = {4, 8, 12, 20, 23, 24}
    starts = [24, *ends[:-1]]
    pick = max(1, len(ends) // RECORDS_CUT_AROUND)
    for index in range(0, len(ends), pick):
        start, end = starts[index], ends[index]
        structural.update({end + 1, end + 8, end + 15, end + 16, end + 30, (start + end) // 2})
    size = len(blob)
    step = max(1, size // MIN_CUTS)
    spread = set(range(4, size, step))
    cuts = sorted(c for c in structural | spread if 4 <= c < size)
    return cuts


def transactions(cli, path: Path) -> tuple[int, list[dict], dict]:
    result = cli("pcap", "--format", "jsonl", str(path))
    assert result.code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines[-1]
    assert summary.get("record") == "summary"
    return result.code, lines[:-1], summary


def frames_of(record: dict) -> list[int]:
    frames = record["query_frames"] + record["response_frames"] + record["copy_frames"]
    frames += record["mismatched_question_frames"] + [n["frame"] for n in record["icmp"]]
    return frames


@pytest.mark.corpus
@pytest.mark.parametrize("capture", classic_pcaps())
def test_cut_capture_keeps_everything_before_the_cut(cli, tmp_path, capture):
    source = require_corpus() / capture
    blob = source.read_bytes()
    ends = record_ends(blob)
    _, whole, _ = transactions(cli, source)
    cuts = cut_offsets(blob, ends)
    boundaries = {24, *ends}
    assert len(cuts) >= min(MIN_CUTS, len(blob) - 4)
    for cut in cuts:
        path = tmp_path / "cut.pcap"
        path.write_bytes(blob[:cut])
        _, got, summary = transactions(cli, path)
        fatal = [d for d in summary["damage"] if d["fatal"]]
        if cut in boundaries:  # a whole number of records: a valid, shorter capture
            assert not fatal, f"cut at record boundary {cut}: {fatal}"
        else:
            assert len(fatal) == 1, f"cut at {cut}: {summary['damage']}"
            assert fatal[0]["offset"] <= cut
        complete = [r for r in whole if max(ends[f - 1] for f in frames_of(r)) <= cut]
        by_uid = {r["uid"]: r for r in got}
        for record in complete:
            mine = by_uid.get(record["uid"])
            assert mine is not None, f"cut at {cut}: {record['uid']} lost"
            for key, value in record.items():
                if key not in AFTER_CUT_FIELDS:
                    assert mine[key] == value, f"cut at {cut}: {record['uid']} {key}"
