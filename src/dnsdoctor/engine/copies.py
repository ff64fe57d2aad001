"""One datagram seen on several interfaces counts once.

`tcpdump -i any` on a node sees a pod's query on its veth, on the bridge and on eth0 after DNAT
(where the destination is rewritten from the Service IP to a CoreDNS pod). Those copies are the
same DNS message: counting them as retransmissions or duplicate answers would invent failures.
A copy is the same transport and DNS payload, on another interface, within `window` seconds.
A second identical answer on the *same* interface is a real duplicate and is never folded, which
keeps musl's two-server and duplicated-answer cases visible.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from dnsdoctor.evidence.capture.records import Datagram

if TYPE_CHECKING:
    from dnsdoctor.engine.transaction import Reply, Transaction


class _Seen:
    __slots__ = ("interfaces", "reply", "ts", "tx")

    def __init__(self, ts: float, interface: int, tx: Transaction, reply: Reply | None) -> None:
        self.ts = ts
        self.interfaces = {interface}
        self.tx = tx
        self.reply = reply


class CopyFilter:
    def __init__(self, window: float = 0.05) -> None:
        self.window = window
        self.enabled = False  # turned on by the first datagram from a second interface
        self._first_interface: int | None = None
        self._recent: dict[tuple[str, bytes], list[_Seen]] = {}
        self._order: deque[tuple[float, tuple[str, bytes]]] = deque()
        self.folded = 0

    def match(self, dg: Datagram) -> tuple[Transaction, Reply | None] | None:
        if not self.enabled:
            if self._first_interface is None:
                self._first_interface = dg.interface
            elif dg.interface != self._first_interface:
                self.enabled = True
            if not self.enabled:
                return None
        self._expire(dg.ts)
        for seen in self._recent.get((dg.transport, dg.payload), ()):
            if dg.interface not in seen.interfaces and dg.ts - seen.ts <= self.window:
                seen.interfaces.add(dg.interface)
                self.folded += 1
                return seen.tx, seen.reply
        return None

    def remember(self, dg: Datagram, tx: Transaction, reply: Reply | None = None) -> None:
        if not self.enabled:
            return
        key = (dg.transport, dg.payload)
        self._recent.setdefault(key, []).append(_Seen(dg.ts, dg.interface, tx, reply))
        self._order.append((dg.ts, key))

    def _expire(self, now: float) -> None:
        order = self._order
        while order and now - order[0][0] > self.window:
            _, key = order.popleft()
            entries = self._recent.get(key)
            if entries:
                entries.pop(0)
                if not entries:
                    del self._recent[key]
