"""DD112 duplicate-response.

What it detects:
More than one answer for one query (same client socket, ID and question): the same server
answering twice, or several nameservers answering a query the client sent to each of them
(musl's parallel fan-out). Copies of one datagram seen on several capture interfaces are not
counted.

Why it matters:
Usually harmless: clients take the first answer. It matters in two ways. With musl <= 1.2.3 and
equal A/AAAA IDs, a second answer of one type makes musl drop the other type's answer (DD101).
And a server answering every query twice points at a duplicating path (a mirror port, a bonding
misconfiguration, two resolvers behind one anycast address).

Evidence:
A packet capture.

Example:
0x5294 A? example.com.: answered at frames 2 and 3, 88 µs apart, by the same server.

Fix:
Nothing to fix alone; see DD101 when IDs collide. For a duplicating path, find the device that
copies packets.

False positives:
Captures merged from two points without de-duplication (mergecap of two interfaces without
pcapng interface data).

References:
musl src/network/res_msend.c; RFC 5452.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext, CaptureRule, reply_evidence


class DuplicateResponse(CaptureRule):
    code = "DD112"
    name = "duplicate-response"
    severity = Severity.INFO

    def __init__(self) -> None:
        self._same_server = 0
        self._other_server = 0
        self._frames: list[FrameEvidence] = []

    def on_transaction(self, tx: Transaction) -> None:
        if len(tx.replies) < 2:
            return
        seen: set[str] = set()
        for reply in tx.replies:
            if reply.server in seen:
                self._same_server += 1
            elif seen:
                self._other_server += 1
            else:
                seen.add(reply.server)
                continue
            seen.add(reply.server)
            if len(self._frames) < SAMPLE_FRAMES:
                first = tx.replies[0]
                self._frames.append(reply_evidence(tx, first, "first answer"))
                self._frames.append(
                    reply_evidence(
                        tx, reply, f"extra answer, +{(reply.ts - first.ts) * 1e3:.3f} ms"
                    )
                )

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        total = self._same_server + self._other_server
        if not total:
            return []
        summary = (
            f"{total} extra answer(s) to queries already answered: {self._same_server} from the same "
            f"server, {self._other_server} from another nameserver the query was also sent to"
        )
        counts = CountEvidence(
            "extra answers",
            (("same server", self._same_server), ("other server", self._other_server)),
        )
        return [
            Finding(
                self.code, self.name, self.severity, summary, (*self._frames, counts), total, ""
            )
        ]
