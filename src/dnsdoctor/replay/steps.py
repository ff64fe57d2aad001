"""Turn a Lookup into the packet sequence each getaddrinfo call saw, name by name.

A Lookup can hold several calls (the same name asked again within the grouping gap). A call is
split off when a name and type are asked again with a new query ID: musl resends with the same
ID, and glibc reuses its query buffer for every server and try, so a new ID means a new
`res_mkquery`, i.e. a new call (or glibc's getaddrinfo asking again internally).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import Reply, Transaction
from dnsdoctor.evidence.dns_message import TYPE_A, TYPE_AAAA

ADDRESS_TYPES = (TYPE_A, TYPE_AAAA)


@dataclass(frozen=True, slots=True)
class ReplyEvent:
    """One response datagram that reached a client socket of the call."""

    ts: float
    frame: int
    server: str
    sport: int
    cport: int
    transport: str
    id: int
    qtype: int | None  # the question the response carries
    header_rcode: int  # the 4 header bits (what musl reads)
    rcode: int  # with the EDNS extension
    addresses: tuple[str, ...]
    tc: bool
    aa: bool
    ra: bool
    ancount: int
    arcount: int
    answers: int | None  # qtype of the query it answers (ID and question), None: another question
    unexpected_source: bool


@dataclass(frozen=True, slots=True)
class IcmpEvent:
    ts: float
    frame: int
    server: str


@dataclass(slots=True)
class NameStep:
    """Everything on the wire for one name of the chain: its queries and what came back."""

    name: str
    start: float
    qids: dict[int, int] = field(default_factory=dict)  # qtype -> query ID
    servers: list[str] = field(default_factory=list)  # in order of first send
    replies: list[ReplyEvent] = field(default_factory=list)
    icmp: list[IcmpEvent] = field(default_factory=list)
    last_send: float = 0.0

    @property
    def qtypes(self) -> list[int]:
        """musl and glibc ask A first, then AAAA."""
        return [t for t in ADDRESS_TYPES if t in self.qids]


@dataclass(slots=True)
class Call:
    client: str
    lookup_uid: int
    steps: list[NameStep]

    @property
    def start(self) -> float:
        return self.steps[0].start

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.steps]


def address_transactions(lookup: Lookup) -> list[Transaction] | None:
    """The lookup's A/AAAA queries, or None when it asked anything else (not getaddrinfo)."""
    txs = [tx for tx in lookup.transactions if tx.sends]
    if not txs or any(tx.qtype not in ADDRESS_TYPES or tx.qclass != 1 for tx in txs):
        return None
    return sorted(txs, key=lambda tx: (tx.first_ts, tx.first_frame))


def split_calls(lookup: Lookup, txs: list[Transaction]) -> list[Call]:
    return [Call(lookup.client, lookup.uid, _steps(group)) for group in group_by_new_id(txs)]


def group_by_new_id(txs: list[Transaction]) -> list[list[Transaction]]:
    """Transactions per call: a name and type asked again with a new ID starts the next one."""
    groups: list[list[Transaction]] = []
    seen: dict[tuple[str, int], int] = {}
    for tx in txs:
        key = (tx.qname, tx.qtype)
        if not groups or (key in seen and seen[key] != tx.id):
            groups.append([])
            seen = {}
        seen.setdefault(key, tx.id)
        groups[-1].append(tx)
    return groups


def _steps(txs: list[Transaction]) -> list[NameStep]:
    by_name: dict[str, NameStep] = {}
    for tx in txs:
        step = by_name.get(tx.qname)
        if step is None:
            step = by_name[tx.qname] = NameStep(tx.qname, tx.first_ts)
        if tx.transport == "udp":
            step.qids.setdefault(tx.qtype, tx.id)
        for send in tx.sends:
            if send.server not in step.servers and tx.transport == "udp":
                step.servers.append(send.server)
            step.last_send = max(step.last_send, send.ts)
        step.icmp.extend(IcmpEvent(n.ts, n.frame, n.server) for n in tx.icmp)
    for tx in txs:
        step = by_name[tx.qname]
        frames = {r.frame for r in step.replies}
        for reply in tx.replies:
            if reply.frame not in frames:
                step.replies.append(_event(tx, reply, tx.qtype))
                frames.add(reply.frame)
        for reply in tx.mismatched:
            if reply.frame not in frames:
                step.replies.append(_event(tx, reply, None))
                frames.add(reply.frame)
    steps = sorted(by_name.values(), key=lambda s: s.start)
    for step in steps:
        step.replies.sort(key=lambda r: (r.ts, r.frame))
        step.icmp.sort(key=lambda e: (e.ts, e.frame))
    return steps


def _event(tx: Transaction, reply: Reply, answers: int | None) -> ReplyEvent:
    msg = reply.message
    return ReplyEvent(
        ts=reply.ts,
        frame=reply.frame,
        server=reply.server,
        sport=reply.sport,
        cport=tx.cport,
        transport=tx.transport,
        id=msg.id,
        qtype=msg.qtype,
        header_rcode=msg.flags & 0xF,
        rcode=msg.rcode,
        addresses=msg.addresses,
        tc=msg.tc,
        aa=msg.aa,
        ra=msg.ra,
        ancount=msg.ancount,
        arcount=msg.arcount,
        answers=answers,
        unexpected_source=reply.unexpected_source,
    )
