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
    """Indexes keep each step O(1): a busy node capture has hundreds of thousands of lookups open
    within one `gap`, and scanning them per query or per flush was most of the run time.

    A lookup is finished the moment its last open transaction closes. Transactions close only
    after `linger` (> `gap`) seconds of quiet, so no later query could still join it; finishing
    then, instead of on a timer, makes the order lookups come out in depend only on their own
    packets, which the capture fast path relies on (engine/triage.py).
    """

    def __init__(self, on_lookup: Callable[[Lookup], None], gap: float = 12.0) -> None:
        self._emit = on_lookup
        self._gap = gap
        self._active: dict[int, Lookup] = {}
        self._by_name: dict[tuple[str, str], Lookup] = {}  # (client, qname) -> newest lookup
        self._by_label: dict[tuple[str, str], Lookup] = {}  # (client, first label) -> newest
        self._next_uid = 1
        self.claimed_before = 0  # lookups the capture fast path claimed before this point

    @property
    def gap(self) -> float:
        return self._gap

    @property
    def next_uid(self) -> int:
        """The uid the next lookup built here gets, before the claimed ones are added."""
        return self._next_uid

    def on_new_transaction(self, tx: Transaction) -> None:
        name = tx.qname
        client = tx.client
        ts = tx.sends[0].ts
        label = name.split(".", 1)[0]
        chosen = None
        same_name = self._by_name.get((client, name))
        if same_name is not None and ts - same_name.last_query <= self._gap:
            chosen = same_name
        same_label = self._by_label.get((client, label))
        if (
            same_label is not None
            and not same_label.positive
            and ts - same_label.last_query <= self._gap
            and (chosen is None or same_label.uid > chosen.uid)
        ):
            chosen = same_label
        if chosen is None:
            chosen = Lookup(self._next_uid + self.claimed_before, client, label, ts, ts)
            self._next_uid += 1
            self._active[chosen.uid] = chosen
            self._by_label[(client, label)] = chosen
        if name not in chosen.names:
            chosen.names.append(name)
        self._by_name[(client, name)] = chosen
        chosen.transactions.append(tx)
        chosen.open_count += 1
        chosen.last_query = max(chosen.last_query, tx.sends[-1].ts)
        tx.lookup = chosen.uid

    def on_finished_transaction(self, tx: Transaction) -> None:
        lookup = self._active.get(tx.lookup)
        if lookup is None:
            return
        lookup.open_count -= 1
        lookup.last_query = max(lookup.last_query, tx.sends[-1].ts)
        if _positive(tx):
            lookup.positive = True
        if lookup.open_count <= 0:
            self._retire(lookup)

    def flush(self) -> None:
        """Finish every lookup still open (the end of the capture)."""
        for remaining in list(self._active.values()):
            self._retire(remaining)

    def _retire(self, lookup: Lookup) -> None:
        del self._active[lookup.uid]
        client = lookup.client
        for name in lookup.names:
            if self._by_name.get((client, name)) is lookup:
                del self._by_name[(client, name)]
        if self._by_label.get((client, lookup.first_label)) is lookup:
            del self._by_label[(client, lookup.first_label)]
        self._finish(lookup)

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
