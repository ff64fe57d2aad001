"""Decide which lookups need a replay, run the models, keep the results for rules and reports.

A clean lookup (one name, every query sent once and answered once with NOERROR, distinct IDs,
no ICMP, no TC, no stray or mismatched answer, at least one address) gets the same result from
every library: the addresses on the wire. A uniformly negative lookup (the same, but every answer
NXDOMAIN) gets "no such name" from every library when its last answer arrives, unless the
client's resolv.conf is given (its search list could send the library on to names the capture
does not have). Neither is replayed: the replay is for lookups whose outcome could depend on the
library, and it stays off the capture path's hot loop.

Once the report's CALLS_KEPT calls are listed, a call of one known shape is counted without
running the models: A and AAAA from one socket with distinct IDs, each sent once, one answered
once (NOERROR, addresses, quickly, by the server asked) and the other never answered. With the
default models and settings no library can discard or confuse an answer there (one answer, its
own ID and question) and musl 1.2.3 and glibc 2.36 both give up with EAI_AGAIN, so neither
DD201 nor DD202 could count it: tests/replay/test_replay_shortcut.py runs the models on every
such call of generated captures to hold that. `calls_by_shortcut` counts them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA
from dnsdoctor.replay import glibc_2_36, go_1_19, musl_1_2_3, musl_1_2_4
from dnsdoctor.replay.glibc_repeat import merge_repeats
from dnsdoctor.replay.infer import Verdict, client_calls
from dnsdoctor.replay.outcome import AppResult
from dnsdoctor.replay.settings import ResolvConf, ResolverSettings
from dnsdoctor.replay.steps import Call, address_transactions

Model = Callable[[Call, ResolverSettings], AppResult]
MODELS: dict[str, Model] = {
    "musl-1.2.3": musl_1_2_3.replay,
    "glibc-2.36": glibc_2_36.replay,
    "musl-1.2.4": musl_1_2_4.replay,  # also 1.2.5; only with --client until the default grows
    "go-1.19": go_1_19.replay,  # with --client, or when the client is inferred as Go
}
DEFAULT_MODELS = ("musl-1.2.3", "glibc-2.36")  # replayed when the client library is not named
CALLS_KEPT = 500  # replayed calls listed in the JSON report; the rest are counted
QUICK_ANSWER_S = 0.5  # well before any library's first re-send (musl 2.5 s, glibc 5 s)


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    """`clients`: the models to run (every one when empty); `resolv_conf`: the client's file."""

    clients: tuple[str, ...] = ()
    resolv_conf: ResolvConf | None = None
    enabled: bool = True
    every_lookup: bool = False  # replay clean lookups too (`--all-lookups`)

    def models(self) -> list[str]:
        return list(self.clients) or list(DEFAULT_MODELS)

    def models_for(self, verdict: Verdict) -> list[str]:
        """`--client` wins; else the inferred library when confident; else the defaults."""
        if not self.clients and verdict.confident and verdict.model in MODELS:
            return [verdict.model]
        return self.models()

    def settings_for(self, model: str) -> ResolverSettings:
        conf = self.resolv_conf
        if conf is None:
            return ResolverSettings()
        if model.startswith("go"):
            return go_1_19.go_settings(conf)
        return conf.for_musl() if model.startswith("musl") else conf.for_glibc()


@dataclass(slots=True)
class ReplayedCall:
    call: Call
    results: dict[str, AppResult]
    verdict: Verdict | None = None  # the inferred client library (replay/infer.py)

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_library": self.verdict.to_dict() if self.verdict else None,
            "lookup": self.call.lookup_uid,
            "client": self.call.client,
            "names": self.call.names,
            "start": self.call.start,
            "results": {name: r.to_dict() for name, r in self.results.items()},
        }


