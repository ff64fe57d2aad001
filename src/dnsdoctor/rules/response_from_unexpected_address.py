"""DD111 response-from-unexpected-address.

What it detects:
A response whose ID and question match an open query on the client socket, but which comes from
an address the query was never sent to (copies of the query seen on other interfaces, e.g. after
DNAT, count as sent-to addresses).

Why it matters:
Both glibc (connected UDP sockets) and musl (it checks the source against its nameserver list)
drop such an answer, so the lookup times out although an answer reached the host. This is the
mark of a broken DNAT or conntrack reverse mapping: the reply from the CoreDNS pod was not
rewritten back to the Service IP, e.g. after a conntrack entry expired or was flushed, or with
asymmetric routing around kube-proxy.

Evidence:
A packet capture inside the client's network namespace (where the address the client sees is
visible).

Example:
Query 0x2a1f A? db.internal. to 10.96.0.10:53; response from 10.244.1.7:53 (a CoreDNS pod).

Fix:
Check kube-proxy and conntrack on the node (`conntrack -L -p udp --dport 53`), hairpin and
masquerade settings, and routes that bypass the Service translation.

False positives:
A capture taken on a node interface before un-DNAT sees pod addresses legitimately; capture inside
the pod to confirm.

References:
RFC 5452 section 9.1; glibc resolv/res_send.c (connected UDP sockets); musl res_msend.c.
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


class ResponseFromUnexpectedAddress(CaptureRule):
    code = "DD111"
    name = "response-from-unexpected-address"
    severity = Severity.ERROR

    def __init__(self) -> None:
        self._count = 0
        self._pairs: dict[tuple[str, str], int] = {}
        self._frames: list[FrameEvidence] = []

    def on_transaction(self, tx: Transaction) -> None:
        for reply in tx.replies:
            if not reply.unexpected_source:
                continue
            self._count += 1
            asked = ", ".join(sorted(tx.servers))
            self._pairs[(asked, reply.server)] = self._pairs.get((asked, reply.server), 0) + 1
            if len(self._frames) < SAMPLE_FRAMES:
                self._frames.append(send_evidence(tx, tx.sends[0], "query"))
                self._frames.append(reply_evidence(tx, reply, "response from an address not asked"))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._count:
            return []
        (asked, got), _ = max(self._pairs.items(), key=lambda kv: kv[1])
        summary = (
            f"{self._count} response(s) came from an address the query was not sent to "
            f"(queries to {asked}, answered by {got}); glibc and musl drop them and time out"
        )
        counts = tuple(
            CountEvidence(f"asked {a}", (("answered by", g), ("responses", n)))
            for (a, g), n in sorted(self._pairs.items(), key=lambda kv: -kv[1])[:10]
        )
        fix = "Check DNAT/conntrack for the DNS Service on the node (kube-proxy, conntrack -L)."
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
