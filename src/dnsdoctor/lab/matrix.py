"""A generated matrix of lab scenario variants, for the replay's proof by difference.

`generate(seed, count)` draws `count` variants from a seeded `random.Random` (the default seed
`SEED` is recorded here and in every report, so a run can be repeated exactly). Each variant
combines: 1-3 nameservers, each healthy, blackholed (receives, never answers), absent (nothing
listening: ICMP port unreachable) or faulty (per-qtype delay, per-qtype rcode NXDOMAIN /
SERVFAIL / REFUSED / empty NOERROR, answers sent twice); the name's records (A and AAAA, only
one family, none (NODATA) or a missing name (NXDOMAIN)); hints AF_UNSPEC or AF_INET (`-4`);
`options timeout:1 attempts:1|2`, so each run is short.

Every variant runs every client of `MATRIX_CLIENTS` once, each on its own name
(`<client tag>.lab.test`, same records): distinct first labels keep each client's queries in
a lookup of its own. Variants carry no expected result: the real binary is the oracle and the
replay must agree with it (tests/replay/test_matrix.py). Delays are drawn away from the
timeout steps (musl resends every 500 ms, glibc and Go wait 1 s per server) so that a run does not
sit on a boundary where a few ms of scheduling decide the result.

Command line: ``python -m dnsdoctor.lab.matrix [--seed N] [COUNT]`` lists the variants.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass

from dnsdoctor.lab.scenarios import BIG_A, V4, V6, ClientRun, Expect, Scenario, resolv
from dnsdoctor.lab.server import ServerConfig

SEED = 20260522
COUNT = 56
NAMESERVERS = ("127.0.0.10", "127.0.0.11", "127.0.0.12")
# client -> its name's first label
MATRIX_CLIENTS: dict[str, str] = {
    "gai-musl": "fine",
    "gai-musl-coarse": "coarse",
    "gai-glibc": "glibc",
    "gai-musl-new": "new",
    "gai-musl-new-coarse": "newcoarse",
    "gai-go": "go",
}
RECORD_SETS: dict[str, dict[str, list[str]] | None] = {
    "both": {"A": [V4], "AAAA": [V6]},
    "a-only": {"A": [V4]},
    "aaaa-only": {"AAAA": [V6]},
    "nodata": {},
    "missing": None,  # not in the zone: NXDOMAIN
}
BIG = {"A": BIG_A, "AAAA": [V6]}  # 40 A records: over 512 bytes, so UDP answers carry TC=1
DELAYS_MS = (0, 0, 0, 30, 120, 250, 700)  # away from 500 ms (musl resend) and 1 s (timeout)
RCODES = ("NXDOMAIN", "SERVFAIL", "REFUSED", "NOERROR")
NO_EXPECTATION = Expect("ok")  # placeholder: the real binary's result is what counts


@dataclass(frozen=True)
class Variant:
    index: int
    scenario: Scenario
    hints: str  # "AF_UNSPEC" | "AF_INET"
    records: str  # a key of RECORD_SETS
    servers: tuple[str, ...]  # one word per nameserver: ok, blackhole, absent, faulty(...)
    attempts: int

    @property
    def name(self) -> str:
        return self.scenario.name

    def client_name(self, client: str) -> str:
        return f"{MATRIX_CLIENTS[client]}.lab.test"

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.servers)} ns [{', '.join(self.servers)}] records "
            f"{self.records}, {self.hints}, timeout:1 attempts:{self.attempts}"
        )


def _zone(records: str) -> dict[str, dict[str, list[str]]]:
    data = BIG if records == "big" else RECORD_SETS[records]
    if data is None:
        return {}
    return {f"{tag}.lab.test": dict(data) for tag in MATRIX_CLIENTS.values()}


def _faults(rng: random.Random) -> tuple[dict[str, object], str]:
    """Per-qtype faults of one answering server, and a short word for reports."""
    faults: dict[str, object] = {}
    words = []
    qtypes = [q for q in ("A", "AAAA") if rng.random() < 0.5] or [rng.choice(("A", "AAAA"))]
    kind = rng.choice(("rcode", "rcode", "delay", "duplicate", "delay+duplicate"))
    if kind == "rcode":
        rcodes = {q: rng.choice(RCODES) for q in qtypes}
        faults["rcode"] = rcodes
        words += [f"{q} {r}" for q, r in rcodes.items()]
    if "delay" in kind:
        delays = {q: rng.choice(DELAYS_MS[3:]) for q in qtypes}
        faults["delay_ms"] = delays
        words += [f"{q} +{d}ms" for q, d in delays.items()]
    if "duplicate" in kind:
        faults["duplicate"] = qtypes
        words += [f"{q} twice" for q in qtypes]
    return faults, "faulty(" + ", ".join(words) + ")"


def _server_kind(rng: random.Random) -> str:
    return rng.choices(("ok", "faulty", "blackhole", "absent"), weights=(3, 5, 2, 1))[0]


def variant(rng: random.Random, index: int) -> Variant:
    count = rng.choice((1, 1, 2, 2, 3))
    records = rng.choices(list(RECORD_SETS), weights=(5, 2, 2, 1, 1))[0]
    hints = "AF_INET" if rng.random() < 0.25 else "AF_UNSPEC"
    attempts = rng.choice((1, 2))
    return _build(rng, index, [None] * count, records, hints, attempts)


def _build(
    rng: random.Random,
    index: int,
    kinds: list[str | None],  # None: drawn here, server by server
    records: str,
    hints: str,
    attempts: int,
) -> Variant:
    count = len(kinds)
    zone = _zone(records)
    configs: list[ServerConfig] = []
    words: list[str] = []
    for address, fixed_kind in zip(NAMESERVERS, kinds, strict=False):
        kind = fixed_kind or _server_kind(rng)
        if kind == "absent":
            words.append("absent")
            continue
        faults, word = _faults(rng) if kind == "faulty" else ({}, kind)
        configs.append(
            ServerConfig(
                address=address,
                zone=zone,
                blackhole=kind == "blackhole",
                **faults,  # type: ignore[arg-type]
            )
        )
        words.append(word)
    flags = ("-4",) if hints == "AF_INET" else ()
    clients = tuple(
        ClientRun(client, f"{tag}.lab.test", NO_EXPECTATION, flags)
        for client, tag in MATRIX_CLIENTS.items()
    )
    name = f"matrix-{index:03d}"
    scenario = Scenario(
        name=name,
        purpose=f"generated variant {index}",
        resolv_conf=resolv(*NAMESERVERS[:count], options=f"timeout:1 attempts:{attempts}"),
        servers=tuple(configs),
        clients=clients,
        gap_s=0.2,
    )
    return Variant(index, scenario, hints, records, tuple(words), attempts)


# Truncation is not drawn at random (one name size decides it for every qtype): these fixed
# variants follow the drawn ones, so TCP fallback (glibc, musl >= 1.2.4) and its absence (musl
# 1.2.3) are in every matrix.
TRUNCATION: tuple[tuple[tuple[str | None, ...], str, int], ...] = (
    (("ok",), "AF_UNSPEC", 2),
    (("ok",), "AF_INET", 1),
    (("blackhole", "ok"), "AF_UNSPEC", 1),
    (("ok", "ok"), "AF_UNSPEC", 2),
)


def generate(seed: int = SEED, count: int = COUNT) -> list[Variant]:
    """`count` drawn variants, then the fixed truncation ones; one seed, the same variants."""
    rng = random.Random(seed)
    drawn = [variant(rng, index) for index in range(count)]
    fixed = [
        _build(rng, count + n, list(kinds), "big", hints, attempts)
        for n, (kinds, hints, attempts) in enumerate(TRUNCATION)
    ]
    return drawn + fixed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    seed = SEED
    if args[:1] == ["--seed"] and len(args) >= 2 and args[1].isdigit():
        seed, args = int(args[1]), args[2:]
    count = int(args[0]) if args and args[0].isdigit() else COUNT
    print(f"seed {seed}")
    for item in generate(seed, count):
        print(item.describe())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
