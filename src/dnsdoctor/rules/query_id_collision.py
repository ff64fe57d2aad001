"""DD101 query-id-collision.

What it detects:
Two queries in flight from one client socket with the same transaction ID and different
questions (typically the A and AAAA of one lookup). Alone this is a latent warning. It is an
error when, of the answers that share that ID, the first two to arrive are for the same question
(a second server's answer, a duplicated answer, or the answer to a retransmission): musl <= 1.2.3
then files both in the two answer slots and never reads the other question's answer.

Why it matters:
musl <= 1.2.3 builds the ID from CLOCK_REALTIME nanoseconds (`res_mkquery`), so on a host with a
coarse clock the A and AAAA queries of one lookup get the same ID. `res_msend` matches answers
to queries by the two ID bytes only and stops when every slot holds an answer. When two AAAA
answers arrive before the A answer, the A answer is dropped: the application gets only IPv6
addresses, or "Name does not resolve" (EAI_NONAME) when the name has no AAAA record. glibc
matches answers on ID and question (and since 2.33 avoids equal IDs) and is not affected; Go
uses a socket per query. Wireshark calls the second query a "retransmission" and hides it.

Evidence:
A packet capture taken where the client's packets are visible (inside the pod's network
namespace, or on its veth). Frames of both queries, and of the answers in arrival order.

Example:
A 0x3f2c A? api.example.com. and 0x3f2c AAAA? api.example.com. from 10.1.2.3:41234, two
nameservers in resolv.conf; both AAAA answers arrive before the first A answer: musl keeps two
AAAA answers and returns only ::1.

Fix:
Upgrade musl to 1.2.4 or later (Alpine 3.18+), or use a glibc-based image, or build the client
without libc's resolver (Go with CGO_ENABLED=0). Until then: one nameserver in the pod's
resolv.conf removes the second-server duplicate; NodeLocal DNSCache shortens the A answer's delay.

False positives:
Synthetic or replayed traffic that reuses an ID on purpose, and DNS-over-HTTPS style clients
that always use ID 0 over one connection (they do not use this matching). The error needs the
arrival order in the capture to be the order at the client: capture inside the pod.

References:
musl commit 6c858d6f "ensure distinct query id for parallel A and AAAA queries in resolver"
(musl 1.2.4); musl src/network/res_msend.c; RFC 5452 section 9.1; glibc bug 26600;
../shared/seed/README.md (the incident this project exists for).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.engine.transaction import Reply, Transaction
from dnsdoctor.evidence.dns_message import RCODE_NOERROR, RCODE_NXDOMAIN
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import (
    SAMPLE_FRAMES,
    CaptureContext,
    CaptureRule,
    reply_evidence,
    send_evidence,
    type_text,
)

# musl's res_msend keeps only answers with these rcodes; SERVFAIL is re-sent, others ignored.
_MUSL_STORED = (RCODE_NOERROR, RCODE_NXDOMAIN)


def musl_slot_fill(pair: tuple[Transaction, Transaction]) -> tuple[Reply, Reply] | None:
    """If musl's first two stored answers are for the same question, return them."""
    replies = sorted(
        (
            r
            for tx in pair
            for r in tx.replies
            if r.rcode in _MUSL_STORED and not r.unexpected_source
        ),
        key=lambda r: (r.ts, r.frame),
    )
    if len(replies) < 2:
        return None
    first, second = replies[0], replies[1]
    owner = {id(r): tx.uid for tx in pair for r in tx.replies}
    return (first, second) if owner[id(first)] == owner[id(second)] else None


