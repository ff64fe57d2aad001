"""The claimed lookups the report still lists (NXDOMAIN ones), rebuilt without their frames.

The capture fast path (engine/triage.py) also claims quick, isolated NXDOMAIN lookups: they
are notable, so the report lists them, but the Python path would spend ~300 µs each to learn
what the C pass already knows. `ListedClaims` turns the C pass's record of each one into the
`Lookup` (with its transactions, sends and replies) the grouper would have built, and numbers
it as the Python path would have: a uid counts everything created before it, so it is fixed only
once the second pass has gone past its frame (`due`, called before each datagram).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import ANSWERED, Reply, Send, Transaction
from dnsdoctor.evidence.dns_message import RCODE_NXDOMAIN, DnsMessage, name_text

if TYPE_CHECKING:
    from dnsdoctor.engine.lookups import LookupGrouper
    from dnsdoctor.engine.pairing import PairingEngine
    from dnsdoctor.engine.triage import TriagePlan

_BATCH = 4096  # records fetched from the C pass at a time: memory stays flat on huge captures


def _labels(wire: bytes) -> list[bytes]:
    labels, pos = [], 0
    while pos < len(wire):
        length = wire[pos]
        labels.append(wire[pos + 1 : pos + 1 + length])
        pos += 1 + length
    return labels


class _Pending:
    __slots__ = ("frames", "lookup", "lookup_rank", "ranks")

    def __init__(self, lookup: Lookup, frames: list[int], ranks: list[int], rank: int) -> None:
        self.lookup = lookup
        self.frames = frames  # query frames still waiting for their uid, in order
        self.ranks = ranks
        self.lookup_rank = rank


class ListedClaims:
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
        self._pending: list[_Pending] = []
        self._next: _Pending | None = self._take()

    def _records(self, plan: TriagePlan) -> Iterator[tuple[Any, ...]]:
        for start in range(0, plan.listed, _BATCH):
            yield from plan.listed_records(start, start + _BATCH)

    def _take(self) -> _Pending | None:
        record = next(self._source, None)
        return None if record is None else self._build(record)

    def due(self, position: int) -> None:
        """Number and emit what lies before record `position`: everything the Python path
        created before it has been created by now, and nothing after it yet."""
        while self._next is not None and self._next.frames[0] < position:
            self._pending.append(self._next)
            self._next = self._take()
        if not self._pending:
            return
        still = []
        for item in self._pending:
            lookup = item.lookup
            if lookup.uid == 0:
                lookup.uid = self._grouper.next_uid + item.lookup_rank
            txs = lookup.transactions
            done = len(txs) - len(item.frames)
            while item.frames and item.frames[0] < position:
                txs[done].uid = self._engine.next_uid + item.ranks[0]
                txs[done].lookup = lookup.uid
                del item.frames[0], item.ranks[0]
                done += 1
            if item.frames:
                still.append(item)
            else:
                self._emit(lookup)
        self._pending = still

    def finish(self) -> None:
        self.due(2**63)

    def _build(self, record: tuple[Any, ...]) -> _Pending:
        lookup_rank, client, start, end, last_query, wire, tx_records = record
        qname = name_text(_labels(wire))
        lookup = Lookup(0, client, qname.split(".", 1)[0], start, last_query, [qname])
        lookup.end = end
        lookup.outcome = "nxdomain"
        iface = self._interface
        frames, ranks = [], []
        for (
            qframe, rank, cport, ident, qtype, qflags, server, sport, qts,
            rframe, rts, rflags, nscount, arcount, edns, soa,
        ) in tx_records:  # fmt: skip
            message = DnsMessage(
                ident, rflags, 1, 0, nscount, arcount, qname, None, qtype, 1, RCODE_NXDOMAIN,
                edns, has_soa=soa,
            )  # fmt: skip
            tx = Transaction(
                0, client, cport, "udp", ident, qname, qtype, 1, 0, qflags,
                sends=[Send(qframe, qts, server, sport, iface)],
                replies=[Reply(rframe, rts, server, sport, message, iface)],
                servers={server}, outcome=ANSWERED, last_ts=rts,
            )  # fmt: skip
            lookup.transactions.append(tx)
            frames.append(qframe)
            ranks.append(rank)
        return _Pending(lookup, frames, ranks, lookup_rank)
