"""DD105 retransmission-stall.

What it detects:
A lookup that sent the same question again after waiting without an answer: a retransmission
on the same socket and ID, or a retry on a new socket or ID. Reports the gap and the client
timeout it matches. When the A and AAAA queries left one socket together, one was answered and
the other was lost and re-sent, the stall is called a conntrack-race candidate.

Why it matters:
The application waits the whole gap: 5 s with glibc or Go defaults, 2.5 s with musl (its retry
interval is timeout/attempts), 1 s or 0.5 s with `options timeout:1 attempts:2`. Parallel A and
AAAA from one UDP socket through DNAT (a Kubernetes Service) race on conntrack insertion in Linux
kernels without clash resolution; one of the pair is dropped and the lookup stalls for a full
timeout: the classic "DNS intermittent delays of 5s".

Evidence:
A packet capture near the client. For the conntrack race, the node's conntrack counters
(`insert_failed`, `drop` in /proc/net/stat/nf_conntrack) are what proves it: a stall alone does not.

Example:
A and AAAA svc.example. left 10.1.2.3:40000 0.03 ms apart; A answered in 0.4 ms, AAAA unanswered,
re-sent after 5.00 s (matches glibc default timeout 5 s): conntrack-race candidate.

Fix:
For conntrack races: NodeLocal DNSCache (NOTRACK), a kernel with clash resolution (5.0+), glibc
`options single-request-reopen` (musl ignores it), or `use-vc`. For a lossy server see DD103/DD104.
Shorter `timeout` bounds the damage.

False positives:
A retry the application itself made (a new getaddrinfo call) looks the same when it comes after
a timeout-like gap.

References:
kubernetes/kubernetes#56903; "Racy conntrack and DNS lookup timeouts" (weave.works, 2018);
resolv.conf(5) timeout/attempts; musl src/network/res_msend.c (retry interval).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from dnsdoctor.engine.lookups import Lookup
from dnsdoctor.engine.transaction import Send, Transaction
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import (
    SAMPLE_FRAMES,
    CaptureContext,
    CaptureRule,
    ranked,
    send_evidence,
    type_text,
)

MIN_GAP = 0.3  # seconds; below this a re-send is fan-out or an immediate SERVFAIL retry
FAN_OUT = 0.01  # sends this close together are one attempt (musl asks every server at once)
KNOWN_TIMEOUTS = (
    (0.5, "musl retry interval with timeout:1 attempts:2"),
    (1.0, "timeout:1 (glibc per server, Go)"),
    (1.25, "musl retry interval with timeout:5 attempts:4"),
    (2.0, "timeout:2"),
    (2.5, "musl default retry interval (timeout 5 s / attempts 2)"),
    (3.0, "timeout:3"),
    (5.0, "glibc and Go default timeout 5 s"),
    (10.0, "glibc default, second round with two nameservers"),
)


def match_timeout(gap: float) -> str:
    best = min(KNOWN_TIMEOUTS, key=lambda kv: abs(kv[0] - gap))
    return best[1] if abs(best[0] - gap) <= 0.2 * best[0] else "no standard timeout"


class RetransmissionStall(CaptureRule):
    code = "DD105"
    name = "retransmission-stall"
    severity = Severity.WARNING

    def __init__(self) -> None:
        self._stalls = 0
        self._races = 0
        self._lookups = 0
        self._gaps: dict[str, int] = {}
        self._frames: list[FrameEvidence] = []
        self._first: str = ""

    def on_lookup(self, lookup: Lookup) -> None:
        stalled = False
        for (qname, qtype), attempts in _attempts(lookup).items():
            for (tx_a, send_a), (tx_b, send_b) in itertools.pairwise(attempts):
                gap = send_b.ts - send_a.ts
                if gap < MIN_GAP or _answered_between(lookup, qname, qtype, send_a.ts, send_b.ts):
                    continue
                stalled = True
                self._stalls += 1
                label = match_timeout(gap)
                self._gaps[label] = self._gaps.get(label, 0) + 1
                race = _race_candidate(lookup, tx_a)
                self._races += race
                if len(self._frames) < SAMPLE_FRAMES:
                    self._frames.append(send_evidence(tx_a, send_a, "query left unanswered"))
                    self._frames.append(send_evidence(tx_b, send_b, f"re-sent after {gap:.2f} s"))
                if not self._first:
                    what = " (conntrack-race candidate)" if race else ""
                    self._first = (
                        f"{type_text(qtype)} {qname} from {tx_a.client} re-sent after {gap:.2f} s "
                        f"(frames {send_a.frame} -> {send_b.frame}; matches {label}){what}"
                    )
        self._lookups += stalled

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._stalls:
            return []
        race = ""
        if self._races:
            race = (
                f"; {self._races} stall(s) fit the conntrack race (A and AAAA left one socket "
                "together, one was lost) - check the node's conntrack insert_failed/drop counters, "
                "a stall alone does not prove it"
            )
        summary = (
            f"{self._lookups} lookup(s) stalled waiting for a timeout, e.g. {self._first}{race}"
        )
        counts = CountEvidence(
            "gaps by matching client timeout",
            ranked(self._gaps),
        )
        fix = (
            "Conntrack race: NodeLocal DNSCache, kernel clash resolution, or glibc "
            "single-request-reopen; lossy server: see DD103/DD104."
        )
        return [
            Finding(
                self.code,
                self.name,
                self.severity,
                summary,
                (*self._frames, counts),
                self._stalls,
                fix,
            )
        ]


def _attempts(lookup: Lookup) -> dict[tuple[str, int], list[tuple[Transaction, Send]]]:
    by_question: dict[tuple[str, int], list[tuple[Transaction, Send]]] = {}
    for tx in lookup.transactions:
        for send in tx.sends:
            by_question.setdefault((tx.qname, tx.qtype), []).append((tx, send))
    result = {}
    for question, sends in by_question.items():
        sends.sort(key=lambda pair: pair[1].ts)
        attempts: list[tuple[Transaction, Send]] = []
        for pair in sends:
            if not attempts or pair[1].ts - attempts[-1][1].ts > FAN_OUT:
                attempts.append(pair)
        result[question] = attempts
    return result


def _answered_between(lookup: Lookup, qname: str, qtype: int, start: float, end: float) -> bool:
    for tx in lookup.transactions:
        same_question = tx.qname == qname and tx.qtype == qtype
        if same_question and any(
            start <= r.ts < end and not r.unexpected_source for r in tx.replies
        ):
            return True
    return False


def _race_candidate(lookup: Lookup, lost: Transaction) -> bool:
    first = lost.sends[0]
    for tx in lookup.transactions:
        if (
            tx is lost
            or tx.qname != lost.qname
            or (tx.client, tx.cport) != (lost.client, lost.cport)
        ):
            continue
        together = abs(tx.sends[0].ts - first.ts) < 0.005
        answered_fast = any(r.ts - tx.sends[0].ts < MIN_GAP for r in tx.replies)
        if together and answered_fast:
            return True
    return False
