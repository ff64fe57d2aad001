"""Pair queries and responses the way resolvers must (RFC 5452), per client socket.

State is keyed by the client socket (address, port, transport): musl sends one query from one
socket to every nameserver, so one socket hears answers from several servers. A response pairs
with a query only when the ID *and* the question match (names case-insensitively, so 0x20 mixing
pairs). Wireshark and Zeek pair by ID alone; that is exactly what hides the musl same-ID failure.
Transactions are finished once idle for `linger` seconds of capture time, which bounds memory by
the traffic in flight, not by the size of the file.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from dnsdoctor.engine.copies import CopyFilter
from dnsdoctor.engine.transaction import (
    ANSWERED,
    ICMP_ERROR,
    IN_FLIGHT,
    UNANSWERED,
    IcmpNotice,
    Reply,
    Send,
    Transaction,
)
from dnsdoctor.evidence.capture.records import Datagram, IcmpError
from dnsdoctor.evidence.dns_message import RCODE_FORMERR, RCODE_NOTIMP, DnsMessage

SocketKey = tuple[str, int, str]
_MAX_COLLISIONS = 4  # partners kept per transaction: 1,200 queries with one ID stay linear


@dataclass(slots=True)
class Orphan:
    """A response no query in the capture explains."""

    datagram: Datagram
    message: DnsMessage
    reason: str  # "query-before-capture" | "no-matching-query"


@dataclass(slots=True)
class _Socket:
    by_id: dict[int, list[Transaction]] = field(default_factory=dict)


def _by_activity(tx: Transaction) -> tuple[float, int]:
    return (tx.last_ts, tx.uid)


class PairingEngine:
    def __init__(
        self,
        on_transaction: Callable[[Transaction], None],
        on_orphan: Callable[[Orphan], None],
        on_new_transaction: Callable[[Transaction], None] | None = None,
        linger: float = 30.0,
        in_flight_window: float = 5.0,
        pre_capture_window: float = 10.0,
    ) -> None:
        self._emit = on_transaction
        self._orphan = on_orphan
        self._on_new = on_new_transaction
        self._linger = linger
        self._in_flight_window = in_flight_window
        self._pre_capture_window = pre_capture_window
        self._sockets: dict[SocketKey, _Socket] = {}
        self._open: dict[int, Transaction] = {}
        # (last_ts when queued, uid): a sweep pops only what may be stale instead of scanning all
        self._expiry: list[tuple[float, int]] = []
        self._next_uid = 1
        self._first_ts: float | None = None
        self._now = 0.0
        self.copies = CopyFilter()
        # Set by the capture fast path (engine/triage.py) for the traffic it claimed: uids
        # count its transactions too, and the capture's first DNS message may be one of them.
        self.claimed_before = 0
        self.first_hint: tuple[int, float] | None = None

    @property
    def next_uid(self) -> int:
        """The uid the next transaction built here gets, before the claimed ones are added."""
        return self._next_uid

    # -- input ---------------------------------------------------------------------------------
    def feed(self, dg: Datagram, msg: DnsMessage) -> None:
        ts = dg.ts
        if self._first_ts is None:
            hint = self.first_hint
            self._first_ts = hint[1] if hint is not None and hint[0] < dg.frame else ts
        if ts > self._now:
            self.advance(ts)
        original = self.copies.match(dg)
        if original is not None:
            self._record_copy(original, dg)
            return
        if msg.is_response:
            self._response(dg, msg)
        else:
            self._query(dg, msg)

    def hand_over(self, tx: Transaction, claimed_before: int) -> None:
        """A transaction the capture fast path saw whole (engine/claimed_lookups.py): numbered
        and opened here as `_new_transaction` would at its query, its answer already attached.
        Nothing else shares its socket, so it needs no socket state."""
        tx.uid = self._next_uid + claimed_before
        self._next_uid += 1
        self._open[tx.uid] = tx
        heapq.heappush(self._expiry, (tx.sends[0].ts, tx.uid))
        if self._on_new is not None:
            self._on_new(tx)

    def advance(self, ts: float) -> None:
        """Capture time reached `ts` (a DNS message, or the fast path's last claimed one)."""
        if ts > self._now:
            self._now = ts
            expiry = self._expiry
            if expiry and expiry[0][0] < ts - self._linger:
                self._sweep(ts)

    def feed_icmp(self, err: IcmpError) -> None:
        sock = self._sockets.get((err.src, err.sport, err.transport))
        if sock is None:
            return
        wanted = (
            int.from_bytes(err.quoted_payload[:2], "big") if len(err.quoted_payload) >= 2 else None
        )
        for ident, txs in sock.by_id.items():
            if wanted is not None and ident != wanted:
                continue
            for tx in txs:
                if err.dst in tx.servers:
                    tx.icmp.append(IcmpNotice(err.frame, err.ts, err.reporter, err.kind, err.dst))
                    tx.last_ts = err.ts
                    return

    def finish(self, end_ts: float | None) -> None:
        end = end_ts if end_ts is not None else self._now
        latest: dict[tuple[str, str, int], float] = {}
        for tx in self._open.values():
            key = (tx.client, tx.qname, tx.qtype)
            latest[key] = max(latest.get(key, 0.0), tx.sends[-1].ts)
        for tx in list(self._open.values()):
            # A query the client asked again later (another server, socket or ID) was given up
            # on: it is unanswered even near the end. Only the latest try can be in flight.
            superseded = latest[(tx.client, tx.qname, tx.qtype)] > tx.sends[-1].ts
            self._close(tx, None if superseded else end)
        self._sockets.clear()
        self._expiry.clear()

    # -- queries -------------------------------------------------------------------------------
    def _query(self, dg: Datagram, msg: DnsMessage) -> None:
        key = (dg.src, dg.sport, dg.transport)
        sock = self._sockets.get(key)
        if sock is None:
            sock = self._sockets[key] = _Socket()
        send = Send(dg.frame, dg.ts, dg.dst, dg.dport, dg.interface)
        question = msg.question
        same_id = sock.by_id.get(msg.id)
        if same_id:
            for tx in same_id:
                if question is not None and (tx.qname, tx.qtype, tx.qclass) == question:
                    tx.sends.append(send)
                    tx.servers.add(dg.dst)
                    tx.last_ts = dg.ts
                    self.copies.remember(dg, tx)
                    return
        tx = self._new_transaction(dg, msg, send)
        if same_id:
            in_flight = [t for t in same_id if not t.replies and dg.ts - t.last_ts < self._linger]
            for other in in_flight[-_MAX_COLLISIONS:]:
                other.collisions.append(tx)
                tx.collisions.append(other)
            same_id.append(tx)
        else:
            sock.by_id[msg.id] = [tx]
        self.copies.remember(dg, tx)

    def _new_transaction(self, dg: Datagram, msg: DnsMessage, send: Send) -> Transaction:
        tx = Transaction(
            uid=self._next_uid + self.claimed_before,
            client=dg.src,
            cport=dg.sport,
            transport=dg.transport,
            id=msg.id,
            qname=msg.qname if msg.qname is not None else "",
            qtype=msg.qtype if msg.qtype is not None else 0,
            qclass=msg.qclass if msg.qclass is not None else 0,
            opcode=msg.opcode,
            query_flags=msg.flags,
            sends=[send],
            servers={dg.dst},
            last_ts=dg.ts,
            wire_case=msg.qname_wire_case,
        )
        self._next_uid += 1
        self._open[tx.uid] = tx
        heapq.heappush(self._expiry, (dg.ts, tx.uid))
        if self._on_new is not None:
            self._on_new(tx)
        return tx

    # -- responses -----------------------------------------------------------------------------
    def _response(self, dg: Datagram, msg: DnsMessage) -> None:
        sock = self._sockets.get((dg.dst, dg.dport, dg.transport))
        candidates = sock.by_id.get(msg.id) if sock is not None else None
        if not candidates:
            self._unmatched(dg, msg, known_socket=sock is not None)
            return
        reply = Reply(dg.frame, dg.ts, dg.src, dg.sport, msg, dg.interface)
        tx = self._match_question(candidates, msg)
        if tx is None:
            for other in candidates:
                other.mismatched.append(reply)
                other.last_ts = dg.ts
            return
        reply.unexpected_source = dg.src not in tx.servers
        tx.replies.append(reply)
        tx.last_ts = dg.ts
        self.copies.remember(dg, tx, reply)

    @staticmethod
    def _match_question(candidates: list[Transaction], msg: DnsMessage) -> Transaction | None:
        question = msg.question
        if question is not None:
            for tx in candidates:
                if (tx.qname, tx.qtype, tx.qclass) == question:
                    return tx
            return None
        if msg.qdcount == 0 and msg.rcode in (RCODE_FORMERR, RCODE_NOTIMP):
            # RFC 1035 lets these omit the question: socket and ID are all there is to go on.
            waiting = [tx for tx in candidates if not tx.replies]
            return (waiting or candidates)[0]
        return None

    def _unmatched(self, dg: Datagram, msg: DnsMessage, known_socket: bool) -> None:
        assert self._first_ts is not None
        early = not known_socket and dg.ts - self._first_ts <= self._pre_capture_window
        self._orphan(Orphan(dg, msg, "query-before-capture" if early else "no-matching-query"))

    def _record_copy(self, original: tuple[Transaction, Reply | None], dg: Datagram) -> None:
        tx, reply = original
        if reply is None:
            tx.query_copies.append(dg.frame)
            tx.servers.add(dg.dst)
            return
        reply.copies.append(dg.frame)
        tx.servers.add(dg.src)
        if reply.unexpected_source:
            reply.unexpected_source = reply.server not in tx.servers

    # -- expiry --------------------------------------------------------------------------------
    def _sweep(self, now: float) -> None:
        """Close every transaction idle for more than `linger`, oldest activity first.

        Runs whenever capture time moves past the oldest entry, so what closes, and in which
        order, depends only on each transaction's own packets: not on when other traffic
        happened to arrive (the fast path relies on that, see engine/triage.py).
        """
        cutoff = now - self._linger
        expiry = self._expiry
        stale: list[Transaction] = []
        while expiry and expiry[0][0] < cutoff:
            _, uid = heapq.heappop(expiry)
            tx = self._open.get(uid)
            if tx is None:
                continue
            if tx.last_ts < cutoff:
                stale.append(tx)
            else:  # active since it was queued: look again when it may have gone quiet
                heapq.heappush(expiry, (tx.last_ts, uid))
        stale.sort(key=_by_activity)
        for tx in stale:
            self._close(tx, None)

    def _close(self, tx: Transaction, capture_end: float | None) -> None:
        del self._open[tx.uid]
        sock = self._sockets.get((tx.client, tx.cport, tx.transport))
        if sock is not None:
            same_id = sock.by_id.get(tx.id)
            if same_id is not None:
                same_id.remove(tx)
                if not same_id:
                    del sock.by_id[tx.id]
                    if not sock.by_id:
                        del self._sockets[(tx.client, tx.cport, tx.transport)]
        if tx.answer is not None:
            tx.outcome = ANSWERED
        elif tx.icmp:
            tx.outcome = ICMP_ERROR
        elif capture_end is not None and capture_end - tx.sends[-1].ts < self._in_flight_window:
            tx.outcome = IN_FLIGHT
        else:
            tx.outcome = UNANSWERED
        self._emit(tx)
