"""DD102 answer-question-mismatch.

What it detects:
A response whose transaction ID matches a query still open on that client socket, but whose
question section names another question (other name, type or class).

Why it matters:
RFC 5452 resolvers (glibc, Go, musl >= 1.2.4 for the type) discard such an answer and keep
waiting, so the lookup stalls until its timeout and retries. musl <= 1.2.3 matches by ID alone and
may accept the wrong answer as the answer to the open query. Either way something between client
and server is broken: a middlebox rewriting IDs, a NAT mixing two clients' flows, a buggy
forwarder, or an off-path spoofing attempt.

Evidence:
A packet capture with the client's query and the mismatching response.

Example:
Query 0x1c2d A? www.example.com. from 10.0.0.5:40001; response 0x1c2d for A other.example.org.

Fix:
Find the device that answers with the wrong question: compare the response's source address and
TTL with the server's. Check conntrack/NAT rules for port reuse between clients; update the
forwarder.

False positives:
A server that answers with the question in different letter case is not flagged (names are
compared case-insensitively, RFC 5452 and the 0x20 technique).

References:
RFC 5452 section 9.1 and 4.3; RFC 1035 section 7.3.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import (
    SAMPLE_FRAMES,
    CaptureContext,
    CaptureRule,
    reply_evidence,
    send_evidence,
)


class AnswerQuestionMismatch(CaptureRule):
    code = "DD102"
    name = "answer-question-mismatch"
    severity = Severity.ERROR

    def __init__(self) -> None:
        self._count = 0
        self._frames: list[FrameEvidence] = []
        self._servers: dict[str, int] = {}

    def on_transaction(self, tx: Transaction) -> None:
        for reply in tx.mismatched:
            self._count += 1
            self._servers[reply.server] = self._servers.get(reply.server, 0) + 1
            if len(self._frames) < SAMPLE_FRAMES:
                self._frames.append(send_evidence(tx, tx.sends[0], "open query"))
                self._frames.append(reply_evidence(tx, reply, "response for another question"))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._count:
            return []
        counts = tuple(
            CountEvidence(f"from {server}", (("mismatching responses", n),))
            for server, n in sorted(self._servers.items(), key=lambda kv: -kv[1])
        )
        first = self._frames[1]
        summary = (
            f"{self._count} response(s) carried the ID of an open query but another question "
            f"(first: frame {first.frame} from {first.src}, {first.summary}); RFC 5452 clients "
            "discard them and wait for their timeout"
        )
        fix = "Find what rewrites answers or mixes flows (NAT port reuse, a forwarder bug)."
        return [
            Finding(
                self.code,
                self.name,
                self.severity,
                summary,
                (*self._frames, *counts),
                self._count,
                fix,
            )
        ]
