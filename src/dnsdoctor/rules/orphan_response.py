"""DD113 orphan-response.

What it detects:
Responses no query in the capture explains: no open query on the client socket has that ID.
Responses in the first seconds of the capture are reported apart, as answers to queries sent
before the capture began.

Why it matters:
An answer arriving after the client closed its socket, or to a socket that never asked, is lost.
Many of them point at answers arriving after the client's timeout, spoofing attempts, or a
capture that misses the client's outgoing packets.

Evidence:
A packet capture.

Example:
frame 4: 0x9941 NOERROR for A example.com. to 10.0.0.5:40001, no query with that ID.

Fix:
Check that the capture sees both directions; look at late answers (DD109) and at the sender.

False positives:
A capture started mid-conversation (see the "before capture" count), or one that sees only
inbound traffic.

References:
RFC 5452 section 9.1.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.pairing import Orphan
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext, CaptureRule, rcode_text, type_text


class OrphanResponse(CaptureRule):
    code = "DD113"
    name = "orphan-response"
    severity = Severity.INFO

    def __init__(self) -> None:
        self._counts = {"query-before-capture": 0, "no-matching-query": 0}
        self._frames: list[FrameEvidence] = []

    def on_orphan(self, orphan: Orphan) -> None:
        self._counts[orphan.reason] += 1
        if len(self._frames) < SAMPLE_FRAMES:
            dg, msg = orphan.datagram, orphan.message
            question = f" for {type_text(msg.qtype)} {msg.qname}" if msg.qtype is not None else ""
            summary = f"id 0x{msg.id:04x} {rcode_text(msg.rcode)}{question}"
            self._frames.append(
                FrameEvidence(
                    dg.frame,
                    dg.ts,
                    dg.src,
                    dg.sport,
                    dg.dst,
                    dg.dport,
                    dg.transport,
                    orphan.reason.replace("-", " "),
                    summary,
                )
            )

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        before, unmatched = self._counts["query-before-capture"], self._counts["no-matching-query"]
        if not before + unmatched:
            return []
        summary = (
            f"{unmatched} response(s) match no query in the capture; {before} more arrived in its "
            "first seconds (their queries were probably sent before the capture began)"
        )
        counts = CountEvidence("orphan responses", tuple(self._counts.items()))
        return [
            Finding(
                self.code, self.name, self.severity, summary, (*self._frames, counts), unmatched, ""
            )
        ]
