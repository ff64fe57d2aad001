# Types of the C extension built from engine/_triage/*.c (see engine/triage.py).
from collections.abc import Iterable, Sequence
from typing import Any

Buffer = bytes | bytearray | memoryview

class Triage:
    def __init__(
        self,
        link: int,
        big_endian: bool,
        units: float,
        rec_len: int,
        ports: Iterable[int],
        tunnel_ports: Iterable[int],
        window: float,
        gap: float,
        slow: float,
        min_rtt: float,
        buckets_per_decade: float,
        mode_centres: Sequence[float],
        negatives: bool,
    ) -> None: ...
    def feed(self, buffer: Buffer) -> int: ...
    def finish(self) -> dict[str, Any]: ...
    def listed(self, start: int, stop: int) -> list[tuple[Any, ...]]: ...

def scan(
    buffer: Buffer,
    pos: int,
    frame: int,
    claims: Buffer,
    big_endian: bool,
    units: float,
    rec_len: int,
    claimed_tx: int,
    claimed_lookups: int,
) -> tuple[
    list[tuple[int, float, bytes, bool, int, int, int]],
    int,
    int,
    int,
    int,
    float | None,
    float | None,
]: ...
