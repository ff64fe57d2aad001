"""The library entry points. They return data; they never print or exit."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dnsdoctor.engine.claimed_lookups import ClaimedLookups
from dnsdoctor.engine.lookups import Lookup, LookupGrouper
from dnsdoctor.engine.pairing import Orphan, PairingEngine
from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.engine.triage import TriagePlan, triage_capture
from dnsdoctor.evidence.capture.reader import CaptureReader
from dnsdoctor.evidence.capture.records import Damage, Datagram, IcmpError
from dnsdoctor.evidence.dns_message import MalformedMessage, parse_message
from dnsdoctor.model import Report, Severity
from dnsdoctor.replay.driver import LookupReplayer
from dnsdoctor.rules.base import CaptureContext, CaptureRule
from dnsdoctor.rules.registry import capture_rules

DAMAGE_KEPT = 200  # damage records listed in a report; the rest are counted by kind


@dataclass
class CaptureOptions:
    ports: frozenset[int] = frozenset({53})
    rules: Iterable[type[CaptureRule]] | None = None  # None: every rule
    on_transaction: Callable[[Transaction], None] | None = None  # set: the fast path stays off
    # With the fast path on, the clean lookups it claimed (quick, single-name successes, never
    # `render.records.is_notable`) are counted but not passed here; the NXDOMAIN and half-lost
    # ones it claimed are, rebuilt (engine/claimed_lookups.py). fast_path=False passes all.
    on_lookup: Callable[[Lookup], None] | None = None
    progress: Callable[[int, int], None] | None = None
    linger: float = 30.0
    replayer: LookupReplayer | None = None  # None: every model, documented defaults
    # Claim clean lookups in C first (engine/triage.py). Off when every transaction or every
    # lookup must be reported one by one (on_transaction set, or the replay of every lookup).
    fast_path: bool = True


@dataclass
class _Counters:
    dns_messages: int = 0
    queries: int = 0
    responses: int = 0
    transactions: int = 0
    lookups: int = 0
    malformed: int = 0
    orphans: int = 0
    damage_by_kind: dict[str, int] = field(default_factory=dict)


class _Analysis:
    """One pass over a capture: the reader feeds the engine, the engine feeds the rules."""

    def __init__(self, path: str, options: CaptureOptions) -> None:
        self.path = path
        self.options = options
        self.report = Report(source=path)
        self.fast_path: dict[str, Any] = {"used": False, "why": "not run"}
        self.counters = _Counters()
        self.rules = [rule() for rule in (options.rules or capture_rules())]
        self.replayer = options.replayer or LookupReplayer()
        replay_rules = [rule for rule in self.rules if hasattr(rule, "use_replayer")]
        for rule in replay_rules:
            rule.use_replayer(self.replayer)
        self._replays = bool(replay_rules)
        self._tx_hooks = self._hooks("on_transaction")
        self._lookup_hooks = self._hooks("on_lookup")
        self._orphan_hooks = self._hooks("on_orphan")
        self._malformed_hooks = self._hooks("on_malformed")
        self.grouper = LookupGrouper(self._lookup_done)
        self.engine = PairingEngine(
            self._transaction_done,
            self._orphan,
            self.grouper.on_new_transaction,
            linger=options.linger,
        )

    def _hooks(self, name: str) -> list[Callable[..., None]]:
        return [getattr(rule, name) for rule in self.rules if name in type(rule).hooks()]

    def _triage(self) -> TriagePlan | None:
        options = self.options
        if not options.fast_path or options.on_transaction is not None:
            self.fast_path = {"used": False, "why": "turned off"}
            return None
        if self.replayer.options.every_lookup:
            self.fast_path = {"used": False, "why": "every lookup is listed and replayed"}
            return None
        progress = options.progress
        first_half = (lambda done, total: progress(done // 2, total)) if progress else None
        # NXDOMAIN lookups can be claimed only when nothing would replay them
        negatives = not self._replays or self.replayer.skips_negative
        plan, why = triage_capture(
            self.path, options.ports, options.linger, self.grouper.gap, first_half, negatives
        )
        if plan is None:
            self.fast_path = {"used": False, "why": why}
        else:
            folded = plan.folded
            self.fast_path = {
                "used": True,
                "claimed_lookups": folded.lookups,
                "claimed_frames": 2 * folded.transactions,
                "listed_lookups": plan.listed,  # NXDOMAIN ones, listed in the report
                "handed_lookups": plan.records - plan.listed,  # half-lost ones, built whole
            }
        return plan

    def run(self) -> Report:
        plan = self._triage()
        progress = self.options.progress
        if plan is not None and progress is not None:
            second_half = progress

            def progress(done: int, total: int) -> None:
                second_half(total // 2 + done // 2, total)

        reader = CaptureReader(
            self.path, self.options.ports, progress, plan.claims if plan is not None else b""
        )
        engine = self.engine
        feed = engine.feed
        listed = None
        if plan is not None:
            engine.first_hint = plan.first_claim
            if plan.records:
                listed = ClaimedLookups(plan, engine, self.grouper, self._listed_lookup)
        try:
            for record in reader.records():
                if type(record) is Datagram:
                    if plan is not None:
                        if listed is not None:  # before the counts: handing over sets them
                            listed.due(reader.position())
                        engine.claimed_before, self.grouper.claimed_before = reader.claimed_counts()
                    self._datagram(record, feed)
                elif type(record) is IcmpError:
                    engine.feed_icmp(record)
                elif isinstance(record, Damage):
                    self._damage(record)
        finally:
            if listed is not None:
                listed.finish()
            if plan is not None:  # the Python path would have swept at the last claimed message
                engine.advance(plan.last_claim_ts)
            engine.finish(reader.stats.last_ts)
            self.grouper.flush()
        if plan is not None:
            self._fold(plan)
        stats = reader.stats
        context = CaptureContext(self.path, stats.first_ts, stats.last_ts, stats.packets)
        self._finish_rules(context)
        self.report.stats = self._stats(reader)
        return self.report

    def _datagram(self, dg: Datagram, feed: Callable[[Datagram, Any], None]) -> None:
        self.counters.dns_messages += 1
        try:
            msg = parse_message(dg.payload)
        except MalformedMessage as exc:
            if not dg.truncated:
                self._malformed(dg, None, exc.reason, exc.offset)
            return
        if msg.malformed is not None and not dg.truncated:
            self._malformed(dg, msg, msg.malformed, msg.malformed_offset or 0)
            if msg.qname is None and msg.qdcount:
                return
        if msg.is_response:
            self.counters.responses += 1
        else:
            self.counters.queries += 1
        feed(dg, msg)

    def _fold(self, plan: TriagePlan) -> None:
        """The claimed lookups, as counters: what the Python path would have added up."""
        folded = plan.folded
        c = self.counters
        handed = plan.records - plan.listed  # two queries and one answer each, not parsed here
        c.dns_messages += 2 * folded.transactions + 3 * handed
        c.queries += folded.transactions + 2 * handed
        c.responses += folded.transactions + handed
        c.transactions += folded.transactions
        c.lookups += folded.lookups
        for hook in self._hooks("on_folded"):
            hook(folded)
        if self._replays and self.replayer.options.enabled:
            # what the replay would have skipped: the listed ones are uniformly negative
            self.replayer.skipped_clean += folded.lookups - plan.listed
            self.replayer.skipped_negative += plan.listed

    def _malformed(self, dg: Datagram, msg: Any, reason: str, offset: int) -> None:
        self.counters.malformed += 1
        for hook in self._malformed_hooks:
            hook(dg, msg, reason, offset)

    def _damage(self, damage: Damage) -> None:
        kinds = self.counters.damage_by_kind
        kinds[damage.kind] = kinds.get(damage.kind, 0) + 1
        if len(self.report.damage) < DAMAGE_KEPT or damage.fatal:
            self.report.damage.append(
                {
                    "kind": damage.kind,
                    "offset": damage.offset,
                    "frame": damage.frame,
                    "fatal": damage.fatal,
                    "detail": damage.detail,
                }
            )

    def _transaction_done(self, tx: Transaction) -> None:
        self.counters.transactions += 1
        self.grouper.on_finished_transaction(tx)
        for hook in self._tx_hooks:
            hook(tx)
        if self.options.on_transaction is not None:
            self.options.on_transaction(tx)

    def _lookup_done(self, lookup: Lookup) -> None:
        self.counters.lookups += 1
        for hook in self._lookup_hooks:
            hook(lookup)
        if self.options.on_lookup is not None:
            self.options.on_lookup(lookup)

    def _listed_lookup(self, lookup: Lookup) -> None:
        """A claimed NXDOMAIN lookup: counted in `_fold`, seen by the rules only as folded."""
        if self.options.on_lookup is not None:
            self.options.on_lookup(lookup)

    def _orphan(self, orphan: Orphan) -> None:
        self.counters.orphans += 1
        for hook in self._orphan_hooks:
            hook(orphan)

    def _finish_rules(self, context: CaptureContext) -> None:
        for rule in self.rules:
            try:
                self.report.findings.extend(rule.finish(context))
            except Exception as exc:  # a broken rule must not hide the others' findings
                self.report.internal_errors.append(f"{rule.code} {rule.name}: {exc!r}")

    def _stats(self, reader: CaptureReader) -> dict[str, Any]:
        s, c = reader.stats, self.counters
        return {
            "file_format": s.file_format,
            "compressed": s.compressed,
            "bytes": s.bytes_read,
            "packets": s.packets,
            "link_types": dict(s.link_types),
            "interfaces": s.interfaces,
            "first_ts": s.first_ts,
            "last_ts": s.last_ts,
            "duration_s": (s.last_ts - s.first_ts)
            if s.first_ts is not None and s.last_ts is not None
            else 0.0,
            "dns_messages": c.dns_messages,
            "queries": c.queries,
            "responses": c.responses,
            "transactions": c.transactions,
            "lookups": c.lookups,
            "malformed_messages": c.malformed,
            "orphan_responses": c.orphans,
            "copies_folded": self.engine.copies.folded,
            "fast_path": self.fast_path,
            "icmp_errors": s.icmp_errors,
            "tcp_messages": s.tcp_messages,
            "reassembled_fragments": s.reassembled_fragments,
            "other_name_services": dict(s.other_name_services),
            "non_dns_packets": s.non_dns_packets,
            "damage": {
                "records": sum(c.damage_by_kind.values()),
                "by_kind": dict(c.damage_by_kind),
            },
        }


def analyze_capture(path: str | os.PathLike[str], options: CaptureOptions | None = None) -> Report:
    """Read a pcap/pcapng capture and return the findings, the statistics and any damage."""
    return _Analysis(os.fspath(path), options or CaptureOptions()).run()


def worst_severity(report: Report) -> Severity | None:
    return report.worst()
