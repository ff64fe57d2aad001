"""What one resolver library returned to the application for one getaddrinfo call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Discard:
    """An answer on the wire the library did not hand to the application, and why."""

    frame: int
    qtype: str  # the question it answered: "A" / "AAAA"
    addresses: tuple[str, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class AppResult:
    library: str  # "musl 1.2.3" / "glibc 2.36"
    ok: bool
    eai: str | None
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    started: float  # capture time of the call's first query
    returned_at: float  # capture time at which getaddrinfo returned, as the model says
    notes: tuple[str, ...] = ()
    discarded: tuple[Discard, ...] = ()
    wrong_question_frames: tuple[int, ...] = ()  # answers for another name that were used
    used_frames: tuple[int, ...] = field(default=())

    @property
    def elapsed(self) -> float:
        return self.returned_at - self.started

    @property
    def outcome_class(self) -> str:
        """Coarse class used to compare libraries: failures of any code are one class."""
        if not self.ok:
            return "error"
        if self.ipv4 and self.ipv6:
            return "both families"
        return "IPv4 only" if self.ipv4 else "IPv6 only"

    def describe(self) -> str:
        if not self.ok:
            return f"{self.eai} after {self.elapsed * 1000:.0f} ms"
        parts = []
        if self.ipv4:
            parts.append(", ".join(self.ipv4))
        if self.ipv6:
            parts.append(", ".join(self.ipv6))
        only = "" if self.outcome_class == "both families" else f"only {self.outcome_class[:4]} "
        return f"{only}{' + '.join(parts)} after {self.elapsed * 1000:.0f} ms"

    def to_dict(self) -> dict[str, Any]:
        return {
            "library": self.library,
            "result": "ok" if self.ok else "error",
            "eai": self.eai,
            "ipv4": list(self.ipv4),
            "ipv6": list(self.ipv6),
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "returned_at": self.returned_at,
            "notes": list(self.notes),
            "discarded": [
                {
                    "frame": d.frame,
                    "qtype": d.qtype,
                    "addresses": list(d.addresses),
                    "reason": d.reason,
                }
                for d in self.discarded
            ],
            "wrong_question_frames": list(self.wrong_question_frames),
        }


def split_families(addresses: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    v4 = tuple(a for a in addresses if ":" not in a)
    v6 = tuple(a for a in addresses if ":" in a)
    return v4, v6
