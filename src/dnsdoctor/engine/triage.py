"""The capture fast path: claim the clean lookups in C, analyse only the rest in Python.

On a busy capture almost every lookup is a quick, clean success: A and AAAA each sent once and
answered once with NOERROR, well under half a second; most of the rest are quick NXDOMAIN
answers and lookups that lost one of their two queries. The Python pipeline spends ~50 µs a
packet on those, to conclude nothing but counters. `triage_capture` makes a first pass in C
(engine/_triage/) over a pcap or pcapng and *claims* such lookups; the normal pipeline then reads
the file again, the C scanner skipping the claimed frames, and the claimed lookups reach the
rules only as `FoldedTraffic` (per-server query counts and latency histograms).

Why the report is the same as without it (tests/engine/test_triage.py checks it on every
corpus capture, sample and generated crowded captures, `--no-fast-path` the reference):
* a lookup is claimed only when nothing else used its client sockets, its (client, first label)
  or its client address within `window` = linger + 3 s of it. In the Python model a lookup
  interacts with other traffic only through those keys (pairing is per socket, grouping per
  client and name or label, the end-of-capture "superseded" check per client and name), so the
  rest of the capture pairs and groups exactly as before;
* transactions close, and lookups finish, in an order that depends only on their own packets
  (engine/pairing.py `_sweep`, engine/lookups.py), so removing the claimed ones does not
  reorder what the rules see;
* transaction and lookup uids count the claimed ones (the scanner passes the counts along),
  and the engine learns when the first claimed message was, for "query before the capture";
* a clean claimed lookup is never listed in the JSON report (it is not `is_notable`), is
  `is_clean` for the replay (which skips those), and gives no rule a sample frame; rules that
  count it implement `on_folded`;
* a claimed NXDOMAIN lookup is the same but for the listing: it is rebuilt for `on_lookup`
  (engine/claimed_lookups.py) and `is_negative` for the replay (claimed only when the replay
  skips those, i.e. without --resolv-conf);
* a claimed half-lost lookup (A and AAAA from one socket, one never answered) is handed to the
  pairing engine whole at its first query and from there takes the Python path's own road.
Anything the C pass cannot prove harmless turns claiming off for the whole file (`disabled`
says why): fragments, tunnels, DNS on a second interface, timestamps that go backwards, a
pcapng block the Python reader would report as damage. The Python path then analyses
everything, as before.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dnsdoctor.evidence.capture.pcap_file import FILE_HEADER_LEN, MAGICS
from dnsdoctor.evidence.capture.pcapng_file import MAGIC as PCAPNG_MAGIC
from dnsdoctor.evidence.capture.source import CHUNK, ByteSource
from dnsdoctor.evidence.capture.tunnel import UDP_TUNNELS

try:
    from dnsdoctor.engine import _triage
except ImportError:  # built without a C compiler: the Python path does everything
    _triage = None  # type: ignore[assignment]

WINDOW_MARGIN = 3.0  # seconds beyond the linger time: slack for equal and rounded timestamps
MAX_RECORD = 1 << 20  # room past a chunk for the record its end cuts
SLOW = 0.5  # a lookup or answer this slow is notable (render/records.is_notable, DD109)


@dataclass(slots=True)
class FoldedServer:
    """What the claimed lookups sent to one server: each query answered once, NOERROR."""

    transactions: int
    buckets: dict[int, int]  # slow_server's log buckets of the round-trip times
    modes: list[int]  # answers near each of slow_server.TIMEOUT_MODES
    shoulders: list[int]


@dataclass(slots=True)
class FoldedTraffic:
    lookups: int = 0
    transactions: int = 0
    servers: dict[str, FoldedServer] = field(default_factory=dict)


@dataclass(slots=True)
class TriagePlan:
    claims: bytes  # a byte a frame: 0 keep, 1 claimed answer, 2 query, 3 lookup's first, 4 handed
    folded: FoldedTraffic
    first_claim: tuple[int, float] | None  # (frame, ts) of the first claimed message
    last_claim_ts: float = 0.0  # the time of the last claimed message
    records: int = 0  # claimed lookups rebuilt in Python (engine/claimed_lookups.py): the
    listed: int = 0  # NXDOMAIN ones the report lists, the rest handed to the engine
    interface: int = 0  # the number of the one interface DNS was on; -1 when Python numbers it
    _pass: Any = None  # the C pass, which keeps the records of the rebuilt lookups

    def lookup_records(self, start: int, stop: int) -> list[tuple[Any, ...]]:
        """The rebuilt lookups start:stop, ordered by their first query (see listed.c)."""
        return self._pass.listed(start, stop) if self._pass is not None else []


def available() -> bool:
    return _triage is not None


def triage_capture(
    path: str | os.PathLike[str],
    ports: frozenset[int],
    linger: float,
    gap: float,
    progress: Callable[[int, int], None] | None = None,
    negatives: bool = False,
) -> tuple[TriagePlan | None, str]:
    """The claims for a capture, or (None, why not). `negatives`: claim quick, isolated
    NXDOMAIN lookups too (only when nothing would replay them: replay/driver.py)."""
    if _triage is None:
        return None, "the fast path is not built (no C compiler at install time)"
    from dnsdoctor.rules.slow_server import _BUCKETS_PER_DECADE, _MIN_RTT, TIMEOUT_MODES

    src = ByteSource(path, progress)
    try:
        head = src.read(FILE_HEADER_LEN)
        if head[:4] == PCAPNG_MAGIC:
            # rec_len 0: pcapng; byte order, link types and resolutions come from its blocks
            link, big, units, rec_len, pending = 0, False, 1, 0, head
        elif len(head) == FILE_HEADER_LEN and head[:4] in MAGICS:
            order, units, rec_len = MAGICS[head[:4]]
            link = struct.unpack_from(order + "I", head, 20)[0] & 0xFFFF
            big, pending = order == ">", b""
        else:
            return None, "not a pcap or pcapng file"
        tunnels = frozenset(UDP_TUNNELS) - ports
        triage = _triage.Triage(
            link, big, float(units), rec_len, tuple(ports), tuple(tunnels),
            linger + WINDOW_MARGIN, gap, SLOW, _MIN_RTT, float(_BUCKETS_PER_DECADE),
            tuple(float(centre) for centre, _ in TIMEOUT_MODES), negatives,
        )  # fmt: skip
        buffer = bytearray(len(pending) + CHUNK + MAX_RECORD)
        view = memoryview(buffer)
        have = len(pending)
        view[:have] = pending
        while True:
            got = src.readinto(view[have : have + CHUNK])
            if not got:
                break
            have += got
            used = triage.feed(view[:have])
            if used < 0:  # claiming is off, or the file is damaged here: nothing more to learn
                break
            view[: have - used] = view[used:have]  # the record cut by the chunk's end
            have -= used
            if have + CHUNK > len(buffer):  # a block longer than a chunk: make room for it
                view.release()
                buffer = buffer[:have] + bytearray(CHUNK + MAX_RECORD)
                view = memoryview(buffer)
    finally:
        src.close()
    result = triage.finish()
    if result["disabled"]:
        return None, str(result["disabled"])
    servers = {
        name: FoldedServer(n, buckets, modes, shoulders)
        for name, (n, buckets, modes, shoulders) in result["servers"].items()
    }
    folded = FoldedTraffic(result["lookups"], result["transactions"], servers)
    plan = TriagePlan(
        result["claims"], folded, result["first_claim"], result["last_claim_ts"],
        result["records"], result["listed"], result["interface"], triage,
    )  # fmt: skip
    return plan, ""
