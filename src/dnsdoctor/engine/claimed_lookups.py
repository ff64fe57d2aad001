"""Claimed lookups Python still needs, rebuilt from the C pass's record instead of their frames.

The capture fast path (engine/triage.py) claims two kinds besides the clean ones it only counts:
* quick, isolated NXDOMAIN lookups. The report lists them (they are notable) but no rule or
  replay learns anything from them beyond counts, so they are *listed*: passed to `emit` (the
  report's `on_lookup`) as the Lookup the grouper would have built, and folded for the rules;
* half-lost lookups: A and AAAA from one socket, one answered, the other never. Rules and the
  replay do use those, so they are *handed over*: their transactions enter the pairing engine
  as if just paired (`PairingEngine.hand_over`), and close, group and reach every rule through
  the same code, in the same order, as without the fast path.
Either way Python skips decoding, parsing and pairing their frames (~150 µs a lookup).

A uid counts everything created before it, so a rebuilt lookup is numbered only once the second
pass has gone past each of its queries (`due`, called before each datagram): the engine and
grouper counters then hold exactly what the Python path had created before that query, and the
C pass says how many claimed (folded) lookups and transactions precede it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import ANSWERED, Reply, Send, Transaction
from dnsdoctor.evidence.dns_message import RCODE_NXDOMAIN, DnsMessage, name_text, parse_message

if TYPE_CHECKING:
    from dnsdoctor.engine.lookups import LookupGrouper
    from dnsdoctor.engine.pairing import PairingEngine
    from dnsdoctor.engine.triage import TriagePlan

_BATCH = 4096  # records fetched from the C pass at a time: memory stays flat on huge captures
_NAMES_KEPT = 20_000  # names remembered in their presentation form (busy captures repeat them)


def _labels(wire: bytes) -> list[bytes]:
    labels, pos = [], 0
    while pos < len(wire):
        length = wire[pos]
        labels.append(wire[pos + 1 : pos + 1 + length])
        pos += 1 + length
    return labels


class _Pending:
    """One rebuilt lookup whose queries the second pass has not all passed yet."""

    __slots__ = ("handed", "lookup", "lookup_rank", "next_tx", "ranks")

    def __init__(self, handed: bool, lookup: Lookup, ranks: list[int], lookup_rank: int) -> None:
        self.handed = handed
        self.lookup = lookup
        self.ranks = ranks  # claimed transactions before each query
        self.lookup_rank = lookup_rank
        self.next_tx = 0  # the transactions before this one are numbered

    def next_frame(self) -> int:
        return self.lookup.transactions[self.next_tx].sends[0].frame


class ClaimedLookups:
    def __init__(
        self,
        plan: TriagePlan,
        engine: PairingEngine,
        grouper: LookupGrouper,
        emit: Callable[[Lookup], None],
    ) -> None:
        self._source = self._records(plan)
        self._engine = engine
        self._grouper = grouper
        self._emit = emit
        self._interface = max(plan.interface, 0)
        self._names: dict[bytes, tuple[str, str]] = {}  # wire name -> (name, first label)
        self._waiting: list[tuple[int, int, _Pending]] = []  # (next query frame, order, lookup)
        self._taken = 0
        self._next: _Pending | None = self._take()

    def _records(self, plan: TriagePlan) -> Iterator[tuple[Any, ...]]:
        for start in range(0, plan.records, _BATCH):
            yield from plan.lookup_records(start, start + _BATCH)

    def _take(self) -> _Pending | None:
        record = next(self._source, None)
        return None if record is None else self._build(record)

    def due(self, position: int) -> None:
        """Number, in frame order, every query before record `position`; emit or hand over
        the lookups whose queries are all numbered."""
        waiting = self._waiting
        while self._next is not None and self._next.next_frame() < position:
            heapq.heappush(waiting, (self._next.next_frame(), self._taken, self._next))
            self._taken += 1
            self._next = self._take()
        while waiting and waiting[0][0] < position:
            _, order, item = heapq.heappop(waiting)
            self._number(item)
            if item.next_tx < len(item.lookup.transactions):
                heapq.heappush(waiting, (item.next_frame(), order, item))
            elif not item.handed:
                self._emit(item.lookup)

    def finish(self) -> None:
        self.due(2**63)

    def _number(self, item: _Pending) -> None:
        lookup = item.lookup
        tx = lookup.transactions[item.next_tx]
        rank = item.ranks[item.next_tx]
        item.next_tx += 1
        if item.handed:
            if item.next_tx == 1:  # the grouper numbers and opens the lookup at its first query
                self._grouper.claimed_before = item.lookup_rank
            self._engine.hand_over(tx, rank)
            return
        if item.next_tx == 1:
            lookup.uid = self._grouper.next_uid + item.lookup_rank
        tx.uid = self._engine.next_uid + rank
        tx.lookup = lookup.uid

    def _build(self, record: tuple[Any, ...]) -> _Pending:
        handed, lookup_rank, client, start, end, last_query, wire, tx_records = record
        names = self._names.get(wire)
        if names is None:
            if len(self._names) > _NAMES_KEPT:
                self._names.clear()
            qname = name_text(_labels(wire))
            names = self._names[wire] = (qname, qname.split(".", 1)[0])
        qname, label = names
        lookup = Lookup(0, client, label, start, last_query, [qname])
        lookup.end = end
        lookup.outcome = "nxdomain"
        iface = self._interface
        ranks = []
        for (
            qframe, rank, cport, ident, qtype, qflags, server, sport, qts,
            rframe, rts, rflags, nscount, arcount, edns, soa, answer,
        ) in tx_records:  # fmt: skip
            tx = Transaction(
                0, client, cport, "udp", ident, qname, qtype, 1, 0, qflags,
                sends=[Send(qframe, qts, server, sport, iface)], servers={server}, last_ts=qts,
            )  # fmt: skip
            if rframe:
                # a handed lookup's answer carries addresses: parsed as the Python path would
                message = parse_message(answer) if handed else DnsMessage(
                    ident, rflags, 1, 0, nscount, arcount, qname, None, qtype, 1, RCODE_NXDOMAIN,
                    edns, has_soa=soa,
                )  # fmt: skip
                tx.replies.append(Reply(rframe, rts, server, sport, message, iface))
                tx.last_ts = rts
            if not handed:
                tx.outcome = ANSWERED
            lookup.transactions.append(tx)
            ranks.append(rank)
        return _Pending(handed, lookup, ranks, lookup_rank)
