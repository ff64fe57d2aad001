"""The vocabulary of lab scenarios: addresses and names, resolv.conf text, timeout steps, what a
client must get (`Expect`), frames picked by role (`Role`), rule declarations (`Fires`) and the
`Scenario` record. The scenarios themselves are in `dnsdoctor.lab.scenarios`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from dnsdoctor.lab.server import ServerConfig

NS1 = "127.0.0.10"
NS2 = "127.0.0.11"
OTHER = "127.0.0.12"

V4 = "192.0.2.10"
V6 = "2001:db8::10"
DUAL = "dual.lab.test"
V4ONLY = "v4only.lab.test"
BIG = "big.lab.test"
BIG_A = [f"192.0.2.{i}" for i in range(100, 140)]  # 40 A records: ~680 bytes, over 512
WRONG_A = "192.0.2.66"
WRONG_AAAA = "2001:db8::66"
EXTERNAL = "api.example.com"
EXTERNAL_A = "192.0.2.80"
EXTERNAL_AAAA = "2001:db8::80"

BASE_ZONE: dict[str, dict[str, list[str]]] = {
    DUAL: {"A": [V4], "AAAA": [V6]},
    V4ONLY: {"A": ["192.0.2.20"]},
    BIG: {"A": BIG_A},
    EXTERNAL: {"A": [EXTERNAL_A], "AAAA": [EXTERNAL_AAAA]},
}

HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
NSSWITCH = "hosts: files dns\n"


def resolv(*nameservers: str, extra: str = "", options: str = "timeout:1 attempts:2") -> str:
    lines = [f"nameserver {ns}" for ns in nameservers]
    if extra:
        lines.append(extra)
    if options:
        lines.append(f"options {options}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Step:
    """The timeout step a client run must land on: a label and the window it means, in ms."""

    label: str
    lo_ms: int
    hi_ms: int


AT_ONCE = Step("~0 s", 0, 300)
BEFORE_LATE_A = Step("~0 s (before the A answer, 50 ms late)", 0, 45)
MUSL_RETRY = Step("0.5 s (musl retry interval timeout:1/attempts:2)", 450, 800)
ONE_TIMEOUT = Step("1 s (timeout:1)", 950, 1400)
TWO_TIMEOUTS = Step("2 s (timeout:1 x attempts:2)", 1900, 2600)
GLIBC_ONE_SERVER_TWO_TRIES = Step(
    "3 s (timeout:1 three times: after a timeout with one of two answers glibc retries in "
    "single-request mode, then single-request-reopen)",
    2900,
    3600,
)
SERVER_DELAY_2S = Step("2 s (the server's 2 s delay, under timeout:3)", 1950, 2600)
DEFAULT_TIMEOUT = Step("5 s (default timeout:5)", 4900, 5800)


@dataclass(frozen=True)
class Expect:
    """What one client run must get. Address lists are compared as sorted lists."""

    result: str  # "ok" | "error"
    eai: str | None = None
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    step: Step = AT_ONCE

    @property
    def elapsed_ms(self) -> tuple[int, int]:
        return (self.step.lo_ms, self.step.hi_ms)

    def describe(self) -> str:
        """One line: "ok v4 [..] v6 [..]" or the EAI code, then the timeout step."""
        if self.result == "ok":
            got = f"ok v4 {list(self.ipv4)} v6 {list(self.ipv6)}"
        else:
            got = str(self.eai)
        return f"{got} @ {self.step.label}"

    def check(self, got: dict[str, Any]) -> list[str]:
        problems = []
        if got.get("result") != self.result:
            problems.append(f"result {got.get('result')!r} != {self.result!r}")
        if got.get("eai") != self.eai:
            problems.append(f"eai {got.get('eai')!r} != {self.eai!r}")
        for fam in ("ipv4", "ipv6"):
            want = sorted(getattr(self, fam))
            have = sorted(got.get(fam) or [])
            if have != want:
                problems.append(f"{fam} {have} != {want}")
        elapsed = got.get("elapsed_ms", -1)
        lo, hi = self.elapsed_ms
        if not lo <= elapsed <= hi:
            problems.append(f"elapsed_ms {elapsed} not in [{lo}, {hi}] ({self.step.label})")
        return problems


@dataclass(frozen=True)
class ClientRun:
    client: str  # gai-musl | gai-musl-coarse | gai-glibc | gai-go
    name: str
    expect: Expect
    flags: tuple[str, ...] = ()


# ---- rule expectations -------------------------------------------------------------------

# The analysis rules the lab constrains. A rule in none of a scenario's lists must produce no
# finding at warning or above on its capture.
RULES: tuple[str, ...] = (
    "query-id-collision",
    "answer-question-mismatch",
    "server-not-responding",
    "unanswered-query",
    "retransmission-stall",
    "upstream-error-rcode",
    "search-path-amplification",
    "truncated-without-tcp-retry",
    "slow-server",
    "malformed-message",
    "response-from-unexpected-address",
    "duplicate-response",
    "orphan-response",
)


@dataclass(frozen=True)
class Role:
    """Frames picked by what they are, not by number, so every recording gives the right set.

    A fresh recording can order racing packets differently from the bundled sample and carries
    other IDs; a role is recomputed from each capture by `dnsdoctor.lab.frames.select`.
    ``kind`` is "query" (client to server: `server` is the destination), "response" (server
    to client: `server` is the source) or "icmp" (an ICMP error sent from `server`). DNS over
    TCP counts too (each length-prefixed message in a segment).
    """

    kind: str
    server: str | None = None
    qname_suffix: str | None = None  # e.g. "cluster.local." or WRONG_QNAME
    rcode: str | None = None  # responses: "SERVFAIL", "REFUSED", ...
    truncated: bool | None = None  # responses: TC bit
    got_truncated: bool = False  # queries: answered by a TC=1 response (same id and qtype)
    resent: bool = False  # queries: the same (id, qname, qtype) was sent more than once
    shares_id: bool = False  # queries: a query of another qtype left the same socket, same id
    unanswered: bool = False  # queries: no response with the same id, qname and qtype

    def describe(self) -> str:
        words = [
            "resent" if self.resent else "",
            "unanswered" if self.unanswered else "",
            "same-ID" if self.shares_id else "",
            self.rcode or "",
            "TC=1" if self.truncated else "",
            {"query": "queries", "response": "responses", "icmp": "ICMP errors"}[self.kind],
        ]
        if self.got_truncated:
            words.append("answered with TC=1")
        if self.qname_suffix:
            words.append(f"for *{self.qname_suffix}")
        if self.server:
            words.append(("to " if self.kind == "query" else "from ") + self.server)
        return " ".join(w for w in words if w)


@dataclass(frozen=True)
class Fires:
    """`rule` must produce a finding at warning or above citing at least one frame of `roles`."""

    rule: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Scenario:
    """One reproducible failure.

    ``must_fire``: the rules that must report it (at warning or above) and the frames, by
    role, of which each must cite at least one. ``unconstrained``: rules this scenario says
    nothing about. Every other rule in `RULES` must stay below warning (`must_not_fire`).
    ``sample_clients``: the bundled sample holds the traffic of only the first N clients
    (clients added after it was recorded); `record_samples` re-records exactly those.
    """

    name: str
    purpose: str
    resolv_conf: str
    servers: tuple[ServerConfig, ...]
    clients: tuple[ClientRun, ...]
    must_fire: tuple[Fires, ...] = ()
    unconstrained: tuple[str, ...] = ()
    sample: str | None = None  # file name under samples/ when recorded as a bundled sample
    sample_clients: int | None = None
    gap_s: float = 0.2  # pause between two client runs
    hosts: str = HOSTS
    nsswitch: str = NSSWITCH

    @property
    def must_not_fire(self) -> tuple[str, ...]:
        fired = {f.rule for f in self.must_fire}
        return tuple(r for r in RULES if r not in fired and r not in self.unconstrained)

    @property
    def is_control(self) -> bool:
        return not self.must_fire

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["must_not_fire"] = list(self.must_not_fire)
        return data