@dataclass(slots=True)
class LookupReplayer:
    options: ReplaySettings = field(default_factory=ReplaySettings)
    kept: list[ReplayedCall] = field(default_factory=list)
    replayed_lookups: int = 0
    replayed_calls: int = 0
    skipped_clean: int = 0
    skipped_negative: int = 0
    skipped_other: int = 0
    by_shortcut: int = 0
    _last_uid: int = -1
    _last: list[ReplayedCall] = field(default_factory=list)

    @property
    def skips_negative(self) -> bool:
        """Uniformly negative lookups are not replayed (the capture fast path claims them)."""
        return not self.options.every_lookup and self.options.resolv_conf is None

    def _default_models(self) -> bool:
        return not self.options.clients and self.options.resolv_conf is None

    def replay(self, lookup: Lookup) -> list[ReplayedCall]:
        """Every getaddrinfo call in the lookup with each model's result; [] when not needed."""
        if lookup.uid == self._last_uid:
            return self._last
        self._last_uid, self._last = lookup.uid, self._replay(lookup)
        return self._last

    def _replay(self, lookup: Lookup) -> list[ReplayedCall]:
        if not self.options.enabled:
            return []
        txs = address_transactions(lookup)
        if txs is None:
            self.skipped_other += 1
            return []
        if not self.options.every_lookup:
            if is_clean(txs):
                self.skipped_clean += 1
                return []
            if self.skips_negative and is_negative(txs):
                self.skipped_negative += 1
                return []
        self.replayed_lookups += 1
        if len(self.kept) >= CALLS_KEPT and self._default_models() and is_half_lost(txs):
            self.replayed_calls += 1
            self.by_shortcut += 1
            return []
        calls = []
        named = self.options.clients
        assume_go = bool(named) and all(name.startswith("go") for name in named)
        for group, verdict in client_calls(txs, assume_go):
            call = go_1_19.go_call(lookup, group)
            results = {
                name: MODELS[name](call, self.options.settings_for(name))
                for name in self.options.models_for(verdict)
            }
            calls.append(ReplayedCall(call, results, verdict))
        calls = merge_repeats(calls)
        self.replayed_calls += len(calls)
        room = CALLS_KEPT - len(self.kept)
        self.kept.extend(calls[: max(room, 0)])
        return calls

    def summary(self) -> dict[str, Any]:
        conf = self.options.resolv_conf
        return {
            "models": self.options.models(),
            "resolv_conf": conf.path if conf is not None else None,
            "replayed_lookups": self.replayed_lookups,
            "replayed_calls": self.replayed_calls,
            "skipped_clean_lookups": self.skipped_clean,
            "skipped_negative_lookups": self.skipped_negative,
            "skipped_other_lookups": self.skipped_other,
            "calls_by_shortcut": self.by_shortcut,
            "calls": [c.to_dict() for c in self.kept],
        }


def is_clean(txs: list[Transaction]) -> bool:
    return _single_answers(txs) and any(tx.replies[0].message.addresses for tx in txs)


def is_negative(txs: list[Transaction]) -> bool:
    return _single_answers(txs, rcode=3)


def is_half_lost(txs: list[Transaction]) -> bool:
    """The shortcut's shape (see the module docstring)."""
    if len(txs) != 2:
        return False
    a, b = txs
    if {a.qtype, b.qtype} != {TYPE_A, TYPE_AAAA} or a.qname != b.qname or a.id == b.id:
        return False
    if a.transport != "udp" or (b.transport, b.cport) != ("udp", a.cport):
        return False
    answered, lost = (a, b) if a.replies else (b, a)
    if lost.replies or not answered.replies or len(answered.replies) != 1:
        return False
    for tx in txs:
        if len(tx.sends) != 1 or tx.mismatched or tx.icmp or tx.collisions:
            return False
    reply = answered.replies[0]
    msg = reply.message
    return (
        msg.rcode == 0
        and not msg.tc
        and bool(msg.addresses)
        and not reply.unexpected_source
        and reply.server == answered.sends[0].server
        and 0 <= reply.ts - answered.sends[0].ts < QUICK_ANSWER_S
    )


def _single_answers(txs: list[Transaction], rcode: int = 0) -> bool:
    """One name; every query sent once and answered once, with `rcode`, by the server it was
    sent to; distinct IDs; no TC, ICMP, mismatched or colliding answer."""
    if len({tx.qname for tx in txs}) != 1:
        return False
    ids: set[tuple[int, int]] = set()
    for tx in txs:
        if len(tx.sends) != 1 or len(tx.replies) != 1 or tx.mismatched or tx.icmp:
            return False
        if tx.collisions or (tx.cport, tx.id) in ids:
            return False
        ids.add((tx.cport, tx.id))
        msg = tx.replies[0].message
        if msg.rcode != rcode or msg.tc or tx.replies[0].unexpected_source:
            return False
    return True
