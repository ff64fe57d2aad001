"""DD438 malformed-upstream-reply.

What it detects:
Upstream replies CoreDNS could not unpack: `dns: overflow unpacking uint16/uint32`,
`dns: overflowing header size`, `dns: bad rdata`, `dns: short read`, per upstream when the line
names one.

Why it matters:
CoreDNS answers SERVFAIL for that query. Usual causes: an upstream sending a truncated or
oversized UDP reply without the TC bit, a middlebox cutting large UDP answers (EDNS0 sizes),
or a TCP/TLS forwarder returning garbage.

Evidence:
CoreDNS logs.

Example:
3 malformed replies (dns: overflow unpacking uint16) for me.com. MX.

Fix:
Capture the upstream's reply (`tcpdump port 53` on the CoreDNS node) and check its size and TC
bit; `prefer_udp` or `force_tcp` in the forward block, or a smaller `bufsize`, often helps.

False positives:
A CoreDNS bug in a given release (e.g. coredns/coredns#6431): compare with another version.

References:
coredns/coredns#3367, #3305, #4547, #6431; miekg/dns msg.go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.classify import MALFORMED_REPLY
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class MalformedUpstreamReply(CheckRule[CorednsBundle]):
    code = "DD438"
    name = "malformed-upstream-reply"
    severity = Severity.WARNING
    source = "coredns"
    evidence_kinds = ("logs",)

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None:
            yield self.skipped("no --logs")
            return
        bad = [e for e in bundle.logs.real_errors() if e.cause.cls == MALFORMED_REPLY]
        if not bad:
            return
        kinds = Counter(e.error for e in bad)
        names = Counter(f"{e.qname} {e.qtype}" for e in bad)
        yield self.finding(
            f"{len(bad)} upstream replies could not be unpacked ("
            + ", ".join(f"{k} x{n}" for k, n in kinds.most_common(3))
            + ") for "
            + ", ".join(n for n, _ in names.most_common(3)),
            evidence=(
                *(e.origin.evidence(MALFORMED_REPLY) for e in bad[:3]),
                CountEvidence("malformed replies", tuple(kinds.most_common(5))),
            ),
            impact=len(bad),
            fix="Capture the upstream's reply and check its size and TC bit; try `prefer_udp` or "
            "`force_tcp` in the forward block.",
        )
