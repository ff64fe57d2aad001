"""DD106 upstream-error-rcode.

What it detects:
Nameservers answering SERVFAIL, REFUSED, FORMERR or NOTIMP, with the rate per server and per
code. Error when a server answers at least 3 queries and more than 20% of them with an error
code; a lower rate, or fewer answers, is a warning.

Why it matters:
SERVFAIL usually means the server's own upstream failed or timed out (a CoreDNS `forward` with a
dead upstream answers SERVFAIL after its deadline). glibc moves on to the next nameserver on
SERVFAIL, REFUSED and NOTIMP; musl re-sends at once on SERVFAIL and ignores REFUSED, so the lookup
waits out its timeout and fails with EAI_AGAIN; Go tries the next server.

Evidence:
A packet capture with responses.

Example:
10.96.0.10:53 answered 40 of 120 queries SERVFAIL (33%), mostly for *.example.internal.

Fix:
Look behind the server: its upstreams (`dnsdoctor coredns` ranks them), its ACLs for REFUSED,
EDNS trouble for FORMERR.

False positives:
Only standard queries (opcode QUERY) count: a REFUSED answer to a NOTIFY or an UPDATE is access
control, not a failing upstream. Fewer than 3 answers, or a low rate, is a warning only.

References:
RFC 1035 section 4.1.1; RFC 8914 (Extended DNS Errors); musl src/network/res_msend.c.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from dnsdoctor.engine.transaction import Transaction
from dnsdoctor.evidence.dns_message import (
    RCODE_FORMERR,
    RCODE_NOTIMP,
    RCODE_REFUSED,
    RCODE_SERVFAIL,
)
from dnsdoctor.model import CountEvidence, Finding, FrameEvidence, Severity
from dnsdoctor.rules.base import CaptureContext, CaptureRule, pct, rcode_text, reply_evidence

if TYPE_CHECKING:
    from dnsdoctor.engine.triage import FoldedTraffic

ERROR_RCODES = (RCODE_SERVFAIL, RCODE_REFUSED, RCODE_FORMERR, RCODE_NOTIMP)
MIN_ANSWERS = 3
ERROR_SHARE = 0.2


class UpstreamErrorRcode(CaptureRule):
    code = "DD106"
    name = "upstream-error-rcode"
    severity = Severity.ERROR

    def __init__(self) -> None:
        self._answers: dict[str, int] = {}
        self._errors: dict[str, dict[int, int]] = {}
        self._samples: dict[str, list[FrameEvidence]] = {}

    def on_transaction(self, tx: Transaction) -> None:
        if tx.opcode != 0:
            return  # REFUSED to NOTIFY/UPDATE is access control, not a failing upstream
        for reply in tx.replies:
            server = reply.server
            self._answers[server] = self._answers.get(server, 0) + 1
            if reply.rcode in ERROR_RCODES:
                per = self._errors.setdefault(server, {})
                per[reply.rcode] = per.get(reply.rcode, 0) + 1
                samples = self._samples.setdefault(server, [])
                if len(samples) < 3:
                    samples.append(reply_evidence(tx, reply, f"{rcode_text(reply.rcode)} answer"))

    def on_folded(self, folded: FoldedTraffic) -> None:
        for server, part in folded.servers.items():
            self._answers[server] = self._answers.get(server, 0) + part.transactions

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        findings = []
        for server, per in sorted(
            self._errors.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])
        ):
            answers = self._answers[server]
            errors = sum(per.values())
            severe = answers >= MIN_ANSWERS and errors > ERROR_SHARE * answers
            severity = Severity.ERROR if severe else Severity.WARNING
            codes = ", ".join(
                f"{n} {rcode_text(c)}" for c, n in sorted(per.items(), key=lambda kv: -kv[1])
            )
            summary = (
                f"nameserver {server} answered {errors} of {answers} responses with an error code "
                f"({pct(errors, answers)}: {codes})"
            )
            counts = CountEvidence(
                f"server {server}",
                (("responses", answers), *((rcode_text(c), n) for c, n in per.items())),
            )
            fix = f"Look behind {server}: its upstreams, ACLs (REFUSED) or EDNS handling (FORMERR)."
            findings.append(
                Finding(
                    self.code,
                    self.name,
                    severity,
                    summary,
                    (*self._samples[server], counts),
                    errors,
                    fix,
                )
            )
        return findings
