"""Which resolver library sent this lookup? Inferred from what its packets show.

Each clue is a fact about the call's packets with the chance of seeing it under each library;
the verdict is the library with the highest posterior (equal priors, clues taken as independent)
and that posterior as the confidence. The clues and the source they follow:

- A and AAAA from one socket (musl `res_msend.c`, glibc `send_dg`) or from two (Go 1.19
  `net/dnsclient_unix.go`: `exchange` dials a new socket per query).
- One query sent to every nameserver at once (musl `__res_msend_rc`), or one server after
  another (glibc `__res_context_send`, Go `tryOneName`).
- Query IDs are clocks. musl 1.2.3 `__res_mkquery`: `id = (ns + ns/65536) & 0xffff` from
  CLOCK_REALTIME, so the AAAA ID built right after the A ID is a little larger (AAAA - A is the
  nanoseconds between them), and on a coarse clock both are equal and equal the formula for a
  tick shortly before the capture timestamp. musl >= 1.2.4 bumps the AAAA ID's high byte when
  equal: AAAA = A + 0x100. glibc 2.36 `res_mkquery` takes `random_bits()` (CLOCK_MONOTONIC:
  `r = ns ^ s; id = r ^ r >> 8`, stored little-endian): two IDs built Δ ns apart XOR to a value
  reachable from `n ^ (n + Δ)`. Go draws random IDs (`randInt`).
- A new ID from a new socket for a retry (Go), the same ID resent (musl, glibc).
- TC=1 followed by TCP (glibc, Go, musl >= 1.2.4) or not (musl <= 1.2.3).
- Answers carrying an EDNS OPT record: the query offered EDNS, as Go 1.19 does (1232 bytes);
  musl never does, glibc only with `options edns0`.

Absolute ID-versus-timestamp tests need the send latency below musl's 65.5 µs ID period; in the
lab it is 20-800 µs, so only the coarse-clock tick test and the A/AAAA relations are used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA
from dnsdoctor.replay.steps import group_by_new_id

LIBRARIES = ("musl", "glibc", "go")
MODEL_OF = {"musl": "musl-1.2.3", "glibc": "glibc-2.36", "go": "go-1.19"}
GOOD_CONFIDENCE = 0.95
MUSL_BUILD_GAP = 1024  # ns between musl's two res_mkquery calls: 140-190 in the lab
GLIBC_BUILD_GAP = 1000  # ns between glibc's two res_mkquery calls: 13-739 in the lab
COARSE_TICKS_NS = (1_000_000, 4_000_000, 10_000_000)  # jiffies at HZ 1000, 250, 100
COARSE_LOOKBACK_NS = 20_000_000
AT_ONCE_S = 0.05


@dataclass(frozen=True, slots=True)
class Clue:
    text: str
    chance: tuple[float, float, float]  # P(seeing this | musl, glibc, go)


@dataclass(frozen=True, slots=True)
class Verdict:
    library: str  # musl | glibc | go | unknown
    confidence: float
    clues: tuple[str, ...]
    version: str | None = None  # musl: "<= 1.2.3" / ">= 1.2.4" when a clue says so
    key_clue: str = ""

    @property
    def confident(self) -> bool:
        return self.library != "unknown" and self.confidence >= GOOD_CONFIDENCE

    @property
    def model(self) -> str | None:
        """The model to replay under (musl of unknown version: 1.2.3); None when unknown."""
        if self.library == "musl" and self.version == ">= 1.2.4":
            return "musl-1.2.4"
        return MODEL_OF.get(self.library)

    def describe(self) -> str:
        name = self.library if self.version is None else f"{self.library} {self.version}"
        if self.library == "unknown":
            return f"client library unknown ({self.key_clue})"
        if not self.confident:
            return f"client library uncertain (best guess {name}, {self.confidence:.0%})"
        return f"inferred {name} ({self.key_clue})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "library": self.library,
            "version": self.version,
            "confidence": round(self.confidence, 4),
            "confident": self.confident,
            "evidence": list(self.clues),
        }


def musl_id(ns: int) -> int:
    return (ns + ns // 65536) & 0xFFFF


@cache
def _glibc_xor_set(gap: int) -> frozenset[int]:
    """Every `bswap(idA ^ idB)` two glibc IDs built 1..gap ns apart can show."""
    found = set()
    for top in range(24):
        for mask in range(max(1 << top, (1 << (top + 1)) - gap), 1 << (top + 1)):
            found.add((mask ^ (mask >> 8)) & 0xFFFF)
    return frozenset(found)


def glibc_ids_fit(a: int, b: int) -> bool:
    swapped = ((a ^ b) & 0xFF) << 8 | (a ^ b) >> 8
    return swapped in _glibc_xor_set(GLIBC_BUILD_GAP)


GLIBC_FIT_BY_CHANCE = len(_glibc_xor_set(GLIBC_BUILD_GAP)) / 65536


def coarse_tick(query_id: int, ts: float) -> tuple[int, float] | None:
    """(tick ns, ms before the capture) when the ID is musl's formula for a coarse-clock tick."""
    ns = round((ts % 1) * 1e9)
    for tick in sorted(COARSE_TICKS_NS, reverse=True):  # the coarsest tick that fits
        first = (ns - COARSE_LOOKBACK_NS) // tick * tick
        for reading in range(max(first, 0), ns + 1, tick):
            if musl_id(reading % 1_000_000_000) == query_id:
                return tick, (ns - reading) / 1e6
    return None


