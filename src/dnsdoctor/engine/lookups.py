"""Group what one application lookup sends into one Lookup.

A `getaddrinfo("api")` in a Kubernetes pod sends A and AAAA for `api.ns.svc.cluster.local.`,
then `api.svc.cluster.local.`, ... then `api.`, each maybe retried on a new socket or ID. The user
experiences one lookup: its outcome and its total time. Grouping is by client address (not port:
glibc and Go change sockets) and by the name's leading labels: a new name joins a lookup when it
shares the first label with the lookup's names, arrives within `gap` seconds of its last query,
and no earlier name of the lookup has been answered positively (a search list stops at the first
name that exists). Without the client's resolv.conf this is a heuristic; see the rule docs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dnsdoctor.engine.transaction import ANSWERED, IN_FLIGHT, Transaction
from dnsdoctor.evidence.dns_message import (
    RCODE_NOERROR,
    RCODE_NXDOMAIN,
    RCODE_REFUSED,
    RCODE_SERVFAIL,
)


@dataclass(slots=True)
class Lookup:
    uid: int
    client: str
    first_label: str
    start: float
    last_query: float
    names: list[str] = field(default_factory=list)  # distinct qnames in the order tried
    transactions: list[Transaction] = field(default_factory=list)
    open_count: int = 0
    positive: bool = False
    end: float = 0.0
    outcome: str = ""
    addresses: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return max(self.end, self.last_query) - self.start

    @property
    def queries(self) -> int:
        return sum(len(tx.sends) for tx in self.transactions)

    def negative_names(self) -> list[str]:
        """Names of the chain that every answer said do not exist (NXDOMAIN or NODATA)."""
        result = []
        for name in self.names:
            txs = [tx for tx in self.transactions if tx.qname == name and tx.answer is not None]
            if txs and all(_negative(tx) for tx in txs):
                result.append(name)
        return result


def _negative(tx: Transaction) -> bool:
    reply = tx.answer
    if reply is None:
        return False
    msg = reply.message
    return msg.rcode == RCODE_NXDOMAIN or (msg.rcode == RCODE_NOERROR and not msg.addresses)


def _positive(tx: Transaction) -> bool:
    reply = tx.answer
    return (
        reply is not None and reply.message.rcode == RCODE_NOERROR and bool(reply.message.addresses)
    )


class LookupGrouper:
    def __init__(self, on_lookup: Callable[[Lookup], None], gap: float = 12.0) -> None:
        self._emit = on_lookup
        self._gap = gap
        self._active: dict[str, list[Lookup]] = {}
        self._next_uid = 1
        self._next_flush = 0.0

    def on_new_transaction(self, tx: Transaction) -> None:
        name = tx.qname
        label = name.split(".", 1)[0]
        lookups = self._active.setdefault(tx.client, [])
        chosen = None
        for lookup in reversed(lookups):
            if tx.sends[0].ts - lookup.last_query > self._gap:
                continue
            if name in lookup.names or (label == lookup.first_label and not lookup.positive):
                chosen = lookup
                break
        if chosen is None:
            chosen = Lookup(self._next_uid, tx.client, label, tx.sends[0].ts, tx.sends[0].ts)
            self._next_uid += 1
            lookups.append(chosen)
        if name not in chosen.names:
            chosen.names.append(name)
        chosen.transactions.append(tx)
        chosen.open_count += 1
        chosen.last_query = max(chosen.last_query, tx.sends[-1].ts)
        tx.lookup = chosen.uid

    def on_finished_transaction(self, tx: Transaction, now: float) -> None:
        for lookup in self._active.get(tx.client, ()):
            if lookup.uid == tx.lookup:
                lookup.open_count -= 1
                lookup.last_query = max(lookup.last_query, tx.sends[-1].ts)
                if _positive(tx):
                    lookup.positive = True
                break
        if now >= self._next_flush:
            self.flush(now)
            self._next_flush = now + 1.0

    def flush(self, now: float | None) -> None:
        """Emit lookups whose transactions are all finished and that are idle past `gap`."""
        for client in list(self._active):
            keep = []
            for lookup in self._active[client]:
                idle = now is None or now - lookup.last_query > self._gap
                if lookup.open_count <= 0 and idle:
                    self._finish(lookup)
                else:
                    keep.append(lookup)
            if keep:
                self._active[client] = keep
            else:
                del self._active[client]

    def _finish(self, lookup: Lookup) -> None:
        lookup.transactions.sort(key=lambda tx: tx.first_ts)
        ends = [r.ts for tx in lookup.transactions for r in tx.replies if not r.unexpected_source]
        lookup.end = max(ends, default=lookup.last_query)
        lookup.outcome = _outcome(lookup)
        for tx in lookup.transactions:
            if _positive(tx):
                reply = tx.answer
                assert reply is not None
                lookup.addresses.extend(
                    a for a in reply.message.addresses if a not in lookup.addresses
                )
        self._emit(lookup)


def _outcome(lookup: Lookup) -> str:
    txs = lookup.transactions
    if any(_positive(tx) for tx in txs):
        return "answered"
    answered = [tx for tx in txs if tx.outcome == ANSWERED]
    if any(tx.outcome == IN_FLIGHT for tx in txs) and not answered:
        return "in-flight-at-end"
    if not answered:
        return "no-answer"
    last = answered[-1].answer
    assert last is not None
    rcode = last.message.rcode
    if rcode == RCODE_NXDOMAIN:
        return "nxdomain"
    if rcode == RCODE_NOERROR:
        return "nodata"
    if rcode == RCODE_SERVFAIL:
        return "servfail"
    if rcode == RCODE_REFUSED:
        return "refused"
    return f"rcode-{rcode}"
