"""Frame numbers and the fast path's claims, kept the same way by both file readers.

The capture fast path (engine/triage.py) claims frames before the readers run. A reader counts
every record, claimed or not, so frame numbers stay those of the file, and yields only the
unclaimed ones. It also counts the claimed transactions and lookups before each record, so the
engine can number what it builds as if it had seen everything.
"""

from __future__ import annotations

# engine/_triage marks: 1 a claimed answer, 2 a query, 3 a lookup's first query, 4 a frame of
# a lookup handed to the engine as built (engine/claimed_lookups.py), which uids do not skip
CLAIMED_QUERY, CLAIMED_LOOKUP_START = 2, 3


class FrameCount:
    __slots__ = (
        "claimed_lookups",
        "claimed_tx",
        "claims",
        "first_ts",
        "frame",
        "frames",
        "last_ts",
    )

    def __init__(self, claims: bytes = b"") -> None:
        self.claims = claims
        self.frame = 0  # the number of the record last yielded
        self.frames = 0  # records read, claimed ones included
        self.claimed_tx = 0  # claimed transactions before `frame`
        self.claimed_lookups = 0
        self.first_ts: float | None = None
        self.last_ts: float | None = None

    def claimed(self, ts: float) -> bool:
        """Count one more record at `ts`; True when the fast path claimed it (skip it)."""
        if self.first_ts is None:
            self.first_ts = ts
        self.last_ts = ts
        self.frames += 1
        mark = self.claims[self.frames - 1] if self.frames <= len(self.claims) else 0
        if mark:
            self.claimed_tx += mark in (CLAIMED_QUERY, CLAIMED_LOOKUP_START)
            self.claimed_lookups += mark == CLAIMED_LOOKUP_START
            return True
        self.frame = self.frames
        return False