COARSE_FIT_BY_CHANCE = sum(COARSE_LOOKBACK_NS // t + 1 for t in COARSE_TICKS_NS) / 65536


def infer(txs: list[Transaction]) -> Verdict:
    """The verdict for one getaddrinfo call's transactions (UDP and TCP, A and AAAA)."""
    pair = _first_pair(txs)
    if pair is None:
        return Verdict("unknown", 0.0, ("no A/AAAA pair",), key_clue="no A/AAAA pair")
    clues = [c for c in _clues(txs, *pair) if c is not None]
    logs = [sum(math.log(c.chance[i]) for c in clues) for i in range(len(LIBRARIES))]
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    best = max(range(len(LIBRARIES)), key=lambda i: weights[i])
    confidence = weights[best] / sum(weights)
    second = max((i for i in range(len(LIBRARIES)) if i != best), key=lambda i: weights[i])
    key = max(clues, key=lambda c: c.chance[best] / c.chance[second])
    library = LIBRARIES[best]
    return Verdict(
        library,
        confidence,
        tuple(c.text for c in clues),
        _musl_version(clues) if library == "musl" else None,
        key.text,
    )


def _musl_version(clues: Iterable[Clue]) -> str | None:
    for clue in clues:
        if "musl >= 1.2.4" in clue.text:
            return ">= 1.2.4"
        if "musl <= 1.2.3" in clue.text:
            return "<= 1.2.3"
    return None


def _first_pair(txs: list[Transaction]) -> tuple[Transaction, Transaction] | None:
    udp = [tx for tx in txs if tx.transport == "udp" and tx.sends]
    for a in udp:
        if a.qtype != TYPE_A:
            continue
        for b in udp:
            if b.qtype == TYPE_AAAA and b.qname == a.qname and abs(b.first_ts - a.first_ts) < 1:
                return a, b
    return None


def _clues(txs: list[Transaction], a: Transaction, b: Transaction) -> Iterable[Clue | None]:
    yield _sockets(a, b)
    yield from _ids(a, b)
    yield _servers(txs)
    yield _retries(txs)
    yield _truncation(txs)
    yield _edns(txs)


def _sockets(a: Transaction, b: Transaction) -> Clue:
    if a.cport == b.cport:
        return Clue(f"A and AAAA from one socket (port {a.cport})", (1.0, 0.97, 0.002))
    return Clue(f"A and AAAA from two sockets (ports {a.cport}, {b.cport})", (0.001, 0.03, 0.998))


def _ids(a: Transaction, b: Transaction) -> Iterable[Clue]:
    step = (b.id - a.id) & 0xFFFF
    tick = coarse_tick(a.id, a.sends[0].ts)
    if tick is not None and step in (0, 0x100):
        where = f"a {tick[0] // 1_000_000} ms clock tick {tick[1]:.1f} ms before the capture"
        chance = COARSE_FIT_BY_CHANCE
        if step == 0:
            text = f"A and AAAA share ID 0x{a.id:04x}, musl's formula for {where}: musl <= 1.2.3"
        else:
            text = f"AAAA ID = A ID 0x{a.id:04x} + 0x100, A from {where}: musl >= 1.2.4"
        yield Clue(text, (0.9, chance, chance))
        return
    if step == 0:
        yield Clue(f"A and AAAA share ID 0x{a.id:04x} (coarse clock)", (0.1, 0.1, 1 / 65536))
        return
    musl_fit = 0 < step < MUSL_BUILD_GAP
    yield Clue(
        f"AAAA ID - A ID = {step}: "
        + ("musl's clock IDs built that many ns apart" if musl_fit else "not musl's clock IDs"),
        (0.95, 0.07, MUSL_BUILD_GAP / 65536) if musl_fit else (0.05, 0.93, 0.98),
    )
    chance = GLIBC_FIT_BY_CHANCE
    if glibc_ids_fit(a.id, b.id):
        yield Clue("A and AAAA IDs fit glibc's random_bits() clock", (chance, 0.97, chance))
    else:
        yield Clue(
            "A and AAAA IDs do not fit glibc's random_bits()", (1 - chance, 0.03, 1 - chance)
        )


def _servers(txs: list[Transaction]) -> Clue | None:
    """musl sends to every nameserver before any answer; glibc and Go move on after one."""
    sends = sorted(
        (send.ts, send.server, tx)
        for tx in txs
        if tx.transport == "udp" and tx.qtype == TYPE_A
        for send in tx.sends
    )
    if len({server for _, server, _ in sends}) < 2:
        return None
    first_ts, first_server, first_tx = sends[0]
    second_ts = next(ts for ts, server, _ in sends if server != first_server)
    heard = [r.ts for r in first_tx.replies] + [n.ts for n in first_tx.icmp]
    if second_ts - first_ts < AT_ONCE_S and not any(ts <= second_ts for ts in heard):
        servers = len({server for _, server, _ in sends})
        return Clue(
            f"one socket to every server at once ({servers} nameservers)", (0.99, 0.001, 0.001)
        )
    return Clue(
        f"nameservers asked one after another ({second_ts - first_ts:.3f} s apart)",
        (0.01, 0.99, 0.99),
    )


def _retries(txs: list[Transaction]) -> Clue | None:
    ids: dict[tuple[str, int], set[int]] = {}
    resent = False
    for tx in txs:
        if tx.transport == "udp":
            ids.setdefault((tx.qname, tx.qtype), set()).add(tx.id)
            resent |= len(tx.sends) > 1 and len({s.server for s in tx.sends}) < len(tx.sends)
    if any(len(v) > 1 for v in ids.values()):
        return Clue("a query retried with a new ID from a new socket", (0.001, 0.01, 1.0))
    if resent:
        return Clue("a query resent with the same ID", (1.0, 1.0, 0.001))
    return None


def _truncation(txs: list[Transaction]) -> Clue | None:
    truncated = [(tx, r) for tx in txs if tx.transport == "udp" for r in tx.replies if r.message.tc]
    if not truncated:
        return None
    tx, reply = truncated[0]
    tcp = any(t.transport == "tcp" and t.qname == tx.qname and t.qtype == tx.qtype for t in txs)
    if tcp:
        return Clue(f"TCP retry after TC=1 (frame {reply.frame})", (0.02, 0.99, 0.99))
    return Clue(f"no TCP retry after TC=1 (frame {reply.frame}): musl <= 1.2.3", (0.98, 0.01, 0.01))


def _edns(txs: list[Transaction]) -> Clue | None:
    replies = [r for tx in txs for r in tx.replies if not r.unexpected_source]
    if not replies:
        return None
    if any(r.message.edns for r in replies):
        return Clue("answers carry EDNS OPT: the queries offered EDNS", (0.001, 0.05, 0.95))
    return Clue("answers without EDNS OPT", (0.999, 0.95, 0.1))


def client_calls(
    txs: list[Transaction], assume_go: bool = False
) -> list[tuple[list[Transaction], Verdict]]:
    """The lookup's getaddrinfo calls, each with the verdict on its library.

    Calls are split as `steps.split_calls` splits them (a name and type asked again with a new
    ID starts a call: musl and glibc keep the ID for every resend). Go gives every retry a new
    ID, so a call whose repeated queries were all left without a final answer in the previous
    call, after a call inferred as Go, is folded back into it. `assume_go` (the user named Go
    with --client) folds without waiting for the inference, which needs an A/AAAA pair.
    """
    calls: list[tuple[list[Transaction], Verdict]] = []
    for group in group_by_new_id(txs):
        if calls and _retries_only(calls[-1][0], group):
            merged = calls[-1][0] + group
            verdict = infer(merged)
            if assume_go or _is_go(calls[-1][1]) or _is_go(verdict):
                calls[-1] = (merged, verdict)
                continue
        calls.append((group, infer(group)))
    return calls


def _is_go(verdict: Verdict) -> bool:
    return verdict.library == "go" and verdict.confident


def _retries_only(earlier: list[Transaction], group: list[Transaction]) -> bool:
    """Every query of `group` asked in `earlier` was left there without a final answer."""
    last: dict[tuple[str, int], Transaction] = {}
    for tx in earlier:
        last[(tx.qname, tx.qtype)] = tx
    repeated = [last[k] for tx in group if (k := (tx.qname, tx.qtype)) in last]
    return bool(repeated) and not any(_final(tx) for tx in repeated)


def _final(tx: Transaction) -> bool:
    """Go stops retrying a query after NOERROR or NXDOMAIN that is not truncated or lame."""
    for reply in tx.replies:
        msg = reply.message
        if reply.unexpected_source or msg.tc:
            continue
        lame = msg.rcode == 0 and not msg.aa and not msg.ra and msg.ancount == 0
        if msg.rcode in (0, 3) and not lame:
            return True
    return False