class QueryIdCollision(CaptureRule):
    code = "DD101"
    name = "query-id-collision"
    severity = Severity.ERROR

    def __init__(self) -> None:
        self._sockets: dict[str, dict[str, int]] = {}
        self._harmful: list[tuple[Transaction, Transaction, Reply, Reply]] = []
        self._latent: list[tuple[Transaction, Transaction]] = []
        self._harmful_count = 0

    def on_transaction(self, tx: Transaction) -> None:
        for other in tx.collisions:
            if other.outcome:  # judge each pair once, when its second member finishes
                self._judge(*sorted((other, tx), key=lambda t: t.uid))

    def _judge(self, first: Transaction, second: Transaction) -> None:
        counts = self._sockets.setdefault(first.socket_label, {"pairs": 0, "harmful": 0})
        counts["pairs"] += 1
        filled = musl_slot_fill((first, second))
        if filled is not None:
            counts["harmful"] += 1
            self._harmful_count += 1
            if len(self._harmful) < SAMPLE_FRAMES:
                self._harmful.append((first, second, filled[0], filled[1]))
        elif len(self._latent) < SAMPLE_FRAMES:
            self._latent.append((first, second))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._sockets:
            return []
        pairs = sum(c["pairs"] for c in self._sockets.values())
        counts = tuple(
            CountEvidence(
                f"socket {label}",
                (("same-ID pairs", c["pairs"]), ("answer lost under musl <= 1.2.3", c["harmful"])),
            )
            for label, c in sorted(self._sockets.items(), key=lambda kv: -kv[1]["harmful"])[:10]
        )
        if self._harmful_count:
            return [self._harmful_finding(pairs, counts)]
        first, second = self._latent[0]
        frames: list[FrameEvidence] = []
        for a, b in self._latent[:3]:
            frames += [send_evidence(a, a.sends[0]), send_evidence(b, b.sends[0])]
        summary = (
            f"{pairs} pair(s) of queries in flight on one socket shared a transaction ID "
            f"(e.g. {type_text(first.qtype)} and {type_text(second.qtype)} {first.qname} with ID "
            f"0x{first.id:04x} from {first.socket_label}); every answer arrived once, so nothing "
            "was lost here, but a duplicate or second-server answer would make musl <= 1.2.3 drop one"
        )
        fix = "Use musl >= 1.2.4 or a glibc image; see `dnsdoctor explain DD101`."
        return [
            Finding(self.code, self.name, Severity.WARNING, summary, (*frames, *counts), pairs, fix)
        ]

    def _harmful_finding(self, pairs: int, counts: tuple[CountEvidence, ...]) -> Finding:
        first, second, kept1, kept2 = self._harmful[0]
        owner, victim = (first, second) if kept1 in first.replies else (second, first)
        frames: list[FrameEvidence] = []
        for a, b, r1, r2 in self._harmful[:2]:
            keeper, lost = (a, b) if r1 in a.replies else (b, a)
            frames += [send_evidence(a, a.sends[0]), send_evidence(b, b.sends[0])]
            frames += [reply_evidence(keeper, r1, "answer (slot 1)")]
            frames += [reply_evidence(keeper, r2, "second answer of the same type (slot 2)")]
            frames += [reply_evidence(lost, r, "dropped answer") for r in lost.replies[:1]]
        dropped = victim.replies[0].frame if victim.replies else None
        tail = f" (frame {dropped})" if dropped else ""
        summary = (
            f"{self._harmful_count} of {pairs} same-ID query pairs lost an answer under musl <= 1.2.3: "
            f"{type_text(first.qtype)} and {type_text(second.qtype)} {first.qname} left "
            f"{first.socket_label} with ID 0x{first.id:04x}; two {type_text(owner.qtype)} answers "
            f"(frames {kept1.frame} and {kept2.frame}) arrived before the {type_text(victim.qtype)} "
            f"answer{tail}, so musl filled both slots with {type_text(owner.qtype)} and dropped it"
        )
        fix = (
            "Use musl >= 1.2.4 (Alpine 3.18+) or a glibc-based image, or a static Go binary "
            "(CGO_ENABLED=0); meanwhile avoid duplicate answers (one nameserver, no slow upstream)."
        )
        return Finding(
            self.code,
            self.name,
            Severity.ERROR,
            summary,
            (*frames, *counts),
            self._harmful_count,
            fix,
        )
