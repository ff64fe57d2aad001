"""DD110 malformed-message.

What it detects:
DNS messages on a DNS port that do not parse: shorter than a header, a compression pointer that
loops or points forward, a label or record running past the end, a name over 255 octets, an
unknown label type. Reported with the frame, the file offset of its packet and the offset inside
the DNS message where parsing failed.

Why it matters:
Resolvers discard malformed answers: the lookup waits for its timeout as if the answer had been
lost. A middlebox that truncates or rewrites DNS (a broken ALG, a buggy load balancer), a
fragment reassembly problem, or non-DNS traffic on port 53 (tunnels, scanners) shows up here.

Evidence:
A packet capture. The byte offsets let you open the exact packet in a hex viewer.

Example:
frame 1 (file offset 24): DNS offset 12: compression pointer to 12 does not point back.

Fix:
Find who sends them (the source address): a middlebox rewriting DNS, a scanner, or a client
speaking another protocol on port 53.

False positives:
Non-DNS protocols deliberately run on port 53 (VPNs, DNS tunnels with raw payloads).

References:
RFC 1035 section 4.1.4 (compression); RFC 9267 (common implementation anti-patterns in DNS
message parsing).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.capture.records import Datagram
from dnsdoctor.evidence.dns_message import DnsMessage
from dnsdoctor.model import CountEvidence, Finding, OffsetEvidence, Severity
from dnsdoctor.rules.base import SAMPLE_FRAMES, CaptureContext, CaptureRule, ranked


class MalformedDnsMessage(CaptureRule):
    code = "DD110"
    name = "malformed-message"
    severity = Severity.WARNING

    def __init__(self) -> None:
        self._count = 0
        self._reasons: dict[str, int] = {}
        self._samples: list[OffsetEvidence] = []
        self._path = ""

    def on_malformed(self, dg: Datagram, msg: DnsMessage | None, reason: str, offset: int) -> None:
        self._count += 1
        kind = reason.split(" to ")[0] if reason.startswith("compression pointer to") else reason
        self._reasons[kind] = self._reasons.get(kind, 0) + 1
        if len(self._samples) < SAMPLE_FRAMES:
            who = f"{dg.src}:{dg.sport} -> {dg.dst}:{dg.dport}/{dg.transport}"
            ident = f" id 0x{msg.id:04x}" if msg is not None else ""
            detail = f"{who}{ident}: DNS offset {offset}: {reason}"
            self._samples.append(OffsetEvidence("", dg.offset, detail, dg.frame))

    def finish(self, ctx: CaptureContext) -> Iterable[Finding]:
        if not self._count:
            return []
        samples = tuple(
            OffsetEvidence(ctx.path, s.offset, s.detail, s.frame) for s in self._samples
        )
        first = samples[0]
        summary = (
            f"{self._count} DNS message(s) do not parse (first: frame {first.frame} at file "
            f"offset {first.offset}: {first.detail})"
        )
        counts = CountEvidence("reasons", ranked(self._reasons))
        fix = "Find the sender of these messages: a middlebox rewriting DNS, or non-DNS on port 53."
        return [
            Finding(
                self.code, self.name, self.severity, summary, (*samples, counts), self._count, fix
            )
        ]
